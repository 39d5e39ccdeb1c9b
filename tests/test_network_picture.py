"""ag.viz.draw_network: the network as circles in columns and a line per weight (issue 25)."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import autograd_core as ag
from autograd_core import network

SVG = "{http://www.w3.org/2000/svg}"


def parse(drawing: network.NetworkDrawing) -> ET.Element:
    return ET.fromstring(drawing.svg())


def edges(root: ET.Element) -> list[ET.Element]:
    return [e for e in root.iter(f"{SVG}line") if e.get("class") == "edge"]


def circles(root: ET.Element, kind: str | None = None) -> list[ET.Element]:
    return [c for c in root.iter(f"{SVG}circle") if kind is None or c.get("class") == kind]


def tooltip(element: ET.Element) -> str:
    title = element.find(f"{SVG}title")
    assert title is not None and title.text is not None
    return title.text


@pytest.mark.parametrize(("nin", "nouts"), [(2, [3, 1]), (3, [5, 4, 2]), (1, [1])])
def test_a_circle_per_input_and_neuron_in_columns_and_a_line_per_weight(
    nin: int, nouts: list[int]
) -> None:
    model = ag.nn.MLP(nin, nouts, seed=0)
    root = parse(ag.viz.draw_network(model))
    assert len(circles(root, "input")) == nin
    assert len(circles(root, "neuron")) == sum(nouts)
    widths = [nin, *nouts]
    assert len(edges(root)) == sum(a * b for a, b in itertools.pairwise(widths))
    # one column (one x) per layer, holding as many circles as the layer has neurons
    xs: dict[str, int] = {}
    for c in circles(root):
        xs[c.get("cx", "")] = xs.get(c.get("cx", ""), 0) + 1
    assert [xs[x] for x in sorted(xs, key=float)] == widths
    # every line runs from one column to the next, left to right
    columns = sorted(xs, key=float)
    steps = {(columns.index(e.get("x1", "")), columns.index(e.get("x2", ""))) for e in edges(root)}
    assert steps == {(i, i + 1) for i in range(len(nouts))}


def test_widths_grow_with_abs_weight_and_colours_follow_the_sign() -> None:
    model = ag.nn.Layer(4, 1, activation="linear", seed=0)
    weights = [0.1, -0.4, 0.8, -1.6]
    for p, w in zip(model.neurons[0].w, weights):
        p.data = w
    lines = edges(parse(ag.viz.draw_network(model)))
    by_name = {tooltip(e).split(" ")[0]: e for e in lines}
    assert sorted(by_name) == ["n0.w0", "n0.w1", "n0.w2", "n0.w3"]
    drawn = [by_name[f"n0.w{i}"] for i in range(4)]
    widths = [float(e.get("stroke-width", "nan")) for e in drawn]
    assert widths == sorted(widths) and len(set(widths)) == 4  # |w| grows along the list
    assert widths[-1] == pytest.approx(6.0)  # the largest |w| gets the widest line
    # width is linear in |w|: the same step from 0.1 to 0.4 to ... scaled
    assert (widths[1] - widths[0]) / (widths[3] - widths[0]) == pytest.approx(0.3 / 1.5, rel=1e-3)
    assert [e.get("stroke") for e in drawn] == [
        network.POSITIVE, network.NEGATIVE, network.POSITIVE, network.NEGATIVE,
    ]  # fmt: skip
    assert network.POSITIVE != network.NEGATIVE
    # the tooltip names the weight and shows its value
    assert tooltip(by_name["n0.w3"]).startswith("n0.w3 = -1.6")


def test_a_sample_shades_neurons_by_activation_and_grad_draws_gradients() -> None:
    model = ag.nn.MLP(2, [3, 1], activation="tanh", seed=0)
    plain = parse(ag.viz.draw_network(model))
    assert {c.get("fill") for c in circles(plain)} == {"#FFFFFF"}
    x = [0.7, -0.3]
    shaded = parse(ag.viz.draw_network(model, x=x))
    hidden = [n(x).data for n in model.layers[0].neurons]
    fills = [c.get("fill") for c in circles(shaded, "neuron")][:3]
    for value, fill, c in zip(hidden, fills, circles(shaded, "neuron")):
        assert f"{value:.4g}" in tooltip(c)
        assert fill != "#FFFFFF"
        red, blue = int(fill[1:3], 16), int(fill[5:7], 16)
        assert (blue > red) == (value > 0), (value, fill)  # blue positive, orange negative
    # the largest |activation| of the layer gets the full colour
    strongest = max(range(3), key=lambda i: abs(hidden[i]))
    assert fills[strongest] in (network.POSITIVE, network.NEGATIVE)

    loss = (model(x) - 1.0) ** 2
    loss.backward()
    by_grad = edges(parse(ag.viz.draw_network(model, show="grad")))
    first = model.layers[0].neurons[0].w[0]
    line = next(e for e in by_grad if tooltip(e).startswith(first.label + ":"))
    assert f"{first.grad:.4g}" in tooltip(line)
    assert line.get("stroke") == (network.POSITIVE if first.grad > 0 else network.NEGATIVE)


def test_wide_layers_are_bands_with_a_count_and_the_picture_stays_bounded() -> None:
    model = ag.nn.MLP(64, [100, 10], seed=0)
    svg = ag.viz.draw_network(model).svg()
    root = ET.fromstring(svg)
    bands = [g for g in root.iter(f"{SVG}g") if g.get("class") == "band"]
    texts = ["".join(t.itertext()) for b in bands for t in b.iter(f"{SVG}text")]
    assert texts == ["64 inputs", "100 neurons"]
    assert len(circles(root)) == 10
    assert len(edges(root)) == 1 + 10  # band to band, then band to each output
    assert len(svg) < 20_000
    assert float(root.get("height", "inf")) < 600


def test_text_is_escaped_and_the_svg_parses() -> None:
    model = ag.nn.Neuron(2, seed=0)
    model.w[0].label = '<script>alert("x")</script>\u202e\x00'
    svg = ag.viz.draw_network(model).svg()
    assert "<script>" not in svg and "\u202e" not in svg and "\x00" not in svg
    names = [tooltip(e) for e in edges(ET.fromstring(svg))]
    assert names[0].startswith('<script>alert("x")</script>\\u202e\\x00 = ')


def test_it_shows_itself_in_jupyter_and_saves_by_extension(tmp_path: Path) -> None:
    drawing = ag.viz.draw_network(ag.nn.MLP(2, [3, 1], seed=0))
    bundle = drawing._repr_mimebundle_()
    assert "data:image/svg+xml;base64," in bundle["text/html"]
    assert bundle["text/plain"].startswith("network 2 → 3 → 1, 9 weights")
    svg = drawing.save(tmp_path / "net.svg")
    assert svg.read_text(encoding="utf-8") == drawing.svg()
    pytest.importorskip("matplotlib")
    png = drawing.save(tmp_path / "net.png")
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    with pytest.raises(ValueError, match=r"NetworkDrawing.save: .*'net.gif'.*\.svg, \.png"):
        drawing.save(tmp_path / "net.gif")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net.png", "net.svg"]  # no leftovers


def test_bad_input_is_named() -> None:
    model = ag.nn.MLP(2, [3, 1], seed=0)
    with pytest.raises(TypeError, match=r"draw_network: model must be an nn.MLP.*got Value"):
        ag.viz.draw_network(ag.Value(1.0))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"draw_network: x must have 2 numbers .*got 3"):
        ag.viz.draw_network(model, x=[1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match=r"draw_network: x\[1\] must be a real number"):
        ag.viz.draw_network(model, x=[1.0, "2"])
    with pytest.raises(ValueError, match=r"draw_network: unknown show 'grads'"):
        ag.viz.draw_network(model, show="grads")


def test_nan_weights_draw_without_error() -> None:
    model = ag.nn.Neuron(2, seed=0)
    model.w[0].data = float("nan")
    lines = edges(parse(ag.viz.draw_network(model)))
    assert "nan" in tooltip(lines[0])
    assert float(lines[0].get("stroke-width", "inf")) == 0.5
