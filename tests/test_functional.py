"""Functions that take floats or Values; the n-ary sum and dot nodes."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd_core as ag
from autograd_core import Value

FUNCS = {
    "exp": math.exp,
    "log": math.log,
    "sqrt": math.sqrt,
    "tanh": math.tanh,
    "sigmoid": lambda x: 1 / (1 + math.exp(-x)),
    "relu": lambda x: max(0.0, x),
    "sin": math.sin,
    "cos": math.cos,
}


@pytest.mark.parametrize("name", sorted(FUNCS))
def test_floats_in_floats_out_values_in_values_out(name: str) -> None:
    fn = getattr(ag, name)
    as_float = fn(0.7)
    as_value = fn(Value(0.7))
    assert type(as_float) is float
    assert isinstance(as_value, Value)
    assert as_float == as_value.data == pytest.approx(FUNCS[name](0.7), rel=1e-15)
    assert getattr(Value(0.7), name)().data == as_float


def test_int_input_and_type_errors() -> None:
    assert ag.exp(0) == 1.0
    with pytest.raises(TypeError, match="exp: expected a real number"):
        ag.exp("1")  # type: ignore[call-overload]


def test_leaky_relu_both_ways() -> None:
    assert ag.leaky_relu(-2.0) == pytest.approx(-0.02)
    assert ag.leaky_relu(-2.0, negative_slope=0.5) == -1.0
    assert ag.leaky_relu(Value(-2.0), 0.5).data == -1.0
    with pytest.raises(TypeError, match="negative_slope"):
        Value(1.0).leaky_relu("x")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "x",
    [-1000.0, -745.0, -40.0, -1e-3, 0.0, 1e-3, 40.0, 745.0, 1000.0],
)
def test_sigmoid_is_stable_and_exact_at_extremes(x: float) -> None:
    s = ag.sigmoid(x)
    assert 0.0 <= s <= 1.0
    assert s + ag.sigmoid(-x) == pytest.approx(1.0, abs=1e-15)
    v = Value(x)
    v.sigmoid().backward()
    assert v.grad == pytest.approx(s * (1 - s), abs=1e-300)


def test_sum_is_one_node_with_unit_partials() -> None:
    xs = [Value(float(i), label=f"x{i}") for i in range(5)]
    total = ag.sum([xs[0], 2.5, *xs[1:], xs[0]])
    assert total.op is ag.ops.SUM
    constant = total.parents[1]  # a number among Values becomes a constant leaf
    assert constant.is_leaf and constant.data == 2.5 and constant.label == ""
    assert total.parents == (xs[0], constant, *xs[1:], xs[0])
    assert total.partials == (1.0,) * 7
    assert total.data == 0 + 2.5 + 1 + 2 + 3 + 4 + 0
    total.backward()
    assert [x.grad for x in xs] == [2.0, 1.0, 1.0, 1.0, 1.0]


def test_sum_floats_and_generators() -> None:
    assert ag.sum([1, 2.5]) == 3.5
    assert ag.sum([]) == 0.0
    assert ag.sum(Value(float(i)) for i in range(3)).data == 3.0


@given(st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=50))
def test_sum_equals_a_chain_of_additions_bit_for_bit(xs: list[float]) -> None:
    values = [Value(x) for x in xs]
    chain = values[0]
    for v in values[1:]:
        chain = chain + v
    assert ag.sum(values).data == chain.data


@pytest.mark.slow
def test_sum_of_a_million_terms_is_one_node_and_linear() -> None:
    xs = [Value(1.0) for _ in range(1_000_000)]
    total = ag.sum(x * 2.0 for x in xs)
    assert len(total.parents) == 1_000_000
    total.backward()
    assert xs[0].grad == 2.0 and xs[-1].grad == 2.0
    assert total.data == 2_000_000.0


def test_dot_matches_a_neuron_built_from_plain_ops_bit_for_bit() -> None:
    ws = [Value(w) for w in (0.3, -1.7, 2.2)]
    b = Value(0.1)
    xs = [0.5, -0.25, 1.5]
    fused = ag.dot(ws, xs, b)
    plain = sum((wi * xi for wi, xi in zip(ws, xs)), b)
    assert fused.data == plain.data
    fused.backward()
    fused_grads = [w.grad for w in ws] + [b.grad]
    for p in [*ws, b]:
        p.grad = 0.0
    plain.backward()
    assert fused_grads == [w.grad for w in ws] + [b.grad]


def test_dot_partials_and_parents() -> None:
    w = [Value(2.0, label="w0"), Value(-1.0, label="w1")]
    x = [Value(3.0, label="x0"), 4.0]
    b = Value(0.5, label="b")
    out = ag.dot(w, x, bias=b)
    assert out.data == 0.5 + 6.0 - 4.0
    constant = out.parents[3]  # the number 4.0 among Values: a constant leaf
    assert constant.is_leaf and constant.data == 4.0
    assert out.parents == (w[0], w[1], x[0], constant, b)
    assert out.partials == (3.0, 4.0, 2.0, -1.0, 1.0)
    out.backward()
    assert (w[0].grad, w[1].grad, x[0].grad, b.grad) == (3.0, 4.0, 2.0, 1.0)


def test_dot_same_value_on_both_sides() -> None:
    w = Value(3.0)
    out = ag.dot([w], [w])  # w·w
    out.backward()
    assert out.data == 9.0 and w.grad == 6.0


def test_dot_floats_and_errors() -> None:
    assert ag.dot([1, 2], [3, 4], 1) == 12.0
    with pytest.raises(ValueError, match="dot: ws and xs must have the same length, got 2 and 1"):
        ag.dot([1.0, 2.0], [1.0])
    with pytest.raises(OverflowError, match=r"dot: .*too large"):
        ag.dot([Value(1e200)], [1e200])
    with pytest.raises(TypeError, match="dot"):
        ag.dot([Value(1.0)], ["x"])


def test_register_op_checks_and_lookup() -> None:
    op = ag.register_op("test_square", lambda x: x * x, lambda out, x: (2 * x,), symbol="²")
    y = op(Value(3.0))
    y.backward()
    assert y.data == 9.0 and y.parents[0].grad == 6.0
    assert op(3.0) == 9.0
    assert ag.ops.get_op("test_square") is op
    # a re-run notebook cell registers its op again: the new row replaces the old one
    again = ag.register_op("test_square", lambda x: x * x, lambda out, x: (2.0 * x,))
    assert ag.ops.get_op("test_square") is again and again(4.0) == 16.0
    with pytest.raises(ValueError, match="built-in op"):
        ag.register_op("mul", lambda a, b: a * b, lambda out, a, b: (b, a), arity=2)
    with pytest.raises(KeyError, match="no op named 'nope'"):
        ag.ops.get_op("nope")
    with pytest.raises(TypeError, match="takes 1 input"):
        op(1.0, 2.0)
    bad = ag.ops.Op("bad_rule", lambda x: x, lambda out, x: (1.0, 2.0))
    with pytest.raises(ValueError, match=r"partials rule returned 2 value"):
        bad(Value(1.0))


def test_an_op_with_constant_partials_is_one_tuple_in_its_row() -> None:
    # x - 2y: constant local derivatives (1, -2), declared as numbers instead of a rule
    op = ag.register_op("test_x_minus_2y", lambda a, b: a - 2 * b, (1, -2.0), arity=2)
    assert op.constant_partials == (1.0, -2.0) and op.finite_partials
    assert op.partials(0.0, 5.0, 7.0) == (1.0, -2.0)  # the generic rule interface still works
    a, b = Value(5.0), Value(7.0)
    y = op(a, b) * op(a, b)  # y = (a - 2b)²
    y.backward()
    assert y.data == 81.0
    assert (a.grad, b.grad) == (2 * -9.0 * 1.0, 2 * -9.0 * -2.0)
    # second derivatives: constant partials hand on no graph of their own
    a, b = Value(5.0), Value(7.0)
    (ga,) = ag.grad(op(a, b) * op(a, b), [a], create_graph=True)
    (gaa,) = ag.grad(ga, [a])
    assert gaa == 2.0
    # the built-in rows with constant partials: operators and functions give the row's numbers
    x, z = Value(1.0), Value(2.0)
    for node, row in ((x + z, ag.ops.ADD), (x - z, ag.ops.SUB), (-x, ag.ops.NEG)):
        assert node.op is row and node.partials == row.constant_partials
    assert ag.ops.ADD.constant_partials == (1.0, 1.0) and ag.ops.NEG.constant_partials == (-1.0,)
    assert ag.ops.SUB(x, z).partials == (1.0, -1.0)
    assert ag.ops.MUL.constant_partials is None


@pytest.mark.parametrize(
    ("partials", "error", "message"),
    [
        ((1.0,), ValueError, r"test_bad_constants: constant partials need one number per input"),
        ((1.0, "2"), TypeError, r"test_bad_constants: a constant partial must be a real .*'2'"),
        ((1.0, True), TypeError, r"a constant partial must be a real number, got True"),
        ([1.0, 2.0], TypeError, r"partials callable or a tuple of constants, got .* \[1.0, 2.0\]"),
    ],
)
def test_constant_partials_are_checked(partials: Any, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        ag.register_op("test_bad_constants", lambda a, b: a + b, partials, arity=2)
    assert "test_bad_constants" not in [o.name for o in ag.ops.all_ops()]


def test_a_bound_op_keeps_the_sign_of_a_zero_parameter() -> None:
    # −0.0 == 0.0, so a cache keyed on the parameters alone handed a bias of −0.0 (dot without
    # a bias) to a later dot with the bias +0.0, and a perfect prediction's loss became −0.0
    # in whichever test ran second
    first = ag.dot([Value(0.0)], [-1.0])  # no bias: the sum starts at −0.0
    second = ag.dot([Value(0.0)], [-1.0], 0.0)  # the bias +0.0
    assert math.copysign(1.0, first.data) == -1.0
    assert math.copysign(1.0, second.data) == 1.0
    ag.ops.LEAKY_RELU.bind(-0.0)
    assert math.copysign(1.0, ag.ops.LEAKY_RELU.bind(0.0).params[0]) == 1.0
