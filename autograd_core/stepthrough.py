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
is replayed with the partial derivatives the engine stored in each node, in exactly the order
and with exactly the float operations of ``Value.backward``, so the page shows the engine's
numbers to the last bit (a test checks it against ``backward()``). The page's script only
shows and hides them; it computes nothing. Replaying rather than calling ``backward()`` leaves
the graph's own ``grad`` fields as they were.

Names: a labelled value is called by its label. Other values drawn as boxes get a short name
(``t1``, ``t2``, ... for results, ``c1``, ... for constants, ``out`` for an unlabelled output),
written beside the box in the picture, so every name in the panel can be found in the graph.
"""

from __future__ import annotations

import html
import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from autograd_core import _checks
from autograd_core.engine import Value, topological_order
from autograd_core.ops import AFFINE, DOT, NEG, SUM
from autograd_core.ops import data as _plain

__all__ = ["to_html", "explain", "StepThrough", "MAX_NODES"]

MAX_NODES = 300
"""Largest graph (counting every value, constants included) that :func:`to_html` steps
through by default. Past a few hundred values a page of steps is neither quick to render nor
possible to follow; draw such graphs collapsed or step through a part of them."""

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
) -> str:
    """A self-contained HTML page that steps through the forward and backward pass of ``root``.

    The page embeds the graph picture (SVG, rendered by Graphviz as in
    :func:`autograd_core.viz.to_svg`), the recorded numbers (JSON) and a small script; it loads
    nothing from the network. The gradients shown are those of one ``root.backward(gradient)``
    from zero: the backward pass is replayed here with the partial derivatives stored in the
    nodes, so the graph's own ``grad`` fields are not changed.

    Args:
        root: The value to differentiate (usually the loss or the output).
        gradient: The seed ``d(loss)/d(root)``, as in ``root.backward(gradient)``.
        rankdir: ``"LR"`` (inputs on the left) or ``"TB"`` (inputs on top), or ``"RL"`` /
            ``"BT"``.
        number_format: A format spec (``".4g"``) or a function from float to text, for every
            number on the page.
        max_nodes: The largest graph accepted, counting every value; ``None`` for no limit.
        title: The page's heading; by default it names ``root``.
        program: The Graphviz program, as in :func:`autograd_core.viz.to_svg`.

    Returns:
        The HTML document.

    Raises:
        ValueError: The graph has more than ``max_nodes`` values (the message says what to do
            instead), or an option is out of range.
        autograd_core.viz.RendererNotFoundError: No Graphviz program was found.

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
    fmt = _formatter(number_format)

    order = topological_order(root)
    if max_nodes is not None and len(order) > max_nodes:
        raise ValueError(
            f"to_html: the graph has {len(order)} values, more than max_nodes={max_nodes}; a "
            "step-through page that large would be slow to render and too long to follow. "
            "Step through a smaller piece (say, one neuron), look at the whole graph collapsed "
            "with ag.viz.draw_graph(y, collapse='neuron'), or pass max_nodes=None to build "
            "the page anyway"
        )

    options: dict[str, Any] = {
        "rankdir": rankdir,
        "number_format": number_format,
        "max_nodes": None,
    }
    # The picture names each drawn value v<i>, i its position in topological_order; constants
    # written inside their op's oval (the 2 of "2 ×") get no box and no name.
    source = viz.draw_graph(root, **options).source
    drawn = {int(i) for i in re.findall(r"^\s*v(\d+) \[", source, flags=re.MULTILINE)}
    names = _names(order, drawn, fmt)
    record = _Recorder(order, drawn, names, fmt, seed)
    payload = {"root": f"v{len(order) - 1}", "steps": record.steps()}

    # Graphviz sizes each box to its text. The page rewrites the grad row as gradients arrive,
    # so the box is drawn holding the longest text that row will show; the grads are put back
    # right after (draw_graph only reads them).
    saved = [node.grad for node in order]
    try:
        for i, widest in record.widest.items():
            order[i].grad = widest
        drawing = viz.draw_graph(root, **options)
    finally:
        for node, grad in zip(order, saved):
            node.grad = grad
    for i in sorted(drawn):
        if not order[i].label:  # say in the picture what the panel calls this box
            drawing.body.append(f"\tv{i} [xlabel=<<I>{html.escape(names[i])}</I>>]\n")
    svg = viz.render_source(drawing.source, "svg", program=program).decode("utf-8")

    heading = title if title is not None else f"Backpropagation through {names[len(order) - 1]}"
    summary = (
        f"{names[len(order) - 1]} = {_minus(fmt(root.data))} · {len(order)} values · "
        f"{record.forward_steps} forward and {record.backward_steps} backward steps · "
        f"the gradients of one {names[len(order) - 1]}.backward() from zero"
    )
    return _page(heading, summary, _inline_svg(svg), payload)


def explain(root: Value, **options: Any) -> StepThrough:
    """The step-through page of ``root`` as a notebook output (see :func:`to_html`).

    Jupyter shows the returned object inline: the page runs in an ``<iframe srcdoc=...>``, so
    its script works in JupyterLab, classic notebooks and VS Code, where a plain HTML output
    would have its scripts stripped.

    Args:
        root: The value to differentiate.
        **options: Options of :func:`to_html` (``gradient``, ``rankdir``, ``number_format``,
            ``max_nodes``, ``title``, ``program``).

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


# -- recording the steps ---------------------------------------------------------------------


class _Recorder:
    """Replays the forward and backward pass of one graph and writes down every step."""

    def __init__(
        self,
        order: list[Value],
        drawn: set[int],
        names: dict[int, str],
        fmt: Callable[[float], str],
        seed: float,
    ) -> None:
        self.order = order
        self.position = {node: i for i, node in enumerate(order)}
        self.drawn = drawn
        self.names = names
        self.fmt = fmt
        self.seed = seed
        self.forward_steps = 0
        self.backward_steps = 0
        # position -> the gradient whose text is longest among those the page shows for it
        self.widest: dict[int, float] = {}

    def steps(self) -> list[Step]:
        root = self.names[len(self.order) - 1]
        steps: list[Step] = [
            {
                "phase": "start",
                "title": f"The graph that computes {root}. Press Next: first the forward pass "
                f"computes every value from its inputs, then backward() sends the gradient "
                f"∂{root}/∂(value) back to every value.",
                "lines": [],
            }
        ]
        for i, node in enumerate(self.order):
            if i in self.drawn:
                steps.append(self.forward(i, node))
                self.forward_steps += 1
        steps.extend(self.backward())
        return steps

    def forward(self, i: int, node: Value) -> Step:
        name = self.names[i]
        result = [["target", name], ["text", " = "]]
        if not node.parents:
            kind = "an input or parameter" if node.label else "a constant"
            return {
                "phase": "forward",
                "node": f"v{i}",
                "title": f"Forward: {name} is {kind}, a leaf of the graph.",
                "lines": [{"parts": [*result, ["result", self.number(node.data)]]}],
            }
        symbolic, numeric = self.formula(node)
        parts = [*result, ["symbolic", symbolic]]
        if numeric != symbolic:
            parts += [["text", " = "], ["numeric", numeric]]
        parts += [["text", " = "], ["result", self.number(node.data)]]
        inputs = ", ".join(dict.fromkeys(self.names[self.position[p]] for p in node.parents))
        return {
            "phase": "forward",
            "node": f"v{i}",
            "edges": self.edges(i),
            "sources": self.drawn_parents(node),
            "title": f"Forward: compute {name} from {inputs}.",
            "lines": [{"parts": parts}],
        }

    def backward(self) -> list[Step]:
        """The chain rule as ``Value.backward`` runs it, one step per node that sends gradient.

        The float operations are the engine's, in its order, so every number is bit for bit
        what ``backward()`` computes: gradients start at 0, the root's at the seed, and each
        node, in reverse topological order, adds ``local * grad`` to each parent's gradient,
        unless its own gradient is 0 (the engine skips such a node).
        """
        n = len(self.order)
        root = self.order[-1]
        root_name = self.names[n - 1]
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
                "node": f"v{n - 1}",
                "title": f"Backward starts at the output: {root_name}.grad = {seed} "
                f"({seed_why}). Every other gradient starts at 0.",
                "lines": [{"parts": [["target", f"{_grad_of(root_name)}"], ["text", " = "]]}],
                "grads": [[f"v{n - 1}", self.fmt(self.seed), repr(self.seed)]],
            }
        ]
        steps[0]["lines"][0]["parts"].append(["after", seed])
        self.backward_steps = 1
        for i in self.drawn:
            self.note_width(i, 0.0)
        self.note_width(n - 1, self.seed)
        for node in reversed(self.order):
            if not node.parents:
                continue
            i = self.position[node]
            name = self.names[i]
            g = grads[node]
            step: Step = {
                "phase": "backward",
                "node": f"v{i}",
                "edges": self.edges(i),
                "receivers": self.drawn_parents(node),
            }
            if g == 0.0:
                step["title"] = (
                    f"{_grad_of(name)} is 0, so {name} has nothing to pass back: "
                    "backward() skips it."
                )
                step["lines"] = []
                steps.append(step)
                self.backward_steps += 1
                continue
            step["title"] = (
                f"{name} passes its gradient back: {_grad_of(name)} = {self.number(g)} is "
                f"complete (every use of {name} is done), and each parent gets it times the "
                "local derivative written on its edge."
            )
            lines: list[dict[str, Any]] = []
            updates: dict[str, list[str]] = {}
            for parent, partial in zip(node.parents, node.partials):
                local = _plain(partial)
                before = grads[parent]
                grads[parent] += local * g  # the engine's own arithmetic, in its order
                received[parent] += 1
                p = self.position[parent]
                if p not in self.drawn:
                    continue  # a constant written inside the op's oval: not on the picture
                after = grads[parent]
                lines.append(self.chain_rule_line(i, p, local, g, before, after, received[parent]))
                updates[f"v{p}"] = [self.fmt(after), repr(after)]
                self.note_width(p, after)
            step["lines"] = lines
            step["grads"] = [[key, *shown] for key, shown in updates.items()]
            steps.append(step)
            self.backward_steps += 1
        steps.append(self.done(grads))
        return steps

    def note_width(self, i: int, grad: float) -> None:
        widest = self.widest.get(i)
        if widest is None or len(self.fmt(grad)) > len(self.fmt(widest)):
            self.widest[i] = grad

    def chain_rule_line(
        self, i: int, p: int, local: float, g: float, before: float, after: float, count: int
    ) -> dict[str, Any]:
        """``x.grad += ∂n/∂x · n.grad = (−3) · 0.5 = −1.5``, plus the running sum on reuse."""
        child, parent = self.names[i], self.names[p]
        contribution = local * g
        parts = [
            ["target", _grad_of(parent)],
            ["text", " += "],
            ["symbolic", f"∂{_wrap(child)}/∂{_wrap(parent)} · {_grad_of(child)}"],
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
                ["target", _grad_of(parent)],
                ["text", " = "],
                ["before", self.number(before)],
                ["text", " + "],
                ["contrib", self.number(contribution, wrap=True)],
                ["text", " = "],
                ["after", self.number(after)],
                ["note", f"   ({_ordinal(count)} share for {parent}: added to the {earlier})"],
            ]
        return {
            "parts": parts,
            "data": {
                "parent": f"v{p}",
                "local": repr(local),
                "upstream": repr(g),
                "contrib": repr(contribution),
                "after": repr(after),
            },
        }

    def done(self, grads: dict[Value, float]) -> Step:
        lines = []
        for i, node in enumerate(self.order):
            if i in self.drawn and not node.parents and node.label:
                lines.append(
                    {
                        "parts": [
                            ["target", _grad_of(self.names[i])],
                            ["text", " = "],
                            ["after", self.number(grads[node])],
                        ],
                        "data": {"parent": f"v{i}", "after": repr(grads[node])},
                    }
                )
        root = self.names[len(self.order) - 1]
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
        names = [self.names[self.position[p]] for p in parents]
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
        return f"{symbol}({', '.join(names + params)})", f"{symbol}({', '.join(plain + params)})"

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

    def edges(self, i: int) -> list[str]:
        """The picture's edges into node ``i``'s op and from the op to its box."""
        parents = dict.fromkeys(self.position[p] for p in self.order[i].parents)
        return [f"v{p}->op{i}" for p in parents if p in self.drawn] + [f"op{i}->v{i}"]

    def drawn_parents(self, node: Value) -> list[str]:
        positions = dict.fromkeys(self.position[p] for p in node.parents)
        return [f"v{p}" for p in positions if p in self.drawn]

    def number(self, x: float, *, wrap: bool = False) -> str:
        """A number as the panel writes it: with a true minus sign, in brackets if asked."""
        text = _minus(self.fmt(x))
        return f"({text})" if wrap and text.startswith("−") else text


def _names(order: list[Value], drawn: set[int], fmt: Callable[[float], str]) -> dict[int, str]:
    """What the page calls each value: its label, else a short name (t1, c1, out)."""
    taken = {node.label for node in order if node.label}
    counters = {"t": 0, "c": 0}

    def fresh(prefix: str) -> str:
        while True:
            counters[prefix] += 1
            name = f"{prefix}{counters[prefix]}"
            if name not in taken:
                return name

    names: dict[int, str] = {}
    last = len(order) - 1
    for i, node in enumerate(order):
        if node.label:
            names[i] = _shorten(node.label)
        elif i not in drawn:
            names[i] = _minus(fmt(node.data))  # a constant inside an oval: its value names it
        elif i == last and "out" not in taken:
            names[i] = "out"
        else:
            names[i] = fresh("t" if node.parents else "c")
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
    # text on the page with textContent only, never as markup.
    return _TEMPLATE.format(
        title=html.escape(heading, quote=True),
        heading=html.escape(heading, quote=False),
        summary=html.escape(summary, quote=False),
        css=_CSS,
        svg=svg,
        data=_json_for_script(payload),
        script=_SCRIPT,
    )


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
  var values = {}, ops = {}, edges = {}, allEdges = [];

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
    if (/^v\d+$/.test(id)) {
      var grad = textStarting(g, "grad");
      values[id] = { g: g, data: textStarting(g, "data"), grad: grad,
                     drawnGrad: grad ? grad.textContent : "" };
      g.setAttribute("data-node", id);
    } else if (/^op\d+$/.test(id)) {
      ops[id] = g;
    }
  });
  Array.prototype.forEach.call(svg.querySelectorAll("g.edge"), function (g) {
    var title = g.querySelector("title");
    var key = title ? title.textContent.trim() : "";
    if (!edges[key]) edges[key] = [];
    edges[key].push(g);
    allEdges.push({ g: g, head: key.split("->")[1] });
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

  function reveal(id) {
    var v = values[id];
    if (v) {
      v.g.classList.remove("ag-pending");
      if (v.data) v.data.style.visibility = "visible";
    }
    var op = ops["op" + id.slice(1)];
    if (op) op.classList.remove("ag-pending");
    allEdges.forEach(function (e) {
      if (e.head === "op" + id.slice(1) || e.head === id) e.g.classList.remove("ag-pending");
    });
  }

  function resetPicture() {
    Object.keys(values).forEach(function (id) {
      var v = values[id];
      v.g.classList.add("ag-pending");
      v.g.classList.remove.apply(v.g.classList, HIGHLIGHTS);
      if (v.data) v.data.style.visibility = "hidden";
      if (v.grad) {
        v.grad.textContent = v.drawnGrad;
        v.grad.style.visibility = "hidden";
        v.grad.removeAttribute("data-grad");
        v.grad.classList.remove("ag-grad-zero", "ag-grad-set", "ag-grad-new");
      }
    });
    Object.keys(ops).forEach(function (id) {
      ops[id].classList.add("ag-pending");
      ops[id].classList.remove.apply(ops[id].classList, HIGHLIGHTS);
    });
    allEdges.forEach(function (e) {
      e.g.classList.add("ag-pending");
      e.g.classList.remove.apply(e.g.classList, HIGHLIGHTS);
    });
  }

  function apply(step, isCurrent) {
    if (step.phase === "forward") reveal(step.node);
    if (step.phase === "seed") {
      Object.keys(values).forEach(function (id) { setGrad(id, "0", "0.0", "ag-grad-zero"); });
    }
    (step.grads || []).forEach(function (g) {
      setGrad(g[0], g[1], g[2], isCurrent ? "ag-grad-new" : "ag-grad-set");
    });
  }

  function addClass(ids, table, cls) {
    (ids || []).forEach(function (id) {
      var g = table[id];
      if (g) (g.g || g).classList.add(cls);
    });
  }

  function highlight(step) {
    var forward = step.phase === "forward";
    svg.classList.toggle("forward", forward);
    if (step.node) {
      addClass([step.node], values, "ag-current");
      if (step.edges) addClass(["op" + step.node.slice(1)], ops, "ag-current");
    }
    (step.edges || []).forEach(function (key) {
      (edges[key] || []).forEach(function (g) {
        g.classList.add(forward ? "ag-flow-forward" : "ag-flow");
      });
    });
    addClass(step.sources, values, "ag-source");
    addClass(step.receivers, values, "ag-receiver");
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
