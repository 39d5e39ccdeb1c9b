"""The general route: ``ag.grad`` at any order, and ``backward`` with ``create_graph``, hooks
or anomaly mode, all through the reference's chain rule (``reference.gradients``).

Hooks and anomaly mode act through its ``visit``: a node's hooks may replace its gradient
before it is handed on; anomaly mode checks the gradient and the node's step (``hooks.py``).
When no hook, no anomaly mode and no ``create_graph`` is asked for, ``Value.backward`` takes the
fast walk (``walk.py``) instead, which gives the same numbers.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from autograd_core.engine import layout, reference, walk
from autograd_core.engine.hooks import anomaly, hooks, run_hooks

if TYPE_CHECKING:
    from autograd_core.engine.value import Value

__all__ = ["grad", "backward"]


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
    seeds = _seeds(grad_outputs, outs, create_graph)
    grads = reference.gradients(outs, seeds, create_graph, _visitor())
    if not create_graph:
        _warn_non_finite(grads, ins, "grad", stacklevel=3)
    result: list[Any] = []
    for i, x in enumerate(ins):
        if x in grads:  # (every node the outputs depend on is there, if only with 0)
            g = grads[x]
            result.append(_as_value(g) if create_graph else layout.data(g))
        elif allow_unused:
            result.append(None)
        else:
            name = f" {x.label!r}" if x.label else f" {i}"
            raise ValueError(
                f"grad: input{name} (data={x.data!r}) is not used to compute the outputs; "
                "pass allow_unused=True to get None for it"
            )
    return tuple(result)


def backward(root: Value, gradient: Any, create_graph: bool) -> None:
    """``root.backward()`` with hooks, anomaly mode or ``create_graph``: ``reference.backward``
    with the hooks and checks as its visit, then a warning for a leaf that is not finite.

    Example:
        >>> import autograd_core as ag
        >>> from autograd_core.engine import general
        >>> x = ag.Value(3.0)
        >>> general.backward(x * x, 1.0, create_graph=True)
        >>> x.grad  # 2x as a Value, to differentiate again
        Value(data=6.0, grad=0.0)
    """
    if not root.parents and root._db is layout.NO_GRAPH:
        raise layout.no_graph_error(root)
    (seed,) = _seeds(gradient, [root], create_graph, where="backward")
    grads = reference.backward(root, seed, create_graph, _visitor())
    if create_graph:
        return
    total = sum([n.grad for n in grads if n.op is None], 0.0)
    if total - total:  # a leaf that is not finite: say where it arose (as the fast walk)
        walk.check_leaves([n for n in reference.topological_order(root) if n.op is not None])


def _seeds(given: Any, outs: list[Value], create_graph: bool, where: str = "grad") -> list[Any]:
    """One seed per output, checked: 1.0 each by default; numbers, or Values with create_graph."""
    if given is None:
        seeds: list[Any] = [1.0] * len(outs)
    else:
        seeds = list(given) if isinstance(given, (list, tuple)) else [given]
        if len(seeds) != len(outs):
            raise ValueError(
                f"grad: {len(seeds)} grad_outputs for {len(outs)} outputs; give one per output"
            )
    for out in outs:
        if out.op is None and out._db is layout.NO_GRAPH:
            raise layout.no_graph_error(out)
    checked = []
    for seed in seeds:
        if isinstance(seed, layout.VALUE):
            if not create_graph:
                raise TypeError(f"{where}: a Value in grad_outputs needs create_graph=True")
        else:
            seed = layout.as_float(seed, f"{where}: gradient")
        checked.append(_as_value(seed) if create_graph else seed)
    return checked


def _visitor() -> reference.Visit | None:
    """What ``reference.gradients`` calls at each node: the hooks, then anomaly mode's checks
    (None when there are neither: nothing to call)."""
    hooked, checking = hooks.count > 0, anomaly.active
    if not hooked and not checking:
        return None

    def visit(node: Value, g: Any, grads: dict[Value, Any]) -> Any:
        if hooked:
            g = run_hooks(node, g)
        if checking:
            g = anomaly.visit(node, g, grads)
        return g

    return visit


def _as_value(x: Any) -> Value:
    if isinstance(x, layout.VALUE):
        return x
    return layout.leaf(layout.VALUE, float(x)) if layout.is_finite(x) else x


def _as_values(xs: Any, where: str) -> list[Value]:
    items = [xs] if isinstance(xs, layout.VALUE) else None
    if isinstance(xs, (list, tuple)):
        items = list(xs)
    if not items or not all(isinstance(x, layout.VALUE) for x in items):
        raise TypeError(f"{where}: expected a Value or a non-empty list of Values, got {xs!r}")
    return items


def _warn_non_finite(
    grads: dict[Value, Any], inputs: list[Value], where: str, stacklevel: int
) -> None:
    """A RuntimeWarning naming the first leaf among the inputs whose gradient is infinite or
    NaN (the constants of a graph are not asked about: the gradient of a gradient graph's
    constants may be infinite where the inputs' is not)."""
    for node in inputs:
        g = grads.get(node, 0.0)
        if node.op is None and not layout.is_finite(g):
            name = f"{node.label!r}" if node.label else f"of value {node.data!r}"
            warnings.warn(
                f"{where}: the gradient of leaf {name} is {g!r}",
                RuntimeWarning,
                stacklevel=stacklevel,
            )
            return
