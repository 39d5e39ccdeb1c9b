"""The training loop, written once: ``fit`` a model to data and get its ``History`` back.

Gradient descent repeats four steps: run the model on a batch (forward propagation), measure
the loss, compute every parameter's gradient (``backward``, the chain rule) and move every
parameter a little against its gradient (the optimizer):

```python
for epoch in range(epochs):
    for X_batch, y_batch in data.batches(X, y, batch_size):
        loss = loss_fn([model(x) for x in X_batch], y_batch) + l2 * Σ p²
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    scheduler.step()                        # the learning rate for the next epoch
```

``fit`` is that loop plus the bookkeeping a learner wants to see: the loss, the accuracy and
the learning rate of every epoch (a ``History``), a progress bar, stopping early once the loss
is low enough, and a checkpoint file.

Each step of ``fit`` runs inside ``paused_gc()``, which keeps Python's cyclic garbage collector
off until the step ends: a step's graph holds no reference cycles, so the collector could only
spend time scanning it. A hand-written loop gets the same saving the same way:

```python
for X_batch, y_batch in data.batches(X, y, batch_size):
    with training.paused_gc():
        loss = loss_fn([model(x) for x in X_batch], y_batch)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
```

``batch_size`` chooses the flavour of gradient descent: ``None`` uses every sample in each
step (batch gradient descent: one step per epoch, the same direction for the same weights),
``1`` one sample per step (stochastic: noisy but cheap steps), anything between a mini-batch.

The loss and accuracy recorded for an epoch are those of the forward passes made during the
epoch, before each step's update, as micrograd's demo prints them; for mini-batches they are
averaged over the epoch's batches. ``evaluate`` measures a model as it is now.

Losses are named by strings, each with what the model should output per sample and when the
accuracy counts a sample as right:

* ``"hinge"`` -- one score; labels 0/1 (0 read as −1, as ``losses.hinge_labels`` does) or
  −1/+1; right when the score's sign is the label's.
* ``"bce_logits"`` -- one logit; labels 0/1; right when ``logit > 0`` exactly for label 1.
* ``"bce"`` -- one probability (a sigmoid output); labels 0/1; right when ``p > 0.5``
  exactly for label 1.
* ``"cross_entropy"`` -- one logit per class; class indices; right when the largest logit is
  the label's.
* ``"mse"`` -- one value or a list of them; float targets; no accuracy.

Any function ``loss(outputs, targets) -> Value`` works too (no accuracy is computed for it).

Every argument is checked before the first epoch, so a mistake costs no training time: a
``TypeError`` or ``ValueError`` names the argument and the offending value (``y[3]`` is nan,
``checkpoint`` is a directory, the optimizer holds another model's parameters). Only what a
custom loss function returns cannot be known in advance; it is checked on the first batch,
before any parameter changes. An error raised *by* a custom loss function (or a model of
your own) is yours and reaches you as it is, with a note of the epoch; ``fit`` speaks of a
diverged training only when numbers grow too large for a float.

In a terminal the progress bar is tqdm's text bar. In Jupyter (a notebook, JupyterLab, VS
Code, Colab) it is tqdm's notebook widget when ``ipywidgets`` is installed (``pip install
autograd-core[notebook]``), else a bar in HTML that the cell's output updates in place, at most
ten times a second, with nothing written to stderr. Elsewhere (a log file, a pipe) nothing is
drawn.
"""

from __future__ import annotations

import csv
import dataclasses
import html
import importlib.util
import math
import numbers
import os
import random
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple, Protocol, TextIO

from autograd_core import losses, optim
from autograd_core._checks import flag, integer, real
from autograd_core._gc import paused_gc
from autograd_core.checkpoint import check_writable
from autograd_core.data import batches
from autograd_core.engine import Value, no_grad
from autograd_core.nn import MLP, Layer, Module

__all__ = ["fit", "History", "evaluate", "predict", "paused_gc", "LOSSES"]

LossFunction = Callable[[list[Any], list[Any]], Value]


@dataclass(repr=False)
class History:
    """What happened in each epoch of :func:`fit`: one list entry per epoch.

    Attributes:
        loss: The epoch's training loss (data loss plus the L2 term), before the updates.
        accuracy: The fraction of training samples classified right, before the updates;
            empty for regression losses.
        lr: The learning rate the epoch used.
        seconds: Wall-clock time of the epoch.
        stopped_early: Whether training stopped because the loss reached ``target_loss``.
        live: The :class:`autograd_core.plot.LiveTraining` of ``fit(..., live=True)`` (its
            ``save("training.gif")`` writes the animation); ``None`` otherwise.

    Its ``repr`` is one short line, the last epoch's numbers (the lists are its attributes).

    Example:
        >>> from autograd_core.training import History
        >>> history = History(loss=[0.9, 0.4], accuracy=[0.5, 1.0], lr=[0.1, 0.1])
        >>> len(history), history.loss[-1]
        (2, 0.4)
        >>> history
        History(epochs=2, loss=0.4, accuracy=1.0)
    """

    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    stopped_early: bool = False
    live: Any = field(default=None, compare=False)

    def __len__(self) -> int:
        return len(self.loss)

    def __repr__(self) -> str:
        shown = [f"epochs={self.epochs}"]
        if self.loss:
            shown.append(f"loss={_short(self.loss[-1])}")
        if self.accuracy:
            shown.append(f"accuracy={_short(self.accuracy[-1])}")
        if self.stopped_early:
            shown.append("stopped_early=True")
        return f"History({', '.join(shown)})"

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
    custom: bool = False  # the user's own loss function: its exceptions pass as they are


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
    live: bool = False,
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
        progress: Show a progress bar: in a terminal, or in Jupyter (see the module docs).
        checkpoint: Save the model here (atomically, see ``Module.save``) during training.
        checkpoint_every: Save every this many epochs; the last epoch is always saved.
        on_epoch: Called as ``on_epoch(epoch, history)`` after each epoch (``epoch`` from 0).
            If it also has a ``close()`` method (as :class:`autograd_core.plot.LiveTraining`
            has), that is called once when training ends, also after an error.
        live: Watch the training: a :class:`autograd_core.plot.LiveTraining` of the model and
            data, updated in place in Jupyter and recorded elsewhere; it is ``history.live``
            (``history.live.save("training.gif")``). Needs matplotlib (the ``plot`` extra).

    Returns:
        A :class:`History`.

    Raises:
        TypeError: for an argument of the wrong type (``epochs=2.0``, ``shuffle="yes"``, a
            loss function that returns a float), before any parameter changes.
        ValueError: for an argument out of range (``epochs=-1``), targets the loss cannot use
            (``y[3]`` is nan), mismatched ``X`` and ``y``, a ``checkpoint`` path that is a
            directory, or an optimizer or scheduler that does not train this model; all
            checked before the first epoch.
        PermissionError: ``checkpoint`` is a read-only file (``Module.save`` does not
            replace one), before the first epoch.
        OverflowError: when the training diverges (numbers too large for a float in the
            model, a built-in loss or backward), saying so and naming the epoch.

    Any other exception during training, a custom loss function's own included (say, its
    ``ZeroDivisionError``), is raised as it is, with a note naming the epoch (Python 3.11+).

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
    params = _check_fit_arguments(
        model,
        X,
        y,
        optimizer=optimizer,
        scheduler=scheduler,
        epochs=epochs,
        batch_size=batch_size,
        lr=lr,
        l2=l2,
        shuffle=shuffle,
        seed=seed,
        target_loss=target_loss,
        progress=progress,
        checkpoint=checkpoint,
        checkpoint_every=checkpoint_every,
        on_epoch=on_epoch,
    )
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
    history = History(live=_live_training(model, X, y) if flag(live, "live", "fit") else None)
    callbacks = [c for c in (on_epoch, history.live) if c is not None]
    run = dataclasses.replace(run, on_epoch=_together(callbacks) if callbacks else None)
    bar = _progress_bar(epochs, progress)
    try:
        for epoch in range(epochs):
            order_seed = rng.getrandbits(64) if run.shuffled else None
            result = _train_epoch(run, epoch, order_seed)
            if _end_epoch(run, history, bar, epoch, result):
                break
    finally:
        bar.close()  # shows where training stopped, also after an error or Ctrl-C
        for callback in callbacks:
            close = getattr(callback, "close", None)
            if callable(close):
                close()  # LiveTraining: the last epoch's picture
    return history


def _live_training(model: Module, X: Sequence[Any], y: Sequence[Any]) -> Any:  # noqa: N803
    """The LiveTraining of ``fit(live=True)``; matplotlib is needed, and asked for by name."""
    try:
        from autograd_core.live import LiveTraining
    except ImportError as exc:
        raise ImportError(
            "fit(live=True) draws with matplotlib: pip install 'autograd-core[plot]'"
        ) from exc
    return LiveTraining(model, X, y)


def _together(callbacks: list[Callable[[int, History], None]]) -> Callable[[int, History], None]:
    if len(callbacks) == 1:
        return callbacks[0]

    def call_all(epoch: int, history: History) -> None:
        for callback in callbacks:
            callback(epoch, history)

    return call_all


# -- the steps of fit, in the order it takes them -----------------------------------------------


def _check_fit_arguments(
    model: Any,
    X: Sequence[Any],  # noqa: N803
    y: Sequence[Any],
    *,
    optimizer: Any,
    scheduler: Any,
    epochs: Any,
    batch_size: Any,
    lr: Any,
    l2: Any,
    shuffle: Any,
    seed: Any,
    target_loss: Any,
    progress: Any,
    checkpoint: Any,
    checkpoint_every: Any,
    on_epoch: Any,
) -> list[Value]:
    """Reject what fit cannot use, before any training: ``TypeError`` for a wrong type,
    ``ValueError`` otherwise. Returns the model's parameters."""
    params = _check_model(model)
    _check_samples(X, y)
    integer(epochs, "epochs", "fit", minimum=0)
    if batch_size is not None:
        integer(batch_size, "batch_size", "fit", minimum=1)
    if optimizer is None:
        real(lr, "lr", "fit", minimum=0.0)
    real(l2, "l2", "fit", minimum=0.0)
    flag(shuffle, "shuffle", "fit")
    if seed is not None:
        integer(seed, "seed", "fit")
    if target_loss is not None:
        real(target_loss, "target_loss", "fit", finite=False)  # -inf: never stop early
    flag(progress, "progress", "fit")
    integer(checkpoint_every, "checkpoint_every", "fit", minimum=1)
    if on_epoch is not None and not callable(on_epoch):
        raise TypeError(
            f"fit: on_epoch must be a function (epoch, history), got {type(on_epoch).__name__}"
        )
    _check_optimizer(optimizer, scheduler, params)
    if checkpoint is not None:
        _check_checkpoint(model, checkpoint)
    return params


def _check_model(model: Any) -> list[Value]:
    """The model's parameters, once the model is known to be callable and to have them."""
    parameters = getattr(model, "parameters", None)
    if not callable(model) or not callable(parameters):
        raise TypeError(
            "fit: model must be a Module (callable, with a parameters() method), got "
            f"{type(model).__name__}"
        )
    params = list(parameters())
    for i, p in enumerate(params):
        if not isinstance(p, Value):
            raise TypeError(f"fit: model.parameters()[{i}] is a {type(p).__name__}, not a Value")
    if not params:
        raise ValueError("fit: the model has no parameters, so there is nothing to train")
    return params


def _check_samples(X: Any, y: Any) -> None:  # noqa: N803
    """X: a list of samples, each a list of finite numbers of one width (or one number); y: a
    list as long. (What y must hold depends on the loss: see ``LOSSES``.)"""
    for name, given in (("X", X), ("y", y)):
        if not _is_sequence(given):
            raise TypeError(f"fit: {name} must be a list, got {type(given).__name__}")
    if len(X) != len(y):
        raise ValueError(f"fit: X and y must have the same length, got {len(X)} and {len(y)}")
    if not len(X):
        raise ValueError("fit: no training data")
    width = len(X[0]) if _is_sequence(X[0]) else None
    for i, sample in enumerate(X):
        if width is None:
            _check_number(sample, f"X[{i}]")
            continue
        if not _is_sequence(sample):
            raise TypeError(f"fit: X[{i}] must be a list of numbers, got {type(sample).__name__}")
        if len(sample) != width:
            raise ValueError(
                f"fit: every sample needs the same number of features: X[{i}] has "
                f"{len(sample)}, X[0] has {width}"
            )
        try:
            finite = all(map(math.isfinite, sample))  # the fast check, C speed
        except TypeError:
            finite = False
        if not finite:
            for j, feature in enumerate(sample):
                _check_number(feature, f"X[{i}][{j}]")


def _check_number(x: Any, where: str) -> None:
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"fit: {where} must be a number, got {type(x).__name__} {x!r}")
    if not math.isfinite(x):
        raise ValueError(f"fit: {where} must be a finite number, got {x!r}")


def _check_optimizer(optimizer: Any, scheduler: Any, params: list[Value]) -> None:
    """The optimizer must train this model; the scheduler must schedule that optimizer."""
    if optimizer is not None:
        if not isinstance(optimizer, optim.Optimizer):
            raise TypeError(
                "fit: optimizer must be an autograd_core.optim optimizer such as "
                f"optim.SGD(model.parameters(), lr=0.1), got {type(optimizer).__name__}"
            )
        mine = set(params)
        if not any(p in mine for p in optimizer.params):
            raise ValueError(
                f"fit: none of the optimizer's {len(optimizer.params)} parameters belongs to "
                "the model, so training would change nothing; make it with "
                "model.parameters() of this model"
            )
    if scheduler is None:
        return
    if not isinstance(scheduler, optim.LRScheduler):
        raise TypeError(
            "fit: scheduler must be an autograd_core.optim scheduler such as "
            f"optim.StepLR(optimizer, step_size=10), got {type(scheduler).__name__}"
        )
    if optimizer is None:
        raise ValueError(
            "fit: a scheduler needs its optimizer passed as optimizer= too (fit's default "
            "optimizer is a new one the scheduler does not know)"
        )
    if scheduler.optimizer is not optimizer:
        raise ValueError("fit: the scheduler schedules another optimizer than optimizer=")


def _check_checkpoint(model: Any, checkpoint: Any) -> None:
    """A path a checkpoint can be saved at: not a directory, in a directory that exists."""
    if not isinstance(checkpoint, (str, os.PathLike)):
        raise TypeError(
            f"fit: checkpoint must be a file path, got {type(checkpoint).__name__} {checkpoint!r}"
        )
    if not callable(getattr(model, "save", None)):
        raise TypeError(f"fit: checkpoint needs a model with save(), got {type(model).__name__}")
    path = Path(checkpoint)
    if path.is_dir():
        raise ValueError(f"fit: checkpoint must be a file path, got a directory: {str(path)!r}")
    folder = path.parent
    if not folder.is_dir():
        raise ValueError(
            f"fit: checkpoint {str(path)!r}: the folder {str(folder)!r} does not exist"
        )
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ValueError(f"fit: checkpoint {str(path)!r}: cannot write into {str(folder)!r}")
    check_writable(path)  # a read-only file: refused now, not after the first epoch


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


class _Bar(Protocol):
    """What fit asks of a progress display: tqdm's bars and :class:`_HtmlProgress` have it."""

    @property
    def disable(self) -> bool | None: ...

    def set_postfix_str(self, s: str = "", refresh: bool = True) -> None: ...

    def update(self, n: int = 1) -> Any: ...

    def close(self) -> None: ...


def _progress_bar(epochs: int, progress: bool) -> _Bar:
    """The progress display of ``epochs`` epochs: drawn in a terminal and in Jupyter only."""
    notebook = _in_notebook()
    shown = progress and (notebook or _is_terminal(sys.stderr))
    return _bar_class(notebook and shown)(
        total=epochs,
        desc="train",
        unit="epoch",
        disable=not shown,
        file=sys.stderr,
        dynamic_ncols=True,
    )


def _bar_class(notebook: bool) -> Callable[..., _Bar]:
    """In Jupyter, tqdm's notebook widget when ipywidgets is there to draw it, else
    :class:`_HtmlProgress`; otherwise tqdm's text bar. Imported on first use: keeps
    ``import autograd_core`` ~30 ms faster."""
    if not notebook:
        from tqdm import tqdm as text_bar

        return text_bar
    if importlib.util.find_spec("ipywidgets") is not None:
        from tqdm.notebook import tqdm as notebook_bar

        return notebook_bar
    return _HtmlProgress


def _in_notebook() -> bool:
    """Whether this runs in a Jupyter kernel (notebook, JupyterLab, VS Code, Colab).

    Only asks an IPython that is already imported: a kernel always has it loaded.
    """
    ipython = sys.modules.get("IPython")
    get_ipython = getattr(ipython, "get_ipython", None)
    if not callable(get_ipython):
        return False
    try:
        shell = get_ipython()
        return shell is not None and "IPKernelApp" in getattr(shell, "config", {})
    except Exception:  # a half-initialised or foreign IPython: treat as no notebook
        return False


class _HtmlProgress:
    """Progress in Jupyter without ipywidgets: one HTML output that is updated in place.

    tqdm's text bar would go to stderr, which Jupyter shows in a pink box; this is one
    ``display`` output, redrawn through its display handle at most every ``interval`` seconds
    and once more at ``close``. It takes tqdm's arguments (and ignores those about a terminal).
    """

    disable = False

    def __init__(
        self, total: int, desc: str = "", unit: str = "epoch", interval: float = 0.1, **_: Any
    ) -> None:
        import IPython.display  # present in every Jupyter kernel

        display: Callable[..., Any] = IPython.display.display

        self.total, self.desc, self.unit, self.interval = total, desc, unit, interval
        self.n = 0
        self.postfix = ""
        self.started = self.shown_at = time.monotonic()
        self.pending = False  # a change not shown yet
        self.handle = display(self._bundle(), raw=True, display_id=True)

    def set_postfix_str(self, s: str = "", refresh: bool = True) -> None:
        self.postfix, self.pending = s, True
        if refresh:
            self._show()

    def update(self, n: int = 1) -> bool | None:
        self.n += n
        self.pending = True
        if time.monotonic() - self.shown_at >= self.interval:
            self._show()
            return True
        return None

    def close(self) -> None:
        if self.pending:
            self._show()

    def _show(self) -> None:
        if self.handle is not None:
            self.handle.update(self._bundle(), raw=True)
        self.shown_at, self.pending = time.monotonic(), False

    def _bundle(self) -> dict[str, str]:
        seconds = time.monotonic() - self.started
        shown = (self.n, self.total, self.postfix, seconds)
        return {
            "text/html": _progress_html(*shown, desc=self.desc, unit=self.unit),
            "text/plain": _progress_text(*shown, desc=self.desc, unit=self.unit),
        }


def _progress_html(
    done: int, total: int, postfix: str, seconds: float, *, desc: str = "train", unit: str = "epoch"
) -> str:
    """The HTML of :class:`_HtmlProgress`: a bar, ``epoch k/n``, the numbers, the time."""
    percent = 100.0 * done / total if total else 100.0
    parts = [
        f'<span style="font-weight:600">{html.escape(desc)}</span>' if desc else "",
        '<span role="progressbar" aria-valuemin="0" '
        f'aria-valuemax="{total}" aria-valuenow="{done}" style="display:inline-block;'
        "width:14em;height:0.8em;border:1px solid #888;border-radius:3px;overflow:hidden;"
        'vertical-align:middle"><span style="display:block;height:100%;'
        f'width:{percent:.1f}%;background:var(--jp-brand-color1,#3f51b5)"></span></span>',
        f"<span>{html.escape(unit)} {done}/{total}</span>",
        f"<span>{html.escape(postfix)}</span>" if postfix else "",
        f"<span>{html.escape(_timing(done, total, seconds))}</span>",
    ]
    return (
        '<div class="autograd-core-progress" style="display:flex;flex-wrap:wrap;'
        "align-items:center;gap:0.3em 0.8em;font-family:var(--jp-code-font-family,monospace);"
        'font-size:0.9em">' + "".join(parts) + "</div>"
    )


def _progress_text(
    done: int, total: int, postfix: str, seconds: float, *, desc: str = "train", unit: str = "epoch"
) -> str:
    """The same as one line of text, for where HTML is not shown."""
    shown = [f"{desc}: " if desc else "", f"{unit} {done}/{total}"]
    if postfix:
        shown.append(f", {postfix}")
    shown.append(f", {_timing(done, total, seconds)}")
    return "".join(shown)


def _timing(done: int, total: int, seconds: float) -> str:
    """``1.2 s``, and while running, the time left at the pace so far: ``1.2 s, ~3 s left``."""
    text = _duration(seconds)
    if 0 < done < total:
        text += f", ~{_duration(seconds / done * (total - done))} left"
    return text


def _duration(seconds: float) -> str:
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"


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
        batch_loss, batch_right = _train_step(run, xb, yb, epoch)
        loss_sum += batch_loss * len(xb)
        steps += 1
        right += batch_right
    if run.scheduler is not None:
        run.scheduler.step()  # the learning rate of the next epoch
    n = len(run.inputs)
    # One batch: its loss as it is (L·n/n can differ from L in the last bit).
    loss = batch_loss if steps == 1 else loss_sum / n
    accuracy = None if run.task.correct is None else right / n
    return _EpochResult(loss, accuracy, lr, time.perf_counter() - start)


def _train_step(run: _Run, xb: list[Any], yb: list[Any], epoch: int) -> tuple[float, int]:
    """Forward, loss (+ L2), zero_grad, backward, step: the loss before the update and the
    number of samples classified right (0 for losses without an accuracy)."""
    # The step runs with the cyclic garbage collector paused: an autograd_core graph has
    # no reference cycles (refcounting frees it), yet its ~20k new objects per moons step
    # trigger collections that scan the whole heap, a third of the step's time. The graph is
    # dropped before the collector is back on (if it was): alive then, the first allocation
    # would set off a scan of all of it.
    in_user_loss = False
    try:
        with paused_gc():
            outputs = _forward(run, xb)
            in_user_loss = run.task.custom
            objective = run.task.compute(outputs, yb)
            in_user_loss = False
            if not isinstance(objective, Value):
                raise TypeError(
                    f"fit: the loss function {run.task.name} must return a Value (the loss, "
                    f"to differentiate), got {type(objective).__name__} {objective!r}"
                )
            if run.l2:
                objective = objective + run.l2 * losses.l2_penalty(run.params)
            run.optimizer.zero_grad()
            objective.backward()
            run.optimizer.step()
            batch_loss = objective.data
            right = 0
            if run.task.correct is not None:
                right = sum(map(run.task.correct, map(_data, outputs), yb))
            del outputs, objective
    except OverflowError as exc:
        if in_user_loss:
            _raised_by_the_loss(exc, run.task.name, epoch)
            raise
        # A number too large for a float in the forward pass or in backward: the steps have
        # grown too large. (Only this is a divergence; any other error is passed on as it is.)
        raise type(exc)(
            f"fit: the training diverged in epoch {epoch + 1} ({exc}); try a smaller learning rate"
        ) from exc
    except Exception as exc:
        if in_user_loss:
            _raised_by_the_loss(exc, run.task.name, epoch)
        elif not str(exc).startswith("fit:"):  # fit's own messages say what went wrong
            _add_note(exc, f"fit: raised in epoch {epoch + 1}")
        raise
    return batch_loss, right


def _raised_by_the_loss(exc: BaseException, name: str, epoch: int) -> None:
    """Note on a custom loss function's own exception where ``fit`` was when it came."""
    _add_note(exc, f"fit: raised by the loss function {name} in epoch {epoch + 1}")
    if isinstance(exc, OverflowError):
        _add_note(
            exc,
            "fit: a number too large for a float: if the loss grew from epoch to epoch, the "
            "training diverged (try a smaller learning rate)",
        )


def _add_note(exc: BaseException, note: str) -> None:
    """``exc.add_note(note)`` where Python has it (3.11+); on 3.10 the exception stays as is."""
    add_note = getattr(exc, "add_note", None)
    if callable(add_note):
        add_note(note)


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


def _end_epoch(run: _Run, history: History, bar: _Bar, epoch: int, result: _EpochResult) -> bool:
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
        bar.update(1)
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
    """Labels for hinge_loss: 0/1 become −1/+1; −1/+1 stay (``losses.hinge_labels``)."""
    return losses._hinge_labels(_numbers(y, "hinge"), "fit: loss 'hinge'")


def _zero_one(y: Sequence[Any]) -> list[float]:
    out = _numbers(y, "binary cross-entropy")
    for i, label in enumerate(out):
        if not 0.0 <= label <= 1.0:
            raise ValueError(
                f"fit: binary cross-entropy needs targets in [0, 1], got y[{i}] = {y[i]!r}"
            )
    return out


def _class_indices(y: Sequence[Any]) -> list[int]:
    out = []
    for i, label in enumerate(_numbers(y, "cross_entropy")):
        if label < 0 or not label.is_integer():
            raise ValueError(
                f"fit: loss 'cross_entropy' needs class indices 0, 1, 2, ..., got y[{i}] = {y[i]!r}"
            )
        out.append(int(label))
    return out


def _regression_targets(y: Sequence[Any]) -> list[Any]:
    """mse targets: a finite number per sample, or a list of them (several outputs)."""
    for i, target in enumerate(y):
        if _is_sequence(target):
            for j, t in enumerate(target):
                _check_number(t, f"y[{i}][{j}]")
        else:
            _check_number(target, f"y[{i}]")
    return list(y)


def _numbers(y: Sequence[Any], loss: str) -> list[float]:
    """Each label as a float, refused (naming ``y[i]``) unless a finite real number."""
    out = []
    for i, label in enumerate(y):
        if isinstance(label, bool) or not isinstance(label, numbers.Real):
            raise TypeError(
                f"fit: loss {loss!r} needs numeric labels, got y[{i}] = "
                f"{type(label).__name__} {label!r}"
            )
        value = float(label)
        if not math.isfinite(value):
            raise ValueError(f"fit: loss {loss!r} needs finite labels, got y[{i}] = {label!r}")
        out.append(value)
    return out


def _as_listed(y: Sequence[Any]) -> list[Any]:
    return list(y)


def _is_sequence(x: Any) -> bool:
    # lists, tuples, numpy arrays; not strings
    return hasattr(x, "__len__") and hasattr(x, "__getitem__") and not isinstance(x, (str, bytes))


def _short(x: float) -> str:
    """A number in four significant digits, written as Python writes floats (1.0, 0.01235)."""
    return repr(float(f"{x:.4g}"))


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
    "mse": _Task("mse", losses.mse_loss, _regression_targets, None, single_output=False),
}
"""The loss names :func:`fit` and :func:`evaluate` accept."""


def _task(loss: str | LossFunction) -> _Task:
    if callable(loss):
        name = getattr(loss, "__name__", "custom")
        return _Task(name, loss, _as_listed, None, single_output=False, custom=True)
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
