"""``Adam``: per-parameter step sizes from running averages of the gradient and its square."""

from __future__ import annotations

import math
from typing import Any, ClassVar

from autograd_core._checks import real
from autograd_core.optim._hyperparameters import flag, hyperparameter, nonnegative
from autograd_core.optim.optimizer import Optimizer

__all__ = ["Adam"]


def decay_rates(value: Any, name: str, where: str) -> tuple[float, float]:
    """A pair (β₁, β₂) of numbers in [0, 1), as a tuple of floats (a list is accepted).

    Example:
        >>> from autograd_core.optim.adam import decay_rates
        >>> decay_rates([0.9, 0.99], "betas", "Adam")
        (0.9, 0.99)
        >>> decay_rates((0.9, 1.0), "betas", "Adam")
        Traceback (most recent call last):
        ...
        ValueError: Adam: betas[1] must be a finite number >= 0 and < 1, got 1.0
    """
    if not isinstance(value, (tuple, list)):
        raise TypeError(
            f"{where}: {name} must be a pair (beta1, beta2), got {type(value).__name__} {value!r}"
        )
    if len(value) != 2:
        raise ValueError(f"{where}: {name} must be a pair (beta1, beta2), got {value!r}")
    beta1, beta2 = (
        real(b, f"{name}[{i}]", where, minimum=0.0, maximum=1.0, exclusive_maximum=True)
        for i, b in enumerate(value)
    )
    return beta1, beta2


class Adam(Optimizer):
    """Adam: per-parameter steps from bias-corrected running averages of g and g².

    For each parameter θ with gradient g, in the notation of the arguments below and with
    t = the step number (1, 2, ...), a step does:

    ```text
    g ← −g                           if maximize
    g ← g + λθ                       if λ ≠ 0   (L2 penalty, folded into g)
    m ← β₁m + (1 − β₁)g              running mean of g        (m, v start at 0)
    v ← β₂v + (1 − β₂)g²             running mean of g²
    v̂ ← max(v̂, v)  and use v̂ for v   if amsgrad   (the raw v, not bias-corrected)
    θ ← θ − γ/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)
    ```

    Dividing by 1 − βᵗ undoes the pull towards the zero the averages start from. With AMSGrad
    the running maximum v̂ never decreases, so a parameter's steps cannot suddenly grow when its
    gradients become small (the AMSGrad paper's fix for a case where Adam fails to converge).

    Example:
        The first Adam step moves every parameter by about lr, whatever the gradient's size:

        >>> import autograd_core as ag
        >>> a, b = ag.Value(1.0), ag.Value(1.0)
        >>> a.grad, b.grad = 1000.0, 0.001
        >>> ag.optim.Adam([a, b], lr=0.1).step()
        >>> round(a.data, 4), round(b.data, 4)
        (0.9, 0.9)
    """

    _STATE = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")
    # AdamW: shrink θ by γλθ directly instead of adding λθ to the gradient.
    _DECOUPLED_WEIGHT_DECAY: ClassVar[bool] = False

    lr: float = hyperparameter(1e-3, nonnegative, "Learning rate γ, ``>= 0``.")
    betas: tuple[float, float] = hyperparameter(
        (0.9, 0.999),
        decay_rates,
        "Decay rates (β₁, β₂) of the two running averages, each in [0, 1).",
    )
    eps: float = hyperparameter(1e-8, nonnegative, "ε added to the denominator, ``>= 0``.")
    weight_decay: float = hyperparameter(
        0.0,
        nonnegative,
        "L2 penalty λ, ``>= 0`` (``AdamW`` decays the weights directly instead).",
    )
    amsgrad: bool = hyperparameter(False, flag, "Use the maximum of all v so far (AMSGrad).")

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
        if wd == 0.0 and not self.amsgrad:  # the common case, as list comprehensions
            keep1, keep2, sqrt = 1.0 - beta1, 1.0 - beta2, math.sqrt
            m_list = [beta1 * m + keep1 * g for m, g in zip(old_m, grads)]
            v_list = [beta2 * v + keep2 * g * g for v, g in zip(old_v, grads)]
            stepped = [
                x - step_size * m / (sqrt(v) / bias_correction2_sqrt + eps)
                for x, m, v in zip(data, m_list, v_list)
            ]
            return stepped, {"exp_avg": m_list, "exp_avg_sq": v_list}
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
