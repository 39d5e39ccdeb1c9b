"""The fast walk: ``Value.backward()`` on graphs without hooks, anomaly mode or create_graph.

Same result as ``reference.backward``, faster because:

* the gradients live in the nodes' ``grad`` slots, not in a dict, and the walk that orders the
  nodes also resets them (:func:`backward_order`);
* a node whose gradient is 0 is skipped when its local derivatives are finite (adding
  ``0 × finite`` changes nothing); ``layout.py`` keeps every node that might have an infinite
  or NaN one where the walk sees it (UNCHECKED), and such nodes, and any non-finite gradient,
  go through ``reference.chain_rule_step`` itself (``blocks.node_step``);
* nodes of one or two parents are read from their slots, with no tuple per node;
* a layer's nodes are handed down column by column (``blocks.py``);
* the cyclic garbage collector is paused for the pass (nothing here can make a reference
  cycle, but a layer's block allocates thousands of tuples while the graph is alive).

The order is the reference's (:func:`backward_order` gives ``reference.topological_order``'s
interior nodes), so the sums are the same additions in the same order: gradients agree with the
reference to the bit, but for layer blocks (1e-12) and the sign of a zero.
"""

from __future__ import annotations

import operator
import warnings
from typing import TYPE_CHECKING, Any

from autograd_core._gc import paused_gc
from autograd_core.engine import layout
from autograd_core.engine.blocks import (
    BLOCK,
    Block,
    block_backward,
    blocks_leaves_total,
    enter_block,
    expanded,
    node_step,
)
from autograd_core.engine.hooks import anomaly, describe_node
from autograd_core.engine.layout import SINGLE, UNCHECKED

if TYPE_CHECKING:
    from autograd_core.engine.value import Value

__all__ = ["backward", "backward_order"]

_grad_of = operator.attrgetter("grad")


def backward(root: Value, gradient: Any) -> None:
    """``root.backward(gradient)`` on the fast path (see the module's docstring).

    Example:
        >>> import autograd_core as ag
        >>> from autograd_core.engine import walk
        >>> x = ag.Value(3.0)
        >>> walk.backward(x * x + x, 1.0)
        >>> x.grad
        7.0
    """
    seed = layout.as_float(gradient, "backward: gradient")
    if not root.parents:
        if root._db is layout.NO_GRAPH:
            raise layout.no_graph_error(root)
        root.grad += seed
        return
    order: list[Any] = []
    with paused_gc():  # (safe from Ctrl-C at any moment, a second one in the finally too)
        try:
            leaves: list[Value] = []
            order, suspect = backward_order(root, leaves)  # (interior gradients reset to 0)
            root.grad = seed
            suspect = _chain_rule(order) or suspect
            # One C-level sum over the gradients of the leaves the walk passed: infinite or
            # NaN when one of them is (or when the sum overflows: then the check finds nothing).
            total = sum(map(_grad_of, leaves), 0.0) + blocks_leaves_total(order)
            if suspect or total - total:
                check_leaves(order)
        finally:
            for node in order:
                if node.__class__ is Block:
                    node.pending.clear()  # the block refers to its outputs only in the pass


def _chain_rule(order: list[Any]) -> bool:
    """The chain rule over backward's order, into ``.grad``; True if something was not finite."""
    suspect = False
    for node in reversed(order):
        g = node.grad
        if not g:
            # Nothing to hand down, unless a local derivative is infinite or NaN (0·inf is
            # NaN): the walk left exactly those nodes unchecked. A layer's block (gradient
            # always 0) hands down the gradients of all its nodes.
            if node.__class__ is Block:
                suspect = block_backward(node) or suspect
            elif node._db is UNCHECKED:
                suspect = node_step(node) or suspect
            continue
        if g - g:  # infinite or NaN: PyTorch's rules (reference.chain_rule_step)
            suspect = node_step(node) or suspect
            continue
        b = node._b
        if b is None:  # parents and partials in tuples
            for parent, local in zip(node._a, node._da):
                parent.grad += local * g
        else:  # one or two parents in slots (see layout.py)
            a = node._a
            a.grad += node._da * g
            if b is not SINGLE:
                b.grad += node._db * g
    return suspect


def backward_order(root: Value, leaves: list[Value]) -> tuple[list[Any], bool]:
    """Backward's walk: the interior nodes of ``reference.topological_order``, in its order,
    found faster, with the gradients of the nodes it walks reset to 0 (backward's interior
    nodes hold this pass's gradient only).

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

    The nodes of a layer on a batch (:class:`blocks.Block`) are not listed one by one: an
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
        if b is not None:  # parents in slots (see layout.py): the usual case, written out
            push(node)
            if b is not SINGLE:
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
        inner = node._db  # the parents in a tuple, or a marker (see layout.py)
        if inner.__class__ is not tuple:
            node, inner, finite = _way_on(node, inner, opened, done)
            suspect = suspect or not finite
        push(node)
        for parent in reversed(inner):
            if parent.op is None:
                leaf(parent)
            elif parent.grad is not done:
                push(parent)
    return order, suspect


def _way_on(node: Any, mark: Any, opened: float, done: float) -> tuple[Any, Any, bool]:
    """For :func:`backward_order`, a node whose ``_db`` is a marker: the node to push (itself,
    or its layer's block), the parents to walk next, and whether its partials are finite."""
    if mark is UNCHECKED:
        inner, finite = inner_parents(node)
        return node, inner, finite
    if mark is BLOCK:  # a block itself (Block.feeds)
        return node, enter_block(node, done), True
    # an output of a layer's block: the block takes its place
    mark.pending.append(node)
    node.grad = done  # (never emitted itself)
    if mark.grad is done:
        return mark, (), True  # (pushed again: comes off as done at once)
    mark.grad = opened
    return mark, enter_block(mark, done), True


def inner_parents(node: Value) -> tuple[tuple[Value, ...], bool]:
    """The parents the walk follows for an unchecked node, and whether its local derivatives
    are all finite; if they are, the node is marked checked (its ``_db`` is the parents)."""
    inner = node.parents
    finite = layout.finite_partials(node.partials)
    if finite:
        node._db = inner
    return inner, finite


def check_leaves(order: list[Any]) -> None:
    """Warn when a leaf of the graph walked ended with an infinite or NaN gradient."""
    for node in order:
        if node.__class__ is Block:
            # the block's leaves, thousands in a layer: one C-level sum first
            parents = [*node.weights_and_biases(), *node.leaf_inputs]
            total = sum(map(_grad_of, parents), 0.0)
            if not total - total:
                continue
        else:
            parents = node.parents
        for parent in parents:
            if parent.op is None and not layout.is_finite(parent.grad):
                origin = _first_non_finite(expanded(order))
                name = f"{parent.label!r}" if parent.label else f"of value {parent.data!r}"
                warnings.warn(
                    f"backward: the gradient of leaf {name} is {parent.grad!r}; {origin}",
                    RuntimeWarning,
                    stacklevel=4,
                )
                return


def _first_non_finite(order: list[Value]) -> str:
    """Where, in backward's order, a finite gradient first became infinite or NaN, and why."""
    for node in reversed(order):
        g = node.grad
        if not layout.is_finite(g):
            continue
        for i, local in enumerate(node.partials):
            if layout.is_finite(local * g):
                continue
            assert node.op is not None
            names = node.op.argnames
            arg = names[i] if len(names) == len(node.parents) else f"input {i}"
            where = anomaly.where(node)
            if layout.is_finite(local):
                why = f"the product {local!r} × {g!r} overflows"
            else:
                why = f"its local derivative ∂out/∂{arg} is {local!r}"
            return (
                f"the first infinite or NaN gradient arose at {describe_node(node)}{where}: {why}"
            )
    if all(layout.is_finite(n.grad) for n in order):
        return (
            "each contribution to it was finite, but their sum is too large for a float "
            "(gradients adding up overflowed)"
        )
    return "the seed gradient or a gradient set by hand was not finite"


# -- the general chain rule: gradients of any order, hooks, anomaly mode ---------------------
