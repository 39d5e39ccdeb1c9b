"""``SGD``: gradient descent, with optional (Nesterov) momentum and L2 weight decay."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from autograd_core.optim._hyperparameters import flag, hyperparameter, nonnegative, unit_interval
from autograd_core.optim.optimizer import Optimizer

__all__ = ["SGD"]


class SGD(Optimizer):
    """Stochastic gradient descent, with optional momentum, Nesterov momentum and weight decay.

    For each parameter θ with gradient g, in the notation of the arguments below, a step
    does:

    ```text
    g ← −g                      if maximize
    g ← g + λθ                  if λ ≠ 0   (the gradient of an extra loss term λθ²/2)
    if μ ≠ 0:
        b ← g                   on the first step: the buffer starts at the gradient
        b ← μb + (1 − τ)g       on every later step
        g ← g + μb              if nesterov,  else  g ← b
    θ ← θ − γg
    ```

    Momentum keeps a running sum b of past gradients: along a direction where the gradients
    agree the steps grow (up to 1/(1 − μ) times), across one where they alternate they cancel.
    Nesterov momentum steps with the gradient plus the next momentum step, a look ahead.

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

    _STATE = ("momentum_buffer",)

    lr: float = hyperparameter(1e-3, nonnegative, "Learning rate γ, ``>= 0``.")
    momentum: float = hyperparameter(0.0, nonnegative, "Momentum factor μ, ``>= 0``.")
    dampening: float = hyperparameter(0.0, unit_interval, "Dampening τ of the momentum, in [0, 1].")
    weight_decay: float = hyperparameter(0.0, nonnegative, "L2 penalty λ, ``>= 0``.")
    nesterov: bool = hyperparameter(False, flag, "Use Nesterov momentum (needs μ > 0 and τ = 0).")

    @classmethod
    def _check_together(cls, hyperparameters: Mapping[str, Any], where: str) -> None:
        momentum, dampening = hyperparameters["momentum"], hyperparameters["dampening"]
        if hyperparameters["nesterov"] and (momentum == 0 or dampening != 0):
            raise ValueError(
                f"{where}: nesterov=True needs momentum > 0 and dampening = 0, got "
                f"momentum={momentum!r}, dampening={dampening!r}"
            )

    def _update(
        self, data: list[float], grads: list[float], step: int
    ) -> tuple[list[float], dict[str, list[float]]]:
        lr, mu, wd = self.lr, self.momentum, self.weight_decay
        keep = 1.0 - self.dampening
        old = self.state.get("momentum_buffer")
        if wd == 0.0 and mu == 0.0:  # plain SGD, the common case
            return [x - lr * g for x, g in zip(data, grads)], dict(self.state)
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
