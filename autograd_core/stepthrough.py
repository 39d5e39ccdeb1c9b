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
  panel shows the chain rule with real numbers::

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

__all__ = ["to_html", "explain", "StepThrough", "MAX_NODES", "PAGE_LIMIT"]

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
        ValueError: The graph has more than ``max_nodes`` values, or more than
            :data:`PAGE_LIMIT` (the message says what to draw instead), or an option is out
            of range.
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
        raise ValueError(_too_large(count, network, max_nodes))
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
    payload = {
        "boxes": list(picture.box.values()),
        "parts": list(picture.shows),
        "steps": record.steps(),
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
    return _page(heading, summary, _inline_svg(svg.decode("utf-8")), payload)


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
        instead = (
            'see the whole network with ag.viz.draw_graph(y, collapse="neuron") (one box per '
            "neuron, its parameters inside)"
        )
    else:
        instead = (
            "see the whole graph with ag.viz.draw_graph(y) (it keeps the inputs and the output "
            'and sums up the middle; for a network, draw_graph(y, collapse="neuron") draws one '
            "box per neuron)"
        )
    shown = f"more than {_COUNT_LIMIT:,}" if count > _COUNT_LIMIT else str(count)
    if count <= PAGE_LIMIT and max_nodes is not None:
        return (
            f"to_html: the graph has {shown} values, more than max_nodes={max_nodes}; a "
            "step-through page that large would be slow to render and too long to follow. "
            f"Instead {instead}, step through a smaller piece (one neuron, say), or pass "
            "max_nodes=None to build the page anyway"
        )
    return (
        f"to_html: the graph has {shown} values, more than the {PAGE_LIMIT:,} a step-through "
        "page can hold whatever max_nodes says (Graphviz takes minutes to lay out a few "
        f"thousand). Instead {instead}, or step through a smaller piece (one neuron, say)"
    )


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

    Example:
        >>> import autograd_core as ag
        >>> a = ag.Value(3.0, label="a")
        >>> shown = ag.viz.explain(a * a)
        >>> shown._repr_html_().startswith("<iframe")
        True
    """
    return StepThrough(to_html(root, **options))


class StepThrough:
    """A step-through page that Jupyter displays inline; ``html`` is the page itself.

    Example:
        >>> from autograd_core.stepthrough import StepThrough
        >>> StepThrough("<!DOCTYPE html><p>hi</p>").html
        '<!DOCTYPE html><p>hi</p>'
    """

    def __init__(self, page: str) -> None:
        if not isinstance(page, str):
            raise TypeError(f"StepThrough: page must be a str, got {type(page).__name__}")
        self.html = page

    def __repr__(self) -> str:
        return f"<StepThrough page, {len(self.html)} characters: save(path) or display it>"

    def _repr_html_(self) -> str:
        # srcdoc holds the page as an attribute value: html.escape makes every quote and angle
        # bracket an entity, so nothing in it can end the attribute or the iframe. The sandbox
        # lets the page run its script and nothing else (no same-origin access to the notebook).
        match = re.search(r'<svg width="[\d.]+pt" height="([\d.]+)pt"', self.html)
        picture = float(match.group(1)) * 4 / 3 if match else 400.0
        height = int(min(260 + picture, 900))
        return (
            f'<iframe srcdoc="{html.escape(self.html, quote=True)}" sandbox="allow-scripts" '
            'title="backpropagation step by step" '
            f'style="width: 100%; height: {height}px; border: 1px solid #e5e7eb; '
            'border-radius: 6px; resize: vertical"></iframe>'
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
            edges = chain_rule_step(node, g)  # the reference engine's own rule for each edge
            passes = [c is not None and (g != 0.0 or not _finite(local)) for _, local, c in edges]
            step: Step = {"phase": "backward", "node": picture.box[node], "op": picture.oval[node]}
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


def _page(heading: str, summary: str, svg: str, payload: dict[str, Any]) -> str:
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
</div>
<section id="ag-panel" aria-live="polite">
<div id="ag-title">This page needs JavaScript to step through the graph.</div>
<div id="ag-lines"></div>
</section>
<figure id="ag-figure">
{svg}
</figure>
<p class="ag-help">Keys: → next, ← previous, space play / pause, Home reset, End last step.
Blue: the forward pass. Orange: gradient flowing back; the number on an edge is the local
derivative ∂out/∂in.</p>
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

_CSS = """
body { margin: 0; color: #111827; background: #ffffff;
  font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; }
.ag-page { padding: 10px 16px; }
h1 { font-size: 1.1rem; margin: 0 0 2px 0; }
.ag-sub { margin: 0 0 8px 0; color: #4b5563; font-size: 0.85rem; }
.ag-controls { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; margin-bottom: 8px; }
.ag-controls button { font: inherit; font-size: 0.9rem; padding: 3px 10px; cursor: pointer;
  border: 1px solid #9ca3af; border-radius: 6px; background: #f9fafb; color: #111827; }
.ag-controls button:hover { background: #f3f4f6; }
.ag-controls button:disabled { opacity: 0.4; cursor: default; }
#ag-counter { margin-left: 6px; font-variant-numeric: tabular-nums; font-size: 0.9rem; }
.ag-phase { padding: 1px 8px; border-radius: 10px; font-size: 0.8rem; background: #e5e7eb; }
.ag-phase.forward { background: #dbeafe; color: #1e40af; }
.ag-phase.backward { background: #ffedd5; color: #9a3412; }
#ag-panel { border: 1px solid #e5e7eb; border-radius: 8px; background: #fafafa;
  padding: 6px 12px; margin-bottom: 8px; min-height: 4.5em; max-height: 13em; overflow: auto; }
#ag-title { font-size: 0.92rem; margin-bottom: 4px; }
.ag-line { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace;
  font-size: 0.9rem; white-space: pre-wrap; margin: 2px 0; }
.ag-local { color: #b91c1c; font-weight: 600; }
.ag-upstream { color: #c2410c; font-weight: 600; }
.ag-contrib, .ag-after, .ag-result { font-weight: 700; }
.ag-note { color: #6b7280; }
#ag-figure { margin: 0; overflow: auto; max-height: 75vh; }
#ag-figure svg { max-width: 100%; height: auto; }
.ag-help { color: #6b7280; font-size: 0.8rem; margin: 6px 0 0 0; }
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
  // A wide picture (a long chain) is shrunk to the frame's width, but never below half its
  // size, where the numbers would be too small to read: past that the frame scrolls sideways.
  var width = parseFloat(svg.getAttribute("width") || "0");
  if (width > 0) svg.style.minWidth = Math.round(0.5 * width * 4 / 3) + "px";
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

  // A tall graph scrolls inside its frame: bring the current node into view there. (Not with
  // scrollIntoView, which would also scroll a notebook around the frame.)
  function keepInView(step) {
    var v = step.node && values[step.node];
    if (!v) return;
    var figure = document.getElementById("ag-figure");
    var box = v.g.getBoundingClientRect(), frame = figure.getBoundingClientRect();
    if (box.top < frame.top || box.bottom > frame.bottom) {
      figure.scrollTop += (box.top + box.bottom) / 2 - (frame.top + frame.bottom) / 2;
    }
    if (box.left < frame.left || box.right > frame.right) {
      figure.scrollLeft += (box.left + box.right) / 2 - (frame.left + frame.right) / 2;
    }
  }

  function showPanel(step) {
    document.getElementById("ag-title").textContent = step.title;
    var box = document.getElementById("ag-lines");
    while (box.firstChild) box.removeChild(box.firstChild);
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
  }

  function show(k) {
    current = Math.max(0, Math.min(steps.length - 1, k));
    resetPicture();
    for (var i = 0; i <= current; i++) apply(steps[i], i === current);
    var step = steps[current];
    highlight(step);
    showPanel(step);
    keepInView(step);
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

  function stop() {
    if (timer !== null) { clearInterval(timer); timer = null; }
    btn.play.textContent = "▶ Play";
  }
  function play() {
    if (timer !== null) { stop(); return; }
    if (current === steps.length - 1) show(0);
    btn.play.textContent = "Pause";
    timer = setInterval(function () {
      if (current >= steps.length - 1) { stop(); return; }
      show(current + 1);
    }, 1100);
  }

  btn.next.addEventListener("click", function () { stop(); show(current + 1); });
  btn.prev.addEventListener("click", function () { stop(); show(current - 1); });
  btn.reset.addEventListener("click", function () { stop(); show(0); });
  btn.play.addEventListener("click", play);
  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    var key = event.key;
    // space on a focused button presses that button; do not also toggle Play
    if ((key === " " || key === "Enter") && event.target.tagName === "BUTTON") return;
    if (key === "ArrowRight" || key === "ArrowDown") { stop(); show(current + 1); }
    else if (key === "ArrowLeft" || key === "ArrowUp") { stop(); show(current - 1); }
    else if (key === "Home") { stop(); show(0); }
    else if (key === "End") { stop(); show(steps.length - 1); }
    else if (key === " " || key === "Spacebar") { play(); }
    else return;
    event.preventDefault();
  });
  show(0);
})();
"""


def _finite(x: Any) -> bool:
    """Whether a local derivative (a number or a Value) is finite."""
    return math.isfinite(_plain(x))
