"""Small data sets to train on, and a way to walk through them in batches.

A learner needs data whose answer is known: two half moons that no straight line separates, a
ring inside a ring, the four points of XOR, spiral arms, a noisy straight line. Each generator
here is a few lines of plain Python with its own ``random.Random(seed)``, so

* the same seed gives the same points on every machine and Python version (Python documents
  ``random.Random`` with an integer seed as reproducible), and
* nothing else in the program can disturb it: a generator never touches the global ``random``
  state, and seeding the global state does not change its output.

Every classification set returns ``(X, y)`` with ``X`` a list of feature lists and ``y`` a list
of class indices ``0, 1, ...`` (the convention of ``cross_entropy`` and of scikit-learn).
``training.fit`` turns 0/1 labels into the −1/+1 that ``hinge_loss`` wants by itself.
``make_linear`` returns float targets for regression.

``batches`` cuts a data set into mini-batches, optionally in a seeded shuffled order: the
difference between full-batch, mini-batch and stochastic gradient descent is only its
``batch_size``.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Sequence
from typing import TypeVar

from autograd_core._checks import integer, real

__all__ = [
    "make_moons",
    "make_circles",
    "make_xor",
    "make_spiral",
    "make_linear",
    "load_digits",
    "batches",
]

T = TypeVar("T")
U = TypeVar("U")


def make_moons(
    n_samples: int = 100, noise: float = 0.1, seed: int | None = None
) -> tuple[list[list[float]], list[int]]:
    """Two interleaving half circles: the data set of micrograd's demo.

    The upper moon (class 0) is ``(cos t, sin t)`` and the lower one (class 1) is
    ``(1 − cos t, 0.5 − sin t)`` for ``t`` evenly spaced over ``[0, π]``; Gaussian noise of
    standard deviation ``noise`` is added to each coordinate and the points are shuffled.
    No straight line separates the classes, so a model needs a hidden layer.

    Args:
        n_samples: Number of points; the upper moon gets ``n_samples // 2`` of them.
        noise: Standard deviation of the noise added to each coordinate.
        seed: Seed of the generator; ``None`` for a different data set on every call.

    Returns:
        ``(X, y)``: ``n_samples`` points ``[x0, x1]`` and their classes (0 or 1).

    Example:
        >>> from autograd_core import data
        >>> X, y = data.make_moons(100, noise=0.1, seed=1337)
        >>> len(X), len(X[0]), sorted(set(y)), y.count(1)
        (100, 2, [0, 1], 50)
        >>> data.make_moons(100, noise=0.1, seed=1337) == (X, y)
        True
    """
    n_samples = _check_count(n_samples, "make_moons", minimum=2)
    noise = _check_noise(noise, "make_moons")
    rng = random.Random(_check_seed(seed, "make_moons"))
    upper = n_samples // 2
    lower = n_samples - upper
    points: list[tuple[list[float], int]] = []
    for i in range(upper):
        t = math.pi * i / max(upper - 1, 1)
        points.append(([math.cos(t), math.sin(t)], 0))
    for i in range(lower):
        t = math.pi * i / max(lower - 1, 1)
        points.append(([1.0 - math.cos(t), 0.5 - math.sin(t)], 1))
    return _noisy_shuffled(points, noise, rng, "make_moons")


def make_circles(
    n_samples: int = 100, noise: float = 0.05, factor: float = 0.5, seed: int | None = None
) -> tuple[list[list[float]], list[int]]:
    """A ring of radius 1 (class 0) around a ring of radius ``factor`` (class 1).

    Separable by a circle but not by a line.

    Args:
        n_samples: Number of points; the outer ring gets ``n_samples // 2`` of them.
        noise: Standard deviation of the noise added to each coordinate.
        factor: Radius of the inner ring, strictly between 0 and 1.
        seed: Seed of the generator; ``None`` for a different data set on every call.

    Returns:
        ``(X, y)``: points ``[x0, x1]`` and their classes (0 outer, 1 inner).

    Example:
        >>> from autograd_core import data
        >>> X, y = data.make_circles(8, noise=0.0, seed=0)
        >>> sorted(round(x0 * x0 + x1 * x1, 6) for x0, x1 in X)  # squared radii
        [0.25, 0.25, 0.25, 0.25, 1.0, 1.0, 1.0, 1.0]
    """
    n_samples = _check_count(n_samples, "make_circles", minimum=2)
    noise = _check_noise(noise, "make_circles")
    factor = real(
        factor,
        "factor",
        "make_circles",
        minimum=0.0,
        maximum=1.0,
        exclusive_minimum=True,
        exclusive_maximum=True,
    )
    rng = random.Random(_check_seed(seed, "make_circles"))
    outer = n_samples // 2
    inner = n_samples - outer
    points: list[tuple[list[float], int]] = []
    for count, radius, label in ((outer, 1.0, 0), (inner, factor, 1)):
        for i in range(count):
            # endpoint excluded: 0 and 2π are the same point of a circle
            t = 2.0 * math.pi * i / count
            points.append(([radius * math.cos(t), radius * math.sin(t)], label))
    return _noisy_shuffled(points, noise, rng, "make_circles")


def make_xor(
    n_samples: int = 4, noise: float = 0.0, seed: int | None = None
) -> tuple[list[list[float]], list[int]]:
    """The XOR problem: class 1 when exactly one of the two inputs is 1.

    The points cycle through the corners ``(0,0), (0,1), (1,0), (1,1)`` (classes 0, 1, 1, 0),
    in that order, so the default is exactly the four points of the classic example. With
    ``noise > 0`` each coordinate gets Gaussian noise, which makes larger, fuzzier sets.

    Args:
        n_samples: Number of points (4 gives each corner once).
        noise: Standard deviation of the noise added to each coordinate.
        seed: Seed of the noise generator (irrelevant when ``noise`` is 0).

    Returns:
        ``(X, y)``: points ``[x0, x1]`` and their classes.

    Example:
        >>> from autograd_core import data
        >>> data.make_xor()
        ([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [0, 1, 1, 0])
    """
    n_samples = _check_count(n_samples, "make_xor", minimum=1)
    noise = _check_noise(noise, "make_xor")
    rng = random.Random(_check_seed(seed, "make_xor"))
    corners = ((0.0, 0.0, 0), (0.0, 1.0, 1), (1.0, 0.0, 1), (1.0, 1.0, 0))
    features: list[list[float]] = []
    labels: list[int] = []
    for i in range(n_samples):
        a, b, label = corners[i % 4]
        if noise:
            a += rng.gauss(0.0, noise)
            b += rng.gauss(0.0, noise)
        features.append([a, b])
        labels.append(label)
    _check_finite(features, noise, "make_xor")
    return features, labels


def make_spiral(
    n_samples: int = 300,
    n_classes: int = 3,
    noise: float = 0.05,
    turns: float = 0.75,
    seed: int | None = None,
) -> tuple[list[list[float]], list[int]]:
    """Spiral arms winding out of the origin, one per class: a multi-class problem.

    Along arm ``k`` the radius ``r`` grows evenly from 0 to 1 while the angle grows from
    ``2πk / n_classes`` by ``turns`` full turns, so the arms interleave. Gaussian noise of
    standard deviation ``noise`` is added to each coordinate.

    Args:
        n_samples: Total number of points, shared as evenly as possible among the classes.
        n_classes: Number of arms (classes), at least 2.
        noise: Standard deviation of the noise added to each coordinate.
        turns: How far each arm winds, in full turns.
        seed: Seed of the generator; ``None`` for a different data set on every call.

    Returns:
        ``(X, y)``: points ``[x0, x1]`` and their classes ``0 .. n_classes − 1``.

    Example:
        >>> from autograd_core import data
        >>> X, y = data.make_spiral(90, n_classes=3, seed=0)
        >>> len(X), [y.count(k) for k in range(3)]
        (90, [30, 30, 30])
    """
    n_classes = integer(n_classes, "n_classes", "make_spiral", minimum=2)
    n_samples = _check_count(n_samples, "make_spiral", minimum=n_classes)
    noise = _check_noise(noise, "make_spiral")
    turns = real(turns, "turns", "make_spiral")
    rng = random.Random(_check_seed(seed, "make_spiral"))
    points: list[tuple[list[float], int]] = []
    for k in range(n_classes):
        count = n_samples // n_classes + (1 if k < n_samples % n_classes else 0)
        for i in range(count):
            r = i / max(count - 1, 1)
            t = 2.0 * math.pi * (k / n_classes + turns * r)
            points.append(([r * math.cos(t), r * math.sin(t)], k))
    return _noisy_shuffled(points, noise, rng, "make_spiral")


def make_linear(
    n_samples: int = 100,
    w: float | Sequence[float] = 3.0,
    b: float = 2.0,
    noise: float = 0.1,
    seed: int | None = None,
) -> tuple[list[list[float]], list[float]]:
    """Points on a noisy plane ``y = w·x + b``: a regression problem with a known answer.

    Each feature is drawn uniformly from ``[0, 1)``; the target gets zero-mean Gaussian noise,
    so least squares recovers ``w`` and ``b`` up to the noise.

    Args:
        n_samples: Number of points.
        w: The true weight (one feature) or weights (one per feature).
        b: The true intercept.
        noise: Standard deviation of the noise added to each target.
        seed: Seed of the generator; ``None`` for a different data set on every call.

    Returns:
        ``(X, y)``: feature lists and float targets.

    Example:
        >>> from autograd_core import data
        >>> X, y = data.make_linear(3, w=[1.0, -2.0], b=0.5, noise=0.0, seed=0)
        >>> [round(t - (x0 - 2.0 * x1 + 0.5), 12) for (x0, x1), t in zip(X, y)]
        [0.0, 0.0, 0.0]
    """
    n_samples = _check_count(n_samples, "make_linear", minimum=1)
    noise = _check_noise(noise, "make_linear")
    if isinstance(w, Sequence) and not isinstance(w, (str, bytes)):
        weights = [real(v, f"w[{i}]", "make_linear") for i, v in enumerate(w)]
        if not weights:
            raise ValueError("make_linear: w must hold at least one weight, got []")
    else:
        weights = [real(w, "w", "make_linear")]  # a TypeError for anything but a number
    b = real(b, "b", "make_linear")
    rng = random.Random(_check_seed(seed, "make_linear"))
    features: list[list[float]] = []
    targets: list[float] = []
    for _ in range(n_samples):
        x = [rng.random() for _ in weights]
        try:
            target = b + math.fsum(wi * xi for wi, xi in zip(weights, x))
        except OverflowError:  # fsum's intermediate sum left the floats
            target = math.inf
        if noise:
            target += rng.gauss(0.0, noise)
        if not math.isfinite(target):
            raise ValueError(
                f"make_linear: w, b and noise are too large: a target overflowed to {target!r} "
                f"(w={w!r}, b={b!r}, noise={noise!r})"
            )
        features.append(x)
        targets.append(target)
    return features, targets


def load_digits(
    split: str | None = None,
    *,
    scale: bool = True,
    test_fraction: float = 0.2,
    seed: int = 0,
) -> tuple[list[list[float]], list[int]]:
    """The 8×8 handwritten digits: 1,797 small images of the digits 0 to 9, shipped with the
    package (nothing is downloaded).

    Each sample is an 8×8 image read row by row into 64 features. A pixel counts the "on" dots
    of a 4×4 block of a scanned 32×32 bitmap, so it is an integer from 0 to 16; by default it
    is divided by 16, giving floats in ``[0, 1]`` (inputs of order 1 suit the usual weight
    initialisations). There are about 180 images of each digit. Ten classes and 64 inputs make
    this the step up from the two-feature toy sets: ``nn.MLP(64, [32, 10], init="auto")``
    trained by ``training.fit`` with ``loss="cross_entropy"``, ``optim.Adam(lr=0.01)`` and
    mini-batches of 32 passes 95% accuracy on the held-out digits within three epochs.

    ``split`` chooses which samples come back. ``None`` gives all of them, in the file's order.
    ``"train"`` and ``"test"`` give the two parts of a held-out split: from each digit's
    samples, ``round(test_fraction × count)`` drawn with ``random.Random(seed)`` form the test
    part and the rest the train part, so both parts have the ten digits in the same
    proportions. The same ``test_fraction`` and ``seed`` always give the same two parts, and
    they never share a sample; each part keeps the file's order.

    The data are the 1,797 test samples of the UCI "Optical Recognition of Handwritten Digits"
    set by E. Alpaydin and C. Kaynak (1998), https://doi.org/10.24432/C50P49, under the
    Creative Commons Attribution 4.0 licence (see ``autograd_core/datasets/README.md``). The
    file is read with ``gzip`` and ``csv`` only, and its shape and value ranges are checked.

    Args:
        split: ``None`` (all samples), ``"train"`` or ``"test"``.
        scale: Divide the pixels by 16 (floats in ``[0, 1]``); ``False`` keeps ``0.0 .. 16.0``.
        test_fraction: Share of each digit's samples held out for ``"test"``, strictly between
            0 and 1.
        seed: Seed of the held-out draw.

    Returns:
        ``(X, y)``: lists of 64 floats and the digits they show (ints ``0 .. 9``).

    Raises:
        OSError: if the packaged data file is missing or damaged.

    Example:
        >>> from autograd_core import data
        >>> X, y = data.load_digits()
        >>> len(X), len(X[0]), sorted(set(y)) == list(range(10))
        (1797, 64, True)
        >>> min(min(row) for row in X), max(max(row) for row in X)
        (0.0, 1.0)
        >>> X_train, y_train = data.load_digits("train", test_fraction=0.2, seed=0)
        >>> X_test, y_test = data.load_digits("test", test_fraction=0.2, seed=0)
        >>> len(X_train), len(X_test), y_test.count(3)
        (1438, 359, 37)
    """
    # Imported here: only the digits need them, and `import autograd_core` stays lean.
    from autograd_core._checks import choice, flag, integer, real

    where = "load_digits"
    part = choice(split, "split", where, (None, "train", "test"))
    scaled = flag(scale, "scale", where)
    fraction = real(
        test_fraction,
        "test_fraction",
        where,
        minimum=0.0,
        maximum=1.0,
        exclusive_minimum=True,
        exclusive_maximum=True,
    )
    rng_seed = integer(seed, "seed", where)
    pixels, labels = _digits_table()
    chosen: Sequence[int] = range(len(labels))
    if part is not None:
        held_out = _held_out(labels, fraction, rng_seed)
        if not held_out or len(held_out) == len(labels):
            empty = "test" if not held_out else "train"
            raise ValueError(
                f"{where}: test_fraction={fraction!r} leaves the {empty} split empty; "
                "choose a fraction nearer 0.5"
            )
        chosen = (
            sorted(held_out)
            if part == "test"
            else [i for i in range(len(labels)) if i not in held_out]
        )
    # One float per pixel level, looked up: the same numbers as v / 16, without 115k divisions.
    levels = [v / _DIGITS_MAX if scaled else float(v) for v in range(_DIGITS_MAX + 1)]
    features = [[levels[v] for v in pixels[i]] for i in chosen]
    return features, [labels[i] for i in chosen]


_DIGITS_FILE = "digits.csv.gz"
_DIGITS_SAMPLES = 1797
_DIGITS_FEATURES = 64
_DIGITS_CLASSES = 10
_DIGITS_MAX = 16
# The parsed file, read once per process; tuples, so no caller can change what the next gets.
_digits_cache: list[tuple[tuple[tuple[int, ...], ...], tuple[int, ...]]] = []


def _digits_table() -> tuple[tuple[tuple[int, ...], ...], tuple[int, ...]]:
    """The packaged digits as ``(pixels, labels)`` of ints, parsed and checked once."""
    if not _digits_cache:
        from importlib import resources

        source = resources.files("autograd_core") / "datasets" / _DIGITS_FILE
        try:
            compressed = source.read_bytes()
        except OSError as exc:
            raise OSError(
                f"load_digits: cannot read the packaged data file {source} ({exc}); "
                "reinstall autograd-core"
            ) from None
        _digits_cache.append(_read_digits(compressed, str(source)))
    return _digits_cache[0]


def _read_digits(
    compressed: bytes, name: str
) -> tuple[tuple[tuple[int, ...], ...], tuple[int, ...]]:
    """Decompress and check a digits CSV: 1,797 lines of 64 pixels and a label.

    Every kind of damage (not gzip, truncated, not text, wrong shape or values) raises
    ``OSError`` naming the file.
    """
    import csv
    import gzip
    import zlib

    try:
        text = gzip.decompress(compressed).decode("ascii")
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as exc:
        raise OSError(
            f"load_digits: the data file {name} cannot be read ({exc}); reinstall autograd-core"
        ) from None
    try:
        return _parse_digits(csv.reader(text.splitlines()), name)
    except csv.Error as exc:  # say, a line longer than the csv module's field limit
        raise OSError(f"load_digits: the data file {name} is damaged ({exc})") from None


def _parse_digits(
    rows: Iterator[list[str]], name: str
) -> tuple[tuple[tuple[int, ...], ...], tuple[int, ...]]:
    width = _DIGITS_FEATURES + 1
    pixels: list[tuple[int, ...]] = []
    labels: list[int] = []

    def damaged(detail: str) -> OSError:
        return OSError(f"load_digits: the data file {name} is damaged: {detail}")

    for line, row in enumerate(rows, start=1):
        if len(row) != width:
            raise damaged(f"line {line} has {len(row)} fields, expected {width}")
        # Plain decimal digits only: int() alone would also take "+3", " 3" or "1_0".
        if not all(field.isascii() and field.isdigit() for field in row):
            raise damaged(f"line {line} holds a field that is not a whole number")
        values = [int(field) for field in row]
        label = values.pop()
        if max(values) > _DIGITS_MAX:
            raise damaged(f"line {line} has a pixel above {_DIGITS_MAX}")
        if label >= _DIGITS_CLASSES:
            raise damaged(f"line {line} has the label {label}, expected 0 .. 9")
        pixels.append(tuple(values))
        labels.append(label)
    if len(labels) != _DIGITS_SAMPLES:
        raise damaged(f"{len(labels)} samples, expected {_DIGITS_SAMPLES}")
    missing = sorted(set(range(_DIGITS_CLASSES)) - set(labels))
    if missing:
        raise damaged(f"no sample of the digit(s) {missing}")
    return tuple(pixels), tuple(labels)


def _held_out(labels: Sequence[int], fraction: float, seed: int) -> set[int]:
    """Indices of the test split: ``round(fraction × count)`` of each class, drawn at random."""
    rng = random.Random(seed)
    chosen: set[int] = set()
    for digit in range(_DIGITS_CLASSES):
        members = [i for i, label in enumerate(labels) if label == digit]
        rng.shuffle(members)
        chosen.update(members[: round(fraction * len(members))])
    return chosen


def batches(
    X: Sequence[T],  # noqa: N803 - X and y, the names every ML text uses
    y: Sequence[U],
    batch_size: int | None = None,
    shuffle: bool = False,
    seed: int | None = None,
) -> Iterator[tuple[list[T], list[U]]]:
    """Walk through ``(X, y)`` in mini-batches.

    ``batch_size=None`` (or ``len(X)``) gives one full batch: batch gradient descent.
    ``batch_size=1`` gives stochastic gradient descent; anything between, mini-batch descent.
    The last batch is smaller when the size does not divide the data.

    Args:
        X: Inputs, one per sample.
        y: Targets, as many as ``X``.
        batch_size: Samples per batch; ``None`` for all of them.
        shuffle: Visit the samples in a random order (each sample once).
        seed: Seed of the shuffle; ``None`` for a different order on every call.

    Returns:
        An iterator of ``(X_batch, y_batch)`` list pairs.

    Example:
        >>> from autograd_core import data
        >>> X, y = [[0.0], [1.0], [2.0], [3.0], [4.0]], [0, 1, 0, 1, 0]
        >>> [yb for _, yb in data.batches(X, y, batch_size=2)]
        [[0, 1], [0, 1], [0]]
        >>> sorted(sum((xb for xb, _ in data.batches(X, y, 2, shuffle=True, seed=3)), []))
        [[0.0], [1.0], [2.0], [3.0], [4.0]]
    """
    if len(X) != len(y):
        raise ValueError(f"batches: X and y must have the same length, got {len(X)} and {len(y)}")
    n = len(X)
    size = (
        max(n, 1) if batch_size is None else integer(batch_size, "batch_size", "batches", minimum=1)
    )
    order = list(range(n))
    if shuffle:
        random.Random(seed).shuffle(order)
    return _batches(X, y, order, size)


def _batches(
    X: Sequence[T],  # noqa: N803
    y: Sequence[U],
    order: list[int],
    size: int,
) -> Iterator[tuple[list[T], list[U]]]:
    # A separate generator so that the argument checks of ``batches`` run at the call, not at
    # the first ``next()``.
    for start in range(0, len(order), size):
        chunk = order[start : start + size]
        yield [X[i] for i in chunk], [y[i] for i in chunk]


def _noisy_shuffled(
    points: list[tuple[list[float], int]], noise: float, rng: random.Random, where: str
) -> tuple[list[list[float]], list[int]]:
    """Add Gaussian noise to every coordinate, then shuffle the points (all from ``rng``)."""
    if noise:
        for x, _ in points:
            for j in range(len(x)):
                x[j] += rng.gauss(0.0, noise)
    rng.shuffle(points)
    features = [x for x, _ in points]
    _check_finite(features, noise, where)
    return features, [label for _, label in points]


def _check_finite(features: list[list[float]], noise: float, where: str) -> None:
    """A finite noise so large (1e308) that a coordinate overflows is refused, not returned."""
    if not all(math.isfinite(v) for x in features for v in x):
        raise ValueError(
            f"{where}: noise must be small enough for finite points, got {noise!r} "
            "(a coordinate overflowed)"
        )


def _check_seed(seed: int | None, where: str) -> int | None:
    """None (a new data set each call) or an integer: the seeds Python's random module
    documents as reproducible."""
    return None if seed is None else integer(seed, "seed", where)


def _check_count(n: int, where: str, minimum: int) -> int:
    return integer(n, "n_samples", where, minimum=minimum)


def _check_noise(noise: float, where: str) -> float:
    return real(noise, "noise", where, minimum=0.0)
