"""The engine: ``Value`` nodes, the graph they form, and the chain rule.

A reader's path through it, after ``ops.py`` (the table of operations):

1. ``reference.py`` -- the definition: ``apply``, ``topological_order``, the chain rule at one
   node with PyTorch's edge rules, ``gradients`` and ``backward``. Short enough for one sitting.
2. ``value.py`` -- ``Value`` and its number protocol; ``layout.py`` -- where a node keeps its
   parents and local derivatives; ``mode.py`` -- ``no_grad`` and friends.
3. The optimisations, each with "same result as ``reference.X``, faster because ...":
   ``operators.py`` (``a * b``), ``walk.py`` (``backward()``), ``blocks.py`` (a layer on a
   batch), and ``general.py`` (``ag.grad`` at any order, hooks and anomaly mode from
   ``hooks.py``, run through the reference itself).
4. ``forward.py`` -- forward mode: the same local derivatives, carried from the inputs to the
   outputs (``functional.jvp``, ``jacfwd``).

No node holds a closure or a reference to its consumers, so a graph has no reference cycles:
when the last reference to the output goes away, reference counting frees the whole graph at
once. Every walk is iterative: a chain of a million nodes needs no deep Python stack.

``use("reference")`` runs the whole library on the reference engine (as ``decimal`` can run on
``_pydecimal``); so does ``AUTOGRAD_CORE_ENGINE=reference`` in the environment at import.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from autograd_core import ops
from autograd_core.engine import reference
from autograd_core.engine.general import grad
from autograd_core.engine.hooks import RemovableHandle, detect_anomaly
from autograd_core.engine.mode import (
    ENGINE,
    enable_grad,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from autograd_core.engine.operators import apply as _fast_apply
from autograd_core.engine.operators import as_value
from autograd_core.engine.value import Value

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
    "use",
    "current",
]

ENGINES = ("fast", "reference")


def topological_order(root: Value) -> list[Value]:
    """All nodes that ``root`` depends on, each after its parents, ending with ``root``.

    The interior nodes come in the order of backward's walk; each leaf is placed just before
    the first node that uses it (``reference.topological_order``).

    Example:
        >>> import autograd_core as ag
        >>> a = ag.Value(1.0, label="a")
        >>> b = a * 2
        >>> [n.label or (n.op.name if n.op else n.data) for n in ag.topological_order(b + a)]
        ['a', 2.0, 'mul', 'add']
    """
    return reference.topological_order(root)


def apply(op: ops.Op, args: Sequence[Any]) -> Any:
    """Apply ``op`` to ``args``: all numbers give a float, any Value gives a new node.

    Numbers mixed with Values become constant leaves, so the node's parents are its operands in
    order. This is what ``op(*args)`` does; the operators take faster paths to the same nodes.

    Example:
        >>> import autograd_core as ag
        >>> from autograd_core.ops import MUL
        >>> ag.engine.apply(MUL, (2.0, 3.0)), ag.engine.apply(MUL, (ag.Value(2.0), 3.0)).data
        (6.0, 6.0)
    """
    if ENGINE.reference:
        return reference.apply(op, args)
    return _fast_apply(op, args)


def use(engine: str) -> None:
    """Run the library on ``"reference"`` or ``"fast"`` (the default).

    On the reference engine every backward pass is ``reference.gradients`` (no fast walk, no
    layer blocks: a layer is made node by node) and ``op(*args)`` is ``reference.apply``. The
    operators (``a * b``) make the same nodes either way (the tests hold them to
    ``reference.apply``). Both engines give the same values and gradients; the reference is
    several times slower.

    Example:
        >>> import autograd_core as ag
        >>> ag.engine.use("reference")
        >>> x = ag.Value(3.0)
        >>> (x * x).backward(); x.grad
        6.0
        >>> ag.engine.use("fast"); ag.engine.current()
        'fast'
    """
    if engine not in ENGINES:
        raise ValueError(f"use: engine must be one of {ENGINES}, got {engine!r}")
    ENGINE.reference = engine == "reference"


def current() -> str:
    """The engine that runs: ``"fast"`` or ``"reference"``.

    Example:
        >>> import autograd_core as ag
        >>> ag.engine.current()
        'fast'
    """
    return "reference" if ENGINE.reference else "fast"


ops.set_applier(apply)
if os.environ.get("AUTOGRAD_CORE_ENGINE", "fast") == "reference":
    use("reference")
