"""training.fit / evaluate / predict / History, and the moons demo checked against micrograd."""

from __future__ import annotations

import csv
import gc
import importlib.machinery
import importlib.util
import io
import math
import random
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import pytest

import autograd_core as ag
from autograd_core import data, losses, nn, optim, training
from autograd_core.training import History


def moons_setup(
    epochs: int = 100,
) -> tuple[nn.MLP, list[list[float]], list[int], optim.SGD, optim.LambdaLR]:
    X, y = data.make_moons(100, noise=0.1, seed=1337)
    model = nn.MLP(2, [16, 16, 1], seed=1)
    opt = optim.SGD(model.parameters(), lr=1.0, momentum=0.0)
    sched = optim.LambdaLR(opt, lambda k: 1.0 - 0.9 * k / epochs)
    return model, X, y, opt, sched


# -- the loop itself ---------------------------------------------------------------------------


def test_full_batch_fit_is_exactly_the_hand_written_loop() -> None:
    # fit's bookkeeping must not change the arithmetic: the same steps by hand give the same
    # bits, and the recorded loss/accuracy/lr are those of each epoch before its update.
    epochs = 8
    model, X, y, opt, sched = moons_setup(epochs)
    history = training.fit(
        model,
        X,
        y,
        loss="hinge",
        optimizer=opt,
        scheduler=sched,
        epochs=epochs,
        l2=1e-4,
        progress=False,
    )

    twin, _, _, opt2, sched2 = moons_setup(epochs)
    params = twin.parameters()
    labels = [2 * t - 1 for t in y]
    by_hand: dict[str, list[float]] = {"loss": [], "accuracy": [], "lr": []}
    for _ in range(epochs):
        by_hand["lr"].append(opt2.lr)
        scores = twin(X)  # the batch at once, as fit does (one sample at a time: next test)
        loss = losses.hinge_loss(scores, labels) + 1e-4 * losses.l2_penalty(params)
        opt2.zero_grad()
        loss.backward()
        opt2.step()
        sched2.step()
        by_hand["loss"].append(loss.data)
        by_hand["accuracy"].append(
            sum((s.data > 0) == (t > 0) for s, t in zip(scores, labels)) / len(X)
        )  # type: ignore[union-attr]
    assert history.loss == by_hand["loss"]
    assert history.accuracy == by_hand["accuracy"]
    assert history.lr == by_hand["lr"] == [1.0 - 0.9 * k / epochs for k in range(epochs)]
    assert model.state_dict() == twin.state_dict()
    assert len(history) == history.epochs == epochs and len(history.seconds) == epochs
    assert not history.stopped_early


def test_the_batch_and_one_sample_at_a_time_give_the_same_gradients() -> None:
    # A layer on a batch hands its gradients down column by column (engine._block_backward);
    # sample by sample, each sample's nodes hand down their own. Same sums, another order.
    model, X, y, _, _ = moons_setup(1)
    twin, _, _, _, _ = moons_setup(1)
    labels = [2 * t - 1 for t in y]
    batched = losses.hinge_loss(model(X), labels) + 1e-4 * losses.l2_penalty(model.parameters())
    singly = losses.hinge_loss([twin(x) for x in X], labels) + 1e-4 * losses.l2_penalty(
        twin.parameters()
    )
    assert batched.data == singly.data
    batched.backward()
    singly.backward()
    pairs = list(zip(model.parameters(), twin.parameters()))
    assert any(p.grad != 0.0 for p, _ in pairs)
    for p, q in pairs:
        assert p.grad == pytest.approx(q.grad, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize(
    ("batch_size", "steps_per_epoch"), [(None, 1), (20, 1), (8, 3), (1, 20), (100, 1)]
)
def test_batch_size_sets_the_number_of_steps(batch_size: int | None, steps_per_epoch: int) -> None:
    X, y = data.make_moons(20, seed=0)
    model = nn.MLP(2, [4, 1], seed=0)
    opt = optim.SGD(model.parameters(), lr=0.1)
    training.fit(model, X, y, optimizer=opt, epochs=3, batch_size=batch_size, progress=False)
    assert opt.step_count == 3 * steps_per_epoch


def test_unshuffled_mini_batches_are_the_hand_written_loop() -> None:
    X, y = data.make_linear(10, w=[1.0, -1.0], b=0.5, seed=3)
    model = nn.MLP(2, [3, 1], "tanh", seed=4)
    history = training.fit(
        model, X, y, loss="mse", lr=0.1, epochs=2, batch_size=4, shuffle=False, progress=False
    )
    twin = nn.MLP(2, [3, 1], "tanh", seed=4)
    opt = optim.SGD(twin.parameters(), lr=0.1)
    epoch_losses = []
    for _ in range(2):
        total = 0.0
        for xb, yb in data.batches(X, y, 4):
            loss = losses.mse_loss(twin(xb), yb)  # the batch at once, as fit does
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.data * len(xb)
        epoch_losses.append(total / len(X))
    assert history.loss == epoch_losses  # weighted by batch size: the last batch has 2
    assert model.state_dict() == twin.state_dict()
    assert history.accuracy == []  # regression: no accuracy


def test_same_seed_trains_identically_other_seed_differently() -> None:
    def run(seed: int) -> tuple[list[float], dict[str, float]]:
        X, y = data.make_moons(40, seed=0)
        model = nn.MLP(2, [8, 1], seed=0)
        h = training.fit(model, X, y, lr=0.3, epochs=4, batch_size=5, seed=seed, progress=False)
        return h.loss, model.state_dict()

    assert run(11) == run(11)
    assert run(11)[1] != run(12)[1]  # the batch order differs


def test_early_stop_on_target_loss() -> None:
    X, y = data.make_xor()
    model = nn.MLP(2, [8, 1], "tanh", seed=0)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    history = training.fit(
        model, X, y, loss="bce_logits", optimizer=opt, epochs=1000, target_loss=0.05, progress=False
    )
    assert history.stopped_early and len(history) < 1000
    assert history.loss[-1] <= 0.05 and all(v > 0.05 for v in history.loss[:-1])


def test_zero_epochs_change_nothing() -> None:
    X, y = data.make_moons(10, seed=0)
    model = nn.MLP(2, [3, 1], seed=0)
    before = model.state_dict()
    history = training.fit(model, X, y, epochs=0, progress=False)
    assert len(history) == 0 and model.state_dict() == before


def test_default_optimizer_is_sgd_with_lr() -> None:
    X, y = data.make_linear(5, seed=0)
    a, b = nn.MLP(1, [1], seed=0), nn.MLP(1, [1], seed=0)
    training.fit(a, X, y, loss="mse", lr=0.05, epochs=3, progress=False)
    training.fit(
        b, X, y, loss="mse", optimizer=optim.SGD(b.parameters(), lr=0.05), epochs=3, progress=False
    )
    assert a.state_dict() == b.state_dict()


def test_on_epoch_sees_each_epoch() -> None:
    X, y = data.make_moons(10, seed=0)
    seen: list[tuple[int, int]] = []
    training.fit(
        nn.MLP(2, [3, 1], seed=0),
        X,
        y,
        epochs=4,
        progress=False,
        on_epoch=lambda e, h: seen.append((e, len(h))),
    )
    assert seen == [(0, 1), (1, 2), (2, 3), (3, 4)]


# -- losses, labels and metrics ----------------------------------------------------------------


def test_hinge_accepts_zero_one_and_plus_minus_one_labels_alike() -> None:
    X, y = data.make_moons(20, seed=0)

    def run(labels: list[int]) -> History:
        return training.fit(
            nn.MLP(2, [4, 1], seed=0), X, labels, loss="hinge", lr=0.5, epochs=3, progress=False
        )

    assert run(y).loss == run([2 * t - 1 for t in y]).loss


@pytest.mark.parametrize(
    ("loss", "labels", "error", "match"),
    [
        ("hinge", [0, 1, 2], ValueError, r"loss 'hinge': targets must be class labels -1/\+1"),
        ("hinge", [-1, 0, 1], ValueError, "mix the labels -1 and 0"),
        ("hinge", [0, 1, True], TypeError, r"needs numeric labels, got y\[2\] = bool True"),
        ("hinge", [0, math.nan, 1], ValueError, r"needs finite labels, got y\[1\] = nan"),
        ("bce", [0, 1, 2], ValueError, r"targets in \[0, 1\], got y\[2\] = 2"),
        ("bce_logits", [0, "1", 0], TypeError, r"needs numeric labels, got y\[1\] = str '1'"),
        ("cross_entropy", [0, 1, -1], ValueError, r"class indices 0, 1, 2, ..., got y\[2\] = -1"),
        ("cross_entropy", [0, 1, 1.5], ValueError, "class indices"),
        ("cross_entropy", [math.nan, 1, 0], ValueError, r"finite labels, got y\[0\] = nan"),
        ("mse", [0.5, math.inf, 0.0], ValueError, r"y\[1\] must be a finite number, got inf"),
        ("mse", [0.5, [1.0, None], 0.0], TypeError, r"y\[1\]\[1\] must be a number"),
        (
            "softmax",
            [0, 1, 0],
            ValueError,
            "unknown loss 'softmax'; choose one of hinge, bce, bce_logits, cross_entropy, mse",
        ),
    ],
)
def test_bad_labels_and_losses(
    loss: str, labels: list[Any], error: type[Exception], match: str
) -> None:
    model = nn.MLP(2, [2, 1], seed=0)
    before = model.state_dict()
    with pytest.raises(error, match=match):
        training.fit(model, [[0.0, 0.0]] * 3, labels, loss=loss, epochs=1, progress=False)
    assert model.state_dict() == before


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"epochs": -1}, "epochs must be an integer >= 0"),
        ({"l2": -1.0}, "l2 must be a finite number >= 0"),
        ({"l2": math.nan}, "l2 must be a finite number >= 0"),
        ({"checkpoint_every": 0}, "fit: checkpoint_every must be an integer >= 1, got 0"),
        ({"batch_size": 0}, "fit: batch_size must be an integer >= 1, got 0"),
        ({"target_loss": math.nan}, "fit: target_loss must be a number, got nan"),
    ],
)
def test_bad_arguments(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        training.fit(nn.MLP(2, [1], seed=0), [[0.0, 0.0]], [1], progress=False, **kwargs)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"epochs": "3"}, "fit: epochs must be an integer, got str '3'"),
        ({"epochs": 2.0}, "fit: epochs must be an integer, got float 2.0"),
        ({"epochs": True}, "fit: epochs must be an integer, got bool True"),
        ({"batch_size": "4"}, "fit: batch_size must be an integer, got str '4'"),
        ({"l2": "0.1"}, "fit: l2 must be a real number, got str '0.1'"),
        ({"shuffle": 1}, "fit: shuffle must be True or False, got int 1"),
        ({"target_loss": "0.1"}, "fit: target_loss must be a real number, got str '0.1'"),
        ({"progress": None}, "fit: progress must be True or False, got NoneType None"),
        ({"checkpoint_every": 1.5}, "fit: checkpoint_every must be an integer, got float 1.5"),
        ({"loss": 3}, r"fit: loss must be a loss name or a function \(outputs, targets\)"),
    ],
)
def test_arguments_of_the_wrong_type(kwargs: dict[str, Any], match: str) -> None:
    model = nn.MLP(2, [1], seed=0)
    before = model.state_dict()
    with pytest.raises(TypeError, match=match):
        training.fit(model, [[0.0, 0.0]], [1], epochs=kwargs.pop("epochs", 1), **kwargs)
    assert model.state_dict() == before  # refused before any step


def test_mismatched_or_empty_data() -> None:
    model = nn.MLP(2, [1], seed=0)
    with pytest.raises(ValueError, match="same length, got 2 and 1"):
        training.fit(model, [[0.0, 0.0]] * 2, [1], progress=False)
    with pytest.raises(ValueError, match="no training data"):
        training.fit(model, [], [], progress=False)


def test_single_output_losses_refuse_multi_output_models() -> None:
    with pytest.raises(
        ValueError, match="loss 'hinge' needs one output per sample, but the model returns 3"
    ):
        training.fit(nn.MLP(2, [3], seed=0), [[0.0, 1.0]], [1], epochs=1, progress=False)


def test_bce_with_a_sigmoid_output_learns_circles() -> None:
    X, y = data.make_circles(60, noise=0.05, seed=0)
    model = nn.MLP(2, [8, 1], "tanh", output_activation="sigmoid", init="auto", seed=0)
    training.fit(
        model,
        X,
        y,
        loss="bce",
        optimizer=optim.Adam(model.parameters(), lr=0.05),
        epochs=100,
        progress=False,
    )
    assert training.evaluate(model, X, y, loss="bce")["accuracy"] == 1.0


def test_custom_loss_function() -> None:
    X, y = data.make_linear(8, seed=1)
    a, b = nn.MLP(1, [1], seed=0), nn.MLP(1, [1], seed=0)
    ha = training.fit(
        a, X, y, loss=lambda outs, ts: losses.mse_loss(outs, ts), lr=0.1, epochs=3, progress=False
    )
    hb = training.fit(b, X, y, loss="mse", lr=0.1, epochs=3, progress=False)
    assert ha.loss == hb.loss and ha.accuracy == []


def test_divergence_is_reported_with_the_epoch() -> None:
    X, y = data.make_linear(20, seed=0)
    with pytest.raises(
        OverflowError, match=r"fit: the training diverged in epoch \d+ .*smaller learning rate"
    ):
        training.fit(
            nn.MLP(1, [4, 1], seed=0), X, y, loss="mse", lr=1e150, epochs=50, progress=False
        )


def test_evaluate_and_predict() -> None:
    model = nn.MLP(2, [2], seed=0)  # two outputs: class logits
    model.load_state_dict(
        {
            "layers.0.neurons.0.w.0": 1.0,
            "layers.0.neurons.0.w.1": 0.0,
            "layers.0.neurons.0.b": 0.0,
            "layers.0.neurons.1.w.0": 0.0,
            "layers.0.neurons.1.w.1": 1.0,
            "layers.0.neurons.1.b": 0.0,
        }
    )
    model.layers[0].activation = "linear"
    model.layers[0]._act = None
    X = [[2.0, 0.0], [0.0, 3.0], [1.0, 0.0]]
    assert training.predict(model, X) == [[2.0, 0.0], [0.0, 3.0], [1.0, 0.0]]
    result = training.evaluate(model, X, [0, 1, 1], loss="cross_entropy")
    assert result["accuracy"] == pytest.approx(2 / 3)
    expected = (math.log(1 + math.exp(-2)) + math.log(1 + math.exp(-3)) + math.log(1 + math.e)) / 3
    assert result["loss"] == pytest.approx(expected)
    assert all(p.grad == 0.0 for p in model.parameters())  # evaluation records no graph


# -- History -----------------------------------------------------------------------------------


def test_history_csv_round_trips(tmp_path: Path) -> None:
    X, y = data.make_moons(20, seed=0)
    history = training.fit(nn.MLP(2, [4, 1], seed=0), X, y, lr=0.5, epochs=5, progress=False)
    with open(history.to_csv(tmp_path / "history.csv"), newline="") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["epoch"]) for r in rows] == [1, 2, 3, 4, 5]
    assert [float(r["loss"]) for r in rows] == history.loss  # repr: exact
    assert [float(r["accuracy"]) for r in rows] == history.accuracy
    assert [float(r["lr"]) for r in rows] == history.lr == [0.5] * 5
    assert all(float(r["seconds"]) > 0 for r in rows)


def test_history_csv_leaves_accuracy_blank_for_regression(tmp_path: Path) -> None:
    text = (
        History(loss=[0.25, 0.125], lr=[0.1, 0.1], seconds=[0.5, 0.5])
        .to_csv(tmp_path / "h.csv")
        .read_text()
    )
    assert text.splitlines() == [
        "epoch,loss,accuracy,lr,seconds",
        "1,0.25,,0.1,0.5",
        "2,0.125,,0.1,0.5",
    ]


# -- checkpoints and the progress bar -----------------------------------------------------------


def test_checkpoints_are_written_every_n_epochs_and_at_the_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    X, y = data.make_moons(20, seed=0)
    model = nn.MLP(2, [4, 1], seed=0)
    saved_at: list[int] = []
    real_save = model.save
    monkeypatch.setattr(
        model, "save", lambda path: (saved_at.append(len(history_box)), real_save(path))[1]
    )
    history_box: list[int] = []
    path = tmp_path / "ckpt.json"
    training.fit(
        model, X, y, lr=0.5, epochs=12, checkpoint=path, checkpoint_every=5, progress=False,
        on_epoch=lambda e, h: history_box.append(e),
    )  # fmt: skip
    assert saved_at == [4, 9, 11]  # after epochs 5, 10 and the last (12), counted from 0
    assert nn.load_model(path).state_dict() == model.state_dict()


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_only_in_a_terminal(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    X, y = data.make_moons(10, seed=0)
    training.fit(nn.MLP(2, [3, 1], seed=0), X, y, epochs=3, progress=True)
    assert capsys.readouterr().err == ""  # captured stderr is no terminal: no bar
    terminal = FakeTerminal()
    monkeypatch.setattr("sys.stderr", terminal)
    training.fit(nn.MLP(2, [3, 1], seed=0), X, y, epochs=3, progress=True)
    shown = terminal.getvalue()
    assert "train" in shown and "3/3" in shown and "loss=" in shown and "acc=" in shown
    quiet = FakeTerminal()
    monkeypatch.setattr("sys.stderr", quiet)
    training.fit(nn.MLP(2, [3, 1], seed=0), X, y, epochs=3, progress=False)
    assert quiet.getvalue() == ""


# -- micrograd itself, as the reference ---------------------------------------------------------


def test_first_steps_match_micrograds_own_demo_code() -> None:
    # micrograd's demo loop, run with the micrograd package on our moons, next to fit() with the
    # same initial weights: the losses and the weights must agree step by step. (micrograd's
    # mean multiplies by 1/n where ours divides by n, so they may differ in the last bit.)
    import micrograd.engine
    import micrograd.nn  # in the dev extra: this check must run, not skip

    X, y = data.make_moons(100, noise=0.1, seed=1337)
    labels = [2 * t - 1 for t in y]
    random.seed(1337)
    theirs = micrograd.nn.MLP(2, [16, 16, 1])
    random.seed(1337)
    ours = nn.MLP(2, [16, 16, 1])
    steps = 4
    their_losses = []
    gc_was_enabled = gc.isenabled()
    gc.disable()  # micrograd's closures make cycles: collecting them would take ~90% of the time
    try:
        for k in range(steps):
            inputs = [list(map(micrograd.engine.Value, row)) for row in X]
            scores = list(map(theirs, inputs))
            hinge = [(1 + -yi * si).relu() for yi, si in zip(labels, scores)]
            total = sum(hinge) * (1.0 / len(hinge)) + 1e-4 * sum(p * p for p in theirs.parameters())
            theirs.zero_grad()
            total.backward()
            for p in theirs.parameters():
                p.data -= (1.0 - 0.9 * k / 100) * p.grad
            their_losses.append(total.data)
    finally:
        if gc_was_enabled:
            gc.enable()
    opt = optim.SGD(ours.parameters(), lr=1.0)
    sched = optim.LambdaLR(opt, lambda k: 1.0 - 0.9 * k / 100)
    history = training.fit(
        ours, X, y, optimizer=opt, scheduler=sched, epochs=steps, l2=1e-4, progress=False
    )
    assert history.loss == pytest.approx(their_losses, rel=1e-12)
    assert [p.data for p in ours.parameters()] == pytest.approx(
        [p.data for p in theirs.parameters()], rel=1e-9, abs=1e-12
    )


def test_the_package_exposes_the_training_modules() -> None:
    assert ag.nn is nn and ag.training is training and ag.losses is losses and ag.data is data


def test_ag_plot_is_an_attribute_imported_on_first_use() -> None:
    # in a fresh interpreter: `import autograd_core` loads no matplotlib; `ag.plot` does
    script = (
        "import sys, autograd_core as ag\n"
        "assert 'matplotlib' not in sys.modules and 'autograd_core.plot' not in sys.modules\n"
        "assert 'plot' in dir(ag)\n"
        "assert callable(ag.plot.plot_history) and callable(ag.plot.plot_decision_boundary)\n"
        "assert 'matplotlib' in sys.modules\n"
        "import autograd_core.plot\n"
        "assert ag.plot is autograd_core.plot\n"
        "try:\n"
        "    ag.plott\n"
        "except AttributeError as exc:\n"
        "    print(exc)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "module 'autograd_core' has no attribute 'plott'\n"


def test_fit_pauses_the_collector_only_during_a_step_and_restores_it() -> None:
    X, y = ag.data.make_moons(20, noise=0.1, seed=3)
    seen: list[bool] = []
    fail = False

    class Spy(ag.nn.MLP):
        def __call__(self, x: Any) -> Any:
            seen.append(gc.isenabled())
            if fail:
                raise RuntimeError("boom inside the step")
            return super().__call__(x)

    model = Spy(2, [4, 1], seed=0)
    assert gc.isenabled()
    ag.training.fit(model, X, y, loss="hinge", epochs=2, progress=False)
    assert gc.isenabled()
    assert len(seen) == 40 and not any(seen)
    gc.disable()
    try:  # a caller that had switched it off keeps it off
        ag.training.fit(model, X, y, loss="hinge", epochs=1, progress=False)
        assert not gc.isenabled()
    finally:
        gc.enable()
    fail = True  # an error inside the step does not leave it off
    with pytest.raises(RuntimeError, match="boom"):
        ag.training.fit(model, X, y, loss="hinge", epochs=1, progress=False)
    assert gc.isenabled()


# -- paused_gc: the collector pause of fit's step, for hand-written loops too ---------------------


def test_paused_gc_switches_an_enabled_collector_off_and_back_on() -> None:
    assert gc.isenabled()
    with training.paused_gc():
        assert not gc.isenabled()
        with training.paused_gc():  # nested: leaving the inner block keeps the outer pause
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_paused_gc_leaves_a_disabled_collector_disabled() -> None:
    gc.disable()
    try:
        with training.paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_paused_gc_restores_the_previous_state_when_the_block_raises() -> None:
    with pytest.raises(RuntimeError, match="boom"), training.paused_gc():
        raise RuntimeError("boom")
    assert gc.isenabled()
    gc.disable()
    try:
        with pytest.raises(RuntimeError, match="boom"), training.paused_gc():
            raise RuntimeError("boom")
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_paused_gc_is_one_function_shared_with_the_rest_of_the_package() -> None:
    from autograd_core import _gc

    assert training.paused_gc is _gc.paused_gc
    assert "paused_gc" in training.__all__


# -- a learner's notebook: a short History, a progress bar in Jupyter ----------------------------


def test_history_repr_is_one_short_line() -> None:
    X, y = data.make_moons(20, seed=0)
    history = training.fit(nn.MLP(2, [4, 1], seed=0), X, y, lr=0.5, epochs=100, progress=False)
    text = repr(history)
    assert text == (
        f"History(epochs=100, loss={float(f'{history.loss[-1]:.4g}')!r}, "
        f"accuracy={history.accuracy[-1]!r})"
    )
    assert len(text) < 60 and "[" not in text
    assert repr(History()) == "History(epochs=0)"
    assert repr(History(loss=[0.5, 1.234567e-7])) == "History(epochs=2, loss=1.235e-07)"
    stopped = History(loss=[0.01], accuracy=[1.0], stopped_early=True)
    assert repr(stopped) == "History(epochs=1, loss=0.01, accuracy=1.0, stopped_early=True)"


class FakeKernelShell:
    """What IPython's get_ipython() returns inside a Jupyter kernel, as far as fit looks."""

    config: dict[str, Any] = {"IPKernelApp": {"connection_file": "kernel-1.json"}}  # noqa: RUF012


class FakeDisplayHandle:
    def __init__(self, shown: list[dict[str, str]]) -> None:
        self.shown = shown

    def update(self, bundle: dict[str, str], raw: bool = False) -> None:
        assert raw
        self.shown.append(bundle)


def fake_ipython(shell: Any, shown: list[dict[str, str]] | None = None) -> Any:
    """An ``IPython`` whose get_ipython() is ``shell`` and whose display() records in ``shown``."""
    module = types.ModuleType("IPython")
    module.get_ipython = lambda: shell  # type: ignore[attr-defined]
    display = types.ModuleType("IPython.display")

    def show(bundle: dict[str, str], raw: bool = False, display_id: Any = None) -> Any:
        assert raw and display_id is True
        record = [] if shown is None else shown
        record.append(bundle)
        return FakeDisplayHandle(record)

    display.display = show  # type: ignore[attr-defined]
    module.display = display  # type: ignore[attr-defined]
    return module, display


def in_fake_kernel(monkeypatch: pytest.MonkeyPatch, shell: Any) -> list[dict[str, str]]:
    shown: list[dict[str, str]] = []
    module, display = fake_ipython(shell, shown)
    monkeypatch.setitem(sys.modules, "IPython", module)
    monkeypatch.setitem(sys.modules, "IPython.display", display)
    return shown


def test_in_jupyter_without_ipywidgets_progress_is_html_updated_in_place(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    X, y = data.make_moons(10, seed=0)
    cell_stderr = io.StringIO()  # a kernel's stderr is no terminal
    monkeypatch.setattr("sys.stderr", cell_stderr)
    shown = in_fake_kernel(monkeypatch, FakeKernelShell())
    monkeypatch.setattr("importlib.util.find_spec", lambda name, *a: None)  # no ipywidgets
    training.fit(nn.MLP(2, [3, 1], seed=0), X, y, epochs=3, progress=True)
    assert cell_stderr.getvalue() == ""  # no pink box
    # one display, then updates: at most ten a second, and always the last state
    assert len(shown) >= 2
    first, last = shown[0], shown[-1]
    assert "epoch 0/3" in first["text/html"] and "epoch 3/3" in last["text/html"]
    assert "loss=" in last["text/html"] and "acc=" in last["text/html"]
    assert last["text/plain"].startswith("train: epoch 3/3, loss=")
    # progress=False still means no bar; an IPython terminal (no kernel) draws none either
    shown.clear()
    training.fit(nn.MLP(2, [3, 1], seed=0), X, y, epochs=3, progress=False)
    shown = in_fake_kernel(monkeypatch, types.SimpleNamespace(config={}))
    training.fit(nn.MLP(2, [3, 1], seed=0), X, y, epochs=3, progress=True)
    shown = in_fake_kernel(monkeypatch, None)
    training.fit(nn.MLP(2, [3, 1], seed=0), X, y, epochs=3, progress=True)
    assert shown == [] and cell_stderr.getvalue() == ""


def test_html_progress_updates_at_most_ten_times_a_second(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    shown = in_fake_kernel(monkeypatch, FakeKernelShell())
    clock = [100.0]
    monkeypatch.setattr("time.monotonic", lambda: clock[0])
    bar = training._HtmlProgress(total=50, desc="train")
    for _ in range(50):
        clock[0] += 0.01  # an epoch every 10 ms: 0.5 s in all, 10 epochs between two updates
        bar.set_postfix_str("loss=0.5", refresh=False)
        bar.update(1)
    bar.close()
    assert 5 <= len(shown) <= 7  # the first display, five updates, and perhaps the last state
    assert "epoch 50/50" in shown[-1]["text/html"]
    bar.close()
    assert "epoch 50/50" in shown[-1]["text/html"] and len(shown) <= 7  # nothing new


def test_the_progress_html_shows_epoch_and_loss_escaped() -> None:
    page = training._progress_html(7, 20, "loss=0.1234 acc=0.950 lr=0.1", 3.5, desc="train")
    assert "epoch 7/20" in page and "loss=0.1234 acc=0.950 lr=0.1" in page
    assert 'aria-valuenow="7"' in page and "width:35.0%" in page
    assert "~6.5 s left" in page  # 3.5 s for 7 epochs: 13 more take 6.5 s
    hostile = training._progress_html(1, 2, "loss=<b>&</b>", 1.0, desc="<script>x</script>")
    assert "<script>" not in hostile and "&lt;script&gt;x&lt;/script&gt;" in hostile
    assert "loss=&lt;b&gt;&amp;&lt;/b&gt;" in hostile
    done = training._progress_html(20, 20, "", 75.0)
    assert "epoch 20/20" in done and "1 min 15 s" in done and "left" not in done
    assert training._progress_text(2, 4, "loss=1", 0.25) == (
        "train: epoch 2/4, loss=1, 0.2 s, ~0.2 s left"
    )


def test_in_jupyter_with_ipywidgets_the_bar_is_the_notebook_widget(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import tqdm
    import tqdm.notebook

    real_find_spec = importlib.util.find_spec
    widgets = importlib.machinery.ModuleSpec("ipywidgets", None)
    monkeypatch.setattr(
        "importlib.util.find_spec",
        lambda name, *a: widgets if name == "ipywidgets" else real_find_spec(name, *a),
    )
    assert training._bar_class(notebook=True) is tqdm.notebook.tqdm
    assert training._bar_class(notebook=False) is tqdm.tqdm
    monkeypatch.setattr("importlib.util.find_spec", lambda name, *a: None)
    assert training._bar_class(notebook=True) is training._HtmlProgress
    assert training._bar_class(notebook=False) is tqdm.tqdm


def run_in_kernel(code: str) -> list[dict[str, Any]]:
    """Run ``code`` as one cell in a new IPython kernel; every message the cell sent out."""
    jupyter_client = pytest.importorskip("jupyter_client")
    manager, client = jupyter_client.manager.start_new_kernel(kernel_name="python3")
    try:
        msg_id = client.execute(code)
        messages: list[dict[str, Any]] = []
        while True:
            msg = client.get_iopub_msg(timeout=120)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "error":
                raise AssertionError("\n".join(msg["content"]["traceback"]))
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                return messages
            messages.append(msg)
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


@pytest.mark.slow
def test_progress_in_a_real_kernel_without_ipywidgets_is_html_and_nothing_on_stderr() -> None:
    messages = run_in_kernel(
        "import sys\n"
        "sys.modules['ipywidgets'] = None  # as if not installed (find_spec gives None)\n"
        "from autograd_core import data, nn, training\n"
        "X, y = data.make_moons(20, seed=0)\n"
        "h = training.fit(nn.MLP(2, [4, 1], seed=0), X, y, epochs=4, progress=True)\n"
        "print(len(h))\n"
    )
    kinds = [msg["msg_type"] for msg in messages]
    streams = [
        (m["content"]["name"], m["content"]["text"]) for m in messages if m["msg_type"] == "stream"
    ]
    assert streams == [("stdout", "4\n")], streams  # nothing on stderr
    displays = [m for m in messages if m["msg_type"] == "display_data"]
    updates = [m for m in messages if m["msg_type"] == "update_display_data"]
    assert len(displays) == 1 and updates, kinds
    display_id = displays[0]["content"]["transient"]["display_id"]
    assert all(m["content"]["transient"]["display_id"] == display_id for m in updates)
    assert "epoch 0/4" in displays[0]["content"]["data"]["text/html"]
    last = updates[-1]["content"]["data"]
    assert "epoch 4/4" in last["text/html"] and "loss=" in last["text/html"]
    assert last["text/plain"].startswith("train: epoch 4/4")


# -- every argument is checked before the first epoch -----------------------------------------------


def refused_before_training(
    error: type[Exception],
    match: str,
    model: Any = None,
    X: Any = None,
    y: Any = None,
    **kwargs: Any,
) -> None:
    """fit(...) raises ``error`` matching ``match`` with no epoch run and no parameter moved."""
    model = nn.MLP(2, [3, 1], seed=0) if model is None else model
    if X is None:
        X, y = data.make_moons(12, seed=0)
    params = model.parameters() if isinstance(model, nn.Module) else []
    before = [p.data for p in params]
    epochs_run: list[int] = []
    kwargs.setdefault("on_epoch", lambda epoch, history: epochs_run.append(epoch))
    with pytest.raises(error, match=match):
        training.fit(model, X, y, epochs=2, progress=False, **kwargs)
    assert epochs_run == [] and [p.data for p in params] == before


def test_a_checkpoint_path_that_is_a_directory_or_in_no_directory(tmp_path: Path) -> None:
    refused_before_training(
        ValueError, r"checkpoint must be a file path, got a directory", checkpoint=tmp_path
    )
    refused_before_training(
        ValueError, "the folder .* does not exist", checkpoint=tmp_path / "no" / "m.json"
    )
    refused_before_training(TypeError, "checkpoint must be a file path, got int", checkpoint=3)
    assert list(tmp_path.iterdir()) == []


def test_an_optimizer_or_scheduler_of_another_model_is_refused() -> None:
    other = nn.MLP(2, [3, 1], seed=1)
    opt = optim.SGD(other.parameters(), lr=0.1)
    refused_before_training(ValueError, "none of the optimizer's 13 parameters", optimizer=opt)
    model = nn.MLP(2, [3, 1], seed=0)
    mine = optim.SGD(model.parameters(), lr=0.1)
    sched = optim.StepLR(opt, step_size=1)
    refused_before_training(
        ValueError, "schedules another optimizer", model=model, optimizer=mine, scheduler=sched
    )
    refused_before_training(ValueError, "needs its optimizer passed as optimizer=", scheduler=sched)
    refused_before_training(TypeError, "optimizer must be an autograd_core.optim", optimizer="sgd")
    refused_before_training(TypeError, "scheduler must be an autograd_core.optim", scheduler=0.9)
    # an optimizer over some of the model's parameters (fine-tuning one layer) is fine
    last = optim.SGD(model.layers[-1].parameters(), lr=0.1)
    X, y = data.make_moons(12, seed=0)
    training.fit(model, X, y, optimizer=last, epochs=1, progress=False)


def test_a_loss_function_that_returns_a_number_is_refused_before_any_update() -> None:
    def mean_hinge(outputs: list[Any], targets: list[Any]) -> float:
        return sum(max(0.0, 1 - o.data * t) for o, t in zip(outputs, targets)) / len(targets)

    refused_before_training(
        TypeError, r"the loss function mean_hinge must return a Value .* got float", loss=mean_hinge
    )


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"model": "mlp"}, TypeError, "model must be a Module"),
        ({"model": nn.MLP(2, [3, 1], seed=0).layers[0].neurons[0].w[0]}, TypeError, "Module"),
        (
            {"model": nn.MLP(2, [3, 1], seed=0), "X": [[0.0, math.nan]], "y": [1]},
            ValueError,
            r"X\[0\]\[1\] must be a finite number, got nan",
        ),
        (
            {"X": [[0.0, 1.0], [2.0]], "y": [0, 1]},
            ValueError,
            r"same number of features: X\[1\] has 1, X\[0\] has 2",
        ),
        ({"X": [[0.0, "1"]], "y": [1]}, TypeError, r"X\[0\]\[1\] must be a number, got str"),
        ({"X": "abc", "y": [1, 1, 1]}, TypeError, "X must be a list, got str"),
        ({"seed": "1"}, TypeError, "seed must be an integer"),
        ({"lr": -0.1}, ValueError, "lr must be a finite number >= 0"),
        ({"on_epoch": "print"}, TypeError, "on_epoch must be a function"),
        ({"target_loss": "0.1"}, TypeError, "target_loss must be a real number, got str '0.1'"),
    ],
)
def test_arguments_are_checked_before_the_first_epoch(
    kwargs: dict[str, Any], error: type[Exception], match: str
) -> None:
    refused_before_training(error, match, **kwargs)


# -- errors are the user's, divergence only for numbers too large (issue 27, finding 8) -------


def test_a_custom_loss_functions_own_exception_passes_as_it_is() -> None:
    X, y = data.make_moons(20, seed=0)
    model = nn.MLP(2, [4, 1], seed=0)
    before = model.state_dict()

    def buggy(outputs: Any, targets: Any) -> Any:
        return 1 / 0

    with pytest.raises(ZeroDivisionError) as caught:
        training.fit(model, X, y, loss=buggy, epochs=3, progress=False)
    assert str(caught.value) == "division by zero"  # (pytest's match would see the notes too)
    assert "diverged" not in str(caught.value) and caught.value.__cause__ is None
    if sys.version_info >= (3, 11):
        assert caught.value.__notes__ == ["fit: raised by the loss function buggy in epoch 1"]
    assert model.state_dict() == before  # raised before the first step
    frames = [frame.name for frame in traceback_frames(caught.value)]
    assert frames[-1] == "buggy"  # the traceback still ends where the user's bug is


def traceback_frames(exc: BaseException) -> list[Any]:
    import traceback

    return list(traceback.extract_tb(exc.__traceback__))


def test_an_error_in_a_users_model_passes_as_it_is_with_the_epoch() -> None:
    class Broken(nn.Module):
        def __init__(self) -> None:
            self.w = ag.Value(1.0)
            self.calls = 0

        def parameters(self) -> list[ag.Value]:
            return [self.w]

        def __call__(self, x: Any) -> Any:
            self.calls += 1
            if self.calls > 40:  # the third epoch of 20 samples
                raise ZeroDivisionError("the model's own bug")
            return self.w * x[0]

    X, y = data.make_moons(20, seed=0)
    with pytest.raises(ZeroDivisionError) as caught:
        training.fit(Broken(), X, y, loss="mse", epochs=5, progress=False)
    assert str(caught.value) == "the model's own bug"
    if sys.version_info >= (3, 11):
        assert caught.value.__notes__ == ["fit: raised in epoch 3"]


def test_divergence_is_said_only_of_numbers_too_large_for_a_float() -> None:
    X, _ = data.make_moons(20, seed=0)
    model = nn.MLP(2, [4, 1], activation="relu", seed=0)
    with pytest.raises(OverflowError, match=r"^fit: the training diverged in epoch \d+ \(.*\); "):
        training.fit(model, X, [1e300] * 20, loss="mse", lr=1.0, epochs=50, progress=False)


def test_an_overflow_in_a_custom_loss_is_the_users_with_a_hint() -> None:
    X, y = data.make_moons(20, seed=0)

    def huge(outputs: Any, targets: Any) -> Any:
        return math.exp(1000.0)

    with pytest.raises(OverflowError) as caught:
        training.fit(nn.MLP(2, [4, 1], seed=0), X, y, loss=huge, epochs=2, progress=False)
    assert str(caught.value) == "math range error"
    if sys.version_info >= (3, 11):
        assert caught.value.__notes__[0] == "fit: raised by the loss function huge in epoch 1"
        assert "try a smaller learning rate" in caught.value.__notes__[1]


@pytest.mark.skipif(sys.platform == "win32", reason="file modes are POSIX")
def test_a_read_only_checkpoint_is_refused_before_training(tmp_path: Path) -> None:
    X, y = data.make_moons(20, seed=0)
    model = nn.MLP(2, [4, 1], seed=0)
    path = model.save(tmp_path / "ckpt.json")
    path.chmod(0o444)
    before = model.state_dict()
    try:
        with pytest.raises(PermissionError, match="read-only") as caught:
            training.fit(model, X, y, epochs=2, checkpoint=path, progress=False)
    finally:
        path.chmod(0o644)
    assert caught.value.filename == str(path) and model.state_dict() == before
