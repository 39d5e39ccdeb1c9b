"""Parameters are labelled with their place in the model (issue 10): ``L0.n3.w0``, ``L0.n3.b``."""

from __future__ import annotations

from pathlib import Path

import pytest

import autograd_core as ag
from autograd_core import nn


def test_every_parameter_of_an_mlp_has_a_unique_label_naming_its_place() -> None:
    model = nn.MLP(2, [16, 16, 1], seed=0)
    labels = [p.label for p in model.parameters()]
    assert len(set(labels)) == len(labels) == 337
    named = dict(model.named_parameters())
    assert named["layers.0.neurons.3.w.0"].label == "L0.n3.w0"
    assert named["layers.0.neurons.3.b"].label == "L0.n3.b"
    assert named["layers.2.neurons.0.w.15"].label == "L2.n0.w15"


def test_layer_and_neuron_labels_follow_their_own_names() -> None:
    layer = nn.Layer(3, 2, seed=0)
    assert [p.label for p in layer.parameters()] == [
        *("n0.w0", "n0.w1", "n0.w2", "n0.b"),
        *("n1.w0", "n1.w1", "n1.w2", "n1.b"),
    ]
    assert [p.label for p in nn.Neuron(2, seed=0).parameters()] == ["w0", "w1", "b"]


def test_the_label_shows_in_reprs_and_error_messages() -> None:
    model = nn.MLP(2, [3, 1], seed=0)
    w = dict(model.named_parameters())["layers.1.neurons.0.w.2"]
    assert "label='L1.n0.w2'" in repr(w)
    with ag.no_grad():
        w.data = -1.0
    with pytest.raises(ValueError, match=r"L1\.n0\.w2"):
        w.log()


def test_a_label_set_by_the_user_is_kept_through_training_and_loading(tmp_path: Path) -> None:
    model = nn.MLP(2, [3, 1], seed=0)
    first = model.parameters()[0]
    first.label = "my weight"
    path = model.save(tmp_path / "m.json")
    model.load(path)  # values change (here: to the same values), labels do not
    assert first.label == "my weight"
    opt = ag.optim.SGD(model.parameters(), lr=0.1)
    model([0.5, -1.0]).backward()
    opt.step()
    assert first.label == "my weight"


def test_a_loaded_model_is_labelled_like_a_new_one(tmp_path: Path) -> None:
    model = nn.MLP(3, [4, 2], seed=1)
    loaded = nn.load_model(model.save(tmp_path / "m.json"))
    assert [p.label for p in loaded.parameters()] == [p.label for p in model.parameters()]
    assert loaded.state_dict() == model.state_dict()
