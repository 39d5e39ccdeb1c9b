"""The training loop, written once: ``fit`` a model to data and get its ``History`` back.

Gradient descent repeats four steps: run the model on a batch (forward propagation), measure
the loss, compute every parameter's gradient (``backward``, the chain rule) and move every
parameter a little against its gradient (the optimizer)::

    for epoch in range(epochs):
        for X_batch, y_batch in data.batches(X, y, batch_size):
            loss = loss_fn([model(x) for x in X_batch], y_batch) + l2 * Σ p²
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        scheduler.step()                        # the learning rate for the next epoch

``fit`` is that loop plus the bookkeeping a learner wants to see: the loss, the accuracy and
the learning rate of every epoch (a ``History``), a progress bar, stopping early once the loss
is low enough, and a checkpoint file.

Each step of ``fit`` runs inside ``paused_gc()``, which keeps Python's cyclic garbage collector
off until the step ends: a step's graph holds no reference cycles, so the collector could only
spend time scanning it. A hand-written loop gets the same saving the same way::

    for X_batch, y_batch in data.batches(X, y, batch_size):
        with training.paused_gc():
            loss = loss_fn([model(x) for x in X_batch], y_batch)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

``batch_size`` chooses the flavour of gradient descent: ``None`` uses every sample in each
step (batch gradient descent: one step per epoch, the same direction for the same weights),
``1`` one sample per step (stochastic: noisy but cheap steps), anything between a mini-batch.

The loss and accuracy recorded for an epoch are those of the forward passes made during the
epoch, before each step's update, as micrograd's demo prints them; for mini-batches they are
averaged over the epoch's batches. ``evaluate`` measures a model as it is now.

Losses are named by strings, each with what the model should output per sample and when the
accuracy counts a sample as right:

* ``"hinge"`` -- one score; labels 0/1 (turned into −1/+1) or −1/+1; right when the score's
  sign is the label's.
* ``"bce_logits"`` -- one logit; labels 0/1; right when ``logit > 0`` exactly for label 1.
* ``"bce"`` -- one probability (a sigmoid output); labels 0/1; right when ``p > 0.5``
  exactly for label 1.
* ``"cross_entropy"`` -- one logit per class; class indices; right when the largest logit is
  the label's.
* ``"mse"`` -- one value or a list of them; float targets; no accuracy.

Any function ``loss(outputs, targets) -> Value`` works too (no accuracy is computed for it).
"""

from __future__ import annotations

import csv
import math
import numbers
import os
import random
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TextIO

from autograd_core import losses, optim
from autograd_core._checks import flag, integer, real
from autograd_core._gc import paused_gc
from autograd_core.data import batches
from autograd_core.engine import Value, no_grad
from autograd_core.nn import MLP, Layer, Module

if TYPE_CHECKING:
    from tqdm import tqdm

__all__ = ["fit", "History", "evaluate", "predict", "paused_gc", "LOSSES"]

LossFunction = Callable[[list[Any], list[Any]], Value]


@dataclass
class History:
    """What happened in each epoch of :func:`fit`: one list entry per epoch.

    Attributes:
        loss: The epoch's training loss (data loss plus the L2 term), before the updates.
        accuracy: The fraction of training samples classified right, before the updates;
            empty for regression losses.
        lr: The learning rate the epoch used.
        seconds: Wall-clock time of the epoch.
        stopped_early: Whether training stopped because the loss reached ``target_loss``.

    Example:
        >>> from autograd_core.training import History
        >>> history = History(loss=[0.9, 0.4], accuracy=[0.5, 1.0], lr=[0.1, 0.1])
        >>> len(history), history.loss[-1]
        (2, 0.4)
    """

    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    stopped_early: bool = False

    def __len__(self) -> int:
        return len(self.loss)

    @property
    def epochs(self) -> int:
        """How many epochs ran."""
        return len(self.loss)

    def rows(self) -> list[dict[str, float | int | None]]:
        """One dict per epoch: ``epoch`` (from 1), ``loss``, ``accuracy``, ``lr``, ``seconds``.

        Returns:
            The table that :meth:`to_csv` writes; ``accuracy`` is ``None`` without a metric.

        Example:
            >>> from autograd_core.training import History
            >>> History(loss=[0.5], lr=[0.1], seconds=[0.02]).rows()
            [{'epoch': 1, 'loss': 0.5, 'accuracy': None, 'lr': 0.1, 'seconds': 0.02}]
        """
        n = len(self.loss)

        def column(values: list[float], i: int) -> float | None:
            return values[i] if i < len(values) else None

        return [
            {
                "epoch": i + 1,
                "loss": self.loss[i],
                "accuracy": column(self.accuracy, i),
                "lr": column(self.lr, i),
                "seconds": column(self.seconds, i),
            }
            for i in range(n)
        ]

    def to_csv(self, path: str | os.PathLike[str]) -> Path:
        """Write the history as CSV: a header, then one line per epoch (floats as ``repr``).

        Args:
            path: Where to write (conventionally ``history.csv``).

        Returns:
            The path written.

        Example:
            >>> import pathlib, tempfile
            >>> from autograd_core.training import History
            >>> path = pathlib.Path(tempfile.mkdtemp()) / "history.csv"
            >>> print(History(loss=[0.5], accuracy=[1.0], lr=[0.1]).to_csv(path).read_text())
            epoch,loss,accuracy,lr,seconds
            1,0.5,1.0,0.1,
            <BLANKLINE>
        """
        path = Path(path)
        with open(path, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f, lineterminator="\n")
            writer.writerow(["epoch", "loss", "accuracy", "lr", "seconds"])
            for row in self.rows():
                writer.writerow(["" if v is None else repr(v) for v in row.values()])
        return path


@dataclass(frozen=True)
class _Task:
    """A named loss: how to check the targets, compute the loss, and score a prediction."""

    name: str
    compute: LossFunction
    targets: Callable[[Sequence[Any]], list[Any]]
    correct: Callable[[Any, Any], bool] | None
    single_output: bool


def fit(
    model: Module,
    X: Sequence[Any],  # noqa: N803 - X and y, as in every ML text
    y: Sequence[Any],
    *,
    loss: str | LossFunction = "hinge",
    optimizer: optim.Optimizer | None = None,
    scheduler: optim.LRScheduler | None = None,
    epochs: int = 100,
    batch_size: int | None = None,
    lr: float = 0.1,
    l2: float = 0.0,
    shuffle: bool = True,
    seed: int | None = None,
    target_loss: float | None = None,
    progress: bool = True,
    checkpoint: str | os.PathLike[str] | None = None,
    checkpoint_every: int = 1,
    on_epoch: Callable[[int, History], None] | None = None,
) -> History:
    """Train ``model`` on ``(X, y)`` by gradient descent and return the per-epoch history.

    Args:
        model: The model, e.g. ``nn.MLP(2, [16, 16, 1])``.
        X: Inputs, one feature list per sample.
        y: Targets: class labels for classification losses, numbers for ``"mse"``.
        loss: ``"hinge"``, ``"bce"``, ``"bce_logits"``, ``"cross_entropy"``, ``"mse"`` (see
            the module docstring), or a function ``(outputs, targets) -> Value``.
        optimizer: An optimizer over ``model.parameters()``; default plain SGD with ``lr``.
        scheduler: A learning-rate scheduler, stepped once after each epoch.
        epochs: Maximum number of passes over the data.
        batch_size: Samples per step: ``None`` for full-batch, 1 for stochastic descent.
        lr: Learning rate of the default optimizer (ignored when ``optimizer`` is given).
        l2: Weight of the L2 penalty ``Σ p²`` added to the loss (micrograd's demo: 1e-4).
        shuffle: Visit mini-batches in a new random order each epoch (not for full batches).
        seed: Seed of that order; with a seeded model, the same seed trains identically.
        target_loss: Stop after the first epoch whose loss is at or below this.
        progress: Show a tqdm progress bar (only when stderr is a terminal).
        checkpoint: Save the model here (atomically, see ``Module.save``) during training.
        checkpoint_every: Save every this many epochs; the last epoch is always saved.
        on_epoch: Called as ``on_epoch(epoch, history)`` after each epoch (``epoch`` from 0).

    Returns:
        A :class:`History`.

    Raises:
        TypeError: for an argument of the wrong type (``epochs=2.0``, ``shuffle="yes"``).
        ValueError: for an argument out of range (``epochs=-1``), targets the loss cannot use,
            or mismatched ``X`` and ``y``.
        OverflowError: when the training diverges (numbers too large for a float).

    Example:
        >>> from autograd_core import data, nn, optim, training
        >>> X, y = data.make_xor()
        >>> model = nn.MLP(2, [8, 1], activation="tanh", seed=0)
        >>> opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        >>> history = training.fit(model, X, y, loss="bce_logits", optimizer=opt,
        ...                        epochs=300, target_loss=0.05, progress=False)
        >>> history.accuracy[-1], history.stopped_early, history.loss[-1] <= 0.05
        (1.0, True, True)
    """
    task = _task(loss)
    _check_fit_arguments(
        X,
        y,
        epochs=epochs,
        batch_size=batch_size,
        l2=l2,
        shuffle=shuffle,
        target_loss=target_loss,
        progress=progress,
        checkpoint_every=checkpoint_every,
    )
    params = model.parameters()
    run = _Run(
        model=model,
        task=task,
        inputs=X,
        targets=task.targets(y),
        params=params,
        optimizer=optim.SGD(params, lr=lr) if optimizer is None else optimizer,
        scheduler=scheduler,
        l2=l2,
        batch_size=batch_size,
        shuffled=shuffle and batch_size is not None and batch_size < len(X),
        epochs=epochs,
        target_loss=target_loss,
        checkpoint=checkpoint,
        checkpoint_every=checkpoint_every,
        on_epoch=on_epoch,
    )
    rng = random.Random(seed)
    history = History()
    bar = _progress_bar(epochs, progress)
    for epoch in bar:
        order_seed = rng.getrandbits(64) if run.shuffled else None
        result = _train_epoch(run, epoch, order_seed)
        if _end_epoch(run, history, bar, epoch, result):
            break
    bar.close()
    return history


# -- the steps of fit, in the order it takes them -----------------------------------------------


def _check_fit_arguments(
    X: Sequence[Any],  # noqa: N803
    y: Sequence[Any],
    *,
    epochs: Any,
    batch_size: Any,
    l2: Any,
    shuffle: Any,
    target_loss: Any,
    progress: Any,
    checkpoint_every: Any,
) -> None:
    """Reject what fit cannot use: ``TypeError`` for a wrong type, ``ValueError`` otherwise."""
    if len(X) != len(y):
        raise ValueError(f"fit: X and y must have the same length, got {len(X)} and {len(y)}")
    if not len(X):
        raise ValueError("fit: no training data")
    integer(epochs, "epochs", "fit", minimum=0)
    if batch_size is not None:
        integer(batch_size, "batch_size", "fit", minimum=1)
    real(l2, "l2", "fit", minimum=0.0)
    flag(shuffle, "shuffle", "fit")
    if target_loss is not None:
        real(target_loss, "target_loss", "fit", finite=False)  # -inf: never stop early
    flag(progress, "progress", "fit")
    integer(checkpoint_every, "checkpoint_every", "fit", minimum=1)


@dataclass(frozen=True)
class _Run:
    """What one call of :func:`fit` works with: its checked arguments, defaults filled in."""

    model: Module
    task: _Task
    inputs: Sequence[Any]
    targets: list[Any]
    params: list[Value]
    optimizer: optim.Optimizer
    scheduler: optim.LRScheduler | None
    l2: float
    batch_size: int | None
    shuffled: bool  # new random mini-batches each epoch (never for a single full batch)
    epochs: int
    target_loss: float | None
    checkpoint: str | os.PathLike[str] | None
    checkpoint_every: int
    on_epoch: Callable[[int, History], None] | None


def _progress_bar(epochs: int, progress: bool) -> tqdm[int]:
    """The epochs to iterate over, as a tqdm bar that draws only when stderr is a terminal."""
    from tqdm import tqdm  # on first use: keeps `import autograd_core` ~30 ms faster

    return tqdm(
        range(epochs),
        desc="train",
        unit="epoch",
        disable=not (progress and _is_terminal(sys.stderr)),
        file=sys.stderr,
        dynamic_ncols=True,
    )


class _EpochResult(NamedTuple):
    loss: float  # data loss + L2 term, of the forward passes before each update
    accuracy: float | None  # None for losses without an accuracy
    lr: float  # the learning rate the epoch used
    seconds: float


def _train_epoch(run: _Run, epoch: int, order_seed: int | None) -> _EpochResult:
    """One pass over the data: a step per batch, then one step of the scheduler."""
    lr = float(getattr(run.optimizer, "lr", math.nan))
    start = time.perf_counter()
    loss_sum = 0.0
    batch_loss = math.nan
    steps = 0
    right = 0
    shuffled = order_seed is not None
    pairs = batches(run.inputs, run.targets, run.batch_size, shuffle=shuffled, seed=order_seed)
    for xb, yb in pairs:
        outputs, batch_loss = _train_step(run, xb, yb, epoch)
        loss_sum += batch_loss * len(xb)
        steps += 1
        if run.task.correct is not None:
            right += sum(map(run.task.correct, map(_data, outputs), yb))
    if run.scheduler is not None:
        run.scheduler.step()  # the learning rate of the next epoch
    n = len(run.inputs)
    # One batch: its loss as it is (L·n/n can differ from L in the last bit).
    loss = batch_loss if steps == 1 else loss_sum / n
    accuracy = None if run.task.correct is None else right / n
    return _EpochResult(loss, accuracy, lr, time.perf_counter() - start)


def _train_step(run: _Run, xb: list[Any], yb: list[Any], epoch: int) -> tuple[list[Any], float]:
    """Forward, loss (+ L2), zero_grad, backward, step: the outputs and the loss before it."""
    # The step runs with the cyclic garbage collector paused: an autograd_core graph has
    # no reference cycles (refcounting frees it), yet its ~20k new objects per moons step
    # trigger collections that scan the whole heap, a third of the step's time. The
    # collector is back on (if it was) as soon as the step ends.
    try:
        with paused_gc():
            outputs = _forward(run, xb)
            objective = run.task.compute(outputs, yb)
            if run.l2:
                objective = objective + run.l2 * losses.l2_penalty(run.params)
            run.optimizer.zero_grad()
            objective.backward()
            run.optimizer.step()
    except ArithmeticError as exc:
        # Overflow in the forward pass or in backward: the steps have grown too large.
        raise type(exc)(
            f"fit: the training diverged in epoch {epoch + 1} ({exc}); try a smaller learning rate"
        ) from exc
    return outputs, objective.data


def _forward(run: _Run, xb: list[Any]) -> list[Any]:
    """The model's output for each sample of the batch, checked against what the loss needs."""
    batch = _batch_forward(run.model)
    outputs = batch(xb) if batch is not None else [run.model(x) for x in xb]
    if run.task.single_output and not isinstance(outputs[0], Value):
        raise ValueError(
            f"fit: loss {run.task.name!r} needs one output per sample, but the model "
            f"returns {len(outputs[0])}"
        )
    return outputs


def _batch_forward(model: Module) -> Callable[[list[Any]], list[Any]] | None:
    """``model.batch`` for nn's MLP and Layer (the same nodes as calling the model on each
    sample, built faster), unless a subclass changed how the model is called."""
    for base in (MLP, Layer):
        if isinstance(model, base):
            cls = type(model)
            if cls.__call__ is base.__call__ and cls.batch is base.batch:
                return model.batch
    return None


def _end_epoch(
    run: _Run, history: History, bar: tqdm[int], epoch: int, result: _EpochResult
) -> bool:
    """Record the epoch, save when due, show it, call back; True when training should stop."""
    history.loss.append(result.loss)
    if result.accuracy is not None:
        history.accuracy.append(result.accuracy)
    history.lr.append(result.lr)
    history.seconds.append(result.seconds)
    reached = run.target_loss is not None and result.loss <= run.target_loss
    due = epoch == run.epochs - 1 or reached or (epoch + 1) % run.checkpoint_every == 0
    if run.checkpoint is not None and due:
        run.model.save(run.checkpoint)
    if not bar.disable:
        accuracy = "" if result.accuracy is None else f" acc={result.accuracy:.3f}"
        bar.set_postfix_str(f"loss={result.loss:.4g}{accuracy} lr={result.lr:.3g}", refresh=False)
    if run.on_epoch is not None:
        run.on_epoch(epoch, history)
    if reached:
        history.stopped_early = True
    return reached


def evaluate(
    model: Module,
    X: Sequence[Any],  # noqa: N803
    y: Sequence[Any],
    loss: str | LossFunction = "hinge",
) -> dict[str, float]:
    """The loss and (for classification losses) the accuracy of ``model`` on ``(X, y)`` now.

    Runs without recording a graph; the L2 term is not included.

    Args:
        model: The model.
        X: Inputs.
        y: Targets, as for :func:`fit`.
        loss: The loss name or function, as for :func:`fit`.

    Returns:
        ``{"loss": ..., "accuracy": ...}`` (no ``"accuracy"`` key for regression losses).

    Example:
        >>> from autograd_core import nn, training
        >>> model = nn.Neuron(1, activation="linear", seed=0)
        >>> model.load_state_dict({"w.0": 1.0, "b": 0.0})
        >>> training.evaluate(model, [[1.0], [-2.0]], [1, 1], loss="hinge")
        {'loss': 1.5, 'accuracy': 0.5}
    """
    task = _task(loss)
    targets = task.targets(y)
    with no_grad():
        outputs = [model(x) for x in X]
        result = {"loss": task.compute(outputs, targets).data}
    if task.correct is not None:
        right = sum(map(task.correct, map(_data, outputs), targets))
        result["accuracy"] = right / len(outputs)
    return result


def predict(model: Module, X: Sequence[Any]) -> list[Any]:  # noqa: N803
    """The model's outputs as plain numbers, computed without recording a graph.

    Args:
        model: The model.
        X: Inputs, one per sample.

    Returns:
        One float per sample (or one list of floats, for a model with several outputs).

    Example:
        >>> from autograd_core import nn, training
        >>> model = nn.Neuron(2, activation="linear", seed=0)
        >>> model.load_state_dict({"w.0": 1.0, "w.1": 10.0, "b": 0.5})
        >>> training.predict(model, [[1.0, 2.0], [0.0, 0.0]])
        [21.5, 0.5]
    """
    with no_grad():
        return [_data(model(x)) for x in X]


# -- the named losses --------------------------------------------------------------------------


def _data(output: Any) -> Any:
    if isinstance(output, Value):
        return output.data
    return [v.data for v in output]


def _pm_one(y: Sequence[Any]) -> list[float]:
    """Labels for hinge_loss: 0/1 become −1/+1; −1/+1 stay."""
    found = set()
    for label in y:
        if isinstance(label, bool) or label not in (-1, 0, 1):
            raise ValueError(
                f"fit: loss 'hinge' needs two classes labelled 0/1 or -1/+1, got {label!r}"
            )
        found.add(float(label))
    if found == {-1.0, 0.0, 1.0}:
        raise ValueError("fit: loss 'hinge' needs labels 0/1 or -1/+1, not all three of -1, 0, 1")
    if -1.0 in found:
        return [float(label) for label in y]
    return [2.0 * float(label) - 1.0 for label in y]


def _zero_one(y: Sequence[Any]) -> list[float]:
    out = []
    for label in y:
        ok = isinstance(label, numbers.Real) and not isinstance(label, bool)
        if not ok or not 0.0 <= float(label) <= 1.0:
            raise ValueError(f"fit: binary cross-entropy needs targets in [0, 1], got {label!r}")
        out.append(float(label))
    return out


def _class_indices(y: Sequence[Any]) -> list[int]:
    out = []
    for label in y:
        ok = isinstance(label, numbers.Real) and not isinstance(label, bool)
        if not ok or label < 0 or label != int(label):
            raise ValueError(
                f"fit: loss 'cross_entropy' needs class indices 0, 1, 2, ..., got {label!r}"
            )
        out.append(int(label))
    return out


def _as_listed(y: Sequence[Any]) -> list[Any]:
    return list(y)


def _argmax(scores: list[float]) -> int:
    return max(range(len(scores)), key=scores.__getitem__)


LOSSES: dict[str, _Task] = {
    "hinge": _Task(
        "hinge",
        losses.hinge_loss,
        _pm_one,
        lambda score, label: (score > 0.0) == (label > 0.0),
        single_output=True,
    ),
    "bce": _Task(
        "bce",
        losses.binary_cross_entropy,
        _zero_one,
        lambda p, label: (p > 0.5) == (label > 0.5),
        single_output=True,
    ),
    "bce_logits": _Task(
        "bce_logits",
        lambda outputs, targets: losses.binary_cross_entropy(outputs, targets, from_logits=True),
        _zero_one,
        lambda z, label: (z > 0.0) == (label > 0.5),
        single_output=True,
    ),
    "cross_entropy": _Task(
        "cross_entropy",
        losses.cross_entropy,
        _class_indices,
        lambda scores, label: _argmax(scores) == label,
        single_output=False,
    ),
    "mse": _Task("mse", losses.mse_loss, _as_listed, None, single_output=False),
}
"""The loss names :func:`fit` and :func:`evaluate` accept."""


def _task(loss: str | LossFunction) -> _Task:
    if callable(loss):
        name = getattr(loss, "__name__", "custom")
        return _Task(name, loss, _as_listed, None, single_output=False)
    if not isinstance(loss, str):
        raise TypeError(
            "fit: loss must be a loss name or a function (outputs, targets) -> Value, "
            f"got {type(loss).__name__} {loss!r}"
        )
    if loss not in LOSSES:
        raise ValueError(f"fit: unknown loss {loss!r}; choose one of {', '.join(LOSSES)}")
    return LOSSES[loss]


def _is_terminal(stream: TextIO | Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False
