"""Random expression graphs, differentiated by autograd_core and by PyTorch in float64.

Each example is a random program over a pool of inputs: every step applies a random op to
random earlier results (so nodes are reused and the graph is a DAG, not a tree), and the
output sums the last few results. Both libraries run the *same* program; values and the
gradients of every input must agree to ~1e-9 relative.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd_core as ag
from autograd_core import Value


class Ours:
    @staticmethod
    def leaky(x: Any, slope: float) -> Any:
        return x.leaky_relu(slope)

    @staticmethod
    def total(xs: list[Any]) -> Any:
        return ag.sum(xs)

    @staticmethod
    def dot(ws: list[Any], xs: list[Any], b: Any) -> Any:
        return ag.dot(ws, xs, b)


class Torch:
    def __init__(self, torch: Any) -> None:
        self.torch = torch

    def leaky(self, x: Any, slope: float) -> Any:
        return self.torch.nn.functional.leaky_relu(x, slope)

    def total(self, xs: list[Any]) -> Any:
        return self.torch.stack(xs).sum()

    def dot(self, ws: list[Any], xs: list[Any], b: Any) -> Any:
        return b + (self.torch.stack(ws) * self.torch.stack(xs)).sum()


# Each op: (arity, fn(lib, *args)). Domains are kept valid by construction (log of x² + ½).
OPS: list[tuple[int, Callable[..., Any]]] = [
    (2, lambda lib, a, b: a + b),
    (2, lambda lib, a, b: a - b),
    (2, lambda lib, a, b: a * b),
    (2, lambda lib, a, b: a / (b * b + 0.5)),
    (2, lambda lib, a, b: (a * a + 0.5) ** b.tanh()),
    (2, lambda lib, a, b: 1.5 - a * 0.75 + b),
    (2, lambda lib, a, b: 2.0 ** b.tanh() / (1 + a * a)),
    (1, lambda lib, a: -a),
    (1, lambda lib, a: abs(a)),
    (1, lambda lib, a: a.tanh().exp()),
    (1, lambda lib, a: (a * a + 0.5).log()),
    (1, lambda lib, a: (a * a + 0.25).sqrt()),
    (1, lambda lib, a: a.tanh()),
    (1, lambda lib, a: a.sigmoid()),
    (1, lambda lib, a: a.relu()),
    (1, lambda lib, a: lib.leaky(a, 0.1)),
    (1, lambda lib, a: a.sin()),
    (1, lambda lib, a: a.cos()),
    (1, lambda lib, a: a**2),
    (1, lambda lib, a: a**3),
    (1, lambda lib, a: (a * a + 1) ** -1.5),
    (3, lambda lib, a, b, c: lib.total([a, b, c, a])),
    (3, lambda lib, a, b, c: lib.dot([a, b], [c, b], a)),
]


def run_program(seed: int, n_inputs: int, n_steps: int, lib: Any, leaves: list[Any]) -> Any:
    rng = random.Random(seed)
    pool = list(leaves)
    for _ in range(n_steps):
        arity, fn = OPS[rng.randrange(len(OPS))]
        args = [pool[rng.randrange(len(pool))] for _ in range(arity)]
        out = fn(lib, *args)
        pool.append(out)
    tail = pool[n_inputs:][-4:] or pool
    result = tail[0]
    for node in tail[1:]:
        result = result + node
    return result


@settings(max_examples=150)
@given(
    seed=st.integers(0, 2**32 - 1),
    inputs=st.lists(
        st.floats(-2, 2, allow_nan=False).filter(lambda x: abs(x) > 1e-3), min_size=1, max_size=4
    ),
    n_steps=st.integers(1, 25),
)
def test_random_graphs_match_pytorch(
    torch: Any, seed: int, inputs: list[float], n_steps: int
) -> None:
    leaves = [Value(x, label=f"x{i}") for i, x in enumerate(inputs)]
    ours = run_program(seed, len(inputs), n_steps, Ours, leaves)
    ours.backward()

    tensors = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in inputs]
    theirs = run_program(seed, len(inputs), n_steps, Torch(torch), tensors)
    theirs.backward()

    assert ours.data == pytest.approx(theirs.item(), rel=1e-10, abs=1e-12)
    for leaf, t in zip(leaves, tensors):
        expected = 0.0 if t.grad is None else t.grad.item()
        assert leaf.grad == pytest.approx(expected, rel=1e-9, abs=1e-10), (seed, inputs)


def test_micrograd_style_expressions_match_pytorch_exactly(torch: Any) -> None:
    """micrograd's own two checks: results equal PyTorch's to ~1e-12 or better."""
    x = Value(-4.0)
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()

    xt = torch.tensor([-4.0], dtype=torch.float64, requires_grad=True)
    zt = 2 * xt + 2 + xt
    qt = zt.relu() + zt * xt
    ht = (zt * zt).relu()
    yt = ht + qt + qt * xt
    yt.backward()
    assert y.data == yt.item()
    assert x.grad == xt.grad.item()

    a = Value(-4.0)
    b = Value(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    g.backward()

    at = torch.tensor([-4.0], dtype=torch.float64, requires_grad=True)
    bt = torch.tensor([2.0], dtype=torch.float64, requires_grad=True)
    ct = at + bt
    dt = at * bt + bt**3
    ct = ct + ct + 1
    ct = ct + 1 + ct + (-at)
    dt = dt + dt * 2 + (bt + at).relu()
    dt = dt + 3 * dt + (bt - at).relu()
    et = ct - dt
    ft = et**2
    gt = ft / 2.0
    gt = gt + 10.0 / ft
    gt.backward()
    assert g.data == pytest.approx(gt.item(), rel=1e-15)
    assert a.grad == pytest.approx(at.grad.item(), rel=1e-14)
    assert b.grad == pytest.approx(bt.grad.item(), rel=1e-14)
