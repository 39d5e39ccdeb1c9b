"""The step-through page (``ag.viz.to_html``): its numbers, its markup, and the page in a browser.

Without a browser the tests read the page's markup and the JSON it embeds. The browser tests
load the page from a ``file://`` URL in headless Chromium (Debian's ``chromium`` driven by
Playwright's Python package, no browser download), press Next through the whole pass and compare
what the page *shows* with what ``backward()`` computes. They skip when Chromium or Playwright is
missing, except in CI (``CI=true``), where .ci/run installs both and their absence fails.
"""

from __future__ import annotations

import json
import math
import os
import re
import shlex
import shutil
import struct
import sys
import tempfile
import warnings
import xml.etree.ElementTree as ET
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

import autograd_core as ag
from autograd_core.cli import main

CHROMIUM = "/usr/bin/chromium"
SVG = "{http://www.w3.org/2000/svg}"
MINUS = "−"


# -- graphs ---------------------------------------------------------------------------------------


def neuron() -> ag.Value:
    """micrograd's neuron: o = tanh(x1*w1 + x2*w2 + b), every value labelled."""
    x1 = ag.Value(2.0, label="x1")
    x2 = ag.Value(0.0, label="x2")
    w1 = ag.Value(-3.0, label="w1")
    w2 = ag.Value(1.0, label="w2")
    b = ag.Value(6.8813735870195432, label="b")
    x1w1 = x1 * w1
    x1w1.label = "x1*w1"
    x2w2 = x2 * w2
    x2w2.label = "x2*w2"
    s = x1w1 + x2w2
    s.label = "x1*w1 + x2*w2"
    n = s + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o


def readme_example() -> ag.Value:
    """The README's tour: ``a`` is used twice, intermediates have no labels."""
    a = ag.Value(2.0, label="a")
    b = ag.Value(-3.0, label="b")
    return (a * b + a.tanh()) ** 2 / 2


def square_sum() -> ag.Value:
    """x used three times (x*x and 2*x), a drawn constant in an n-ary sum, an inlined 2."""
    x = ag.Value(3.0, label="x")
    return ag.sum([x * x, 2 * x, ag.Value(1.0)])


def dead_relu() -> ag.Value:
    """relu at a negative input: its gradient is 0, so backward skips the nodes below it."""
    w = ag.Value(-2.0, label="w")
    x = ag.Value(1.5, label="x")
    return (w * x).relu() + w


def dot_nodes() -> ag.Value:
    """A dot node (all operands Values) feeding an affine node (inputs bound as constants)."""
    w1, w2, b = ag.Value(0.5, label="w1"), ag.Value(-1.0, label="w2"), ag.Value(0.25, label="b")
    x1, x2 = ag.Value(2.0, label="x1"), ag.Value(3.0, label="x2")
    hidden = ag.dot([w1, w2], [x1, x2], bias=b)
    hidden.label = "h"
    v = ag.Value(1.5, label="v")
    return ag.dot([v, hidden], [2.0, -1.0], bias=0.5).sigmoid()


def zero_times_inf() -> ag.Value:
    """sqrt at 0 has the local derivative inf; its gradient is 0 (times a constant 0), and
    0 · inf is NaN: backward hands x NaN, as PyTorch does, and w its ordinary 1."""
    x = ag.Value(0.0, label="x")
    w = ag.Value(2.0, label="w")
    return x.sqrt() * 0.0 + w * x + w


def relu_selects() -> ag.Value:
    """sqrt(relu(x)) at x < 0: relu's gradient is inf, and relu selects, so x gets 0, not NaN."""
    x = ag.Value(-1.0, label="x")
    return x.relu().sqrt() + x


def pow_zero_exponent() -> ag.Value:
    """x ** y at y = 0 selects on x's edge: an infinite gradient passes nothing there, but
    reaches y through ∂(x**y)/∂y = log 2."""
    x = ag.Value(2.0, label="x")
    y = ag.Value(0.0, label="y")
    return (x**y - 1.0).sqrt()


def fan_out() -> ag.Value:
    """x used by ten operations at ten depths: drawn once in full and as dashed copies."""
    x = ag.Value(0.5, label="x")
    y = x
    for _ in range(9):
        y = y * x + 1.0
    return y


GRAPHS: dict[str, Callable[[], ag.Value]] = {
    "neuron": neuron,
    "readme": readme_example,
    "square_sum": square_sum,
    "dead_relu": dead_relu,
    "dot_nodes": dot_nodes,
    "zero_times_inf": zero_times_inf,
    "relu_selects": relu_selects,
    "pow_zero_exponent": pow_zero_exponent,
    "fan_out": fan_out,
}


# -- reading a page -------------------------------------------------------------------------------


def payload(page: str) -> dict[str, Any]:
    match = re.search(r'<script type="application/json" id="ag-data">(.*?)</script>', page, re.S)
    assert match is not None
    data: dict[str, Any] = json.loads(match.group(1))
    return data


def shown(x: float) -> str:
    """A number as the picture writes it (the default ".4g"; no "-0")."""
    return format(x if x != 0.0 else 0.0, ".4g")


def panel(x: float, wrap: bool = False) -> str:
    """A number as the panel writes it: a true minus sign, negatives bracketed as factors."""
    text = shown(x).replace("-", MINUS)
    return f"({text})" if wrap and text.startswith(MINUS) else text


def engine_grads(make: Callable[[], ag.Value], gradient: float = 1.0) -> list[float]:
    """Every node's gradient after one backward() on a fresh copy, in topological order."""
    root = make()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a NaN gradient of a leaf is meant
        root.backward(gradient)
    return [node.grad for node in ag.topological_order(root)]


def same_bits(a: float, b: float) -> bool:
    """Equal to the last bit (0.0 differs from -0.0); any NaN equals any NaN, as the page
    writes each number with repr, which keeps every bit of a number but not of a NaN."""
    return (math.isnan(a) and math.isnan(b)) or struct.pack("<d", a) == struct.pack("<d", b)


def drawn_values(root: ag.Value) -> dict[str, ag.Value]:
    """Box id -> value, from the picture's own map (GraphDrawing.nodes), as the page draws it."""
    nodes = ag.viz.draw_graph(root, max_nodes=None).nodes
    assert nodes is not None
    return {dot_id: value for dot_id, (kind, value) in nodes.items() if kind == "value"}


def positions(root: ag.Value) -> dict[str, int]:
    """Box id -> the position of its value in topological order."""
    where = {node: i for i, node in enumerate(ag.topological_order(root))}
    return {dot_id: where[value] for dot_id, value in drawn_values(root).items()}


def backward_lines(page: str) -> list[tuple[str, dict[str, Any]]]:
    """(node id, line) for every chain-rule line of every backward step (not the lines that
    say an edge passes nothing)."""
    out = []
    for step in payload(page)["steps"]:
        if step["phase"] == "backward":
            out += [
                (step["node"], line)
                for line in step["lines"]
                if line.get("data", {}).get("passes") != "no"
            ]
    return out


def line_text(line: dict[str, Any]) -> str:
    return "".join(text for _, text in line["parts"])


def parts(line: dict[str, Any], kind: str) -> list[str]:
    return [text for cls, text in line["parts"] if cls == kind]


# -- the recorded numbers are the engine's ------------------------------------------------------


@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_recorded_gradients_are_the_engines_bit_for_bit(name: str) -> None:
    make = GRAPHS[name]
    root = make()
    order = ag.topological_order(root)
    page = ag.viz.to_html(root)
    expected = engine_grads(make)
    # to_html replays backward: the graph's own gradients are left as they were (all 0 here)
    assert all(node.grad == 0.0 for node in order)

    where = positions(root)
    box_of = {order[i]: dot_id for dot_id, i in where.items()}
    steps = payload(page)["steps"]
    backward = [s["node"] for s in steps if s["phase"] == "backward"]
    interior = [box_of[node] for node in reversed(order) if node.parents]
    assert backward == interior  # reverse topological order, every interior node once

    last: dict[str, float] = {}
    for step in steps:
        for node_id, text, exact in step.get("grads", []):
            assert text == shown(float(exact))
            last[node_id] = float(exact)
    assert last, "no gradient recorded"
    for dot_id, grad in last.items():
        i = where[dot_id]
        assert same_bits(grad, expected[i]), (name, order[i].label, grad, expected[i])
    # every drawn leaf with a label ends with the engine's gradient in the last step
    final = {line["data"]["parent"]: float(line["data"]["after"]) for line in steps[-1]["lines"]}
    labelled = {d for d, i in where.items() if order[i].label and not order[i].parents}
    assert set(final) == labelled
    assert all(same_bits(g, expected[where[d]]) for d, g in final.items())


@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_each_chain_rule_line_has_the_engines_numbers(name: str) -> None:
    root = GRAPHS[name]()
    order = ag.topological_order(root)
    position = {node: i for i, node in enumerate(order)}
    shows = drawn_values(root)
    grads = engine_grads(GRAPHS[name])
    page = ag.viz.to_html(root)
    for node_id, line in backward_lines(page):
        node = shows[node_id]
        parent = shows[line["data"]["parent"]]
        locals_ = [local for p, local in zip(node.parents, node.partials) if p is parent]
        assert any(same_bits(float(line["data"]["local"]), x) for x in locals_)
        assert same_bits(float(line["data"]["upstream"]), grads[position[node]])
        (local,) = parts(line, "local")
        (upstream,) = parts(line, "upstream")
        assert local in {panel(x, wrap=True) for x in locals_}
        assert upstream == panel(grads[position[node]], wrap=True)
        contribution = float(line["data"]["local"]) * grads[position[node]]
        assert parts(line, "contrib")[0] == panel(contribution)


def test_neurons_arithmetic_reads_as_on_paper() -> None:
    page = ag.viz.to_html(neuron())
    texts = [line_text(line) for _, line in backward_lines(page)]
    assert "x1.grad += ∂(x1*w1)/∂x1 · (x1*w1).grad = (−3) · 0.5 = −1.5" in texts
    assert "w1.grad += ∂(x1*w1)/∂w1 · (x1*w1).grad = 2 · 0.5 = 1" in texts
    assert "n.grad += ∂o/∂n · o.grad = 0.5 · 1 = 0.5" in texts
    forward = [line_text(s["lines"][0]) for s in payload(page)["steps"] if s["phase"] == "forward"]
    assert "x1*w1 = x1 × w1 = 2 × (−3) = −6" in forward
    assert "n = (x1*w1 + x2*w2) + b = (−6) + 6.881 = 0.8814" in forward
    assert "o = tanh(n) = tanh(0.8814) = 0.7071" in forward
    assert forward[0] == "x1 = 2"  # leaves appear in topological order, the first input first


def test_a_reused_value_shows_its_shares_adding_up() -> None:
    page = ag.viz.to_html(square_sum())
    x_lines = [line for _, line in backward_lines(page) if line_text(line).startswith("x.grad")]
    # x*x gives x two shares of 3, 2*x one share of 2: three += lines, the running sums visible
    assert [parts(line, "contrib")[0] for line in x_lines] == ["2", "3", "3"]
    assert [parts(line, "after") for line in x_lines] == [[], ["5"], ["8"]]
    assert "x.grad = 2 + 3 = 5" in line_text(x_lines[1])
    assert "2nd share" in line_text(x_lines[1]) and "3rd share" in line_text(x_lines[2])


def test_a_node_with_zero_gradient_is_skipped_as_backward_skips_it() -> None:
    root = dead_relu()
    steps = payload(ag.viz.to_html(root))["steps"]
    relu_step = next(
        s for s in steps if s["phase"] == "backward" and s["title"].startswith("t1.grad is 0")
    )
    assert relu_step["lines"] == [] and "skips" in relu_step["title"]


def step_titled(page: str, start: str) -> dict[str, Any]:
    return next(
        s
        for s in payload(page)["steps"]
        if s["phase"] == "backward" and s["title"].startswith(start)
    )


def final_grads(page: str) -> dict[str, str]:
    """What the last step says each labelled input ends with: {"x.grad": "nan", ...}."""
    last = payload(page)["steps"][-1]["lines"]
    return {parts(line, "target")[0]: parts(line, "after")[0] for line in last}


def test_zero_times_an_infinite_derivative_is_nan_on_the_page() -> None:
    page = ag.viz.to_html(zero_times_inf())
    step = step_titled(page, "t1.grad is 0, but")  # t1 = sqrt(x) at 0: ∂t1/∂x = inf
    assert "0 · inf is NaN" in step["title"]
    (line,) = step["lines"]
    # x's 2nd share: its 1st, 2 from w·x, is added to 0 · inf = NaN
    assert line_text(line).startswith("x.grad += ∂t1/∂x · t1.grad = inf · 0 = nan   ⇒ ")
    assert parts(line, "after") == ["nan"]
    assert final_grads(page) == {"x.grad": "nan", "w.grad": "1"}
    last = payload(page)["steps"][-1]["lines"]
    assert "backward() warns" in line_text(last[0])
    assert step["edges"] and step["receivers"]  # the NaN visibly travels


def test_relu_and_a_zero_exponent_select() -> None:
    page = ag.viz.to_html(relu_selects())
    step = step_titled(page, "t1.grad is inf")  # relu's gradient, from sqrt at 0
    assert "relu selects" in step["title"]
    (line,) = step["lines"]
    assert line["data"]["passes"] == "no"
    assert line_text(line).startswith("x.grad += nothing")
    assert step["edges"] == [] and step["receivers"] == [] and step["grads"] == []
    assert final_grads(page) == {"x.grad": "1"}  # from "+ x" alone, not NaN

    page = ag.viz.to_html(pow_zero_exponent())
    step = step_titled(page, "t1.grad is inf")  # t1 = x ** y with y = 0
    texts = [line_text(line) for line in step["lines"]]
    assert texts[0].startswith("x.grad += nothing") and "pow selects" in texts[0]
    assert texts[1] == "y.grad += ∂t1/∂y · t1.grad = 0.6931 · inf = inf"
    assert final_grads(page) == {"x.grad": "0", "y.grad": "inf"}


@pytest.mark.parametrize("name", ["zero_times_inf", "relu_selects", "pow_zero_exponent"])
def test_the_edge_rules_agree_with_pytorch(name: str) -> None:
    """PyTorch computes the same graphs in float64: the page's final gradients are its."""
    torch = pytest.importorskip("torch")
    from autograd_core.interop import graph_to_torch

    root = GRAPHS[name]()
    out, leaves = graph_to_torch(root)
    out.backward()
    expected = {f"{v.label}.grad": panel(float(t.grad)) for v, t in leaves.items() if v.label}
    assert isinstance(out, torch.Tensor)
    assert final_grads(ag.viz.to_html(root)) == expected


def test_a_value_drawn_with_copies_lights_up_in_every_copy() -> None:
    root = fan_out()
    x = next(node for node in ag.topological_order(root) if node.label == "x")
    nodes = ag.viz.draw_graph(root, max_nodes=None).nodes
    assert nodes is not None
    copies = {dot_id for dot_id, (kind, value) in nodes.items() if kind == "copy" and value is x}
    (box,) = [d for d, (kind, value) in nodes.items() if kind == "value" and value is x]
    assert len(copies) >= 5  # the picture does draw x as copies
    page = ag.viz.to_html(root)
    steps = payload(page)["steps"]
    (forward,) = [s for s in steps if s["phase"] == "forward" and s["node"] == box]
    assert set(forward["reveal"]) == {box, *copies}
    lit: set[str] = set()
    shares = 0
    for step in steps:
        if step["phase"] != "backward":
            continue
        for line in step["lines"]:
            if line["data"]["parent"] == box:
                shares += 1
                touched = set(step["receivers"]) & ({box} | copies)
                assert box in touched and len(touched) <= 2  # the full box, and a copy if used
                lit |= touched
                assert any(e.split("->")[0] in touched for e in step["edges"])
    assert shares == 10 and lit == {box} | copies
    # x's name is written beside none of its copies (it has a label); an unlabelled value
    # used by copies would get its panel name beside each copy
    assert "xlabel" not in ag.viz.draw_graph(root, max_nodes=None).source


def test_dot_and_affine_nodes_are_written_as_weighted_sums() -> None:
    steps = payload(ag.viz.to_html(dot_nodes()))["steps"]
    forward = [line_text(s["lines"][0]) for s in steps if s["phase"] == "forward"]
    assert "h = w1·x1 + w2·x2 + b = 0.5·2 + (−1)·3 + 0.25 = −1.75" in forward
    assert "t1 = v·2 + h·(−1) + 0.5 = 1.5·2 + (−1.75)·(−1) + 0.5 = 5.25" in forward


def test_bound_parameters_are_written_by_name() -> None:
    # a cross-entropy node of three logits and its target class, and a leaky relu's slope:
    # a bare trailing number would read as a fourth logit or a second input
    z = [ag.Value(0.5, label="z0"), ag.Value(-1.0, label="z1"), ag.Value(2.0, label="z2")]
    loss = ag.losses.cross_entropy(z, 1)
    loss.label = "L"
    lines = [line_text(s["lines"][0]) for s in payload(ag.viz.to_html(loss))["steps"] if s["lines"]]
    assert any(
        t.startswith("L = CE(z0, z1, z2, target=1) = CE(0.5, −1, 2, target=1) = ") for t in lines
    )
    slope = z[0].leaky_relu(0.2)
    slope.label = "y"
    lines = [
        line_text(s["lines"][0]) for s in payload(ag.viz.to_html(slope))["steps"] if s["lines"]
    ]
    assert (
        "y = leaky_relu(z0, negative_slope=0.2) = leaky_relu(0.5, negative_slope=0.2) = 0.5"
        in lines
    )


def test_a_seed_gradient_scales_every_number() -> None:
    page = ag.viz.to_html(neuron(), gradient=2.0)
    expected = engine_grads(neuron, gradient=2.0)
    where = positions(neuron())
    final = {}
    for step in payload(page)["steps"]:
        for node_id, _, exact in step.get("grads", []):
            final[where[node_id]] = float(exact)
    assert final and all(final[i] == expected[i] for i in final)
    assert math.isclose(final[0], -3.0, rel_tol=1e-12)  # x1.grad = 2 · (−1.5)


def test_unlabelled_values_get_names_shown_in_the_picture() -> None:
    page = ag.viz.to_html(readme_example())
    svg = ET.fromstring(re.search(r"<svg.*</svg>", page, re.S).group(0))  # type: ignore[union-attr]
    texts = {t.text for t in svg.iter(f"{SVG}text")}
    assert {"t1", "t2", "t3", "t4", "out"} <= texts
    # every name the panel uses for a drawn value is written in the picture
    targets = {parts(line, "target")[0].removesuffix(".grad") for _, line in backward_lines(page)}
    assert targets - {"a", "b"} <= texts


# -- markup ---------------------------------------------------------------------------------------

HOSTILE = "<script>alert(1)</script>&\"'"


class TagBalance(HTMLParser):
    """Fails on a closing tag that does not close the innermost open element."""

    VOID = frozenset({"meta", "link", "br", "img", "input", "hr"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.scripts = 0
        self.texts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        assert not any(name.startswith("on") for name, _ in attrs), (tag, attrs)
        if tag == "script":
            self.scripts += 1
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        assert not any(name.startswith("on") for name, _ in attrs), (tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, (tag, self.stack[-5:])
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.texts.append(data)


def hostile_graph() -> ag.Value:
    x = ag.Value(2.0, label=HOSTILE)
    y = x * ag.Value(3.0, label="y & 'z'")
    y.label = '"quoted" <b>bold</b>'
    return y.tanh()


def test_page_is_well_formed_and_labels_are_text() -> None:
    page = ag.viz.to_html(hostile_graph(), title=HOSTILE)
    parser = TagBalance()
    parser.feed(page)
    parser.close()
    assert parser.stack == []
    assert parser.scripts == 2  # the JSON and the page's own script, nothing from a label
    # Strict XML too: every element closed, every & an entity
    document = ET.fromstring(page.split("\n", 1)[1])  # past <!DOCTYPE html>
    assert document.tag == "html"
    assert [e.get("id") for e in document.iter("script")] == ["ag-data", None]
    assert document.find("head/title").text == HOSTILE  # type: ignore[union-attr]
    assert document.find("body/main/h1").text == HOSTILE  # type: ignore[union-attr]
    # the labels are text in the picture...
    svg_texts = {t.text for t in document.iter(f"{SVG}text")}
    assert HOSTILE in svg_texts and "y & 'z'" in svg_texts
    assert '"quoted" <b>bold</b>' in svg_texts
    # ...and in the data, which no sequence in a label can end early
    raw = re.search(r'id="ag-data">(.*?)</script>', page, re.S).group(1)  # type: ignore[union-attr]
    assert "<" not in raw and ">" not in raw and "&" not in raw
    assert HOSTILE in strings(json.loads(raw))
    assert "<script>alert" not in page  # nowhere as markup


def strings(tree: Any) -> set[str]:
    """Every string in a JSON value, at any depth."""
    if isinstance(tree, str):
        return {tree}
    items = tree.values() if isinstance(tree, dict) else tree if isinstance(tree, list) else []
    return set().union(*(strings(item) for item in items)) if items else set()


def graphviz_pure() -> str:
    path = shutil.which("graphviz-pure") or shutil.which(
        "graphviz-pure", path=os.path.dirname(sys.executable)
    )
    assert path is not None, "graphviz-pure is a dependency of autograd-core: pip install -e ."
    return path


def svg_groups(document: ET.Element, kind: str) -> dict[str, ET.Element]:
    """The picture's <g class=kind> elements (node, edge) by their title."""
    found = {}
    for g in document.iter(f"{SVG}g"):
        if g.get("class") == kind:
            title = g.find(f"{SVG}title")
            assert title is not None and title.text is not None
            found[title.text] = g
    return found


@pytest.mark.parametrize("name", ["readme", "fan_out"])
@pytest.mark.parametrize("renderer", ["default", "graphviz-pure"])
def test_every_id_the_script_looks_up_is_in_the_picture(renderer: str, name: str) -> None:
    program = None if renderer == "default" else graphviz_pure()
    root = GRAPHS[name]()
    page = ag.viz.to_html(root, program=program)
    document = ET.fromstring(page.split("\n", 1)[1])
    data = payload(page)
    nodes, edges = svg_groups(document, "node"), svg_groups(document, "edge")
    # the page's ids are the picture's own (viz's map), whatever the renderer
    assert set(data["parts"]) == set(nodes)
    assert set(data["boxes"]) == set(drawn_values(root))
    for box in data["boxes"]:  # each box has the rows the script rewrites
        texts = [t.text or "" for t in nodes[box].iter(f"{SVG}text")]
        assert any(t.startswith("data ") for t in texts) and any(
            t.startswith("grad ") for t in texts
        )
    # the forward steps bring in every part and every edge exactly once
    forward = [s for s in data["steps"] if s["phase"] == "forward"]
    revealed = [i for s in forward for i in s["reveal"]]
    assert sorted(revealed) == sorted(nodes)
    brought = [e for s in forward for e in s.get("edges", [])]
    assert sorted(brought) == sorted(edges)
    named = {e for s in data["steps"] for e in s.get("edges", [])}
    assert named <= set(edges)
    # the legend is the graph's label: there, and not a part the page dims
    legend = [t.text for t in document.iter(f"{SVG}text") if t.text == "legend"]
    assert legend == ["legend"]


def test_page_loads_nothing_from_elsewhere() -> None:
    page = ag.viz.to_html(neuron())
    assert not re.search(r"<(script|link|img|iframe)[^>]*\b(src|href)=", page)
    assert "@import" not in page and "url(" not in page


def test_explain_wraps_the_page_in_an_iframe_srcdoc() -> None:
    root = neuron()
    shown_page = ag.viz.explain(root)
    assert shown_page.html == ag.viz.to_html(root)
    markup = shown_page._repr_html_()

    class Frames(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.frames: list[dict[str, str | None]] = []

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            assert tag == "iframe"
            self.frames.append(dict(attrs))

    parser = Frames()
    parser.feed(markup)
    (frame,) = parser.frames
    assert frame["srcdoc"] == shown_page.html  # the whole page, intact once unescaped
    assert frame["sandbox"] == "allow-scripts"
    assert "<script" not in markup  # in the notebook's own document, only escaped text


def test_save_graph_writes_the_page_for_html(tmp_path: Path) -> None:
    root = neuron()
    path = ag.viz.save_graph(root, tmp_path / "backward.html")
    assert path.read_text(encoding="utf-8") == ag.viz.to_html(root)
    other = ag.viz.save_graph(root, tmp_path / "page.txt", format="html", rankdir="TB")
    assert other.read_text(encoding="utf-8") == ag.viz.to_html(root, rankdir="TB")


def test_cli_graph_writes_the_page(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "backward.html"
    args = ["graph", "tanh(x*w + b)", "x=2", "w=-3", "b=6.8814", "--html", str(target)]
    assert main(args) == 0
    assert f"wrote {target}" in capsys.readouterr().out
    steps = payload(target.read_text(encoding="utf-8"))["steps"]
    assert steps[-1]["phase"] == "done"
    grads = {parts(line, "target")[0]: parts(line, "after")[0] for line in steps[-1]["lines"]}
    assert grads["x.grad"] == panel(-3 * (1 - math.tanh(2 * -3 + 6.8814) ** 2))
    assert not (tmp_path / "graph.svg").exists()


def test_the_readmes_step_through_command_and_screenshot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = Path(__file__).resolve().parents[1]
    readme = (root / "README.md").read_text(encoding="utf-8")
    (command,) = [line.strip() for line in readme.splitlines() if "--html backward.html" in line]
    words = shlex.split(command)
    assert words[0] == "autograd-core"
    monkeypatch.chdir(tmp_path)
    assert main(words[1:]) == 0
    steps = payload((tmp_path / "backward.html").read_text(encoding="utf-8"))["steps"]
    texts = [line_text(line) for s in steps if s["phase"] == "backward" for line in s["lines"]]
    assert "x1.grad += ∂(x1*w1)/∂x1 · (x1*w1).grad = (−3) · 0.5 = −1.5" in readme
    assert any(t.startswith("x1.grad += ") and t.endswith("= (−3) · 0.5 = −1.5") for t in texts)
    (picture,) = re.findall(r"\(docs/assets/(stepthrough-[\w-]+\.png)\)", readme)
    png = root / "docs" / "assets" / picture
    assert png.read_bytes()[:4] == b"\x89PNG" and png.stat().st_size < 150_000


def test_cli_graph_refuses_a_graph_too_large(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "big.html"
    args = ["graph", "x*x*x*x*x*x", "x=2", "--max-nodes", "5", "--html", str(target)]
    assert main(args) == 2
    assert "max_nodes=5" in capsys.readouterr().err
    assert not target.exists()


# -- limits and bad input ---------------------------------------------------------------------


def test_a_graph_too_large_is_refused_with_a_way_out() -> None:
    x = ag.Value(1.0, label="x")
    y = ag.sum(x * float(i) for i in range(200))  # 200 products, 200 constants, x, the sum
    with pytest.raises(ValueError, match=r"402 values, more than max_nodes=300") as caught:
        ag.viz.to_html(y)
    assert "ag.viz.draw_graph(y)" in str(caught.value) and "max_nodes=None" in str(caught.value)
    small = ag.sum(x * float(i) for i in range(5))
    with pytest.raises(ValueError, match="max_nodes=10"):
        ag.viz.to_html(small, max_nodes=10)
    assert ag.viz.to_html(small, max_nodes=12).startswith("<!DOCTYPE html>")


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"gradient": "1"}, TypeError, "to_html: gradient must be a real number"),
        ({"gradient": math.inf}, ValueError, "to_html: gradient must be a finite number"),
        ({"rankdir": "up"}, ValueError, "to_html: rankdir must be"),
        ({"max_nodes": 0}, ValueError, "to_html: max_nodes must be an integer >= 1"),
        ({"max_nodes": 2.5}, TypeError, "to_html: max_nodes must be an integer"),
        ({"number_format": ".4q"}, ValueError, "to_html: number_format '.4q'"),
        ({"number_format": 4}, TypeError, "to_html: number_format must be"),
        ({"title": 3}, TypeError, "to_html: title must be a str"),
    ],
)
def test_bad_options_are_named(options: dict[str, Any], error: type, message: str) -> None:
    with pytest.raises(error, match=re.escape(message)):
        ag.viz.to_html(neuron(), **options)


def test_a_network_too_large_is_pointed_at_the_collapsed_picture() -> None:
    model = ag.nn.MLP(2, [16, 16, 1], seed=0)
    out = model([0.5, -1.0])
    with pytest.raises(ValueError, match="more than max_nodes=300") as caught:
        ag.viz.to_html(out)
    advice = 'ag.viz.draw_graph(y, collapse="neuron")'
    assert advice in str(caught.value)
    # the advice works: the collapsed picture of that network is small and complete
    drawing = ag.viz.draw_graph(out, collapse="neuron")
    assert drawing.summary is not None and drawing.summary.hidden == 0
    assert drawing.summary.boxes < 40


def test_not_a_value_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="to_html: expected a Value, got float"):
        ag.viz.to_html(1.5)  # type: ignore[arg-type]


def test_a_leaf_alone_has_a_one_step_backward() -> None:
    steps = payload(ag.viz.to_html(ag.Value(3.0)))["steps"]
    assert [s["phase"] for s in steps] == ["start", "forward", "seed", "done"]
    assert steps[2]["grads"] == [["v0", "1", "1.0"]]


# -- in a browser -----------------------------------------------------------------------------


def chromium_or_skip() -> Any:
    """Playwright's sync API with Debian's Chromium; in CI their absence is a failure."""
    in_ci = os.environ.get("CI") == "true"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if in_ci:
            pytest.fail("CI must run the browser tests: the dev extra installs playwright")
        pytest.skip("Playwright's Python package is not installed")
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        if in_ci:
            pytest.fail(f"CI must run the browser tests: .ci/run installs chromium ({CHROMIUM})")
        pytest.skip(f"Chromium is not installed at {CHROMIUM}")
    return sync_playwright


READ_STATE = """() => {
  const out = {step: Number(document.body.dataset.step), phase: document.body.dataset.phase,
               node: document.body.dataset.node, grads: {}, data: {}, lines: [],
               counter: document.getElementById("ag-counter").textContent,
               title: document.getElementById("ag-title").textContent,
               pending: [], current: [], receivers: [], flow: []};
  const boxes = JSON.parse(document.getElementById("ag-data").textContent).boxes;
  document.querySelectorAll("#ag-figure g.node, #ag-figure g.edge").forEach((g) => {
    const id = g.querySelector("title").textContent.trim();
    if (g.classList.contains("ag-pending")) out.pending.push(id);
    if (g.classList.contains("ag-current")) out.current.push(id);
    if (g.classList.contains("ag-receiver")) out.receivers.push(id);
    if (g.classList.contains("ag-flow")) out.flow.push(id);
  });
  document.querySelectorAll("#ag-figure g.node").forEach((g) => {
    const id = g.querySelector("title").textContent.trim();
    if (!boxes.includes(id)) return;
    const texts = Array.from(g.querySelectorAll("text"));
    const grad = texts.find((t) => t.textContent.trim().startsWith("grad "));
    const data = texts.find((t) => t.textContent.trim().startsWith("data "));
    out.grads[id] = {text: grad.textContent.trim(), exact: grad.getAttribute("data-grad"),
                     visible: getComputedStyle(grad).visibility === "visible"};
    out.data[id] = {text: data.textContent.trim(),
                    visible: getComputedStyle(data).visibility === "visible"};
  });
  document.querySelectorAll("#ag-lines .ag-line").forEach((div) => {
    const spans = {};
    div.querySelectorAll("span").forEach((s) => {
      (spans[s.className] = spans[s.className] || []).push(s.textContent);
    });
    out.lines.push({parent: div.getAttribute("data-parent"), spans: spans,
                    passes: div.getAttribute("data-passes"), text: div.textContent});
  });
  return out;
}"""


class PageDriver:
    """A loaded step-through page, with console errors and dialogs collected."""

    def __init__(
        self, browser: Any, page_html: str, directory: Path, name: str = "page.html"
    ) -> None:
        path = directory / name
        path.write_text(page_html, encoding="utf-8")
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.page = browser.new_page(viewport={"width": 1150, "height": 760})
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else 0)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.goto(path.resolve().as_uri())

    def state(self) -> dict[str, Any]:
        result: dict[str, Any] = self.page.evaluate(READ_STATE)
        return result

    def press(self, key: str) -> dict[str, Any]:
        self.page.keyboard.press(key)
        return self.state()


def check_state(
    state: dict[str, Any],
    order: list[ag.Value],
    grads: list[float],
    processed: list[int],
    where: dict[str, int],
) -> None:
    """What the page shows after a step, against the engine's own backward()."""
    position = {node: i for i, node in enumerate(order)}
    consumers: dict[int, set[int]] = {i: set() for i in range(len(order))}
    for i, node in enumerate(order):
        for parent in node.parents:
            consumers[position[parent]].add(i)
    root = len(order) - 1
    assert set(state["grads"]) == set(where)  # every box of the picture is read
    for node_id, grad in state["grads"].items():
        i = where[node_id]
        assert state["data"][node_id]["text"] == f"data {shown(order[i].data)}", node_id
        if not grad["visible"]:
            assert state["phase"] in ("start", "forward"), (node_id, state["phase"])
            continue
        assert grad["text"] == f"grad {shown(float(grad['exact']))}"
        # done: the root, or every node that uses it has handed its share back
        if i == root or (consumers[i] and consumers[i] <= set(processed)):
            assert same_bits(float(grad["exact"]), grads[i]), (state["step"], order[i].label)
        elif not processed:
            assert float(grad["exact"]) == 0.0
    if state["phase"] in ("seed", "backward", "done"):
        assert state["pending"] == []  # the forward pass brought in every box, copy and edge
    if state["phase"] == "backward":
        node = order[where[state["node"]]]
        g = grads[position[node]]
        assert state["node"] in state["current"]
        receivers = {order[where[r]] for r in state["receivers"] if r in where}
        assert receivers <= set(node.parents)
        for line in state["lines"]:
            parent = order[where[line["parent"]]]
            if line["passes"] == "no":  # an edge the rules block: nothing is added
                assert " += nothing" in line["text"] and parent not in receivers
                continue
            assert parent in receivers
            locals_ = [local for p, local in zip(node.parents, node.partials) if p is parent]
            (local,) = line["spans"]["ag-local"]
            assert local in {panel(x, wrap=True) for x in locals_}, line["text"]
            assert line["spans"]["ag-upstream"] == [panel(g, wrap=True)]
            product = next(x for x in locals_ if panel(x, wrap=True) == local) * g
            assert line["spans"]["ag-contrib"][0] == panel(product), line["text"]
        passing = [line for line in state["lines"] if line["passes"] != "no"]
        assert bool(state["flow"]) == bool(passing)  # edges light up only where gradient goes


def drive_through(
    browser: Any, make: Callable[[], ag.Value], directory: Path, program: str | None = None
) -> list[str]:
    """Next through the whole page, checking every step and that Previous undoes it."""
    root = make()
    order = ag.topological_order(root)
    where = positions(root)
    driver = PageDriver(browser, ag.viz.to_html(root, program=program), directory)
    grads = engine_grads(make)
    interior = [i for i in reversed(range(len(order))) if order[i].parents]
    state = driver.state()
    assert state["step"] == 0 and state["phase"] == "start"
    total = int(state["counter"].split("/")[1])
    processed: list[int] = []
    phases = []
    previous = state
    for k in range(1, total + 1):
        state = driver.press("ArrowRight")
        assert state["step"] == k
        phases.append(state["phase"])
        if state["phase"] == "forward":  # values appear in topological order
            shown_now = [where[i] for i, d in state["data"].items() if d["visible"]]
            assert max(shown_now) == where[state["node"]]
        if state["phase"] == "backward":
            processed.append(where[state["node"]])
        check_state(state, order, grads, processed, where)
        assert driver.press("ArrowLeft") == previous  # Previous undoes the step exactly
        assert driver.press("ArrowRight") == state
        previous = state
    assert processed == interior  # every interior node, in reverse topological order
    assert phases[-1] == "done"
    # past the end Next does nothing; Reset (Home) goes back to the start
    assert driver.press("ArrowRight")["step"] == total
    assert driver.press("Home")["step"] == 0
    assert driver.errors == [] and driver.dialogs == []
    driver.page.close()
    return phases


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_the_page_shows_the_engines_numbers_at_every_step(
    browser: Any, name: str, tmp_path: Path
) -> None:
    phases = drive_through(browser, GRAPHS[name], tmp_path)
    assert phases.count("seed") == 1 and "forward" in phases and "backward" in phases


@pytest.mark.slow
def test_the_page_works_with_the_picture_of_graphviz_pure(browser: Any, tmp_path: Path) -> None:
    """The SVG of graphviz-pure (what a plain pip install renders with) orders its elements
    differently from dot's; the page finds its boxes, texts and edges in both."""
    drive_through(browser, readme_example, tmp_path, program=graphviz_pure())


@pytest.mark.slow
def test_buttons_and_play(browser: Any, tmp_path: Path) -> None:
    driver = PageDriver(browser, ag.viz.to_html(neuron()), tmp_path)
    assert driver.page.is_disabled("#ag-prev") and driver.page.is_disabled("#ag-reset")
    driver.page.click("#ag-next")
    driver.page.click("#ag-next")
    assert driver.state()["step"] == 2
    driver.page.click("#ag-prev")
    assert driver.state()["step"] == 1
    driver.page.click("#ag-play")
    driver.page.wait_for_function("() => Number(document.body.dataset.step) >= 3", timeout=5000)
    assert driver.page.inner_text("#ag-play") == "Pause"
    driver.page.click("#ag-play")
    stopped = driver.state()["step"]
    driver.page.wait_for_timeout(1500)
    assert driver.state()["step"] == stopped  # paused
    driver.page.click("#ag-reset")
    assert driver.state()["step"] == 0
    driver.page.keyboard.press("End")
    assert driver.state()["phase"] == "done" and driver.page.is_disabled("#ag-next")
    assert driver.errors == []


@pytest.mark.slow
def test_explain_runs_inside_its_iframe(browser: Any, tmp_path: Path) -> None:
    """As a notebook shows it: the iframe markup inside a host page, the script running."""
    host = tmp_path / "notebook.html"
    markup = ag.viz.explain(neuron())._repr_html_()
    host.write_text(f"<!DOCTYPE html><html><body><p>cell</p>{markup}</body></html>", "utf-8")
    page = browser.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else 0)
    page.goto(host.resolve().as_uri())
    frame = page.frame_locator("iframe")
    frame.locator("#ag-next").click()
    frame.locator("#ag-next").click()
    assert frame.locator("#ag-counter").inner_text() == "step 2 / 17"
    assert frame.locator("#ag-lines").inner_text() == "w1 = −3"
    assert page.evaluate("() => document.scripts.length") == 0  # no script in the host itself
    assert errors == []
    page.close()


@pytest.mark.slow
def test_hostile_labels_stay_text_in_the_browser(browser: Any, tmp_path: Path) -> None:
    driver = PageDriver(browser, ag.viz.to_html(hostile_graph(), title=HOSTILE), tmp_path)
    assert driver.page.inner_text("h1") == HOSTILE
    state = driver.press("ArrowRight")  # the first input: the hostile label
    assert state["lines"][0]["text"].startswith(HOSTILE + " = 2")
    driver.page.keyboard.press("End")
    assert driver.page.locator("#ag-figure text", has_text="<script>").count() == 1
    assert driver.dialogs == [] and driver.errors == []
    assert driver.page.evaluate("() => document.scripts.length") == 2


@pytest.mark.slow
def test_screenshots_of_the_neuron(browser: Any) -> None:
    """Three steps of micrograd's neuron as PNGs in $ARTIFACTS_DIR (CI keeps them)."""
    directory = Path(os.environ.get("ARTIFACTS_DIR") or tempfile.mkdtemp(prefix="stepthrough-"))
    directory.mkdir(parents=True, exist_ok=True)
    driver = PageDriver(browser, ag.viz.to_html(neuron()), directory, "stepthrough-neuron.html")
    wanted = {
        "forward": lambda s: s["phase"] == "forward" and s["lines"][0]["text"].startswith("n ="),
        "seed": lambda s: s["phase"] == "seed",
        "backward": lambda s: s["phase"] == "backward" and s["title"].startswith("x1*w1 passes"),
    }
    taken = []
    state = driver.state()
    while wanted and state["phase"] != "done":
        state = driver.press("ArrowRight")
        for name, test in list(wanted.items()):
            if test(state):
                path = directory / f"stepthrough-neuron-{state['step']:02d}-{name}.png"
                driver.page.screenshot(path=str(path), full_page=True)
                taken.append(path)
                del wanted[name]
    assert wanted == {} and all(p.stat().st_size > 10_000 for p in taken)
    assert driver.errors == []


# -- pictures of the size learners build (issue 24) -------------------------------------------


def six_neurons() -> ag.Value:
    """40 values: six one-input tanh neurons summed, and a squared error (the issue's graph)."""
    xs = [ag.Value(i / 3, label=f"x{i}") for i in range(6)]
    neurons = [
        (x * ag.Value(0.5, label=f"w{i}") + ag.Value(0.1, label=f"b{i}")).tanh()
        for i, x in enumerate(xs)
    ]
    out = ag.sum(neurons)
    out.label = "out"
    return (out - ag.Value(1.0, label="y")) ** 2


def mlp_loss() -> ag.Value:
    """291 values: a 2-13-13-1 MLP's squared error, just under the default max_nodes=300."""
    model = ag.nn.MLP(2, [13, 13, 1], seed=0)
    return (model([0.5, -1.0]) - 1.0) ** 2


LARGE: dict[str, Callable[[], ag.Value]] = {"40": six_neurons, "300": mlp_loss}


def css_rule(page: str, selector: str) -> str:
    """The declarations of the page's CSS rule for exactly ``selector``."""
    css = re.search(r"<style>(.*?)</style>", page, re.S).group(1)  # type: ignore[union-attr]
    rules = {k.strip(): v for k, v in re.findall(r"([^{}]+?)\s*\{([^{}]*)\}", css)}
    assert selector in rules, f"no CSS rule for {selector}: {sorted(rules)}"
    return " ".join(rules[selector].split())


def font_px_at(page: str, scale: float) -> float:
    """The picture's smallest text, in CSS px, when the picture is drawn at zoom ``scale``."""
    svg = re.search(r"<svg\b[^>]*>", page).group(0)  # type: ignore[union-attr]
    width = float(re.search(r'width="([\d.]+)pt"', svg).group(1))  # type: ignore[union-attr]
    box = re.search(r'viewBox="[\d.]+ [\d.]+ ([\d.]+) ', svg).group(1)  # type: ignore[union-attr]
    sizes = [float(x) for x in re.findall(r'<text[^>]*font-size="([\d.]+)"', page)]
    return min(sizes) * (width * 4 / 3 / float(box)) * scale


def test_the_issues_graphs_have_the_sizes_the_tests_claim() -> None:
    assert len(ag.topological_order(six_neurons())) == 40
    assert 280 <= len(ag.topological_order(mlp_loss())) <= ag.stepthrough.MAX_NODES


@pytest.mark.parametrize("name", sorted(LARGE))
def test_the_default_zoom_keeps_text_at_least_9_px(name: str) -> None:
    page = ag.viz.to_html(LARGE[name]())
    readable = payload(page)["view"]["readable"]
    # the script never goes below this zoom by default (it shows the whole graph only when
    # that is larger): at it, the smallest text of the picture is 9.5 px
    assert 9.0 <= font_px_at(page, readable) <= 10.0
    # Graphviz's own size would be larger and "fit everything" far smaller: the bug was ~7 px
    assert font_px_at(page, 1.0) > 12
    assert "Math.max(fitScale(), readable)" in page


def test_the_page_fills_its_column_and_the_panel_scrolls_on_its_own() -> None:
    root = six_neurons()
    page = ag.viz.to_html(root)
    assert "width: 100%" in css_rule(page, ".ag-page")
    assert "height: 100%" in css_rule(page, ".ag-page")
    panel = css_rule(page, "#ag-panel")
    assert "overflow: auto" in panel and "max-height: 40%" in panel
    figure = css_rule(page, "#ag-figure")
    assert "overflow: hidden" in figure and "flex: 1 1 0" in figure
    # the last step's list of gradients is laid out in columns, whole
    assert "columns:" in css_rule(page, "#ag-lines.ag-list")
    done = payload(page)["steps"][-1]
    assert [parts(line, "target")[0] for line in done["lines"]] == [
        f"{v.label}.grad" for v in ag.topological_order(root) if v.label and not v.parents
    ]
    # in a notebook: as wide as the output column, at most 720 px (80% of the window) tall
    frame = ag.viz.explain(root)._repr_html_()
    style = re.search(r'style="([^"]*)"', frame).group(1)  # type: ignore[union-attr]
    assert "width: 100%" in style
    height = re.search(r"height: min\(80vh, (\d+)px\)", style)
    assert height is not None and 420 <= int(height.group(1)) <= 720


def test_the_zoom_controls_are_on_the_page() -> None:
    page = ag.viz.to_html(six_neurons())
    document = ET.fromstring(page.split("\n", 1)[1])
    buttons = {b.get("id"): b for b in document.iter("button")}
    assert {"ag-zoom-in", "ag-zoom-out", "ag-zoom-all", "ag-zoom-step"} <= set(buttons)
    assert buttons["ag-zoom-in"].get("title") == "zoom in (+)"
    for key in ('"+"', '"-"', '"0"', '"ArrowRight"', "event.shiftKey", '"wheel"', '"pointermove"'):
        assert key in page, key
    assert "prefers-reduced-motion" in page


def test_every_step_names_what_the_view_keeps_in_sight() -> None:
    root = six_neurons()
    data = payload(ag.viz.to_html(root))
    for step in data["steps"]:
        if step["phase"] in ("start", "done"):
            assert "focus" not in step
            continue
        assert step["focus"][0] == step["node"] and set(step["focus"]) <= set(data["parts"])
        if step["phase"] == "backward":  # the node, its oval, and every parent it hands to
            assert step["op"] in step["focus"]
            assert set(step["receivers"]) <= set(step["focus"])


def test_a_refusal_is_one_line_with_the_way_forward() -> None:
    loss = ag.nn.MLP(2, [16, 16, 1], seed=0)([0.5, -1.0])
    for call in (lambda: ag.viz.to_html(loss), lambda: loss.explain()):
        with pytest.raises(ValueError) as caught:
            call()
        assert isinstance(caught.value, ag.stepthrough.GraphTooLargeError)
        message = str(caught.value)
        assert "\n" not in message and len(message) < 250
        assert 'collapse="neuron"' in message and "max_nodes=None" in message
        (line,) = caught.value._render_traceback_()  # what IPython shows: this line alone
        assert line == f"GraphTooLargeError: {message}"
    assert message.startswith("explain: the graph has 402 values")  # named as it was called
    assert caught.value.__suppress_context__  # no "during handling" chain either


def test_the_text_form_says_what_the_page_is() -> None:
    root = six_neurons()
    shown_page = root.explain()
    text = "step-through of t20: 40 values, 63 steps — run the cell to see it, or save(path)"
    assert repr(shown_page) == text
    assert " at 0x" not in repr(shown_page)
    # A notebook that is not trusted strips the iframe (JupyterLab's sanitizer does not allow
    # it) and keeps its text: the same words
    markup = shown_page._repr_html_()
    outside_tags = re.sub(r"<[^>]*>", "", re.sub(r'srcdoc="[^"]*"', "", markup))
    assert outside_tags == text


def messages_of_a_kernel(cells: list[str]) -> list[dict[str, Any]]:
    """Run ``cells`` in a new IPython kernel; every output message, in order."""
    jupyter_client = pytest.importorskip("jupyter_client")
    manager, client = jupyter_client.manager.start_new_kernel(kernel_name="python3")
    outputs: list[dict[str, Any]] = []
    try:
        for code in cells:
            msg_id = client.execute(code)
            while True:
                msg = client.get_iopub_msg(timeout=120)
                if msg["parent_header"].get("msg_id") != msg_id:
                    continue
                if msg["msg_type"] in ("execute_result", "display_data", "error", "stream"):
                    outputs.append({"type": msg["msg_type"], **msg["content"]})
                if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                    break
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    return outputs


@pytest.mark.slow
def test_in_a_kernel_a_refusal_is_one_line_and_a_page_has_words() -> None:
    outputs = messages_of_a_kernel(
        [
            "import autograd_core as ag\n"
            "loss = ag.nn.MLP(2, [16, 16, 1], seed=0)([0.5, -1.0])\n"
            "loss.explain()",
            "x = ag.Value(2.0, label='x')\n(x * x).explain()",
        ]
    )
    refusal, page = outputs
    assert refusal["type"] == "error"
    (line,) = refusal["traceback"]  # one line, no frames of library code
    assert line.startswith("GraphTooLargeError: explain: the graph has 402 values")
    assert 'collapse="neuron"' in line and "File " not in line
    assert page["type"] == "execute_result"
    assert page["data"]["text/plain"].startswith("step-through of out: 2 values, 5 steps")
    assert page["data"]["text/html"].startswith("<iframe srcdoc=")


# In the browser: the page inside a notebook's output column (900 px wide) and window (900 px
# tall, so the frame is min(80vh, 720px) = 720 px), as explain() shows it.
NOTEBOOK_HOST = """<!DOCTYPE html><html><body style="margin: 0; padding: 16px">
<div id="column" style="width: 900px">{frame}</div></body></html>"""

MEASURE = """() => {
  const figure = document.getElementById("ag-figure").getBoundingClientRect();
  const panel = document.getElementById("ag-panel").getBoundingClientRect();
  const id = document.body.dataset.node;
  const node = id && document.querySelector(`#ag-figure g.node[data-node="${id}"]`);
  const box = node ? node.getBoundingClientRect() : null;
  // the rendered size of the node's text: its box on screen over its box in the picture's
  // units, times its font size in those units
  const text = node ? node.querySelector("text[font-size]") : null;
  const font = text ? text.getBoundingClientRect().height / text.getBBox().height *
    parseFloat(text.getAttribute("font-size")) : null;
  return {figure: {left: figure.left, right: figure.right, top: figure.top,
                   bottom: figure.bottom},
          node: box && {left: box.left, right: box.right, top: box.top, bottom: box.bottom},
          font: font, textHeight: text ? text.getBoundingClientRect().height : null,
          panelBottom: panel.bottom, windowHeight: window.innerHeight,
          windowWidth: window.innerWidth, pageWidth: document.querySelector(".ag-page")
            .getBoundingClientRect().width,
          scale: Number(document.getElementById("ag-figure").dataset.scale),
          phase: document.body.dataset.phase, step: Number(document.body.dataset.step)};
}"""


def inside(inner: dict[str, float], outer: dict[str, float]) -> bool:
    return (
        inner["left"] >= outer["left"] - 0.5
        and inner["right"] <= outer["right"] + 0.5
        and inner["top"] >= outer["top"] - 0.5
        and inner["bottom"] <= outer["bottom"] + 0.5
    )


def notebook_frame(browser: Any, root: ag.Value, tmp_path: Path) -> tuple[Any, Any, list[str]]:
    """The page of ``root`` as a notebook shows it; (host page, the frame, errors)."""
    host = tmp_path / "notebook.html"
    markup = ag.viz.explain(root)._repr_html_()
    host.write_text(NOTEBOOK_HOST.format(frame=markup), encoding="utf-8")
    # reduced motion: the view jumps instead of gliding, so it is measured where it ends
    page = browser.new_page(viewport={"width": 1000, "height": 900}, reduced_motion="reduce")
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else 0)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(host.resolve().as_uri())
    frame = page.frames[1]
    frame.wait_for_function("() => document.body.dataset.step === '0'")
    frame.click("#ag-panel")  # as a reader clicks into the frame before using its keys
    return page, frame, errors


def check_in_view(frame: Any, presses: int, key: str = "ArrowRight") -> dict[str, Any]:
    """Press ``key`` ``presses`` times; after each, the step's node is in the frame, whole, and
    its text is at least 9 px."""
    seen: dict[str, Any] = {}
    for _ in range(presses):
        frame.page.keyboard.press(key)
        seen = frame.evaluate(MEASURE)
        if seen["node"] is None:
            continue
        assert inside(seen["node"], seen["figure"]), seen
        assert seen["font"] >= 9.0 and seen["textHeight"] >= 9.0, seen
    return seen


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(LARGE))
def test_a_large_page_follows_the_steps_and_stays_readable(
    browser: Any, tmp_path: Path, name: str
) -> None:
    root = LARGE[name]()
    page, frame, errors = notebook_frame(browser, root, tmp_path)
    first = frame.evaluate(MEASURE)
    # the page fills the output column; the frame is 720 px tall and nothing sticks out of it
    assert abs(first["pageWidth"] - first["windowWidth"]) < 1 and first["windowWidth"] > 880
    assert first["windowHeight"] == pytest.approx(718, abs=2)  # 720 px less its border
    assert first["figure"]["bottom"] <= first["windowHeight"]
    steps = payload(ag.viz.explain(root).html)["steps"]
    backward = [i for i, s in enumerate(steps) if s["phase"] == "backward"]
    # forward: the first steps, each node in view and its text readable
    seen = check_in_view(frame, 12)
    assert seen["step"] == 12 and seen["phase"] == "forward"
    assert seen["scale"] == pytest.approx(payload(ag.viz.to_html(root))["view"]["readable"])
    # backward: from the middle of the backward pass (reached from the end), 8 steps on
    middle = backward[len(backward) // 2]
    page.keyboard.press("End")
    for _ in range(len(steps) - 1 - middle):
        page.keyboard.press("ArrowLeft")
    assert frame.evaluate(MEASURE)["step"] == middle
    seen = check_in_view(frame, 8)
    assert seen["phase"] == "backward"
    # the end: every gradient of the list is in the panel, reachable by scrolling it, and the
    # panel is inside the frame
    page.keyboard.press("End")
    done = frame.evaluate(
        """() => {
      const panel = document.getElementById("ag-panel");
      const lines = Array.from(document.querySelectorAll("#ag-lines .ag-line"));
      const visible = [];
      for (const line of lines) {
        panel.scrollTop = line.offsetTop - panel.offsetTop - 4;
        const r = line.getBoundingClientRect(), p = panel.getBoundingClientRect();
        if (r.top >= p.top && r.bottom <= p.bottom && r.left >= p.left && r.right <= p.right)
          visible.push(line.textContent);
      }
      return {visible: visible, count: lines.length,
              overflow: getComputedStyle(panel).overflowY,
              bottom: panel.getBoundingClientRect().bottom, height: window.innerHeight};
    }"""
    )
    labelled = [v for v in ag.topological_order(root) if v.label and not v.parents]
    assert done["count"] == len(labelled) == len(done["visible"])
    assert done["visible"][-1].startswith(f"{labelled[-1].label}.grad = ")
    assert done["overflow"] == "auto" and done["bottom"] <= done["height"]
    assert errors == []
    page.close()


@pytest.mark.slow
def test_pan_and_zoom_with_buttons_keys_mouse_and_wheel(browser: Any, tmp_path: Path) -> None:
    driver = PageDriver(browser, ag.viz.to_html(six_neurons()), tmp_path)
    page = driver.page
    page.emulate_media(reduced_motion="reduce")

    def view() -> dict[str, float]:
        figure = page.locator("#ag-figure")
        transform = page.evaluate("() => document.querySelector('#ag-figure svg').style.transform")
        x, y = (float(v) for v in re.findall(r"(-?[\d.]+)px", transform)[:2])
        return {"scale": float(figure.get_attribute("data-scale") or 0), "x": x, "y": y}

    default = view()
    page.click("#ag-zoom-in")
    assert view()["scale"] == pytest.approx(default["scale"] * 1.25)
    page.click("#ag-zoom-out")
    page.click("#ag-zoom-out")
    assert view()["scale"] == pytest.approx(default["scale"] * 1.25 * 0.8 * 0.8)
    assert page.inner_text("#ag-zoom-level") == f"{round(view()['scale'] * 100)}%"
    page.keyboard.press("0")  # back to the default zoom
    assert view()["scale"] == pytest.approx(default["scale"])
    page.keyboard.press("+")
    assert view()["scale"] == pytest.approx(default["scale"] * 1.25)
    page.keyboard.press("-")
    assert view()["scale"] == pytest.approx(default["scale"])
    # F: the whole graph inside the frame
    page.keyboard.press("f")
    whole = page.evaluate(
        """() => [document.querySelector('#ag-figure svg').getBoundingClientRect().toJSON(),
                  document.getElementById('ag-figure').getBoundingClientRect().toJSON()]"""
    )
    assert inside(*whole)
    page.keyboard.press("0")
    page.keyboard.press("+")  # larger than the frame both ways: free to move
    page.keyboard.press("+")
    # drag moves the picture by the mouse's way; Shift + arrows move it; arrows still step
    before = view()
    box = page.locator("#ag-figure").bounding_box()
    page.mouse.move(box["x"] + 300, box["y"] + 200)
    page.mouse.down()
    page.mouse.move(box["x"] + 260, box["y"] + 150, steps=4)
    page.mouse.up()
    after = view()
    assert (after["x"] - before["x"], after["y"] - before["y"]) == pytest.approx((-40, -50))
    page.keyboard.press("Shift+ArrowUp")
    assert view()["y"] == pytest.approx(after["y"] + 80)
    assert driver.state()["step"] == 0
    assert driver.press("ArrowRight")["step"] == 1
    # the wheel zooms at the pointer: the point under it stays put
    after = view()
    scale = after["scale"]
    page.mouse.move(box["x"] + 200, box["y"] + 120)
    page.mouse.wheel(0, -200)
    page.wait_for_function(
        f"() => Number(document.getElementById('ag-figure').dataset.scale) > {scale}"
    )
    zoomed = view()
    ux = (200 - 1 - after["x"]) / scale  # the picture's point under the pointer, before
    assert (200 - 1 - zoomed["x"]) / zoomed["scale"] == pytest.approx(ux, abs=2)
    assert driver.errors == []
