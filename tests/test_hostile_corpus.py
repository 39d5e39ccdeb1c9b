"""Issue 14's hostile corpus: every input the adversarial pass tried, and what it must give now.

The issue's "Why" section lists what a hostile user found on main: pictures that ran for an
hour, gradients that went NaN without a word, files half trusted, raw error messages. Each of
those cases is one entry in a table below, and each entry asserts either a clear error (the
exception type and a message naming the op, argument or value) or a bounded result (a wall-clock
bound on a command, a warning that names the leaf and the op). The entries' ids name the case;
the comments give what the issue measured before the fix.

Several cases are tested in depth elsewhere; here they get one representative entry, and the
comment names the deep test:

* tests/test_viz_bounds.py: the walk budget, fan-out copies, renderer time and memory limits,
  hostile text in pictures, atomic pictures;
* tests/test_checkpoint.py: every malformed field, devices and FIFOs, stale temporary files,
  permissions and symlinks;
* tests/test_expr.py and tests/test_cli_graph.py: the parser's messages and limits, hostile
  snippets that must never execute;
* tests/test_training.py: fit's arguments checked before the first epoch;
* tests/test_engine.py and tests/test_edges_torch.py: non-finite gradients warned about.

Two hypothesis tests close the file: random hostile labels on a small graph (the SVG parses as
XML, backward is unaffected) and random formulas (a value or an ``ExpressionError``, never
another exception, never a hang, and a leaf's non-finite gradient is always reported).

Commands run as ``python -m autograd_core`` in a child process, with a hard timeout so that a
regression fails the test instead of hanging it.
"""

from __future__ import annotations

import contextlib
import gc
import json
import math
import os
import re
import signal
import stat
import subprocess
import sys
import textwrap
import threading
import time
import warnings
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd_core as ag
from autograd_core import data, expr, nn, ops, optim, viz
from autograd_core.engine import Value
from autograd_core.expr import ExpressionError
from autograd_core.nn import CheckpointError

from .test_checkpoint import leftovers, load_in_a_box, sha256_of
from .test_training import refused_before_training
from .test_viz import node_groups

# -- running the command line ------------------------------------------------------------------

# A picture through the CLI may take the renderer's time limit plus this: starting Python,
# parsing, building and walking the graph, writing the file, on a busy 2-core machine (about 1 s
# when it is quiet, 5 s with six processes per core). Before the fix, 100 terms took 70 s and
# 2,900 an hour.
CLI_SLACK = 20.0
CLI_BOUND = viz.DEFAULT_TIMEOUT + CLI_SLACK
# Past this the child is killed and the test fails, so that a regression never hangs the suite.
HARD_TIMEOUT = 180.0
PACKAGE_ROOT = Path(ag.__file__).resolve().parents[1]


@dataclass(frozen=True)
class Run:
    """What a command did: its exit status, its output, how long it took (wall clock) and the
    processor time it and its children (the renderer) used."""

    status: int
    stdout: str
    stderr: str
    seconds: float
    cpu: float


def child_env(**extra: str) -> dict[str, str]:
    """The environment of a child process that imports this very autograd_core."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PACKAGE_ROOT), env.get("PYTHONPATH")]))
    env.update(extra)
    return env


def run_cli(
    args: list[str | bytes], cwd: Path, env: dict[str, str] | None = None, timeout: float = 0
) -> Run:
    """``python -m autograd_core ARGS`` in ``cwd``; fails the test if it outlives the timeout."""
    timeout = timeout or HARD_TIMEOUT
    cpu = children_cpu()
    started = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "autograd_core", *args],
            cwd=cwd,
            env=env or child_env(),
            capture_output=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"autograd-core {args[0]!r} did not finish within {timeout:g} s")
    seconds = time.perf_counter() - started
    out = done.stdout.decode("utf-8", "backslashreplace")
    err = done.stderr.decode("utf-8", "backslashreplace")
    return Run(done.returncode, out, err, seconds, children_cpu() - cpu)


def children_cpu() -> float:
    """User + system seconds of this process's finished children and their own children."""
    if sys.platform == "win32":  # pragma: no cover - no getrusage
        return 0.0
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def one_error_line(run: Run, command: str = "graph") -> str:
    """The single line a failed command printed on stderr (no traceback)."""
    assert "Traceback" not in run.stderr, run.stderr
    lines = run.stderr.splitlines()
    assert len(lines) == 1, run.stderr
    prefix = f"autograd-core {command}: error: "
    assert lines[0].startswith(prefix), lines[0]
    return lines[0][len(prefix) :]


def chain(term: str, operator: str, terms: int) -> str:
    return operator.join([term] * terms)


def horner(degree: int) -> str:
    """A polynomial of ``degree`` in Horner form: ((1)*x+1)*x+2 ...; 361 characters for 60."""
    text = "1"
    for i in range(degree):
        text = f"({text})*x+{i % 9 + 1}"
    return text


# -- pictures through the command line ---------------------------------------------------------


@dataclass(frozen=True)
class Render:
    """``autograd-core graph FORMULA NAMES -o h.svg OPTIONS`` and what it may end in.

    ``outcome``: "picture" (must render), "picture or timeout" (render, or stop at the time
    limit with the clear error), "refused" (a one-line error matching ``message``).
    ``renderer``: "any" (whatever the CLI finds: ``dot`` when installed) or "graphviz-pure"
    (``dot`` hidden from PATH).
    """

    formula: str
    names: tuple[str, ...] = ("x=1",)
    options: tuple[str, ...] = ()
    outcome: str = "picture"
    message: str = ""
    renderer: str = "any"


TIMED_OUT = (
    r"did not finish the svg picture within 10 s and was stopped \(\d+ nodes, \d+ edges to lay "
    r"out\)\. Draw less: collapse='neuron' or collapse='layer' for a network, or a smaller max_nodes"
)
NESTED_TOO_DEEPLY = (
    r"the expression is nested too deeply for Python's parser, which reads a chain such as "
    r"x\+x\+\.\.\.\+x as one level per operator and stops at about [\d,]+ levels here; write a "
    r"long sum as sum\(x, x, \.\.\.\), which is flat"
)

RENDERS = [
    # "x+x+…+x": 50 terms 0.8 s, 70 terms 4 s, 100 terms 70 s, 200 terms still running at 100 s,
    # 2,900 terms an hour. The issue's Tests section names 100, 1,000 and 3,000 terms.
    # Deep tests: test_viz_bounds.py::test_fan_out_formulas_render_or_fail_clearly_within_the_limit_through_the_cli
    # (in-process) and ::test_fan_out_graphs_render_within_the_limit (each renderer).
    pytest.param(Render(chain("x", "+", 50)), id="fan-out-50", marks=pytest.mark.slow),
    pytest.param(Render(chain("x", "+", 70)), id="fan-out-70", marks=pytest.mark.slow),
    pytest.param(Render(chain("x", "+", 100)), id="fan-out-100"),
    pytest.param(Render(chain("x", "+", 200)), id="fan-out-200", marks=pytest.mark.slow),
    pytest.param(Render(chain("x", "+", 1000)), id="fan-out-1000"),
    pytest.param(Render(chain("x", "+", 2900)), id="fan-out-2900"),
    # past the parser's depth limit: refused at once, with the limit and the flat alternative
    pytest.param(
        Render(chain("x", "+", 3000), outcome="refused", message=NESTED_TOO_DEEPLY),
        id="fan-out-3000",
    ),
    # the alternative the message suggests draws within the bound too
    pytest.param(
        Render(f"sum({chain('x', ', ', 3000)})"), id="flat-sum-3000", marks=pytest.mark.slow
    ),
    # 2,900 terms with --max-nodes 100000: the renderer reached 22.9 GB and was killed
    pytest.param(
        Render(
            chain("x", "+", 2900),
            options=("--max-nodes", "100000"),
            outcome="picture or timeout",
            message=TIMED_OUT,
        ),
        id="fan-out-2900-max-nodes-100000",
        marks=pytest.mark.slow,
    ),
    # x*x*… of 100 terms: 50 s
    pytest.param(Render(chain("x", "*", 100)), id="product-100"),
    # a degree-60 polynomial in Horner form (361 characters): 16.6 s
    pytest.param(Render(horner(60), ("x=0.5",)), id="horner-degree-60"),
    # 300 distinct variables: 0.13 s, and still bounded (300 boxes by default)
    pytest.param(
        Render(
            "+".join(f"x{i}" for i in range(300)),
            tuple(f"x{i}={i}" for i in range(300)),
        ),
        id="300-variables",
        marks=pytest.mark.slow,
    ),
    # the system dot was no better (50 terms 4.4 s, 100 terms > 120 s); the "any" entries use it
    # when it is installed, these use the renderer that pip installs
    pytest.param(
        Render(chain("x", "+", 100), renderer="graphviz-pure"),
        id="fan-out-100-graphviz-pure",
        marks=pytest.mark.slow,
    ),
    pytest.param(
        Render(chain("x", "+", 1000), renderer="graphviz-pure"),
        id="fan-out-1000-graphviz-pure",
        marks=pytest.mark.slow,
    ),
]


def test_horner_formula_is_the_issues_361_characters() -> None:
    assert len(horner(60)) == 361


@pytest.mark.parametrize("case", RENDERS)
def test_cli_pictures_are_bounded(case: Render, tmp_path: Path) -> None:
    env = child_env()
    if case.renderer == "graphviz-pure":
        empty = tmp_path / "empty-path"
        empty.mkdir()
        env["PATH"] = str(empty)  # no dot; graphviz-pure is found next to the interpreter
    target = tmp_path / "h.svg"
    run = run_cli(
        ["graph", case.formula, *case.names, "-o", str(target), *case.options], tmp_path, env
    )
    assert run.seconds < CLI_BOUND, f"took {run.seconds:.1f} s (bound {CLI_BOUND:g} s)"
    if run.status == 0:
        assert case.outcome != "refused", run.stdout
        assert run.stdout == f"wrote {target}\n" and run.stderr == ""
        svg = target.read_text(encoding="utf-8")
        max_nodes = int(case.options[1]) if "--max-nodes" in case.options else 300
        assert len(node_groups(svg)) <= 2 * max_nodes + 1  # value boxes, op ovals, "+N more"
        if case.renderer == "graphviz-pure":
            assert "(graphviz-pure)" in svg
    else:
        assert case.outcome != "picture", run.stderr
        assert run.status == (2 if case.outcome == "refused" else 1), run.stderr
        assert_matches(case.message, one_error_line(run))
        assert not target.exists()
    assert leftovers(tmp_path) == []  # no temporary picture left behind


def assert_matches(pattern: str, text: str) -> None:
    assert re.search(pattern, text), f"{text!r} does not match {pattern!r}"


# -- pictures in the library and through `train` ---------------------------------------------


@pytest.mark.slow
def test_draw_graph_of_a_two_million_operation_chain_stops_walking_at_its_budget() -> None:
    # The issue: 6 s with the default limit, walking the whole graph to draw 300 boxes.
    # Deep test: test_viz_bounds.py::test_the_walk_stops_at_the_budget_instead_of_visiting_the_whole_graph
    collecting = gc.isenabled()
    gc.disable()  # two million acyclic nodes: nothing for the collector to find but time spent
    try:
        y = Value(0.5, label="x")
        for _ in range(2_000_000):
            y = -y
        started = time.process_time()
        drawing = viz.draw_graph(y)
        elapsed = time.process_time() - started
    finally:
        if collecting:
            gc.enable()
    assert drawing.summary is not None and not drawing.summary.complete
    assert drawing.summary.boxes <= viz.DEFAULT_MAX_NODES
    assert drawing.summary.walked <= 100 * viz.DEFAULT_MAX_NODES
    assert elapsed < 3.0, f"draw_graph took {elapsed:.2f} s of processor time"


@pytest.mark.slow
def test_a_100k_value_picture_without_a_limit_stops_at_the_time_limit() -> None:
    # The issue: the docstring said 100k nodes draw "as readily as ten"; it took 39 s and a
    # 2.5 GB renderer. Now the renderer is stopped at its time limit with a clear error.
    y = Value(0.5, label="x")
    for _ in range(100_000):
        y = -y
    started = time.process_time()
    with pytest.raises(viz.RenderTimeoutError, match=r"within 2 s and was stopped"):
        viz.to_svg(y, max_nodes=None, timeout=2.0)
    # writing the DOT text (about 5 s on a quiet machine); the renderer is bounded by its limit
    assert time.process_time() - started < 20.0
    assert "as readily as ten" not in (viz.__doc__ or "") + (viz.draw_graph.__doc__ or "")


@pytest.mark.slow
def test_cli_train_of_a_wide_network_is_bounded(tmp_path: Path) -> None:
    # `train --hidden 128 128 --epochs 1`: 88-115 s, of which training was 0.35 s.
    # Deep tests: test_viz_bounds.py::test_cli_train_picture_is_bounded_for_a_wide_network,
    # test_viz_collapse.py::test_train_no_graph_skips_the_picture (--no-graph).
    args = ["train", "--hidden", "128", "128", "--epochs", "1", "--no-progress"]
    run = run_cli([*args, "--out", str(tmp_path / "run")], tmp_path)
    assert run.status == 0, run.stderr
    # processor time, not wall clock: on a quiet machine about 6 s of it (of 7 s), most of it
    # training and the plots; a busy machine stretches the wall clock, not this
    assert run.cpu < 30.0, f"used {run.cpu:.1f} s of processor time ({run.seconds:.1f} s wall)"
    assert "one box per layer" in run.stdout
    ET.fromstring((tmp_path / "run" / "graph.svg").read_text(encoding="utf-8"))


# -- non-finite gradients are reported -------------------------------------------------------


@dataclass(frozen=True)
class NonFinite:
    """A graph whose backward leaves a non-finite gradient on ``leaf``.

    ``build()`` returns (root, leaf, seed gradient); it is called inside ``detect_anomaly`` for
    the second test, so the nodes record where they were made. ``warning`` must match backward's
    ``RuntimeWarning``; ``anomaly`` the ``FloatingPointError`` under ``detect_anomaly``.
    """

    build: Callable[[], tuple[Value, Value, float]]
    grad: float
    warning: str
    anomaly: str
    forbidden: str = ""  # text the warning must not contain (a wrong explanation)


def registered(name: str, forward: Callable[..., Any], partials: Callable[..., Any]) -> ops.Op:
    """``ag.register_op(name, ...)``, once per process (the table refuses a name twice).

    Registered while the test runs, never at import, so that no other test module's
    parametrization over the op table sees these rows."""
    try:
        return ops.get_op(name)
    except KeyError:
        return ag.register_op(name, forward, partials)


def padded(y: Value, nodes: int) -> Value:
    """``y + w + w + …``: the same gradient into y's graph, ``nodes`` more interior nodes."""
    w = Value(1.0, label="w")
    for _ in range(nodes):
        y = y + w
    return y


def sqrt_of_x_times_0() -> tuple[Value, Value, float]:
    x = Value(1.0, label="x")
    return expr.evaluate("sqrt(x*0)", {"x": x}), x, 1.0


def sqrt_minus_sqrt_at_0() -> tuple[Value, Value, float]:
    x = Value(0.0, label="x")
    return x.sqrt() - x.sqrt(), x, 1.0


def division_by_a_subnormal() -> tuple[Value, Value, float]:
    # The issue wrote x/y with y = 1e-310; with x = 1 the value itself overflows, which is the
    # clear OverflowError of ERRORS below. A smaller x has a value and an infinite gradient.
    x, y = Value(1e-10, label="x"), Value(1e-310, label="y")
    return x / y, x, 1.0


def log_of_a_subnormal() -> tuple[Value, Value, float]:
    x = Value(1e-320, label="x")
    return x.log(), x, 1.0


def seed_overflows_the_product() -> tuple[Value, Value, float]:
    x = Value(1.0, label="x")
    return x * 1e300, x, 1e10


def registered_rule_returns_nan() -> tuple[Value, Value, float]:
    op = registered("corpus_nan_rule", lambda v: v, lambda out, v: (math.nan,))
    x = Value(1.0, label="x")
    return op(x), x, 1.0


def reciprocal_of_a_tiny_number() -> tuple[Value, Value, float]:
    # The issue: Value(1e-300) ** -1 raised "pow_const(exponent=-1.0): (34, 'Numerical result
    # out of range')" from the derivative; the value 1e300 exists, the slope -1e600 does not.
    x = Value(1e-300, label="x")
    return x**-1, x, 1.0


def seed_overflows_the_product_in_a_large_graph() -> tuple[Value, Value, float]:
    # The issue's (x*1e300).backward(gradient=1e10), inside a graph of more than 1,000 nodes.
    x = Value(1.0, label="x")
    return padded(x * 1e300, 1200), x, 1e10


def contributions_add_up_past_the_largest_float() -> tuple[Value, Value, float]:
    # Two finite gradients of 1e308 reach x; their sum is inf. Nothing else is non-finite.
    x = Value(1e-300, label="x")
    return x * 1e308 + x * 1e308, x, 1.0


def contributions_add_up_past_the_largest_float_in_a_large_graph() -> tuple[Value, Value, float]:
    x = Value(1e-300, label="x")
    return padded(x * 1e308 + x * 1e308, 1200), x, 1.0


NON_FINITE = [
    # `graph "sqrt(x*0)" x=1` -> grad nan
    pytest.param(
        NonFinite(
            sqrt_of_x_times_0,
            math.nan,
            r"backward: the gradient of leaf 'x' is nan; the first infinite or NaN gradient arose "
            r"at sqrt\(x=0\.0\): its local derivative ∂out/∂x is inf",
            r"detect_anomaly: backward of sqrt\(x=0\.0\), made at .* produced",
        ),
        id="sqrt-of-x-times-0",
    ),
    # sqrt(x) - sqrt(x) at 0 -> nan
    pytest.param(
        NonFinite(
            sqrt_minus_sqrt_at_0,
            math.nan,
            r"leaf 'x' is nan; .* at sqrt\(x=0\.0 \(Value 'x'\)\): its local derivative ∂out/∂x is inf",
            r"detect_anomaly: backward of sqrt\(x=0\.0 \(Value 'x'\)\)",
        ),
        id="sqrt-minus-sqrt-at-0",
    ),
    # x / y with y = 1e-310 -> inf
    pytest.param(
        NonFinite(
            division_by_a_subnormal,
            math.inf,
            r"leaf 'x' is inf; .* at div\(a=1e-10 \(Value 'x'\), b=1e-310 \(Value 'y'\)\): its "
            r"local derivative ∂out/∂a is inf",
            r"detect_anomaly: backward of div\(a=1e-10 \(Value 'x'\), b=1e-310 \(Value 'y'\)\)",
        ),
        id="x-over-subnormal-y",
    ),
    # log(1e-320) -> inf gradient
    pytest.param(
        NonFinite(
            log_of_a_subnormal,
            math.inf,
            r"leaf 'x' is inf; .* at log\(x=1e-320 \(Value 'x'\)\): its local derivative ∂out/∂x "
            r"is inf",
            r"detect_anomaly: backward of log\(x=1e-320 \(Value 'x'\)\)",
        ),
        id="log-of-1e-320",
    ),
    # (x*1e300).backward(gradient=1e10) -> inf
    pytest.param(
        NonFinite(
            seed_overflows_the_product,
            math.inf,
            r"leaf 'x' is inf; .* at mul\(a=1\.0 \(Value 'x'\), b=1e\+300\): the product "
            r"1e\+300 × 10000000000\.0 overflows",
            r"detect_anomaly: backward of mul\(a=1\.0 \(Value 'x'\), b=1e\+300\), made at .* "
            r"produced inf for ∂/∂a",
        ),
        id="seed-1e10-times-1e300",
    ),
    # a register_op rule returning NaN was accepted
    pytest.param(
        NonFinite(
            registered_rule_returns_nan,
            math.nan,
            r"leaf 'x' is nan; .* at corpus_nan_rule\(x=1\.0 \(Value 'x'\)\): its local "
            r"derivative ∂out/∂x is nan",
            r"detect_anomaly: backward of corpus_nan_rule\(x=1\.0 \(Value 'x'\)\)",
        ),
        id="register-op-nan-rule",
    ),
    # Value(1e-300) ** -1: a value, and a slope of -1e600
    pytest.param(
        NonFinite(
            reciprocal_of_a_tiny_number,
            -math.inf,
            r"leaf 'x' is -inf; .* at pow_const\(exponent=-1\.0\)\(base=1e-300 \(Value 'x'\)\): "
            r"its local derivative ∂out/∂base is -inf",
            r"detect_anomaly: backward of pow_const\(exponent=-1\.0\)\(base=1e-300",
        ),
        id="1e-300-to-the-minus-1",
    ),
    # The same overflows in graphs past backward's 1,000-node check, and two finite gradients
    # that add up past the largest float: the issue's "no gradient goes non-finite unnoticed".
    pytest.param(
        NonFinite(
            seed_overflows_the_product_in_a_large_graph,
            math.inf,
            r"leaf 'x' is inf; .* at mul\(a=1\.0 \(Value 'x'\), b=1e\+300\): the product "
            r"1e\+300 × 10000000000\.0 overflows",
            r"detect_anomaly: backward of mul\(a=1\.0 \(Value 'x'\), b=1e\+300\)",
        ),
        id="seed-1e10-times-1e300-in-1200-nodes",
    ),
    pytest.param(
        NonFinite(
            contributions_add_up_past_the_largest_float,
            math.inf,
            r"leaf 'x' is inf",
            r"detect_anomaly: .*'x'",
            forbidden="the seed gradient or a gradient set by hand was not finite",
        ),
        id="two-finite-gradients-add-to-inf",
    ),
    pytest.param(
        NonFinite(
            contributions_add_up_past_the_largest_float_in_a_large_graph,
            math.inf,
            r"leaf 'x' is inf",
            r"detect_anomaly: .*'x'",
            forbidden="the seed gradient or a gradient set by hand was not finite",
        ),
        id="two-finite-gradients-add-to-inf-in-1200-nodes",
    ),
]


def same_float(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


@pytest.mark.parametrize("case", NON_FINITE)
def test_a_non_finite_gradient_is_warned_about_once(case: NonFinite) -> None:
    # Deep tests: test_engine.py::test_a_large_graph_still_warns_about_an_infinite_derivative_into_a_leaf,
    # test_edges_torch.py (backward warns exactly when a leaf's gradient is not finite).
    root, leaf, seed = case.build()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        root.backward(gradient=seed)
    assert same_float(leaf.grad, case.grad), leaf.grad
    messages = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    assert len(messages) == 1, f"expected one RuntimeWarning, got {messages}"
    assert_matches(case.warning, messages[0])
    if case.forbidden:
        assert case.forbidden not in messages[0], messages[0]


@pytest.mark.parametrize("case", NON_FINITE)
def test_a_non_finite_gradient_raises_under_detect_anomaly(case: NonFinite) -> None:
    with ag.detect_anomaly():
        root, _, seed = case.build()
        with pytest.raises(FloatingPointError) as info:
            root.backward(gradient=seed)
    assert_matches(case.anomaly, str(info.value))


def test_cli_graph_reports_a_nan_gradient(tmp_path: Path) -> None:
    # `autograd-core graph "sqrt(x*0)" x=1` printed a NaN gradient without a word.
    run = run_cli(["graph", "sqrt(x*0)", "x=1"], tmp_path)
    assert run.status == 0, run.stderr
    assert_matches(r"\n  x\s+1\s+nan\n", run.stdout)
    assert_matches(
        r"RuntimeWarning: backward: the gradient of leaf 'x' is nan; .* at sqrt\(x=0\.0\)",
        run.stderr,
    )
    ET.fromstring((tmp_path / "graph.svg").read_text(encoding="utf-8"))


def test_optimizers_still_refuse_a_non_finite_step() -> None:
    model = nn.MLP(2, [2, 1], seed=0)
    params = model.parameters()
    before = [p.data for p in params]
    params[0].grad = math.nan
    for opt in (optim.SGD(params, lr=0.1), optim.Adam(params, lr=0.1)):
        with pytest.raises(ValueError, match=r"step: the gradient of parameter 0 .* is nan"):
            opt.step()
    assert [p.data for p in params] == before


# -- clear errors ------------------------------------------------------------------------------


def rewritten_checkpoint(tmp_path: Path, change: dict[str, Any]) -> Path:
    """A saved model whose architecture was edited and whose checksum was recomputed."""
    path = nn.MLP(2, [3, 1], seed=0).save(tmp_path / "model.json")
    document = json.loads(path.read_text())
    document["architecture"].update(change)
    document["checksum"] = sha256_of(document["architecture"], document["parameters"])
    path.write_text(json.dumps(document))
    return path


@dataclass(frozen=True)
class Refused:
    """``call(tmp_path)`` raises ``error`` with a message matching ``message``."""

    call: Callable[[Path], object]
    error: type[BaseException]
    message: str


def evaluate_x(source: str, **values: float) -> Callable[[Path], object]:
    names = {name: Value(v, label=name) for name, v in (values or {"x": 1.0}).items()}
    return lambda _: expr.evaluate(source, names)


ERRORS = [
    # Value(1e-300) ** -1 raised "(34, 'Numerical result out of range')"; where the *value*
    # overflows, the error now says so, naming the op and the operand.
    pytest.param(
        Refused(
            lambda _: Value(1e-310) ** -1,
            OverflowError,
            r"^pow_const\(exponent=-1\.0\): the result is too large for a float; got base=1e-310$",
        ),
        id="1e-310-to-the-minus-1",
    ),
    # x / y with x = 1, y = 1e-310: the quotient itself is past the largest float
    pytest.param(
        Refused(
            lambda _: Value(1.0, label="x") / Value(1e-310, label="y"),
            OverflowError,
            r"^div: the result is too large for a float; got a=1\.0 \(Value 'x'\), "
            r"b=1e-310 \(Value 'y'\)$",
        ),
        id="1-over-1e-310",
    ),
    # a flat x+x+… of ~3,000 terms was refused as "nested too deeply" (safe, confusing).
    # Deep test: test_expr.py::test_a_flat_chain_past_the_parsers_limit_says_what_the_limit_is
    pytest.param(
        Refused(evaluate_x(chain("x", "+", 3000)), ExpressionError, NESTED_TOO_DEEPLY),
        id="parser-flat-chain-3000",
    ),
    pytest.param(
        Refused(
            evaluate_x(chain("x", "+", 5001)),
            ExpressionError,
            r"^the expression is too long \(10001 characters; at most 10000\)$",
        ),
        id="parser-10001-characters",
    ),
    # names were NFKC-normalised: `ﬁ=3` was "unknown name fi", `𝐞𝐱𝐩(x)` called exp.
    # Deep tests: test_expr.py::test_names_must_be_ascii_not_silently_normalised,
    # ::test_assignments_refuse_non_ascii_names
    pytest.param(
        Refused(
            lambda _: expr.parse_assignment("ﬁ=3"),
            ExpressionError,
            r"^'ﬁ' is not a valid name: names are made of the ASCII letters",
        ),
        id="assignment-fi-ligature",
    ),
    pytest.param(
        Refused(
            evaluate_x("ﬁ + 1", fi=3.0),
            ExpressionError,
            r"^not a valid name \(.*Python would read it as 'fi'\): 'ﬁ' \(column 1\)$",
        ),
        id="formula-fi-ligature",
    ),
    pytest.param(
        Refused(
            evaluate_x("𝐞𝐱𝐩(x)"),
            ExpressionError,
            r"^not a valid name \(.*Python would read it as 'exp'\): '𝐞𝐱𝐩' \(column 1\)$",
        ),
        id="formula-bold-exp",
    ),
    # architecture.type a list or dict, checksum recomputed: raw "unhashable type: 'list'".
    # Deep tests: test_checkpoint.py::test_fields_of_the_wrong_type_with_the_checksum_recomputed
    # and ::test_every_malformed_file_is_a_checkpoint_error_naming_the_field (hypothesis).
    pytest.param(
        Refused(
            lambda tmp: nn.load_model(rewritten_checkpoint(tmp, {"type": ["MLP"]})),
            CheckpointError,
            r"model\.json: architecture\.type must be one of .*, got list \['MLP'\]$",
        ),
        id="checkpoint-type-list",
    ),
    pytest.param(
        Refused(
            lambda tmp: nn.load_model(rewritten_checkpoint(tmp, {"type": {"MLP": 1}})),
            CheckpointError,
            r"model\.json: architecture\.type must be one of .*, got dict \{'MLP': 1\}$",
        ),
        id="checkpoint-type-dict",
    ),
    # data.make_linear(w=nan) returned NaN targets. Deep test: test_data.py (every generator).
    pytest.param(
        Refused(
            lambda _: data.make_linear(10, w=math.nan),
            ValueError,
            r"^make_linear: w must be a finite number, got nan$",
        ),
        id="make-linear-w-nan",
    ),
    # a register_op forward returning a complex number or 10**400 was stored unchecked.
    # Deep test: test_engine.py::test_a_registered_ops_output_and_partials_are_checked
    pytest.param(
        Refused(
            lambda _: registered(
                "corpus_complex_out", lambda v: complex(v, 1), lambda out, v: (1.0,)
            )(Value(1.0)),
            TypeError,
            r"^corpus_complex_out: forward must return a real number, got complex \(1\+1j\)",
        ),
        id="register-op-complex-output",
    ),
    pytest.param(
        Refused(
            lambda _: registered("corpus_huge_out", lambda v: 10**400, lambda out, v: (1.0,))(
                Value(1.0)
            ),
            OverflowError,
            r"^corpus_huge_out: the result is too large for a float",
        ),
        id="register-op-10-to-the-400",
    ),
]


@pytest.mark.parametrize("case", ERRORS)
def test_hostile_input_gets_a_clear_error(case: Refused, tmp_path: Path) -> None:
    with pytest.raises(case.error) as info:
        case.call(tmp_path)
    assert type(info.value) is case.error  # the documented type, not a subclass or a parent
    message = str(info.value)
    assert "\n" not in message
    assert_matches(case.message, message)


MOONS_X, MOONS_Y = data.make_moons(12, seed=0)
A_DIRECTORY = "<tmp_path>"  # replaced by the test's own temporary directory

FIT_REFUSALS = [
    # a NaN class label: "cannot convert float NaN to integer"
    pytest.param(
        {
            "model": nn.MLP(2, [3, 2], seed=0),
            "loss": "cross_entropy",
            "X": MOONS_X,
            "y": [math.nan, *MOONS_Y[1:]],
        },
        ValueError,
        r"^fit: loss 'cross_entropy' needs finite labels, got y\[0\] = nan$",
        id="nan-class-label",
    ),
    # target_loss="0.1": raw TypeError after an epoch had run
    pytest.param(
        {"target_loss": "0.1"},
        TypeError,
        r"^fit: target_loss must be a real number, got str '0\.1'$",
        id="target-loss-str",
    ),
    # a custom loss returning a float: AttributeError
    pytest.param(
        {"loss": lambda outputs, targets: 0.5},
        TypeError,
        r"^fit: the loss function <lambda> must return a Value .*got float 0\.5$",
        id="loss-returns-float",
    ),
    # a checkpoint= path that is a directory failed after epoch 1
    pytest.param(
        {"checkpoint": A_DIRECTORY},
        ValueError,
        r"^fit: checkpoint must be a file path, got a directory: ",
        id="checkpoint-is-a-directory",
    ),
    # an optimizer over another model's parameters "trained" with a constant loss
    pytest.param(
        {"optimizer": optim.SGD(nn.MLP(2, [3, 1], seed=1).parameters(), lr=0.1)},
        ValueError,
        r"^fit: none of the optimizer's 13 parameters belongs to the model",
        id="optimizer-of-another-model",
    ),
]


@pytest.mark.parametrize(("kwargs", "error", "message"), FIT_REFUSALS)
def test_fit_refuses_hostile_arguments_before_the_first_epoch(
    kwargs: dict[str, Any], error: type[Exception], message: str, tmp_path: Path
) -> None:
    # Deep tests: test_training.py::test_arguments_are_checked_before_the_first_epoch and
    # neighbours. refused_before_training also checks that no epoch ran and no weight moved.
    if kwargs.get("checkpoint") == A_DIRECTORY:
        kwargs = {**kwargs, "checkpoint": tmp_path}
    refused_before_training(error, message, **kwargs)


def test_cli_train_refuses_an_out_that_is_a_file_before_training(tmp_path: Path) -> None:
    # `train --out <existing file>` failed after training.
    existing = tmp_path / "notes.txt"
    existing.write_text("keep me")
    run = run_cli(["train", "--epochs", "1", "--out", str(existing)], tmp_path)
    assert run.status == 2
    assert_matches(
        r"^--out '.*notes\.txt' is a file; it must be a directory", one_error_line(run, "train")
    )
    assert run.stdout == ""  # nothing planned, nothing trained
    assert existing.read_text() == "keep me"


# -- files -------------------------------------------------------------------------------------

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX files and processes")


@posix_only
def test_loading_a_symlink_to_dev_zero_is_refused_without_reading(tmp_path: Path) -> None:
    # It read until MemoryError. Loaded in a child with a time limit and a memory cap.
    # Deep test: test_checkpoint.py::test_a_device_is_refused_without_reading_it
    link = tmp_path / "model.json"
    link.symlink_to("/dev/zero")
    message = (
        f"CheckpointError {link}: not a saved model: it is a character device, not a regular file"
    )
    assert load_in_a_box(link) == [message] * 2


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes")
def test_loading_a_fifo_is_refused_without_waiting(tmp_path: Path) -> None:
    # It hung forever. Deep test: test_checkpoint.py::test_a_fifo_is_refused_without_waiting_for_a_writer
    fifo = tmp_path / "model.json"
    os.mkfifo(fifo)
    message = (
        f"CheckpointError {fifo}: not a saved model: it is a FIFO (named pipe), not a regular file"
    )
    assert load_in_a_box(fifo, timeout=60) == [message] * 2


SAVE_FOREVER = textwrap.dedent(
    """
    import sys
    from autograd_core import nn
    models = [nn.MLP(2, [32, 32, 1], seed=seed) for seed in (1, 2)]
    print("ready", flush=True)
    k = 0
    while True:
        models[k % 2].save(sys.argv[1])
        k += 1
    """
)


@posix_only
def test_kill_9_during_save_in_a_loop_leaves_no_stale_temporary_file_after_the_next_save(
    tmp_path: Path,
) -> None:
    # 14 of 60 kills left a .model.json.<pid>.<hex>.tmp that nothing ever removed. Here the
    # saver is killed the moment its temporary file appears, so most kills land inside save().
    # Deep test: test_checkpoint.py (same name; kills at random times).
    path = tmp_path / "model.json"
    expected = [nn.MLP(2, [32, 32, 1], seed=seed).state_dict() for seed in (1, 2)]
    kills = stale = 0
    while kills < 12 and stale < 3:
        child = subprocess.Popen(
            [sys.executable, "-c", SAVE_FOREVER, str(path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=child_env(),
        )
        mine = f".model.json.{child.pid}."  # this saver's temporary files
        try:
            assert child.stdout is not None and child.stdout.readline() == b"ready\n"
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:  # as fast as we can: a save takes milliseconds
                if any(name.startswith(mine) for name in leftovers(tmp_path)):
                    break
        finally:
            child.send_signal(signal.SIGKILL)
            child.communicate(timeout=60)
        kills += 1
        stale += any(name.startswith(mine) for name in leftovers(tmp_path))
        if path.exists():  # the file is always a whole model, the older or the newer
            assert nn.load_model(path).state_dict() in expected
    assert stale >= 1, f"none of {kills} kills left a temporary file: the test proved nothing"
    nn.MLP(2, [4, 1], seed=3).save(path)
    assert leftovers(tmp_path) == []
    assert nn.load_model(path).state_dict() == nn.MLP(2, [4, 1], seed=3).state_dict()


@posix_only
def test_saving_over_a_0600_file_keeps_it_0600(tmp_path: Path) -> None:
    # It became 0644. Deep test: test_checkpoint.py::test_saving_over_a_file_keeps_its_permission_bits
    path = nn.MLP(2, [1], seed=0).save(tmp_path / "model.json")
    path.chmod(0o600)
    nn.MLP(2, [1], seed=1).save(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@posix_only
def test_saving_over_a_symlink_keeps_the_link(tmp_path: Path) -> None:
    # It replaced the link. Deep test: test_checkpoint.py::test_saving_to_a_symlink_writes_through_to_its_target
    real = nn.MLP(2, [1], seed=0).save(tmp_path / "run-7.json")
    link = tmp_path / "latest.json"
    link.symlink_to(real.name)
    nn.MLP(2, [1], seed=1).save(link)
    assert link.is_symlink()
    assert nn.load_model(real).state_dict() == nn.MLP(2, [1], seed=1).state_dict()


@posix_only
@pytest.mark.parametrize("output", ["-o", "default graph.svg"])
def test_cli_pictures_are_written_through_a_symlink_whole(tmp_path: Path, output: str) -> None:
    # save_graph and the CLI's graph.svg were written in place (a reader could see half a
    # picture). Now a whole new file is renamed over the link's target: a new inode, the old
    # file's mode, the link kept.
    # Deep tests: test_viz_bounds.py::test_save_graph_writes_atomically_and_leaves_the_old_file_on_failure,
    # ::test_save_graph_to_a_symlink_replaces_the_file_it_points_to
    real = tmp_path / "pictures" / "latest-real.svg"
    real.parent.mkdir()
    real.write_text("old picture")
    real.chmod(0o600)
    link = tmp_path / "graph.svg"
    link.symlink_to(real)
    inode = real.stat().st_ino
    args = ["graph", "tanh(x*w)", "x=2", "w=-3"]
    run = run_cli([*args, "-o", str(link)] if output == "-o" else args, tmp_path)
    assert run.status == 0, run.stderr
    assert link.is_symlink()
    ET.fromstring(real.read_text(encoding="utf-8"))
    assert real.stat().st_ino != inode  # replaced by a rename, not rewritten in place
    assert stat.S_IMODE(real.stat().st_mode) == 0o600
    assert leftovers(tmp_path) == [] and leftovers(real.parent) == []


# -- hostile text --------------------------------------------------------------------------------


def test_hostile_label_symbol_and_number_text_give_svg_that_parses() -> None:
    # Control characters, NUL or U+FFFE gave a renderer syntax error; a lone surrogate a raw
    # UnicodeEncodeError. Deep test: test_viz_bounds.py::test_hostile_labels_symbols_and_number_text_give_svg_that_parses
    # (both renderers); the hypothesis test below draws random labels.
    x = Value(1.0, label="x\x00\x07\ufffe\ud800")
    op = ops.Op("corpus_symbol", lambda v: v, lambda out, v: (1.0,), symbol="s\x1b[31m\udfff")
    y = op(x) * 2
    y.label = "\x1f\uffff"
    y.backward()
    svg = viz.to_svg(y, number_format=lambda v: f"{v:g}\x00\ud801")
    texts = " ".join(
        t.text or "" for t in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}text")
    )
    assert "x\\x00\\x07\\ufffe\\ud800" in texts and "\\x1b[31m\\udfff" in texts


@pytest.mark.parametrize("text", ["]", "]]", "a]", "[x]"])
def test_a_label_or_symbol_of_brackets_renders(text: str) -> None:
    # graphviz 2.43 failed with "syntax error" on an HTML label that is only "]" (hypothesis
    # found it, as an op's symbol); the picture now writes "]" as an entity.
    x = Value(1.0, label=text)
    op = ops.Op("corpus_brackets", lambda v: v, lambda out, v: (1.0,), symbol=text)
    y = op(x) * 2
    y.label = text
    svg = viz.to_svg(y)
    texts = [t.text for t in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}text")]
    assert texts.count(text) == 3, texts  # the op's box and the two labels


def test_cli_formula_comments_do_not_send_escape_sequences_to_the_terminal(tmp_path: Path) -> None:
    # A comment in the formula echoed terminal escape sequences raw.
    # Deep test: test_cli_graph.py::test_escape_sequences_in_the_formula_are_not_sent_to_the_terminal
    run = run_cli(["graph", "x * 2  # \x1b]0;owned\x07\x1b[2J", "x=1"], tmp_path)
    assert run.status == 0, run.stderr
    assert "\x1b" not in run.stdout + run.stderr and "\x07" not in run.stdout + run.stderr
    assert run.stdout.startswith("x * 2 # \\x1b]0;owned\\x07\\x1b[2J = 2\n")


def test_cli_formula_bytes_that_are_not_utf8_are_one_clear_line(tmp_path: Path) -> None:
    # Bytes that are not UTF-8 reach Python as lone surrogates (\udc80): one error line, no
    # traceback, nothing written.
    run = run_cli(["graph", b"x # \x80\x1b[2J", "x=1"], tmp_path)
    assert run.status == 2
    assert_matches(r"^invalid expression: .*'\\udc80' in position 4", one_error_line(run))
    assert not (tmp_path / "graph.svg").exists()


# -- grad modes, bool, across threads ----------------------------------------------------------


def test_one_no_grad_object_entered_in_two_threads_at_once() -> None:
    # ValueError: Token ... created in a different Context. The first thread to enter leaves
    # first, while the second is still inside: the order that broke a shared stack of tokens.
    # Deep test: test_engine.py::test_one_grad_mode_object_can_be_entered_in_several_threads
    mode = ag.no_grad()
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    errors: list[BaseException] = []
    made: list[Value] = []

    def first() -> None:
        with mode:
            first_in.set()
            assert second_in.wait(30)
            made.append(Value(2.0) * Value(3.0))
        assert ag.is_grad_enabled()
        first_out.set()

    def second() -> None:
        assert first_in.wait(30)
        with mode:
            second_in.set()
            assert first_out.wait(30)  # the first thread has left the block; this one has not
            made.append(Value(2.0) * Value(3.0))
        assert ag.is_grad_enabled()

    def recording(body: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                body()
            except BaseException as exc:  # reported below, in the test's thread
                errors.append(exc)
                for event in (first_in, second_in, first_out):
                    event.set()  # let the other thread finish

        return run

    threads = [threading.Thread(target=recording(body)) for body in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(made) == 2 and all(not v.parents for v in made)  # no graph recorded
    assert ag.is_grad_enabled()


@pytest.mark.parametrize(
    ("number", "truth"), [(0.0, False), (-0.0, False), (5e-324, True), (-2.0, True)]
)
def test_bool_of_a_value_is_bool_of_its_data(number: float, truth: bool) -> None:
    # bool(Value(0.0)) was True.
    assert bool(Value(number)) is truth
    assert (1 if Value(number) else 0) == truth


# -- hypothesis: hostile labels ----------------------------------------------------------------

HOSTILE_CHARACTERS = list(
    "\x00\x01\x07\x08\x0b\x0c\x1b\x1f\x7f\x85\u2028\u2029\u200b\u202e\ufeff\ufffe\uffff\ufdd0"
    "\U0010ffff\U0001fffe\ud800\udbff\udc80\udfff<>&\"'\\[]{};|\n\r\t éΣ×"
)
HOSTILE_WORDS = [
    "<script>alert(1)</script>",
    "<svg onload=alert(1)>",
    '"]; evil [label="pwned"]; x [label="',
    "</TD></TR></TABLE>>",
    "]]>",
    "<![CDATA[",
    "<!--",
    "-->",
    "&amp;",
    "&#0;",
    "&#xD800;",
    "\\N",
    "\\G",
    "\\l",
    "<B>",
    "%s%n",
    "\x1b[31m",
    "\x1b]0;title\x07",
]
HOSTILE_TEXT = st.lists(
    st.one_of(
        st.sampled_from(HOSTILE_CHARACTERS),
        st.sampled_from(HOSTILE_WORDS),
        st.integers(0xD800, 0xDFFF).map(chr),  # every lone surrogate
        st.characters(),
    ),
    max_size=10,
).map("".join)


def small_network(labels: list[str], symbol: str) -> tuple[Value, list[Value]]:
    """tanh(w·x + b) · x + w², with an op of the given symbol: a neuron, a loss, shared uses."""
    x, w, b = (Value(v, label=label) for v, label in zip([1.5, -2.0, 0.5], labels))
    identity = ops.Op("corpus_hostile", lambda v: v, lambda out, v: (1.0,), symbol=symbol)
    y = identity(ag.dot([w], [x], b).tanh()) * x + w * w
    y.label = labels[3]
    return y, [x, w, b]


@settings(max_examples=40)  # each example starts the renderer (about 0.05 s)
@given(
    labels=st.lists(HOSTILE_TEXT, min_size=4, max_size=4),
    symbol=HOSTILE_TEXT,
    suffix=HOSTILE_TEXT,
    collapse=st.sampled_from([None, "neuron", "layer"]),
)
def test_random_hostile_labels_give_svg_that_parses_and_leave_backward_alone(
    labels: list[str], symbol: str, suffix: str, collapse: str | None
) -> None:
    y, leaves = small_network(labels, symbol)
    y.backward()
    plain, plain_leaves = small_network(["", "", "", ""], "id")
    plain.backward()
    assert [v.grad for v in leaves] == [v.grad for v in plain_leaves]
    svg = viz.to_svg(y, collapse=collapse, number_format=lambda v: f"{v:.3g}{suffix}")
    root = ET.fromstring(svg)  # raises on any character or markup XML does not allow
    for element in root.iter():
        assert not element.tag.lower().endswith("script"), element.tag
        assert not any(name.lower().startswith("on") for name in element.attrib), element.attrib


# -- hypothesis: random formulas ---------------------------------------------------------------

# Well-formed formulas over extreme numbers, so that values, domain errors, overflows and
# non-finite gradients all come up; the issue's shapes (flat chains near and past the parser's
# limit and past backward's 1,000-node check, deep parentheses); and the same formulas with a
# hostile piece spliced in, or plain random text.
NUMBERS = ["0", "2", "-1", "0.5", "1e-310", "1e-320", "1e300", "1e308"]
VALID_ATOMS = st.sampled_from(["x", "w", "x", "w", *NUMBERS])
HOSTILE_PIECES = st.sampled_from(
    [
        "10**400",
        "9" * 400,
        "1j",
        "'s'",
        "None",
        "ﬁ",
        "𝐱",
        "ｘ",
        "𝐞𝐱𝐩(x)",
        "\x00",
        "\ufffe",
        "\ud800",
        "\udc80",
        "\u200b",
        "\x1b[31m",
        " # \x1b]0;t\x07",
        "x.__class__",
        "__import__('os')",
        "eval('1')",
        "open",
        "@",
        "%",
        ",",
        ")",
        "(",
        "[",
    ]
)
UNARY = [name for name, spec in expr.FUNCTIONS.items() if spec.min_args == 1 and name != "sum"]
CHAIN_TERMS = ["x", "w", "x*w", "x*1e308", "w**-1", "sqrt(w)", "log(x)", "1e300*x", "tanh(x)"]


def _combine_formulas(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.tuples(children, st.sampled_from(["+", "-", "*", "/", "**"]), children).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})"
        ),
        children.map(lambda c: f"-{c}"),
        st.tuples(st.sampled_from(UNARY), children).map(lambda t: f"{t[0]}({t[1]})"),
        st.lists(children, min_size=1, max_size=4).map(lambda cs: f"sum({', '.join(cs)})"),
        st.tuples(children, children, children).map(lambda t: f"dot([{t[0]}], [{t[1]}], {t[2]})"),
        st.tuples(children, st.sampled_from([10, 150, 199, 200, 201])).map(
            lambda t: "(" * t[1] + t[0] + ")" * t[1]
        ),
    )


VALID_FORMULAS = st.recursive(VALID_ATOMS, _combine_formulas, max_leaves=8)
FLAT_CHAINS = st.tuples(
    st.lists(st.sampled_from(CHAIN_TERMS), min_size=1, max_size=3),
    st.sampled_from(["+", "-", "*"]),
    st.sampled_from([2, 300, 1001, 1200, 2900, 3100]),
).map(lambda t: t[1].join(t[0][i % len(t[0])] for i in range(t[2])))
SPLICED = st.tuples(VALID_FORMULAS, HOSTILE_PIECES, st.integers(0, 10**6)).map(
    lambda t: t[0][: t[2] % (len(t[0]) + 1)] + t[1] + t[0][t[2] % (len(t[0]) + 1) :]
)
FORMULAS = st.one_of(
    VALID_FORMULAS,
    FLAT_CHAINS,
    SPLICED,
    st.text(max_size=60),
    st.text(alphabet="xw01e+-*/()[],. \x00\ud800\ufffe#", max_size=60),
)


class HangError(Exception):
    """Raised in the test's thread when one formula takes longer than the guard allows."""


@contextlib.contextmanager
def time_guard(seconds: float) -> Iterator[None]:
    """Interrupt the block with ``HangError`` after ``seconds`` (POSIX main thread; else no guard)."""
    if (
        not hasattr(signal, "setitimer")
        or threading.current_thread() is not threading.main_thread()
    ):
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        raise HangError(f"still running after {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@given(
    source=FORMULAS,
    x=st.sampled_from([0.0, 1e-300, 1.0, -2.0, 1e300]),
    w=st.sampled_from([0.0, 1e-310, 0.5, -3.0]),
)
def test_random_formulas_give_a_value_or_a_clear_error_and_report_non_finite_gradients(
    source: str, x: float, w: float
) -> None:
    # Deep test of what the parser refuses and that nothing is ever executed:
    # test_cli_graph.py::test_evaluate_raises_only_expression_errors (audit hook).
    leaves = {"x": Value(x, label="x"), "w": Value(w, label="w")}
    with time_guard(10.0):
        try:
            result = expr.evaluate(source, leaves)
        except ExpressionError as exc:
            message = str(exc)
            assert message and message.isprintable(), (
                f"{shown(source)}: {message!r}"
            )  # one line, no raw controls
            return
        if not isinstance(result, Value):
            assert type(result) is float and math.isfinite(result)
            return
        assert math.isfinite(result.data)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result.backward()
    warned = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    non_finite = [name for name, v in leaves.items() if not math.isfinite(v.grad)]
    constants = [
        p
        for node in ag.topological_order(result)
        for p in node.parents
        if not p.parents and p.label not in leaves and not math.isfinite(p.grad)
    ]
    if non_finite or constants:
        assert len(warned) == 1, (
            f"{shown(source)}: non-finite gradient of {non_finite} not reported"
        )
    else:
        assert warned == [], f"{shown(source)}: warned with every gradient finite: {warned}"


def shown(source: str) -> str:
    """A formula in a failure message: its start and its length (some are 10,000 characters)."""
    return f"{source[:60]!r}{'...' if len(source) > 60 else ''} ({len(source)} characters)"
