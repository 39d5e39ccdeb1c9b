"""The lecture's ``trace`` and ``draw_dot``: a micrograd graph as a Graphviz picture.

``draw_dot(root)`` draws what micrograd's lecture draws: a record box per value
(``label | data | grad``), an oval per operation named by its ``_op``, and an edge from each
input to the operation. It returns a ``graphviz.Digraph`` (shown inline in Jupyter), rendered
by Graphviz's ``dot`` or, without it, by ``graphviz-pure`` (see ``autograd_core.viz``).

For the library's own pictures -- local derivatives on the edges, a legend, a size limit,
collapsed neurons -- use ``root.draw()`` (``autograd_core.viz.draw_graph``).
"""

from __future__ import annotations

from typing import Any

from autograd_core import engine
from autograd_core.micrograd.engine import op_text

__all__ = ["trace", "draw_dot"]


def trace(root: engine.Value) -> tuple[set[engine.Value], set[tuple[engine.Value, engine.Value]]]:
    """Every node ``root`` depends on, and every edge ``(input, node)`` between them.

    Args:
        root: The output node.

    Returns:
        ``(nodes, edges)`` as sets, like the lecture's ``trace``.

    Example:
        >>> from autograd_core.micrograd import Value, trace
        >>> x = Value(1.0)
        >>> nodes, edges = trace((x * 2 + 1).relu())
        >>> len(nodes), len(edges)
        (6, 5)
    """
    nodes: set[engine.Value] = set()
    edges: set[tuple[engine.Value, engine.Value]] = set()
    for node in engine.topological_order(root):
        nodes.add(node)
        edges.update((parent, node) for parent in node.parents)
    return nodes, edges


def draw_dot(root: engine.Value, format: str = "svg", rankdir: str = "LR") -> Any:  # noqa: A002
    """The graph that produced ``root``, drawn as in micrograd's lecture.

    Args:
        root: The output node.
        format: The format ``render`` and Jupyter use (``"svg"``, ``"png"``, ...).
        rankdir: ``"LR"`` (left to right) or ``"TB"`` (top to bottom).

    Returns:
        A ``graphviz.Digraph``; nodes are named in topological order, so its ``source`` is the
        same on every run.

    Example:
        >>> from autograd_core.micrograd import Value, draw_dot
        >>> a = Value(2.0, label="a")
        >>> b = a * 3
        >>> b.backward()
        >>> print(draw_dot(b).source)  # doctest: +NORMALIZE_WHITESPACE
        digraph {
            graph [rankdir=LR]
            v0 [label="{ a | data 2.0000 | grad 3.0000 }" shape=record]
            v1 [label="{ data 3.0000 | grad 2.0000 }" shape=record]
            v2 [label="{ data 6.0000 | grad 1.0000 }" shape=record]
            v2_op [label="*"]
            v2_op -> v2
            v0 -> v2_op
            v1 -> v2_op
        }
    """
    from autograd_core.viz import GraphDrawing  # viz (and graphviz) only when drawing

    if not isinstance(root, engine.Value):
        raise TypeError(f"draw_dot: root must be a Value, got {type(root).__name__}")
    if rankdir not in ("LR", "TB"):
        raise ValueError(f"draw_dot: rankdir must be 'LR' or 'TB', got {rankdir!r}")
    if not isinstance(format, str):
        raise TypeError(f"draw_dot: format must be a str, got {type(format).__name__}")
    dot = GraphDrawing(format=format, graph_attr={"rankdir": rankdir})
    order = engine.topological_order(root)
    names = {node: f"v{i}" for i, node in enumerate(order)}
    targets: dict[engine.Value, str] = {}
    for node in order:
        name = names[node]
        cells = [f"data {node.data:.4f}", f"grad {node.grad:.4f}"]
        if node.label:
            cells.insert(0, _record_text(node.label))
        dot.node(name, label="{ " + " | ".join(cells) + " }", shape="record")
        op = op_text(node)
        targets[node] = name
        if op:
            targets[node] = name + "_op"
            dot.node(targets[node], label=_plain(op).replace("\\", "\\\\"))
            dot.edge(targets[node], name)
    for node in order:
        for parent in dict.fromkeys(node.parents):  # one edge per input, like micrograd's set
            dot.edge(names[parent], targets[node])
    return dot


def _plain(text: str) -> str:
    """``text`` with control characters (terminal escapes, NUL) shown as ``\\xNN`` instead."""
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text)


def _record_text(text: str) -> str:
    """``text`` for one cell of a record label, its structure characters escaped."""
    escaped = _plain(text).replace("\\", "\\\\")
    for c in '{}|<>"':
        escaped = escaped.replace(c, "\\" + c)
    return escaped
