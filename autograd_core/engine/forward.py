"""Forward mode: the chain rule carried from the inputs to the outputs.

Reverse mode (``reference.py``) starts at the output and hands each node's gradient back to
its parents. Forward mode walks the same graph the other way round. Each input gets a
*tangent*, how fast it moves along a chosen direction, and each node, in topological order,
adds up what its parents' tangents do to it, through the very local derivatives that backward
uses:

```python
for node in topological_order(root):           # parents first
    tangent[node] = sum(local * tangent[parent]
                        for parent, local in zip(node.parents, node.partials))
```

At the end ``tangent[root]`` is the directional derivative of the root: one pass gives the
derivative of *every* output along *one* direction of the inputs, where one backward pass
gives the derivative of *one* output with respect to *every* input. So forward mode wins for
few inputs and many outputs, reverse mode for many inputs and one output (a loss).

The edge rules are the reference's (:func:`reference.chain_rule_step`): an edge the op
*selects* away (relu at x <= 0, ``x ** 0``) passes nothing, whatever its tangent; every other
edge multiplies, so 0 × inf is NaN. A node none of whose parents moves (a constant, a value
computed from constants) has no tangent at all, as in PyTorch's forward mode, so it passes
nothing either.

With ``create_graph`` the local derivatives are computed again by the op's rule fed Values
(as backward does with ``create_graph``) and the tangents become Values: the directional
derivative is then a graph that reverse mode, or forward mode again, can differentiate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from autograd_core.engine import reference

if TYPE_CHECKING:
    from autograd_core.engine.value import Value

__all__ = ["tangents", "tangent_step"]


def tangents(
    roots: Sequence[Value],
    seeds: Mapping[Value, Any],
    create_graph: bool = False,
    order: Sequence[Value] | None = None,
) -> dict[Value, Any]:
    """The tangent of every node the roots depend on that moves with the seeded nodes.

    One forward pass. ``seeds`` maps the nodes that move (the inputs) to their tangents; they
    are sources: a seeded node keeps its seed, even when it is an interior node. A node that
    does not depend on any seeded node is left out of the result (its tangent is zero, and it
    passes nothing on).

    Args:
        roots: The outputs.
        seeds: The tangent of each input, a number (or a Value with ``create_graph``).
        create_graph: Compute the tangents as Values with a graph of their own.
        order: ``topological_order(*roots)``, when the caller already has it (``jacfwd``
            walks the same graph once per input).

    Returns:
        ``{node: tangent}`` for the seeded nodes and every node that depends on them.

    Example:
        >>> import autograd_core as ag
        >>> from autograd_core.engine.forward import tangents
        >>> x, y = ag.Value(3.0, label="x"), ag.Value(2.0, label="y")
        >>> z = x * y + x
        >>> tangents([z], {x: 1.0})[z]  # ∂z/∂x = y + 1
        3.0
        >>> tangents([z], {x: 1.0, y: 0.5})[z]  # (y + 1)·1 + x·0.5
        4.5
    """
    if order is None:
        order = reference.topological_order(*roots)
    result: dict[Value, Any] = dict(seeds)
    with reference.building(create_graph):  # (floats, or Values with create_graph)
        for node in order:
            if node.op is None or node in seeds:
                continue
            t = tangent_step(node, result, create_graph)
            if t is not None:
                result[node] = t
    return result


def tangent_step(node: Value, known: Mapping[Value, Any], create_graph: bool = False) -> Any:
    """The chain rule forward at one node: ``Σ local × tangent(parent)`` in operand order.

    Edges from parents without a tangent (in ``known``) pass nothing; so does an edge the op
    selects away (the same rule as :func:`reference.chain_rule_step`). ``None`` when no parent
    has a tangent; 0.0 when some do but every such edge is selected away.

    Example:
        >>> import autograd_core as ag
        >>> from autograd_core.engine.forward import tangent_step
        >>> x = ag.Value(-1.0, label="x")
        >>> tangent_step(x.relu(), {x: float("inf")}), tangent_step(x.abs(), {x: 2.0})
        (0.0, -2.0)
    """
    op = node.op
    assert op is not None
    parents = node.parents
    partials = op.partials(node, *parents) if create_graph else node.partials
    selects = op.base.selects
    selected = selects(*(p.data for p in parents), *op.params) if selects is not None else None
    total: Any = None
    moved = False
    for k, parent in enumerate(parents):
        t = known.get(parent)
        if t is None:
            continue
        moved = True
        if selected is not None and selected[k]:
            continue  # relu, x ** 0: the edge passes nothing, not even 0 × inf
        term = partials[k] * t
        total = term if total is None else total + term
    if total is None:
        return 0.0 if moved else None
    return total
