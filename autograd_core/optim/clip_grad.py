"""``clip_grad_norm``: limit the combined size of all gradients before a step."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

from autograd_core._checks import real
from autograd_core.engine import Value
from autograd_core.optim._atomic import deferred_interrupts, number_of
from autograd_core.optim.optimizer import _describe

__all__ = ["clip_grad_norm"]


def clip_grad_norm(
    params: Value | Iterable[Value], max_norm: float, norm_type: float | str = 2.0
) -> float:
    """Scale all gradients down together so that their combined norm is at most ``max_norm``.

    The gradients g of all parameters are treated as one vector, and its p-norm
    (p = ``norm_type``) is measured:

    ```text
    ‖g‖ₚ = (Σᵢ |gᵢ|ᵖ)^(1/p)        ‖g‖∞ = maxᵢ |gᵢ|
    ```

    If ‖g‖ > max_norm, every gradient is multiplied by the same factor
    max_norm / (‖g‖ + 10⁻⁶): the direction of the step is kept and only its length is
    limited. (The 10⁻⁶ is PyTorch's; it keeps the clipped norm just below max_norm.)
    Smaller gradients are left as they are.

    A gradient that is a ``Value`` (after ``backward(create_graph=True)``) counts as its
    number, and a clipped one becomes a float: the scaled number. The gradients are scaled
    all together or not at all, even if Ctrl-C is pressed meanwhile.

    Args:
        params: A ``Value`` or an iterable of them (``model.parameters()``).
        max_norm: The largest allowed norm, a number ``> 0`` (``math.inf``: never clip).
        norm_type: p, a number ``> 0``, or ``math.inf`` (or ``"inf"``) for the largest |gᵢ|.

    Returns:
        The norm of the gradients *before* clipping, as a float (0.0 for no parameters).

    Raises:
        TypeError: for params that are not Values, a gradient that is not a number, or a
            max_norm or norm_type that is not a real number.
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
    # Both may be inf (never clip; the max-norm), hence finite=False.
    limit = real(max_norm, "max_norm", where, minimum=0.0, exclusive_minimum=True, finite=False)
    p_norm = (
        math.inf
        if norm_type == "inf"
        else real(norm_type, "norm_type", where, minimum=0.0, exclusive_minimum=True, finite=False)
    )
    grads = [_gradient(p, i, where) for i, p in enumerate(parameters)]
    total = _norm(grads, p_norm)
    if not math.isfinite(total):
        raise ValueError(
            f"{where}: the total gradient norm overflows ({total!r}); gradients left unchanged"
        )
    coefficient = limit / (total + 1e-6)
    if coefficient < 1.0:
        clipped = [g * coefficient for g in grads]
        with deferred_interrupts():  # all of them or, before the first, none (Ctrl-C waits)
            for p, g in zip(parameters, clipped):
                p.grad = g
    return total


def _gradient(p: Value, i: int, where: str) -> float:
    """Parameter ``i``'s gradient as a finite float (a Value gradient gives its number)."""
    g = p.grad
    number = g if type(g) is float else number_of(g)
    if number is None:
        raise TypeError(
            f"{where}: the gradient of {_describe(p, i)} is {type(g).__name__} {g!r}, not a "
            "number; gradients left unchanged"
        )
    if not math.isfinite(number):
        raise ValueError(
            f"{where}: the gradient of {_describe(p, i)} is {number!r}, so the "
            "total norm is not finite; gradients left unchanged"
        )
    return number


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
