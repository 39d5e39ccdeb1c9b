"""The benchmark floor (benchmarks/floor.py) computes what the library computes.

The floor is the hand-written, Value-free version of two training steps that the benchmarks
measure the library against. It is only an honest yardstick if it does the same work: the same
loss, the same gradient for every parameter and the same parameters after a few optimizer
steps, starting from the same weights. Both sides do the same operations in floating point but
add up the gradient contributions of the samples in different orders, so they agree to
rounding, checked here at a relative 1e-12.
"""

from __future__ import annotations

import doctest
import math

from autograd_core import data, losses, nn, optim
from benchmarks import floor, workloads

MOONS = [2, 16, 16, 1]
DIGITS = [64, 32, 10]
REL = 1e-12


def assert_close(actual: list[float], expected: list[float], what: str) -> None:
    """Every number within a relative 1e-12 of the library's.

    A number that comes out of a sum whose terms cancel can be tiny in both and differ in
    relative terms; the absolute slack of 1e-12 × the largest entry covers only those.
    """
    assert len(actual) == len(expected), what
    scale = max(map(abs, expected), default=0.0)
    bad = [
        (i, a, e)
        for i, (a, e) in enumerate(zip(actual, expected))
        if not math.isclose(a, e, rel_tol=REL, abs_tol=REL * scale)
    ]
    assert not bad, f"{what}: {len(bad)} of {len(expected)} differ, first {bad[:3]}"


def test_floor_starts_from_the_weights_nn_mlp_draws() -> None:
    for sizes, seed in ((MOONS, 0), (DIGITS, 3)):
        model = nn.MLP(sizes[0], sizes[1:], seed=seed)
        from_library = floor.from_state(model.state_dict(), sizes)
        assert floor.init_mlp(sizes, seed) == from_library
        assert floor.flat(from_library) == [p.data for p in model.parameters()]


def test_floor_forward_pass_gives_the_library_floats_exactly() -> None:
    model = nn.MLP(64, [32, 10], seed=1)
    layers = floor.from_state(model.state_dict(), DIGITS)
    X, _ = data.load_digits("test")
    outputs = floor.forward(layers, X[:20])[-1]
    assert outputs == [[z.data for z in model(x)] for x in X[:20]]


# -- (a) moons: hinge + L2, full-batch SGD ----------------------------------------------------


def library_moons_loss(model: nn.MLP, X: list[list[float]], y: list[int]) -> losses.Value:
    params = model.parameters()
    scores = [model(x) for x in X]
    return losses.hinge_loss(scores, y) + 1e-4 * losses.l2_penalty(params)


def test_moons_loss_and_every_gradient_match_the_library() -> None:
    X, y = workloads.moons(100)
    model = nn.MLP(2, [16, 16, 1], seed=0)
    layers = floor.from_state(model.state_dict(), MOONS)
    loss = library_moons_loss(model, X, y)
    loss.backward()
    floor_loss, grads = floor.moons_loss_and_grads(layers, X, y)
    assert math.isclose(floor_loss, loss.data, rel_tol=REL)
    expected = [p.grad for p in model.parameters()]
    assert_close(floor.flat(grads), expected, "moons gradients")
    # a real test: the hinge is active for some samples and not others, some relus are off
    assert 0 < sum(g == 0.0 for g in expected) < len(expected)


def test_moons_parameters_match_after_sgd_steps() -> None:
    X, y = workloads.moons(100)
    model = nn.MLP(2, [16, 16, 1], seed=0)
    layers = floor.init_mlp(MOONS, seed=0)
    opt = optim.SGD(model.parameters(), lr=1.0)
    for k in range(5):
        lr = 1.0 - 0.9 * k / 100
        loss = library_moons_loss(model, X, y)
        opt.zero_grad()
        loss.backward()
        opt.lr = lr
        opt.step()
        floor_loss = floor.moons_step(layers, X, y, lr)
        assert math.isclose(floor_loss, loss.data, rel_tol=REL), k
    assert_close(floor.flat(layers), [p.data for p in model.parameters()], "after 5 SGD steps")


def test_moons_with_every_sample_outside_the_margin_has_only_the_l2_gradient() -> None:
    layers = floor.init_mlp([2, 1], seed=0)
    (w, b), _ = layers[0], None
    w[0][:] = [0.0, 0.0]
    b[0] = 5.0  # score 5 for every input: label +1 is far outside the margin
    loss, grads = floor.moons_loss_and_grads(layers, [[1.0, 2.0], [3.0, 4.0]], [1, 1])
    assert loss == 1e-4 * 25.0
    assert floor.flat(grads) == [0.0, 0.0, 2e-4 * 5.0]


# -- (b) digits: cross-entropy, mini-batches of 32, Adam --------------------------------------


def test_digits_loss_and_every_gradient_match_the_library() -> None:
    X, y = data.load_digits("train")
    model = nn.MLP(64, [32, 10], seed=0)
    layers = floor.from_state(model.state_dict(), DIGITS)
    xb, yb = X[:32], y[:32]
    loss = losses.cross_entropy([model(x) for x in xb], yb)
    loss.backward()
    floor_loss, grads = floor.digits_loss_and_grads(layers, xb, yb)
    assert math.isclose(floor_loss, loss.data, rel_tol=REL)
    assert_close(floor.flat(grads), [p.grad for p in model.parameters()], "digits gradients")


def test_digits_parameters_match_after_adam_steps() -> None:
    X, y = data.load_digits("train")
    model = nn.MLP(64, [32, 10], seed=2)
    layers = floor.from_state(model.state_dict(), DIGITS)
    opt = optim.Adam(model.parameters())
    floor_opt = floor.Adam(layers)
    for step, (xb, yb) in enumerate(data.batches(X[:128], y[:128], 32, shuffle=True, seed=0)):
        loss = losses.cross_entropy([model(x) for x in xb], yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        floor_loss = floor.digits_step(layers, floor_opt, xb, yb)
        assert math.isclose(floor_loss, loss.data, rel_tol=REL), step
    assert floor_opt.t == opt.step_count == 4
    assert_close(floor.flat(layers), [p.data for p in model.parameters()], "after 4 Adam steps")
    # the floor keeps Adam's state row by row (a layer's weight rows, then its biases)
    rows = iter(floor_opt.v)
    v_layers = [([next(rows) for _ in W], next(rows)) for W, _ in layers]
    assert_close(floor.flat(v_layers), opt.state["exp_avg_sq"], "Adam's running mean of g²")


def test_floor_examples() -> None:
    # benchmarks/ is outside the doctest paths of the test-suite; its examples run here
    result = doctest.testmod(floor)
    assert result.attempted > 0 and result.failed == 0
