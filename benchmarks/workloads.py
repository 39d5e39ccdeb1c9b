"""Benchmark workloads, each run in a fresh process: ``python -m benchmarks.workloads NAME LIB``.

A workload builds its input outside the timed region, then times ``repeats`` runs of the work
and prints one JSON line: ``{"times": [...], "extra": {...}}``. The runner (``run.py``)
alternates libraries across fresh processes and reports medians, so neither library profits
from a warmer machine or a fuller heap.

Libraries: ``ag`` (autograd_core), ``micrograd`` (PyPI ``micrograd``), ``torch`` (0-d float64
tensors, when installed).
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import random
import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any


def value_class(lib: str) -> Any:
    if lib == "torch":
        import torch

        torch.set_num_threads(1)  # scalar ops: threads only add overhead

        def scalar(x: float) -> Any:
            return torch.tensor(float(x), dtype=torch.float64, requires_grad=True)

        return scalar
    if lib == "ag":
        from autograd_core import Value

        return Value
    if lib == "micrograd":
        from micrograd.engine import Value

        return Value
    raise SystemExit(f"library {lib!r} has no Value class")


def moons(
    n: int = 100, noise: float = 0.1, seed: int = 1337
) -> tuple[list[list[float]], list[int]]:
    """Two interleaving half circles with Gaussian noise; labels -1 / +1 (as micrograd's demo)."""
    rng = random.Random(seed)
    half = n // 2
    xs: list[list[float]] = []
    ys: list[int] = []
    for i in range(n):
        upper = i < half
        k = i if upper else i - half
        count = half if upper else n - half
        t = math.pi * k / max(count - 1, 1)
        if upper:
            x0, x1, label = math.cos(t), math.sin(t), -1
        else:
            x0, x1, label = 1.0 - math.cos(t), 0.5 - math.sin(t), 1
        xs.append([x0 + rng.gauss(0.0, noise), x1 + rng.gauss(0.0, noise)])
        ys.append(label)
    return xs, ys


# -- moons demo, engine path: the same user code, built from plain Value operations ------------


def plain_mlp(value: Any, nin: int, nouts: list[int], seed: int = 0) -> Any:
    """micrograd's MLP written against a Value class: neurons are chains of + and *."""
    rng = random.Random(seed)

    class Neuron:
        def __init__(self, nin: int, nonlin: bool) -> None:
            self.w = [value(rng.uniform(-1, 1)) for _ in range(nin)]
            self.b = value(0.0)
            self.nonlin = nonlin

        def __call__(self, x: list[Any]) -> Any:
            act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
            return act.relu() if self.nonlin else act

        def parameters(self) -> list[Any]:
            return [*self.w, self.b]

    class Layer:
        def __init__(self, nin: int, nout: int, nonlin: bool) -> None:
            self.neurons = [Neuron(nin, nonlin) for _ in range(nout)]

        def __call__(self, x: list[Any]) -> Any:
            out = [n(x) for n in self.neurons]
            return out[0] if len(out) == 1 else out

        def parameters(self) -> list[Any]:
            return [p for n in self.neurons for p in n.parameters()]

    class MLP:
        def __init__(self) -> None:
            sizes = [nin, *nouts]
            self.layers = [
                Layer(sizes[i], sizes[i + 1], nonlin=i != len(nouts) - 1) for i in range(len(nouts))
            ]

        def __call__(self, x: list[Any]) -> Any:
            for layer in self.layers:
                x = layer(x)
            return x

        def parameters(self) -> list[Any]:
            return [p for layer in self.layers for p in layer.parameters()]

    return MLP()


def moons_engine(lib: str, repeats: int, n: int) -> dict[str, Any]:
    """micrograd's demo step (hinge + 1e-4·L2, full-batch SGD) from plain Value ops."""
    value = value_class(lib)
    X, y = moons(n)
    model = plain_mlp(value, 2, [16, 16, 1])
    params = model.parameters()
    times: list[float] = []
    losses: list[float] = []
    for k in range(repeats):
        t0 = time.perf_counter()
        inputs = [list(map(value, row)) for row in X]
        scores = list(map(model, inputs))
        data_loss = sum((1 + -yi * si).relu() for yi, si in zip(y, scores)) * (1.0 / len(y))
        reg_loss = 1e-4 * sum(p * p for p in params)
        loss = data_loss + reg_loss
        for p in params:
            p.grad = None if lib == "torch" else 0.0
        loss.backward()
        lr = 1.0 - 0.9 * k / 100
        for p in params:
            p.data -= lr * p.grad
        times.append(time.perf_counter() - t0)
        losses.append(loss.item() if lib == "torch" else loss.data)
        del loss, data_loss, reg_loss, scores, inputs
    return {"times": times, "extra": {"final_loss": float(losses[-1])}}


# -- moons demo, library path: each library's own MLP, micrograd's demo loop -----------------


def moons_library(lib: str, repeats: int, n: int) -> dict[str, Any]:
    """The demo step as each library's users write it.

    autograd_core: ``nn.MLP`` + ``losses.hinge_loss`` + ``losses.l2_penalty`` + ``optim.SGD``.
    micrograd: its ``nn.MLP`` and the hand-written loss and SGD update of its demo notebook.
    """
    X, y = moons(n)
    times: list[float] = []
    losses: list[float] = []
    if lib == "ag":
        from autograd_core import losses as ag_losses
        from autograd_core import nn, optim

        model = nn.MLP(2, [16, 16, 1], seed=0)
        params = model.parameters()
        opt = optim.SGD(params, lr=1.0)
        for k in range(repeats):
            t0 = time.perf_counter()
            scores = [model(row) for row in X]
            loss = ag_losses.hinge_loss(scores, y) + 1e-4 * ag_losses.l2_penalty(params)
            opt.zero_grad()
            loss.backward()
            opt.lr = 1.0 - 0.9 * k / 100
            opt.step()
            times.append(time.perf_counter() - t0)
            losses.append(loss.data)
            del loss, scores
    elif lib == "micrograd":
        import micrograd.nn
        from micrograd.engine import Value

        random.seed(0)
        mg_model = micrograd.nn.MLP(2, [16, 16, 1])
        for k in range(repeats):
            t0 = time.perf_counter()
            inputs = [list(map(Value, row)) for row in X]
            mg_scores = list(map(mg_model, inputs))
            hinge = [(1 + -yi * si).relu() for yi, si in zip(y, mg_scores)]
            data_loss = sum(hinge) * (1.0 / len(hinge))
            reg_loss = 1e-4 * sum(p * p for p in mg_model.parameters())
            mg_loss = data_loss + reg_loss
            mg_model.zero_grad()
            mg_loss.backward()
            lr = 1.0 - 0.9 * k / 100
            for p in mg_model.parameters():
                p.data -= lr * p.grad
            times.append(time.perf_counter() - t0)
            losses.append(mg_loss.data)
            del mg_loss, data_loss, reg_loss, hinge, mg_scores, inputs
    else:
        raise SystemExit("moons_library compares autograd_core and micrograd")
    return {"times": times, "extra": {"final_loss": float(losses[-1])}}


def moons_fit(lib: str, repeats: int, n: int) -> dict[str, Any]:
    """The same demo through ``training.fit``: one epoch is one full-batch step."""
    if lib != "ag":
        raise SystemExit("moons_fit measures autograd_core's training loop")
    from autograd_core import nn, optim, training

    X, y = moons(n)
    model = nn.MLP(2, [16, 16, 1], seed=0)
    opt = optim.SGD(model.parameters(), lr=1.0)
    sched = optim.LambdaLR(opt, lambda k: 1.0 - 0.9 * k / 100)
    history = training.fit(
        model, X, y, loss="hinge", optimizer=opt, scheduler=sched, epochs=repeats, l2=1e-4,
        progress=False,
    )  # fmt: skip
    return {"times": list(history.seconds), "extra": {"final_loss": history.loss[-1]}}


# -- memory and scale -------------------------------------------------------------------------


def bytes_per_node(lib: str, repeats: int, n: int) -> dict[str, Any]:
    """tracemalloc bytes of ``x * 2.0 + 1.0`` over n inputs, per Value created (constants too)."""
    value = value_class(lib)
    xs = [value(float(i)) for i in range(n)]
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    ys = [x * 2.0 + 1.0 for x in xs]
    used = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    # Count the Values the expression created: everything reachable from the outputs but the inputs.
    seen: set[int] = set()
    stack = list(ys)
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.extend(node.parents if lib == "ag" else node._prev)
    created = len(seen) - n
    return {
        "times": [0.0],
        "extra": {
            "bytes_per_node": used / created,
            "nodes_per_input": created / n,
            "bytes_per_input": used / n,
        },
    }


def chain(lib: str, repeats: int, n: int) -> dict[str, Any]:
    """Build ``y = y + x`` n times and run backward (a graph n nodes deep)."""
    value = value_class(lib)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        x = value(0.5)
        y = x
        for _ in range(n):
            y = y + x
        y.backward()
        times.append(time.perf_counter() - t0)
        assert x.grad == n + 1
        del x, y
    return {"times": times, "extra": {}}


def wide_sum(lib: str, repeats: int, n: int) -> dict[str, Any]:
    """``ag.sum`` over n products (one node with n parents), then backward."""
    import autograd_core as ag

    if lib != "ag":
        raise SystemExit("wide_sum measures autograd_core's n-ary sum only")
    xs = [ag.Value(1.0) for _ in range(n)]
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        total = ag.sum(x * 2.0 for x in xs)
        total.backward()
        times.append(time.perf_counter() - t0)
        del total
    return {"times": times, "extra": {}}


WORKLOADS: dict[str, Callable[[str, int, int], dict[str, Any]]] = {
    "moons_engine": moons_engine,
    "moons_library": moons_library,
    "moons_fit": moons_fit,
    "bytes_per_node": bytes_per_node,
    "chain": chain,
    "wide_sum": wide_sum,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("workload", choices=sorted(WORKLOADS))
    parser.add_argument("lib", choices=["ag", "micrograd", "torch"])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--n", type=int, default=100)
    args = parser.parse_args(argv)
    result = WORKLOADS[args.workload](args.lib, args.repeats, args.n)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
