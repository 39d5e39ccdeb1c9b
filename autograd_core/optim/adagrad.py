"""``Adagrad``: divide each gradient by the root of the sum of all its squares (Duchi et al.)."""

from __future__ import annotations

import math

from autograd_core.optim._hyperparameters import hyperparameter, nonnegative
from autograd_core.optim.optimizer import Optimizer

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """Adagrad: divide each gradient by the root of the sum of all its squares so far.

    For each parameter θ with gradient g, in the notation of the arguments below and with
    t = the step number (1, 2, ...), a step does:

    ```text
    g ← −g                          if maximize
    g ← g + λθ                      if λ ≠ 0
    γₜ ← γ / (1 + (t − 1)η)
    s ← s + g²                      (s starts at s₀)
    θ ← θ − γₜ g / (√s + ε)
    ```

    The sum only grows, so every parameter's steps shrink over time, fastest for the
    parameters whose gradients are largest.

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

    _STATE = ("sum",)

    lr: float = hyperparameter(1e-2, nonnegative, "Learning rate γ, ``>= 0``.")
    lr_decay: float = hyperparameter(0.0, nonnegative, "Learning-rate decay η, ``>= 0``.")
    weight_decay: float = hyperparameter(0.0, nonnegative, "L2 penalty λ, ``>= 0``.")
    initial_accumulator_value: float = hyperparameter(
        0.0, nonnegative, "The starting value s₀ of the sum s, ``>= 0``."
    )
    eps: float = hyperparameter(1e-10, nonnegative, "ε added to the denominator, ``>= 0``.")

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
