"""Pictures of computation graphs, with the chain rule written on the edges.

``y.backward()`` fills in gradients by walking the graph that built ``y``; this module draws that
graph so a learner can check each step by eye. Every Value becomes a box showing its label (if
it has one), its ``data`` and its ``grad``. Every operation becomes a small oval (``×``, ``+``,
``tanh``, ``Σ``, ``·``). And every edge from an input to an operation carries the number the
engine stored when it built the node: the *local* derivative ``∂out/∂in``. Backpropagation is then
visible arithmetic: an input's ``grad`` is the sum, over its outgoing edges, of the edge's number
times the ``grad`` of the value that operation produced.

Three functions cover the common uses::

    draw_graph(y)               # a graphviz.Digraph subclass: shows inline in Jupyter as SVG
    to_svg(y)                   # the SVG text
    save_graph(y, "graph.svg")  # .svg, .png, .pdf or .dot, chosen by the extension

Design choices, and why:

* **One walk.** The nodes come from :func:`autograd_core.engine.topological_order`, the same
  iterative walk ``backward`` uses, so there is no recursion and a graph of 100 000 nodes draws
  (with ``max_nodes`` raised) as readily as one of ten.
* **Stable output.** A node's name in the DOT text is its position in that walk (``v0``, ``v1``,
  ...), never ``id()``; the same expression gives byte-identical DOT on every run, which makes the
  output snapshot-testable and diff-friendly.
* **Bounded output.** Past ``max_nodes`` values the picture stops, nearest-to-the-output first,
  and one dashed ``+N more`` node says what was left out and how to see it. A notebook never
  receives a silent multi-megabyte SVG.
* **No system install needed.** Graphviz lays the picture out. The ``dot`` program is used when it
  is on ``PATH``; otherwise ``graphviz-pure``, a self-contained port of it that pip installs with
  this package on common platforms. With neither, rendering raises an error that says what to
  install, and the DOT text (``draw_graph(y).source``) still works.
* **Roles in colour.** Inputs and parameters (labelled leaves), constants (unlabelled leaves),
  intermediate values and the output each get a colour, explained by a small legend. A constant
  such as the ``2`` in ``2 * x`` is by default written inside its operation (``2 ×``) rather than
  drawn as a box of its own, which keeps pictures of real formulas small.
"""

from __future__ import annotations

import html
import os
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import graphviz

from autograd_core import ops
from autograd_core.engine import Value, topological_order
from autograd_core.ops import data as _plain

__all__ = [
    "draw_graph",
    "to_svg",
    "save_graph",
    "find_renderer",
    "render_source",
    "Renderer",
    "GraphDrawing",
    "RendererNotFoundError",
    "RenderError",
    "DEFAULT_MAX_NODES",
]

DEFAULT_MAX_NODES = 300
"""Most values drawn by default: a few hundred boxes are still readable and render in about a
second; beyond that a picture is rarely what a learner wants."""

NumberFormat = str | Callable[[float], str]


class RendererNotFoundError(RuntimeError):
    """Neither Graphviz's ``dot`` nor ``graphviz-pure`` could be found to render a picture."""


class RenderError(RuntimeError):
    """The Graphviz program ran but could not produce the picture."""


class GraphDrawing(graphviz.Digraph):  # type: ignore[misc]  # graphviz ships no type hints
    """A ``graphviz.Digraph`` that renders with whichever Graphviz program this module finds.

    ``graphviz.Digraph`` itself always runs ``dot``; this subclass also uses ``graphviz-pure`` when
    ``dot`` is missing, so the picture shows inline in Jupyter after ``pip install`` alone.
    """

    def pipe(
        self,
        format: str | None = None,  # noqa: A002 - graphviz's own parameter name
        renderer: str | None = None,
        formatter: str | None = None,
        neato_no_op: bool | int | None = None,
        quiet: bool = False,
        *,
        engine: str | None = None,
        encoding: str | None = None,
    ) -> bytes | str:
        """The picture in ``format`` (default ``"svg"``), as bytes, or text if ``encoding`` is set.

        Graphviz's advanced options (``renderer``, ``formatter``, ``neato_no_op``, an ``engine``
        other than ``dot``) are handed to ``graphviz.Digraph.pipe``, which needs the ``dot``
        program.

        Example:
            >>> import autograd_core as ag
            >>> x = ag.Value(2.0, label="x")
            >>> ag.viz.draw_graph(x * x).pipe(encoding="utf-8").startswith("<?xml")
            True
        """
        if renderer or formatter or neato_no_op or (engine or self.engine) != "dot":
            return super().pipe(  # type: ignore[no-any-return]
                format,
                renderer=renderer,
                formatter=formatter,
                neato_no_op=neato_no_op,
                quiet=quiet,
                engine=engine,
                encoding=encoding,
            )
        picture = render_source(self.source, format or self.format or "svg")
        return picture.decode(encoding) if encoding else picture

    def _repr_mimebundle_(
        self,
        include: Iterable[str] | None = None,
        exclude: Iterable[str] | None = None,
        **_: Any,
    ) -> dict[str, bytes | str]:
        # Jupyter calls this to display the object. Without a renderer it shows the reason (which
        # says what to install) as text, instead of a traceback in the middle of a notebook.
        try:
            bundle: dict[str, bytes | str] = super()._repr_mimebundle_(include, exclude)
        except (RendererNotFoundError, RenderError) as exc:
            return {"text/plain": f"{exc}\n\n{self.source}"}
        return bundle


@dataclass(frozen=True)
class Renderer:
    """A Graphviz program found on this machine: ``name`` is ``dot`` or ``graphviz-pure``."""

    name: str
    path: str


def draw_graph(
    root: Value,
    *,
    rankdir: str = "LR",
    show_grad: bool = True,
    show_partials: bool = True,
    inline_constants: bool = True,
    number_format: NumberFormat = ".4g",
    max_nodes: int | None = DEFAULT_MAX_NODES,
    legend: bool = True,
) -> GraphDrawing:
    """Draw the computation graph that produced ``root``.

    Value boxes show label, ``data`` and ``grad``; operation ovals show the op; each edge from an
    input to its operation is labelled with the local derivative ``∂out/∂in``. Colours mark the
    role of each value (input or parameter, constant, intermediate, output), explained in a
    legend. Nothing is rendered until the result is displayed, piped or saved.

    Args:
        root: The value whose graph to draw (usually the loss or the output).
        rankdir: ``"LR"`` (inputs on the left, the default), ``"TB"`` (inputs on top), or
            Graphviz's ``"RL"`` / ``"BT"``.
        show_grad: Show each value's ``grad`` (turn off before ``backward`` has run).
        show_partials: Label input edges with their local derivative.
        inline_constants: Write a constant (an unlabelled leaf) that is an operand of a unary
            or binary op inside the op's oval (``2 ×``) instead of drawing it as a separate
            box. The operands of the n-ary ``sum`` and ``dot`` are always drawn; give
            parameters a label to see them as boxes with their gradient.
        number_format: A format spec for every number (``".4g"``: 4 significant digits), or a
            function from float to text.
        max_nodes: The most values drawn, nearest to ``root`` first; the rest are summed up in
            a dashed ``+N more`` node. ``None`` draws everything.
        legend: Add the legend explaining the colours and the edge numbers.

    Returns:
        A :class:`GraphDrawing` (a ``graphviz.Digraph``): displays as SVG in Jupyter; its
        ``.source`` is the DOT text.

    Example:
        >>> import autograd_core as ag
        >>> x = ag.Value(2.0, label="x")
        >>> w = ag.Value(-3.0, label="w")
        >>> y = x * w
        >>> y.backward()
        >>> g = ag.viz.draw_graph(y, legend=False)
        >>> for line in g.source.splitlines():
        ...     if "->" in line:
        ...         print(line.strip())
        v0 -> op2 [label=<-3> fontcolor="#b91c1c"]
        v1 -> op2 [label=<2> fontcolor="#b91c1c"]
        op2 -> v2
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw_graph: expected a Value, got {type(root).__name__}")
    if rankdir not in ("LR", "TB", "RL", "BT"):
        raise ValueError(f"draw_graph: rankdir must be 'LR', 'TB', 'RL' or 'BT', got {rankdir!r}")
    if max_nodes is not None and (
        isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1
    ):
        raise ValueError(f"draw_graph: max_nodes must be a positive int or None, got {max_nodes!r}")
    fmt = _number_formatter(number_format)
    return _Drawer(root, rankdir, show_grad, show_partials, inline_constants, fmt, legend).draw(
        max_nodes
    )


def to_svg(root: Value, *, program: str | None = None, **options: Any) -> str:
    """The graph of ``root`` as SVG text.

    Args:
        root: The value whose graph to draw.
        program: The Graphviz program to run: ``"dot"``, ``"graphviz-pure"`` or a path to an
            executable. By default ``dot`` if it is on ``PATH``, else ``graphviz-pure``.
        **options: Options of :func:`draw_graph` (``rankdir``, ``show_grad``, ...).

    Returns:
        The SVG document.

    Raises:
        RendererNotFoundError: No Graphviz program was found; the message says what to install.
        RenderError: The program failed.

    Example:
        >>> import autograd_core as ag
        >>> x = ag.Value(3.0, label="x")
        >>> svg = ag.viz.to_svg(x.tanh())
        >>> svg.startswith("<?xml"), "tanh" in svg
        (True, True)
    """
    source = draw_graph(root, **options).source
    return render_source(source, "svg", program=program).decode("utf-8")


_FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": "dot", ".gv": "dot"}


def save_graph(
    root: Value,
    path: str | os.PathLike[str],
    *,
    format: str | None = None,  # noqa: A002 - the word everyone uses, as in graphviz
    program: str | None = None,
    **options: Any,
) -> Path:
    """Write the graph of ``root`` to a file; the extension picks the format.

    ``.svg``, ``.png`` and ``.pdf`` are rendered by Graphviz (``graphviz-pure`` cannot write PDF
    yet: that needs the ``dot`` program); ``.dot`` / ``.gv`` is the DOT text and needs no renderer.

    Args:
        root: The value whose graph to draw.
        path: Where to write.
        format: ``"svg"``, ``"png"``, ``"pdf"`` or ``"dot"``, to override the extension.
        program: The Graphviz program, as in :func:`to_svg`.
        **options: Options of :func:`draw_graph`.

    Returns:
        The path written.

    Example:
        >>> import pathlib, tempfile
        >>> import autograd_core as ag
        >>> x = ag.Value(3.0, label="x")
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "square.dot"
        >>> ag.viz.save_graph(x * x, path).read_text().startswith("digraph")
        True
    """
    path = Path(path)
    # The step-through page (autograd_core/stepthrough.py) is a format of its own: .html
    if format == "html" or (format is None and path.suffix.lower() in (".html", ".htm")):
        path.write_text(to_html(root, program=program, **options), encoding="utf-8")
        return path
    if format is None:
        fmt = _FORMATS.get(path.suffix.lower())
        if fmt is None:
            raise ValueError(
                f"save_graph: cannot tell the format from {path.name!r}; use an extension "
                f"({', '.join(_FORMATS)}) or pass format='svg'"
            )
    elif format in ("svg", "png", "pdf", "dot"):
        fmt = format
    else:
        raise ValueError(f"save_graph: format must be 'svg', 'png', 'pdf' or 'dot', got {format!r}")
    source = draw_graph(root, **options).source
    if fmt == "dot":
        path.write_text(source, encoding="utf-8")
    else:
        path.write_bytes(render_source(source, fmt, program=program))
    return path


def find_renderer(program: str | None = None) -> Renderer:
    """Find the Graphviz program that turns DOT into pictures.

    Looks for ``dot`` and then ``graphviz-pure``, each on ``PATH`` and then next to the running
    Python (a virtual environment's scripts are there even when it is not activated, as in many
    Jupyter kernels).

    Args:
        program: Look only for this program name, or use this path to an executable.

    Returns:
        The program's name (``dot`` or ``graphviz-pure``) and path.

    Raises:
        RendererNotFoundError: Nothing was found; the message says what to install.

    Example:
        >>> import autograd_core as ag
        >>> ag.viz.find_renderer().name in ("dot", "graphviz-pure")
        True
    """
    names = ("dot", "graphviz-pure") if program is None else (program,)
    for name in names:
        path = _which(name)
        if path is not None:
            kind = Path(name).name.removesuffix(".exe")
            return Renderer(name=kind, path=path)
    if program is not None:
        raise RendererNotFoundError(f"the Graphviz program {program!r} was not found")
    raise RendererNotFoundError(
        "no Graphviz renderer found to draw the graph: `pip install graphviz-pure` (a "
        "self-contained renderer, no system packages needed) or install Graphviz so that `dot` "
        "is on PATH (apt-get install graphviz / brew install graphviz / conda install graphviz). "
        "The DOT text needs no renderer: draw_graph(y).source or save_graph(y, 'graph.dot')"
    )


def render_source(source: str, fmt: str, *, program: str | None = None) -> bytes:
    """Run Graphviz on DOT text and return the picture (``fmt``: svg, png, pdf, ...).

    Args:
        source: DOT text, e.g. ``draw_graph(y).source``.
        fmt: A Graphviz output format.
        program: The Graphviz program, as in :func:`to_svg`.

    Returns:
        The bytes Graphviz wrote.

    Example:
        >>> from autograd_core.viz import render_source
        >>> render_source("digraph { a -> b }", "svg")[:5]
        b'<?xml'
    """
    renderer = find_renderer(program)
    if fmt == "pdf" and renderer.name == "graphviz-pure":
        raise RenderError(
            "graphviz-pure cannot write PDF yet: install Graphviz so that `dot` is on PATH "
            "(apt-get install graphviz / brew install graphviz), or save as .svg or .png"
        )
    # -q silences warnings: graphviz-pure warns about every non-ASCII character (× Σ σ) whose
    # width it only estimates, which is noise here; real failures still set the exit status.
    done = subprocess.run(
        [renderer.path, "-q", f"-T{fmt}"],
        input=source.encode("utf-8"),
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        reason = done.stderr.decode("utf-8", "replace").strip() or f"exit status {done.returncode}"
        raise RenderError(f"{renderer.name} could not render {fmt}: {reason}")
    return done.stdout


# -- finding programs ------------------------------------------------------------------------


def _which(name: str) -> str | None:
    found = shutil.which(name)  # for a path, this checks that it is an executable file
    if found is not None or os.sep in name or (os.altsep and os.altsep in name):
        return found
    for directory in _interpreter_script_dirs():
        found = shutil.which(name, path=directory)
        if found is not None:
            return found
    return None


def _interpreter_script_dirs() -> list[str]:
    """Where this Python's console scripts live, for an environment that is not activated."""
    dirs = [sysconfig.get_path("scripts"), os.path.dirname(sys.executable)]
    return list(dict.fromkeys(d for d in dirs if d))


# -- building the picture --------------------------------------------------------------------

# Role -> (fill, border). Soft fills keep black text readable; the output gets a thicker border.
_INPUT = ("#dbeafe", "#2563eb")
_CONSTANT = ("#f3f4f6", "#9ca3af")
_INTERMEDIATE = ("#ffffff", "#6b7280")
_OUTPUT = ("#dcfce7", "#15803d")
_OP = ("#fef3c7", "#b45309")
_OP_ATTRS = (
    f'color="{_OP[1]}" fillcolor="{_OP[0]}" height=0.3 margin="0.05,0.02" '
    "shape=ellipse style=filled"
)
_PARTIAL_COLOUR = "#b91c1c"
_MUTED = "#4b5563"
_FONT = "Helvetica"
_MAX_LABEL = 32

_ROLE_TEXT = {
    "input": "input / parameter (labelled leaf)",
    "constant": "constant (unlabelled leaf)",
    "intermediate": "intermediate value",
    "output": "output",
}
_ROLE_STYLE = {
    "input": _INPUT,
    "constant": _CONSTANT,
    "intermediate": _INTERMEDIATE,
    "output": _OUTPUT,
}


class _Drawer:
    """Turns one graph into DOT; an object so the options are not threaded through every call."""

    def __init__(
        self,
        root: Value,
        rankdir: str,
        show_grad: bool,
        show_partials: bool,
        inline_constants: bool,
        fmt: Callable[[float], str],
        legend: bool,
    ) -> None:
        self.root = root
        self.rankdir = rankdir
        self.show_grad = show_grad
        self.show_partials = show_partials
        self.inline_constants = inline_constants
        self.fmt = fmt
        self.legend = legend

    def inlined(self, parent: Value, child: Value) -> bool:
        """Whether ``parent`` is written inside ``child``'s op oval instead of drawn as a box."""
        return (
            self.inline_constants
            and not parent.parents
            and not parent.label
            and len(child.parents) <= 2
            and child.op is not None
            and child.op.arity is not None
        )

    def draw(self, max_nodes: int | None) -> GraphDrawing:
        # Ids are positions in the engine's walk: the same graph always gets the same names.
        order = topological_order(self.root)
        position = {node: i for i, node in enumerate(order)}
        total = self.count_drawn(order)
        # Declared output first and breadth first in operand order: Graphviz keeps declaration
        # order where it can, so sibling operands stack as the formula reads (x1 above w1).
        shown = self.breadth_first(total if max_nodes is None else max_nodes)
        kept = set(shown)
        hidden = total - len(shown)

        g = GraphDrawing(
            name="autograd_core",
            format="svg",
            graph_attr={
                "rankdir": self.rankdir,
                "fontname": _FONT,
                "nodesep": "0.25",
                "ranksep": "0.4",
            },
            node_attr={"fontname": _FONT, "fontsize": "11"},
            edge_attr={"fontname": _FONT, "fontsize": "10", "arrowsize": "0.7", "color": _MUTED},
        )
        roles: set[str] = set()
        has_op = False
        # The lines are written straight into the graph's body: the node ids are ours and every
        # label is an HTML-like label whose text went through html.escape, so graphviz's general
        # quoting (70% of the time on a 100 000-node graph) has nothing left to do. Nodes come
        # first, then edges, so the DOT text reads as a list of boxes and then the wiring.
        lines = g.body
        edges: list[str] = []
        for node in shown:
            i = position[node]
            role = self.role(node)
            roles.add(role)
            lines.append(f"\tv{i} [label={self.value_label(node, role)} shape=plain]\n")
            if not node.parents:
                continue
            has_op = True
            op_text = self.op_text(node)
            # A lone symbol (× + Σ ·) is small at text size; "·" would be a speck.
            size = 18 if len(op_text) == 1 else 12
            lines.append(f"\top{i} [label=<{html.escape(op_text)}> fontsize={size} {_OP_ATTRS}]\n")
            missing = False
            for parent, local in zip(node.parents, node.partials):
                if self.inlined(parent, node):
                    continue
                if parent not in kept:
                    missing = True
                elif self.show_partials:
                    text = html.escape(self.fmt(_plain(local)))
                    edges.append(
                        f"\tv{position[parent]} -> op{i} [label=<{text}> "
                        f'fontcolor="{_PARTIAL_COLOUR}"]\n'
                    )
                else:
                    edges.append(f"\tv{position[parent]} -> op{i}\n")
            if missing:
                edges.append(f"\tmore -> op{i} [style=dashed]\n")
            edges.append(f"\top{i} -> v{i}\n")
        if hidden:
            text = (
                f"+{hidden} more values not drawn<BR/>raise max_nodes (now {max_nodes}) to see all"
            )
            g.node(
                "more",
                label=f"<{text}>",
                shape="box",
                style="dashed,rounded",
                color=_MUTED,
                fontcolor=_MUTED,
            )
        lines.extend(edges)
        if self.legend:
            self.add_legend(g, roles, has_op)
        return g

    def count_drawn(self, order: list[Value]) -> int:
        """How many values get a box: the root and every parent used un-inlined at least once."""
        drawn = {self.root}
        for node in order:
            for parent in node.parents:
                if parent not in drawn and not self.inlined(parent, node):
                    drawn.add(parent)
        return len(drawn)

    def breadth_first(self, limit: int) -> list[Value]:
        """Up to ``limit`` drawn values, nearest to the root first, parents in operand order."""
        shown = [self.root]
        seen = {self.root}
        head = 0
        while head < len(shown) and len(shown) < limit:
            node = shown[head]
            head += 1
            for parent in node.parents:
                if parent in seen or self.inlined(parent, node):
                    continue
                seen.add(parent)
                shown.append(parent)
                if len(shown) == limit:
                    break
        return shown

    def role(self, node: Value) -> str:
        if node is self.root:
            return "output"
        if node.parents:
            return "intermediate"
        return "input" if node.label else "constant"

    def value_label(self, node: Value, role: str) -> str:
        fill, border = _ROLE_STYLE[role]
        rows = []
        if node.label:
            rows.append(f"<B>{html.escape(_shorten(node.label))}</B>")
        rows.append(f"data {html.escape(self.fmt(node.data))}")
        if self.show_grad:
            rows.append(f'<FONT COLOR="{_MUTED}">grad {html.escape(self.fmt(node.grad))}</FONT>')
        width = ' BORDER="2"' if role == "output" else ' BORDER="1"'
        cells = "".join(f"<TR><TD>{row}</TD></TR>" for row in rows)
        if self.rankdir in ("TB", "BT"):
            # Top to bottom the boxes sit side by side: one row keeps the picture short.
            cells = "<TR>" + "".join(f"<TD>{row}</TD>" for row in rows) + "</TR>"
        return (
            f'<<TABLE{width} CELLBORDER="0" CELLSPACING="0" CELLPADDING="2" STYLE="ROUNDED" '
            f'BGCOLOR="{fill}" COLOR="{border}">{cells}</TABLE>>'
        )

    def op_text(self, node: Value) -> str:
        """The op's symbol with bound parameters and inlined constants: ``2 ×``, ``** 3``."""
        op = node.op
        assert op is not None  # only called for nodes with parents
        symbol = op.symbol
        if op.base is ops.AFFINE:  # Σ w·x + b with the inputs x bound as constants
            constants, bias = op.params
            shown = ", ".join(self.fmt(c) for c in constants[:4])
            shown += ", …" if len(constants) > 4 else ""
            bias_text = "" if bias is None else f", b = {self.fmt(bias)}"
            return f"{symbol}, x = ({shown}){bias_text}"
        params = [self.fmt(p) for p in op.params]
        operands = [self.fmt(p.data) if self.inlined(p, node) else None for p in node.parents]
        if not symbol.isidentifier() and (len(operands) == 2 or params):
            # An operator: a constant stays on its own side (2 − x is "2 −", x − 2 is "− 2"),
            # and a bound parameter is the right operand (x ** 3 is "** 3").
            right = operands[1] if len(operands) == 2 else ", ".join(params)
            return " ".join(part for part in (operands[0], symbol, right) if part is not None)
        if all(o is None for o in operands):
            return f"{symbol}({', '.join(params)})" if params else symbol
        args = ["•" if o is None else o for o in operands]  # • marks an operand drawn as a box
        return f"{symbol}({', '.join(args + params)})"

    def add_legend(self, g: GraphDrawing, roles: set[str], has_op: bool) -> None:
        rows = []
        for role in ("input", "constant", "intermediate", "output"):
            if role not in roles:
                continue
            fill, border = _ROLE_STYLE[role]
            rows.append(
                f'<TR><TD BGCOLOR="{fill}" COLOR="{border}" BORDER="1" STYLE="ROUNDED">  </TD>'
                f'<TD ALIGN="LEFT">{_ROLE_TEXT[role]}</TD></TR>'
            )
        if has_op:
            rows.append(
                f'<TR><TD BGCOLOR="{_OP[0]}" COLOR="{_OP[1]}" BORDER="1" STYLE="ROUNDED">×</TD>'
                '<TD ALIGN="LEFT">operation</TD></TR>'
            )
            if self.show_partials:
                rows.append(
                    f'<TR><TD><FONT COLOR="{_PARTIAL_COLOUR}">1.5</FONT></TD>'
                    '<TD ALIGN="LEFT">on an edge: local derivative ∂out/∂in</TD></TR>'
                )
        table = (
            '<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="3" CELLPADDING="1">'
            + "".join(rows)
            + "</TABLE>"
        )
        with g.subgraph(name="cluster_legend") as legend:
            legend.attr(
                label="legend",
                style="rounded,dashed",
                color=_MUTED,
                fontcolor=_MUTED,
                fontsize="10",
            )
            legend.node("legend", label=f"<{table}>", shape="plain", fontsize="10")


def _number_formatter(number_format: NumberFormat) -> Callable[[float], str]:
    """A float -> text function from a format spec or a callable, checked once up front."""
    if callable(number_format):
        custom = number_format

        def formatted(x: float) -> str:
            text = custom(x)
            if not isinstance(text, str):
                raise TypeError(f"number_format must return a str, got {type(text).__name__}")
            return text

        return formatted
    if not isinstance(number_format, str):
        raise TypeError(
            f"draw_graph: number_format must be a format spec or a function, got {number_format!r}"
        )
    try:
        format(1.5, number_format)
    except ValueError:
        raise ValueError(
            f"draw_graph: number_format {number_format!r} is not a float format spec "
            "(try '.4g' or '.3f')"
        ) from None
    spec = number_format

    def formatted_spec(x: float) -> str:
        # -0.0 (e.g. a gradient 0 · -1) would print as "-0", which puzzles more than it informs.
        return format(x if x != 0.0 else 0.0, spec)

    return formatted_spec


def _shorten(text: str) -> str:
    return text if len(text) <= _MAX_LABEL else text[: _MAX_LABEL - 1] + "…"


# The step-through page of backpropagation lives in its own module; ag.viz offers it here.
from autograd_core.stepthrough import explain as explain, to_html as to_html  # noqa: E402, I001
