"""The reference engine: the definition of every value and gradient in autograd_core.

Read this file first (after ``ops.py``, the table of operations). Everything else in
``autograd_core/engine/`` computes the same numbers faster and is tested equal to this file.

A node is a ``Value`` with ``op`` (the row of the table that made it), ``parents`` (its
operands, in order) and ``partials`` (for each parent, the local derivative ∂node/∂parent,
computed when the node is made). A leaf (an input, a parameter, a constant) has no op.

``backward`` is the chain rule. Walking the graph from the output back to the inputs, each node
hands its gradient to its parents, each scaled by the local derivative of its edge:

```python
for node in reversed(topological_order(root)):
    for parent, local in zip(node.parents, node.partials):
        grads[parent] += local * grads[node]
```

Two edge rules come from PyTorch and are written once, in :func:`chain_rule_step`:

* an op may *select* instead of multiply (relu at x <= 0, ``x ** 0``): such an edge passes
  nothing at all, even when the gradient is infinite or NaN;
* every other edge multiplies, so 0 × inf is NaN (the slope of sqrt at 0 times a zero
  gradient), as IEEE arithmetic and PyTorch say.

``ag.engine.use("reference")`` (or ``AUTOGRAD_CORE_ENGINE=reference`` in the environment) makes
the whole library run on this file: operators through :func:`apply`, every backward pass
through :func:`gradients`. It is slower; it is the one to read and to check the others by.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from autograd_core.engine import ieee, layout
from autograd_core.engine.mode import (
    allowing_non_finite,
    enable_grad,
    grad_enabled,
    no_grad,
    non_finite_allowed,
)
from autograd_core.ops import Op

if TYPE_CHECKING:
    from autograd_core.engine.value import Value

__all__ = ["apply", "topological_order", "chain_rule_step", "gradients", "backward"]

Visit = Callable[["Value", Any, dict["Value", Any]], Any]
Edges = Iterator[tuple["Value", Any, Any]]  # (parent, local derivative, what it receives)


def apply(op: Op, args: Sequence[Any]) -> Any:
    """``op`` applied to ``args``: a float for numbers only, else a new node.

    Numbers among Values become constant leaves, so a node's parents are its operands.

    Example:
        >>> import autograd_core as ag
        >>> from autograd_core.engine import reference
        >>> y = reference.apply(ag.ops.MUL, (ag.Value(2.0), 5.0))
        >>> y.data, y.partials, y.parents[1].data
        (10.0, (5.0, 2.0), 5.0)
    """
    if op.arity is not None and len(args) != op.arity:
        raise TypeError(f"{op.name}: takes {op.arity} input(s), got {len(args)}")
    if not any(isinstance(a, layout.VALUE) for a in args):
        numbers = [layout.as_float(a, op.name) for a in args]
        try:
            return layout.checked_output(op, op.forward(*numbers))
        except (ArithmeticError, ValueError) as exc:
            raise layout.domain_error(op, numbers, exc) from None
    parents = tuple(_as_value(a, op.name) for a in args)
    xs = [p.data for p in parents]
    try:
        out = layout.checked_output(op, op.forward(*xs))
        partials = op.partials(out, *xs) if grad_enabled() else ()
    except (ArithmeticError, ValueError) as exc:
        if ieee.wanted(parents):  # e.g. building a gradient graph (see ieee.py)
            return ieee.node(op, parents)
        raise layout.domain_error(op, parents, exc) from None
    partials = layout.checked_partials(op, partials, len(parents)) if grad_enabled() else ()
    return layout.node(layout.VALUE, op, out, parents, partials)


def _as_value(x: Any, where: str) -> Value:
    if isinstance(x, layout.VALUE):
        return x
    if type(x) is float and non_finite_allowed():  # a gradient may be inf (see ieee.py)
        return layout.leaf(layout.VALUE, x)
    return layout.leaf(layout.VALUE, layout.as_float(x, where))


def topological_order(*roots: Value) -> list[Value]:
    """Every node the roots depend on, each after its parents, the roots last.

    The interior nodes come in the order of a depth-first search that takes each node's
    parents in operand order; each leaf comes just before the first node that uses it. It is
    iterative, so a chain of a million nodes needs no deep Python stack.

    Example:
        >>> import autograd_core as ag
        >>> from autograd_core.engine.reference import topological_order
        >>> a, b = ag.Value(1.0, label="a"), ag.Value(2.0, label="b")
        >>> [n.label or n.op.name for n in topological_order(a * (b + a))]
        ['b', 'a', 'add', 'mul']
    """
    order: list[Value] = []
    seen: set[Value] = set()  # the nodes on the stack or in the order
    # (node, None): to visit; (node, its parents): back at it, its parents all in the order
    stack: list[tuple[Value, tuple[Value, ...] | None]] = [
        (root, None) for root in reversed(roots) if root.op is not None
    ]
    while stack:
        node, parents = stack.pop()
        if parents is not None:  # place the leaves it is the first to use, then the node
            for parent in parents:
                if parent.op is None and parent not in seen:
                    seen.add(parent)
                    order.append(parent)
            order.append(node)
        elif node not in seen:  # come back to it after its parents
            seen.add(node)
            parents = node.parents
            stack.append((node, parents))
            for parent in reversed(parents):
                if parent.op is not None and parent not in seen:
                    stack.append((parent, None))
    return order + [r for r in dict.fromkeys(roots) if r.op is None and r not in seen]


def chain_rule_step(node: Value, g: Any, create_graph: bool = False) -> Edges:
    """The chain rule at one node whose whole gradient is ``g``: per edge, in operand order,
    ``(parent, local derivative, what the parent receives)``. The parent receives
    ``local * g``, or ``None`` (nothing at all) on an edge the op *selects* away.

    With ``create_graph`` the local derivatives are computed again by the op's rule fed
    Values, so that the products are nodes too: gradients of gradients. (Call it then within
    ``allowing_non_finite()``, as :func:`gradients` does: such a product may be inf or NaN.)

    Example:
        >>> import autograd_core as ag
        >>> from autograd_core.engine.reference import chain_rule_step
        >>> x = ag.Value(0.0, label="x")
        >>> [edge[1:] for edge in chain_rule_step(x.sqrt(), 0.0)]
        [(inf, nan)]
        >>> [edge[1:] for edge in chain_rule_step(x.relu(), 5.0)]
        [(0.0, None)]
    """
    op = node.op
    assert op is not None
    parents = node.parents
    partials = op.partials(node, *parents) if create_graph else node.partials
    if op.base.selects is None:  # every edge multiplies: 0 × inf is NaN
        return zip(parents, partials, [local * g for local in partials])
    # relu, x ** 0: an edge the op selects away passes nothing at all
    selected = op.base.selects(*(p.data for p in parents), *op.params)
    received = [None if off else local * g for local, off in zip(partials, selected)]
    return zip(parents, partials, received)


def gradients(
    roots: Sequence[Value],
    seeds: Sequence[Any],
    create_graph: bool = False,
    visit: Visit | None = None,
) -> dict[Value, Any]:
    """d(roots · seeds)/d(node) for every node the roots depend on, leaving ``.grad`` alone.

    ``visit(node, g, grads)``, if given, is called with each node's whole gradient before the
    node hands it on, and returns the gradient to keep and hand on (hooks; anomaly mode).

    Example:
        >>> import autograd_core as ag
        >>> from autograd_core.engine.reference import gradients
        >>> x = ag.Value(3.0, label="x")
        >>> gradients([x * x + x], [1.0])[x]  # 2x + 1
        7.0
    """
    order = topological_order(*roots)
    grads: dict[Value, Any] = {}
    for root, seed in zip(roots, seeds):
        grads[root] = grads[root] + seed if root in grads else seed
    with building(create_graph):
        for node in reversed(order):
            g = grads.get(node, 0.0)  # every node is reached, if only with 0 (hooks see it)
            if visit is not None:
                g = visit(node, g, grads)
            grads[node] = g
            if node.op is None:
                continue
            for parent, _, received in chain_rule_step(node, g, create_graph):
                if received is None:
                    continue
                total = grads.get(parent)
                grads[parent] = received if total is None else total + received
    return grads


def backward(
    root: Value, gradient: Any = 1.0, create_graph: bool = False, visit: Visit | None = None
) -> dict[Value, Any]:
    """``root.backward()``: interior nodes hold this pass's gradient, leaves add it to theirs.
    Returns this pass's gradients (:func:`gradients`).

    Example:
        >>> import autograd_core as ag
        >>> from autograd_core.engine import reference
        >>> x = ag.Value(3.0)
        >>> _ = reference.backward(x * x); _ = reference.backward(x * x)
        >>> x.grad  # leaves accumulate: 2 × 6
        12.0
    """
    grads = gradients([root], [gradient], create_graph, visit)
    with building(create_graph):
        for node, g in grads.items():
            if node.op is not None:
                node.grad = g
            elif type(node.grad) is float and node.grad == 0.0:
                node.grad = g  # (not 0.0 + g: with create_graph, no node for adding nothing)
            else:
                node.grad = node.grad + g
    return grads


@contextlib.contextmanager
def building(create_graph: bool) -> Iterator[None]:
    """Where gradients (and forward mode's tangents) are computed: with ``create_graph`` as
    Values whose graph the next order differentiates, and which may be infinite or NaN as
    floats may (see ieee.py); else as plain floats, recording nothing."""
    if not create_graph:
        with no_grad():
            yield
        return
    with enable_grad(), allowing_non_finite():
        yield
