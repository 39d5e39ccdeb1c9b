"""Operators: how ``a * b``, ``x.tanh()`` and ``op(*args)`` make their nodes.

Each follows the same recipe, :func:`apply` in full (``reference.apply`` is the same recipe with
no shortcut): lift numbers to constant leaves, compute the value with the row's ``forward``,
the local derivatives with its ``partials`` rule, and make the node (``layout.node``). A domain
error of the forward is restated with the op, the operands and their labels.

Same result as ``reference.apply``, faster because:

* ``__add__`` and ``__mul__``, most of the nodes of a program built from operators, are written
  out: the float arithmetic inline, the local derivatives without a rule call (add's are the
  row's constants 1 and 1, mul's are the other operand), the node's slots filled in place of a
  call to ``layout.node`` (one Python call fewer per node is 11% fewer instructions for ``a * b``,
  counted with callgrind);
* every other one- and two-input row gets its method from :func:`binary_operator` or
  :func:`unary_method`, a closure over the row's forward, rule and constants, so that nothing is
  looked up or decided per call. A row whose local derivatives may be infinite (div, log, sqrt,
  pow, users' rows) hands its nodes to ``layout.node``, which checks them (see layout.py).

The tests hold every node to ``node.data == op.forward(...)`` and to ``reference.apply``.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from itertools import repeat
from typing import TYPE_CHECKING, Any

from autograd_core import ops
from autograd_core.engine import ieee, layout
from autograd_core.engine.layout import (
    EMPTY,
    SINGLE,
    checked_output,
    checked_partials,
    domain_error,
    lift,
    lift_number,
    node,
)
from autograd_core.engine.mode import grad_enabled
from autograd_core.ops import Op

if TYPE_CHECKING:
    from autograd_core.engine.value import Value

__all__ = [
    "add",
    "mul",
    "binary_operator",
    "unary_method",
    "apply",
    "apply_unary",
    "apply_binary",
    "as_value",
]

_new = object.__new__  # (anomaly mode swaps in its own: layout.set_node_allocator)
layout.ALLOCATING.append(globals())
_ADD, _MUL = ops.ADD, ops.MUL
_TOO_LARGE = "the result is too large for a float"
_data_of = operator.attrgetter("data")
_is = operator.is_


def add(self: Value, other: Any) -> Value:
    """``self + other``: the row ``add``, written out (see the module's docstring)."""
    cls = layout.VALUE
    if type(other) is not cls:
        other = lift(cls, other)
        if other is None:
            return NotImplemented  # type: ignore[no-any-return]
    out = self.data + other.data
    if out - out:  # inf or nan: the sum overflowed
        return failed(_ADD, (self, other), OverflowError(_TOO_LARGE))
    if not grad_enabled():
        return node(cls, _ADD, out, EMPTY, EMPTY)  # a leaf without a graph
    n = _new(cls)  # layout.node(), inline: two parents in slots
    n.data = out
    n.grad = 0.0
    n.label = ""
    n.op = _ADD
    n._a = self
    n._b = other
    n._da = 1.0  # ∂(a + b)/∂a
    n._db = 1.0  # ∂(a + b)/∂b
    return n


def mul(self: Value, other: Any) -> Value:
    """``self * other``: the row ``mul``, written out (see the module's docstring)."""
    cls = layout.VALUE
    if type(other) is not cls:
        other = lift(cls, other)
        if other is None:
            return NotImplemented  # type: ignore[no-any-return]
    x = self.data
    y = other.data
    out = x * y
    if out - out:  # inf or nan: the product overflowed
        return failed(_MUL, (self, other), OverflowError(_TOO_LARGE))
    if not grad_enabled():
        return node(cls, _MUL, out, EMPTY, EMPTY)
    n = _new(cls)
    n.data = out
    n.grad = 0.0
    n.label = ""
    n.op = _MUL
    n._a = self
    n._b = other
    n._da = y  # ∂(a·b)/∂a = b
    n._db = x  # ∂(a·b)/∂b = a
    return n


def failed(op: Op, operands: Sequence[Value], exc: BaseException) -> Value:
    """An operation whose value or derivative is not a finite number: an error naming the op
    and its operands, or, while a gradient graph is built or when an operand is already inf
    or NaN, the IEEE node (see ieee.py)."""
    if ieee.wanted(operands):
        return ieee.node(op, operands)
    raise domain_error(op, operands, exc) from None


def binary_operator(op: Op, reflected: bool = False) -> Callable[[Value, Any], Value]:
    """``__sub__`` (or ``__rsub__``, with ``reflected``) for a two-input row of the table.

    Example:
        >>> import autograd_core as ag
        >>> from autograd_core import ops
        >>> from autograd_core.engine.operators import binary_operator
        >>> rsub = binary_operator(ops.SUB, reflected=True)
        >>> rsub(ag.Value(2.0), 10.0).data  # 10 - 2
        8.0
    """
    forward, rule = op.forward, op.partials
    constants = op.constant_partials
    checked = not op.finite_partials  # its nodes go through layout.node, which checks them

    def method(self: Value, other: Any) -> Value:
        cls = layout.VALUE
        if type(other) is not cls:
            other = lift(cls, other)
            if other is None:
                return NotImplemented  # type: ignore[no-any-return]
        a, b = (other, self) if reflected else (self, other)
        x = a.data
        y = b.data
        try:
            out = forward(x, y)
            if out - out:  # inf or nan: the forward overflowed
                raise OverflowError(_TOO_LARGE)
            if not grad_enabled():
                return node(cls, op, out, EMPTY, EMPTY)
            da, db = constants or rule(out, x, y)
        except (ArithmeticError, ValueError) as exc:
            return failed(op, (a, b), exc)
        if checked:
            return node(cls, op, out, (a, b), (da, db))
        n = _new(cls)
        n.data = out
        n.grad = 0.0
        n.label = ""
        n.op = op
        n._a = a
        n._b = b
        n._da = da
        n._db = db
        return n

    method.__name__ = method.__qualname__ = f"__r{op.name}__" if reflected else f"__{op.name}__"
    return method


def unary_method(op: Op) -> Callable[..., Value]:
    """The method of a one-input row (``x.tanh()``, ``-x``); its parameters become keyword
    arguments with the row's defaults (``x.leaky_relu(negative_slope=0.01)``).

    Example:
        >>> import autograd_core as ag
        >>> from autograd_core import ops
        >>> from autograd_core.engine.operators import unary_method
        >>> unary_method(ops.TANH)(ag.Value(0.0)).partials
        (1.0,)
    """
    if op.param_names:
        return _parametrized_method(op)
    forward, rule = op.forward, op.partials
    constants = op.constant_partials
    checked = not op.finite_partials

    def method(self: Value) -> Value:
        cls = layout.VALUE
        x = self.data
        try:
            out = forward(x)
            if out - out:  # inf or nan: the forward overflowed
                raise OverflowError(_TOO_LARGE)
            if not grad_enabled():
                return node(cls, op, out, EMPTY, EMPTY)
            (da,) = constants or rule(out, x)
        except (ArithmeticError, ValueError) as exc:
            return failed(op, (self,), exc)
        if checked:
            return node(cls, op, out, (self,), (da,))
        n = _new(cls)
        n.data = out
        n.grad = 0.0
        n.label = ""
        n.op = op
        n._a = self  # one parent in slots (see layout.py)
        n._b = n._db = SINGLE
        n._da = da
        return n

    method.__name__ = method.__qualname__ = op.name
    method.__doc__ = method_doc(op)
    return method


def _parametrized_method(op: Op) -> Callable[..., Value]:
    names, defaults = op.param_names, op.defaults
    if len(defaults) != len(names):
        raise TypeError(f"{op.name}: a method needs a default for every parameter")

    def method(self: Value, *args: Any, **kwargs: Any) -> Value:
        params = _bind_arguments(op, args, kwargs)
        return apply_unary(op.bind(*params), self)

    method.__name__ = method.__qualname__ = op.name
    method.__doc__ = method_doc(op)
    return method


def _bind_arguments(op: Op, args: tuple[Any, ...], kwargs: dict[str, Any]) -> list[float]:
    """The op's parameters from a call's arguments, checked, defaults filled in."""
    names = op.param_names
    if len(args) > len(names):
        raise TypeError(f"{op.name}() takes {len(names)} parameter(s), got {len(args)}")
    values = dict(zip(names, op.defaults, strict=True))
    values.update(zip(names, args))
    for key, value in kwargs.items():
        if key not in values:
            raise TypeError(f"{op.name}() got an unexpected keyword argument {key!r}")
        if names.index(key) < len(args):
            raise TypeError(f"{op.name}() got two values for {key!r}")
        values[key] = value
    params = []
    for name in names:
        number = lift_number(values[name])
        if number is None:
            raise TypeError(f"{op.name}: {name} must be a real number, got {values[name]!r}")
        params.append(number)
    return params


def apply_unary(op: Op, a: Value) -> Value:
    """``op`` (a one-input op, possibly bound) applied to the Value ``a``."""
    x = a.data
    try:
        out = op.forward(x)
        if out - out:  # inf or nan: the forward overflowed
            raise OverflowError("the result is too large for a float")
        partials = op.partials(out, x) if grad_enabled() else None
    except (ArithmeticError, ValueError) as exc:
        return failed(op, (a,), exc)
    return node(type(a), op, out, (a,), partials)


def apply_binary(op: Op, a: Value, b: Value, cls: type[Value]) -> Value:
    """``op`` (a two-input op) applied to the Values ``a`` and ``b``: a node of class ``cls``.

    The plain form of what the methods of :func:`binary_operator` do.

    Example:
        >>> import autograd_core as ag
        >>> from autograd_core import ops
        >>> from autograd_core.engine.operators import apply_binary
        >>> apply_binary(ops.MUL, ag.Value(2.0), ag.Value(5.0), ag.Value).partials
        (5.0, 2.0)
    """
    x = a.data
    y = b.data
    try:
        out = op.forward(x, y)
        if out - out:  # inf or nan: the forward overflowed
            raise OverflowError("the result is too large for a float")
        partials = op.partials(out, x, y) if grad_enabled() else None
    except (ArithmeticError, ValueError) as exc:
        return failed(op, (a, b), exc)
    return node(cls, op, out, (a, b), partials)


def method_doc(op: Op) -> str:
    """The docstring of a generated method: the row's doc and an example."""
    doc = op.doc or f"The ``{op.name}`` op of the table."
    if op.example is None:
        return doc
    x, result = op.example
    return (
        f"{doc}\n\nExample:\n    >>> import autograd_core as ag\n"
        f"    >>> ag.Value({x}).{op.name}().data\n    {result}\n"
    )


def apply(op: Op, args: Sequence[Any]) -> Any:
    """``ag.engine.apply`` on the fast engine: ``reference.apply``'s recipe, with the usual
    case (every operand a Value) checked in C and the partials checked only when they are not
    already a tuple of floats.

    Example:
        >>> import autograd_core as ag
        >>> from autograd_core.engine import operators
        >>> operators.apply(ag.ops.SUM, (ag.Value(1.0), 2.0, ag.Value(3.0))).partials
        (1.0, 1.0, 1.0)
    """
    if op.arity is not None and len(args) != op.arity:
        raise TypeError(f"{op.name}: takes {op.arity} input(s), got {len(args)}")
    if args and all(map(isinstance, args, repeat(layout.VALUE))):  # the usual case, checked in C
        values = tuple(args)
    elif not any(isinstance(a, layout.VALUE) for a in args):
        floats = [layout.as_float(a, op.name) for a in args]
        try:
            out = checked_output(op, op.forward(*floats))
        except (ArithmeticError, ValueError) as exc:
            raise domain_error(op, floats, exc) from None
        return out
    else:
        values = tuple(as_value(a, op.name) for a in args)
    xs = list(map(_data_of, values))
    try:
        out = checked_output(op, op.forward(*xs))
        partials = op.partials(out, *xs) if grad_enabled() else EMPTY
    except (ArithmeticError, ValueError) as exc:
        return failed(op, values, exc)
    if (
        partials.__class__ is not tuple
        or not all(map(_is, map(type, partials), repeat(float)))
        or (len(partials) != len(values) and grad_enabled())
    ):
        partials = checked_partials(op, partials, len(values))
    return node(layout.VALUE, op, out, values, partials)


def as_value(x: Any, where: str = "as_value") -> Value:
    """``x`` itself if it is a Value, else a new constant leaf holding ``float(x)``.

    Example:
        >>> import autograd_core as ag
        >>> ag.engine.as_value(2)
        Value(data=2.0, grad=0.0)
    """
    if isinstance(x, layout.VALUE):
        return x
    return layout.leaf(layout.VALUE, layout.as_float(x, where))
