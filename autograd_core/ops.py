"""The op table: every differentiable operation, declared once.

An operation is three things: a name, a *forward* function on floats, and a *partials rule*
that returns the local derivative of the output with respect to each input::

    MUL = Op("mul", forward=operator.mul, partials=lambda out, a, b: (b, a))

The engine calls ``forward`` to compute a node's value and ``partials`` to record, next to the
node's parents, the numbers ``∂out/∂input``. ``Value.backward`` then only has to multiply and add
(the chain rule); it never calls back into the table.

Rules are written with ``+ - * / **`` and the dispatching helpers at the bottom of this module
(``data``, ``cos``, ``sin``, ``log``), so the same rule works when it is fed floats (the usual
forward pass) and when it is fed ``Value`` objects (a gradient that is itself a graph, for
higher-order derivatives).

Some operations carry a hyper-parameter that is not an input: the exponent of ``x ** 3`` or the
slope of ``leaky_relu``. Such an op lists ``params``; ``op.bind(3.0)`` returns the op with its
parameter fixed, and the node stores that bound op (its ``params`` say which exponent it was).

Users extend the table with :func:`register_op`.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Sequence
from typing import Any

__all__ = [
    "Op",
    "register_op",
    "get_op",
    "all_ops",
    "data",
    "ADD",
    "SUB",
    "MUL",
    "DIV",
    "NEG",
    "ABS",
    "POW",
    "POW_CONST",
    "EXP",
    "LOG",
    "SQRT",
    "TANH",
    "SIGMOID",
    "RELU",
    "LEAKY_RELU",
    "SIN",
    "COS",
    "SUM",
    "DOT",
]

Rule = Callable[..., tuple[Any, ...]]

_INF = math.inf
_BIND_CACHE_LIMIT = 4096


class Op:
    """One row of the op table: a name, a float forward function and a partials rule.

    Args:
        name: Unique name, used in error messages and as the key of the table.
        forward: ``forward(*xs, *params) -> float`` on plain floats. It raises ``ValueError``,
            ``ZeroDivisionError`` or ``OverflowError`` with a short reason outside its domain.
        partials: ``partials(out, *xs, *params) -> tuple`` with one local derivative per input.
        arity: Number of inputs; ``None`` for n-ary ops such as ``sum``.
        symbol: Short text for graph pictures (``"×"`` for mul); defaults to ``name``.
        params: Names of the op's hyper-parameters (not differentiated), if any.
        argnames: Names of the inputs, used in error messages.

    Example:
        >>> import math
        >>> from autograd_core.ops import Op
        >>> square = Op("my_square", forward=lambda x: x * x, partials=lambda out, x: (2 * x,))
        >>> square.forward(3.0), square.partials(9.0, 3.0)
        (9.0, (6.0,))
    """

    __slots__ = (
        "name",
        "forward",
        "partials",
        "arity",
        "symbol",
        "param_names",
        "params",
        "argnames",
        "base",
    )

    def __init__(
        self,
        name: str,
        forward: Callable[..., float],
        partials: Rule,
        arity: int | None = 1,
        symbol: str | None = None,
        params: Sequence[str] = (),
        argnames: Sequence[str] | None = None,
    ) -> None:
        self.name = name
        self.forward = forward
        self.partials = partials
        self.arity = arity
        self.symbol = symbol if symbol is not None else name
        self.param_names = tuple(params)
        # The values of the hyper-parameters of a bound op (see ``bind``); () for a table row.
        self.params: tuple[float, ...] = ()
        if argnames is None:
            argnames = ("x",) if arity == 1 else ("a", "b") if arity == 2 else ()
        self.argnames = tuple(argnames)
        # For a bound op (see ``bind``): the row it came from; a table row is its own base.
        self.base: Op = self

    def __repr__(self) -> str:
        return f"<op {self.describe()}>"

    def describe(self) -> str:
        """The name with bound hyper-parameters, as used in error messages.

        Example:
            >>> from autograd_core.ops import POW_CONST
            >>> POW_CONST.bind(2.0).describe()
            'pow_const(exponent=2.0)'
        """
        if not self.params:
            return self.name
        shown = ", ".join(f"{n}={v!r}" for n, v in zip(self.param_names, self.params))
        return f"{self.name}({shown})"

    def __call__(self, *args: Any) -> Any:
        """Apply the op: floats in give a float, any ``Value`` in gives a ``Value``.

        Example:
            >>> from autograd_core.ops import MUL
            >>> MUL(3.0, 4.0)
            12.0
        """
        from autograd_core.engine import apply

        return apply(self, args)

    def bind(self, *params: float) -> Op:
        """Return this op with its hyper-parameters fixed (cached for reuse).

        Example:
            >>> from autograd_core.ops import POW_CONST
            >>> cube = POW_CONST.bind(3.0)
            >>> cube.forward(2.0), cube.params
            (8.0, (3.0,))
        """
        if self.base is not self:
            raise TypeError(f"{self.describe()}: the op's parameters are already bound")
        if len(params) != len(self.param_names):
            raise TypeError(
                f"{self.name}: expected {len(self.param_names)} parameter(s), got {len(params)}"
            )
        key = (self, params)
        bound = _bound_ops.get(key)
        if bound is not None:
            return bound
        bound = Op(
            self.name,
            *_bind_params(self.forward, self.partials, self.arity, params),
            self.arity,
            self.symbol,
            self.param_names,
            self.argnames,
        )
        bound.params = params
        bound.base = self
        if len(_bound_ops) < _BIND_CACHE_LIMIT:
            _bound_ops[key] = bound
        return bound


def _bind_params(
    fwd: Callable[..., float], rule: Rule, arity: int | None, params: tuple[float, ...]
) -> tuple[Callable[..., float], Rule]:
    """Forward and partials with ``params`` appended to every call."""
    if arity == 1 and len(params) == 1:
        (p,) = params  # the common case (x ** 3, leaky_relu): no *args packing on the hot path

        def forward1(x: float) -> float:
            return fwd(x, p)

        def partials1(out: Any, x: Any) -> tuple[Any, ...]:
            return rule(out, x, p)

        return forward1, partials1

    def forward(*xs: float) -> float:
        return fwd(*xs, *params)

    def partials(out: Any, *xs: Any) -> tuple[Any, ...]:
        return rule(out, *xs, *params)

    return forward, partials


_bound_ops: dict[tuple[Op, tuple[float, ...]], Op] = {}
_table: dict[str, Op] = {}


def register_op(
    name: str,
    forward: Callable[..., float],
    partials: Rule,
    arity: int | None = 1,
    symbol: str | None = None,
    params: Sequence[str] = (),
    argnames: Sequence[str] | None = None,
) -> Op:
    """Declare a new differentiable operation and add it to the table.

    The returned :class:`Op` is callable on floats and on ``Value`` objects, and it is checked
    by the test-suite's finite-difference property like every built-in op.

    Args:
        name: Unique name of the op.
        forward: Float function computing the output.
        partials: ``partials(out, *inputs)`` returning ``∂out/∂input`` for every input, written
            with ``+ - * / **`` and ``autograd_core.ops`` helpers so it also works on Values.
        arity: Number of inputs.
        symbol: Text shown in graph pictures.
        params: Names of hyper-parameters; use ``op.bind(value)`` to fix them.
        argnames: Names of the inputs for error messages.

    Returns:
        The new op.

    Example:
        >>> import autograd_core as ag
        >>> from autograd_core.ops import register_op
        >>> cube = register_op("doc_cube", lambda x: x**3, lambda out, x: (3 * x * x,))
        >>> y = cube(ag.Value(2.0))
        >>> y.backward()
        >>> y.data, y.parents[0].grad
        (8.0, 12.0)
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"register_op: name must be a non-empty string, got {name!r}")
    if name in _table:
        raise ValueError(f"register_op: an op named {name!r} is already registered")
    if not callable(forward) or not callable(partials):
        raise TypeError(f"register_op({name!r}): forward and partials must be callable")
    op = Op(name, forward, partials, arity, symbol, params, argnames)
    _table[name] = op
    return op


def get_op(name: str) -> Op:
    """Look up a registered op by name.

    Example:
        >>> from autograd_core.ops import get_op
        >>> get_op("mul").symbol
        '×'
    """
    try:
        return _table[name]
    except KeyError:
        raise KeyError(f"no op named {name!r}; known ops: {', '.join(sorted(_table))}") from None


def all_ops() -> list[Op]:
    """Every registered op, built-in and user-defined, in registration order.

    Example:
        >>> from autograd_core.ops import all_ops
        >>> "tanh" in [op.name for op in all_ops()]
        True
    """
    return list(_table.values())


# ---------------------------------------------------------------------------------------------
# Helpers that let one rule serve floats and Values.


def data(x: Any) -> float:
    """The float inside ``x``: ``x`` itself for a number, ``x.data`` for a Value.

    Rules use it for masks and branches that are not differentiated (``relu``'s ``x > 0``).

    Example:
        >>> from autograd_core.ops import data
        >>> data(2.5)
        2.5
    """
    return x if type(x) is float else getattr(x, "data", x)


def _dispatch(name: str, fn: Callable[[float], float]) -> Callable[[Any], Any]:
    def apply(x: Any) -> Any:
        if type(x) is float:
            return fn(x)
        return getattr(x, name)()

    apply.__name__ = name
    return apply


cos = _dispatch("cos", math.cos)
sin = _dispatch("sin", math.sin)
log = _dispatch("log", math.log)


# ---------------------------------------------------------------------------------------------
# Forward functions with their domain checks. The engine adds the op name, the operand values
# and their labels to the message.


def _div(a: float, b: float) -> float:
    if b == 0.0:
        raise ZeroDivisionError("division by zero")
    return a / b


def _pow(x: float, y: float) -> float:
    if x == 0.0 and y < 0.0:
        raise ZeroDivisionError("0 cannot be raised to a negative power")
    if x < 0.0 and y != math.floor(y):
        raise ValueError("a negative base needs an integer exponent (the result is complex)")
    try:
        return math.pow(x, y)
    except OverflowError:
        raise OverflowError("the result is too large for a float") from None


def _exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        raise OverflowError("the result is too large for a float (x > 709.78)") from None


def _log(x: float) -> float:
    if x <= 0.0:
        raise ValueError("log is defined only for x > 0")
    return math.log(x)


def _sqrt(x: float) -> float:
    if x < 0.0:
        raise ValueError("sqrt is defined only for x >= 0")
    return math.sqrt(x)


def _sigmoid(x: float) -> float:
    # Two branches so that exp never overflows: for x < 0, exp(x) is small.
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _relu(x: float) -> float:
    return x if x > 0.0 else 0.0


def _leaky_relu(x: float, slope: float) -> float:
    return x if x > 0.0 else slope * x


def _abs(x: float) -> float:
    return abs(x)


# ---------------------------------------------------------------------------------------------
# Partials rules that need more than one line.


def _pow_base_partial(x: Any, y: Any) -> Any:
    """∂(x**y)/∂x = y·x**(y−1), with PyTorch's values at the edges."""
    xd, yd = data(x), data(y)
    if yd == 0.0:
        return 0.0  # x**0 is constant: ∂/∂x = 0 even at x = 0
    if xd == 0.0 and yd < 1.0:
        return _INF  # the slope of x**0.5 at 0, as in PyTorch
    return y * x ** (y - 1.0)


def _pow_partials(out: Any, x: Any, y: Any) -> tuple[Any, Any]:
    xd = data(x)
    if xd > 0.0:
        dy = out * log(x)
    elif xd == 0.0:
        dy = 0.0  # ∂(0**y)/∂y = 0 for y >= 0 (y < 0 never gets here: the forward raises)
    else:
        raise ValueError(
            "the derivative with respect to the exponent is undefined for a negative base; "
            "use a plain number as the exponent (x ** 3), or detach() it"
        )
    return (_pow_base_partial(x, y), dy)


def _pow_const_partials(out: Any, x: Any, c: float) -> tuple[Any]:
    # The exponent is a plain float here, so the edge cases need only x's data.
    if c == 0.0:
        return (0.0,)
    if c < 1.0 and data(x) == 0.0:
        return (_INF,)
    return (c * x ** (c - 1.0),)


def _sqrt_partials(out: Any, x: Any) -> tuple[Any]:
    # 1 / (2·sqrt(x)); infinite at 0 like PyTorch, instead of a ZeroDivisionError.
    return (0.5 / out if data(out) != 0.0 else _INF,)


def _abs_partials(out: Any, x: Any) -> tuple[float]:
    xd = data(x)
    return (1.0 if xd > 0.0 else -1.0 if xd < 0.0 else 0.0,)


def _leaky_relu_partials(out: Any, x: Any, slope: float) -> tuple[float]:
    return (1.0 if data(x) > 0.0 else slope,)


_ONE = (1.0,)
_ONE_ONE = (1.0, 1.0)
_ONE_MINUS_ONE = (1.0, -1.0)
_MINUS_ONE = (-1.0,)
_ONE = (1.0,)
_ZERO = (0.0,)


def _sum_forward(*xs: float) -> float:
    return sum(xs)


def _sum_partials(out: Any, *xs: Any) -> tuple[float, ...]:
    return (1.0,) * len(xs)


def _dot_forward(*operands: float) -> float:
    # operands = w1..wn, x1..xn[, bias]; an odd count means a bias is present. The sum starts
    # at the bias and adds w_i·x_i left to right, exactly like micrograd's neuron
    # `sum((wi * xi for wi, xi in zip(w, x)), b)`.
    n = len(operands) // 2
    bias = operands[2 * n] if len(operands) % 2 else 0.0
    return sum(map(operator.mul, operands[:n], operands[n : 2 * n]), bias)


def _dot_partials(out: Any, *operands: Any) -> tuple[Any, ...]:
    n = len(operands) // 2
    ws, xs = operands[:n], operands[n : 2 * n]
    return xs + ws + ((1.0,) if len(operands) % 2 else ())


# ---------------------------------------------------------------------------------------------
# The table. One row per op; the engine's operators and functional.py use these objects.

ADD = register_op("add", operator.add, lambda out, a, b: _ONE_ONE, arity=2, symbol="+")
SUB = register_op("sub", operator.sub, lambda out, a, b: _ONE_MINUS_ONE, arity=2, symbol="−")
MUL = register_op("mul", operator.mul, lambda out, a, b: (b, a), arity=2, symbol="×")
DIV = register_op("div", _div, lambda out, a, b: (1.0 / b, -out / b), arity=2, symbol="÷")
NEG = register_op("neg", operator.neg, lambda out, x: _MINUS_ONE, symbol="−")
ABS = register_op("abs", _abs, _abs_partials, symbol="abs")
POW = register_op("pow", _pow, _pow_partials, arity=2, symbol="**", argnames=("base", "exponent"))
POW_CONST = register_op(
    "pow_const", _pow, _pow_const_partials, symbol="**", params=("exponent",), argnames=("base",)
)
EXP = register_op("exp", _exp, lambda out, x: (out,))
LOG = register_op("log", _log, lambda out, x: (1.0 / x,))
SQRT = register_op("sqrt", _sqrt, _sqrt_partials, symbol="√")
TANH = register_op("tanh", math.tanh, lambda out, x: (1.0 - out * out,))
SIGMOID = register_op("sigmoid", _sigmoid, lambda out, x: (out * (1.0 - out),), symbol="σ")
RELU = register_op("relu", _relu, lambda out, x: _ONE if data(x) > 0.0 else _ZERO)
LEAKY_RELU = register_op(
    "leaky_relu", _leaky_relu, _leaky_relu_partials, params=("negative_slope",)
)
SIN = register_op("sin", math.sin, lambda out, x: (cos(x),))
COS = register_op("cos", math.cos, lambda out, x: (-sin(x),))
SUM = register_op("sum", _sum_forward, _sum_partials, arity=None, symbol="Σ")
DOT = register_op("dot", _dot_forward, _dot_partials, arity=None, symbol="·")
