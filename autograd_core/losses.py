"""Loss functions: one number that says how wrong the model is, ready for ``backward()``.

Training minimises a loss, so each function here turns a model's outputs and the targets into a
single ``Value``. Every one averages over the samples by default (``reduction="mean"``) or adds
them up (``reduction="sum"``).

* ``mse_loss`` -- mean squared error ``(ŷ − y)²``, for regression.
* ``hinge_loss`` -- ``max(0, 1 − y·score)`` with labels ``y = ±1``: zero once a sample is on
  the right side with a margin. micrograd's demo trains with it. It also takes the 0/1 labels
  of ``data.make_moons`` and friends, reading 0 as −1 (``hinge_labels``), as ``training.fit``
  does: one convention across ``data``, ``losses`` and ``fit``.
* ``binary_cross_entropy`` -- ``−[y·log p + (1 − y)·log(1 − p)]`` for probabilities, or,
  with ``from_logits=True``, for raw scores ``z`` with ``p = σ(z)`` computed stably.
* ``cross_entropy`` -- for ``K`` classes: ``−log softmax(z)[target]`` from the logits ``z``.
* ``softmax`` / ``log_softmax`` -- logits to probabilities (or their logs).
* ``l2_penalty`` -- ``Σ p²`` over parameters, the weight-decay term added to a loss.

Two details keep them fast and exact.

Reductions are single nodes. A sum of ``n`` terms is one ``ag.sum`` node, and a sum of squares
is one ``ag.dot`` node (``Σ dᵢ·dᵢ``, each ``dᵢ`` a parent twice, so its gradient ``2dᵢ`` comes
out of the chain rule by itself); a chain of additions would give ``backward`` ``n`` nodes to
visit instead of one.

Exponentials never overflow. ``softmax`` and ``cross_entropy`` subtract the largest logit ``m``
first, ``log Σ exp(zⱼ) = m + log Σ exp(zⱼ − m)``, so every exponent is ≤ 0; ``m`` enters as a
constant, which changes no gradient because the expression does not depend on it. The logits
form of binary cross-entropy uses ``log(1 + e^z) = z + log(1 + e^−z)`` when ``z`` is positive,
so it too only ever exponentiates non-positive numbers.

Small losses keep their digits. ``log(1 − p)`` is computed as ``log1p(−p)`` and
``log(1 + e^−z)`` as ``log1p(e^−z)``, so a confident right answer costs its true small loss
(``p = 1e-13``, ``y = 0``: 1.00000000000005e-13; ``z = 40``, ``y = 1``: 4.248e-18) where
``log(1 − p)`` would keep three digits of it, or none below ``p = 1.1e-16``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from typing import Any

from autograd_core import ops
from autograd_core._checks import choice, flag, integer, real
from autograd_core._gc import pausing_gc
from autograd_core.engine import Value, apply, as_value, layout
from autograd_core.functional import dot
from autograd_core.functional import sum as total

__all__ = [
    "mse_loss",
    "hinge_loss",
    "binary_cross_entropy",
    "cross_entropy",
    "softmax",
    "log_softmax",
    "l2_penalty",
    "hinge_labels",
]

Scalar = Value | float
Outputs = Scalar | Sequence[Scalar] | Sequence[Sequence[Scalar]]
Targets = float | Sequence[float] | Sequence[Sequence[float]]

# The log of a probability below e^-100 counts as -100, as in PyTorch's binary_cross_entropy:
# a saturated sigmoid then gives a large finite loss instead of log(0).
_LOG_FLOOR = -100.0
_TINY = math.exp(_LOG_FLOOR)
_INT_OR_FLOAT = {int, float}
_HINGE_LABELS = {-1.0, 0.0, 1.0}
_repeat = itertools.repeat


@pausing_gc
def mse_loss(prediction: Outputs, target: Targets, reduction: str = "mean") -> Value:
    """Mean squared error ``mean((ŷ − y)²)``.

    Args:
        prediction: One output, a list of outputs, or a list of per-sample output lists
            (averaged over every number, as PyTorch does).
        target: The true values, in the same layout.
        reduction: ``"mean"`` (default) or ``"sum"``.

    Returns:
        The loss as a Value.

    Example:
        >>> import autograd_core as ag
        >>> w = ag.Value(1.0, label="w")
        >>> loss = ag.losses.mse_loss(w * 2.0, 4.0)  # (2 − 4)²
        >>> loss.backward()
        >>> loss.data, w.grad
        (4.0, -8.0)
    """
    predictions = _flatten(prediction, "mse_loss", "prediction")
    targets = _flatten_numbers(target, "mse_loss", "target")
    _check_lengths(predictions, targets, "mse_loss")
    diffs = [p - t for p, t in zip(predictions, targets)]
    squares = dot(diffs, diffs)  # Σ d·d in one node
    return _reduce_total(squares, len(diffs), reduction, "mse_loss")


@pausing_gc
def hinge_loss(
    scores: Outputs, targets: Targets, margin: float = 1.0, reduction: str = "mean"
) -> Value:
    """Hinge loss ``mean(max(0, margin − y·score))`` for labels ``y ∈ {−1, +1}``.

    A sample costs nothing once it is on the right side of the boundary by at least
    ``margin``; only the others push the weights. Class labels 0/1 (what ``data.make_moons``
    returns) are read as −1/+1, as :func:`hinge_labels` says.

    Args:
        scores: The model's raw score per sample (a linear output, not a probability).
        targets: Labels: all of them −1 or +1, or all of them 0 or 1 (0 counts as −1).
        margin: Required distance on the right side.
        reduction: ``"mean"`` (default) or ``"sum"``.

    Returns:
        The loss as a Value.

    Raises:
        ValueError: for any other label (2, 0.5, nan), or 0 together with −1.

    Example:
        >>> import autograd_core as ag
        >>> scores = [ag.Value(2.0), ag.Value(0.5), ag.Value(0.5)]
        >>> ag.losses.hinge_loss(scores, [1, 1, -1]).data  # (0 + 0.5 + 1.5) / 3
        0.6666666666666666
        >>> ag.losses.hinge_loss(scores, [1, 1, 0]).data  # 0 is -1: the same loss
        0.6666666666666666
    """
    values = _flatten(scores, "hinge_loss", "scores")
    labels = _hinge_labels(_flatten_numbers(targets, "hinge_loss", "targets"), "hinge_loss")
    _check_lengths(values, labels, "hinge_loss")
    m = real(margin, "margin", "hinge_loss")
    # margin − y·s as one affine node (bias = margin, constant −y): two nodes per sample with
    # the relu, against three for (margin − y*s).relu(); the same floating-point result. The
    # nodes are those of dot((s,), (-y,), m).relu(), made without dot's checks (the operands
    # are checked above) and with the rows' arithmetic written out: affine's forward is
    # m + s·(−y) and its partials are its constants; relu passes a positive number.
    bound = {y: ops.AFFINE.bind((-y,), m) for y in set(labels)}
    node, relu_op, one, zero = layout.node, ops.RELU, ops._ONE, ops._ZERO
    terms = []
    for s, y in zip(values, labels):
        op = bound[y]
        constants = op.params[0]
        out = m + s.data * constants[0]
        if out - out:  # inf or nan: the plain path says what overflowed
            terms.append(dot((s,), (-y,), m).relu())
            continue
        z = node(Value, op, out, (s,), constants)
        if out > 0.0:
            terms.append(node(Value, relu_op, out, (z,), one))
        else:
            terms.append(node(Value, relu_op, 0.0, (z,), zero))
    return _reduce(terms, reduction, "hinge_loss")


def hinge_labels(labels: Sequence[Any]) -> list[float]:
    """Class labels as the −1/+1 that the hinge loss multiplies scores by.

    Labels that are all −1 or +1 stay as they are; labels that are all 0 or 1 (the classes of
    ``data.make_moons``, ``make_circles``, ``make_xor``) become −1 for 0 and +1 for 1.
    ``hinge_loss`` and ``training.fit(loss="hinge")`` both read labels this way.

    Args:
        labels: One label per sample.

    Returns:
        The labels as floats, each −1.0 or +1.0.

    Raises:
        ValueError: for any other label (2, 0.5, nan), or a mix of 0 and −1.

    Example:
        >>> from autograd_core import losses
        >>> losses.hinge_labels([0, 1, 1]), losses.hinge_labels([-1, 1])
        ([-1.0, 1.0, 1.0], [-1.0, 1.0])
    """
    if not _is_sequence(labels):
        raise TypeError(
            f"hinge_labels: labels must be a list of numbers, got {type(labels).__name__}"
        )
    return _hinge_labels([_finite(y, "hinge_labels", "labels") for y in labels], "hinge_labels")


@pausing_gc
def binary_cross_entropy(
    inputs: Outputs, targets: Targets, from_logits: bool = False, reduction: str = "mean"
) -> Value:
    """Binary cross-entropy ``−[y·log p + (1 − y)·log(1 − p)]`` for targets ``y ∈ [0, 1]``.

    With ``from_logits=False`` the inputs are probabilities ``p`` (say, a sigmoid output);
    like PyTorch, each log is floored at −100 so that a saturated ``p`` of exactly 0 or 1 gives
    a large loss rather than an error (a floored term passes no gradient). With
    ``from_logits=True`` the inputs are raw scores ``z`` and ``p = σ(z)`` is folded into
    ``softplus(z) − y·z``, overflow-free for any ``z``; prefer it.

    Both forms are exact to the last bit or so, also at the extremes, as PyTorch's are:
    ``log(1 − p)`` is computed as ``log1p(−p)`` and ``softplus`` as ``log1p(e^−|z|)`` plus
    a non-negative term, so ``p = 1e-13`` with ``y = 0`` costs 1.00000000000005e-13 and
    ``z = 40`` with ``y = 1`` costs 4.248354255291589e-18 (not 1.0003e-13 and 0).

    The gradient with respect to ``p`` is the exact ``−y/p + (1 − y)/(1 − p)`` everywhere.
    PyTorch instead computes ``(p − y) / max(p(1 − p), 1e-12)``: where ``p(1 − p) < 1e-12``
    (``p`` within 1e-12 of 0 or 1) its gradient is clamped, smaller than the true one, and
    the two differ. The gradient with respect to a logit is ``σ(z) − y`` in both.

    Args:
        inputs: Probabilities in ``[0, 1]``, or logits when ``from_logits`` is true.
        targets: Target probabilities, usually the class labels 0 and 1.
        from_logits: Whether ``inputs`` are logits.
        reduction: ``"mean"`` (default) or ``"sum"``.

    Returns:
        The loss as a Value.

    Example:
        >>> import autograd_core as ag
        >>> z = ag.Value(0.0)
        >>> loss = ag.losses.binary_cross_entropy(z, 1.0, from_logits=True)  # −log σ(0)
        >>> loss.backward()
        >>> round(loss.data, 6), z.grad  # log 2, and σ(0) − 1
        (0.693147, -0.5)
    """
    from_logits = flag(from_logits, "from_logits", "binary_cross_entropy")
    values = _flatten(inputs, "binary_cross_entropy", "inputs")
    labels = _flatten_numbers(targets, "binary_cross_entropy", "targets")
    _check_lengths(values, labels, "binary_cross_entropy")
    for label in labels:
        if not 0.0 <= label <= 1.0:
            raise ValueError(f"binary_cross_entropy: targets must be in [0, 1], got {label!r}")
    if from_logits:
        terms = [_bce_logit(z, y) for z, y in zip(values, labels)]
    else:
        for p in values:
            if not 0.0 <= p.data <= 1.0:
                raise ValueError(
                    f"binary_cross_entropy: inputs must be probabilities in [0, 1], got "
                    f"{p.data!r} (pass from_logits=True for raw scores)"
                )
        terms = [_bce_probability(p, y) for p, y in zip(values, labels)]
    return _reduce(terms, reduction, "binary_cross_entropy")


@pausing_gc
def cross_entropy(
    logits: Sequence[Scalar] | Sequence[Sequence[Scalar]],
    target: int | Sequence[int],
    reduction: str = "mean",
) -> Value:
    """Cross-entropy ``−log softmax(z)[target]`` of class logits ``z``, computed stably.

    Equal to ``logsumexp(z) − z[target]``, computed as ``log Σ exp(zⱼ − m) − (z[target] − m)``
    with ``m`` the largest logit; its gradient with respect to ``z`` is
    ``softmax(z) − onehot(target)``. Each sample's term is one node of the op table's
    ``cross_entropy`` row (pictures write it ``CE``), whose local derivatives are exactly
    that gradient: backward takes one step per sample instead of ``2K + 3``.

    Args:
        logits: One sample's logits (a list of ``K`` scores) with ``target`` a class index, or
            a list of such lists with ``target`` a list of indices.
        target: The correct class of each sample, ``0 .. K − 1``.
        reduction: ``"mean"`` (default) or ``"sum"`` over samples.

    Returns:
        The loss as a Value.

    Example:
        >>> import autograd_core as ag
        >>> z = [ag.Value(1000.0), ag.Value(0.0)]  # would overflow a naive exp
        >>> ag.losses.cross_entropy(z, 1).data
        1000.0
    """
    batch: Any = logits
    wanted: Any = target
    rows: list[Any]
    targets: list[Any]
    if not _is_sequence(batch):
        raise TypeError(
            f"cross_entropy: logits must be a list of scores or a list of such lists, got "
            f"{type(batch).__name__} {batch!r}"
        )
    if len(batch) and _is_sequence(batch[0]):
        if not _is_sequence(wanted):
            raise TypeError(
                "cross_entropy: a batch of logits needs a list of targets, got "
                f"{type(wanted).__name__} {wanted!r}"
            )
        rows, targets = list(batch), list(wanted)
    else:
        rows, targets = [batch], (list(wanted) if _is_sequence(wanted) else [wanted])
    if len(rows) != len(targets):
        raise ValueError(
            f"cross_entropy: got {len(rows)} rows of logits but {len(targets)} target(s)"
        )
    terms = []
    for row, k in zip(rows, targets):
        zs = _values(row, "cross_entropy")
        index = integer(k, "target", "cross_entropy")
        if not 0 <= index < len(zs):
            raise ValueError(
                f"cross_entropy: target must be a class index in 0..{len(zs) - 1}, got {k!r}"
            )
        # one node of the cross_entropy row (not 2K + 3 of subtractions, exponentials, ...)
        terms.append(apply(ops.CROSS_ENTROPY.bind(index), zs))
    return _reduce(terms, reduction, "cross_entropy")


def softmax(logits: Sequence[Scalar]) -> list[Value]:
    """Probabilities ``exp(zᵢ) / Σ exp(zⱼ)``, shifted by the largest logit so nothing overflows.

    Args:
        logits: A list of scores (Values or numbers).

    Returns:
        One Value per logit; they are positive and add up to 1.

    Example:
        >>> import autograd_core as ag
        >>> [round(p.data, 4) for p in ag.losses.softmax([1.0, 2.0, 3.0])]
        [0.09, 0.2447, 0.6652]
        >>> [p.data for p in ag.losses.softmax([1000.0, 0.0])]
        [1.0, 0.0]
    """
    zs = _values(logits, "softmax")
    m = max(z.data for z in zs)
    exps = [(z - m).exp() for z in zs]
    denominator = total(exps)
    return [e / denominator for e in exps]


def log_softmax(logits: Sequence[Scalar]) -> list[Value]:
    """``log softmax(z)ᵢ = zᵢ − logsumexp(z)``, exact even where softmax rounds to 0.

    Args:
        logits: A list of scores (Values or numbers).

    Returns:
        One Value per logit, each ≤ 0.

    Example:
        >>> import autograd_core as ag
        >>> [p.data for p in ag.losses.log_softmax([0.0, -1000.0])]
        [0.0, -1000.0]
    """
    shifted, log_total = _shifted_log_sum_exp(_values(logits, "log_softmax"))
    return [z - log_total for z in shifted]


@pausing_gc
def l2_penalty(params: Iterable[Value]) -> Value:
    """``Σ p²`` over the parameters, as one node: multiply by a small factor and add it to a
    loss to keep the weights small (L2 regularisation; its gradient is ``2p``).

    Args:
        params: Parameters, e.g. ``model.parameters()``.

    Returns:
        The sum of squares as a Value.

    Example:
        >>> import autograd_core as ag
        >>> ps = [ag.Value(3.0), ag.Value(-4.0)]
        >>> penalty = ag.losses.l2_penalty(ps)
        >>> penalty.backward()
        >>> penalty.data, [p.grad for p in ps]
        (25.0, [6.0, -8.0])
    """
    ps = list(params)
    if not all(map(isinstance, ps, _repeat(Value))):
        wrong = next(p for p in ps if not isinstance(p, Value))
        raise TypeError(f"l2_penalty: expected Values, got {type(wrong).__name__}")
    if not ps:
        return Value(0.0)
    return as_value(dot(ps, ps))


# -- helpers -----------------------------------------------------------------------------------


def _bce_logit(z: Value, y: float) -> Value:
    # loss = softplus(z) − y·z with softplus(z) = log(1 + e^z) = log1p(e^z). Choosing the form
    # by the sign of z keeps every exponent ≤ 0 and adds no two terms of opposite signs (no
    # cancellation: z = 40, y = 1 costs softplus(−40) = 4.248e-18, not 0), and both forms are
    # smooth, so the gradient is σ(z) − y everywhere (a relu/abs formulation gets it wrong at
    # z = 0, where both kinks have derivative 0).
    if z.data >= 0.0:
        return z * (1.0 - y) + _log1p((-z).exp())
    return _log1p(z.exp()) - z * y


def _bce_probability(p: Value, y: float) -> Value:
    # −[y·log p + (1 − y)·log1p(−p)] as one dot node with weights −y and −(1 − y). Terms with
    # a zero weight are left out, so p = 1 with y = 1 costs exactly 0, not 0·log 0. The dot
    # starts its sum at the bias +0.0, so a perfect prediction costs +0.0: negating the sum
    # would give −0.0 (−1 · 0.0), which prints as a negative loss, and so would a sum that
    # starts at −0.0 (IEEE addition's identity, dot's own start).
    logs: list[Value] = []
    weights: list[float] = []
    if y > 0.0:
        logs.append(Value(_LOG_FLOOR) if p.data < _TINY else p.log())
        weights.append(-y)
    if y < 1.0:
        # log(1 − p) as log1p(−p): 1 − p rounds away every digit of a p below 1.1e-16
        logs.append(Value(_LOG_FLOOR) if p.data == 1.0 else _log1p(-p))
        weights.append(-(1.0 - y))
    return as_value(dot(logs, weights, 0.0))


def _log1p(x: Value) -> Value:
    """``log(1 + x)`` for ``−1 < x ≤ 1`` as a graph of the table's ops, exact where ``1 + x``
    rounds.

    The table has ``log``, not ``log1p``. The sum ``s = 1 + x`` rounds, and its rounding error
    ``e = x − (s − 1)`` is exact in floating point (``s − 1`` is exact, and so is a difference
    of two numbers within a factor 2 of each other: Sterbenz's lemma). Then
    ``log(1 + x) = log(s + e) = log s + e/s`` to a relative ``e²``, far below the last bit: for
    ``x = −1e-13``, ``log s`` alone is −1.000310945187316e-13 and the sum −1.00000000000005e-13,
    the exact value. In exact arithmetic ``e`` is 0 for every ``x``, so it adds nothing to
    the derivatives: its two paths to ``x`` carry 1 and −1, which cancel exactly, and what is
    left is ``log``'s ``1/s`` (times a factor ``1 − e/s`` that differs from 1 in the last bit
    at most). When ``1 + x`` is exact (``e = 0``), the correction's nodes are left out.
    """
    s = 1.0 + x
    if x.data - (s.data - 1.0) == 0.0:
        return s.log()
    return s.log() + (x - (s - 1.0)) / s


def _shifted_log_sum_exp(zs: list[Value]) -> tuple[list[Value], Value]:
    """``zⱼ − m`` for each logit and ``log Σ exp(zⱼ − m)``, with ``m`` the largest logit.

    Results are built from the shifted logits and never add ``m`` back: for logits near 7e5,
    ``(log Σ + m) − z_t`` would lose ten digits to cancellation.
    """
    m = as_value(max(z.data for z in zs))  # one constant leaf, shared by the subtractions
    shifted = [z - m for z in zs]
    return shifted, total([z.exp() for z in shifted]).log()


def _hinge_labels(labels: list[float], where: str) -> list[float]:
    """Labels checked and mapped as :func:`hinge_labels` says."""
    kinds = set(labels)
    if not kinds <= _HINGE_LABELS:
        for i, label in enumerate(labels):
            if label not in _HINGE_LABELS:
                raise ValueError(
                    f"{where}: targets must be class labels -1/+1, or 0/1 (0 is read as -1); "
                    f"got {label!r} at position {i}"
                )
    if -1.0 in kinds and 0.0 in kinds:
        raise ValueError(
            f"{where}: targets mix the labels -1 and 0; use -1/+1 or 0/1 (0 is read as -1)"
        )
    if 0.0 not in kinds:
        return list(map(float, labels))  # already -1/+1
    return [1.0 if label == 1.0 else -1.0 for label in labels]


def _reduce(terms: list[Value], reduction: str, where: str) -> Value:
    if len(terms) == 1:  # a single term needs no Σ node: keeps one-sample graphs readable
        return _reduce_total(terms[0], 1, reduction, where)
    return _reduce_total(as_value(total(terms)), len(terms), reduction, where)


def _reduce_total(summed: Any, n: int, reduction: str, where: str) -> Value:
    reduction = choice(reduction, "reduction", where, ("mean", "sum"))
    if reduction == "sum" or n == 1:  # the mean of one term is the term: no ÷ 1 node
        return as_value(summed)
    return as_value(summed / n)


def _is_sequence(x: Any) -> bool:
    # Lists, tuples and anything list-like (a numpy array), but not a string or a scalar.
    return hasattr(x, "__len__") and hasattr(x, "__getitem__") and not isinstance(x, (str, bytes))


def _items(x: Any) -> list[Any]:
    """The numbers of a scalar, a list, or a list of lists, in order."""
    if not _is_sequence(x):
        return [x]
    if len(x) and _is_sequence(x[0]):
        return [item for row in x for item in row]
    return list(x)


def _flatten(x: Any, where: str, what: str) -> list[Value]:
    """One Value per number of a scalar, a list, or a list of lists."""
    items = _items(x)
    if not items:
        raise ValueError(f"{where}: {what} is empty")
    if all(map(isinstance, items, _repeat(Value))):  # the usual case, checked in C
        return items
    return [as_value(item, f"{where}: {what}") for item in items]


def _flatten_numbers(x: Any, where: str, what: str) -> list[float]:
    items = _items(x)
    if set(map(type, items)) <= _INT_OR_FLOAT:  # plain numbers (not bools): checked in C
        try:
            numbers = list(map(float, items))
        except OverflowError:  # an int too large for a float: the item by item path says so
            pass
        else:
            total = sum(numbers, 0.0)
            if not total - total:  # all finite (an infinite or NaN one makes the sum so)
                return numbers
    return [_finite(item, where, what) for item in items]  # says which item is wrong


def _finite(x: Any, where: str, what: str) -> float:
    if isinstance(x, Value):
        raise TypeError(f"{where}: {what} must be numbers, not Values (use .data)")
    return real(x, what, where)


def _values(row: Sequence[Scalar], where: str) -> list[Value]:
    if not _is_sequence(row):
        raise TypeError(
            f"{where}: expected a non-empty list of logits, got {type(row).__name__} {row!r}"
        )
    if not len(row):
        raise ValueError(f"{where}: expected a non-empty list of logits, got {row!r}")
    return [as_value(z, where) for z in row]


def _check_lengths(values: list[Value], targets: list[float], where: str) -> None:
    if len(values) != len(targets):
        raise ValueError(f"{where}: got {len(values)} prediction(s) but {len(targets)} target(s)")
