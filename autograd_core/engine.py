"""The engine: ``Value`` nodes, the graph they form, and the chain rule.

Every operation on Values creates a new node that remembers three things besides its number:

* ``parents`` -- the Values it was computed from, in operand order;
* ``partials`` -- for each parent, the local derivative ``∂node/∂parent``, computed right away
  from the op table (``ops.py``) while the inputs are at hand;
* ``op`` -- which row of the table made it.

``backward()`` is then the chain rule and nothing else. Walking the graph from the output back
to the inputs, each node hands its gradient to its parents, scaled by the local derivative::

    for node in reverse topological order:
        for parent, local in zip(node.parents, node.partials):
            parent.grad += local * node.grad

No node holds a closure or a reference to its consumers, so the graph has no reference cycles:
when the last reference to the output goes away, reference counting frees the whole graph at
once, and Python's cyclic garbage collector never has to look for it. (micrograd spends most of
its time in that collector.)

The walk is iterative, so a chain of a million nodes needs no deeper Python stack than a chain
of three.
"""

from __future__ import annotations

import contextvars
import functools
import gc
import numbers
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from autograd_core import ops
from autograd_core.ops import Op

__all__ = [
    "Value",
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "is_grad_enabled",
    "topological_order",
    "apply",
    "as_value",
]

F = TypeVar("F", bound=Callable[..., Any])

_GRAD_ENABLED: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "autograd_core_grad_enabled", default=True
)
_grad_enabled = _GRAD_ENABLED.get
_new = object.__new__
_gc_isenabled, _gc_disable, _gc_enable = gc.isenabled, gc.disable, gc.enable
_EMPTY: tuple[()] = ()
_pow_const_ops: dict[float, Op] = {}


def _binary_method(op: Op, reflected: bool = False) -> Callable[[Value, Any], Value]:
    """The operator method for a binary row of the op table (``__mul__``, ``__rsub__``, ...)."""
    forward, rule = op.forward, op.partials

    def method(self: Value, other: Any) -> Value:
        if type(other) is not Value:
            other = _lift(other)
            if other is None:
                return NotImplemented  # type: ignore[no-any-return]
        a, b = (other, self) if reflected else (self, other)
        x = a.data
        y = b.data
        try:
            out = forward(x, y)
            if out - out:  # inf or nan: the forward overflowed
                raise OverflowError("the result is too large for a float")
            partials = rule(out, x, y) if _grad_enabled() else None
        except (ArithmeticError, ValueError) as exc:
            raise _domain_error(op, (a, b), exc) from None
        node = _new(Value)
        node.data = out
        node.grad = 0.0
        node.label = ""
        if partials is None:
            node.op = None
            node.parents = node.partials = _EMPTY
        else:
            node.op = op
            node.parents = (a, b)
            node.partials = partials
        return node

    method.__name__ = f"__r{op.name}__" if reflected else f"__{op.name}__"
    return method


def _unary_method(op: Op, doc: str) -> Callable[[Value], Value]:
    """The method for a unary row of the op table (``x.tanh()``, ``-x``, ...)."""
    forward, rule = op.forward, op.partials

    def method(self: Value) -> Value:
        x = self.data
        try:
            out = forward(x)
            if out - out:
                raise OverflowError("the result is too large for a float")
            partials = rule(out, x) if _grad_enabled() else None
        except (ArithmeticError, ValueError) as exc:
            raise _domain_error(op, (self,), exc) from None
        node = _new(Value)
        node.data = out
        node.grad = 0.0
        node.label = ""
        if partials is None:
            node.op = None
            node.parents = node.partials = _EMPTY
        else:
            node.op = op
            node.parents = (self,)
            node.partials = partials
        return node

    method.__name__ = op.name
    method.__doc__ = doc
    return method


class Value:
    """A scalar node in a computation graph: a float, its gradient, and how it was made.

    Args:
        data: A real number (int, float, numpy scalar, Fraction); stored as a float.
        label: Optional name shown in reprs, error messages and graph pictures.

    Example:
        >>> import autograd_core as ag
        >>> a = ag.Value(2.0, label="a")
        >>> b = ag.Value(-3.0, label="b")
        >>> y = a * b + a
        >>> y.backward()
        >>> a.grad, b.grad
        (-2.0, 2.0)
    """

    __slots__ = ("data", "grad", "label", "op", "parents", "partials", "__weakref__")

    data: float
    grad: float
    label: str
    op: Op | None
    parents: tuple[Value, ...]
    partials: tuple[Any, ...]

    # numpy defers to our reflected operators (np.float64(2) * v calls v.__rmul__)
    __array_ufunc__ = None

    def __init__(self, data: Any, label: str = "") -> None:
        self.data = _as_float(data, "Value")
        if not isinstance(label, str):
            raise TypeError(f"Value: label must be a str, got {type(label).__name__}")
        self.grad = 0.0
        self.label = label
        self.op = None
        self.parents = _EMPTY
        self.partials = _EMPTY

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"

    @property
    def is_leaf(self) -> bool:
        """True for a node with no parents (an input, a parameter or a constant)."""
        return not self.parents

    # -- arithmetic: one line each, the work is in the op table ---------------------------
    # The methods are generated from the table rows (see _binary_method): one Python frame per
    # operation instead of two, measured 15% faster per node than a method calling a helper.

    __add__ = _binary_method(ops.ADD)
    __radd__ = _binary_method(ops.ADD, reflected=True)
    __sub__ = _binary_method(ops.SUB)
    __rsub__ = _binary_method(ops.SUB, reflected=True)
    __mul__ = _binary_method(ops.MUL)
    __rmul__ = _binary_method(ops.MUL, reflected=True)
    __truediv__ = _binary_method(ops.DIV)
    __rtruediv__ = _binary_method(ops.DIV, reflected=True)
    __rpow__ = _binary_method(ops.POW, reflected=True)
    _pow_values = _binary_method(ops.POW)

    def __pow__(self, other: Any) -> Value:
        if type(other) is Value:
            return self._pow_values(other)
        # x ** 2 is a unary op with its exponent bound (like micrograd's "**2" node)
        op = _pow_const_ops.get(other) if type(other) is float or type(other) is int else None
        if op is None:
            exponent = _lift_number(other)
            if exponent is None:
                return NotImplemented
            op = ops.POW_CONST.bind(exponent)
            if len(_pow_const_ops) < 256:
                _pow_const_ops[exponent] = op
        return _unary(op, self)

    __neg__ = _unary_method(ops.NEG, "-x")
    __abs__ = _unary_method(ops.ABS, "|x|; its derivative at 0 is 0, as in PyTorch.")

    def __pos__(self) -> Value:
        return self

    # -- functions --------------------------------------------------------------------------

    exp = _unary_method(ops.EXP, "e ** x; ``OverflowError`` above x = 709.78.")
    log = _unary_method(ops.LOG, "Natural logarithm; ``ValueError`` for x <= 0.")
    sqrt = _unary_method(ops.SQRT, "Square root; ``ValueError`` for x < 0.")
    tanh = _unary_method(ops.TANH, "Hyperbolic tangent.")
    sigmoid = _unary_method(ops.SIGMOID, "Logistic function 1 / (1 + e**-x), stable for any x.")
    relu = _unary_method(ops.RELU, "max(0, x); its derivative at 0 is 0, as in PyTorch.")
    sin = _unary_method(ops.SIN, "Sine (radians).")
    cos = _unary_method(ops.COS, "Cosine (radians).")

    def leaky_relu(self, negative_slope: float = 0.01) -> Value:
        """x for x > 0, ``negative_slope * x`` otherwise."""
        slope = _lift_number(negative_slope)
        if slope is None:
            raise TypeError(
                f"leaky_relu: negative_slope must be a real number, got {negative_slope!r}"
            )
        return _unary(ops.LEAKY_RELU.bind(slope), self)

    def detach(self) -> Value:
        """A new leaf with the same data and label, cut off from this node's graph.

        Example:
            >>> import autograd_core as ag
            >>> x = ag.Value(3.0, label="x")
            >>> y = x * x.detach()  # only the first factor is differentiated
            >>> y.backward()
            >>> x.grad
            3.0
        """
        leaf = _new(Value)
        leaf.data = self.data
        leaf.grad = 0.0
        leaf.label = self.label
        leaf.op = None
        leaf.parents = _EMPTY
        leaf.partials = _EMPTY
        return leaf

    def draw(self, **options: Any) -> Any:
        """The graph that produced this node as a ``graphviz.Digraph`` (SVG inline in Jupyter).

        Shorthand for ``autograd_core.viz.draw_graph(self, **options)``; see there for options.
        """
        from autograd_core.viz import draw_graph  # viz is a higher layer: import on use

        return draw_graph(self, **options)

    # -- the chain rule ---------------------------------------------------------------------

    def backward(self, gradient: float = 1.0) -> None:
        """Compute d(self)/d(node) for every node of the graph that produced ``self``.

        Non-leaf nodes are reset and hold this pass's gradient; leaves (inputs, parameters,
        constants) *accumulate*, so calling ``backward`` twice doubles them. Reset parameters
        with ``zero_grad`` between training steps.

        Args:
            gradient: The seed d(loss)/d(self); 1.0 when ``self`` is the loss.

        Example:
            >>> import autograd_core as ag
            >>> x = ag.Value(3.0)
            >>> y = x * x + 2 * x
            >>> y.backward()
            >>> x.grad  # 2x + 2
            8.0
        """
        seed = _as_float(gradient, "backward: gradient")
        if not self.parents:
            self.grad += seed
            return
        # The walk allocates two objects per node and frees them all at the end; with the cyclic
        # collector on, those allocations set off collections that scan the whole graph (a
        # sixth of backward's time on the moons step). Nothing here can make a reference cycle,
        # so the collector is paused for the pass and restored after it.
        collecting = _gc_isenabled()
        _gc_disable()
        try:
            order, earlier = _interior_order(self)
            self.grad = seed
            for node in reversed(order):
                g = node.grad
                if g == 0.0:
                    continue  # nothing to hand down (keeps an infinite partial from making 0·inf)
                for parent, local in zip(node.parents, node.partials):
                    parent.grad += local * g
            # Leaves accumulate across calls as ``old + this pass's total`` (PyTorch's order of
            # addition), so a second identical backward gives exactly twice the first.
            for leaf, old in earlier:
                leaf.grad = old + leaf.grad
        finally:
            if collecting:
                _gc_enable()


def topological_order(root: Value) -> list[Value]:
    """All nodes that ``root`` depends on, each after its parents, ending with ``root``.

    Iterative depth-first search, so graph depth is limited by memory, not by the Python stack.
    ``Value.backward`` and the graph pictures both walk the graph this way.

    Example:
        >>> import autograd_core as ag
        >>> a = ag.Value(1.0, label="a")
        >>> b = a * 2
        >>> [n.label or (n.op.name if n.op else n.data) for n in ag.topological_order(b + a)]
        ['a', 2.0, 'mul', 'add']
    """
    order: list[Value] = []
    visited = {root}
    mark = visited.add
    # Each stack entry is a node and an iterator over its parents; a node is emitted when its
    # iterator is exhausted, i.e. after all its parents. (15% faster than a peek-twice walk.)
    stack = [(root, iter(root.parents))]
    push = stack.append
    while stack:
        node, parents = stack[-1]
        for parent in parents:
            if parent not in visited:
                mark(parent)
                push((parent, iter(parent.parents)))
                break
        else:
            stack.pop()
            order.append(node)
    return order


def _interior_order(root: Value) -> tuple[list[Value], list[tuple[Value, float]]]:
    """``topological_order`` without the leaves, ready for a backward pass.

    Leaves need no visit: they only receive gradient from their children. In an MLP most edges
    end at a leaf (weights, biases, constants), and a wide graph may have millions of distinct
    leaves, so they stay out of the visited set (which would otherwise grow with them).

    On the way, every interior node's grad is reset to 0.0, and every leaf that already holds a
    gradient is set to 0.0 with its old value returned in the second list, so that the pass
    computes each leaf's total on its own and ``backward`` adds it to the old value at the end.
    """
    order: list[Value] = []
    earlier: list[tuple[Value, float]] = []
    visited = {root}
    mark = visited.add
    stack = [(root, iter(root.parents))]
    push = stack.append
    while stack:
        node, parents = stack[-1]
        for parent in parents:
            if parent.parents:
                if parent not in visited:
                    mark(parent)
                    push((parent, iter(parent.parents)))
                    break
            elif parent.grad:
                earlier.append((parent, parent.grad))
                parent.grad = 0.0
        else:
            stack.pop()
            node.grad = 0.0
            order.append(node)
    return order, earlier


# -- building nodes ------------------------------------------------------------------------


def _node(data: float, op: Op, parents: tuple[Value, ...], partials: tuple[Any, ...]) -> Value:
    node = _new(Value)
    node.data = data
    node.grad = 0.0
    node.label = ""
    if _grad_enabled():
        node.op = op
        node.parents = parents
        node.partials = partials
    else:
        node.op = None
        node.parents = _EMPTY
        node.partials = _EMPTY
    return node


def _unary(op: Op, a: Value) -> Value:
    x = a.data
    try:
        out = op.forward(x)
        if out - out:  # inf or nan: the forward overflowed
            raise OverflowError("the result is too large for a float")
        if not _grad_enabled():
            return _constant(out)
        partials = op.partials(out, x)
    except (ArithmeticError, ValueError) as exc:
        raise _domain_error(op, (a,), exc) from None
    node = _new(Value)
    node.data = out
    node.grad = 0.0
    node.label = ""
    node.op = op
    node.parents = (a,)
    node.partials = partials
    return node


def apply(op: Op, args: Sequence[Any]) -> Any:
    """Apply ``op`` to ``args``: all numbers give a float, any Value gives a new node.

    Numbers mixed with Values become constant leaves, so the node's parents are its operands in
    order. This is the generic path behind ``Op.__call__``; the operators use faster
    specialised paths with the same result.

    Example:
        >>> import autograd_core as ag
        >>> from autograd_core.ops import MUL
        >>> ag.engine.apply(MUL, (2.0, 3.0)), ag.engine.apply(MUL, (ag.Value(2.0), 3.0)).data
        (6.0, 6.0)
    """
    if op.arity is not None and len(args) != op.arity:
        raise TypeError(f"{op.name}: takes {op.arity} input(s), got {len(args)}")
    if not any(type(a) is Value or isinstance(a, Value) for a in args):
        floats = [_as_float(a, op.name) for a in args]
        try:
            out = op.forward(*floats)
            if out - out:
                raise OverflowError("the result is too large for a float")
        except (ArithmeticError, ValueError) as exc:
            raise _domain_error(op, floats, exc) from None
        return out
    values = tuple(as_value(a, op.name) for a in args)
    xs = [v.data for v in values]
    try:
        out = op.forward(*xs)
        if out - out:
            raise OverflowError("the result is too large for a float")
        partials = tuple(op.partials(out, *xs)) if _grad_enabled() else _EMPTY
    except (ArithmeticError, ValueError) as exc:
        raise _domain_error(op, values, exc) from None
    if _grad_enabled() and len(partials) != len(values):
        raise ValueError(
            f"{op.name}: partials rule returned {len(partials)} value(s) for {len(values)} input(s)"
        )
    return _node(out, op, values, partials)


def as_value(x: Any, where: str = "as_value") -> Value:
    """``x`` itself if it is a Value, else a new constant leaf holding ``float(x)``.

    Example:
        >>> import autograd_core as ag
        >>> ag.engine.as_value(2)
        Value(data=2.0, grad=0.0)
    """
    if isinstance(x, Value):
        return x
    return _constant(_as_float(x, where))


# -- numbers ---------------------------------------------------------------------------------


def _constant(x: float) -> Value:
    leaf = _new(Value)
    leaf.data = x
    leaf.grad = 0.0
    leaf.label = ""
    leaf.op = None
    leaf.parents = _EMPTY
    leaf.partials = _EMPTY
    return leaf


def _lift_number(x: Any) -> float | None:
    """A finite float for a real number operand, None for anything else (-> NotImplemented)."""
    if type(x) is float:
        f = x
    elif isinstance(x, bool):
        return None
    elif isinstance(x, numbers.Real):
        try:
            f = float(x)
        except OverflowError:
            raise OverflowError(f"the number {x!r} is too large for a float") from None
    else:
        return None
    if f - f:
        raise ValueError(f"operands must be finite real numbers, got {f!r}")
    return f


def _lift(x: Any) -> Value | None:
    if type(x) is float and not x - x:  # the common case: a finite float constant
        leaf = _new(Value)
        leaf.data = x
        leaf.grad = 0.0
        leaf.label = ""
        leaf.op = None
        leaf.parents = leaf.partials = _EMPTY
        return leaf
    if isinstance(x, Value):
        return x
    f = _lift_number(x)
    return None if f is None else _constant(f)


def _as_float(x: Any, where: str) -> float:
    """Validate a user-supplied number: real, not bool, finite."""
    if type(x) is float:
        if x - x:
            raise ValueError(f"{where}: expected a finite real number, got {x!r}")
        return x
    if isinstance(x, Value):
        raise TypeError(f"{where}: expected a number, got a Value (use its .data)")
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{where}: expected a real number, got {type(x).__name__} {x!r}")
    try:
        f = float(x)
    except OverflowError:
        raise OverflowError(f"{where}: {x!r} is too large for a float") from None
    if f - f:
        raise ValueError(f"{where}: expected a finite real number, got {f!r}")
    return f


def _describe(name: str, x: Any) -> str:
    if isinstance(x, Value):
        label = f" (Value {x.label!r})" if x.label else ""
        return f"{name}={x.data!r}{label}"
    return f"{name}={x!r}"


def _domain_error(op: Op, args: Sequence[Any], exc: BaseException) -> BaseException:
    """Re-raise a forward or partials failure with the op, the operands and their labels."""
    names = op.argnames if len(op.argnames) == len(args) else [f"x{i}" for i in range(len(args))]
    shown = ", ".join(_describe(n, a) for n, a in list(zip(names, args))[:6])
    if len(args) > 6:
        shown += f", ... ({len(args)} inputs)"
    reason = str(exc) or type(exc).__name__
    cls = type(exc) if type(exc) in (ValueError, ZeroDivisionError, OverflowError) else ValueError
    return cls(f"{op.describe()}: {reason}; got {shown}")


# -- gradient mode ---------------------------------------------------------------------------


class _GradMode:
    """Context manager and decorator that sets whether new nodes record their graph."""

    _enabled: bool

    def __init__(self) -> None:
        self._tokens: list[contextvars.Token[bool]] = []

    def __enter__(self) -> None:
        self._tokens.append(_GRAD_ENABLED.set(self._enabled))

    def __exit__(self, *exc: object) -> None:
        _GRAD_ENABLED.reset(self._tokens.pop())

    def __call__(self, fn: F) -> F:
        enabled = self._enabled

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            token = _GRAD_ENABLED.set(enabled)
            try:
                return fn(*args, **kwargs)
            finally:
                _GRAD_ENABLED.reset(token)

        return wrapper  # type: ignore[return-value]


class no_grad(_GradMode):  # noqa: N801 - named like the PyTorch context manager it mirrors
    """Inside this block (or decorated function) operations build no graph.

    Results are plain leaves: use it for evaluation and for parameter updates. It nests, and
    it is per thread and per asyncio task (``contextvars``).

    Example:
        >>> import autograd_core as ag
        >>> w = ag.Value(0.5)
        >>> with ag.no_grad():
        ...     y = w * 3
        >>> y.parents
        ()
    """

    _enabled = False


class enable_grad(_GradMode):  # noqa: N801
    """Turn graph recording back on inside a ``no_grad`` block.

    Example:
        >>> import autograd_core as ag
        >>> with ag.no_grad():
        ...     with ag.enable_grad():
        ...         y = ag.Value(2.0) * 3
        >>> len(y.parents)
        2
    """

    _enabled = True


class set_grad_enabled(_GradMode):  # noqa: N801
    """Set graph recording on or off for a block: ``with ag.set_grad_enabled(False): ...``.

    Example:
        >>> import autograd_core as ag
        >>> with ag.set_grad_enabled(False):
        ...     print(ag.is_grad_enabled())
        False
    """

    def __init__(self, mode: bool) -> None:
        super().__init__()
        self._enabled = bool(mode)


def is_grad_enabled() -> bool:
    """Whether new operations currently record their graph.

    Example:
        >>> import autograd_core as ag
        >>> ag.is_grad_enabled()
        True
    """
    return _grad_enabled()
