"""The op table: every differentiable operation, declared once.

An operation is three things: a name, a *forward* function on floats, and a *partials rule*
that returns the local derivative of the output with respect to each input:

```python
MUL = Op("mul", forward=operator.mul, partials=lambda out, a, b: (b, a))
```

The engine calls ``forward`` to compute a node's value and ``partials`` to record, next to the
node's parents, the numbers ``∂out/∂input``. ``Value.backward`` then only has to multiply and add
(the chain rule); it never calls back into the table.

Rules are written with ``+ - * / **`` and the dispatching helpers at the bottom of this module
(``data``, ``cos``, ``sin``, ``log``, ``exp``, ``sqrt``), so the same rule works when it is fed
floats (the usual forward pass) and when it is fed ``Value`` objects (a gradient that is itself
a graph, for higher-order derivatives).

Some operations carry a hyper-parameter that is not an input: the exponent of ``x ** 3`` or the
slope of ``leaky_relu``. Such an op lists ``params``; ``op.bind(3.0)`` returns the op with its
parameter fixed, and the node stores that bound op (its ``params`` say which exponent it was).

A row also says where the op shows up, so that adding an op is one row (plus its tests, which
the parametrized suite mostly writes for you):

* ``method=True``: a method of ``Value`` (``x.tanh()``); the engine installs it from the row;
* ``function=True``: a function ``ag.tanh`` that takes floats or Values, and a name the
  ``autograd-core graph`` formula language accepts;
* ``activation=True``: a name ``nn.Neuron``, ``nn.Layer`` and ``nn.MLP`` accept as activation;
* ``symbol``: what the graph pictures write in the op's box.

This module imports nothing from the rest of the package: the engine, which builds nodes,
imports it, and hands :class:`Op` the function that applies an op to Values when it loads.

Users extend the table with :func:`register_op`.
"""

from __future__ import annotations

import math
import numbers
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
    "AFFINE",
    "CROSS_ENTROPY",
    "methods",
    "functions",
    "activations",
    "set_applier",
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
        partials: ``partials(out, *xs, *params) -> tuple`` with one local derivative per input,
            or, for an op whose local derivatives are constants (add: 1 and 1), the tuple of
            those numbers: nodes then share them and the operators skip the call.
        arity: Number of inputs; ``None`` for n-ary ops such as ``sum``.
        symbol: Short text for graph pictures (``"×"`` for mul); defaults to ``name``.
        params: Names of the op's hyper-parameters (not differentiated), if any.
        argnames: Names of the inputs, used in error messages.
        defaults: Default values of the trailing hyper-parameters (``leaky_relu``'s slope).
        doc: One line saying what the op computes, for the generated method and function.
        example: ``(argument, result)`` as text, for the generated docstrings' examples.
        method: Whether ``Value`` gets a method of this name.
        function: Whether ``ag.<name>`` and the formula language offer it.
        activation: Whether ``nn`` accepts the name as an activation.
        selects: For ops whose backward PyTorch writes as a selection (relu, the zero
            exponent of pow): ``selects(*xs, *params)`` says, per input, when its edge passes
            nothing at all, not even ``0 × inf``. ``None``: every edge multiplies.
        finite_partials: The rule never returns an infinite or NaN derivative for inputs
            where the forward is finite (mul, tanh, ...), so ``backward`` need not look.
            Implied by finite constant partials.

    Example:
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
        "defaults",
        "argnames",
        "base",
        "doc",
        "example",
        "method",
        "function",
        "activation",
        "selects",
        "finite_partials",
        "constant_partials",
    )

    def __init__(
        self,
        name: str,
        forward: Callable[..., float],
        partials: Rule | tuple[float, ...],
        arity: int | None = 1,
        symbol: str | None = None,
        params: Sequence[str] = (),
        argnames: Sequence[str] | None = None,
        *,
        defaults: Sequence[Any] = (),
        doc: str = "",
        example: tuple[str, str] | None = None,
        method: bool = False,
        function: bool = False,
        activation: bool = False,
        selects: Callable[..., tuple[bool, ...]] | None = None,
        finite_partials: bool = False,
    ) -> None:
        self.name = name
        self.forward = forward
        # The local derivatives when they are constants, shared by every node; else None.
        self.constant_partials: tuple[float, ...] | None = None
        if isinstance(partials, tuple):
            constants = _constant_partials(name, partials, arity)
            self.constant_partials = constants
            partials = _constant_rule(constants)
            finite_partials = all(map(math.isfinite, constants))
        self.partials = partials
        self.arity = arity
        self.symbol = symbol if symbol is not None else name
        self.param_names = tuple(params)
        # The values of the hyper-parameters of a bound op (see ``bind``); () for a table row.
        self.params: tuple[Any, ...] = ()
        self.defaults = tuple(defaults)
        if argnames is None:
            argnames = ("x",) if arity == 1 else ("a", "b") if arity == 2 else ()
        self.argnames = tuple(argnames)
        # For a bound op (see ``bind``): the row it came from; a table row is its own base.
        self.base: Op = self
        self.doc = doc
        self.example = example
        self.method = method
        self.function = function
        self.activation = activation
        self.selects = selects
        self.finite_partials = finite_partials

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
        shown = ", ".join(
            f"{n}={_short(v)}" for n, v in zip(self.param_names, self.params, strict=True)
        )
        return f"{self.name}({shown})"

    def __call__(self, *args: Any) -> Any:
        """Apply the op: floats in give a float, any ``Value`` in gives a ``Value``.

        Example:
            >>> from autograd_core.ops import MUL
            >>> MUL(3.0, 4.0)
            12.0
        """
        return _apply(self, args)

    def bind(self, *params: Any, cache: bool = True) -> Op:
        """Return this op with its hyper-parameters fixed.

        Bound ops of a few distinct parameters (``x ** 2``, ``leaky_relu(x, 0.1)``) are cached
        and shared; ``cache=False`` is for parameters that are data (a sample's features).

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
        key = (self, _signed(params))
        bound = _bound_ops.get(key) if cache else None
        if bound is not None:
            return bound
        bound = self.bound_to(params)
        if cache and len(_bound_ops) < _BIND_CACHE_LIMIT:
            _bound_ops[key] = bound
        return bound

    def bound_to(self, params: tuple[Any, ...]) -> Op:
        """:meth:`bind` without its checks and its cache, for parameters already checked that
        are data (a layer binds each sample of numbers to ``AFFINE``).

        Example:
            >>> from autograd_core.ops import AFFINE
            >>> op = AFFINE.bound_to(((2.0, 3.0), None))
            >>> op.forward(1.0, 1.0, 0.5), op.name
            (5.5, 'affine')
        """
        bound = _new(_Bound)
        bound.forward, bound.partials = _bind_params(self.forward, self.partials, params)
        bound.params = params
        bound.base = self
        return bound


class _Bound(Op):
    """An op with its parameters bound: its own ``forward``, ``partials``, ``params`` and
    ``base``; every other field (name, symbol, arity, ...) is read from ``base``. A layer binds
    one per sample of data, so making one must be cheap: four fields, not seventeen."""

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:  # only for the fields not set on the bound op
        if name == "base":  # (not set yet: a half-made op)
            raise AttributeError(name)
        return getattr(self.base, name)


def _signed(param: Any) -> Any:
    """A parameter as a cache key: −0.0 == 0.0, but as parameters they differ (a bias of −0.0
    keeps a sum of −0.0 terms negative, one of +0.0 makes it +0.0), so a zero keeps its sign."""
    if type(param) is float:
        return (param, math.copysign(1.0, param)) if param == 0.0 else param
    if type(param) is tuple:
        return tuple(map(_signed, param))
    return param


def _constant_rule(constants: tuple[float, ...]) -> Rule:
    """The rule of an op with constant partials: the constants, whatever the inputs."""

    def constant(out: Any, *xs: Any) -> tuple[float, ...]:
        return constants

    return constant


def _constant_partials(
    name: str, partials: tuple[Any, ...], arity: int | None
) -> tuple[float, ...]:
    """A row's constant local derivatives, checked: one real number per input."""
    if arity is None or len(partials) != arity:
        raise ValueError(
            f"{name}: constant partials need one number per input ({arity} inputs), "
            f"got {partials!r}"
        )
    for p in partials:
        if isinstance(p, bool) or not isinstance(p, numbers.Real):
            raise TypeError(f"{name}: a constant partial must be a real number, got {p!r}")
    return tuple(map(float, partials))


def _bind_params(
    fwd: Callable[..., float], rule: Rule, params: tuple[Any, ...]
) -> tuple[Callable[..., float], Rule]:
    """Forward and partials with ``params`` appended to every call."""
    if len(params) == 1:
        (p,) = params  # the common case (x ** 3, leaky_relu): no *args packing on the hot path

        def forward1(*xs: float) -> float:
            return fwd(*xs, p)

        def partials1(out: Any, *xs: Any) -> tuple[Any, ...]:
            return rule(out, *xs, p)

        return forward1, partials1

    def forward(*xs: float) -> float:
        return fwd(*xs, *params)

    def partials(out: Any, *xs: Any) -> tuple[Any, ...]:
        return rule(out, *xs, *params)

    return forward, partials


def _short(value: Any) -> str:
    """A parameter in a message: a number as its repr, a long tuple of data cut short."""
    if isinstance(value, tuple) and len(value) > 4:
        return f"({', '.join(map(repr, value[:3]))}, ... {len(value)} numbers)"
    return repr(value)


def _no_engine(op: Op, args: Sequence[Any]) -> Any:
    raise RuntimeError("autograd_core.engine is not loaded")  # pragma: no cover


# How an op is applied to its arguments: ``engine.apply``, set by the engine when it loads
# (the engine imports this module, so this module cannot import the engine).
_apply: Callable[[Op, Sequence[Any]], Any] = _no_engine
_new = object.__new__


def set_applier(apply: Callable[[Op, Sequence[Any]], Any]) -> None:
    """Called once by ``autograd_core.engine``: how ``op(*args)`` builds a node.

    Example:
        >>> from autograd_core import engine, ops
        >>> ops._apply is engine.apply
        True
    """
    global _apply
    _apply = apply


_bound_ops: dict[tuple[Op, tuple[float, ...]], Op] = {}
_table: dict[str, Op] = {}
# The names of the table's own rows, set once they are all registered (end of this module):
# these cannot be replaced; a user's op can, by registering its name again.
_built_in: frozenset[str] = frozenset()
_MAX_ARITY = 64  # more inputs than this: arity=None (n-ary), as sum and dot
_MAX_SYMBOL = 32  # the pictures shorten labels to this length too
_ROW_FIELDS = frozenset(
    ("defaults", "doc", "example", "method", "function", "activation", "selects",
     "finite_partials")
)  # fmt: skip


def register_op(
    name: str,
    forward: Callable[..., float],
    partials: Rule | tuple[float, ...],
    arity: int | None = 1,
    symbol: str | None = None,
    params: Sequence[str] = (),
    argnames: Sequence[str] | None = None,
    **row: Any,
) -> Op:
    """Declare a new differentiable operation and add it to the table.

    The returned :class:`Op` is callable on floats and on ``Value`` objects, and it is checked
    by the test-suite's finite-difference property like every built-in op.

    Registering the name of one of your own ops again replaces it (a notebook cell run
    twice just works; nodes made before keep the op they were made with); the built-in
    names (``mul``, ``tanh``, ...) cannot be replaced.

    Everything is checked here, naming the op: ``arity``, ``symbol``, ``params``,
    ``argnames`` and the other fields; and at each use, the rule's result (one derivative per
    input, also when it is fed Values for higher order) and the forward's (NaN is refused as
    NaN, with the inputs that gave it).

    Args:
        name: Unique name of the op (printable text).
        forward: Float function computing the output.
        partials: ``partials(out, *inputs)`` returning ``∂out/∂input`` for every input, written
            with ``+ - * / **`` and ``autograd_core.ops`` helpers so it also works on Values;
            or a tuple of numbers when they are constants (``(1.0, -1.0)`` for ``a - b``).
        arity: Number of inputs, an int from 1 to 64; ``None`` for any number (as ``sum``).
        symbol: Text shown in graph pictures (printable, at most 32 characters).
        params: Names of hyper-parameters, a tuple of identifiers such as ``("slope",)``; use
            ``op.bind(value)`` to fix them.
        argnames: Names of the inputs for error messages, one per input.
        **row: The other fields of :class:`Op` (``defaults``, ``doc``, ...). ``method``,
            ``function`` and ``activation`` take effect for the built-in rows only, which
            exist before the engine, ``ag`` and ``nn`` read the table.

    Returns:
        The new op.

    Raises:
        TypeError: A field of the wrong type (``arity="1"``, ``symbol=12345``), naming the op.
        ValueError: A field out of range, or the name of a built-in op.

    Example:
        >>> import autograd_core as ag
        >>> from autograd_core.ops import register_op
        >>> cube = register_op("doc_cube", lambda x: x**3, lambda out, x: (3 * x * x,))
        >>> y = cube(ag.Value(2.0))
        >>> y.backward()
        >>> y.data, y.parents[0].grad
        (8.0, 12.0)
    """
    if not isinstance(name, str) or not name.strip() or not name.isprintable():
        raise TypeError(f"register_op: name must be a non-empty printable string, got {name!r}")
    if name in _built_in:
        raise ValueError(
            f"register_op: {name!r} is a built-in op and cannot be replaced; give your op "
            "another name"
        )
    where = f"register_op({name!r})"
    if not callable(forward) or not (callable(partials) or isinstance(partials, tuple)):
        raise TypeError(
            f"{where}: forward must be callable and partials callable or a "
            f"tuple of constants, got {forward!r} and {partials!r}"
        )
    arity = _checked_arity(arity, where)
    params = _checked_names(params, "params", where, None)
    argnames = None if argnames is None else _checked_names(argnames, "argnames", where, arity)
    _check_symbol(symbol, where)
    unknown = sorted(set(row) - _ROW_FIELDS)
    if unknown:
        raise TypeError(f"{where}: unknown field(s) {', '.join(map(repr, unknown))}")
    if len(row.get("defaults", ())) > len(params):
        raise ValueError(f"{where}: more defaults than params {params!r}")
    if _built_in:  # a user's op: its forward and rule checked at each use, naming it
        forward = _checked_forward(name, forward)
        if not isinstance(partials, tuple):
            partials = _checked_rule(name, partials, len(params))
    op = Op(name, forward, partials, arity, symbol, params, argnames, **row)
    _table[name] = op  # replaces a user's op of that name (a notebook cell run again)
    return op


def _checked_arity(arity: Any, where: str) -> int | None:
    """``arity`` as an int from 1 to _MAX_ARITY, or None (any number of inputs)."""
    if arity is None:
        return None
    if isinstance(arity, bool) or not isinstance(arity, numbers.Integral):
        raise TypeError(
            f"{where}: arity must be an int (or None for any number of inputs), got "
            f"{type(arity).__name__} {arity!r}"
        )
    count = int(arity)
    if not 1 <= count <= _MAX_ARITY:
        raise ValueError(
            f"{where}: arity must be from 1 to {_MAX_ARITY} (None for any number of "
            f"inputs), got {arity!r}"
        )
    return count


def _checked_names(names: Any, what: str, where: str, count: int | None) -> tuple[str, ...]:
    """``params`` or ``argnames``: a sequence (not a lone string) of distinct identifiers."""
    if isinstance(names, str) or not isinstance(names, (tuple, list)):
        raise TypeError(
            f"{where}: {what} must be a tuple of names such as ('slope',), got {names!r}"
        )
    for n in names:
        if not isinstance(n, str) or not n.isidentifier():
            raise TypeError(f"{where}: each of {what} must be a name (identifier), got {n!r}")
    if len(set(names)) != len(names):
        raise ValueError(f"{where}: {what} has a name twice: {tuple(names)!r}")
    if count is not None and len(names) != count:
        raise ValueError(f"{where}: {what} needs one name per input ({count}), got {names!r}")
    return tuple(names)


def _check_symbol(symbol: Any, where: str) -> None:
    """``symbol``: None, or printable text of 1 to _MAX_SYMBOL characters."""
    if symbol is None:
        return
    if not isinstance(symbol, str):
        raise TypeError(
            f"{where}: symbol must be a str (the text the pictures write), got "
            f"{type(symbol).__name__} {symbol!r}"
        )
    if not symbol.strip() or not symbol.isprintable() or len(symbol) > _MAX_SYMBOL:
        raise ValueError(
            f"{where}: symbol must be printable text of 1 to {_MAX_SYMBOL} characters, "
            f"got {symbol!r}"
        )


def _checked_forward(name: str, forward: Callable[..., float]) -> Callable[..., float]:
    """A user's forward that says so when it returns NaN. The engine adds the op's name and
    the inputs (``myop: forward returned NaN (not a number); got x=1.0 (Value 'x')``)."""

    def checked(*args: Any) -> float:
        out = forward(*args)
        if isinstance(out, float) and out != out:
            raise ValueError("forward returned NaN (not a number)")
        return out

    return checked


def _checked_rule(name: str, rule: Rule, n_params: int) -> Rule:
    """A user's partials rule whose result is checked when it is fed Values (gradients of
    gradients, where a number or None ended in "'float' object is not iterable"): one
    derivative per input, named by the op when it is not. Fed floats, the engine checks it
    (``layout.checked_partials``)."""

    def checked(out: Any, *args: Any) -> tuple[Any, ...]:
        result = rule(out, *args)
        if type(out) is float:
            return result
        inputs = len(args) - n_params
        if type(result) is not tuple:
            if not isinstance(result, (tuple, list)):
                raise TypeError(
                    f"{name}: the partials rule must return a tuple of {inputs} derivative(s), "
                    f"got {type(result).__name__} {_short(result)}"
                )
            result = tuple(result)
        if len(result) != inputs:
            raise ValueError(
                f"{name}: partials rule returned {len(result)} value(s) for {inputs} input(s)"
            )
        return result

    return checked


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
exp = _dispatch("exp", math.exp)
sqrt = _dispatch("sqrt", math.sqrt)


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


def _pow_const(x: float, c: float) -> float:
    if c == 0.5 and x == 0.0:
        return x  # PyTorch computes x ** 0.5 as sqrt(x), which keeps the sign of a zero
    return _pow(x, c)


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


def _power(x: Any, y: Any) -> Any:
    """``x ** y`` in a partials rule: for floats, an overflow is the infinity it stands for
    (``1e-200 ** -2``), as in PyTorch; Values raise their own clear error."""
    try:
        return x**y
    except OverflowError:
        odd = data(y) == math.floor(data(y)) and data(y) % 2 == 1
        return -_INF if data(x) < 0.0 and odd else _INF


def _pole(x: float, e: float) -> float:
    """IEEE ``pow(±0, e)`` for e < 0: inf, or −inf at −0.0 when e is an odd integer."""
    odd = e == math.floor(e) and e % 2 == 1
    return math.copysign(_INF, x) if odd else _INF


def _pow_base_partial(x: Any, y: Any) -> Any:
    """∂(x**y)/∂x = y·x**(y−1), with PyTorch's values at the edges."""
    xd, yd = data(x), data(y)
    if yd == 0.0:
        return 0.0  # x**0 is constant: ∂/∂x = 0 even at x = 0
    if xd == 0.0 and yd < 1.0 and isinstance(x, float):
        # the slope of x**0.5 at 0, as in PyTorch: y·pow(x, y − 1), with IEEE's pole
        # (y − 1 rounds to −1 for a tiny y, so −inf at −0.0). (Fed Values, the formula below
        # makes the same number as a node: see engine/ieee.py.)
        return yd * _pole(xd, yd - 1.0)
    return y * _power(x, y - 1.0)


def _pow_partials(out: Any, x: Any, y: Any) -> tuple[Any, Any]:
    xd = data(x)
    if xd > 0.0:
        dy = out * log(x)
    elif xd == 0.0:
        dy = 0.0  # ∂(0**y)/∂y = 0 for y >= 0 (y < 0 never gets here: the forward raises)
    else:
        # A negative base has a value only for an integer exponent, and no derivative with
        # respect to it (x**y is not real nearby). Recorded as NaN, PyTorch's answer: it is
        # harmless unless a gradient flows to the exponent (backward then warns, and
        # detect_anomaly names this node). Fed Values (a gradient graph), out·log(x) is a
        # NaN node, so that the next order is NaN too, as in PyTorch.
        dy = math.nan if isinstance(x, float) else out * log(x)
    return (_pow_base_partial(x, y), dy)


def _pow_const_partials(out: Any, x: Any, c: float) -> tuple[Any]:
    # The exponent is a plain float here, so the edge cases need only x's data.
    if c == 0.0:
        return (0.0,)
    if c < 1.0 and data(x) == 0.0 and isinstance(x, float):
        # c·pow(x, c − 1) with IEEE's pole. PyTorch computes x**0.5's slope as 0.5·rsqrt(x),
        # whose infinity at −0.0 is negative (engine/ieee.py gives x**−0.5 the same value, so
        # that fed Values, the formula below agrees)
        return (math.copysign(_INF, data(x)) if c == 0.5 else c * _pole(data(x), c - 1.0),)
    return (c * _power(x, c - 1.0),)


def _sqrt_partials(out: Any, x: Any) -> tuple[Any]:
    # 1 / (2·sqrt(x)); infinite at 0 like PyTorch (−inf at −0.0, as its 1/(2·out)), instead
    # of a ZeroDivisionError. Fed Values (a gradient graph, where 0.5 / out may be infinite:
    # see engine/ieee.py), the formula itself, so that the next order sees its slope.
    if data(out) != 0.0 or not isinstance(out, float):
        return (0.5 / out,)
    return (math.copysign(_INF, data(out)),)


def _tanh_slope(out: Any, x: Any) -> Any:
    """tanh′(x) = 1 − tanh²(x). For a float, as 1/cosh²(x), which is correctly rounded where
    1 − out·out loses the last bits (micrograd's neuron: 0.4999999999999999 where the exact
    slope is 0.49999999999999990558..., against 0.4999999999999998). Where tanh(x) rounds to
    ±1 (|x| > 19) the slope is (1 − out)(1 + out), 0 like PyTorch's. Fed Values: 1 − out²."""
    if type(x) is not float:
        return 1.0 - out * out
    if abs(x) > 19.0:
        return (1.0 - out) * (1.0 + out)
    c = math.cosh(x)
    return 1.0 / (c * c)


def _abs_partials(out: Any, x: Any) -> tuple[float]:
    xd = data(x)
    return (1.0 if xd > 0.0 else -1.0 if xd < 0.0 else 0.0,)


def _leaky_relu_partials(out: Any, x: Any, slope: float) -> tuple[float]:
    return (1.0 if data(x) > 0.0 else slope,)


_ONE = (1.0,)
_ZERO = (0.0,)


def _sum_forward(*xs: float) -> float:
    # Added from −0.0, the identity of IEEE addition (0.0 is not: 0.0 + −0.0 is 0.0), so the
    # total is a + b + c bit for bit, the sign of a zero too, as PyTorch's chain of additions.
    return sum(xs, -0.0) if xs else 0.0


def _sum_partials(out: Any, *xs: Any) -> tuple[float, ...]:
    return _ONE * len(xs)


def _dot_forward(*operands: float) -> float:
    # operands = w1..wn, x1..xn[, bias]; an odd count means a bias is present. The sum starts
    # at the bias and adds w_i·x_i left to right, exactly like micrograd's neuron
    # `sum((wi * xi for wi, xi in zip(w, x)), b)`. (The two halves may be swapped: a product
    # of two floats does not depend on their order.)
    n = len(operands) // 2
    bias = operands[2 * n] if len(operands) % 2 else -0.0  # (−0.0: see _sum_forward)
    return sum(map(operator.mul, operands[:n], operands[n : 2 * n]), bias)


def _dot_partials(out: Any, *operands: Any) -> tuple[Any, ...]:
    n = len(operands) // 2
    ws, xs = operands[:n], operands[n : 2 * n]
    return xs + ws + (_ONE if len(operands) % 2 else ())


def _affine_forward(*operands: Any) -> float:
    # operands = w1..wn[, b], then the bound parameters: the constants c1..cn and the bias
    # (None when the bias is the last input). Same order of additions as dot.
    *weights, constants, bias = operands
    if bias is None:
        bias = weights.pop()
    total: float = sum(map(operator.mul, weights, constants), bias)
    return total


def _affine_partials(out: Any, *operands: Any) -> tuple[Any, ...]:
    constants: tuple[Any, ...] = operands[-2]
    return constants if operands[-1] is not None else constants + _ONE


def _check_class_index(target: Any, classes: int) -> None:
    if type(target) is not int or not 0 <= target < classes:
        raise ValueError(f"target must be a class index in 0..{classes - 1}, got {target!r}")


def _added(terms: Sequence[Any]) -> Any:
    """``t0 + t1 + ...`` left to right, for floats or Values (0.0 when there are none)."""
    if not terms or type(terms[0]) is float:
        return sum(terms, 0.0)  # the same additions as the loop below, in C
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total


def _cross_entropy_forward(*operands: Any) -> float:
    # operands = z1..zK, then the bound target class t: log Σ exp(zⱼ − m) − (z_t − m), with m
    # the largest logit z_k, so no exponent is positive and nothing overflows. The sum is
    # 1 + (the others), and log1p of the others keeps the digits that log(1 + ...) would lose
    # when the model is confident (the loss of [40, −3] is 2e-19, not 0).
    *logits, target = operands
    _check_class_index(target, len(logits))
    m = max(logits)
    k = logits.index(m)
    shifted = [z - m for z in logits]
    others = sum(map(math.exp, shifted[:k] + shifted[k + 1 :]), 0.0)
    loss: float = math.log1p(others) - shifted[target]
    return loss


def _cross_entropy_partials(out: Any, *operands: Any) -> tuple[Any, ...]:
    # softmax(z) − onehot(t). The target's entry is written −(Σ_{j≠t} pⱼ) rather than p_t − 1,
    # which would cancel to a few digits when the model is confident (p_t near 1).
    *logits, target = operands
    m = max(map(data, logits))  # a constant: the result does not depend on it
    exps = [exp(z - m) for z in logits]
    total = _added(exps)
    slopes = [e / total for e in exps]
    slopes[target] = -_added(exps[:target] + exps[target + 1 :]) / total
    return tuple(slopes)


# ---------------------------------------------------------------------------------------------
# The table. One row per op; everything else (Value's methods, ag's functions, the formula
# language, nn's activations, the pictures, the gradient tests) is read off these rows.

ADD = register_op("add", operator.add, (1.0, 1.0), arity=2, symbol="+")
SUB = register_op("sub", operator.sub, (1.0, -1.0), arity=2, symbol="−")
MUL = register_op(
    "mul", operator.mul, lambda out, a, b: (b, a), arity=2, symbol="×", finite_partials=True
)
DIV = register_op("div", _div, lambda out, a, b: (1.0 / b, -out / b), arity=2, symbol="÷")
NEG = register_op("neg", operator.neg, (-1.0,), symbol="−")
POW = register_op(
    "pow", _pow, _pow_partials, arity=2, symbol="**", argnames=("base", "exponent"),
    selects=lambda x, y: (y == 0.0, False),
)  # fmt: skip
POW_CONST = register_op(
    "pow_const", _pow_const, _pow_const_partials, symbol="**", params=("exponent",),
    argnames=("base",), selects=lambda x, c: (c == 0.0,),
)  # fmt: skip
ABS = register_op(
    "abs", _abs, _abs_partials, symbol="abs", method=True, function=True, finite_partials=True,
    doc="|x|; its derivative at 0 is 0, as in PyTorch.", example=("-2.5", "2.5"),
)  # fmt: skip
EXP = register_op(
    "exp", _exp, lambda out, x: (out,), method=True, function=True, finite_partials=True,
    doc="e ** x; ``OverflowError`` above x = 709.78.", example=("0.0", "1.0"),
)  # fmt: skip
LOG = register_op(
    "log", _log, lambda out, x: (1.0 / x,), method=True, function=True,
    doc="Natural logarithm; ``ValueError`` for x <= 0.", example=("1.0", "0.0"),
)  # fmt: skip
SQRT = register_op(
    "sqrt", _sqrt, _sqrt_partials, symbol="√", method=True, function=True,
    doc="Square root; ``ValueError`` for x < 0.", example=("9.0", "3.0"),
)  # fmt: skip
RELU = register_op(
    "relu", _relu, lambda out, x: _ONE if data(x) > 0.0 else _ZERO, method=True,
    function=True, activation=True, example=("-2.0", "0.0"), selects=lambda x: (x <= 0.0,),
    doc="max(0, x); its derivative at 0 is 0, as in PyTorch.",
    finite_partials=True,
)  # fmt: skip
TANH = register_op(
    "tanh", math.tanh, lambda out, x: (_tanh_slope(out, x),), method=True, function=True,
    activation=True, doc="Hyperbolic tangent.", example=("0.0", "0.0"),
    finite_partials=True,
)  # fmt: skip
SIGMOID = register_op(
    "sigmoid", _sigmoid, lambda out, x: (out * (1.0 - out),), symbol="σ", method=True,
    function=True, activation=True, example=("0.0", "0.5"),
    doc="Logistic function 1 / (1 + e**-x), computed without overflow for any finite x.",
    finite_partials=True,
)  # fmt: skip
LEAKY_RELU = register_op(
    "leaky_relu", _leaky_relu, _leaky_relu_partials, params=("negative_slope",),
    defaults=(0.01,), method=True, function=True, activation=True, example=("-2.0", "-0.02"),
    doc="x for x > 0, ``negative_slope * x`` otherwise (slope 0.01 unless given).",
    finite_partials=True,
)  # fmt: skip
SIN = register_op(
    "sin", math.sin, lambda out, x: (cos(x),), method=True, function=True, finite_partials=True,
    doc="Sine (radians).", example=("0.0", "0.0"),
)  # fmt: skip
COS = register_op(
    "cos", math.cos, lambda out, x: (-sin(x),), method=True, function=True, finite_partials=True,
    doc="Cosine (radians).", example=("0.0", "1.0"),
)  # fmt: skip
SUM = register_op("sum", _sum_forward, _sum_partials, arity=None, symbol="Σ", finite_partials=True)
DOT = register_op(
    "dot", _dot_forward, _dot_partials, arity=None, symbol="Σ w·x + b", finite_partials=True
)
AFFINE = register_op(
    "affine", _affine_forward, _affine_partials, arity=None, symbol="Σ w·x + b",
    params=("constants", "bias"), finite_partials=True,
)  # fmt: skip
"""``b + Σ wᵢ·cᵢ`` with Value weights (and bias) and constants ``cᵢ`` bound as parameters: the
first layer of a network, whose inputs are data, not nodes."""
CROSS_ENTROPY = register_op(
    "cross_entropy", _cross_entropy_forward, _cross_entropy_partials, arity=None, symbol="CE",
    params=("target",), finite_partials=True,
)  # fmt: skip
"""``−log softmax(z)[target]`` of logits ``z₁..z_K`` as one node, its target class bound:
``losses.cross_entropy`` builds one per sample. Its partials are ``softmax(z) − onehot``."""

_built_in = frozenset(_table)  # the rows above: register_op refuses to replace them


def methods() -> list[Op]:
    """The rows that are methods of ``Value`` (``x.tanh()``).

    Example:
        >>> from autograd_core.ops import methods
        >>> [op.name for op in methods()][:3]
        ['abs', 'exp', 'log']
    """
    return [op for op in _table.values() if op.method]


def functions() -> list[Op]:
    """The rows that are functions of ``ag`` and of the formula language (``ag.tanh``).

    Example:
        >>> from autograd_core.ops import functions
        >>> "sigmoid" in [op.name for op in functions()]
        True
    """
    return [op for op in _table.values() if op.function]


def activations() -> list[Op]:
    """The rows ``nn`` accepts as activations.

    Example:
        >>> from autograd_core.ops import activations
        >>> [op.name for op in activations()]
        ['relu', 'tanh', 'sigmoid', 'leaky_relu']
    """
    return [op for op in _table.values() if op.activation]
