"""Loss functions: values and gradients against their formulas and PyTorch, stability, shapes."""

from __future__ import annotations

import decimal
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd_core as ag
from autograd_core import Value, losses

finite = st.floats(-30.0, 30.0, allow_nan=False)


def leaves(xs: list[float]) -> list[Value]:
    return [Value(x, label=f"z{i}") for i, x in enumerate(xs)]


def node_ops(root: Value) -> list[str]:
    return [n.op.name for n in ag.topological_order(root) if n.op is not None]


# -- mse ---------------------------------------------------------------------------------------


@given(st.lists(st.tuples(finite, finite), min_size=1, max_size=12))
def test_mse_value_and_gradient(pairs: list[tuple[float, float]]) -> None:
    preds = leaves([p for p, _ in pairs])
    targets = [t for _, t in pairs]
    n = len(pairs)
    loss = losses.mse_loss(preds, targets)
    loss.backward()
    assert loss.data == pytest.approx(
        math.fsum((p - t) ** 2 for p, t in pairs) / n, rel=1e-12, abs=1e-12
    )
    for v, t in zip(preds, targets):
        assert v.grad == pytest.approx(2.0 * (v.data - t) / n, rel=1e-12, abs=1e-12)


def test_mse_sum_of_squares_is_one_dot_node() -> None:
    preds = leaves([1.0, 2.0, 3.0, 4.0])
    loss = losses.mse_loss(preds, [0.0, 0.0, 0.0, 0.0])
    assert node_ops(loss) == ["sub"] * 4 + ["dot", "div"]
    assert loss.data == 30.0 / 4
    assert losses.mse_loss(preds, [0.0] * 4, reduction="sum").data == 30.0


def test_mse_single_prediction_and_nested_outputs() -> None:
    w = Value(1.0)
    assert losses.mse_loss(w * 2.0, 4.0).data == 4.0  # the seed article's example
    rows = [leaves([1.0, 2.0]), leaves([3.0, 5.0])]
    assert losses.mse_loss(rows, [[1.0, 1.0], [1.0, 1.0]]).data == (0 + 1 + 4 + 16) / 4


def test_mse_against_torch(torch: Any) -> None:
    p = [0.3, -1.2, 2.5]
    t = [1.0, 0.0, -2.0]
    ours = leaves(p)
    loss = losses.mse_loss(ours, t)
    loss.backward()
    tp = torch.tensor(p, dtype=torch.float64, requires_grad=True)
    ref = torch.nn.functional.mse_loss(tp, torch.tensor(t, dtype=torch.float64))
    ref.backward()
    assert loss.data == pytest.approx(ref.item(), rel=1e-14)
    assert [v.grad for v in ours] == pytest.approx(tp.grad.tolist(), rel=1e-14)


# -- hinge -------------------------------------------------------------------------------------


@given(st.lists(st.tuples(finite, st.sampled_from([-1, 1])), min_size=1, max_size=12))
def test_hinge_value_and_gradient(pairs: list[tuple[float, int]]) -> None:
    scores = leaves([s for s, _ in pairs])
    labels = [y for _, y in pairs]
    n = len(pairs)
    loss = losses.hinge_loss(scores, labels)
    loss.backward()
    expected = math.fsum(max(0.0, 1.0 - y * s) for s, y in pairs) / n
    assert loss.data == pytest.approx(expected, rel=1e-12, abs=1e-12)
    for v, y in zip(scores, labels):
        active = 1.0 - y * v.data > 0.0
        assert v.grad == pytest.approx(-y / n if active else 0.0)


def test_hinge_terms_are_micrograds_bit_for_bit() -> None:
    # micrograd's demo: (1 + -yi*scorei).relu(), summed left to right.
    scores = [0.1, -2.37, 0.9999999, 3.3, -0.41]
    labels = [1, 1, -1, -1, 1]
    micrograd_sum = sum(max(0.0, 1 + (-y) * s) for s, y in zip(scores, labels))
    ours = losses.hinge_loss(leaves(scores), labels, reduction="sum")
    assert ours.data == micrograd_sum


def test_hinge_is_two_nodes_per_sample() -> None:
    loss = losses.hinge_loss(leaves([0.5, -0.5, 2.0]), [1, 1, -1])
    # relu(margin − y·s): one affine node (y and the margin bound to it) and one relu
    assert node_ops(loss) == ["affine", "relu"] * 3 + ["sum", "div"]


def test_hinge_margin() -> None:
    assert losses.hinge_loss(leaves([1.5]), [1], margin=2.0).data == 0.5


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (2, r"targets must be class labels -1/\+1, or 0/1 \(0 is read as -1\); got 2.0"),
        (0.5, "targets must be class labels"),
        (-2, "targets must be class labels"),
        (math.nan, "must be a finite number, got nan"),
        (math.inf, "must be a finite number, got inf"),
    ],
)
def test_hinge_rejects_labels_other_than_the_two_conventions(bad: float, message: str) -> None:
    with pytest.raises(ValueError, match=rf"^hinge_loss: .*{message}"):
        losses.hinge_loss(leaves([1.0, 1.0]), [1, bad])
    with pytest.raises(ValueError, match=r"^hinge_labels: "):
        losses.hinge_labels([0, bad])


def test_hinge_reads_the_0_1_labels_of_make_moons_as_fit_does() -> None:
    X, y = ag.data.make_moons(20, noise=0.1, seed=4)
    scores = leaves([x0 - x1 for x0, x1 in X])
    pm = [2 * t - 1 for t in y]
    from_01 = losses.hinge_loss(scores, y)
    from_pm = losses.hinge_loss(scores, pm)
    assert from_01.data == from_pm.data and from_01.data > 0
    from_01.backward()
    first = [s.grad for s in scores]
    for s in scores:
        s.grad = 0.0
    from_pm.backward()
    assert first == [s.grad for s in scores] and any(first)
    assert losses.hinge_labels(y) == [float(t) for t in pm]
    # fit(loss="hinge") reports the same loss for the same model and data
    model = ag.nn.Neuron(2, activation="linear", seed=0)
    expected = losses.hinge_loss([model(x) for x in X], y).data
    assert ag.training.evaluate(model, X, y, loss="hinge")["loss"] == pytest.approx(expected)


def test_hinge_refuses_a_mix_of_minus_one_and_zero() -> None:
    with pytest.raises(ValueError, match="mix the labels -1 and 0"):
        losses.hinge_loss(leaves([1.0, 1.0, 1.0]), [-1, 0, 1])


# -- binary cross-entropy ----------------------------------------------------------------------


@given(st.lists(st.tuples(st.floats(-40, 40), st.floats(0, 1)), min_size=1, max_size=8))
def test_bce_from_logits_against_torch(pairs: list[tuple[float, float]]) -> None:
    from tests.conftest import require_torch

    torch = require_torch()
    zs = leaves([z for z, _ in pairs])
    ys = [y for _, y in pairs]
    loss = losses.binary_cross_entropy(zs, ys, from_logits=True)
    loss.backward()
    tz = torch.tensor([z for z, _ in pairs], dtype=torch.float64, requires_grad=True)
    ref = torch.nn.functional.binary_cross_entropy_with_logits(
        tz, torch.tensor(ys, dtype=torch.float64)
    )
    ref.backward()
    assert loss.data == pytest.approx(ref.item(), rel=1e-9, abs=1e-12)
    assert [v.grad for v in zs] == pytest.approx(tz.grad.tolist(), rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("z", [0.0, -0.0, 1e-300, -800.0, 800.0, 1e5])
@pytest.mark.parametrize("y", [0.0, 1.0, 0.25])
def test_bce_from_logits_gradient_is_sigmoid_minus_target_everywhere(z: float, y: float) -> None:
    v = Value(z)
    loss = losses.binary_cross_entropy(v, y, from_logits=True)
    loss.backward()
    sigmoid = 1.0 / (1.0 + math.exp(-z)) if z > -700 else 0.0
    assert v.grad == pytest.approx(sigmoid - y, abs=1e-15)
    # softplus(z) − y·z without overflow: about (1 − y)·z for large z, −y·z for very negative z
    expected = max(z, 0.0) - y * z + math.log1p(math.exp(-abs(z)))
    assert loss.data == pytest.approx(expected, rel=1e-12, abs=1e-300)


@given(st.lists(st.tuples(st.floats(0.001, 0.999), st.floats(0, 1)), min_size=1, max_size=8))
def test_bce_from_probabilities_against_torch(pairs: list[tuple[float, float]]) -> None:
    from tests.conftest import require_torch

    torch = require_torch()
    ps = leaves([p for p, _ in pairs])
    ys = [y for _, y in pairs]
    loss = losses.binary_cross_entropy(ps, ys)
    loss.backward()
    tp = torch.tensor([p for p, _ in pairs], dtype=torch.float64, requires_grad=True)
    ref = torch.nn.functional.binary_cross_entropy(tp, torch.tensor(ys, dtype=torch.float64))
    ref.backward()
    assert loss.data == pytest.approx(ref.item(), rel=1e-9)
    assert [v.grad for v in ps] == pytest.approx(tp.grad.tolist(), rel=1e-9)


def test_bce_saturated_probabilities_are_floored_like_torch(torch: Any) -> None:
    cases = [(0.0, 1.0), (1.0, 0.0), (1.0, 1.0), (0.0, 0.0), (1e-50, 1.0)]
    for p, y in cases:
        ours = losses.binary_cross_entropy(Value(p), y).data
        ref = torch.nn.functional.binary_cross_entropy(
            torch.tensor([p], dtype=torch.float64), torch.tensor([y], dtype=torch.float64)
        ).item()
        assert ours == pytest.approx(ref), (p, y)
    assert losses.binary_cross_entropy(Value(1.0), 1.0).data == 0.0  # no 0·log 0


def test_bce_rejects_non_probabilities_and_bad_targets() -> None:
    with pytest.raises(ValueError, match="from_logits=True"):
        losses.binary_cross_entropy(Value(1.5), 1.0)
    with pytest.raises(ValueError, match=r"targets must be in \[0, 1\]"):
        losses.binary_cross_entropy(Value(0.5), 2.0)


# -- cross-entropy and softmax -----------------------------------------------------------------


@given(st.data())
def test_cross_entropy_against_torch(data: st.DataObject) -> None:
    from tests.conftest import require_torch

    torch = require_torch()
    k = data.draw(st.integers(2, 6))
    n = data.draw(st.integers(1, 4))
    rows = [data.draw(st.lists(finite, min_size=k, max_size=k)) for _ in range(n)]
    targets = [data.draw(st.integers(0, k - 1)) for _ in range(n)]
    ours = [leaves(row) for row in rows]
    loss = losses.cross_entropy(ours, targets)
    loss.backward()
    tz = torch.tensor(rows, dtype=torch.float64, requires_grad=True)
    ref = torch.nn.functional.cross_entropy(tz, torch.tensor(targets))
    ref.backward()
    assert loss.data == pytest.approx(ref.item(), rel=1e-10, abs=1e-12)
    for row, grads in zip(ours, tz.grad.tolist()):
        assert [v.grad for v in row] == pytest.approx(grads, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize(
    ("logits", "target"),
    [
        ([1000.0, 0.0], 1),
        ([1000.0, 0.0], 0),
        ([1e4, -1e4, 0.0], 2),
        ([-1000.0, -1000.0], 0),
        ([7e5, 7e5 + 1.0], 0),
    ],
)
def test_cross_entropy_is_stable_for_large_logits(
    torch: Any, logits: list[float], target: int
) -> None:
    # A naive exp overflows here: the engine refuses it loudly.
    with pytest.raises(OverflowError):
        ag.sum(ag.exp(ag.Value(abs(z))) for z in logits)
    zs = leaves(logits)
    loss = losses.cross_entropy(zs, target)
    loss.backward()
    tz = torch.tensor([logits], dtype=torch.float64, requires_grad=True)
    ref = torch.nn.functional.cross_entropy(tz, torch.tensor([target]))
    ref.backward()
    assert math.isfinite(loss.data)
    assert loss.data == pytest.approx(ref.item(), rel=1e-12, abs=1e-12)
    assert [v.grad for v in zs] == pytest.approx(tz.grad[0].tolist(), abs=1e-12)


def test_cross_entropy_of_equal_logits_is_log_k_and_shift_invariant() -> None:
    assert losses.cross_entropy([5.0, 5.0, 5.0, 5.0], 2).data == pytest.approx(math.log(4))
    base = losses.cross_entropy([0.1, -2.0, 3.0], 1).data
    assert losses.cross_entropy([100.1, 98.0, 103.0], 1).data == pytest.approx(base, rel=1e-12)


def test_cross_entropy_gradient_is_softmax_minus_onehot() -> None:
    zs = leaves([0.5, -1.0, 2.0])
    losses.cross_entropy(zs, 0).backward()
    e = [math.exp(v.data) for v in zs]
    softmax = [x / sum(e) for x in e]
    assert [v.grad for v in zs] == pytest.approx([softmax[0] - 1.0, softmax[1], softmax[2]])


@pytest.mark.parametrize(
    ("logits", "target"), [([60.0, 0.0, 30.0], 0), ([40.0, -3.0], 0), ([1.0, 25.0, 2.0], 1)]
)
def test_cross_entropy_gradient_of_a_confident_model_keeps_its_digits(
    logits: list[float], target: int
) -> None:
    """Where the target takes all but ~1e-13 of the probability, ``p_t − 1`` (PyTorch's way)
    keeps three digits; the row writes it ``−Σ_{j≠t} pⱼ`` and keeps them all. Reference: the
    same formula in 50-digit decimals."""
    zs = leaves(logits)
    loss = losses.cross_entropy(zs, target)
    loss.backward()
    with decimal.localcontext() as context:
        context.prec = 50
        exps = [(decimal.Decimal(z) - decimal.Decimal(max(logits))).exp() for z in logits]
        total = sum(exps)
        exact = [float(e / total - (1 if j == target else 0)) for j, e in enumerate(exps)]
        exact_loss = float(
            total.ln() - (decimal.Decimal(logits[target]) - decimal.Decimal(max(logits)))
        )
    for z, want in zip(zs, exact, strict=True):
        assert abs(z.grad - want) <= 4e-16 * abs(want), (z.grad, want)
    assert abs(loss.data - exact_loss) <= 4e-16 * abs(exact_loss) + 1e-300


def test_cross_entropy_reduction_sum_and_single_sample_forms() -> None:
    rows = [[0.0, 1.0], [2.0, 0.0]]
    mean = losses.cross_entropy(rows, [1, 1]).data
    total = losses.cross_entropy(rows, [1, 1], reduction="sum").data
    assert total == pytest.approx(2 * mean)
    assert losses.cross_entropy(rows[0], 1).data == losses.cross_entropy([rows[0]], [1]).data


@pytest.mark.parametrize("target", [3, -1])
def test_cross_entropy_rejects_bad_class_indices(target: Any) -> None:
    with pytest.raises(ValueError, match=r"class index in 0\.\.2"):
        losses.cross_entropy([0.0, 1.0, 2.0], target)


@pytest.mark.parametrize("target", [1.0, True, "1", None])
def test_cross_entropy_rejects_targets_that_are_not_integers(target: Any) -> None:
    with pytest.raises(TypeError, match=r"^cross_entropy: target must be an integer, got"):
        losses.cross_entropy([0.0, 1.0, 2.0], target)


@given(st.lists(finite, min_size=1, max_size=8))
def test_softmax_against_torch(logits: list[float]) -> None:
    from tests.conftest import require_torch

    torch = require_torch()
    zs = leaves(logits)
    probs = losses.softmax(zs)
    assert math.fsum(p.data for p in probs) == pytest.approx(1.0, abs=1e-12)
    # differentiate a weighted sum, so every entry of the Jacobian contributes
    weights = [0.3 * i - 1.0 for i in range(len(logits))]
    ag.dot(probs, weights).backward()
    tz = torch.tensor(logits, dtype=torch.float64, requires_grad=True)
    tp = torch.softmax(tz, dim=0)
    (tp * torch.tensor(weights, dtype=torch.float64)).sum().backward()
    assert [p.data for p in probs] == pytest.approx(tp.tolist(), rel=1e-12, abs=1e-15)
    assert [v.grad for v in zs] == pytest.approx(tz.grad.tolist(), rel=1e-9, abs=1e-12)


def test_softmax_and_log_softmax_with_extreme_logits() -> None:
    assert [p.data for p in losses.softmax([1000.0, 1000.0])] == [0.5, 0.5]
    assert [p.data for p in losses.softmax([-1e6, 0.0])] == [0.0, 1.0]
    # log_softmax stays exact where softmax rounds to 0 (log(0) would be an error)
    assert [p.data for p in losses.log_softmax([0.0, -1000.0])] == [0.0, -1000.0]
    logs = losses.log_softmax([1.0, 2.0, 3.0])
    assert [math.exp(v.data) for v in logs] == pytest.approx(
        [p.data for p in losses.softmax([1.0, 2.0, 3.0])]
    )


def test_log_softmax_against_torch(torch: Any) -> None:
    logits = [2.0, -1.0, 0.5, 40.0]
    zs = leaves(logits)
    out = losses.log_softmax(zs)
    ag.sum(out[i] * (i + 1) for i in range(4)).backward()
    tz = torch.tensor(logits, dtype=torch.float64, requires_grad=True)
    to = torch.log_softmax(tz, dim=0)
    (to * torch.arange(1, 5, dtype=torch.float64)).sum().backward()
    assert [v.data for v in out] == pytest.approx(to.tolist(), rel=1e-12)
    assert [v.grad for v in zs] == pytest.approx(tz.grad.tolist(), rel=1e-9, abs=1e-12)


# -- L2 penalty and shared checks ---------------------------------------------------------------


def test_l2_penalty_is_one_node_with_gradient_two_p() -> None:
    ps = leaves([3.0, -4.0, 0.5])
    penalty = losses.l2_penalty(ps)
    assert penalty.op is not None and penalty.op.name == "dot" and len(node_ops(penalty)) == 1
    penalty.backward()
    assert penalty.data == 25.25
    assert [p.grad for p in ps] == [6.0, -8.0, 1.0]


def test_l2_penalty_matches_micrograds_sum_bit_for_bit() -> None:
    xs = [0.1 * i - 0.77 for i in range(40)]
    assert losses.l2_penalty(leaves(xs)).data == sum(x * x for x in xs)


def test_l2_penalty_of_nothing_and_of_non_values() -> None:
    assert losses.l2_penalty([]).data == 0.0
    with pytest.raises(TypeError, match="l2_penalty"):
        losses.l2_penalty([1.0])  # type: ignore[list-item]


@pytest.mark.parametrize(
    "call",
    [
        lambda: losses.mse_loss([Value(1.0)], [1.0], reduction="none"),
        lambda: losses.hinge_loss([Value(1.0)], [1], reduction="avg"),
        lambda: losses.cross_entropy([1.0, 2.0], 0, reduction="max"),
    ],
)
def test_unknown_reduction(call: Any) -> None:
    with pytest.raises(
        ValueError, match=r"^\w+: unknown reduction '\w+'; choose one of 'mean', 'sum'"
    ):
        call()


def test_reduction_and_flags_of_the_wrong_type() -> None:
    with pytest.raises(TypeError, match=r"^mse_loss: reduction must be one of 'mean', 'sum'"):
        losses.mse_loss([Value(1.0)], [1.0], reduction=None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^binary_cross_entropy: from_logits must be True or"):
        losses.binary_cross_entropy([Value(0.5)], [1.0], from_logits=1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^hinge_loss: margin must be a real number"):
        losses.hinge_loss([Value(1.0)], [1], margin="1")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"^hinge_loss: margin must be a finite number"):
        losses.hinge_loss([Value(1.0)], [1], margin=math.inf)


def test_shape_and_type_errors_name_the_loss() -> None:
    with pytest.raises(ValueError, match=r"mse_loss: got 2 prediction\(s\) but 1 target"):
        losses.mse_loss(leaves([1.0, 2.0]), [1.0])
    with pytest.raises(ValueError, match="mse_loss: prediction is empty"):
        losses.mse_loss([], [])
    with pytest.raises(ValueError, match="hinge_loss: targets must be a finite number, got nan"):
        losses.hinge_loss([Value(1.0)], [math.nan])
    with pytest.raises(TypeError, match="not Values"):
        losses.mse_loss([Value(1.0)], [Value(1.0)])  # type: ignore[list-item]
    with pytest.raises(TypeError, match=r"^cross_entropy: a batch of logits needs a list"):
        losses.cross_entropy([[1.0, 2.0]], 0)
    with pytest.raises(TypeError, match=r"^cross_entropy: logits must be a list"):
        losses.cross_entropy(Value(1.0), 0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"^cross_entropy: expected a non-empty list of logits"):
        losses.cross_entropy([[1.0, 2.0], []], [0, 0])
    with pytest.raises(TypeError, match=r"^cross_entropy: expected a non-empty list of logits"):
        losses.cross_entropy([[1.0, 2.0], 3.0], [0, 0])  # type: ignore[list-item]


# -- no loss is ever -0.0 ------------------------------------------------------------------------


def any_loss(name: str, zs: list[Value], ys: list[float], reduction: str) -> Value:
    """Each loss on scores ``zs`` and 0/1 labels ``ys`` (mse: on a perfect fit)."""
    if name == "mse":
        return losses.mse_loss(zs, [z.data for z in zs], reduction=reduction)
    if name == "hinge":
        return losses.hinge_loss(zs, ys, reduction=reduction)
    if name == "bce":
        return losses.binary_cross_entropy([z.sigmoid() for z in zs], ys, reduction=reduction)
    if name == "bce_logits":
        return losses.binary_cross_entropy(zs, ys, from_logits=True, reduction=reduction)
    rows = [[z, -z] for z in zs]
    return losses.cross_entropy(rows, [int(y) for y in ys], reduction=reduction)


@pytest.mark.parametrize("name", ["mse", "hinge", "bce", "bce_logits", "cross_entropy"])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
@given(
    st.lists(
        st.tuples(
            st.sampled_from([-1000.0, -40.0, -1.0, 0.0, 1.0, 40.0, 1000.0]) | finite,
            st.sampled_from([0.0, 1.0]),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_no_loss_is_negative_zero(
    name: str, reduction: str, samples: list[tuple[float, float]]
) -> None:
    loss = any_loss(name, [Value(z) for z, _ in samples], [y for _, y in samples], reduction)
    assert loss.data >= 0.0 and math.copysign(1.0, loss.data) == 1.0, loss


@pytest.mark.parametrize(
    "loss",
    [
        lambda: losses.binary_cross_entropy([Value(1.0)], [1]),
        lambda: losses.binary_cross_entropy(Value(0.0), 0),
        lambda: losses.binary_cross_entropy([Value(1.0), Value(0.0)], [1, 0], reduction="sum"),
        lambda: losses.binary_cross_entropy(Value(-800.0), 0, from_logits=True),
        lambda: losses.cross_entropy([Value(1000.0), Value(0.0)], 0),
        lambda: losses.hinge_loss([Value(5.0)], [1]),
        lambda: losses.mse_loss([Value(-2.0)], [-2.0]),
    ],
)
def test_a_perfect_prediction_costs_plus_zero(loss: Any) -> None:
    value = loss().data
    assert value == 0.0 and math.copysign(1.0, value) == 1.0 and repr(value) == "0.0"


# -- binary cross-entropy exact at the extremes (issue 27, finding 12) -------------------------


def exact_bce(x: float, y: float, from_logits: bool) -> tuple[float, float]:
    """The loss and its derivative in 80-digit arithmetic, rounded once to a float."""
    mpmath = pytest.importorskip("mpmath")
    with mpmath.workdps(80):
        x_, y_ = mpmath.mpf(x), mpmath.mpf(y)
        if from_logits:  # softplus(−|x|) plus a term of one sign: no digits cancel
            loss = mpmath.log1p(mpmath.exp(-abs(x_))) + ((1 - y_) * x_ if x >= 0 else -y_ * x_)
            slope = 1 / (1 + mpmath.exp(-x_)) - y_
        else:
            loss = -(y_ * mpmath.log(x_) if y else 0) - (1 - y_) * mpmath.log1p(-x_)
            slope = -(y_ / x_ if y else 0) + (1 - y_) / (1 - x_)
        return float(loss), float(slope)


def ulps(a: float, b: float) -> float:
    return abs(a - b) / math.ulp(b) if b else abs(a) / 5e-324


PROBABILITIES = [1e-300, 1e-20, 1.1e-16, 3e-16, 1e-13, 1e-8, 0.001, 0.3, 0.5, 0.999, 1 - 1e-13]
LOGITS = [-745.0, -40.0, -36.7, -3.0, -1e-10, 0.0, 1e-10, 3.0, 20.0, 36.7, 40.0, 700.0]


@pytest.mark.parametrize("p", PROBABILITIES)
@pytest.mark.parametrize("y", [0.0, 1.0, 0.25])
def test_bce_on_probabilities_is_exact_to_the_last_bits(p: float, y: float) -> None:
    x = Value(p)
    loss = losses.binary_cross_entropy(x, y)
    loss.backward()
    value, slope = exact_bce(p, y, from_logits=False)
    if y > 0 and p < math.exp(-100):  # log p floored at −100 as in PyTorch: no gradient
        floored, slope = exact_bce(p, 0.0, from_logits=False)
        value = 100 * y + (1 - y) * floored
        slope *= 1 - y
    assert ulps(loss.data, value) <= 2, (loss.data, value)
    assert ulps(x.grad, slope) <= 4, (x.grad, slope)


def test_bce_quoted_cases() -> None:
    # the numbers: log(1 − p) gave 1.000310945187316e-13 and, below 1.1e-16, 0
    value = losses.binary_cross_entropy(Value(1e-13), 0.0).data
    assert value == exact_bce(1e-13, 0.0, False)[0] == 1.00000000000005e-13
    assert losses.binary_cross_entropy(Value(1e-17), 0.0).data == exact_bce(1e-17, 0.0, False)[0]
    logit = losses.binary_cross_entropy(Value(40.0), 1.0, from_logits=True).data
    assert logit == exact_bce(40.0, 1.0, True)[0] == 4.248354255291589e-18


@pytest.mark.parametrize("z", LOGITS)
@pytest.mark.parametrize("y", [0.0, 1.0, 0.3])
def test_bce_on_logits_is_exact_to_the_last_bits(z: float, y: float) -> None:
    x = Value(z)
    loss = losses.binary_cross_entropy(x, y, from_logits=True)
    loss.backward()
    value, slope = exact_bce(z, y, from_logits=True)
    assert ulps(loss.data, value) <= 2, (loss.data, value)
    # σ(z) − y cancels where σ(z) ≈ y (as PyTorch's does): absolute error there
    assert abs(x.grad - slope) <= 4 * math.ulp(max(abs(slope), y, 1e-300)), (x.grad, slope)


@pytest.mark.parametrize("from_logits", [False, True])
@pytest.mark.parametrize("y", [0.0, 1.0, 0.4])
def test_bce_second_derivative_is_exact_too(from_logits: bool, y: float) -> None:
    points = [1e-13, 1e-17, 0.3, 0.9] if not from_logits else [40.0, -40.0, 2.0, -0.5]
    for x0 in points:
        if y and not from_logits and x0 < 1e-16:
            continue  # −y/p² ≈ −1e34: fine, but not the point here
        h = ag.functional.hessian(
            lambda v: losses.binary_cross_entropy(v, y, from_logits=from_logits)
        )(x0)[0][0]
        mpmath = pytest.importorskip("mpmath")
        with mpmath.workdps(80):
            x_ = mpmath.mpf(x0)
            if from_logits:
                s = 1 / (1 + mpmath.exp(-x_))
                exact = float(s * (1 - s))
            else:
                exact = float(y / x_**2 + (1 - y) / (1 - x_) ** 2)
        assert math.isclose(h, exact, rel_tol=1e-13), (x0, h, exact)


def test_bce_gradients_match_torch_where_torch_does_not_clamp(torch: Any) -> None:
    F = torch.nn.functional
    for p in [1e-6, 0.001, 0.3, 0.5, 0.999, 1 - 1e-6]:
        for y in [0.0, 1.0, 0.25]:
            assert p * (1 - p) >= 1e-12
            x = Value(p)
            loss = losses.binary_cross_entropy(x, y)
            loss.backward()
            t = torch.tensor(p, dtype=torch.float64, requires_grad=True)
            theirs = F.binary_cross_entropy(t, torch.tensor(y, dtype=torch.float64))
            theirs.backward()
            assert math.isclose(loss.data, theirs.item(), rel_tol=1e-15, abs_tol=0), (p, y)
            assert math.isclose(x.grad, t.grad.item(), rel_tol=1e-12), (p, y)
    for z in LOGITS:
        for y in [0.0, 1.0, 0.3]:
            x = Value(z)
            loss = losses.binary_cross_entropy(x, y, from_logits=True)
            loss.backward()
            t = torch.tensor(z, dtype=torch.float64, requires_grad=True)
            theirs = F.binary_cross_entropy_with_logits(t, torch.tensor(y, dtype=torch.float64))
            theirs.backward()
            # PyTorch's logits form loses small losses where z < 0 (z = −40, y = 0: 0.0):
            # ours is never further from the exact value than theirs
            exact = exact_bce(z, y, from_logits=True)[0]
            ours_error, their_error = abs(loss.data - exact), abs(theirs.item() - exact)
            assert ours_error <= their_error + 2 * math.ulp(exact), (z, y)
            assert math.isclose(x.grad, t.grad.item(), rel_tol=1e-12, abs_tol=1e-15), (z, y)


def test_where_torch_clamps_the_gradient_ours_is_the_exact_one(torch: Any) -> None:
    # PyTorch divides by max(p(1 − p), 1e-12): at p = 1e-13 its slope is ~0.1, the true 1
    p, y = 1e-13, 0.0
    x = Value(p)
    losses.binary_cross_entropy(x, y).backward()
    t = torch.tensor(p, dtype=torch.float64, requires_grad=True)
    torch.nn.functional.binary_cross_entropy(t, torch.tensor(y, dtype=torch.float64)).backward()
    exact = exact_bce(p, y, from_logits=False)[1]
    assert ulps(x.grad, exact) <= 2
    assert abs(t.grad.item() - exact) > 0.5  # theirs is clamped: the documented difference
    assert "clamped" in (losses.binary_cross_entropy.__doc__ or "")
