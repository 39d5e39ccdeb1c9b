"""Gradients of gradients at the edges: nodes that hold inf or NaN.

A ``Value`` you make holds a finite number: ``1 / Value(0.0)`` raises, naming the op. A
gradient, though, may be infinite (the slope of sqrt at 0) or NaN (0 × inf), and with
``create_graph=True`` a gradient is a Value whose own derivative the next order needs. PyTorch
computes such a gradient with IEEE arithmetic and keeps its graph: ``hessian(sqrt)(0)`` is
−inf (the slope of 1/(2·sqrt(x)) at 0), not the 0 of a constant.

So while a gradient graph is being built (:func:`allowing_non_finite`, which
``reference.gradients`` enters for ``create_graph``), an operation whose float result is not
finite does not raise: it makes its node with the IEEE result, ``1/0 = inf``,
``log(0) = −inf``, ``sqrt(−1) = NaN`` (:func:`forward`), and with its local derivatives
computed in IEEE arithmetic too (:func:`partials`). Outside that block, an operation on such a
gradient carries its inf or NaN on the same way (``g * g`` of a NaN gradient is NaN); only an
inf or NaN made from finite numbers raises, naming the op.

Example:
    >>> import warnings
    >>> import autograd_core as ag
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")  # (grad warns of a gradient that is not finite)
    ...     ag.functional.hessian(ag.sqrt)(0.0)
    [[-inf]]
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from autograd_core import ops
from autograd_core.engine import layout
from autograd_core.engine.mode import allowing_non_finite, non_finite_allowed
from autograd_core.ops import Op

if TYPE_CHECKING:
    from autograd_core.engine.value import Value

__all__ = ["allowing_non_finite", "non_finite_allowed", "wanted", "node", "forward", "partials"]

_INF = math.inf
_NAN = math.nan


def wanted(operands: Sequence[Value]) -> bool:
    """Whether an operation that failed on ``operands`` makes its IEEE node instead: while a
    gradient graph is built, or when an operand already holds inf or NaN (a gradient that
    is not finite, used in an expression of yours, carries its inf or NaN on, as a float
    would; it is only a new inf or NaN, made from finite numbers, that raises)."""
    return non_finite_allowed() or not all(map(layout.is_finite, operands))


def node(op: Op, parents: Sequence[Value]) -> Value:
    """The node ``op(*parents)`` with its value and local derivatives in IEEE arithmetic."""
    xs = [p.data for p in parents]
    out = forward(op, xs)
    return layout.node(layout.VALUE, op, out, tuple(parents), partials(op, out, xs))


def forward(op: Op, xs: Sequence[float]) -> float:
    """``op``'s value at ``xs`` as IEEE arithmetic gives it: inf for an overflow or a pole,
    NaN where the op is undefined.

    Example:
        >>> from autograd_core import ops
        >>> from autograd_core.engine.ieee import forward
        >>> forward(ops.DIV, [-1.0, 0.0]), forward(ops.LOG, [0.0]), forward(ops.SQRT, [-1.0])
        (-inf, -inf, nan)
    """
    special = _FORWARDS.get(op.base.name)
    if special is not None:
        result: float = special(*xs, *op.params)
        return result
    try:
        return float(op.forward(*xs))
    except (ArithmeticError, ValueError):
        return _NAN


def partials(op: Op, out: float, xs: Sequence[float]) -> tuple[float, ...]:
    """``op``'s local derivatives at ``xs`` in IEEE arithmetic: its rule fed numbers whose
    ``/``, ``**``, ``log``, ``exp`` and ``sqrt`` give inf and NaN instead of raising. A rule
    that fails even so gives NaN (no derivative there)."""
    try:
        result = op.partials(_Number(out), *map(_Number, xs))
        return tuple(float(ops.data(p)) for p in result)
    except (ArithmeticError, ValueError, TypeError):
        return (_NAN,) * len(xs)


def _div(a: float, b: float) -> float:
    if b != 0.0:
        return a / b
    if a != a or a == 0.0:
        return _NAN
    return math.copysign(_INF, a) * math.copysign(1.0, b)


def _pow(x: float, y: float) -> float:
    if x == 0.0 and y < 0.0:  # a pole: ±inf, negative only for -0.0 to an odd power
        odd = y == math.floor(y) and y % 2 == 1
        return math.copysign(_INF, x) if odd else _INF
    try:
        return math.pow(x, y)
    except OverflowError:
        odd = y == math.floor(y) and y % 2 == 1
        return -_INF if x < 0.0 and odd else _INF
    except ValueError:  # a negative base to a fractional power
        return _NAN


def _pow_const(x: float, c: float) -> float:
    if x == 0.0 and c == -0.5:
        return math.copysign(_INF, x)  # PyTorch's x ** −0.5 is rsqrt(x): −inf at −0.0
    if x == 0.0 and c == 0.5:
        return x  # and x ** 0.5 is sqrt(x), which keeps the sign of a zero
    return _pow(x, c)


def _log(x: float) -> float:
    if x == 0.0:
        return -_INF
    return math.log(x) if x > 0.0 else _NAN  # (log(inf) is inf; NaN stays NaN)


def _sqrt(x: float) -> float:
    return math.sqrt(x) if x >= 0.0 else _NAN


def _exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        return _INF


def _cos(x: float) -> float:
    return math.cos(x) if math.isfinite(x) else _NAN  # (math.cos(inf) raises)


def _sin(x: float) -> float:
    return math.sin(x) if math.isfinite(x) else _NAN


_FORWARDS: dict[str, Any] = {
    "div": _div,
    "pow": _pow,
    "pow_const": _pow_const,
    "log": _log,
    "sqrt": _sqrt,
    "exp": _exp,
}


class _Number(float):
    """A float whose arithmetic is IEEE's: what a partials rule is fed in :func:`partials`."""

    def __add__(self, other: Any) -> _Number:
        return _Number(float(self) + float(other))

    __radd__ = __add__

    def __sub__(self, other: Any) -> _Number:
        return _Number(float(self) - float(other))

    def __rsub__(self, other: Any) -> _Number:
        return _Number(float(other) - float(self))

    def __mul__(self, other: Any) -> _Number:
        return _Number(float(self) * float(other))

    __rmul__ = __mul__

    def __truediv__(self, other: Any) -> _Number:
        return _Number(_div(float(self), float(other)))

    def __rtruediv__(self, other: Any) -> _Number:
        return _Number(_div(float(other), float(self)))

    def __pow__(self, other: Any) -> _Number:  # type: ignore[override]
        return _Number(_pow(float(self), float(other)))

    def __rpow__(self, other: Any) -> _Number:  # type: ignore[override]
        return _Number(_pow(float(other), float(self)))

    def __neg__(self) -> _Number:
        return _Number(-float(self))

    def __abs__(self) -> _Number:
        return _Number(abs(float(self)))

    # what ops.log/exp/cos/sin call on anything that is not a plain float
    def log(self) -> _Number:
        return _Number(_log(float(self)))

    def exp(self) -> _Number:
        return _Number(_exp(float(self)))

    def sqrt(self) -> _Number:
        return _Number(_sqrt(float(self)))

    def cos(self) -> _Number:
        return _Number(_cos(float(self)))

    def sin(self) -> _Number:
        return _Number(_sin(float(self)))
