"""Every picture is bounded in time and memory, its text is safe and its file whole (issue 14).

Also ``draw_graph(y).render(...)`` without the system ``dot`` (issue 10).
"""

from __future__ import annotations

import html
import os
import re
import stat
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import autograd_core as ag
from autograd_core import cli, ops, viz

from .test_viz import graphviz_pure_path, isolated_path, node_groups, system_dot_path


@pytest.fixture(params=["graphviz-pure", "dot"])
def program(request: pytest.FixtureRequest) -> str:
    """Each renderer, as in test_viz (the system `dot` is skipped only outside CI)."""
    return graphviz_pure_path() if request.param == "graphviz-pure" else system_dot_path()


def fan_out(terms: int) -> tuple[ag.Value, ag.Value]:
    """x + x + … + x: one value used by operations at every depth of a chain."""
    x = ag.Value(1.0, label="x")
    y = x
    for _ in range(terms - 1):
        y = y + x
    y.backward()
    return x, y


def hub_source(terms: int) -> str:
    """DOT of x + … + x drawn the old way, every use an edge from one box: a layout that takes
    Graphviz far longer than any time limit here (60 terms: 15 s, 100 terms: over a minute)."""
    lines = ["digraph { rankdir=LR", "x"]
    for i in range(1, terms):
        lines.append(f"s{i} -> s{i + 1} [label=1]; x -> s{i + 1} [label=1]")
    return "\n".join(lines) + "\n}\n"


# -- the walk stops ---------------------------------------------------------------------------


def test_the_walk_stops_at_the_budget_instead_of_visiting_the_whole_graph() -> None:
    x = ag.Value(0.5, label="x")
    y = x
    for _ in range(50_000):
        y = y * 1.0  # two parents each: 100,000 edges in all
    started = time.perf_counter()
    drawing = viz.draw_graph(y)  # 300 boxes of a 50,001-value chain
    elapsed = time.perf_counter() - started
    assert drawing.summary is not None
    assert not drawing.summary.complete
    assert drawing.summary.walked <= 100 * viz.DEFAULT_MAX_NODES < 100_000
    assert drawing.summary.boxes <= viz.DEFAULT_MAX_NODES
    assert "and more beyond" in drawing.source and "the walk stopped after" in drawing.caption
    assert "<B>x</B>" not in drawing.source
    assert elapsed < 2.0
    # With a budget that covers the chain, the walk reaches the input, and draws it.
    larger = viz.draw_graph(y, max_nodes=1000, legend=False)
    assert larger.summary is not None and larger.summary.complete
    assert "<B>x</B>" in larger.source


def test_max_nodes_bounds_edges_as_well_as_boxes() -> None:
    # Every product of 40 inputs with 40 weights, summed: 1,600 edges into one Σ.
    xs = [ag.Value(float(i), label=f"x{i}") for i in range(40)]
    ws = [ag.Value(1.0, label=f"w{i}") for i in range(40)]
    y = ag.sum(x * w for x in xs for w in ws)
    drawing = viz.draw_graph(y, max_nodes=100)
    assert drawing.summary is not None
    edges = drawing.source.count(" -> ")
    assert edges == drawing.summary.edges <= 300
    assert len(re.findall(r"^\t(v\d+|c\w+) \[", drawing.source, re.M)) <= 100


# -- many uses of one value --------------------------------------------------------------------


def test_a_value_with_many_uses_at_many_depths_is_copied_beside_each_use() -> None:
    x, y = fan_out(20)
    source = viz.draw_graph(y, legend=False).source
    full = re.findall(r"^\t(v\d+) \[label=<.*<B>x</B>", source, re.M)
    copies = re.findall(r"^\t(c\w+) \[label=<.*DASHED.*>x</FONT>", source, re.M)
    assert len(full) == 1 and len(copies) == 18  # the first + uses the full box: x + x
    heads = re.findall(rf"^\t{full[0]} -> (op\d+)", source, re.M)
    assert len(heads) == 2 and len(set(heads)) == 1
    # each copy has one edge, into its own op; every op gets x once (or twice, the first)
    for copy in copies:
        assert len(re.findall(rf"^\t{copy} -> op\d+", source, re.M)) == 1
    # few uses, or many at one depth, stay one box with edges
    _, small = fan_out(8)
    assert "DASHED" not in viz.draw_graph(small, legend=False).source
    wide = ag.sum(x * float(i) for i in range(30))
    assert "DASHED" not in viz.draw_graph(wide, legend=False).source


@pytest.mark.parametrize("terms", [100, 1000, 3000])
def test_fan_out_formulas_render_or_fail_clearly_within_the_limit_through_the_cli(
    terms: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    formula = "+".join(["x"] * terms)
    target = tmp_path / "h.svg"
    started = time.perf_counter()
    status = cli.main(["graph", formula, "x=1", "-o", str(target)])
    elapsed = time.perf_counter() - started
    err = capsys.readouterr().err
    assert elapsed < viz.DEFAULT_TIMEOUT + 5
    if status == 0:
        svg = target.read_text(encoding="utf-8")
        ET.fromstring(svg)
        assert len(node_groups(svg)) <= viz.DEFAULT_MAX_NODES * 2 + 1  # boxes, ops, "more"
    else:  # the parser may refuse a formula this long: one clear line, no picture
        assert status == 2 and err.count("\n") == 1 and "error:" in err
        assert not target.exists()


@pytest.mark.parametrize("terms", [100, 1000, 3000])
def test_fan_out_graphs_render_within_the_limit(program: str, terms: int) -> None:
    _, y = fan_out(terms)
    started = time.perf_counter()
    svg = viz.to_svg(y, program=program)
    assert time.perf_counter() - started < viz.DEFAULT_TIMEOUT
    ET.fromstring(svg)


# -- the renderer's time limit ---------------------------------------------------------------


def test_a_renderer_over_its_time_limit_is_stopped_with_a_clear_error(program: str) -> None:
    started = time.perf_counter()
    with pytest.raises(viz.RenderTimeoutError) as info:
        viz.render_source(hub_source(100), "svg", program=program, timeout=1.0)
    assert time.perf_counter() - started < 4.0
    message = str(info.value)
    assert "within 1 s" in message and "stopped" in message
    assert "collapse='neuron'" in message and "max_nodes" in message and "timeout=" in message
    assert isinstance(info.value, viz.RenderError)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads process states in /proc")
def test_the_renderer_and_what_it_started_are_killed(tmp_path: Path) -> None:
    # A stand-in renderer that starts a child and waits: both must be gone after the timeout.
    pids = tmp_path / "pids"
    slow = tmp_path / "slow-dot"
    slow.write_text(f"#!/bin/sh\nsleep 60 &\necho $$ $! > {pids}\nwait\n")
    slow.chmod(slow.stat().st_mode | stat.S_IXUSR)
    with pytest.raises(viz.RenderTimeoutError):
        viz.render_source("digraph { a }", "svg", program=str(slow), timeout=0.5)
    for pid in map(int, pids.read_text().split()):
        assert not _running(pid), f"process {pid} is still running"


def _running(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie waiting for its parent is not)."""
    deadline = time.monotonic() + 2.0
    while True:
        try:
            with open(f"/proc/{pid}/stat") as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            return False
        if state in ("Z", "X"):
            return False
        if time.monotonic() > deadline:
            return True
        time.sleep(0.05)


def test_the_time_limit_is_configurable_and_checked(tmp_path: Path) -> None:
    y = ag.Value(2.0, label="x") * 3
    assert viz.to_svg(y, timeout=30).startswith("<?xml")
    assert viz.to_svg(y, timeout=None).startswith("<?xml")
    for bad in (0, -1.0, float("nan")):
        with pytest.raises(ValueError, match="timeout"):
            viz.to_svg(y, timeout=bad)
    with pytest.raises(TypeError, match="timeout"):
        viz.to_svg(y, timeout="5")  # type: ignore[arg-type]
    drawing = y.draw()
    drawing.timeout = 1e-9  # no renderer starts that fast: the display says why, not a trace
    bundle = drawing._repr_mimebundle_()
    assert list(bundle) == ["text/plain"] and "stopped" in bundle["text/plain"]
    with pytest.raises(viz.RenderTimeoutError):
        drawing.pipe()


@pytest.mark.skipif(sys.platform != "linux", reason="the memory limit is set with prlimit")
def test_a_renderer_out_of_memory_fails_with_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # A stand-in renderer that wants 600 MB. (A real renderer's peak depends on its threads
    # and libraries, which makes a tight limit on it flaky as a test.)
    greedy = tmp_path / "greedy-dot"
    greedy.write_text(f"#!/bin/sh\nexec {sys.executable} -c 'bytearray(600 * 2**20)'\n")
    greedy.chmod(greedy.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setattr(viz, "_MEMORY_LIMIT", 300 * 2**20)
    with pytest.raises(viz.RenderError, match="probably out of memory") as info:
        viz.render_source("digraph { a }", "svg", program=str(greedy))
    assert "MemoryError (probably out of memory: the renderer may use 300 MB" in str(info.value)
    assert "collapse='neuron'" in str(info.value)
    monkeypatch.setattr(viz, "_MEMORY_LIMIT", 2 * 2**30)
    assert viz.render_source("digraph { a }", "svg", program=str(greedy)) == b""


# -- render() with no system Graphviz ----------------------------------------------------------


def test_render_works_with_graphviz_pure_when_dot_is_missing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    isolated_path(monkeypatch, tmp_path, {"graphviz-pure": graphviz_pure_path()})
    x = ag.Value(2.0, label="x")
    o = (x * x).tanh()
    o.backward()
    out = tmp_path / "out"
    path = o.draw().render("g", directory=out, format="png")
    assert Path(path) == out / "g.png"
    assert (out / "g.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert (out / "g").read_text(encoding="utf-8").startswith("digraph autograd_core")
    # outfile picks the format; cleanup removes the DOT source
    path = o.draw().render(outfile=out / "picture.svg", cleanup=True)
    assert Path(path) == out / "picture.svg" and not (out / "picture.gv").exists()
    assert "(graphviz-pure)" in (out / "picture.svg").read_text(encoding="utf-8")


# -- hostile text -----------------------------------------------------------------------------

HOSTILE = "a\x00b\x07c\ufffe\ud800\uffff\x1b[31m\U0010ffff\ufdd0\n"


def test_hostile_labels_symbols_and_number_text_give_svg_that_parses(program: str) -> None:
    x = ag.Value(1.0, label=HOSTILE)
    # an op that was never registered, with a hostile symbol
    weird = ops.Op("weird", lambda v: v, lambda out, v: (1.0,), symbol="e\x00\ufffe\udfff")
    y = weird(x) * 2
    y.label = "\x1f" * 3
    y.backward()
    svg = viz.to_svg(y, program=program, number_format=lambda v: f"{v:g}\x00\ud801")
    root = ET.fromstring(svg)  # raises on any character XML forbids
    texts = " ".join(t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text"))
    assert "a\\x00b\\x07c\\ufffe\\ud800\\uffff" in texts  # shown, escaped, not dropped
    assert "e\\x00\\ufffe\\udfff" in texts and "\\x1f\\x1f\\x1f" in texts
    assert "2\\x00\\ud801" in texts
    for view in ("neuron", "layer"):
        w = ag.Value(0.5, label=HOSTILE + ".w0")
        z = ag.dot([w], [x], ag.Value(0.0, label=HOSTILE + ".b")).relu()
        ET.fromstring(viz.to_svg(z, program=program, collapse=view))


# -- files appear whole ------------------------------------------------------------------------


def test_save_graph_writes_atomically_and_leaves_the_old_file_on_failure(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    y = ag.Value(2.0, label="x") * 3
    target = tmp_path / "g.svg"
    target.write_text("old picture")
    target.chmod(0o600)

    def failing_fsync(fd: int) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="disk full"):
        viz.save_graph(y, target)
    assert target.read_text() == "old picture"
    assert [p.name for p in tmp_path.iterdir()] == ["g.svg"]  # no temporary file left
    monkeypatch.undo()
    viz.save_graph(y, target)
    assert target.read_text(encoding="utf-8").startswith("<?xml")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600  # the file's mode is kept


def test_save_graph_to_a_symlink_replaces_the_file_it_points_to(tmp_path: Path) -> None:
    real = tmp_path / "pictures" / "run-7.svg"
    real.parent.mkdir()
    real.write_text("old")
    link = tmp_path / "latest.svg"
    link.symlink_to(real)
    viz.save_graph(ag.Value(1.0, label="x").tanh(), link)
    assert link.is_symlink() and real.read_text(encoding="utf-8").startswith("<?xml")


def test_cli_train_picture_is_bounded_for_a_wide_network(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Issue 14: `train --hidden 128 128 --epochs 1` spent 90-115 s drawing graph.svg.
    started = time.perf_counter()
    argv = ["train", "--hidden", "128", "128", "--epochs", "1", "--samples", "20"]
    status = cli.main([*argv, "--no-progress", "--out", str(tmp_path)])
    elapsed = time.perf_counter() - started
    assert status == 0
    assert "one box per layer" in capsys.readouterr().out
    assert elapsed < 15
    ET.fromstring((tmp_path / "graph.svg").read_text(encoding="utf-8"))


# -- pictures that fit (issue 24) ---------------------------------------------------------------


def network_sample_loss() -> tuple[ag.Value, int]:
    """A learner's first real graph: the squared error of one sample through a 2-16-16-1 MLP."""
    model = ag.nn.MLP(2, [16, 16, 1], seed=0)
    loss = (model([0.5, -1.0]) - 1.0) ** 2
    loss.label = "loss"
    loss.backward()
    return loss, len(ag.topological_order(loss))


def rendered_size(drawing: viz.GraphDrawing, program: str) -> tuple[float, float]:
    """(width, height) in CSS px, read from the rendered SVG's attributes (pt: 4/3 px)."""
    svg = viz.render_source(drawing.source, "svg", program=program).decode("utf-8")
    root = ET.fromstring(svg)
    width, height = root.get("width", ""), root.get("height", "")
    assert width.endswith("pt") and height.endswith("pt")
    return float(width[:-2]) * 4 / 3, float(height[:-2]) * 4 / 3


def test_a_network_loss_is_drawn_in_the_view_that_fits_and_the_caption_says_so(
    program: str,
) -> None:
    loss, values = network_sample_loss()
    every_value = viz.draw_graph(loss, collapse=None)
    assert max(rendered_size(every_value, program)) > viz.PICTURE_BUDGET  # the reason to choose
    drawing = loss.draw()
    assert max(rendered_size(drawing, program)) <= viz.PICTURE_BUDGET
    caption = drawing.caption
    assert len(caption.splitlines()) == 1
    view = "neuron" if "one box per neuron" in caption else "layer"
    assert f"one box per {view}" in drawing.description
    assert f"drawn one box per {view} ({values:,} values" in caption
    assert "draw(collapse=None) for every value" in caption
    # The caption is text beside the picture, never inside it.
    svg = drawing.svg()
    assert "collapse" not in svg and "max_nodes" not in svg
    html_text = drawing._repr_html_()
    assert html.escape(caption) in html_text
    assert html_text.index(html.escape(caption)) > html_text.index("<img")  # under it


def test_an_explicit_collapse_or_max_nodes_is_drawn_as_asked() -> None:
    loss, values = network_sample_loss()
    every_value = loss.draw(collapse=None)
    assert "one box per" not in every_value.description and f"{values:,} values" in (
        every_value.description
    )
    assert "one box per" not in every_value.caption
    assert every_value.summary is not None and every_value.summary.boxes > 16 + 16 + 1
    asked = loss.draw(max_nodes=viz.DEFAULT_MAX_NODES)
    assert asked.source == every_value.source and "one box per" not in asked.caption
    layers = loss.draw(collapse="layer")
    assert "one box per layer" in layers.description and layers.caption == ""
    neurons = loss.draw(collapse="neuron", max_nodes=None)
    assert "one box per neuron" in neurons.description and neurons.caption == ""
    with pytest.raises(ValueError, match="max_nodes"):
        viz.draw_graph(loss, max_nodes="all")  # type: ignore[arg-type]


def test_a_graph_that_fits_is_drawn_value_by_value_without_a_caption() -> None:
    model = ag.nn.MLP(2, [3, 1], seed=0)
    loss = (model([0.5, -1.0]) - 1.0) ** 2
    loss.backward()
    drawing = loss.draw()
    assert max(drawing.size) <= viz.PICTURE_BUDGET
    assert drawing.caption == "" and "one box per" not in drawing.description
    assert drawing.summary is not None and drawing.summary.hidden == 0


def test_a_cut_picture_stacks_no_column_of_hundreds_of_boxes(program: str) -> None:
    # Cut at 300 boxes, the part nearest the output of a 2-16-16-1 network was the 256 weights
    # of its second layer, one column 22,744 px tall with blank screens beside it.
    loss, _ = network_sample_loss()
    drawing = viz.draw_graph(loss, collapse=None)
    assert drawing.summary is not None and drawing.summary.hidden > 0
    svg = viz.render_source(drawing.source, "svg", program=program).decode("utf-8")
    columns: dict[int, int] = {}  # the x of a value box's title text -> boxes in that column
    for group in node_groups(svg):
        title = group.find("{http://www.w3.org/2000/svg}title")
        if title is None or not re.fullmatch(r"v\d+", title.text or ""):
            continue
        xs = [float(t.get("x", "0")) for t in group.iter("{http://www.w3.org/2000/svg}text")]
        column = round(sum(xs) / len(xs) / 20)
        columns[column] = columns.get(column, 0) + 1
    weights = 16 * 16  # the second layer's
    assert max(columns.values()) < weights / 4


def test_the_estimate_is_close_to_the_rendered_size(program: str) -> None:
    loss, _ = network_sample_loss()
    x = ag.Value(0.5, label="x")
    chain = x
    for _ in range(60):
        chain = (chain * 0.9).tanh()
    for drawing in (
        viz.draw_graph(loss, collapse="neuron"),
        viz.draw_graph(loss, collapse="layer"),
        viz.draw_graph(loss, collapse=None),
        viz.draw_graph(chain),
        viz.draw_graph(x * 2 + 1),
    ):
        estimate = max(viz._estimate_size(drawing))
        rendered = max(rendered_size(drawing, program))
        assert 1 / viz._ESTIMATE_ERROR < estimate / rendered < viz._ESTIMATE_ERROR
