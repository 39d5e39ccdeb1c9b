"""plot.LiveTraining and fit(live=True): a picture kept up to date while training, and the
animation of it (issue 25)."""

from __future__ import annotations

import base64
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("matplotlib")

import numpy as np
from PIL import Image

import autograd_core as ag
from autograd_core import live as live_module
from autograd_core import plot
from tests.test_training import run_in_kernel


def moons(n: int = 40) -> tuple[list[list[float]], list[int]]:
    return ag.data.make_moons(n, noise=0.1, seed=1)


def trained(epochs: int, every: int = 1, **options: Any) -> plot.LiveTraining:
    X, y = moons()
    model = ag.nn.MLP(2, [8, 1], seed=0)
    live = plot.LiveTraining(model, X, y, every=every, display=False, **options)
    ag.training.fit(model, X, y, epochs=epochs, lr=0.5, on_epoch=live, progress=False)
    return live


def test_frames_are_recorded_every_few_epochs_and_the_last_one_always() -> None:
    live = trained(epochs=11, every=4)
    assert live.epochs == [4, 8, 11]
    assert len(live.loss) == 11 and len(live.accuracy) == 11
    # a frame shows the weights of its epoch: the first and last differ
    assert not np.array_equal(live.frame(0), live.frame(-1))
    assert live.frame(0).shape == live.frame(-1).shape


def test_the_gif_has_a_frame_per_recorded_epoch_and_holds_the_last(tmp_path: Path) -> None:
    live = trained(epochs=6, every=2)
    path = live.save(tmp_path / "training.gif", fps=5)
    with Image.open(path) as gif:
        assert gif.format == "GIF" and gif.n_frames == len(live.epochs) == 3
        frames, durations = [], []
        for k in range(gif.n_frames):
            gif.seek(k)
            frames.append(np.asarray(gif.convert("RGB")))
            durations.append(gif.info["duration"])
        assert gif.info.get("loop") == 0  # plays forever
    assert durations[:-1] == [200, 200] and durations[-1] >= 2000
    height, width = live.frame(0).shape[:2]
    assert frames[0].shape == (height, width, 3)
    # each frame is the recorded one (up to the GIF's 32 colours)
    for k, frame in enumerate(frames):
        diffs = [np.abs(frame.astype(int) - live.frame(j).astype(int)).mean() for j in range(3)]
        assert int(np.argmin(diffs)) == k, diffs
    assert sorted(p.name for p in tmp_path.iterdir()) == ["training.gif"]  # no temporary left


def test_the_html_player_holds_every_frame_and_its_epoch(tmp_path: Path) -> None:
    live = trained(epochs=5, every=2)
    page = live.save(tmp_path / "training.html").read_text(encoding="utf-8")
    frames = json.loads(re.search(r"const frames = (\[.*?\]);", page).group(1))  # type: ignore[union-attr]
    epochs = json.loads(re.search(r"const epochs = (\[.*?\]);", page).group(1))  # type: ignore[union-attr]
    assert epochs == live.epochs == [2, 4, 5]
    assert len(frames) == 3 and all(f.startswith("data:image/png;base64,") for f in frames)
    image = Image.open(io.BytesIO(base64.b64decode(frames[-1].split(",", 1)[1])))
    assert image.size == live.frame().shape[1::-1]
    assert page.count("<script>") == 1 and "http" not in page.replace("http://www.w3.org", "")


def test_a_long_training_keeps_a_bounded_number_of_frames() -> None:
    live = trained(epochs=30, max_frames=4)
    assert len(live.epochs) <= 8 and live.epochs[-1] == 30
    assert live.epochs == sorted(live.epochs)
    with Image.open(io.BytesIO(live.to_gif())) as gif:
        assert gif.n_frames == 4


def test_fit_live_true_records_and_keeps_on_epoch() -> None:
    X, y = moons()
    model = ag.nn.MLP(2, [8, 1], seed=0)
    seen: list[int] = []
    history = ag.training.fit(
        model, X, y, epochs=3, on_epoch=lambda e, h: seen.append(e), live=True, progress=False
    )
    assert seen == [0, 1, 2]
    assert isinstance(history.live, plot.LiveTraining)
    assert history.live.epochs == [1, 2, 3] and history.live.loss == history.loss
    assert ag.training.fit(model, X, y, epochs=1, progress=False).live is None
    with pytest.raises(TypeError, match=r"fit: live must be True or False"):
        ag.training.fit(model, X, y, epochs=1, live="yes", progress=False)  # type: ignore[arg-type]


def test_the_display_is_one_output_updated_at_most_fps_times_a_second(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # a fake clock (no timing in the test): an epoch every 0.1 s for 2 s, at most 4 redraws/s
    clock = {"now": 0.0}
    monkeypatch.setattr(live_module.time, "monotonic", lambda: clock["now"])
    shown: list[dict[str, Any]] = []

    class Handle:
        def update(self, bundle: dict[str, Any], raw: bool) -> None:
            shown.append(bundle)

    displays: list[dict[str, Any]] = []

    def display(bundle: dict[str, Any], raw: bool, display_id: bool) -> Handle:
        displays.append(bundle)
        return Handle()

    import IPython.display

    monkeypatch.setattr(IPython.display, "display", display)
    X, y = moons()
    model = ag.nn.MLP(2, [4, 1], seed=0)
    live = plot.LiveTraining(model, X, y, fps=4.0, display=True)
    history = ag.training.History()
    for epoch in range(20):
        clock["now"] = 0.1 * epoch
        history.loss.append(1.0 / (epoch + 1))
        live(epoch, history)
    live.close()
    assert len(displays) == 1  # one output ...
    updates = len(displays) + len(shown)
    assert 2 <= updates <= 2.0 * 4 + 2  # ... redrawn at most 4 times a second, plus the end
    assert updates < 20  # epochs were skipped
    assert shown[-1]["text/plain"] == "epoch 20, loss 0.05"  # the end is always shown
    png = base64.b64decode(shown[-1]["image/png"])
    assert png.startswith(b"\x89PNG")


def test_bad_input_is_named(tmp_path: Path) -> None:
    X, y = moons(10)
    model = ag.nn.MLP(2, [3, 1], seed=0)
    with pytest.raises(ValueError, match=r"LiveTraining: every must be an integer >= 1, got 0"):
        plot.LiveTraining(model, X, y, every=0)
    with pytest.raises(ValueError, match=r"LiveTraining: fps must be"):
        plot.LiveTraining(model, X, y, fps=0)
    with pytest.raises(TypeError, match=r"LiveTraining: model must be an nn.MLP.*got Value"):
        plot.LiveTraining(ag.Value(1.0), X, y)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"LiveTraining: X must hold samples of 2 numbers"):
        plot.LiveTraining(model, [[1.0, 2.0, 3.0]], [1])
    with pytest.raises(ValueError, match=r"LiveTraining: y must have one target per sample"):
        plot.LiveTraining(model, X, y[:-1])
    live = plot.LiveTraining(model, X, y)
    with pytest.raises(ValueError, match=r"LiveTraining.save: no frame recorded yet"):
        live.save(tmp_path / "a.gif")
    ag.training.fit(model, X, y, epochs=1, on_epoch=live, progress=False)
    with pytest.raises(ValueError, match=r"LiveTraining.save: cannot tell the format from 'a.mp4'"):
        live.save(tmp_path / "a.mp4")
    assert list(tmp_path.iterdir()) == []


def test_regression_and_wide_inputs_draw_without_a_boundary() -> None:
    X, y = ag.data.make_linear(20, seed=0)
    model = ag.nn.MLP(1, [4, 1], seed=0)
    live = plot.LiveTraining(model, X, y, display=False)
    ag.training.fit(model, X, y, loss="mse", epochs=2, lr=0.01, on_epoch=live, progress=False)
    assert live.epochs == [1, 2] and live.accuracy == []
    assert live.frame().ndim == 3


@pytest.mark.slow
def test_fit_live_in_a_real_kernel_updates_one_display_several_times() -> None:
    messages = run_in_kernel(
        "import autograd_core as ag\n"
        "X, y = ag.data.make_moons(100, noise=0.1, seed=1)\n"
        "model = ag.nn.MLP(2, [16, 16, 1], seed=0)\n"
        "h = ag.training.fit(model, X, y, epochs=200, lr=0.5, live=True, progress=False)\n"
        "print(h.live.epochs[-1], h.live.updates)\n"
    )
    streams = [m["content"] for m in messages if m["msg_type"] == "stream"]
    assert [s["name"] for s in streams] == ["stdout"], streams  # nothing on stderr
    last_epoch, updates = map(int, streams[0]["text"].split())
    displays = [m for m in messages if m["msg_type"] == "display_data"]
    changes = [m for m in messages if m["msg_type"] == "update_display_data"]
    assert len(displays) == 1, [m["msg_type"] for m in messages]
    display_id = displays[0]["content"]["transient"]["display_id"]
    assert len(changes) >= 2 and len(changes) + 1 == updates
    assert all(m["content"]["transient"]["display_id"] == display_id for m in changes)
    pictures = [m["content"]["data"]["image/png"] for m in (*displays, *changes)]
    assert len(set(pictures)) == len(pictures)  # each update is a new picture
    assert last_epoch == 200
    assert changes[-1]["content"]["data"]["text/plain"].startswith("epoch 200, loss ")
