"""Pictures of computation graphs, with the chain rule written on the edges.

``y.backward()`` fills in gradients by walking the graph that built ``y``; this module draws that
graph so a learner can check each step by eye. Every Value becomes a box showing its label (if
it has one), its ``data`` and its ``grad``. Every operation becomes a small oval (``×``, ``+``,
``tanh``, ``Σ``, ``Σ w·x + b``). And every edge from an input to an operation carries the number
the engine stored when it built the node: the *local* derivative ``∂out/∂in``. Backpropagation is
then visible arithmetic: an input's ``grad`` is the sum, over its outgoing edges, of the edge's
number times the ``grad`` of the value that operation produced.

Three functions cover the common uses:

```python
draw_graph(y)               # a graphviz.Digraph subclass: shows itself in Jupyter
to_svg(y)                   # the SVG text
save_graph(y, "graph.svg")  # .svg, .png, .pdf or .dot, chosen by the extension
```

A network's graph is drawn more readably with ``collapse="neuron"`` (one box per neuron, its
weights and their gradients inside, one edge per connection between neurons) or
``collapse="layer"`` (one box per layer). By default (``collapse="auto"``) a network whose
picture would be longer than :data:`PICTURE_BUDGET` (2,500 px) is drawn so, and a line under
the picture says which view was chosen and how to see every value.

In a notebook the picture is scaled to the column (a click shows it at full size, in a box that
scrolls sideways) with that line of text under it; a notebook not yet run or trusted shows the
same picture, and a text-only front end a sentence saying what the picture is.

Design choices, and why:

* **Every picture is bounded.** Graphviz's layered layout grows much faster than the graph. A
  value that feeds operations at many depths is the worst case: drawn with one edge per use,
  ``x + x + … + x`` took 15 s to lay out at 60 terms and over a minute at 100. So:

  - at most ``max_nodes`` boxes (300 by default) and three edges per box are drawn. The output
    side (nearest the output, breadth first) gets two thirds, the input side (the inputs and
    the first operations computed from them) one third, and one dashed ``+N more`` box stands
    for the middle;
  - the graph is walked breadth first from the output, and the walk stops after looking at
    100 edges per allowed box (30,000 by default), however large the graph. When it stops
    early the input side is not known, and the ``+N more`` box says so;
  - a value used more than 8 times by operations at more than two depths is drawn once in full
    and then as a small dashed copy beside each further use, so no long edges cross the picture
    (TensorBoard does the same with high-degree nodes);
  - the renderer runs in its own process with a time limit (:data:`DEFAULT_TIMEOUT`, 10 s) and,
    on Linux, 4 GB of address space; past either it is stopped, and the error suggests a
    collapsed view or a smaller ``max_nodes``.

  Measured on the project's 2-core machine (shared, so a quiet one is faster; graphviz-pure
  0.2.2 and Graphviz 2.43 ``dot``): the demo's picture (``collapse="neuron"``, 33 neurons, 308
  edges) renders in 0.2 s and is 150-170 KB; 300 boxes of a chain render as SVG in 0.2 s, as PNG
  in 0.4-1.6 s; ``x + x + … + x`` of 3,000 terms in 0.4 s; ``draw_graph`` of a chain of two
  million operations takes 0.2 s. The slowest default picture found is the demo network drawn
  value by value: its SVG takes 0.6 s, but as a PNG the 2,000 × 16,000-point strip takes 8-15 s
  to rasterise and can run into the time limit. With ``max_nodes=None`` the DOT text of a
  100,000-value chain takes 5 s to write (41 MB), and no renderer lays it out within the limit
  (both had reached 1.3 GB when they were stopped).
* **Stable output.** A box's name in the DOT text is the position of its value in the walk from
  the output (``v0`` is the output; ``n…`` neurons, ``layer…`` layers, ``op…`` operations), never
  ``id()``; the same expression gives byte-identical DOT on every run, which makes the output
  snapshot-testable and diff-friendly.
* **No system install needed.** Graphviz lays the picture out. The ``dot`` program is used when it
  is on ``PATH``; otherwise ``graphviz-pure``, a self-contained port of it that pip installs with
  this package on common platforms, also for ``draw_graph(y).render(...)`` and ``.pipe()``. With
  neither, rendering raises an error that says what to install, and the DOT text
  (``draw_graph(y).source``) still works.
* **Any text is safe.** Labels, op symbols and formatted numbers are escaped for DOT and XML;
  control characters, NUL, bidirectional controls (U+202E, which would reorder the text around
  it), non-characters such as U+FFFE and lone surrogates are shown as Python-style escapes
  (``\\x00``, ``\\u202e``), so the SVG always parses and reads as written. The step-through
  page escapes its text the same way.
* **Files appear whole.** :func:`save_graph` writes a temporary file and renames it over the
  target, as checkpoints are saved (:mod:`autograd_core.checkpoint`): a reader never sees half a
  picture, and saving to a symlink replaces the file it points to, keeping the link.
* **Roles in colour.** Inputs and parameters (labelled leaves), constants (unlabelled leaves),
  intermediate values, neurons and the output each get a colour, explained by a legend in the
  bottom-left corner. A constant such as the ``2`` in ``2 * x`` is by default written inside its
  operation (``2 ×``) rather than drawn as a box of its own, which keeps pictures of real
  formulas small.
"""

from __future__ import annotations

import base64
import contextlib
import html
import os
import re
import shutil
import signal
import subprocess
import sys
import sysconfig
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import graphviz

from autograd_core import ops
from autograd_core._checks import choice, real
from autograd_core.checkpoint import write_atomically
from autograd_core.engine import Value
from autograd_core.ops import data as _plain

__all__ = [
    "draw_graph",
    "to_svg",
    "save_graph",
    "find_renderer",
    "render_source",
    "Renderer",
    "GraphDrawing",
    "GraphSummary",
    "RendererNotFoundError",
    "RenderError",
    "RenderTimeoutError",
    "DEFAULT_MAX_NODES",
    "DEFAULT_TIMEOUT",
    "COLLAPSE",
    "PICTURE_BUDGET",
]

DEFAULT_MAX_NODES = 300
"""Most boxes drawn by default: a few hundred boxes are still readable and render in about a
second; beyond that a picture is rarely what a learner wants."""

DEFAULT_TIMEOUT = 10.0
"""Seconds the renderer may run before it is stopped (``timeout=None``: no limit)."""

COLLAPSE = ("neuron", "layer")
"""The values ``collapse=`` accepts besides ``None`` and ``"auto"``, from the least collapsed."""

PICTURE_BUDGET = 2500
"""The longest side, in CSS pixels (a point is 4/3 px), a picture drawn with the default
``collapse="auto"`` should have: past it :func:`draw_graph` draws one box per neuron, or per
layer. About three screens of a notebook; a wider picture is scaled to the column, and a click
shows it at full size."""

NumberFormat = str | Callable[[float], str]

# Bounds, per allowed box: edges drawn, and edges the walk may look at (see the module doc).
_EDGES_PER_BOX = 3
_WALK_PER_BOX = 100
# A value used more often than this, by operations at more than two depths, gets copies.
_FANOUT = 8
# A picture cut at max_nodes takes at most this many boxes at one depth from the output: about
# as many value boxes as PICTURE_BUDGET holds stacked (a box and the gap to the next: ~90 px).
_RANK_BOXES = 28
# A neuron's parameters are listed one per row up to this many; beyond, summed up.
_FEW_PARAMETERS = 5
# Address space the renderer may use, on Linux (a safety net under the time limit: the demo's
# picture needs about 250 MB, a 300-box picture of an uncollapsed network about 600 MB).
_MEMORY_LIMIT = 4 * 2**30


class RendererNotFoundError(RuntimeError):
    """Neither Graphviz's ``dot`` nor ``graphviz-pure`` could be found to render a picture."""


class RenderError(RuntimeError):
    """The Graphviz program ran but could not produce the picture."""


class RenderTimeoutError(RenderError):
    """The Graphviz program ran over its time limit and was stopped."""


@dataclass(frozen=True)
class GraphSummary:
    """What a drawing holds and what it left out.

    Attributes:
        boxes: Boxes drawn (values, neurons or layers, copies of shared values; not the op
            ovals, the legend or the ``+N more`` box).
        edges: Edges drawn.
        hidden: Boxes of the known graph left out (the ``+N more``).
        walked: Edges the walk looked at.
        complete: Whether the walk saw the whole graph (if not, more than ``hidden`` is left out).

    Example:
        >>> import autograd_core as ag
        >>> x = ag.Value(2.0, label="x")
        >>> drawing = ag.viz.draw_graph(x * x + 1)
        >>> drawing.summary.hidden, drawing.summary.complete
        (0, True)
    """

    boxes: int
    edges: int
    hidden: int
    walked: int
    complete: bool


class GraphDrawing(graphviz.Digraph):  # type: ignore[misc]  # graphviz ships no type hints
    """A ``graphviz.Digraph`` that renders with whichever Graphviz program this module finds.

    ``graphviz.Digraph`` itself always runs ``dot``; this subclass's ``pipe``, ``render`` and
    Jupyter display also use ``graphviz-pure`` when ``dot`` is missing, so the picture shows
    after ``pip install`` alone, and they stop the renderer after ``timeout`` seconds.
    ``summary`` says what was drawn and what was left out.

    Example:
        >>> import autograd_core as ag
        >>> drawing = (ag.Value(2.0, label="x") * 3).draw()
        >>> isinstance(drawing, ag.viz.GraphDrawing), b"<svg" in drawing.pipe(format="svg")
        (True, True)
    """

    timeout: float | None = DEFAULT_TIMEOUT
    summary: GraphSummary | None = None
    # Each DOT id that stands for one value -> its kind and that value: "value" its box, "op"
    # the oval of the op that made it, "copy" a small copy beside a further use (the
    # step-through page finds its boxes, ovals and copies with it).
    nodes: dict[str, tuple[str, Value]] | None = None
    # Lines of text shown under the picture in a notebook (which view was chosen and why, what
    # was left out): see ``caption``. ``description`` says in words what the picture is.
    notes: tuple[str, ...] = ()
    description: str = "a graph"
    # The size of the picture in CSS pixels, estimated or measured (see ``size``), and the SVG
    # text for the DOT source it was rendered from, kept so that a display does not render twice.
    _size: tuple[float, float] | None = None
    _rendered: tuple[str, str] | None = None

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
        program and has no time limit.

        Example:
            >>> import autograd_core as ag
            >>> x = ag.Value(2.0, label="x")
            >>> ag.viz.draw_graph(x * x).pipe(encoding="utf-8").startswith("<?xml")
            True
        """
        if self._needs_graphviz(renderer, formatter, neato_no_op, engine):
            return super().pipe(  # type: ignore[no-any-return]
                format,
                renderer=renderer,
                formatter=formatter,
                neato_no_op=neato_no_op,
                quiet=quiet,
                engine=engine,
                encoding=encoding,
            )
        picture = render_source(self.source, format or self.format or "svg", timeout=self.timeout)
        return picture.decode(encoding) if encoding else picture

    def render(
        self,
        filename: str | os.PathLike[str] | None = None,
        directory: str | os.PathLike[str] | None = None,
        view: bool = False,
        cleanup: bool = False,
        format: str | None = None,  # noqa: A002 - graphviz's own parameter name
        renderer: str | None = None,
        formatter: str | None = None,
        neato_no_op: bool | int | None = None,
        quiet: bool = False,
        quiet_view: bool = False,
        *,
        outfile: str | os.PathLike[str] | None = None,
        engine: str | None = None,
        raise_if_result_exists: bool = False,
        overwrite_source: bool = False,
    ) -> str:
        """Save the DOT source to ``filename`` and the picture next to it, as graphviz does.

        The arguments are ``graphviz.Digraph.render``'s: the source goes to ``filename``
        (default ``autograd_core.gv``) in ``directory``, the picture to ``<source>.<format>`` or
        to ``outfile``, whose extension then gives the format. The picture is written
        atomically. Graphviz's advanced options (``renderer``, ``formatter``, ``neato_no_op``,
        another ``engine``) are handed to ``graphviz.Digraph.render``, which needs ``dot``.

        Returns:
            The path of the picture.

        Example:
            >>> import pathlib, tempfile
            >>> import autograd_core as ag
            >>> x = ag.Value(2.0, label="x")
            >>> folder = tempfile.mkdtemp()
            >>> path = ag.viz.draw_graph(x * x).render("g", directory=folder, format="png")
            >>> pathlib.Path(path).name, pathlib.Path(path).read_bytes()[:4]
            ('g.png', b'\\x89PNG')
        """
        if self._needs_graphviz(renderer, formatter, neato_no_op, engine):
            return super().render(  # type: ignore[no-any-return]
                filename,
                directory,
                view=view,
                cleanup=cleanup,
                format=format,
                renderer=renderer,
                formatter=formatter,
                neato_no_op=neato_no_op,
                quiet=quiet,
                quiet_view=quiet_view,
                outfile=outfile,
                engine=engine,
                raise_if_result_exists=raise_if_result_exists,
                overwrite_source=overwrite_source,
            )
        target: Path | None = None
        fmt = format
        if outfile is not None:
            target = Path(outfile) if directory is not None else Path(self.directory, outfile)
            fmt = fmt or target.suffix.lstrip(".").lower()
            if not fmt:
                raise ValueError(
                    f"render: cannot tell the format from {target.name!r}; pass format='png'"
                )
            if filename is None:
                filename = Path(outfile).with_suffix(".gv")
        fmt = fmt or self.format or "svg"
        source_path = Path(self.save(filename, directory=directory))
        if target is None:  # graphviz's rule: the source's path plus the format
            target = source_path.with_name(f"{source_path.name}.{fmt}")
        if target.resolve() == source_path.resolve() and not overwrite_source:
            raise ValueError(f"render: the picture would overwrite its DOT source {target}")
        if raise_if_result_exists and target.exists():
            raise graphviz.FileExistsError(f"output file exists: {os.fspath(target)!r}")
        write_atomically(target, render_source(self.source, fmt, timeout=self.timeout))
        if cleanup:
            source_path.unlink()
        if view or quiet_view:
            graphviz.view(target, quiet=quiet_view)
        return os.fspath(target)

    def _needs_graphviz(
        self,
        renderer: str | None,
        formatter: str | None,
        neato_no_op: bool | int | None,
        engine: str | None,
    ) -> bool:
        """Whether an option only Graphviz's own ``dot`` understands was asked for."""
        return bool(renderer or formatter or neato_no_op or (engine or self.engine) != "dot")

    @property
    def caption(self) -> str:
        """The text shown under the picture in a notebook: the chosen view, what was left out.

        Empty when the picture shows everything as asked.

        Example:
            >>> import autograd_core as ag
            >>> (ag.Value(2.0, label="x") * 3).draw().caption
            ''
        """
        return "\n".join(self.notes)

    @property
    def size(self) -> tuple[float, float]:
        """(width, height) of the picture in CSS pixels (96 per inch: a point is 4/3 px).

        Measured from the ``width`` and ``height`` of the rendered SVG when :func:`draw_graph`
        rendered it to choose the view; otherwise estimated from the DOT text without a renderer
        (see :func:`draw_graph`).

        Example:
            >>> import autograd_core as ag
            >>> width, height = (ag.Value(2.0, label="x") * 3).draw().size
            >>> 0 < height < width < 1000
            True
        """
        if self._size is None:
            self._size = _estimate_size(self)
        return self._size

    def svg(self) -> str:
        """The picture as SVG text (rendered once per DOT source, then kept).

        Example:
            >>> import autograd_core as ag
            >>> ag.Value(2.0, label="x").tanh().draw().svg().startswith("<?xml")
            True
        """
        source = self.source
        if self._rendered is None or self._rendered[0] != source:
            svg = render_source(source, "svg", timeout=self.timeout).decode("utf-8")
            self._rendered = (source, svg)
        return self._rendered[1]

    def __repr__(self) -> str:
        return f"<GraphDrawing: {self.description}>"

    def _repr_html_(self) -> str:
        return _framed(self.svg(), self.description, self.caption)

    def _repr_mimebundle_(
        self,
        include: Iterable[str] | None = None,
        exclude: Iterable[str] | None = None,
        **_: Any,
    ) -> dict[str, bytes | str]:
        # Jupyter calls this to display the object. JupyterLab shows the first type of its own
        # order it trusts (text/html before SVG and PNG, text/plain last), one per output:
        #
        # * text/html: the picture as an <img> of the SVG (a data: URL), scaled to the column,
        #   a click shows it at full size, the caption as text under it. JupyterLab sanitizes
        #   the HTML of a notebook that is not trusted (a committed one, before it is run) but
        #   keeps <img> with its data: source and its inline styles, so the picture shows
        #   there too; only the click to zoom (a <style>) is dropped. An <img> runs no script
        #   and loads nothing, whatever the labels say.
        # * text/plain: what the picture is, for a text-only front end or a renderer error.
        #
        # No image/svg+xml or image/png as well: JupyterLab would never choose them over the
        # HTML, and each would add the picture again to the saved notebook.
        wanted = {"text/html", "text/plain"} if include is None else set(include)
        wanted -= set(exclude or ())
        bundle: dict[str, bytes | str] = {}
        text = f"{self.description} — run the cell to see it"
        if self.caption:
            text += "\n" + self.caption
        if "text/html" in wanted:
            # Without a renderer, or past the time limit, the reason (which says what to do) is
            # shown as text, instead of a traceback in the middle of a notebook.
            try:
                bundle["text/html"] = self._repr_html_()
            except (RendererNotFoundError, RenderError) as exc:
                return {"text/plain": f"{text}\n\n{exc}\n\n{self.source}"}
        if "text/plain" in wanted:
            bundle["text/plain"] = text
        return bundle


@dataclass(frozen=True)
class Renderer:
    """A Graphviz program found on this machine: ``name`` is ``dot`` or ``graphviz-pure``.

    Example:
        >>> import autograd_core as ag
        >>> ag.viz.find_renderer().name in ("dot", "graphviz-pure")
        True
    """

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
    max_nodes: int | str | None = "auto",
    legend: bool = True,
    collapse: str | None = "auto",
) -> GraphDrawing:
    """Draw the computation graph that produced ``root``.

    Value boxes show label, ``data`` and ``grad``; operation ovals show the op; each edge from an
    input to its operation is labelled with the local derivative ``∂out/∂in``. Colours mark the
    role of each value (input or parameter, constant, intermediate, output), explained in a
    legend. Nothing is rendered until the result is displayed, piped or saved.

    ``collapse="neuron"`` draws each neuron as one box: a ``dot`` or ``affine`` node (``Σ w·x +
    b``) together with the activation that is its only consumer. Inside are rows of data and
    grad: the weighted sum, the activation's output, and the parameters (the leaves among its
    weights, and its bias) one each up to five, beyond that their count and range. The weights
    are the half of the operands of ``ag.dot(w, x, b)`` that are all leaves (the first half if
    both are, as in ``nn``); an ``affine`` node's inputs are data, drawn as one box per sample.
    Edges then join neurons, one per connection. ``collapse="layer"`` also merges the neurons
    that read the same inputs through the same activation into one box. Everything else (the
    loss, say) is drawn value by value. Neurons and layers are named by the common part of
    their parameters' labels (``L0.n3``, ``L0``), as ``nn`` labels them.

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
        max_nodes: The most boxes drawn (edges: three times as many). Past it the output
            side and the input side are kept and the middle is summed up in a dashed ``+N
            more`` box. It also bounds the walk (see the module docstring). ``None`` draws
            everything. ``"auto"`` (the default) is :data:`DEFAULT_MAX_NODES`, and lets
            ``collapse="auto"`` choose the view.
        legend: Add the legend explaining the colours and the edge numbers.
        collapse: ``None`` (every value), ``"neuron"``, ``"layer"``, or ``"auto"`` (the
            default): every value if the picture fits :data:`PICTURE_BUDGET`, else the first
            of ``"neuron"`` and ``"layer"`` that fits (the last if neither does), and
            :attr:`GraphDrawing.caption` says so in a line under the picture. ``"auto"``
            with ``max_nodes`` given means ``None``: a number of boxes asked for is drawn.

    How a picture is measured, to choose the view: the size of a layered layout is estimated
    from the DOT text alone (boxes sized from the lines and characters of their labels, ranks
    from the longest path to each box, each rank as tall as its boxes stacked), which costs
    milliseconds and needs no renderer. The estimate is within a factor of 1.8 of what
    Graphviz draws; a picture estimated within that factor of the budget is rendered, and its
    SVG's ``width`` and ``height`` (points, 4/3 px each) decide. The SVG is kept for the
    display, so nothing is rendered twice; a picture estimated clearly smaller or larger is
    not rendered, and without a renderer the estimate decides.

    Returns:
        A :class:`GraphDrawing` (a ``graphviz.Digraph``): displays as SVG in Jupyter; its
        ``.source`` is the DOT text and its ``.summary`` says what was left out.

    Raises:
        TypeError: ``root`` is not a Value, or an option has the wrong type.
        ValueError: an option has a value it cannot take.

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
        v1 -> op0 [label=<-3> fontcolor="#b91c1c"]
        v2 -> op0 [label=<2> fontcolor="#b91c1c"]
        op0 -> v0
        >>> model = ag.nn.MLP(2, [3, 1], seed=0)
        >>> ag.viz.draw_graph(model([1.0, 2.0]), collapse="neuron").summary.boxes  # 3 + 1, data
        5
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw_graph: expected a Value, got {type(root).__name__}")
    if rankdir not in ("LR", "TB", "RL", "BT"):
        raise ValueError(f"draw_graph: rankdir must be 'LR', 'TB', 'RL' or 'BT', got {rankdir!r}")
    fit = max_nodes == "auto" and collapse == "auto"
    if max_nodes == "auto":
        max_nodes = DEFAULT_MAX_NODES
    if max_nodes is not None and (
        isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1
    ):
        raise ValueError(
            f"draw_graph: max_nodes must be a positive int, None or 'auto', got {max_nodes!r}"
        )
    if collapse == "auto":
        collapse = None
    elif collapse is not None:
        collapse = choice(collapse, "collapse", "draw_graph", COLLAPSE)
    fmt = _number_formatter(number_format)
    walk = _Walk(root, None if max_nodes is None else max_nodes * _WALK_PER_BOX)

    def drawn(view: str | None) -> tuple[GraphDrawing, bool]:
        drawer = _Drawer(walk, rankdir, show_grad, show_partials, inline_constants, fmt, view)
        return drawer.draw(max_nodes, legend), drawer.saw_neurons

    drawing, saw_neurons = drawn(collapse)
    if fit and saw_neurons and _long_side(_measured(drawing)) > PICTURE_BUDGET:
        full = drawing
        for view in COLLAPSE:
            drawing, _ = drawn(view)
            if _long_side(_measured(drawing)) <= PICTURE_BUDGET:
                break
        drawing.notes = (_chosen_view_note(full, view, walk), *drawing.notes)
    return drawing


def to_svg(
    root: Value,
    *,
    program: str | None = None,
    timeout: float | None = DEFAULT_TIMEOUT,
    **options: Any,
) -> str:
    """The graph of ``root`` as SVG text.

    Args:
        root: The value whose graph to draw.
        program: The Graphviz program to run: ``"dot"``, ``"graphviz-pure"`` or a path to an
            executable. By default ``dot`` if it is on ``PATH``, else ``graphviz-pure``.
        timeout: Seconds the program may run (``None``: no limit).
        **options: Options of :func:`draw_graph` (``rankdir``, ``collapse``, ...).

    Returns:
        The SVG document.

    Raises:
        RendererNotFoundError: No Graphviz program was found; the message says what to install.
        RenderTimeoutError: The program ran over ``timeout`` and was stopped.
        RenderError: The program failed.

    Example:
        >>> import autograd_core as ag
        >>> x = ag.Value(3.0, label="x")
        >>> svg = ag.viz.to_svg(x.tanh())
        >>> svg.startswith("<?xml"), "tanh" in svg
        (True, True)
    """
    source = draw_graph(root, **options).source
    return render_source(source, "svg", program=program, timeout=timeout).decode("utf-8")


_FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": "dot", ".gv": "dot"}


def save_graph(
    root: Value,
    path: str | os.PathLike[str],
    *,
    format: str | None = None,  # noqa: A002 - the word everyone uses, as in graphviz
    program: str | None = None,
    timeout: float | None = DEFAULT_TIMEOUT,
    **options: Any,
) -> Path:
    """Write the graph of ``root`` to a file; the extension picks the format.

    ``.svg``, ``.png`` and ``.pdf`` are rendered by Graphviz (``graphviz-pure`` cannot write PDF
    yet: that needs the ``dot`` program); ``.dot`` / ``.gv`` is the DOT text and needs no renderer.
    The file is written whole or not at all (a temporary file renamed over ``path``); a symlink
    at ``path`` stays and the file it points to is replaced.

    Args:
        root: The value whose graph to draw.
        path: Where to write.
        format: ``"svg"``, ``"png"``, ``"pdf"`` or ``"dot"``, to override the extension.
        program: The Graphviz program, as in :func:`to_svg`.
        timeout: Seconds the program may run (``None``: no limit), for a picture and for
            the step-through page alike.
        **options: Options of :func:`draw_graph` (of :func:`to_html` for ``.html``).

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
        write_atomically(path, to_html(root, program=program, timeout=timeout, **options))
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
    drawing = draw_graph(root, **options)
    if drawing.caption:  # a file has no "under the picture": its last line is the caption
        drawing.attr(label=drawing.caption, labelloc="b", labeljust="l", fontsize="11")
    source = drawing.source
    if fmt == "dot":
        write_atomically(path, source)
    else:
        write_atomically(path, render_source(source, fmt, program=program, timeout=timeout))
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


def render_source(
    source: str,
    fmt: str,
    *,
    program: str | None = None,
    timeout: float | None = DEFAULT_TIMEOUT,
) -> bytes:
    """Run Graphviz on DOT text and return the picture (``fmt``: svg, png, pdf, ...).

    The program runs as a separate process (in a process group of its own, on POSIX); if it
    is still running after ``timeout`` seconds, it and anything it started are killed.

    Args:
        source: DOT text, e.g. ``draw_graph(y).source``.
        fmt: A Graphviz output format.
        program: The Graphviz program, as in :func:`to_svg`.
        timeout: Seconds the program may run (``None``: no limit).

    Returns:
        The bytes Graphviz wrote.

    Raises:
        RendererNotFoundError: No Graphviz program was found.
        RenderTimeoutError: The program ran over ``timeout`` and was stopped.
        RenderError: The program failed.

    Example:
        >>> from autograd_core.viz import render_source
        >>> render_source("digraph { a -> b }", "svg")[:5]
        b'<?xml'
    """
    if timeout is not None:
        timeout = real(timeout, "timeout", "render", minimum=0.0, exclusive_minimum=True)
    renderer = find_renderer(program)
    if fmt == "pdf" and renderer.name == "graphviz-pure":
        raise RenderError(
            "graphviz-pure cannot write PDF yet: install Graphviz so that `dot` is on PATH "
            "(apt-get install graphviz / brew install graphviz), or save as .svg or .png"
        )
    # -q silences warnings: graphviz-pure warns about every non-ASCII character (× Σ σ) whose
    # width it only estimates, which is noise here; real failures still set the exit status.
    # Text that cannot be encoded (a lone surrogate in DOT written by hand) becomes "?".
    returncode, out, err = _run(
        [renderer.path, "-q", f"-T{fmt}"], source.encode("utf-8", "replace"), timeout
    )
    if returncode is None:
        boxes = len(re.findall(r"^\s*\w+ \[", source, flags=re.MULTILINE))
        edges = source.count(" -> ")
        raise RenderTimeoutError(
            f"{renderer.name} did not finish the {fmt} picture within {timeout:g} s and was "
            f"stopped ({boxes} nodes, {edges} edges to lay out). Draw less: collapse='neuron' "
            "or collapse='layer' for a network, or a smaller max_nodes; or allow more time "
            "with timeout= (None waits for ever)"
        )
    if returncode != 0:
        reason = err.decode("utf-8", "replace").strip() or f"exit status {returncode}"
        if returncode < 0 or "memory" in reason.lower():  # killed, or out of memory
            lines = reason.splitlines()
            line = next((t for t in lines if "memory" in t.lower()), lines[-1]).strip()
            limit = (
                f"{_MEMORY_LIMIT / 2**30:g} GB"
                if _MEMORY_LIMIT >= 2**30
                else (f"{_MEMORY_LIMIT // 2**20} MB")
            )
            reason = (
                f"{line} (probably out of memory: the renderer may use {limit}; draw less "
                "with collapse='neuron' or a smaller max_nodes)"
            )
        raise RenderError(f"{renderer.name} could not render {fmt}: {reason}")
    return out


# -- running programs ------------------------------------------------------------------------


def _run(
    command: list[str], stdin: bytes, timeout: float | None
) -> tuple[int | None, bytes, bytes]:
    """Run ``command`` on ``stdin``: (exit status, stdout, stderr), status ``None`` on timeout.

    The program gets a process group of its own on POSIX, so that a timeout, or Ctrl-C in the
    caller, kills it together with anything it started instead of leaving it running.
    """
    posix = os.name == "posix"
    process = subprocess.Popen(
        command,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=posix,
    )
    if sys.platform == "linux" and _MEMORY_LIMIT:
        # Set from outside, on the running child (a preexec_fn is unsafe in threaded programs);
        # the few milliseconds before it applies are spent starting up and reading the input.
        import resource

        with contextlib.suppress(OSError, ValueError):
            resource.prlimit(process.pid, resource.RLIMIT_AS, (_MEMORY_LIMIT, _MEMORY_LIMIT))
    try:
        out, err = process.communicate(stdin, timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill(process, posix)
        process.communicate()
        return None, b"", b""
    except BaseException:
        _kill(process, posix)
        process.wait()
        raise
    return process.returncode, out, err


def _kill(process: subprocess.Popen[bytes], posix: bool) -> None:
    try:
        if posix:
            os.killpg(process.pid, signal.SIGKILL)
        else:  # pragma: no cover - Windows
            process.kill()
    except (ProcessLookupError, PermissionError):  # already gone
        pass


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


# -- measuring and showing pictures ----------------------------------------------------------

# The estimate of a picture's size is trusted to within this factor: a picture estimated closer
# than that to the budget is rendered and measured before a view is chosen.
_ESTIMATE_ERROR = 1.8
# Wider than this (CSS px), a picture is probably scaled down to fit a notebook's column (the
# docs' column is about 550 px): the caption then says a click shows it at full size.
_COLUMN = 640
# Helvetica at 11 pt: the average width of a character of a label, and the height of a line of
# a table (the text and its padding), in points; measured on the pictures of the tests.
_CHAR = 6.2
_LINE = 15.5
_SVG_SIZE = re.compile(r'<svg\b[^>]*?\bwidth="([\d.]+)(pt|px)?"[^>]*?\bheight="([\d.]+)(pt|px)?"')
_NODE_LINE = re.compile(r"\t(\w+) \[label=<(.*)>(.*)\]\n?", re.DOTALL)
_EDGE_LINE = re.compile(r"\t(\w+) -> (\w+)(?: \[(.*)\])?\n?", re.DOTALL)


def _long_side(size: tuple[float, float]) -> float:
    return max(size)


def _measured(drawing: GraphDrawing) -> tuple[float, float]:
    """The picture's size in CSS px: estimated, or rendered and read when that is close.

    A picture estimated within :data:`_ESTIMATE_ERROR` of :data:`PICTURE_BUDGET` is rendered
    (the SVG is kept for the display) and its SVG's ``width`` and ``height`` are read; without
    a renderer, or past its time limit, the estimate stands.
    """
    estimate = drawing.size
    if (
        not PICTURE_BUDGET / _ESTIMATE_ERROR
        < _long_side(estimate)
        < (PICTURE_BUDGET * _ESTIMATE_ERROR)
    ):
        return estimate
    try:
        svg = drawing.svg()
    except (RendererNotFoundError, RenderError):
        return estimate
    size = _svg_size(svg)
    if size is not None:
        drawing._size = size
    return drawing.size


def _svg_size(svg: str) -> tuple[float, float] | None:
    """(width, height) in CSS px from an SVG's attributes (Graphviz writes points: 4/3 px)."""
    match = _SVG_SIZE.search(svg)
    if match is None:
        return None
    width, width_unit, height, height_unit = match.groups()
    scale = {"pt": 4 / 3, "px": 1.0, None: 1.0}
    return float(width) * scale[width_unit], float(height) * scale[height_unit]


def _chosen_view_note(full: GraphDrawing, view: str, walk: _Walk) -> str:
    """The line under a picture drawn collapsed because every value would not fit."""
    width, height = full.size
    side, direction = (height, "tall") if height >= width else (width, "wide")
    measured = full._rendered is not None and full._rendered[0] == full.source
    size = f"{side:,.0f}" if measured else f"about {round(side, -2):,.0f}"
    values = f"{len(walk.nodes):,}" if walk.complete else f"more than {len(walk.nodes):,}"
    note = (
        f"drawn one box per {view} ({values} values one by one would be {size} px {direction}); "
        "draw(collapse=None) for every value"
    )
    return note


def _framed(svg: str, description: str, caption: str) -> str:
    """HTML for a notebook or a docs page: the picture scaled to the column, the caption under
    it, and a click on the picture shows it at full size in a box that scrolls sideways.

    The SVG is an ``<img>`` with a ``data:`` URL, so no text of it is read as HTML and no script
    in it runs; the description and caption are escaped. The zoom is a ``<details>`` element
    (no JavaScript): its ``<summary>`` holds the picture, and one ``<style>`` rule lifts the
    ``max-width`` while it is open.

    Example:
        >>> from autograd_core.viz import _framed
        >>> html = _framed('<svg width="900pt" height="10pt"/>', "graph of <b>", "<i>")
        >>> "max-width:100%" in html, "&lt;b&gt;" in html, "<b>" in html or "<i>" in html
        (True, True, False)
    """
    size = _svg_size(svg)
    width, height = size if size is not None else (0.0, 0.0)
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    alt = html.escape(description, quote=True)
    lines = [html.escape(line) for line in caption.splitlines() if line]
    if width > _COLUMN:
        lines.append("click the picture to see it at full size (and again to fit it)")
    dimensions = f' width="{width:.0f}" height="{height:.0f}"' if width and height else ""
    caption_html = (
        '<div style="font-size:0.85em;color:#4b5563;margin:0.2em 0 0 0;line-height:1.4">'
        + "<br>".join(lines)
        + "</div>"
        if lines
        else ""
    )
    return (
        '<div class="agc-graph" style="max-width:100%;overflow-x:auto">'
        f"<style>{_FRAME_STYLE}</style>"
        '<details style="margin:0;padding:0;border:0;box-shadow:none;background:none">'
        '<summary style="display:block;list-style:none;padding:0;margin:0;min-height:0;'
        'background:none;font-weight:normal" title="click: full size / fit the column">'
        f'<img src="data:image/svg+xml;base64,{data}" alt="{alt}"{dimensions} '
        'style="max-width:100%;height:auto;display:block"></summary></details>'
        f"{caption_html}</div>"
    )


# One rule per display, scoped to the class: while the <details> is open the picture has its
# own size (the box scrolls sideways); the disclosure triangle and the docs theme's admonition
# icons are hidden.
_FRAME_STYLE = (
    ".agc-graph summary{cursor:zoom-in}"
    ".agc-graph details[open]>summary{cursor:zoom-out}"
    ".agc-graph details[open]>summary>img{max-width:none!important}"
    ".agc-graph summary::-webkit-details-marker,.agc-graph summary::marker"
    "{display:none;content:''}"
    ".agc-graph summary::before,.agc-graph summary::after{display:none!important}"
)


def _estimate_size(drawing: GraphDrawing) -> tuple[float, float]:
    """(width, height) in CSS px that Graphviz's layered layout will give, without running it.

    Read from the DOT lines this module writes: each box is sized from its label (lines of
    text, characters per line), ranked by the longest path of edges into it (a leaf sits next
    to its first user, as the layout puts it), and a rank is as long across as its boxes
    stacked with ``nodesep`` between them, plus a small box for each edge passing through and
    each edge label between two ranks. The picture is as wide as the ranks in a row with
    ``ranksep`` between them and as tall as the tallest rank (for ``LR``), and the legend sits
    under it. Within a factor of 1.8 (mostly 1.3) of the rendered picture on the tests' graphs.
    """
    attrs = drawing.graph_attr
    across_ranks = attrs.get("rankdir", "TB") in ("LR", "RL")
    nodesep = float(attrs.get("nodesep", 0.25)) * 72
    ranksep = float(attrs.get("ranksep", 0.5)) * 72
    sizes: dict[str, tuple[float, float]] = {}
    edges: list[tuple[str, str, float]] = []  # tail, head, label length (0: none)
    legend = (0.0, 0.0)
    for line in drawing.body:
        edge = _EDGE_LINE.fullmatch(line)
        if edge is not None:
            label = re.search(r"(?:^| )label=<(.*?)>(?: |$)", edge[3] or "")
            edges.append((edge[1], edge[2], len(_label_text(label[1])) if label else 0.0))
            continue
        node = _NODE_LINE.fullmatch(line)
        if node is None:
            continue
        size = _label_size(node[2], "ellipse" in node[3])
        if node[1] == "graph":
            legend = size
        else:
            sizes[node[1]] = size
    for tail, head, _ in edges:
        sizes.setdefault(tail, (54.0, 36.0))  # Graphviz's default node
        sizes.setdefault(head, (54.0, 36.0))
    rank = _ranks(list(sizes), edges)
    # a box's extent along the ranks and across them
    along = {n: (w if across_ranks else h) for n, (w, h) in sizes.items()}
    across = {n: (h if across_ranks else w) for n, (w, h) in sizes.items()}
    stacked: dict[float, float] = {}  # rank (a label's: half-way) -> length across it
    for n, r in rank.items():
        stacked[r] = stacked.get(r, -nodesep) + across[n] + nodesep
    label_gaps: dict[int, float] = {}  # rank -> longest edge label after it
    for tail, head, characters in edges:
        first, last = rank[tail], rank[head]
        if characters:
            key = first + 0.5
            label_across = _LINE if across_ranks else characters * _CHAR
            stacked[key] = stacked.get(key, -nodesep) + label_across + nodesep
            label_gaps[first] = max(label_gaps.get(first, 0.0), characters * _CHAR)
        for r in range(first + 1, last):  # an edge passing a rank takes a little room in it
            stacked[r] = stacked.get(r, -nodesep) + 4 + nodesep
    longest: dict[int, float] = {}
    for n, r in rank.items():
        longest[r] = max(longest.get(r, 0.0), along[n])
    length = sum(longest.values()) + ranksep * max(len(longest) - 1, 0)
    length += sum(gap + ranksep for gap in label_gaps.values())
    breadth = max(stacked.values(), default=0.0)
    width, height = (length, breadth) if across_ranks else (breadth, length)
    width = max(width, legend[0])
    height += legend[1] + (8 if legend[1] else 0)
    return (width + 8) * 4 / 3, (height + 8) * 4 / 3


def _ranks(names: list[str], edges: list[tuple[str, str, float]]) -> dict[str, int]:
    """Rank of each node: the longest path into it; a source sits just before its first user."""
    users: dict[str, list[str]] = {n: [] for n in names}
    waiting = dict.fromkeys(names, 0)
    for tail, head, _ in edges:
        users[tail].append(head)
        waiting[head] += 1
    rank = dict.fromkeys(names, 0)
    ready = [n for n in names if waiting[n] == 0]
    sources = list(ready)
    while ready:
        n = ready.pop()
        for u in users[n]:
            rank[u] = max(rank[u], rank[n] + 1)
            waiting[u] -= 1
            if waiting[u] == 0:
                ready.append(u)
    for n in sources:
        if users[n]:
            rank[n] = min(rank[u] for u in users[n]) - 1
    lowest = min(rank.values(), default=0)
    return {n: r - lowest for n, r in rank.items()}


def _label_size(label: str, oval: bool) -> tuple[float, float]:
    """(width, height) in points of a box with this HTML-like label: a line per table row."""
    lines = [_label_text(part) for part in re.split(r"<TR>|<BR/>", label)]
    lines = [line for line in lines if line.strip()] or [""]
    width = max(len(line) for line in lines) * _CHAR + 10
    height = len(lines) * _LINE + 6
    if oval:  # an ellipse around the text; a lone symbol (× + Σ) is drawn at 18 pt
        scale = 1.6 if len(lines[0]) <= 1 else 1.0
        return width * 1.3 * scale + 8, max(height * scale, 22.0)
    return width, height


def _label_text(label: str) -> str:
    """The characters of a label as shown: tags dropped, an entity counted as one."""
    return re.sub(r"&#?\w+;", "x", re.sub(r"<[^>]*>", "", label))


# -- walking the graph -----------------------------------------------------------------------


class _Walk:
    """The part of the graph a drawing looks at: breadth first from the output, bounded.

    ``nodes[i]`` is the value with DOT id ``v{i}`` (``nodes[0]`` is the output), found at
    ``depth[i]`` steps from it. The first ``expanded`` nodes had their parents looked at; the
    rest were found but not followed (leaves need no following). ``uses[i]`` lists the nodes
    that use node ``i`` as an operand, once per use.

    Breadth first, and not the engine's depth-first walk, because it can stop: a depth-first
    walk reaches the boxes nearest the output only after the whole graph.
    """

    def __init__(self, root: Value, budget: int | None) -> None:
        nodes = [root]
        index = {root: 0}
        depth = [0]
        uses: list[list[int]] = [[]]
        walked = 0
        head = 0
        while head < len(nodes):
            parents = nodes[head].parents
            if budget is not None and walked + len(parents) > budget:
                break
            walked += len(parents)
            below = depth[head] + 1
            for parent in parents:
                i = index.get(parent)
                if i is None:
                    i = index[parent] = len(nodes)
                    nodes.append(parent)
                    depth.append(below)
                    uses.append([])
                uses[i].append(head)
            head += 1
        self.nodes = nodes
        self.index = index
        self.depth = depth
        self.uses = uses
        self.walked = walked
        # Nodes found but not followed: the walk is complete if they are all leaves.
        self.expanded = head
        self.complete = all(not n.parents for n in nodes[head:])


# -- boxes: what stands for which values -------------------------------------------------------


@dataclass(eq=False, slots=True)
class _Box:
    """One box of the picture and the values it stands for.

    ``kind`` is "value" (one value, with an oval for its op), "neuron", "layer" or "data" (the
    constants of ``affine`` nodes). ``sources`` lists what flows in: per use, the index of the
    value used (a key of ``_Drawer.owner``) and the edge's local derivative (``None``: no
    label). ``hidden`` marks a box whose inputs the walk did not reach.
    """

    id: str
    kind: str
    order: int  # position of the value it shows in the walk (data boxes: after their users)
    value: Value | None = None
    neurons: list[_Neuron] | None = None
    constants: tuple[float, ...] = ()
    sources: list[tuple[int, Any]] | None = None
    hidden: bool = False
    index: int = -1  # position in _Drawer.boxes


@dataclass(eq=False, slots=True)
class _Neuron:
    """A ``dot``/``affine`` node, the activation applied to it (if any) and its parameters."""

    z: int  # walk index of the Σ w·x + b node
    out: int  # walk index of the neuron's output: the activation, or z itself
    parameters: list[Value]
    inputs: list[int]  # walk indices of the inputs x (empty for affine)
    constants: tuple[float, ...] | None  # an affine node's bound inputs
    activation: str  # the activation's op name, "" for none

    def formula(self) -> str:
        return f"{self.activation}(Σ w·x + b)" if self.activation else "Σ w·x + b"


class _Drawer:
    """Turns a walked graph into DOT; an object so the options are not threaded through calls."""

    def __init__(
        self,
        walk: _Walk,
        rankdir: str,
        show_grad: bool,
        show_partials: bool,
        inline_constants: bool,
        fmt: Callable[[float], str],
        collapse: str | None,
    ) -> None:
        self.walk = walk
        self.rankdir = rankdir
        self.show_grad = show_grad
        self.show_partials = show_partials
        self.inline_constants = inline_constants
        self.fmt = fmt
        self.collapse = collapse
        # value index -> the box that shows it (a neuron box shows its z and its activation)
        self.owner: dict[int, _Box] = {}
        self.boxes: list[_Box] = []
        self.saw_neurons = False

    # -- building boxes --------------------------------------------------------------------

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

    def build(self) -> None:
        walk = self.walk
        nodes, index = walk.nodes, walk.index
        neurons = self.find_neurons()
        inside = {i for n in neurons for i in (n.z, n.out)}  # values shown by a neuron box
        # Per followed node outside the neuron boxes: its operands drawn as boxes, with their
        # local derivatives. A value gets a box of its own if it is the output or such an
        # operand (so a parameter used only by its neuron gets none).
        operands: dict[int, list[tuple[int, Any]]] = {}
        for i in range(walk.expanded):
            if i not in inside:
                node = nodes[i]
                operands[i] = [
                    (index[p], partial)
                    for p, partial in zip(node.parents, node.partials)
                    if not self.inlined(p, node)
                ]
        drawn = {0}
        for found in operands.values():
            drawn.update(i for i, _ in found)
        for neuron in neurons:
            drawn.update(neuron.inputs)
        for i in sorted(drawn - inside):
            node = nodes[i]
            box = _Box(f"v{i}", "value", i, value=node)
            if node.parents:
                box.sources = operands.get(i)
                box.hidden = box.sources is None  # found, but the walk stopped before it
            self.add(box, [i])
        # The constants of affine nodes (a sample's features) become data boxes, one per
        # distinct sample, known to owner by the negative numbers -1, -2, ...
        data_refs: dict[tuple[float, ...], int] = {}
        layers: dict[tuple[Any, ...], _Box] = {}
        for neuron in sorted(neurons, key=lambda n: n.out):
            sources: list[tuple[int, Any]] = [(i, None) for i in neuron.inputs]
            if neuron.constants is not None:
                ref = data_refs.get(neuron.constants)
                if ref is None:
                    ref = data_refs[neuron.constants] = -1 - len(data_refs)
                    box = _Box(f"d{-1 - ref}", "data", neuron.out, constants=neuron.constants)
                    self.add(box, [ref])
                sources = [(ref, None)]
            if self.collapse == "layer":
                key = (tuple(sources), neuron.activation)
                layer = layers.get(key)
                if layer is None:
                    layer = _Box(
                        f"layer{neuron.out}", "layer", neuron.out, neurons=[], sources=sources
                    )
                    layers[key] = layer
                    self.add(layer, [])
                assert layer.neurons is not None
                layer.neurons.append(neuron)
                self.owner[neuron.z] = self.owner[neuron.out] = layer
            else:
                box = _Box(f"n{neuron.out}", "neuron", neuron.out, neurons=[neuron])
                box.sources = sources
                self.add(box, [neuron.z, neuron.out])
        self.boxes.sort(key=lambda b: b.order)
        for i, box in enumerate(self.boxes):
            box.index = i

    def add(self, box: _Box, shows: Sequence[int]) -> None:
        self.boxes.append(box)
        for i in shows:
            self.owner[i] = box

    def find_neurons(self) -> list[_Neuron]:
        """The neurons of the walked graph (none unless ``collapse`` asks for them)."""
        walk = self.walk
        nodes = walk.nodes
        found: list[_Neuron] = []
        for i in range(walk.expanded):
            z = nodes[i]
            if z.op is None or z.op.base not in (ops.DOT, ops.AFFINE):
                continue
            self.saw_neurons = True
            if self.collapse is None:
                continue
            split = _split_neuron(z)
            if split is None:
                continue
            parameters, inputs, constants = split
            out, activation = i, ""
            users = walk.uses[i]
            if len(users) == 1 and users[0] < walk.expanded:
                a = nodes[users[0]]
                if a.op is not None and a.op.base.activation and len(a.parents) == 1:
                    out, activation = users[0], a.op.name
            found.append(
                _Neuron(i, out, parameters, [walk.index[x] for x in inputs], constants, activation)
            )
        return found

    # -- choosing what to draw -------------------------------------------------------------

    def draw(self, max_nodes: int | None, legend: bool) -> GraphDrawing:
        self.build()
        boxes = self.boxes
        owner = self.owner
        # links[b]: source box -> number of edges from it into box b (one per use between value
        # boxes, one per connection otherwise); users: the same, seen from the source.
        links: list[dict[int, int]] = []
        users: list[dict[int, int]] = [{} for _ in boxes]
        for box in boxes:
            counts: dict[int, int] = {}
            per_use = box.kind == "value"
            for i, _ in box.sources or ():
                source = owner[i]
                j = source.index
                counts[j] = counts.get(j, 0) + 1 if per_use and source.kind == "value" else 1
            links.append(counts)
            for j, n in counts.items():
                users[j][box.index] = n
        copied = self.copied_values(users)
        if max_nodes is None:
            kept = list(range(len(boxes)))
        else:
            root = owner[0].index
            depths = [self.walk.depth[box.order] for box in boxes]
            kept = _choose(root, boxes, links, users, copied, max_nodes, self.walk.complete, depths)
        return self.write(kept, users, copied, max_nodes, legend)

    def copied_values(self, users: list[dict[int, int]]) -> dict[int, int]:
        """Value boxes drawn once in full and as a small copy beside each further user.

        A value gets copies when it has more than ``_FANOUT`` uses by boxes at more than two
        depths: one value feeding operations all along a chain (``x + x + … + x``) would
        otherwise pull an edge across every rank in between, and a layered layout spends time
        and room superlinear in those edges. Returns, for each such box, the user that keeps
        the edge from the full box: the deepest one, nearest the inputs.
        """
        depth = self.walk.depth
        boxes = self.boxes
        copied: dict[int, int] = {}
        for box, its_users in zip(boxes, users):
            if box.kind != "value" or sum(its_users.values()) <= _FANOUT:
                continue
            depths = {depth[boxes[u].order] for u in its_users}
            if len(depths) > 2:
                copied[box.index] = max(its_users, key=lambda u: (depth[boxes[u].order], -u))
        return copied

    # -- writing DOT -----------------------------------------------------------------------

    def write(
        self,
        kept: list[int],
        users: list[dict[int, int]],
        copied: dict[int, int],
        max_nodes: int | None,
        legend: bool,
    ) -> GraphDrawing:
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
        if self.collapse is not None:
            # Keep each box's inputs in operand order: the neurons of a layer then stack in
            # their order (n0 above n1), which crossing reduction alone leaves to chance when
            # every neuron connects to every neuron of the next layer.
            g.graph_attr["ordering"] = "in"
            # Neuron boxes have borders of their own, so they can stand closer than values:
            # with the rows of numbers a point tighter, the 2-16-16-1 network's picture goes
            # from 2,730 to 2,290 px tall (dot; graphviz-pure 2,890 to 2,450), within the
            # PICTURE_BUDGET that collapse="auto" chooses views by.
            g.graph_attr["nodesep"] = "0.1"
        shown = set(kept)
        hidden = len(self.boxes) - len(kept)
        roles: set[str] = set()
        # The lines are written straight into the graph's body: the node ids are ours and every
        # label is an HTML-like label whose text went through _html, so graphviz's general
        # quoting (70% of the time on a 100 000-node graph) has nothing left to do. Nodes come
        # first, then edges, so the DOT text reads as a list of boxes and then the wiring.
        lines = g.body
        edges: list[str] = []
        declared: set[str] = set()  # copies of shared values
        ids: dict[str, tuple[str, Value]] = {}  # GraphDrawing.nodes
        for box in (self.boxes[i] for i in kept):
            head = self.declare(box, lines, roles)
            if box.kind == "value" and box.value is not None:
                ids[box.id] = ("value", box.value)
                if head != box.id:
                    ids[head] = ("op", box.value)
            into_more = box.hidden
            for source, partial in self.edges_into(box):
                if source.index not in shown:
                    into_more = True
                    continue
                tail = source.id
                if copied.get(source.index, box.index) != box.index:
                    # a small dashed copy of the source beside this box, declared once
                    tail = f"c{source.id}_{box.id}"
                    if tail not in declared:
                        declared.add(tail)
                        lines.append(f"\t{tail} [label={self.copy_label(source)} shape=plain]\n")
                        roles.add("copy")
                        assert source.value is not None
                        ids[tail] = ("copy", source.value)
                if box.kind == "neuron":
                    # Connections between neurons: many, and all running towards the output,
                    # so lighter and without arrowheads (which also keeps the SVG small).
                    edges.append(f'\t{tail} -> {head} [color="{_CONNECTION}" arrowhead=none]\n')
                else:
                    edges.append(self.edge(tail, head, partial))
            if into_more:
                edges.append(f"\tmore -> {head} [style=dashed]\n")
            if box.kind == "value" and box.value is not None and box.value.parents:
                edges.append(f"\top{box.order} -> {box.id}\n")
            # a copied value's other uses are its copies: no dashed edge from the full box
            if box.index not in copied and any(u not in shown for u in users[box.index]):
                edges.append(f"\t{box.id} -> more [style=dashed]\n")
        if hidden or not self.walk.complete:
            box_text, note = self.more_text(hidden, max_nodes)
            g.notes = (note,)
            g.node(
                "more",
                label=f"<{box_text}>",
                shape="box",
                style="dashed,rounded",
                color=_MUTED,
                fontcolor=_MUTED,
            )
        lines.extend(edges)
        if legend:
            self.add_legend(g, roles)
        g.nodes = ids
        g.description = self.description()
        g.summary = GraphSummary(
            boxes=len(kept) + len(declared),
            edges=len(edges),
            hidden=hidden,
            walked=self.walk.walked,
            complete=self.walk.complete,
        )
        return g

    def edges_into(self, box: _Box) -> list[tuple[_Box, Any]]:
        """(source box, local derivative or None) for each edge into ``box``.

        A value box gets one edge per use of a value box, labelled with its local derivative.
        Between neuron or layer boxes and anything else there is one edge per connection,
        labelled only if it stands for a single use.
        """
        edges: list[tuple[_Box, Any]] = []
        position: dict[int, int] = {}
        for i, partial in box.sources or ():
            source = self.owner[i]
            if box.kind == "value" and source.kind == "value":
                edges.append((source, partial))
            elif source.index in position:
                edges[position[source.index]] = (source, None)
            else:
                position[source.index] = len(edges)
                edges.append((source, partial))
        return edges

    def edge(self, tail: str, head: str, partial: Any) -> str:
        if partial is None or not self.show_partials:
            return f"\t{tail} -> {head}\n"
        text = _html(self.fmt(_plain(partial)))
        # One labelled edge makes Graphviz double every rank to make room for labels; among
        # the hundreds of connections of a collapsed network that room is mostly wasted (a
        # 2-16-16-1 picture grows from 1,700 to 6,500 points tall), so there the number is an
        # external label, placed after the layout.
        kind = "label" if self.collapse is None else "xlabel"
        return f'\t{tail} -> {head} [{kind}=<{text}> fontcolor="{_PARTIAL_COLOUR}"]\n'

    def declare(self, box: _Box, lines: list[str], roles: set[str]) -> str:
        """Write the node(s) of ``box``; return the DOT id its incoming edges point at."""
        if box.kind == "value":
            node = box.value
            assert node is not None
            role = self.role(box.order, node)
            roles.add(role)
            lines.append(f"\t{box.id} [label={self.value_label(node, role)} shape=plain]\n")
            if not node.parents:
                return box.id
            roles.add("op")
            op_text = self.op_text(node)
            # A lone symbol (× + Σ) is small at text size.
            size = 18 if len(op_text) == 1 else 12
            lines.append(
                f"\top{box.order} [label=<{_html(op_text)}> fontsize={size} {_OP_ATTRS}]\n"
            )
            return f"op{box.order}"
        if box.kind == "data":
            roles.add("input")
            lines.append(f"\t{box.id} [label={self.data_label(box.constants)} shape=plain]\n")
            return box.id
        roles.add(box.kind)
        label = self.neuron_label(box) if box.kind == "neuron" else self.layer_label(box)
        lines.append(f"\t{box.id} [label={label} shape=plain]\n")
        return box.id

    def role(self, i: int, node: Value) -> str:
        if i == 0:
            return "output"
        if node.parents:
            return "intermediate"
        return "input" if node.label else "constant"

    def table(
        self, rows: list[str], fill: str, border: str, width: int = 1, rounded: bool = True
    ) -> str:
        cells = "".join(f"<TR><TD>{row}</TD></TR>" for row in rows)
        if self.rankdir in ("TB", "BT"):
            # Top to bottom the boxes sit side by side: one row keeps the picture short.
            cells = "<TR>" + "".join(f"<TD>{row}</TD>" for row in rows) + "</TR>"
        style = ' STYLE="ROUNDED"' if rounded else ""
        return (
            f'<<TABLE BORDER="{width}" CELLBORDER="0" CELLSPACING="0" CELLPADDING="2"{style} '
            f'BGCOLOR="{fill}" COLOR="{border}">{cells}</TABLE>>'
        )

    def value_label(self, node: Value, role: str) -> str:
        fill, border = _ROLE_STYLE[role]
        rows = []
        if node.label:
            rows.append(f"<B>{_html(_shorten(node.label))}</B>")
        rows.append(f"data {_html(self.fmt(node.data))}")
        if self.show_grad:
            rows.append(f'<FONT COLOR="{_MUTED}">grad {_html(self.fmt(node.grad))}</FONT>')
        return self.table(rows, fill, border, 2 if role == "output" else 1)

    def copy_label(self, box: _Box) -> str:
        node = box.value
        assert node is not None
        name = _shorten(node.label) if node.label else f"data {self.fmt(node.data)}"
        fill, border = _ROLE_STYLE[self.role(box.order, node)]
        return (
            f'<<TABLE BORDER="1" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1" '
            f'STYLE="ROUNDED,DASHED" BGCOLOR="{fill}" COLOR="{border}"><TR><TD>'
            f'<FONT POINT-SIZE="9">{_html(name)}</FONT></TD></TR></TABLE>>'
        )

    def data_label(self, constants: tuple[float, ...]) -> str:
        fill, border = _INPUT
        shown = ", ".join(self.fmt(c) for c in constants[:4])
        shown += f", … ({len(constants)} numbers)" if len(constants) > 4 else ""
        return self.table([f"<B>x</B> = ({_html(shown)})"], fill, border)

    def neuron_label(self, box: _Box) -> str:
        """A neuron: its name and formula, then a row per number: the weighted sum z, the
        activation's output, and each parameter (or, beyond a few, their count and range)."""
        assert box.neurons is not None
        (neuron,) = box.neurons
        nodes = self.walk.nodes
        prefix = _common_prefix([p.label for p in neuron.parameters])
        title = f"<B>{_html(_shorten(prefix or 'neuron'))}</B>  {_html(neuron.formula())}"
        rows = [self.number_row("Σ w·x + b", nodes[neuron.z])]
        if neuron.activation:
            rows.append(self.number_row(neuron.activation, nodes[neuron.out]))
        cut = len(prefix) + 1 if prefix else 0
        parameters = neuron.parameters
        if len(parameters) <= _FEW_PARAMETERS:
            for j, p in enumerate(parameters):
                rows.append(self.number_row(p.label[cut:] if p.label else f"#{j}", p))
        else:
            columns = 3 if self.show_grad else 2
            rows.append(f'<TR><TD COLSPAN="{columns}">{self.summary_rows(parameters)}</TD></TR>')
        numbers = (
            '<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">'
            + "".join(rows)
            + "</TABLE>"
        )
        fill, border = _NEURON
        # Square corners tell neurons from values at a glance, and keep the SVG small: a
        # rounded box is two long paths, which for the 35 neurons of the demo is 40 KB.
        width = 2 if neuron.out == 0 else 1
        return self.table([title, numbers], fill, border, width, rounded=False)

    def number_row(self, name: str, value: Value) -> str:
        """A table row: name, data and (if shown) grad of ``value``."""
        grad = ""
        if self.show_grad:
            grad = (
                f'<TD ALIGN="RIGHT"><FONT COLOR="{_MUTED}"> grad {_html(self.fmt(value.grad))}'
                "</FONT></TD>"
            )
        return (
            f'<TR><TD ALIGN="LEFT">{_html(_shorten(name))}</TD>'
            f'<TD ALIGN="RIGHT"> {_html(self.fmt(value.data))}</TD>{grad}</TR>'
        )

    def summary_rows(self, parameters: list[Value]) -> str:
        values = [p.data for p in parameters]
        text = (
            f"{len(parameters)} parameters in [{_html(self.fmt(min(values)))}, "
            f"{_html(self.fmt(max(values)))}]"
        )
        if self.show_grad:
            largest = max(abs(p.grad) for p in parameters)
            text += f'<BR/><FONT COLOR="{_MUTED}">|grad| ≤ {_html(self.fmt(largest))}</FONT>'
        return text

    def layer_label(self, box: _Box) -> str:
        assert box.neurons is not None
        neurons = box.neurons
        titles = [_common_prefix([p.label for p in n.parameters]) for n in neurons]
        title = _common_prefix(titles) or "layer"
        outputs = [self.walk.nodes[n.out].data for n in neurons]
        parameters = [p for n in neurons for p in n.parameters]
        rows = [
            f"<B>{_html(_shorten(title))}</B>  {len(neurons)} neuron"
            f"{'s' if len(neurons) > 1 else ''}: {_html(neurons[0].formula())}",
            _html(
                f"output {self.fmt(outputs[0])}"
                if len(outputs) == 1
                else f"outputs in [{self.fmt(min(outputs))}, {self.fmt(max(outputs))}]"
            ),
            self.summary_rows(parameters),
        ]
        fill, border = _NEURON
        width = 2 if any(n.out == 0 for n in neurons) else 1
        return self.table(rows, fill, border, width, rounded=False)

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

    def more_text(self, hidden: int, max_nodes: int | None) -> tuple[str, str]:
        """The text of the ``+N more`` box, and the line under the picture that explains it.

        The box only marks where the picture was cut; what to do about it is text beside the
        picture (:attr:`GraphDrawing.caption`), where it can be read without scrolling.
        """
        what = "values" if self.collapse is None else "boxes"
        box = f"+{hidden} more {what} not drawn"
        what_one = what if hidden != 1 else what[:-1]
        note = f"{hidden:,} {what_one} not drawn (the dashed +{hidden} box)"
        if not self.walk.complete:
            box += ", and more beyond"
            note = (
                f"{hidden:,} {what_one} not drawn, and more beyond: the walk stopped after "
                f"{self.walk.walked:,} edges, so the inputs are not shown"
            )
        note += f"; draw(max_nodes=None) for all (now {max_nodes})"
        if self.saw_neurons and self.collapse is None:
            note += ', or draw(collapse="neuron")'
        return box, note

    def description(self) -> str:
        """What the picture is, in words: ``graph of loss: 405 values, 201 operations``."""
        walk = self.walk
        root = walk.nodes[0]
        name = _shorten(root.label) if root.label else "the output"
        values = len(walk.nodes)
        operations = sum(1 for node in walk.nodes[: walk.expanded] if node.parents)
        counted = "" if walk.complete else "at least "
        text = (
            f"graph of {name}: {counted}{values:,} value{'s' * (values != 1)}, "
            f"{counted}{operations:,} operation{'s' * (operations != 1)}"
        )
        if self.collapse is not None:
            text += f", one box per {self.collapse}"
        return text

    def add_legend(self, g: GraphDrawing, roles: set[str]) -> None:
        """The legend, as the graph's label: Graphviz puts it in the bottom-left corner."""
        rows = []
        for role in ("input", "constant", "intermediate", "output", "neuron", "layer"):
            if role not in roles:
                continue
            fill, border = _ROLE_STYLE[role]
            rows.append(
                f'<TR><TD BGCOLOR="{fill}" COLOR="{border}" BORDER="1" STYLE="ROUNDED">  </TD>'
                f'<TD ALIGN="LEFT">{_ROLE_TEXT[role]}</TD></TR>'
            )
        if "copy" in roles:
            rows.append(
                '<TR><TD BORDER="1" STYLE="ROUNDED,DASHED" COLOR="#6b7280">x</TD>'
                '<TD ALIGN="LEFT">another use of a value drawn in full once</TD></TR>'
            )
        if "op" in roles:
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
            '<TABLE BORDER="1" COLOR="#9ca3af" STYLE="ROUNDED" CELLBORDER="0" CELLSPACING="3" '
            f'CELLPADDING="1"><TR><TD COLSPAN="2" ALIGN="LEFT"><FONT COLOR="{_MUTED}">legend'
            "</FONT></TD></TR>" + "".join(rows) + "</TABLE>"
        )
        g.attr("graph", label=f"<{table}>", labelloc="b", labeljust="l", fontsize="10")


# -- box orders ------------------------------------------------------------------------------


def _breadth_first(root: int, sources: list[list[int]]) -> Iterator[int]:
    """Boxes nearest the output first, operands in order: the output side."""
    order = [root]
    seen = {root}
    for box in order:  # grows while it is read
        yield box
        for s in sources[box]:
            if s not in seen:
                seen.add(s)
                order.append(s)


def _postorder(root: int, sources: list[list[int]]) -> Iterator[int]:
    """Each box after the boxes it reads, depth first in operand order: the input side first.

    Iterative, like the engine's walk: the first boxes are the inputs of the first operand's
    first operand, and so on, so a prefix of this order is where the computation starts. A
    generator, so that taking a prefix costs no more than reaching it.
    """
    seen = {root}
    stack = [(root, iter(sources[root]))]
    while stack:
        box, pending = stack[-1]
        for s in pending:
            if s not in seen:
                seen.add(s)
                stack.append((s, iter(sources[s])))
                break
        else:
            stack.pop()
            yield box


class _Selection:
    """The boxes chosen so far and exactly what drawing them costs.

    Drawn are the kept boxes, a copy beside each user of a copied value, the edges between kept
    boxes (or their copies), each op's edge to its value, and one dashed edge into the
    ``+N more`` box from a kept box with users left out and one out of it to a kept box with
    sources left out. Adding a box can remove dashed edges of its neighbours, so the counts
    are kept up to date box by box rather than estimated.
    """

    def __init__(
        self,
        boxes: list[_Box],
        links: list[dict[int, int]],
        users: list[dict[int, int]],
        copied: dict[int, int],
    ) -> None:
        self.boxes = boxes
        self.links = links
        self.users = users
        self.copied = copied
        self.kept: set[int] = set()
        self.missing_in: dict[int, int] = {}  # kept box -> its sources not kept (+1 if hidden)
        self.missing_out: dict[int, int] = {}  # kept box -> its users not kept (0 if copied)
        self.box_count = 0
        self.edge_count = 0

    def cost(self, b: int) -> tuple[int, int]:
        """(boxes, edges) that adding box ``b`` adds to the drawing."""
        box = self.boxes[b]
        kept, copied = self.kept, self.copied
        boxes = 1
        edges = 1 if box.kind == "value" and box.value is not None and box.value.parents else 0
        missing_in = 1 if box.hidden else 0
        freed = 0  # dashed edges of neighbours that go away
        for s, n in self.links[b].items():
            if s in kept:
                edges += n
                boxes += copied.get(s, b) != b
                freed += self.missing_out[s] == 1
            else:
                missing_in += 1
        missing_out = 0
        for u, n in self.users[b].items():
            if u in kept:
                edges += n
                boxes += copied.get(b, u) != u
                freed += self.missing_in[u] == 1
            elif b not in copied:  # (a copied value has no dashed edge out)
                missing_out += 1
        return boxes, edges + (missing_in > 0) + (missing_out > 0) - freed

    def add(self, b: int) -> None:
        boxes, edges = self.cost(b)
        self.box_count += boxes
        self.edge_count += edges
        kept = self.kept
        hidden = 1 if self.boxes[b].hidden else 0
        self.missing_in[b] = hidden + sum(s not in kept for s in self.links[b])
        self.missing_out[b] = 0 if b in self.copied else sum(u not in kept for u in self.users[b])
        for s in self.links[b]:
            if s in kept and s not in self.copied:
                self.missing_out[s] -= 1
        for u in self.users[b]:
            if u in kept:
                self.missing_in[u] -= 1
        kept.add(b)

    def fill(
        self, order: Iterable[int], max_boxes: float, max_edges: float, depths: list[int]
    ) -> None:
        """Add boxes in ``order`` until the next one would pass either limit.

        A box at a depth that already has ``_RANK_BOXES`` boxes is passed over: the boxes
        nearest the output of a network are the hundreds of weights of its last hidden layer,
        all at one depth, and a layered layout stacks them in one column, twelve screens tall
        with nothing beside it.
        """
        at_depth: dict[int, int] = {}
        for b in self.kept:
            at_depth[depths[b]] = at_depth.get(depths[b], 0) + 1
        for b in order:
            if b in self.kept or at_depth.get(depths[b], 0) >= _RANK_BOXES:
                continue
            boxes, edges = self.cost(b)
            if self.box_count + boxes > max_boxes or self.edge_count + edges > max_edges:
                return
            self.add(b)
            at_depth[depths[b]] = at_depth.get(depths[b], 0) + 1


def _choose(
    root: int,
    boxes: list[_Box],
    links: list[dict[int, int]],
    users: list[dict[int, int]],
    copied: dict[int, int],
    max_nodes: int,
    complete: bool,
    depths: list[int],
) -> list[int]:
    """The boxes to draw: all, if they fit; else the output side and the input side.

    The output is always drawn. When the walk saw the whole graph, the input side (the first
    boxes of a depth-first order: the inputs and what is computed from them first) gets up to
    a third of the budget; the boxes nearest the output, breadth first, get the rest. Either
    takes at most ``_RANK_BOXES`` boxes at one depth from the output (``depths[b]``).
    """
    max_edges = max_nodes * _EDGES_PER_BOX
    if complete:
        copies = sum(len(users[b]) - 1 for b in copied)
        edges = sum(n for found in links for n in found.values())
        edges += sum(1 for b in boxes if b.kind == "value" and b.value and b.value.parents)
        if len(boxes) + copies <= max_nodes and edges <= max_edges:
            return list(range(len(boxes)))
    selection = _Selection(boxes, links, users, copied)
    sources = [list(found) for found in links]
    selection.add(root)
    if complete:
        selection.fill(_postorder(root, sources), max_nodes / 3, max_edges / 3, depths)
    selection.fill(_breadth_first(root, sources), max_nodes, max_edges, depths)
    return sorted(selection.kept)


def _split_neuron(z: Value) -> tuple[list[Value], list[Value], tuple[float, ...] | None] | None:
    """A neuron's parameters, its inputs and its bound constants, or None if ``z`` is no neuron.

    ``ag.dot(w, x, b)`` has parents ``(*w, *x, b)``: the weights are the half that is all
    leaves (the first if both are, as ``nn`` writes it). An ``affine`` node's parents are all
    parameters (weights, then the bias if it is a Value); its inputs are bound to the op.
    """
    op = z.op
    assert op is not None
    parents = list(z.parents)
    if op.base is ops.AFFINE:
        if not all(not p.parents for p in parents):
            return None
        constants: tuple[float, ...] = tuple(op.params[0])
        return parents, [], constants
    n = len(parents) // 2
    first, second = parents[:n], parents[n : 2 * n]
    bias = parents[2 * n :]
    if all(not p.parents for p in first):
        weights, inputs = first, second
    elif all(not p.parents for p in second):
        weights, inputs = second, first
    else:
        return None
    own = [*weights, *(b for b in bias if not b.parents)]
    inputs = [*inputs, *(b for b in bias if b.parents)]
    return own, inputs, None


def _common_prefix(labels: Sequence[str]) -> str:
    """The dotted prefix every label shares before its last part: ``L0.n3`` for ``L0.n3.w0``."""
    if not labels or not all(labels):
        return ""
    parts = [label.split(".")[:-1] for label in labels]
    common: list[str] = []
    for group in zip(*parts):
        if any(g != group[0] for g in group):
            break
        common.append(group[0])
    return ".".join(common)


# -- styles ----------------------------------------------------------------------------------

# Role -> (fill, border). Soft fills keep black text readable; the output gets a thicker border.
_INPUT = ("#dbeafe", "#2563eb")
_CONSTANT = ("#f3f4f6", "#9ca3af")
_INTERMEDIATE = ("#ffffff", "#6b7280")
_OUTPUT = ("#dcfce7", "#15803d")
_NEURON = ("#ede9fe", "#7c3aed")
_OP = ("#fef3c7", "#b45309")
_OP_ATTRS = (
    f'color="{_OP[1]}" fillcolor="{_OP[0]}" height=0.3 margin="0.05,0.02" '
    "shape=ellipse style=filled"
)
_PARTIAL_COLOUR = "#b91c1c"
_CONNECTION = "#9ca3af"
_MUTED = "#4b5563"
_FONT = "Helvetica"
_MAX_LABEL = 32

_ROLE_TEXT = {
    "input": "input / parameter (labelled leaf)",
    "constant": "constant (unlabelled leaf)",
    "intermediate": "intermediate value",
    "output": "output",
    "neuron": "neuron: activation(Σ w·x + b), its parameters inside",
    "layer": "layer: neurons reading the same inputs",
}
_ROLE_STYLE = {
    "input": _INPUT,
    "constant": _CONSTANT,
    "intermediate": _INTERMEDIATE,
    "output": _OUTPUT,
    "neuron": _NEURON,
    "layer": _NEURON,
}


# -- text ------------------------------------------------------------------------------------


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


# Characters that XML 1.0 forbids or that break a renderer: C0 and C1 controls, DEL, lone
# surrogates (which cannot even be encoded as UTF-8) and the non-characters U+FDD0-U+FDEF and
# U+xFFFE/U+xFFFF of every plane; and the bidirectional controls (U+061C, U+200E/F,
# U+202A-E, U+2066-9), which would reorder the text around a label: "a\u202e" made the
# step-through panel show a chain-rule line reversed. They are written as Python escapes, so
# a label shows what it holds. One str.translate does this and the HTML escaping: four times
# faster than a regex and html.escape, which matters for a 100,000-value picture.
_BIDI_CONTROLS = [0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
_UNSAFE_CODES = [
    *range(0x20),
    *range(0x7F, 0xA0),
    *_BIDI_CONTROLS,
    *range(0xD800, 0xE000),
    *range(0xFDD0, 0xFDF0),
    *(plane * 0x10000 + last for plane in range(17) for last in (0xFFFE, 0xFFFF)),
]
_NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape_code(code: int) -> str:
    if chr(code) in _NAMED_ESCAPES:
        return _NAMED_ESCAPES[chr(code)]
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


_PRINTABLE = {code: _escape_code(code) for code in _UNSAFE_CODES}
_HTML_SAFE = {
    **_PRINTABLE,
    **{ord(c): f"&{name};" for c, name in (("&", "amp"), ("<", "lt"), (">", "gt"), ('"', "quot"))},
    ord("'"): "&#x27;",
    ord("]"): "&#93;",  # graphviz 2.43 cannot parse a label that is only "]" (or "]]")
}


def _html(text: str) -> str:
    r"""``text`` for an HTML-like label: unsafe characters as escapes, ``&<>"']`` as entities.

    Example:
        >>> from autograd_core.viz import _html
        >>> print(_html("a<b\x00\ufffe"))
        a&lt;b\x00\ufffe
    """
    return text.translate(_HTML_SAFE)


def _printable(text: str) -> str:
    r"""``text`` with every character a picture or a page must not show raw (controls, bidi
    controls, lone surrogates, non-characters) written as a Python escape; the one escaping
    of labels, symbols and numbers in the pictures and the step-through page.

    Example:
        >>> from autograd_core.viz import _printable
        >>> print(_printable("a\u202eb\x00"))
        a\u202eb\x00
    """
    return text.translate(_PRINTABLE)


def _shorten(text: str) -> str:
    text = text.translate(_PRINTABLE)
    return text if len(text) <= _MAX_LABEL else text[: _MAX_LABEL - 1] + "…"


# The step-through page of backpropagation lives in its own module; ag.viz offers it here.
from autograd_core.stepthrough import explain as explain, to_html as to_html  # noqa: E402, I001

# The picture of a network (neurons and weighted connections) lives in its own module too.
from autograd_core.network import NetworkDrawing as NetworkDrawing  # noqa: E402
from autograd_core.network import draw_network as draw_network  # noqa: E402
