"""``Optimizer``: the bookkeeping that every update rule shares.

A subclass declares its hyper-parameters (see ``_hyperparameters``), names the per-parameter
state it keeps in ``_STATE`` and writes ``_update``, a pure function from the current values,
gradients and state to new ones. Everything else lives here: collecting and checking the
parameters, ``zero_grad``, refusing non-finite gradients and updates without changing anything,
and saving and restoring the state.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar

from autograd_core._checks import exact_keys, integer, real
from autograd_core._gc import pausing_gc
from autograd_core.engine import Value
from autograd_core.optim._atomic import deferred_interrupts, number_of
from autograd_core.optim._hyperparameters import (
    REQUIRED,
    Configurable,
    flag,
    from_saved,
    hyperparameter,
    nonnegative,
)

__all__ = ["Optimizer"]

_STATE_DICT_KEYS = ("optimizer", "num_params", "step_count", "hyperparameters", "state")


class Optimizer(Configurable):
    """Base class of the optimizers: the parameters, the learning rate ``lr`` and the state.

    Subclasses define the update rule; this class does the bookkeeping that all of them share:
    checking the parameters and hyper-parameters, ``zero_grad``, refusing non-finite gradients,
    and saving and loading the state.

    Hyper-parameters are attributes (``opt.lr``, ``opt.momentum``, ...). Assigning one checks
    it like the constructor does, so a scheduler (or you) can change ``opt.lr`` between steps.

    Example:
        Minimise f(θ) = (θ − 3)² from θ = 0 by gradient descent; each step moves θ a fifth of
        the remaining way to 3 (θ ← θ − 0.1·2(θ − 3) = 0.8θ + 0.6):

        >>> import autograd_core as ag
        >>> theta = ag.Value(0.0, label="θ")
        >>> opt = ag.optim.SGD([theta], lr=0.1)
        >>> path = []
        >>> for _ in range(30):
        ...     opt.zero_grad()
        ...     loss = (theta - 3) ** 2
        ...     loss.backward()
        ...     opt.step()
        ...     path.append(round(theta.data, 4))
        >>> path[:5], path[-1]
        ([0.6, 1.08, 1.464, 1.7712, 2.017], 2.9963)
    """

    _LEADING = (
        "params",
        "The parameters to optimize: any iterable of distinct ``Value`` objects, such as "
        "``model.parameters()``.",
    )
    # Names of the per-parameter state lists the optimizer may keep (see ``state``).
    _STATE: ClassVar[tuple[str, ...]] = ()

    lr: float = hyperparameter(REQUIRED, nonnegative, "The learning rate (step size), ``>= 0``.")
    # Declared here because ``step`` implements it, for every update rule alike.
    maximize: bool = hyperparameter(
        False, flag, "Climb the objective instead of descending it.", keyword_only=True
    )

    params: tuple[Value, ...]
    # Number of completed steps (Adam's t); a step that raises does not count.
    step_count: int
    # Per-parameter running quantities by name, each a list parallel to ``params``. A missing
    # entry means "not started yet" (SGD's momentum buffer starts at the first gradient).
    state: dict[str, list[float]]

    def __init__(self, params: Iterable[Value], *args: Any, **kwargs: Any) -> None:
        """Collect ``params`` and check the hyper-parameters (see the class's signature).

        The hyper-parameters may be passed by position or by keyword, as the signature shown
        by ``help`` and ``inspect.signature`` says; omitted ones take their declared defaults.
        """
        name = type(self).__name__
        self.params = _collect_parameters(params, name)
        self._configure(args, kwargs)
        self.step_count = 0
        self.state = {}

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={v!r}" for k, v in self._current().items())
        return f"{type(self).__name__}({len(self.params)} parameters, {shown})"

    def zero_grad(self) -> None:
        """Set every parameter's ``grad`` to 0.0 (``backward`` adds to it, so reset each step).

        Example:
            >>> import autograd_core as ag
            >>> w = ag.Value(2.0)
            >>> (w * w).backward()
            >>> opt = ag.optim.SGD([w], lr=0.1)
            >>> opt.zero_grad()
            >>> w.grad
            0.0
        """
        for p in self.params:
            p.grad = 0.0

    # The step allocates a few lists while the graph of the step is usually still alive (the
    # loss variable holds it): with the collector on, that could set off a scan of the whole
    # graph, which has no cycles to find. Paused for the update.
    @pausing_gc
    def step(self) -> None:
        """Update every parameter's ``data`` from its ``grad`` by the optimizer's rule.

        A step is all or nothing. Every new value is computed and checked before the first
        one is assigned, and the assignments (parameters, state, ``step_count``) hold back a
        Ctrl-C until they are all done: a ``KeyboardInterrupt`` during ``step`` leaves either
        the model and the optimizer as they were or the step complete, never half of it.

        A gradient that is a ``Value`` (after ``backward(create_graph=True)``) is used as its
        number, ``grad.data``: ``data`` and the state only ever hold floats.

        Raises:
            ValueError: if a gradient or parameter is ``nan``/``inf``, or the update would make
                a parameter or the optimizer's state non-finite (say, lr far too large). The
                message names the parameter; no parameter and no state is changed.
            TypeError: if a gradient or a parameter's ``data`` is not a number (naming the
                parameter); nothing is changed.

        Example:
            >>> import autograd_core as ag
            >>> w = ag.Value(1.0, label="w")
            >>> w.grad = 4.0
            >>> ag.optim.SGD([w], lr=0.5).step()
            >>> w.data  # 1 - 0.5 * 4
            -1.0
        """
        name = type(self).__name__
        params = self.params
        data = [p.data for p in params]
        grads = [p.grad for p in params]
        # Check everything before changing anything, so a bad gradient in the last parameter
        # cannot leave the first ones updated and the rest not. (A sum is finite when every
        # term is: one C-level sum each; the loop that converts a Value gradient to its number,
        # or names the culprit, runs only when a sum says so.)
        if not (_all_finite(data) and _all_finite(grads)):
            data, grads = self._numbers(params, data, grads)
        if self.maximize:
            grads = [-g for g in grads]
        try:
            new_data, new_state = self._update(data, grads, self.step_count + 1)
        except ZeroDivisionError:
            raise ValueError(
                f"{name}.step: division by zero in the update (eps=0 with a zero gradient?); "
                "no parameter was changed"
            ) from None
        if not (_all_finite(new_data) and all(map(_all_finite, new_state.values()))):
            self._name_non_finite_update(params, grads, new_data, new_state)
        self._commit(new_data, new_state, self.step_count + 1)

    def _commit(self, new_data: list[float], new_state: dict[str, list[float]], count: int) -> None:
        """Assign a computed step: every parameter, the state and the count, or (before the
        first assignment) none of them. A Ctrl-C meanwhile waits until the end."""
        with deferred_interrupts():
            for p, x in zip(self.params, new_data):
                p.data = x
            self.state = new_state
            self.step_count = count

    def _numbers(
        self, params: Sequence[Value], data: list[Any], grads: list[Any]
    ) -> tuple[list[float], list[float]]:
        """``data`` and ``grads`` as finite floats (a Value gives its number), or an error
        naming the first parameter that has none."""
        where = f"{type(self).__name__}.step"
        checked_data, checked_grads = [], []
        for i, (x, g) in enumerate(zip(data, grads)):
            described = _describe(params[i], i)
            checked_grads.append(_finite_number(g, f"the gradient of {described} is", where))
            checked_data.append(_finite_number(x, f"{described} has data", where))
        return checked_data, checked_grads

    def _name_non_finite_update(
        self,
        params: Sequence[Value],
        grads: list[float],
        new_data: list[float],
        new_state: dict[str, list[float]],
    ) -> None:
        name = type(self).__name__
        for i, x in enumerate(new_data):
            if not math.isfinite(x):
                raise ValueError(
                    f"{name}.step: the update would set {_describe(params[i], i)} to {x!r} "
                    f"(its gradient is {grads[i]!r}); no parameter was changed. A smaller lr "
                    "or clip_grad_norm may help"
                )
        for key, values in new_state.items():
            for i, v in enumerate(values):
                if not math.isfinite(v):
                    raise ValueError(
                        f"{name}.step: the update would set the {key} of "
                        f"{_describe(params[i], i)} to {v!r} (its gradient is {grads[i]!r}); "
                        "no parameter was changed"
                    )

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to resume training, as JSON-ready dicts, lists and numbers.

        The parameters themselves are not included (save the model for that); the state lists
        follow the order of ``params``.

        Example:
            >>> import json
            >>> import autograd_core as ag
            >>> w = ag.Value(1.0)
            >>> w.grad = 0.5
            >>> opt = ag.optim.SGD([w], lr=0.1, momentum=0.9)
            >>> opt.step()
            >>> json.dumps(opt.state_dict()["state"])
            '{"momentum_buffer": [0.5]}'
        """
        return {
            "optimizer": type(self).__name__,
            "num_params": len(self.params),
            "step_count": self.step_count,
            "hyperparameters": self._saved_hyperparameters(),
            "state": {key: list(values) for key, values in self.state.items()},
        }

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore hyper-parameters and state saved by ``state_dict`` (possibly via JSON).

        Everything is checked first (optimizer type, number of parameters, names, lengths,
        values); on any problem a ``ValueError`` (``TypeError`` for a non-dict) says what is
        wrong and the optimizer is left exactly as it was.

        Example:
            >>> import json
            >>> import autograd_core as ag
            >>> w = ag.Value(1.0)
            >>> saved = json.dumps(ag.optim.Adam([w], lr=0.01).state_dict())
            >>> opt = ag.optim.Adam([w])
            >>> opt.load_state_dict(json.loads(saved))
            >>> opt.lr
            0.01
        """
        own = type(self).__name__
        where = f"{own}.load_state_dict"
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"{where}: expected a dict, got {type(state_dict).__name__}")
        exact_keys(state_dict, _STATE_DICT_KEYS, "the state dict", where)
        kind = state_dict["optimizer"]
        if kind != own:
            raise ValueError(f"{where}: the state dict is for optimizer {kind!r}")
        n = len(self.params)
        num_params = state_dict["num_params"]
        if type(num_params) is not int or num_params != n:
            raise ValueError(
                f"{where}: the state dict is for {num_params!r} parameters, this optimizer has {n}"
            )
        step_count = from_saved(integer, state_dict["step_count"], "step_count", where, minimum=0)
        hyperparameters = self._loaded_hyperparameters(state_dict["hyperparameters"], where)
        saved_state = state_dict["state"]
        if not isinstance(saved_state, Mapping):
            raise ValueError(f"{where}: state must be a dict, got {saved_state!r}")
        unknown = sorted(set(saved_state) - set(self._STATE))
        if unknown:
            raise ValueError(f"{where}: unknown state {unknown}; {own} keeps {list(self._STATE)}")
        state: dict[str, list[float]] = {}
        for key, values in saved_state.items():
            if not isinstance(values, list) or len(values) != n:
                raise ValueError(f"{where}: state {key!r} must be a list of {n} numbers")
            state[key] = [
                from_saved(real, v, f"state {key!r}[{i}]", where) for i, v in enumerate(values)
            ]
        # Everything checked: now change the optimizer, all at once (Ctrl-C waits).
        with deferred_interrupts():
            vars(self).update(hyperparameters)
            self.step_count = step_count
            self.state = state

    # -- for subclasses ----------------------------------------------------------------------

    def _update(
        self, data: list[float], grads: list[float], step: int
    ) -> tuple[list[float], dict[str, list[float]]]:
        """The new parameter values and state after step number ``step`` (counting from 1).

        Pure: reads ``self.state`` but must not change it, so that ``step`` can still refuse
        the result. ``grads`` are already negated when ``maximize`` is set.
        """
        raise NotImplementedError(f"{type(self).__name__} does not define an update rule")


def _collect_parameters(params: Any, owner: str) -> tuple[Value, ...]:
    if isinstance(params, Value):
        raise TypeError(
            f"{owner}: params must be an iterable of Values, got a single Value; "
            "pass it in a list: [value]"
        )
    if isinstance(params, (str, bytes, Mapping)) or not isinstance(params, Iterable):
        raise TypeError(
            f"{owner}: params must be an iterable of Values (such as model.parameters()), "
            f"got {type(params).__name__}"
        )
    collected = tuple(params)
    if not collected:
        raise ValueError(f"{owner}: got an empty list of parameters, so there is nothing to train")
    first_seen: dict[Value, int] = {}
    for i, p in enumerate(collected):
        if not isinstance(p, Value):
            hint = " (parameter groups are not supported)" if isinstance(p, Mapping) else ""
            raise TypeError(f"{owner}: params[{i}] is a {type(p).__name__}, not a Value{hint}")
        j = first_seen.setdefault(p, i)
        if j != i:
            # Updating one Value twice per step would silently double its learning rate.
            raise ValueError(
                f"{owner}: {_describe(p, i)} is the same Value as params[{j}]; "
                "list each parameter once"
            )
    return collected


def _all_finite(xs: Iterable[Any]) -> bool:
    """True when every number is finite (a sum is finite when its terms are: checked in C). An
    overflowing sum of finite numbers, or terms that are not floats, give False: the caller
    then looks at each."""
    try:
        total = sum(xs, 0.0)
    except (TypeError, ArithmeticError):  # a str, a huge int, a Value with an odd data, ...
        return False
    return type(total) is float and not total - total


def _describe(p: Value, i: int) -> str:
    """How messages name parameter ``i``: with its label when it has one."""
    return f"parameter {i} ({p.label!r})" if p.label else f"parameter {i}"


def _finite_number(value: Any, subject: str, where: str) -> float:
    """The finite number ``value`` stands for (see ``number_of``), or an error naming it."""
    number = number_of(value)
    if number is None:
        raise TypeError(
            f"{where}: {subject} {type(value).__name__} {_short(value)}, not a number; "
            "no parameter was changed"
        )
    if not math.isfinite(number):
        raise ValueError(f"{where}: {subject} {number!r}; no parameter was changed")
    return number


def _short(value: Any, limit: int = 60) -> str:
    """``repr(value)`` cut to ``limit`` characters, for messages."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
