"""Optimizers, learning-rate schedules and gradient clipping: turning gradients into learning.

After ``loss.backward()`` every parameter holds ``grad = ∂loss/∂parameter``: the direction in
which a small change of the parameter increases the loss fastest. Gradient descent takes a small
step the other way, ``θ ← θ − lr·grad``, and repeats. Every training loop has the same shape::

    for batch in data:
        optimizer.zero_grad()      # gradients accumulate in leaves: reset them first
        loss = compute_loss(model, batch)
        loss.backward()            # fill every parameter's .grad
        optimizer.step()           # move every parameter's .data

The optimizers differ only in *how* ``step`` turns a gradient into a step:

* ``SGD`` steps along the gradient, optionally with *momentum* (a running sum of past gradients,
  so consistent directions speed up and oscillations cancel) and *Nesterov* momentum (which
  looks one momentum step ahead).
* ``Adagrad``, ``RMSprop``, ``Adam`` and ``AdamW`` give each parameter its own step size by
  dividing its gradient by the root of the sum (Adagrad) or of a running average (the others)
  of its squared gradients: a parameter whose gradients are large takes small steps and vice
  versa. Adam also keeps a running average of the gradient itself (momentum) and corrects both
  averages for starting at zero.

An optimizer works on plain floats: it reads ``p.grad`` and writes ``p.data`` and builds no graph.
Whatever it remembers between steps (momentum buffers, running averages) lives in
``optimizer.state`` and, together with the hyper-parameters, in ``state_dict()``: plain lists
and numbers that survive ``json.dumps`` / ``json.loads``, so training can stop and resume with
bit-identical results.

The update rules, defaults and edge cases (momentum starts at the first gradient, Adam's bias
correction, AMSGrad's maximum, AdamW's decoupled decay, ...) are PyTorch's, and the tests check
every optimizer step by step against ``torch.optim``. One difference is deliberate: a ``nan`` or
``inf`` gradient or update raises a ``ValueError`` that names the parameter, and *no* parameter
is changed, instead of silently writing ``nan`` into the model.

A *learning-rate scheduler* changes ``optimizer.lr`` as training goes on (call its ``step()``
once per epoch, after the optimizer's): ``StepLR`` and ``ExponentialLR`` decay it
geometrically, ``CosineAnnealingLR`` follows half a cosine wave down to ``eta_min``, and
``LambdaLR`` multiplies the initial lr by any function of the epoch.

``clip_grad_norm`` rescales all gradients together when their norm is too large, a guard against
the occasional huge gradient that would throw the parameters far away.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar

from autograd_core.engine import Value

__all__ = [
    "Optimizer",
    "SGD",
    "Adam",
    "AdamW",
    "RMSprop",
    "Adagrad",
    "LRScheduler",
    "StepLR",
    "ExponentialLR",
    "CosineAnnealingLR",
    "LambdaLR",
    "clip_grad_norm",
]


# -- optimizers -------------------------------------------------------------------------------


class Optimizer:
    """Base class of the optimizers: the parameters, the learning rate ``lr`` and the state.

    Subclasses define the update rule; this class does the bookkeeping that all of them share:
    checking the parameters and hyper-parameters, ``zero_grad``, refusing non-finite gradients,
    and saving and loading the state.

    Hyper-parameters are attributes (``opt.lr``, ``opt.momentum``, ...). Assigning one checks
    it like the constructor does, so a scheduler (or you) can change ``opt.lr`` between steps.

    Args:
        params: The parameters to optimize: any iterable of distinct ``Value`` objects, such as
            ``model.parameters()``.
        lr: The learning rate (step size), ``>= 0``.

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

    # Names of the hyper-parameters (the constructor's keyword arguments), in display order.
    _HYPERPARAMETERS: ClassVar[tuple[str, ...]] = ("lr",)
    # Names of the per-parameter state lists the optimizer may keep (see ``state``).
    _STATE: ClassVar[tuple[str, ...]] = ()

    params: tuple[Value, ...]
    lr: float
    maximize: bool = False
    # Number of completed steps (Adam's t); a step that raises does not count.
    step_count: int
    # Per-parameter running quantities by name, each a list parallel to ``params``. A missing
    # entry means "not started yet" (SGD's momentum buffer starts at the first gradient).
    state: dict[str, list[float]]

    def __init__(self, params: Iterable[Value], **hyperparameters: Any) -> None:
        name = type(self).__name__
        object.__setattr__(self, "params", _collect_parameters(params, name))
        if set(hyperparameters) != set(self._HYPERPARAMETERS):
            # Only reachable from a subclass that forgot to pass (or to declare) a setting.
            raise TypeError(
                f"{name}: expected the hyper-parameters {list(self._HYPERPARAMETERS)}, "
                f"got {sorted(hyperparameters)}"
            )
        for key, value in self._checked(hyperparameters).items():
            object.__setattr__(self, key, value)
        self.step_count = 0
        self.state = {}

    def __setattr__(self, name: str, value: Any) -> None:
        if name in self._HYPERPARAMETERS:
            # Check the new value together with the others: nesterov depends on momentum.
            value = self._checked({**self._hyperparameters(), name: value})[name]
        object.__setattr__(self, name, value)

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={v!r}" for k, v in self._hyperparameters().items())
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

    def step(self) -> None:
        """Update every parameter's ``data`` from its ``grad`` by the optimizer's rule.

        Raises:
            ValueError: if a gradient or parameter is ``nan``/``inf``, or the update would make
                a parameter or the optimizer's state non-finite (say, lr far too large). The
                message names the parameter; no parameter and no state is changed.

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
        # cannot leave the first ones updated and the rest not.
        for i, (x, g) in enumerate(zip(data, grads)):
            if not math.isfinite(g):
                raise ValueError(
                    f"{name}.step: the gradient of {_describe(params[i], i)} is {g!r}; "
                    "no parameter was changed"
                )
            if not math.isfinite(x):
                raise ValueError(
                    f"{name}.step: {_describe(params[i], i)} has data {x!r}; "
                    "no parameter was changed"
                )
        if self.maximize:
            grads = [-g for g in grads]
        try:
            new_data, new_state = self._update(data, grads, self.step_count + 1)
        except ZeroDivisionError:
            raise ValueError(
                f"{name}.step: division by zero in the update (eps=0 with a zero gradient?); "
                "no parameter was changed"
            ) from None
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
        for p, x in zip(params, new_data):
            p.data = x
        self.state = new_state
        self.step_count += 1

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
        hyperparameters = {
            key: list(value) if isinstance(value, tuple) else value
            for key, value in self._hyperparameters().items()
        }
        return {
            "optimizer": type(self).__name__,
            "num_params": len(self.params),
            "step_count": self.step_count,
            "hyperparameters": hyperparameters,
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
        name = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"{name}: expected a dict, got {type(state_dict).__name__}")
        _check_keys(name, "the state dict", state_dict, _OPTIMIZER_KEYS)
        kind = state_dict["optimizer"]
        if kind != type(self).__name__:
            raise ValueError(f"{name}: the state dict is for optimizer {kind!r}")
        n = len(self.params)
        num_params = state_dict["num_params"]
        if type(num_params) is not int or num_params != n:
            raise ValueError(
                f"{name}: the state dict is for {num_params!r} parameters, this optimizer has {n}"
            )
        step_count = state_dict["step_count"]
        if type(step_count) is not int or step_count < 0:
            raise ValueError(f"{name}: step_count must be an int >= 0, got {step_count!r}")
        saved = state_dict["hyperparameters"]
        if not isinstance(saved, Mapping):
            raise ValueError(f"{name}: hyperparameters must be a dict, got {saved!r}")
        _check_keys(name, "hyperparameters", saved, self._HYPERPARAMETERS)
        try:
            hyperparameters = self._checked(saved)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{name}: {exc}") from None
        saved_state = state_dict["state"]
        if not isinstance(saved_state, Mapping):
            raise ValueError(f"{name}: state must be a dict, got {saved_state!r}")
        unknown = sorted(set(saved_state) - set(self._STATE))
        if unknown:
            raise ValueError(
                f"{name}: unknown state {unknown}; {type(self).__name__} keeps {list(self._STATE)}"
            )
        state: dict[str, list[float]] = {}
        for key, values in saved_state.items():
            if not isinstance(values, list) or len(values) != n:
                raise ValueError(f"{name}: state {key!r} must be a list of {n} numbers")
            state[key] = [_finite_number(f"{name}: state {key!r}", v) for v in values]
        # Everything checked: now change the optimizer, all at once.
        for key, value in hyperparameters.items():
            object.__setattr__(self, key, value)
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

    @classmethod
    def _checked(cls, hp: Mapping[str, Any]) -> dict[str, Any]:
        """Validated, normalised copies of the hyper-parameters (floats, bools, tuples)."""
        return {"lr": _nonnegative(cls.__name__, "lr", hp["lr"])}

    def _hyperparameters(self) -> dict[str, Any]:
        return {key: getattr(self, key) for key in self._HYPERPARAMETERS}


class SGD(Optimizer):
    """Stochastic gradient descent, with optional momentum, Nesterov momentum and weight decay.

    For each parameter θ with gradient g, with γ = ``lr``, λ = ``weight_decay``,
    μ = ``momentum`` and τ = ``dampening``, a step does::

        g ← −g                      if maximize
        g ← g + λθ                  if λ ≠ 0   (the gradient of an extra loss term λθ²/2)
        if μ ≠ 0:
            b ← g                   on the first step: the buffer starts at the gradient
            b ← μb + (1 − τ)g       on every later step
            g ← g + μb              if nesterov,  else  g ← b
        θ ← θ − γg

    Args:
        params: The parameters (an iterable of ``Value``).
        lr: Learning rate γ, ``>= 0``.
        momentum: Momentum factor μ, ``>= 0``.
        dampening: Dampening τ of the momentum, in [0, 1].
        weight_decay: L2 penalty λ, ``>= 0``.
        nesterov: Use Nesterov momentum (needs μ > 0 and τ = 0).
        maximize: Climb the objective instead of descending it.

    Example:
        >>> import autograd_core as ag
        >>> w = ag.Value(0.0)
        >>> opt = ag.optim.SGD([w], lr=0.5, momentum=0.5)
        >>> for _ in range(2):
        ...     w.grad = -2.0     # a constant slope: momentum makes the steps grow
        ...     opt.step()
        ...     print(w.data)
        1.0
        2.5
    """

    _HYPERPARAMETERS = ("lr", "momentum", "dampening", "weight_decay", "nesterov", "maximize")
    _STATE = ("momentum_buffer",)

    momentum: float
    dampening: float
    weight_decay: float
    nesterov: bool

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            params,
            lr=lr,
            momentum=momentum,
            dampening=dampening,
            weight_decay=weight_decay,
            nesterov=nesterov,
            maximize=maximize,
        )

    @classmethod
    def _checked(cls, hp: Mapping[str, Any]) -> dict[str, Any]:
        name = cls.__name__
        checked = {
            "lr": _nonnegative(name, "lr", hp["lr"]),
            "momentum": _nonnegative(name, "momentum", hp["momentum"]),
            "dampening": _fraction(name, "dampening", hp["dampening"], closed=True),
            "weight_decay": _nonnegative(name, "weight_decay", hp["weight_decay"]),
            "nesterov": _flag(name, "nesterov", hp["nesterov"]),
            "maximize": _flag(name, "maximize", hp["maximize"]),
        }
        if checked["nesterov"] and (checked["momentum"] == 0 or checked["dampening"] != 0):
            raise ValueError(
                f"{name}: nesterov=True needs momentum > 0 and dampening = 0, got "
                f"momentum={checked['momentum']!r}, dampening={checked['dampening']!r}"
            )
        return checked

    def _update(
        self, data: list[float], grads: list[float], step: int
    ) -> tuple[list[float], dict[str, list[float]]]:
        lr, mu, wd = self.lr, self.momentum, self.weight_decay
        keep = 1.0 - self.dampening
        old = self.state.get("momentum_buffer")
        new_data: list[float] = []
        new_buffer: list[float] = []
        for i, (x, g) in enumerate(zip(data, grads)):
            if wd != 0.0:
                g = g + wd * x
            if mu != 0.0:
                # PyTorch starts the buffer at the first gradient itself, undamped, so the
                # first momentum step equals a plain step rather than a (1 − τ) fraction of it.
                b = g if old is None else mu * old[i] + keep * g
                new_buffer.append(b)
                g = g + mu * b if self.nesterov else b
            new_data.append(x - lr * g)
        if mu != 0.0:
            return new_data, {"momentum_buffer": new_buffer}
        return new_data, dict(self.state)


class Adam(Optimizer):
    """Adam: per-parameter steps from bias-corrected running averages of g and g².

    For each parameter θ with gradient g, with γ = ``lr``, (β₁, β₂) = ``betas``,
    λ = ``weight_decay``, ε = ``eps`` and t = the step number (1, 2, ...), a step does::

        g ← −g                           if maximize
        g ← g + λθ                       if λ ≠ 0   (L2 penalty, folded into g)
        m ← β₁m + (1 − β₁)g              running mean of g        (m, v start at 0)
        v ← β₂v + (1 − β₂)g²             running mean of g²
        v̂ ← max(v̂, v)  and use v̂ for v   if amsgrad   (the raw v, not bias-corrected)
        θ ← θ − γ/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)

    Dividing by 1 − βᵗ undoes the pull towards the zero the averages start from. With AMSGrad
    the running maximum v̂ never decreases, so a parameter's steps cannot suddenly grow when its
    gradients become small (the AMSGrad paper's fix for a case where Adam fails to converge).

    Args:
        params: The parameters (an iterable of ``Value``).
        lr: Learning rate γ, ``>= 0``.
        betas: Decay rates (β₁, β₂) of the two running averages, each in [0, 1).
        eps: ε added to the denominator, ``>= 0``.
        weight_decay: L2 penalty λ, ``>= 0`` (``AdamW`` decays the weights directly instead).
        amsgrad: Use the maximum of all v so far (AMSGrad).
        maximize: Climb the objective instead of descending it.

    Example:
        The first Adam step moves every parameter by about lr, whatever the gradient's size:

        >>> import autograd_core as ag
        >>> a, b = ag.Value(1.0), ag.Value(1.0)
        >>> a.grad, b.grad = 1000.0, 0.001
        >>> ag.optim.Adam([a, b], lr=0.1).step()
        >>> round(a.data, 4), round(b.data, 4)
        (0.9, 0.9)
    """

    _HYPERPARAMETERS = ("lr", "betas", "eps", "weight_decay", "amsgrad", "maximize")
    _STATE = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")
    # AdamW: shrink θ by γλθ directly instead of adding λθ to the gradient.
    _DECOUPLED_WEIGHT_DECAY: ClassVar[bool] = False

    betas: tuple[float, float]
    eps: float
    weight_decay: float
    amsgrad: bool

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            params,
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            maximize=maximize,
        )

    @classmethod
    def _checked(cls, hp: Mapping[str, Any]) -> dict[str, Any]:
        name = cls.__name__
        betas = hp["betas"]
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"{name}: betas must be a pair (beta1, beta2), got {betas!r}")
        return {
            "lr": _nonnegative(name, "lr", hp["lr"]),
            "betas": (
                _fraction(name, "betas[0]", betas[0]),
                _fraction(name, "betas[1]", betas[1]),
            ),
            "eps": _nonnegative(name, "eps", hp["eps"]),
            "weight_decay": _nonnegative(name, "weight_decay", hp["weight_decay"]),
            "amsgrad": _flag(name, "amsgrad", hp["amsgrad"]),
            "maximize": _flag(name, "maximize", hp["maximize"]),
        }

    def _update(
        self, data: list[float], grads: list[float], step: int
    ) -> tuple[list[float], dict[str, list[float]]]:
        lr, eps, wd = self.lr, self.eps, self.weight_decay
        beta1, beta2 = self.betas
        decoupled = self._DECOUPLED_WEIGHT_DECAY
        n = len(data)
        zeros = [0.0] * n
        old_m = self.state.get("exp_avg", zeros)
        old_v = self.state.get("exp_avg_sq", zeros)
        old_vmax = self.state.get("max_exp_avg_sq", zeros)
        bias_correction1 = 1.0 - beta1**step
        bias_correction2_sqrt = math.sqrt(1.0 - beta2**step)
        step_size = lr / bias_correction1
        new_data, new_m, new_v, new_vmax = [], [], [], []
        for i, (x, g) in enumerate(zip(data, grads)):
            if wd != 0.0:
                if decoupled:
                    x = x * (1.0 - lr * wd)
                else:
                    g = g + wd * x
            m = beta1 * old_m[i] + (1.0 - beta1) * g
            v = beta2 * old_v[i] + (1.0 - beta2) * g * g
            new_m.append(m)
            new_v.append(v)
            if self.amsgrad:
                # PyTorch keeps the maximum of the raw v (not of the bias-corrected v/(1-β₂ᵗ))
                # and divides it by the *current* step's correction.
                v = max(old_vmax[i], v)
                new_vmax.append(v)
            denominator = math.sqrt(v) / bias_correction2_sqrt + eps
            new_data.append(x - step_size * m / denominator)
        state = {"exp_avg": new_m, "exp_avg_sq": new_v}
        if self.amsgrad:
            state["max_exp_avg_sq"] = new_vmax
        return new_data, state


class AdamW(Adam):
    """Adam with decoupled weight decay: shrink the weights directly, not through the gradient.

    With ``Adam(weight_decay=λ)`` the penalty λθ is added to the gradient and then divided by
    √v like the rest of it, so parameters with large gradients are hardly decayed at all.
    AdamW instead multiplies every parameter by (1 − γλ) before the plain Adam step::

        θ ← θ − γλθ
        then Adam's update of θ with weight_decay = 0 (see ``Adam``)

    Args:
        params: The parameters (an iterable of ``Value``).
        lr: Learning rate γ, ``>= 0``.
        betas: Decay rates (β₁, β₂) of the running averages, each in [0, 1).
        eps: ε added to the denominator, ``>= 0``.
        weight_decay: Decoupled decay λ, ``>= 0``; 0.01 by default, like PyTorch.
        amsgrad: Use the maximum of all v so far (AMSGrad).
        maximize: Climb the objective instead of descending it.

    Example:
        With a zero gradient only the decay acts: θ ← θ(1 − 0.1·0.5):

        >>> import autograd_core as ag
        >>> w = ag.Value(2.0)
        >>> ag.optim.AdamW([w], lr=0.1, weight_decay=0.5).step()
        >>> w.data
        1.9
    """

    _DECOUPLED_WEIGHT_DECAY = True

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize)


class RMSprop(Optimizer):
    """RMSprop: divide each gradient by the root of a running mean of its squares.

    For each parameter θ with gradient g, with γ = ``lr``, α = ``alpha``, λ = ``weight_decay``,
    μ = ``momentum`` and ε = ``eps``, a step does::

        g ← −g                      if maximize
        g ← g + λθ                  if λ ≠ 0
        v ← αv + (1 − α)g²          running mean of g²                (v, ḡ, b start at 0)
        d ← √v + ε
        if centered:
            ḡ ← αḡ + (1 − α)g       running mean of g
            d ← √(v − ḡ²) + ε       root of a running *variance* instead
        if μ > 0:
            b ← μb + g/d
            θ ← θ − γb
        else:
            θ ← θ − γg/d

    Unlike Adam there is no bias correction, so the first steps are large: v starts at 0 and
    after one step is only (1 − α)g².

    Args:
        params: The parameters (an iterable of ``Value``).
        lr: Learning rate γ, ``>= 0``.
        alpha: Decay rate α of the running averages, in [0, 1].
        eps: ε added to the denominator, ``>= 0``.
        weight_decay: L2 penalty λ, ``>= 0``.
        momentum: Momentum factor μ, ``>= 0``.
        centered: Normalise by the running variance of g instead of its running mean square.
        maximize: Climb the objective instead of descending it.

    Example:
        One step with α = 0.75: v = 0.25g², so θ moves by γ·g/(0.5|g|) = 2γ:

        >>> import autograd_core as ag
        >>> w = ag.Value(1.0)
        >>> w.grad = 3.0
        >>> ag.optim.RMSprop([w], lr=0.1, alpha=0.75, eps=0.0).step()
        >>> w.data
        0.8
    """

    _HYPERPARAMETERS = (
        "lr",
        "alpha",
        "eps",
        "weight_decay",
        "momentum",
        "centered",
        "maximize",
    )
    _STATE = ("square_avg", "grad_avg", "momentum_buffer")

    alpha: float
    eps: float
    weight_decay: float
    momentum: float
    centered: bool

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            params,
            lr=lr,
            alpha=alpha,
            eps=eps,
            weight_decay=weight_decay,
            momentum=momentum,
            centered=centered,
            maximize=maximize,
        )

    @classmethod
    def _checked(cls, hp: Mapping[str, Any]) -> dict[str, Any]:
        name = cls.__name__
        return {
            "lr": _nonnegative(name, "lr", hp["lr"]),
            "alpha": _fraction(name, "alpha", hp["alpha"], closed=True),
            "eps": _nonnegative(name, "eps", hp["eps"]),
            "weight_decay": _nonnegative(name, "weight_decay", hp["weight_decay"]),
            "momentum": _nonnegative(name, "momentum", hp["momentum"]),
            "centered": _flag(name, "centered", hp["centered"]),
            "maximize": _flag(name, "maximize", hp["maximize"]),
        }

    def _update(
        self, data: list[float], grads: list[float], step: int
    ) -> tuple[list[float], dict[str, list[float]]]:
        lr, alpha, eps, wd, mu = self.lr, self.alpha, self.eps, self.weight_decay, self.momentum
        n = len(data)
        zeros = [0.0] * n
        old_v = self.state.get("square_avg", zeros)
        old_gbar = self.state.get("grad_avg", zeros)
        old_b = self.state.get("momentum_buffer", zeros)
        new_data, new_v, new_gbar, new_b = [], [], [], []
        for i, (x, g) in enumerate(zip(data, grads)):
            if wd != 0.0:
                g = g + wd * x
            v = alpha * old_v[i] + (1.0 - alpha) * g * g
            new_v.append(v)
            if self.centered:
                gbar = alpha * old_gbar[i] + (1.0 - alpha) * g
                new_gbar.append(gbar)
                # v − ḡ² is a variance, ≥ 0 in exact arithmetic; rounding can push it a hair
                # below 0, where PyTorch's sqrt gives nan and math.sqrt raises: use 0 instead.
                d = math.sqrt(max(v - gbar * gbar, 0.0)) + eps
            else:
                d = math.sqrt(v) + eps
            if mu > 0.0:
                b = mu * old_b[i] + g / d
                new_b.append(b)
                new_data.append(x - lr * b)
            else:
                new_data.append(x - lr * (g / d))
        state = {"square_avg": new_v}
        if self.centered:
            state["grad_avg"] = new_gbar
        if mu > 0.0:
            state["momentum_buffer"] = new_b
        return new_data, state


class Adagrad(Optimizer):
    """Adagrad: divide each gradient by the root of the sum of all its squares so far.

    For each parameter θ with gradient g, with γ = ``lr``, η = ``lr_decay``,
    λ = ``weight_decay``, ε = ``eps`` and t = the step number (1, 2, ...), a step does::

        g ← −g                          if maximize
        g ← g + λθ                      if λ ≠ 0
        γₜ ← γ / (1 + (t − 1)η)
        s ← s + g²                      (s starts at initial_accumulator_value)
        θ ← θ − γₜ g / (√s + ε)

    The sum only grows, so every parameter's steps shrink over time, fastest for the
    parameters whose gradients are largest.

    Args:
        params: The parameters (an iterable of ``Value``).
        lr: Learning rate γ, ``>= 0``.
        lr_decay: Learning-rate decay η, ``>= 0``.
        weight_decay: L2 penalty λ, ``>= 0``.
        initial_accumulator_value: The starting value of s, ``>= 0``.
        eps: ε added to the denominator, ``>= 0``.
        maximize: Climb the objective instead of descending it.

    Example:
        With a constant gradient the t-th step is γ/√t:

        >>> import autograd_core as ag
        >>> w = ag.Value(0.0)
        >>> opt = ag.optim.Adagrad([w], lr=1.0, eps=0.0)
        >>> for _ in range(4):
        ...     w.grad = -5.0
        ...     opt.step()
        >>> round(w.data, 12) == round(1 + 1 / 2**0.5 + 1 / 3**0.5 + 1 / 2, 12)
        True
    """

    _HYPERPARAMETERS = (
        "lr",
        "lr_decay",
        "weight_decay",
        "initial_accumulator_value",
        "eps",
        "maximize",
    )
    _STATE = ("sum",)

    lr_decay: float
    weight_decay: float
    initial_accumulator_value: float
    eps: float

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            params,
            lr=lr,
            lr_decay=lr_decay,
            weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value,
            eps=eps,
            maximize=maximize,
        )

    @classmethod
    def _checked(cls, hp: Mapping[str, Any]) -> dict[str, Any]:
        name = cls.__name__
        return {
            "lr": _nonnegative(name, "lr", hp["lr"]),
            "lr_decay": _nonnegative(name, "lr_decay", hp["lr_decay"]),
            "weight_decay": _nonnegative(name, "weight_decay", hp["weight_decay"]),
            "initial_accumulator_value": _nonnegative(
                name, "initial_accumulator_value", hp["initial_accumulator_value"]
            ),
            "eps": _nonnegative(name, "eps", hp["eps"]),
            "maximize": _flag(name, "maximize", hp["maximize"]),
        }

    def _update(
        self, data: list[float], grads: list[float], step: int
    ) -> tuple[list[float], dict[str, list[float]]]:
        wd, eps = self.weight_decay, self.eps
        clr = self.lr / (1 + (step - 1) * self.lr_decay)
        old_s = self.state.get("sum", [self.initial_accumulator_value] * len(data))
        new_data, new_s = [], []
        for i, (x, g) in enumerate(zip(data, grads)):
            if wd != 0.0:
                g = g + wd * x
            s = old_s[i] + g * g
            new_s.append(s)
            new_data.append(x - clr * g / (math.sqrt(s) + eps))
        return new_data, {"sum": new_s}


# -- learning-rate schedulers -------------------------------------------------------------------


class LRScheduler:
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

    Args:
        optimizer: The optimizer whose ``lr`` is scheduled.

    Example:
        >>> import autograd_core as ag
        >>> opt = ag.optim.SGD([ag.Value(0.0)], lr=0.5)
        >>> sched = ag.optim.ExponentialLR(opt, gamma=0.5)
        >>> sched.step()
        >>> sched.last_epoch, sched.get_last_lr(), opt.lr
        (1, [0.25], 0.25)
    """

    _HYPERPARAMETERS: ClassVar[tuple[str, ...]] = ()

    optimizer: Optimizer
    base_lr: float
    last_epoch: int
    _last_lr: float

    def __init__(self, optimizer: Optimizer) -> None:
        name = type(self).__name__
        if not isinstance(optimizer, Optimizer):
            raise TypeError(
                f"{name}: expected an optimizer from autograd_core.optim, "
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
            "hyperparameters": {key: getattr(self, key) for key in self._HYPERPARAMETERS},
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
        name = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"{name}: expected a dict, got {type(state_dict).__name__}")
        _check_keys(name, "the state dict", state_dict, _SCHEDULER_KEYS)
        kind = state_dict["scheduler"]
        if kind != type(self).__name__:
            raise ValueError(f"{name}: the state dict is for scheduler {kind!r}")
        last_epoch = state_dict["last_epoch"]
        if type(last_epoch) is not int or last_epoch < 0:
            raise ValueError(f"{name}: last_epoch must be an int >= 0, got {last_epoch!r}")
        try:
            base_lr = _nonnegative(type(self).__name__, "base_lr", state_dict["base_lr"])
            last_lr = _nonnegative(type(self).__name__, "last_lr", state_dict["last_lr"])
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{name}: {exc}") from None
        saved = state_dict["hyperparameters"]
        if not isinstance(saved, Mapping):
            raise ValueError(f"{name}: hyperparameters must be a dict, got {saved!r}")
        _check_keys(name, "hyperparameters", saved, self._HYPERPARAMETERS)
        try:
            hyperparameters = self._checked(saved)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{name}: {exc}") from None
        for key, value in hyperparameters.items():
            setattr(self, key, value)
        self.base_lr = base_lr
        self.last_epoch = last_epoch
        self._last_lr = last_lr

    # -- for subclasses ----------------------------------------------------------------------

    def _lr_at(self, epoch: int) -> float:
        """The lr for ``epoch``, given that the optimizer's lr is the one for ``epoch − 1``."""
        raise NotImplementedError(f"{type(self).__name__} does not define a schedule")

    @classmethod
    def _checked(cls, hp: Mapping[str, Any]) -> dict[str, Any]:
        """Validated, normalised copies of the scheduler's hyper-parameters."""
        return {}


class StepLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every ``step_size`` epochs.

    Starting from the optimizer's lr when the scheduler is created::

        lr(epoch) = base_lr · gamma^⌊epoch / step_size⌋

    (computed, like PyTorch, as one multiplication of the current lr every ``step_size``
    epochs).

    Args:
        optimizer: The optimizer whose ``lr`` is scheduled.
        step_size: Epochs between decays, an int ``>= 1``.
        gamma: Factor applied at each decay, ``> 0``.

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

    _HYPERPARAMETERS = ("step_size", "gamma")

    step_size: int
    gamma: float

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        for key, value in self._checked({"step_size": step_size, "gamma": gamma}).items():
            setattr(self, key, value)
        super().__init__(optimizer)

    @classmethod
    def _checked(cls, hp: Mapping[str, Any]) -> dict[str, Any]:
        name = cls.__name__
        return {
            "step_size": _int_at_least(name, "step_size", hp["step_size"], 1),
            "gamma": _positive(name, "gamma", hp["gamma"]),
        }

    def _lr_at(self, epoch: int) -> float:
        lr = self.optimizer.lr
        if epoch == 0 or epoch % self.step_size != 0:
            return lr
        return lr * self.gamma


class ExponentialLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every epoch.

    ::

        lr(epoch) = base_lr · gamma^epoch

    Args:
        optimizer: The optimizer whose ``lr`` is scheduled.
        gamma: Factor applied each epoch, ``> 0``.

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

    _HYPERPARAMETERS = ("gamma",)

    gamma: float

    def __init__(self, optimizer: Optimizer, gamma: float) -> None:
        self.gamma = self._checked({"gamma": gamma})["gamma"]
        super().__init__(optimizer)

    @classmethod
    def _checked(cls, hp: Mapping[str, Any]) -> dict[str, Any]:
        return {"gamma": _positive(cls.__name__, "gamma", hp["gamma"])}

    def _lr_at(self, epoch: int) -> float:
        lr = self.optimizer.lr
        return lr if epoch == 0 else lr * self.gamma


class CosineAnnealingLR(LRScheduler):
    """Lower the learning rate along half a cosine wave, from base_lr to ``eta_min``.

    With T = ``T_max``::

        lr(epoch) = eta_min + (base_lr − eta_min) · (1 + cos(π · epoch / T)) / 2

    so lr starts flat, falls fastest halfway, and reaches eta_min at epoch T. Stepping on past
    T follows the same curve back up (a full cosine period is 2T), as PyTorch does.

    Like PyTorch, each step rescales the optimizer's current lr instead of evaluating the
    formula directly: the ratio of consecutive curve values multiplies (lr − eta_min), and at
    the bottom of the wave, where that ratio would be 0/0, the curve's increment is added.
    Without outside changes to the lr the two agree to rounding.

    Args:
        optimizer: The optimizer whose ``lr`` is scheduled.
        T_max: Epochs from base_lr down to eta_min, an int ``>= 1``.
        eta_min: The lowest learning rate, ``>= 0``.

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

    _HYPERPARAMETERS = ("T_max", "eta_min")

    T_max: int
    eta_min: float

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0) -> None:  # noqa: N803
        for key, value in self._checked({"T_max": T_max, "eta_min": eta_min}).items():
            setattr(self, key, value)
        super().__init__(optimizer)

    @classmethod
    def _checked(cls, hp: Mapping[str, Any]) -> dict[str, Any]:
        name = cls.__name__
        return {
            "T_max": _int_at_least(name, "T_max", hp["T_max"], 1),
            "eta_min": _nonnegative(name, "eta_min", hp["eta_min"]),
        }

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


class LambdaLR(LRScheduler):
    """Set the learning rate to the initial one times a function of the epoch.

    ::

        lr(epoch) = base_lr · lr_lambda(epoch)

    The factor for epoch 0 applies as soon as the scheduler is created.

    Args:
        optimizer: The optimizer whose ``lr`` is scheduled.
        lr_lambda: A function from the epoch (an int, from 0) to a factor (a real number);
            the resulting lr must be ``>= 0``.

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

    lr_lambda: Callable[[int], float]

    def __init__(self, optimizer: Optimizer, lr_lambda: Callable[[int], float]) -> None:
        if not callable(lr_lambda):
            raise TypeError(
                f"LambdaLR: lr_lambda must be a function of the epoch, "
                f"got {type(lr_lambda).__name__}"
            )
        self.lr_lambda = lr_lambda
        super().__init__(optimizer)

    def _lr_at(self, epoch: int) -> float:
        factor: Any = self.lr_lambda(epoch)  # checked: a user's function may return anything
        if isinstance(factor, bool) or not isinstance(factor, numbers.Real):
            raise TypeError(
                f"LambdaLR: lr_lambda({epoch}) must return a real number, "
                f"got {type(factor).__name__} {factor!r}"
            )
        return self.base_lr * float(factor)


# -- gradient clipping ----------------------------------------------------------------------------


def clip_grad_norm(
    params: Value | Iterable[Value], max_norm: float, norm_type: float | str = 2.0
) -> float:
    """Scale all gradients down together so that their combined norm is at most ``max_norm``.

    The gradients g of all parameters are treated as one vector, and its p-norm
    (p = ``norm_type``) is measured::

        ‖g‖ₚ = (Σᵢ |gᵢ|ᵖ)^(1/p)        ‖g‖∞ = maxᵢ |gᵢ|

    If ‖g‖ > max_norm, every gradient is multiplied by the same factor
    max_norm / (‖g‖ + 10⁻⁶): the direction of the step is kept and only its length is
    limited. (The 10⁻⁶ is PyTorch's; it keeps the clipped norm just below max_norm.)
    Smaller gradients are left as they are.

    Args:
        params: A ``Value`` or an iterable of them (``model.parameters()``).
        max_norm: The largest allowed norm, ``> 0``.
        norm_type: p, a number ``> 0``, or ``math.inf`` (or ``"inf"``) for the largest |gᵢ|.

    Returns:
        The norm of the gradients *before* clipping, as a float (0.0 for no parameters).

    Raises:
        ValueError: for max_norm or norm_type out of range, and when a gradient is nan or inf
            (naming the parameter) or the norm overflows; the gradients are then unchanged.

    Example:
        >>> import autograd_core as ag
        >>> a, b = ag.Value(0.0), ag.Value(0.0)
        >>> a.grad, b.grad = 3.0, 4.0
        >>> ag.optim.clip_grad_norm([a, b], max_norm=1.0)
        5.0
        >>> round(a.grad, 6), round(b.grad, 6)
        (0.6, 0.8)
    """
    where = "clip_grad_norm"
    if isinstance(params, Value):
        parameters: tuple[Value, ...] = (params,)
    elif isinstance(params, (str, bytes, Mapping)) or not isinstance(params, Iterable):
        raise TypeError(
            f"{where}: params must be a Value or an iterable of Values, got {type(params).__name__}"
        )
    else:
        parameters = tuple(params)
    for i, p in enumerate(parameters):
        if not isinstance(p, Value):
            raise TypeError(f"{where}: params[{i}] is a {type(p).__name__}, not a Value")
    limit = _real(where, "max_norm", max_norm)
    if not limit > 0.0:
        raise ValueError(f"{where}: max_norm must be > 0, got {limit!r}")
    p_norm = math.inf if norm_type == "inf" else _real(where, "norm_type", norm_type)
    if not p_norm > 0.0:
        raise ValueError(f"{where}: norm_type must be > 0 or inf, got {p_norm!r}")
    grads = [p.grad for p in parameters]
    for i, g in enumerate(grads):
        if not math.isfinite(g):
            raise ValueError(
                f"{where}: the gradient of {_describe(parameters[i], i)} is {g!r}, so the "
                "total norm is not finite; gradients left unchanged"
            )
    total = _norm(grads, p_norm)
    if not math.isfinite(total):
        raise ValueError(
            f"{where}: the total gradient norm overflows ({total!r}); gradients left unchanged"
        )
    coefficient = limit / (total + 1e-6)
    if coefficient < 1.0:
        for p in parameters:
            p.grad = p.grad * coefficient
    return total


# -- helpers ----------------------------------------------------------------------------------

_OPTIMIZER_KEYS = ("optimizer", "num_params", "step_count", "hyperparameters", "state")
_SCHEDULER_KEYS = ("scheduler", "last_epoch", "base_lr", "last_lr", "hyperparameters")


def _norm(xs: list[float], p: float) -> float:
    """The p-norm of finite numbers ``xs`` without needless overflow or underflow."""
    if not xs:
        return 0.0
    largest = max(abs(x) for x in xs)
    if p == math.inf or largest == 0.0:
        return largest
    if p == 2.0:
        return math.hypot(*xs)  # exact scaling built in, and correctly rounded in practice
    # Divide by the largest first, so that, say, (1e200)² cannot overflow to inf and
    # (1e-200)² cannot underflow to 0: every term is then in [0, 1].
    return largest * float(sum((abs(x) / largest) ** p for x in xs) ** (1.0 / p))


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


def _describe(p: Value, i: int) -> str:
    return f"parameter {i} ({p.label!r})" if p.label else f"parameter {i}"


def _check_keys(where: str, what: str, given: Mapping[str, Any], expected: Iterable[str]) -> None:
    expected = tuple(expected)
    missing = [key for key in expected if key not in given]
    if missing:
        raise ValueError(f"{where}: {what} is missing {missing}")
    unknown = sorted(repr(key) for key in given if key not in expected)
    if unknown:
        raise ValueError(f"{where}: {what} has unknown keys [{', '.join(unknown)}]")


def _real(owner: str, name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{owner}: {name} must be a real number, got {type(value).__name__} {value!r}"
        )
    try:
        x = float(value)
    except OverflowError:
        raise ValueError(f"{owner}: {name} is too large for a float: {value!r}") from None
    if math.isnan(x):
        raise ValueError(f"{owner}: {name} must be a number, got nan")
    return x


def _nonnegative(owner: str, name: str, value: Any) -> float:
    x = _real(owner, name, value)
    if not 0.0 <= x < math.inf:
        raise ValueError(f"{owner}: {name} must be a finite number >= 0, got {x!r}")
    return x


def _positive(owner: str, name: str, value: Any) -> float:
    x = _real(owner, name, value)
    if not 0.0 < x < math.inf:
        raise ValueError(f"{owner}: {name} must be a finite number > 0, got {x!r}")
    return x


def _fraction(owner: str, name: str, value: Any, closed: bool = False) -> float:
    """A number in [0, 1), or in [0, 1] when ``closed``."""
    x = _real(owner, name, value)
    if not (0.0 <= x <= 1.0 if closed else 0.0 <= x < 1.0):
        interval = "[0, 1]" if closed else "[0, 1)"
        raise ValueError(f"{owner}: {name} must be in {interval}, got {x!r}")
    return x


def _flag(owner: str, name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{owner}: {name} must be True or False, got {value!r}")
    return value


def _int_at_least(owner: str, name: str, value: Any, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{owner}: {name} must be an int, got {type(value).__name__} {value!r}")
    if value < low:
        raise ValueError(f"{owner}: {name} must be >= {low}, got {value!r}")
    return int(value)


def _finite_number(where: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{where} must hold numbers, got {type(value).__name__} {value!r}")
    x = float(value)
    if not math.isfinite(x):
        raise ValueError(f"{where} must hold finite numbers, got {x!r}")
    return x
