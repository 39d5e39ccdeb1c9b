"""The data sets (geometry, labels, seeding, noise) and the batch iterator."""

from __future__ import annotations

import math
import random
import statistics
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd_core import data

GENERATORS = {
    "moons": lambda seed: data.make_moons(50, noise=0.1, seed=seed),
    "circles": lambda seed: data.make_circles(50, noise=0.1, seed=seed),
    "xor": lambda seed: data.make_xor(50, noise=0.1, seed=seed),
    "spiral": lambda seed: data.make_spiral(50, noise=0.1, seed=seed),
    "linear": lambda seed: data.make_linear(50, noise=0.1, seed=seed),
}

# -- seeding -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", GENERATORS)
def test_same_seed_same_data_different_seed_different_data(name: str) -> None:
    make = GENERATORS[name]
    assert make(7) == make(7)
    assert make(7) != make(8)


@pytest.mark.parametrize("name", GENERATORS)
def test_generators_neither_use_nor_disturb_the_global_random_state(name: str) -> None:
    random.seed(123)
    before = random.getstate()
    first = GENERATORS[name](5)
    assert random.getstate() == before
    random.seed(999)  # a different global state must not change a seeded data set
    assert GENERATORS[name](5) == first


@pytest.mark.parametrize("name", GENERATORS)
def test_outputs_are_plain_python_lists_of_floats(name: str) -> None:
    X, y = GENERATORS[name](0)
    assert type(X) is list and type(y) is list and len(X) == len(y) == 50
    assert all(type(row) is list and all(type(v) is float for v in row) for row in X)


# -- geometry ----------------------------------------------------------------------------------


def test_moons_without_noise_lie_on_two_unit_half_circles() -> None:
    X, y = data.make_moons(41, noise=0.0, seed=0)
    assert y.count(0) == 20 and y.count(1) == 21
    for (x0, x1), label in zip(X, y):
        if label == 0:  # upper moon: centre (0, 0), upper half
            assert math.hypot(x0, x1) == pytest.approx(1.0) and x1 >= -1e-12
        else:  # lower moon: centre (1, 0.5), lower half
            assert math.hypot(x0 - 1.0, x1 - 0.5) == pytest.approx(1.0) and x1 <= 0.5 + 1e-12
    # both ends of each half circle are included
    assert [-1.0, 0.0] in [[round(a, 12), round(b, 12)] for a, b in X]
    assert [2.0, 0.5] in [[round(a, 12), round(b, 12)] for a, b in X]


def test_moons_are_shuffled() -> None:
    _, y = data.make_moons(100, noise=0.0, seed=3)
    assert y != sorted(y)


def test_moons_noise_has_the_requested_standard_deviation() -> None:
    noisy, _ = data.make_moons(2000, noise=0.2, seed=11)
    # Distance of each point to the nearest clean half circle: for noise σ its mean is about
    # E|N(0, σ)| = 0.8σ, a little less where the moons overlap.
    residuals = []
    for x0, x1 in noisy:
        upper = abs(math.hypot(x0, x1) - 1.0)
        lower = abs(math.hypot(x0 - 1.0, x1 - 0.5) - 1.0)
        residuals.append(min(upper, lower))
    assert 0.12 < statistics.fmean(residuals) < 0.18
    quiet, _ = data.make_moons(2000, noise=0.02, seed=11)
    assert (
        statistics.fmean(
            min(abs(math.hypot(a, b) - 1), abs(math.hypot(a - 1, b - 0.5) - 1)) for a, b in quiet
        )
        < 0.02
    )


def test_circles_radii_and_labels() -> None:
    X, y = data.make_circles(30, noise=0.0, factor=0.3, seed=1)
    for (x0, x1), label in zip(X, y):
        assert math.hypot(x0, x1) == pytest.approx(1.0 if label == 0 else 0.3)
    assert y.count(0) == 15 and y.count(1) == 15
    # evenly spaced angles without the duplicate point at 2π
    outer = sorted(
        round(math.atan2(x1, x0) % (2 * math.pi), 9) for (x0, x1), t in zip(X, y) if t == 0
    )
    assert len(set(outer)) == 15


def test_xor_is_the_truth_table() -> None:
    X, y = data.make_xor()
    assert X == [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
    assert y == [int(a) ^ int(b) for a, b in X]
    X8, y8 = data.make_xor(8)
    assert X8 == X + X and y8 == y + y


def test_noisy_xor_keeps_labels_of_the_nearest_corner() -> None:
    X, y = data.make_xor(400, noise=0.05, seed=2)
    for (a, b), label in zip(X, y):
        assert label == (round(a) ^ round(b))


def test_spiral_classes_and_radii() -> None:
    X, y = data.make_spiral(100, n_classes=4, noise=0.0, seed=0)
    assert [y.count(k) for k in range(4)] == [25, 25, 25, 25]
    radii = sorted(math.hypot(*x) for x in X)
    assert radii[0] == 0.0 and radii[-1] == pytest.approx(1.0)
    # arm k starts (r > 0) at angle 2πk/4: the first point after the centre is near it
    for k in range(4):
        arm = sorted((math.hypot(*x), x) for x, t in zip(X, y) if t == k)
        _, (x0, x1) = arm[1]
        angle = math.atan2(x1, x0) % (2 * math.pi)
        assert angle == pytest.approx(2 * math.pi * k / 4 + 2 * math.pi * 0.75 / 24, abs=1e-9)


def test_spiral_shares_the_remainder_among_the_first_classes() -> None:
    _, y = data.make_spiral(11, n_classes=3, seed=0)
    assert [y.count(k) for k in range(3)] == [4, 4, 3]


def test_linear_without_noise_is_exact() -> None:
    X, y = data.make_linear(20, w=[2.0, -1.0, 0.5], b=-3.0, noise=0.0, seed=4)
    for x, t in zip(X, y):
        assert all(0.0 <= v < 1.0 for v in x)
        assert t == pytest.approx(2.0 * x[0] - x[1] + 0.5 * x[2] - 3.0, abs=1e-12)


def test_linear_noise_is_zero_mean_with_the_requested_spread() -> None:
    X, y = data.make_linear(4000, w=3.0, b=2.0, noise=0.5, seed=9)
    residuals = [t - (3.0 * x[0] + 2.0) for x, t in zip(X, y)]
    assert abs(statistics.fmean(residuals)) < 0.05  # 5 standard errors (0.5 / √4000 ≈ 0.008)
    assert statistics.stdev(residuals) == pytest.approx(0.5, rel=0.05)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: data.make_moons(1), "make_moons: n_samples must be an integer >= 2, got 1"),
        (lambda: data.make_moons(10, noise=-0.1), "make_moons: noise must be a finite number >= 0"),
        (lambda: data.make_moons(10, noise=math.inf), "make_moons: noise must be a finite number"),
        (lambda: data.make_moons(10, noise=math.nan), "make_moons: noise must be a finite number"),
        (
            lambda: data.make_circles(10, factor=1.0),
            "make_circles: factor must be a finite number > 0 and < 1, got 1.0",
        ),
        (lambda: data.make_circles(10, factor=0), "make_circles: factor must be .*, got 0.0"),
        (lambda: data.make_xor(0), "make_xor: n_samples must be an integer >= 1, got 0"),
        (
            lambda: data.make_spiral(10, n_classes=1),
            "make_spiral: n_classes must be an integer >= 2",
        ),
        (
            lambda: data.make_spiral(2, n_classes=3),
            "make_spiral: n_samples must be an integer >= 3",
        ),
        (
            lambda: data.make_spiral(10, turns=math.inf),
            "make_spiral: turns must be a finite number",
        ),
        (
            lambda: data.make_linear(10, w=[]),
            r"make_linear: w must hold at least one weight, got \[\]",
        ),
        (
            lambda: data.make_linear(10, w=[1.0, math.nan]),
            r"make_linear: w\[1\] must be a finite number",
        ),
        (lambda: data.make_linear(10, b=math.inf), "make_linear: b must be a finite number"),
    ],
)
def test_bad_values_raise_value_error_naming_the_function(call: Any, message: str) -> None:
    with pytest.raises(ValueError, match=f"^{message}"):
        call()


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: data.make_moons(True), "make_moons: n_samples must be an integer, got bool True"),
        (lambda: data.make_moons(10.0), "make_moons: n_samples must be an integer, got float 10.0"),
        (
            lambda: data.make_moons(10, noise="0.1"),
            "make_moons: noise must be a real number, got str",
        ),
        (lambda: data.make_circles(10, factor=None), "make_circles: factor must be a real number"),
        (
            lambda: data.make_spiral(10, n_classes=2.0),
            "make_spiral: n_classes must be an integer, got float",
        ),
        (lambda: data.make_linear(10, w="3"), "make_linear: w must be a real number, got str '3'"),
        (lambda: data.make_linear(10, w=[1.0, "2"]), r"make_linear: w\[1\] must be a real number"),
    ],
)
def test_bad_types_raise_type_error_naming_the_function(call: Any, message: str) -> None:
    with pytest.raises(TypeError, match=f"^{message}"):
        call()


# -- batches -----------------------------------------------------------------------------------


def test_full_batch_by_default() -> None:
    X, y = [[float(i)] for i in range(5)], list(range(5))
    assert list(data.batches(X, y)) == [(X, y)]


def test_batches_keep_pairs_together_and_cover_every_sample_once() -> None:
    X, y = [[float(i)] for i in range(10)], list(range(10))
    seen = []
    for xb, yb in data.batches(X, y, batch_size=3, shuffle=True, seed=1):
        assert len(xb) == len(yb) <= 3
        assert all(x == [float(t)] for x, t in zip(xb, yb))
        seen += yb
    assert sorted(seen) == y and seen != y


@given(
    n=st.integers(0, 60),
    size=st.integers(1, 70),
    shuffle=st.booleans(),
    seed=st.integers(0, 2**32),
)
def test_batch_sizes(n: int, size: int, shuffle: bool, seed: int) -> None:
    X, y = list(range(n)), list(range(n))
    sizes = [len(yb) for _, yb in data.batches(X, y, size, shuffle=shuffle, seed=seed)]
    assert sum(sizes) == n
    assert sizes == [size] * (n // size) + ([n % size] if n % size else [])
    order = [t for _, yb in data.batches(X, y, size, shuffle=shuffle, seed=seed) for t in yb]
    assert sorted(order) == y
    if not shuffle:
        assert order == y


def test_shuffle_is_seeded() -> None:
    X = y = list(range(30))
    first = [yb for _, yb in data.batches(X, y, 4, shuffle=True, seed=5)]
    assert first == [yb for _, yb in data.batches(X, y, 4, shuffle=True, seed=5)]
    assert first != [yb for _, yb in data.batches(X, y, 4, shuffle=True, seed=6)]


@pytest.mark.parametrize(
    ("size", "error"), [(0, ValueError), (-1, ValueError), (1.5, TypeError), (True, TypeError)]
)
def test_bad_batch_size(size: object, error: type[Exception]) -> None:
    with pytest.raises(error, match=r"^batches: batch_size must be an integer"):
        data.batches([1], [1], size)  # type: ignore[arg-type]


def test_mismatched_lengths_fail_at_the_call() -> None:
    with pytest.raises(ValueError, match="same length"):
        data.batches([1, 2], [1])


# -- the packaged digits -----------------------------------------------------------------------


def test_digits_shape_types_and_value_range() -> None:
    X, y = data.load_digits()
    assert len(X) == len(y) == 1797
    assert all(type(row) is list and len(row) == 64 for row in X)
    assert all(type(v) is float and 0.0 <= v <= 1.0 for row in X for v in row)
    assert all(type(label) is int for label in y)
    # every level 0/16 .. 16/16 occurs: the scaling divides by 16, not by the largest pixel
    assert {v * 16 for row in X for v in row} == {float(k) for k in range(17)}


def test_digits_classes_are_balanced() -> None:
    _, y = data.load_digits()
    counts = [y.count(k) for k in range(10)]
    assert sorted(set(y)) == list(range(10))
    assert all(170 <= c <= 190 for c in counts), counts
    assert counts == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]


def test_digits_unscaled_are_the_raw_pixel_counts() -> None:
    raw, y_raw = data.load_digits(scale=False)
    scaled, y = data.load_digits()
    assert y_raw == y
    assert all(v == float(int(v)) and 0.0 <= v <= 16.0 for row in raw for v in row)
    assert max(max(row) for row in raw) == 16.0
    assert all(s == r / 16 for rs, ss in zip(raw, scaled) for r, s in zip(rs, ss))
    # the first image of the file: a zero, its top row of pixels
    assert y[0] == 0 and raw[0][:8] == [0.0, 0.0, 5.0, 13.0, 9.0, 1.0, 0.0, 0.0]


def test_digits_split_is_deterministic_disjoint_complete_and_stratified() -> None:
    X, y = data.load_digits()
    X_train, y_train = data.load_digits("train", test_fraction=0.2, seed=0)
    X_test, y_test = data.load_digits("test", test_fraction=0.2, seed=0)
    assert (X_train, y_train) == data.load_digits("train", test_fraction=0.2, seed=0)
    assert (X_test, y_test) == data.load_digits("test", test_fraction=0.2, seed=0)
    assert len(X_train) + len(X_test) == len(X) and len(X_test) == 359
    # the two parts are the whole set, each sample once (pixels and label together)
    whole = sorted(map(tuple, ([*row, label] for row, label in zip(X, y))))
    parts = [[*row, label] for row, label in zip(X_train + X_test, y_train + y_test)]
    assert sorted(map(tuple, parts)) == whole
    for k in range(10):  # each digit contributes round(20%) of its samples
        assert y_test.count(k) == round(0.2 * y.count(k))


def test_digits_split_depends_on_seed_and_fraction_not_on_global_random() -> None:
    random.seed(1)
    first = data.load_digits("test", seed=0)
    random.seed(2)
    assert data.load_digits("test", seed=0) == first
    assert data.load_digits("test", seed=1) != first
    assert len(data.load_digits("test", test_fraction=0.5)[0]) == 898


def test_digits_callers_cannot_change_what_the_next_caller_gets() -> None:
    X, y = data.load_digits()
    X[0][0], y[0] = 99.0, 7
    X2, y2 = data.load_digits()
    assert X2[0][0] == 0.0 and y2[0] == 0


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"split": "validation"}, ValueError, "unknown split 'validation'"),
        ({"split": 1}, TypeError, "split must be one of"),
        ({"test_fraction": 0.0}, ValueError, "test_fraction must be a finite number > 0"),
        ({"test_fraction": 1.0}, ValueError, "test_fraction must be"),
        ({"test_fraction": "0.2"}, TypeError, "test_fraction must be a real number"),
        (
            {"split": "test", "test_fraction": 0.001},
            ValueError,
            "test_fraction=0.001 leaves the test split empty",
        ),
        (
            {"split": "train", "test_fraction": 0.999},
            ValueError,
            "test_fraction=0.999 leaves the train split empty",
        ),
        ({"seed": 1.5}, TypeError, "seed must be an integer"),
        ({"scale": 1}, TypeError, "scale must be True or False"),
    ],
)
def test_digits_bad_arguments(kwargs: dict[str, object], error: type, message: str) -> None:
    with pytest.raises(error, match=f"load_digits: {message}"):
        data.load_digits(**kwargs)  # type: ignore[arg-type]


def _digits_file(lines: list[str]) -> bytes:
    import gzip

    return gzip.compress(("\n".join(lines) + "\n").encode("ascii"))


def _good_lines() -> list[str]:
    return [",".join(["0"] * 64 + [str(i % 10)]) for i in range(1797)]


def test_digits_reader_accepts_a_well_formed_file() -> None:
    pixels, labels = data._read_digits(_digits_file(_good_lines()), "ok.csv.gz")
    assert len(pixels) == 1797 and labels[:3] == (0, 1, 2)


def _damaged(lines: list[str], kind: str) -> list[str]:
    first, rest = lines[0], lines[1:]
    if kind == "short":
        return lines[:-1]
    if kind == "wide":
        return [first + ",0", *rest]
    if kind == "bright":
        return ["17" + first[1:], *rest]
    if kind in ("negative", "signed"):
        return [("-1" if kind == "negative" else "+1") + first[1:], *rest]
    if kind == "label":
        return [first[:-1] + "10", *rest]
    assert kind == "no zeros"
    return [line[:-1] + "1" for line in lines]


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("short", "1796 samples, expected 1797"),
        ("wide", "line 1 has 66 fields"),
        ("bright", "line 1 has a pixel above 16"),
        ("negative", "line 1 holds a field that is not a whole number"),
        ("signed", "line 1 holds a field that is not a whole number"),
        ("label", "line 1 has the label 10"),
        ("no zeros", r"no sample of the digit\(s\) \[0, 2"),
    ],
)
def test_digits_reader_rejects_a_damaged_file(kind: str, message: str) -> None:
    with pytest.raises(OSError, match=message):
        data._read_digits(_digits_file(_damaged(_good_lines(), kind)), "bad.csv.gz")


@pytest.mark.parametrize(
    "blob",
    [b"", b"not gzip at all", _digits_file(["0,1"])[:-9]],
    ids=["empty", "not gzip", "truncated gzip"],  # gzip bytes hold a time: no stable id
)
def test_digits_reader_rejects_what_is_not_a_gzip_csv(blob: bytes) -> None:
    with pytest.raises(OSError, match=r"load_digits: the data file bad\.csv\.gz"):
        data._read_digits(blob, "bad.csv.gz")


# -- non-finite arguments and results --------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: data.make_linear(5, w=math.nan), ValueError, "make_linear: w must be a finite"),
        (lambda: data.make_linear(5, noise=math.inf), ValueError, "make_linear: noise must be"),
        (lambda: data.make_xor(8, noise=math.nan), ValueError, "make_xor: noise must be a finite"),
        (lambda: data.make_spiral(9, noise=-math.inf), ValueError, "make_spiral: noise must be"),
        (lambda: data.make_circles(9, factor=math.nan), ValueError, "make_circles: factor must"),
        # finite arguments whose points would not be
        (
            lambda: data.make_moons(50, noise=1e308, seed=0),
            ValueError,
            "make_moons: noise must be small",
        ),
        (
            lambda: data.make_xor(50, noise=1e308, seed=0),
            ValueError,
            "make_xor: noise must be small",
        ),
        (
            lambda: data.make_linear(5, w=[1e308, 1e308], b=1e308),
            ValueError,
            "make_linear: w, b and noise are too large",
        ),
        (
            lambda: data.make_linear(5, w=1e308, b=1e308, seed=0),
            ValueError,
            "make_linear: .* a target overflowed to inf",
        ),
        # seeds: None or an integer
        (
            lambda: data.make_moons(10, seed=math.nan),
            TypeError,
            "make_moons: seed must be an integer, got float nan",
        ),
        (lambda: data.make_spiral(9, seed="1"), TypeError, "make_spiral: seed must be an integer"),
    ],
)
def test_generators_refuse_non_finite_arguments_and_results(
    call: Any, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=f"^{message}"):
        call()


def test_generated_sets_are_finite_at_the_largest_noise_that_fits() -> None:
    for make in (data.make_moons, data.make_circles, data.make_spiral):
        X, _ = make(30, noise=1e300, seed=1)
        assert all(math.isfinite(v) for x in X for v in x)
