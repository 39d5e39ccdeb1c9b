"""Learning-rate schedules: ``StepLR``, ``ExponentialLR``, ``CosineAnnealingLR``, ``LambdaLR``.

A scheduler changes ``optimizer.lr`` from one epoch to the next; call its ``step()`` once per
epoch, after the optimizer's. Its settings are declared like an optimizer's (see
``_hyperparameters``), so they are checked the same way when given, assigned and loaded.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from autograd_core._checks import exact_keys, integer, real
from autograd_core.optim._hyperparameters import (
    REQUIRED,
    Configurable,
    from_saved,
    hyperparameter,
    nonnegative,
    positive,
    positive_integer,
)
from autograd_core.optim.optimizer import Optimizer

__all__ = ["LRScheduler", "StepLR", "ExponentialLR", "CosineAnnealingLR", "LambdaLR"]

_STATE_DICT_KEYS = ("scheduler", "last_epoch", "base_lr", "last_lr", "hyperparameters")


class LRScheduler(Configurable):
    """Base class of the schedulers: sets ``optimizer.lr`` for each epoch.

    Creating a scheduler sets the epoch counter ``last_epoch`` to 0 and records the optimizer's
    current ``lr`` as ``base_lr``; each ``step()`` advances one epoch and writes that epoch's
    learning rate into the optimizer. Call it once per epoch, after ``optimizer.step()``.

    Like PyTorch's, ``StepLR``, ``ExponentialLR`` and ``CosineAnnealingLR`` are *chainable*:
    each step scales the optimizer's current lr, so a change you (or another scheduler) make to
    ``optimizer.lr`` carries on through the schedule. ``LambdaLR`` always recomputes from
    ``base_lr``. (PyTorch takes ``base_lr`` from the lr the *first* scheduler of an optimizer
    found; here each scheduler takes the lr at its own creation. The two differ only when a
    scheduler is added after another one has changed the lr.)

    Example:
        >>> import autograd_core as ag
        >>> opt = ag.optim.SGD([ag.Value(0.0)], lr=0.5)
        >>> sched = ag.optim.ExponentialLR(opt, gamma=0.5)
        >>> sched.step()
        >>> sched.last_epoch, sched.get_last_lr(), opt.lr
        (1, [0.25], 0.25)
    """

    _LEADING = ("optimizer", "The optimizer whose ``lr`` is scheduled.")

    optimizer: Optimizer
    base_lr: float
    last_epoch: int
    _last_lr: float

    def __init__(self, optimizer: Optimizer, *args: Any, **kwargs: Any) -> None:
        """Check the settings (see the class's signature) and apply the lr of epoch 0."""
        self._configure(args, kwargs)
        if not isinstance(optimizer, Optimizer):
            raise TypeError(
                f"{type(self).__name__}: expected an optimizer from autograd_core.optim, "
                f"got {type(optimizer).__name__}"
            )
        self.optimizer = optimizer
        self.base_lr = optimizer.lr
        self.last_epoch = -1
        self.step()  # epoch 0: most schedules leave lr as it is; LambdaLR applies lr_lambda(0)

    def step(self) -> None:
        """Advance one epoch and set the optimizer's lr for it.

        If the new lr is invalid (say a ``LambdaLR`` factor turned negative), a ``ValueError``
        says so and neither the scheduler nor the optimizer changes.

        Example:
            >>> import autograd_core as ag
            >>> opt = ag.optim.SGD([ag.Value(0.0)], lr=1.0)
            >>> sched = ag.optim.StepLR(opt, step_size=1, gamma=0.5)
            >>> sched.step(); sched.step()
            >>> opt.lr
            0.25
        """
        epoch = self.last_epoch + 1
        lr = self._lr_at(epoch)
        if not (math.isfinite(lr) and lr >= 0.0):
            raise ValueError(
                f"{type(self).__name__}: the learning rate for epoch {epoch} would be {lr!r}; "
                "a learning rate must be a finite number >= 0"
            )
        self.optimizer.lr = lr
        self.last_epoch = epoch
        self._last_lr = lr

    def get_last_lr(self) -> list[float]:
        """The learning rate the last ``step`` set, as a one-element list (like PyTorch's).

        PyTorch returns one lr per parameter group; an autograd_core optimizer has one group.

        Example:
            >>> import autograd_core as ag
            >>> opt = ag.optim.SGD([ag.Value(0.0)], lr=0.1)
            >>> ag.optim.StepLR(opt, step_size=10).get_last_lr()
            [0.1]
        """
        return [self._last_lr]

    def state_dict(self) -> dict[str, Any]:
        """The scheduler's position and settings as a JSON-ready dict.

        The optimizer's current lr is part of the *optimizer's* state dict: save and load both.
        A ``LambdaLR``'s function is not saved (functions are not data); pass it again.

        Example:
            >>> import autograd_core as ag
            >>> opt = ag.optim.SGD([ag.Value(0.0)], lr=0.1)
            >>> ag.optim.StepLR(opt, step_size=3, gamma=0.5).state_dict()["hyperparameters"]
            {'step_size': 3, 'gamma': 0.5}
        """
        return {
            "scheduler": type(self).__name__,
            "last_epoch": self.last_epoch,
            "base_lr": self.base_lr,
            "last_lr": self._last_lr,
            "hyperparameters": self._saved_hyperparameters(),
        }

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore what ``state_dict`` saved; invalid input raises and changes nothing.

        Example:
            >>> import autograd_core as ag
            >>> opt = ag.optim.SGD([ag.Value(0.0)], lr=0.1)
            >>> sched = ag.optim.ExponentialLR(opt, gamma=0.9)
            >>> sched.load_state_dict({"scheduler": "ExponentialLR", "last_epoch": 5,
            ...     "base_lr": 0.1, "last_lr": 0.059049, "hyperparameters": {"gamma": 0.9}})
            >>> sched.last_epoch
            5
        """
        where = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"{where}: expected a dict, got {type(state_dict).__name__}")
        exact_keys(state_dict, _STATE_DICT_KEYS, "the state dict", where)
        kind = state_dict["scheduler"]
        if kind != type(self).__name__:
            raise ValueError(f"{where}: the state dict is for scheduler {kind!r}")
        last_epoch = from_saved(integer, state_dict["last_epoch"], "last_epoch", where, minimum=0)
        base_lr = from_saved(real, state_dict["base_lr"], "base_lr", where, minimum=0.0)
        last_lr = from_saved(real, state_dict["last_lr"], "last_lr", where, minimum=0.0)
        hyperparameters = self._loaded_hyperparameters(state_dict["hyperparameters"], where)
        # Everything checked: now change the scheduler, all at once.
        vars(self).update(hyperparameters)
        self.base_lr = base_lr
        self.last_epoch = last_epoch
        self._last_lr = last_lr

    # -- for subclasses ----------------------------------------------------------------------

    def _lr_at(self, epoch: int) -> float:
        """The lr for ``epoch``, given that the optimizer's lr is the one for ``epoch − 1``."""
        raise NotImplementedError(f"{type(self).__name__} does not define a schedule")


class StepLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every ``step_size`` epochs.

    Starting from the optimizer's lr when the scheduler is created:

    ```text
    lr(epoch) = base_lr · gamma^⌊epoch / step_size⌋
    ```

    (computed, like PyTorch, as one multiplication of the current lr every ``step_size``
    epochs).

    Example:
        >>> import autograd_core as ag
        >>> opt = ag.optim.SGD([ag.Value(0.0)], lr=0.1)
        >>> sched = ag.optim.StepLR(opt, step_size=2, gamma=0.5)
        >>> lrs = []
        >>> for epoch in range(6):
        ...     lrs.append(sched.get_last_lr()[0])
        ...     opt.step()  # ... an epoch of training ...
        ...     sched.step()
        >>> lrs
        [0.1, 0.1, 0.05, 0.05, 0.025, 0.025]
    """

    step_size: int = hyperparameter(
        REQUIRED, positive_integer, "Epochs between decays, an integer ``>= 1``."
    )
    gamma: float = hyperparameter(0.1, positive, "Factor applied at each decay, ``> 0``.")

    def _lr_at(self, epoch: int) -> float:
        lr = self.optimizer.lr
        if epoch == 0 or epoch % self.step_size != 0:
            return lr
        return lr * self.gamma


class ExponentialLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every epoch.

    ```text
    lr(epoch) = base_lr · gamma^epoch
    ```

    Example:
        >>> import autograd_core as ag
        >>> opt = ag.optim.SGD([ag.Value(0.0)], lr=1.0)
        >>> sched = ag.optim.ExponentialLR(opt, gamma=0.5)
        >>> for epoch in range(3):
        ...     opt.step()
        ...     sched.step()
        >>> sched.get_last_lr()
        [0.125]
    """

    gamma: float = hyperparameter(REQUIRED, positive, "Factor applied each epoch, ``> 0``.")

    def _lr_at(self, epoch: int) -> float:
        lr = self.optimizer.lr
        return lr if epoch == 0 else lr * self.gamma


class CosineAnnealingLR(LRScheduler):
    """Lower the learning rate along half a cosine wave, from base_lr to ``eta_min``.

    With T = ``T_max``:

    ```text
    lr(epoch) = eta_min + (base_lr − eta_min) · (1 + cos(π · epoch / T)) / 2
    ```

    so lr starts flat, falls fastest halfway, and reaches eta_min at epoch T. Stepping on past
    T follows the same curve back up (a full cosine period is 2T), as PyTorch does.

    Like PyTorch, each step rescales the optimizer's current lr instead of evaluating the
    formula directly: the ratio of consecutive curve values multiplies (lr − eta_min), and at
    the bottom of the wave, where that ratio would be 0/0, the curve's increment is added.
    Without outside changes to the lr the two agree to rounding.

    Example:
        >>> import autograd_core as ag
        >>> opt = ag.optim.SGD([ag.Value(0.0)], lr=1.0)
        >>> sched = ag.optim.CosineAnnealingLR(opt, T_max=4)
        >>> lrs = [opt.lr]
        >>> for epoch in range(4):
        ...     opt.step()
        ...     sched.step()
        ...     lrs.append(round(opt.lr, 4))
        >>> lrs
        [1.0, 0.8536, 0.5, 0.1464, 0.0]
    """

    T_max: int = hyperparameter(
        REQUIRED, positive_integer, "Epochs from base_lr down to eta_min, an integer ``>= 1``."
    )
    eta_min: float = hyperparameter(0.0, nonnegative, "The lowest learning rate, ``>= 0``.")

    def _lr_at(self, epoch: int) -> float:
        lr, low, period = self.optimizer.lr, self.eta_min, self.T_max
        if epoch == 0:
            return lr
        if (epoch - 1 - period) % (2 * period) == 0:
            # The step up from the bottom of the wave (cos = −1): the ratio below would divide
            # by 1 + cos(π) = 0, so add the curve's rise over one epoch instead.
            return lr + (self.base_lr - low) * (1 - math.cos(math.pi / period)) / 2
        ratio = (1 + math.cos(math.pi * epoch / period)) / (
            1 + math.cos(math.pi * (epoch - 1) / period)
        )
        return ratio * (lr - low) + low


def function_of_epoch(value: Any, name: str, where: str) -> Callable[[int], float]:
    """``value`` if it can be called (with the epoch); what it returns is checked per call.

    Example:
        >>> from autograd_core.optim.lr_scheduler import function_of_epoch
        >>> function_of_epoch(0.5, "lr_lambda", "LambdaLR")
        Traceback (most recent call last):
        ...
        TypeError: LambdaLR: lr_lambda must be a function of the epoch, got float 0.5
    """
    if not callable(value):
        raise TypeError(
            f"{where}: {name} must be a function of the epoch, got {type(value).__name__} {value!r}"
        )
    return value  # type: ignore[no-any-return]


class LambdaLR(LRScheduler):
    """Set the learning rate to the initial one times a function of the epoch.

    ```text
    lr(epoch) = base_lr · lr_lambda(epoch)
    ```

    The factor for epoch 0 applies as soon as the scheduler is created. The function is not
    part of ``state_dict`` (functions are not data): pass it again when resuming.

    Example:
        Decay linearly to a tenth of the initial lr over 100 epochs:

        >>> import autograd_core as ag
        >>> opt = ag.optim.SGD([ag.Value(0.0)], lr=0.5)
        >>> sched = ag.optim.LambdaLR(opt, lambda k: 1.0 - 0.9 * k / 100)
        >>> for epoch in range(100):
        ...     opt.step()
        ...     sched.step()
        >>> round(opt.lr, 12)
        0.05
    """

    lr_lambda: Callable[[int], float] = hyperparameter(
        REQUIRED,
        function_of_epoch,
        "A function from the epoch (an int, from 0) to a factor (a real number); the "
        "resulting lr must be ``>= 0``.",
        saved=False,
    )

    def _lr_at(self, epoch: int) -> float:
        # A user's function may return anything: check it like an argument.
        factor = real(self.lr_lambda(epoch), f"lr_lambda({epoch})", "LambdaLR")
        return self.base_lr * factor
