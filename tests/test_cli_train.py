"""`autograd-core train` and `demo`: the README's main job, its artefacts and its failure modes."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

import autograd_core
import autograd_core as ag
from autograd_core import cli, nn, training
from autograd_core.data import make_moons

PNG = b"\x89PNG\r\n\x1a\n"


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = cli.main(argv)
    out, err = capsys.readouterr()
    return status, out, err


@pytest.mark.slow
def test_default_train_is_micrograds_demo_and_reaches_full_accuracy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run(["train", "--out", str(tmp_path)], capsys)
    assert status == 0, err
    assert err == ""  # stderr is no terminal here: no progress bar
    assert "data:  moons, 100 points, noise 0.1, seed 1337" in out
    assert (
        "MLP(2, [16, 16, 1], activation='relu', output_activation=None) with 337 parameters" in out
    )
    assert "hinge loss + 0.0001·L2, sgd lr 1 → 0.1 (linear), full batch, 100 epochs" in out
    assert "final training accuracy: 100.0% (100/100)" in out
    assert re.search(r"done:  100 epochs in [\d.]+ s \([\d.]+ ms per epoch\)", out)
    assert len(re.findall(r"^  epoch +\d+/100 ", out, flags=re.M)) == 10  # a log line per 10 epochs

    names = ["model.json", "history.csv", "history.png", "decision_boundary.png", "graph.svg"]
    for name in names:
        assert f"wrote {tmp_path / name}" in out
    # model.json: the trained model, whose accuracy is the one printed
    model = nn.load_model(tmp_path / "model.json")
    assert isinstance(model, nn.MLP) and model.nouts == [16, 16, 1]
    X, y = make_moons(100, noise=0.1, seed=1337)
    assert training.evaluate(model, X, y)["accuracy"] == 1.0
    meta = json.loads((tmp_path / "model.json").read_text())["metadata"]
    assert meta["dataset"] == "moons" and meta["epochs"] == 100 and meta["final"]["accuracy"] == 1.0
    # history.csv: one row per epoch, lr following micrograd's 1.0 − 0.9·k/100
    with open(tmp_path / "history.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 100
    assert [float(r["lr"]) for r in rows] == pytest.approx(
        [1.0 - 0.9 * k / 100 for k in range(100)]
    )
    assert float(rows[-1]["loss"]) < float(rows[0]["loss"])
    # the pictures
    assert (tmp_path / "history.png").read_bytes().startswith(PNG)
    assert (tmp_path / "decision_boundary.png").read_bytes().startswith(PNG)
    svg = (tmp_path / "graph.svg").read_text()
    assert (
        "<svg" in svg and ">loss<" in svg and ">x0<" in svg
    )  # the loss of one sample, inputs drawn


def test_demo_prints_the_gradient_example_then_trains(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run(["demo", "--epochs", "3", "--out", str(tmp_path)], capsys)
    assert status == 0
    assert out.startswith("y = (a*b + tanh(a))**2 / 2")
    assert "dy/da  = 14.752122" in out  # the engine's example, as before
    assert "final training accuracy" in out and (tmp_path / "model.json").exists()


def test_default_output_directory_is_runs_timestamp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    status, out, _ = run(["train", "--epochs", "2"], capsys)
    assert status == 0
    (run_dir,) = (tmp_path / "runs").iterdir()
    assert re.fullmatch(r"\d{8}-\d{6}", run_dir.name)
    assert (
        run_dir / "model.json"
    ).exists() and f"wrote {Path('runs') / run_dir.name / 'model.json'}" in out


def test_runs_in_the_same_second_get_their_own_directories(tmp_path: Path) -> None:
    now = datetime(2026, 1, 2, 3, 4, 5)
    first = cli._new_run_directory(tmp_path, now)
    assert first.name == "20260102-030405"
    first.mkdir()
    second = cli._new_run_directory(tmp_path, now)
    assert second.name == "20260102-030405-2"


def test_without_matplotlib_the_plots_are_skipped_with_a_hint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    if "plot" in vars(autograd_core):  # (plain getattr would import it: ag.plot is lazy)
        monkeypatch.delattr(autograd_core, "plot")
    monkeypatch.setitem(sys.modules, "autograd_core.plot", None)  # `import` now fails
    status, out, _ = run(["train", "--epochs", "2", "--out", str(tmp_path)], capsys)
    assert status == 0
    assert "skipped decision_boundary.png and history.png: matplotlib is not installed " in out
    assert "pip install 'autograd-core[plot]'" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["graph.svg", "history.csv", "model.json"]


def test_without_a_graphviz_renderer_the_graph_is_skipped_with_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def no_renderer(*args: object, **kwargs: object) -> None:
        raise ag.viz.RendererNotFoundError("no Graphviz renderer found; install graphviz")

    monkeypatch.setattr(ag.viz, "save_graph", no_renderer)
    status, out, _ = run(["train", "--epochs", "2", "--out", str(tmp_path)], capsys)
    assert status == 0
    assert "skipped graph.svg: no Graphviz renderer found; install graphviz" in out
    assert (tmp_path / "model.json").exists() and not (tmp_path / "graph.svg").exists()


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (
            ["--dataset", "spiral", "--samples", "30", "--optimizer", "adam", "--lr", "0.02"],
            "cross_entropy loss",
        ),
        (["--dataset", "xor", "--hidden", "4"], "hinge loss"),
        (
            ["--dataset", "circles", "--loss", "bce", "--schedule", "cosine", "--batch-size", "16"],
            "bce loss",
        ),
        (
            ["--dataset", "moons", "--loss", "bce_logits", "--momentum", "0.9", "--lr", "0.1"],
            "bce_logits loss",
        ),
    ],
)
def test_other_data_sets_and_options(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], expected: str
) -> None:
    status, out, err = run(["train", *argv, "--epochs", "3", "--out", str(tmp_path)], capsys)
    assert status == 0, err
    assert expected in out and "final training accuracy" in out
    assert (tmp_path / "decision_boundary.png").read_bytes().startswith(PNG)
    model = nn.load_model(tmp_path / "model.json")
    if "spiral" in argv:
        assert model.config()["nouts"][-1] == 3  # one logit per class
    if "bce" in argv:
        assert model.config()["output_activation"] == "sigmoid"


def test_regression_on_the_linear_data_set(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run(
        ["train", "--dataset", "linear", "--hidden", "--lr", "0.5", "--out", str(tmp_path)], capsys
    )
    assert status == 0
    assert "final training mse loss:" in out and "accuracy" not in out
    assert "skipped decision_boundary.png: the data is not two-dimensional" in out
    model = nn.load_model(tmp_path / "model.json")
    assert isinstance(model, nn.MLP) and model.nouts == [1]  # no hidden layer: a straight line
    w, b = model.parameters()[0].data, model.parameters()[1].data
    assert (w, b) == pytest.approx((3.0, 2.0), abs=0.25)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--dataset", "linear", "--loss", "hinge"],
            "the linear data set is a regression problem: use --loss mse",
        ),
        (
            ["--optimizer", "adam", "--momentum", "0.9"],
            "--momentum applies to --optimizer sgd only",
        ),
        (
            ["--dataset", "spiral", "--classes", "1"],
            "make_spiral: n_classes must be an integer >= 2",
        ),
    ],
)
def test_inconsistent_options_exit_with_status_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    status, _, err = run(["train", *argv, "--out", str(tmp_path)], capsys)
    assert status == 2
    assert err.startswith("autograd-core train: error: ") and message in err
    assert not (tmp_path / "model.json").exists()


@pytest.mark.parametrize(
    "argv",
    [
        ["--epochs", "0"],
        ["--lr", "-1"],
        ["--lr", "nan"],
        ["--hidden", "x"],
        ["--dataset", "mnist"],
        ["--target-loss", "nan"],
        ["--target-loss", "0.1x"],
        ["--epochs", "3", "stray-word"],
    ],
)
def test_bad_values_are_argparse_errors(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        cli.main(["train", *argv])
    assert exc.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_an_out_that_cannot_be_a_directory_is_refused_before_training(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    existing = tmp_path / "notes.txt"
    existing.write_text("keep me", encoding="utf-8")
    for out, message in [
        (existing, "is a file; it must be a directory"),
        (existing / "run1", "is inside"),
    ]:
        status, printed, err = run(["train", "--epochs", "500", "--out", str(out)], capsys)
        assert status == 2
        assert err.startswith("autograd-core train: error: --out ") and message in err
        assert printed == ""  # refused before the plan is printed, let alone any epoch
    assert existing.read_text(encoding="utf-8") == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_divergence_exits_with_status_1_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [
        "train",
        "--dataset",
        "linear",
        "--lr",
        "1e150",
        "--epochs",
        "50",
        "--out",
        str(tmp_path),
    ]
    status, _, err = run(argv, capsys)
    assert status == 1
    assert "error: fit: the training diverged in epoch" in err and "smaller learning rate" in err
    assert list(tmp_path.iterdir()) == []


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_in_a_terminal_the_progress_bar_replaces_the_epoch_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    terminal = FakeTerminal()
    monkeypatch.setattr("sys.stderr", terminal)
    status, out, _ = run(["train", "--epochs", "5", "--out", str(tmp_path)], capsys)
    assert status == 0
    assert "5/5" in terminal.getvalue() and "loss=" in terminal.getvalue()
    assert "  epoch " not in out
    terminal.truncate(0)
    run(["train", "--epochs", "5", "--no-progress", "--out", str(tmp_path)], capsys)
    assert terminal.getvalue() == ""


def test_the_console_entry_point_runs_in_a_fresh_process(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "autograd_core", "train", "--epochs", "2", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stderr
    assert "final training accuracy" in result.stdout and result.stderr == ""
    assert (tmp_path / "model.json").exists()


@pytest.mark.slow
def test_train_animate_writes_training_gif_beside_the_other_pictures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("matplotlib")
    from PIL import Image

    status, out, err = run(
        ["train", "--epochs", "6", "--animate", "--no-graph", "--out", str(tmp_path)], capsys
    )
    assert status == 0, err
    assert f"wrote {tmp_path / 'training.gif'}" in out
    with Image.open(tmp_path / "training.gif") as gif:
        assert gif.n_frames == 6  # one frame per epoch
    assert (tmp_path / "decision_boundary.png").exists()
