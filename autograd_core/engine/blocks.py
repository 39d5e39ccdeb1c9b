"""Layer blocks: a layer of neurons on a batch, built and differentiated as one.

``nn.Layer`` on a batch (and ``nn.MLP``, ``fit``) makes its nodes through :func:`dense`: per
neuron and sample, an ordinary ``dot`` (or ``affine``) node and its activation, with the usual
``op``, ``parents`` and ``partials``, so that pictures, the step-through page and
``ag.grad`` see nothing unusual, and the reference engine differentiates them like any node.

Same result as ``reference.backward``, faster because the fast walk (``walk.py``) treats the
layer's nodes as one :class:`Block`: instead of handing each node's gradient down edge by edge
(a Python loop over ``2k + 1`` edges per neuron and sample), it gathers the gradients of the
layer's outputs into a matrix and computes the weights' and the inputs' gradients column by
column with ``sum(map(mul, ...))``, in C (:func:`block_backward`). The sums run over the samples
in another order than node by node, so the gradients agree with the reference to about 1e-15
relative, not to the bit (the tests hold them to 1e-12). The forward pass also saves work: the
weights' data are read once per batch, a sample's data once per layer, and a relu layer makes
its ``dot`` nodes only when something reads them (:meth:`Block.dot_node`).
"""

from __future__ import annotations

import itertools
import math
import operator
from collections.abc import Callable, Sequence
from itertools import chain
from typing import TYPE_CHECKING, Any

from autograd_core import ops
from autograd_core._gc import pausing_gc
from autograd_core.engine import layout, reference
from autograd_core.engine.mode import ENGINE, grad_enabled
from autograd_core.ops import Op

if TYPE_CHECKING:
    from autograd_core.engine.value import Value

__all__ = ["Block", "BLOCK", "dense", "layer_classes", "block_backward", "node_step"]

_new = object.__new__  # (anomaly mode swaps in its own: layout.set_node_allocator)
layout.ALLOCATING.append(globals())
_walk_of = operator.attrgetter("_db")  # for a node in tuples: UNCHECKED, its parents, or a Block
_data_of = operator.attrgetter("data")
_FLOAT_ONLY = {float}
_op_of = operator.attrgetter("op")
_grad_of = operator.attrgetter("grad")
_partials_of = operator.attrgetter("partials")
_dot_of = operator.attrgetter("_dot")  # a block's relu node keeps its dot node there
_is = operator.is_
_getitem = operator.getitem
_mul = operator.mul
_repeat, _compress = itertools.repeat, itertools.compress


def node_step(node: Value) -> bool:
    """The chain rule at one node into its parents' ``.grad``; True if it was not finite.

    A finite non-zero gradient times each local derivative; any other (0, inf, NaN) through
    ``reference.chain_rule_step``, which holds PyTorch's edge rules (0 × inf is NaN; an op that
    selects passes nothing on a blocked edge).
    """
    g = node.grad
    if g and not g - g:
        for parent, local in zip(node.parents, node.partials):
            parent.grad += local * g
        return False  # (an infinite local derivative shows in the leaves' check)
    if not g and layout.finite_partials(node.partials):
        return False  # only zeros to add
    for parent, _, contribution in reference.chain_rule_step(node, g):
        if contribution is not None:  # (None: an edge the op selects away)
            parent.grad += contribution
    return True


_layer_classes: dict[type, tuple[type, type, type]] = {}


def _raw(name: str) -> Any:
    """The member descriptor of one of Value's slots (the storage a subclass's property hides)."""
    return layout.VALUE.__dict__[name]


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
        >>> from autograd_core.engine.blocks import layer_classes
        >>> dot_class, relu_class, affine_class = layer_classes(ag.Value)
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
        layout._LAYER_BASE[made] = cls
    layout._PLAIN.clear()  # layout.plain_class answers again for the new classes
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
    the inputs' gradients column by column, in loops that run in C (:func:`block_backward`).

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
        # slots, and BLOCK as its ``_db`` (walk.backward_order, enter_block; not the
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
    if not grad_enabled() or ENGINE.reference:  # (the reference engine: node by node)
        return None
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
    classes = layer_classes(cls)
    dot_class, _, affine_class = classes
    # per neuron, what its nodes keep (layer_classes), made for the kinds of samples there are
    # (filled by _add_sample): for a dot node (*w,), (b,) and (*w data, 1.0); for an affine
    # node its parents (*w, b)
    block.kept = {dot_class: [], affine_class: []}
    # weights computed from other Values (tied, scaled) are interior: the walk goes on there
    tied = list(filter(_op_of, chain(chain.from_iterable(weights), biases)))
    inputs = block.inputs
    inputs += tied
    separate = activation is not None and not relu  # the block's outputs are the dot nodes
    made: list[Value] = []
    if relu:  # the relu nodes only: each one's dot node is made when read (Block.dot_node)
        outputs = _relu_outputs(block, cls, classes, batch, n_in)
    else:
        outputs = _dot_outputs(block, cls, classes, batch, n_in, activation, made)
    if outputs is None:
        return None
    block.ids = list(map(id, made if separate else chain.from_iterable(outputs)))
    if inputs and not tied:
        below = set(map(_walk_of, inputs))
        if len(below) == 1:
            (source,) = below
            if type(source) is Block:  # all of them outputs of the layer below
                block.feeds = [(source, inputs)]
                block.inputs = []
    return outputs


def _add_sample(
    block: Block,
    cls: type[Value],
    classes: tuple[type[Value], type[Value], type[Value]],
    x: Sequence[Any],
    n_in: int,
) -> tuple[type[Value], list[Any], tuple[float, ...]] | None:
    """One sample of :func:`dense`'s batch, recorded in ``block``: the class of its nodes,
    the neurons' rows for that class (``(kept, weight data, bias data)`` each) and its data.

    ``None`` when the sample has the wrong length or is neither all floats nor all Values of
    ``cls`` (the caller then takes the plain path). A sample of Values adds its interior
    Values to ``block.inputs`` and its leaves to ``block.leaf_inputs``.
    """
    xs = x if type(x) is list or type(x) is tuple else list(x)
    if len(xs) != n_in:
        return None
    dot_class, _, affine_class = classes
    # what the sample holds, read in C: floats (data), Values (nodes), or a mix (plain path)
    kinds = set(map(type, xs))
    if kinds == _FLOAT_ONLY:  # data: bound to the op (checked: floats, finite sums)
        xd = tuple(xs)  # (a copy: the caller may reuse its list)
        node_class = affine_class
        rows = block.kept[affine_class]
        if not rows:
            rows += [((*ws, b), wd, b.data) for ws, b, wd in block.rows]
        block.samples.append(None)
    elif all(issubclass(k, cls) for k in kinds):  # parents (*w, *x, b), partials (*x, *w, 1)
        xs = tuple(xs)
        xd = tuple(map(_data_of, xs))
        node_class = dot_class
        rows = block.kept[dot_class]
        if not rows:
            rows += [((ws, (b,), (*wd, 1.0)), wd, b.data) for ws, b, wd in block.rows]
        interior = list(filter(_op_of, xs))  # (an op is truthy)
        block.inputs += interior
        if len(interior) < n_in:
            block.leaf_inputs += [v for v in xs if v.op is None]
        block.samples.append(xs)
        block.valued = True
    else:
        return None
    block.data.append(xd)
    return node_class, rows, xd


def _relu_outputs(
    block: Block,
    cls: type[Value],
    classes: tuple[type[Value], type[Value], type[Value]],
    batch: Sequence[Sequence[Any]],
    n_in: int,
) -> list[list[Value]] | None:
    """The relu nodes of a relu layer (:func:`dense`), per sample one per neuron, without the
    ``dot`` nodes under them: each one's dot node is made when read (:meth:`Block.dot_node`).
    ``None`` when a sample is not one :func:`_add_sample` takes, or a neuron's sum is not
    finite."""
    mul = _mul
    relu_class = classes[1]
    relu_op = ops.RELU
    one, zero = ops._ONE, ops._ZERO
    outputs: list[list[Value]] = []
    for x in batch:
        sample = _add_sample(block, cls, classes, x, n_in)
        if sample is None:
            return None
        node_class, rows, xd = sample
        block.kinds.append(node_class)
        out: list[Value] = []
        append = out.append
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
    return outputs


def _dot_outputs(
    block: Block,
    cls: type[Value],
    classes: tuple[type[Value], type[Value], type[Value]],
    batch: Sequence[Sequence[Any]],
    n_in: int,
    activation: Callable[[Value], Value] | None,
    made: list[Value],
) -> list[list[Value]] | None:
    """The ``dot`` (or ``affine``) nodes of a layer without relu (:func:`dense`), per sample
    one per neuron; with an ``activation``, each one goes to ``made`` (the block's outputs)
    and its activation is returned in its place. ``None`` when a sample is not one
    :func:`_add_sample` takes, or a neuron's sum is not finite."""
    mul = _mul
    separate = activation is not None  # the block's outputs are the dot nodes
    keep = made.append
    outputs: list[list[Value]] = []
    for x in batch:
        sample = _add_sample(block, cls, classes, x, n_in)
        if sample is None:
            return None
        node_class, rows, xd = sample
        op, shared = _sample_op(block.samples[-1], xd)
        out: list[Value] = []
        append = out.append
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
    return outputs


def block_backward(block: Block) -> bool:
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
        grads = _relu_step(block, pending)
    else:
        grads = list(map(_grad_of, pending))
    flat = _flat_grads(block, pending, grads)
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
    _weights_backward(block, rows, data)
    if block.valued:  # the samples of Values (not of numbers) get gradients
        _inputs_backward(block, rows, samples)
    return False  # (the weights and biases are checked once per pass: _blocks_leaves_total)


def _relu_step(block: Block, pending: list[Any]) -> list[float]:
    """The relu steps of a relu block's reached outputs (``pending``), all at once: the
    gradient of each one's ``dot`` node, also given to those :meth:`Block.dot_node` made."""
    # the relu steps: the dot node gets the relu's gradient where the relu passed, else 0
    # (relu selects: a 0 edge passes nothing, even an infinite gradient)
    passed = map(_is, map(_partials_of, pending), _repeat(ops._ONE))
    # (0.0, g)[passed], in C: g where the relu passed, else 0.0
    grads = list(map(_getitem, zip(_repeat(0.0), map(_grad_of, pending)), passed))
    if block.positions is not None:  # dot nodes were made (Block.dot_node): they get theirs
        for z, g in zip(map(_dot_of, pending), grads):
            if z is not None:  # (one not made yet takes its gradient when it is made)
                z.grad = g
    return grads


def _flat_grads(block: Block, pending: list[Any], grads: list[float]) -> list[float]:
    """The gradients ``grads`` of the reached outputs ``pending`` laid out as ``block.ids``
    (sample by sample, neuron by neuron), 0 for an output the walk did not reach."""
    ids = list(map(id, pending))
    if ids == block.ids:  # the walk reached every output, in order (the next layer's inputs)
        return grads
    # some outputs, or in another order: G from their ids (0 for those not reached)
    return list(map(dict(zip(ids, grads)).get, block.ids, _repeat(0.0)))


def _weights_backward(
    block: Block, rows: list[list[float]], data: Sequence[Sequence[float]]
) -> None:
    """Each weight's ``Σₛ G[s][n]·x[s][k]`` and each bias's ``Σₛ G[s][n]``, added to their
    ``.grad`` (``rows``: ``G`` of the active samples, ``data``: their inputs' data)."""
    columns = list(zip(*data))  # per input, over the samples
    for (ws, b, _), gn in zip(block.rows, zip(*rows)):
        for w, xc in zip(ws, columns):
            w.grad = sum(map(_mul, gn, xc), w.grad)
        b.grad = sum(gn, b.grad)


def _inputs_backward(
    block: Block, rows: list[list[float]], samples: Sequence[tuple[Any, ...] | None]
) -> None:
    """Each input Value's ``Σₙ G[s][n]·w[n][k]``, added to its ``.grad``, for the samples of
    Values among the active ``samples`` (``rows``: their ``G``)."""
    n = block.n_out
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


def blocks_leaves_total(order: list[Any]) -> float:
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
        if node.__class__ is Block:
            weights, bs = node.neurons
            lists.update(zip(map(id, weights), weights))
            biases.update(zip(map(id, bs), bs))
            extra += node.leaf_inputs
    weights_total = sum(map(_grad_of, chain.from_iterable(lists.values())), 0.0)
    return weights_total + sum(map(_grad_of, biases.values()), 0.0) + sum(map(_grad_of, extra), 0.0)


def _one_sample_backward(
    block: Block, gs: list[float], xd: Sequence[float], xs: Sequence[Value] | None
) -> None:
    """:func:`block_backward` for a block of one sample (a layer called on one input, as
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


def _block_by_node(block: Block, relu_done: bool = False) -> bool:
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
                    suspect = node_step(node) or suspect
        pending = list(dict.fromkeys(dots))
    for node in pending:
        suspect = node_step(node) or suspect
    return suspect


def _block_nodes(block: Block) -> list[Value]:
    """The nodes of a block that a backward pass reached, each after its parents."""
    dots = [r.parents[0] for r in block.pending if block.relu and r.op is ops.RELU]
    return list(dict.fromkeys([*dots, *block.pending]))


def expanded(order: list[Any]) -> list[Value]:
    """Backward's order with each block replaced by the nodes of it the pass reached."""
    out: list[Value] = []
    for node in order:
        if node.__class__ is Block:
            out += _block_nodes(node)
        else:
            out.append(node)
    return out


def enter_block(block: Block, done: float) -> list[Any]:
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
