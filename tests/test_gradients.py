"""Every op's partials rule against central finite differences, on hypothesis-drawn inputs.

The test is parametrized over ``ops.all_ops()``, so an op added to the table (or registered by
a user) is checked without writing a new test. Each op gets a domain below; an op with no entry
is checked on inputs in [-3, 3] wherever its forward is defined.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import autograd_core as ag
from autograd_core import Value, ops
from autograd_core.functional import GradcheckError, gradcheck
from autograd_core.ops import Op


def smooth(lo: float, hi: float, avoid: float | None = None) -> st.SearchStrategy[float]:
    """Floats in [lo, hi], kept 1e-3 away from ``avoid`` (a kink such as relu's 0)."""
    strategy = st.floats(lo, hi, allow_nan=False, allow_infinity=False)
    if avoid is not None:
        strategy = strategy.filter(lambda x: abs(x - avoid) > 1e-3)
    return strategy


NEAR = smooth(-3, 3)
AWAY_FROM_ZERO = smooth(-3, 3, avoid=0.0)
NONZERO = st.one_of(smooth(-3, -0.2), smooth(0.2, 3))

# op name -> strategy of argument lists (within the op's domain, away from kinks)
DOMAINS: dict[str, st.SearchStrategy[list[float]]] = {
    "log": st.tuples(smooth(0.05, 20)).map(list),
    "sqrt": st.tuples(smooth(0.05, 20)).map(list),
    "div": st.tuples(NEAR, NONZERO).map(list),
    "pow": st.tuples(smooth(0.1, 4), smooth(-3, 3)).map(list),
    "pow_const": st.tuples(smooth(0.1, 4)).map(list),
    "relu": st.tuples(AWAY_FROM_ZERO).map(list),
    "abs": st.tuples(AWAY_FROM_ZERO).map(list),
    "leaky_relu": st.tuples(AWAY_FROM_ZERO).map(list),
    "exp": st.tuples(smooth(-10, 10)).map(list),
    "sigmoid": st.tuples(smooth(-30, 30)).map(list),
    "tanh": st.tuples(smooth(-5, 5)).map(list),
    "sum": st.lists(NEAR, min_size=1, max_size=6),
    "dot": st.integers(1, 4).flatmap(
        lambda n: st.lists(NEAR, min_size=2 * n, max_size=2 * n + 1).filter(
            lambda xs: len(xs) in (2 * n, 2 * n + 1)
        )
    ),
}

# parameter values to bind for the ops that have hyper-parameters
PARAMS: dict[str, list[tuple[float, ...]]] = {
    "pow_const": [(-2.0,), (-1.0,), (0.0,), (0.5,), (1.0,), (2.0,), (3.0,), (2.5,)],
    "leaky_relu": [(0.01,), (0.2,), (-0.5,)],
    # the constants of a first-layer node, with its bias an input (None) or bound
    "affine": [((0.5, -2.0), None), ((1.5,), 0.25), ((-1.0, 0.0, 3.0), -0.5)],
    "cross_entropy": [(0,), (2,)],  # the target class
}


def domain(op: Op) -> st.SearchStrategy[list[float]]:
    if op.base is ops.AFFINE:  # a weight per constant, and the bias unless it is bound
        constants, bias = op.params
        n = len(constants) + (bias is None)
        return st.lists(NEAR, min_size=n, max_size=n)
    if op.base is ops.CROSS_ENTROPY:  # logits of at least target + 1 classes
        (target,) = op.params
        return st.lists(smooth(-10, 10), min_size=target + 1, max_size=target + 4)
    if op.base.name in DOMAINS:
        return DOMAINS[op.base.name]
    arity = op.arity if op.arity is not None else 3
    return st.lists(NEAR, min_size=arity, max_size=arity)


def check_partials(op: Op, args: Sequence[float], rel: float = 1e-6, abs_: float = 1e-7) -> None:
    """Assert that op's rule matches central finite differences of op.forward at args."""
    try:
        out = op.forward(*args)
    except (ArithmeticError, ValueError):
        assume(False)  # outside the op's domain: nothing to check at this point
    rule = op.partials(out, *args)
    assert len(rule) == len(args), f"{op.name}: {len(rule)} partials for {len(args)} inputs"
    for i, x in enumerate(args):
        h = 1e-6 * max(1.0, abs(x))
        plus = list(args)
        minus = list(args)
        plus[i] = x + h
        minus[i] = x - h
        numerical = (op.forward(*plus) - op.forward(*minus)) / (2 * h)
        analytic = float(ops.data(rule[i]))
        tolerance = abs_ + rel * max(1.0, abs(numerical), abs(out))
        assert abs(analytic - numerical) <= tolerance, (
            f"{op.describe()} at {list(args)}: rule gives ∂/∂{i} = {analytic!r}, "
            f"finite differences give {numerical!r}"
        )


def table_cases() -> list[Op]:
    cases: list[Op] = []
    for op in ops.all_ops():
        if op.param_names:
            cases.extend(op.bind(*p) for p in PARAMS.get(op.name, [(1.5,) * len(op.param_names)]))
        else:
            cases.append(op)
    return cases


@pytest.mark.parametrize("op", table_cases(), ids=lambda op: op.describe())
@given(data=st.data())
def test_rule_matches_finite_differences(op: Op, data: st.DataObject) -> None:
    args = data.draw(domain(op))
    check_partials(op, args)


@pytest.mark.parametrize("op", table_cases(), ids=lambda op: op.describe())
@given(data=st.data())
def test_rule_fed_values_gives_the_same_numbers(op: Op, data: st.DataObject) -> None:
    """Rules are written in dispatching math, ready for higher-order derivatives."""
    args = data.draw(domain(op))
    try:
        out = op.forward(*args)
    except (ArithmeticError, ValueError):
        assume(False)
    as_floats = op.partials(out, *args)
    as_values = op.partials(Value(out), *[Value(x) for x in args])
    assert [ops.data(v) for v in as_values] == pytest.approx(as_floats, rel=1e-12, abs=0)


@pytest.mark.parametrize("op", table_cases(), ids=lambda op: op.describe())
@given(data=st.data())
def test_graph_node_stores_the_rule(op: Op, data: st.DataObject) -> None:
    """A node built through the engine records forward and partials of its op row."""
    args = data.draw(domain(op))
    try:
        expected = op.forward(*args)
    except (ArithmeticError, ValueError):
        assume(False)
    leaves = [Value(x) for x in args]
    node = ag.engine.apply(op, leaves)
    assert node.data == expected
    assert node.parents == tuple(leaves)
    assert node.partials == pytest.approx(op.partials(expected, *args), rel=0, abs=0)


def test_the_checker_catches_a_wrong_rule() -> None:
    # tanh' is 1 − tanh², not 1 − tanh: an easy slip, which the check must reject
    wrong = Op("tanh_wrong", forward=math.tanh, partials=lambda out, x: (1.0 - out,))
    with pytest.raises(AssertionError, match="rule gives"):
        check_partials(wrong, [0.7])
    # and a subtly wrong one: sigmoid' scaled by 1.001
    sig = ops.SIGMOID
    off = Op("sigmoid_off", sig.forward, lambda out, x: (1.001 * out * (1 - out),))
    with pytest.raises(AssertionError):
        check_partials(off, [0.3])
    check_partials(sig, [0.3])  # while the real rule passes at the same point


def test_gradcheck_catches_a_wrong_rule() -> None:
    wrong = Op("sin_wrong", forward=math.sin, partials=lambda out, x: (-ops.cos(x),))
    with pytest.raises(GradcheckError, match="x0"):
        gradcheck(lambda x: wrong(x) * 2, [0.4])
    assert gradcheck(lambda x: x.sin() * 2, [0.4])


@given(st.lists(smooth(-2, 2), min_size=3, max_size=3))
def test_gradcheck_on_composite_expressions(xs: list[float]) -> None:
    def f(a: Value, b: Value, c: Value) -> Value:
        return ag.sum([(a * b).tanh(), (b - c).sigmoid() / (1 + c * c), a.sin() * c.cos()]) ** 2

    assert gradcheck(f, xs)


# -- edge points, PyTorch's conventions --------------------------------------------------------


def grad_of(f: Callable[[Value], Any], x: float) -> float:
    v = Value(x)
    f(v).backward()
    return v.grad


def test_edge_point_derivatives() -> None:
    assert grad_of(lambda x: x.relu(), 0.0) == 0.0
    assert grad_of(lambda x: abs(x), 0.0) == 0.0
    assert grad_of(lambda x: x.leaky_relu(0.1), 0.0) == 0.1
    assert grad_of(lambda x: x**0, 0.0) == 0.0
    assert grad_of(lambda x: x**0, -2.0) == 0.0
    assert grad_of(lambda x: x**1, 0.0) == 1.0
    assert grad_of(lambda x: x**2, 0.0) == 0.0
    assert grad_of(lambda x: x.sqrt(), 0.0) == math.inf
    assert grad_of(lambda x: x**0.5, 0.0) == math.inf
    assert grad_of(lambda x: x**3, -2.0) == 12.0
    # ∂(0**y)/∂y = 0 for y ≥ 0
    assert grad_of(lambda y: Value(0.0) ** y, 2.0) == 0.0
    assert grad_of(lambda y: Value(0.0) ** y, 0.0) == 0.0


def test_edge_points_match_torch(torch: Any) -> None:
    cases: list[tuple[Callable[[Any], Any], Callable[[Any], Any], float]] = [
        (lambda x: x.relu(), torch.relu, 0.0),
        (lambda x: abs(x), torch.abs, 0.0),
        (lambda x: x**0, lambda t: t**0, 0.0),
        (lambda x: x**2, lambda t: t**2, 0.0),
        (lambda x: x.sqrt(), torch.sqrt, 0.0),
        (lambda x: x**0.5, lambda t: t**0.5, 0.0),
        (lambda x: x**3, lambda t: t**3, -2.0),
        (lambda y: Value(0.0) ** y, lambda t: torch.tensor(0.0, dtype=torch.float64) ** t, 2.0),
        (lambda y: Value(0.0) ** y, lambda t: torch.tensor(0.0, dtype=torch.float64) ** t, 0.0),
        (lambda x: x.sigmoid(), torch.sigmoid, -800.0),
        (lambda x: x.sigmoid(), torch.sigmoid, 800.0),
        (lambda x: x.tanh(), torch.tanh, 30.0),
    ]
    for ours, theirs, x in cases:
        t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
        theirs(t).backward()
        assert grad_of(ours, x) == t.grad.item(), (ours, x)
