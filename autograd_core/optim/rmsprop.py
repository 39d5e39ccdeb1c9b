"""``RMSprop``: divide each gradient by the root of a running mean of its squares (Hinton)."""

from __future__ import annotations

import math

from autograd_core.optim._hyperparameters import flag, hyperparameter, nonnegative, unit_interval
from autograd_core.optim.optimizer import Optimizer

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """RMSprop: divide each gradient by the root of a running mean of its squares.

    For each parameter θ with gradient g, in the notation of the arguments below, a step
    does:

    ```text
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
    ```

    Unlike Adam there is no bias correction, so the first steps are large: v starts at 0 and
    after one step is only (1 − α)g².

    Example:
        One step with α = 0.75: v = 0.25g², so θ moves by γ·g/(0.5|g|) = 2γ:

        >>> import autograd_core as ag
        >>> w = ag.Value(1.0)
        >>> w.grad = 3.0
        >>> ag.optim.RMSprop([w], lr=0.1, alpha=0.75, eps=0.0).step()
        >>> w.data
        0.8
    """

    _STATE = ("square_avg", "grad_avg", "momentum_buffer")

    lr: float = hyperparameter(1e-2, nonnegative, "Learning rate γ, ``>= 0``.")
    alpha: float = hyperparameter(
        0.99, unit_interval, "Decay rate α of the running averages, in [0, 1]."
    )
    eps: float = hyperparameter(1e-8, nonnegative, "ε added to the denominator, ``>= 0``.")
    weight_decay: float = hyperparameter(0.0, nonnegative, "L2 penalty λ, ``>= 0``.")
    momentum: float = hyperparameter(0.0, nonnegative, "Momentum factor μ, ``>= 0``.")
    centered: bool = hyperparameter(
        False,
        flag,
        "Normalise by the running variance of g instead of its running mean square.",
    )

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
