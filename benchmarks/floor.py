"""The floor: the benchmarks' training steps written by hand on plain floats and lists.

No Values, no graph, no autodiff: each forward pass and its backpropagation are spelled out
for the one network they serve, the way a careful Python programmer would write them to be
fast. The library cannot be expected to beat this (it does the same arithmetic *and* records
and walks a graph), so "× the floor" says how much the convenience of autodiff costs.

The math is the library's, operation for operation where it matters, and
``tests/test_floor.py`` checks that the loss, every gradient and the parameters after a few
optimizer steps agree with ``autograd_core`` to 1e-12:

* a neuron is ``sum(map(mul, w, x), b)``: the bias first, then the products left to right, as
  ``ag.dot`` adds them, so the forward pass gives the library's very floats;
* (a) moons: MLP 2-16-16-1 (relu hidden layers, linear output), hinge loss
  ``mean(relu(1 − y·score))`` plus ``1e-4·Σp²``, one full-batch SGD step;
* (b) digits: MLP 64-32-10, softmax cross-entropy averaged over the batch, computed as
  ``log Σ exp(zⱼ − m) − (z_t − m)`` with ``m`` the largest logit (``losses.cross_entropy``),
  mini-batches of 32, Adam with PyTorch's defaults (``optim.Adam``).

A network is a list of layers ``(W, B)``: ``W`` has one row of weights per neuron, ``B`` one
bias per neuron. Gradients have the same shape. The backward pass works on whole batches:
``zip(*rows)`` turns per-sample rows into per-neuron columns, so every weight's gradient is one
``sum(map(mul, ...))`` over the batch, a loop that runs in C.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from itertools import pairwise
from operator import mul

__all__ = [
    "Layer",
    "init_mlp",
    "from_state",
    "flat",
    "forward",
    "moons_loss_and_grads",
    "sgd_update",
    "moons_step",
    "digits_loss_and_grads",
    "Adam",
    "digits_step",
]

Layer = tuple[list[list[float]], list[float]]
"""One dense layer: weights (a row per neuron) and biases (one per neuron)."""


def init_mlp(sizes: Sequence[int], seed: int) -> list[Layer]:
    """``nn.MLP(sizes[0], sizes[1:], seed=seed)``'s starting weights (its default init).

    The library draws every weight from ``random.Random(seed).uniform(-1, 1)``, neuron by
    neuron, and starts the biases at 0; drawing in the same order gives the same floats.

    Example:
        >>> layers = init_mlp([2, 16, 16, 1], seed=0)
        >>> [(len(W), len(W[0]), len(B)) for W, B in layers]
        [(16, 2, 16), (16, 16, 16), (1, 16, 1)]
    """
    rng = random.Random(seed)
    layers: list[Layer] = []
    for nin, nout in pairwise(sizes):
        W = [[rng.uniform(-1.0, 1.0) for _ in range(nin)] for _ in range(nout)]
        layers.append((W, [0.0] * nout))
    return layers


def from_state(state: Mapping[str, float], sizes: Sequence[int]) -> list[Layer]:
    """Layers holding the parameters of an ``nn.MLP`` ``state_dict()`` (any init).

    Example:
        >>> state = {"layers.0.neurons.0.w.0": 0.5, "layers.0.neurons.0.b": -1.0}
        >>> from_state(state, [1, 1])
        [([[0.5]], [-1.0])]
    """
    layers: list[Layer] = []
    for k, (nin, nout) in enumerate(pairwise(sizes)):
        prefix = f"layers.{k}.neurons."
        W = [[state[f"{prefix}{i}.w.{j}"] for j in range(nin)] for i in range(nout)]
        B = [state[f"{prefix}{i}.b"] for i in range(nout)]
        layers.append((W, B))
    return layers


def flat(layers: Sequence[Layer]) -> list[float]:
    """Parameters (or gradients) in the order of ``nn.MLP.parameters()``: per neuron, w then b.

    Example:
        >>> flat([([[1.0, 2.0], [3.0, 4.0]], [5.0, 6.0])])
        [1.0, 2.0, 5.0, 3.0, 4.0, 6.0]
    """
    return [v for W, B in layers for w, b in zip(W, B) for v in (*w, b)]


def forward(layers: Sequence[Layer], X: Sequence[Sequence[float]]) -> list[list[list[float]]]:
    """Every layer's outputs for a batch: ``acts[0]`` is ``X``, ``acts[-1]`` the network's.

    Hidden layers are relu'd, the last layer is linear. The activations are kept because the
    backward pass needs each layer's inputs.

    Example:
        >>> acts = forward([([[1.0, -1.0]], [0.5]), ([[2.0]], [0.0])], [[1.0, 3.0]])
        >>> acts[1], acts[2]  # relu(1 − 3 + 0.5) = 0, then 2·0 + 0
        ([[0.0]], [[0.0]])
    """
    acts = [[list(x) for x in X]]
    last = len(layers) - 1
    for k, (W, B) in enumerate(layers):
        neurons = list(zip(W, B))
        rows = []
        for x in acts[-1]:
            z = [sum(map(mul, w, x), b) for w, b in neurons]
            rows.append(z if k == last else [v if v > 0.0 else 0.0 for v in z])
        acts.append(rows)
    return acts


def _backward(
    layers: Sequence[Layer], acts: list[list[list[float]]], dZ: list[list[float]]
) -> list[Layer]:
    """Backpropagate ``dZ`` (d loss / d output, a row per sample) through the network.

    For a layer with inputs ``A``: ``dW[j][i] = Σₛ dZ[s][j]·A[s][i]``, ``dB[j] = Σₛ dZ[s][j]``
    and ``dA[s][i] = Σⱼ dZ[s][j]·W[j][i]``, then the relu below lets ``dA`` through where
    its output was positive.
    """
    grads: list[Layer] = []
    for k in range(len(layers) - 1, -1, -1):
        W = layers[k][0]
        A = acts[k]
        # Per neuron and per input, over the samples (an empty batch gives empty columns).
        dz_columns = list(zip(*dZ)) or [()] * len(W)
        a_columns = list(zip(*A)) or [()] * len(W[0])
        dW = [[sum(map(mul, dz, a), 0.0) for a in a_columns] for dz in dz_columns]
        dB = [sum(dz, 0.0) for dz in dz_columns]
        grads.append((dW, dB))
        if k:  # the input features need no gradient
            w_columns = list(zip(*W))  # per input, over the neurons
            dA = [[sum(map(mul, d, w), 0.0) for w in w_columns] for d in dZ]
            # the relu that made A passes the gradient where its output was positive
            dZ = [[g if h > 0.0 else 0.0 for g, h in zip(da, a)] for da, a in zip(dA, A)]
    grads.reverse()
    return grads


# -- (a) micrograd's moons step ----------------------------------------------------------------


def moons_loss_and_grads(
    layers: Sequence[Layer], X: Sequence[Sequence[float]], y: Sequence[float], l2: float = 1e-4
) -> tuple[float, list[Layer]]:
    """Loss ``mean(relu(1 − y·score)) + l2·Σp²`` for labels ±1, and its gradient.

    Example:
        >>> layers = [([[1.0, 0.0]], [0.0])]  # score = x0
        >>> loss, grads = moons_loss_and_grads(layers, [[0.5, 0.0], [2.0, 0.0]], [1, 1], l2=0.0)
        >>> loss, grads  # only the first sample is inside the margin: (1 − 0.5) / 2
        (0.25, [([[-0.25, 0.0]], [-0.5])])
    """
    acts = forward(layers, X)
    n = len(X)
    inv_n = 1.0 / n
    margins = [1.0 + row[0] * -t for row, t in zip(acts[-1], y)]
    data_loss = sum([m if m > 0.0 else 0.0 for m in margins], 0.0) / n
    params = flat(layers)
    loss = data_loss + l2 * sum(map(mul, params, params), 0.0)
    # Samples outside the margin pass no gradient: backpropagate the others only.
    active = [s for s, m in enumerate(margins) if m > 0.0]
    dZ = [[-y[s] * inv_n] for s in active]
    grads = _backward(layers, [[rows[s] for s in active] for rows in acts], dZ)
    decay = 2.0 * l2
    for (W, B), (dW, dB) in zip(layers, grads):
        for w, dw in zip(W, dW):
            dw[:] = [g + decay * p for g, p in zip(dw, w)]
        dB[:] = [g + decay * p for g, p in zip(dB, B)]
    return loss, grads


def sgd_update(layers: Sequence[Layer], grads: Sequence[Layer], lr: float) -> None:
    """``p ← p − lr·g`` for every parameter, in place (``optim.SGD`` without momentum).

    Example:
        >>> layers = [([[1.0]], [0.0])]
        >>> sgd_update(layers, [([[2.0]], [-1.0])], lr=0.5)
        >>> layers
        [([[0.0]], [0.5])]
    """
    for (W, B), (dW, dB) in zip(layers, grads):
        for w, dw in zip(W, dW):
            w[:] = [p - lr * g for p, g in zip(w, dw)]
        B[:] = [p - lr * g for p, g in zip(B, dB)]


def moons_step(
    layers: Sequence[Layer], X: Sequence[Sequence[float]], y: Sequence[float], lr: float
) -> float:
    """One full-batch SGD step of micrograd's demo; returns the loss before the update.

    Example:
        >>> layers = init_mlp([2, 16, 16, 1], seed=0)
        >>> X, y = [[0.0, 1.0], [1.0, -0.5]], [-1, 1]
        >>> first = moons_step(layers, X, y, lr=0.1)
        >>> moons_step(layers, X, y, lr=0.1) < first
        True
    """
    loss, grads = moons_loss_and_grads(layers, X, y)
    sgd_update(layers, grads, lr)
    return loss


# -- (b) the digits step -----------------------------------------------------------------------


def digits_loss_and_grads(
    layers: Sequence[Layer], X: Sequence[Sequence[float]], y: Sequence[int]
) -> tuple[float, list[Layer]]:
    """Softmax cross-entropy of the logits, averaged over the batch, and its gradient.

    Per sample, with ``m`` the largest logit and ``eⱼ = exp(zⱼ − m)``, ``S = Σ eⱼ``: the loss is
    ``log S − (z_t − m)`` and d loss / d zⱼ is ``eⱼ / S − [j = t]`` (each divided by the batch
    size for the mean).

    Example:
        >>> loss, grads = digits_loss_and_grads([([[0.0], [0.0]], [0.0, 0.0])], [[1.0]], [0])
        >>> round(loss, 6), grads  # two equal logits: log 2, and (½ − 1, ½)
        (0.693147, [([[-0.5], [0.5]], [-0.5, 0.5])])
    """
    acts = forward(layers, X)
    n = len(X)
    inv_n = 1.0 / n
    exp = math.exp
    terms = []
    dZ = []
    for z, t in zip(acts[-1], y):
        m = max(z)
        shifted = [v - m for v in z]
        e = list(map(exp, shifted))
        total = sum(e, 0.0)
        terms.append(math.log(total) - shifted[t])
        scale = 1.0 / total * inv_n
        dz = [v * scale for v in e]
        dz[t] -= inv_n
        dZ.append(dz)
    return sum(terms, 0.0) / n, _backward(layers, acts, dZ)


class Adam:
    """Adam with PyTorch's defaults, the update of ``optim.Adam`` (no weight decay).

    ``m ← β₁m + (1 − β₁)g``, ``v ← β₂v + (1 − β₂)g²`` and
    ``p ← p − lr/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)``.

    Example:
        >>> layers = [([[1.0]], [1.0])]
        >>> Adam(layers, lr=0.1).step([([[1000.0]], [0.001])])  # the first step is about lr
        >>> [round(p, 4) for p in flat(layers)]
        [0.9, 0.9]
    """

    def __init__(
        self,
        layers: Sequence[Layer],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
    ) -> None:
        self.lr = lr
        self.beta1, self.beta2 = betas
        self.eps = eps
        self.t = 0
        # Every row of parameters (each neuron's weights, each layer's biases) with its state.
        self.rows = [row for W, B in layers for row in (*W, B)]
        self.m = [[0.0] * len(row) for row in self.rows]
        self.v = [[0.0] * len(row) for row in self.rows]

    def step(self, grads: Sequence[Layer]) -> None:
        """Update every parameter in place from ``grads`` (shaped like the layers).

        Example:
            >>> layers = [([[0.0, 0.0]], [0.0])]
            >>> opt = Adam(layers, lr=0.01)
            >>> opt.step([([[1.0, -1.0]], [0.0])])
            >>> [round(p, 6) for p in flat(layers)], opt.t  # a zero gradient leaves b alone
            ([-0.01, 0.01, 0.0], 1)
        """
        self.t += 1
        beta1, beta2, eps = self.beta1, self.beta2, self.eps
        keep1, keep2 = 1.0 - beta1, 1.0 - beta2
        step_size = self.lr / (1.0 - beta1**self.t)
        root2 = math.sqrt(1.0 - beta2**self.t)
        sqrt = math.sqrt
        grad_rows = [row for dW, dB in grads for row in (*dW, dB)]
        for p, g, m, v in zip(self.rows, grad_rows, self.m, self.v):
            m[:] = [beta1 * a + keep1 * b for a, b in zip(m, g)]
            v[:] = [beta2 * a + keep2 * b * b for a, b in zip(v, g)]
            p[:] = [x - step_size * a / (sqrt(b) / root2 + eps) for x, a, b in zip(p, m, v)]


def digits_step(
    layers: Sequence[Layer], optimizer: Adam, X: Sequence[Sequence[float]], y: Sequence[int]
) -> float:
    """One mini-batch Adam step on the digits; returns the batch loss before the update.

    Example:
        >>> layers = init_mlp([4, 3, 2], seed=0)
        >>> opt = Adam(layers, lr=0.1)
        >>> X, y = [[1.0, 0.0, 0.0, 1.0], [0.0, 1.0, 1.0, 0.0]], [0, 1]
        >>> first = digits_step(layers, opt, X, y)
        >>> all(digits_step(layers, opt, X, y) < first for _ in range(3))
        True
    """
    loss, grads = digits_loss_and_grads(layers, X, y)
    optimizer.step(grads)
    return loss
