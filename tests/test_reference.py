"""Every route to a gradient agrees with the reference engine (autograd_core/engine/reference.py).

Hypothesis writes programs over every op of the table: shared subexpressions, constants on
either side, edge values (±0, tiny, huge, kinks, infinite and NaN local derivatives). Each
program's gradients are computed by the reference (``reference.gradients``) and by each other
route, which must agree:

* the fast ``backward()`` (``walk.py``): to the bit (the same additions in the same order; the
  sign of a zero aside), NaN where NaN;
* ``ag.grad``, with hooks present, and in anomaly mode (which raises exactly when a gradient is
  not finite): to the bit;
* ``backward(create_graph=True)``: the same numbers to 1e-12 (its local derivatives come from the
  rules fed Values, whose last digits may differ: tanh' is 1/cosh² on floats, 1 − out² on
  Values);
* layer blocks (``blocks.py``): 1e-12, as they sum over the samples in another order;
* the step-through page's replay: to the bit;
* ``use("reference")``: the whole library on the reference gives what the fast engine gives.

PyTorch's answers on the cases the issue lists are checked here too (``torch`` float64).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd_core as ag
from autograd_core import Value, ops
from autograd_core.engine import reference

# -- programs ----------------------------------------------------------------------------------

EDGE_VALUES = [0.0, -0.0, 1e-300, -1e-300, 1e-160, 0.5, -0.5, 1.0, -1.0, 2.0, -3.0, 1e150, 30.0]

Build = Callable[[Any, Any, float], Any]
STEPS: dict[str, Build] = {
    "add": lambda a, b, c: a + b,
    "sub": lambda a, b, c: a - b,
    "mul": lambda a, b, c: a * b,
    "div": lambda a, b, c: a / b,
    "pow": lambda a, b, c: a**b,
    "c+a": lambda a, b, c: c + a,
    "a-c": lambda a, b, c: a - c,
    "c*a": lambda a, b, c: c * a,
    "c/a": lambda a, b, c: c / a,
    "a/c": lambda a, b, c: a / c,
    "a**c": lambda a, b, c: a**c,
    "c**a": lambda a, b, c: c**a,
    "a**2": lambda a, b, c: a**2,
    "a**0.5": lambda a, b, c: a**0.5,
    "a**0": lambda a, b, c: a**0,
    "neg": lambda a, b, c: -a,
    "abs": lambda a, b, c: abs(a),
    "exp": lambda a, b, c: a.exp(),
    "log": lambda a, b, c: a.log(),
    "sqrt": lambda a, b, c: a.sqrt(),
    "tanh": lambda a, b, c: a.tanh(),
    "sigmoid": lambda a, b, c: a.sigmoid(),
    "relu": lambda a, b, c: a.relu(),
    "leaky_relu": lambda a, b, c: a.leaky_relu(c),
    "sin": lambda a, b, c: a.sin(),
    "cos": lambda a, b, c: a.cos(),
    "sum": lambda a, b, c: ag.sum([a, b, a]),
    "dot": lambda a, b, c: ag.dot([a, b], [b, c], bias=a),
    "dot_numbers": lambda a, b, c: ag.dot([a, b], [c, 2.0]),
    "cross_entropy": lambda a, b, c: ag.losses.cross_entropy([[a, b, c]], [1]),
    "apply": lambda a, b, c: ops.MUL(a, b),
    "a*a": lambda a, b, c: a * a,  # one parent twice
}


@st.composite
def programs(draw: st.DrawFn) -> list[tuple[str, int, int, float]]:
    """Steps over a growing pool of Values: (op, operand, operand, constant)."""
    steps = []
    for k in range(draw(st.integers(1, 14))):
        name = draw(st.sampled_from(sorted(STEPS)))
        i, j = draw(st.integers(0, 2 + k)), draw(st.integers(0, 2 + k))
        steps.append((name, i, j, draw(st.sampled_from(EDGE_VALUES))))
    return steps


leaf_values = st.lists(st.sampled_from(EDGE_VALUES), min_size=3, max_size=3)


def build(values: list[float], steps: list[tuple[str, int, int, float]]) -> tuple[Value, list]:
    """The program on fresh leaves; a step whose forward has no value is left out."""
    leaves = [Value(x, label=f"x{i}") for i, x in enumerate(values)]
    pool: list[Value] = list(leaves)
    for name, i, j, c in steps:
        try:
            pool.append(STEPS[name](pool[i % len(pool)], pool[j % len(pool)], c))
        except (ValueError, ZeroDivisionError, OverflowError):
            continue
    out = pool[-1]
    for node in pool[-3:-1]:  # several uses of the last nodes: shared subexpressions
        try:
            out = out + node
        except OverflowError:
            break
    return out, leaves


def same(a: Any, b: Any) -> bool:
    """Equal to the bit but for the sign of a zero; NaN where NaN."""
    a, b = getattr(a, "data", a), getattr(b, "data", b)
    return a == b or (math.isnan(a) and math.isnan(b))


def close(a: Any, b: Any) -> bool:
    a, b = getattr(a, "data", a), getattr(b, "data", b)
    if math.isnan(a) or math.isnan(b) or math.isinf(a) or math.isinf(b):
        return same(a, b)
    return abs(a - b) <= 1e-12 * max(abs(a), abs(b)) + 1e-300


def reference_grads(out: Value) -> dict[Value, Any]:
    return reference.gradients([out], [1.0])


# -- the routes, one by one --------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(leaf_values, programs())
def test_fast_backward_is_the_reference_to_the_bit(values, steps) -> None:  # type: ignore[no-untyped-def]
    out, _ = build(values, steps)
    expected = reference_grads(out)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        out.backward()
    for node in ag.topological_order(out):
        assert same(node.grad, expected[node]), (node, node.grad, expected[node])


@settings(max_examples=200, deadline=None)
@given(leaf_values, programs())
def test_ag_grad_and_hooks_are_the_reference(values, steps) -> None:  # type: ignore[no-untyped-def]
    out, leaves = build(values, steps)
    expected = reference_grads(out)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        got = ag.grad(out, leaves, allow_unused=True)
    for leaf, g in zip(leaves, got, strict=True):
        assert (g is None) == (leaf not in expected)
        assert g is None or same(g, expected[leaf])
    # hooks that only watch: every node is called once, with the reference's gradient (zeros
    # too), and the gradients do not change
    seen: dict[Value, float] = {}
    order = ag.topological_order(out)
    handles = [n.register_hook(lambda g, n=n: seen.__setitem__(n, g)) for n in order]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            out.backward()
    finally:
        for handle in handles:
            handle.remove()
    assert set(seen) == set(order)
    for node in order:
        assert same(seen[node], expected[node]) and same(node.grad, expected[node])


@settings(max_examples=200, deadline=None)
@given(leaf_values, programs())
def test_anomaly_mode_raises_exactly_where_the_reference_is_not_finite(values, steps) -> None:  # type: ignore[no-untyped-def]
    out, leaves = build(values, steps)
    expected = reference_grads(out)
    finite = all(math.isfinite(g) for g in expected.values())
    with ag.detect_anomaly():
        if finite:
            got = ag.grad(out, leaves, allow_unused=True)
            assert all(g is None or same(g, expected[x]) for x, g in zip(leaves, got))
        else:
            with pytest.raises(FloatingPointError, match="detect_anomaly"):
                out.backward()


@settings(max_examples=150, deadline=None)
@given(leaf_values, programs())
def test_create_graph_gives_first_orders_numbers_and_never_raises(values, steps) -> None:  # type: ignore[no-untyped-def]
    out, leaves = build(values, steps)
    expected = reference_grads(out)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        got = ag.grad(out, leaves, allow_unused=True, create_graph=True)
    for leaf, g in zip(leaves, got, strict=True):
        if g is not None:
            assert close(g, expected[leaf]), (leaf, g, expected[leaf])


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(-2.0, 2.0), min_size=3, max_size=3), programs())
def test_second_order_is_the_reference_differentiated_twice(values, steps) -> None:  # type: ignore[no-untyped-def]
    # ∂/∂x (Σ ∂out/∂leaf): the general route's second order against reference.gradients run
    # twice by hand, each with create_graph
    out, leaves = build(values, steps)
    first = reference.gradients([out], [1.0], create_graph=True)
    firsts = [first[x] for x in leaves if isinstance(first.get(x), Value) and first[x].op]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        grads = ag.grad(out, leaves, allow_unused=True, create_graph=True)
        ours = [g for g in grads if isinstance(g, Value) and g.op]
        # (first derivatives without a graph are constants: their derivatives are 0)
        second = reference.gradients([ag.sum(firsts)], [1.0]) if firsts else {}
        again = ag.grad(ag.sum(ours), leaves, allow_unused=True) if ours else [None] * 3
    for x, g in zip(leaves, again, strict=True):
        assert close(0.0 if g is None else g, second.get(x, 0.0))


def test_layer_blocks_are_the_reference_to_1e_12() -> None:
    model = ag.nn.MLP(2, [16, 16, 1], seed=0)
    X, y = ag.data.make_moons(40, noise=0.1, seed=1)
    loss = ag.losses.hinge_loss(model(X), y)
    expected = reference_grads(loss)
    loss.backward()
    params = model.parameters()
    scale = max(abs(expected[p]) for p in params)
    assert scale > 0.0
    # (sums of many terms in another order: 1e-12 of the largest gradient)
    assert all(abs(p.grad - expected[p]) <= 1e-12 * scale for p in params)


def test_the_reference_engine_switched_on_gives_the_fast_engines_gradients() -> None:
    def run() -> list[float]:
        model = ag.nn.MLP(2, [8, 8, 1], seed=3)
        X, y = ag.data.make_moons(20, noise=0.1, seed=2)
        model.zero_grad()
        ag.losses.mse_loss(model(X), y).backward()
        return [p.grad for p in model.parameters()]

    fast = run()
    ag.engine.use("reference")
    try:
        assert ag.engine.current() == "reference"
        slow = run()
    finally:
        ag.engine.use("fast")
    assert all(close(a, b) for a, b in zip(fast, slow, strict=True))
    with pytest.raises(ValueError, match="engine must be one of"):
        ag.engine.use("turbo")


# -- PyTorch's answers on every route (the cases of the issue) --------------------------------


def test_zero_times_inf_is_nan_on_every_route() -> None:
    def make() -> tuple[Value, Value]:
        x = Value(0.0, label="x")
        return x, x.sqrt().relu().relu()

    x, y = make()
    with pytest.warns(RuntimeWarning):
        y.backward()
    assert math.isnan(x.grad)  # torch: nan
    x, y = make()
    with pytest.warns(RuntimeWarning):
        assert math.isnan(ag.grad(y, x)[0])
    x, y = make()
    (g,) = ag.grad(y, x, create_graph=True)
    assert math.isnan(getattr(g, "data", g))
    x, y = make()
    handle = y.register_hook(lambda g: None)
    with pytest.warns(RuntimeWarning):
        y.backward()
    handle.remove()
    assert math.isnan(x.grad)
    x, y = make()
    with ag.detect_anomaly(), pytest.raises(FloatingPointError, match=r"sqrt"):
        y.backward()


def test_a_hook_on_a_node_reached_with_zero_is_called() -> None:
    x = Value(2.0, label="x")
    a = x * 3.0
    a.register_hook(lambda g: g + 1)
    ((a * 1.0) * 0.0).backward()
    assert x.grad == 3.0  # torch: the hook turns a's 0 into 1, times ∂a/∂x = 3


def test_a_hooks_nan_flows_as_nan() -> None:
    x = Value(2.0, label="x")
    y = x * 3.0
    y.register_hook(lambda g: math.nan)
    with pytest.warns(RuntimeWarning):
        (y * 2.0).backward()
    assert math.isnan(x.grad)


def test_create_graph_does_not_raise_where_first_order_has_a_number() -> None:
    x = Value(0.5)
    (x / 1e-300).backward(create_graph=True)
    assert x.grad.data == pytest.approx(1e300) if isinstance(x.grad, Value) else x.grad > 1e299
    (g,) = ag.grad(Value(1e-200) ** -1.0, [Value(1.0)], allow_unused=True)
    assert g is None


def test_rules_returning_a_number_name_the_op() -> None:
    bad = ops.register_op("ref_bad_rule", lambda x: 2.0 * x, lambda out, x: 2.0)
    with pytest.raises(TypeError, match="ref_bad_rule: the partials rule must return a tuple"):
        bad(Value(1.0))


# second and third derivatives where a first derivative is infinite or NaN: PyTorch keeps the
# graph of an infinite gradient, so the next order is not the 0 of a constant
HIGHER_ORDER_EDGES: list[tuple[str, Callable[[Any], Any], float]] = [
    ("sqrt at 0", lambda x: x.sqrt(), 0.0),
    ("sqrt at -0", lambda x: x.sqrt(), -0.0),
    ("x ** 0.5 at 0", lambda x: x**0.5, 0.0),
    ("x ** 0.5 at -0", lambda x: x**0.5, -0.0),
    ("x ** 1.5 at 0", lambda x: x**1.5, 0.0),
    ("x ** x at -4", lambda x: x**x, -4.0),
    ("1 / x at 1e-200", lambda x: 1.0 / x, 1e-200),
    ("log at 1e-200", lambda x: x.log(), 1e-200),
    ("sqrt(x * 0) + x at 0", lambda x: (x * 0.0).sqrt() + x, 0.0),
    ("x * sqrt at 0", lambda x: x * x.sqrt(), 0.0),
    ("exp(1 / x) at 0.002", lambda x: (1.0 / x).exp(), 0.002),
]


def torch_derivatives(torch: Any, fn: Callable[[Any], Any], at: float, orders: int) -> list[float]:
    t = torch.tensor(at, dtype=torch.float64, requires_grad=True)
    y, found = fn(t), []
    for _ in range(orders):
        (y,) = torch.autograd.grad(y, t, create_graph=True)
        found.append(y.item())
    return found


@pytest.mark.parametrize(
    ("name", "fn", "at"), HIGHER_ORDER_EDGES, ids=[c[0] for c in HIGHER_ORDER_EDGES]
)
def test_higher_orders_at_the_edges_are_pytorchs(
    name: str, fn: Callable[[Any], Any], at: float
) -> None:
    torch = pytest.importorskip("torch")
    expected = torch_derivatives(torch, fn, at, orders=3)
    x = Value(at, label="x")
    y, ours = fn(x), []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for _ in range(3):
            (y,) = ag.grad(y, x, create_graph=True)
            ours.append(y)
    assert all(isinstance(g, Value) for g in ours)  # each a graph to differentiate again
    assert [g.data for g in ours] == pytest.approx(expected, rel=1e-12, nan_ok=True), name


def test_the_issues_second_orders_without_pytorch() -> None:
    # closed forms: d²√x/dx² = −x^(−3/2)/4 → −inf at 0+; d²(1/x)/dx² = 2/x³ → inf at 1e-200
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        assert ag.functional.hessian(ag.sqrt)(0.0) == [[-math.inf]]
        assert ag.functional.grad(ag.functional.grad(lambda x: 1 / x))(1e-200) == math.inf
        # x**x = exp(x log x) has no real derivative in x at a negative x: NaN, as in torch
        assert math.isnan(ag.functional.grad(ag.functional.grad(lambda x: x**x))(-4.0))


def test_a_non_finite_gradient_carries_on_but_a_new_overflow_still_raises() -> None:
    x = Value(0.0, label="x")
    (g,) = ag.grad(x.sqrt(), x, create_graph=True)  # inf, as a Value
    assert g.data == math.inf
    assert (g * 2.0).data == math.inf  # inf carries on, as a float's would
    assert math.isnan((g - g).data)
    with pytest.raises(OverflowError, match=r"mul: .*too large"):
        Value(1e300) * 1e300  # made from finite numbers: still refused, naming the op
    with pytest.raises(ZeroDivisionError, match="div"):
        Value(1.0) / 0.0


@pytest.mark.parametrize("create_graph", [False, True])
def test_torch_agrees_on_the_edge_cases_on_each_route(create_graph: bool) -> None:
    torch = pytest.importorskip("torch")
    cases: list[tuple[Callable[[Any], Any], float]] = [
        (lambda x: x.sqrt().relu().relu(), 0.0),
        (lambda x: (x * 0.0).sqrt() * 0.0 + x, 0.0),
        (lambda x: x.relu() * 2.0, -1.0),
        (lambda x: abs(x) * x, 0.0),
        (lambda x: x**0.0 * x, 0.0),
    ]
    for fn, at in cases:
        t = torch.tensor(at, dtype=torch.float64, requires_grad=True)
        fn(t).backward()
        expected = t.grad.item()
        x = Value(at)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            (g,) = ag.grad(fn(x), x, create_graph=create_graph)
        assert same(g, expected), (at, g, expected)


# -- the operators are plain source ------------------------------------------------------------


def test_operators_are_plain_source_a_reader_and_a_debugger_can_open() -> None:
    import inspect
    import traceback

    for method in (Value.__mul__, Value.__add__, Value.__sub__, Value.__truediv__, Value.tanh):
        source = inspect.getsource(method)
        assert "def " in source and "exec" not in source
    try:
        Value(1.0) / Value(0.0)
    except ZeroDivisionError as exc:
        frames = traceback.extract_tb(exc.__traceback__)
    assert all(f.filename.endswith(".py") and f.line for f in frames)  # a file and a line each


def test_the_operators_make_the_references_nodes() -> None:
    a, b = Value(1.5, label="a"), Value(-2.0, label="b")
    pairs = [
        (a * b, reference.apply(ops.MUL, (a, b))),
        (a + 2.0, reference.apply(ops.ADD, (a, 2.0))),
        (2.0 - a, reference.apply(ops.SUB, (2.0, a))),
        (a / b, reference.apply(ops.DIV, (a, b))),
        (a.tanh(), reference.apply(ops.TANH, (a,))),
        (-a, reference.apply(ops.NEG, (a,))),
        (a ** b.relu(), reference.apply(ops.POW, (a, reference.apply(ops.RELU, (b,))))),
    ]
    for ours, defined in pairs:
        assert ours.op is defined.op and ours.data == defined.data
        assert ours.partials == defined.partials
        assert [p.data for p in ours.parents] == [p.data for p in defined.parents]
