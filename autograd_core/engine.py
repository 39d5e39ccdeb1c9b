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
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from autograd_core import _nodes, ops
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

_grad_enabled = _nodes.grad_enabled
_GRAD_ENABLED = _nodes._GRAD_ENABLED
_gc_isenabled, _gc_disable, _gc_enable = gc.isenabled, gc.disable, gc.enable
_EMPTY = _nodes.EMPTY
_binary, _method = _nodes.binary_operator, _nodes.unary_method
# x ** c for the few exponents a program uses: the bound op, looked up instead of rebuilt
_pow_const_ops: dict[float, Op] = {}


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
        self.data = _nodes.as_float(data, "Value")
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
    # Each method is generated from its row (see _nodes.py): the row's forward computes the
    # value, its partials rule the local derivatives, stored with the node for backward.

    __add__ = _binary(ops.ADD)
    __radd__ = _binary(ops.ADD, reflected=True)
    __sub__ = _binary(ops.SUB)
    __rsub__ = _binary(ops.SUB, reflected=True)
    __mul__ = _binary(ops.MUL)
    __rmul__ = _binary(ops.MUL, reflected=True)
    __truediv__ = _binary(ops.DIV)
    __rtruediv__ = _binary(ops.DIV, reflected=True)
    __rpow__ = _binary(ops.POW, reflected=True)
    __neg__ = _method(ops.NEG)
    __abs__ = _method(ops.ABS)

    def __pos__(self) -> Value:
        return self

    def __pow__(self, other: Any) -> Value:
        if type(other) is Value or isinstance(other, Value):
            return self._pow_values(other)
        # x ** 2 is a one-input op with its exponent bound (like micrograd's "**2" node)
        op = _pow_const_ops.get(other) if type(other) is float or type(other) is int else None
        if op is None:
            exponent = _nodes.lift_number(other)
            if exponent is None:
                return NotImplemented
            op = ops.POW_CONST.bind(exponent)
            if len(_pow_const_ops) < 256:
                _pow_const_ops[exponent] = op
        return _nodes.apply_unary(op, self)

    _pow_values = _binary(ops.POW)

    # -- the rows of the op table marked method=True (a test checks that none is missing) --

    abs = _method(ops.ABS)
    exp = _method(ops.EXP)
    log = _method(ops.LOG)
    sqrt = _method(ops.SQRT)
    tanh = _method(ops.TANH)
    sigmoid = _method(ops.SIGMOID)
    relu = _method(ops.RELU)
    leaky_relu = _method(ops.LEAKY_RELU)
    sin = _method(ops.SIN)
    cos = _method(ops.COS)

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
        leaf = _nodes.leaf(type(self), self.data)
        leaf.label = self.label
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
        seed = _nodes.as_float(gradient, "backward: gradient")
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
            for node in order:  # interior nodes hold this pass's gradient only
                node.grad = 0.0
            for leaf in earlier:  # leaves: this pass's total first, then old + total
                leaf.grad = 0.0
            self.grad = seed
            for node in reversed(order):
                g = node.grad
                if g == 0.0:
                    continue  # nothing to hand down (keeps an infinite partial from making 0·inf)
                for parent, local in zip(node.parents, node.partials):
                    parent.grad += local * g
            # Leaves accumulate across calls as ``old + this pass's total`` (PyTorch's order of
            # addition), so a second identical backward gives exactly twice the first.
            for leaf, old in earlier.items():
                leaf.grad = old + leaf.grad
        finally:
            if collecting:
                _gc_enable()


def topological_order(root: Value) -> list[Value]:
    """All nodes that ``root`` depends on, each after its parents, ending with ``root``.

    The interior nodes come in the order of the backward walk (:func:`_interior_order`); each
    leaf is placed just before the first node that uses it.

    Example:
        >>> import autograd_core as ag
        >>> a = ag.Value(1.0, label="a")
        >>> b = a * 2
        >>> [n.label or (n.op.name if n.op else n.data) for n in ag.topological_order(b + a)]
        ['a', 2.0, 'mul', 'add']
    """
    if not root.parents:
        return [root]
    order: list[Value] = []
    seen: set[Value] = set()
    for node in _interior_order(root)[0]:
        for parent in node.parents:
            if not parent.parents and parent not in seen:
                seen.add(parent)
                order.append(parent)
        order.append(node)
    return order


def apply(op: Op, args: Sequence[Any]) -> Any:
    """Apply ``op`` to ``args``: all numbers give a float, any Value gives a new node.

    Numbers mixed with Values become constant leaves, so the node's parents are its operands in
    order. This is what ``op(*args)`` does; the operators take faster paths to the same nodes.

    Example:
        >>> import autograd_core as ag
        >>> from autograd_core.ops import MUL
        >>> ag.engine.apply(MUL, (2.0, 3.0)), ag.engine.apply(MUL, (ag.Value(2.0), 3.0)).data
        (6.0, 6.0)
    """
    if op.arity is not None and len(args) != op.arity:
        raise TypeError(f"{op.name}: takes {op.arity} input(s), got {len(args)}")
    if not any(isinstance(a, Value) for a in args):
        floats = [_nodes.as_float(a, op.name) for a in args]
        try:
            out = op.forward(*floats)
            if out - out:  # inf or nan: the forward overflowed
                raise OverflowError("the result is too large for a float")
        except (ArithmeticError, ValueError) as exc:
            raise _nodes.domain_error(op, floats, exc) from None
        return out
    values = tuple(as_value(a, op.name) for a in args)
    xs = [v.data for v in values]
    try:
        out = op.forward(*xs)
        if out - out:
            raise OverflowError("the result is too large for a float")
        partials = tuple(op.partials(out, *xs)) if _grad_enabled() else _EMPTY
    except (ArithmeticError, ValueError) as exc:
        raise _nodes.domain_error(op, values, exc) from None
    if _grad_enabled() and len(partials) != len(values):
        raise ValueError(
            f"{op.name}: partials rule returned {len(partials)} value(s) for {len(values)} input(s)"
        )
    return _nodes.node(Value, op, out, values, partials)


def as_value(x: Any, where: str = "as_value") -> Value:
    """``x`` itself if it is a Value, else a new constant leaf holding ``float(x)``.

    Example:
        >>> import autograd_core as ag
        >>> ag.engine.as_value(2)
        Value(data=2.0, grad=0.0)
    """
    if isinstance(x, Value):
        return x
    return _nodes.leaf(Value, _nodes.as_float(x, where))


def _interior_order(root: Value) -> tuple[list[Value], dict[Value, float]]:
    """The interior nodes ``root`` depends on, each after its parents: the backward walk.

    Iterative depth-first search, so graph depth is limited by memory, not by the Python stack.
    Leaves need no visit: they only receive gradient from their children. In an MLP most edges
    end at a leaf (weights, biases, constants), and a wide graph may have millions of distinct
    leaves, so they stay out of the visited set (which would otherwise grow with them).

    Returns the order and the leaves that already hold a gradient, with that gradient, so that
    ``backward`` can compute each leaf's total for the pass on its own and add it to the old
    value at the end (PyTorch's order of addition).
    """
    order: list[Value] = []
    earlier: dict[Value, float] = {}
    visited = {root}
    mark = visited.add
    # Each stack entry is a node and an iterator over its parents; a node is emitted when its
    # iterator is exhausted, i.e. after all its parents. (15% faster than a peek-twice walk.)
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
                earlier.setdefault(parent, parent.grad)
        else:
            stack.pop()
            order.append(node)
    return order, earlier


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


ops.set_applier(apply)
_nodes.VALUE = Value
