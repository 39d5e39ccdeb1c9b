"""Derivatives of derivatives: ``ag.grad(create_graph=True)`` and ``ag.functional``.

Every row of the op table is differentiated two and three times and compared with closed forms
written out below and with PyTorch's ``torch.autograd.grad(..., create_graph=True)``; Hessians
of Rosenbrock's function and of a small MLP's loss are compared with
``torch.autograd.functional.hessian``; Newton's method, driven by ``grad(grad(f))``, must
converge quadratically; ``gradgradcheck`` must pass on every row and fail, naming the op, on a
rule planted wrong. Then the engine's other new pieces: anomaly mode, hooks, ``backward`` on a
graph built under ``no_grad``, and ops of our own (``register_op``).
"""

from __future__ import annotations

import inspect
import itertools
import math
import os
import random
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import autograd_core as ag
from autograd_core import Value, ops
from autograd_core.engine import apply
from autograd_core.functional import (
    GradcheckError,
    grad,
    gradcheck,
    gradgradcheck,
    hessian,
    jacobian,
    value_and_grad,
)
from autograd_core.ops import Op
from tests.test_edges_torch import EDGE_CASES, KINDS, Kind, build_graph, pick, same
from tests.test_gradients import domain, table_cases

# The built-in rows: those whose rule is written in autograd_core/ops.py (a user's op, such as
# one another test module registers, has its rule elsewhere).
# the rows ops.py declares (each is a module constant there: ADD, MUL, ...), not the tests' own
BUILT_IN_ROWS = {row for row in vars(ops).values() if isinstance(row, Op)}
BUILT_IN = [op for op in table_cases() if op.base in BUILT_IN_ROWS]

_names = itertools.count()


def fresh(name: str) -> str:
    """A new op name: the table refuses a name twice, and hypothesis reruns test bodies."""
    return f"test_higher_{name}_{next(_names)}"


def close(ours: float, expected: float, rel: float = 1e-9) -> bool:
    """Equal to ``rel`` relative to the larger of the two numbers and 1."""
    return abs(ours - expected) <= rel * max(1.0, abs(ours), abs(expected))


def d(y: Any, leaves: Sequence[Value], create_graph: bool = True) -> list[Any]:
    """``[∂y/∂leaf]`` through the engine's ``ag.grad``; 0.0 where ``y`` does not depend on one."""
    if not isinstance(y, Value):
        return [0.0] * len(leaves)
    grads = ag.grad([y], list(leaves), create_graph=create_graph, allow_unused=True)
    return [0.0 if g is None else g for g in grads]


def number(x: Any) -> float:
    return float(ops.data(x))


# -- closed forms ------------------------------------------------------------------------------

Tensors = tuple[list[list[float]], list[list[list[float]]]]  # (Hessian, third derivatives)


def zeros(n: int) -> Tensors:
    return [[0.0] * n for _ in range(n)], [[[0.0] * n for _ in range(n)] for _ in range(n)]


def unary(f2: Callable[..., float], f3: Callable[..., float]) -> Callable[..., Tensors]:
    return lambda xs, *params: ([[f2(xs[0], *params)]], [[[f3(xs[0], *params)]]])


def mul_forms(xs: Sequence[float]) -> Tensors:
    h, t = zeros(2)
    h[0][1] = h[1][0] = 1.0
    return h, t


def div_forms(xs: Sequence[float]) -> Tensors:
    a, b = xs
    h, t = zeros(2)
    h[0][1] = h[1][0] = -1.0 / b**2
    h[1][1] = 2.0 * a / b**3
    for i, j, k in itertools.permutations((0, 1, 1)):
        t[i][j][k] = 2.0 / b**3
    t[1][1][1] = -6.0 * a / b**4
    return h, t


def pow_forms(xs: Sequence[float]) -> Tensors:
    x, y = xs
    ln = math.log(x)
    h = [
        [y * (y - 1) * x ** (y - 2), x ** (y - 1) * (1 + y * ln)],
        [x ** (y - 1) * (1 + y * ln), x**y * ln**2],
    ]
    xxy = x ** (y - 2) * ((2 * y - 1) + y * (y - 1) * ln)
    xyy = x ** (y - 1) * ln * (2 + y * ln)
    t = [[[0.0] * 2 for _ in range(2)] for _ in range(2)]
    for i, j, k in itertools.product((0, 1), repeat=3):
        t[i][j][k] = {
            0: y * (y - 1) * (y - 2) * x ** (y - 3),
            1: xxy,
            2: xyy,
            3: x**y * ln**3,
        }[i + j + k]  # the number of y's among the three indices
    return h, t


def cross_entropy_forms(xs: Sequence[float], target: int) -> Tensors:
    # ∂L/∂zᵢ = pᵢ − [i = t] with p = softmax(z): the target drops out of the higher orders.
    # ∂²L/∂zᵢ∂zⱼ = pᵢ([i = j] − pⱼ), and its derivative in z_k by the product rule.
    m = max(xs)
    exps = [math.exp(x - m) for x in xs]
    p = [e / sum(exps) for e in exps]
    n = len(xs)
    r = range(n)

    def kron(i: int, j: int) -> float:
        return 1.0 if i == j else 0.0

    h = [[p[i] * (kron(i, j) - p[j]) for j in r] for i in r]
    t = [
        [
            [
                kron(i, j) * p[i] * (kron(i, k) - p[k])
                - p[i] * (kron(i, k) - p[k]) * p[j]
                - p[i] * p[j] * (kron(j, k) - p[k])
                for k in r
            ]
            for j in r
        ]
        for i in r
    ]
    return h, t


def dot_forms(xs: Sequence[float]) -> Tensors:
    n = len(xs) // 2
    h, t = zeros(len(xs))
    for i in range(n):
        h[i][n + i] = h[n + i][i] = 1.0  # ∂²(Σ wᵢxᵢ)/∂wᵢ∂xᵢ
    return h, t


def _tanh2(x: float) -> float:
    t = math.tanh(x)
    return -2 * t * (1 - t * t)


def _tanh3(x: float) -> float:
    t = math.tanh(x)
    return (1 - t * t) * (6 * t * t - 2)


def _sigmoid(x: float) -> float:
    return ops.SIGMOID.forward(x)


CLOSED_FORMS: dict[str, Callable[..., Tensors]] = {
    "add": lambda xs: zeros(2),
    "sub": lambda xs: zeros(2),
    "mul": mul_forms,
    "div": div_forms,
    "neg": lambda xs: zeros(1),
    "abs": lambda xs: zeros(1),
    "relu": lambda xs: zeros(1),
    "leaky_relu": lambda xs, slope: zeros(1),
    "pow": pow_forms,
    "pow_const": unary(
        lambda x, c: c * (c - 1) * x ** (c - 2) if c not in (0.0, 1.0) else 0.0,
        lambda x, c: c * (c - 1) * (c - 2) * x ** (c - 3) if c not in (0.0, 1.0, 2.0) else 0.0,
    ),
    "exp": unary(math.exp, math.exp),
    "log": unary(lambda x: -1 / x**2, lambda x: 2 / x**3),
    "sqrt": unary(lambda x: -0.25 * x**-1.5, lambda x: 0.375 * x**-2.5),
    "tanh": unary(_tanh2, _tanh3),
    "sigmoid": unary(
        lambda x: _sigmoid(x) * (1 - _sigmoid(x)) * (1 - 2 * _sigmoid(x)),
        lambda x: _sigmoid(x) * (1 - _sigmoid(x)) * (1 - 6 * _sigmoid(x) + 6 * _sigmoid(x) ** 2),
    ),
    "sin": unary(lambda x: -math.sin(x), lambda x: -math.cos(x)),
    "cos": unary(lambda x: -math.cos(x), math.sin),
    "sum": lambda xs: zeros(len(xs)),
    "dot": dot_forms,
    "affine": lambda xs, constants, bias: zeros(len(xs)),
    "cross_entropy": cross_entropy_forms,
}


def closed_forms(op: Op, xs: Sequence[float]) -> Tensors:
    return CLOSED_FORMS[op.base.name](xs, *op.params)


def engine_tensors(op: Op, xs: Sequence[float]) -> Tensors:
    """Second and third derivatives of ``op`` at ``xs``, by ag.grad three times."""
    leaves = [Value(x) for x in xs]
    out = apply(op, leaves)
    first = d(out, leaves)
    second = [d(g, leaves) for g in first]
    third = [[d(h, leaves, create_graph=False) for h in row] for row in second]
    return (
        [[number(h) for h in row] for row in second],
        [[[number(t) for t in col] for col in row] for row in third],
    )


def assert_tensors_close(ours: Tensors, expected: Tensors, what: str, rel: float = 1e-9) -> None:
    (h, t), (eh, et) = ours, expected
    n = len(eh)
    for i, j in itertools.product(range(n), repeat=2):
        assert close(h[i][j], eh[i][j], rel), f"{what}: ∂²/∂{i}∂{j} = {h[i][j]!r}, not {eh[i][j]!r}"
        for k in range(n):
            assert close(t[i][j][k], et[i][j][k], rel), (
                f"{what}: ∂³/∂{i}∂{j}∂{k} = {t[i][j][k]!r}, not {et[i][j][k]!r}"
            )


def test_every_built_in_row_has_a_closed_form_here() -> None:
    rows = {op.name for op in ops.all_ops() if op in BUILT_IN_ROWS}
    assert rows == set(CLOSED_FORMS), "a row of the table needs its second and third derivatives"
    assert {op.base.name for op in BUILT_IN} == rows


@pytest.mark.parametrize("op", BUILT_IN, ids=lambda op: op.describe())
@settings(max_examples=30)
@given(data=st.data())
def test_second_and_third_derivatives_match_closed_forms(op: Op, data: st.DataObject) -> None:
    xs = data.draw(domain(op))
    # x ** e with e = 0 exactly: ∂/∂x is the constant 0 there (PyTorch's choice, which the
    # torch test below checks), so its derivative in e is 0, not x**-1 as the closed form says.
    # The derivatives of x ** y hold x ** (y - 1) and x ** (y - 2), so y = 0, 1, 2 meet that
    # choice at second or third order (PyTorch too gives ∂³/∂x²∂y = 0 at y = 1).
    assume(op.base is not ops.POW or xs[1] not in (0.0, 1.0, 2.0))
    assert_tensors_close(engine_tensors(op, xs), closed_forms(op, xs), op.describe())


@pytest.mark.parametrize("op", BUILT_IN, ids=lambda op: op.describe())
@settings(max_examples=15)
@given(data=st.data())
def test_second_and_third_derivatives_match_torch(torch: Any, op: Op, data: st.DataObject) -> None:
    from autograd_core.interop import graph_to_torch

    xs = data.draw(domain(op))
    leaves = [Value(x) for x in xs]
    t_out, t_leaves = graph_to_torch(apply(op, leaves))
    ts = [t_leaves[leaf] for leaf in leaves]

    def t_d(y: Any, create_graph: bool = True) -> list[Any]:
        if not y.requires_grad:
            return [torch.zeros((), dtype=torch.float64)] * len(ts)
        gs = torch.autograd.grad(
            y, ts, create_graph=create_graph, retain_graph=True, allow_unused=True
        )
        return [torch.zeros((), dtype=torch.float64) if g is None else g for g in gs]

    second = [t_d(g) for g in t_d(t_out)]
    third = [[t_d(h, create_graph=False) for h in row] for row in second]
    theirs = (
        [[h.item() for h in row] for row in second],
        [[[t.item() for t in col] for col in row] for row in third],
    )
    assert_tensors_close(engine_tensors(op, xs), theirs, f"{op.describe()} vs torch")


# -- ag.functional ---------------------------------------------------------------------------


def test_grad_reproduces_the_seed_examples() -> None:
    assert grad(lambda x: x**2 + 3 * x + 2)(2.0) == 7.0
    assert close(grad(lambda x: ag.sin(x**2))(3.0), 6 * math.cos(9.0), 1e-14)
    assert close(grad(lambda x: ag.sin(x**2))(3.0), -5.4668, 1e-4)
    dx, dy = grad(lambda x, y: x**2 + y**2, argnums=(0, 1))(1.5, -2.0)
    assert (dx, dy) == (3.0, -4.0)
    assert isinstance(dx, float) and isinstance(dy, float)


@pytest.mark.parametrize("order", [1, 2, 3, 4, 5])
def test_grad_composes_to_any_order(order: int) -> None:
    f: Callable[..., Any] = lambda x: ag.exp(2 * x) + ag.sin(x)  # noqa: E731
    for _ in range(order):
        f = grad(f)
    x = 0.3
    expected = 2**order * math.exp(2 * x) + math.sin(x + order * math.pi / 2)
    result = f(x)
    assert isinstance(result, float)
    assert close(result, expected, 1e-12)


def test_grad_with_value_arguments_returns_a_graph() -> None:
    x = Value(0.7, label="x")
    g = grad(lambda v: v * v.sin())(x)  # sin x + x cos x
    assert isinstance(g, Value)
    assert close(g.data, math.sin(0.7) + 0.7 * math.cos(0.7), 1e-14)
    (g2,) = ag.grad([g], [x])  # differentiated again: 2 cos x − x sin x
    assert close(number(g2), 2 * math.cos(0.7) - 0.7 * math.sin(0.7), 1e-14)
    assert x.grad == 0.0


def test_grad_leaves_every_grad_attribute_alone() -> None:
    w = Value(0.5, label="w")
    w.grad = 1.25
    x = Value(2.0, label="x")
    assert grad(lambda v: w * v * v)(3.0) == 3.0  # 2·w·v
    assert number(grad(lambda v: w * v * v)(x)) == 2.0
    assert w.grad == 1.25 and x.grad == 0.0


def test_grad_through_a_function_that_closes_over_an_outer_argument() -> None:
    # d/dx [x · (d/dy (x·y))] = d/dx [x·x] = 2x: the inner derivative must stay a graph in x
    # even though the inner call is given a plain number.
    outer = grad(lambda x: x * grad(lambda y: x * y)(1.0))
    assert outer(3.0) == 6.0


def test_grad_with_repeated_argnums_and_a_value_among_other_arguments() -> None:
    assert grad(lambda x, y: x * x * y, argnums=(0, 0, 1))(3.0, 2.0) == (12.0, 12.0, 9.0)
    y = Value(2.0, label="y")
    g = grad(lambda x, w: x * x * w)(3.0, y)  # a Value among the arguments: a graph in y
    assert isinstance(g, Value) and g.data == 12.0
    (dy,) = ag.grad([g], [y])
    assert number(dy) == 6.0


def test_grad_of_constant_and_of_unused_arguments_is_zero() -> None:
    assert grad(lambda x: 4.0)(1.0) == 0.0
    assert grad(lambda x, y: y * y, argnums=0)(1.0, 2.0) == 0.0
    assert grad(grad(lambda x: 3 * x))(1.0) == 0.0  # f'' of a line


def test_grad_works_under_no_grad() -> None:
    with ag.no_grad():
        assert grad(lambda x: x * x * x)(2.0) == 12.0
        assert grad(grad(lambda x: x * x * x))(2.0) == 12.0


def test_value_and_grad() -> None:
    assert value_and_grad(lambda x: x * x + 3 * x + 2)(2.0) == (12.0, 7.0)
    value, (dx, dy) = value_and_grad(lambda x, y: x * y, argnums=[0, 1])(3.0, 4.0)
    assert (value, dx, dy) == (12.0, 4.0, 3.0)
    x = Value(2.0)
    value, g = value_and_grad(lambda v: v**3)(x)
    assert isinstance(value, Value) and value.data == 8.0 and number(g) == 12.0


def test_jacobian_of_polar_coordinates() -> None:
    r, t = 2.0, 0.5
    jac = jacobian(lambda r, t: [r * ag.cos(t), r * ag.sin(t)])(r, t)
    expected = [[math.cos(t), -r * math.sin(t)], [math.sin(t), r * math.cos(t)]]
    assert [[close(a, b, 1e-15) for a, b in zip(row, e)] for row, e in zip(jac, expected)] == [
        [True, True],
        [True, True],
    ]
    assert jacobian(lambda x, y: x * y)(3.0, 4.0) == [[4.0, 3.0]]  # a scalar: one row
    assert jacobian(lambda x, y: (x, 2.0))(3.0, 4.0) == [[1.0, 0.0], [0.0, 0.0]]


def rosenbrock(*xs: Any) -> Any:
    return ag.sum(
        [100 * (xs[i + 1] - xs[i] ** 2) ** 2 + (1 - xs[i]) ** 2 for i in range(len(xs) - 1)]
    )


@given(st.tuples(st.floats(-2, 2), st.floats(-2, 2)))
def test_hessian_of_rosenbrock_matches_its_closed_form(point: tuple[float, float]) -> None:
    x, y = point
    h = hessian(rosenbrock)(x, y)
    expected = [[2 - 400 * (y - x * x) + 800 * x * x, -400 * x], [-400 * x, 200.0]]
    for i, j in itertools.product(range(2), repeat=2):
        assert close(h[i][j], expected[i][j], 1e-12), (i, j, h, expected)


def test_jacobian_of_the_gradient_is_the_hessian() -> None:
    f = lambda x, y, z: x * y * z + ag.exp(x * z) - y.sin()  # noqa: E731
    point = (0.3, -0.8, 1.1)
    via_jacobian = jacobian(lambda *xs: list(grad(f, argnums=(0, 1, 2))(*xs)))(*point)
    direct = hessian(f)(*point)
    assert all(close(a, b, 1e-13) for ra, rb in zip(via_jacobian, direct) for a, b in zip(ra, rb))
    assert close(direct[0][1], point[2], 1e-15)  # ∂²(xyz)/∂x∂y = z
    assert close(direct[1][0], point[2], 1e-15)


def test_hessian_with_value_arguments_is_differentiable_again() -> None:
    x, y = Value(0.4, label="x"), Value(1.3, label="y")
    h = hessian(lambda a, b: a**3 * b)(x, y)  # [[6ab, 3a²], [3a², 0]]
    assert isinstance(h[0][0], Value)
    (dx, dy) = ag.grad([h[0][0]], [x, y])  # ∂(6ab)/∂a = 6b, ∂/∂b = 6a
    assert close(number(dx), 6 * 1.3, 1e-14) and close(number(dy), 6 * 0.4, 1e-14)


@pytest.mark.parametrize(
    "bad",
    [[1.0, 2.0], (Value(1.0),), None, "loss", {"x": 1.0}, True],
    ids=["list", "tuple", "None", "str", "dict", "bool"],
)
def test_functions_of_f_refuse_an_output_that_is_not_a_scalar(bad: Any) -> None:
    f = lambda x: bad  # noqa: E731
    for make in (grad, value_and_grad, hessian):
        with pytest.raises(
            TypeError,
            match=r"^\w+: the output of f must be a scalar \(a Value or a number\), got .*; "
            r"differentiate one output at a time",
        ):
            make(f)(1.0)
    with pytest.raises(TypeError, match=r"^jacobian: output 1 of f must be a scalar .*got"):
        jacobian(lambda x: [x, bad])(1.0)


def test_functions_of_f_refuse_bad_arguments() -> None:
    np = pytest.importorskip("numpy")
    with pytest.raises(TypeError, match=r"^grad: the output of f must be a scalar .*got ndarray"):
        grad(lambda x: np.array([1.0, 2.0]))(1.0)
    with pytest.raises(TypeError, match=r"^grad: f must be callable, got int 3"):
        grad(3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^grad: argnums must be an int or a non-empty"):
        grad(lambda x: x, argnums="0")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^grad: argnums must be an int or a non-empty"):
        grad(lambda x: x, argnums=())
    with pytest.raises(TypeError, match=r"^grad: argnums must hold ints, got float 1.0"):
        grad(lambda x: x, argnums=(0, 1.0))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"^value_and_grad: argnums must be >= 0, got -1"):
        value_and_grad(lambda x: x, argnums=-1)
    with pytest.raises(ValueError, match=r"^grad: argnums=2 is out of range for f called with 2"):
        grad(lambda x, y: x * y, argnums=2)(1.0, 2.0)
    with pytest.raises(
        TypeError, match=r"^grad: argument 0 of f must be a number or a Value, got str"
    ):
        grad(lambda x: x)("1.0")
    with pytest.raises(TypeError, match=r"^hessian: argument 1 of f must be a number or a Value"):
        hessian(lambda x, y: x * y)(1.0, [2.0])
    assert grad(lambda x: x * x)(np.float64(3.0)) == 6.0  # numpy scalars are numbers


# -- Hessians against PyTorch ---------------------------------------------------------------


@settings(max_examples=20)
@given(st.lists(st.floats(-2, 2), min_size=2, max_size=5))
def test_hessian_of_rosenbrock_matches_torch(torch: Any, point: list[float]) -> None:
    ours = hessian(rosenbrock)(*point)

    def t_rosenbrock(x: Any) -> Any:
        return (100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2).sum()

    theirs = torch.autograd.functional.hessian(
        t_rosenbrock, torch.tensor(point, dtype=torch.float64)
    ).tolist()
    for i, j in itertools.product(range(len(point)), repeat=2):
        assert close(ours[i][j], theirs[i][j], 1e-12), (i, j)


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu"])
def test_hessian_of_an_mlp_loss_matches_torch(torch: Any, activation: str) -> None:
    from autograd_core import losses, nn
    from autograd_core.interop import to_torch

    model = nn.MLP(2, [4, 3, 1], activation=activation, seed=3)
    rng = random.Random(5)
    xs = [[rng.uniform(-1, 1), rng.uniform(-1, 1)] for _ in range(6)]
    ys = [rng.uniform(-1, 1) for _ in range(6)]
    params = model.parameters()
    loss = losses.mse_loss(model(xs), ys)
    gradient = d(loss, params)
    ours = [[number(h) for h in d(g, params, create_graph=False)] for g in gradient]

    net = to_torch(model)
    names = [name for name, _ in net.named_parameters()]
    shapes = [p.shape for _, p in net.named_parameters()]
    sizes = [p.numel() for _, p in net.named_parameters()]
    flat = torch.cat([p.detach().reshape(-1) for _, p in net.named_parameters()])
    x_t = torch.tensor(xs, dtype=torch.float64)
    y_t = torch.tensor(ys, dtype=torch.float64)

    def t_loss(vector: Any) -> Any:
        pieces = torch.split(vector, sizes)
        named = {n: p.reshape(s) for n, p, s in zip(names, pieces, shapes)}
        out = torch.func.functional_call(net, named, (x_t,)).reshape(-1)
        return ((out - y_t) ** 2).mean()

    theirs = torch.autograd.functional.hessian(t_loss, flat)
    # our parameters, neuron by neuron (w..., b), as positions in torch's flat vector
    # (each layer's weight matrix row by row, then its bias)
    position = []
    offset = 0
    for layer in model.layers:
        nout, nin = len(layer.neurons), len(layer.neurons[0].w)
        for i in range(nout):
            position.extend(offset + i * nin + j for j in range(nin))
            position.append(offset + nout * nin + i)
        offset += nout * nin + nout
    assert sorted(position) == list(range(len(params)))
    worst = max(
        abs(ours[a][b] - theirs[position[a], position[b]].item())
        for a, b in itertools.product(range(len(params)), repeat=2)
    )
    scale = max(1.0, float(theirs.abs().max()))
    assert worst <= 1e-12 * scale, worst
    assert float(theirs.abs().max()) > 0.01  # a Hessian worth comparing


# -- random graphs: Hessians against PyTorch -------------------------------------------------


def k_pow_positive(rng: random.Random, pool: list[Value]) -> Value | None:
    a, b = pick(rng, pool), pick(rng, pool)
    return (abs(a) + 0.5) ** b.tanh()


def k_pow_integer(rng: random.Random, pool: list[Value]) -> Value | None:
    a, c = pick(rng, pool), rng.choice([2.0, 3.0, -1.0])
    return a**c if abs(a.data) > 1e-3 or c > 0.0 else None


def k_log(rng: random.Random, pool: list[Value]) -> Value | None:
    a = pick(rng, pool)
    return a.log() if a.data > 1e-3 else None


# test_edges_torch's kinds of step without the points where a derivative is infinite or NaN
# (√ at 0, negative bases, 1/x² of a number near the smallest float): every op, with second
# derivatives that exist.
SMOOTH_KINDS: list[tuple[str, Kind]] = [
    kind for kind in KINDS if kind[0] not in ("sqrt", "pow", "pow_const", "log")
] + [("pow", k_pow_positive), ("pow_const", k_pow_integer), ("log", k_log)]


def hessian_disagreements(torch: Any, rng: random.Random) -> list[str]:
    out, inputs = build_graph(rng, rng.randrange(1, 4), rng.randrange(1, 16), kinds=SMOOTH_KINDS)
    ours = [[number(h) for h in d(g, inputs, create_graph=False)] for g in d(out, inputs)]
    from autograd_core.interop import graph_to_torch

    t_out, t_leaves = graph_to_torch(out)
    ts = [
        t_leaves[x]
        if x in t_leaves
        else torch.tensor(x.data, dtype=torch.float64, requires_grad=True)
        for x in inputs
    ]
    theirs = []
    for g in torch.autograd.grad(t_out, ts, create_graph=True, allow_unused=True):
        if g is None or not g.requires_grad:
            theirs.append([0.0] * len(ts))
            continue
        row = torch.autograd.grad(g, ts, retain_graph=True, allow_unused=True)
        theirs.append([0.0 if h is None else h.item() for h in row])
    return [
        f"H[{i}][{j}]: ours {ours[i][j]!r}, torch {theirs[i][j]!r}"
        for i, j in itertools.product(range(len(inputs)), repeat=2)
        if not same(ours[i][j], theirs[i][j])
    ]


@settings(max_examples=100)
@given(rng=st.randoms(use_true_random=False))
def test_hessians_of_random_graphs_match_torch(torch: Any, rng: random.Random) -> None:
    problems = hessian_disagreements(torch, rng)
    assert not problems, problems


@pytest.mark.slow
def test_hessians_of_a_thousand_seeded_random_graphs_match_torch(torch: Any) -> None:
    failures = [
        (seed, p)
        for seed in range(1000)
        if (p := hessian_disagreements(torch, random.Random(seed)))
    ]
    print(f"\n1000 random graphs: {len(failures)} Hessians disagree with PyTorch")
    assert not failures, failures[:5]


@pytest.mark.parametrize(("name", "fn", "xs"), EDGE_CASES, ids=[c[0] for c in EDGE_CASES])
def test_create_graph_at_the_edges_gives_the_plain_gradients(
    name: str, fn: Callable[..., Any], xs: list[float]
) -> None:
    """An infinite or NaN local derivative must not stop a graph of the gradient being built:
    its numbers are those of the plain pass, NaN where NaN."""
    leaves = [Value(x, label=f"x{i}") for i, x in enumerate(xs)]
    out = fn(*leaves)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the plain pass warns about NaNs
        plain = ag.grad(out, leaves, allow_unused=True)
        as_graph = ag.grad(out, leaves, create_graph=True, allow_unused=True)
    for p, g in zip(plain, as_graph, strict=True):
        assert same(0.0 if p is None else p, 0.0 if g is None else number(g)), (
            name,
            plain,
            as_graph,
        )


# -- Newton's method -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("f", "x0", "root"),
    [
        (lambda x: ag.exp(x) - 2 * x, 1.5, math.log(2.0)),  # minimum at ln 2
        (lambda x: x**4 / 4 - x, 2.0, 1.0),  # x³ = 1
        (lambda x: ag.log(ag.exp(x) + ag.exp(-x)) - 0.5 * x, 1.0, 0.5 * math.log(3.0)),
    ],
    ids=["exp(x) - 2x", "x^4/4 - x", "log cosh(x) - x/2"],
)
def test_newton_converges_quadratically(f: Callable[[Any], Any], x0: float, root: float) -> None:
    df, d2f = grad(f), grad(grad(f))
    x = x0
    errors = [abs(x - root)]
    for _ in range(12):
        x = x - df(x) / d2f(x)
        errors.append(abs(x - root))
        if errors[-1] <= 4e-16 * max(1.0, abs(root)):
            break
    assert errors[-1] <= 4e-16 * max(1.0, abs(root)), errors
    assert len(errors) <= 9, errors  # quadratic: digits double each step
    ratios = [e1 / e0**2 for e0, e1 in itertools.pairwise(errors) if e0 > 1e-5 and e1 > 0]
    assert len(ratios) >= 2, errors
    assert max(ratios) < 2.0, ratios  # e_{k+1} <= C·e_k², C = |f'''/(2 f'')| near the root


def test_newton_with_a_wrong_second_derivative_is_only_linear() -> None:
    """The check above can fail: a 10% error in f'' makes convergence linear."""
    f = lambda x: ag.exp(x) - 2 * x  # noqa: E731
    df, d2f = grad(f), grad(grad(f))
    x, root = 1.5, math.log(2.0)
    errors = [abs(x - root)]
    for _ in range(8):
        x = x - df(x) / (1.1 * d2f(x))
        errors.append(abs(x - root))
    ratios = [e1 / e0**2 for e0, e1 in itertools.pairwise(errors) if e0 > 1e-10]
    assert max(ratios) > 100


# -- gradgradcheck ---------------------------------------------------------------------------


@pytest.mark.parametrize("op", BUILT_IN, ids=lambda op: op.describe())
@settings(max_examples=15)
@given(data=st.data())
def test_gradgradcheck_passes_on_every_row(op: Op, data: st.DataObject) -> None:
    xs = data.draw(domain(op))
    assume(op.base is not ops.POW or xs[1] != 0.0)  # PyTorch's edge: see the closed forms
    assert gradgradcheck(lambda *vs: apply(op, vs), xs)


@given(st.lists(st.floats(-2, 2), min_size=3, max_size=3))
def test_gradgradcheck_on_composite_expressions(xs: list[float]) -> None:
    def f(a: Value, b: Value, c: Value) -> Value:
        return ag.sum([(a * b).tanh(), (b - c).sigmoid() / (1 + c * c), a.sin() * c.cos()]) ** 2

    assert gradgradcheck(f, xs)


def test_gradgradcheck_fails_on_a_rule_wrong_only_in_second_order() -> None:
    # d(sin)/dx = cos x, computed from data(x): right as a number, but fed Values it is a
    # constant, so the second derivative comes out 0 instead of -sin x.
    frozen = ag.register_op(fresh("frozen_sin"), math.sin, lambda out, x: (math.cos(ops.data(x)),))
    assert gradcheck(lambda x: frozen(x) * 2, [0.4])  # first order is right
    with pytest.raises(
        GradcheckError,
        match=r"^gradgradcheck: d²\(out\)/d\(x0\)d\(x0\) at \[0\.4\]: double backward gives .*"
        r"the op to blame: 'test_higher_frozen_sin_\d+' .*∂²/∂x∂x = 0\.0",
    ):
        gradgradcheck(lambda x: frozen(x) * 2, [0.4])


def test_gradgradcheck_fails_on_a_wrong_second_derivative_in_a_two_input_rule() -> None:
    # mul's rule with ∂/∂b written as a + b − data(b): the right number, but fed Values its
    # derivative with respect to b is 1 instead of 0.
    def rule(out: Any, a: Any, b: Any) -> tuple[Any, Any]:
        return (b, a + b - ops.data(b))  # value a, but d/db of it is 1 instead of 0

    shady = ag.register_op(fresh("shady_mul"), lambda a, b: a * b, rule, arity=2)
    assert gradcheck(lambda x, y: shady(x, y), [0.5, -1.5])
    with pytest.raises(GradcheckError, match=r"d²\(out\)/d\(x\d\)d\(x\d\).*test_higher_shady_mul"):
        gradgradcheck(lambda x, y: shady(x, y) + x, [0.5, -1.5])


def test_gradgradcheck_fails_on_a_wrong_first_derivative_and_names_the_op() -> None:
    wrong = ag.register_op(fresh("wrong_tanh"), math.tanh, lambda out, x: (1.0 - out,))
    with pytest.raises(
        GradcheckError,
        match=r"^gradgradcheck: gradcheck: d\(out\)/d\(x0\) .*the op to blame: "
        r"'test_higher_wrong_tanh_\d+' \(node made from 0\.7\): its rule gives ∂/∂x = ",
    ):
        gradgradcheck(lambda x: wrong(x) * x, [0.7])


def test_gradgradcheck_fails_when_a_rule_computes_other_numbers_for_values() -> None:
    def rule(out: Any, x: Any) -> tuple[Any]:
        return (2 * x if isinstance(x, Value) else 2.0 * x + 0.5,)

    two_faced = ag.register_op(fresh("two_faced"), lambda x: x * x + 0.5 * x, rule)
    with pytest.raises(GradcheckError, match=r"create_graph=True gives 1\.4, plain backward"):
        gradgradcheck(lambda x: two_faced(x), [0.7])


# -- custom ops ------------------------------------------------------------------------------


def softplus_op() -> Op:
    """log(1 + eˣ), its rule written with the library's sigmoid: right to any order."""
    return ag.register_op(
        fresh("softplus"),
        lambda x: math.log1p(math.exp(x)),
        lambda out, x: (ag.sigmoid(x),),
    )


def hypot_op() -> Op:
    """√(a² + b²), its rule written with ``out``: the engine must feed the node itself."""
    return ag.register_op(
        fresh("hypot"), math.hypot, lambda out, a, b: (a / out, b / out), arity=2, symbol="hypot"
    )


def test_a_custom_op_works_in_backward_and_to_third_order() -> None:
    softplus = softplus_op()
    x = Value(0.3)
    y = softplus(x) * 2
    y.backward()
    s = _sigmoid(0.3)
    assert close(x.grad, 2 * s, 1e-15)
    f = lambda v: softplus(v)  # noqa: E731
    assert close(grad(grad(f))(0.3), s * (1 - s), 1e-14)
    assert close(grad(grad(grad(f)))(0.3), s * (1 - s) * (1 - 2 * s), 1e-14)
    assert gradcheck(f, [0.3]) and gradgradcheck(f, [0.3])


def test_a_custom_op_whose_rule_uses_out_has_the_right_hessian() -> None:
    hypot = hypot_op()
    a, b = 0.6, -1.7
    r = math.hypot(a, b)
    h = hessian(lambda x, y: hypot(x, y))(a, b)
    expected = [[b * b / r**3, -a * b / r**3], [-a * b / r**3, a * a / r**3]]
    for i, j in itertools.product(range(2), repeat=2):
        assert close(h[i][j], expected[i][j], 1e-14), (i, j)
    assert gradgradcheck(lambda x, y: hypot(x, y) * x, [a, b])


def test_the_gradient_graph_of_a_custom_op_is_drawn_with_the_op_in_it() -> None:
    hypot = hypot_op()
    a, b = Value(0.6, label="a"), Value(-1.7, label="b")
    (da, _) = ag.grad(hypot(a, b), [a, b], create_graph=True)  # a / hypot(a, b)
    da.label = "da"
    source = ag.viz.draw_graph(da).source
    assert "<hypot>" in source and "<÷>" in source and "<B>da</B>" in source
    assert "<B>a</B>" in source and "<B>b</B>" in source  # the leaves the derivative depends on


def test_custom_ops_match_torch_to_third_order(torch: Any) -> None:
    from autograd_core.interop import graph_to_torch

    softplus, hypot = softplus_op(), hypot_op()
    translations = {
        softplus.name: lambda t, x: torch.nn.functional.softplus(x),
        hypot.name: lambda t, a, b: torch.hypot(a, b),
    }
    a, b = Value(0.4), Value(-1.1)
    out = hypot(softplus(a * b), b) * a
    leaves = [a, b]
    t_out, t_leaves = graph_to_torch(out, translations)
    ts = [t_leaves[a], t_leaves[b]]
    ours_h = [d(g, leaves) for g in d(out, leaves)]
    theirs_h = [
        torch.autograd.grad(g, ts, create_graph=True)
        for g in torch.autograd.grad(t_out, ts, create_graph=True)
    ]
    for i, j in itertools.product(range(2), repeat=2):
        assert close(number(ours_h[i][j]), theirs_h[i][j].item(), 1e-12)
        ours_t = d(ours_h[i][j], leaves, create_graph=False)
        theirs_t = torch.autograd.grad(theirs_h[i][j], ts, retain_graph=True)
        for k in range(2):
            assert close(number(ours_t[k]), theirs_t[k].item(), 1e-11), (i, j, k)


# -- anomaly mode, hooks, no_grad -----------------------------------------------------------


def here() -> int:
    """The line number of the caller."""
    frame = inspect.currentframe()
    assert frame is not None and frame.f_back is not None
    return frame.f_back.f_lineno


def test_anomaly_mode_names_the_op_and_the_line_that_made_the_nan() -> None:
    base, exponent = Value(-2.0, label="base"), Value(1.0, label="exponent")
    # any type of error: the message is what is checked
    with pytest.raises(Exception) as info, ag.detect_anomaly():
        scale = base * 3.0
        line = here() + 1
        y = scale**exponent  # ∂y/∂exponent = y·ln(-6): NaN
        (y + base).backward()
    message = str(info.value)
    assert "pow" in message, message
    assert f"{os.path.basename(__file__)}:{line}" in message, message
    assert "-6.0" in message and "exponent" in message, message  # the op's inputs


def test_anomaly_mode_names_an_infinite_gradient_in_backward() -> None:
    x = Value(1e-200, label="tiny")
    # any type of error: the message is what is checked
    with pytest.raises(Exception) as info, ag.detect_anomaly():
        z = x + 0.0
        line = here() + 1
        y = 1.0 / z  # 1e200 is finite, its derivative -1e400 is not
        y.backward()
    message = str(info.value)
    assert "div" in message and f"{os.path.basename(__file__)}:{line}" in message, message


def test_without_anomaly_mode_the_nan_is_just_a_gradient() -> None:
    base, exponent = Value(-2.0), Value(1.0, label="exponent")
    with pytest.warns(RuntimeWarning, match=r"'exponent' is nan.*pow"):
        (base**exponent).backward()
    assert base.grad == 1.0 and math.isnan(exponent.grad)
    with ag.detect_anomaly():  # and finite gradients pass anomaly mode untouched
        x = Value(0.5)
        (x.tanh() * x).backward()
    assert close(x.grad, math.tanh(0.5) + 0.5 * (1 - math.tanh(0.5) ** 2), 1e-15)


def test_hooks_fire_in_reverse_topological_order_with_the_full_gradient() -> None:
    x = Value(0.5, label="x")
    a = x * 3.0
    b = a.tanh()
    c = a * b  # a feeds b and c: its hook must wait for both
    out = c + b
    calls: list[tuple[str, float]] = []
    for node, name in [(a, "a"), (b, "b"), (c, "c"), (out, "out")]:
        node.register_hook(lambda g, name=name: calls.append((name, g)))
    out.backward()
    assert [name for name, _ in calls] == ["out", "c", "b", "a"]
    order = ag.topological_order(out)
    positions = {n: i for i, n in enumerate(order)}
    named = {"a": a, "b": b, "c": c, "out": out}
    assert [positions[named[n]] for n, _ in calls] == sorted(
        (positions[named[n]] for n, _ in calls), reverse=True
    )
    # each hook saw its node's total gradient (computed here without hooks)
    a2 = Value(0.5) * 3.0
    b2 = a2.tanh()
    out2 = a2 * b2 + b2
    for node, got in zip(d(out2, [a2, b2], create_graph=False), [calls[3][1], calls[2][1]]):
        assert close(node, got, 1e-15)


def test_a_hook_may_replace_the_gradient_and_can_be_removed() -> None:
    x = Value(0.5, label="x")
    a = x * x
    y = a.sin()
    handle = a.register_hook(lambda g: 10 * g)
    seen: list[float] = []
    y.register_hook(lambda g: seen.append(g))  # returns None: the gradient is kept
    y.backward()
    assert seen == [1.0]
    assert close(x.grad, 10 * math.cos(0.25) * 2 * 0.5, 1e-15)
    handle.remove()
    x.grad = 0.0
    y.backward()
    assert close(x.grad, math.cos(0.25) * 2 * 0.5, 1e-15)
    assert seen == [1.0, 1.0]


def test_backward_with_create_graph_leaves_values_in_grad() -> None:
    x = Value(2.0, label="x")
    y = x**3 + x.sin()
    y.backward(create_graph=True)
    assert isinstance(x.grad, Value)
    assert close(x.grad.data, 12 + math.cos(2.0), 1e-15)
    (second,) = ag.grad(x.grad, x)  # 6x − sin x
    assert close(number(second), 12 - math.sin(2.0), 1e-15)


def test_backward_on_a_value_made_under_no_grad_raises() -> None:
    x = Value(2.0, label="x")
    with ag.no_grad():
        y = x * 3.0
    with pytest.raises((RuntimeError, ValueError), match="no_grad"):
        y.backward()
    assert x.grad == 0.0
    leaf = Value(1.5)  # a leaf made by the user is fine
    leaf.backward()
    assert leaf.grad == 1.0
