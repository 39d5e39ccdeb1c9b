"""``to_code``: the generated program computes the library's value and gradients, bit for bit.

The library never runs the code it writes; these tests do: they ``exec`` the source of random
graphs drawn by hypothesis over every op of the table (with the edge points: relu and abs at 0,
``x ** 0``, sqrt at 0, constants on either side) and compare with ``backward``.
"""

from __future__ import annotations

import math
import struct
import warnings
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd_core as ag
from autograd_core import ops
from autograd_core.losses import cross_entropy

SPECIAL = [0.0, 1.0, -1.0, 0.5, 2.0, -2.5, 3.0, 0.25]
EXPONENTS = [0.0, 0.5, 1.0, 2.0, 3.0, -1.0, 2.5, -0.5, -2.0]
NUMBERS = st.one_of(st.sampled_from(SPECIAL), st.floats(-3, 3, allow_nan=False))


def _unary(name: str) -> Callable[..., ag.Value]:
    return lambda v, c, e: getattr(v[0], name)()


# name -> (number of operands, builder(operands, constant, exponent))
BUILDERS: dict[str, tuple[int, Callable[..., Any]]] = {
    "add": (2, lambda v, c, e: v[0] + v[1]),
    "add_const": (1, lambda v, c, e: v[0] + c),
    "sub": (2, lambda v, c, e: v[0] - v[1]),
    "rsub_const": (1, lambda v, c, e: c - v[0]),
    "mul": (2, lambda v, c, e: v[0] * v[1]),
    "mul_const": (1, lambda v, c, e: c * v[0]),
    "div": (2, lambda v, c, e: v[0] / v[1]),
    "rdiv_const": (1, lambda v, c, e: c / v[0]),
    "neg": (1, lambda v, c, e: -v[0]),
    "abs": (1, lambda v, c, e: abs(v[0])),
    "pow": (2, lambda v, c, e: v[0] ** v[1]),
    "rpow_const": (1, lambda v, c, e: abs(c) ** v[0]),
    # (the exponent a constant leaf: as_value makes one from a number, as an operation does)
    "pow_value_exponent": (1, lambda v, c, e: v[0] ** ag.engine.as_value(e)),
    "pow_const": (1, lambda v, c, e: v[0] ** e),
    "exp": (1, _unary("exp")),
    "log": (1, _unary("log")),
    "sqrt": (1, _unary("sqrt")),
    "tanh": (1, _unary("tanh")),
    "sigmoid": (1, _unary("sigmoid")),
    "relu": (1, _unary("relu")),
    "leaky_relu": (1, lambda v, c, e: v[0].leaky_relu(c)),
    "sin": (1, _unary("sin")),
    "cos": (1, _unary("cos")),
    "sum": (3, lambda v, c, e: ag.sum(v)),
    "dot": (4, lambda v, c, e: ag.dot(v[:2], v[2:], bias=v[0])),
    "dot_no_bias": (4, lambda v, c, e: ag.dot(v[:2], v[2:])),
    "affine": (2, lambda v, c, e: ag.dot(v, [c, 1.5], bias=c)),
    "affine_value_bias": (3, lambda v, c, e: ag.dot(v[:2], [c, -0.5], bias=v[2])),
    "cross_entropy": (3, lambda v, c, e: cross_entropy(v, 1)),
}


@st.composite
def programs(draw: st.DrawFn) -> tuple[list[float], list[tuple[str, list[int], float, float]]]:
    inputs = draw(st.lists(NUMBERS, min_size=1, max_size=4))
    step = st.tuples(
        st.sampled_from(sorted(BUILDERS)),
        st.lists(st.integers(0, 1000), min_size=4, max_size=4),
        st.sampled_from(SPECIAL),
        st.sampled_from(EXPONENTS),
    )
    return inputs, draw(st.lists(step, min_size=1, max_size=10))


def build(
    inputs: list[float], steps: list[tuple[str, list[int], float, float]]
) -> tuple[list[ag.Value], ag.Value]:
    """The inputs (labelled leaves) and the output: the sum of every node the steps made."""
    xs = [ag.Value(x, label=f"in{i}") for i, x in enumerate(inputs)]
    values: list[ag.Value] = list(xs)
    for name, picks, constant, exponent in steps:
        arity, builder = BUILDERS[name]
        operands = [values[p % len(values)] for p in picks[:arity]]
        try:
            node = builder(operands, constant, exponent)
        except (ValueError, ZeroDivisionError, OverflowError):
            continue  # outside the op's domain: the library refuses, no node
        values.append(node)
    made = values[len(xs) :]
    return xs, (ag.sum(made) if made else xs[0] * 1.0)


def run(source: str, name: str = "f") -> Callable[..., Any]:
    namespace: dict[str, Any] = {}
    exec(compile(source, "<to_code>", "exec"), namespace)  # only the tests run generated code
    return namespace[name]  # type: ignore[no-any-return]


def same(a: float, b: float) -> bool:
    """Equal as floats, the sign of a zero included; any NaN equals any NaN."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return struct.pack("<d", a) == struct.pack("<d", b)


def test_every_op_of_the_table_is_covered() -> None:
    built = set(ops._built_in)  # the table's own rows
    made = set()
    for arity, builder in BUILDERS.values():
        node = builder([ag.Value(0.7 + 0.1 * i) for i in range(arity)], 0.5, 2.0)
        made.add(node.op.name)
    assert built <= made, built - made


@given(programs())
def test_generated_code_gives_the_library_numbers_bit_for_bit(program: Any) -> None:
    xs, out = build(*program)
    in_graph = set(ag.topological_order(out))
    xs = [x for x in xs if x in in_graph]  # (an input no step used is not in the graph)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # non-finite gradients are expected
        expected = ag.grad(out, xs, allow_unused=True)
        out.backward()
    value, grads = run(ag.to_code(out))(**{x.label: x.data for x in xs})
    assert same(value, out.data)
    assert sorted(grads) == sorted(x.label for x in xs)
    for x, g, walked in zip(xs, expected, (x.grad for x in xs)):
        want = 0.0 if g is None else g
        assert same(grads[x.label], want), (x.label, grads[x.label], want)
        assert same(grads[x.label], walked) or (want == walked == 0.0)


@pytest.mark.parametrize(
    ("f", "point"),
    [
        (lambda x: x.relu() * 3.0, 0.0),  # relu at 0: nothing passes
        (lambda x: abs(x) * 2.0, 0.0),  # abs at 0: 0
        (lambda x: x**0, 0.0),  # x ** 0: 0 even at 0
        (lambda x: x.sqrt(), 0.0),  # slope inf
        (lambda x: x.sqrt() * 0.0, 0.0),  # 0 · inf = NaN
        (lambda x: (x.sqrt() * 0.0).relu(), 0.0),  # relu selects: no NaN
        (lambda x: x.log() + x.exp() + x.tanh() + x.sigmoid(), 0.5),
        (lambda x: x.tanh(), 25.0),  # tanh beyond 19: (1 − out)(1 + out)
        (lambda x: x.sigmoid(), -40.0),  # the negative branch, no overflow
        (lambda x: x**0.5, 0.0),
        (lambda x: x**-0.5, 4.0),
        (lambda x: (-2.0) ** x, 3.0),  # negative base: d/dexponent is NaN
        (lambda x: 0.0**x, 2.0),  # zero base: d/dexponent is 0
    ],
)
def test_edge_points(f: Callable[[ag.Value], ag.Value], point: float) -> None:
    x = ag.Value(point, label="x")
    y = f(x)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        (expected,) = ag.grad(y, [x], allow_unused=True)
    value, grads = run(y.to_code())(point)
    assert same(value, y.data)
    assert same(grads["x"], 0.0 if expected is None else expected)


def test_the_neuron() -> None:
    x, w, b = ag.Value(2.0, label="x"), ag.Value(-3.0, label="w"), ag.Value(6.88, label="b")
    y = (x * w + b).tanh()
    y.backward()
    source = y.to_code(name="neuron")
    assert "def neuron(x, w, b):" in source
    assert "math.tanh(t2)" in source and "g_x = w * g_t1" in source
    value, grads = run(source, "neuron")(2.0, -3.0, 6.88)
    assert value == y.data
    assert grads == {"x": x.grad, "w": w.grad, "b": b.grad}
    # the program of this graph at other inputs is still right (no branch in it)
    value, grads = run(source, "neuron")(1.0, 0.5, -0.25)
    assert value == math.tanh(1.0 * 0.5 - 0.25)


def test_a_value_used_twice_accumulates() -> None:
    x = ag.Value(3.0, label="x")
    source = (x * x).to_code()
    assert "g_x = x * g_t1" in source and "g_x += x * g_t1" in source
    assert run(source)(3.0) == (9.0, {"x": 6.0})


def test_names_are_valid_unique_and_never_shadow() -> None:
    leaves = [
        ag.Value(1.0, label="math"),
        ag.Value(2.0, label="lambda"),
        ag.Value(3.0, label="w[0]"),
        ag.Value(4.0, label="w[0]"),
        ag.Value(5.0, label="2x"),
        ag.Value(6.0, label="abs"),
        ag.Value(7.0, label="t1"),
        ag.Value(8.0, label="g_t1"),
    ]
    y = ag.sum([abs(v) * v for v in leaves]).sqrt()
    source = ag.to_code(y)
    f = run(source)
    names = list(f.__code__.co_varnames[: f.__code__.co_argcount])
    assert len(set(names)) == len(names) == len(leaves)
    assert all(n.isidentifier() for n in names)
    assert not {"math", "lambda", "abs"} & set(names)
    value, grads = f(*(v.data for v in leaves))
    y.backward()
    assert value == y.data and list(grads.values()) == [v.grad for v in leaves]


def test_unlabelled_inputs_and_constants() -> None:
    a, b = ag.Value(2.0), ag.Value(-1.0)
    y = a * b + a * 4.0 + b
    source = ag.to_code(y, inputs=[a, b])
    assert "def f(x0, x1):" in source and "4.0" in source
    y.backward()
    assert run(source)(2.0, -1.0) == (y.data, {"x0": a.grad, "x1": b.grad})
    # by default the leaves the user made are the inputs, x0, x1, ... when unlabelled; the
    # 4.0 an operation was given is a constant, written as a number
    assert ag.to_code(y) == source
    labelled = ag.Value(3.0, label="x0")
    source = ag.to_code(labelled * a * 2.0)
    assert "def f(x0, x0_2):" in source and "2.0 * g_" in source
    assert run(source)(3.0, 2.0)[0] == 12.0


def test_special_constants_are_literals() -> None:
    x = ag.Value(0.0, label="x")
    y = x.sqrt() * -3.0 + (x * -2.0) ** 2
    source = y.to_code()
    assert "math.inf * g_t1" in source and "(-3.0)" in source
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        (expected,) = ag.grad(y, [x])
    assert same(run(source)(0.0)[1]["x"], expected)


def test_a_registered_op_is_refused_by_name() -> None:
    cube = ops.register_op("codegen_cube", lambda x: x**3, lambda out, x: (3 * x * x,))
    x = ag.Value(2.0, label="x")
    with pytest.raises(ValueError, match=r"codegen_cube.*no plain-Python form"):
        ag.to_code(cube(x) + 1.0)


def test_bad_arguments() -> None:
    x = ag.Value(2.0, label="x")
    y = x * x
    with pytest.raises(TypeError, match="to_code: y must be a Value"):
        ag.to_code(2.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="identifier"):
        ag.to_code(y, name="my f")
    with pytest.raises(ValueError, match="identifier"):
        ag.to_code(y, name="lambda")
    with pytest.raises(ValueError, match="interior node"):
        ag.to_code(y, inputs=[y])
    with pytest.raises(ValueError, match="not in the graph"):
        ag.to_code(y, inputs=[ag.Value(1.0)])
    with pytest.raises(TypeError, match="inputs"):
        ag.to_code(y, inputs=x)  # type: ignore[arg-type]


def test_a_long_chain_gives_linear_text_without_recursion() -> None:
    x = ag.Value(0.5, label="x")
    y = x
    for _ in range(10_000):
        y = (y * 0.999).sin()
    source = y.to_code()
    lines = source.splitlines()
    assert len(lines) < 4 * 20_000 + 20  # a line per node and per edge
    value, grads = run(source)(0.5)
    y.backward()
    assert value == y.data and grads["x"] == x.grad


def test_the_library_itself_never_executes_code() -> None:
    import autograd_core.codegen as codegen

    with open(codegen.__file__, encoding="utf-8") as file:
        text = file.read()
    assert "exec(" not in text and "eval(" not in text
