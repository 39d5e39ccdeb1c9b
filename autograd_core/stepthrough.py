"""Watch backpropagation happen: a page that steps through the forward and backward pass.

A finished graph picture shows every gradient at once; what a learner needs to see is the
*order* in which they are made and the *arithmetic* of each one. :func:`to_html` writes one
self-contained HTML page (no network, no CDN: it works from a ``file://`` URL, inside the docs
and as a notebook output) with the graph picture of :mod:`autograd_core.viz` and four buttons:
Next, Previous, Play and Reset (the arrow keys, space and Home do the same).

* **Forward.** The values appear one by one in topological order, each with the formula and
  the numbers that produced it: ``n = (x1*w1 + x2*w2) + b = (−6) + 6.881 = 0.8814``.
* **Backward.** The output's gradient is seeded with 1, then the nodes are handled in reverse
  topological order. The current node and the edges its gradient travels along light up, and a
  panel shows the chain rule with real numbers:

      x1.grad += ∂(x1*w1)/∂x1 · (x1*w1).grad = (−3) · 0.5 = −1.5

  A value used twice receives two such lines, and the panel adds them up in front of you.

Every number on the page is computed here, in Python, when the page is made: the backward pass
is replayed with the partial derivatives the engine stored in each node, in exactly the order,
with exactly the float operations and by exactly the rules of ``Value.backward`` (a node whose
gradient is 0 hands nothing down unless a local derivative is infinite or NaN, since 0·inf is
NaN; relu and a zero exponent *select*: a zero local derivative passes nothing), so the page
shows the engine's numbers to the last bit (a test checks it against ``backward()``). The
page's script only shows and hides them; it computes nothing. Replaying rather than calling
``backward()`` leaves the graph's own ``grad`` fields as they were. Hooks registered with
``register_hook`` are not run: the page shows the chain rule itself.

The picture is :func:`autograd_core.viz.draw_graph`'s, with nothing left out (the page is
refused past ``max_nodes`` values instead); the page finds which box, oval, copy and edge shows
which value through the drawing's own map (``GraphDrawing.nodes``), so a value drawn in full
once and as small dashed copies beside its other uses lights up in all of them.

Names: a labelled value is called by its label. Other values drawn as boxes get a short name
(``t1``, ``t2``, ... for results, ``c1``, ... for constants, ``out`` for an unlabelled output),
written beside the box in the picture, so every name in the panel can be found in the graph.
"""

from __future__ import annotations

import html
import json
import math
import os
import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autograd_core import _checks
from autograd_core.engine import Value, topological_order
from autograd_core.engine.reference import chain_rule_step
from autograd_core.ops import AFFINE, DOT, NEG, SUM
from autograd_core.ops import data as _plain

if TYPE_CHECKING:
    from autograd_core.viz import GraphDrawing

__all__ = ["to_html", "explain", "StepThrough", "GraphTooLargeError", "MAX_NODES", "PAGE_LIMIT"]

MAX_NODES = 300
"""Largest graph (counting every value, constants included) that :func:`to_html` steps
through by default. Past a few hundred values a page of steps is neither quick to render nor
possible to follow; draw such graphs collapsed or step through a part of them."""

PAGE_LIMIT = 10_000
"""Largest graph :func:`to_html` steps through at all, whatever ``max_nodes`` says (``None``
included). Measured on the project's 2-core machine: Graphviz does not lay out even 2,000
values of a chain within the default 10 s, and a 100,000-value fan took 18 s and 650 MB before
the renderer started (2.5 GB with it). Past this the page is refused after a walk that stops
counting at :data:`_COUNT_LIMIT` values, in well under a second."""

TEXT_PX = 9.5
"""The size, in CSS pixels, of the picture's smallest text (Graphviz's 10 pt edge labels and
legend; the boxes' rows are 11 pt) at the page's default zoom. The page zooms out to show the
whole graph only while its text stays this large; past that it shows a readable part and
follows the steps (pan and zoom to see the rest)."""

# The walk that counts a graph's values stops here: a graph of millions is refused as "more
# than a million values" after about 0.5 s instead of after a walk of all of it.
_COUNT_LIMIT = 1_000_000

NumberFormat = str | Callable[[float], str]
Step = dict[str, Any]


def to_html(
    root: Value,
    *,
    gradient: float = 1.0,
    rankdir: str = "LR",
    number_format: NumberFormat = ".4g",
    max_nodes: int | None = MAX_NODES,
    title: str | None = None,
    program: str | None = None,
    timeout: float | None = 10.0,
) -> str:
    """A self-contained HTML page that steps through the forward and backward pass of ``root``.

    The page embeds the graph picture (SVG, rendered by Graphviz as in
    :func:`autograd_core.viz.to_svg`, with its legend), the recorded numbers (JSON) and a small
    script; it loads nothing from the network. The gradients shown are those of one
    ``root.backward(gradient)`` from zero: the backward pass is replayed here with the partial
    derivatives stored in the nodes and the engine's rules, so the graph's own ``grad`` fields
    are not changed.

    Args:
        root: The value to differentiate (usually the loss or the output).
        gradient: The seed ``d(loss)/d(root)``, as in ``root.backward(gradient)``.
        rankdir: ``"LR"`` (inputs on the left) or ``"TB"`` (inputs on top), or ``"RL"`` /
            ``"BT"``.
        number_format: A format spec (``".4g"``) or a function from float to text, for every
            number on the page.
        max_nodes: The largest graph accepted, counting every value; ``None`` for no limit
            other than :data:`PAGE_LIMIT` (10,000 values), which no page goes past.
        title: The page's heading; by default it names ``root``.
        program: The Graphviz program, as in :func:`autograd_core.viz.to_svg`.
        timeout: Seconds Graphviz may spend laying out the picture (``None``: no limit), as
            in :func:`autograd_core.viz.to_svg`.

    Returns:
        The HTML document.

    Raises:
        GraphTooLargeError: The graph has more than ``max_nodes`` values, or more than
            :data:`PAGE_LIMIT`; a ``ValueError`` whose one line says what to draw instead.
        ValueError: An option is out of range.
        autograd_core.viz.RendererNotFoundError: No Graphviz program was found.
        autograd_core.viz.RenderTimeoutError: Graphviz ran over ``timeout`` and was stopped.

    Example:
        >>> import autograd_core as ag
        >>> x = ag.Value(2.0, label="x")
        >>> w = ag.Value(-3.0, label="w")
        >>> page = ag.viz.to_html((x * w).tanh())
        >>> page.startswith("<!DOCTYPE html>"), '["target","x.grad"]' in page
        (True, True)
        >>> "<script src" in page or "<link" in page  # nothing is loaded from elsewhere
        False
    """
    from autograd_core import viz  # viz re-exports this module: import it on use

    if not isinstance(root, Value):
        raise TypeError(f"to_html: expected a Value, got {type(root).__name__}")
    seed = _checks.real(gradient, "gradient", "to_html")
    if rankdir not in ("LR", "TB", "RL", "BT"):
        raise ValueError(f"to_html: rankdir must be 'LR', 'TB', 'RL' or 'BT', got {rankdir!r}")
    if max_nodes is not None:
        max_nodes = _checks.integer(max_nodes, "max_nodes", "to_html", minimum=1)
    if title is not None and not isinstance(title, str):
        raise TypeError(f"to_html: title must be a str, got {type(title).__name__}")
    if timeout is not None:
        timeout = _checks.real(timeout, "timeout", "to_html", minimum=0.0, exclusive_minimum=True)
    fmt = _formatter(number_format)

    # Count first, with a walk that stops: a graph of millions is refused in a second instead
    # of after drawing it (a 100,000-value fan took 18 s and 650 MB to reach the renderer).
    limit = PAGE_LIMIT if max_nodes is None else min(max_nodes, PAGE_LIMIT)
    count, network = _count_values(root, _COUNT_LIMIT)
    if count > limit:
        raise GraphTooLargeError(_too_large(count, network, max_nodes))
    order = topological_order(root)

    options: dict[str, Any] = {
        "rankdir": rankdir,
        "number_format": number_format,
        "max_nodes": None,  # the whole graph: the page steps through every value
    }
    # Constants written inside their op's oval (the 2 of "2 ×") get no box and no name.
    picture = _Picture(viz.draw_graph(root, **options))
    names = _names(order, picture.box, fmt)
    record = _Recorder(order, picture, names, fmt, seed)
    steps = record.steps()
    payload: dict[str, Any] = {
        "boxes": list(picture.box.values()),
        "parts": list(picture.shows),
        "steps": steps,
    }

    # Graphviz sizes each box to its text. The page rewrites the grad row as gradients arrive,
    # so the box is drawn holding the longest text that row will show; the grads are put back
    # right after (draw_graph only reads them).
    saved = [node.grad for node in order]
    try:
        for node, widest in record.widest.items():
            node.grad = widest
        drawing = viz.draw_graph(root, **options)
    finally:
        for node, grad in zip(order, saved):
            node.grad = grad
    if drawing.nodes != picture.nodes:  # the same graph drawn twice: the same ids
        raise RuntimeError("to_html: the picture changed between two drawings of one graph")
    for node, box in picture.box.items():
        if not node.label:  # say in the picture what the panel calls this box and its copies
            for dot_id in (box, *picture.copies.get(node, ())):
                drawing.body.append(f"\t{dot_id} [xlabel=<<I>{html.escape(names[node])}</I>>]\n")
    try:
        svg = viz.render_source(drawing.source, "svg", program=program, timeout=timeout)
    except viz.RenderError as exc:  # advice in to_html's own keywords (it has no collapse=)
        timed_out = isinstance(exc, viz.RenderTimeoutError)
        raise type(exc)(_render_failed(exc, len(order), timeout, timed_out)) from None

    heading = title if title is not None else f"Backpropagation through {names[root]}"
    summary = (
        f"{names[root]} = {_minus(fmt(root.data))} · {len(order)} values · "
        f"{record.forward_steps} forward and {record.backward_steps} backward steps · "
        f"the gradients of one {names[root]}.backward() from zero"
    )
    inline = _inline_svg(svg.decode("utf-8"))
    payload["view"] = {"readable": _readable_scale(inline)}
    # what the page is, in words: for a notebook that shows no HTML until its cell is run
    description = f"step-through of {names[root]}: {len(order)} values, {len(steps) - 1} steps"
    return _page(heading, summary, description, inline, payload)


def _readable_scale(svg: str) -> float:
    """The zoom at which the picture's smallest text is :data:`TEXT_PX` pixels tall.

    Graphviz writes ``width="916pt"`` and ``viewBox="0 0 916 923"``: one unit of the picture is
    ``916 pt / 916`` = 4/3 px at zoom 1, and a ``font-size="10.00"`` text is 13.3 px tall there.
    """
    root = re.search(r"<svg\b[^>]*>", svg)
    sizes = [float(x) for x in re.findall(r'<text\b[^>]*\bfont-size="([\d.]+)"', svg)]
    if root is None or not sizes or min(sizes) <= 0:
        return 1.0
    width = re.search(r'\bwidth="([\d.]+)(pt|px)?"', root.group(0))
    box = re.search(r'\bviewBox="[-\d.]+ [-\d.]+ ([\d.]+) [\d.]+"', root.group(0))
    if width is None or box is None or float(box.group(1)) <= 0:
        return 1.0
    px_per_pt = 4 / 3 if width.group(2) in (None, "pt") else 1.0
    px_per_unit = float(width.group(1)) * px_per_pt / float(box.group(1))
    return round(TEXT_PX / (min(sizes) * px_per_unit), 4)


def _count_values(root: Value, stop: int) -> tuple[int, bool]:
    """How many values ``root``'s graph holds (``stop + 1`` for more than ``stop``), and
    whether it holds a neuron (a ``dot`` or ``affine`` node): a walk that ends at ``stop``."""
    seen = {root}
    stack = [root]
    network = False
    while stack:
        node = stack.pop()
        op = node.op
        if op is not None and op.base in (DOT, AFFINE):
            network = True
        for parent in node.parents:
            if parent not in seen:
                if len(seen) >= stop:
                    return stop + 1, network
                seen.add(parent)
                stack.append(parent)
    return len(seen), network


def _render_failed(exc: Exception, values: int, timeout: float | None, timed_out: bool) -> str:
    """The renderer's failure, with advice in :func:`to_html`'s own keywords (the renderer's
    own advice names ``collapse=``, which a step-through page does not have)."""
    if timed_out:
        return (
            f"to_html: Graphviz did not lay out the picture of {values} values within "
            f"{timeout or 0:g} s and was stopped; allow more time with timeout= (e.g. "
            "timeout=120; None waits for ever), or step through a smaller piece of the graph"
        )
    reason = str(exc).split(" (probably out of memory")[0]
    return f"to_html: {reason}; step through a smaller piece of the graph"


def _too_large(count: int, network: bool, max_nodes: int | None) -> str:
    """Why the page is refused, and what to draw instead, in one line."""
    if network:
        instead = 'see the whole network with ag.viz.draw_graph(y, collapse="neuron")'
    else:
        instead = (
            "see the whole graph with ag.viz.draw_graph(y) (or, for a network, "
            'draw_graph(y, collapse="neuron"))'
        )
    shown = f"more than {_COUNT_LIMIT:,}" if count > _COUNT_LIMIT else str(count)
    if count <= PAGE_LIMIT and max_nodes is not None:
        return (
            f"to_html: the graph has {shown} values, more than max_nodes={max_nodes}: {instead}, "
            "step through a smaller piece (one neuron), or pass max_nodes=None to build the "
            "page anyway"
        )
    return (
        f"to_html: the graph has {shown} values, more than the {PAGE_LIMIT:,} a step-through "
        f"page can hold (Graphviz takes minutes to lay them out): {instead}, or step through "
        "a smaller piece (one neuron)"
    )


class GraphTooLargeError(ValueError):
    """The graph has more values than a step-through page steps through; the message says, in
    one line, what to look at instead.

    In IPython and Jupyter the error shows as that one line, without a traceback through the
    library (``_render_traceback_``, IPython's hook for exceptions that render themselves).

    Example:
        >>> import autograd_core as ag
        >>> x = ag.Value(1.0, label="x")
        >>> try:
        ...     ag.viz.explain(x * x * x, max_nodes=2)
        ... except ag.stepthrough.GraphTooLargeError as error:
        ...     print(error._render_traceback_()[0][:54])
        GraphTooLargeError: explain: the graph has 3 values, m
    """

    def _render_traceback_(self) -> list[str]:
        return [f"{type(self).__name__}: {self}"]


def explain(root: Value, **options: Any) -> StepThrough:
    """The step-through page of ``root`` as a notebook output (see :func:`to_html`).

    Jupyter shows the returned object inline: the page runs in an ``<iframe srcdoc=...>``, so
    its script works in JupyterLab, classic notebooks and VS Code, where a plain HTML output
    would have its scripts stripped.

    Args:
        root: The value to differentiate.
        **options: Options of :func:`to_html` (``gradient``, ``rankdir``, ``number_format``,
            ``max_nodes``, ``title``, ``program``, ``timeout``).

    Returns:
        A :class:`StepThrough`; its ``html`` is the page, ``save(path)`` writes it.

    Raises:
        GraphTooLargeError: The graph is larger than ``max_nodes`` (a ``ValueError``; a
            notebook shows it as one line that says what to draw instead).

    Example:
        >>> import autograd_core as ag
        >>> a = ag.Value(3.0, label="a")
        >>> shown = ag.viz.explain(a * a)
        >>> shown._repr_html_().startswith("<iframe")
        True
    """
    try:
        page = to_html(root, **options)
    except GraphTooLargeError as refused:  # said in the name of the function the user called
        raise GraphTooLargeError("explain" + str(refused).removeprefix("to_html")) from None
    return StepThrough(page)


class StepThrough:
    """A step-through page that Jupyter displays inline; ``html`` is the page itself.

    Its text form says what the page is (a notebook shows it until the cell is run, as it
    shows no HTML of an untrusted notebook); its HTML form runs the page in a sandboxed frame.

    Example:
        >>> import autograd_core as ag
        >>> x = ag.Value(2.0, label="x")
        >>> ag.viz.explain(x * x)
        step-through of out: 2 values, 5 steps — run the cell to see it, or save(path)
        >>> from autograd_core.stepthrough import StepThrough
        >>> StepThrough("<!DOCTYPE html><p>hi</p>").html
        '<!DOCTYPE html><p>hi</p>'
    """

    def __init__(self, page: str) -> None:
        if not isinstance(page, str):
            raise TypeError(f"StepThrough: page must be a str, got {type(page).__name__}")
        self.html = page

    @property
    def description(self) -> str:
        """What the page shows, in words: ``step-through of o: 10 values, 17 steps``."""
        found = re.search(r'<meta name="description" content="([^"]*)"', self.html)
        if found is None:
            return f"step-through page of {len(self.html):,} characters"
        return html.unescape(found.group(1))

    def __repr__(self) -> str:
        return f"{self.description} — run the cell to see it, or save(path)"

    def _repr_html_(self) -> str:
        # srcdoc holds the page as an attribute value: html.escape makes every quote and angle
        # bracket an entity, so nothing in it can end the attribute or the iframe. The sandbox
        # lets the page run its script and nothing else (no same-origin access to the notebook).
        # The frame is as wide as the output column and at most 720 px (80% of the window)
        # tall: the page pans and zooms inside it. The text inside <iframe> is shown only where
        # the frame is not: a notebook that is not trusted strips the frame and keeps the text.
        # A small graph gets a shorter frame: its picture's height at the zoom it will likely
        # be shown at (the width of an 880 px column, or the readable zoom), plus the controls.
        match = re.search(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"', self.html)
        readable = re.search(r'"view":\{"readable":([\d.]+)\}', self.html)
        picture = 400.0
        if match:
            width, tall = (float(x) * 4 / 3 for x in match.groups())
            zoom = min(1.0, max(float(readable.group(1)) if readable else 0.0, 880 / width))
            picture = tall * zoom
        height = int(min(max(260 + picture, 420), 720))
        return (
            f'<iframe srcdoc="{html.escape(self.html, quote=True)}" sandbox="allow-scripts" '
            'title="backpropagation step by step" '
            f'style="display: block; box-sizing: border-box; width: 100%; '
            f"height: min(80vh, {height}px); min-height: 360px; border: 1px solid #e5e7eb; "
            'border-radius: 6px; resize: vertical">'
            f"{html.escape(repr(self), quote=False)}</iframe>"
        )

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the page to ``path`` (UTF-8) and return the path.

        Example:
            >>> import pathlib, tempfile
            >>> from autograd_core.stepthrough import StepThrough
            >>> target = pathlib.Path(tempfile.mkdtemp()) / "page.html"
            >>> StepThrough("<!DOCTYPE html>").save(target).read_text()
            '<!DOCTYPE html>'
        """
        target = Path(path)
        target.write_text(self.html, encoding="utf-8")
        return target


# -- what the picture shows where ------------------------------------------------------------

# An edge line of the DOT text: "\ttail -> head" (and maybe its attributes)
_EDGE = re.compile(r"^\t(\S+) -> (\S+)", flags=re.MULTILINE)


class _Picture:
    """Which parts of a drawing show which value, read from the drawing's own map of its ids
    (``GraphDrawing.nodes``) and its edges, never from the shape of an id."""

    def __init__(self, drawing: GraphDrawing) -> None:
        if drawing.nodes is None:
            raise RuntimeError("to_html: the drawing has no map of its node ids")
        self.nodes = drawing.nodes
        self.shows = {dot_id: value for dot_id, (_, value) in drawing.nodes.items()}
        self.box: dict[Value, str] = {}  # the value's box, with its data and grad rows
        self.oval: dict[Value, str] = {}  # the oval of the op that made it
        self.copies: dict[Value, list[str]] = {}  # small copies beside its further uses
        for dot_id, (kind, value) in drawing.nodes.items():
            if kind == "value":
                self.box[value] = dot_id
            elif kind == "op":
                self.oval[value] = dot_id
            else:
                self.copies.setdefault(value, []).append(dot_id)
        # value -> the boxes or copies that edges come from into its oval, one per drawn edge
        self.tails: dict[Value, list[str]] = {}
        for tail, head in _EDGE.findall(drawing.source):
            kind_and_value = drawing.nodes.get(head)
            if kind_and_value is not None and kind_and_value[0] == "op" and tail in self.shows:
                self.tails.setdefault(kind_and_value[1], []).append(tail)

    def parts_of(self, node: Value) -> list[str]:
        """Everything drawn for ``node``: its box, its oval, its copies."""
        oval = [self.oval[node]] if node in self.oval else []
        return [self.box[node], *oval, *self.copies.get(node, ())]

    def edges_from(self, node: Value, parents: Iterable[Value]) -> list[str]:
        """The titles of the edges into ``node``'s oval from ``parents`` (or their copies),
        then of the edge from the oval to the box: what lights up when they are used."""
        oval = self.oval.get(node)
        if oval is None:
            return []
        wanted = set(parents)
        tails = dict.fromkeys(t for t in self.tails.get(node, ()) if self.shows[t] in wanted)
        return [f"{t}->{oval}" for t in tails] + [f"{oval}->{self.box[node]}"]

    def touching(self, node: Value, parents: Iterable[Value]) -> list[str]:
        """The boxes and copies of ``parents`` that edges join to ``node``'s oval, and the
        parents' full boxes (a copy's value is also shown, with its grad, in its full box)."""
        wanted = set(parents)
        found: dict[str, None] = {}
        for tail in self.tails.get(node, ()):
            value = self.shows[tail]
            if value in wanted:
                found[tail] = None
                found[self.box[value]] = None
        return list(found)


# -- recording the steps ---------------------------------------------------------------------


class _Recorder:
    """Replays the forward and backward pass of one graph and writes down every step."""

    def __init__(
        self,
        order: list[Value],
        picture: _Picture,
        names: dict[Value, str],
        fmt: Callable[[float], str],
        seed: float,
    ) -> None:
        self.order = order
        self.picture = picture
        self.names = names
        self.fmt = fmt
        self.seed = seed
        self.forward_steps = 0
        self.backward_steps = 0
        # value -> the gradient whose text is longest among those the page shows for it
        self.widest: dict[Value, float] = {}

    def steps(self) -> list[Step]:
        root = self.names[self.order[-1]]
        steps: list[Step] = [
            {
                "phase": "start",
                "title": f"The graph that computes {root}. Press Next: first the forward pass "
                f"computes every value from its inputs, then backward() sends the gradient "
                f"∂{root}/∂(value) back to every value.",
                "lines": [],
            }
        ]
        for node in self.order:
            if node in self.picture.box:
                steps.append(self.forward(node))
                self.forward_steps += 1
        steps.extend(self.backward())
        return steps

    def forward(self, node: Value) -> Step:
        picture = self.picture
        name = self.names[node]
        result = [["target", name], ["text", " = "]]
        step: Step = {
            "phase": "forward",
            "node": picture.box[node],
            "reveal": picture.parts_of(node),
            "focus": [picture.box[node]],  # what the view keeps in sight: node and parents
        }
        if not node.parents:
            kind = "an input or parameter" if node.label else "a constant"
            step["title"] = f"Forward: {name} is {kind}, a leaf of the graph."
            step["lines"] = [{"parts": [*result, ["result", self.number(node.data)]]}]
            return step
        symbolic, numeric = self.formula(node)
        parts = [*result, ["symbolic", symbolic]]
        if numeric != symbolic:
            parts += [["text", " = "], ["numeric", numeric]]
        parts += [["text", " = "], ["result", self.number(node.data)]]
        inputs = ", ".join(dict.fromkeys(self.names[p] for p in node.parents))
        step["op"] = picture.oval[node]
        step["edges"] = picture.edges_from(node, node.parents)
        step["sources"] = picture.touching(node, node.parents)
        step["focus"] = [picture.box[node], picture.oval[node], *step["sources"]]
        step["title"] = f"Forward: compute {name} from {inputs}."
        step["lines"] = [{"parts": parts}]
        return step

    def backward(self) -> list[Step]:
        """The chain rule as ``Value.backward`` runs it, one step per interior node.

        The float operations are the engine's, in its order, and so are its rules: gradients
        start at 0, the root's at the seed, and each node, in reverse topological order, adds
        to a parent's gradient what ``reference.chain_rule_step`` (the engine's definition of
        the chain rule at one node) hands it: ``local * grad``, except on an edge that a
        selecting op such as relu blocks. An edge whose product is 0 × a finite number is shown
        as adding nothing, as ``backward()`` skips it (0·inf is NaN, so those pass). So every
        number is bit for bit what ``backward()`` computes.
        """
        picture = self.picture
        root = self.order[-1]
        root_name = self.names[root]
        grads = dict.fromkeys(self.order, 0.0)
        grads[root] = self.seed
        received = dict.fromkeys(self.order, 0)
        seed = self.number(self.seed)
        seed_why = (
            f"∂{_wrap(root_name)}/∂{_wrap(root_name)} = 1"
            if self.seed == 1.0
            else "the gradient given to backward()"
        )
        steps: list[Step] = [
            {
                "phase": "seed",
                "node": picture.box[root],
                "focus": [picture.box[root]],
                "title": f"Backward starts at the output: {root_name}.grad = {seed} "
                f"({seed_why}). Every other gradient starts at 0.",
                "lines": [
                    {"parts": [["target", _grad_of(root_name)], ["text", " = "], ["after", seed]]}
                ],
                "grads": [[picture.box[root], self.fmt(self.seed), repr(self.seed)]],
            }
        ]
        self.backward_steps = 1
        for node in picture.box:
            self.note_width(node, 0.0)
        self.note_width(root, self.seed)
        for node in reversed(self.order):
            if not node.parents:
                continue
            g = grads[node]
            edges = list(chain_rule_step(node, g))  # the reference engine's own rule for each edge
            passes = [c is not None and (g != 0.0 or not _finite(local)) for _, local, c in edges]
            step: Step = {"phase": "backward", "node": picture.box[node], "op": picture.oval[node]}
            step["focus"] = [step["node"], step["op"], *picture.touching(node, node.parents)]
            step["title"] = self.backward_title(node, g, passes)
            lines: list[dict[str, Any]] = []
            updates: dict[str, list[str]] = {}
            passed: list[Value] = []
            # A node that simply has nothing to pass (gradient 0, finite local derivatives)
            # gets no lines; where PyTorch's rules pass some edges and not others, each edge
            # that gets nothing says why.
            say_why = g != 0.0 or not all(math.isfinite(_plain(p)) for p in node.partials)
            for (parent, partial, contribution), passing in zip(edges, passes):
                local = _plain(partial)
                drawn = parent in picture.box  # (not a constant written inside the oval)
                if not passing:
                    if drawn and say_why:
                        lines.append(self.blocked_line(node, parent, local, g))
                    continue
                before = grads[parent]
                grads[parent] += contribution  # the engine's own arithmetic, in its order
                received[parent] += 1
                passed.append(parent)
                if drawn:
                    after = grads[parent]
                    count = received[parent]
                    lines.append(self.chain_rule_line(node, parent, local, g, before, count))
                    updates[picture.box[parent]] = [self.fmt(after), repr(after)]
                    self.note_width(parent, after)
            step["lines"] = lines
            step["edges"] = picture.edges_from(node, passed) if passed else []
            step["receivers"] = picture.touching(node, passed)
            step["grads"] = [[key, *shown] for key, shown in updates.items()]
            steps.append(step)
            self.backward_steps += 1
        steps.append(self.done(grads))
        return steps

    def backward_title(self, node: Value, g: float, passes: Sequence[bool]) -> str:
        """What happens at ``node``: the usual chain rule, or one of PyTorch's edge rules."""
        name = self.names[node]
        grad = _grad_of(name)
        if g != 0.0 and math.isfinite(g):
            return (
                f"{name} passes its gradient back: {grad} = {self.number(g)} is complete "
                f"(every use of {name} is done), and each parent gets it times the local "
                "derivative written on its edge."
            )
        op = node.op
        assert op is not None
        partials = [_plain(p) for p in node.partials]
        selected = op.base.selects is not None and not all(passes)
        if g == 0.0:
            wild = [(p, x) for p, x in zip(node.parents, partials) if not math.isfinite(x)]
            if not wild:
                return f"{grad} is 0, so {name} has nothing to pass back: backward() skips it."
            parent, local = wild[0]
            text = (
                f"{grad} is 0, but the local derivative ∂{_wrap(name)}/∂{_wrap(self.names[parent])}"
                f" is {_minus(self.fmt(local))}, and 0 · {_minus(self.fmt(local))} is NaN, not 0: "
                "backward() hands 0 times such a derivative down its edge, as PyTorch does"
            )
            if len(wild) < len(partials):
                text += "; an edge with a finite local derivative gets nothing"
            if selected:
                text += f"; {op.name} selects: an edge whose local derivative is 0 passes nothing"
            return text + "."
        text = (
            f"{grad} is {_minus(self.fmt(g))}, not a finite number; backward() still hands "
            "it down, times each local derivative"
        )
        if selected:
            return (
                text + f", except that {op.name} selects: an edge whose local derivative is 0 "
                "passes nothing (not 0 · inf = NaN), as in PyTorch."
            )
        return text + "."

    def note_width(self, node: Value, grad: float) -> None:
        widest = self.widest.get(node)
        if widest is None or len(self.fmt(grad)) > len(self.fmt(widest)):
            self.widest[node] = grad

    def chain_rule_line(
        self, node: Value, parent: Value, local: float, g: float, before: float, count: int
    ) -> dict[str, Any]:
        """``x.grad += ∂n/∂x · n.grad = (−3) · 0.5 = −1.5``, plus the running sum on reuse."""
        child, name = self.names[node], self.names[parent]
        contribution = local * g
        after = before + contribution  # what the engine's += gave, bit for bit
        parts = [
            ["target", _grad_of(name)],
            ["text", " += "],
            ["symbolic", f"∂{_wrap(child)}/∂{_wrap(name)} · {_grad_of(child)}"],
            ["text", " = "],
            ["local", self.number(local, wrap=True)],
            ["text", " · "],
            ["upstream", self.number(g, wrap=True)],
            ["text", " = "],
            ["contrib", self.number(contribution)],
        ]
        if count > 1:  # a reused value: show that += adds this share to what came before
            earlier = "1st" if count == 2 else f"first {count - 1}"
            parts += [
                ["text", "   ⇒ "],
                ["target", _grad_of(name)],
                ["text", " = "],
                ["before", self.number(before)],
                ["text", " + "],
                ["contrib", self.number(contribution, wrap=True)],
                ["text", " = "],
                ["after", self.number(after)],
                ["note", f"   ({_ordinal(count)} share for {name}: added to the {earlier})"],
            ]
        return {
            "parts": parts,
            "data": {
                "parent": self.picture.box[parent],
                "local": repr(local),
                "upstream": repr(g),
                "contrib": repr(contribution),
                "after": repr(after),
            },
        }

    def blocked_line(self, node: Value, parent: Value, local: float, g: float) -> dict[str, Any]:
        """``x.grad: nothing passes (relu selects ...)`` for an edge the engine's rules block."""
        op = node.op
        assert op is not None
        if g == 0.0 and math.isfinite(local):
            why = f"0 · {self.number(local, wrap=True)} would add nothing"
        else:
            why = f"{op.name} selects: the local derivative on this edge is 0"
        return {
            "parts": [
                ["target", _grad_of(self.names[parent])],
                ["text", " += nothing"],
                ["note", f"   ({why})"],
            ],
            "data": {"parent": self.picture.box[parent], "passes": "no"},
        }

    def done(self, grads: dict[Value, float]) -> Step:
        lines = []
        for node in self.order:
            if node in self.picture.box and not node.parents and node.label:
                parts = [
                    ["target", _grad_of(self.names[node])],
                    ["text", " = "],
                    ["after", self.number(grads[node])],
                ]
                if not math.isfinite(grads[node]):
                    parts.append(["note", "   (not a finite number: backward() warns about it)"])
                lines.append(
                    {
                        "parts": parts,
                        "data": {"parent": self.picture.box[node], "after": repr(grads[node])},
                    }
                )
        root = self.names[self.order[-1]]
        return {
            "phase": "done",
            "title": f"Backward is done: every value now holds ∂{root}/∂(that value)."
            + (" The inputs and parameters:" if lines else ""),
            "lines": lines,
        }

    def formula(self, node: Value) -> tuple[str, str]:
        """How ``node`` was computed, with names and with numbers: ``a × b``, ``(−3) × 2``."""
        op = node.op
        assert op is not None
        parents = node.parents
        names = [self.names[p] for p in parents]
        numbers = [self.number(p.data, wrap=True) for p in parents]
        base = op.base
        if base is SUM:
            return " + ".join(_wrap(n) for n in names), " + ".join(numbers)
        if base is DOT or base is AFFINE:
            return self.weighted_sum(node, names, numbers)
        symbol = op.symbol
        params = [self.number(p, wrap=True) for p in op.params]
        if base is NEG:
            return f"−{_wrap(names[0])}", f"−{numbers[0]}"
        if not symbol.isidentifier() and len(parents) == 2:
            return (
                f"{_wrap(names[0])} {symbol} {_wrap(names[1])}",
                f"{numbers[0]} {symbol} {numbers[1]}",
            )
        if not symbol.isidentifier() and len(parents) == 1 and len(params) == 1:
            return f"{_wrap(names[0])} {symbol} {params[0]}", f"{numbers[0]} {symbol} {params[0]}"
        plain = [self.number(p.data) for p in parents]
        # a bound parameter by its name, as a call would write it: CE(z0, z1, target=1)
        named = [f"{name}={value}" for name, value in zip(op.param_names, params, strict=True)]
        return f"{symbol}({', '.join(names + named)})", f"{symbol}({', '.join(plain + named)})"

    def weighted_sum(self, node: Value, names: list[str], numbers: list[str]) -> tuple[str, str]:
        """``w1·x1 + w2·x2 + b`` for a dot node (all operands are parents) or an affine node
        (Value weights, the inputs bound to the op as constants)."""
        op = node.op
        assert op is not None
        pairs = list(zip(names, numbers))
        if op.base is DOT:  # parents: w1..wn, x1..xn[, bias]
            half = len(pairs) // 2
            ws, xs = pairs[:half], pairs[half : 2 * half]
            bias = pairs[2 * half] if len(pairs) % 2 else None
        else:  # parents: w1..wn[, bias]; params: the constants and a bound bias (or None)
            constants, bound_bias = op.params
            half = len(constants)
            ws = pairs[:half]
            xs = [(self.number(c), self.number(c, wrap=True)) for c in constants]
            if bound_bias is None:
                bias = pairs[half]
            elif bound_bias != 0.0:
                bias = (self.number(bound_bias), self.number(bound_bias, wrap=True))
            else:
                bias = None
        terms = [(f"{_wrap(w)}·{_wrap(x)}", f"{wn}·{xn}") for (w, wn), (x, xn) in zip(ws, xs)]
        if bias is not None:
            terms.append((_wrap(bias[0]), bias[1]))
        return " + ".join(t[0] for t in terms), " + ".join(t[1] for t in terms)

    def number(self, x: float, *, wrap: bool = False) -> str:
        """A number as the panel writes it: with a true minus sign, in brackets if asked."""
        text = _minus(self.fmt(x))
        return f"({text})" if wrap and text.startswith("−") else text


def _names(
    order: list[Value], drawn: dict[Value, str], fmt: Callable[[float], str]
) -> dict[Value, str]:
    """What the page calls each value: its label, else a short name (t1, c1, out)."""
    taken = {node.label for node in order if node.label}
    counters = {"t": 0, "c": 0}

    def fresh(prefix: str) -> str:
        while True:
            counters[prefix] += 1
            name = f"{prefix}{counters[prefix]}"
            if name not in taken:
                return name

    from autograd_core.viz import _printable  # (viz imports this module: import on use)

    names: dict[Value, str] = {}
    root = order[-1]
    for node in order:
        if node.label:  # controls and bidi controls escaped, as in the picture
            names[node] = _shorten(_printable(node.label))
        elif node not in drawn:  # a constant inside an oval: its value names it
            names[node] = _printable(_minus(fmt(node.data)))
        elif node is root and "out" not in taken:
            names[node] = "out"
        else:
            names[node] = fresh("t" if node.parents else "c")
    return names


def _formatter(number_format: NumberFormat) -> Callable[[float], str]:
    """float -> text from a format spec or a function, checked once (as the pictures do)."""
    if callable(number_format):
        custom = number_format

        def formatted(x: float) -> str:
            text = custom(x)
            if not isinstance(text, str):
                raise TypeError(
                    f"to_html: number_format must return a str, got {type(text).__name__}"
                )
            return text

        return formatted
    if not isinstance(number_format, str):
        raise TypeError(
            f"to_html: number_format must be a format spec or a function, got {number_format!r}"
        )
    try:
        format(1.5, number_format)
    except ValueError:
        raise ValueError(
            f"to_html: number_format {number_format!r} is not a float format spec "
            "(try '.4g' or '.3f')"
        ) from None
    spec = number_format
    return lambda x: format(x if x != 0.0 else 0.0, spec)  # no "-0" for a gradient 0 · −1


def _minus(text: str) -> str:
    return text.replace("-", "−")


def _wrap(name: str) -> str:
    """A name in brackets when it is an expression (``(x1*w1)``), bare when it is a word."""
    return name if re.fullmatch(r"[\w.]+", name) else f"({name})"


def _grad_of(name: str) -> str:
    return f"{_wrap(name)}.grad"


def _ordinal(k: int) -> str:
    if 10 <= k % 100 <= 20:
        return f"{k}th"
    return f"{k}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(k % 10, 'th') }"


def _shorten(text: str, limit: int = 32) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- the page ----------------------------------------------------------------------------------


def _inline_svg(svg: str) -> str:
    """Graphviz's SVG document as an element to place in HTML: no XML prolog, no comments."""
    start = svg.index("<svg")
    body = re.sub(r"<!--.*?-->", "", svg[start:], flags=re.DOTALL)
    return body.replace("\n\n", "\n").strip()


def _json_for_script(payload: Any) -> str:
    """JSON that is safe inside ``<script>``: no ``<``, ``>`` or ``&`` can end or open a tag.

    json.dumps already escapes control characters; U+2028 and U+2029 are escaped as well, since
    older JavaScript engines read them as line breaks.
    """
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for char, escape in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escape)
    return text


def _page(heading: str, summary: str, description: str, svg: str, payload: dict[str, Any]) -> str:
    # The page is also well-formed XML (every tag closed, the script in CDATA), which lets the
    # tests parse it strictly. All user text is escaped: in the title and heading by
    # html.escape, in the picture by Graphviz, in the JSON by _json_for_script; the script puts
    # text on the page with textContent only, never as markup. Before that, every text the
    # page shows goes through the pictures' own escaping of controls (viz._printable): JSON
    # escapes C0 controls, but JSON.parse gives them back raw, and a bidirectional control
    # (U+202E) in a label would reorder the panel's line of numbers.
    from autograd_core.viz import _printable  # (viz imports this module: import on use)

    heading, summary = _printable(heading), _printable(summary)
    return _TEMPLATE.format(
        title=html.escape(heading, quote=True),
        description=html.escape(_printable(description), quote=True),
        heading=html.escape(heading, quote=False),
        summary=html.escape(summary, quote=False),
        css=_CSS,
        svg=svg,
        data=_json_for_script(_escaped(payload, _printable)),
        script=_SCRIPT,
    )


def _escaped(item: Any, escape: Callable[[str], str]) -> Any:
    """``item`` (the page's JSON: dicts, lists, strings, numbers) with every string escaped."""
    if isinstance(item, str):
        return escape(item)
    if isinstance(item, list):
        return [_escaped(x, escape) for x in item]
    if isinstance(item, dict):
        return {key: _escaped(value, escape) for key, value in item.items()}
    return item


_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8"/>
<meta name="viewport" content="width=device-width, initial-scale=1"/>
<meta name="description" content="{description}"/>
<title>{title}</title>
<style>{css}</style>
</head>
<body>
<main class="ag-page">
<h1>{heading}</h1>
<p class="ag-sub">{summary}</p>
<div class="ag-controls" role="toolbar" aria-label="steps">
<button type="button" id="ag-reset" title="back to the start (Home)">Reset</button>
<button type="button" id="ag-prev" title="previous step (←)">◀ Previous</button>
<button type="button" id="ag-play" title="play / pause (space)">▶ Play</button>
<button type="button" id="ag-next" title="next step (→)">Next ▶</button>
<span id="ag-counter" aria-live="polite">step 0</span>
<span id="ag-phase" class="ag-phase"></span>
<span class="ag-zoom" role="group" aria-label="zoom">
<button type="button" id="ag-zoom-out" title="zoom out (−)" aria-label="zoom out">−</button>
<span id="ag-zoom-level" title="the picture's size">100%</span>
<button type="button" id="ag-zoom-in" title="zoom in (+)" aria-label="zoom in">+</button>
<button type="button" id="ag-zoom-all" title="the whole graph (F)">Whole graph</button>
<button type="button" id="ag-zoom-step" title="readable, on the step (0)">Follow step</button>
</span>
</div>
<section id="ag-panel" aria-live="polite">
<div id="ag-title">This page needs JavaScript to step through the graph.</div>
<div id="ag-lines"></div>
</section>
<figure id="ag-figure" aria-label="the graph: drag to move it, + and − to zoom">
{svg}
<div id="ag-hint" aria-hidden="true"></div>
</figure>
<p class="ag-help">Keys: → next, ← previous, space play / pause, Home reset, End last step;
+ and − zoom, 0 back to the step, F the whole graph, Shift + arrows move the picture. Drag to
move it, wheel to zoom (Ctrl + wheel in a notebook). Blue: the forward pass. Orange: gradient
flowing back; the number on an edge is the local derivative ∂out/∂in.</p>
</main>
<script type="application/json" id="ag-data">{data}</script>
<script>
//<![CDATA[
{script}
//]]>
</script>
</body>
</html>
"""

# The page fills its window or frame (a notebook's output column, the docs' column): a column
# of heading, buttons, panel and picture, the picture taking the height that is left. The panel
# scrolls on its own and never takes more than 40% of the height; the picture is clipped by its
# frame and moved with a transform (pan and zoom), never by scrolling the page around it.
_CSS = """
html, body { height: 100%; }
body { margin: 0; color: #111827; background: #ffffff;
  font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; }
.ag-page { box-sizing: border-box; width: 100%; height: 100%; min-height: 340px;
  display: flex; flex-direction: column; padding: 8px 12px 6px 12px; }
h1 { font-size: 1.05rem; margin: 0 0 2px 0; flex: none; }
.ag-sub { margin: 0 0 6px 0; color: #4b5563; font-size: 0.82rem; flex: none; }
.ag-controls { display: flex; flex-wrap: wrap; gap: 6px; align-items: center;
  margin-bottom: 6px; flex: none; }
.ag-controls button { font: inherit; font-size: 0.9rem; padding: 3px 10px; cursor: pointer;
  border: 1px solid #9ca3af; border-radius: 6px; background: #f9fafb; color: #111827; }
.ag-controls button:hover { background: #f3f4f6; }
.ag-controls button:disabled { opacity: 0.4; cursor: default; }
#ag-counter { margin-left: 6px; font-variant-numeric: tabular-nums; font-size: 0.9rem; }
.ag-phase { padding: 1px 8px; border-radius: 10px; font-size: 0.8rem; background: #e5e7eb; }
.ag-phase.forward { background: #dbeafe; color: #1e40af; }
.ag-phase.backward { background: #ffedd5; color: #9a3412; }
.ag-zoom { margin-left: auto; display: inline-flex; flex-wrap: wrap; gap: 4px;
  align-items: center; }
.ag-zoom button { padding: 3px 8px; }
#ag-zoom-out, #ag-zoom-in { min-width: 2em; font-weight: 700; }
#ag-zoom-level { min-width: 3.2em; text-align: center; font-size: 0.8rem; color: #4b5563;
  font-variant-numeric: tabular-nums; }
#ag-panel { box-sizing: border-box; flex: 0 1 auto; min-height: 3.5em; max-height: 40%;
  overflow: auto; overscroll-behavior: contain; border: 1px solid #e5e7eb; border-radius: 8px;
  background: #fafafa; padding: 6px 12px; margin-bottom: 6px; }
#ag-title { font-size: 0.92rem; margin-bottom: 4px; }
.ag-line { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace;
  font-size: 0.9rem; white-space: pre-wrap; margin: 2px 0; }
#ag-lines.ag-list { columns: 13em; column-gap: 2em; }
#ag-lines.ag-list .ag-line { break-inside: avoid; }
.ag-local { color: #b91c1c; font-weight: 600; }
.ag-upstream { color: #c2410c; font-weight: 600; }
.ag-contrib, .ag-after, .ag-result { font-weight: 700; }
.ag-note { color: #6b7280; }
#ag-figure { position: relative; flex: 1 1 0; min-height: 160px; margin: 0; overflow: hidden;
  border: 1px solid #e5e7eb; border-radius: 8px; background: #ffffff; cursor: grab;
  touch-action: none; user-select: none; -webkit-user-select: none; }
#ag-figure.ag-dragging { cursor: grabbing; }
#ag-figure svg { position: absolute; left: 0; top: 0; max-width: none;
  transform-origin: 0 0; }
#ag-figure.ag-glide svg { transition: transform 0.3s ease-out; }
@media (prefers-reduced-motion: reduce) { #ag-figure.ag-glide svg { transition: none; } }
#ag-hint { position: absolute; right: 8px; bottom: 8px; padding: 3px 8px; border-radius: 6px;
  background: rgba(17, 24, 39, 0.8); color: #ffffff; font-size: 0.8rem; opacity: 0;
  transition: opacity 0.3s; pointer-events: none; }
#ag-hint.ag-on { opacity: 1; }
.ag-help { color: #6b7280; font-size: 0.75rem; margin: 4px 0 0 0; flex: none; }
svg .ag-pending { opacity: 0.15; }
svg .ag-current path, svg .ag-current ellipse, svg .ag-current polygon {
  stroke: #ea580c; stroke-width: 3px; }
svg.forward .ag-current path, svg.forward .ag-current ellipse,
svg.forward .ag-current polygon { stroke: #2563eb; }
svg .ag-receiver path { stroke: #ea580c; stroke-width: 2px; stroke-dasharray: 4 2; }
svg .ag-source path { stroke: #2563eb; stroke-width: 2px; stroke-dasharray: 4 2; }
svg .ag-flow path { stroke: #ea580c; stroke-width: 2.5px; }
svg .ag-flow polygon { stroke: #ea580c; fill: #ea580c; }
svg .ag-flow text { font-weight: bold; }
svg .ag-flow-forward path { stroke: #2563eb; stroke-width: 2.5px; }
svg .ag-flow-forward polygon { stroke: #2563eb; fill: #2563eb; }
svg text.ag-grad-zero { fill: #9ca3af; }
svg text.ag-grad-set { fill: #111827; }
svg text.ag-grad-new { fill: #c2410c; }
"""

# The script only shows what the JSON holds: it never computes a number. Step k's picture is
# rebuilt from the start by applying steps 0..k, so Previous is exact undo by construction.
# The view (pan and zoom) is the only state of its own: a CSS transform of the picture.
_SCRIPT = r"""
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("ag-data").textContent);
  var steps = data.steps;
  var svg = document.querySelector("#ag-figure svg");
  // values: the boxes with data and grad rows; parts: every box, oval and copy that shows a
  // value (the JSON lists their ids, so nothing depends on how the ids look); edges by title.
  var values = {}, parts = {}, edges = {}, allEdges = [];
  var isBox = {}, isPart = {};
  data.boxes.forEach(function (id) { isBox[id] = true; });
  data.parts.forEach(function (id) { isPart[id] = true; });

  function textStarting(group, word) {
    var texts = group.querySelectorAll("text");
    for (var i = 0; i < texts.length; i++) {
      if (texts[i].textContent.trim().indexOf(word + " ") === 0) return texts[i];
    }
    return null;
  }

  Array.prototype.forEach.call(svg.querySelectorAll("g.node"), function (g) {
    var title = g.querySelector("title");
    var id = title ? title.textContent.trim() : "";
    if (!isPart[id]) return;
    parts[id] = g;
    g.setAttribute("data-node", id);
    if (isBox[id]) {
      var grad = textStarting(g, "grad");
      values[id] = { g: g, data: textStarting(g, "data"), grad: grad,
                     drawnGrad: grad ? grad.textContent : "" };
    }
  });
  Array.prototype.forEach.call(svg.querySelectorAll("g.edge"), function (g) {
    var title = g.querySelector("title");
    var key = title ? title.textContent.trim() : "";
    if (!edges[key]) edges[key] = [];
    edges[key].push(g);
    allEdges.push(g);
  });
  // Gradients change length as they arrive: centre each grad text on its box once, so a longer
  // number grows to both sides instead of running out of the box on the right.
  Object.keys(values).forEach(function (id) {
    var text = values[id].grad;
    if (!text) return;
    try {
      var box = text.getBBox();
      if (box.width > 0) {
        text.setAttribute("x", String(box.x + box.width / 2));
        text.setAttribute("text-anchor", "middle");
      }
    } catch (e) { /* not rendered (a hidden frame): keep Graphviz's placement */ }
  });

  // -- the view: pan and zoom ----------------------------------------------------------------
  // The picture keeps Graphviz's size (zoom 1: 1 pt = 4/3 px) and is moved and scaled by a
  // transform inside its frame, which clips it. The default zoom shows the whole graph if its
  // smallest text stays readable there (data.view.readable is the zoom at which it is 9.5 px);
  // otherwise it stays at that zoom, and every step brings its node and parents into view.
  var figure = document.getElementById("ag-figure");
  var hint = document.getElementById("ag-hint");
  var embedded = window.self !== window.top;  // a notebook's or the docs' frame
  var readable = (data.view && data.view.readable) || 1;
  var MARGIN = 16;
  function size(name) {
    var text = svg.getAttribute(name) || "0";
    var number = parseFloat(text) || 0;
    return /pt\s*$/.test(text) ? number * 4 / 3 : number;
  }
  var baseW = size("width") || 1, baseH = size("height") || 1;
  svg.style.width = baseW + "px";
  svg.style.height = baseH + "px";
  var view = { s: 0, x: 0, y: 0 };  // s = 0: not placed yet
  var chosen = null;  // a zoom the reader picked (buttons, keys, wheel); null: the default

  function frame() { return { w: figure.clientWidth, h: figure.clientHeight }; }
  function fitScale() {
    var f = frame();
    return Math.max(0.01, Math.min((f.w - 2 * MARGIN) / baseW, (f.h - 2 * MARGIN) / baseH));
  }
  function defaultScale() {
    return Math.min(Math.max(fitScale(), readable), Math.max(1, readable));
  }
  function clampScale(s) {
    return Math.max(Math.min(fitScale(), readable) / 2, Math.min(Math.max(4, 4 * readable), s));
  }
  function clamp(v, lo, hi) { return lo > hi ? (lo + hi) / 2 : Math.max(lo, Math.min(hi, v)); }

  // Show the picture at zoom s with its corner at (x, y) of the frame: centred along a side
  // where it fits, and otherwise never pulled further than a margin past its edge.
  function place(s, x, y, glide) {
    var f = frame();
    s = clampScale(s);
    var w = baseW * s, h = baseH * s;
    x = w + 2 * MARGIN <= f.w ? (f.w - w) / 2 : clamp(x, f.w - w - MARGIN, MARGIN);
    y = h + 2 * MARGIN <= f.h ? (f.h - h) / 2 : clamp(y, f.h - h - MARGIN, MARGIN);
    view = { s: s, x: x, y: y };
    figure.classList.toggle("ag-glide", Boolean(glide));
    svg.style.transform = "translate(" + x + "px, " + y + "px) scale(" + s + ")";
    figure.setAttribute("data-scale", String(s));
    document.getElementById("ag-zoom-level").textContent = Math.round(s * 100) + "%";
  }
  function centreOn(cx, cy, s, glide) {
    var f = frame();
    place(s, f.w / 2 - cx * s, f.h / 2 - cy * s, glide);
  }
  function zoomAt(factor, px, py, glide) {
    var s = clampScale(view.s * factor);
    var ux = (px - view.x) / view.s, uy = (py - view.y) / view.s;  // stays under (px, py)
    chosen = s;
    place(s, px - ux * s, py - uy * s, glide);
  }
  function zoomBy(factor) { var f = frame(); zoomAt(factor, f.w / 2, f.h / 2, true); }
  function wholeGraph() {
    chosen = clampScale(fitScale());
    centreOn(baseW / 2, baseH / 2, chosen, true);
  }

  // Where parts are, in the picture's own pixels (zoom 1), measured on screen: right also
  // while the picture glides, since the picture's own box is measured at the same moment.
  function unitsRect(ids) {
    var box = svg.getBoundingClientRect();
    var k = box.width / baseW;
    if (!(k > 0)) return null;
    var r = null;
    (ids || []).forEach(function (id) {
      var g = parts[id];
      if (!g) return;
      var b = g.getBoundingClientRect();
      if (b.width === 0 && b.height === 0) return;
      var x0 = (b.left - box.left) / k, x1 = (b.right - box.left) / k;
      var y0 = (b.top - box.top) / k, y1 = (b.bottom - box.top) / k;
      r = r ? { x0: Math.min(r.x0, x0), y0: Math.min(r.y0, y0), x1: Math.max(r.x1, x1),
                y1: Math.max(r.y1, y1) } : { x0: x0, y0: y0, x1: x1, y1: y1 };
    });
    return r;
  }
  function inSight(r, s) {
    var f = frame(), m = MARGIN / 2;
    return s === view.s && r.x0 * s + view.x >= m && r.x1 * s + view.x <= f.w - m &&
      r.y0 * s + view.y >= m && r.y1 * s + view.y <= f.h - m;
  }

  // Bring the step's node and its parents into view: at the reader's zoom (or the default),
  // zoomed out as far as needed to show them all but not below the readable zoom, and with
  // the node itself always in the frame. A view that already shows them does not move.
  function follow(step, glide) {
    var f = frame();
    if (!(f.w > 0 && f.h > 0)) return;
    var s = chosen !== null ? chosen : defaultScale();
    var target = unitsRect(step.focus);
    if (!target) {
      // the start: the whole graph, the map the steps then walk through (at most the
      // default zoom; the first step zooms in to its node)
      if (step.phase === "start" || view.s === 0) {
        if (chosen === null) s = Math.min(s, fitScale());
        centreOn(baseW / 2, baseH / 2, clampScale(s), glide);
      }
      return;
    }
    var node = unitsRect([step.node]) || target;
    var need = Math.min((f.w - 2 * MARGIN) / (target.x1 - target.x0),
                        (f.h - 2 * MARGIN) / (target.y1 - target.y0));
    if (need < s) s = Math.max(need, Math.min(s, readable));
    s = clampScale(s);
    if (inSight(target, s)) return;
    var halfW = (f.w / 2 - MARGIN) / s, halfH = (f.h / 2 - MARGIN) / s;
    var cx = clamp((target.x0 + target.x1) / 2, node.x1 - halfW, node.x0 + halfW);
    var cy = clamp((target.y0 + target.y1) / 2, node.y1 - halfH, node.y0 + halfH);
    centreOn(cx, cy, s, glide);
  }

  var hintTimer = null;
  function say(text) {
    hint.textContent = text;
    hint.classList.add("ag-on");
    if (hintTimer !== null) clearTimeout(hintTimer);
    hintTimer = setTimeout(function () { hint.classList.remove("ag-on"); }, 1500);
  }

  var drag = null;
  figure.addEventListener("pointerdown", function (event) {
    if (event.button !== 0) return;
    drag = { id: event.pointerId, x: event.clientX - view.x, y: event.clientY - view.y };
    if (figure.setPointerCapture) figure.setPointerCapture(event.pointerId);
    figure.classList.add("ag-dragging");
  });
  figure.addEventListener("pointermove", function (event) {
    if (drag && event.pointerId === drag.id) {
      place(view.s, event.clientX - drag.x, event.clientY - drag.y, false);
    }
  });
  function endDrag(event) {
    if (drag && event.pointerId === drag.id) {
      drag = null;
      figure.classList.remove("ag-dragging");
    }
  }
  figure.addEventListener("pointerup", endDrag);
  figure.addEventListener("pointercancel", endDrag);
  // The wheel zooms at the pointer. Inside a notebook or the docs it zooms with Ctrl (or a
  // pinch) only, so that the wheel still scrolls the notebook past the picture.
  figure.addEventListener("wheel", function (event) {
    if (embedded && !event.ctrlKey && !event.metaKey) {
      say("Ctrl + wheel zooms; drag to move");
      return;
    }
    event.preventDefault();
    var unit = event.deltaMode === 1 ? 16 : event.deltaMode === 2 ? 400 : 1;
    var r = figure.getBoundingClientRect();
    zoomAt(Math.exp(-event.deltaY * unit * 0.002), event.clientX - r.left - figure.clientLeft,
           event.clientY - r.top - figure.clientTop, false);
  }, { passive: false });
  document.getElementById("ag-zoom-in").addEventListener("click", function () { zoomBy(1.25); });
  document.getElementById("ag-zoom-out").addEventListener("click", function () { zoomBy(0.8); });
  document.getElementById("ag-zoom-all").addEventListener("click", wholeGraph);
  document.getElementById("ag-zoom-step").addEventListener("click", function () {
    chosen = null;
    follow(steps[current], true);
  });
  if (window.ResizeObserver) {
    new ResizeObserver(function () {
      if (chosen === null || view.s === 0) follow(steps[current], false);
      else place(view.s, view.x, view.y, false);
    }).observe(figure);
  }

  // -- the steps -----------------------------------------------------------------------------
  var current = 0, timer = null;
  var btn = {
    reset: document.getElementById("ag-reset"), prev: document.getElementById("ag-prev"),
    play: document.getElementById("ag-play"), next: document.getElementById("ag-next")
  };
  var HIGHLIGHTS = ["ag-current", "ag-receiver", "ag-source", "ag-flow", "ag-flow-forward"];

  function setGrad(id, shown, exact, state) {
    var v = values[id];
    if (!v || !v.grad) return;
    v.grad.textContent = "grad " + shown;
    v.grad.setAttribute("data-grad", exact);
    v.grad.style.visibility = "visible";
    v.grad.classList.remove("ag-grad-zero", "ag-grad-set", "ag-grad-new");
    v.grad.classList.add(state);
  }

  // A forward step brings in its value: box, oval and copies, and the edges that made it.
  function reveal(step) {
    (step.reveal || []).forEach(function (id) {
      if (parts[id]) parts[id].classList.remove("ag-pending");
      var v = values[id];
      if (v && v.data) v.data.style.visibility = "visible";
    });
    (step.edges || []).forEach(function (key) {
      (edges[key] || []).forEach(function (g) { g.classList.remove("ag-pending"); });
    });
  }

  function resetPicture() {
    Object.keys(parts).forEach(function (id) {
      parts[id].classList.add("ag-pending");
      parts[id].classList.remove.apply(parts[id].classList, HIGHLIGHTS);
    });
    Object.keys(values).forEach(function (id) {
      var v = values[id];
      if (v.data) v.data.style.visibility = "hidden";
      if (v.grad) {
        v.grad.textContent = v.drawnGrad;
        v.grad.style.visibility = "hidden";
        v.grad.removeAttribute("data-grad");
        v.grad.classList.remove("ag-grad-zero", "ag-grad-set", "ag-grad-new");
      }
    });
    allEdges.forEach(function (g) {
      g.classList.add("ag-pending");
      g.classList.remove.apply(g.classList, HIGHLIGHTS);
    });
  }

  function apply(step, isCurrent) {
    if (step.phase === "forward") reveal(step);
    if (step.phase === "seed") {
      Object.keys(values).forEach(function (id) { setGrad(id, "0", "0.0", "ag-grad-zero"); });
    }
    (step.grads || []).forEach(function (g) {
      setGrad(g[0], g[1], g[2], isCurrent ? "ag-grad-new" : "ag-grad-set");
    });
  }

  function addClass(ids, cls) {
    (ids || []).forEach(function (id) { if (parts[id]) parts[id].classList.add(cls); });
  }

  function highlight(step) {
    var forward = step.phase === "forward";
    svg.classList.toggle("forward", forward);
    addClass([step.node, step.op], "ag-current");
    (step.edges || []).forEach(function (key) {
      (edges[key] || []).forEach(function (g) {
        g.classList.add(forward ? "ag-flow-forward" : "ag-flow");
      });
    });
    addClass(step.sources, "ag-source");
    addClass(step.receivers, "ag-receiver");
  }

  function showPanel(step) {
    document.getElementById("ag-title").textContent = step.title;
    var box = document.getElementById("ag-lines");
    while (box.firstChild) box.removeChild(box.firstChild);
    box.classList.toggle("ag-list", step.phase === "done");  // the gradients, in columns
    step.lines.forEach(function (line) {
      var div = document.createElement("div");
      div.className = "ag-line";
      var extra = line.data || {};
      Object.keys(extra).forEach(function (k) { div.setAttribute("data-" + k, extra[k]); });
      line.parts.forEach(function (part) {
        var span = document.createElement("span");
        span.className = "ag-" + part[0];
        span.textContent = part[1];
        div.appendChild(span);
      });
      box.appendChild(div);
    });
    document.getElementById("ag-panel").scrollTop = 0;
  }

  function show(k, glide) {
    current = Math.max(0, Math.min(steps.length - 1, k));
    resetPicture();
    for (var i = 0; i <= current; i++) apply(steps[i], i === current);
    var step = steps[current];
    highlight(step);
    showPanel(step);
    follow(step, glide);
    var last = steps.length - 1;
    document.getElementById("ag-counter").textContent = "step " + current + " / " + last;
    var phase = document.getElementById("ag-phase");
    var phaseName = step.phase === "forward" ? "forward" :
      step.phase === "start" ? "start" : step.phase === "done" ? "done" : "backward";
    phase.textContent = phaseName;
    phase.className = "ag-phase " + phaseName;
    document.body.setAttribute("data-step", String(current));
    document.body.setAttribute("data-phase", step.phase);
    document.body.setAttribute("data-node", step.node || "");
    btn.prev.disabled = current === 0;
    btn.reset.disabled = current === 0;
    btn.next.disabled = current === last;
  }
  function go(k) { stop(); show(k, true); }

  function stop() {
    if (timer !== null) { clearInterval(timer); timer = null; }
    btn.play.textContent = "▶ Play";
  }
  function play() {
    if (timer !== null) { stop(); return; }
    if (current === steps.length - 1) show(0, true);
    btn.play.textContent = "Pause";
    timer = setInterval(function () {
      if (current >= steps.length - 1) { stop(); return; }
      show(current + 1, true);
    }, 1100);
  }

  function pan(key) {
    var d = 80;
    var dx = key === "ArrowLeft" ? d : key === "ArrowRight" ? -d : 0;
    var dy = key === "ArrowUp" ? d : key === "ArrowDown" ? -d : 0;
    place(view.s, view.x + dx, view.y + dy, true);
  }

  btn.next.addEventListener("click", function () { go(current + 1); });
  btn.prev.addEventListener("click", function () { go(current - 1); });
  btn.reset.addEventListener("click", function () { go(0); });
  btn.play.addEventListener("click", play);
  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    var key = event.key;
    // space on a focused button presses that button; do not also toggle Play
    if ((key === " " || key === "Enter") && event.target.tagName === "BUTTON") return;
    var arrow = key.indexOf("Arrow") === 0;
    if (arrow && event.shiftKey) pan(key);
    else if (key === "ArrowRight" || key === "ArrowDown") go(current + 1);
    else if (key === "ArrowLeft" || key === "ArrowUp") go(current - 1);
    else if (key === "Home") go(0);
    else if (key === "End") go(steps.length - 1);
    else if (key === " " || key === "Spacebar") play();
    else if (key === "+" || key === "=") zoomBy(1.25);
    else if (key === "-" || key === "_") zoomBy(0.8);
    else if (key === "0") { chosen = null; follow(steps[current], true); }
    else if (key === "f" || key === "F") wholeGraph();
    else return;
    event.preventDefault();
  });
  show(0, false);
})();
"""


def _finite(x: Any) -> bool:
    """Whether a local derivative (a number or a Value) is finite."""
    return math.isfinite(_plain(x))
