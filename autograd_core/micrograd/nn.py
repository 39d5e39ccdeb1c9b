"""micrograd's ``nn``: ``Module``, ``Neuron``, ``Layer`` and ``MLP``, on autograd_core nodes.

The classes, their arguments, attributes (``w``, ``b``, ``nonlin``, ``neurons``, ``layers``),
reprs and initial weights are micrograd's: each weight is ``random.uniform(-1, 1)`` drawn from
Python's global ``random`` module in micrograd's order and each bias starts at 0, so after
``random.seed(1337)`` an ``MLP(2, [16, 16, 1])`` here has exactly the weights micrograd's has.

What changes is the graph a neuron builds. micrograd adds ``w1·x1 + w2·x2 + ... + b`` as a
chain of ``2n`` nodes; here it is one ``Σ w·x + b`` node (``ag.dot``) with the same value
(same order of additions) and the same gradients, built for a whole layer at once. That is
most of why the demo's training step is so much faster.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any, cast

from autograd_core._checks import flag, integer
from autograd_core.engine import blocks
from autograd_core.micrograd.engine import Value

__all__ = ["Module", "Neuron", "Layer", "MLP"]


class Module:
    """Base class of the models: ``parameters()`` and ``zero_grad()``, as in micrograd.

    Example:
        >>> from autograd_core.micrograd import MLP
        >>> model = MLP(2, [3, 1])
        >>> model.parameters()[0].grad = 5.0
        >>> model.zero_grad()
        >>> {p.grad for p in model.parameters()}
        {0.0}
    """

    def zero_grad(self) -> None:
        """Set the gradient of every parameter to 0 (before each backward of a training loop).

        Example:
            >>> from autograd_core.micrograd import Neuron
            >>> n = Neuron(2)
            >>> n.b.grad = 1.0
            >>> n.zero_grad()
            >>> n.b.grad
            0.0
        """
        for p in self.parameters():
            p.grad = 0.0

    def parameters(self) -> list[Value]:
        """Every trainable Value of the module (none for this base class).

        Example:
            >>> from autograd_core.micrograd import Module
            >>> Module().parameters()
            []
        """
        return []


class Neuron(Module):
    """One neuron: ``relu(Σ wᵢ·xᵢ + b)``, or linear with ``nonlin=False``.

    Args:
        nin: Number of inputs.
        nonlin: Apply ReLU (micrograd's hidden layers) or not (its output layer).

    Example:
        >>> import random
        >>> from autograd_core.micrograd import Neuron, Value
        >>> random.seed(1337)
        >>> n = Neuron(2)
        >>> y = n([Value(1.0), Value(-2.0)])
        >>> y.backward()
        >>> n, y._op, [round(w.grad, 6) for w in n.w], n.b.grad
        (ReLUNeuron(2), 'ReLU', [1.0, -2.0], 1.0)
    """

    def __init__(self, nin: int, nonlin: bool = True) -> None:
        nin = integer(nin, "nin", "Neuron", minimum=0)
        self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]
        self.b = Value(0)
        self.nonlin = flag(nonlin, "nonlin", "Neuron")

    def __call__(self, x: Sequence[Any]) -> Value:
        out = _forward([self], x)
        if out is not None:
            return out[0]
        act: Value = sum((wi * xi for wi, xi in zip(self.w, _inputs(x, len(self.w)))), self.b)
        return cast(Value, act.relu()) if self.nonlin else act

    def parameters(self) -> list[Value]:
        """The weights, then the bias.

        Example:
            >>> from autograd_core.micrograd import Neuron
            >>> len(Neuron(3).parameters())
            4
        """
        return [*self.w, self.b]

    def __repr__(self) -> str:
        return f"{'ReLU' if self.nonlin else 'Linear'}Neuron({len(self.w)})"


class Layer(Module):
    """``nout`` neurons that read the same inputs; keyword arguments go to each ``Neuron``.

    Calling it returns a list of outputs, or the single output when ``nout`` is 1.

    Args:
        nin: Number of inputs.
        nout: Number of neurons.
        **kwargs: ``nonlin=False`` for a linear layer.

    Example:
        >>> from autograd_core.micrograd import Layer, Value
        >>> layer = Layer(2, 3)
        >>> outputs = layer([Value(1.0), Value(2.0)])
        >>> layer, len(outputs)
        (Layer of [ReLUNeuron(2), ReLUNeuron(2), ReLUNeuron(2)], 3)
    """

    def __init__(self, nin: int, nout: int, **kwargs: Any) -> None:
        nout = integer(nout, "nout", "Layer", minimum=0)
        self.neurons = [Neuron(nin, **kwargs) for _ in range(nout)]

    def __call__(self, x: Sequence[Any]) -> Value | list[Value]:
        out = _forward(self.neurons, x)
        if out is None:
            out = [n(x) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def parameters(self) -> list[Value]:
        """The parameters of each neuron in turn.

        Example:
            >>> from autograd_core.micrograd import Layer
            >>> len(Layer(2, 3).parameters())
            9
        """
        return [p for n in self.neurons for p in n.parameters()]

    def __repr__(self) -> str:
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


class MLP(Module):
    """A multi-layer perceptron: ReLU hidden layers and a linear output layer.

    Args:
        nin: Number of inputs.
        nouts: The width of each layer, the output layer last (``[16, 16, 1]``).

    Example:
        >>> import random
        >>> from autograd_core.micrograd import MLP
        >>> random.seed(1337)
        >>> model = MLP(2, [16, 16, 1])
        >>> len(model.parameters()), model.layers[-1]
        (337, Layer of [LinearNeuron(16)])
    """

    def __init__(self, nin: int, nouts: list[int]) -> None:
        sz = [nin, *nouts]
        self.layers = [
            Layer(sz[i], sz[i + 1], nonlin=i != len(nouts) - 1) for i in range(len(nouts))
        ]

    def __call__(self, x: Any) -> Any:
        for layer in self.layers:
            x = layer(x)
        return x

    def parameters(self) -> list[Value]:
        """The parameters of each layer in turn (micrograd's order).

        Example:
            >>> from autograd_core.micrograd import MLP
            >>> len(MLP(2, [16, 16, 1]).parameters())
            337
        """
        return [p for layer in self.layers for p in layer.parameters()]

    def __repr__(self) -> str:
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"


def _inputs(x: Any, n: int) -> list[Any]:
    """The inputs as a list, refused when their number is not the neuron's (micrograd's zip
    would drop the extra ones, or the missing weights, without a word)."""
    try:
        xs = list(x)
    except TypeError:
        raise TypeError(
            f"Neuron: expected a list of {n} inputs, got {type(x).__name__} {x!r}"
        ) from None
    if len(xs) != n:
        raise ValueError(f"Neuron: expected {n} inputs, got {len(xs)}")
    return xs


def _forward(neurons: list[Neuron], x: Any) -> list[Value] | None:
    """The outputs of ``neurons`` on ``x`` as ``Σ w·x + b`` nodes (and ReLU nodes), built for
    the layer at once; None when the neurons or inputs need the plain path (a subclass that
    changes a neuron, mixed input types, gradients off)."""
    if not neurons or any(type(n) is not Neuron for n in neurons):
        return None
    nonlin = neurons[0].nonlin
    if any(n.nonlin is not nonlin for n in neurons):
        return None
    xs = _inputs(x, len(neurons[0].w))
    rows = blocks.dense(Value, [n.w for n in neurons], [n.b for n in neurons], [xs], None, nonlin)
    return None if rows is None else cast(list[Value], rows[0])
