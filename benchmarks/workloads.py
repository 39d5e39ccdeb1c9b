"""Benchmark workloads, each run in a fresh process: ``python -m benchmarks.workloads NAME LIB``.

A workload builds its input outside the timed region, then times ``repeats`` runs of the work
and prints one JSON line: ``{"times": [...], "extra": {...}}``. The runner (``run.py``)
alternates libraries across fresh processes and reports medians, so neither library profits
from a warmer machine or a fuller heap.

Libraries: ``ag`` (autograd_core), ``micrograd`` (PyPI ``micrograd``), ``torch`` (0-d float64
tensors, when installed), and ``floor``: the same training steps written by hand on plain floats
(``benchmarks/floor.py``), the speed no autodiff library in pure Python can beat.
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
            scores = model(X)  # the whole batch at once: each layer reads its weights once
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


def moons_reference(lib: str, repeats: int, n: int) -> dict[str, Any]:
    """The hand loop of ``moons_library`` on the reference engine (``ag.engine.use``).

    Every backward pass goes through ``reference.gradients`` and the layers are built node by
    node (no layer blocks): the readable engine the fast one is checked against.
    """
    if lib != "ag":
        raise SystemExit("moons_reference measures autograd_core's reference engine")
    import autograd_core as ag

    ag.engine.use("reference")  # this process only: each workload runs in a fresh one
    return moons_library("ag", repeats, n)


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


def moons_floor(lib: str, repeats: int, n: int) -> dict[str, Any]:
    """The same step (same data, weights and lr schedule) in ``benchmarks/floor.py``."""
    if lib != "floor":
        raise SystemExit("moons_floor runs the hand-written floor (lib 'floor')")
    from benchmarks import floor

    X, y = moons(n)
    layers = floor.init_mlp([2, 16, 16, 1], seed=0)  # nn.MLP(2, [16, 16, 1], seed=0)'s weights
    times: list[float] = []
    loss = math.nan
    for k in range(repeats):
        t0 = time.perf_counter()
        loss = floor.moons_step(layers, X, y, lr=1.0 - 0.9 * k / 100)
        times.append(time.perf_counter() - t0)
    return {"times": times, "extra": {"final_loss": loss}}


# -- digits: 64-32-10, cross-entropy, Adam, mini-batches of 32 ---------------------------------


def digits_batches(n: int) -> list[tuple[list[list[float]], list[int]]]:
    """The first ``n`` samples of the training split (0: all 1,438) in shuffled batches of 32.

    The order is fixed (seed 0) and the same for the library and the floor.
    """
    from autograd_core import data

    X, y = data.load_digits("train")
    if 0 < n < len(X):
        X, y = X[:n], y[:n]
    return list(data.batches(X, y, 32, shuffle=True, seed=0))


def digits_epoch(lib: str, repeats: int, n: int) -> dict[str, Any]:
    """One epoch per repeat: ``nn.MLP(64, [32, 10])``, ``losses.cross_entropy`` and
    ``optim.Adam`` in a hand-written loop over the batches, garbage collector as by default."""
    if lib != "ag":
        raise SystemExit("digits_epoch measures autograd_core")
    from autograd_core import losses as ag_losses
    from autograd_core import nn, optim

    batches = digits_batches(n)
    model = nn.MLP(64, [32, 10], seed=0)
    opt = optim.Adam(model.parameters())
    times: list[float] = []
    epoch_losses: list[float] = []
    for _ in range(repeats):
        total = 0.0
        t0 = time.perf_counter()
        for xb, yb in batches:
            loss = ag_losses.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.data
        times.append(time.perf_counter() - t0)
        epoch_losses.append(total / len(batches))
        del loss
    return {"times": times, "extra": {"final_loss": epoch_losses[-1]}}


def digits_fit(lib: str, repeats: int, n: int) -> dict[str, Any]:
    """The same epochs through ``training.fit`` (which also counts the training accuracy)."""
    if lib != "ag":
        raise SystemExit("digits_fit measures autograd_core's training loop")
    from autograd_core import nn, optim, training

    batches = digits_batches(n)
    X = [x for xb, _ in batches for x in xb]
    y = [t for _, yb in batches for t in yb]
    model = nn.MLP(64, [32, 10], seed=0)
    opt = optim.Adam(model.parameters())
    history = training.fit(
        model, X, y, loss="cross_entropy", optimizer=opt, epochs=repeats, batch_size=32, seed=0,
        progress=False,
    )  # fmt: skip
    return {"times": list(history.seconds), "extra": {"final_loss": history.loss[-1]}}


def digits_floor(lib: str, repeats: int, n: int) -> dict[str, Any]:
    """The epoch of ``digits_epoch`` (same batches, weights and Adam) in ``floor.py``."""
    if lib != "floor":
        raise SystemExit("digits_floor runs the hand-written floor (lib 'floor')")
    from benchmarks import floor

    batches = digits_batches(n)
    layers = floor.init_mlp([64, 32, 10], seed=0)
    opt = floor.Adam(layers)
    times: list[float] = []
    epoch_losses: list[float] = []
    for _ in range(repeats):
        total = 0.0
        t0 = time.perf_counter()
        for xb, yb in batches:
            total += floor.digits_step(layers, opt, xb, yb)
        times.append(time.perf_counter() - t0)
        epoch_losses.append(total / len(batches))
    return {"times": times, "extra": {"final_loss": epoch_losses[-1]}}


DIGITS_BUDGET = 30.0
"""Seconds of training ``digits_accuracy`` allows itself."""


def digits_accuracy(lib: str, repeats: int, n: int) -> dict[str, Any]:
    """Train with ``training.fit`` until 95% held-out accuracy, ``DIGITS_BUDGET`` seconds or
    ``repeats`` epochs, whichever comes first.

    ``nn.MLP(64, [32, 10], init="auto")`` (He init for the relu layer), ``optim.Adam(lr=0.01)``,
    mini-batches of 32, one ``fit`` call per epoch so that the held-out split (20%, seed 0) is
    checked after each. The time includes those checks.
    """
    if lib != "ag":
        raise SystemExit("digits_accuracy measures autograd_core")
    from autograd_core import data, nn, optim, training

    X, y = data.load_digits("train")
    if 0 < n < len(X):
        X, y = X[:n], y[:n]
    X_test, y_test = data.load_digits("test")
    model = nn.MLP(64, [32, 10], init="auto", seed=0)
    opt = optim.Adam(model.parameters(), lr=0.01)
    accuracy = 0.0
    epochs = 0
    t0 = time.perf_counter()
    elapsed = 0.0
    while epochs < repeats and accuracy < 0.95 and elapsed < DIGITS_BUDGET:
        training.fit(
            model, X, y, loss="cross_entropy", optimizer=opt, epochs=1, batch_size=32,
            seed=epochs, progress=False,
        )  # fmt: skip
        epochs += 1
        accuracy = training.evaluate(model, X_test, y_test, loss="cross_entropy")["accuracy"]
        elapsed = time.perf_counter() - t0
    return {"times": [elapsed], "extra": {"accuracy": accuracy, "epochs": epochs}}


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
    """Build ``y = y + x`` n times and run backward (a graph n nodes deep).

    The cyclic garbage collector stays as Python starts it (on): building a million nodes
    with it on is what a user's program does. (``backward`` pauses it for its own pass.)
    """
    value = value_class(lib)
    if not gc.isenabled():
        raise SystemExit("chain must run with the garbage collector on")
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


# -- checkpoints -------------------------------------------------------------------------------


def checkpoint_model(n: int) -> Any:
    """``nn.MLP(64, [n, n // 4, 10])``: n = 512 gives 100,234 parameters."""
    from autograd_core import nn

    return nn.MLP(64, [n, max(n // 4, 1), 10], seed=0)


def save_model(lib: str, repeats: int, n: int) -> dict[str, Any]:
    """``model.save(path)``: JSON text, checksum, a temporary file, fsync and rename."""
    import tempfile
    from pathlib import Path

    if lib != "ag":
        raise SystemExit("save_model measures autograd_core")
    model = checkpoint_model(n)
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.json"
        for _ in range(repeats):
            t0 = time.perf_counter()
            model.save(path)
            times.append(time.perf_counter() - t0)
        size = path.stat().st_size
    return {"times": times, "extra": {"parameters": model.num_parameters, "bytes": size}}


def load_model(lib: str, repeats: int, n: int) -> dict[str, Any]:
    """``nn.load_model(path)``: read, validate and checksum the file, build the model, set its
    parameters. The file is written before the timed runs."""
    import tempfile
    from pathlib import Path

    from autograd_core import nn

    if lib != "ag":
        raise SystemExit("load_model measures autograd_core")
    model = checkpoint_model(n)
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        path = model.save(Path(tmp) / "model.json")
        for _ in range(repeats):
            t0 = time.perf_counter()
            loaded = nn.load_model(path)
            times.append(time.perf_counter() - t0)
            if loaded.state_dict() != model.state_dict():
                raise SystemExit("load_model: the loaded parameters differ from the saved ones")
            del loaded
    return {"times": times, "extra": {"parameters": model.num_parameters}}


# -- forward and reverse mode: a Jacobian both ways --------------------------------------------


def _trunk(h: Any) -> Any:
    """Twenty steps every output shares (a network's hidden layers, in one dimension)."""
    for _ in range(20):
        h = (h * 0.9).tanh() + h * 0.1
    return h


def _many_outputs(n: int) -> Callable[..., Any]:
    """One input, ``n`` outputs: ``sin(c_k·h) + h·h`` for k < n, on the shared trunk's h."""

    def f(x: Any) -> list[Any]:
        h = _trunk(x)
        return [(h * (0.01 * (k + 1))).sin() + h * h for k in range(n)]

    return f


def _many_inputs(n: int) -> Callable[..., Any]:
    """``n`` inputs, one output: the trunk of ``Σ sin(c_k·x_k) + x_k·x_k``: the same nodes as
    :func:`_many_outputs`, the other way round."""
    import autograd_core as ag

    def f(*xs: Any) -> Any:
        return _trunk(ag.sum([(x * (0.01 * (k + 1))).sin() + x * x for k, x in enumerate(xs)]))

    return f


def _jacobian_times(lib: str, repeats: int, n: int, how: str, shape: str) -> dict[str, Any]:
    """Time ``jacfwd`` or ``jacobian`` of the ``shape`` function of size n (``n`` outputs of one
    input, or ``n`` inputs to one output); checks that both give the same matrix."""
    if lib != "ag":
        raise SystemExit("the Jacobian workloads measure autograd_core's two modes")
    from autograd_core import functional

    f = _many_outputs(n) if shape == "outputs" else _many_inputs(n)
    point = [0.5] if shape == "outputs" else [0.5 + 0.001 * k for k in range(n)]
    mode = functional.jacfwd if how == "fwd" else functional.jacobian
    other = functional.jacobian if how == "fwd" else functional.jacfwd
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        matrix = mode(f)(*point)
        times.append(time.perf_counter() - t0)
    check = other(f)(*point)
    if any(
        abs(a - b) > 1e-12 * max(1.0, abs(b)) for r, s in zip(matrix, check) for a, b in zip(r, s)
    ):
        raise SystemExit("jacfwd and jacobian disagree")
    return {"times": times, "extra": {"shape": [len(matrix), len(matrix[0])]}}


def jacfwd_outputs(lib: str, repeats: int, n: int) -> dict[str, Any]:
    """``jacfwd`` of one input and ``n`` outputs (one forward pass)."""
    return _jacobian_times(lib, repeats, n, "fwd", "outputs")


def jacobian_outputs(lib: str, repeats: int, n: int) -> dict[str, Any]:
    """``jacobian`` of one input and ``n`` outputs (``n`` backward passes)."""
    return _jacobian_times(lib, repeats, n, "rev", "outputs")


def jacfwd_inputs(lib: str, repeats: int, n: int) -> dict[str, Any]:
    """``jacfwd`` of ``n`` inputs and one output (``n`` forward passes)."""
    return _jacobian_times(lib, repeats, n, "fwd", "inputs")


def jacobian_inputs(lib: str, repeats: int, n: int) -> dict[str, Any]:
    """``jacobian`` of ``n`` inputs and one output (one backward pass)."""
    return _jacobian_times(lib, repeats, n, "rev", "inputs")


# -- watching training ---------------------------------------------------------------------------


def moons_live(lib: str, repeats: int, n: int) -> dict[str, Any]:
    """``fit(..., live=True)`` for 40 epochs of the moons demo, then the GIF written: outside
    Jupyter every epoch's frame is drawn and recorded (in Jupyter the display is refreshed at
    most four times a second besides)."""
    if lib != "ag":
        raise SystemExit("moons_live measures autograd_core's LiveTraining")
    import tempfile
    from pathlib import Path

    from autograd_core import nn, training

    X, y = moons(n)
    times = []
    for _ in range(repeats):
        model = nn.MLP(2, [16, 16, 1], seed=0)
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            history = training.fit(model, X, y, epochs=40, lr=0.5, live=True, progress=False)
            history.live.save(Path(tmp) / "training.gif")
            times.append(time.perf_counter() - t0)
    return {"times": times, "extra": {"frames": len(history.live.epochs)}}


WORKLOADS: dict[str, Callable[[str, int, int], dict[str, Any]]] = {
    "moons_engine": moons_engine,
    "moons_library": moons_library,
    "moons_reference": moons_reference,
    "moons_fit": moons_fit,
    "moons_floor": moons_floor,
    "digits_epoch": digits_epoch,
    "digits_fit": digits_fit,
    "digits_floor": digits_floor,
    "digits_accuracy": digits_accuracy,
    "bytes_per_node": bytes_per_node,
    "chain": chain,
    "wide_sum": wide_sum,
    "save_model": save_model,
    "load_model": load_model,
    "jacfwd_outputs": jacfwd_outputs,
    "jacobian_outputs": jacobian_outputs,
    "jacfwd_inputs": jacfwd_inputs,
    "jacobian_inputs": jacobian_inputs,
    "moons_live": moons_live,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("workload", choices=sorted(WORKLOADS))
    parser.add_argument("lib", choices=["ag", "micrograd", "torch", "floor"])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--n", type=int, default=100)
    args = parser.parse_args(argv)
    result = WORKLOADS[args.workload](args.lib, args.repeats, args.n)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
