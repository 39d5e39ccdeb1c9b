"""How a node is made: the one recipe, and the generated methods that follow it fast.

Every node of a graph, whatever made it (an operator, a method, ``ag.sum``, ``ag.dot``, a
layer of ``nn``, ``op(*args)``), is built by :func:`node` or by code generated from it here, and
satisfies one invariant::

    node.data == node.op.forward(*(p.data for p in node.parents), *node.op.params)

Numbers among an op's operands never vanish into a node's value: they become constant leaves
(``x * 2.0``) or bound parameters of the op (the exponent of ``x ** 3``, the inputs of a first
layer). So a picture, a replay of the graph or a second-order pass can trust ``op`` + ``parents``.

Under ``no_grad`` the result is a plain leaf (no op, no parents), so nothing is kept alive.

The operator and method bodies below spell :func:`node` out inline instead of calling it: one
Python call fewer per node is 11% fewer instructions for ``a * b`` (3,700 against 4,100, counted
with callgrind), and building nodes is most of the time of a forward pass.
"""

from __future__ import annotations

import contextvars
import math
import numbers
import operator
from collections.abc import Callable, Sequence
from itertools import chain
from typing import TYPE_CHECKING, Any

from autograd_core import ops
from autograd_core._gc import pausing_gc
from autograd_core.ops import Op

if TYPE_CHECKING:
    from autograd_core.engine import Value

_GRAD_ENABLED: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "autograd_core_grad_enabled", default=True
)
grad_enabled = _GRAD_ENABLED.get
_new = object.__new__
EMPTY: tuple[()] = ()
_walk_of = operator.attrgetter("_db")  # for a node in tuples: UNCHECKED, its parents, or a Block
_data_of = operator.attrgetter("data")
_FLOAT_ONLY = {float}
_op_of = operator.attrgetter("op")


# What the backward walk reads in ``_db`` of a node whose parents are kept in tuples (``_b`` is
# None; see Value): the tuple of parents itself once their partials are known to be finite (the
# walk skips the leaves among them as it goes), UNCHECKED until then, a layer's Block for the
# layer's nodes, EMPTY for a leaf, NO_GRAPH for a no_grad result. A node of one or two parents
# kept in slots has finite partials (node() and the generated methods check the rows that can
# give others), so the walk follows its slots without a look.


class _NoGraph(tuple):  # type: ignore[type-arg]
    """The ``_db`` of a result made under ``no_grad``: a leaf that ``backward`` refuses."""

    __slots__ = ()


NO_GRAPH: tuple[()] = _NoGraph()


class _Unchecked(tuple):  # type: ignore[type-arg]
    """The ``_db`` of a node in tuples whose local derivatives the backward walk has not seen
    finite yet (``ag.sum``, ``ag.dot``, a node with an infinite one such as ``sqrt`` at 0):
    the walk looks at them (``engine._inner_parents``), again each pass while one is not."""

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
        >>> from autograd_core import _nodes, ops
        >>> a, b = ag.Value(2.0), ag.Value(5.0)
        >>> n = _nodes.node(ag.Value, ops.MUL, 10.0, (a, b), (5.0, 2.0))
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
    else:  # in tuples, unchecked: the backward walk looks at them (engine._inner_parents)
        n._a = parents
        n._b = None
        n._da = partials
        n._db = UNCHECKED
    return n


def finite_partials(partials: Any) -> bool:
    """Whether every local derivative is a finite number.

    Example:
        >>> from autograd_core._nodes import finite_partials
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

    Example:
        >>> from autograd_core import _nodes
        >>> _nodes._new is object.__new__
        True
    """
    global _new
    _new = new  # type: ignore[assignment]


def is_finite(x: Any) -> bool:
    """Whether a number (or a Value's data) is finite.

    Example:
        >>> from autograd_core._nodes import is_finite
        >>> is_finite(1.0), is_finite(float("nan"))
        (True, False)
    """
    x = getattr(x, "data", x)
    try:
        return math.isfinite(x)
    except TypeError:
        return False


def leaf(cls: type[Value], x: float) -> Value:
    """A new unlabelled leaf holding ``x`` (a constant operand, or a ``no_grad`` result)."""
    n: Value = _new(_PLAIN.get(cls) or plain_class(cls))
    n.data = x
    n.grad = 0.0
    n.label = ""
    n.op = None
    n._a = n._da = n._db = EMPTY
    n._b = None
    return n


# The operators and methods of the one- and two-input rows are compiled from these templates,
# one function per row, as ``collections.namedtuple`` builds its classes: straight-line code
# with the row's forward, rule and numbers in closure cells, nothing decided per call.
# Row callables with an exact inline spelling are written inline: no call, and for ``mul`` no
# tuple of partials, per node (``a * b``: 846 ns -> about 700 ns, in a loop of 1,000 products
# with the collector off; a step of micrograd's demo on plain operators, 627M -> 598M
# instructions under callgrind). The row stays the definition: the same function on the same
# floats, and every node is held to ``node.data == op.forward(...)`` and to the gradient
# references by the tests.
_INLINE_FORWARD = {
    operator.add: "x + y",
    operator.sub: "x - y",
    operator.mul: "x * y",
    operator.neg: "-x",
}
_INLINE_PARTIALS = {ops.MUL.partials: "da, db = y, x"}  # ∂(x·y)/∂x = y, ∂(x·y)/∂y = x

_BINARY_TEMPLATE = """\
def make(op, forward, rule, da, db):
    def method(self, other):
        cls = VALUE
        if type(other) is not cls:
            other = lift(cls, other)
            if other is None:
                return NotImplemented
        a = {a}
        b = {b}
        x = a.data
        y = b.data
        try:
            out = {forward}
            if out - out:  # inf or nan: the forward overflowed
                raise OverflowError("the result is too large for a float")
            if not grad_enabled():
                return node(cls, op, out, EMPTY, EMPTY)  # a leaf without a graph
            {rule}
        except (ArithmeticError, ValueError) as exc:
            raise domain_error(op, (a, b), exc) from None
        {partials}
        n = _new(cls)  # node(), inline
        n.data = out
        n.grad = 0.0
        n.label = ""
        n.op = op
        n._a = a  # the parents and partials in slots, not tuples (see Value)
        n._b = b
        n._da = da
        n._db = db
        return n
    return method
"""

_UNARY_TEMPLATE = """\
def make(op, forward, rule, da):
    def method(self):
        cls = VALUE
        x = self.data
        try:
            out = {forward}
            if out - out:  # inf or nan: the forward overflowed
                raise OverflowError("the result is too large for a float")
            if not grad_enabled():
                return node(cls, op, out, EMPTY, EMPTY)  # a leaf without a graph
            {rule}
        except (ArithmeticError, ValueError) as exc:
            raise domain_error(op, (self,), exc) from None
        {partials}
        n = _new(cls)  # node(), inline
        n.data = out
        n.grad = 0.0
        n.label = ""
        n.op = op
        n._a = self  # the parent and its partial in slots, not a tuple (see Value)
        n._b = n._db = SINGLE
        n._da = da
        return n
    return method
"""


def _compiled(template: str, op: Op, args: str, parents: str, **operands: str) -> Any:
    """The ``make`` function of ``template`` for ``op``: its forward written inline when it has
    an inline spelling, its partials the row's numbers, inline, or its rule's. A row whose
    partials may be infinite hands its nodes to :func:`node`, which checks them. (The source is
    the template and the spellings above: nothing of a row, or of a user, is evaluated.)"""
    forward = _INLINE_FORWARD.get(op.forward, f"forward({args})")
    if not op.finite_partials:
        rule = f"partials = rule(out, {args})"
        partials = f"return node(cls, op, out, {parents}, partials)"
    elif op.constant_partials is not None:
        rule, partials = "pass", ""  # da (and db) are the row's numbers, in the closure
    elif op.partials in _INLINE_PARTIALS:
        rule, partials = "pass", _INLINE_PARTIALS[op.partials]
    else:
        rule = f"partials = rule(out, {args})"
        partials = "da, db = partials" if "," in args else "(da,) = partials"
    source = template.format(forward=forward, rule=rule, partials=partials, **operands)
    namespace: dict[str, Any] = {}
    exec(compile(source, f"<autograd_core: {op.name}>", "exec"), globals(), namespace)
    return namespace["make"]


def binary_operator(op: Op, reflected: bool = False) -> Callable[[Value, Any], Value]:
    """``__mul__`` (or ``__rmul__``, with ``reflected``) for a two-input row of the table."""
    a, b = ("other", "self") if reflected else ("self", "other")
    make = _compiled(_BINARY_TEMPLATE, op, "x, y", "(a, b)", a=a, b=b)
    da, db = op.constant_partials or (None, None)
    method: Callable[[Value, Any], Value] = make(op, op.forward, op.partials, da, db)
    method.__name__ = method.__qualname__ = f"__r{op.name}__" if reflected else f"__{op.name}__"
    return method


def unary_method(op: Op) -> Callable[..., Value]:
    """The method of a one-input row (``x.tanh()``, ``-x``); its parameters become keyword
    arguments with the row's defaults (``x.leaky_relu(negative_slope=0.01)``)."""
    if op.param_names:
        return _parametrized_method(op)
    make = _compiled(_UNARY_TEMPLATE, op, "x", "(self,)")
    (da,) = op.constant_partials or (None,)
    method: Callable[..., Value] = make(op, op.forward, op.partials, da)
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
        raise domain_error(op, (a,), exc) from None
    return node(type(a), op, out, (a,), partials)


def apply_binary(op: Op, a: Value, b: Value, cls: type[Value]) -> Value:
    """``op`` (a two-input op) applied to the Values ``a`` and ``b``: a node of class ``cls``.

    The plain form of what :func:`binary_operator`'s generated methods do inline.

    Example:
        >>> import autograd_core as ag
        >>> from autograd_core import _nodes, ops
        >>> _nodes.apply_binary(ops.MUL, ag.Value(2.0), ag.Value(5.0), ag.Value).partials
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
        raise domain_error(op, (a, b), exc) from None
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


# -- numbers -----------------------------------------------------------------------------------


def lift(cls: type[Value], x: Any) -> Value | None:
    """An operand as a Value: itself, a new constant leaf for a real number, else None."""
    if type(x) is float and not x - x:  # the common case: a finite float constant
        n = _new(cls)  # leaf(), inline: one call fewer per constant operand
        n.data = x
        n.grad = 0.0
        n.label = ""
        n.op = None
        n._a = n._da = n._db = EMPTY
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
    if f - f:
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
        >>> from autograd_core import _nodes, ops
        >>> _nodes.describe_operands(ops.MUL, [ag.Value(2.0, label="w"), 3.0])
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


# -- a layer of neurons ------------------------------------------------------------------------


def _raw(name: str) -> Any:
    """The member descriptor of one of Value's slots (the storage a subclass's property hides)."""
    return VALUE.__dict__[name]


_layer_classes: dict[type, tuple[type, type, type]] = {}
_PLAIN: dict[type, type] = {}


def plain_class(cls: type[Value]) -> type[Value]:
    """The class for a new node made from a node of class ``cls`` (``type(x)``): a layer's node
    class (:func:`layer_classes`), or a subclass of one, gives back its Value class.

    Example:
        >>> import autograd_core as ag
        >>> from autograd_core import _nodes
        >>> _nodes.plain_class(_nodes.layer_classes(ag.Value)[0]) is ag.Value
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


_LAYER_BASE: dict[type, type] = {}


def layer_classes(cls: type[Value]) -> tuple[type[Value], type[Value], type[Value]]:
    """The classes of a layer's ``dot``, relu and ``affine`` nodes for Values of class ``cls``.

    A layer on a batch makes a ``dot`` node per neuron and sample whose parents ``(*w, *x, b)``
    and partials ``(*x, *w, 1)`` are the neuron's weights and the sample's inputs, laid end to
    end. Those tuples (2k + 1 entries, two per node) cost more to build and to free than the
    rest of the node, and backward does not need them (the layer's :class:`Block` does its
    work by columns). These subclasses keep, in the slots, the neuron's ``(w, (b,), (*w data,
    1.0))`` and the sample's ``(x, x data)``, both shared, and build ``parents`` and
    ``partials`` when they are read: the same tuples, the same node for everything that looks
    at it. A relu node keeps its one parent and builds ``(z,)`` the same way.

    Example:
        >>> import autograd_core as ag
        >>> from autograd_core import _nodes
        >>> dot_class, relu_class, affine_class = _nodes.layer_classes(ag.Value)
        >>> issubclass(dot_class, ag.Value), dot_class.__name__
        (True, 'Value')
    """
    classes = _layer_classes.get(cls)
    if classes is not None:
        return classes
    # The slots' storage under other names: ``_neuron``/``_sample`` for a dot node, ``_dot``
    # for a relu node (the same member descriptors, so reading and writing them is a plain
    # slot access), while ``parents`` and ``partials`` become properties, or plain slots.
    neuron, sample = _raw("_a"), _raw("_da")

    def dot_parents(self: Any) -> tuple[Value, ...]:
        ws, b1, _ = self._neuron
        return ws + self._sample[0] + b1  # type: ignore[no-any-return]

    def dot_partials(self: Any) -> tuple[float, ...]:
        return self._sample[1] + self._neuron[2]  # type: ignore[no-any-return]

    def relu_parents(self: Any) -> tuple[Value, ...]:
        z = self._dot
        if z is None:  # not made yet: the block makes it now, the same node it would have made
            z = self._db.dot_node(self)
        return (z,)

    def make(name: str, namespace: dict[str, Any]) -> type[Value]:
        made = type(
            cls.__name__, (cls,), {"__slots__": (), "__module__": cls.__module__, **namespace}
        )
        made.__qualname__ = cls.__qualname__
        made.__doc__ = cls.__doc__
        return made

    classes = (
        make(
            "dot",
            {
                "parents": property(dot_parents),
                "partials": property(dot_partials),
                "_neuron": neuron,
                "_sample": sample,
            },
        ),
        make("relu", {"parents": property(relu_parents), "partials": sample, "_dot": neuron}),
        # an affine node's parents (*w, b) and partials (*x, 1.0) are shared tuples already:
        # the same two names for its slots, so that dense fills both kinds alike
        make(
            "affine",
            {"parents": neuron, "partials": sample, "_neuron": neuron, "_sample": sample},
        ),
    )
    _layer_classes[cls] = classes
    for made in classes:
        _LAYER_BASE[made] = cls
    _PLAIN.clear()  # plain_class answers again for the new classes
    return classes


class _BlockMark:
    """The ``_db`` of a :class:`Block` itself (its outputs' ``_db`` is the block)."""

    __slots__ = ()


BLOCK = _BlockMark()


class Block:
    """The nodes one call of :func:`dense` made, for the backward pass to treat as one.

    Every node of a layer on a batch is an ordinary node (``dot`` or ``affine``, then ``relu``)
    with its parents and partials, so a picture, a replay or a second-order pass sees nothing
    unusual (a relu layer's ``dot`` nodes are made when first read: :meth:`dot_node`). Only
    the fast ``backward`` looks at the block: instead of handing each node's
    gradient down edge by edge (a Python loop over ``2k + 1`` edges per neuron and sample), it
    gathers the gradients of the layer's outputs into a matrix and computes the weights' and
    the inputs' gradients column by column, in loops that run in C (``engine._block_backward``).

    The block's outputs (the relu nodes, or the ``dot``/``affine`` nodes when there is no relu)
    point to it through ``_db``; the block refers to none of them (only to their ``id``), so
    the graph still has no reference cycle. During a backward pass ``pending`` holds the outputs
    the walk reached; it is emptied when the pass ends.

    Example:
        >>> from autograd_core import nn
        >>> out = nn.Layer(2, 3, seed=0).batch([[1.0, 2.0], [3.0, 4.0]])
        >>> block = out[0][0]._db
        >>> type(block).__name__, block.n_out, len(block.ids)
        ('Block', 3, 6)
    """

    __slots__ = (
        "grad",
        "n_out",
        "relu",
        "rows",
        "samples",
        "data",
        "op",
        "_b",
        "_db",
        "inputs",
        "feeds",
        "leaf_inputs",
        "valued",
        "ids",
        "pending",
        "kinds",
        "kept",
        "positions",
        "neurons",
    )

    def __init__(self, rows: list[tuple[tuple[Any, ...], Any, tuple[float, ...]]], relu: bool):
        self.grad = 0.0  # backward resets every entry of its order; a block has nothing to reset
        self.n_out = len(rows)
        self.relu = relu
        self.rows = rows  # per neuron: (its weights, its bias, its weights' data)
        self.samples: list[tuple[Any, ...] | None] = []  # per sample: its Values, or None
        self.data: list[Sequence[float]] = []  # per sample: its data
        # for the backward walk, which treats a block like a node: not a leaf (an op), not in
        # slots, and BLOCK as its ``_db`` (engine._backward_order, engine._enter_block; not the
        # block itself, which would be a reference cycle)
        self.op = ops.DOT
        self._b = None
        self._db = BLOCK
        self.inputs: list[Any] = []  # the interior Values among the inputs (the walk's way on)
        # (block, its outputs) when the interior inputs are all outputs of one other block (the
        # layer below): the walk hands them to that block at once instead of visiting each
        self.feeds: list[tuple[Block, list[Any]]] = []
        self.leaf_inputs: list[Any] = []  # the leaves among them (backward checks them)
        self.valued = False  # whether a sample is of Values (they get gradients)
        self.ids: list[int] = []  # id() of each output, sample by sample, neuron by neuron
        self.pending: list[Any] = []
        # what dot_node needs to make a relu's dot node: per sample, its node class; per node
        # class, what its nodes keep of each neuron; where each output is among the ids (lazily)
        self.kinds: list[type] = []
        self.kept: dict[type, list[Any]] = {}
        self.positions: dict[int, int] | None = None
        # the neurons' weights (the callers' own lists) and biases, as given (see backward)
        self.neurons: tuple[Sequence[Any], Sequence[Any]] = ((), ())

    def __repr__(self) -> str:
        return f"<Block of {len(self.samples)} samples × {self.n_out} neurons>"

    def weights_and_biases(self) -> list[Any]:
        """Every neuron's weights and bias (the leaves backward writes to, and checks).

        Example:
            >>> from autograd_core import nn
            >>> len(nn.Layer(2, 3, seed=0).batch([[1.0, 2.0]])[0][0]._db.weights_and_biases())
            9
        """
        return [p for ws, b, _ in self.rows for p in (*ws, b)]

    def dot_node(self, r: Value) -> Value:
        """The ``dot`` (or ``affine``) node under the relu node ``r`` of this block, made now.

        :func:`dense` makes a relu layer's relu nodes only: the node under each relu is made
        the first time something reads ``r.parents`` (a picture, ``ag.grad``, a second-order
        pass), from what the block kept, with the value the forward pass computed (the same
        sum in the same order) and, as its gradient, what the last backward pass gave it.
        ``backward`` itself never needs it: the block does the relu's step by columns.

        Example:
            >>> from autograd_core import nn
            >>> (r, *_), *_ = nn.Layer(2, 3, seed=0).batch([[1.0, -2.0]])
            >>> z = r.parents[0]
            >>> z.op.name, z is r.parents[0], r.data == max(z.data, 0.0)
            ('affine', True, True)
        """
        if self.positions is None:
            self.positions = {key: k for k, key in enumerate(self.ids)}
        s, n = divmod(self.positions[id(r)], self.n_out)
        node_class = self.kinds[s]
        kept, wd, bias = self.kept[node_class][n]
        op, shared = _sample_op(self.samples[s], self.data[s])
        z: Value = _new(node_class)
        z.data = sum(map(operator.mul, wd, self.data[s]), bias)
        z.grad = r.grad if r.partials is ops._ONE else 0.0  # the relu's step, as backward's
        z.label = ""
        z.op = op
        z._b = None
        z._db = self
        z._neuron = kept  # type: ignore[attr-defined]
        z._sample = shared  # type: ignore[attr-defined]
        r._dot = z  # type: ignore[attr-defined]
        return z


def _sample_op(values: tuple[Value, ...] | None, xd: Sequence[float]) -> tuple[Op, Any]:
    """The op of a layer's nodes on one sample and what they keep of it (``_sample``): ``dot``
    and (its Values, their data) for a sample of Values; for a sample of numbers, ``affine``
    with the numbers bound and the partials (*x, 1.0) of its parents (*w, b)."""
    if values is None:
        return ops.AFFINE.bound_to((xd, None)), (*xd, 1.0)
    return ops.DOT, (values, xd)


# A layer on a batch allocates thousands of nodes in one go, with no reference cycle among them;
# with the cyclic collector on, those allocations alone set off collections that scan the
# growing graph (a tenth of a moons step). Paused for the layer, as in backward.
@pausing_gc
def dense(
    cls: type[Value],
    weights: Sequence[Sequence[Value]],
    biases: Sequence[Value],
    batch: Sequence[Sequence[Any]],
    activation: Callable[[Value], Value] | None,
    relu: bool,
) -> list[list[Value]] | None:
    """A layer of neurons on a batch of samples: ``act(Σ w·x + b)`` per neuron and sample.

    The same nodes as ``ag.dot`` followed by the activation, built with the work they share
    done once: each neuron's weight data once per batch (not once per sample), each sample's
    data once per layer (not once per neuron). A sample of Values gives ``dot`` nodes with
    parents ``(*w, *x, b)``; a sample of floats gives ``affine`` nodes with the sample bound as
    the op's constants and ``(*w, b)`` as parents, exactly as ``ag.dot`` does.
    With ``relu`` only the relu nodes are made, each one's ``dot`` node when first read
    (:meth:`Block.dot_node`). The nodes share one :class:`Block`, which
    lets ``backward`` take the layer's gradients column by column.

    Returns ``None`` (the caller then takes the plain path, with its checks and messages) when
    gradients are off, a sample is neither all Values nor all floats, or a sum is not finite.
    """
    if not grad_enabled():
        return None
    mul = operator.mul
    n_in = len(weights[0]) if weights else 0
    if any(len(ws) != n_in for ws in weights):
        return None
    # per neuron, once per batch: its weights and bias as the two ends of a dot node's parents,
    # (*w,) and (b,), its weight data, and (*w data, 1.0), the end of the node's partials
    neurons = []
    for ws, b in zip(weights, biases):
        neurons.append((tuple(ws), b, tuple([w.data for w in ws])))
    block = Block(neurons, relu)
    block.neurons = (weights, biases)
    # per neuron, what its nodes keep (layer_classes), made for the kinds of samples there are:
    # for a dot node (*w,), (b,) and (*w data, 1.0); for an affine node its parents (*w, b)
    dot_rows: list[tuple[Any, tuple[float, ...], float]] = []
    affine_rows: list[tuple[Any, tuple[float, ...], float]] = []
    dot_class, relu_class, affine_class = layer_classes(cls)
    # weights computed from other Values (tied, scaled) are interior: the walk goes on there
    tied = list(filter(_op_of, chain(chain.from_iterable(weights), biases)))
    inputs = block.inputs
    inputs += tied
    samples, data, leaf_inputs = block.samples, block.data, block.leaf_inputs
    relu_op = ops.RELU
    one, zero = ops._ONE, ops._ZERO
    separate = activation is not None and not relu  # the block's outputs are the dot nodes
    made: list[Value] = []
    keep = made.append
    outputs: list[list[Value]] = []
    for x in batch:
        xs = x if type(x) is list or type(x) is tuple else list(x)
        if len(xs) != n_in:
            return None
        # what the sample holds, read in C: floats (data), Values (nodes), or a mix (plain path)
        kinds = set(map(type, xs))
        if kinds == _FLOAT_ONLY:  # data: bound to the op (checked: floats, finite sums)
            xd = tuple(xs)  # (a copy: the caller may reuse its list)
            if not affine_rows:
                affine_rows += [((*ws, b), wd, b.data) for ws, b, wd in neurons]
            node_class, rows = affine_class, affine_rows
            samples.append(None)
        elif all(issubclass(k, cls) for k in kinds):  # parents (*w, *x, b), partials (*x, *w, 1)
            xs = tuple(xs)
            xd = tuple(map(_data_of, xs))
            if not dot_rows:
                dot_rows += [((ws, (b,), (*wd, 1.0)), wd, b.data) for ws, b, wd in neurons]
            node_class, rows = dot_class, dot_rows
            interior = list(filter(_op_of, xs))  # (an op is truthy)
            inputs += interior
            if len(interior) < n_in:
                leaf_inputs += [v for v in xs if v.op is None]
            samples.append(xs)
            block.valued = True
        else:
            return None
        data.append(xd)
        out: list[Value] = []
        append = out.append
        if relu:  # the relu nodes only: each one's dot node is made when read (Block.dot_node)
            block.kinds.append(node_class)
            for _, wd, bias in rows:
                total = sum(map(mul, wd, xd), bias)
                if total - total:  # inf or nan: let the plain path say which neuron overflowed
                    return None
                r = _new(relu_class)  # node(), inline
                r.grad = 0.0
                r.label = ""
                r.op = relu_op
                r._dot = None  # type: ignore[attr-defined]  # parents (z,): layer_classes
                r._b = None
                r._db = block
                if total > 0.0:
                    r.data = total
                    r.partials = one
                else:
                    r.data = 0.0
                    r.partials = zero
                append(r)
            outputs.append(out)
            continue
        op, shared = _sample_op(samples[-1], xd)
        for kept, wd, bias in rows:
            total = sum(map(mul, wd, xd), bias)
            if total - total:  # inf or nan: let the plain path say which neuron overflowed
                return None
            z = _new(node_class)  # node(), inline
            z.data = total
            z.grad = 0.0
            z.label = ""
            z.op = op
            z._b = None
            z._db = block
            # the parents and partials slots (layer_classes): a dot node builds (*w, *x, b) and
            # (*x, *w, 1.0) from these when read, an affine node has them as they are
            z._neuron = kept  # type: ignore[attr-defined]
            z._sample = shared  # type: ignore[attr-defined]
            if separate:
                keep(z)
                append(activation(z))  # type: ignore[misc]
            else:
                append(z)
        outputs.append(out)
    block.ids = list(map(id, made if separate else chain.from_iterable(outputs)))
    block.kept = {dot_class: dot_rows, affine_class: affine_rows}
    if inputs and not tied:
        below = set(map(_walk_of, inputs))
        if len(below) == 1:
            (source,) = below
            if type(source) is Block:  # all of them outputs of the layer below
                block.feeds = [(source, inputs)]
                block.inputs = []
    return outputs
