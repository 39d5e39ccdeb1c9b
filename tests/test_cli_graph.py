"""``autograd-core graph``: output, files, exit statuses, and hostile input.

The hostile-input tests watch the interpreter's audit events while the command runs: any
``exec``/``eval`` of code, any process started, or the sentinel file being opened means the
formula was executed, which must never happen whatever the text.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd_core as ag
from autograd_core import viz
from autograd_core.cli import main
from autograd_core.expr import ExpressionError, evaluate

SVG_NODE = "{http://www.w3.org/2000/svg}g"
NEURON = ["tanh(x1*w1 + x2*w2 + b)", "x1=2", "x2=0", "w1=-3", "w2=1", "b=6.8813735870195432"]
PROG_ERROR = "autograd-core graph: error: "


def node_count(svg: str) -> int:
    return sum(1 for g in ET.fromstring(svg).iter(SVG_NODE) if g.get("class") == "node")


# -- auditing: was anything executed? ------------------------------------------------------------

SENTINEL = os.path.join(tempfile.gettempdir(), f"autograd-core-sentinel-{uuid.uuid4().hex}")
_WATCHED = ("exec", "os.system", "subprocess.Popen", "os.posix_spawn", "os.exec", "os.spawn")
_events: list[tuple[str, Any]] | None = None


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if _events is None:
        return
    if event in _WATCHED or (event == "open" and args and str(args[0]) == SENTINEL):
        _events.append((event, args))


sys.addaudithook(_audit)  # audit hooks cannot be removed; it is idle outside `watching()`


@contextmanager
def watching() -> Iterator[list[tuple[str, Any]]]:
    global _events
    _events = []
    try:
        yield _events
    finally:
        _events = None


def test_the_audit_watch_sees_execution() -> None:
    # The checker itself must be able to fail: eval, exec and a process all show up.
    with watching() as events:
        eval("1 + 1")
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        with open(SENTINEL, "w"):
            pass
    os.remove(SENTINEL)
    kinds = {e for e, _ in events}
    assert {"exec", "subprocess.Popen", "open"} <= kinds


# -- normal use -----------------------------------------------------------------------------------


def test_without_o_prints_the_table_and_writes_graph_svg(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["graph", *NEURON]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "tanh(x1*w1 + x2*w2 + b) = 0.707107"  # 1/√2 to 6 digits
    rows = {line.split()[0]: line.split()[1:] for line in out[2:-1]}
    # Gradients from micrograd's lecture: x1 -1.5, w1 1, x2 0.5, w2 0, b 0.5.
    assert rows == {
        "x1": ["2", "-1.5"],
        "x2": ["0", "0.5"],
        "w1": ["-3", "1"],
        "w2": ["1", "0"],
        "b": ["6.88137", "0.5"],
    }
    assert out[1].split() == ["name", "value", "gradient"]
    assert out[-1] == "wrote graph.svg"
    svg = (tmp_path / "graph.svg").read_text(encoding="utf-8")
    assert node_count(svg) == 10 + 5  # values, ops (the legend is the graph's label)


def test_no_backward_table_has_no_gradient_column(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["graph", "x * 2", "x=3", "--no-backward"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "x * 2 = 6",
        "  name           value",
        "  x                  3",
        "wrote graph.svg",
    ]
    assert "grad " not in (tmp_path / "graph.svg").read_text(encoding="utf-8")


@pytest.mark.parametrize("suffix", [".svg", ".png", ".dot"])
def test_o_writes_the_format_of_the_extension(
    suffix: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / f"neuron{suffix}"
    assert main(["graph", *NEURON, "-o", str(target)]) == 0
    assert capsys.readouterr().out == f"wrote {target}\n"  # no table with -o
    content = target.read_bytes()
    if suffix == ".svg":
        assert node_count(content.decode()) == 15
    elif suffix == ".png":
        assert content.startswith(b"\x89PNG")
    else:
        text = content.decode()
        assert text.startswith("digraph autograd_core {") and "<B>out</B>" in text


def test_o_dash_writes_svg_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["graph", "x * 2", "x=3", "-o", "-"]) == 0
    svg = capsys.readouterr().out
    assert node_count(svg) == 2 + 1  # x, out, the "× 2" op


def test_rankdir_no_backward_and_max_nodes(tmp_path: Path) -> None:
    target = tmp_path / "g.dot"
    args = ["graph", "sum(x, x*2, x*3, x*4)", "x=1", "-o", str(target)]
    assert main([*args, "--rankdir", "TB", "--no-backward", "--max-nodes", "3"]) == 0
    source = target.read_text(encoding="utf-8")
    assert "rankdir=TB" in source
    assert "grad " not in source.split("cluster_legend")[0]
    # 5 boxes (out, x, x*2, x*3, x*4); breadth first from the output, 3 are drawn.
    assert "+2 more values not drawn" in source
    assert "draw(max_nodes=None) for all" in source  # the caption, as the last line of the file


def test_a_formula_without_names_still_draws(tmp_path: Path) -> None:
    target = tmp_path / "g.dot"
    assert main(["graph", "2 * 3", "-o", str(target)]) == 0
    assert "data 6" in target.read_text(encoding="utf-8")


def test_works_without_any_renderer_when_writing_dot(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(viz, "_interpreter_script_dirs", lambda: [])
    assert main(["graph", *NEURON, "-o", str(tmp_path / "n.dot")]) == 0
    # ...but an SVG then fails with status 1 and the install hint, on one line.
    assert main(["graph", *NEURON, "-o", str(tmp_path / "n.svg")]) == 1
    err = capsys.readouterr().err
    assert err.startswith(PROG_ERROR) and "pip install graphviz-pure" in err
    assert err.count("\n") == 1


def test_unknown_extension_and_unwritable_target(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["graph", "x", "x=1", "-o", str(tmp_path / "g.gif")]) == 2
    assert "cannot tell the format" in capsys.readouterr().err
    assert main(["graph", "x", "x=1", "-o", str(tmp_path / "missing" / "g.svg")]) == 1
    err = capsys.readouterr().err
    assert err.startswith(PROG_ERROR) and "No such file or directory" in err


@pytest.mark.parametrize("bad", ["0", "-3", "many"])
def test_max_nodes_must_be_positive(bad: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["graph", "x", "x=1", "--max-nodes", bad])
    assert info.value.code == 2
    assert "expected a positive whole number" in capsys.readouterr().err


# -- mistakes and hostile input -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["x.__class__", "x=2"], "attribute access is not allowed: 'x.__class__' (column 1)"),
        (["__import__('os').system('id')"], "attribute access is not allowed"),
        (["x[0]", "x=1"], "subscripts are not allowed"),
        (["(lambda: 1)()"], "lambdas are not allowed"),
        (["[i for i in range(9)]"], "comprehensions are not allowed"),
        (["y * 2", "x=1"], "unknown name (give it a value: y=1.5): 'y' (column 1)"),
        (["x * w", "x=1"], "unknown name (give it a value: w=1.5): 'w' (column 5)"),
        (["log(x)", "x=0"], "log: log is defined only for x > 0"),
        (["x / y", "x=1", "y=0"], "div: division by zero"),
        (["x", "x=1", "x=2"], "x is given a value twice"),
        (["x", "x"], "expected NAME=VALUE, got 'x'"),
        (["x", "x=two"], "x: 'two' is not a number"),
        (["x", "x=nan"], "must be a finite number"),
        (["x", "exp=1"], "'exp' is a function name"),
        (["x" * 20_000, "x=1"], "the expression is too long"),
        (["-" * 9_000 + "x", "x=1"], "nested too deeply"),
        (["print('hi')"], "calling print is not allowed"),
    ],
)
def test_mistakes_exit_2_with_one_line(
    argv: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with watching() as events:
        status = main(["graph", "-o", str(tmp_path / "g.svg"), "--", *argv])
    assert status == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(PROG_ERROR)
    assert message in captured.err
    assert captured.err.count("\n") == 1
    assert events == []
    assert list(tmp_path.iterdir()) == []


def test_no_traceback_from_the_real_command_line(tmp_path: Path) -> None:
    hostile = f"__import__('pathlib').Path({str(tmp_path / 'pwned')!r}).touch()"
    for expression in (hostile, "log(x)", "x." + "a" * 50):
        done = subprocess.run(
            [sys.executable, "-m", "autograd_core", "graph", expression, "x=0"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 2, done.stderr
        assert done.stderr.startswith(PROG_ERROR) and done.stderr.count("\n") == 1
        assert "Traceback" not in done.stderr and done.stdout == ""
    assert list(tmp_path.iterdir()) == []  # no pwned file, and no graph.svg after an error


def test_a_leading_minus_needs_the_double_dash(tmp_path: Path) -> None:
    target = tmp_path / "g.dot"
    assert main(["graph", "-o", str(target), "--", "-x * 2", "x=1"]) == 0
    assert "data -2" in target.read_text(encoding="utf-8")


# Snippets of Python built from pieces an attacker (or a confused learner) would try: every
# one must be refused or computed, never executed, and never escape as an exception.
_ATOMS = st.sampled_from(
    [
        "x",
        "w",
        "2",
        "0.5",
        "1e308",
        "10**400",
        "-1",
        "0",
        "__import__",
        "open",
        "exec",
        "eval",
        "os",
        "self",
        "None",
        "True",
        "'s'",
        "b'b'",
        "...",
        "tanh",
        "dot",
        "sum",
        "[]",
        "()",
        "{}",
        "x.__class__",
        "__builtins__",
        "globals()",
        "breakpoint()",
        "1j",
        "f'{x}'",
        f"open({SENTINEL!r}, 'w')",
        f"__import__('pathlib').Path({SENTINEL!r}).touch()",
        "__import__('os').system('true')",
        "().__class__.__bases__[0].__subclasses__()",
    ]
)
_BINARY = st.sampled_from(
    ["+", "-", "*", "/", "**", "%", "//", "@", "<<", "&", "|", "^", "and", "or", "<", "==", "in"]
)
_FUNCS = st.sampled_from(
    ["tanh", "log", "exp", "sqrt", "leaky_relu", "sum", "dot", "abs", "__import__", "getattr"]
)


def _combine(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.tuples(children, _BINARY, children).map(lambda t: f"{t[0]} {t[1]} {t[2]}"),
        st.tuples(st.sampled_from(["-", "+", "~", "not ", "*", "await ", "yield "]), children).map(
            "".join
        ),
        st.tuples(_FUNCS, st.lists(children, max_size=3)).map(
            lambda t: f"{t[0]}({', '.join(t[1])})"
        ),
        children.map(lambda c: f"({c})"),
        children.map(lambda c: f"[{c}]"),
        st.tuples(children, st.sampled_from(["__class__", "data", "real", "system"])).map(
            lambda t: f"{t[0]}.{t[1]}"
        ),
        st.tuples(children, children).map(lambda t: f"{t[0]}[{t[1]}]"),
        children.map(lambda c: f"[c for c in {c}]"),
        children.map(lambda c: f"lambda: {c}"),
        children.map(lambda c: f"tanh(x={c})"),
        children.map(lambda c: f"(y := {c})"),
        st.tuples(children, children).map(lambda t: f"{t[0]} if x else {t[1]}"),
    )


# Well-formed formulas too, so that the path that computes and draws is exercised as often as
# the paths that refuse (domain errors such as log of a negative number included).
_FORMULAS = st.recursive(
    st.sampled_from(["x", "w", "2", "0.5", "-1"]),
    lambda c: st.one_of(
        st.tuples(c, st.sampled_from(["+", "-", "*", "/", "**"]), c).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})"
        ),
        c.map(lambda e: f"-{e}"),
        st.tuples(st.sampled_from(["tanh", "exp", "log", "sigmoid", "relu", "abs"]), c).map(
            lambda t: f"{t[0]}({t[1]})"
        ),
        st.lists(c, min_size=1, max_size=3).map(lambda es: f"sum({', '.join(es)})"),
    ),
    max_leaves=12,
)

SNIPPETS = st.one_of(
    _FORMULAS,
    st.recursive(_ATOMS, _combine, max_leaves=10),
    st.text(max_size=80),
    st.text(alphabet="x2+-*/()[]._'\"=:,; \n\\", max_size=60),
)


@pytest.mark.slow
@given(SNIPPETS)
def test_hostile_snippets_never_execute_and_never_crash(snippet: str) -> None:
    with tempfile.TemporaryDirectory() as tmp, watching() as events:
        argv = ["graph", "-o", os.path.join(tmp, "g.dot"), "--", snippet, "x=0.5", "w=-2"]
        status = main(argv)  # any exception other than a clean status fails the test
    assert status in (0, 2)
    assert events == [], f"{snippet!r} executed something: {events}"
    assert not os.path.exists(SENTINEL)


@given(SNIPPETS)
def test_evaluate_raises_only_expression_errors(snippet: str) -> None:
    variables = {"x": ag.Value(0.5, label="x"), "w": ag.Value(-2.0, label="w")}
    with watching() as events:
        try:
            result = evaluate(snippet, variables)
        except ExpressionError as exc:
            message = str(exc)
            assert message and "\n" not in message
        else:
            assert isinstance(result, ag.Value | float)
    assert events == []


# -- the command line as people type it -------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["--", "-x * 2", "x=1", "-o", "{out}"],
        ["--", "-x * 2", "-o", "{out}", "x=1"],
        ["--", "-x * 2", "x=1", "--output={out}", "--rankdir", "TB", "--max-nodes", "50"],
        [" -x * 2", "x=1", "-o", "{out}"],
        ["\t-x * 2", "-o", "{out}", "x=1"],
    ],
    ids=["options-after-dash-dash", "between", "several", "leading-space", "leading-tab"],
)
def test_options_may_follow_the_formula_and_leading_space_is_fine(
    argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "g.dot"
    status = main(["graph", *(word.replace("{out}", str(target)) for word in argv)])
    assert status == 0, capsys.readouterr().err
    source = target.read_text(encoding="utf-8")
    assert "data -2" in source and "grad -2" in source  # x=1 was read, backward ran
    if "TB" in argv:
        assert "rankdir=TB" in source


def test_unknown_words_after_the_formula_are_still_refused(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["graph", "--", "-x", "x=1", "--bogus"]) == 2
    assert "expected NAME=VALUE, got '--bogus'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        main(["graph", "--", "-x", "x=1", "-o"])
    assert info.value.code == 2
    assert "argument -o/--output: expected one argument" in capsys.readouterr().err


def test_sum_of_a_list_on_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["graph", "sum([x, y, x])", "x=1", "y=2"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "sum([x, y, x]) = 4"
    assert re.search(r"^  x +1  2$", out, re.M) and re.search(r"^  y +2  1$", out, re.M)


def test_escape_sequences_in_the_formula_are_not_sent_to_the_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["graph", "x  # \x1b]0;pwned\x07\x1b[31m red", "x=1"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out
    assert out.splitlines()[0] == "x # \\x1b]0;pwned\\x07\\x1b[31m red = 1"
    # in an error message too, and with a lone surrogate (undecodable bytes in argv)
    assert main(["graph", "x +\x1b[2J", "x=1"]) == 2
    assert main(["graph", "x\udcff", "x=1"]) == 2
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\udcff" not in err
    err.encode("utf-8")  # printable: no unpaired surrogate reached the terminal


def test_a_closed_pipe_ends_the_command_quietly(tmp_path: Path) -> None:
    # `autograd-core graph "(-x)" x=1 | head -3`, with the reader gone before anything is
    # written: the command must stop without "Broken pipe" or a traceback on stderr.
    for argv in (["(-x)", "x=1"], ["(-x)", "x=1", "-o", "-"]):
        process = subprocess.Popen(
            [sys.executable, "-m", "autograd_core", "graph", *argv],
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert process.stdout is not None and process.stderr is not None
        process.stdout.close()
        err = process.stderr.read().decode()
        assert process.wait(timeout=60) == 1
        assert err == ""


# -- --code: the graph as a program ------------------------------------------------------------


def test_code_prints_a_program_that_computes_the_gradients(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["graph", "tanh(x*w + b)", "x=2", "w=-3", "b=6.88", "--code"]) == 0
    source = capsys.readouterr().out
    assert source.startswith("import math") and "def f(x, w, b):" in source
    assert "out = math.tanh(t2)  # tanh" in source
    assert not (tmp_path / "graph.svg").exists()  # the program replaces the picture
    namespace: dict[str, Any] = {}
    exec(source, namespace)  # the test runs the printed program; the command never does
    x, w, b = ag.Value(2.0, label="x"), ag.Value(-3.0, label="w"), ag.Value(6.88, label="b")
    y = (x * w + b).tanh()
    y.backward()
    assert namespace["f"](2.0, -3.0, 6.88) == (y.data, {"x": x.grad, "w": w.grad, "b": b.grad})


def test_code_may_follow_the_names_and_never_executes(capsys: pytest.CaptureFixture[str]) -> None:
    with watching() as events:
        assert main(["graph", "relu(a) * a + 2", "a=-1", "--code"]) == 0
    assert events == []
    source = capsys.readouterr().out
    assert "def f(a):" in source and "# relu passes nothing to a" in source
