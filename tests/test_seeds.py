"""The worked examples of the seed articles (shared/SEEDS.md), computed by the library.

Each test is one numbered example; the expected numbers come from the articles' formulas
(derived by hand), never from running this code.
"""

from __future__ import annotations

import math
import random

import pytest

import autograd_core as ag
from autograd_core import Value, data, losses, nn, optim, training


def derivative(f, x: float) -> float:  # type: ignore[no-untyped-def]
    v = Value(x, label="x")
    f(v).backward()
    return v.grad


# 1. f(x) = x² + 3x + 2  →  f′(x) = 2x + 3; f′(2) = 7
@pytest.mark.parametrize("x", [2.0, -1.5, 0.0, 10.0])
def test_seed1_polynomial_derivative(x: float) -> None:
    assert derivative(lambda v: v**2 + 3 * v + 2, x) == 2 * x + 3
    if x == 2.0:
        assert derivative(lambda v: v**2 + 3 * v + 2, x) == 7.0


# 2. f(x) = sin(x²)  →  f′(x) = 2x·cos(x²); f′(3) = 6·cos 9 ≈ −5.4668
def test_seed2_chain_rule_through_sin() -> None:
    g = derivative(lambda v: (v**2).sin(), 3.0)
    assert g == pytest.approx(6 * math.cos(9), rel=1e-15)
    assert round(g, 4) == -5.4668


# 3. f(x, y) = x² + y²  →  ∇f = (2x, 2y)
@pytest.mark.parametrize(("x", "y"), [(1.0, 2.0), (-3.0, 0.5), (0.0, 0.0)])
def test_seed3_gradient_is_the_vector_of_partials(x: float, y: float) -> None:
    vx, vy = Value(x), Value(y)
    (vx**2 + vy**2).backward()
    assert (vx.grad, vy.grad) == (2 * x, 2 * y)


# 4. Gradient descent on J(θ) = (θ − 3)² from θ = 0 with η = 0.1 for 100 epochs. Each step is
#    θ ← θ − 0.1·2(θ − 3), so 3 − θ shrinks by 0.8 per epoch: θ_k = 3·(1 − 0.8^k).
def test_seed4_gradient_descent_converges_to_three() -> None:
    theta = Value(0.0, label="θ")
    opt = optim.SGD([theta], lr=0.1)
    printed = []
    for epoch in range(1, 101):
        opt.zero_grad()
        ((theta - 3) ** 2).backward()
        opt.step()
        if epoch % 10 == 0:  # the article prints every 10 epochs
            printed.append(theta.data)
    assert printed == pytest.approx([3 * (1 - 0.8**k) for k in range(10, 101, 10)], rel=1e-12)
    assert abs(theta.data - 3) < 1e-9  # 3·0.8^100 ≈ 6e-10


# 5. One weight: ŷ = w·x with x = 2, y = 4, w = 1, MSE: loss 4, dL/dw = −8,
#    w ← 1 − 0.1·(−8) = 1.8, new prediction 3.6, new loss 0.16.
def test_seed5_single_weight_step() -> None:
    w = Value(1.0, label="w")
    loss = losses.mse_loss(w * 2.0, 4.0)
    assert loss.data == 4.0
    loss.backward()
    assert w.grad == -8.0
    optim.SGD([w], lr=0.1).step()
    assert w.data == 1.8
    prediction = (w * 2.0).data
    assert prediction == 3.6
    new_loss = losses.mse_loss(w * 2.0, 4.0).data
    # (3.6 − 4)² is 0.16 up to the rounding of 3.6 − 4 = −0.3999999999999999 in binary
    assert new_loss == (3.6 - 4.0) ** 2 and new_loss == pytest.approx(0.16, abs=1e-15)


# 6. Linear regression: 100 points, X ~ U(0, 1), y = 3X + 2 + noise; gradient descent finds
#    the least-squares line, which is near w = 3, b = 2 for zero-mean noise.
def least_squares(xs: list[float], ys: list[float]) -> tuple[float, float]:
    n = len(xs)
    mx, my = math.fsum(xs) / n, math.fsum(ys) / n
    w = math.fsum((x - mx) * (y - my) for x, y in zip(xs, ys)) / math.fsum(
        (x - mx) ** 2 for x in xs
    )
    return w, my - w * mx


def fit_line(X: list[list[float]], y: list[float]) -> tuple[float, float]:
    model = nn.Neuron(1, activation="linear", seed=0)
    training.fit(model, X, y, loss="mse", lr=0.5, epochs=600, progress=False)
    return model.w[0].data, model.b.data


def test_seed6_linear_regression_recovers_w_and_b() -> None:
    X, y = data.make_linear(100, w=3.0, b=2.0, noise=0.1, seed=6)
    w, b = fit_line(X, y)
    w_star, b_star = least_squares([x[0] for x in X], y)
    assert (w, b) == pytest.approx((w_star, b_star), abs=1e-9)  # gradient descent converged
    assert (w, b) == pytest.approx((3.0, 2.0), abs=0.1)  # and the line is the true one


def test_seed6_with_the_articles_uniform_noise_the_intercept_is_near_two_and_a_half() -> None:
    rng = random.Random(6)
    X = [[rng.random()] for _ in range(100)]
    y = [3 * x[0] + 2 + rng.random() for x in X]  # noise U(0, 1) has mean 0.5
    w, b = fit_line(X, y)
    assert w == pytest.approx(3.0, abs=0.3) and b == pytest.approx(2.5, abs=0.2)


# 7. XOR with a 2-4-3 net: a sigmoid hidden layer of 4, an output layer of 3 logits, softmax and
#    cross-entropy; gradient descent until all four points are classified.
def test_seed7_xor_softmax_net_classifies_all_four_points() -> None:
    X, y = data.make_xor()
    model = nn.MLP(2, [4, 3], activation="sigmoid", seed=7)
    opt = optim.SGD(model.parameters(), lr=1.0)

    def predictions() -> list[int]:
        with ag.no_grad():
            outputs = [model(x) for x in X]
        return [max(range(3), key=lambda k: out[k].data) for out in outputs]  # type: ignore[index]

    for _epoch in range(5000):
        if predictions() == y:
            break
        loss = losses.cross_entropy([model(x) for x in X], y)  # type: ignore[misc]
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert predictions() == [0, 1, 1, 0]
    for x, label in zip(X, y):
        probs = losses.softmax(model(x))  # type: ignore[arg-type]
        assert math.fsum(p.data for p in probs) == pytest.approx(1.0)
        assert probs[label].data == max(p.data for p in probs)
        assert probs[2].data < 0.5  # the unused third class is pushed down


# 8. micrograd's demo: moons, 100 points, MLP 2-16-16-1 with ReLU, hinge loss + 1e-4·L2,
#    full-batch SGD with lr 1.0 → 0.1 over 100 steps: 100% training accuracy. This is the set-up
#    of `autograd-core train` with its default seed (data 1337, weights 1338).
@pytest.mark.slow
def test_seed8_micrograd_moons_demo_reaches_full_training_accuracy() -> None:
    X, y = data.make_moons(100, noise=0.1, seed=1337)
    model = nn.MLP(2, [16, 16, 1], seed=1338)
    opt = optim.SGD(model.parameters(), lr=1.0, momentum=0.0)
    sched = optim.LambdaLR(opt, lambda k: 1.0 - 0.9 * k / 100)
    history = training.fit(
        model,
        X,
        y,
        loss="hinge",
        optimizer=opt,
        scheduler=sched,
        epochs=100,
        l2=1e-4,
        progress=False,
    )
    assert training.evaluate(model, X, y, loss="hinge")["accuracy"] == 1.0
    # the score's sign is right for every point, computed without the library's helpers
    with ag.no_grad():
        assert all((model(x).data > 0) == (t == 1) for x, t in zip(X, y))  # type: ignore[union-attr]
    assert history.lr[0] == 1.0 and history.lr[-1] == pytest.approx(0.109)
    assert history.loss[-1] < 0.05
