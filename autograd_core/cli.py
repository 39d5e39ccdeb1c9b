"""The ``autograd-core`` command line.

Sub-commands:

* ``autograd-core demo`` -- build a small expression, run backward, print every gradient;
  then run the training job below with its defaults (``make demo``).
* ``autograd-core train`` -- train an MLP on a built-in data set (default: micrograd's moons
  demo) and write model.json, history.csv, the plots and graph.svg into ``--out`` (and
  training.gif, the run as an animation, with ``--animate``).
* ``autograd-core graph EXPR NAME=VALUE ...`` -- differentiate a formula, print the gradients
  and draw its computation graph (SVG, PNG, PDF or DOT), or print it as code (``--code``).
* ``autograd-core --version``
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import math
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import autograd_core as ag
from autograd_core import data, nn, optim, training


def _demo(args: argparse.Namespace) -> int:
    a = ag.Value(2.0, label="a")
    b = ag.Value(-3.0, label="b")
    y = (a * b + a.tanh()) ** 2 / 2
    y.backward()
    print("y = (a*b + tanh(a))**2 / 2")
    print(f"  a = {a.data:g}, b = {b.data:g}")
    print(f"  y      = {y.data:.6f}")
    print(f"  dy/da  = {a.grad:.6f}")
    print(f"  dy/db  = {b.grad:.6f}")
    print(f"  nodes in the graph: {len(ag.topological_order(y))}")
    print()
    return _train(args)  # then the main job: train an MLP on moons and write the artefacts


def _graph(args: argparse.Namespace) -> int:
    # Every failure is one line on stderr and a status (2: the input, 1: the environment), never
    # a traceback: the formula comes from a command line, so mistakes in it are expected.
    from autograd_core import expr

    viz = ag.viz

    def fail(message: str, status: int = 2) -> int:
        print(f"autograd-core graph: error: {_printable(message)}", file=sys.stderr)
        return status

    try:
        names = expr.parse_assignments(args.assignments)
        result = expr.evaluate(args.expression, names)
    except expr.ExpressionError as exc:
        return fail(str(exc))
    out = result if isinstance(result, ag.Value) else ag.Value(result)
    if not out.label:
        out.label = "out"  # so the picture names the box the table calls the result
    if args.code:  # the graph as a program: forward and backward pass as plain Python
        try:
            sys.stdout.write(ag.to_code(out))
        except ValueError as exc:
            return fail(str(exc))
        return 0
    if not args.no_backward:
        out.backward()
    options = {
        "rankdir": args.rankdir,
        "show_grad": not args.no_backward,
        "max_nodes": args.max_nodes,
    }
    if args.output is None:
        width = max([6, *(len(name) for name in names)])
        print(f"{_printable(args.expression)} = {out.data:.6g}")
        print(f"  {'name':<{width}}  {'value':>12}" + ("" if args.no_backward else "  gradient"))
        for name, value in names.items():
            grad = "" if args.no_backward else f"  {value.grad:.6g}"
            print(f"  {name:<{width}}  {value.data:>12.6g}{grad}")
    if args.html is not None:  # the step-through page of autograd_core/stepthrough.py
        status = _write_page(out, args, fail)
        if status or args.output is None:
            return status  # the page replaces graph.svg unless -o asks for a picture too
    target = args.output or "graph.svg"
    try:
        if target == "-":
            sys.stdout.write(viz.to_svg(out, **options))
        else:
            viz.save_graph(out, target, **options)
            print(f"wrote {target}")
    except ValueError as exc:  # an extension that names no format
        return fail(str(exc))
    except BrokenPipeError:
        raise  # the reader has gone (`| head`): main() ends quietly
    except (viz.RendererNotFoundError, viz.RenderError, OSError) as exc:
        return fail(str(exc), status=1)
    return 0


def _write_page(out: ag.Value, args: argparse.Namespace, fail: Callable[..., int]) -> int:
    """``graph --html FILE``: the step-through page; 0, or ``fail``'s status."""
    viz = ag.viz
    try:
        viz.save_graph(
            out,
            args.html,
            format="html",
            rankdir=args.rankdir,
            max_nodes=args.max_nodes,
            timeout=args.timeout,
        )
    except ValueError as exc:  # a graph too large to step through
        return fail(str(exc))
    except viz.RenderTimeoutError:  # the advice in this command's words
        return fail(
            f"--html: Graphviz did not lay out the page within {args.timeout:g} s and was "
            "stopped; allow more time with --timeout (e.g. --timeout 120), or draw fewer values "
            "with --max-nodes",
            status=1,
        )
    except (viz.RendererNotFoundError, viz.RenderError, OSError) as exc:
        return fail(str(exc), status=1)
    print(f"wrote {args.html}", file=sys.stderr if args.output == "-" else sys.stdout)
    return 0


def _printable(text: str) -> str:
    r"""``text`` on one line, safe for a terminal: whitespace runs become one space, and control
    characters (escape sequences, NUL) and unpaired surrogates are shown escaped (``\x1b``)
    instead of being sent to the terminal.

    Example:
        >>> from autograd_core.cli import _printable
        >>> print(_printable("x  +\n y # \x1b[31mred"))
        x + y # \x1b[31mred
    """
    return "".join(
        c if c.isprintable() else c.encode("unicode_escape", "backslashreplace").decode("ascii")
        for c in " ".join(text.split())
    )


def _positive_int(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {text!r}")
    return number


def _positive_seconds(text: str) -> float:
    try:
        number = float(text)
    except ValueError:
        number = 0.0
    if not 0.0 < number < 1e6:
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}")
    return number


# -- train: the README's main job ----------------------------------------------------------------

_DATASETS = ("moons", "circles", "xor", "spiral", "linear")
_LOSS_CHOICES = ("auto", "hinge", "bce", "bce_logits", "cross_entropy", "mse")
_OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop", "adagrad")
_DEFAULT_SAMPLES = {"moons": 100, "circles": 100, "xor": 4, "spiral": 300, "linear": 100}
_DEFAULT_NOISE = {"moons": 0.1, "circles": 0.05, "xor": 0.0, "spiral": 0.05, "linear": 0.1}

# Sizes a job may ask for, checked before anything is allocated (a scalar engine keeps one
# Python object per parameter and per operation). Measured on the project's 2-core machine:
# 1,005,001 parameters take 1.4 GB; full-batch training runs about 7-10 million
# multiply-adds (parameters × samples) a second; one million moons points take 0.3 s and
# about 150 MB to make. Past these a run ended after minutes in a raw MemoryError.
MAX_SAMPLES = 1_000_000
MAX_PARAMETERS = 1_000_000
MAX_WORK = 10**9  # parameters × samples, one epoch: about two minutes here
# The decision boundary is the model run by numpy on a grid of resolution² points, one array
# of grid points × layer width at a time (a few alive at once); the grid is made coarser for
# a wide layer so that one array stays within this, down to _MIN_RESOLUTION.
_PLOT_BYTES = 256 * 2**20
_RESOLUTION = 200  # plot.plot_decision_boundary's default
_MIN_RESOLUTION = 50


def _train(args: argparse.Namespace) -> int:
    # The options are checked, the data made, the model trained, and only then is anything
    # written. A step that cannot go on raises _JobError with a one-line reason and the exit
    # status (2: inconsistent options, 1: the run failed, 130: interrupted), never a traceback.
    try:
        _check_out(args)
        loss = _choose_loss(args)
        _check_sizes(args, loss)
        dataset = _load_data(args)
        model = _build_model(args, dataset, loss)
        opt, scheduler = _build_optimizer(args, model)
        _print_plan(args, dataset, model, loss)
        history, final = _fit_and_report(args, dataset, model, opt, scheduler, loss)
        written = _write_outputs(args, dataset, model, history, final, loss)
    except _JobError as error:
        print(f"autograd-core {args.command}: error: {error}", file=sys.stderr)
        return error.status
    for path in written:
        print(f"wrote {path}")
    return 0


class _JobError(Exception):
    """Ends a training job: the message for stderr and the exit status."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class _DataSet:
    """The training data of a job and how it was made."""

    name: str
    points: list[list[float]]
    labels: list[Any]  # class indices, or float targets for the linear data set
    noise: float


def _check_out(args: argparse.Namespace) -> None:
    """Refuse an --out that cannot become the run's directory before anything is trained,
    and --animate without matplotlib, which draws the animation."""
    if args.animate and importlib.util.find_spec("matplotlib") is None:
        raise _JobError("--animate draws with matplotlib: pip install 'autograd-core[plot]'", 2)
    if not args.out:
        return
    out = Path(args.out)
    # the deepest part of the path that exists must be a directory we may write into
    existing = out
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if existing.exists() and not existing.is_dir():
        what = "is a file" if existing == out else f"is inside {str(existing)!r}, a file"
        raise _JobError(f"--out {str(out)!r} {what}; it must be a directory (new or existing)", 2)
    if existing.exists() and not os.access(existing, os.W_OK | os.X_OK):
        raise _JobError(f"--out {str(out)!r}: cannot write into {str(existing)!r}", 2)


def _choose_loss(args: argparse.Namespace) -> str:
    """The loss named by --loss; for "auto", the one the data set calls for."""
    loss: str = args.loss
    if loss == "auto":
        loss = {"spiral": "cross_entropy", "linear": "mse"}.get(args.dataset, "hinge")
    if args.dataset == "linear" and loss != "mse":
        raise _JobError(
            f"the linear data set is a regression problem: use --loss mse, not {loss}", 2
        )
    return loss


def _check_sizes(args: argparse.Namespace, loss: str) -> None:
    """Refuse, before anything is allocated, a job too large to run: too many points, too
    many parameters, too much work per epoch, or a model too wide to draw the decision
    boundary of (see MAX_SAMPLES, MAX_PARAMETERS, MAX_WORK)."""
    samples = args.samples or _DEFAULT_SAMPLES[args.dataset]
    if samples > MAX_SAMPLES:
        raise _JobError(
            f"--samples {samples:,} is more than the {MAX_SAMPLES:,} points a run may use "
            "(a million points take about 150 MB and 0.3 s to make); use fewer --samples",
            2,
        )
    n_out = (args.classes if args.dataset == "spiral" else 2) if loss == "cross_entropy" else 1
    widths = [1 if args.dataset == "linear" else 2, *args.hidden, n_out]
    parameters = sum((a + 1) * b for a, b in itertools.pairwise(widths))
    shape = " ".join(map(str, args.hidden)) or "(none)"
    if parameters > MAX_PARAMETERS:
        raise _JobError(
            f"--hidden {shape} makes a model of {parameters:,} parameters, more than the "
            f"{MAX_PARAMETERS:,} a run may have (each is a Python object: a million take about "
            "1.4 GB); use narrower or fewer --hidden layers",
            2,
        )
    if parameters * samples > MAX_WORK:
        raise _JobError(
            f"{parameters:,} parameters × {samples:,} points is {parameters * samples:.2g} "
            f"multiply-adds an epoch, more than the {MAX_WORK:.0e} a run may do (about two "
            "minutes an epoch); use fewer --samples or narrower --hidden layers",
            2,
        )
    widest = max(widths)
    plotted = not args.no_plot and widths[0] == 2 and importlib.util.find_spec("matplotlib")
    if plotted and _plot_resolution(widest) < _MIN_RESOLUTION:
        limit = _PLOT_BYTES // (8 * _MIN_RESOLUTION**2)
        raise _JobError(
            f"--hidden {shape}: the decision-boundary plot draws layers up to {limit:,} wide "
            f"(a {widest:,}-wide one would need {8 * widest * _RESOLUTION**2 / 2**30:.2g} GiB "
            f"on its grid); use --hidden layers at most {limit:,} wide, or --no-plot",
            2,
        )


def _plot_resolution(widest: int) -> int:
    """Grid points along each axis of the decision boundary for a model whose widest layer
    is ``widest``: plot's default 200, coarser where one grid × width array would pass
    _PLOT_BYTES (a 10,000-wide layer at 200 needed 2.98 GiB and died)."""
    return min(_RESOLUTION, math.isqrt(_PLOT_BYTES // (8 * widest)))


def _load_data(args: argparse.Namespace) -> _DataSet:
    """The points and labels of --dataset, with its default size and noise unless given."""
    samples = args.samples or _DEFAULT_SAMPLES[args.dataset]
    noise = _DEFAULT_NOISE[args.dataset] if args.noise is None else args.noise
    seed = args.seed
    points: list[list[float]]
    labels: list[Any]
    try:
        if args.dataset == "moons":
            points, labels = data.make_moons(samples, noise=noise, seed=seed)
        elif args.dataset == "circles":
            points, labels = data.make_circles(samples, noise=noise, seed=seed)
        elif args.dataset == "xor":
            points, labels = data.make_xor(samples, noise=noise, seed=seed)
        elif args.dataset == "spiral":
            points, labels = data.make_spiral(samples, args.classes, noise=noise, seed=seed)
        else:
            points, labels = data.make_linear(samples, w=3.0, b=2.0, noise=noise, seed=seed)
    except ValueError as exc:
        raise _JobError(str(exc), 2) from exc
    return _DataSet(args.dataset, points, labels, noise)


def _build_model(args: argparse.Namespace, dataset: _DataSet, loss: str) -> nn.MLP:
    """An MLP with the output width the loss needs: a logit per class, or one number."""
    n_classes = max(dataset.labels) + 1 if dataset.name != "linear" else 0
    n_out = int(n_classes) if loss == "cross_entropy" else 1
    if loss == "cross_entropy" and n_out < 2:
        raise _JobError("cross_entropy needs at least two classes", 2)
    # The data, the weights and the batch order get seeds of their own (seed, seed + 1,
    # seed + 2): with one seed for all three, the weights would be drawn from the very random
    # stream that made the data.
    return nn.MLP(
        len(dataset.points[0]),
        [*args.hidden, n_out],
        activation=args.activation,
        output_activation="sigmoid" if loss == "bce" else None,
        init=args.init,
        seed=args.seed + 1,
    )


def _build_optimizer(
    args: argparse.Namespace, model: nn.MLP
) -> tuple[optim.Optimizer, optim.LRScheduler | None]:
    """The optimizer of --optimizer and the learning-rate schedule of --schedule."""
    if args.momentum and args.optimizer != "sgd":
        raise _JobError("--momentum applies to --optimizer sgd only", 2)
    params = model.parameters()
    opt: optim.Optimizer
    if args.optimizer == "sgd":
        opt = optim.SGD(params, lr=args.lr, momentum=args.momentum)
    else:
        opt = {
            "adam": optim.Adam,
            "adamw": optim.AdamW,
            "rmsprop": optim.RMSprop,
            "adagrad": optim.Adagrad,
        }[args.optimizer](params, lr=args.lr)
    lr_end = _lr_end(args)
    epochs = max(args.epochs, 1)
    if args.schedule == "linear":
        # micrograd's demo: lr = 1.0 − 0.9·k/100, i.e. linear from lr to lr_end over the epochs
        drop = 1.0 - lr_end / args.lr
        return opt, optim.LambdaLR(opt, lambda k: 1.0 - drop * k / epochs)
    if args.schedule == "cosine":
        return opt, optim.CosineAnnealingLR(opt, T_max=epochs, eta_min=lr_end)
    return opt, None


def _lr_end(args: argparse.Namespace) -> float:
    """The learning rate the schedule ends at: --lr-end, by default a tenth of --lr."""
    return float(args.lr / 10 if args.lr_end is None else args.lr_end)


def _print_plan(args: argparse.Namespace, dataset: _DataSet, model: nn.MLP, loss: str) -> None:
    """Three lines saying what is about to be trained, on what and how."""
    batch = "full batch" if args.batch_size is None else f"batches of {args.batch_size}"
    schedule = "" if args.schedule == "constant" else f" → {_lr_end(args):g} ({args.schedule})"
    print(
        f"data:  {dataset.name}, {len(dataset.points)} points, noise {dataset.noise:g}, "
        f"seed {args.seed}"
    )
    print(f"model: {model}, init {args.init}")
    print(
        f"train: {loss} loss"
        + (f" + {args.l2:g}·L2" if args.l2 else "")
        + f", {args.optimizer} lr {args.lr:g}{schedule}, {batch}, {args.epochs} epochs"
    )


def _fit_and_report(
    args: argparse.Namespace,
    dataset: _DataSet,
    model: nn.MLP,
    opt: optim.Optimizer,
    scheduler: optim.LRScheduler | None,
    loss: str,
) -> tuple[training.History, dict[str, float]]:
    """Train, then print how long it took and how well the model does on the training data."""
    show_bar = not args.no_progress and sys.stderr.isatty()
    started = time.perf_counter()
    try:
        history = training.fit(
            model,
            dataset.points,
            dataset.labels,
            loss=loss,
            optimizer=opt,
            scheduler=scheduler,
            epochs=args.epochs,
            batch_size=args.batch_size,
            l2=args.l2,
            seed=args.seed + 2,
            target_loss=args.target_loss,
            progress=not args.no_progress,
            on_epoch=None if show_bar else _epoch_lines(args.epochs),
            live=args.animate,
        )
    except KeyboardInterrupt:
        raise _JobError("interrupted; nothing was written", 130) from None
    except (ArithmeticError, ValueError) as exc:
        raise _JobError(str(exc)) from exc
    elapsed = time.perf_counter() - started
    final = training.evaluate(model, dataset.points, dataset.labels, loss=loss)
    _print_summary(history, final, elapsed, len(dataset.points), loss)
    return history, final


def _epoch_lines(epochs: int) -> Callable[[int, training.History], None]:
    """Without a progress bar (a log, CI), ten lines tell the story instead: fit's on_epoch."""
    every = max(1, epochs // 10)
    width = len(str(epochs))

    def report(epoch: int, history: training.History) -> None:
        if (epoch + 1) % every == 0 or epoch + 1 == epochs:
            accuracy = f"  accuracy {history.accuracy[-1]:7.2%}" if history.accuracy else ""
            print(
                f"  epoch {epoch + 1:>{width}}/{epochs}  "
                f"loss {history.loss[-1]:.6f}{accuracy}  lr {history.lr[-1]:.4g}"
            )

    return report


def _print_summary(
    history: training.History, final: dict[str, float], elapsed: float, n: int, loss: str
) -> None:
    """How long the training took and how well the model now fits the ``n`` training points."""
    per_epoch = sum(history.seconds) / max(len(history.seconds), 1)
    stop = " (reached --target-loss)" if history.stopped_early else ""
    print(
        f"done:  {history.epochs} epochs{stop} in {elapsed:.2f} s "
        f"({per_epoch * 1000:.1f} ms per epoch)"
    )
    if "accuracy" in final:
        right = round(final["accuracy"] * n)
        print(
            f"final training accuracy: {final['accuracy']:.1%} ({right}/{n}), "
            f"{loss} loss {final['loss']:.6f} (without L2)"
        )
    else:
        print(f"final training {loss} loss: {final['loss']:.6f}")


def _write_outputs(
    args: argparse.Namespace,
    dataset: _DataSet,
    model: nn.MLP,
    history: training.History,
    final: dict[str, float],
    loss: str,
) -> list[Path]:
    """model.json, history.csv, the plots and graph.svg in --out (default runs/<timestamp>)."""
    out = Path(args.out) if args.out else _new_run_directory(Path("runs"), datetime.now())
    metadata = {
        "dataset": dataset.name,
        "samples": len(dataset.points),
        "noise": dataset.noise,
        "seed": args.seed,
        "loss": loss,
        "epochs": history.epochs,
        "final": final,
    }
    try:
        out.mkdir(parents=True, exist_ok=True)
        written = [model.save(out / "model.json", metadata=metadata)]
        written.append(history.to_csv(out / "history.csv"))
    except OSError as exc:
        raise _JobError(f"cannot write to {str(out)!r}: {exc}") from exc
    if not args.no_plot:
        written += _plots(model, dataset.points, dataset.labels, history, out)
    if not args.no_graph:
        written += _forward_graph(model, dataset.points, dataset.labels, loss, out)
    if history.live is not None:  # --animate
        written.append(history.live.save(out / "training.gif"))
    return written


def _new_run_directory(root: Path, now: datetime) -> Path:
    """``runs/<timestamp>``, with a suffix when a run in the same second took that name."""
    stamp = now.strftime("%Y%m%d-%H%M%S")
    candidate = root / stamp
    n = 2
    while candidate.exists():
        candidate = root / f"{stamp}-{n}"
        n += 1
    return candidate


def _plots(
    model: ag.nn.Module,
    X: list[list[float]],  # noqa: N803
    y: Sequence[Any],
    history: ag.training.History,
    out: Path,
) -> list[Path]:
    try:
        from autograd_core import plot
    except ImportError:
        print(
            "skipped decision_boundary.png and history.png: matplotlib is not installed "
            "(pip install 'autograd-core[plot]')"
        )
        return []
    written = [out / "history.png"]
    plot.plot_history(history, written[0])
    if len(X[0]) == 2:
        written.append(out / "decision_boundary.png")
        widest = max(layer.nout for layer in model.layers) if isinstance(model, nn.MLP) else 1
        resolution = _plot_resolution(widest)
        plot.plot_decision_boundary(
            model, X, y, written[-1], title="decision boundary", resolution=resolution
        )
    else:
        print("skipped decision_boundary.png: the data is not two-dimensional")
    return written


def _forward_graph(
    model: nn.MLP,
    X: list[list[float]],  # noqa: N803
    y: Sequence[Any],
    loss: str,
    out: Path,
) -> list[Path]:
    """graph.svg: the graph of one sample's loss after backward, one box per neuron.

    The sample is the one with the largest loss, so that gradients flow in the picture (a
    sample the model already gets right with a margin has a hinge loss of 0 and all-zero
    gradients). A network with more connections than a picture holds (``3 × max_nodes``) is
    drawn one box per layer instead.
    """
    task = ag.training.LOSSES[loss]
    with ag.no_grad():
        scores = model(X)
        losses = [task.compute([s], task.targets([t])).data for s, t in zip(scores, y)]
    k = max(range(len(losses)), key=losses.__getitem__)
    x = [ag.Value(v, label=f"x{i}") for i, v in enumerate(X[k])]  # drawn as the inputs
    sample_loss = task.compute([model(x)], task.targets(y[k : k + 1]))
    sample_loss.label = "loss"
    model.zero_grad()
    sample_loss.backward()
    connections = sum(layer.nin * layer.nout for layer in model.layers)
    collapse = "neuron" if connections <= 3 * ag.viz.DEFAULT_MAX_NODES else "layer"
    path = out / "graph.svg"
    try:
        ag.viz.save_graph(sample_loss, path, collapse=collapse)
    except (ImportError, AttributeError, RuntimeError, OSError, ValueError) as exc:
        # The picture is a bonus: a missing Graphviz renderer, or one that runs over its time
        # limit, must not fail a training run.
        print(f"skipped graph.svg: {' '.join(str(exc).split())}")
        return []
    finally:
        model.zero_grad()
    print(
        f"graph.svg: the loss of sample {k} (the largest, {losses[k]:.4g}), one box per {collapse}"
    )
    return [path]


def _add_train_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``train`` (and ``demo``); the defaults are micrograd's demo set-up."""
    add = parser.add_argument
    add("--dataset", choices=_DATASETS, default="moons", help="the data set (default moons)")
    add(
        "--samples",
        type=_positive_int,
        metavar="N",
        help=f"number of points (default: 100; xor 4, spiral 300; at most {MAX_SAMPLES:,})",
    )
    add(
        "--noise",
        type=_nonnegative_float,
        metavar="X",
        help="noise standard deviation (default: moons 0.1, circles 0.05, xor 0, spiral 0.05)",
    )
    add("--classes", type=_positive_int, default=3, metavar="K", help="spiral arms (default 3)")
    add(
        "--hidden",
        type=_positive_int,
        nargs="*",
        default=[16, 16],
        metavar="N",
        help=f"hidden layer widths (default 16 16); the model may have at most "
        f"{MAX_PARAMETERS:,} parameters, and parameters × samples at most {MAX_WORK:.0e}",
    )
    add(
        "--activation",
        choices=ag.nn.ACTIVATIONS,
        default="relu",
        help="activation of the hidden layers (default relu)",
    )
    add(
        "--init",
        choices=ag.nn.INITS,
        default="uniform",
        help="weight initialisation (default uniform: micrograd's U(-1, 1))",
    )
    add(
        "--loss",
        choices=_LOSS_CHOICES,
        default="auto",
        help="the loss (default: hinge for two classes, cross_entropy for spiral, mse for linear)",
    )
    add("--optimizer", choices=_OPTIMIZERS, default="sgd", help="optimizer (default sgd)")
    add("--lr", type=_positive_float, default=1.0, help="initial learning rate (default 1.0)")
    add("--momentum", type=_nonnegative_float, default=0.0, help="SGD momentum (default 0)")
    add(
        "--schedule",
        choices=("linear", "cosine", "constant"),
        default="linear",
        help="learning-rate schedule from --lr to --lr-end (default linear)",
    )
    add(
        "--lr-end",
        type=_nonnegative_float,
        metavar="LR",
        help="the learning rate the schedule decays to (default lr/10)",
    )
    add("--epochs", type=_positive_int, default=100, help="number of epochs (default 100)")
    add(
        "--batch-size",
        type=_positive_int,
        metavar="N",
        help="samples per step (default: all of them, full-batch descent)",
    )
    add("--l2", type=_nonnegative_float, default=1e-4, help="L2 penalty weight (default 1e-4)")
    add(
        "--seed",
        type=int,
        default=1337,
        help="seed of the data; the weights use seed+1, the batch order seed+2 (default 1337)",
    )
    add(
        "--target-loss",
        type=_finite_float,
        metavar="X",
        help="stop once an epoch's loss is <= X",
    )
    add("--out", metavar="DIR", help="directory for the artefacts (default runs/<timestamp>)")
    add("--no-progress", action="store_true", help="no progress bar (shown only in a terminal)")
    add("--no-graph", action="store_true", help="do not draw graph.svg (one sample's graph)")
    add(
        "--animate",
        action="store_true",
        help="also write training.gif: the loss, the decision regions and the network, "
        "epoch by epoch (needs matplotlib)",
    )
    add(
        "--no-plot",
        action="store_true",
        help="do not draw history.png and decision_boundary.png (the decision boundary is "
        f"drawn for layers up to {_PLOT_BYTES // (8 * _MIN_RESOLUTION**2):,} wide)",
    )


def _positive_float(text: str) -> float:
    number = _nonnegative_float(text)
    if number == 0.0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return number


def _finite_float(text: str) -> float:
    try:
        number = float(text)
    except ValueError:
        number = float("nan")
    if number - number:  # nan or inf
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return number


def _nonnegative_float(text: str) -> float:
    try:
        number = float(text)
    except ValueError:
        number = -1.0
    if not 0.0 <= number < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a finite number >= 0, got {text!r}")
    return number


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``autograd-core`` (exposed for tests and docs).

    Example:
        >>> from autograd_core.cli import build_parser
        >>> build_parser().parse_args(["demo"]).command
        'demo'
    """
    parser = argparse.ArgumentParser(
        prog="autograd-core",
        description="Scalar automatic differentiation: see gradients, draw graphs, train MLPs.",
    )
    parser.add_argument("--version", action="version", version=f"autograd-core {ag.__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = commands.add_parser(
        "demo",
        help="differentiate a small expression, then train on moons (as train)",
        description="Print the gradients of a small expression, then run the training job of "
        "`autograd-core train` (same options and defaults).",
    )
    _add_train_arguments(demo)
    demo.set_defaults(handler=_demo)
    train = commands.add_parser(
        "train",
        help="train an MLP on a built-in data set and write its artefacts",
        description="Train an MLP by gradient descent (default: micrograd's demo, MLP 2-16-16-1 "
        "on 100 moons, hinge loss + 1e-4 L2, SGD with lr 1.0 -> 0.1 over 100 epochs), print "
        "the final training accuracy and write model.json, history.csv, history.png, "
        "decision_boundary.png and graph.svg (the graph of the loss of the sample the model gets "
        "most wrong, one box per neuron; --no-graph skips it) into --out; with --animate also "
        "training.gif, the run epoch by epoch.",
        epilog="example (5 s, 95% training accuracy on three spiral arms): autograd-core train "
        "--dataset spiral --samples 150 --optimizer adam --lr 0.05 --init auto",
    )
    _add_train_arguments(train)
    train.set_defaults(handler=_train)
    graph = commands.add_parser(
        "graph",
        help="differentiate a formula and draw its computation graph",
        description="Evaluate EXPR with the given values, run backward, print each input's "
        "gradient and draw the graph. EXPR may use numbers, the names given, + - * / **, and "
        "exp log sqrt tanh sigmoid relu leaky_relu sin cos abs sum dot; nothing is eval'ed. "
        "Put -- before an EXPR that starts with '-' (options may follow it: "
        'graph -- "-x" x=1 -o f.svg), or start it with a space.',
        epilog='example: autograd-core graph "tanh(x*w + b)" x=2 w=-3 b=6.8814 -o neuron.svg',
    )
    graph.add_argument("expression", metavar="EXPR", help='the formula, e.g. "tanh(x*w + b)"')
    graph.add_argument("assignments", metavar="NAME=VALUE", nargs="*", help="a value per name")
    _add_graph_options(graph)
    graph.set_defaults(handler=_graph)
    return parser


def _add_graph_options(graph: argparse.ArgumentParser) -> None:
    """The options of ``graph``: on its subparser, and for options after ``--`` (see main)."""
    graph.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="write the graph to FILE (.svg, .png, .pdf or .dot; - for SVG on stdout) instead of "
        "printing the gradients and writing graph.svg",
    )
    graph.add_argument("--rankdir", choices=["LR", "TB"], default="LR", help="layout direction")
    graph.add_argument(
        "--no-backward", action="store_true", help="draw values only, without gradients"
    )
    graph.add_argument(
        "--max-nodes",
        type=_positive_int,
        default=ag.viz.DEFAULT_MAX_NODES,
        metavar="N",
        help=f"draw at most N values (default {ag.viz.DEFAULT_MAX_NODES})",
    )
    graph.add_argument(
        "--html",
        metavar="FILE",
        help="write a page that steps through the forward and backward pass (open it in a "
        "browser) instead of graph.svg",
    )
    graph.add_argument(
        "--code",
        action="store_true",
        help="print the graph as a Python function computing the value and the gradients line "
        "by line (forward pass, then backward pass) instead of the table and graph.svg",
    )
    graph.add_argument(
        "--timeout",
        type=_positive_seconds,
        default=10.0,
        metavar="SECONDS",
        help="how long the --html page's layout may take (default 10)",
    )


def _read_late_graph_options(args: argparse.Namespace, extra: list[str]) -> None:
    """The words of ``graph`` that argparse left over, as options or NAME=VALUE words.

    argparse stops filling the NAME=VALUE list at the first option (``graph f -o g.svg x=1``
    leaves ``x=1`` over), and after ``--`` it takes every word as a positional, so in
    ``graph -- "-x" x=1 -o f.svg`` the ``-o f.svg`` lands among the NAME=VALUE words. No
    NAME=VALUE word starts with ``-`` (a name cannot), so the words that do are read here as
    the options they are; the others are NAME=VALUE words, in the order given.
    """
    words: list[str] = [*args.assignments, *extra]
    if any(word.startswith("-") for word in words):
        late = argparse.ArgumentParser(prog="autograd-core graph", add_help=False)
        _add_graph_options(late)
        _, words = late.parse_known_args(words, namespace=args)
    args.assignments = words


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``autograd-core`` console script.

    Example:
        >>> import tempfile
        >>> from autograd_core.cli import main
        >>> main(["demo", "--epochs", "3", "--no-progress", "--out", tempfile.mkdtemp()])
        ... # doctest: +ELLIPSIS
        y = (a*b + tanh(a))**2 / 2
        ...
        final training accuracy: ...
        0
    """
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if args.command == "graph":
        _read_late_graph_options(args, extra)
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if args.command is None:
        parser.print_help()
        return 0
    try:
        result: int = args.handler(args)
        sys.stdout.flush()  # a closed pipe shows here, not at exit
    except BrokenPipeError:
        # The reader of the output has gone (`autograd-core graph ... | head -3`): stop without
        # a message, as Unix tools do. Output still buffered for the closed pipe goes to
        # /dev/null, or Python would report the same error again when it flushes at exit.
        _discard_stdout()
        return 1
    return result


def _discard_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # no real file behind sys.stdout
        pass


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
