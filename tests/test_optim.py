"""Optimizers without PyTorch: hand-derived steps, invariants, errors and saved state.

The expected values below are closed forms worked out on paper from each update rule (written
next to each test), evaluated here in plain floats; they do not reuse the library's code.
"""

from __future__ import annotations

import copy
import inspect
import json
import math
import signal
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd_core as ag
from autograd_core import Value
from autograd_core.optim import SGD, Adagrad, Adam, AdamW, Optimizer, RMSprop
from autograd_core.optim._hyperparameters import hyperparameter, nonnegative, positive

OPTIMIZERS = [SGD, Adam, AdamW, RMSprop, Adagrad]


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-14, abs_tol=1e-15)


def steps(opt: Optimizer, *grads: list[float]) -> None:
    """Run one optimizer step per list of gradients (set by hand, no graph needed)."""
    for gs in grads:
        for p, g in zip(opt.params, gs):
            p.grad = g
        opt.step()


# -- the seed example ----------------------------------------------------------------------


def test_sgd_on_the_seed_quadratic_follows_the_closed_form() -> None:
    # θ ← θ − 0.1·2(θ − 3) = 0.8θ + 0.6, so θₙ = 3 − 3·0.8ⁿ from θ₀ = 0.
    theta = Value(0.0, label="θ")
    opt = SGD([theta], lr=0.1)
    for n in range(1, 61):
        opt.zero_grad()
        ((theta - 3) ** 2).backward()
        opt.step()
        assert math.isclose(theta.data, 3 - 3 * 0.8**n, rel_tol=1e-12)
    assert abs(theta.data - 3) < 1e-5


@pytest.mark.parametrize(
    "make",
    [
        lambda ps: SGD(ps, lr=0.05, momentum=0.9, nesterov=True),
        lambda ps: Adam(ps, lr=0.1),
        lambda ps: AdamW(ps, lr=0.1),
        lambda ps: RMSprop(ps, lr=0.01, centered=True, momentum=0.5),
        lambda ps: Adagrad(ps, lr=0.5),
    ],
)
def test_every_optimizer_minimises_a_quadratic(make: Any) -> None:
    x, y = Value(2.0), Value(-1.5)
    opt = make([x, y])
    for _ in range(400):
        opt.zero_grad()
        ((x - 1) ** 2 + 3 * (y + 0.5) ** 2).backward()
        opt.step()
    assert abs(x.data - 1) < 0.05 and abs(y.data + 0.5) < 0.05


# -- SGD --------------------------------------------------------------------------------------


def test_sgd_plain_weight_decay_and_maximize() -> None:
    w = Value(2.0)
    steps(SGD([w], lr=0.1), [3.0])
    assert close(w.data, 2.0 - 0.1 * 3.0)

    # L2 decay adds λθ to the gradient: θ₁ = θ₀ − γ(g + λθ₀)
    w = Value(2.0)
    steps(SGD([w], lr=0.1, weight_decay=0.5), [3.0])
    assert close(w.data, 2.0 - 0.1 * (3.0 + 0.5 * 2.0))

    # maximize negates the gradient *before* the decay is added: θ₁ = θ₀ − γ(−g + λθ₀)
    w = Value(2.0)
    steps(SGD([w], lr=0.1, weight_decay=0.5, maximize=True), [3.0])
    assert close(w.data, 2.0 - 0.1 * (-3.0 + 0.5 * 2.0))


def test_sgd_momentum_buffer_starts_at_the_first_gradient_undamped() -> None:
    # b₁ = g₁ (no dampening), θ₁ = θ₀ − γg₁; b₂ = μg₁ + (1 − τ)g₂, θ₂ = θ₁ − γb₂
    lr, mu, tau, g1, g2 = 0.1, 0.9, 0.25, 2.0, -1.0
    w = Value(1.0)
    opt = SGD([w], lr=lr, momentum=mu, dampening=tau)
    steps(opt, [g1])
    theta1 = 1.0 - lr * g1
    assert close(w.data, theta1)
    steps(opt, [g2])
    assert close(w.data, theta1 - lr * (mu * g1 + (1 - tau) * g2))
    assert close(opt.state["momentum_buffer"][0], mu * g1 + (1 - tau) * g2)


def test_sgd_nesterov_looks_ahead() -> None:
    # b₁ = g₁, step g₁ + μb₁ = (1 + μ)g₁; b₂ = μg₁ + g₂, step g₂ + μb₂
    lr, mu, g1, g2 = 0.1, 0.5, 2.0, 4.0
    w = Value(0.0)
    steps(SGD([w], lr=lr, momentum=mu, nesterov=True), [g1], [g2])
    theta1 = -lr * (1 + mu) * g1
    assert close(w.data, theta1 - lr * (g2 + mu * (mu * g1 + g2)))


def test_sgd_momentum_on_a_constant_gradient_approaches_the_geometric_limit() -> None:
    # With a constant g and no dampening, bₙ = g(1 + μ + … + μⁿ⁻¹) → g/(1 − μ).
    w = Value(0.0)
    opt = SGD([w], lr=1.0, momentum=0.5)
    for _ in range(60):
        steps(opt, [1.0])
    assert close(opt.state["momentum_buffer"][0], 2.0)


def test_sgd_updates_each_parameter_independently() -> None:
    ps = [Value(1.0), Value(-2.0), Value(0.5)]
    steps(SGD(ps, lr=0.5), [1.0, -1.0, 0.0])
    assert [p.data for p in ps] == [0.5, -1.5, 0.5]


# -- Adam and AdamW ---------------------------------------------------------------------------


def test_adam_first_step_is_lr_times_the_sign() -> None:
    # t = 1: m̂ = g, v̂ = g², so θ₁ = θ₀ − γ·g/(|g| + ε) whatever β₁, β₂ are.
    for betas in [(0.9, 0.999), (0.5, 0.1), (0.0, 0.0)]:
        a, b = Value(1.0), Value(1.0)
        steps(Adam([a, b], lr=0.1, betas=betas, eps=1e-3), [5.0, -0.002])
        assert close(a.data, 1.0 - 0.1 * 5.0 / (5.0 + 1e-3))
        assert close(b.data, 1.0 + 0.1 * 0.002 / (0.002 + 1e-3))


def test_adam_second_step_bias_correction() -> None:
    # m₂/(1 − β₁²) = (β₁g₁ + g₂)/(1 + β₁) and v₂/(1 − β₂²) = (β₂g₁² + g₂²)/(1 + β₂), so
    # θ₂ = θ₁ − γ·(β₁g₁ + g₂)/(1 + β₁) / (√((β₂g₁² + g₂²)/(1 + β₂)) + ε).
    lr, b1, b2, eps, g1, g2 = 0.01, 0.8, 0.9, 1e-4, 3.0, -1.0
    w = Value(0.0)
    steps(Adam([w], lr=lr, betas=(b1, b2), eps=eps), [g1], [g2])
    theta1 = -lr * g1 / (abs(g1) + eps)
    mhat = (b1 * g1 + g2) / (1 + b1)
    vhat = (b2 * g1**2 + g2**2) / (1 + b2)
    assert close(w.data, theta1 - lr * mhat / (math.sqrt(vhat) + eps))


def test_amsgrad_keeps_the_largest_raw_second_moment() -> None:
    # g₂² < g₁² makes v₂ = β₂v₁ + (1 − β₂)g₂² < v₁, so AMSGrad divides by √v₁ (raw, not
    # bias-corrected) over √(1 − β₂²):  √(v₁/(1 − β₂²)) = |g₁|/√(1 + β₂).
    lr, b1, b2, eps, g1, g2 = 0.01, 0.8, 0.9, 1e-4, 3.0, 0.5
    w = Value(0.0)
    opt = Adam([w], lr=lr, betas=(b1, b2), eps=eps, amsgrad=True)
    steps(opt, [g1], [g2])
    theta1 = -lr * g1 / (abs(g1) + eps)
    mhat = (b1 * g1 + g2) / (1 + b1)
    assert close(w.data, theta1 - lr * mhat / (abs(g1) / math.sqrt(1 + b2) + eps))
    v1 = (1 - b2) * g1**2
    assert close(opt.state["max_exp_avg_sq"][0], v1)
    assert opt.state["exp_avg_sq"][0] < v1


def test_adam_l2_decay_versus_adamw_decoupled_decay() -> None:
    lr, wd, g = 0.1, 0.5, 0.2
    # Adam folds λθ into the gradient: first step θ₀ − γ·g'/|g'| with g' = g + λθ₀.
    w = Value(2.0)
    steps(Adam([w], lr=lr, weight_decay=wd, eps=0.0), [g])
    assert close(w.data, 2.0 - lr)  # g' = 1.2 > 0: a step of exactly γ
    # AdamW shrinks θ first, then the plain Adam step: θ₀(1 − γλ) − γ·g/|g|.
    w = Value(2.0)
    steps(AdamW([w], lr=lr, weight_decay=wd, eps=0.0), [g])
    assert close(w.data, 2.0 * (1 - lr * wd) - lr)
    assert AdamW([Value(0.0)]).weight_decay == 0.01
    assert Adam([Value(0.0)]).weight_decay == 0.0


@given(
    gradients=st.lists(
        st.floats(-100, 100).filter(lambda g: abs(g) > 1e-3), min_size=2, max_size=6
    ),
    scale=st.floats(1e-3, 1e3),
)
def test_adam_without_eps_ignores_the_scale_of_the_gradients(
    gradients: list[float], scale: float
) -> None:
    # Multiplying every gradient by c > 0 multiplies m by c and v by c²: m/√v is unchanged.
    a, b = Value(0.0), Value(0.0)
    opt_a, opt_b = Adam([a], lr=0.1, eps=0.0), Adam([b], lr=0.1, eps=0.0)
    for g in gradients:
        steps(opt_a, [g])
        steps(opt_b, [g * scale])
    assert math.isclose(a.data, b.data, rel_tol=1e-9, abs_tol=1e-12)


# -- RMSprop ----------------------------------------------------------------------------------


def test_rmsprop_first_steps_plain_and_centered() -> None:
    lr, alpha, eps, g = 0.01, 0.9, 1e-6, -2.0
    # v₁ = (1 − α)g², so θ₁ = θ₀ − γg/(√(1 − α)|g| + ε)
    w = Value(1.0)
    steps(RMSprop([w], lr=lr, alpha=alpha, eps=eps), [g])
    assert close(w.data, 1.0 - lr * g / (math.sqrt(1 - alpha) * abs(g) + eps))
    # centered: ḡ₁ = (1 − α)g, v₁ − ḡ₁² = α(1 − α)g²
    w = Value(1.0)
    steps(RMSprop([w], lr=lr, alpha=alpha, eps=eps, centered=True), [g])
    assert close(w.data, 1.0 - lr * g / (math.sqrt(alpha * (1 - alpha)) * abs(g) + eps))


def test_rmsprop_momentum_and_weight_decay_two_steps() -> None:
    # b₁ = g₁'/d₁, θ₁ = θ₀ − γb₁;  b₂ = μb₁ + g₂'/d₂, θ₂ = θ₁ − γb₂, with g' = g + λθ and
    # d₁ = √((1 − α)g₁'²) + ε, d₂ = √(α(1 − α)g₁'² + (1 − α)g₂'²) + ε.
    lr, alpha, eps, mu, wd, g1, g2 = 0.1, 0.5, 1e-3, 0.9, 0.1, 1.0, 3.0
    w = Value(2.0)
    steps(RMSprop([w], lr=lr, alpha=alpha, eps=eps, momentum=mu, weight_decay=wd), [g1], [g2])
    gp1 = g1 + wd * 2.0
    b1 = gp1 / (math.sqrt((1 - alpha) * gp1**2) + eps)
    theta1 = 2.0 - lr * b1
    gp2 = g2 + wd * theta1
    d2 = math.sqrt(alpha * (1 - alpha) * gp1**2 + (1 - alpha) * gp2**2) + eps
    assert close(w.data, theta1 - lr * (mu * b1 + gp2 / d2))


def test_rmsprop_centered_never_takes_the_root_of_a_negative_number() -> None:
    # A constant gradient makes v − ḡ² a tiny difference of nearly equal numbers; rounding
    # can make it negative, where the update must still be finite.
    w = Value(0.0)
    opt = RMSprop([w], lr=1e-3, alpha=0.5, centered=True)
    for _ in range(200):
        steps(opt, [0.1])
    assert math.isfinite(w.data)


# -- Adagrad ----------------------------------------------------------------------------------


def test_adagrad_accumulates_squares_and_decays_the_lr() -> None:
    # s₁ = s₀ + g₁'², θ₁ = θ₀ − γg₁'/(√s₁ + ε);  t = 2: γ₂ = γ/(1 + η), s₂ = s₁ + g₂'²
    lr, eta, wd, s0, eps, g1, g2 = 0.5, 0.25, 0.1, 0.75, 1e-3, 1.0, -2.0
    w = Value(1.0)
    opt = Adagrad([w], lr=lr, lr_decay=eta, weight_decay=wd, initial_accumulator_value=s0, eps=eps)
    steps(opt, [g1])
    gp1 = g1 + wd * 1.0
    s1 = s0 + gp1**2
    theta1 = 1.0 - lr * gp1 / (math.sqrt(s1) + eps)
    assert close(w.data, theta1)
    steps(opt, [g2])
    gp2 = g2 + wd * theta1
    s2 = s1 + gp2**2
    assert close(w.data, theta1 - lr / (1 + eta) * gp2 / (math.sqrt(s2) + eps))
    assert close(opt.state["sum"][0], s2)


# -- maximize ---------------------------------------------------------------------------------


@pytest.mark.parametrize("cls", OPTIMIZERS)
def test_maximize_on_minus_f_is_bitwise_minimize_on_f(cls: type[Optimizer]) -> None:
    # Negating a float is exact, so both runs take exactly the same steps.
    options: dict[str, Any] = {"lr": 0.05, "weight_decay": 0.1}
    paths = []
    for sign, maximize in [(1.0, False), (-1.0, True)]:
        x, y = Value(0.3), Value(-0.7)
        opt = cls([x, y], maximize=maximize, **options)
        for _ in range(10):
            opt.zero_grad()
            (sign * ((x - 1) ** 2 + (x * y).tanh() + y**2)).backward()
            opt.step()
        paths.append((x.data, y.data))
    assert paths[0] == paths[1]


# -- parameters ------------------------------------------------------------------------------


@pytest.mark.parametrize("cls", OPTIMIZERS)
def test_params_may_be_any_iterable_of_values(cls: type[Optimizer]) -> None:
    values = [Value(1.0), Value(2.0)]
    for params in (values, tuple(values), iter(values), (v for v in values)):
        assert cls(params).params == tuple(values)  # a generator is read once, and kept


@pytest.mark.parametrize("cls", OPTIMIZERS)
def test_params_errors(cls: type[Optimizer]) -> None:
    name = cls.__name__
    with pytest.raises(ValueError, match=f"{name}: got an empty list of parameters"):
        cls([])
    with pytest.raises(ValueError, match=f"{name}: got an empty list"):
        cls(v for v in [])
    with pytest.raises(TypeError, match=rf"{name}: params\[1\] is a float, not a Value"):
        cls([Value(1.0), 2.0])  # type: ignore[list-item]
    with pytest.raises(TypeError, match=r"single Value; pass it in a list"):
        cls(Value(1.0))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="iterable of Values"):
        cls(3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="parameter groups are not supported"):
        cls([{"params": [Value(1.0)]}])  # type: ignore[list-item]
    w = Value(1.0, label="w")
    with pytest.raises(ValueError, match=r"parameter 2 \('w'\) is the same Value as params\[0\]"):
        cls([w, Value(2.0), w])


# -- hyper-parameter validation --------------------------------------------------------------

BAD_HYPERPARAMETERS: list[tuple[type[Optimizer], dict[str, Any], str]] = [
    *[(cls, {"lr": -0.1}, r"lr must be a finite number >= 0, got -0\.1") for cls in OPTIMIZERS],
    *[(cls, {"lr": math.nan}, "lr must be a finite number >= 0, got nan") for cls in OPTIMIZERS],
    *[(cls, {"lr": math.inf}, "lr must be a finite number >= 0, got inf") for cls in OPTIMIZERS],
    *[
        (cls, {"weight_decay": -1}, r"weight_decay must be a finite number >= 0, got -1\.0")
        for cls in OPTIMIZERS
    ],
    *[
        (cls, {"eps": -1e-8}, r"eps must be a finite number >= 0, got -1e-08")
        for cls in (Adam, AdamW, RMSprop, Adagrad)
    ],
    (SGD, {"momentum": -0.5}, r"momentum must be a finite number >= 0, got -0\.5"),
    (SGD, {"dampening": 1.5}, r"dampening must be a finite number >= 0 and <= 1, got 1\.5"),
    (SGD, {"dampening": -0.1}, r"dampening must be a finite number >= 0 and <= 1, got -0\.1"),
    (
        SGD,
        {"nesterov": True},
        r"nesterov=True needs momentum > 0 and dampening = 0, got momentum=0\.0",
    ),
    (
        SGD,
        {"nesterov": True, "momentum": 0.9, "dampening": 0.1},
        r"nesterov=True needs .* dampening=0\.1",
    ),
    *[
        (cls, {"betas": (1.0, 0.999)}, r"betas\[0\] must be a finite number >= 0 and < 1, got 1\.0")
        for cls in (Adam, AdamW)
    ],
    *[
        (cls, {"betas": (0.9, -0.1)}, r"betas\[1\] must be a finite number >= 0 and < 1, got -0\.1")
        for cls in (Adam, AdamW)
    ],
    (Adam, {"betas": (0.9,)}, r"betas must be a pair \(beta1, beta2\), got \(0\.9,\)"),
    (RMSprop, {"momentum": -0.1}, r"momentum must be a finite number >= 0, got -0\.1"),
    (RMSprop, {"alpha": 1.01}, r"alpha must be a finite number >= 0 and <= 1, got 1\.01"),
    (RMSprop, {"alpha": -0.5}, r"alpha must be a finite number >= 0 and <= 1, got -0\.5"),
    (Adagrad, {"lr_decay": -0.01}, r"lr_decay must be a finite number >= 0, got -0\.01"),
    (
        Adagrad,
        {"initial_accumulator_value": -1.0},
        r"initial_accumulator_value must be a finite number >= 0, got -1\.0",
    ),
]


@pytest.mark.parametrize(
    ("cls", "kwargs", "message"),
    BAD_HYPERPARAMETERS,
    ids=[f"{c.__name__}-{k}" for c, k, _ in BAD_HYPERPARAMETERS],
)
def test_invalid_hyperparameters_name_optimizer_argument_and_value(
    cls: type[Optimizer], kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=f"^{cls.__name__}: {message}"):
        cls([Value(1.0)], **kwargs)


@pytest.mark.parametrize(
    ("cls", "kwargs", "message"),
    [
        (SGD, {"lr": "0.1"}, "SGD: lr must be a real number, got str '0.1'"),
        (SGD, {"momentum": None}, "SGD: momentum must be a real number, got NoneType"),
        (SGD, {"nesterov": 1}, "SGD: nesterov must be True or False, got int 1"),
        (Adam, {"amsgrad": "yes"}, "Adam: amsgrad must be True or False"),
        (RMSprop, {"centered": None}, "RMSprop: centered must be True or False"),
        (Adagrad, {"maximize": 0}, "Adagrad: maximize must be True or False"),
        (Adam, {"lr": True}, "Adam: lr must be a real number, got bool"),
        (AdamW, {"betas": 0.9}, r"AdamW: betas must be a pair \(beta1, beta2\), got float 0\.9"),
    ],
)
def test_wrongly_typed_hyperparameters(
    cls: type[Optimizer], kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(TypeError, match=f"^{message}"):
        cls([Value(1.0)], **kwargs)


def test_hyperparameters_accept_ints_and_numpy_numbers() -> None:
    import numpy as np  # a dev dependency: always installed where the tests run

    opt = SGD([Value(1.0)], lr=1, momentum=np.float32(0.5))
    assert type(opt.lr) is float and opt.lr == 1.0
    assert type(opt.momentum) is float and opt.momentum == 0.5


def test_huge_int_hyperparameter_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="SGD: lr is too large for a float"):
        SGD([Value(1.0)], lr=10**400)


def test_hyperparameters_can_be_changed_and_are_checked_when_changed() -> None:
    w = Value(1.0)
    opt = SGD([w], lr=0.1)
    opt.lr = 0.5
    steps(opt, [1.0])
    assert w.data == 0.5
    with pytest.raises(ValueError, match=r"SGD: lr must be a finite number >= 0, got -1\.0"):
        opt.lr = -1.0
    assert opt.lr == 0.5
    # Checked together with the others: nesterov needs momentum.
    with pytest.raises(ValueError, match="nesterov=True needs momentum > 0"):
        opt.nesterov = True
    assert opt.nesterov is False
    opt.momentum = 0.9
    opt.nesterov = True
    assert opt.nesterov is True
    with pytest.raises(ValueError, match="nesterov=True needs momentum > 0"):
        opt.momentum = 0.0
    assert opt.momentum == 0.9
    adam = Adam([w])
    adam.betas = [0.5, 0.6]  # type: ignore[assignment]
    assert adam.betas == (0.5, 0.6)


def test_defaults_are_pytorchs() -> None:
    p = [Value(0.0)]
    sgd = SGD(p)
    assert (sgd.lr, sgd.momentum, sgd.dampening, sgd.weight_decay) == (1e-3, 0.0, 0.0, 0.0)
    assert sgd.nesterov is False and sgd.maximize is False
    adam = Adam(p)
    assert (adam.lr, adam.betas, adam.eps, adam.weight_decay) == (1e-3, (0.9, 0.999), 1e-8, 0.0)
    assert adam.amsgrad is False
    adamw = AdamW(p)
    assert (adamw.lr, adamw.betas, adamw.eps, adamw.weight_decay) == (
        1e-3,
        (0.9, 0.999),
        1e-8,
        1e-2,
    )
    rms = RMSprop(p)
    assert (rms.lr, rms.alpha, rms.eps, rms.weight_decay, rms.momentum) == (1e-2, 0.99, 1e-8, 0, 0)
    assert rms.centered is False
    ada = Adagrad(p)
    assert (ada.lr, ada.lr_decay, ada.weight_decay, ada.initial_accumulator_value, ada.eps) == (
        1e-2,
        0.0,
        0.0,
        0.0,
        1e-10,
    )


def test_base_class_needs_an_update_rule_and_its_hyperparameters() -> None:
    opt = Optimizer([Value(1.0)], lr=0.1)
    with pytest.raises(NotImplementedError, match="Optimizer does not define an update rule"):
        opt.step()
    with pytest.raises(TypeError, match=r"^Optimizer: missing a required argument: 'lr'$"):
        Optimizer([Value(1.0)])


def test_repr_shows_the_settings() -> None:
    opt = SGD([Value(1.0), Value(2.0)], lr=0.1, momentum=0.9)
    assert repr(opt) == (
        "SGD(2 parameters, lr=0.1, momentum=0.9, dampening=0.0, weight_decay=0.0, "
        "nesterov=False, maximize=False)"
    )


# -- one declaration per hyper-parameter --------------------------------------------------------

POSITIONAL, KEYWORD = inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY


@pytest.mark.parametrize("cls", OPTIMIZERS)
def test_signature_defaults_repr_state_dict_and_docs_follow_the_declaration(
    cls: type[Optimizer],
) -> None:
    declared = cls._HYPERPARAMETERS
    names = [h.name for h in declared]
    assert names[0] == "lr" and names[-1] == "maximize" and len(set(names)) == len(names)
    # Each declaration is the class attribute of its name (the descriptor checking assignments).
    assert all(getattr(cls, h.name) is h for h in declared)

    first, *rest = inspect.signature(cls).parameters.values()
    assert (first.name, first.default, first.kind) == (
        "params",
        inspect.Parameter.empty,
        POSITIONAL,
    )
    assert [(p.name, p.default) for p in rest] == [(h.name, h.default) for h in declared]
    assert [p.kind for p in rest] == [KEYWORD if h.keyword_only else POSITIONAL for h in declared]

    opt = cls([Value(1.0)])
    assert [getattr(opt, name) for name in names] == [h.default for h in declared]
    assert list(opt.state_dict()["hyperparameters"]) == names
    assert repr(opt).startswith(f"{cls.__name__}(1 parameters, lr={declared[0].default!r}, ")

    # help() shows the signature and an Args entry, with the default, for every setting.
    assert cls.__doc__ is not None
    args = cls.__doc__[cls.__doc__.index("\nArgs:\n") : cls.__doc__.index("\nExample:\n")]
    for h in declared:
        entry = args[args.index(f"\n    {h.name}: ") :]
        assert " ".join(entry.split()).startswith(f"{h.name}: {h.doc} Default ``{h.default!r}``.")


# Values that every declared check refuses: a wrong type for all of them, and numbers out of
# range for most.
CANDIDATES = [object(), "0.1", None, -1.0, 1.5, math.nan, math.inf, (0.9,), (0.5, 2.0)]


@pytest.mark.parametrize("cls", OPTIMIZERS)
def test_constructor_assignment_and_loading_apply_the_same_check(cls: type[Optimizer]) -> None:
    where = cls.__name__
    for h in cls._HYPERPARAMETERS:
        refused = 0
        for bad in CANDIDATES:
            try:
                cls([Value(1.0)], **{h.name: bad})
            except (TypeError, ValueError) as exc:
                from_constructor = exc
            else:
                continue
            refused += 1
            message = str(from_constructor)
            assert message.startswith(f"{where}: {h.name}"), message  # where, then the name

            opt = cls([Value(1.0)], lr=0.5)
            before = opt.state_dict()
            with pytest.raises(type(from_constructor)) as from_assignment:
                setattr(opt, h.name, bad)
            assert str(from_assignment.value) == message
            assert opt.state_dict() == before

            state = copy.deepcopy(before)
            state["hyperparameters"][h.name] = bad
            with pytest.raises(ValueError) as from_loading:
                opt.load_state_dict(state)
            assert str(from_loading.value) == f"{where}.load_state_dict" + message[len(where) :]
            assert opt.state_dict() == before
        assert refused >= 2, h.name  # a wrong type and a wrong value at least


def test_the_cross_check_runs_on_assignment_and_loading_too() -> None:
    message = r"^SGD: nesterov=True needs momentum > 0 and dampening = 0, got momentum=0\.0"
    with pytest.raises(ValueError, match=message):
        SGD([Value(1.0)], nesterov=True)
    opt = SGD([Value(1.0)])
    with pytest.raises(ValueError, match=message):
        opt.nesterov = True
    state = opt.state_dict()
    state["hyperparameters"]["nesterov"] = True
    with pytest.raises(ValueError, match=r"^SGD\.load_state_dict: nesterov=True needs"):
        opt.load_state_dict(state)
    assert opt.nesterov is False


def test_hyperparameters_bind_like_the_signature_says() -> None:
    # By position, in the declared order, as PyTorch's signatures allow.
    opt = SGD([Value(1.0)], 0.1, 0.9, 0.0, 0.01, True)
    assert (opt.lr, opt.momentum, opt.dampening, opt.weight_decay, opt.nesterov) == (
        0.1,
        0.9,
        0.0,
        0.01,
        True,
    )
    with pytest.raises(TypeError, match=r"^SGD: too many positional arguments$"):
        SGD([Value(1.0)], 0.1, 0.9, 0.0, 0.01, True, True)  # maximize is keyword-only
    with pytest.raises(TypeError, match=r"^SGD: got an unexpected keyword argument 'betas'$"):
        SGD([Value(1.0)], betas=(0.9, 0.99))
    with pytest.raises(TypeError, match=r"^Adam: multiple values for argument 'lr'$"):
        Adam([Value(1.0)], 0.1, lr=0.2)


def test_adamw_redeclares_one_default_and_keeps_adams_order() -> None:
    adam = {h.name: h for h in Adam._HYPERPARAMETERS}
    adamw = {h.name: h for h in AdamW._HYPERPARAMETERS}
    assert list(adamw) == list(adam)
    assert [name for name in adam if adamw[name] is not adam[name]] == ["weight_decay"]
    assert (adam["weight_decay"].default, adamw["weight_decay"].default) == (0.0, 0.01)


def test_a_new_optimizer_gets_everything_from_its_declarations() -> None:
    class Scaled(Optimizer):
        """Gradient descent with the step multiplied by ``factor``.

        Example:
            (none: this class lives inside a test)
        """

        lr: float = hyperparameter(0.5, nonnegative, "Learning rate.")
        factor: float = hyperparameter(2.0, positive, "Multiplies every step.")

        def _update(
            self, data: list[float], grads: list[float], step: int
        ) -> tuple[list[float], dict[str, list[float]]]:
            return [x - self.lr * self.factor * g for x, g in zip(data, grads)], {}

    assert str(inspect.signature(Scaled)) == "(params, lr=0.5, factor=2.0, *, maximize=False)"
    w = Value(1.0)
    w.grad = 1.0
    opt = Scaled([w], factor=3)
    assert type(opt.factor) is float
    opt.step()
    assert w.data == 1.0 - 0.5 * 3.0
    assert repr(opt) == "Scaled(1 parameters, lr=0.5, factor=3.0, maximize=False)"
    assert opt.state_dict()["hyperparameters"] == {"lr": 0.5, "factor": 3.0, "maximize": False}
    with pytest.raises(ValueError, match=r"^Scaled: factor must be a finite number > 0, got 0\.0"):
        opt.factor = 0
    assert opt.factor == 3.0
    assert "    factor: Multiplies every step. Default ``2.0``." in (Scaled.__doc__ or "")


# -- zero_grad and non-finite numbers --------------------------------------------------------


def test_zero_grad_resets_every_parameter() -> None:
    ps = [Value(1.0), Value(2.0)]
    (ps[0] * ps[1]).backward()
    assert [p.grad for p in ps] == [2.0, 1.0]
    SGD(ps).zero_grad()
    assert [p.grad for p in ps] == [0.0, 0.0]


def snapshot(opt: Optimizer) -> tuple[list[float], list[float], str]:
    return [p.data for p in opt.params], [p.grad for p in opt.params], json.dumps(opt.state_dict())


@pytest.mark.parametrize("cls", OPTIMIZERS)
@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_gradient_raises_and_changes_nothing(cls: type[Optimizer], bad: float) -> None:
    ps = [Value(1.0, label="a"), Value(2.0, label="b"), Value(3.0, label="c")]
    opt = cls(ps, lr=0.1)
    steps(opt, [0.5, -0.5, 1.0])  # some state to protect
    before = snapshot(opt)
    ps[0].grad, ps[1].grad, ps[2].grad = 1.0, 1.0, bad  # the bad one comes last
    with pytest.raises(
        ValueError, match=rf"{cls.__name__}.step: the gradient of parameter 2 \('c'\) is {bad!r}"
    ):
        opt.step()
    after = snapshot(opt)
    assert after[0] == before[0] and after[2] == before[2]
    assert opt.step_count == 1


def test_non_finite_gradient_message_without_a_label() -> None:
    w = Value(1.0)
    w.grad = math.nan
    with pytest.raises(
        ValueError, match=r"the gradient of parameter 0 is nan; no parameter was changed"
    ):
        Adam([w]).step()


def test_non_finite_parameter_data_is_refused() -> None:
    w = Value(1.0, label="w")
    w.data = math.inf
    with pytest.raises(ValueError, match=r"parameter 0 \('w'\) has data inf"):
        SGD([w]).step()


@pytest.mark.parametrize("cls", OPTIMIZERS)
def test_an_update_that_overflows_raises_and_changes_nothing(cls: type[Optimizer]) -> None:
    # Finite gradients, but lr·g (or g², for the adaptive ones) is beyond the float range.
    ps = [Value(1.0, label="a"), Value(1.0, label="b")]
    opt = cls(ps, lr=1e300)
    before = snapshot(opt)
    ps[0].grad, ps[1].grad = 1.0, 1e300
    with pytest.raises(
        ValueError, match=rf"{cls.__name__}.step: the update would set .*parameter 1 \('b'\)"
    ):
        opt.step()
    assert snapshot(opt)[0] == before[0] and snapshot(opt)[2] == before[2]


def test_zero_gradient_with_zero_eps_is_a_clear_error() -> None:
    # 0/0 in the update: PyTorch would write nan into the parameter.
    w = Value(1.0)
    with pytest.raises(ValueError, match=r"Adam.step: division by zero .*eps=0"):
        Adam([w], eps=0.0).step()
    assert w.data == 1.0


# -- state_dict --------------------------------------------------------------------------------

FULL_OPTIONS: list[tuple[type[Optimizer], dict[str, Any]]] = [
    (SGD, {"lr": 0.01, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    (SGD, {"lr": 0.01, "momentum": 0.5, "dampening": 0.5}),
    (Adam, {"lr": 0.05, "amsgrad": True, "weight_decay": 0.1, "betas": (0.8, 0.9)}),
    (AdamW, {"lr": 0.05, "amsgrad": True}),
    (RMSprop, {"lr": 0.01, "centered": True, "momentum": 0.5}),
    (Adagrad, {"lr": 0.1, "lr_decay": 0.1, "initial_accumulator_value": 0.1}),
]


def train(opt: Optimizer, n: int) -> None:
    x, y = opt.params
    for _ in range(n):
        opt.zero_grad()
        ((x - 1) ** 2 + 5 * (y - x * x) ** 2).backward()
        opt.step()


@pytest.mark.parametrize(("cls", "kwargs"), FULL_OPTIONS, ids=lambda c: getattr(c, "__name__", ""))
def test_state_dict_json_round_trip_continues_bit_identically(
    cls: type[Optimizer], kwargs: dict[str, Any]
) -> None:
    straight = cls([Value(-1.0), Value(1.5)], **kwargs)
    train(straight, 20)

    first = cls([Value(-1.0), Value(1.5)], **kwargs)
    train(first, 8)
    saved = json.dumps(first.state_dict(), allow_nan=False)  # strict JSON
    # A fresh optimizer with other settings, over copies of the parameters: loading restores
    # the settings too.
    resumed = cls([Value(p.data) for p in first.params])
    resumed.load_state_dict(json.loads(saved))
    assert resumed.state_dict() == json.loads(saved)
    train(resumed, 12)
    assert [p.data for p in resumed.params] == [p.data for p in straight.params]
    assert resumed.step_count == 20


def test_state_dict_layout_and_independence() -> None:
    w = Value(1.0)
    opt = Adam([w, Value(2.0)], lr=0.01, betas=(0.8, 0.9))
    assert opt.state_dict() == {
        "optimizer": "Adam",
        "num_params": 2,
        "step_count": 0,
        "hyperparameters": {
            "lr": 0.01,
            "betas": [0.8, 0.9],
            "eps": 1e-8,
            "weight_decay": 0.0,
            "amsgrad": False,
            "maximize": False,
        },
        "state": {},
    }
    steps(opt, [1.0, 2.0])
    saved = opt.state_dict()
    saved["state"]["exp_avg"][0] = 123.0  # a copy: the optimizer is not affected
    saved["hyperparameters"]["betas"][0] = 0.0
    assert opt.state["exp_avg"][0] != 123.0 and opt.betas == (0.8, 0.9)
    assert sorted(opt.state_dict()["state"]) == ["exp_avg", "exp_avg_sq"]


def good_state() -> dict[str, Any]:
    opt = SGD([Value(1.0), Value(2.0)], lr=0.1, momentum=0.9)
    steps(opt, [1.0, 1.0])
    return opt.state_dict()


def edited(change: Any) -> dict[str, Any]:
    state = copy.deepcopy(good_state())
    change(state)
    return state


BAD_STATES: list[tuple[str, Any, str]] = [
    (
        "wrong optimizer",
        lambda s: s.update(optimizer="Adam"),
        "the state dict is for optimizer 'Adam'",
    ),
    (
        "wrong count",
        lambda s: s.update(num_params=3),
        "the state dict is for 3 parameters, this optimizer has 2",
    ),
    ("count not int", lambda s: s.update(num_params=2.0), "the state dict is for 2.0 parameters"),
    ("missing key", lambda s: s.pop("state"), r"the state dict is missing 1 key\(s\): 'state'$"),
    (
        "unknown key",
        lambda s: s.update(extra=1),
        r"the state dict has 1 unexpected key\(s\): 'extra'$",
    ),
    (
        "negative step",
        lambda s: s.update(step_count=-1),
        "step_count must be an integer >= 0, got -1",
    ),
    (
        "float step",
        lambda s: s.update(step_count=1.0),
        "step_count must be an integer, got float 1.0",
    ),
    (
        "bool step",
        lambda s: s.update(step_count=True),
        "step_count must be an integer, got bool True",
    ),
    (
        "bad lr",
        lambda s: s["hyperparameters"].update(lr=-1),
        r"lr must be a finite number >= 0, got -1\.0",
    ),
    ("lr type", lambda s: s["hyperparameters"].update(lr="x"), "lr must be a real number, got str"),
    (
        "bad combo",
        lambda s: s["hyperparameters"].update(nesterov=True, dampening=0.5),
        "nesterov=True needs",
    ),
    (
        "missing hp",
        lambda s: s["hyperparameters"].pop("momentum"),
        r"hyperparameters is missing 1 key\(s\): 'momentum'$",
    ),
    (
        "unknown hp",
        lambda s: s["hyperparameters"].update(betas=[0.9, 0.9]),
        r"hyperparameters has 1 unexpected key\(s\): 'betas'$",
    ),
    ("hp not dict", lambda s: s.update(hyperparameters=[0.1]), "hyperparameters must be a dict"),
    ("state not dict", lambda s: s.update(state=[1.0, 2.0]), "state must be a dict"),
    (
        "unknown state",
        lambda s: s["state"].update(exp_avg=[0.0, 0.0]),
        r"unknown state \['exp_avg'\]; SGD keeps \['momentum_buffer'\]",
    ),
    (
        "short state",
        lambda s: s["state"].update(momentum_buffer=[1.0]),
        "state 'momentum_buffer' must be a list of 2 numbers",
    ),
    (
        "state not list",
        lambda s: s["state"].update(momentum_buffer=1.0),
        "must be a list of 2 numbers",
    ),
    (
        "nan state",
        lambda s: s["state"].update(momentum_buffer=[1.0, math.nan]),
        r"state 'momentum_buffer'\[1\] must be a finite number, got nan",
    ),
    (
        "str state",
        lambda s: s["state"].update(momentum_buffer=[1.0, "2"]),
        r"state 'momentum_buffer'\[1\] must be a real number, got str '2'",
    ),
    (
        "bool state",
        lambda s: s["state"].update(momentum_buffer=[1.0, True]),
        r"state 'momentum_buffer'\[1\] must be a real number, got bool True",
    ),
]


@pytest.mark.parametrize(("what", "change", "message"), BAD_STATES, ids=[b[0] for b in BAD_STATES])
def test_bad_state_dicts_are_refused_and_change_nothing(
    what: str, change: Any, message: str
) -> None:
    ps = [Value(5.0), Value(6.0)]
    opt = SGD(ps, lr=0.5, momentum=0.2, weight_decay=0.1)
    steps(opt, [3.0, 4.0])
    before = snapshot(opt)
    with pytest.raises(ValueError, match=f"^SGD.load_state_dict: .*{message}"):
        opt.load_state_dict(edited(change))
    assert snapshot(opt) == before
    assert (opt.lr, opt.momentum, opt.weight_decay, opt.step_count) == (0.5, 0.2, 0.1, 1)


def test_load_state_dict_rejects_a_non_dict() -> None:
    with pytest.raises(TypeError, match=r"SGD\.load_state_dict: expected a dict, got list"):
        SGD([Value(1.0)]).load_state_dict([])  # type: ignore[arg-type]


def test_adamw_and_adam_state_dicts_do_not_mix() -> None:
    saved = AdamW([Value(1.0)]).state_dict()
    with pytest.raises(ValueError, match="for optimizer 'AdamW'"):
        Adam([Value(1.0)]).load_state_dict(saved)


def test_loading_accepts_ints_for_floats() -> None:
    # Hand-written or JSON-shortened state may say 0 for 0.0.
    state = good_state()
    state["state"]["momentum_buffer"] = [1, 2]
    state["hyperparameters"]["lr"] = 1
    opt = SGD([Value(1.0), Value(2.0)])
    opt.load_state_dict(state)
    assert opt.state["momentum_buffer"] == [1.0, 2.0] and type(opt.lr) is float


# -- gradient clipping --------------------------------------------------------------------------


def with_grads(*grads: float) -> list[Value]:
    params = [Value(0.0, label=f"p{i}") for i in range(len(grads))]
    for p, g in zip(params, grads):
        p.grad = g
    return params


@pytest.mark.parametrize(
    ("norm_type", "expected"),
    [
        (2.0, 13.0),  # √(3² + 4² + 12²)
        (1.0, 19.0),
        (math.inf, 12.0),
        ("inf", 12.0),
        (3.0, (27 + 64 + 1728) ** (1 / 3)),
        (0.5, (3**0.5 + 4**0.5 + 12**0.5) ** 2),
    ],
)
def test_clip_grad_norm_closed_forms(norm_type: Any, expected: float) -> None:
    params = with_grads(3.0, -4.0, 12.0)
    total = ag.optim.clip_grad_norm(params, max_norm=1.0, norm_type=norm_type)
    assert math.isclose(total, expected, rel_tol=1e-14)
    scale = 1.0 / (expected + 1e-6)
    assert [p.grad for p in params] == pytest.approx([3 * scale, -4 * scale, 12 * scale], rel=1e-14)


def test_clip_grad_norm_leaves_small_gradients_alone() -> None:
    params = with_grads(0.3, -0.4)
    assert ag.optim.clip_grad_norm(params, max_norm=0.5 + 1e-6) == 0.5
    assert [p.grad for p in params] == [0.3, -0.4]


def test_clip_grad_norm_accepts_a_single_value_and_nothing() -> None:
    (p,) = with_grads(-8.0)
    assert ag.optim.clip_grad_norm(p, 2.0) == 8.0
    assert math.isclose(p.grad, -8.0 * 2.0 / (8.0 + 1e-6), rel_tol=1e-15)
    assert ag.optim.clip_grad_norm([], 1.0) == 0.0
    zeros = with_grads(0.0, 0.0)
    assert ag.optim.clip_grad_norm(zeros, 1.0, norm_type=3.0) == 0.0


def test_clip_grad_norm_neither_overflows_nor_underflows_needlessly() -> None:
    # Naively, (1e200)² = inf and (1e-200)³ = 0; the norms themselves are ordinary floats.
    big = with_grads(3e200, 4e200)
    assert math.isclose(ag.optim.clip_grad_norm(big, 1.0), 5e200, rel_tol=1e-15)
    assert math.isclose(math.hypot(*(p.grad for p in big)), 1.0, rel_tol=1e-12)
    tiny = with_grads(1e-200, 1e-200)
    assert math.isclose(
        ag.optim.clip_grad_norm(tiny, 1.0, 3.0), 2 ** (1 / 3) * 1e-200, rel_tol=1e-14
    )


@given(
    # Magnitudes where the naive reference formula below neither underflows nor overflows.
    grads=st.lists(
        st.one_of(st.just(0.0), st.floats(1e-6, 1e6), st.floats(-1e6, -1e-6)),
        min_size=1,
        max_size=10,
    ),
    max_norm=st.floats(1e-3, 1e3),
    norm_type=st.sampled_from([1.0, 2.0, 4.0, math.inf]),
)
def test_clip_grad_norm_properties(grads: list[float], max_norm: float, norm_type: float) -> None:
    params = with_grads(*grads)
    total = ag.optim.clip_grad_norm(params, max_norm, norm_type)
    after = [p.grad for p in params]
    if norm_type == math.inf:
        assert total == max(abs(g) for g in grads)
        new_total = max(abs(g) for g in after)
    else:
        assert math.isclose(
            total, sum(abs(g) ** norm_type for g in grads) ** (1 / norm_type), rel_tol=1e-12
        )
        new_total = sum(abs(g) ** norm_type for g in after) ** (1 / norm_type)
    assert new_total <= max_norm * (1 + 1e-12)
    if total + 1e-6 <= max_norm:
        assert after == grads
    else:
        # One common factor: the direction is kept.
        factor = max_norm / (total + 1e-6)
        assert after == pytest.approx([g * factor for g in grads], rel=1e-15, abs=1e-300)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_clip_grad_norm_non_finite_gradient_raises_and_changes_nothing(bad: float) -> None:
    params = with_grads(1.0, bad, 2.0)
    with pytest.raises(
        ValueError, match=rf"clip_grad_norm: the gradient of parameter 1 \('p1'\) is {bad!r}"
    ):
        ag.optim.clip_grad_norm(params, 1.0)
    assert params[0].grad == 1.0 and params[2].grad == 2.0


def test_clip_grad_norm_overflowing_norm_raises_and_changes_nothing() -> None:
    params = with_grads(1.5e308, 1.5e308)
    with pytest.raises(
        ValueError, match=r"clip_grad_norm: the total gradient norm overflows \(inf\)"
    ):
        ag.optim.clip_grad_norm(params, 1.0, norm_type=1.0)
    assert [p.grad for p in params] == [1.5e308, 1.5e308]


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"max_norm": 0.0}, ValueError, r"max_norm must be a number > 0, got 0\.0"),
        ({"max_norm": -1}, ValueError, r"max_norm must be a number > 0, got -1\.0"),
        ({"max_norm": math.nan}, ValueError, "max_norm must be a number > 0, got nan"),
        ({"max_norm": "1"}, TypeError, "max_norm must be a real number, got str '1'"),
        (
            {"max_norm": 1.0, "norm_type": 0},
            ValueError,
            r"norm_type must be a number > 0, got 0\.0",
        ),
        (
            {"max_norm": 1.0, "norm_type": -2.0},
            ValueError,
            r"norm_type must be a number > 0, got -2\.0",
        ),
        (
            {"max_norm": 1.0, "norm_type": -math.inf},
            ValueError,
            "norm_type must be a number > 0, got -inf",
        ),
        (
            {"max_norm": 1.0, "norm_type": math.nan},
            ValueError,
            "norm_type must be a number > 0, got nan",
        ),
        (
            {"max_norm": 1.0, "norm_type": "two"},
            TypeError,
            "norm_type must be a real number, got str 'two'",
        ),
    ],
)
def test_clip_grad_norm_argument_errors(
    kwargs: dict[str, Any], error: type[Exception], message: str
) -> None:
    params = with_grads(3.0, 4.0)
    with pytest.raises(error, match=f"^clip_grad_norm: {message}"):
        ag.optim.clip_grad_norm(params, **kwargs)
    assert [p.grad for p in params] == [3.0, 4.0]


def test_clip_grad_norm_params_errors() -> None:
    with pytest.raises(TypeError, match=r"clip_grad_norm: params\[1\] is a float, not a Value"):
        ag.optim.clip_grad_norm([Value(1.0), 2.0], 1.0)  # type: ignore[list-item]
    with pytest.raises(TypeError, match="params must be a Value or an iterable of Values, got int"):
        ag.optim.clip_grad_norm(5, 1.0)  # type: ignore[arg-type]


def test_clip_then_step_in_a_training_loop() -> None:
    # The usual order: backward, clip, step. A huge gradient moves θ by at most lr·max_norm.
    theta = Value(0.0)
    opt = SGD([theta], lr=0.1)
    opt.zero_grad()
    (1e6 * (theta - 3) ** 2).backward()
    ag.optim.clip_grad_norm([theta], max_norm=1.0)
    opt.step()
    assert 0.0 < theta.data <= 0.1


# -- a gradient that is a Value (issue 27, finding 1) -----------------------------------------

MAKERS = [
    lambda ps: SGD(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
    lambda ps: Adam(ps, lr=0.1, amsgrad=True),
    lambda ps: AdamW(ps, lr=0.1),
    lambda ps: RMSprop(ps, lr=0.01, centered=True, momentum=0.5),
    lambda ps: Adagrad(ps, lr=0.1, lr_decay=0.01),
]


@pytest.mark.parametrize("make", MAKERS)
def test_value_gradients_step_as_their_numbers_and_never_reach_data_or_state(make: Any) -> None:
    # backward(create_graph=True) leaves Values in .grad; the step must use their numbers, and
    # give bit for bit what the same numbers as floats give.
    graph = [Value(0.5, label="a"), Value(-1.5, label="b")]
    plain = [Value(0.5), Value(-1.5)]
    with_graph, with_floats = make(graph), make(plain)
    for _ in range(3):
        for p in graph:
            p.grad = 0.0
        (graph[0] ** 3 * graph[1] + graph[1].tanh()).backward(create_graph=True)
        assert all(isinstance(p.grad, Value) for p in graph)
        for p, q in zip(plain, graph):
            q_grad = q.grad
            assert isinstance(q_grad, Value)
            p.grad = q_grad.data
        with_graph.step()
        with_floats.step()
        assert [type(p.data) for p in graph] == [float, float]
        assert [p.data for p in graph] == [p.data for p in plain]
        for key, values in with_graph.state.items():
            assert [type(v) for v in values] == [float, float], key
        assert with_graph.state == with_floats.state
    json.dumps(with_graph.state_dict())  # plain numbers: JSON takes them


def test_a_parameter_whose_data_is_a_value_is_stepped_from_its_number() -> None:
    # a model damaged by an earlier (pre-fix) step: the next step repairs it
    w = Value(1.0, label="w")
    w.data = Value(2.0)  # type: ignore[assignment]
    w.grad = 0.5
    SGD([w], lr=0.1).step()
    assert type(w.data) is float and w.data == 2.0 - 0.1 * 0.5


@pytest.mark.parametrize("bad", ["0.5", None, [1.0], object()])
def test_a_gradient_that_is_no_number_is_refused_naming_the_parameter(bad: Any) -> None:
    a, b = Value(1.0, label="a"), Value(2.0, label="b")
    a.grad, b.grad = 1.0, bad
    opt = Adam([a, b])
    with pytest.raises(TypeError, match=r"^Adam\.step: the gradient of parameter 1 \('b'\) is"):
        opt.step()
    assert (a.data, b.data, opt.state, opt.step_count) == (1.0, 2.0, {}, 0)


def test_clip_grad_norm_reads_value_gradients_as_their_numbers() -> None:
    a, b = Value(0.0), Value(0.0)
    a.grad, b.grad = Value(3.0), Value(4.0)
    assert ag.optim.clip_grad_norm([a, b], max_norm=1.0) == 5.0
    assert type(a.grad) is float and type(b.grad) is float
    assert math.isclose(a.grad, 3.0 / (5.0 + 1e-6)) and math.isclose(b.grad, 4.0 / (5.0 + 1e-6))
    c = Value(0.0, label="c")
    c.grad = "x"  # type: ignore[assignment]
    with pytest.raises(TypeError, match=r"the gradient of parameter 0 \('c'\) is str 'x'"):
        ag.optim.clip_grad_norm([c], max_norm=1.0)


# -- a step is all or nothing, even under Ctrl-C (issue 27, finding 2) ------------------------

OPTIM_DIR = str(Path(ag.optim.__file__).parent)


def _snapshot(opt: Optimizer) -> Any:
    return (
        [p.data for p in opt.params],
        [p.grad for p in opt.params],
        copy.deepcopy(opt.state),
        opt.step_count,
    )


def _warmed_up(make: Any) -> Optimizer:
    params = [Value(0.1 * (i + 1), label=f"p{i}") for i in range(4)]
    opt = make(params)
    steps(opt, [0.3, -0.2, 0.5, -0.7])  # some state to keep or lose
    for p, g in zip(params, [0.25, 0.4, -0.6, 0.1]):
        p.grad = g
    return opt


def _commit_codes() -> set[Any]:
    """The code that assigns a computed step: where an interrupt is held back, not raised."""
    from autograd_core.optim import _atomic

    holder = _atomic.deferred_interrupts
    return {
        Optimizer._commit.__code__,
        holder.__enter__.__code__,
        holder.__exit__.__code__,
        holder._hold.__code__,
    }


def _run_with_tracer(opt: Optimizer, on_line: Any) -> None:
    """``opt.step()`` with ``on_line(frame)`` called at every line the optim modules run."""

    def local(frame: Any, event: str, arg: Any) -> Any:
        if event == "line":
            on_line(frame)
        return local

    def start(frame: Any, event: str, arg: Any) -> Any:
        return local if frame.f_code.co_filename.startswith(OPTIM_DIR) else None

    previous = sys.gettrace()
    sys.settrace(start)
    try:
        opt.step()
    finally:
        sys.settrace(previous)


@pytest.mark.parametrize("make", MAKERS)
def test_an_interrupt_anywhere_before_the_assignments_changes_nothing(make: Any) -> None:
    # A KeyboardInterrupt raised at each line of the step in turn (the tracer raises it where
    # Ctrl-C would land), up to the assignments: each leaves parameters, gradients, state and
    # step_count exactly as they were.
    commit = _commit_codes()
    lines = 0

    def count(frame: Any) -> None:
        nonlocal lines
        lines += frame.f_code not in commit

    _run_with_tracer(_warmed_up(make), count)
    assert lines >= 10  # the step has that many places to be interrupted
    for k in range(1, lines + 1):
        opt = _warmed_up(make)
        before = _snapshot(opt)
        seen = 0

        def interrupt(frame: Any, k: int = k) -> None:
            nonlocal seen
            if frame.f_code not in commit:
                seen += 1
                if seen == k:
                    raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt):
            _run_with_tracer(opt, interrupt)
        assert _snapshot(opt) == before, f"interrupted at line {k} of {lines}"
    opt = _warmed_up(make)
    before = _snapshot(opt)
    opt.step()
    assert _snapshot(opt) != before  # the test can tell a step from none


@pytest.mark.parametrize("make", MAKERS)
def test_ctrl_c_during_the_assignments_waits_until_they_are_all_done(make: Any) -> None:
    # A real SIGINT sent at each line of the assignments in turn: the step completes (every
    # parameter, the state, step_count), then the KeyboardInterrupt comes. (At the first
    # line, `with deferred_interrupts():`, the holding handler is not installed yet: there
    # the interrupt comes at once, and nothing has changed.)
    commit = _commit_codes()
    unchanged = _snapshot(_warmed_up(make))
    reference = _warmed_up(make)
    reference.step()
    expected = _snapshot(reference)
    lines = 0

    def count(frame: Any) -> None:
        nonlocal lines
        lines += frame.f_code is Optimizer._commit.__code__

    _run_with_tracer(_warmed_up(make), count)
    assert lines >= 4
    for k in range(1, lines + 1):
        opt = _warmed_up(make)
        seen = 0

        def send(frame: Any, k: int = k) -> None:
            nonlocal seen
            if frame.f_code is Optimizer._commit.__code__:
                seen += 1
                if seen == k:
                    signal.raise_signal(signal.SIGINT)

        with pytest.raises(KeyboardInterrupt):
            _run_with_tracer(opt, send)
        wanted = unchanged if k == 1 else expected
        assert _snapshot(opt) == wanted, f"SIGINT at line {k} of {lines}"
    assert commit  # (the codes the first test excludes are these)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_step_in_another_thread_needs_no_signal_handler() -> None:
    w = Value(1.0)
    w.grad = 2.0
    opt = SGD([w], lr=0.25)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            opt.step()
        except BaseException as exc:  # reported below
            errors.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    worker.join()
    assert errors == [] and w.data == 0.5 and opt.step_count == 1


def test_an_ignored_sigint_stays_ignored() -> None:
    w = Value(1.0)
    w.grad = 2.0
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:

        def send(frame: Any) -> None:
            if frame.f_code is Optimizer._commit.__code__:
                signal.raise_signal(signal.SIGINT)

        opt = SGD([w], lr=0.25)
        _run_with_tracer(opt, send)  # no KeyboardInterrupt: the handler says to ignore it
        assert w.data == 0.5 and signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, previous)
