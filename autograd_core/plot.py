"""Pictures of training: loss and accuracy curves, and a classifier's decision boundary.

This module needs matplotlib, an optional extra: ``pip install 'autograd-core[plot]'``.
``autograd_core`` itself never imports it, so the rest of the library works without it.

Both functions return a ``matplotlib.figure.Figure`` and, given a ``path``, also save it
there. They build figures without ``pyplot``, so they change no global matplotlib state and
work on machines without a display. The figure is a :class:`PlotFigure`, which Jupyter shows
as a picture when it is the last line of a cell, in a fresh kernel with nothing set up (a
plain ``Figure`` prints ``<Figure size 1200x320 with 3 Axes>`` unless ``%matplotlib inline``
or a ``pyplot`` call came first); with ``pyplot`` in use it is still shown once.

The decision boundary is drawn by classifying every point of a grid over the data. A grid of
200 × 200 points is 40 000 forward passes: through Values (``training.predict``) they take
about ten seconds for micrograd's 2-16-16-1 net, three times as long as training it for 100
epochs. For a ``Neuron``, ``Layer`` or ``MLP`` they are therefore computed with numpy from the
model's weights, layer by layer, in well under a second; any other model goes through its own
forward pass, point by point. The numpy activations are meant to be the model's own: the
tests hold the numpy outputs equal to ``training.predict`` for every activation, and leaky
ReLU's slope is read off the model code rather than written here.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from typing import Any

try:
    import numpy as np
    from matplotlib.colors import ListedColormap
    from matplotlib.figure import Figure
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        "autograd_core.plot needs matplotlib: pip install 'autograd-core[plot]'"
    ) from exc

from autograd_core.engine import no_grad
from autograd_core.nn import MLP, Layer, Module, Neuron
from autograd_core.training import History, predict

__all__ = ["plot_history", "plot_decision_boundary", "PlotFigure"]

# Colour-blind-safe pairs (Okabe & Ito): dark for points, light for the regions behind them.
_POINT_COLOURS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"]
_REGION_COLOURS = ["#A6CEE3", "#F4B183", "#A1D99B", "#E7B6D3", "#FBD38D", "#C6E4F5", "#BDBDBD"]


class PlotFigure(Figure):
    """A matplotlib ``Figure`` that Jupyter shows as a PNG picture by itself.

    IPython asks an object for ``_repr_png_`` when no formatter is registered for its type;
    ``%matplotlib inline`` registers one for every ``Figure``, and then that one draws it (once:
    a figure made without ``pyplot`` is not also shown by pyplot at the end of the cell). PNG,
    not SVG, so that a notebook opened before it is run (untrusted) shows it too.

    Example:
        >>> from autograd_core import plot
        >>> from autograd_core.training import History
        >>> fig = plot.plot_history(History(loss=[1.0, 0.5]))
        >>> fig._repr_png_()[:8]
        b'\\x89PNG\\r\\n\\x1a\\n'
    """

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", dpi=100)
        return buffer.getvalue()


def plot_history(history: History, path: str | os.PathLike[str] | None = None) -> Figure:
    """Loss, accuracy (when recorded) and learning rate per epoch, side by side.

    Args:
        history: What :func:`autograd_core.training.fit` returned.
        path: Optional file to save the figure to (``.png``, ``.svg``, ``.pdf``).

    Returns:
        The figure.

    Example:
        >>> from autograd_core import plot
        >>> from autograd_core.training import History
        >>> fig = plot.plot_history(History(loss=[1.0, 0.5], accuracy=[0.5, 1.0], lr=[0.1, 0.1]))
        >>> [ax.get_title() for ax in fig.axes]
        ['loss', 'accuracy', 'learning rate']
    """
    epochs = list(range(1, len(history.loss) + 1))
    panels: list[tuple[str, list[float]]] = [("loss", history.loss)]
    if history.accuracy:
        panels.append(("accuracy", history.accuracy))
    if history.lr:
        panels.append(("learning rate", history.lr))
    fig = PlotFigure(figsize=(4.0 * len(panels), 3.2), layout="constrained")
    for ax, (title, values) in zip(fig.subplots(1, len(panels), squeeze=False)[0], panels):
        ax.plot(epochs[: len(values)], values, color=_POINT_COLOURS[0])
        ax.set_title(title)
        ax.set_xlabel("epoch")
        ax.grid(True, alpha=0.3)
        if title == "accuracy":
            ax.set_ylim(min(0.0, min(values)), 1.02)
    if path is not None:
        fig.savefig(path, dpi=120)
    return fig


def plot_decision_boundary(
    model: Module,
    X: Sequence[Sequence[float]],  # noqa: N803 - X and y, as in every ML text
    y: Sequence[int],
    path: str | os.PathLike[str] | None = None,
    *,
    resolution: int = 200,
    padding: float = 0.5,
    threshold: float | None = None,
    title: str | None = None,
) -> Figure:
    """The regions of the plane a two-input classifier assigns to each class, with the data.

    A model with one output predicts class 1 where the output exceeds ``threshold``; a model
    with several outputs predicts the class of the largest.

    Args:
        model: A model with two inputs.
        X: The data points ``[x0, x1]``.
        y: Their classes: 0/1 (or −1/+1) for a one-output model, class indices otherwise.
        path: Optional file to save the figure to.
        resolution: Grid points along each axis.
        padding: Margin around the data, in data units.
        threshold: Decision threshold of a one-output model; default 0.5 for a sigmoid output
            and 0 otherwise (a score or a logit).
        title: Optional title.

    Returns:
        The figure.

    Example:
        >>> from autograd_core import nn, plot
        >>> model = nn.Neuron(2, activation="linear", seed=0)
        >>> model.load_state_dict({"w.0": 1.0, "w.1": 0.0, "b": 0.0})  # class 1 where x0 > 0
        >>> fig = plot.plot_decision_boundary(model, [[-1.0, 0.0], [1.0, 0.0]], [0, 1])
        >>> len(fig.axes)
        1
    """
    points = np.asarray(X, dtype=float)
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(f"plot_decision_boundary: X must hold points [x0, x1], got {points.shape}")
    labels = [0 if label == -1 else int(label) for label in y]
    lo = points.min(axis=0) - padding
    hi = points.max(axis=0) + padding
    gx, gy = np.meshgrid(
        np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution)
    )
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    scores = _scores(model, grid)
    if scores.shape[1] == 1:
        if threshold is None:
            threshold = 0.5 if _output_activation(model) == "sigmoid" else 0.0
        classes = (scores[:, 0] > threshold).astype(int)
        n_classes = 2
    else:
        classes = scores.argmax(axis=1)
        n_classes = scores.shape[1]
    n_classes = max(n_classes, max(labels) + 1)
    regions = ListedColormap([_REGION_COLOURS[k % len(_REGION_COLOURS)] for k in range(n_classes)])
    fig = PlotFigure(figsize=(5.5, 4.5), layout="constrained")
    ax = fig.subplots()
    ax.contourf(
        gx,
        gy,
        classes.reshape(gx.shape),
        levels=np.arange(n_classes + 1) - 0.5,
        cmap=regions,
        alpha=0.9,
    )
    _scatter_classes(ax, points, labels, size=22, edge=0.5)
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_xlabel("x0")
    ax.set_ylabel("x1")
    ax.legend(loc="best", fontsize="small", framealpha=0.8)
    if title:
        ax.set_title(title)
    if path is not None:
        fig.savefig(path, dpi=120)
    return fig


def _scatter_classes(ax: Any, points: Any, labels: Sequence[int], size: float, edge: float) -> None:
    """The data points on ``ax``, one colour per class (each labelled ``class k``), with a white
    edge of width ``edge`` so that they stand out on the decision regions."""
    import numpy as np

    for k in sorted(set(labels)):
        mine = np.array([label == k for label in labels])
        ax.scatter(
            points[mine, 0],
            points[mine, 1],
            s=size,
            color=_POINT_COLOURS[k % len(_POINT_COLOURS)],
            edgecolors="white",
            linewidths=edge,
            label=f"class {k}",
        )


def __getattr__(name: str) -> Any:
    """``plot.LiveTraining``, from :mod:`autograd_core.live` (which draws with this module's
    helpers, so it is imported on first use rather than at the top).

    Example:
        >>> from autograd_core import plot
        >>> plot.LiveTraining.__name__
        'LiveTraining'
    """
    if name == "LiveTraining":
        from autograd_core.live import LiveTraining

        return LiveTraining
    raise AttributeError(f"module 'autograd_core.plot' has no attribute {name!r}")


def _scores(model: Module, grid: Any) -> Any:
    """The model's outputs on every grid row, as an array of shape (rows, outputs)."""
    layers = _layers(model)
    if layers is None:
        return np.array(predict(model, grid.tolist()), dtype=float).reshape(len(grid), -1)
    activations = grid
    for neurons, activation in layers:
        weights = np.array([[w.data for w in n.w] for n in neurons])
        biases = np.array([n.b.data for n in neurons])
        activations = _activate(activations @ weights.T + biases, activation)
    return activations


def _layers(model: Module) -> list[tuple[list[Neuron], str]] | None:
    """The neurons and activation of each layer, for the models whose structure is known."""
    if isinstance(model, MLP):
        return [(layer.neurons, layer.activation) for layer in model.layers]
    if isinstance(model, Layer):
        return [(model.neurons, model.activation)]
    if isinstance(model, Neuron):
        return [([model], model.activation)]
    return None


def _activate(z: Any, activation: str) -> Any:
    # The same functions as the model's activations, on arrays (tests/test_plot.py holds them
    # equal to the model's outputs).
    if activation == "relu":
        return np.maximum(z, 0.0)
    if activation == "leaky_relu":
        return np.where(z > 0.0, z, _leaky_relu_slope() * z)
    if activation == "tanh":
        return np.tanh(z)
    if activation == "sigmoid":
        return 0.5 * (1.0 + np.tanh(0.5 * z))  # σ(z) without overflow warnings for large |z|
    return z


def _leaky_relu_slope() -> float:
    """The slope for z < 0 of nn's "leaky_relu" activation, measured on a one-weight neuron.

    Asking the model code, rather than writing the number here, keeps the picture right if
    the default slope ever changes: the neuron computes leaky_relu(1 · (−1) + 0) = −slope.
    """
    probe = Neuron(1, activation="leaky_relu", seed=0)
    probe.load_state_dict({"w.0": 1.0, "b": 0.0})
    with no_grad():
        return -probe([-1.0]).data


def _output_activation(model: Module) -> str | None:
    if isinstance(model, MLP):
        return model.output_activation
    if isinstance(model, (Layer, Neuron)):
        return model.activation
    return None
