"""Pictures of networks (issue 10): parameter labels, the collapsed views, the demo's picture.

Each test parses what a learner would get (the DOT text or the rendered SVG) rather than
trusting the drawing's own bookkeeping.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import autograd_core as ag
from autograd_core import cli, nn, training, viz
from autograd_core.data import make_moons

from .test_viz import graphviz_pure_path, isolated_path, parse_svg, system_dot_path

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(params=["graphviz-pure", "dot"])
def program(request: pytest.FixtureRequest) -> str:
    """Each renderer, as in test_viz (the system `dot` is skipped only outside CI)."""
    return graphviz_pure_path() if request.param == "graphviz-pure" else system_dot_path()


def demo_sample_loss(*, trained: bool = False) -> tuple[ag.Value, nn.MLP]:
    """The graph `make demo` draws: one moons sample's hinge loss through MLP(2, [16, 16, 1])."""
    X, y = make_moons(100, noise=0.1, seed=1337)
    model = nn.MLP(2, [16, 16, 1], seed=1338)
    if trained:
        training.fit(model, X, y, loss="hinge", epochs=20, lr=0.5, progress=False)
    task = training.LOSSES["hinge"]
    x = [ag.Value(v, label=f"x{i}") for i, v in enumerate(X[0])]
    loss = task.compute([model(x)], task.targets(y[:1]))
    loss.label = "loss"
    loss.backward()
    return loss, model


def box_ids(source: str, prefix: str) -> list[str]:
    """DOT ids of the boxes whose id starts with ``prefix`` (v values, n neurons, ...)."""
    return re.findall(rf"^\t({prefix}\d+) \[", source, flags=re.MULTILINE)


def bold_texts(svg: str) -> list[str]:
    return [
        t.text or ""
        for t in ET.fromstring(svg).iter(f"{SVG}text")
        if t.get("font-weight") == "bold"
    ]


def svg_size(svg: str) -> tuple[float, float]:
    root = ET.fromstring(svg)
    return float(root.get("width", "0").removesuffix("pt")), float(
        root.get("height", "0").removesuffix("pt")
    )


# -- parameter labels in pictures -------------------------------------------------------------


def test_every_parameter_box_of_a_small_mlp_has_its_own_label(program: str) -> None:
    model = nn.MLP(2, [3, 1], seed=0)
    out = model([ag.Value(0.5, label="x0"), ag.Value(-1.0, label="x1")])
    out.backward()
    svg = viz.to_svg(out, program=program, max_nodes=None)
    labels = [t for t in bold_texts(svg) if t.startswith("L")]
    assert len(labels) == len(set(labels)) == 13  # (2 + 1)·3 + (3 + 1)
    assert {"L0.n0.w0", "L0.n2.b", "L1.n0.w2", "L1.n0.b"} <= set(labels)


def test_the_demo_picture_uncollapsed_keeps_inputs_and_output_and_unique_labels() -> None:
    loss, _ = demo_sample_loss()
    drawing = viz.draw_graph(loss, collapse=None)  # 406 values: cut to the default 300 boxes
    assert drawing.summary is not None and drawing.summary.hidden > 0
    svg = viz.render_source(drawing.source, "svg", program=graphviz_pure_path()).decode()
    texts = bold_texts(svg)
    assert {"x0", "x1", "loss"} <= set(texts)
    parameters = [t for t in texts if re.fullmatch(r"L\d\.n\d+\.(w\d+|b)", t)]
    assert len(parameters) > 30 and len(parameters) == len(set(parameters))
    hidden = drawing.summary.hidden
    assert f"+{hidden} more values" in " ".join(t for ts in parse_svg(svg).values() for t in ts)
    assert f"{hidden:,} values not drawn" in drawing.caption


# -- the collapsed views ----------------------------------------------------------------------


def test_neuron_view_of_an_mlp_has_one_box_per_neuron(program: str) -> None:
    loss, _ = demo_sample_loss()
    source = viz.draw_graph(loss, collapse="neuron").source
    assert len(box_ids(source, "n")) == 16 + 16 + 1
    svg = viz.render_source(source, "svg", program=program).decode()
    titles = [t for t in parse_svg(svg) if re.fullmatch(r"n\d+", t)]
    assert len(titles) == 33
    names = [t for t in bold_texts(svg) if re.fullmatch(r"L\d\.n\d+", t)]
    assert sorted(names) == sorted(
        [f"L0.n{i}" for i in range(16)] + [f"L1.n{i}" for i in range(16)] + ["L2.n0"]
    )
    # The sample's inputs, the loss and its two ops are drawn as values; no parameter is.
    assert {"x0", "x1", "loss"} <= set(bold_texts(svg))
    assert not [t for t in bold_texts(svg) if re.fullmatch(r"L\d\.n\d+\.(w\d+|b)", t)]


def test_neuron_view_has_one_edge_per_connection() -> None:
    loss, _ = demo_sample_loss()
    source = viz.draw_graph(loss, collapse="neuron").source
    neurons = set(box_ids(source, "n"))
    links = re.findall(r"^\t(\w+) -> (\w+)", source, flags=re.MULTILINE)
    between = [(t, h) for t, h in links if t in neurons and h in neurons]
    assert len(between) == len(set(between)) == 16 * 16 + 16
    x_ids = [i for i in box_ids(source, "v") if re.search(rf"\t{i} \[label=<.*<B>x\d</B>", source)]
    assert len(x_ids) == 2
    assert len([h for t, h in links if t in x_ids]) == 2 * 16  # each input feeds 16 neurons


def test_a_small_neuron_lists_its_weights_and_a_large_one_sums_them_up() -> None:
    loss, model = demo_sample_loss()
    source = viz.draw_graph(loss, collapse="neuron").source
    first = model.layers[0].neurons[3]
    w0 = first.w[0]
    # L0.n3 has two weights and a bias: one row each, with data and grad.
    box = re.search(r"^\tn\d+ \[label=<(.*<B>L0\.n3</B>.*)> shape=plain\]$", source, re.M)
    assert box is not None
    row = re.search(r"<TD ALIGN=\"LEFT\">w0</TD><TD ALIGN=\"RIGHT\"> ([^<]+)</TD>", box.group(1))
    assert row is not None and row.group(1) == format(w0.data, ".4g")
    assert "b</TD>" in box.group(1) and "relu</TD>" in box.group(1)
    # L1.n0 has 16 weights and a bias: a count and the range instead.
    box = re.search(r"^\tn\d+ \[label=<(.*<B>L1\.n0</B>.*)> shape=plain\]$", source, re.M)
    assert box is not None
    data = [p.data for p in model.layers[1].neurons[0].parameters()]
    shown = f"17 parameters in [{min(data):.4g}, {max(data):.4g}]"
    assert shown in box.group(1)


def test_neurons_of_plain_floats_read_a_data_box() -> None:
    model = nn.MLP(2, [3, 1], seed=0)
    out = model([1.0, 2.0])  # floats: the first layer's nodes bind them (affine)
    out.backward()
    source = viz.draw_graph(out, collapse="neuron", legend=False).source
    assert len(box_ids(source, "n")) == 4
    (data,) = box_ids(source, "d")
    assert "<B>x</B> = (1, 2)" in source
    assert len(re.findall(rf"^\t{data} -> n\d+", source, flags=re.M)) == 3


def test_layer_view_has_one_box_per_layer() -> None:
    loss, _ = demo_sample_loss()
    drawing = viz.draw_graph(loss, collapse="layer")
    source = drawing.source
    layers = box_ids(source, "layer")
    assert len(layers) == 3
    assert "<B>L0</B>  16 neurons: relu(Σ w·x + b)" in source
    assert "<B>L1</B>  16 neurons: relu(Σ w·x + b)" in source
    assert "<B>L2</B>  1 neuron: Σ w·x + b" in source
    assert "48 parameters" in source and "272 parameters" in source and "17 parameters" in source
    links = re.findall(r"^\t(\w+) -> (\w+)", source, flags=re.MULTILINE)
    assert len([1 for t, h in links if t in layers and h in layers]) == 2
    assert drawing.summary is not None and drawing.summary.boxes == 3 + 2 + 2  # + x0, x1, 2 ops


def test_collapse_works_on_the_graph_alone_for_hand_built_neurons() -> None:
    # No nn at all: ag.dot with labelled weights, then tanh, is recognised as a neuron.
    xs = [ag.Value(1.0, label="x0"), ag.Value(-2.0, label="x1")]
    ws = [ag.Value(0.5, label="h.w0"), ag.Value(0.25, label="h.w1")]
    out = ag.dot(ws, xs, ag.Value(0.1, label="h.b")).tanh() * 3
    out.backward()
    source = viz.draw_graph(out, collapse="neuron", legend=False).source
    assert len(box_ids(source, "n")) == 1
    assert "<B>h</B>  tanh(Σ w·x + b)" in source
    assert "<B>x0</B>" in source and "<B>h.w0</B>" not in source  # the weight is inside


def test_collapse_refuses_unknown_values() -> None:
    y = ag.Value(1.0, label="x") * 2
    with pytest.raises(ValueError, match=r"draw_graph: unknown collapse 'neurons'; choose one of"):
        viz.draw_graph(y, collapse="neurons")
    with pytest.raises(TypeError, match="collapse"):
        viz.draw_graph(y, collapse=1)  # type: ignore[arg-type]


# -- the demo's picture -----------------------------------------------------------------------


@pytest.mark.slow
def test_the_demo_writes_a_bounded_collapsed_picture(
    program: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # `make demo` runs `autograd-core demo`: train, then graph.svg with its defaults.
    isolated_path(monkeypatch, tmp_path, {Path(program).name: program})
    assert cli.main(["demo", "--no-progress", "--out", str(tmp_path / "run")]) == 0
    assert "one box per neuron" in capsys.readouterr().out
    svg_bytes = (tmp_path / "run" / "graph.svg").read_bytes()
    assert len(svg_bytes) < 200_000
    svg = svg_bytes.decode("utf-8")
    width, height = svg_size(svg)
    assert 0 < width <= 5000 and 0 < height <= 5000
    assert len([t for t in parse_svg(svg) if re.fullmatch(r"n\d+", t)]) == 33
    assert {"x0", "x1", "loss"} <= set(bold_texts(svg))


def test_train_no_graph_skips_the_picture(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = cli.main(
        ["train", "--epochs", "2", "--no-progress", "--no-graph", "--out", str(tmp_path)]
    )
    assert status == 0
    assert not (tmp_path / "graph.svg").exists() and (tmp_path / "model.json").exists()
    assert "graph.svg" not in capsys.readouterr().out


def test_train_draws_wide_networks_one_box_per_layer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = cli.main(
        ["train", "--hidden", "32", "32", "--epochs", "1", "--no-progress", "--out", str(tmp_path)]
    )
    assert status == 0
    assert "one box per layer" in capsys.readouterr().out
    svg = (tmp_path / "graph.svg").read_text(encoding="utf-8")
    assert len([t for t in parse_svg(svg) if re.fullmatch(r"layer\d+", t)]) == 3
