"""Forward mode (``jvp``, ``jacfwd``, ``hvp``) against reverse mode, finite differences and
PyTorch's ``torch.func.jvp``; the number of passes each Jacobian takes; bad input."""

from __future__ import annotations

import math
import warnings
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd_core as ag
from autograd_core import functional, ops
from autograd_core.engine import forward
from autograd_core.functional import grad, hessian, hvp, jacfwd, jacobian, jvp
from tests.test_codegen import build, programs
from tests.test_edges_torch import term_scale

SMOOTH = st.floats(-2, 2, allow_nan=False)


def close(a: float, b: float, tol: float = 1e-12) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= tol * max(1.0, abs(a), abs(b))


def test_the_chain_rule_examples() -> None:
    # the seeds: f(x) = x² + 3x + 2 → 7 at 2; sin(x²) → 6·cos 9 at 3; x² + y² → (2x, 2y)
    assert jvp(lambda x: x * x + 3 * x + 2, (2.0,), (1.0,)) == (12.0, 7.0)
    value, slope = jvp(lambda x: (x * x).sin(), (3.0,), (1.0,))
    assert value == math.sin(9.0) and close(slope, 6 * math.cos(9.0))
    assert jvp(lambda x, y: x * x + y * y, (1.5, -2.0), (0.0, 1.0)) == (6.25, -4.0)


@given(programs(), st.lists(SMOOTH, min_size=4, max_size=4))
def test_jvp_is_the_jacobian_times_the_tangent(program: Any, direction: list[float]) -> None:
    inputs, steps = program
    xs, out = build(inputs, steps)
    tangents = direction[: len(xs)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        row = [0.0 if g is None else g for g in ag.grad(out, xs, allow_unused=True)]
    moved = forward.tangents([out], dict(zip(xs, tangents)))
    got = moved.get(out, 0.0)
    # Forward and reverse add the same terms in other orders: they agree to within the
    # rounding of the terms, whose size is the chain rule on absolute values (term_scale)
    scale = term_scale(out)
    if all(math.isfinite(g) for g in row) and math.isfinite(got):
        expected = math.fsum(g * t for g, t in zip(row, tangents))
        size = math.fsum(scale.get(x, 0.0) * abs(t) for x, t in zip(xs, tangents))
        assert abs(got - expected) <= 1e-9 * max(1.0, size, *(abs(g) for g in row))
    # one input moved alone: its column, which is reverse mode's entry (NaN where it is NaN),
    # except that a NaN local derivative times a zero tangent is NaN forward where backward's
    # select rule (x ** 0) keeps the NaN from the leaf: forward may then be NaN where reverse
    # is finite, as in PyTorch (test_forward_may_be_nan_where_reverse_is_not_as_in_torch)
    nonfinite_partials = any(
        not math.isfinite(p) for n in ag.topological_order(out) for p in n.partials
    )
    for x, g in zip(xs, row):
        column = forward.tangents([out], {x: 1.0}).get(out, 0.0)
        if math.isfinite(g) and not (nonfinite_partials and math.isnan(column)):
            assert abs(column - g) <= 1e-9 * max(1.0, abs(g), scale.get(x, 0.0)), (column, g)


def test_forward_may_be_nan_where_reverse_is_not_as_in_torch(torch: Any) -> None:
    # p = y ** x at x = 0: backward selects the base edge away (x ** 0), so the NaN of
    # ∂(y ** p)/∂p (log of a negative base) never reaches y; forward multiplies it by p's
    # tangent, 0.0, and gets NaN. PyTorch's torch.func.jvp and grad say the same.
    def f(x: Any, y: Any) -> Any:
        p = y**x
        return p + y**p

    point, direction = (0.0, -1.0), (0.0, 1.0)
    _, slope = jvp(f, point, direction)
    reverse = grad(f, argnums=(0, 1))(*point)
    t = [torch.tensor(v, dtype=torch.float64) for v in (*point, *direction)]
    _, torch_slope = torch.func.jvp(f, (t[0], t[1]), (t[2], t[3]))
    torch_reverse = torch.func.grad(f, argnums=(0, 1))(t[0], t[1])
    assert math.isnan(slope) and math.isnan(torch_slope.item())
    assert reverse[1] == torch_reverse[1].item() == 1.0


@given(st.floats(0.1, 3), st.floats(-2, 2), st.floats(-1, 1), st.floats(-1, 1))
def test_jvp_matches_finite_differences(x: float, y: float, u: float, v: float) -> None:
    def f(a: Any, b: Any) -> Any:
        return (a * b).tanh() + a.log() * b.sin() + (a**1.5).sigmoid()

    _, slope = jvp(f, (x, y), (u, v))
    h = 1e-6
    plus = f(ag.Value(x + h * u), ag.Value(y + h * v)).data
    minus = f(ag.Value(x - h * u), ag.Value(y - h * v)).data
    assert abs(slope - (plus - minus) / (2 * h)) <= 1e-5


def test_jvp_matches_torch_func_jvp(torch: Any) -> None:
    def ours(x: Any, y: Any) -> list[Any]:
        return [x * y + x.sin(), (x / y).exp() - y.sqrt(), x.relu() * y.tanh(), abs(x) ** 2]

    def theirs(x: Any, y: Any) -> Any:
        return torch.stack(
            [x * y + x.sin(), (x / y).exp() - y.sqrt(), x.relu() * y.tanh(), x.abs() ** 2]
        )

    for point, direction in [((0.7, 2.0), (1.0, -0.5)), ((-1.2, 0.3), (0.25, 2.0)),
                             ((0.0, 4.0), (1.0, 1.0))]:  # fmt: skip
        value, tangent = jvp(ours, point, direction)
        t_value, t_tangent = torch.func.jvp(
            theirs,
            tuple(torch.tensor(p, dtype=torch.float64) for p in point),
            tuple(torch.tensor(d, dtype=torch.float64) for d in direction),
        )
        assert all(close(a, b) for a, b in zip(value, t_value.tolist()))
        assert all(close(a, b) for a, b in zip(tangent, t_tangent.tolist()))


def test_edge_rules_match_torch(torch: Any) -> None:
    # relu selects (an infinite tangent passes nothing); 0·inf is NaN (sqrt at 0, zero tangent)
    cases = [
        (lambda x, y: (x.sqrt() - 1.0).relu() + y, (0.0, 1.0), (1.0, 1.0)),
        (lambda x, y: x.sqrt() * y, (0.0, 2.0), (0.0, 1.0)),
        (lambda x, y: (x * 0.0) ** 0 + y, (0.0, 2.0), (1.0, 1.0)),
    ]
    torch_f = [
        lambda x, y: (x.sqrt() - 1.0).relu() + y,
        lambda x, y: x.sqrt() * y,
        lambda x, y: (x * 0.0) ** 0 + y,
    ]
    for (f, point, direction), g in zip(cases, torch_f):
        _, ours = jvp(f, point, direction)
        _, theirs = torch.func.jvp(
            g,
            tuple(torch.tensor(p, dtype=torch.float64) for p in point),
            tuple(torch.tensor(d, dtype=torch.float64) for d in direction),
        )
        assert close(ours, theirs.item()), (ours, theirs.item())


def test_register_op_ops_work() -> None:
    cube = ops.register_op("fwd_cube", lambda x: x**3, lambda out, x: (3 * x * x,))
    assert jvp(lambda x: cube(x) + x, (2.0,), (1.0,)) == (10.0, 13.0)
    assert jacfwd(lambda x: [cube(x), cube(x) * x])(2.0) == [[12.0], [32.0]]


def test_jacfwd_equals_jacobian() -> None:
    def f(x: Any, y: Any, z: Any) -> list[Any]:
        return [x * y * z, (x + y).tanh(), z.exp() / y, ag.sum([x, y, z]).relu()]

    point = (0.3, -1.1, 0.8)
    fwd, rev = jacfwd(f)(*point), jacobian(f)(*point)
    assert all(close(a, b) for ra, rb in zip(fwd, rev) for a, b in zip(ra, rb))


def test_hvp_is_the_hessian_times_the_vector() -> None:
    def f(x: Any, y: Any, z: Any) -> Any:
        return (x * y).sin() + z * z * x + (y * z).exp()

    point, v = (0.4, -0.7, 1.3), (1.0, 2.0, -0.5)
    H = hessian(f)(*point)
    expected = [math.fsum(h * vi for h, vi in zip(row, v)) for row in H]
    got = hvp(f, point, v)
    assert all(close(a, b, 1e-12) for a, b in zip(got, expected))


def test_composes_with_grad_in_both_directions() -> None:
    f = lambda x: x**3 + x.sin()  # noqa: E731
    d2 = lambda x: 6 * x - math.sin(x)  # noqa: E731
    # reverse over forward, forward over forward, forward over reverse
    assert close(grad(lambda x: jvp(f, (x,), (1.0,))[1])(0.7), d2(0.7))
    assert close(jvp(lambda x: jvp(f, (x,), (1.0,))[1], (0.7,), (1.0,))[1], d2(0.7))
    assert close(jvp(grad(f), (0.7,), (1.0,))[1], d2(0.7))


def test_jacfwd_takes_one_pass_per_input_jacobian_one_per_output(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    passes = {"forward": 0, "backward": 0, "calls": 0}
    real_tangents, real_grad = forward.tangents, ag.engine.grad

    def counted_tangents(*args: Any, **kwargs: Any) -> Any:
        passes["forward"] += 1
        return real_tangents(*args, **kwargs)

    def counted_grad(*args: Any, **kwargs: Any) -> Any:
        passes["backward"] += 1
        return real_grad(*args, **kwargs)

    monkeypatch.setattr(forward, "tangents", counted_tangents)
    monkeypatch.setattr(functional.engine, "grad", counted_grad)

    def one_to_many(x: Any) -> list[Any]:
        passes["calls"] += 1
        return [(x * (i + 1.0)).tanh() for i in range(200)]

    def many_to_one(*xs: Any) -> Any:
        passes["calls"] += 1
        return ag.sum(x * x for x in xs)

    def count(run: Any) -> tuple[int, int, int]:
        passes.update(forward=0, backward=0, calls=0)
        run()
        return passes["forward"], passes["backward"], passes["calls"]

    assert count(lambda: jacfwd(one_to_many)(0.3)) == (1, 0, 1)
    assert count(lambda: jacobian(one_to_many)(0.3)) == (0, 200, 1)
    xs = [0.01 * i for i in range(200)]
    assert count(lambda: jacfwd(many_to_one)(*xs)) == (200, 0, 1)
    assert count(lambda: jacobian(many_to_one)(*xs)) == (0, 1, 1)


def test_floats_in_values_out_when_nested() -> None:
    value, tangent = jvp(lambda x: x * x, (3.0,), (1.0,))
    assert type(value) is float and type(tangent) is float
    x = ag.Value(3.0)
    value, tangent = jvp(lambda x: x * x, (x,), (1.0,))
    assert isinstance(value, ag.Value) and isinstance(tangent, ag.Value)
    assert jvp(lambda x: 5.0, (1.0,), (1.0,)) == (5.0, 0.0)  # a constant moves not at all


def test_bad_input_gets_a_clear_error() -> None:
    f = lambda x, y: x * y  # noqa: E731
    with pytest.raises(ValueError, match=r"jvp: got 2 primal\(s\) and 1 tangent"):
        jvp(f, (1.0, 2.0), (1.0,))
    with pytest.raises(TypeError, match=r"jvp: tangent 1 must be a number.*'a'"):
        jvp(f, (1.0, 2.0), (1.0, "a"))
    with pytest.raises(TypeError, match=r"jvp: tangent 0 must be a number.*list of 2 items"):
        jvp(f, (1.0, 2.0), ([1.0, 2.0], 1.0))
    with pytest.raises(TypeError, match=r"jvp: primals must be a tuple or list.*2.0"):
        jvp(lambda x: x, 2.0, (1.0,))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="jvp: argument 0 of f must be a number"):
        jvp(lambda x: x, ("x",), (1.0,))
    with pytest.raises(TypeError, match="jvp: output 1 of f must be a scalar"):
        jvp(lambda x: [x, [x]], (1.0,), (1.0,))
    with pytest.raises(TypeError, match=r"jvp: tangent 0 must be a number.*bool"):
        jvp(lambda x: x, (1.0,), (True,))
    with pytest.raises(TypeError, match="jacfwd: f must be callable"):
        jacfwd(3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="hvp: primals is empty"):
        hvp(lambda: 1.0, (), ())
    with pytest.raises(ValueError, match=r"hvp: got 2 primal\(s\) and 1 tangent"):
        hvp(f, (1.0, 2.0), (1.0,))
