"""Optimizers, schedulers and clipping against PyTorch (float64), step by step.

Each optimizer test trains the same three parameters on the same loss twice: once with
autograd_core (gradients from our ``backward``, updates from ``ag.optim``) and once with torch
(``torch.autograd`` and ``torch.optim``). The two runs never exchange numbers, so any
difference in the update rule -- or in the gradients -- shows up and compounds over 20 steps.
"""

from __future__ import annotations

import fractions
import json
import math
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd_core as ag
from autograd_core import Value
from autograd_core import optim as ag_optim

START = (-1.2, 1.0, 0.5)
STEPS = 20
# Gradients from the two libraries agree to about 1e-16 relative; 20 steps of any of these
# optimizers keep the parameters within 1e-12 of each other, relative to their own size or,
# for a parameter passing close to 0 (where a purely relative bound means nothing), to the
# size of the problem: the parameters are of order 1, so an absolute floor of 1e-13.
REL, ABS = 1e-12, 1e-13


def rosenbrockish(lib: Any, x: Any, y: Any, z: Any) -> Any:
    """A non-convex loss with curved valleys and coupling between all three parameters."""
    return (1 - x) ** 2 + 5 * (y - x * x) ** 2 + (z * y - 0.5) ** 2 + 0.1 * lib.sin(x * z)


def bowl(lib: Any, x: Any, y: Any, z: Any) -> Any:
    """A convex bowl, different in each direction, that random hyper-parameters cannot break.

    Its gradients, 2a(x − c) with a a power of two, are computed without rounding by both
    libraries, so only the update rules are compared. That matters for the random
    hyper-parameters: near the minimum Adam divides by √v ≈ |g|, and with small β₂ an
    ulp-sized difference in a tiny gradient becomes a visible difference in the step.
    """
    return (x - 1) ** 2 + 2 * (y + 0.5) ** 2 + 0.5 * (z - 0.3) ** 2


class OurMath:
    sin = staticmethod(ag.sin)


def run_ours(
    name: str, kwargs: dict[str, Any], loss: Callable[..., Any], sign: float = 1.0
) -> list[list[float]]:
    params = [Value(x, label=f"p{i}") for i, x in enumerate(START)]
    opt = getattr(ag_optim, name)(params, **kwargs)
    path = []
    for _ in range(STEPS):
        opt.zero_grad()
        (sign * loss(OurMath, *params)).backward()
        opt.step()
        path.append([p.data for p in params])
    return path


def run_torch(
    torch: Any, name: str, kwargs: dict[str, Any], loss: Callable[..., Any], sign: float = 1.0
) -> list[list[float]]:
    params = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in START]
    opt = getattr(torch.optim, name)(params, **kwargs)
    path = []
    for _ in range(STEPS):
        opt.zero_grad()
        (sign * loss(torch, *params)).backward()
        opt.step()
        path.append([p.item() for p in params])
    return path


def assert_paths_match(ours: list[list[float]], theirs: list[list[float]]) -> None:
    for step, (a, b) in enumerate(zip(ours, theirs), start=1):
        for i, (x, y) in enumerate(zip(a, b)):
            assert math.isclose(x, y, rel_tol=REL, abs_tol=ABS), (
                f"step {step}, parameter {i}: ours {x!r}, torch {y!r}"
            )


CONFIGS: list[tuple[str, dict[str, Any]]] = [
    ("SGD", {"lr": 0.01}),
    ("SGD", {"lr": 0.01, "weight_decay": 0.1}),
    ("SGD", {"lr": 0.01, "momentum": 0.9}),
    ("SGD", {"lr": 0.01, "momentum": 0.9, "dampening": 0.3}),
    ("SGD", {"lr": 0.01, "momentum": 0.8, "nesterov": True}),
    ("SGD", {"lr": 0.01, "momentum": 0.7, "nesterov": True, "weight_decay": 0.05}),
    ("SGD", {"lr": 0.005, "momentum": 0.5, "dampening": 0.5, "weight_decay": 0.2}),
    ("Adam", {"lr": 0.05}),
    ("Adam", {"lr": 0.05, "betas": (0.5, 0.9), "eps": 1e-3}),
    ("Adam", {"lr": 0.05, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.1, "amsgrad": True}),
    ("Adam", {"lr": 0.1, "amsgrad": True, "betas": (0.8, 0.95)}),
    ("Adam", {"lr": 0.1, "amsgrad": True, "weight_decay": 0.3, "betas": (0.8, 0.95)}),
    ("Adam", {"lr": 0.05, "betas": (0.0, 0.0)}),
    ("AdamW", {"lr": 0.05}),
    ("AdamW", {"lr": 0.05, "weight_decay": 0.5}),
    ("AdamW", {"lr": 0.1, "weight_decay": 0.2, "amsgrad": True, "betas": (0.9, 0.9)}),
    ("AdamW", {"lr": 0.05, "weight_decay": 0.0}),
    ("RMSprop", {"lr": 0.01}),
    ("RMSprop", {"lr": 0.01, "alpha": 0.9, "eps": 1e-4}),
    ("RMSprop", {"lr": 0.01, "centered": True}),
    ("RMSprop", {"lr": 0.005, "momentum": 0.9}),
    ("RMSprop", {"lr": 0.005, "momentum": 0.5, "centered": True, "weight_decay": 0.1}),
    ("RMSprop", {"lr": 0.01, "weight_decay": 0.2}),
    ("Adagrad", {"lr": 0.1}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.05}),
    ("Adagrad", {"lr": 0.1, "weight_decay": 0.1}),
    ("Adagrad", {"lr": 0.1, "initial_accumulator_value": 0.5, "eps": 1e-3}),
    ("Adagrad", {"lr": 0.2, "lr_decay": 0.1, "weight_decay": 0.05, "initial_accumulator_value": 1}),
]


def config_id(config: tuple[str, dict[str, Any]]) -> str:
    name, kwargs = config
    # a function is named by its position, not its address (the same in every test worker)
    shown = [f"{k}=fn{i}" if callable(v) else f"{k}={v}" for i, (k, v) in enumerate(kwargs.items())]
    return name + "(" + ",".join(shown) + ")"


@pytest.mark.parametrize("config", CONFIGS, ids=config_id)
def test_optimizer_matches_torch_step_by_step(
    torch: Any, config: tuple[str, dict[str, Any]]
) -> None:
    name, kwargs = config
    assert_paths_match(
        run_ours(name, kwargs, rosenbrockish), run_torch(torch, name, kwargs, rosenbrockish)
    )


@pytest.mark.parametrize("config", CONFIGS, ids=config_id)
def test_maximize_matches_torch(torch: Any, config: tuple[str, dict[str, Any]]) -> None:
    # Maximising −loss is minimising loss; both libraries must negate the same gradient at the
    # same point of the rule (before weight decay).
    name, kwargs = config
    kwargs = {**kwargs, "maximize": True}
    ours = run_ours(name, kwargs, rosenbrockish, sign=-1.0)
    assert_paths_match(ours, run_torch(torch, name, kwargs, rosenbrockish, sign=-1.0))


def test_the_loss_and_options_make_the_comparisons_meaningful(torch: Any) -> None:
    # Guard against a vacuous comparison: the runs really move, and the options really change
    # the path (so e.g. a broken amsgrad could not hide behind a path identical to plain Adam).
    plain = run_ours("Adam", {"lr": 0.1}, rosenbrockish)
    assert max(abs(a - b) for a, b in zip(plain[-1], START)) > 0.5
    for name, base, option in [
        ("Adam", {"lr": 0.1, "betas": (0.8, 0.95)}, {"amsgrad": True}),
        ("AdamW", {"lr": 0.1, "betas": (0.9, 0.9)}, {"amsgrad": True}),
        ("AdamW", {"lr": 0.1}, {"weight_decay": 0.5}),
        ("SGD", {"lr": 0.01, "momentum": 0.9}, {"dampening": 0.3}),
        ("SGD", {"lr": 0.01, "momentum": 0.9}, {"nesterov": True}),
        ("RMSprop", {"lr": 0.01}, {"centered": True}),
        ("Adagrad", {"lr": 0.1}, {"lr_decay": 0.05}),
    ]:
        with_option = run_ours(name, {**base, **option}, rosenbrockish)[-1]
        without = run_ours(name, base, rosenbrockish)[-1]
        assert max(abs(a - b) for a, b in zip(with_option, without)) > 1e-3, (name, option)


# -- hyper-parameters drawn by hypothesis ------------------------------------------------------

lrs = st.floats(1e-4, 0.1)
fractions_ = st.floats(0.0, 0.999)
decays = st.floats(0.0, 0.5)


@st.composite
def sgd_configs(draw: st.DrawFn) -> dict[str, Any]:
    nesterov = draw(st.booleans())
    momentum = draw(st.floats(0.01, 0.95)) if nesterov else draw(st.sampled_from([0.0, 0.5, 0.9]))
    return {
        "lr": draw(lrs),
        "momentum": momentum,
        "dampening": 0.0 if nesterov else draw(st.floats(0.0, 1.0)),
        "weight_decay": draw(decays),
        "nesterov": nesterov,
        "maximize": draw(st.booleans()),
    }


@st.composite
def adam_configs(draw: st.DrawFn) -> dict[str, Any]:
    beta1 = draw(fractions_)
    return {
        "lr": draw(lrs),
        # β₂ ≥ 0.5: with β₂ near 0, √v ≈ |g| and Adam steps by ≈ lr·sign(g), which jumps
        # when g crosses 0, so ulp-level differences (an fma in torch's weight decay, say)
        # can flip a step. Both results are right; they just cannot agree to 1e-12 there.
        "betas": (beta1, draw(st.floats(0.5, 0.999))),
        "eps": draw(st.sampled_from([1e-8, 1e-6, 1e-3, 0.1])),
        # Nor with β₁ < 0.5 and (coupled) weight decay: with little momentum the steps are
        # close to lr·sign(g) again near the minimum, and the one-ulp difference of torch's
        # fused g + wd·p (test below) grows about fourfold a step (1 ulp at step 12 was
        # 1.3e-12 at step 20 for β = (0, 0.75), wd = 0.375). Without it the paths agree.
        "weight_decay": draw(decays) if beta1 >= 0.5 else 0.0,
        "amsgrad": draw(st.booleans()),
        "maximize": draw(st.booleans()),
    }


@st.composite
def rmsprop_configs(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "lr": draw(st.floats(1e-4, 0.02)),
        "alpha": draw(st.floats(0.5, 0.999)),
        "eps": draw(st.sampled_from([1e-8, 1e-6, 1e-3])),
        "weight_decay": draw(decays),
        "momentum": draw(st.sampled_from([0.0, 0.3, 0.8])),
        "centered": draw(st.booleans()),
        "maximize": draw(st.booleans()),
    }


@st.composite
def adagrad_configs(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "lr": draw(st.floats(1e-3, 0.3)),
        "lr_decay": draw(decays),
        "weight_decay": draw(decays),
        "initial_accumulator_value": draw(st.floats(0.0, 2.0)),
        "eps": draw(st.sampled_from([1e-10, 1e-6, 1e-2])),
        "maximize": draw(st.booleans()),
    }


@given(
    st.one_of(
        st.tuples(st.just("SGD"), sgd_configs()),
        st.tuples(st.sampled_from(["Adam", "AdamW"]), adam_configs()),
        st.tuples(st.just("RMSprop"), rmsprop_configs()),
        st.tuples(st.just("Adagrad"), adagrad_configs()),
    )
)
def test_random_hyperparameters_match_torch(torch: Any, config: tuple[str, dict[str, Any]]) -> None:
    name, kwargs = config
    sign = -1.0 if kwargs["maximize"] else 1.0
    assert_paths_match(
        run_ours(name, kwargs, bowl, sign), run_torch(torch, name, kwargs, bowl, sign)
    )


def test_torchs_weight_decay_is_a_fused_multiply_add(torch: Any) -> None:
    # why the Adam configurations above keep clear of some regions: torch rounds g + wd·p
    # once (a fused multiply-add), Python's g + wd * p twice, so the two can be an ulp apart
    g, p, wd = 0.093, 0.965, 0.336
    theirs = torch.tensor(g, dtype=torch.float64).add(
        torch.tensor(p, dtype=torch.float64), alpha=wd
    )
    exact = float(fractions.Fraction(g) + fractions.Fraction(wd) * fractions.Fraction(p))
    assert theirs.item() == exact != g + wd * p


def test_state_dict_resume_matches_an_uninterrupted_torch_run(torch: Any) -> None:
    # Stop after 7 steps, go through JSON, resume in a fresh optimizer: the path still follows
    # torch's uninterrupted one.
    kwargs = {"lr": 0.1, "amsgrad": True, "weight_decay": 0.1}
    params = [Value(x) for x in START]
    opt = ag_optim.AdamW(params, **kwargs)  # type: ignore[arg-type]
    path = []
    for step in range(STEPS):
        if step == 7:
            saved = json.loads(json.dumps(opt.state_dict()))
            opt = ag_optim.AdamW(params)
            opt.load_state_dict(saved)
        opt.zero_grad()
        rosenbrockish(OurMath, *params).backward()
        opt.step()
        path.append([p.data for p in params])
    assert_paths_match(path, run_torch(torch, "AdamW", kwargs, rosenbrockish))


# -- schedulers ----------------------------------------------------------------------------------

SCHEDULERS: list[tuple[str, dict[str, Any]]] = [
    ("StepLR", {"step_size": 3, "gamma": 0.5}),
    ("StepLR", {"step_size": 1, "gamma": 0.9}),
    ("StepLR", {"step_size": 7}),
    ("ExponentialLR", {"gamma": 0.95}),
    ("ExponentialLR", {"gamma": 1.05}),
    ("CosineAnnealingLR", {"T_max": 10}),
    ("CosineAnnealingLR", {"T_max": 7, "eta_min": 0.01}),
    ("CosineAnnealingLR", {"T_max": 1}),
    ("CosineAnnealingLR", {"T_max": 25, "eta_min": 0.3}),
    ("LambdaLR", {"lr_lambda": lambda k: 1.0 - 0.9 * k / 100}),
    ("LambdaLR", {"lr_lambda": lambda k: 0.5 ** (k // 4) * (1 + math.sin(k) / 3)}),
]


def scheduled_lrs(opt: Any, sched: Any, epochs: int) -> list[float]:
    lrs = [sched.get_last_lr()[0]]
    for _ in range(epochs):
        opt.step()
        sched.step()
        lrs.append(sched.get_last_lr()[0])
    return lrs


@pytest.mark.parametrize("config", SCHEDULERS, ids=config_id)
def test_scheduler_matches_torch_exactly(torch: Any, config: tuple[str, dict[str, Any]]) -> None:
    # Both compute the schedule in Python floats with the same formulas, so every epoch's lr
    # (75 epochs: three cosine periods for T_max=25) must be the same float, not just close.
    name, kwargs = config
    ours_opt = ag_optim.SGD([Value(0.0)], lr=0.4)
    ours = scheduled_lrs(
        ours_opt, getattr(ag_optim, name)(ours_opt, **kwargs), 75 if name != "LambdaLR" else 100
    )
    tensor = torch.zeros((), dtype=torch.float64, requires_grad=True)
    tensor.grad = torch.zeros((), dtype=torch.float64)
    torch_opt = torch.optim.SGD([tensor], lr=0.4)
    sched = getattr(torch.optim.lr_scheduler, name)(torch_opt, **kwargs)
    theirs = scheduled_lrs(torch_opt, sched, len(ours) - 1)
    assert ours == theirs
    assert ours_opt.lr == torch_opt.param_groups[0]["lr"]


@given(
    base=st.floats(1e-4, 10.0),
    step_size=st.integers(1, 10),
    gamma=st.floats(0.05, 1.5),
    t_max=st.integers(1, 30),
    eta_min=st.floats(0.0, 1e-3),
)
def test_random_schedules_match_torch_exactly(
    torch: Any, base: float, step_size: int, gamma: float, t_max: int, eta_min: float
) -> None:
    for name, kwargs in [
        ("StepLR", {"step_size": step_size, "gamma": gamma}),
        ("ExponentialLR", {"gamma": gamma}),
        ("CosineAnnealingLR", {"T_max": t_max, "eta_min": eta_min}),
    ]:
        ours_opt = ag_optim.SGD([Value(0.0)], lr=base)
        ours = scheduled_lrs(ours_opt, getattr(ag_optim, name)(ours_opt, **kwargs), 40)
        tensor = torch.zeros((), dtype=torch.float64, requires_grad=True)
        tensor.grad = torch.zeros((), dtype=torch.float64)
        torch_opt = torch.optim.SGD([tensor], lr=base)
        theirs = scheduled_lrs(
            torch_opt, getattr(torch.optim.lr_scheduler, name)(torch_opt, **kwargs), 40
        )
        assert ours == theirs, name


def test_chained_schedulers_and_manual_lr_changes_match_torch(torch: Any) -> None:
    # Two chainable schedulers on one optimizer multiply their effects, and a manual change of
    # the lr half-way carries on through the schedule: PyTorch's semantics.
    def run(opt: Any, lib: Any, set_lr: Callable[[float], None]) -> list[float]:
        a = lib.StepLR(opt, step_size=4, gamma=0.5)
        b = lib.CosineAnnealingLR(opt, T_max=9, eta_min=0.001)
        lrs = []
        for epoch in range(30):
            opt.step()
            a.step()
            b.step()
            if epoch == 12:
                set_lr(0.07)
            lrs.append(b.get_last_lr()[0])
        return lrs

    ours_opt = ag_optim.SGD([Value(0.0)], lr=0.3)
    ours = run(ours_opt, ag_optim, lambda lr: setattr(ours_opt, "lr", lr))
    tensor = torch.zeros((), dtype=torch.float64, requires_grad=True)
    tensor.grad = torch.zeros((), dtype=torch.float64)
    torch_opt = torch.optim.SGD([tensor], lr=0.3)
    theirs = run(
        torch_opt,
        torch.optim.lr_scheduler,
        lambda lr: torch_opt.param_groups[0].__setitem__("lr", lr),
    )
    assert ours == theirs


# -- gradient clipping --------------------------------------------------------------------------


@given(
    # Not below 1e-6: torch sums |g|ᵖ directly, which loses precision once |g|ᵖ underflows
    # (for 3e-162, p = 2, it is 7% off), while ours scales by the largest |g| first.
    grads=st.lists(
        st.one_of(st.just(0.0), st.floats(1e-6, 1e3), st.floats(-1e3, -1e-6)),
        min_size=1,
        max_size=8,
    ),
    max_norm=st.floats(1e-3, 1e3),
    norm_type=st.sampled_from([0.5, 1.0, 1.5, 2.0, 3.0, 7.0, math.inf]),
)
def test_clip_grad_norm_matches_torch(
    torch: Any, grads: list[float], max_norm: float, norm_type: float
) -> None:
    params = [Value(0.0) for _ in grads]
    for p, g in zip(params, grads):
        p.grad = g
    tensors = [torch.zeros((), dtype=torch.float64, requires_grad=True) for _ in grads]
    for t, g in zip(tensors, grads):
        t.grad = torch.tensor(g, dtype=torch.float64)
    ours = ag_optim.clip_grad_norm(params, max_norm, norm_type)
    theirs = torch.nn.utils.clip_grad_norm_(tensors, max_norm, norm_type).item()
    assert math.isclose(ours, theirs, rel_tol=1e-12, abs_tol=1e-300)
    for p, t in zip(params, tensors):
        assert math.isclose(p.grad, t.grad.item(), rel_tol=1e-12, abs_tol=1e-300)
