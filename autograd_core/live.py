"""Watch a network learn: one picture kept up to date while ``fit`` trains, and its animation.

```python
import autograd_core as ag
X, y = ag.data.make_moons(100, noise=0.1, seed=1)
model = ag.nn.MLP(2, [16, 16, 1], seed=0)
live = ag.plot.LiveTraining(model, X, y)
ag.training.fit(model, X, y, epochs=40, lr=0.5, on_epoch=live)   # or fit(..., live=True)
live.save("training.gif")                                         # or "training.html"
```

Each frame shows, side by side, the loss (and accuracy) so far; for a model with two inputs
the plane coloured by the class the model gives each point, with the data on it; and the
network (:func:`autograd_core.viz.draw_network`'s picture: line widths by |w|, blue positive,
orange negative).

In Jupyter the picture is one output of the cell, replaced in place through a display handle
(a PNG, so no widget and no JavaScript is needed). Elsewhere nothing is drawn during training:
the frames are only recorded.

Watching costs at most about the training time itself. Recording a frame copies the model's
weights (337 numbers for a 2-16-16-1 MLP: microseconds); frames are drawn only when shown and
when saved. The picture in Jupyter is redrawn at most ``fps`` times a second, and never sooner
after a drawing than that drawing took, so drawing takes at most half of the wall-clock time;
epochs in between are skipped by the display (the recording keeps them). Measured on the
project's 2-core machine: a frame takes about 60 ms to draw; 40 epochs of the moons demo
(``MLP(2, [16, 16, 1])``, 100 points) train in 0.6 s, and with ``live=True`` and the GIF
saved, in a few seconds.

A long training keeps at most ``2 × max_frames`` frames: past that, every other one is dropped
and from then on only every other epoch is recorded, so memory stays bounded; the animation
shows ``max_frames`` of them, evenly spaced, always with the last one.
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# plot has checked that matplotlib (and numpy, which it brings) are there
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection, PatchCollection
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Circle, FancyBboxPatch
from matplotlib.ticker import MaxNLocator

from autograd_core import network, plot
from autograd_core._checks import integer, real
from autograd_core.checkpoint import write_atomically
from autograd_core.nn import Module

__all__ = ["LiveTraining"]

_DPI = 80
_HEIGHT = 3.4  # inches, at _DPI: 272 px
_GRID = 70  # points per side of the decision-boundary picture
_SAVED = (".gif", ".html", ".htm")


@dataclass(frozen=True)
class _Frame:
    epoch: int  # epochs trained when it was recorded (from 1)
    numbers: list[list[list[float]]]  # each neuron's weights and bias, layer by layer


class LiveTraining:
    """A callback for ``fit(on_epoch=...)`` that shows training as it happens and records it.

    Args:
        model: The ``nn.MLP``, ``nn.Layer`` or ``nn.Neuron`` being trained.
        X: The training inputs (for a model with two inputs, drawn under its decision regions).
        y: Their targets: class labels are drawn by colour; numbers (regression) are not drawn.
        every: Record a frame every this many epochs (the last epoch is always recorded).
        fps: At most this many redraws a second in Jupyter.
        max_frames: Frames the animation shows at most (see the module docstring).
        display: Show the picture during training: ``None`` (default) in Jupyter only,
            ``False`` never, ``True`` always (through ``IPython.display``).

    Attributes:
        loss: The loss of every epoch seen, across calls of ``fit``.
        accuracy: The accuracy of every epoch seen (empty for a loss without one).
        updates: How many times the picture in Jupyter was drawn.

    Example:
        >>> from autograd_core import data, nn, plot, training
        >>> X, y = data.make_moons(30, seed=0)
        >>> model = nn.MLP(2, [4, 1], seed=0)
        >>> live = plot.LiveTraining(model, X, y, every=2)
        >>> history = training.fit(model, X, y, epochs=5, on_epoch=live, progress=False)
        >>> live.epochs
        [2, 4, 5]
        >>> live
        <LiveTraining: 3 frames of epochs 2 to 5>
    """

    def __init__(
        self,
        model: Module,
        X: Sequence[Sequence[float]],  # noqa: N803 - X and y, as in every ML text
        y: Sequence[Any],
        every: int = 1,
        *,
        fps: float = 4.0,
        max_frames: int = 100,
        display: bool | None = None,
    ) -> None:
        self.model = model
        self._structure = network._structure(model, "LiveTraining")
        self.every = integer(every, "every", "LiveTraining", minimum=1)
        self.fps = real(fps, "fps", "LiveTraining", minimum=0.0, exclusive_minimum=True)
        self.max_frames = integer(max_frames, "max_frames", "LiveTraining", minimum=2)
        if display is not None and not isinstance(display, bool):
            raise TypeError(f"LiveTraining: display must be True, False or None, got {display!r}")
        self._points, self._labels = _checked_data(X, y, self._structure.nin)
        self._display = display
        self.loss: list[float] = []
        self.accuracy: list[float] = []
        self.updates = 0
        self._frames: list[_Frame] = []
        self._stride = 1  # record every every·stride epochs (doubles as frames are thinned)
        self._seen = 0
        self._canvas: _Canvas | None = None
        self._handle: Any = None
        self._shown_at = -math.inf
        self._drawing_took = 0.0

    @property
    def epochs(self) -> list[int]:
        """The epochs (counted from 1 across calls of ``fit``) of the frames recorded.

        Example:
            >>> from autograd_core import nn, plot
            >>> plot.LiveTraining(nn.Neuron(2, seed=0), [[0.0, 1.0]], [1]).epochs
            []
        """
        return [frame.epoch for frame in self._frames]

    def __call__(self, epoch: int, history: Any) -> None:
        self._seen += 1
        if history.loss:
            self.loss.append(float(history.loss[-1]))
        if history.accuracy and len(history.accuracy) == len(history.loss):
            self.accuracy.append(float(history.accuracy[-1]))
        if self._seen % (self.every * self._stride) == 0:
            self._record()
        if self._showing() and time.monotonic() - self._shown_at >= self._interval():
            self._show()

    def close(self) -> None:
        """Record the last epoch if it was skipped, and show the final picture.

        ``fit`` calls it when training ends (also after an error); call it yourself after a
        loop of your own. The next training after it gets a new picture in Jupyter.

        Example:
            >>> from autograd_core import data, nn, plot
            >>> X, y = data.make_xor()
            >>> live = plot.LiveTraining(nn.MLP(2, [3, 1], seed=0), X, y, every=10)
            >>> live.close()  # nothing trained yet: nothing recorded
            >>> live.epochs
            []
        """
        if self._seen and (not self._frames or self._frames[-1].epoch != self._seen):
            self._record()
        if self._showing() and self._seen:
            self._show()
        self._handle = None

    def frame(self, index: int = -1) -> Any:
        """A recorded frame as an image: an array of shape (height, width, 3) of ``uint8``.

        Args:
            index: Which frame, as in a list (``-1``: the last).

        Returns:
            The RGB pixels.

        Example:
            >>> from autograd_core import data, nn, plot, training
            >>> X, y = data.make_moons(20, seed=0)
            >>> model = nn.MLP(2, [3, 1], seed=0)
            >>> live = plot.LiveTraining(model, X, y)
            >>> _ = training.fit(model, X, y, epochs=2, on_epoch=live, progress=False)
            >>> live.frame().shape[2], live.frame().dtype.name
            (3, 'uint8')
        """
        if not self._frames:
            raise ValueError("LiveTraining.frame: no frame recorded yet; train with it first")
        chosen = self._frames[index]
        return self._draw(chosen, whole_run=True)

    def save(self, path: str | os.PathLike[str], *, fps: float = 8.0) -> Path:
        """Write the animation of the recorded frames: ``.gif``, or ``.html`` (a player).

        The GIF loops and holds its last frame for two seconds. The HTML page is self-contained
        (the frames as PNG images inside it) with play/pause and a slider, and runs offline.
        The file is written whole or not at all, as the other pictures are.

        Args:
            path: Where to write; the extension picks the format.
            fps: Frames per second of the animation.

        Returns:
            The path written.

        Raises:
            ValueError: Nothing was recorded yet, or the extension is neither.

        Example:
            >>> import pathlib, tempfile
            >>> from autograd_core import data, nn, plot, training
            >>> X, y = data.make_moons(20, seed=0)
            >>> model = nn.MLP(2, [3, 1], seed=0)
            >>> live = plot.LiveTraining(model, X, y)
            >>> _ = training.fit(model, X, y, epochs=3, on_epoch=live, progress=False)
            >>> live.save(pathlib.Path(tempfile.mkdtemp()) / "training.gif").suffix
            '.gif'
        """
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix not in _SAVED:
            raise ValueError(
                f"LiveTraining.save: cannot tell the format from {path.name!r}; use .gif or .html"
            )
        fps = real(fps, "fps", "LiveTraining.save", minimum=0.0, exclusive_minimum=True)
        if not self._frames:
            raise ValueError(
                "LiveTraining.save: no frame recorded yet; pass it to fit(on_epoch=...) first"
            )
        frames = self._chosen_frames()
        images = [self._draw(frame, whole_run=True) for frame in frames]
        if suffix == ".gif":
            return write_atomically(path, _gif(images, fps))
        epochs = [frame.epoch for frame in frames]
        return write_atomically(path, _player(images, epochs, fps))

    def to_gif(self, fps: float = 8.0) -> bytes:
        """The animation as GIF bytes (what :meth:`save` writes to a ``.gif``).

        Args:
            fps: Frames per second.

        Returns:
            The GIF file's bytes.

        Example:
            >>> from autograd_core import data, nn, plot, training
            >>> X, y = data.make_xor()
            >>> model = nn.MLP(2, [3, 1], seed=0)
            >>> live = plot.LiveTraining(model, X, y)
            >>> _ = training.fit(model, X, y, epochs=2, on_epoch=live, progress=False)
            >>> live.to_gif()[:6]
            b'GIF89a'
        """
        fps = real(fps, "fps", "LiveTraining.to_gif", minimum=0.0, exclusive_minimum=True)
        if not self._frames:
            raise ValueError("LiveTraining.to_gif: no frame recorded yet; train with it first")
        return _gif([self._draw(f, whole_run=True) for f in self._chosen_frames()], fps)

    def __repr__(self) -> str:
        if not self._frames:
            return "<LiveTraining: no frames yet>"
        first, last = self._frames[0].epoch, self._frames[-1].epoch
        return f"<LiveTraining: {len(self._frames)} frames of epochs {first} to {last}>"

    def _repr_html_(self) -> str:
        # The animation as an <img> of the GIF: it plays in a notebook that is not trusted and
        # on the docs site too (no script), and runs nothing whatever the data.
        if not self._frames:
            return "<p>LiveTraining: no frames yet</p>"
        data = base64.b64encode(self.to_gif()).decode("ascii")
        return (
            f'<img src="data:image/gif;base64,{data}" alt="{html.escape(repr(self), quote=True)}" '
            'style="max-width:100%;height:auto">'
        )

    # -- recording and showing -----------------------------------------------------------------

    def _record(self) -> None:
        numbers = network._numbers(self._structure, "data")
        self._frames.append(_Frame(self._seen, numbers))
        if len(self._frames) > 2 * self.max_frames:
            # keep every other frame, ending with the newest, and record half as often
            self._frames = self._frames[len(self._frames) % 2 :: 2]
            self._stride *= 2

    def _showing(self) -> bool:
        if self._display is None:
            from autograd_core.training import _in_notebook

            return _in_notebook()
        return self._display

    def _interval(self) -> float:
        # at most fps redraws a second, and never more than half of the time spent drawing
        return max(1.0 / self.fps, self._drawing_took)

    def _show(self) -> None:
        import IPython.display  # present in every Jupyter kernel

        display: Any = IPython.display.display
        started = time.monotonic()
        recorded = self._frames[-1] if self._frames else None
        if recorded is not None and recorded.epoch == self._seen:
            now = recorded  # (recorded this epoch already: the same numbers)
        else:
            now = _Frame(self._seen, network._numbers(self._structure, "data"))
        bundle = {
            "image/png": base64.b64encode(_png(self._draw(now, whole_run=False))).decode(),
            "text/plain": self._caption(now),
        }
        if self._handle is None:
            self._handle = display(bundle, raw=True, display_id=True)
        else:
            self._handle.update(bundle, raw=True)
        self.updates += 1
        self._shown_at = time.monotonic()
        self._drawing_took = self._shown_at - started

    def _chosen_frames(self) -> list[_Frame]:
        """At most ``max_frames`` recorded frames, evenly spaced, the first and last among them."""
        n = len(self._frames)
        if n <= self.max_frames:
            return list(self._frames)
        m = self.max_frames
        return [self._frames[round(i * (n - 1) / (m - 1))] for i in range(m)]

    def _caption(self, frame: _Frame) -> str:
        text = f"epoch {frame.epoch}"
        if frame.epoch <= len(self.loss):
            text += f", loss {self.loss[frame.epoch - 1]:.4g}"
        if frame.epoch <= len(self.accuracy):
            text += f", accuracy {self.accuracy[frame.epoch - 1]:.0%}"
        return text

    def _draw(self, frame: _Frame, whole_run: bool) -> Any:
        if self._canvas is None:
            self._canvas = _Canvas(self._structure, self._points, self._labels)
        # an animation keeps its axes still: the whole run's epochs and largest loss
        until = len(self.loss) if whole_run else None
        return self._canvas.draw(frame, self.loss, self.accuracy, self._caption(frame), until)


def network_image(picture: network._Picture, fmt: str) -> bytes:
    """``picture`` (of :mod:`autograd_core.network`) drawn by matplotlib as PNG or PDF bytes.

    Example:
        >>> import autograd_core as ag
        >>> from autograd_core import live
        >>> drawing = ag.viz.draw_network(ag.nn.MLP(2, [3, 1], seed=0))
        >>> live.network_image(drawing._picture, "png")[:4]
        b'\\x89PNG'
    """
    scale = 1.0 / 96  # inches per CSS px
    fig = Figure(figsize=(picture.width * scale, picture.height * scale), dpi=96)
    ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    _NetworkArtists(ax, picture, px_to_points=72 / 96, with_text=True)
    buffer = io.BytesIO()
    fig.savefig(buffer, format=fmt, dpi=96)
    return buffer.getvalue()


# -- drawing a frame -------------------------------------------------------------------------------


class _NetworkArtists:
    """The network picture in matplotlib axes: its lines can be restyled for the next frame."""

    def __init__(self, ax: Any, picture: network._Picture, px_to_points: float, with_text: bool):
        self.px_to_points = px_to_points
        ax.set_xlim(0, picture.width)
        ax.set_ylim(picture.height, 0)  # SVG's y grows downwards
        ax.set_aspect("equal")
        ax.axis("off")
        self.lines = LineCollection(
            [((e.x1, e.y1), (e.x2, e.y2)) for e in picture.edges],
            capstyle="round",
            alpha=0.75,
            zorder=1,
        )
        ax.add_collection(self.lines)
        self.restyle(picture)
        shapes: list[Any] = [Circle((n.x, n.y), network._RADIUS) for n in picture.nodes]
        shapes += [
            FancyBboxPatch(
                (b.x - network._RADIUS, b.top),
                2 * network._RADIUS,
                b.bottom - b.top,
                boxstyle=f"round,pad=0,rounding_size={network._RADIUS}",
            )
            for b in picture.bands
        ]
        fills = [n.fill for n in picture.nodes] + ["#F2F2F2"] * len(picture.bands)
        ax.add_collection(
            PatchCollection(
                shapes, facecolors=fills, edgecolors="#555555", linewidths=0.8, zorder=2
            )
        )
        # a frame of LiveTraining is small: one line per column, no legend
        for x, title, subtitle in picture.titles:
            shown = f"{title}\n{subtitle}" if with_text else title
            ax.text(x, 20, shown, ha="center", va="center", fontsize=8, color="#333333")
        for b in picture.bands:
            ax.text(b.x, b.bottom + 12, b.text, ha="center", va="center", fontsize=7)
        if with_text:
            ax.text(8, picture.height - 10, picture.legend, fontsize=7, color="#555555")

    def restyle(self, picture: network._Picture) -> None:
        self.lines.set_linewidth([e.width * self.px_to_points for e in picture.edges])
        self.lines.set_color([e.colour for e in picture.edges])


class _Canvas:
    """One matplotlib figure, made once and redrawn for each frame (about 60 ms a frame)."""

    def __init__(self, structure: network._Structure, points: Any, labels: list[int] | None):
        self.structure = structure
        boundary = structure.nin == 2 and labels is not None
        empty = network._layout(structure, network._numbers(structure, "data"), None)
        # the network panel is as tall as the frame (its column titles are inside it)
        net_width = 0.92 * _HEIGHT * empty.width / empty.height  # inches
        widths = [3.2, *([2.8] if boundary else []), min(max(net_width, 2.0), 6.0)]
        self.fig = Figure(figsize=(sum(widths), _HEIGHT), dpi=_DPI)
        FigureCanvasAgg(self.fig)
        gs = self.fig.add_gridspec(1, len(widths), width_ratios=widths, wspace=0.25)
        self.fig.subplots_adjust(left=0.05, right=0.99, bottom=0.15, top=0.84)
        self.title = self.fig.suptitle("", fontsize=11, x=0.02, ha="left")
        self.ax_loss = self.fig.add_subplot(gs[0, 0])
        self.ax_loss.set_xlabel("epoch", fontsize=8)
        self.ax_loss.set_ylabel("loss", fontsize=8, color=plot._POINT_COLOURS[0])
        self.ax_loss.tick_params(labelsize=7)
        # few ticks: drawing tick labels is most of a frame's time
        self.ax_loss.xaxis.set_major_locator(MaxNLocator(4, integer=True))
        self.ax_loss.yaxis.set_major_locator(MaxNLocator(4))
        self.ax_loss.grid(True, alpha=0.3)
        (self.loss_line,) = self.ax_loss.plot([], [], color=plot._POINT_COLOURS[0], lw=1.5)
        self.ax_accuracy = self.ax_loss.twinx()
        self.ax_accuracy.set_ylim(0.0, 1.02)
        self.ax_accuracy.set_yticks([0.0, 0.5, 1.0])
        self.ax_accuracy.tick_params(labelsize=7)
        self.ax_accuracy.set_ylabel("accuracy", fontsize=8, color=plot._POINT_COLOURS[1])
        (self.accuracy_line,) = self.ax_accuracy.plot(
            [], [], color=plot._POINT_COLOURS[1], lw=1.2, ls="--"
        )
        self.image: Any = None
        if boundary:
            self._boundary_axes(gs[0, 1], points, labels or [])
        ax_net = self.fig.add_subplot(gs[0, len(widths) - 1])
        column = ax_net.get_position()
        ax_net.set_position((column.x0, 0.03, column.width, 0.94))
        # a CSS px of the picture in points, once the axes has its final size
        box = ax_net.get_window_extent()
        px = min(box.width / empty.width, box.height / empty.height) * 72 / _DPI
        self.network = _NetworkArtists(ax_net, empty, px_to_points=px, with_text=False)

    def _boundary_axes(self, where: Any, points: Any, labels: list[int]) -> None:
        ax = self.fig.add_subplot(where)
        lo = points.min(axis=0) - 0.5
        hi = points.max(axis=0) + 0.5
        gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], _GRID), np.linspace(lo[1], hi[1], _GRID))
        self.grid = np.column_stack([gx.ravel(), gy.ravel()])
        n_classes = max(2, max(labels) + 1, len(self.structure.layers[-1][0]))
        self.n_classes = n_classes
        colours = [plot._REGION_COLOURS[k % len(plot._REGION_COLOURS)] for k in range(n_classes)]
        self.image = ax.imshow(
            np.zeros((_GRID, _GRID)),
            extent=(lo[0], hi[0], lo[1], hi[1]),
            origin="lower",
            cmap=ListedColormap(colours),
            vmin=-0.5,
            vmax=n_classes - 0.5,
            interpolation="bilinear",
            aspect="auto",
        )
        plot._scatter_classes(ax, points, labels, size=10, edge=0.4)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title("decision regions", fontsize=9)
        self.threshold = 0.5 if self.structure.layers[-1][1] == "sigmoid" else 0.0

    def draw(
        self,
        frame: _Frame,
        loss: list[float],
        accuracy: list[float],
        caption: str,
        until: int | None,
    ) -> Any:
        """The frame's pixels: RGB, ``uint8``, shape (height, width, 3)."""
        shown = frame.epoch
        epochs = np.arange(1, min(shown, len(loss)) + 1)
        self.loss_line.set_data(epochs, loss[: len(epochs)])
        self.accuracy_line.set_data(epochs[: len(accuracy)], accuracy[: len(epochs)])
        self.ax_accuracy.set_visible(bool(accuracy))
        last = max(until or shown, 2)
        self.ax_loss.set_xlim(1, last)
        finite = [v for v in loss[: (until or shown)] if math.isfinite(v)]
        top = max(finite, default=1.0)
        self.ax_loss.set_ylim(min(0.0, *finite) if finite else 0.0, top * 1.05 if top > 0 else 1.0)
        self.title.set_text(caption)
        if self.image is not None:
            self.image.set_data(self._classes(frame.numbers))
        picture = network._layout(self.structure, frame.numbers, None)
        self.network.restyle(picture)
        canvas: Any = self.fig.canvas
        canvas.draw()
        return np.asarray(canvas.buffer_rgba())[:, :, :3].copy()

    def _classes(self, numbers: list[list[list[float]]]) -> Any:
        """The class the frame's weights give each point of the grid, as a _GRID × _GRID array."""
        outputs = self.grid
        with np.errstate(all="ignore"):
            for layer, (_, activation) in zip(numbers, self.structure.layers):
                weights = np.array(layer)
                outputs = plot._activate(outputs @ weights[:, :-1].T + weights[:, -1], activation)
        if outputs.shape[1] == 1:
            classes = (outputs[:, 0] > self.threshold).astype(float)
        else:
            classes = outputs.argmax(axis=1).astype(float)
        return classes.reshape(_GRID, _GRID)


# -- files -----------------------------------------------------------------------------------------


def _checked_data(X: Any, y: Any, nin: int) -> tuple[Any, list[int] | None]:  # noqa: N803
    """The points as an array, and the class labels (0/1 for ±1) or ``None`` for regression."""
    try:
        points = np.asarray(X, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(
            "LiveTraining: X must be a list of samples, each a list of numbers"
        ) from None
    if points.ndim != 2 or points.shape[1] != nin or len(points) == 0:
        raise ValueError(
            f"LiveTraining: X must hold samples of {nin} numbers (the model's inputs), "
            f"got an array of shape {points.shape}"
        )
    if isinstance(y, (str, bytes)) or not isinstance(y, Sequence) or len(y) != len(points):
        shown = len(y) if isinstance(y, Sequence) else type(y).__name__
        raise ValueError(
            f"LiveTraining: y must have one target per sample ({len(points)}), got {shown}"
        )
    labels: list[int] | None = []
    for value in y:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
            labels = None  # not class labels (regression targets, lists): no regions drawn
            break
        assert labels is not None
        labels.append(0 if value == -1 else int(value))
    if labels is not None and min(labels) < 0:
        labels = None
    return points, labels


def _png(pixels: Any) -> bytes:
    from PIL import Image  # comes with matplotlib

    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def _gif(images: list[Any], fps: float) -> bytes:
    """An endless GIF of ``images``, the last held for two seconds."""
    from PIL import Image  # comes with matplotlib

    frames = [
        Image.fromarray(image).quantize(colors=64, dither=Image.Dither.NONE) for image in images
    ]
    step = max(20, round(1000 / fps))  # ms; browsers treat less than 20 ms as 100 ms
    durations = [step] * (len(frames) - 1) + [max(step, 2000)]
    buffer = io.BytesIO()
    frames[0].save(
        buffer,
        format="GIF",
        save_all=True,
        append_images=frames[1:],
        duration=durations,
        loop=0,
        optimize=True,
    )
    return buffer.getvalue()


def _player(images: list[Any], epochs: list[int], fps: float) -> str:
    """A self-contained HTML page that plays the frames, with play/pause and a slider."""
    from PIL import Image  # comes with matplotlib

    sources = []
    for image in images:
        buffer = io.BytesIO()
        Image.fromarray(image).quantize(colors=64, dither=Image.Dither.NONE).save(buffer, "PNG")
        sources.append("data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode())
    height, width = images[0].shape[:2]
    # json.dumps of base64 text and integers: nothing in it can close the <script>
    return _PLAYER.format(
        frames=json.dumps(sources),
        epochs=json.dumps(epochs),
        last=len(images) - 1,
        width=width,
        height=height,
        delay=max(20, round(1000 / fps)),
        first=sources[0],
    )


_PLAYER = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>training, epoch by epoch</title>
<style>body{{font-family:system-ui,sans-serif;margin:1em}}img{{max-width:100%;height:auto}}
.controls{{display:flex;gap:0.8em;align-items:center;margin-top:0.4em}}
input[type=range]{{flex:1;max-width:40em}}</style></head>
<body>
<img id="frame" src="{first}" width="{width}" height="{height}" alt="training, frame by frame">
<div class="controls"><button id="play" type="button">pause</button>
<input id="at" type="range" min="0" max="{last}" value="0" aria-label="frame">
<span id="epoch"></span></div>
<script>
const frames = {frames};
const epochs = {epochs};
const img = document.getElementById("frame"), at = document.getElementById("at");
const label = document.getElementById("epoch"), play = document.getElementById("play");
let i = 0, timer = null;
function show(k) {{
  i = k; img.src = frames[k]; at.value = k; label.textContent = "epoch " + epochs[k];
}}
function tick() {{ show(i === frames.length - 1 ? 0 : i + 1); }}
function start() {{ timer = setInterval(tick, {delay}); play.textContent = "pause"; }}
function stop() {{ clearInterval(timer); timer = null; play.textContent = "play"; }}
play.onclick = () => (timer ? stop() : start());
at.oninput = () => {{ stop(); show(Number(at.value)); }};
show(0); start();
</script></body></html>
"""
