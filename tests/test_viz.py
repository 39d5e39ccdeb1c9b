"""Graph pictures: DOT structure, SVG from each renderer, truncation, options and failure modes.

Renderer paths exercised here:

* ``graphviz-pure`` (a dependency of the package): always; a missing one is a failure.
* the system ``dot``: when Graphviz is installed (always in CI, where its absence fails;
  elsewhere the skip reason is reported);
  the *preference* for ``dot`` is also tested with a stand-in ``dot`` script on ``PATH``.
* the fallback (``PATH`` without ``dot``) and the missing-renderer error: always, by pointing
  ``PATH`` and the interpreter's scripts directory at temporary directories.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import stat
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import autograd_core as ag
from autograd_core import viz

SVG = "{http://www.w3.org/2000/svg}"
INPUT_FILL = "#dbeafe"
CONSTANT_FILL = "#f3f4f6"
OUTPUT_FILL = "#dcfce7"


# -- helpers ------------------------------------------------------------------------------------


def graphviz_pure_path() -> str:
    """The graphviz-pure program installed with the package; its absence fails the test."""
    path = shutil.which("graphviz-pure") or shutil.which(
        "graphviz-pure", path=os.path.dirname(sys.executable)
    )
    assert path is not None, "graphviz-pure is a dependency of autograd-core: pip install -e ."
    return path


def system_dot_path() -> str:
    path = shutil.which("dot")
    if path is None:
        # .ci/run installs Debian's graphviz, so in CI this path must run, never skip.
        if os.environ.get("CI"):
            pytest.fail("CI must exercise the system `dot` path: .ci/run installs graphviz")
        pytest.skip("system Graphviz (`dot`) is not installed; the graphviz-pure path still runs")
    return path


@pytest.fixture(params=["graphviz-pure", "dot"])
def program(request: pytest.FixtureRequest) -> str:
    """Each renderer path, by absolute path so the choice does not depend on search order."""
    return graphviz_pure_path() if request.param == "graphviz-pure" else system_dot_path()


def parse_svg(svg: str) -> dict[str, list[str]]:
    """SVG node and edge groups: title (the DOT id, or 'tail->head') -> their text lines."""
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    groups: dict[str, list[str]] = {}
    for g in root.iter(f"{SVG}g"):
        if g.get("class") not in ("node", "edge"):
            continue
        title = g.find(f"{SVG}title")
        assert title is not None and title.text is not None
        texts = [t.text or "" for t in g.iter(f"{SVG}text")]
        key = title.text
        groups[key if key not in groups else f"{key}#{len(groups)}"] = texts
    return groups


def node_groups(svg: str) -> list[ET.Element]:
    return [g for g in ET.fromstring(svg).iter(f"{SVG}g") if g.get("class") == "node"]


def micrograd_neuron() -> dict[str, ag.Value]:
    """The neuron of micrograd's lecture: o = tanh(x1·w1 + x2·w2 + b)."""
    x1, x2 = ag.Value(2.0, label="x1"), ag.Value(0.0, label="x2")
    w1, w2 = ag.Value(-3.0, label="w1"), ag.Value(1.0, label="w2")
    b = ag.Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    o = n.tanh()
    o.label = "o"
    o.backward()
    return {"x1": x1, "x2": x2, "w1": w1, "w2": w2, "b": b, "n": n, "o": o}


def value_ids(source: str) -> list[str]:
    """Ids of the value boxes declared in DOT text."""
    return re.findall(r"^\t(v\d+) \[", source, flags=re.MULTILINE)


def op_ids(source: str) -> list[str]:
    return re.findall(r"^\t(op\d+) \[", source, flags=re.MULTILINE)


def edges(source: str) -> list[tuple[str, str, str | None]]:
    """(tail, head, label) of every edge in DOT text."""
    found = re.findall(r"^\t(\w+) -> (\w+)(?: \[label=<([^>]*)>)?", source, flags=re.MULTILINE)
    return [(tail, head, label or None) for tail, head, label in found]


def id_of(source: str, label: str) -> str:
    """The DOT id of the value box whose bold label is ``label``."""
    match = re.search(rf"^\t(v\d+) \[label=<.*?<B>{re.escape(label)}</B>", source, re.MULTILINE)
    assert match, f"no box labelled {label!r}"
    return match.group(1)


def op_label(source: str, op_id: str) -> str:
    match = re.search(rf"^\t{op_id} \[label=<([^>]*)>", source, re.MULTILINE)
    assert match
    return match.group(1)


# -- the neuron, rendered by each renderer ------------------------------------------------------


def test_neuron_svg_shows_labels_data_grads_and_partials(program: str) -> None:
    v = micrograd_neuron()
    svg = ag.viz.to_svg(v["o"], program=program)
    groups = parse_svg(svg)

    # 5 inputs + x1w1, x2w2, their sum, n, o = 10 values; ×, ×, +, +, tanh = 5 ops (the legend
    # is the graph's label, not a node).
    assert len(node_groups(svg)) == 15
    text_of_value = {}
    for title, texts in groups.items():
        if title.startswith("v") and "->" not in title:
            text_of_value[title] = " ".join(texts)
    assert len(text_of_value) == 10

    # Gradients worked out by hand: dn = 1 - tanh(n)² = 1 - 1/2 = 0.5, then through the sums
    # (local derivative 1) and the products (the other factor).
    expected = {
        "x1": ("data 2", "grad -1.5"),
        "w1": ("data -3", "grad 1"),
        "x2": ("data 0", "grad 0.5"),
        "w2": ("data 1", "grad 0"),
        "b": ("data 6.881", "grad 0.5"),
        "o": ("data 0.7071", "grad 1"),
    }
    for label, (data, grad) in expected.items():
        matches = [t for t in text_of_value.values() if t.split(" ")[0] == label]
        assert len(matches) == 1, (label, text_of_value)
        assert data in matches[0] and grad in matches[0]

    op_texts = sorted(
        " ".join(t) for title, t in groups.items() if title.startswith("op") and "->" not in title
    )
    assert op_texts == ["+", "+", "tanh", "×", "×"]

    # Edge labels: x1 -> × carries w1 = -3, w1 -> × carries x1 = 2, x2 -> × carries w2 = 1,
    # w2 -> × carries x2 = 0, each sum input carries 1, n -> tanh carries 1 - tanh² = 0.5.
    edge_labels = sorted(
        " ".join(t) for title, t in groups.items() if "->" in title and title.startswith("v")
    )
    assert edge_labels == sorted(["-3", "2", "1", "0", "1", "1", "1", "1", "0.5"])
    assert "Generated by graphviz" in svg


def test_dot_source_of_the_neuron_has_one_box_per_value_and_partials_on_edges() -> None:
    v = micrograd_neuron()
    source = ag.viz.draw_graph(v["o"]).source
    assert len(value_ids(source)) == 10 and len(op_ids(source)) == 5
    x1, w1 = id_of(source, "x1"), id_of(source, "w1")
    into_products = {(t, label) for t, h, label in edges(source) if op_label(source, h) == "×"}
    assert (x1, "-3") in into_products and (w1, "2") in into_products


def test_operands_are_stacked_in_operand_order_in_the_picture() -> None:
    # x1 is declared before w1 and x2 before w2, so Graphviz puts x1 above w1 (reading order).
    v = micrograd_neuron()
    svg = ag.viz.to_svg(v["o"], program=graphviz_pure_path())
    heights = {}
    for g in node_groups(svg):
        texts = [t.text for t in g.iter(f"{SVG}text")]
        if texts and texts[0] in ("x1", "w1", "x2", "w2"):
            y_values = [float(t.get("y", "0")) for t in g.iter(f"{SVG}text")]
            heights[texts[0]] = min(y_values)
    assert heights["x1"] < heights["w1"] < heights["x2"] < heights["w2"]


# -- a DOT snapshot -----------------------------------------------------------------------------

# y = a*b + 1 with a = 2, b = -3: y = -5; dy/da = b = -3, dy/db = a = 2, and the mul node's
# grad is 1. Ids are positions in the walk from the output, breadth first in operand order: y
# (v0), a*b (v1), the constant 1 (v2, written inside its op as "+ 1" rather than drawn), a (v3),
# b (v4). Boxes are declared in that order; then the edges, each input edge labelled with
# ∂out/∂in.
SNAPSHOT = """\
digraph autograd_core {
	graph [fontname=Helvetica nodesep=0.25 rankdir=LR ranksep=0.4]
	node [fontname=Helvetica fontsize=11]
	edge [arrowsize=0.7 color="#4b5563" fontname=Helvetica fontsize=10]
	v0 [label=<<TABLE BORDER="2" CELLBORDER="0" CELLSPACING="0" CELLPADDING="2" STYLE="ROUNDED" BGCOLOR="#dcfce7" COLOR="#15803d"><TR><TD>data -5</TD></TR><TR><TD><FONT COLOR="#4b5563">grad 1</FONT></TD></TR></TABLE>> shape=plain]
	op0 [label=<+ 1> fontsize=12 color="#b45309" fillcolor="#fef3c7" height=0.3 margin="0.05,0.02" shape=ellipse style=filled]
	v1 [label=<<TABLE BORDER="1" CELLBORDER="0" CELLSPACING="0" CELLPADDING="2" STYLE="ROUNDED" BGCOLOR="#ffffff" COLOR="#6b7280"><TR><TD>data -6</TD></TR><TR><TD><FONT COLOR="#4b5563">grad 1</FONT></TD></TR></TABLE>> shape=plain]
	op1 [label=<×> fontsize=18 color="#b45309" fillcolor="#fef3c7" height=0.3 margin="0.05,0.02" shape=ellipse style=filled]
	v3 [label=<<TABLE BORDER="1" CELLBORDER="0" CELLSPACING="0" CELLPADDING="2" STYLE="ROUNDED" BGCOLOR="#dbeafe" COLOR="#2563eb"><TR><TD><B>a</B></TD></TR><TR><TD>data 2</TD></TR><TR><TD><FONT COLOR="#4b5563">grad -3</FONT></TD></TR></TABLE>> shape=plain]
	v4 [label=<<TABLE BORDER="1" CELLBORDER="0" CELLSPACING="0" CELLPADDING="2" STYLE="ROUNDED" BGCOLOR="#dbeafe" COLOR="#2563eb"><TR><TD><B>b</B></TD></TR><TR><TD>data -3</TD></TR><TR><TD><FONT COLOR="#4b5563">grad 2</FONT></TD></TR></TABLE>> shape=plain]
	v1 -> op0 [label=<1> fontcolor="#b91c1c"]
	op0 -> v0
	v3 -> op1 [label=<-3> fontcolor="#b91c1c"]
	v4 -> op1 [label=<2> fontcolor="#b91c1c"]
	op1 -> v1
}
"""


# Node groups in its SVG: a, b, a*b, y; the × and + ovals (the legend is the graph's label).
SNAPSHOT_NODES = 4 + 2


def snapshot_graph() -> ag.Value:
    a = ag.Value(2.0, label="a")
    b = ag.Value(-3.0, label="b")
    y = a * b + 1
    y.backward()
    return y


def test_dot_snapshot() -> None:
    assert ag.viz.draw_graph(snapshot_graph(), legend=False).source == SNAPSHOT


def test_dot_is_byte_identical_across_processes_and_hash_seeds() -> None:
    # ids come from graph position, never id() or set order: fresh interpreters with different
    # hash seeds and memory layouts must print the same bytes.
    script = textwrap.dedent(
        """
        import autograd_core as ag
        xs = [ag.Value(float(i), label=f"x{i}") for i in range(6)]
        y = ag.tanh(ag.dot(xs[:3], xs[3:], 0.5)) * 2 + ag.sum(x * x for x in xs)
        y.backward()
        print(ag.viz.draw_graph(y).source, end="")
        """
    )
    outputs = set()
    for seed in ("0", "1", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
        )
        outputs.add(done.stdout)
    assert len(outputs) == 1
    (source,) = outputs
    assert source.startswith("digraph autograd_core {")


# -- roles, legend, options ---------------------------------------------------------------------


def test_roles_are_coloured_and_the_legend_lists_only_the_roles_present() -> None:
    x = ag.Value(3.0, label="x")
    y = ag.sum([x * x, ag.Value(2.0)])  # the 2.0 is an unlabelled leaf of an n-ary op: drawn
    y.backward()
    source = ag.viz.draw_graph(y).source
    boxes = dict(re.findall(r"^\t(v\d+) \[label=<(.*)> shape=plain\]$", source, re.MULTILINE))
    fills = sorted(re.search(r'BGCOLOR="([^"]+)"', b).group(1) for b in boxes.values())  # type: ignore[union-attr]
    assert fills == sorted([INPUT_FILL, CONSTANT_FILL, "#ffffff", OUTPUT_FILL])
    legend = source[source.index("graph [fontsize=10 label=") :]
    for text in ("input / parameter", "constant", "intermediate value", "output", "∂out/∂in"):
        assert text in legend

    lone = ag.Value(1.0, label="w")
    legend = ag.viz.draw_graph(lone.tanh()).source.split("graph [fontsize=10 label=")[1]
    assert "constant" not in legend and "intermediate" not in legend
    assert "input / parameter" in legend and "output" in legend


def test_legend_can_be_left_out() -> None:
    source = ag.viz.draw_graph(snapshot_graph(), legend=False).source
    assert "legend" not in source and "label=" not in source.split("edge [")[0]


def test_show_grad_false_hides_gradients_and_show_partials_false_hides_edge_labels() -> None:
    y = snapshot_graph()
    source = ag.viz.draw_graph(y, show_grad=False).source
    assert "grad " not in source.split("graph [fontsize=10 label=")[0]
    assert "data -5" in source
    bare = ag.viz.draw_graph(y, show_partials=False, legend=False).source
    assert all(label is None for _, _, label in edges(bare))
    assert len(edges(bare)) == len(edges(SNAPSHOT))


@pytest.mark.parametrize("rankdir", ["LR", "TB", "RL", "BT"])
def test_rankdir(rankdir: str) -> None:
    source = ag.viz.draw_graph(snapshot_graph(), rankdir=rankdir).source
    assert f"rankdir={rankdir}" in source
    box = re.search(r"^\tv3 \[label=<(.*)> shape=plain\]$", source, re.MULTILINE)
    assert box is not None and "<B>a</B>" in box.group(1)
    rows = box.group(1).count("<TR>")
    # Left to right the box is a column (label, data, grad); top to bottom a single row.
    assert rows == (3 if rankdir in ("LR", "RL") else 1)


def test_bad_options_are_refused() -> None:
    y = snapshot_graph()
    with pytest.raises(ValueError, match="rankdir"):
        ag.viz.draw_graph(y, rankdir="up")
    for bad in (0, -5, True, 2.5):
        with pytest.raises(ValueError, match="max_nodes"):
            ag.viz.draw_graph(y, max_nodes=bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="not a float format spec"):
        ag.viz.draw_graph(y, number_format="%.3f")
    with pytest.raises(TypeError, match="number_format"):
        ag.viz.draw_graph(y, number_format=3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="expected a Value"):
        ag.viz.draw_graph(2.0)  # type: ignore[arg-type]


def test_number_format_spec_and_callable() -> None:
    x = ag.Value(1 / 3, label="x")
    y = x * 3.0
    y.backward()
    assert "data 0.33333" in ag.viz.draw_graph(y, number_format=".5f").source
    assert "data 0.3333" in ag.viz.draw_graph(y).source  # default: 4 significant digits
    source = ag.viz.draw_graph(y, number_format=lambda v: f"<{v:.1f}>").source
    assert "data &lt;0.3&gt;" in source  # custom text is escaped, never HTML
    with pytest.raises(TypeError, match="must return a str"):
        ag.viz.draw_graph(y, number_format=lambda v: v)  # type: ignore[arg-type, return-value]


def test_negative_zero_is_shown_as_zero_and_infinite_partials_as_inf() -> None:
    z = ag.Value(0.0, label="z")
    y = z.sqrt() * -1.0  # ∂sqrt/∂z at 0 is +inf (PyTorch's convention)
    source = ag.viz.draw_graph(y, legend=False).source
    assert "data -0<" not in source and "data 0<" in source
    assert "inf" in {label for _, _, label in edges(source)}


# -- constants, parameters and fused ops --------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "expected"),
    [
        (lambda x: 2 * x, "2 ×"),
        (lambda x: x * 2, "× 2"),
        (lambda x: 2 - x, "2 −"),
        (lambda x: x - 2, "− 2"),
        (lambda x: x / 4, "÷ 4"),
        (lambda x: 2**x, "2 **"),
        (lambda x: x**3, "** 3"),
        (lambda x: x.leaky_relu(0.1), "leaky_relu(0.1)"),
        (lambda x: ag.Value(0.5).tanh() + x, "tanh(0.5)"),
        (lambda x: ag.Value(2.0) * ag.Value(3.0) + x, "2 × 3"),
        (lambda x: ag.Value(0.5) ** 3 + x, "0.5 ** 3"),
        (lambda x: ag.Value(-2.0).leaky_relu(0.1) + x, "leaky_relu(-2, 0.1)"),
        (lambda x: -ag.Value(2.0) + x, "−(2)"),
    ],
)
def test_constants_are_written_inside_their_op(build, expected: str) -> None:  # type: ignore[no-untyped-def]
    y = build(ag.Value(1.5, label="x"))
    source = ag.viz.draw_graph(y, legend=False).source
    assert expected in [op_label(source, op) for op in op_ids(source)]
    assert CONSTANT_FILL not in source  # no separate constant box


def test_inline_constants_false_draws_constants_as_boxes() -> None:
    x = ag.Value(1.5, label="x")
    y = 2 * x
    y.backward()
    source = ag.viz.draw_graph(y, inline_constants=False, legend=False).source
    assert len(value_ids(source)) == 3
    assert CONSTANT_FILL in source
    # Both operand edges carry their partial: ∂(2x)/∂2 = x = 1.5, ∂(2x)/∂x = 2.
    assert sorted(label for _, h, label in edges(source) if h.startswith("op")) == ["1.5", "2"]


def test_a_shared_constant_is_drawn_where_it_cannot_be_inlined() -> None:
    x = ag.Value(1.0, label="x")
    c = ag.Value(5.0)
    y = ag.sum([x * c, c])  # c is inlined into the × but is an operand of the n-ary Σ too
    source = ag.viz.draw_graph(y, legend=False).source
    assert "× 5" in [op_label(source, op) for op in op_ids(source)]
    assert source.count(f'BGCOLOR="{CONSTANT_FILL}"') == 1


def test_fused_dot_is_one_node_with_one_edge_per_operand() -> None:
    ws = [ag.Value(w, label=f"w{i}") for i, w in enumerate([0.5, -1.0, 2.0])]
    xs = [ag.Value(x, label=f"x{i}") for i, x in enumerate([1.0, 3.0, -2.0])]
    b = ag.Value(0.25, label="b")
    out = ag.tanh(ag.dot(ws, xs, b))
    out.backward()
    source = ag.viz.draw_graph(out, legend=False).source
    labels = [op_label(source, op) for op in op_ids(source)]
    assert sorted(labels) == ["tanh", "Σ w·x + b"]
    (dot_op,) = [op for op in op_ids(source) if op_label(source, op) == "Σ w·x + b"]
    into_dot = {tail: label for tail, head, label in edges(source) if head == dot_op}
    assert len(into_dot) == 7
    # ∂(w·x + b)/∂w_i = x_i, ∂/∂x_i = w_i, ∂/∂b = 1
    for i, (w, x) in enumerate(zip([0.5, -1.0, 2.0], [1.0, 3.0, -2.0])):
        assert into_dot[id_of(source, f"w{i}")] == format(x, ".4g")
        assert into_dot[id_of(source, f"x{i}")] == format(w, ".4g")
    assert into_dot[id_of(source, "b")] == "1"


def test_a_value_used_twice_gets_two_edges() -> None:
    x = ag.Value(3.0, label="x")
    y = x * x
    source = ag.viz.draw_graph(y, legend=False).source
    x_id = id_of(source, "x")
    assert [label for t, _, label in edges(source) if t == x_id] == ["3", "3"]


def test_partials_that_are_values_are_shown_by_their_data() -> None:
    # A gradient graph (higher order) may hold Values as partials; the picture shows the number.
    a, b = ag.Value(2.0, label="a"), ag.Value(5.0, label="b")
    node = a * b
    node.partials = (ag.Value(5.0), ag.Value(2.0))
    source = ag.viz.draw_graph(node, legend=False).source
    assert sorted(label for _, _, label in edges(source) if label) == ["2", "5"]


def test_a_lone_leaf_is_drawn_as_the_output() -> None:
    x = ag.Value(3.0, label="x")
    source = ag.viz.draw_graph(x).source
    assert value_ids(source) == ["v0"] and op_ids(source) == []
    assert OUTPUT_FILL in source and "operation" not in source


def test_hostile_labels_are_escaped(program: str) -> None:
    evil = '"</TD></TR></TABLE>>]; evil [label="pwned"]; <b>&amp;\\N'
    x = ag.Value(1.0, label=evil)
    svg = ag.viz.to_svg(x * 2, program=program)
    assert "pwned" not in [title for title in parse_svg(svg) if "->" not in title]
    texts = [t for texts in parse_svg(svg).values() for t in texts]
    assert any(t.startswith('"</TD></TR></TABLE>>]; evil') for t in texts)


def test_long_labels_are_shortened() -> None:
    x = ag.Value(1.0, label="a_really_long_parameter_name_that_goes_on_and_on")
    source = ag.viz.draw_graph(x, legend=False).source
    assert "<B>a_really_long_parameter_name_th…</B>" in source


def test_value_draw_is_draw_graph() -> None:
    y = snapshot_graph()
    drawing = y.draw(legend=False)
    assert isinstance(drawing, ag.viz.GraphDrawing)
    assert drawing.source == SNAPSHOT


# -- large graphs -------------------------------------------------------------------------------


def chain(n: int) -> tuple[ag.Value, ag.Value]:
    """x, then n steps y = y * 1.001 + 0.001: 2n + 1 boxes (the constants are inlined)."""
    x = ag.Value(0.5, label="x")
    y = x
    for _ in range(n):
        y = y * 1.001 + 0.001
    return x, y


def test_max_nodes_truncates_with_a_more_node(program: str) -> None:
    _, y = chain(1000)
    y.label = "y"
    y.backward()
    drawing = ag.viz.draw_graph(y, max_nodes=50)
    source = drawing.source
    assert len(value_ids(source)) == 50
    # 2001 boxes in all, 50 drawn: the box marks the cut, the caption under the picture says
    # how many and how to see them (text beside the picture, not inside it).
    assert "+1951 more values" in source and "max_nodes" not in source
    assert "1,951 values not drawn" in drawing.caption and "now 50" in drawing.caption
    # Both ends are drawn: the output y and the input x, with the steps nearest to each.
    assert "<B>y</B>" in source and "<B>x</B>" in source
    # The cut is in the middle: one dashed edge from the input side into "more", one out of it.
    into_more = [t for t, h, _ in edges(source) if h == "more"]
    out_of_more = [h for t, h, _ in edges(source) if t == "more"]
    assert len(into_more) == 1 and len(out_of_more) == 1
    assert drawing.summary is not None and drawing.summary.hidden == 1951
    svg = ag.viz.to_svg(y, max_nodes=50, program=program)
    assert len(node_groups(svg)) == 50 + len(op_ids(source)) + 1  # values, ops, "more"
    texts = " ".join(t for texts in parse_svg(svg).values() for t in texts)
    assert "x" in texts.split() and "y" in texts.split()


def test_default_max_nodes_keeps_big_graphs_small() -> None:
    _, y = chain(5000)
    drawing = ag.viz.draw_graph(y)
    source = drawing.source
    assert drawing.summary is not None
    assert drawing.summary.boxes <= ag.viz.DEFAULT_MAX_NODES
    assert drawing.summary.edges <= 3 * ag.viz.DEFAULT_MAX_NODES
    assert len(value_ids(source)) == drawing.summary.boxes
    assert source.count(" -> ") == drawing.summary.edges
    assert len(source) < 200_000
    assert f"+{10001 - drawing.summary.boxes} more values" in source


def test_no_truncation_note_when_the_graph_fits() -> None:
    _, y = chain(10)
    source = ag.viz.draw_graph(y, max_nodes=21).source
    assert len(value_ids(source)) == 21 and "more values" not in source


@pytest.mark.slow
def test_a_100k_node_graph_draws_without_recursion() -> None:
    x = ag.Value(0.5, label="x")
    y = x
    for _ in range(100_000):
        y = y * 1.0
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(200)  # any recursion over the graph would fail at once
    try:
        source = ag.viz.draw_graph(y, max_nodes=None).source
    finally:
        sys.setrecursionlimit(limit)
    assert len(value_ids(source)) == 100_001
    assert len(op_ids(source)) == 100_000
    assert "more values" not in source


def test_a_wide_graph_keeps_the_output_and_some_inputs_with_their_ops() -> None:
    xs = [ag.Value(float(i), label=f"x{i}") for i in range(400)]
    y = ag.sum(x * 2 for x in xs)
    drawing = ag.viz.draw_graph(y, max_nodes=101)
    source = drawing.source
    assert drawing.summary is not None
    assert len(value_ids(source)) == drawing.summary.boxes <= 101
    assert source.count(" -> ") == drawing.summary.edges <= 303
    # The output; the products nearest to it (breadth first); and on the input side whole
    # x_i -> x_i * 2 pairs, from x0 on.
    assert "v0" in value_ids(source)
    assert "<B>x0</B>" in source and "<B>x1</B>" in source
    drawn_inputs = re.findall(r"<B>x(\d+)</B>", source)
    for i in drawn_inputs:
        x_id = id_of(source, f"x{i}")
        assert [h for t, h, _ in edges(source) if t == x_id], f"x{i} is drawn without its op"
    assert f"+{801 - drawing.summary.boxes} more values" in source


# -- renderers ---------------------------------------------------------------------------------


def isolated_path(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, programs: dict[str, str]
) -> Path:
    """PATH = one directory holding only ``programs`` (name -> target); no scripts fallback."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, target in programs.items():
        (bin_dir / name).symlink_to(target)
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.setattr(viz, "_interpreter_script_dirs", lambda: [])
    return bin_dir


def test_fallback_to_graphviz_pure_when_dot_is_not_on_path(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    isolated_path(monkeypatch, tmp_path, {"graphviz-pure": graphviz_pure_path()})
    renderer = ag.viz.find_renderer()
    assert renderer.name == "graphviz-pure"
    svg = ag.viz.to_svg(snapshot_graph())
    assert "(graphviz-pure)" in svg  # its version comment
    assert len(node_groups(svg)) == SNAPSHOT_NODES


def test_graphviz_pure_next_to_the_interpreter_is_found_without_path(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # A venv's scripts are there even when the venv is not activated (many Jupyter kernels).
    isolated_path(monkeypatch, tmp_path, {})
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    (scripts / "graphviz-pure").symlink_to(graphviz_pure_path())
    monkeypatch.setattr(viz, "_interpreter_script_dirs", lambda: [str(scripts)])
    assert ag.viz.find_renderer().path == str(scripts / "graphviz-pure")
    assert ag.viz.to_svg(snapshot_graph()).startswith("<?xml")


def test_interpreter_script_dirs_include_this_pythons_bin() -> None:
    assert os.path.dirname(sys.executable) in viz._interpreter_script_dirs()


def test_system_dot_is_preferred_when_on_path(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # A stand-in `dot` that answers with a marker: proves the choice without needing Graphviz.
    fake = tmp_path / "fake-dot"
    fake.write_text('#!/bin/sh\ncat > /dev/null\necho "<svg>fake dot $*</svg>"\n')
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    isolated_path(monkeypatch, tmp_path, {"graphviz-pure": graphviz_pure_path(), "dot": str(fake)})
    assert ag.viz.find_renderer().name == "dot"
    assert ag.viz.to_svg(snapshot_graph()).strip() == "<svg>fake dot -q -Tsvg</svg>"
    # ...unless a program is named explicitly.
    assert "(graphviz-pure)" in ag.viz.to_svg(snapshot_graph(), program="graphviz-pure")


def test_real_system_dot_renders_when_installed() -> None:
    dot = system_dot_path()
    assert ag.viz.find_renderer().path == dot
    svg = ag.viz.to_svg(snapshot_graph(), program="dot")
    assert "graphviz-pure" not in svg and len(node_groups(svg)) == SNAPSHOT_NODES


def test_missing_renderer_says_what_to_install_and_dot_text_still_works(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    isolated_path(monkeypatch, tmp_path, {})
    y = snapshot_graph()
    with pytest.raises(ag.viz.RendererNotFoundError) as info:
        ag.viz.to_svg(y)
    message = str(info.value)
    assert "pip install graphviz-pure" in message and "`dot`" in message
    assert "apt-get install graphviz" in message and ".source" in message
    with pytest.raises(ag.viz.RendererNotFoundError):
        ag.viz.save_graph(y, tmp_path / "g.png")
    assert ag.viz.draw_graph(y, legend=False).source == SNAPSHOT
    assert (
        ag.viz.save_graph(y, tmp_path / "g.dot").read_text(encoding="utf-8").startswith("digraph")
    )
    # In Jupyter the object shows the reason and the DOT text instead of raising.
    bundle = y.draw()._repr_mimebundle_()
    assert list(bundle) == ["text/plain"]
    assert "pip install graphviz-pure" in bundle["text/plain"]
    with pytest.raises(ag.viz.RendererNotFoundError, match="'graphviz-pure' was not found"):
        ag.viz.find_renderer("graphviz-pure")


def test_a_failing_renderer_raises_render_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    broken = tmp_path / "broken-dot"
    broken.write_text("#!/bin/sh\necho 'syntax error in line 1' >&2\nexit 3\n")
    broken.chmod(broken.stat().st_mode | stat.S_IXUSR)
    with pytest.raises(ag.viz.RenderError, match="syntax error in line 1"):
        ag.viz.to_svg(snapshot_graph(), program=str(broken))
    isolated_path(monkeypatch, tmp_path, {"dot": str(broken)})
    bundle = snapshot_graph().draw()._repr_mimebundle_()
    assert list(bundle) == ["text/plain"]
    assert "dot could not render svg: syntax error in line 1" in bundle["text/plain"]


def test_jupyter_display_is_the_picture_framed_with_a_text_description(
    program: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    isolated_path(monkeypatch, tmp_path, {Path(program).name: program})
    y = snapshot_graph()
    drawing = y.draw()
    bundle = drawing._repr_mimebundle_()
    # One picture per output: JupyterLab shows text/html (trusted or, sanitized, not) and never
    # an SVG or PNG beside it, so the bundle carries none (they would only grow the notebook).
    assert sorted(bundle) == ["text/html", "text/plain"]
    html_text = bundle["text/html"]
    assert isinstance(html_text, str)
    image = re.search(r'<img src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"', html_text)
    assert image is not None
    svg = base64.b64decode(image[1]).decode("utf-8")
    assert len(node_groups(svg)) == SNAPSHOT_NODES
    # Scaled to the column, and a click (a <details>, no JavaScript) shows it at full size.
    assert "max-width:100%;height:auto" in html_text
    assert "<details" in html_text and "<summary" in html_text
    assert "details[open]>summary>img{max-width:none" in html_text
    assert "<script" not in html_text.lower()
    # Untrusted notebooks and text front ends: what the picture is, never "<... at 0x...>".
    values = ag.topological_order(y)
    operations = [v for v in values if v.parents]
    text = bundle["text/plain"]
    assert isinstance(text, str) and "at 0x" not in text and "at 0x" not in repr(drawing)
    assert f"{len(values)} values, {len(operations)} operations" in text
    assert f"graph of {y.label or 'the output'}: " in text and "run the cell" in text
    # Asked for one type (a text-only terminal), nothing is rendered for the others.
    assert list(drawing._repr_mimebundle_(include=["text/plain"])) == ["text/plain"]
    png = snapshot_graph().draw().pipe(format="png")
    assert isinstance(png, bytes) and png.startswith(b"\x89PNG")


def test_labels_with_markup_stay_escaped_in_the_notebook_display() -> None:
    attack = '</div><script>alert("x")</script><img src=x onerror=alert(1)>'
    x = ag.Value(2.0, label=attack)
    y = x * x
    y.label = attack
    drawing = y.draw()
    html_text = drawing._repr_html_()
    assert "<script" not in html_text.lower() and "onerror=alert" not in html_text
    assert "&lt;script&gt;" in html_text  # the description, escaped in the alt text
    image = re.search(r'src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"', html_text)
    assert image is not None
    svg = base64.b64decode(image[1]).decode("utf-8")
    ET.fromstring(svg)  # still well-formed XML
    assert "<script" not in svg and "&lt;script&gt;" in svg


# -- saving ------------------------------------------------------------------------------------


def test_save_graph_picks_the_format_from_the_extension(program: str, tmp_path: Path) -> None:
    y = snapshot_graph()
    svg = ag.viz.save_graph(y, tmp_path / "g.svg", program=program)
    assert len(node_groups(svg.read_text(encoding="utf-8"))) == SNAPSHOT_NODES
    png = ag.viz.save_graph(y, tmp_path / "g.PNG", program=program)
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    dot = ag.viz.save_graph(y, tmp_path / "g.gv", legend=False)
    assert dot.read_text(encoding="utf-8") == SNAPSHOT
    forced = ag.viz.save_graph(y, tmp_path / "picture", format="svg", program=program)
    assert forced.read_text(encoding="utf-8").startswith("<?xml")


def test_save_graph_refuses_unknown_formats(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cannot tell the format"):
        ag.viz.save_graph(snapshot_graph(), tmp_path / "g.jpeg")
    with pytest.raises(ValueError, match="format must be"):
        ag.viz.save_graph(snapshot_graph(), tmp_path / "g.svg", format="gif")


def test_pdf_needs_system_dot(tmp_path: Path) -> None:
    with pytest.raises(ag.viz.RenderError, match="graphviz-pure cannot write PDF"):
        ag.viz.save_graph(snapshot_graph(), tmp_path / "g.pdf", program=graphviz_pure_path())
    system_dot_path()
    pdf = ag.viz.save_graph(snapshot_graph(), tmp_path / "g.pdf", program="dot")
    assert pdf.read_bytes().startswith(b"%PDF")


def test_committed_readme_picture_is_the_neuron() -> None:
    svg_path = Path(__file__).resolve().parents[1] / "docs" / "assets" / "neuron.svg"
    svg = svg_path.read_text(encoding="utf-8")
    texts = " ".join(t for texts in parse_svg(svg).values() for t in texts)
    for expected in ("x1", "w1", "x2", "w2", "b", "out", "tanh", "grad -1.5", "data 0.7071"):
        assert expected in texts
    assert len(node_groups(svg)) == 10 + 5  # values, ops: nothing missing
    assert ">legend<" in svg


def test_the_legend_sits_in_the_bottom_left_corner(program: str) -> None:
    _, y = chain(30)
    y.backward()
    svg = ag.viz.to_svg(y, program=program, rankdir="LR")
    root = ET.fromstring(svg)
    texts = [
        (t.text or "", float(t.get("x", "0")), float(t.get("y", "0")))
        for t in root.iter(f"{SVG}text")
    ]
    graph = root.find(f"{SVG}g")
    assert graph is not None
    legend = [t for t in texts if t[0] == "legend"]
    assert len(legend) == 1
    _, lx, ly = legend[0]
    node_texts = [
        (x, yy)
        for g in node_groups(svg)
        for t in g.iter(f"{SVG}text")
        for x, yy in [(float(t.get("x", "0")), float(t.get("y", "0")))]
    ]
    # SVG y grows downwards: the legend is below every box, and at the left edge.
    assert all(ly > yy for _, yy in node_texts)
    width = float(root.get("width", "0").removesuffix("pt"))
    assert lx < width / 4
