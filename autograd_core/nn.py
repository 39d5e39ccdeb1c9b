"""Neurons, layers and multi-layer perceptrons built from Values, and saving them as JSON.

A neuron is the forward-propagation formula of the seed articles, ``a = g(z)`` with
``z = w·x + b``: a weighted sum of its inputs plus a bias, passed through an *activation*
``g``. Here ``z`` is a single ``ag.dot`` node (not a chain of ``n`` multiplications and ``n``
additions) and ``g`` one more node, so a neuron costs two nodes in the graph whatever its number
of inputs; ``backward`` then has two nodes to visit per neuron instead of ``2n + 1``.

A ``Layer`` is a list of neurons that all see the same inputs; an ``MLP`` feeds each layer's
outputs to the next. ``MLP(2, [16, 16, 1])`` is micrograd's signature: two inputs, two hidden
layers of 16 ReLU neurons and one linear output neuron, whose single output is returned as a
``Value`` (several outputs come back as a list).

Where the weights start matters. Three schemes are offered, all drawing each weight uniformly
from ``[−bound, bound]`` and starting every bias at 0:

* ``"uniform"``: bound 1, micrograd's choice. Simple, and fine for the tiny nets of the demos,
  but the pre-activations of wide layers grow with the square root of the width.
* ``"xavier"`` (Glorot): bound ``√(6 / (fan_in + fan_out))``, which keeps the variance of
  signals roughly constant through ``tanh`` and ``sigmoid`` layers.
* ``"he"`` (Kaiming): bound ``√(6 / fan_in)``, the same idea for ReLU, which zeroes half its
  inputs and so needs twice the variance.

``"auto"`` picks He for ReLU and leaky ReLU layers and Xavier for the others.

The default is ``"uniform"``, micrograd's: ``MLP(2, [16, 16, 1])`` then behaves as micrograd's,
and the demo's hyper-parameters (SGD, lr 1.0 decaying to 0.1) were tuned for it. On our moons
with that set-up, 18 of 18 runs (3 data seeds × 6 weight seeds) reached 100% training accuracy
in 100 epochs with ``"uniform"``, against 11 of 18 with ``"auto"``. For wider or deeper
networks, or tanh and sigmoid layers, pass ``init="auto"``: bound 1 makes the pre-activations
of a layer of width ``n`` grow like ``√n``.

Randomness comes from ``seed``: an integer gives the same weights on every run (and so, with
the same data and optimizer, the same training); ``None`` draws from Python's global
``random`` module, as micrograd does, so ``random.seed(1337)`` followed by
``MLP(2, [16, 16, 1])`` builds the very weights of micrograd's demo.

Every parameter is labelled with its place when the module is built: a short form of its
:meth:`~Module.named_parameters` name, so ``layers.0.neurons.3.w.0`` is labelled ``L0.n3.w0``
and ``layers.0.neurons.3.b`` ``L0.n3.b`` (indices count from 0, as in ``state_dict``). The label
is what reprs, error messages and graph pictures show, so no two parameters of a model look
alike. A label is only a name: set ``p.label`` to anything you like afterwards; loading a
checkpoint changes values, never labels.

A model is saved as JSON (``model.save(path)``) and read back into a model of the same shape
(``model.load(path)``) or into a new one (``nn.load_model(path)``): a format marker and
version, the architecture, every parameter by name and a SHA-256 checksum, written atomically;
a save → load round trip is bit-exact. The file format, and how files are written and checked,
live in :mod:`autograd_core.checkpoint`; this module only knows how to build a ``Neuron``, a
``Layer`` or an ``MLP`` from an architecture read there. ``CheckpointError``, ``FORMAT`` and
``FORMAT_VERSION`` are importable from either module.
"""

from __future__ import annotations

import math
import os
import random
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from autograd_core import checkpoint as _checkpoint
from autograd_core import ops
from autograd_core._checks import choice, integer
from autograd_core._gc import pausing_gc
from autograd_core.checkpoint import FORMAT, FORMAT_VERSION, CheckpointError
from autograd_core.engine import Value, blocks, is_grad_enabled, operators
from autograd_core.functional import dot

__all__ = [
    "Module",
    "Neuron",
    "Layer",
    "MLP",
    "load_model",
    "CheckpointError",
    "ACTIVATIONS",
    "INITS",
    "FORMAT",
    "FORMAT_VERSION",
]

ACTIVATIONS = (*(op.name for op in ops.activations()), "linear")
"""Names accepted wherever an activation is asked for (the op table's activation rows, and
``"linear"`` for none); ``None`` means ``"linear"``."""

INITS = ("uniform", "auto", "xavier", "he")
"""Weight initialisation schemes (see the module docstring)."""

M = TypeVar("M", bound="Module")
Input = Sequence[Value | float]


def _activation_function(op: ops.Op) -> Callable[[Value], Value]:
    """The activation of a row as a function of the pre-activation node, parameters (such as
    leaky_relu's slope) at the row's defaults (PyTorch's)."""
    if not op.param_names:
        method: Callable[[Value], Value] = getattr(Value, op.name)  # no call per neuron
        return method
    bound = op.bind(*op.defaults)
    return lambda z: operators.apply_unary(bound, z)


_RELU = Value.relu
# None for "linear", which adds no node at all.
_ACTIVATION_FUNCTIONS: dict[str, Callable[[Value], Value] | None] = {
    **{op.name: _activation_function(op) for op in ops.activations()},
    "linear": None,
}


class Module:
    """Base class of everything with parameters: ``Neuron``, ``Layer``, ``MLP`` and yours.

    A subclass defines ``__call__``, ``named_parameters`` and, to be saved, ``config``; the
    rest (``parameters``, ``zero_grad``, ``state_dict``, ``save``, ``load``, the repr) follows.

    Example:
        >>> import autograd_core as ag
        >>> class Line(ag.nn.Module):
        ...     def __init__(self):
        ...         self.w, self.b = ag.Value(2.0, label="w"), ag.Value(1.0, label="b")
        ...     def __call__(self, x):
        ...         return self.w * x + self.b
        ...     def named_parameters(self):
        ...         return [("w", self.w), ("b", self.b)]
        >>> line = Line()
        >>> line(3.0).data, line.state_dict()
        (7.0, {'w': 2.0, 'b': 1.0})
    """

    def __call__(self, x: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define __call__")

    def named_parameters(self) -> list[tuple[str, Value]]:
        """Every parameter with a dotted name that says where it lives, in a fixed order.

        Returns:
            ``(name, Value)`` pairs; a module without parameters returns ``[]``.

        Example:
            >>> from autograd_core import nn
            >>> [name for name, _ in nn.Neuron(2, seed=0).named_parameters()]
            ['w.0', 'w.1', 'b']
        """
        return []

    def parameters(self) -> list[Value]:
        """Every parameter (a leaf ``Value``), in the order of :meth:`named_parameters`.

        Returns:
            The list an optimizer takes: ``optim.SGD(model.parameters(), lr=0.1)``.

        Example:
            >>> from autograd_core import nn
            >>> len(nn.MLP(2, [16, 16, 1], seed=0).parameters())  # (2+1)·16 + (16+1)·16 + 17
            337
        """
        return [p for _, p in self.named_parameters()]

    @property
    def num_parameters(self) -> int:
        """How many scalar parameters the module has."""
        return len(self.parameters())

    def zero_grad(self) -> None:
        """Set every parameter's gradient to 0 (leaves accumulate across ``backward`` calls).

        Example:
            >>> from autograd_core import nn
            >>> neuron = nn.Neuron(2, seed=0)
            >>> neuron([1.0, 2.0]).backward()
            >>> neuron.zero_grad()
            >>> [p.grad for p in neuron.parameters()]
            [0.0, 0.0, 0.0]
        """
        for p in self.parameters():
            p.grad = 0.0

    def config(self) -> dict[str, Any]:
        """The architecture as JSON-ready data: what is needed to rebuild the module, minus
        the parameter values (``"type"`` names the class).

        Returns:
            A dict of plain JSON types.

        Example:
            >>> from autograd_core import nn
            >>> nn.Layer(2, 4, seed=0).config()
            {'type': 'Layer', 'nin': 2, 'nout': 4, 'activation': 'relu'}
        """
        raise NotImplementedError(f"{type(self).__name__} must define config() to be saved")

    def state_dict(self) -> dict[str, float]:
        """The value of every parameter by name: a snapshot that :meth:`load_state_dict` restores.

        Returns:
            A new dict ``{name: float}`` in the order of :meth:`named_parameters`.

        Example:
            >>> from autograd_core import nn
            >>> nn.Neuron(3, seed=0).state_dict()["b"]
            0.0
        """
        return {name: p.data for name, p in self.named_parameters()}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Set every parameter from ``state``, or change nothing if ``state`` does not fit.

        ``state`` must name exactly this module's parameters, each with a finite real number.
        Everything is checked before the first parameter is written.

        Args:
            state: ``{name: number}``, e.g. from :meth:`state_dict`.

        Raises:
            TypeError: ``state`` is not a mapping, or a value is not a real number.
            ValueError: a name is missing or unexpected, or a value is not finite (in every
                case nothing is changed).

        Example:
            >>> from autograd_core import nn
            >>> neuron = nn.Neuron(2, seed=0)
            >>> neuron.load_state_dict({"w.0": 0.5, "w.1": -1.0, "b": 0.25})
            >>> neuron([2.0, 3.0]).data  # relu(0.5·2 − 1·3 + 0.25)
            0.0
        """
        named = self.named_parameters()
        where = f"{type(self).__name__}.load_state_dict"
        values = _checkpoint.checked_state([name for name, _ in named], state, where)
        for (_, p), value in zip(named, values):
            p.data = value

    def save(self, path: str | os.PathLike[str], metadata: Mapping[str, Any] | None = None) -> Path:
        """Write the architecture and every parameter to ``path`` as JSON, atomically.

        The file is first written to a temporary file in the same directory, flushed to disk
        and then renamed over ``path`` in one step: at any moment ``path`` holds either the
        previous file or the complete new one, even if the process dies mid-save. Saving over an
        existing file keeps its permission bits; saving to a symlink writes to the file it points
        to (see :mod:`autograd_core.checkpoint`).

        Args:
            path: Where to write (conventionally ``model.json``).
            metadata: Optional JSON-serialisable notes stored alongside (data set, epochs, ...).

        Returns:
            The path written.

        Raises:
            ValueError: if a parameter is ``nan`` or infinite (a diverged model is not saved).
            TypeError: ``metadata`` is not a mapping or holds something JSON cannot.

        Example:
            >>> import pathlib, tempfile
            >>> from autograd_core import nn
            >>> model = nn.MLP(2, [4, 1], seed=0)
            >>> path = model.save(pathlib.Path(tempfile.mkdtemp()) / "model.json")
            >>> nn.load_model(path).state_dict() == model.state_dict()
            True
        """
        return _checkpoint.save(self, path, metadata)

    def load(self: M, path: str | os.PathLike[str]) -> M:
        """Set this module's parameters from a file written by :meth:`save`.

        The whole file is validated first: format marker, version, architecture (it must be
        this module's), parameter names and values. On any problem a :class:`CheckpointError`
        says what is wrong and the module is left exactly as it was.

        Args:
            path: A file written by :meth:`save`.

        Returns:
            The module itself.

        Raises:
            CheckpointError: the file is not a valid model of this architecture.
            OSError: the file cannot be read.

        Example:
            >>> import pathlib, tempfile
            >>> from autograd_core import nn
            >>> path = pathlib.Path(tempfile.mkdtemp()) / "model.json"
            >>> trained = nn.MLP(2, [4, 1], seed=1)
            >>> _ = trained.save(path)
            >>> fresh = nn.MLP(2, [4, 1], seed=2).load(path)
            >>> fresh.state_dict() == trained.state_dict()
            True
        """
        return _checkpoint.load_into(self, path)

    def __repr__(self) -> str:
        return f"{self._signature()} with {self.num_parameters} parameters"

    def _signature(self) -> str:
        return f"{type(self).__name__}()"


class Neuron(Module):
    """One neuron: ``activation(w·x + b)``, with ``w·x + b`` a single ``ag.dot`` node.

    Args:
        nin: Number of inputs.
        activation: ``"relu"`` (default, as micrograd), ``"tanh"``, ``"sigmoid"``,
            ``"leaky_relu"`` or ``"linear"`` (``None`` also means linear).
        init: ``"uniform"`` (default), ``"auto"``, ``"xavier"`` or ``"he"`` (see the module
            docstring).
        seed: An integer, a ``random.Random`` to draw from, or ``None`` for the global
            ``random`` module.
        fan_out: Outputs of the layer the neuron belongs to (only Xavier uses it).

    Example:
        >>> from autograd_core import nn
        >>> neuron = nn.Neuron(2, activation="tanh", seed=0)
        >>> neuron.load_state_dict({"w.0": 1.0, "w.1": 2.0, "b": -3.0})
        >>> out = neuron([1.0, 1.0])  # tanh(1·1 + 2·1 − 3)
        >>> out.data, [n.op.name for n in (out, out.parents[0])]
        (0.0, ['tanh', 'affine'])
    """

    def __init__(
        self,
        nin: int,
        activation: str | None = "relu",
        init: str = "uniform",
        seed: int | random.Random | None = None,
        *,
        fan_out: int = 1,
    ) -> None:
        self.nin = _check_size(nin, "Neuron", "nin")
        _check_size(fan_out, "Neuron", "fan_out")
        self.activation = _check_activation(activation, "Neuron")
        self.init = _check_init(init, "Neuron")
        self._act = _ACTIVATION_FUNCTIONS[self.activation]
        uniform = _uniform(seed, "Neuron")
        bound = _bound(self.init, self.activation, nin, fan_out)
        self.w = [Value(uniform(-bound, bound), label=f"w{i}") for i in range(nin)]
        self.b = Value(0.0, label="b")  # (the labels _short_name gives; see _prefix_labels)

    def __call__(self, x: Input) -> Value:
        z: Value = dot(self.w, x, self.b)
        act = self._act
        return z if act is None else act(z)

    def named_parameters(self) -> list[tuple[str, Value]]:
        """``w.0 … w.{nin−1}`` and ``b`` (see :meth:`Module.named_parameters`).

        Example:
            >>> from autograd_core import nn
            >>> [n for n, _ in nn.Neuron(1, seed=0).named_parameters()]
            ['w.0', 'b']
        """
        return [*((f"w.{i}", w) for i, w in enumerate(self.w)), ("b", self.b)]

    def parameters(self) -> list[Value]:
        """The weights, then the bias.

        Example:
            >>> from autograd_core import nn
            >>> len(nn.Neuron(3, seed=0).parameters())
            4
        """
        return [*self.w, self.b]

    def config(self) -> dict[str, Any]:
        """``{"type": "Neuron", "nin": ..., "activation": ...}``.

        Example:
            >>> from autograd_core import nn
            >>> nn.Neuron(3, "tanh", seed=0).config()
            {'type': 'Neuron', 'nin': 3, 'activation': 'tanh'}
        """
        return {"type": "Neuron", "nin": self.nin, "activation": self.activation}

    def _signature(self) -> str:
        return f"Neuron({self.nin}, activation={self.activation!r})"


class Layer(Module):
    """``nout`` neurons that all read the same inputs; calling it always returns a list.

    Args:
        nin: Number of inputs.
        nout: Number of neurons (outputs).
        activation: The activation of every neuron (see :class:`Neuron`).
        init: Weight initialisation (see the module docstring).
        seed: An integer, a ``random.Random`` to draw from, or ``None`` for the global
            ``random`` module.

    Example:
        >>> from autograd_core import nn
        >>> layer = nn.Layer(2, 3, seed=0)
        >>> out = layer([1.0, -1.0])
        >>> type(out).__name__, len(out)
        ('list', 3)
    """

    def __init__(
        self,
        nin: int,
        nout: int,
        activation: str | None = "relu",
        init: str = "uniform",
        seed: int | random.Random | None = None,
    ) -> None:
        self.nin = _check_size(nin, "Layer", "nin")
        self.nout = _check_size(nout, "Layer", "nout")
        self.activation = _check_activation(activation, "Layer")
        self.init = _check_init(init, "Layer")
        self._act = _ACTIVATION_FUNCTIONS[self.activation]
        rng = _shared(seed, "Layer")
        self.neurons = [
            Neuron(nin, self.activation, self.init, rng, fan_out=nout) for _ in range(nout)
        ]
        _prefix_labels(self.neurons, "n")

    def __call__(self, x: Input) -> list[Value]:
        return self.batch([x])[0]

    # The collector paused for the whole layer (not only its kernel): see MLP.batch.
    @pausing_gc
    def batch(self, X: Sequence[Input]) -> list[list[Value]]:  # noqa: N803
        """The layer on every sample of ``X``: one list of outputs per sample.

        The same nodes as calling the layer on each sample, built faster: each neuron's
        weights are read once for the whole batch.

        Example:
            >>> from autograd_core import nn
            >>> layer = nn.Layer(2, 3, seed=0)
            >>> outs = layer.batch([[1.0, -1.0], [0.5, 2.0]])
            >>> [len(o) for o in outs], outs[1][2].data == layer([0.5, 2.0])[2].data
            ([3, 3], True)
        """
        neurons = self.neurons
        act = self._act
        if is_grad_enabled():
            out = blocks.dense(
                Value, [n.w for n in neurons], [n.b for n in neurons], X, act, act is _RELU
            )
            if out is not None:
                return out
        # the plain path: no graph to build, or inputs the fused one does not take
        if act is None:
            return [[dot(n.w, x, n.b) for n in neurons] for x in X]
        return [[act(dot(n.w, x, n.b)) for n in neurons] for x in X]

    def named_parameters(self) -> list[tuple[str, Value]]:
        """``neurons.{i}.w.{j}`` and ``neurons.{i}.b`` for every neuron ``i``.

        Example:
            >>> from autograd_core import nn
            >>> [n for n, _ in nn.Layer(1, 2, seed=0).named_parameters()]
            ['neurons.0.w.0', 'neurons.0.b', 'neurons.1.w.0', 'neurons.1.b']
        """
        return [
            (f"neurons.{i}.{name}", p)
            for i, neuron in enumerate(self.neurons)
            for name, p in neuron.named_parameters()
        ]

    def parameters(self) -> list[Value]:
        """Every neuron's weights and bias, neuron by neuron.

        Example:
            >>> from autograd_core import nn
            >>> len(nn.Layer(2, 3, seed=0).parameters())
            9
        """
        return [p for neuron in self.neurons for p in neuron.parameters()]

    def config(self) -> dict[str, Any]:
        """``{"type": "Layer", "nin": ..., "nout": ..., "activation": ...}``.

        Example:
            >>> from autograd_core import nn
            >>> nn.Layer(2, 3, seed=0).config()
            {'type': 'Layer', 'nin': 2, 'nout': 3, 'activation': 'relu'}
        """
        return {"type": "Layer", "nin": self.nin, "nout": self.nout, "activation": self.activation}

    def _signature(self) -> str:
        return f"Layer({self.nin}, {self.nout}, activation={self.activation!r})"


class MLP(Module):
    """A multi-layer perceptron: layers of sizes ``nouts`` applied one after the other.

    Hidden layers use ``activation``; the last layer uses ``output_activation`` (linear by
    default, as in micrograd, so the output is a raw score or logit). A model whose last layer
    has one unit returns a ``Value``; otherwise a list of them.

    Args:
        nin: Number of inputs.
        nouts: Width of each layer, the last being the number of outputs.
        activation: Activation of the hidden layers (see :class:`Neuron`).
        output_activation: Activation of the last layer; ``None`` for linear.
        init: Weight initialisation: ``"uniform"`` (default, micrograd's U(−1, 1)), ``"auto"``
            (He for ReLU-like layers, Xavier for the others), ``"xavier"`` or ``"he"``.
        seed: An integer for reproducible weights, a ``random.Random``, or ``None`` to draw
            from the global ``random`` module.

    Example:
        >>> import autograd_core as ag
        >>> model = ag.nn.MLP(2, [16, 16, 1], seed=0)
        >>> model
        MLP(2, [16, 16, 1], activation='relu', output_activation=None) with 337 parameters
        >>> score = model([0.5, -1.0])
        >>> score.backward()   # fills the gradient of every one of the 337 parameters
        >>> type(score).__name__, len(model([0.5, -1.0]).parents)
        ('Value', 33)
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: str | None = "relu",
        output_activation: str | None = None,
        init: str = "uniform",
        seed: int | random.Random | None = None,
    ) -> None:
        self.nin = _check_size(nin, "MLP", "nin")
        self.nouts = _check_widths(nouts, "MLP")
        self.activation = _check_activation(activation, "MLP")
        self.output_activation = _check_activation(output_activation, "MLP", "output_activation")
        self.init = _check_init(init, "MLP")
        rng = _shared(seed, "MLP")
        sizes = [nin, *self.nouts]
        last = len(self.nouts) - 1
        self.layers = [
            Layer(
                sizes[i],
                sizes[i + 1],
                self.output_activation if i == last else self.activation,
                self.init,
                rng,
            )
            for i in range(len(self.nouts))
        ]
        _prefix_labels(self.layers, "L")

    def __call__(self, x: Any) -> Any:
        if isinstance(x, (Value, int, float)):
            x = [x]  # a model of one input may be called on a bare number
        elif len(x) and isinstance(x[0], (list, tuple)):
            return self.batch(x)  # a list of samples
        return self.batch([x])[0]

    # The collector paused for the whole forward pass: the nodes of a batch are thousands of
    # new objects, and a collection set off between two layers would scan all of them (a
    # quarter of the forward pass of the digits MLP) to find nothing to free.
    @pausing_gc
    def batch(self, X: Sequence[Input]) -> list[Any]:  # noqa: N803
        """The model on every sample of ``X`` (``model(X)`` does the same for a list of lists).

        The nodes are those of ``[model(x) for x in X]``, built faster: each layer reads its
        weights once for the whole batch.

        Returns:
            One output per sample: a Value, or a list of Values for several outputs.

        Example:
            >>> from autograd_core import nn
            >>> model = nn.MLP(2, [4, 1], seed=0)
            >>> outs = model([[1.0, 2.0], [0.0, -1.0]])
            >>> len(outs), outs[0].data == model([1.0, 2.0]).data
            (2, True)
        """
        for x in X:
            if len(x) != self.nin:
                raise ValueError(f"MLP: expected {self.nin} input(s), got {len(x)}")
        out: Sequence[Sequence[Any]] = X
        for layer in self.layers:
            out = layer.batch(out)
        return [o[0] if len(o) == 1 else o for o in out]

    def named_parameters(self) -> list[tuple[str, Value]]:
        """``layers.{k}.neurons.{i}.w.{j}`` and ``layers.{k}.neurons.{i}.b``.

        Example:
            >>> from autograd_core import nn
            >>> nn.MLP(2, [3, 1], seed=0).named_parameters()[-1][0]
            'layers.1.neurons.0.b'
        """
        return [
            (f"layers.{k}.{name}", p)
            for k, layer in enumerate(self.layers)
            for name, p in layer.named_parameters()
        ]

    def parameters(self) -> list[Value]:
        """Every layer's parameters, first layer first.

        Example:
            >>> from autograd_core import nn
            >>> len(nn.MLP(2, [4, 3], seed=0).parameters())  # (2+1)·4 + (4+1)·3
            27
        """
        return [p for layer in self.layers for p in layer.parameters()]

    def config(self) -> dict[str, Any]:
        """``{"type": "MLP", "nin", "nouts", "activation", "output_activation"}``.

        Example:
            >>> from autograd_core import nn
            >>> nn.MLP(2, [3, 3], "tanh", "sigmoid", seed=0).config()["output_activation"]
            'sigmoid'
        """
        return {
            "type": "MLP",
            "nin": self.nin,
            "nouts": list(self.nouts),
            "activation": self.activation,
            "output_activation": self.output_activation,
        }

    def _signature(self) -> str:
        output = None if self.output_activation == "linear" else self.output_activation
        return (
            f"MLP({self.nin}, {self.nouts}, activation={self.activation!r}, "
            f"output_activation={output!r})"
        )


def load_model(path: str | os.PathLike[str]) -> Module:
    """Build the model saved in ``path``: the architecture from the file, then its parameters.

    Args:
        path: A file written by :meth:`Module.save` from a ``Neuron``, ``Layer`` or ``MLP``.

    Returns:
        A new module equal, parameter for parameter, to the one saved.

    Raises:
        CheckpointError: the file is not a valid saved model.
        OSError: the file cannot be read.

    Example:
        >>> import pathlib, tempfile
        >>> from autograd_core import nn
        >>> model = nn.MLP(3, [5, 2], "tanh", seed=0)
        >>> nn.load_model(model.save(pathlib.Path(tempfile.mkdtemp()) / "m.json"))
        MLP(3, [5, 2], activation='tanh', output_activation=None) with 32 parameters
    """
    return _checkpoint.load_model(path, _build)


def _build(architecture: _checkpoint.Architecture) -> Module:
    """The module an architecture read from a file describes (its constructor checks the
    activation names); the parameters are loaded afterwards."""
    kind, nin, widths = architecture.kind, architecture.nin, architecture.widths
    if kind == "Neuron":
        return Neuron(nin, architecture.activation, seed=0)
    if kind == "Layer":
        return Layer(nin, widths[0], architecture.activation, seed=0)
    return MLP(nin, widths, architecture.activation, architecture.output_activation, seed=0)


# -- building blocks ---------------------------------------------------------------------------

# How a part of a parameter's name is shortened in its label; an index joins the part before it.
_LABEL_PARTS = {"layers": "L", "neurons": "n"}


def _prefix_labels(parts: Sequence[Module], letter: str) -> None:
    """Prefix the labels of each part's parameters with its place: ``n3.`` or ``L0.``.

    A neuron labels its own (``w0``, ``b``), a layer prefixes its neurons' and a model its
    layers', so the labels are :func:`_short_name` of the outermost module's
    ``named_parameters`` (``L0.n3.w0``), each made by one concatenation per level (a layer of
    a million weights is labelled in a fraction of a second).
    """
    for i, part in enumerate(parts):
        prefix = f"{letter}{i}."
        for p in part.parameters():
            p.label = prefix + p.label


def _short_name(name: str) -> str:
    """The label of a parameter named ``name`` by :meth:`Module.named_parameters`.

    ``layers`` becomes ``L``, ``neurons`` ``n``, and an index joins the part before it; other
    parts are kept as they are.

    Example:
        >>> from autograd_core.nn import _short_name
        >>> _short_name("layers.1.neurons.3.w.0"), _short_name("neurons.2.b"), _short_name("b")
        ('L1.n3.w0', 'n2.b', 'b')
    """
    parts: list[str] = []
    for part in name.split("."):
        if part.isdigit() and parts:
            parts[-1] += part
        else:
            parts.append(_LABEL_PARTS.get(part, part))
    return ".".join(parts)


def _check_size(n: Any, owner: str, what: str) -> int:
    return integer(n, what, owner, minimum=1)


def _check_widths(nouts: Any, owner: str) -> list[int]:
    # A string is a Sequence too, and an int is the likeliest slip (MLP(2, 3) for MLP(2, [3])).
    if isinstance(nouts, (str, bytes)) or not isinstance(nouts, Sequence):
        raise TypeError(
            f"{owner}: nouts must be a list of layer widths, got {type(nouts).__name__} {nouts!r}"
        )
    if not nouts:
        raise ValueError(f"{owner}: nouts must be a non-empty list of layer widths, got {nouts!r}")
    return [_check_size(width, owner, f"nouts[{i}]") for i, width in enumerate(nouts)]


def _check_activation(name: str | None, owner: str, what: str = "activation") -> str:
    return "linear" if name is None else choice(name, what, owner, ACTIVATIONS)


def _check_init(name: str, owner: str) -> str:
    return choice(name, "init", owner, INITS)


def _bound(init: str, activation: str, fan_in: int, fan_out: int) -> float:
    """Half-width of the uniform distribution the weights are drawn from."""
    if init == "auto":
        init = "he" if activation in ("relu", "leaky_relu") else "xavier"
    if init == "uniform":
        return 1.0
    if init == "he":
        return math.sqrt(6.0 / fan_in)
    return math.sqrt(6.0 / (fan_in + fan_out))


def _shared(seed: int | random.Random | None, owner: str) -> random.Random | None:
    """One generator for all the neurons of a layer or model (None: the global one)."""
    if seed is None or isinstance(seed, random.Random):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(
            f"{owner}: seed must be an int, a random.Random or None, got "
            f"{type(seed).__name__} {seed!r}"
        )
    return random.Random(seed)


def _uniform(seed: int | random.Random | None, owner: str) -> Callable[[float, float], float]:
    rng = _shared(seed, owner)
    # The global module's function when no seed is given: micrograd draws from it, and so
    # random.seed(...) reproduces micrograd's weights.
    return random.uniform if rng is None else rng.uniform
