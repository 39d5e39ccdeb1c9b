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

import functools
import gc
import itertools
import math
import numbers
import operator
import sys
import threading
import warnings
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
    "grad",
    "detect_anomaly",
    "RemovableHandle",
]

F = TypeVar("F", bound=Callable[..., Any])

_grad_enabled = _nodes.grad_enabled
_GRAD_ENABLED = _nodes._GRAD_ENABLED
_gc_isenabled, _gc_disable, _gc_enable = gc.isenabled, gc.disable, gc.enable
_EMPTY = _nodes.EMPTY
_UNCHECKED = _nodes.UNCHECKED
_SINGLE = _nodes.SINGLE
_Block = _nodes.Block
_grad_of = operator.attrgetter("grad")
_data_of = operator.attrgetter("data")
_op_of = operator.attrgetter("op")
_partials_of = operator.attrgetter("partials")
_dot_of = operator.attrgetter("_dot")  # a block's relu node keeps its dot node there
_is = operator.is_
_getitem = operator.getitem
_mul = operator.mul
_repeat, _compress, _chain = itertools.repeat, itertools.compress, itertools.chain
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

    __slots__ = ("data", "grad", "label", "op", "_a", "_b", "_da", "_db")

    data: float
    grad: float
    label: str
    op: Op | None
    # Where ``parents`` and ``partials`` are kept (the properties below read them). A node of
    # two parents, what every binary operator makes, keeps them in ``_a`` and ``_b`` and their
    # local derivatives in ``_da`` and ``_db``; a node of one parent keeps it in ``_a``, its
    # partial in ``_da``, and _nodes.SINGLE in ``_b`` and ``_db``; such nodes have finite local
    # derivatives. Any other node (a leaf, a sum of many, a node with an infinite local
    # derivative) keeps the two tuples in ``_a`` and ``_da``, with ``_b`` None and in ``_db``
    # what the backward walk goes by: the parents once their partials are known finite, or a
    # marker (see _nodes.UNCHECKED), or the layer's _nodes.Block for a layer's nodes. Slots
    # instead of tuples make an operator's node one object for the cyclic garbage collector
    # instead of three: in a program that builds its graph from operators (micrograd's demo),
    # the collector's scans were two thirds of the forward pass. Not part of the public API.
    _a: Any
    _b: Value | None
    _da: Any
    _db: Any

    # numpy defers to our reflected operators (np.float64(2) * v calls v.__rmul__)
    __array_ufunc__ = None

    def __init__(self, data: Any, label: str = "") -> None:
        self.data = _nodes.as_float(data, "Value")
        if not isinstance(label, str):
            raise TypeError(f"Value: label must be a str, got {type(label).__name__}")
        self.grad = 0.0
        self.label = label
        self.op = None
        self._a = self._da = self._db = _EMPTY
        self._b = None

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={_shown(self.data)}, grad={_shown(self.grad)}{label})"

    # -- a Value as a number: what PyTorch users try first ---------------------------------
    # Conversions and comparisons read ``data`` (they are not differentiated, as in PyTorch).
    # ``==`` stays identity, so that Values remain hashable graph nodes (sets, dict keys).

    def item(self) -> float:
        """The float inside, as PyTorch's ``tensor.item()``: the same as ``.data``.

        Example:
            >>> import autograd_core as ag
            >>> ag.Value(2.5).item()
            2.5
        """
        return self.data

    def __float__(self) -> float:
        return self.data

    def __int__(self) -> int:
        return int(self.data)

    def __bool__(self) -> bool:
        return self.data != 0.0

    def __round__(self, ndigits: int | None = None) -> Any:
        return round(self.data, ndigits)

    def __format__(self, spec: str) -> str:
        return format(self.data, spec) if spec else repr(self)

    def __lt__(self, other: Any) -> bool:
        return self.data < _compared(other, "<")

    def __le__(self, other: Any) -> bool:
        return self.data <= _compared(other, "<=")

    def __gt__(self, other: Any) -> bool:
        return self.data > _compared(other, ">")

    def __ge__(self, other: Any) -> bool:
        return self.data >= _compared(other, ">=")

    __eq__ = object.__eq__  # identity: Values are graph nodes (see above)
    __hash__ = object.__hash__

    @property
    def parents(self) -> tuple[Value, ...]:
        """The Values this node was computed from, in operand order; ``()`` for a leaf.

        Example:
            >>> import autograd_core as ag
            >>> a, b = ag.Value(2.0, label="a"), ag.Value(3.0, label="b")
            >>> [p.label for p in (a * b).parents], a.parents
            (['a', 'b'], ())
        """
        b = self._b
        if b is None:
            return self._a  # type: ignore[no-any-return]
        return (self._a,) if b is _SINGLE else (self._a, b)

    @parents.setter
    def parents(self, parents: Sequence[Value]) -> None:
        partials = self.partials
        self._a, self._b, self._da = tuple(parents), None, partials
        self._db = _UNCHECKED  # the walk looks at the new parents and their partials

    @property
    def partials(self) -> tuple[Any, ...]:
        """The local derivative ∂self/∂parent for each parent, in the same order.

        Example:
            >>> import autograd_core as ag
            >>> a, b = ag.Value(2.0), ag.Value(3.0)
            >>> (a * b).partials, (a + b).partials
            ((3.0, 2.0), (1.0, 1.0))
        """
        b = self._b
        if b is None:
            return self._da  # type: ignore[no-any-return]
        return (self._da,) if b is _SINGLE else (self._da, self._db)

    @partials.setter
    def partials(self, partials: Sequence[Any]) -> None:
        b = self._b
        if b is None:
            self._da = tuple(partials)
            if self._db.__class__ is tuple and self._db:  # parents known finite: look again
                self._db = _UNCHECKED
            return
        partials = tuple(partials)
        if len(partials) != (1 if b is _SINGLE else 2):
            raise ValueError(
                f"partials: this node has {len(self.parents)} parent(s), "
                f"got {len(partials)} local derivative(s)"
            )
        if not _nodes.finite_partials(partials):  # kept in tuples, for the walk (see Value)
            self._a, self._b, self._da, self._db = self.parents, None, partials, _UNCHECKED
        elif b is _SINGLE:
            (self._da,) = partials
        else:
            self._da, self._db = partials

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

        Example:
            >>> import autograd_core as ag
            >>> y = ag.Value(2.0, label="x").tanh()
            >>> b"tanh" in y.draw().pipe(format="svg")
            True
        """
        from autograd_core.viz import draw_graph  # viz is a higher layer: import on use

        return draw_graph(self, **options)

    def explain(self, **options: Any) -> Any:
        """Step through the forward and backward pass of this graph, in a notebook or a page.

        Shorthand for ``autograd_core.stepthrough.explain(self, **options)``; see there.

        Example:
            >>> import autograd_core as ag
            >>> x = ag.Value(2.0, label="x")
            >>> page = (x * x).explain()  # shows itself in a notebook cell
            >>> "<iframe" in page._repr_html_()
            True
        """
        from autograd_core.stepthrough import explain  # a higher layer: import on use

        return explain(self, **options)

    def register_hook(self, hook: Callable[[Any], Any]) -> RemovableHandle:
        """Call ``hook(grad)`` when backward has this node's whole gradient (PyTorch's hook).

        The hook may return a replacement gradient (or ``None`` to keep it); the replacement is
        what the node stores and hands on to its parents. Hooks run in reverse topological
        order, in ``backward`` and in :func:`grad`, leaves last. Graphs with hooks take the
        general (slower) path of ``backward``.

        Returns:
            A handle whose ``remove()`` takes the hook off again.

        Example:
            >>> import autograd_core as ag
            >>> x = ag.Value(3.0, label="x")
            >>> y = x * x
            >>> handle = y.register_hook(lambda g: g * 10)  # scale the gradient reaching y
            >>> (y + 1).backward()
            >>> x.grad
            60.0
            >>> handle.remove()
        """
        if not callable(hook):
            raise TypeError(f"register_hook: hook must be callable, got {hook!r}")
        return _hooks.add(self, hook)

    # -- the chain rule ---------------------------------------------------------------------

    def backward(self, gradient: Any = 1.0, create_graph: bool = False) -> None:
        """Compute d(self)/d(node) for every node of the graph that produced ``self``.

        Non-leaf nodes are reset and hold this pass's gradient; leaves (inputs, parameters,
        constants) *accumulate*, so calling ``backward`` twice doubles them. Reset parameters
        with ``zero_grad`` between training steps.

        Args:
            gradient: The seed d(loss)/d(self); 1.0 when ``self`` is the loss.
            create_graph: Compute the gradients as Values with their own graph (the op table's
                partials rules are fed Values), so that ``x.grad.backward()`` gives second
                derivatives. Leaves then hold Values in ``grad``.

        Edge cases follow PyTorch: a node whose gradient is 0 hands nothing on (unless one of
        its local derivatives is infinite or NaN: 0·inf is NaN); ``relu`` and ``leaky_relu``
        *select*, so a zero local derivative passes nothing even when the gradient is infinite.
        When a leaf ends with a non-finite gradient, a ``RuntimeWarning`` names the leaf and the
        op where the first non-finite gradient arose; under :func:`detect_anomaly` it raises.

        Example:
            >>> import autograd_core as ag
            >>> x = ag.Value(3.0)
            >>> y = x * x + 2 * x
            >>> y.backward()
            >>> x.grad  # 2x + 2
            8.0
        """
        if create_graph or _hooks.count or _anomaly.active:
            _general_backward(self, gradient, create_graph)
            return
        seed = _nodes.as_float(gradient, "backward: gradient")
        if not self.parents:
            if self._db is _nodes.NO_GRAPH:
                raise _no_graph_error(self)
            self.grad += seed
            return
        # A layer's block allocates its columns (thousands of tuples) while the graph is alive;
        # with the cyclic collector on, such allocations set off collections that scan the
        # whole graph. Nothing here can make a reference cycle, so the collector is paused for
        # the pass and restored after it.
        collecting = _gc_isenabled()
        _gc_disable()
        order: list[Any] = []
        try:
            leaves: list[Value] = []
            order, suspect = _backward_order(self, leaves)  # (interior gradients reset to 0)
            self.grad = seed
            for node in reversed(order):
                g = node.grad
                if not g:
                    # Nothing to hand down, unless a local derivative is infinite or NaN
                    # (0·inf is NaN): the walk left exactly those nodes unchecked. A layer's
                    # block (gradient always 0) hands down the gradients of all its nodes.
                    if node.__class__ is _Block:
                        suspect = _block_backward(node) or suspect
                    elif node._db is _UNCHECKED:
                        suspect = _hand_down(node, g) or suspect
                    continue
                if g - g:  # infinite or NaN: PyTorch's rules, see _hand_down
                    suspect = _hand_down(node, g) or suspect
                    continue
                b = node._b
                if b is None:  # parents and partials in tuples
                    for parent, local in zip(node._a, node._da):
                        parent.grad += local * g
                else:  # one or two parents in slots (see Value)
                    a = node._a
                    a.grad += node._da * g
                    if b is not _SINGLE:
                        b.grad += node._db * g
            # One C-level sum over the gradients of the leaves the walk passed: infinite or NaN
            # when one of them is (or when the sum overflows: then the check finds nothing).
            total = sum(map(_grad_of, leaves), 0.0) + _blocks_leaves_total(order)
            if suspect or total - total:
                _check_leaves(order)
        finally:
            for node in order:
                if node.__class__ is _Block:
                    node.pending.clear()  # the block refers to its outputs only during the pass
            if collecting:
                _gc_enable()


def _hand_down(node: Value, g: float) -> bool:
    """The chain rule for a node whose gradient is 0, infinite or NaN; True if non-finite.

    A zero gradient hands nothing down, as the multiplications would give zeros, except that
    0 times an infinite or NaN local derivative is NaN (PyTorch computes it, so do we). Ops that
    *select* (relu, leaky_relu) pass nothing along an edge whose local derivative is 0, however
    large the gradient.
    """
    partials = node.partials
    if not g:
        total = sum(partials)
        if not total - total:
            return False  # every local derivative is finite: only zeros to add
    for parent, local, passing in zip(node.parents, partials, _passes(node, g, partials)):
        if passing:
            parent.grad += local * g
    return True


def _node_step(node: Value) -> bool:
    """The chain rule at one node, as backward's loop applies it; True if non-finite."""
    g = node.grad
    if g and not g - g:
        for parent, local in zip(node.parents, node.partials):
            parent.grad += local * g
        return False
    return _hand_down(node, g)


def _block_backward(block: _nodes.Block) -> bool:
    """The chain rule for every node of a layer's block at once; True if non-finite.

    With ``G[s][n]`` the gradient of neuron ``n``'s ``Σ w·x + b`` on sample ``s`` (its relu's
    gradient where the relu passed, else 0), each weight gets ``Σₛ G[s][n]·x[s][k]``, each bias
    ``Σₛ G[s][n]`` and each input Value ``Σₙ G[s][n]·w[n][k]``: the products and sums the node
    by node loop would make, gathered into columns so that ``sum(map(mul, ...))`` runs them in
    C. Samples whose gradients are all 0 are left out, as the node by node loop skips them.
    An infinite or NaN gradient, or a node of the block reached from outside it (a ``dot``
    node under its relu), sends the block through the node by node rules instead.
    """
    pending = block.pending
    if block.relu:
        if len(set(map(_op_of, pending))) > 1:  # a dot node used by more than its relu
            return _block_by_node(block)
        # the relu steps: the dot node gets the relu's gradient where the relu passed, else 0
        # (relu selects: a 0 edge passes nothing, even an infinite gradient)
        passed = map(_is, map(_partials_of, pending), _repeat(ops._ONE))
        # (0.0, g)[passed], in C: g where the relu passed, else 0.0
        grads = list(map(_getitem, zip(_repeat(0.0), map(_grad_of, pending)), passed))
        if block.positions is not None:  # dot nodes were made (Block.dot_node): they get theirs
            for z, g in zip(map(_dot_of, pending), grads):
                if z is not None:  # (one not made yet takes its gradient when it is made)
                    z.grad = g
    else:
        grads = list(map(_grad_of, pending))
    ids = list(map(id, pending))
    if ids == block.ids:  # the walk reached every output, in order (the next layer's inputs)
        flat = grads
    else:  # some outputs, or in another order: G from their ids (0 for those not reached)
        flat = list(map(dict(zip(ids, grads)).get, block.ids, _repeat(0.0)))
    total = sum(flat)
    if total - total and not all(map(math.isfinite, flat)):
        return _block_by_node(block, relu_done=True)
    n = block.n_out
    rows = [flat[i : i + n] for i in range(0, len(flat), n)]
    active = list(_compress(range(len(rows)), map(any, rows)))
    if not active:
        return False
    samples, data = block.samples, block.data
    if len(active) < len(rows):
        rows = [rows[s] for s in active]
        samples = [samples[s] for s in active]
        data = [data[s] for s in active]
    if len(rows) == 1:  # one sample: its neurons one by one (a sum over one term gains nothing)
        _one_sample_backward(block, rows[0], data[0], samples[0])
        return False
    columns = list(zip(*data))  # per input, over the samples
    for (ws, b, _), gn in zip(block.rows, zip(*rows)):
        for w, xc in zip(ws, columns):
            w.grad = sum(map(_mul, gn, xc), w.grad)
        b.grad = sum(gn, b.grad)
    if block.valued:  # the samples of Values (not of numbers) get gradients
        w_columns = list(zip(*[wd for _, _, wd in block.rows]))  # per input, over the neurons
        for gs, xs in zip(rows, samples):
            if xs is None:
                continue
            if n == 1:  # one neuron (an output layer): one product per input, no sum
                g = gs[0]
                for x, (w,) in zip(xs, w_columns):
                    x.grad += w * g
            else:
                for x, wc in zip(xs, w_columns):
                    x.grad = sum(map(_mul, gs, wc), x.grad)
    return False  # (the weights and biases are checked once per pass: _blocks_leaves_total)


def _blocks_leaves_total(order: list[Any]) -> float:
    """The sum of the gradients of the leaves the order's blocks wrote to (their weights and
    biases, their leaf inputs), each leaf once: not finite when one of them is not.

    A layer called sample by sample (micrograd's way) makes a block per call, all on the same
    weights: the blocks' neurons are told apart by their weight lists (``Block.neurons``), so
    a layer's weights are added up once, not once per sample.
    """
    lists: dict[int, Any] = {}
    biases: dict[int, Value] = {}
    extra: list[Value] = []
    for node in order:
        if node.__class__ is _Block:
            weights, bs = node.neurons
            lists.update(zip(map(id, weights), weights))
            biases.update(zip(map(id, bs), bs))
            extra += node.leaf_inputs
    weights_total = sum(map(_grad_of, _chain.from_iterable(lists.values())), 0.0)
    return weights_total + sum(map(_grad_of, biases.values()), 0.0) + sum(map(_grad_of, extra), 0.0)


def _one_sample_backward(
    block: _nodes.Block, gs: list[float], xd: Sequence[float], xs: Sequence[Value] | None
) -> None:
    """:func:`_block_backward` for a block of one sample (a layer called on one input, as
    micrograd's code does): the products added one by one, neuron by neuron."""
    for (ws, b, wd), g in zip(block.rows, gs):
        if not g:
            continue
        for w, xv in zip(ws, xd):
            w.grad += xv * g
        b.grad += g
        if xs is not None:
            for x, wv in zip(xs, wd):
                x.grad += wv * g


def _block_by_node(block: _nodes.Block, relu_done: bool = False) -> bool:
    """A block's chain rule node by node (relu nodes first, then the dot nodes), for the cases
    the column-wise pass leaves to the general rules; True if non-finite."""
    pending = block.pending = list(dict.fromkeys(block.pending))  # (the walk may add twice)
    suspect = False
    if block.relu:
        reached = set(pending)
        dots = []
        for node in pending:
            if node.op is ops.RELU:
                z = node.parents[0]
                if not relu_done and z not in reached:
                    z.grad = 0.0  # the walk reset only the nodes it reached
                dots.append(z)
            else:
                dots.append(node)
        if not relu_done:
            for node in pending:
                if node.op is ops.RELU:
                    suspect = _node_step(node) or suspect
        pending = list(dict.fromkeys(dots))
    for node in pending:
        suspect = _node_step(node) or suspect
    return suspect


def _block_nodes(block: _nodes.Block) -> list[Value]:
    """The nodes of a block that a backward pass reached, each after its parents."""
    dots = [r.parents[0] for r in block.pending if block.relu and r.op is ops.RELU]
    return list(dict.fromkeys([*dots, *block.pending]))


def _expanded(order: list[Any]) -> list[Value]:
    """Backward's order with each block replaced by the nodes of it the pass reached."""
    out: list[Value] = []
    for node in order:
        if node.__class__ is _Block:
            out += _block_nodes(node)
        else:
            out.append(node)
    return out


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
    for node in _interior_order(root):
        for parent in node.parents:
            if parent.op is None and parent not in seen:
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
    if args and all(map(isinstance, args, _repeat(Value))):  # the usual case, checked in C
        values = tuple(args)
    elif not any(isinstance(a, Value) for a in args):
        floats = [_nodes.as_float(a, op.name) for a in args]
        try:
            out = _checked_output(op, op.forward(*floats))
        except (ArithmeticError, ValueError) as exc:
            raise _nodes.domain_error(op, floats, exc) from None
        return out
    else:
        values = tuple(as_value(a, op.name) for a in args)
    xs = list(map(_data_of, values))
    try:
        out = _checked_output(op, op.forward(*xs))
        partials = tuple(op.partials(out, *xs)) if _grad_enabled() else _EMPTY
    except (ArithmeticError, ValueError) as exc:
        raise _nodes.domain_error(op, values, exc) from None
    if _grad_enabled():
        if len(partials) != len(values):
            raise ValueError(
                f"{op.name}: partials rule returned {len(partials)} value(s) for "
                f"{len(values)} input(s)"
            )
        if not all(map(_is, map(type, partials), _repeat(float))):
            partials = tuple(_checked_partial(op, p) for p in partials)
    return _nodes.node(Value, op, out, values, partials)


def _checked_output(op: Op, out: Any) -> float:
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


def _interior_order(*roots: Value) -> list[Value]:
    """The interior nodes the roots depend on, each after its parents (a depth-first search
    that takes each node's parents in operand order, as backward's walk does).

    Iterative, so graph depth is limited by memory, not by the Python stack. Leaves need no
    visit: they only receive gradient. The stack holds nodes: a node to visit is pushed back
    under the marker ``_EMIT`` before its parents are pushed, and comes off the stack again,
    to be emitted, only when everything above the marker (its parents) has been. A node
    pushed twice, by two consumers, is visited once. The nodes of a layer's block are walked
    like any other, through their parents. This walk changes no gradient;
    :func:`_backward_order` is its faster twin for ``backward``.
    """
    order: list[Value] = []
    emit = order.append
    visited: set[Value] = set()
    mark = visited.add
    stack: list[Any] = [*reversed(roots)]
    push, pop = stack.append, stack.pop
    while stack:
        node = pop()
        if node is _EMIT:
            emit(pop())
            continue
        if node in visited:
            continue
        mark(node)
        inner = node._db if node._b is None else node.parents  # (parents in slots)
        if inner.__class__ is not tuple:  # unchecked, or a layer's node
            inner = _inner_parents(node)[0] if inner is _UNCHECKED else node.parents
        push(node)
        push(_EMIT)
        for parent in reversed(inner):
            if parent.op is not None and parent not in visited:
                push(parent)
    return order


_EMIT = object()  # on a walk's stack: emit the node under it (its parents are done)


def _backward_order(root: Value, leaves: list[Value]) -> tuple[list[Any], bool]:
    """Backward's walk: :func:`_interior_order`'s order, found faster, with the gradients of
    the nodes it walks reset to 0 (backward's interior nodes hold this pass's gradient only).

    A node's state is written into its ``grad`` instead of kept in a set: two float 0.0s of
    the walk's own, told apart by identity, mark a node *open* (its parents are being walked)
    and then *done* (emitted), so that marking a node is also resetting it. An open node
    stays on the stack under its parents instead of under an ``_EMIT`` marker and is emitted
    when it comes off again: one push and one pop fewer per node. Nothing can push an open
    node meanwhile (that would take a node that depends on itself). A node with parents in
    slots pushes them from there. (micrograd's demo: a set and ``_EMIT`` markers took about
    40 ms for its 65,000 nodes, markers in ``grad`` 22 ms, and no ``_EMIT`` 4% fewer
    instructions again.)

    Returns the order and whether a node has an infinite or NaN local derivative (such nodes
    stay unchecked, so every walk sees them), for the check of the leaves. ``leaves``
    receives the leaves the walk passes on its way (not those of a layer's weights).

    The nodes of a layer on a batch (:class:`_nodes.Block`) are not listed one by one: an
    output of the layer that the walk reaches is added to its block's ``pending`` list, and
    the block takes its place in the order, once, after the layer's inputs.
    """
    order: list[Any] = []
    emit = order.append
    suspect = False
    opened = float(0)  # this walk's markers: new float objects, not the constant 0.0
    done = float(0)
    stack: list[Any] = [root]
    push, pop = stack.append, stack.pop
    leaf = leaves.append
    while stack:
        node = pop()
        g = node.grad
        if g is done:  # a second consumer pushed it
            continue
        if g is opened:  # back on top: its parents are done
            node.grad = done
            emit(node)
            continue
        node.grad = opened
        b = node._b
        if b is not None:  # parents in slots (see Value): the usual case, written out
            push(node)
            if b is not _SINGLE:
                if b.op is None:
                    leaf(b)
                elif b.grad is not done:
                    push(b)
            a = node._a
            if a.op is None:
                leaf(a)
            elif a.grad is not done:
                push(a)
            continue
        inner = node._db  # the parents in a tuple, or a marker (see _nodes.UNCHECKED)
        if inner.__class__ is not tuple:
            if inner is _UNCHECKED:
                inner, finite = _inner_parents(node)
                suspect = suspect or not finite
            elif inner is _nodes.BLOCK:  # a block itself (Block.feeds)
                inner = _enter_block(node, done)
            else:  # an output of a layer's block: the block takes its place
                inner.pending.append(node)
                node.grad = done  # (never emitted itself)
                node = inner
                if node.grad is done:
                    continue
                node.grad = opened
                inner = _enter_block(node, done)
        push(node)
        for parent in reversed(inner):
            if parent.op is None:
                leaf(parent)
            elif parent.grad is not done:
                push(parent)
    return order, suspect


def _enter_block(block: _nodes.Block, done: float) -> list[Any]:
    """What backward's walk goes on to from a block: its interior inputs, and the blocks that
    made them when a whole layer's outputs feed it (``Block.feeds``): those outputs join that
    block's ``pending`` list at once, marked ``done``, without a visit each."""
    ahead: list[Any] = block.inputs
    if block.feeds:
        ahead = [*ahead]
        for source, outputs in block.feeds:
            for node in outputs:
                node.grad = done
            source.pending += outputs
            ahead.append(source)
    return ahead


def _inner_parents(node: Value) -> tuple[tuple[Value, ...], bool]:
    """The parents the walk follows for an unchecked node, and whether its local derivatives
    are all finite; if they are, the node is marked checked (its ``_db`` is the parents)."""
    inner = node.parents
    finite = _nodes.finite_partials(node.partials)
    if finite:
        node._db = inner
    return inner, finite


def _check_leaves(order: list[Any]) -> None:
    """Warn when a leaf of the graph walked ended with an infinite or NaN gradient."""
    for node in order:
        if node.__class__ is _Block:
            # the block's leaves, thousands in a layer: one C-level sum first
            parents = [*node.weights_and_biases(), *node.leaf_inputs]
            total = sum(map(_grad_of, parents), 0.0)
            if not total - total:
                continue
        else:
            parents = node.parents
        for parent in parents:
            if parent.op is None and not _nodes.is_finite(parent.grad):
                origin = _first_non_finite(_expanded(order))
                name = f"{parent.label!r}" if parent.label else f"of value {parent.data!r}"
                warnings.warn(
                    f"backward: the gradient of leaf {name} is {parent.grad!r}; {origin}",
                    RuntimeWarning,
                    stacklevel=3,
                )
                return


def _first_non_finite(order: list[Value]) -> str:
    """Where, in backward's order, a finite gradient first became infinite or NaN, and why."""
    for node in reversed(order):
        g = node.grad
        if not _nodes.is_finite(g):
            continue
        for i, local in enumerate(node.partials):
            if _nodes.is_finite(local * g):
                continue
            assert node.op is not None
            names = node.op.argnames
            arg = names[i] if len(names) == len(node.parents) else f"input {i}"
            where = _anomaly.where(node)
            if _nodes.is_finite(local):
                why = f"the product {local!r} × {g!r} overflows"
            else:
                why = f"its local derivative ∂out/∂{arg} is {local!r}"
            return (
                f"the first infinite or NaN gradient arose at {_describe_node(node)}{where}: {why}"
            )
    if all(_nodes.is_finite(n.grad) for n in order):
        return (
            "each contribution to it was finite, but their sum is too large for a float "
            "(gradients adding up overflowed)"
        )
    return "the seed gradient or a gradient set by hand was not finite"


# -- the general chain rule: gradients of any order, hooks, anomaly mode ---------------------


def grad(
    outputs: Value | Sequence[Value],
    inputs: Value | Sequence[Value],
    grad_outputs: Any = None,
    create_graph: bool = False,
    allow_unused: bool = False,
) -> tuple[Any, ...]:
    """The gradients of ``outputs`` with respect to ``inputs``, leaving every ``.grad`` alone.

    PyTorch's ``torch.autograd.grad``. With ``create_graph=True`` the op table's partials
    rules are fed Values, so each gradient is itself a Value with a graph: differentiate it
    again for second derivatives, and again for third, to any order. Pictures draw it.

    Args:
        outputs: A Value or a sequence of Values (their gradients are summed).
        inputs: A Value or a sequence of Values (leaves or interior nodes).
        grad_outputs: The seed for each output (numbers, or Values with create_graph); 1.0
            each by default.
        create_graph: Return Values with a graph instead of floats.
        allow_unused: Return ``None`` for an input the outputs do not depend on instead of
            raising ``ValueError``.

    Returns:
        A tuple with one gradient per input.

    Example:
        >>> import autograd_core as ag
        >>> x = ag.Value(2.0, label="x")
        >>> y = x ** 3
        >>> (dy,) = ag.grad(y, x, create_graph=True)   # 3x² as a Value: 12
        >>> (d2y,) = ag.grad(dy, x, create_graph=True)  # 6x: 12
        >>> (d3y,) = ag.grad(d2y, x)                    # 6
        >>> dy.data, d2y.data, d3y, x.grad
        (12.0, 12.0, 6.0, 0.0)
    """
    outs = _as_values(outputs, "grad: outputs")
    ins = _as_values(inputs, "grad: inputs")
    if grad_outputs is None:
        seeds: list[Any] = [1.0] * len(outs)
    else:
        seeds = list(grad_outputs) if isinstance(grad_outputs, (list, tuple)) else [grad_outputs]
        if len(seeds) != len(outs):
            raise ValueError(
                f"grad: {len(seeds)} grad_outputs for {len(outs)} outputs; give one per output"
            )
    grads = _chain_rule(outs, seeds, create_graph)
    result: list[Any] = []
    used: set[Value] | None = None
    for i, x in enumerate(ins):
        if x in grads:
            result.append(grads[x])
            continue
        if used is None:  # an input no gradient reached: used (gradient 0) or not at all?
            used = {n for out in outs for n in topological_order(out)}
        if x in used:
            result.append(as_value(0.0) if create_graph else 0.0)
        elif allow_unused:
            result.append(None)
        else:
            name = f" {x.label!r}" if x.label else f" {i}"
            raise ValueError(
                f"grad: input{name} (data={x.data!r}) is not used to compute the outputs; "
                "pass allow_unused=True to get None for it"
            )
    return tuple(result)


def _as_values(xs: Any, where: str) -> list[Value]:
    items = [xs] if isinstance(xs, Value) else list(xs) if isinstance(xs, (list, tuple)) else None
    if not items or not all(isinstance(x, Value) for x in items):
        raise TypeError(f"{where}: expected a Value or a non-empty list of Values, got {xs!r}")
    return items


def _general_backward(root: Value, gradient: Any, create_graph: bool) -> None:
    """``backward`` with hooks, anomaly mode or ``create_graph``: through :func:`_chain_rule`,
    then the results stored in ``.grad`` (interior nodes: this pass; leaves: accumulated)."""
    seed = gradient if isinstance(gradient, Value) else _nodes.as_float(gradient, "backward")
    if not root.parents and root._db is _nodes.NO_GRAPH:
        raise _no_graph_error(root)
    grads = _chain_rule([root], [seed], create_graph)
    for node, g in grads.items():
        if node.parents:
            node.grad = g
        else:
            old = node.grad
            node.grad = g if type(old) is float and old == 0.0 else old + g


def _chain_rule(roots: list[Value], seeds: list[Any], create_graph: bool) -> dict[Value, Any]:
    """The chain rule into a dict, node -> gradient: floats, or Values with ``create_graph``."""
    for root, seed in zip(roots, seeds):
        if not root.parents and root._db is _nodes.NO_GRAPH:
            raise _no_graph_error(root)
        if not create_graph and isinstance(seed, Value):
            raise TypeError("grad: a Value in grad_outputs needs create_graph=True")
    grads: dict[Value, Any] = {}
    for root, seed in zip(roots, seeds):
        s = seed if isinstance(seed, Value) else _nodes.as_float(seed, "grad: grad_outputs")
        grads[root] = grads[root] + s if root in grads else s
    interior = [r for r in roots if r.parents]
    order = _interior_order(*interior) if interior else []
    hooked = _hooks.count > 0
    checking = _anomaly.active
    mode = enable_grad() if create_graph else no_grad()
    with mode:
        for node in reversed(order):
            g = grads.get(node)
            if g is None:
                continue
            if hooked and _hooks.of(node):
                g = grads[node] = _run_hooks(node, g)
            if checking:
                _anomaly.check_gradient(node, g)
            if create_graph:
                assert node.op is not None
                local_rule = node.op.partials(node, *node.parents)
            else:
                local_rule = node.partials
            passes: Sequence[bool]
            if create_graph and isinstance(g, Value) and g.parents:
                # a gradient with a graph carries derivatives even where its value is 0
                passes = _unselected(node, [True] * len(local_rule))
            else:
                passes = _passes(node, g, local_rule)
            for parent, local, passing in zip(node.parents, local_rule, passes):
                if not passing:
                    continue
                contribution = _times(local, g) if create_graph else local * g
                if checking:
                    _anomaly.check_contribution(node, parent, local, g, contribution)
                if parent not in grads:
                    grads[parent] = contribution
                elif create_graph:
                    grads[parent] = _plus(grads[parent], contribution)
                else:
                    grads[parent] += contribution
                if checking and not _nodes.is_finite(_data(grads[parent])):
                    _anomaly.check_sum(node, parent, grads[parent])
        if hooked:
            for leaf in [n for n in grads if not n.parents and _hooks.of(n)]:
                grads[leaf] = _run_hooks(leaf, grads[leaf])
    if not checking and not create_graph and any(not _nodes.is_finite(g) for g in grads.values()):
        _check_dict(grads, order)
    return grads


def _passes(node: Value, g: Any, partials: Sequence[Any]) -> Sequence[bool]:
    """Which edges of ``node`` carry gradient ``g`` (PyTorch's rules): for a finite non-zero
    ``g``, all; for a zero ``g``, those whose local derivative is infinite or NaN (0·inf is
    NaN; 0 × a finite number adds nothing); for an infinite or NaN ``g``, all. In the last two
    cases a zero derivative of an op that *selects* (relu) passes nothing."""
    gd = _data(g)
    if gd and not gd - gd:
        return [True] * len(partials)
    passes = [True] * len(partials) if gd else [not _nodes.is_finite(_data(p)) for p in partials]
    return _unselected(node, passes) if any(passes) else passes


def _unselected(node: Value, passes: list[bool]) -> list[bool]:
    """``passes`` without the edges that ``node``'s op selects away (see ``Op.selects``)."""
    op = node.op
    if op is None or op.base.selects is None:
        return passes
    blocked = op.base.selects(*(p.data for p in node.parents), *op.params)
    return [p and not b for p, b in zip(passes, blocked)]


def _times(local: Any, g: Any) -> Any:
    """``local · g`` for create_graph: a Value, or a plain float once either is infinite or
    NaN (such a gradient has no derivative to record; PyTorch keeps the number too)."""
    if _nodes.is_finite(local) and _nodes.is_finite(g):
        return local * g
    return _data(local) * _data(g)


def _plus(a: Any, b: Any) -> Any:
    """``a + b`` for create_graph, as :func:`_times`."""
    if _nodes.is_finite(a) and _nodes.is_finite(b):
        return a + b
    return _data(a) + _data(b)


def _data(x: Any) -> float:
    return x.data if isinstance(x, Value) else float(x)


def _check_dict(grads: dict[Value, Any], order: list[Value]) -> None:
    for node, g in grads.items():
        if not node.parents and not _nodes.is_finite(g):
            name = f"{node.label!r}" if node.label else f"of value {node.data!r}"
            warnings.warn(
                f"grad: the gradient of leaf {name} is {g!r}", RuntimeWarning, stacklevel=4
            )
            return


def _run_hooks(node: Value, g: Any) -> Any:
    for hook in list((_hooks.of(node) or {}).values()):
        replaced = hook(g)
        if replaced is not None:
            if not isinstance(replaced, Value):
                replaced = _nodes.as_float(replaced, "register_hook: the hook's return value")
            g = replaced
    return g


class RemovableHandle:
    """What ``Value.register_hook`` returns: ``remove()`` takes the hook off.

    Example:
        >>> import autograd_core as ag
        >>> x = ag.Value(1.0)
        >>> h = x.register_hook(print)
        >>> h.remove(); h.remove()  # removing twice is harmless
    """

    __slots__ = ("_node_id", "_key")

    def __init__(self, node_id: int, key: int) -> None:
        self._node_id = node_id
        self._key = key

    def remove(self) -> None:
        """Take the hook off (nothing happens if it is already off).

        Example:
            >>> import autograd_core as ag
            >>> x = ag.Value(2.0)
            >>> handle = x.register_hook(lambda g: 2 * g)
            >>> handle.remove()
            >>> (x * 3).backward(); x.grad
            3.0
        """
        _hooks.remove(self._node_id, self._key)


# -- what a few nodes carry besides their slots: hooks, and where anomaly mode saw them made ----
# A Value has no room for these (every byte of a node counts, and there are millions), so they
# live in a table keyed by the node's id. Such a node is switched to a subclass of its class
# that adds nothing but a ``__del__`` removing its entry, so the table never holds a node alive
# (the graph is still freed by reference counting) and an id reused later finds no stale entry.

_extras: dict[int, dict[str, Any]] = {}
_tagged_classes: dict[type, type] = {}


def _forget(node: Value) -> None:
    extras = _extras.pop(id(node), None)
    if extras is not None and extras.get("hooks"):
        _hooks.count -= 1


def _tagged(cls: type[Value]) -> type[Value]:
    """The subclass of ``cls`` for nodes with extras (same layout, plus the clean-up)."""
    if cls in _tagged_classes.values():
        return cls
    tagged = _tagged_classes.get(cls)
    if tagged is None:
        tagged = type(
            cls.__name__,
            (cls,),
            {"__slots__": (), "__del__": _forget, "__module__": cls.__module__},
        )
        tagged.__qualname__ = cls.__qualname__
        _tagged_classes[cls] = tagged
    return tagged


def _extras_of(node: Value) -> dict[str, Any]:
    """The extras of ``node``, tagging it on first use."""
    node.__class__ = _tagged(type(node))
    return _extras.setdefault(id(node), {})


class _Hooks:
    """The hooks of all nodes: ``count`` nodes have at least one."""

    def __init__(self) -> None:
        self.count = 0
        self.next_key = 0

    def add(self, node: Value, hook: Callable[[Any], Any]) -> RemovableHandle:
        hooks = _extras_of(node).setdefault("hooks", {})
        if not hooks:
            self.count += 1
        self.next_key += 1
        hooks[self.next_key] = hook
        return RemovableHandle(id(node), self.next_key)

    def of(self, node: Value) -> dict[int, Callable[[Any], Any]] | None:
        extras = _extras.get(id(node))
        return None if extras is None else extras.get("hooks")

    def remove(self, node_id: int, key: int) -> None:
        extras = _extras.get(node_id)
        hooks = None if extras is None else extras.get("hooks")
        if hooks and key in hooks:
            del hooks[key]
            if not hooks:
                self.count -= 1


_hooks = _Hooks()


class _Anomaly:
    """Anomaly mode's state: where each node was made, and the checks of backward."""

    def __init__(self) -> None:
        self.depth = 0

    @property
    def active(self) -> bool:
        return self.depth > 0

    def where(self, node: Value) -> str:
        extras = _extras.get(id(node))
        site = None if extras is None else extras.get("site")
        return f", made at {site}" if site else ""

    def new(self, cls: type[Value]) -> Value:
        """``object.__new__`` for nodes while anomaly mode is on: also records the caller."""
        node: Value = _object_new(_tagged(cls))
        frame = sys._getframe(1)
        while frame is not None and frame.f_globals.get("__name__", "").startswith(_PACKAGE):
            frame = frame.f_back  # type: ignore[assignment]
        if frame is not None:
            _extras.setdefault(id(node), {})["site"] = (
                f"{frame.f_code.co_filename}:{frame.f_lineno}"
            )
        return node

    def check_gradient(self, node: Value, g: Any) -> None:
        if not _nodes.is_finite(_data(g)):
            raise FloatingPointError(
                f"detect_anomaly: backward reached {_describe_node(node)}{self.where(node)} "
                f"with gradient {_data(g)!r}"
            )

    def check_sum(self, node: Value, parent: Value, total: Any) -> None:
        name = f"{parent.label!r}" if parent.label else f"of value {parent.data!r}"
        raise FloatingPointError(
            f"detect_anomaly: the gradient of {name} became {_data(total)!r} when the "
            f"contribution of {_describe_node(node)}{self.where(node)} was added: finite "
            "gradients adding up overflowed"
        )

    def check_contribution(
        self, node: Value, parent: Value, local: Any, g: Any, contribution: Any
    ) -> None:
        if _nodes.is_finite(_data(contribution)):
            return
        assert node.op is not None
        i = node.parents.index(parent)
        names = node.op.argnames
        arg = names[i] if len(names) == len(node.parents) else f"input {i}"
        raise FloatingPointError(
            f"detect_anomaly: backward of {_describe_node(node)}{self.where(node)} produced "
            f"{_data(contribution)!r} for ∂/∂{arg}: local derivative {_data(local)!r} × "
            f"gradient {_data(g)!r}"
        )


_anomaly = _Anomaly()
_object_new = object.__new__
_PACKAGE = __name__.rsplit(".", 1)[0] + "."


def _describe_node(node: Value) -> str:
    assert node.op is not None
    return f"{node.op.describe()}({_nodes.describe_operands(node.op, node.parents)})"


class detect_anomaly:  # noqa: N801 - named like PyTorch's context manager
    """Find where a NaN or infinity comes from: inside this block, every node records the line
    of your code that made it, and backward raises ``FloatingPointError`` at the first
    infinite or NaN gradient, naming the op, its inputs and that line.

    Slow (a stack lookup per node), so for debugging; no cost at all when off. It is one
    switch for the whole process, and it nests.

    Example:
        >>> import autograd_core as ag
        >>> x = ag.Value(0.0, label="x")
        >>> with ag.detect_anomaly():
        ...     y = ag.sqrt(x) * 0.0 + x
        ...     y.backward()  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        FloatingPointError: detect_anomaly: backward of sqrt(x=0.0 (Value 'x')), made at ...
    """

    def __enter__(self) -> detect_anomaly:
        _anomaly.depth += 1
        _nodes.set_node_allocator(_anomaly.new)
        return self

    def __exit__(self, *exc: object) -> None:
        _anomaly.depth -= 1
        if not _anomaly.depth:
            _nodes.set_node_allocator(_object_new)


def _no_graph_error(node: Value) -> RuntimeError:
    return RuntimeError(
        f"backward: {node!r} has no graph: it was computed under no_grad (or "
        "set_grad_enabled(False)), so there is nothing to differentiate. Compute it with "
        "gradients enabled, or start from a leaf you made with Value(...)."
    )


def _shown(x: Any) -> str:
    """A number in a repr: exact when short, else to 8 significant digits (PyTorch shows 4)."""
    if type(x) is not float:
        return repr(x)
    text = repr(x)
    if len(text) <= 10:
        return text
    short = f"{x:.8g}"
    return short if "e" in short or "." in short else short + ".0"


def _compared(other: Any, symbol: str) -> float:
    if isinstance(other, Value):
        return other.data
    number = _nodes.lift_number(other) if not isinstance(other, float) else other
    if number is None:
        raise TypeError(
            f"'{symbol}' between a Value and {type(other).__name__} {other!r}: compare with a "
            "number or another Value"
        )
    return number


# -- gradient mode ---------------------------------------------------------------------------


class _GradMode:
    """Context manager and decorator that sets whether new nodes record their graph."""

    _enabled: bool

    def __init__(self) -> None:
        # The mode each ``with`` replaced, per thread: one instance may be entered in several
        # threads (or nested) at once, and each exit restores what its own entry replaced.
        self._saved = threading.local()

    def __enter__(self) -> None:
        stack = self._saved.__dict__.setdefault("stack", [])
        stack.append(_GRAD_ENABLED.get())
        _GRAD_ENABLED.set(self._enabled)

    def __exit__(self, *exc: object) -> None:
        _GRAD_ENABLED.set(self._saved.stack.pop())

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
