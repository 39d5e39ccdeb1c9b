"""Node layout: where a node keeps its parents and their local derivatives.

A node's *meaning* is ``op``, ``parents`` and ``partials`` (see ``reference.py``): every node
satisfies ``node.data == node.op.forward(*(p.data for p in node.parents), *node.op.params)``,
and ``partials[i]`` is ∂node/∂parents[i]. ``parents`` and ``partials`` are properties of
``Value``; this module says how they are stored, in four slots, so that an operator's node is
one object for the cyclic garbage collector instead of three (a node, a tuple of parents, a
tuple of partials). In a program built from operators (micrograd's demo) the collector's scans
were two thirds of the forward pass before this layout.

=================  ===========  ==========  ===========  ====================================
kind of node       ``_a``       ``_b``      ``_da``      ``_db``
=================  ===========  ==========  ===========  ====================================
two parents        parent 0     parent 1    ∂/∂parent 0  ∂/∂parent 1
one parent         the parent   SINGLE      ∂/∂parent    SINGLE
leaf               ()           None        ()           () (EMPTY), CONSTANT (a number an
                                                         op was given), NO_GRAPH (no_grad)
any other node     parents      None        partials     the parents (checked), UNCHECKED, or
                                                         the layer's Block
=================  ===========  ==========  ===========  ====================================

Nodes of one or two parents in slots always have finite local derivatives: :func:`node` keeps a
node with an infinite or NaN one in tuples, marked UNCHECKED, so the fast walk (``walk.py``)
reads ``_b`` alone to know it need not look. Only ``walk.py`` and ``blocks.py`` read these
slots; everything else, the reference engine first, reads ``parents`` and ``partials``.

Numbers among an op's operands never vanish into a node's value: they become constant leaves
(``x * 2.0``) or bound parameters of the op (the exponent of ``x ** 3``, the inputs of a first
layer). Under ``no_grad`` the result is a plain leaf (no op, no parents).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from autograd_core.engine.mode import grad_enabled, non_finite_allowed
from autograd_core.ops import Op

if TYPE_CHECKING:
    from autograd_core.engine.value import Value

__all__ = [
    "EMPTY",
    "CONSTANT",
    "NO_GRAPH",
    "UNCHECKED",
    "SINGLE",
    "node",
    "leaf",
    "is_constant",
    "finite_partials",
    "is_finite",
    "lift",
    "lift_number",
    "as_float",
    "domain_error",
    "describe_operands",
    "checked_output",
    "checked_partials",
    "data",
]

_new = object.__new__
EMPTY: tuple[()] = ()


class _NoGraph(tuple):  # type: ignore[type-arg]
    """The ``_db`` of a result made under ``no_grad``: a leaf that ``backward`` refuses."""

    __slots__ = ()


NO_GRAPH: tuple[()] = _NoGraph()


class _Constant(tuple):  # type: ignore[type-arg]
    """The ``_db`` of a constant leaf: a number an operation was given (the ``2.0`` of
    ``x * 2.0``), as opposed to a leaf the user made (an input or a parameter)."""

    __slots__ = ()


CONSTANT: tuple[()] = _Constant()


class _Unchecked(tuple):  # type: ignore[type-arg]
    """The ``_db`` of a node in tuples whose local derivatives the backward walk has not seen
    finite yet (``ag.sum``, ``ag.dot``, a node with an infinite one such as ``sqrt`` at 0):
    the walk looks at them (``walk.inner_parents``), again each pass while one is not."""

    __slots__ = ()


UNCHECKED: tuple[()] = _Unchecked()


class _Single:
    """The ``_b`` (and ``_db``) of a node of one parent (see ``Value``): there is no second."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "SINGLE"


SINGLE: Any = _Single()
# The Value class, set by the engine when it has made it (this module cannot import it).
VALUE: type[Value] = None  # type: ignore[assignment]


def node(cls: type[Value], op: Op, out: float, parents: tuple[Any, ...], partials: Any) -> Value:
    """A new node of value ``out`` made by ``op`` from ``parents``, or a leaf under no_grad.

    ``partials`` are the local derivatives ∂out/∂parent, one per parent, in the same order.

    Example:
        >>> import autograd_core as ag
        >>> from autograd_core import ops
        >>> from autograd_core.engine import layout
        >>> a, b = ag.Value(2.0), ag.Value(5.0)
        >>> n = layout.node(ag.Value, ops.MUL, 10.0, (a, b), (5.0, 2.0))
        >>> n.op.name, n.data, n.partials
        ('mul', 10.0, (5.0, 2.0))
    """
    n: Value = _new(_PLAIN.get(cls) or plain_class(cls))
    n.data = out
    n.grad = 0.0
    n.label = ""
    if not grad_enabled():
        n.op = None
        n._a = n._da = EMPTY
        n._b = None
        n._db = NO_GRAPH
        return n
    n.op = op
    if 0 < len(parents) <= 2 and finite_partials(partials):  # in slots (see Value)
        if len(parents) == 2:
            n._a, n._b = parents
            n._da, n._db = partials
        else:
            (n._a,) = parents
            (n._da,) = partials
            n._b = n._db = SINGLE
    else:  # in tuples, unchecked: the backward walk looks at them (walk.inner_parents)
        n._a = parents
        n._b = None
        n._da = partials
        n._db = UNCHECKED
    return n


def finite_partials(partials: Any) -> bool:
    """Whether every local derivative is a finite number.

    Example:
        >>> from autograd_core.engine.layout import finite_partials
        >>> finite_partials((1.0, -2.5)), finite_partials((1.0, float("inf")))
        (True, False)
    """
    try:
        total = sum(partials)
        if not total - total:
            return True
    except TypeError:  # a rule that returned something else than numbers
        pass
    # inf or nan, or a sum of finite numbers that overflowed: look at each
    return all(map(is_finite, partials))


def set_node_allocator(new: Callable[[type[Value]], Value]) -> None:
    """How nodes are allocated: ``object.__new__``, or anomaly mode's recording version.

    Sets ``_new`` in every module that allocates nodes (they keep it as a global, not as an
    attribute to look up per node).

    Example:
        >>> from autograd_core.engine import layout
        >>> layout._new is object.__new__
        True
    """
    for namespace in ALLOCATING:
        namespace["_new"] = new


# the globals of the modules that allocate nodes with ``_new`` (operators, blocks add theirs)
ALLOCATING: list[dict[str, Any]] = [globals()]


def is_finite(x: Any) -> bool:
    """Whether a number (or a Value's data) is finite.

    Example:
        >>> from autograd_core.engine.layout import is_finite
        >>> is_finite(1.0), is_finite(float("nan"))
        (True, False)
    """
    x = getattr(x, "data", x)
    try:
        return math.isfinite(x)
    except TypeError:
        return False


def leaf(cls: type[Value], x: float) -> Value:
    """A new constant leaf holding ``x``: a number an operation was given, unlabelled."""
    n: Value = _new(_PLAIN.get(cls) or plain_class(cls))
    n.data = x
    n.grad = 0.0
    n.label = ""
    n.op = None
    n._a = n._da = EMPTY
    n._db = CONSTANT
    n._b = None
    return n


def is_constant(node: Value) -> bool:
    """Whether ``node`` is a constant leaf (made from a number an operation was given), not a
    leaf the user made.

    Example:
        >>> import autograd_core as ag
        >>> from autograd_core.engine.layout import is_constant
        >>> x = ag.Value(3.0)
        >>> y = x * 2.0
        >>> is_constant(y.parents[1]), is_constant(x), is_constant(y)
        (True, False, False)
    """
    return node.op is None and node._db is CONSTANT


def lift(cls: type[Value], x: Any) -> Value | None:
    """An operand as a Value: itself, a new constant leaf for a real number, else None."""
    if type(x) is float and not x - x:  # the common case: a finite float constant
        n = _new(cls)  # leaf(), inline: one call fewer per constant operand
        n.data = x
        n.grad = 0.0
        n.label = ""
        n.op = None
        n._a = n._da = EMPTY
        n._db = CONSTANT
        n._b = None
        return n
    if isinstance(x, cls):
        return x
    f = lift_number(x)
    return None if f is None else leaf(cls, f)


def lift_number(x: Any) -> float | None:
    """A finite float for a real number operand, None for anything else (-> NotImplemented)."""
    if type(x) is float:
        f = x
    elif type(x) is not int and (isinstance(x, bool) or not isinstance(x, numbers.Real)):
        return None  # (an int, 1 + x, is told apart first: the Real check is an ABC's, slow)
    else:
        try:
            f = float(x)
        except OverflowError:
            raise OverflowError(f"the number {x!r} is too large for a float") from None
    # x - x is 0.0 for a finite float and nan for inf or nan: one subtraction instead of a
    # call to math.isfinite, on every constant operand.
    if f - f and not non_finite_allowed():  # (a gradient graph may hold inf: see ieee.py)
        raise ValueError(f"operands must be finite real numbers, got {f!r}")
    return f


def as_float(x: Any, where: str) -> float:
    """A user-supplied number checked: real, not bool, finite."""
    if type(x) is float:
        if x - x:  # inf or nan
            raise ValueError(f"{where}: expected a finite real number, got {x!r}")
        return x
    if hasattr(x, "partials") and not isinstance(x, type):
        raise TypeError(f"{where}: expected a number, got a Value (use its .data)")
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{where}: expected a real number, got {type(x).__name__} {x!r}")
    try:
        f = float(x)
    except OverflowError:
        raise OverflowError(f"{where}: {x!r} is too large for a float") from None
    if not math.isfinite(f):
        raise ValueError(f"{where}: expected a finite real number, got {f!r}")
    return f


# -- errors ------------------------------------------------------------------------------------


def domain_error(op: Op, args: Sequence[Any], exc: BaseException) -> BaseException:
    """A forward or partials failure, restated with the op, the operands and their labels."""
    reason = str(exc) or type(exc).__name__
    cls = type(exc) if type(exc) in (ValueError, ZeroDivisionError, OverflowError) else ValueError
    return cls(f"{op.describe()}: {reason}; got {describe_operands(op, args)}")


def describe_operands(op: Op, args: Sequence[Any]) -> str:
    """``x=0.0 (Value 'x')``: an op's operands named, for messages (the first six).

    Example:
        >>> import autograd_core as ag
        >>> from autograd_core import ops
        >>> from autograd_core.engine import layout
        >>> layout.describe_operands(ops.MUL, [ag.Value(2.0, label="w"), 3.0])
        "a=2.0 (Value 'w'), b=3.0"
    """
    names = op.argnames if len(op.argnames) == len(args) else [f"x{i}" for i in range(len(args))]
    shown = ", ".join(_describe(n, a) for n, a in list(zip(names, args))[:6])
    if len(args) > 6:
        shown += f", ... ({len(args)} inputs)"
    return shown


def _describe(name: str, x: Any) -> str:
    if hasattr(x, "partials"):
        label = f" (Value {x.label!r})" if x.label else ""
        return f"{name}={x.data!r}{label}"
    return f"{name}={x!r}"


# -- what a node may hold ---------------------------------------------------------------------


def checked_output(op: Op, out: Any) -> float:
    """A forward's result as a finite float; a registered op's forward is checked like the
    table's (a complex number, a bool or a huge int is refused, naming the op)."""
    if type(out) is not float:
        if isinstance(out, bool) or not isinstance(out, numbers.Real):
            raise TypeError(
                f"{op.name}: forward must return a real number, got {type(out).__name__} {out!r}"
            )
        try:
            out = float(out)
        except OverflowError:
            raise OverflowError("the result is too large for a float") from None
    if out - out:  # inf or nan: the forward overflowed
        raise OverflowError("the result is too large for a float")
    result: float = out
    return result


def _checked_partial(op: Op, p: Any) -> float:
    """A partials rule's number as a float (NaN allowed: an undefined derivative)."""
    if isinstance(p, bool) or not isinstance(p, numbers.Real):
        raise TypeError(
            f"{op.name}: the partials rule must return real numbers, got {type(p).__name__} {p!r}"
        )
    try:
        return float(p)
    except OverflowError:
        return math.copysign(math.inf, p)


def checked_partials(op: Op, partials: Any, inputs: int) -> tuple[float, ...]:
    """A partials rule's result checked: a tuple of one real number per input, as floats.

    Example:
        >>> from autograd_core import ops
        >>> from autograd_core.engine.layout import checked_partials
        >>> checked_partials(ops.MUL, (3, 2.0), 2)
        (3.0, 2.0)
    """
    if not isinstance(partials, (tuple, list)):
        raise TypeError(
            f"{op.name}: the partials rule must return a tuple of {inputs} number(s), got "
            f"{type(partials).__name__} {partials!r}"
        )
    if len(partials) != inputs:
        raise ValueError(
            f"{op.name}: partials rule returned {len(partials)} value(s) for {inputs} input(s)"
        )
    return tuple(_checked_partial(op, p) for p in partials)


def real_number(x: Any, where: str) -> float:
    """A user-supplied real number as a float; unlike :func:`as_float`, inf and NaN pass (a
    hook may return a gradient that is not finite, as in PyTorch).

    Example:
        >>> from autograd_core.engine.layout import real_number
        >>> real_number(2, "hook"), real_number(float("nan"), "hook")
        (2.0, nan)
    """
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{where}: expected a real number, got {type(x).__name__} {x!r}")
    try:
        return float(x)
    except OverflowError:
        return math.copysign(math.inf, x)


def data(x: Any) -> float:
    """The number of a Value, or the number itself.

    Example:
        >>> import autograd_core as ag
        >>> from autograd_core.engine.layout import data
        >>> data(ag.Value(2.0)), data(3)
        (2.0, 3.0)
    """
    return x.data if isinstance(x, VALUE) else float(x)


# -- node classes ------------------------------------------------------------------------------
# A layer's nodes are of subclasses of Value (blocks.layer_classes); a node made from one is of
# its plain class.

_PLAIN: dict[type, type] = {}


def plain_class(cls: type[Value]) -> type[Value]:
    """The class for a new node made from a node of class ``cls`` (``type(x)``): a layer's node
    class (``blocks.layer_classes``), or a subclass of one, gives back its Value class.

    Example:
        >>> import autograd_core as ag
        >>> from autograd_core.engine import blocks, layout
        >>> layout.plain_class(blocks.layer_classes(ag.Value)[0]) is ag.Value
        True
    """
    plain = cls
    for klass in cls.__mro__:
        base = _LAYER_BASE.get(klass)
        if base is not None:
            plain = base
            break
    _PLAIN[cls] = plain
    return plain


# a layer's node class -> its plain class (filled by blocks.layer_classes)
_LAYER_BASE: dict[type, type] = {}


def no_graph_error(node: Value) -> RuntimeError:
    """The error of ``backward`` on a result made under ``no_grad``."""
    return RuntimeError(
        f"backward: {node!r} has no graph: it was computed under no_grad (or "
        "set_grad_enabled(False)), so there is nothing to differentiate. Compute it with "
        "gradients enabled, or start from a leaf you made with Value(...)."
    )
