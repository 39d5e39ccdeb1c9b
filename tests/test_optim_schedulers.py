"""Learning-rate schedulers without PyTorch: closed forms, resuming, errors."""

from __future__ import annotations

import copy
import inspect
import itertools
import json
import math
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd_core import Value
from autograd_core.optim import (
    SGD,
    Adam,
    CosineAnnealingLR,
    ExponentialLR,
    LambdaLR,
    LRScheduler,
    StepLR,
)


def run(sched: LRScheduler, epochs: int) -> list[float]:
    """The lr now and for ``epochs`` more epochs, read from the scheduler and the optimizer."""
    lrs = [sched.get_last_lr()[0]]
    assert sched.optimizer.lr == lrs[0]
    start = sched.last_epoch
    for epoch in range(start + 1, start + epochs + 1):
        sched.optimizer.step()
        sched.step()
        assert sched.last_epoch == epoch
        lrs.append(sched.get_last_lr()[0])
        assert sched.optimizer.lr == lrs[-1]
    return lrs


def sgd(lr: float) -> SGD:
    return SGD([Value(0.0)], lr=lr)


def assert_close_to(lrs: list[float], closed_form: Callable[[int], float], scale: float) -> None:
    # The schedulers update the lr step by step (PyTorch's chainable form); rounding errors
    # are relative to the size of the lr, hence an absolute tolerance scaled by base_lr.
    for epoch, lr in enumerate(lrs):
        assert math.isclose(lr, closed_form(epoch), rel_tol=1e-12, abs_tol=1e-13 * scale), epoch


@given(
    base=st.floats(1e-5, 10.0),
    step_size=st.integers(1, 12),
    gamma=st.floats(0.01, 2.0),
)
def test_step_lr_closed_form(base: float, step_size: int, gamma: float) -> None:
    lrs = run(StepLR(sgd(base), step_size=step_size, gamma=gamma), 60)
    assert_close_to(lrs, lambda k: base * gamma ** (k // step_size), base)


def test_step_lr_example_and_default_gamma() -> None:
    assert run(StepLR(sgd(1.0), step_size=2), 5) == pytest.approx(
        [1.0, 1.0, 0.1, 0.1, 0.01, 0.01], rel=1e-15
    )


@given(base=st.floats(1e-5, 10.0), gamma=st.floats(0.5, 1.1))
def test_exponential_lr_closed_form(base: float, gamma: float) -> None:
    lrs = run(ExponentialLR(sgd(base), gamma=gamma), 60)
    assert_close_to(lrs, lambda k: base * gamma**k, base)


@given(
    base=st.floats(1e-4, 10.0),
    t_max=st.integers(1, 40),
    eta_min=st.floats(0.0, 1e-3),
)
def test_cosine_annealing_closed_form_over_three_periods(
    base: float, t_max: int, eta_min: float
) -> None:
    lrs = run(CosineAnnealingLR(sgd(base), T_max=t_max, eta_min=eta_min), 3 * t_max)

    def closed_form(k: int) -> float:
        return eta_min + (base - eta_min) * (1 + math.cos(math.pi * k / t_max)) / 2

    assert_close_to(lrs, closed_form, base)


def test_cosine_annealing_landmarks() -> None:
    lrs = run(CosineAnnealingLR(sgd(1.0), T_max=10, eta_min=0.2), 20)
    assert lrs[0] == 1.0
    assert lrs[5] == pytest.approx(0.6, rel=1e-12)  # halfway: the mean of 1.0 and 0.2
    assert lrs[10] == pytest.approx(0.2, rel=1e-12)  # the bottom
    assert lrs[20] == pytest.approx(1.0, rel=1e-12)  # back up after a full period
    assert lrs[11] > lrs[10]  # the step out of the bottom (the special case)
    assert all(a > b for a, b in itertools.pairwise(lrs[:11]))


def test_lambda_lr_issue_example() -> None:
    # LambdaLR(opt, lambda k: 1.0 - 0.9 * k / 100): linear decay to a tenth over 100 epochs.
    def factor(k: int) -> float:
        return 1.0 - 0.9 * k / 100

    lrs = run(LambdaLR(sgd(0.5), factor), 100)
    assert lrs == [0.5 * factor(k) for k in range(101)]  # recomputed from base_lr: exact
    assert lrs[100] == pytest.approx(0.05, rel=1e-14)


def test_lambda_lr_applies_epoch_zero_at_construction() -> None:
    opt = sgd(2.0)
    sched = LambdaLR(opt, lambda k: 0.25 * (k + 1))
    assert opt.lr == 0.5 and sched.get_last_lr() == [0.5] and sched.base_lr == 2.0
    sched.step()
    assert opt.lr == 1.0


def test_lambda_lr_ignores_outside_changes_but_chainable_schedules_keep_them() -> None:
    opt = sgd(1.0)
    lam = LambdaLR(opt, lambda k: 0.5**k)
    opt.lr = 100.0
    lam.step()
    assert opt.lr == 0.5  # base_lr · 0.5¹, whatever the lr was

    opt = sgd(1.0)
    exp = ExponentialLR(opt, gamma=0.5)
    opt.lr = 100.0
    exp.step()
    assert opt.lr == 50.0  # the current lr times gamma


def test_get_last_lr_is_a_one_element_list_of_float_and_not_live() -> None:
    opt = sgd(0.1)
    sched = StepLR(opt, step_size=1, gamma=0.5)
    last = sched.get_last_lr()
    assert last == [0.1] and type(last[0]) is float
    last[0] = 99.0
    assert sched.get_last_lr() == [0.1]
    opt.lr = 0.3  # the last lr the *scheduler* set, as in PyTorch
    assert sched.get_last_lr() == [0.1]


def test_scheduler_drives_training() -> None:
    # The optimizer really uses the scheduled lr: θ moves by lr·g each epoch.
    theta = Value(0.0)
    opt = SGD([theta], lr=1.0)
    sched = StepLR(opt, step_size=1, gamma=0.5)
    for _ in range(4):
        theta.grad = -1.0
        opt.step()
        sched.step()
    assert theta.data == 1.0 + 0.5 + 0.25 + 0.125


# -- state_dict ----------------------------------------------------------------------------------

MAKERS: list[tuple[str, Callable[[Any], LRScheduler]]] = [
    ("StepLR", lambda opt: StepLR(opt, step_size=3, gamma=0.7)),
    ("ExponentialLR", lambda opt: ExponentialLR(opt, gamma=0.9)),
    ("CosineAnnealingLR", lambda opt: CosineAnnealingLR(opt, T_max=6, eta_min=0.01)),
    ("LambdaLR", lambda opt: LambdaLR(opt, lambda k: 1.0 / (1 + k))),
]


@pytest.mark.parametrize(("name", "make"), MAKERS, ids=[m[0] for m in MAKERS])
def test_resume_through_json_gives_the_same_schedule(
    name: str, make: Callable[[Any], LRScheduler]
) -> None:
    straight = run(make(Adam([Value(0.0)], lr=0.2)), 20)

    opt = Adam([Value(0.0)], lr=0.2)
    sched = make(opt)
    first = run(sched, 9)
    saved = json.dumps({"optimizer": opt.state_dict(), "scheduler": sched.state_dict()})

    # Fresh objects with other settings; loading restores the schedule and the current lr.
    new_opt = Adam([Value(0.0)], lr=0.9)
    new_sched = make(new_opt)
    new_sched.step()
    loaded = json.loads(saved)
    new_opt.load_state_dict(loaded["optimizer"])
    new_sched.load_state_dict(loaded["scheduler"])
    assert new_sched.state_dict() == loaded["scheduler"]
    assert first[:-1] + run(new_sched, 11) == straight


def test_state_dict_layout() -> None:
    sched = CosineAnnealingLR(sgd(0.5), T_max=4, eta_min=0.1)
    sched.step()
    assert sched.state_dict() == {
        "scheduler": "CosineAnnealingLR",
        "last_epoch": 1,
        "base_lr": 0.5,
        "last_lr": sched.optimizer.lr,
        "hyperparameters": {"T_max": 4, "eta_min": 0.1},
    }
    assert LambdaLR(sgd(0.5), lambda k: 1.0).state_dict()["hyperparameters"] == {}


BAD_STATES: list[tuple[str, Callable[[dict[str, Any]], Any], str]] = [
    (
        "wrong scheduler",
        lambda s: s.update(scheduler="ExponentialLR"),
        "is for scheduler 'ExponentialLR'",
    ),
    (
        "missing key",
        lambda s: s.pop("base_lr"),
        r"the state dict is missing 1 key\(s\): 'base_lr'$",
    ),
    (
        "unknown key",
        lambda s: s.update(optimizer="SGD"),
        r"the state dict has 1 unexpected key\(s\): 'optimizer'$",
    ),
    (
        "negative epoch",
        lambda s: s.update(last_epoch=-1),
        "last_epoch must be an integer >= 0, got -1",
    ),
    (
        "float epoch",
        lambda s: s.update(last_epoch=2.0),
        "last_epoch must be an integer, got float 2.0",
    ),
    (
        "bad base_lr",
        lambda s: s.update(base_lr=-0.1),
        r"base_lr must be a finite number >= 0, got -0\.1",
    ),
    (
        "nan last_lr",
        lambda s: s.update(last_lr=math.nan),
        "last_lr must be a finite number >= 0, got nan",
    ),
    ("str last_lr", lambda s: s.update(last_lr="0.1"), "last_lr must be a real number, got str"),
    (
        "bad gamma",
        lambda s: s["hyperparameters"].update(gamma=0.0),
        r"gamma must be a finite number > 0, got 0\.0",
    ),
    (
        "bad step_size",
        lambda s: s["hyperparameters"].update(step_size=0),
        "step_size must be an integer >= 1, got 0",
    ),
    (
        "float step_size",
        lambda s: s["hyperparameters"].update(step_size=2.5),
        r"step_size must be an integer, got float 2\.5",
    ),
    (
        "missing hp",
        lambda s: s["hyperparameters"].pop("gamma"),
        r"hyperparameters is missing 1 key\(s\): 'gamma'$",
    ),
    (
        "unknown hp",
        lambda s: s["hyperparameters"].update(T_max=3),
        r"hyperparameters has 1 unexpected key\(s\): 'T_max'$",
    ),
    ("hp not dict", lambda s: s.update(hyperparameters=None), "hyperparameters must be a dict"),
]


@pytest.mark.parametrize(("what", "change", "message"), BAD_STATES, ids=[b[0] for b in BAD_STATES])
def test_bad_state_dicts_are_refused_and_change_nothing(
    what: str, change: Callable[[dict[str, Any]], Any], message: str
) -> None:
    donor = StepLR(sgd(0.3), step_size=2, gamma=0.5)
    run(donor, 5)
    state = copy.deepcopy(donor.state_dict())
    change(state)

    opt = sgd(0.8)
    sched = StepLR(opt, step_size=3, gamma=0.1)
    sched.step()
    before = (sched.state_dict(), opt.lr)
    with pytest.raises(ValueError, match=f"^StepLR.load_state_dict: .*{message}"):
        sched.load_state_dict(state)
    assert (sched.state_dict(), opt.lr) == before


def test_load_state_dict_rejects_a_non_dict() -> None:
    with pytest.raises(TypeError, match=r"StepLR\.load_state_dict: expected a dict, got str"):
        StepLR(sgd(0.1), 1).load_state_dict("state")  # type: ignore[arg-type]


# -- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (
            lambda o: StepLR(o, step_size=0),
            ValueError,
            "StepLR: step_size must be an integer >= 1, got 0",
        ),
        (
            lambda o: StepLR(o, step_size=-3),
            ValueError,
            "StepLR: step_size must be an integer >= 1, got -3",
        ),
        (
            lambda o: StepLR(o, step_size=2.0),
            TypeError,
            r"StepLR: step_size must be an integer, got float 2\.0",
        ),
        (
            lambda o: StepLR(o, step_size=True),
            TypeError,
            "StepLR: step_size must be an integer, got bool True",
        ),
        (
            lambda o: StepLR(o, 2, gamma=0.0),
            ValueError,
            r"StepLR: gamma must be a finite number > 0, got 0\.0",
        ),
        (
            lambda o: StepLR(o, 2, gamma=-0.5),
            ValueError,
            r"StepLR: gamma must be a finite number > 0, got -0\.5",
        ),
        (
            lambda o: ExponentialLR(o, gamma=0),
            ValueError,
            r"ExponentialLR: gamma must be a finite number > 0, got 0\.0",
        ),
        (
            lambda o: ExponentialLR(o, gamma=math.inf),
            ValueError,
            "ExponentialLR: gamma must be a finite number > 0, got inf",
        ),
        (
            lambda o: ExponentialLR(o, gamma=math.nan),
            ValueError,
            "ExponentialLR: gamma must be a finite number > 0, got nan",
        ),
        (
            lambda o: ExponentialLR(o, gamma="0.9"),
            TypeError,
            "ExponentialLR: gamma must be a real number, got str '0.9'",
        ),
        (
            lambda o: CosineAnnealingLR(o, T_max=0),
            ValueError,
            "CosineAnnealingLR: T_max must be an integer >= 1, got 0",
        ),
        (
            lambda o: CosineAnnealingLR(o, T_max=1.5),
            TypeError,
            r"CosineAnnealingLR: T_max must be an integer, got float 1\.5",
        ),
        (
            lambda o: CosineAnnealingLR(o, 5, eta_min=-0.01),
            ValueError,
            r"CosineAnnealingLR: eta_min must be a finite number >= 0, got -0\.01",
        ),
        (
            lambda o: LambdaLR(o, 0.5),
            TypeError,
            r"LambdaLR: lr_lambda must be a function of the epoch, got float 0\.5",
        ),
        (
            lambda o: LambdaLR(o, lambda k: "fast"),
            TypeError,
            r"LambdaLR: lr_lambda\(0\) must be a real number, got str 'fast'",
        ),
        (
            lambda o: LambdaLR(o, lambda k: -1.0),
            ValueError,
            r"LambdaLR: the learning rate for epoch 0 would be -0\.1",
        ),
        (
            lambda o: LambdaLR(o, lambda k: math.nan),
            ValueError,
            r"LambdaLR: lr_lambda\(0\) must be a finite number, got nan",
        ),
        (
            lambda o: StepLR(o.params, 2),
            TypeError,
            "StepLR: expected an optimizer from autograd_core.optim, got tuple",
        ),
    ],
)
def test_invalid_arguments(
    make: Callable[[SGD], Any], error: type[Exception], message: str
) -> None:
    opt = sgd(0.1)
    with pytest.raises(error, match=f"^{message}"):
        make(opt)
    assert opt.lr == 0.1


@pytest.mark.parametrize(
    ("cls", "signature"),
    [
        (StepLR, "(optimizer, step_size, gamma=0.1)"),
        (ExponentialLR, "(optimizer, gamma)"),
        (CosineAnnealingLR, "(optimizer, T_max, eta_min=0.0)"),
        (LambdaLR, "(optimizer, lr_lambda)"),
    ],
)
def test_signatures_come_from_the_declarations(cls: type[LRScheduler], signature: str) -> None:
    assert str(inspect.signature(cls)) == signature
    declared = [(h.name, h.default) for h in cls._HYPERPARAMETERS]
    assert [(p.name, p.default) for p in inspect.signature(cls).parameters.values()][1:] == declared


def test_settings_are_checked_when_assigned() -> None:
    sched = StepLR(sgd(0.1), step_size=2)
    with pytest.raises(ValueError, match=r"^StepLR: gamma must be a finite number > 0, got -1\.0$"):
        sched.gamma = -1
    with pytest.raises(TypeError, match=r"^StepLR: step_size must be an integer, got float 2\.0$"):
        sched.step_size = 2.0  # type: ignore[assignment]
    assert (sched.gamma, sched.step_size) == (0.1, 2)
    lam = LambdaLR(sgd(0.1), lambda k: 1.0)
    with pytest.raises(TypeError, match=r"^LambdaLR: lr_lambda must be a function of the epoch"):
        lam.lr_lambda = 2.0  # type: ignore[assignment]


def test_a_schedule_that_turns_negative_stops_with_everything_unchanged() -> None:
    # The issue's linear decay passes 0 after epoch 111: the step that would set a negative
    # lr raises, and the optimizer keeps the last valid lr.
    opt = sgd(1.0)
    sched = LambdaLR(opt, lambda k: 1.0 - 0.9 * k / 100)
    for _ in range(111):
        sched.step()
    lr = opt.lr
    assert lr > 0
    with pytest.raises(
        ValueError, match=r"LambdaLR: the learning rate for epoch 112 would be -0\.00"
    ):
        sched.step()
    assert (opt.lr, sched.last_epoch, sched.get_last_lr()) == (lr, 111, [lr])


def test_the_base_class_has_no_schedule() -> None:
    with pytest.raises(NotImplementedError, match="LRScheduler does not define a schedule"):
        LRScheduler(sgd(0.1))
