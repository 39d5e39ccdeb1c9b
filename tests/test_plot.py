"""plot: the numpy forward pass behind the decision boundary is the model's own forward pass."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from autograd_core import nn, plot, training  # plot needs matplotlib: `make install` has it
from tests.test_training import run_in_kernel


def random_points(seed: int) -> Any:
    """Points around the origin, where every activation bends, and a few far out (saturation)."""
    rng = np.random.default_rng(seed)
    near = rng.uniform(-3.0, 3.0, size=(400, 2))
    far = rng.uniform(-40.0, 40.0, size=(40, 2))
    return np.vstack([near, far])


def assert_scores_are_predict(model: nn.Module, points: Any) -> None:
    scores = plot._scores(model, points)
    expected = np.array(training.predict(model, points.tolist()), dtype=float)
    assert scores.shape == (len(points), expected.size // len(points))
    np.testing.assert_allclose(scores, expected.reshape(scores.shape), rtol=0.0, atol=1e-12)


@pytest.mark.parametrize("output_activation", [None, "sigmoid"])
@pytest.mark.parametrize("activation", nn.ACTIVATIONS)
def test_numpy_scores_equal_predict_for_every_activation(
    activation: str, output_activation: str | None
) -> None:
    seed = nn.ACTIVATIONS.index(activation)
    model = nn.MLP(
        2, [8, 8, 1], activation=activation, output_activation=output_activation, seed=seed
    )
    points = random_points(seed)
    # Both sides of zero reach every hidden activation, so relu's and leaky_relu's negative
    # branch (the slope) are compared too, not only the identity for z > 0.
    first = model.layers[0].neurons
    z = points @ np.array([[w.data for w in n.w] for n in first]).T
    z += np.array([n.b.data for n in first])
    assert (z < 0).any() and (z > 0).any()
    assert_scores_are_predict(model, points)


@pytest.mark.parametrize("activation", nn.ACTIVATIONS)
def test_numpy_scores_equal_predict_for_layers_neurons_and_several_outputs(
    activation: str,
) -> None:
    points = random_points(7)
    assert_scores_are_predict(nn.MLP(2, [6, 3], activation=activation, seed=1), points)
    assert_scores_are_predict(nn.Layer(2, 4, activation=activation, seed=2), points)
    assert_scores_are_predict(nn.Neuron(2, activation=activation, seed=3), points)


def test_leaky_relu_slope_is_the_models() -> None:
    neuron = nn.Neuron(1, activation="leaky_relu", seed=0)
    neuron.load_state_dict({"w.0": 2.0, "b": 0.0})
    assert plot._leaky_relu_slope() * -6.0 == neuron([-3.0]).data


def test_other_models_go_through_their_own_forward_pass() -> None:
    class Doubled(nn.Module):
        """A model plot knows nothing about: two MLP outputs, the second one doubled."""

        def __init__(self) -> None:
            self.inner = nn.MLP(2, [4, 2], activation="tanh", seed=5)

        def __call__(self, x: Any) -> Any:
            first, second = self.inner(x)
            return [first, 2 * second]

        def named_parameters(self) -> list[tuple[str, Any]]:
            return self.inner.named_parameters()

    model = Doubled()
    assert plot._layers(model) is None
    assert_scores_are_predict(model, random_points(11)[:50])


# -- shown in Jupyter with nothing set up (issue 24) ------------------------------------------


def run_in_fresh_kernel(code: str) -> list[dict[str, Any]]:
    """Run ``code`` as one cell in a new IPython kernel; its display messages' data bundles."""
    shown = []
    for msg in run_in_kernel(code):
        if msg["msg_type"] in ("execute_result", "display_data"):
            shown.append(msg["content"]["data"])
    return shown


HISTORY = (
    "from autograd_core import plot\n"
    "from autograd_core.training import History\n"
    "h = History(loss=[1.0, 0.5, 0.25], accuracy=[0.5, 0.75, 1.0], lr=[0.1] * 3)\n"
)


@pytest.mark.slow
def test_a_plot_is_a_picture_in_a_fresh_kernel() -> None:
    shown = run_in_fresh_kernel(HISTORY + "plot.plot_history(h)")
    assert len(shown) == 1 and "image/png" in shown[0], [sorted(d) for d in shown]
    assert shown[0]["image/png"]  # (base64 of the PNG)


@pytest.mark.slow
def test_a_plot_is_shown_once_when_pyplot_is_in_use() -> None:
    code = (
        "import matplotlib.pyplot as plt\n%matplotlib inline\n" + HISTORY + "plot.plot_history(h)"
    )
    shown = run_in_fresh_kernel(code)
    assert [("image/png" in d) for d in shown] == [True], [sorted(d) for d in shown]


def test_the_figure_draws_itself_as_png() -> None:
    fig = plot.plot_history(training.History(loss=[1.0, 0.5]))
    assert isinstance(fig, plot.PlotFigure)
    png = fig._repr_png_()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 1000
