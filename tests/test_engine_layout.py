"""The fast engine's private layout (layout.py, walk.py, hooks.py), tested where it lives:
how nodes are stored, the fast walk's order, the extras table of hooks and anomaly mode."""

from __future__ import annotations

import gc
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd_core as ag
from autograd_core import Value, engine, ops
from autograd_core.engine import hooks, layout, reference, walk


def _live_values() -> int:
    return sum(1 for o in gc.get_objects() if isinstance(o, Value))


@pytest.mark.parametrize(
    ("make", "finite"),
    [
        (lambda x: x.sqrt(), True),  # 1 / (2√x): finite at 4
        (lambda x: (x - 4.0).sqrt(), False),  # infinite at 0
        (lambda x: x / 2.0, True),
        (lambda x: 1.0 / (x - 4.0 + 1e-160), False),  # ∂(1/b)/∂b = -1e320: infinite
        (lambda x: engine.apply(ops.SQRT, [x - 4.0]), False),  # through node()
    ],
)
def test_nodes_with_an_infinite_partial_stay_unchecked(make, finite: bool) -> None:  # type: ignore[no-untyped-def]
    # one or two parents kept in slots only when every partial is finite: the fast walk does
    # not look at slots, and 0 · inf must still give NaN (PyTorch)
    x = Value(4.0)
    node = make(x)
    assert layout.finite_partials(node.partials) is finite
    assert (node._b is not None) is finite  # in slots, or in tuples for the walk to check
    if not finite:
        assert node._db is layout.UNCHECKED
        with pytest.warns(RuntimeWarning):
            (node * 0.0).backward()
        assert math.isnan(x.grad)


_LEAVES = 3


@st.composite
def _programs(draw: st.DrawFn) -> list[tuple[str, int, int]]:
    """Steps over a growing list of Values: one, two and many parents, a node reused."""
    steps = []
    for k in range(draw(st.integers(1, 25))):
        kind = draw(st.sampled_from(sorted(_STEPS)))
        i = draw(st.integers(0, _LEAVES + k - 1))
        j = draw(st.integers(0, _LEAVES + k - 1))
        steps.append((kind, i, j))
    return steps


_STEPS = {
    "mul": lambda a, b: a * b,
    "add": lambda a, b: a + b,
    "div": lambda a, b: a / (b * b + 1.0),  # (div: the walk checks its partials)
    "tanh": lambda a, b: a.tanh(),
    "neg": lambda a, b: -a,
    "sum": lambda a, b: ag.sum([a, b, a]),
    "const": lambda a, b: 2.0 * a,
}


def _run(steps: list[tuple[str, int, int]]) -> tuple[list[Value], Value]:
    leaves = [Value(0.5 + 0.25 * k, label=f"x{k}") for k in range(_LEAVES)]
    vs = list(leaves)
    for kind, i, j in steps:
        vs.append(_STEPS[kind](vs[i], vs[j]))
    return leaves, vs[-1] + vs[-2]


@settings(max_examples=150, deadline=None)
@given(_programs())
def test_the_fast_walk_has_the_references_order_and_gradients(steps) -> None:  # type: ignore[no-untyped-def]
    leaves, root = _run(steps)
    expected = [n for n in reference.topological_order(root) if n.op is not None]
    order, suspect = walk.backward_order(root, [])
    assert order == expected and not suspect  # the same nodes, the same order
    assert all(type(n.grad) is float and n.grad == 0.0 for n in order)  # reset by the walk
    wanted = ag.grad(root, leaves, allow_unused=True)  # the general chain rule's walk
    inner = ag.grad(root, order, allow_unused=True)
    root.backward()
    assert [x.grad for x in leaves] == [0.0 if g is None else g for g in wanted]  # to the bit
    assert [n.grad for n in order] == list(inner)
    assert all(type(n.grad) is float for n in ag.topological_order(root))


def test_hooks_and_anomaly_sites_do_not_keep_nodes_alive() -> None:
    gc.collect()
    gc.disable()
    try:
        x = Value(2.0, label="x")
        with ag.detect_anomaly():
            y = x * 3
        handle = y.register_hook(lambda g: g)
        assert id(y) in hooks._extras and hooks.hooks.count >= 1
        key = id(y)
        before = _live_values()
        del y
        assert _live_values() == before - 2 and key not in hooks._extras  # y and its 3.0
        handle.remove()  # harmless once the node is gone
        assert hooks.hooks.count == 0
    finally:
        gc.enable()
