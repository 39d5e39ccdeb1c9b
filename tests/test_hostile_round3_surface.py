"""Issue 27's hostile corpus, part two: the surface a user touches first.

Findings 3, 4, 5, 7, 10, 11 and 13 of issue 27 ("Hardened, round 3"), one entry each: the
advice of the step-through's errors and its size limit, bidirectional controls in labels, the
``train`` command's size checks, ``register_op``'s checks, the PyTorch bridge, hooked nodes at
interpreter exit, and what ``make demo`` installs. (Findings 1, 2, 6, 8, 9 and 12 are in
tests/test_hostile_round3_state.py.) The comment
of each entry gives what the issue measured before the fix; deeper tests of the same behaviour
are in tests/test_stepthrough.py, tests/test_cli_train.py and tests/test_interop.py.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import math
import re
import subprocess
import sys
import time
import tracemalloc
import warnings
from pathlib import Path
from typing import Any

import pytest

import autograd_core as ag
from autograd_core import cli, nn, ops, viz
from autograd_core.engine import Value

ROOT = Path(__file__).resolve().parent.parent
_names = itertools.count()


def fresh(name: str) -> str:
    """An op name no other test has taken."""
    return f"round3_{name}_{next(_names)}"


def page_data(page: str) -> dict[str, Any]:
    match = re.search(r'<script type="application/json" id="ag-data">(.*?)</script>', page, re.S)
    assert match is not None
    data: dict[str, Any] = json.loads(match.group(1))
    return data


def strings(item: Any) -> str:
    """Every string in the page's JSON (as the page's script reads them), one per line."""
    if isinstance(item, str):
        return item
    if isinstance(item, dict):
        item = list(item.values())
    return "\n".join(strings(x) for x in item) if isinstance(item, list) else ""


def chain(n: int) -> Value:
    y = Value(1.0, label="x")
    for i in range(n):
        y = y * 1.0001 + float(i)
    return y


# -- finding 3: the step-through's advice works, and huge pages are refused in seconds ----------


def test_finding_3_stepthrough_timeout_keyword_works_and_huge_pages_are_refused_fast(
    tmp_path: Path,
) -> None:
    # Before: to_html(..., timeout=) and explain(timeout=) raised "unexpected keyword argument",
    # save_graph(..., "p.html", timeout=60) stopped at 10 s anyway, and a 100,000-value fan
    # spent 48 s and 2.5 GB before the same RenderTimeoutError.
    y = chain(40)
    # a time limit no renderer meets proves the keyword reaches the renderer, on every route
    for route in (
        lambda t: ag.viz.to_html(y, timeout=t),
        lambda t: ag.viz.explain(y, timeout=t),
        lambda t: y.explain(timeout=t),
        lambda t: ag.viz.save_graph(y, tmp_path / "p.html", timeout=t),
    ):
        with pytest.raises(viz.RenderTimeoutError) as caught:
            route(1e-4)
        message = str(caught.value)
        assert message.startswith("to_html: ") and "within 0.0001 s" in message
        # its advice names only keywords that to_html, explain and save_graph all take
        assert "timeout=" in message and "collapse" not in message
        assert route(120.0) is not None  # and the advice works
    assert (tmp_path / "p.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    with pytest.raises(TypeError, match="to_html: timeout must be a real number"):
        ag.viz.to_html(y, timeout="60")  # type: ignore[arg-type]
    # the command line's page takes the same advice, as an option
    from autograd_core.cli import main

    page = tmp_path / "cli.html"
    assert (
        main(["graph", "x * w + b", "x=2", "w=-3", "b=1", "--html", str(page), "--timeout", "1e-4"])
        == 1
    )
    assert not page.exists()
    assert (
        main(["graph", "x * w + b", "x=2", "w=-3", "b=1", "--html", str(page), "--timeout", "120"])
        == 0
    )
    assert page.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")

    fan = ag.sum([Value(float(i)) for i in range(100_000)])
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(ValueError) as caught:
            ag.viz.to_html(fan, max_nodes=None, timeout=None)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    elapsed = time.perf_counter() - started
    message = str(caught.value)
    assert "\n" not in message
    assert "100001 values" in message and f"{ag.stepthrough.PAGE_LIMIT:,}" in message
    assert "ag.viz.draw_graph(y)" in message and "max_nodes=None" not in message
    assert elapsed < 5.0, f"refused after {elapsed:.1f} s"
    assert peak < 50 * 2**20, f"{peak / 2**20:.0f} MB allocated before refusing"


# -- finding 4: bidirectional controls are escaped in the page and the picture ----------------

BIDI_CONTROLS = [
    "\u061c",
    "\u200e",
    "\u200f",
    *map(chr, range(0x202A, 0x202F)),
    *map(chr, range(0x2066, 0x206A)),
]


@pytest.mark.parametrize("control", BIDI_CONTROLS, ids=lambda c: f"U+{ord(c):04X}")
def test_finding_4_bidi_controls_in_labels_are_escaped_in_page_and_picture(control: str) -> None:
    # Before: Value(2.0, label="a\u202e") * Value(-3.0, label="b") showed the panel's
    # chain-rule numbers reversed: the control went into the page raw.
    a = Value(2.0, label="a" + control)
    y = a * Value(-3.0, label="b")
    y.label = "y" + control
    page = ag.viz.to_html(y, title="t" + control, number_format=lambda v: f"{v:g}{control}")
    escaped = f"\\u{ord(control):04x}"
    assert control not in page
    data = page_data(page)  # the panel's text, as the page's script reads it
    texts = strings(data)
    assert control not in texts
    assert f"a{escaped}" in texts and f"y{escaped}" in texts
    svg = ag.viz.to_svg(y)
    assert control not in svg and f"a{escaped}" in svg
    # C0 controls, which JSON.parse used to hand back raw to the panel, are escaped too
    nul = Value(1.0, label="n\x00") * 2.0
    assert "\x00" not in strings(page_data(ag.viz.to_html(nul)))


# -- finding 5: the train command checks sizes before allocating ------------------------------


def run_train(args: list[str], tmp_path: Path) -> tuple[subprocess.CompletedProcess[str], float]:
    started = time.perf_counter()
    run = subprocess.run(
        [sys.executable, "-m", "autograd_core", "train", *args, "--out", str(tmp_path / "run")],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    return run, time.perf_counter() - started


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--hidden", "100000", "100000"], ["10,000,500,001 parameters", "1,000,000"]),
        (["--samples", "100000000"], ["100,000,000", f"{cli.MAX_SAMPLES:,}"]),
        (["--hidden", "300", "300", "--samples", "100000"], ["91,501 parameters", "1e+09"]),
        (["--hidden", "30000"], ["30,000-wide", "--no-plot"]),
    ],
    ids=["parameters", "samples", "work-per-epoch", "plot-grid"],
)
def test_finding_5_train_refuses_huge_sizes_at_once_in_one_line(
    args: list[str], named: list[str], tmp_path: Path
) -> None:
    # Before: --hidden 10000 died in the plot with a 2.98 GiB _ArrayMemoryError after
    # training; --hidden 100000 100000 a raw MemoryError after 56 s; --samples 100000000 a raw
    # MemoryError after 28 s.
    if "--no-plot" in named and importlib.util.find_spec("matplotlib") is None:
        pytest.skip("without matplotlib there is no decision-boundary plot to refuse")
    run, elapsed = run_train(args, tmp_path)
    assert run.returncode == 2, run.stderr
    assert run.stdout == ""
    lines = run.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("autograd-core train: error: "), run.stderr
    for word in named:
        assert word in lines[0]
    assert elapsed < 10.0  # the interpreter's start included; the check itself is instant
    assert not (tmp_path / "run").exists()
    # a wide model that is allowed gets a coarser decision-boundary grid, within the budget
    resolution = cli._plot_resolution(10_000)
    assert 8 * 10_000 * resolution**2 <= cli._PLOT_BYTES and resolution >= cli._MIN_RESOLUTION
    assert cli._plot_resolution(16) == 200  # the default picture is unchanged
    usage = cli.build_parser().parse_args(["train"])  # the bounds are in --help too
    assert usage.no_plot is False


def test_finding_5_the_bounds_are_stated_in_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["train", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert f"at most {cli.MAX_SAMPLES:,}" in text and f"{cli.MAX_PARAMETERS:,} parameters" in text
    assert "--no-plot" in text


# -- finding 7: register_op checks its row, and the rule's result, naming the op --------------


def test_finding_7_register_op_validates_names_the_op_and_allows_rerunning_a_cell() -> None:
    # Before: arity="1" and arity=2.0 were accepted ("takes 1 input(s), got 1" at use);
    # symbol=12345 gave AttributeError ... isidentifier when drawing; a rule returning a
    # number or None gave "'float' object is not iterable" without the op's name; a forward
    # returning NaN reported "too large for a float"; registering a name again raised.
    def identity(x: float) -> float:
        return x

    def one(out: Any, x: Any) -> tuple[float]:
        return (1.0,)

    bad_rows: list[tuple[dict[str, Any], type[Exception], str]] = [
        ({"arity": "1"}, TypeError, "arity must be an int"),
        ({"arity": 2.0}, TypeError, "arity must be an int"),
        ({"arity": True}, TypeError, "arity must be an int"),
        ({"arity": 0}, ValueError, "arity must be from 1 to"),
        ({"symbol": 12345}, TypeError, "symbol must be a str"),
        ({"symbol": ""}, ValueError, "symbol must be printable text"),
        ({"symbol": "a\u202eb"}, ValueError, "symbol must be printable text"),
        ({"params": "c"}, TypeError, "params must be a tuple of names"),
        ({"params": (1,)}, TypeError, "each of params must be a name"),
        ({"argnames": ("a", "b")}, ValueError, "argnames needs one name per input"),
        ({"colour": "red"}, TypeError, "unknown field"),
    ]
    for fields, error, message in bad_rows:
        name = fresh("bad")
        with pytest.raises(error, match=re.escape(f"register_op({name!r}): {message}")):
            ops.register_op(name, identity, one, **fields)
        assert name not in [op.name for op in ops.all_ops()]

    # a rule that returns a number or None, fed Values for a second derivative
    for result in (2.0, None):
        name = fresh("rule")

        def rule(out: Any, x: Any, result: Any = result) -> Any:
            return (2.0 * x,) if isinstance(x, float) else result

        op = ops.register_op(name, lambda x: x * x, rule)
        with pytest.raises(TypeError, match=rf"^{name}: the partials rule must return a tuple"):
            op(Value(3.0)).backward(create_graph=True)

    nan_op = ops.register_op(fresh("nan"), lambda x: math.nan, one)
    with pytest.raises(ValueError, match=r"returned NaN .*x=1\.5 \(Value 'x'\)") as caught:
        nan_op(Value(1.5, label="x"))
    assert str(caught.value).startswith(nan_op.name) and "too large" not in str(caught.value)

    # a notebook cell run twice: the second registration replaces the first
    name = fresh("cell")
    first = ops.register_op(name, lambda x: 2.0 * x, (2.0,))
    second = ops.register_op(name, lambda x: 3.0 * x, (3.0,))
    assert ops.get_op(name) is second and second is not first
    assert second(Value(1.0)).data == 3.0
    with pytest.raises(ValueError, match="'mul' is a built-in op and cannot be replaced"):
        ops.register_op("mul", identity, one)
    assert ops.get_op("mul") is ops.MUL


# -- finding 10: the PyTorch bridge refuses what it cannot translate, and is fast --------------


def test_finding_10_interop_refuses_complex_meta_and_overflow_and_from_torch_is_linear() -> None:
    # Before: complex64 weights lost their imaginary part with a warning; a meta-device Linear
    # gave a raw NotImplementedError; float16 turned a weight of 1e10 into inf silently;
    # from_torch of a 2000 × 2000 model took 52 s and 2.7 GB (twice building the model).
    torch = pytest.importorskip("torch")
    from autograd_core.interop import from_torch, to_torch

    complex_net = torch.nn.Sequential(torch.nn.Linear(2, 2, dtype=torch.complex64))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no ComplexWarning either
        with pytest.raises(TypeError, match=r"from_torch: layer 0 .*complex64"):
            from_torch(complex_net)
    meta_net = torch.nn.Sequential(torch.nn.Linear(2, 2, device="meta"))
    with pytest.raises(ValueError, match=r"from_torch: layer 0 .*meta device"):
        from_torch(meta_net)

    model = nn.MLP(2, [3, 1], seed=0)
    model.layers[1].neurons[0].w[2].data = 1e10
    with pytest.raises(
        ValueError, match=r"parameter layers\.1\.neurons\.0\.w\.2 is 10+\.0, too large for float16"
    ):
        to_torch(model, dtype=torch.float16)
    assert to_torch(model, dtype=torch.float32)[2].weight[0, 2].item() == pytest.approx(1e10)

    # from_torch costs what building the model costs and little on top: it used to hold a
    # state dict of one named entry per weight as well (a third more memory, twice the time)
    width = 150
    net = torch.nn.Sequential(torch.nn.Linear(width, width))

    def peak(build: Any) -> float:
        tracemalloc.start()
        try:
            build()
            return float(tracemalloc.get_traced_memory()[1])
        finally:
            tracemalloc.stop()

    translated = peak(lambda: from_torch(net))
    built = peak(lambda: nn.MLP(width, [width], seed=0))
    # on top of the model: at most the weights as one list of floats (8 B a pointer, 24 B a
    # float, rounding); a named state-dict entry per weight was over 100 B a weight
    extra = (translated - built) / width**2
    assert extra < 40.0, f"from_torch {translated:.3g} B, the MLP alone {built:.3g} B"
    copy = from_torch(net)
    assert copy.layers[0].neurons[7].w[3].data == net[0].weight[7, 3].item()


# -- finding 13: make demo installs what the demo needs -----------------------------------------


def make_rules(text: str) -> dict[str, tuple[list[str], list[str]]]:
    """target -> (prerequisites, recipe lines) of a simple Makefile (variables expanded)."""
    variables = dict(re.findall(r"^(\w+)\s*:?=\s*(.*?)\s*$", text, flags=re.M))

    def expand(word: str) -> str:
        for _ in range(5):
            word = re.sub(r"\$\((\w+)\)", lambda m: variables.get(m.group(1), m.group(0)), word)
        return word

    rules: dict[str, tuple[list[str], list[str]]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        if line.startswith("\t") and current is not None:
            current.append(expand(line.strip()))
            continue
        match = re.match(r"^([^\s:=#][^:=]*):(?!=)\s*(.*)$", line)
        current = None
        if match:
            prerequisites = [expand(p) for p in match.group(2).replace("|", " ").split()]
            current = []
            for target in match.group(1).split():
                rules[expand(target)] = (prerequisites, current)
    return rules


def test_finding_13_make_demo_installs_the_package_and_plot_only() -> None:
    # Before: make demo installed the dev and docs extras too (1.6 GB: torch, Playwright,
    # mkdocs ...) to train a 337-parameter MLP.
    rules = make_rules((ROOT / "Makefile").read_text())
    (demo_stamp,) = [p for p in rules["demo"][0] if p.startswith(".venv/")]
    installs = [line for line in rules[demo_stamp][1] if "pip install" in line and " -e " in line]
    assert len(installs) == 1 and installs[0].endswith("-e '.[plot]'"), installs
    assert not any("dev" in line or "docs" in line for line in rules[demo_stamp][1])
    # make test (and every target that runs a tool of the dev extras) installs the rest
    (full,) = {p for p in rules["test"][0] if p.startswith(".venv/")}
    assert full != demo_stamp
    assert any("'.[dev,plot,docs]'" in line for line in rules[full][1])
    for target in ("lint", "typecheck", "pytest", "pytest-reference", "quick", "docs-check"):
        assert full in rules[target][0], target
    # the README's two set-up commands stay on top, and it says what make test adds
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = re.findall(r"^    (make \w+)", readme.split("\n## ")[0], flags=re.M)
    assert commands == ["make demo", "make test"]
    top = readme.split("\n## ")[0]
    assert "`plot` extra" in top and "`dev` and `docs` extras" in top


# -- finding 11: no exception at interpreter exit ---------------------------------------------


def test_finding_11_a_hooked_node_freed_at_interpreter_exit_raises_nothing() -> None:
    # Issue 27, finding 11: at exit the module's globals are set to None before the last hooked
    # nodes are freed; their clean-up said "'NoneType' object has no attribute 'pop'"
    from autograd_core.engine import hooks as module

    y = Value(1.0) * 2.0
    y.register_hook(lambda g: g)
    forget = type(y).__del__
    saved = module._extras, module.hooks
    count = module.hooks.count
    module._extras, module.hooks = None, None  # type: ignore[assignment]
    try:
        forget(y)  # as the interpreter would call it then: nothing raised
    finally:
        module._extras, module.hooks = saved
    assert id(y) not in module._extras  # its extras are gone from the table all the same
    module.hooks.count = count - 1  # (the counter was out of reach: y's hook, taken off here)
