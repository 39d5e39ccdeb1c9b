"""The picture of a network as a learner draws it on paper: neurons and weighted connections.

:func:`autograd_core.viz.draw_graph` draws the *computation* graph, one box per value. This
module draws the *network*: a circle per input and per neuron, in columns by layer, and a line
per weight from the neuron (or input) it reads to the neuron it feeds:

```python
import autograd_core as ag
model = ag.nn.MLP(2, [4, 4, 1], seed=0)
ag.viz.draw_network(model)                          # widths by |w|, colours by sign
ag.viz.draw_network(model, x=[0.5, -1.0])           # neurons shaded by their activation
ag.viz.draw_network(model, show="grad")             # after backward: lines by the gradient
ag.viz.draw_network(model).save("network.svg")      # .svg; .png and .pdf need matplotlib
```

How to read it:

* **A line's width grows with |w|** (from 0.5 px for 0 to 6 px for the largest |w| in the
  picture) and **its colour is the sign**: blue for positive, orange for negative, the pair of
  Okabe and Ito's palette that colour-blind readers tell apart. With ``show="grad"`` the same
  holds for each weight's gradient.
* **A neuron's fill is its activation** on the sample ``x``: white for 0, deeper blue for a
  larger positive value, deeper orange for a larger negative one, scaled per layer (a ReLU layer
  and a tanh layer have different ranges). Without ``x`` neurons are white.
* **Hovering** over a line or a circle shows its name and numbers: the weight's label
  (``L0.n3.w1``, the same as in the computation graph), its value and gradient; a neuron's label,
  bias, activation function and activation.

Every picture is bounded: a layer of more than :data:`MAX_COLUMN` neurons (or a model with more
inputs than that) is drawn as a band with its count, and its weights as one line per neuron on
the other side, whose width is their mean |w|. So a 64-input digits classifier is drawn with as
many lines as a 16-input one.

The picture is SVG written here, without Graphviz or matplotlib: the columns need no layout
program, and the same numbers (positions, widths, colours) are drawn by matplotlib for the frames
of :class:`autograd_core.plot.LiveTraining`. All text is escaped as in the graph pictures.
"""

from __future__ import annotations

import html
import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autograd_core._checks import choice, real
from autograd_core.checkpoint import write_atomically
from autograd_core.engine import Value, no_grad
from autograd_core.nn import MLP, Layer, Module, Neuron

__all__ = ["draw_network", "NetworkDrawing", "MAX_COLUMN", "POSITIVE", "NEGATIVE"]

MAX_COLUMN = 32
"""A column of more circles than this is drawn as a band with its count."""

POSITIVE = "#0072B2"
"""The colour of a positive weight (or gradient, or activation): Okabe and Ito's blue."""

NEGATIVE = "#D55E00"
"""The colour of a negative one: Okabe and Ito's vermilion, told apart from the blue by
readers with any common colour-vision deficiency."""

SHOW = ("weight", "grad")
"""What ``draw_network(show=...)`` draws the lines by."""

# Geometry, in CSS px.
_RADIUS = 9.0
_ROW = 26.0  # from one circle's centre to the next in a column
_COLUMN_GAP = 150.0
_MARGIN = 60.0  # left and right: room for the column titles
_HEADER = 44.0  # the column titles above the circles, two lines
_FOOTER = 40.0  # a band's count and the legend under the circles
_BAND_ROWS = 8  # a band is as tall as this many circles
_MIN_WIDTH = 0.5
_MAX_WIDTH = 6.0
_MIXED = "#8C8C8C"  # a line that stands for weights of both signs, or for a NaN


@dataclass(frozen=True)
class _Node:
    x: float
    y: float
    fill: str
    tooltip: str
    kind: str  # "input" or "neuron"


@dataclass(frozen=True)
class _Band:
    x: float
    top: float
    bottom: float
    text: str
    tooltip: str


@dataclass(frozen=True)
class _Edge:
    x1: float
    y1: float
    x2: float
    y2: float
    width: float
    colour: str
    tooltip: str


@dataclass
class _Picture:
    """Everything drawn, in drawing order: the SVG writer and matplotlib read the same numbers."""

    width: float
    height: float
    titles: list[tuple[float, str, str]] = field(default_factory=list)
    edges: list[_Edge] = field(default_factory=list)
    nodes: list[_Node] = field(default_factory=list)
    bands: list[_Band] = field(default_factory=list)
    legend: str = ""


class NetworkDrawing:
    """The picture of a network: shows itself in Jupyter; ``svg()`` and ``save(path)``.

    Example:
        >>> import autograd_core as ag
        >>> drawing = ag.viz.draw_network(ag.nn.MLP(2, [3, 1], seed=0))
        >>> drawing
        <NetworkDrawing: network 2 → 3 → 1, 9 weights>
        >>> drawing.svg().count("<circle")
        6
    """

    def __init__(self, picture: _Picture, description: str) -> None:
        self._picture = picture
        self.description = description
        self._svg: str | None = None

    def svg(self) -> str:
        """The picture as an SVG document.

        Example:
            >>> import autograd_core as ag
            >>> ag.viz.draw_network(ag.nn.Neuron(2, seed=0)).svg().startswith("<svg")
            True
        """
        if self._svg is None:
            self._svg = _write_svg(self._picture, self.description)
        return self._svg

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the picture to ``path``; the extension picks the format.

        ``.svg`` is the SVG text; ``.png`` and ``.pdf`` are drawn by matplotlib (the ``plot``
        extra) from the same positions, widths and colours. The file is written whole or not
        at all (a temporary file renamed over ``path``), as :func:`autograd_core.viz.save_graph`
        does.

        Args:
            path: Where to write: ``….svg``, ``….png`` or ``….pdf``.

        Returns:
            The path written.

        Raises:
            ValueError: The extension is none of those.

        Example:
            >>> import pathlib, tempfile
            >>> import autograd_core as ag
            >>> path = pathlib.Path(tempfile.mkdtemp()) / "net.svg"
            >>> ag.viz.draw_network(ag.nn.MLP(2, [3, 1], seed=0)).save(path).suffix
            '.svg'
        """
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix == ".svg":
            return write_atomically(path, self.svg())
        if suffix in (".png", ".pdf"):
            from autograd_core import live  # matplotlib: the plot extra

            return write_atomically(path, live.network_image(self._picture, suffix[1:]))
        raise ValueError(
            f"NetworkDrawing.save: cannot tell the format from {path.name!r}; "
            "use .svg, .png or .pdf"
        )

    def __repr__(self) -> str:
        return f"<NetworkDrawing: {self.description}>"

    def _repr_html_(self) -> str:
        from autograd_core import viz  # viz re-exports this module: import it on use

        return viz._framed(self.svg(), self.description, "")

    def _repr_mimebundle_(
        self, include: Iterable[str] | None = None, exclude: Iterable[str] | None = None, **_: Any
    ) -> dict[str, str]:
        # As GraphDrawing: the SVG as an <img> in HTML (shown also in an untrusted notebook,
        # runs nothing whatever the labels say) and a sentence for a text-only front end.
        wanted = {"text/html", "text/plain"} if include is None else set(include)
        wanted -= set(exclude or ())
        bundle: dict[str, str] = {}
        if "text/html" in wanted:
            bundle["text/html"] = self._repr_html_()
        if "text/plain" in wanted:
            bundle["text/plain"] = f"{self.description} — run the cell to see it"
        return bundle


def draw_network(
    model: Module, x: Sequence[Any] | None = None, *, show: str = "weight"
) -> NetworkDrawing:
    """The network as a learner draws it: circles for inputs and neurons, a line per weight.

    Columns are the inputs and then each layer; a line's width grows with |w| and its colour is
    the weight's sign (blue positive, orange negative). Hover for names and numbers. See the
    module docstring for how to read it, and for the bands that stand for wide layers.

    Args:
        model: An ``nn.MLP``, ``nn.Layer`` or ``nn.Neuron``.
        x: Optional sample (one number per input): each circle is then shaded by its value on
            it, the inputs by ``x`` itself.
        show: ``"weight"`` (default) draws the lines by the weights, ``"grad"`` by their
            gradients (after ``backward``).

    Returns:
        A :class:`NetworkDrawing`: shown as a picture in Jupyter, ``.svg()`` for the text,
        ``.save("net.svg")`` for a file.

    Raises:
        TypeError: ``model`` is not an MLP, Layer or Neuron, or ``x`` holds something other
            than numbers.
        ValueError: ``x`` does not have one number per input, or ``show`` is unknown.

    Example:
        >>> import autograd_core as ag
        >>> model = ag.nn.MLP(2, [4, 1], seed=0)
        >>> svg = ag.viz.draw_network(model, x=[0.5, -1.0]).svg()
        >>> svg.count('class="edge"'), svg.count("<circle")
        (12, 7)
        >>> loss = model([0.5, -1.0]) ** 2
        >>> loss.backward()
        >>> "gradient" in ag.viz.draw_network(model, show="grad").svg()
        True
    """
    structure = _structure(model, "draw_network")
    show = choice(show, "show", "draw_network", SHOW)
    activations = None if x is None else _activations(model, structure, x)
    numbers = _numbers(structure, "grad" if show == "grad" else "data")
    picture = _layout(structure, numbers, activations, show)
    return NetworkDrawing(picture, _describe(structure))


# -- the model's structure and numbers -----------------------------------------------------------


@dataclass(frozen=True)
class _Structure:
    """What the picture needs to know of a model: sizes, activations, labels, parameters."""

    nin: int
    layers: list[tuple[list[Neuron], str]]

    @property
    def sizes(self) -> list[int]:
        return [self.nin, *(len(neurons) for neurons, _ in self.layers)]


def _structure(model: Any, where: str) -> _Structure:
    """The layers of an MLP, Layer or Neuron; a ``TypeError`` naming ``where`` otherwise."""
    if isinstance(model, MLP):
        layers = [(layer.neurons, layer.activation) for layer in model.layers]
    elif isinstance(model, Layer):
        layers = [(model.neurons, model.activation)]
    elif isinstance(model, Neuron):
        layers = [([model], model.activation)]
    else:
        raise TypeError(
            f"{where}: model must be an nn.MLP, nn.Layer or nn.Neuron (a network of neurons in "
            f"layers), got {type(model).__name__}"
        )
    return _Structure(nin=len(layers[0][0][0].w), layers=layers)


def layer_numbers(model: Module, attribute: str = "data") -> list[list[list[float]]]:
    """Each neuron's weights and then its bias (``attribute`` of each: ``data`` or ``grad``),
    layer by layer: the numbers a frame of the picture is drawn from.

    Example:
        >>> from autograd_core import nn
        >>> from autograd_core.network import layer_numbers
        >>> neuron = nn.Neuron(2, seed=0)
        >>> neuron.load_state_dict({"w.0": 1.0, "w.1": -2.0, "b": 0.5})
        >>> layer_numbers(neuron)
        [[[1.0, -2.0, 0.5]]]
    """
    return _numbers(_structure(model, "layer_numbers"), attribute)


def _numbers(structure: _Structure, attribute: str) -> list[list[list[float]]]:
    return [
        [[float(getattr(p, attribute)) for p in (*n.w, n.b)] for n in neurons]
        for neurons, _ in structure.layers
    ]


def _activations(model: Module, structure: _Structure, x: Sequence[Any]) -> list[list[float]]:
    """The inputs and every neuron's output on ``x``, column by column (no graph is kept)."""
    if isinstance(x, (str, bytes)) or not isinstance(x, Sequence):
        raise TypeError(f"draw_network: x must be a list of numbers, got {type(x).__name__}")
    if len(x) != structure.nin:
        raise ValueError(
            f"draw_network: x must have {structure.nin} numbers (one per input of the model), "
            f"got {len(x)}"
        )
    current = [
        v.data if isinstance(v, Value) else real(v, f"x[{i}]", "draw_network", finite=False)
        for i, v in enumerate(x)
    ]
    columns = [current]
    with no_grad():
        for neurons, _ in structure.layers:
            current = [n(current).data for n in neurons]
            columns.append(current)
    return columns


def _describe(structure: _Structure) -> str:
    weights = sum(len(neurons) * len(neurons[0].w) for neurons, _ in structure.layers)
    return f"network {' → '.join(map(str, structure.sizes))}, {weights} weights"


# -- the layout ----------------------------------------------------------------------------------


def _layout(
    structure: _Structure,
    numbers: list[list[list[float]]],
    activations: list[list[float]] | None,
    show: str = "weight",
) -> _Picture:
    """Where everything goes and how it looks, for these numbers (weights or gradients)."""
    sizes = structure.sizes
    rows = max(_BAND_ROWS if n > MAX_COLUMN else n for n in sizes)
    inner = rows * _ROW
    # at least as wide as the legend
    width = max(2 * _MARGIN + 2 * _RADIUS + _COLUMN_GAP * (len(sizes) - 1), 440.0)
    picture = _Picture(width=width, height=_HEADER + inner + _FOOTER)
    # One anchor per circle (or one per band): (x, y) of each column's entries.
    anchors: list[list[tuple[float, float]]] = []
    for c, n in enumerate(sizes):
        x = _MARGIN + _RADIUS + c * _COLUMN_GAP
        picture.titles.append((x, *_column_title(structure, c)))
        if n > MAX_COLUMN:
            top = _HEADER + (inner - _BAND_ROWS * _ROW) / 2 + 4
            bottom = top + _BAND_ROWS * _ROW - 8
            anchors.append([(x, (top + bottom) / 2)])
        else:
            top = _HEADER + (inner - n * _ROW) / 2 + _ROW / 2
            anchors.append([(x, top + i * _ROW) for i in range(n)])
    scale = _largest(w for layer in numbers for neuron in layer for w in neuron[:-1])
    for c, layer in enumerate(numbers):
        neurons, _ = structure.layers[c]
        bands = (sizes[c] > MAX_COLUMN, sizes[c + 1] > MAX_COLUMN)
        picture.edges.extend(_edges(anchors[c], anchors[c + 1], neurons, layer, scale, show, bands))
    for c, n in enumerate(sizes):
        values = None if activations is None else activations[c]
        if n > MAX_COLUMN:
            x, y = anchors[c][0]
            half = _BAND_ROWS * _ROW / 2 - 4
            what = "inputs" if c == 0 else "neurons"
            picture.bands.append(
                _Band(x, y - half, y + half, f"{n} {what}", _band_tooltip(c, n, what, values))
            )
            continue
        spread = _largest(values) if values is not None else 0.0
        for i, (x, y) in enumerate(anchors[c]):
            value = None if values is None else values[i]
            picture.nodes.append(
                _Node(
                    x,
                    y,
                    _fill(value, spread),
                    _node_tooltip(structure, numbers, c, i, value),
                    "input" if c == 0 else "neuron",
                )
            )
    shown = "gradient" if show == "grad" else "weight"
    picture.legend = f"line width: |{shown}|, blue: positive, orange: negative" + (
        "; circle: activation on x" if activations is not None else ""
    )
    return picture


def _edges(
    sources: list[tuple[float, float]],
    targets: list[tuple[float, float]],
    neurons: list[Neuron],
    layer: list[list[float]],
    scale: float,
    show: str,
    bands: tuple[bool, bool],
) -> list[_Edge]:
    """The lines from one column to the next: one per weight, or one per circle facing a band."""
    what = "gradient" if show == "grad" else "weight"
    edges = []
    if any(bands):
        # a band on one side (or both): one line per circle on the other side, by mean |w|
        for s, (x1, y1) in enumerate(sources):
            for t, (x2, y2) in enumerate(targets):
                block = _block(layer, s, t, *bands)
                mean = sum(abs(w) for w in block) / len(block)
                positive = sum(1 for w in block if w > 0)
                negative = sum(1 for w in block if w < 0)
                colour = (
                    POSITIVE
                    if negative == 0 < positive
                    else (NEGATIVE if positive == 0 < negative else _MIXED)
                )
                tooltip = (
                    f"{len(block)} {what}s: mean |{what}| {_number(mean)}, "
                    f"{positive} positive, {negative} negative"
                )
                edges.append(_Edge(x1, y1, x2, y2, _width(mean, scale), colour, tooltip))
        return edges
    for t, (x2, y2) in enumerate(targets):
        neuron = neurons[t]
        for s, (x1, y1) in enumerate(sources):
            w = layer[t][s]
            label = neuron.w[s].label
            if show == "grad":
                tooltip = f"{label}: gradient {_number(w)} (weight {_number(neuron.w[s].data)})"
            else:
                tooltip = f"{label} = {_number(w)} (gradient {_number(neuron.w[s].grad)})"
            colour = POSITIVE if w > 0 else NEGATIVE if w < 0 else _MIXED
            edges.append(_Edge(x1, y1, x2, y2, _width(abs(w), scale), colour, tooltip))
    return edges


def _block(layer: list[list[float]], s: int, t: int, band_in: bool, band_out: bool) -> list[float]:
    """The weights one line stands for: from input ``s`` to neuron ``t``, a band on either side
    standing for all of its entries."""
    rows = range(len(layer)) if band_out else [t]
    columns = range(len(layer[0]) - 1) if band_in else [s]
    return [layer[r][c] for r in rows for c in columns]


def _largest(values: Iterable[float] | None) -> float:
    """The largest finite |value| (0 when there is none)."""
    if values is None:
        return 0.0
    return max((abs(v) for v in values if math.isfinite(v)), default=0.0)


def _width(magnitude: float, scale: float) -> float:
    if math.isnan(magnitude):
        return _MIN_WIDTH
    if scale <= 0.0:
        return _MIN_WIDTH
    share = min(magnitude / scale, 1.0)
    return round(_MIN_WIDTH + (_MAX_WIDTH - _MIN_WIDTH) * share, 3)


def _fill(value: float | None, spread: float) -> str:
    """White for no value or 0; towards blue (positive) or orange (negative) with |value|."""
    if value is None or math.isnan(value) or value == 0.0 or spread <= 0.0:
        return "#FFFFFF"
    share = min(abs(value) / spread, 1.0)
    colour = POSITIVE if value > 0 else NEGATIVE
    channels = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    mixed = [round(255 + (c - 255) * share) for c in channels]
    return "#" + "".join(f"{c:02X}" for c in mixed)


def _column_title(structure: _Structure, c: int) -> tuple[str, str]:
    """The two lines above column ``c``: what it is, and its size (and activation)."""
    n = structure.sizes[c]
    if c == 0:
        return "inputs", str(n)
    _, activation = structure.layers[c - 1]
    name = "output" if c == len(structure.sizes) - 1 else f"layer {c}"
    return name, f"{n}, {activation}"


def _node_tooltip(
    structure: _Structure,
    numbers: list[list[list[float]]],
    c: int,
    i: int,
    value: float | None,
) -> str:
    shown = "" if value is None else f": {_number(value)}"
    if c == 0:
        return f"input x{i}{shown}"
    neurons, activation = structure.layers[c - 1]
    bias = neurons[i].b
    name = bias.label[:-2] if bias.label.endswith(".b") else f"neuron {i}"
    return f"{name} ({activation}){shown}, bias {bias.label} = {_number(bias.data)}"


def _band_tooltip(c: int, n: int, what: str, values: list[float] | None) -> str:
    text = f"{n} {what}, drawn as a band (more than {MAX_COLUMN})"
    if values:
        text += f"; values from {_number(min(values))} to {_number(max(values))}"
    return text


def _number(x: float) -> str:
    return f"{x:.4g}"


# -- the SVG -------------------------------------------------------------------------------------


def _write_svg(picture: _Picture, description: str) -> str:
    """The SVG text of ``picture``: every text escaped, every number written by this module."""
    w, h = picture.width, picture.height
    lines = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w:.0f}" height="{h:.0f}" '
        f'viewBox="0 0 {w:.1f} {h:.1f}" font-family="Helvetica, Arial, sans-serif" '
        'font-size="12">',
        f"<title>{_text(description)}</title>",
        f'<rect width="{w:.1f}" height="{h:.1f}" fill="#FFFFFF"/>',
        '<g class="titles" text-anchor="middle" fill="#333333">',
    ]
    for x, title, subtitle in picture.titles:
        lines.append(
            f'<text x="{x:.1f}" y="14">{_text(title)}</text>'
            f'<text x="{x:.1f}" y="28" font-size="11" fill="#666666">{_text(subtitle)}</text>'
        )
    lines.append('</g>\n<g class="edges" stroke-linecap="round" stroke-opacity="0.75">')
    for e in picture.edges:
        lines.append(
            f'<line class="edge" x1="{e.x1:.1f}" y1="{e.y1:.1f}" x2="{e.x2:.1f}" '
            f'y2="{e.y2:.1f}" stroke="{e.colour}" stroke-width="{e.width}">'
            f"<title>{_text(e.tooltip)}</title></line>"
        )
    lines.append('</g>\n<g class="neurons" stroke="#555555" stroke-width="1.2">')
    for band in picture.bands:
        lines.append(
            f'<g class="band"><rect x="{band.x - _RADIUS:.1f}" y="{band.top:.1f}" '
            f'width="{2 * _RADIUS:.1f}" height="{band.bottom - band.top:.1f}" rx="{_RADIUS:.1f}" '
            f'fill="#F2F2F2"/><text x="{band.x:.1f}" y="{band.bottom + 14:.1f}" '
            'text-anchor="middle" stroke="none" fill="#333333" font-size="11">'
            f"{_text(band.text)}</text><title>{_text(band.tooltip)}</title></g>"
        )
    for node in picture.nodes:
        lines.append(
            f'<circle class="{node.kind}" cx="{node.x:.1f}" cy="{node.y:.1f}" r="{_RADIUS}" '
            f'fill="{node.fill}"><title>{_text(node.tooltip)}</title></circle>'
        )
    lines.append("</g>")
    lines.append(
        f'<text class="legend" x="8" y="{h - 10:.1f}" fill="#555555" '
        f'font-size="11">{_text(picture.legend)}</text>'
    )
    lines.append("</svg>")
    return "\n".join(lines) + "\n"


def _text(text: str) -> str:
    """``text`` for SVG: unsafe characters as Python escapes (as in the graph pictures), then
    ``&<>"'`` as entities."""
    from autograd_core import viz  # viz re-exports this module: import it on use

    return html.escape(viz._printable(text), quote=True)
