"""Random graphs at the edges of every op, differentiated here and by PyTorch in float64.

tests/test_torch_crosscheck.py keeps its programs inside smooth domains. These graphs go where
the derivatives are delicate: exact zeros (``relu`` of a negative number, ``x ** 0``, leaves
that are 0), ``sqrt`` fed by ``relu``, ``abs``, ``leaky_relu`` and squares (its slope is infinite
at 0), and ``Value ** Value`` with negative bases and integer-valued exponents (the value
exists, ∂/∂exponent does not: PyTorch says NaN). Every graph is replayed in PyTorch by
``interop.graph_to_torch``; the output and the gradient of every leaf (inputs and constants)
must agree to 1e-9 relative, with NaN exactly where PyTorch has NaN and the same infinities.

A graph is built step by step: each step applies a random kind of operation to random earlier
nodes (recent ones more often, so graphs are deep as well as wide). The generator looks at the
data only to keep every forward inside its domain (no log of a negative number, no negative base
to a fractional power, no overflow): the engine must then build every graph without raising.
"""

from __future__ import annotations

import collections
import math
import random
import warnings
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd_core as ag
from autograd_core import Value
from autograd_core.interop import graph_to_torch

REL = 1e-9

# Numbers a leaf may hold: the edges themselves, often, and anything in between.
SPECIAL = [0.0, 0.0, -0.0, 1.0, -1.0, 2.0, -2.0, 3.0, -3.0, 0.5, -0.5]


def leaf_value(rng: random.Random) -> float:
    if rng.random() < 0.4:
        return rng.choice(SPECIAL)
    x = rng.uniform(-3.0, 3.0)
    # Not a subnormal number (hypothesis draws them): there a reciprocal overflows, and we
    # differ from PyTorch on purpose (test_a_subnormal_log_is_a_known_difference).
    return 0.0 if abs(x) < 1e-300 else x


def pick(rng: random.Random, pool: list[Value]) -> Value:
    """An earlier node, the last few more often than the rest."""
    if rng.random() < 0.6:
        return pool[-1 - rng.randrange(min(4, len(pool)))]
    return pool[rng.randrange(len(pool))]


def is_integer(x: float) -> bool:
    return x == math.floor(x)


def pow_fits(base: float, exponent: float) -> bool:
    """Whether ``base ** exponent`` has a finite real value (the engine would not raise)."""
    if base == 0.0 and exponent < 0.0:
        return False
    if base < 0.0 and not is_integer(exponent):
        return False
    try:
        return math.isfinite(math.pow(base, exponent))
    except (OverflowError, ValueError):
        return False


def integer_exponent(rng: random.Random, pool: list[Value]) -> Value:
    """A node whose value is an integer, computed from the graph (so it has a gradient)."""
    b = pick(rng, pool)
    choice = rng.randrange(5)
    if choice == 0:
        return b - b  # exactly 0.0
    if choice == 1:
        return (-abs(b)).relu()  # relu of a non-positive number: 0.0, with relu's zero partial
    if choice == 2 and is_integer(b.data) and abs(b.data) <= 4:
        return b
    return b * 0.0 + float(rng.choice([1, 2, 3, -1, -2]))  # k, with a 0 partial towards b


# Each kind: (name, build(rng, pool) -> Value or None when it does not fit the data).
Kind = Callable[[random.Random, list[Value]], Value | None]


def k_pow(rng: random.Random, pool: list[Value]) -> Value | None:
    a = pick(rng, pool)
    if a.data < 0.0 or rng.random() < 0.3:
        e = integer_exponent(rng, pool)
    else:
        e = pick(rng, pool)
        if abs(e.data) > 3.0:
            e = e * (3.0 / abs(e.data))  # scaled to ±3 (not tanh: see the tanh kind below)
    return a**e if pow_fits(a.data, e.data) else None


def k_pow_const(rng: random.Random, pool: list[Value]) -> Value | None:
    a = pick(rng, pool)
    c = rng.choice([0.0, 1.0, 2.0, 3.0, -1.0, -2.0, 0.5, 1.5, 2.5, -0.5])
    if not is_integer(c) and a.data < 0.0:
        a = a.relu() if rng.random() < 0.5 else abs(a)  # 0 ** 0.5: an infinite slope
    return a**c if pow_fits(a.data, c) else None


def k_sqrt(rng: random.Random, pool: list[Value]) -> Value | None:
    a = pick(rng, pool)
    feeds: list[Callable[[Value], Value]] = [
        lambda v: v.relu(),
        lambda v: abs(v),
        lambda v: v.leaky_relu(-0.5),  # a negative slope keeps the result >= 0
        lambda v: v.leaky_relu(0.0),  # -0.0 for v < 0: sqrt(-0.0) is -0.0
        lambda v: v * v,
        lambda v: v**2,
        lambda v: v,
    ]
    inner = rng.choice(feeds)(a)
    return inner.sqrt() if inner.data >= 0.0 else None


def k_div(rng: random.Random, pool: list[Value]) -> Value | None:
    a, b = pick(rng, pool), pick(rng, pool)
    return a / b if abs(b.data) > 0.05 else a / (b * b + 0.5)


def k_sum(rng: random.Random, pool: list[Value]) -> Value | None:
    return ag.sum([pick(rng, pool) for _ in range(rng.randrange(2, 5))])


def k_dot(rng: random.Random, pool: list[Value]) -> Value | None:
    n = rng.randrange(1, 4)
    ws = [pick(rng, pool) for _ in range(n)]
    xs = [pick(rng, pool) for _ in range(n)]
    return ag.dot(ws, xs, pick(rng, pool) if rng.random() < 0.5 else None)


def k_affine(rng: random.Random, pool: list[Value]) -> Value | None:
    n = rng.randrange(1, 4)
    ws = [pick(rng, pool) for _ in range(n)]
    xs = [leaf_value(rng) for _ in range(n)]  # numbers: bound to an affine node
    bias = rng.choice([None, leaf_value(rng), pick(rng, pool)])
    return ag.dot(ws, xs, bias)


def k_cross_entropy(rng: random.Random, pool: list[Value]) -> Value | None:
    # Logits within 4 of 0: where one class takes all but 1e-9 of the probability, PyTorch's
    # gradient p_t − 1 cancels to a few digits (ours does not: test_losses checks it exactly).
    picked = [pick(rng, pool) for _ in range(rng.randrange(1, 5))]
    logits = [z if abs(z.data) <= 4.0 else z * (4.0 / abs(z.data)) for z in picked]
    return ag.losses.cross_entropy(logits, rng.randrange(len(logits)))


def unary(name: str, fn: Callable[[Value], Value], fits: Callable[[float], bool] | None = None):  # type: ignore[no-untyped-def]
    def build(rng: random.Random, pool: list[Value]) -> Value | None:
        a = pick(rng, pool)
        return fn(a) if fits is None or fits(a.data) else None

    return name, build


def binary(name: str, fn: Callable[[Value, Value], Value]):  # type: ignore[no-untyped-def]
    def build(rng: random.Random, pool: list[Value]) -> Value | None:
        return fn(pick(rng, pool), pick(rng, pool))

    return name, build


KINDS: list[tuple[str, Kind]] = [
    binary("add", lambda a, b: a + b),
    binary("sub", lambda a, b: a - b),
    binary("mul", lambda a, b: a * b),
    ("div", k_div),
    unary("neg", lambda a: -a),
    unary("abs", lambda a: abs(a)),
    ("pow", k_pow),
    ("pow_const", k_pow_const),
    unary("exp", lambda a: a.exp(), lambda x: x < 30.0),
    unary("log", lambda a: a.log(), lambda x: x > 0.0),
    unary("log_abs", lambda a: (abs(a) + 0.5).log()),
    ("sqrt", k_sqrt),
    # (tanh only where PyTorch's slope 1 − tanh² keeps 1e-10 of its digits: the engine's
    # 1/cosh² is correctly rounded, so near saturation the two differ by PyTorch's rounding,
    # 4e-9 of the slope at x = 9.7; test_the_tanh_slope_is_exact_where_torch_rounds shows it)
    unary("tanh", lambda a: a.tanh(), lambda x: abs(x) < 7.0),
    unary("sigmoid", lambda a: a.sigmoid()),
    unary("relu", lambda a: a.relu()),
    unary("leaky_relu", lambda a: a.leaky_relu()),
    unary("leaky_relu_0.2", lambda a: a.leaky_relu(0.2)),
    unary("leaky_relu_0", lambda a: a.leaky_relu(0.0)),
    unary("sin", lambda a: a.sin()),
    unary("cos", lambda a: a.cos()),
    ("sum", k_sum),
    ("dot", k_dot),
    ("affine", k_affine),
    ("cross_entropy", k_cross_entropy),
]


def build_graph(
    rng: random.Random,
    n_inputs: int,
    n_steps: int,
    used: collections.Counter[str] | None = None,
    kinds: list[tuple[str, Kind]] = KINDS,
) -> tuple[Value, list[Value]]:
    """A random graph: ``n_inputs`` labelled leaves, ``n_steps`` operations, the last few summed."""
    inputs = [Value(leaf_value(rng), label=f"x{i}") for i in range(n_inputs)]
    pool = list(inputs)
    for _ in range(n_steps):
        for _attempt in range(20):
            name, build = kinds[rng.randrange(len(kinds))]
            node = build(rng, pool)
            if node is not None:
                break
        else:
            continue
        if used is not None:
            used[name] += 1
        if abs(node.data) > 100.0:
            # keep values bounded: log(1 + |x|), whose slope is one product. (x / (1 + |x|)
            # was: its slope there is two terms that cancel, to exactly 0 or to 1e-300
            # depending on the last bit of a division, which PyTorch rounds otherwise
            # (g / b, where the engine multiplies by the local derivative 1 / b); times an
            # infinite slope further down, 0 gives NaN where PyTorch's 1e-300 gives inf.)
            node = (abs(node) + 1.0).log()
        pool.append(node)
    tail = pool[n_inputs:][-3:] or pool[-1:]
    out = tail[0]
    for node in tail[1:]:
        out = out + node
    return out, inputs


def same(ours: float, theirs: float, scale: float = 0.0) -> bool:
    """Equal to REL relative (1e-12 absolute near 0), NaN where NaN, the same infinities.

    ``scale`` is the size of the terms the number is a sum of (:func:`term_scale`): where they
    cancel, each side keeps its own rounding of them, so the two may differ by REL of it.
    """
    if math.isnan(ours) or math.isnan(theirs):
        return math.isnan(ours) and math.isnan(theirs)
    if math.isinf(ours) or math.isinf(theirs):
        return ours == theirs
    return abs(ours - theirs) <= REL * max(abs(ours), abs(theirs), scale) + 1e-12


def term_scale(out: Value) -> dict[Value, float]:
    """Per node, Σ over paths to ``out`` of Π |local derivative|: the chain rule on absolute
    values. A gradient is a sum of terms no larger than this; where they cancel (the slopes of
    a softmax over equal logits), PyTorch's 1e-17 and the engine's exact 0 are both the sum to
    within the rounding of the terms, and a large local derivative further on (log at 1e-199)
    magnifies that difference by the same factor it magnifies this scale."""
    scale: dict[Value, float] = {out: 1.0}
    for node in reversed(ag.topological_order(out)):
        for parent, local in zip(node.parents, node.partials):
            term = abs(local) * scale.get(node, 0.0)
            if math.isfinite(term):
                scale[parent] = scale.get(parent, 0.0) + term
    return scale


def compare_with_torch(out: Value) -> list[str]:
    """Backward here and in PyTorch; the disagreements, described (empty when none).

    Also checked: ``backward`` warns (``RuntimeWarning``) exactly when a leaf's gradient is
    infinite or NaN.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out.backward()
    t_out, t_leaves = graph_to_torch(out)
    t_out.backward()
    problems = []
    if not same(out.data, t_out.item()):
        problems.append(f"value: ours {out.data!r}, torch {t_out.item()!r}")
    scale = term_scale(out)
    for leaf, t in t_leaves.items():
        theirs = 0.0 if t.grad is None else t.grad.item()
        if not same(leaf.grad, theirs, scale.get(leaf, 0.0)):
            name = leaf.label or f"constant {leaf.data!r}"
            problems.append(f"d(out)/d({name}): ours {leaf.grad!r}, torch {theirs!r}")
    non_finite = any(not math.isfinite(leaf.grad) for leaf in t_leaves)
    warned = [w for w in caught if issubclass(w.category, RuntimeWarning)]
    if non_finite != bool(warned):
        problems.append(f"non-finite leaf gradient: {non_finite}, warnings: {warned}")
    return problems


def gradient_kinds(out: Value) -> tuple[bool, bool]:
    """Whether some leaf gradient is NaN, and whether some is infinite."""
    grads = [n.grad for n in ag.topological_order(out) if not n.parents]
    return any(math.isnan(g) for g in grads), any(math.isinf(g) for g in grads)


# -- the edges the issue found, one by one --------------------------------------------------


def leaky(v: Any, slope: float) -> Any:
    """leaky_relu of a Value or of a tensor."""
    if isinstance(v, Value):
        return v.leaky_relu(slope)
    import torch

    return torch.nn.functional.leaky_relu(v, slope)


def torch_grads(torch: Any, fn: Callable[..., Any], *xs: float) -> list[float]:
    ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
    fn(*ts).backward()
    return [math.nan if t.grad is None else t.grad.item() for t in ts]


EDGE_CASES: list[tuple[str, Callable[..., Any], list[float]]] = [
    ("sqrt(relu(x)), x < 0", lambda x: x.relu().sqrt(), [-1.5]),
    ("sqrt(relu(x)), x = 0", lambda x: x.relu().sqrt(), [0.0]),
    ("sqrt(abs(x)), x = 0", lambda x: abs(x).sqrt(), [0.0]),
    ("sqrt(abs(x)), x < 0", lambda x: abs(x).sqrt(), [-4.0]),
    ("sqrt(leaky_relu(x, -0.5)), x = 0", lambda x: leaky(x, -0.5).sqrt(), [0.0]),
    ("sqrt(leaky_relu(x, 0)), x < 0", lambda x: leaky(x, 0.0).sqrt(), [-1.0]),
    ("sqrt(x * x), x = 0", lambda x: (x * x).sqrt(), [0.0]),
    ("sqrt(-0.5 * x), x = 0", lambda x: (-0.5 * x).sqrt(), [0.0]),  # √-0.0: slope -inf
    ("(-0.5 * x) ** 0.5, x = 0", lambda x: (-0.5 * x) ** 0.5, [0.0]),
    ("sqrt(0 * sqrt(x)), x = 0", lambda x: (0.0 * x.sqrt()).sqrt(), [0.0]),
    ("x ** y, x < 0, y = 0", lambda x, y: x**y, [-2.0, 0.0]),
    ("x ** y, x < 0, y = 1", lambda x, y: x**y, [-2.0, 1.0]),
    ("x ** y, x < 0, y = 3", lambda x, y: x**y, [-1.5, 3.0]),
    ("x ** relu(y), x < 0, y < 0", lambda x, y: x ** y.relu(), [-2.0, -1.0]),
    ("x ** (y - y), x < 0", lambda x, y: x ** (y - y), [-2.0, 0.7]),
    ("0 ** y, y = 0", lambda x, y: x**y, [0.0, 0.0]),
    ("(-0) ** y, y tiny", lambda x, y: x**y, [-0.0, 1e-170]),  # pow(-0, y - 1 = -1) = -inf
    ("(-0) ** y, y = 0.5", lambda x, y: x**y, [-0.0, 0.5]),
    ("0 ** y, y = 2", lambda x, y: x**y, [0.0, 2.0]),
    ("0 ** y, y = 0.5", lambda x, y: x**y, [0.0, 0.5]),
    ("sqrt(0 ** y), y = 0.7", lambda x, y: (x**y).sqrt(), [0.0, 0.7]),  # inf · (∂/∂y = 0)
]


@pytest.mark.parametrize(("name", "fn", "xs"), EDGE_CASES, ids=[c[0] for c in EDGE_CASES])
def test_edge_case_matches_torch(
    torch: Any, name: str, fn: Callable[..., Any], xs: list[float]
) -> None:
    leaves = [Value(x, label=f"x{i}") for i, x in enumerate(xs)]
    out = fn(*leaves)  # the forward has a value: it must not raise
    assert same(out.data, fn(*[torch.tensor(x, dtype=torch.float64) for x in xs]).item())
    problems = compare_with_torch(out)  # backward, replayed by graph_to_torch
    assert not problems, (name, problems)
    # and written directly in PyTorch, independently of graph_to_torch's translations
    expected = torch_grads(torch, fn, *xs)
    got = [leaf.grad for leaf in leaves]
    assert all(same(g, e) for g, e in zip(got, expected, strict=True)), (name, got, expected)


def test_the_issue_cases_give_torch_numbers(torch: Any) -> None:
    """Spelled out: 0 where a relu selects, NaN only for ∂/∂exponent of a negative base."""
    x = Value(-1.5)
    x.relu().sqrt().backward()
    assert x.grad == 0.0
    base, exponent = Value(-2.0), Value(1.0)
    y = base**exponent
    assert y.data == -2.0
    with pytest.warns(RuntimeWarning, match="pow"):
        y.backward()
    assert base.grad == 1.0
    assert math.isnan(exponent.grad)


def test_a_subnormal_log_is_a_known_difference(torch: Any) -> None:
    # Each node stores ∂out/∂x: for log at a subnormal x that is 1/x = inf, and a gradient of
    # 1e-3 times inf is inf. PyTorch computes grad / x = 1e-3 / x, a large finite number. The
    # docs (concepts/edge-cases.md) say so; the random graphs above draw no subnormal leaves.
    tiny = 2.2e-309
    x = Value(tiny)
    with pytest.warns(RuntimeWarning, match="log"):
        (x.log() * 1e-3).backward()
    assert x.grad == math.inf
    t = torch.tensor(tiny, dtype=torch.float64, requires_grad=True)
    (t.log() * 1e-3).backward()
    assert math.isfinite(t.grad.item()) and t.grad.item() > 1e305


def test_the_tanh_slope_is_exact_where_torch_rounds(torch: Any) -> None:
    # Near saturation, 1 − tanh²(x) (PyTorch) keeps few digits of the slope; the engine
    # computes 1/cosh²(x), correctly rounded. Against 50-digit arithmetic, at x = 9.7:
    mpmath = pytest.importorskip("mpmath")
    at = 9.704060527839234
    mpmath.mp.dps = 50
    exact = float(1 / mpmath.cosh(mpmath.mpf(at)) ** 2)
    x = Value(at)
    x.tanh().backward()
    t = torch.tensor(at, dtype=torch.float64, requires_grad=True)
    t.tanh().backward()
    assert abs(x.grad - exact) <= 1e-15 * exact
    assert abs(t.grad.item() - exact) > 1e-9 * exact  # why the random graphs keep |x| < 7


# -- random graphs ---------------------------------------------------------------------------


@settings(max_examples=300)
@given(
    rng=st.randoms(use_true_random=False),
    n_inputs=st.integers(1, 4),
    n_steps=st.integers(1, 20),
)
def test_random_edge_graphs_match_torch(
    torch: Any, rng: random.Random, n_inputs: int, n_steps: int
) -> None:
    out, _ = build_graph(rng, n_inputs, n_steps)
    problems = compare_with_torch(out)
    assert not problems, problems


@pytest.mark.slow
def test_two_thousand_seeded_edge_graphs_match_torch(torch: Any) -> None:
    used: collections.Counter[str] = collections.Counter()
    failures: list[tuple[int, list[str]]] = []
    with_nan = with_inf = 0
    n_graphs = 2000
    for seed in range(n_graphs):
        rng = random.Random(seed)
        out, _ = build_graph(rng, rng.randrange(1, 5), rng.randrange(1, 30), used)
        problems = compare_with_torch(out)
        if problems:
            failures.append((seed, problems))
        nan, inf = gradient_kinds(out)
        with_nan += nan
        with_inf += inf
    print(
        f"\n{n_graphs} graphs, {len(failures)} disagreeing with PyTorch; {with_nan} with a NaN "
        f"leaf gradient, {with_inf} with an infinite one; operations used: {dict(used)}"
    )
    assert not failures, failures[:5]
    # the run must have exercised every kind of step, and the edges it is for
    assert set(used) == {name for name, _ in KINDS}
    assert with_nan >= 20 and with_inf >= 10, (with_nan, with_inf)  # the edges are exercised
