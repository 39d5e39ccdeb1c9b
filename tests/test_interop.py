"""autograd_core.interop: models to PyTorch and back, and graphs replayed in PyTorch.

The PyTorch tests take the ``torch`` fixture (tests/conftest.py): skipped when torch is missing,
a failure when CI=true. The tests that PyTorch stays optional run without it.
"""

from __future__ import annotations

import math
import pathlib
import random
import subprocess
import sys
import textwrap
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd_core as ag
from autograd_core import interop, nn, ops
from autograd_core.engine import Value, topological_order

BUILT_IN_ROWS = [
    getattr(ops, name) for name in ops.__all__ if isinstance(getattr(ops, name), ops.Op)
]


def close(ours: float, theirs: float, scale: float = 1.0, tol: float = 1e-12) -> bool:
    """Equal up to ``tol`` relative to the larger of the two and ``scale`` (1 by default)."""
    if math.isinf(ours) or math.isinf(theirs):
        return ours == theirs
    return abs(ours - theirs) <= tol * max(abs(ours), abs(theirs), scale)


# -- PyTorch stays optional ------------------------------------------------------------------


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_package_and_interop_import_without_torch() -> None:
    result = run_python(
        """
        import sys
        sys.modules["torch"] = None  # any `import torch` now raises ImportError
        import autograd_core as ag
        import autograd_core.interop as interop
        from autograd_core import nn
        model = nn.MLP(2, [3, 1], seed=0)
        calls = [
            ("to_torch", lambda: interop.to_torch(model)),
            ("from_torch", lambda: interop.from_torch(None)),
            ("graph_to_torch", lambda: interop.graph_to_torch(ag.Value(1.0) * 2)),
        ]
        for name, call in calls:
            try:
                call()
            except ImportError as exc:
                print(name, "|", exc)
            else:
                print(name, "| no error")
        """
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [line.split(" | ")[0] for line in lines] == ["to_torch", "from_torch", "graph_to_torch"]
    for line in lines:
        name, message = line.split(" | ")
        assert message == (
            f"{name} needs PyTorch: pip install torch (or pip install 'autograd-core[torch]')"
        )


def test_importing_interop_does_not_import_torch() -> None:
    result = run_python(
        """
        import sys
        import autograd_core, autograd_core.interop
        print("torch" in sys.modules)
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


# -- to_torch -----------------------------------------------------------------------------------


def torch_grads(torch: Any, net: Any) -> list[float]:
    """The gradients of a to_torch Sequential, in the order of our ``parameters()``."""
    grads: list[float] = []
    for module in net:
        if isinstance(module, torch.nn.Linear):
            for row, b in zip(module.weight.grad.tolist(), module.bias.grad.tolist()):
                grads.extend([*row, b])
    return grads


def compare_forward_and_backward(torch: Any, model: nn.Module, nin: int, seed: int) -> None:
    rng = random.Random(seed)
    X = [[rng.uniform(-2, 2) for _ in range(nin)] for _ in range(6)]
    net = interop.to_torch(model)

    outputs = model(X) if isinstance(model, nn.MLP) else [model(x) for x in X]
    rows = [o if isinstance(o, list) else [o] for o in outputs]
    nout = len(rows[0])
    weights = [[rng.uniform(-1, 1) for _ in range(nout)] for _ in X]
    loss = ag.sum(o * w for row, ws in zip(rows, weights) for o, w in zip(row, ws))
    loss.backward()

    theirs = net(torch.tensor(X, dtype=torch.float64))
    assert theirs.shape == (len(X), nout)
    for row, t_row in zip(rows, theirs.tolist()):
        for o, t in zip(row, t_row):
            assert close(o.data, t), (o.data, t)
    (theirs * torch.tensor(weights, dtype=torch.float64)).sum().backward()
    ours = [p.grad for p in model.parameters()]
    expected = torch_grads(torch, net)
    assert len(ours) == len(expected) == model.num_parameters
    for name_and_p, g in zip(model.named_parameters(), expected):
        name, p = name_and_p
        assert close(p.grad, g), (name, p.grad, g)
    assert any(g != 0.0 for g in ours)


@pytest.mark.parametrize("output", nn.ACTIVATIONS)
@pytest.mark.parametrize("hidden", nn.ACTIVATIONS)
def test_to_torch_outputs_and_gradients_equal_ours_for_every_activation(
    torch: Any, hidden: str, output: str
) -> None:
    model = nn.MLP(3, [5, 4, 2], activation=hidden, output_activation=output, seed=7)
    compare_forward_and_backward(torch, model, 3, seed=11)


def test_to_torch_uses_the_leaky_relu_slope_of_nn(torch: Any) -> None:
    net = interop.to_torch(nn.MLP(2, [3, 1], activation="leaky_relu", seed=0))
    assert net[1].negative_slope == ops.LEAKY_RELU.defaults[0] == 0.01
    # the slope matters in the comparison above: some pre-activations are negative there
    model = nn.MLP(3, [5, 4, 2], activation="leaky_relu", seed=7)
    pre = [z.data for x in ([0.5, -1.0, 2.0], [-1.5, 0.2, 0.3]) for z in model.layers[0](x)]
    assert any(z < 0 for z in pre)


def test_to_torch_takes_a_single_output_mlp_a_layer_and_a_neuron(torch: Any) -> None:
    compare_forward_and_backward(torch, nn.MLP(2, [16, 16, 1], seed=0), 2, seed=1)
    compare_forward_and_backward(torch, nn.Layer(4, 3, activation="tanh", seed=0), 4, seed=2)
    compare_forward_and_backward(torch, nn.Neuron(3, activation="sigmoid", seed=0), 3, seed=3)
    assert [type(m).__name__ for m in interop.to_torch(nn.Neuron(3, seed=0))] == [
        "Linear",
        "ReLU",
    ]


def test_to_torch_copies_weights_and_leaves_torch_random_state_alone(torch: Any) -> None:
    model = nn.MLP(2, [3, 1], seed=0)
    before = model.state_dict()
    state = torch.get_rng_state()
    net = interop.to_torch(model)
    assert torch.equal(torch.get_rng_state(), state)
    assert net[0].weight.dtype == torch.float64 and net[0].weight.requires_grad
    with torch.no_grad():
        net[0].weight.add_(1.0)
    assert model.state_dict() == before


def test_to_torch_dtype(torch: Any) -> None:
    model = nn.MLP(2, [3, 1], activation="tanh", seed=0)
    net = interop.to_torch(model, dtype=torch.float32)
    assert {p.dtype for p in net.parameters()} == {torch.float32}
    x = [0.25, -0.5]
    assert abs(net(torch.tensor(x)).item() - model(x).data) < 1e-5
    with pytest.raises(TypeError, match=r"^to_torch: dtype must be a torch\.dtype .*got str"):
        interop.to_torch(model, dtype="float64")
    with pytest.raises(ValueError, match=r"^to_torch: dtype must be a floating-point type"):
        interop.to_torch(model, dtype=torch.int64)


def test_to_torch_refuses_other_modules(torch: Any) -> None:
    class Line(nn.Module):
        pass

    with pytest.raises(TypeError, match=r"^to_torch: expected an nn\.MLP.*got Line"):
        interop.to_torch(Line())


def test_every_activation_of_nn_has_a_torch_module(torch: Any) -> None:
    # a new activation row in the op table fails here until to_torch knows it
    for name in nn.ACTIVATIONS:
        net = interop.to_torch(nn.Layer(2, 2, activation=name, seed=0))
        assert len(net) == (1 if name == "linear" else 2)


# -- from_torch and round trips ----------------------------------------------------------------


def bits(state: dict[str, float]) -> dict[str, str]:
    return {name: value.hex() for name, value in state.items()}


@pytest.mark.parametrize("output", nn.ACTIVATIONS)
@pytest.mark.parametrize("hidden", nn.ACTIVATIONS)
def test_mlp_to_torch_to_mlp_is_bit_exact(torch: Any, hidden: str, output: str) -> None:
    model = nn.MLP(3, [4, 4, 2], activation=hidden, output_activation=output, seed=3)
    back = interop.from_torch(interop.to_torch(model))
    assert back.config() == model.config()
    assert bits(back.state_dict()) == bits(model.state_dict())
    x = [0.3, -1.7, 2.2]
    assert [o.data for o in back(x)] == [o.data for o in model(x)]


def test_torch_to_mlp_to_torch_is_bit_exact(torch: Any) -> None:
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Linear(4, 6),
        torch.nn.LeakyReLU(),
        torch.nn.Linear(6, 6),
        torch.nn.LeakyReLU(0.01),
        torch.nn.Linear(6, 3),
        torch.nn.Identity(),
    ).double()
    model = interop.from_torch(net)
    assert model.config() == {
        "type": "MLP",
        "nin": 4,
        "nouts": [6, 6, 3],
        "activation": "leaky_relu",
        "output_activation": "linear",
    }
    again = interop.to_torch(model)
    theirs = dict(net.named_parameters())
    mine = dict(again.named_parameters())
    assert list(theirs) == list(mine) == [f"{i}.{p}" for i in (0, 2, 4) for p in ("weight", "bias")]
    assert len(again) == len(net) - 1  # the Identity at the end is dropped
    for (_, a), (_, b) in zip(theirs.items(), mine.items()):
        assert torch.equal(a, b)


def test_from_torch_reads_float32_weights_exactly(torch: Any) -> None:
    torch.manual_seed(1)
    net = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Sigmoid())
    model = interop.from_torch(net)
    assert model.config()["output_activation"] == "sigmoid"
    assert model.state_dict()["layers.0.neurons.2.w.1"] == float(net[0].weight[2, 1].item())
    assert model.state_dict()["layers.0.neurons.1.b"] == float(net[0].bias[1].item())


def test_a_model_trained_here_keeps_training_in_torch(torch: Any) -> None:
    # one SGD step on each side from the same weights gives the same weights
    X, y = ag.data.make_moons(20, noise=0.1, seed=0)
    model = nn.MLP(2, [8, 8, 1], seed=0)
    net = interop.to_torch(model)
    loss = ag.losses.mse_loss(model(X), y)
    loss.backward()
    ag.optim.SGD(model.parameters(), lr=0.1).step()

    t_out = net(torch.tensor(X, dtype=torch.float64))[:, 0]
    t_loss = ((t_out - torch.tensor(y, dtype=torch.float64)) ** 2).mean()
    assert close(loss.data, t_loss.item())
    t_loss.backward()
    torch.optim.SGD(net.parameters(), lr=0.1).step()
    stepped = interop.from_torch(net).state_dict()
    for name, value in model.state_dict().items():
        assert close(value, stepped[name]), name


def seq(torch: Any, *modules: Any) -> Any:
    return torch.nn.Sequential(*modules)


@pytest.mark.parametrize(
    ("build", "error", "match"),
    [
        (
            lambda t: seq(t, t.nn.Linear(2, 3), t.nn.Dropout(0.5)),
            TypeError,
            r"^from_torch: layer 1 \(Dropout\(p=0\.5, inplace=False\)\) cannot be translated; "
            r"an MLP is made of Linear layers, each followed by at most one of ReLU, Tanh",
        ),
        (
            lambda t: seq(t, t.nn.Conv1d(1, 1, 3)),
            TypeError,
            r"^from_torch: layer 0 \(Conv1d\(1, 1, kernel_size=\(3,\), stride=\(1,\)\)\) cannot",
        ),
        (
            lambda t: seq(t, t.nn.Linear(2, 3), t.nn.Softmax(dim=-1)),
            TypeError,
            r"^from_torch: layer 1 \(Softmax\(dim=-1\)\) cannot be translated",
        ),
        (
            lambda t: seq(t, t.nn.Linear(2, 3), t.nn.GELU()),
            TypeError,
            r"^from_torch: layer 1 \(GELU\(approximate='none'\)\) cannot be translated",
        ),
        (
            lambda t: seq(t, seq(t, t.nn.Linear(2, 3))),
            TypeError,
            r"^from_torch: layer 0 \(Sequential\( \(0\): Linear\(.*cannot be translated",
        ),
        (
            lambda t: seq(t, t.nn.Linear(2, 3), t.nn.LeakyReLU(0.2)),
            ValueError,
            r"^from_torch: layer 1 \(LeakyReLU\(negative_slope=0\.2\)\): negative_slope must be "
            r"0\.01 \(nn's leaky_relu\), got 0\.2",
        ),
        (
            lambda t: seq(t, t.nn.Linear(2, 3), t.nn.Linear(4, 1)),
            ValueError,
            r"^from_torch: layer 1 \(Linear\(in_features=4, .*\)\): takes 4 input\(s\), but the "
            r"layer before it has 3 output\(s\)",
        ),
        (
            lambda t: seq(t, t.nn.Linear(2, 3, bias=False)),
            ValueError,
            r"^from_torch: layer 0 \(Linear\(.*bias=False\)\): a Linear layer without a bias",
        ),
        (
            lambda t: seq(t, t.nn.ReLU(), t.nn.Linear(2, 3)),
            ValueError,
            r"^from_torch: layer 0 \(ReLU\(\)\): the first layer must be a Linear layer",
        ),
        (
            lambda t: seq(t, t.nn.Linear(2, 3), t.nn.ReLU(), t.nn.Tanh()),
            ValueError,
            r"^from_torch: layer 2 \(Tanh\(\)\): a second activation after the same Linear",
        ),
        (
            lambda t: seq(t, t.nn.Linear(2, 3), t.nn.Identity(), t.nn.Tanh()),
            ValueError,
            r"^from_torch: layer 2 \(Tanh\(\)\): a second activation after the same Linear",
        ),
        (
            lambda t: seq(
                t, t.nn.Linear(2, 3), t.nn.ReLU(), t.nn.Linear(3, 3), t.nn.Tanh(), t.nn.Linear(3, 1)
            ),
            ValueError,
            r"^from_torch: the hidden layers use different activations \(relu, tanh\); an MLP",
        ),
        (
            lambda t: seq(t, t.nn.Linear(2, 3), t.nn.ReLU(), t.nn.Linear(3, 3), t.nn.Linear(3, 1)),
            ValueError,
            r"^from_torch: the hidden layers use different activations \(linear, relu\)",
        ),
        (lambda t: seq(t), ValueError, r"^from_torch: the Sequential is empty"),
        (
            lambda t: t.nn.Linear(2, 3),
            TypeError,
            r"^from_torch: expected a torch\.nn\.Sequential of Linear layers and activations, "
            r"got Linear",
        ),
    ],
)
def test_from_torch_refuses_what_is_not_an_mlp_naming_the_layer(
    torch: Any, build: Callable[[Any], Any], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        interop.from_torch(build(torch))


def test_from_torch_refuses_non_finite_weights(torch: Any) -> None:
    net = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.ReLU(), torch.nn.Linear(2, 1))
    with torch.no_grad():
        net[2].weight[0, 1] = float("nan")
    with pytest.raises(
        ValueError, match=r"^from_torch: parameter layers\.1\.neurons\.0\.w\.1 is nan"
    ):
        interop.from_torch(net)


def test_a_single_linear_layer_becomes_a_one_layer_mlp(torch: Any) -> None:
    torch.manual_seed(2)
    model = interop.from_torch(torch.nn.Sequential(torch.nn.Linear(3, 2)))
    assert (model.nin, model.nouts, model.output_activation) == (3, [2], "linear")


# -- graph_to_torch ----------------------------------------------------------------------------


def check_replay(torch: Any, root: Value, tol: float = 1e-12) -> dict[Value, Any]:
    """Replay ``root`` in PyTorch; its value and every leaf's gradient must equal ours."""
    for node in topological_order(root):
        node.grad = 0.0
    root.backward()
    out, leaves = interop.graph_to_torch(root)
    assert out.dtype == torch.float64 and out.shape == ()
    assert close(root.data, out.item(), tol=tol), (root.data, out.item())
    expected_leaves = [n for n in topological_order(root) if n.op is None]
    assert list(leaves) == expected_leaves
    assert all(t.is_leaf and t.requires_grad and t.dtype == torch.float64 for t in leaves.values())
    assert all(t.item() == v.data for v, t in leaves.items())
    if out.requires_grad:
        out.backward()
    for leaf, tensor in leaves.items():
        theirs = 0.0 if tensor.grad is None else tensor.grad.item()
        assert close(leaf.grad, theirs, tol=tol), (leaf, leaf.grad, theirs)
    return leaves


# One node of each row, on inputs in its domain, built the way users build it.
ROW_EXAMPLES: dict[str, Callable[[Value, Value], Value]] = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "neg": lambda a, b: -a,
    "abs": lambda a, b: abs(b),
    "pow": lambda a, b: a**b,
    "pow_const": lambda a, b: b**3,
    "exp": lambda a, b: b.exp(),
    "log": lambda a, b: a.log(),
    "sqrt": lambda a, b: a.sqrt(),
    "tanh": lambda a, b: b.tanh(),
    "sigmoid": lambda a, b: b.sigmoid(),
    "relu": lambda a, b: a.relu(),
    "leaky_relu": lambda a, b: b.leaky_relu(0.3),
    "sin": lambda a, b: b.sin(),
    "cos": lambda a, b: b.cos(),
    "sum": lambda a, b: ag.sum([a, b, a * b]),
    "dot": lambda a, b: ag.dot([a, b], [b, a], a),
    "affine": lambda a, b: ag.dot([a, b], [0.5, -2.0], b),
    "cross_entropy": lambda a, b: ag.losses.cross_entropy([a, b, a * b], 2),
}


def test_the_examples_and_the_translations_cover_every_row_of_the_table(torch: Any) -> None:
    # a new row of the op table fails here until it has an example and a translation
    assert sorted(ROW_EXAMPLES) == sorted(op.name for op in BUILT_IN_ROWS)
    assert sorted(interop._translations(torch)) == sorted(ROW_EXAMPLES)


@pytest.mark.parametrize("name", sorted(ROW_EXAMPLES))
def test_graph_to_torch_replays_every_row(torch: Any, name: str) -> None:
    a, b = Value(1.7, label="a"), Value(-0.6, label="b")
    node = ROW_EXAMPLES[name](a, b)
    assert node.op is not None and node.op.base.name == name
    check_replay(torch, node * 1.3 + 0.2)


@pytest.mark.parametrize(
    ("build", "name"),
    [
        (lambda a: ag.dot([a, a], [2.0, 3.0]), "affine, bias bound to 0"),
        (lambda a: ag.dot([a, a], [2.0, 3.0], 0.75), "affine, bias bound"),
        (lambda a: ag.dot([2.0, 3.0], [a, a * a], a), "affine, numbers first, bias a Value"),
        (lambda a: ag.dot([a, a], [a, a * 2]), "dot without bias"),
        (lambda a: ag.dot([a, 2.0], [a, a]), "dot with a constant leaf"),
        (lambda a: ag.dot([], [], a), "dot of nothing but a bias"),
        (lambda a: a**0, "pow_const 0"),
        (lambda a: a**-1.5, "pow_const -1.5"),
        (lambda a: a**0.5, "pow_const 0.5"),
        (lambda a: 2.0**a, "pow with a constant base"),
        (lambda a: a.leaky_relu(), "leaky_relu default slope"),
        (lambda a: (-a).leaky_relu(0.2), "leaky_relu on the negative side"),
        (lambda a: ops.LEAKY_RELU.bind(0.5)(-a), "a bound op called directly"),
        (lambda a: ag.sum([a]), "sum of one"),
        (lambda a: ag.sum([a, 1.0, a * a, -2.5]), "sum with constants"),
    ],
)
def test_graph_to_torch_uses_bound_parameters(
    torch: Any, build: Callable[[Value], Value], name: str
) -> None:
    check_replay(torch, build(Value(1.3, label="a")))


@pytest.mark.parametrize(
    ("build", "expected_grad"),
    [
        (lambda x: x.relu(), 0.0),  # relu'(0) = 0
        (lambda x: abs(x), 0.0),  # abs'(0) = 0
        (lambda x: x**0, 0.0),  # d(x**0)/dx = 0 at 0
        (lambda x: x.sqrt(), math.inf),  # sqrt'(0) = inf
        (lambda x: x**0.5, math.inf),
        (lambda x: x.leaky_relu(0.25), 0.25),  # the slope at 0, as PyTorch
        (lambda x: x ** Value(2.0), 0.0),  # d(x**y)/dx at x = 0
        (lambda x: Value(0.0) ** (x + 2.0), 0.0),  # d(0**y)/dy = 0 for y >= 0
    ],
)
def test_edge_points_agree_with_pytorch(
    torch: Any, build: Callable[[Value], Value], expected_grad: float
) -> None:
    x = Value(0.0, label="x")
    leaves = check_replay(torch, build(x), tol=0.0)
    assert x.grad == expected_grad and leaves[x].grad.item() == expected_grad


def test_an_mlp_loss_graph_replays(torch: Any) -> None:
    X, y = ag.data.make_moons(12, noise=0.1, seed=3)
    model = nn.MLP(2, [6, 6, 1], activation="tanh", seed=2)
    loss = ag.losses.hinge_loss(model(X), [2 * t - 1 for t in y]) + 1e-4 * ag.losses.l2_penalty(
        model.parameters()
    )
    leaves = check_replay(torch, loss)
    assert set(model.parameters()) <= set(leaves)
    assert {n.op.base.name for n in topological_order(loss) if n.op} >= {"affine", "dot", "tanh"}


def test_a_leaf_replays_as_itself(torch: Any) -> None:
    x = Value(2.5, label="x")
    out, leaves = interop.graph_to_torch(x)
    assert leaves == {x: out} and out.item() == 2.5 and out.requires_grad


def test_graph_to_torch_refuses_what_is_not_a_value(torch: Any) -> None:
    with pytest.raises(TypeError, match=r"^graph_to_torch: expected a Value, got float"):
        interop.graph_to_torch(2.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^graph_to_torch: translations must be a mapping"):
        interop.graph_to_torch(Value(1.0) * 2, translations=[("x", abs)])  # type: ignore[arg-type]


# An op of our own, registered once for this module.
SOFTPLUS = ops.register_op(
    "interop_test_softplus",
    lambda x: math.log1p(math.exp(x)),
    lambda out, x: (1.0 / (1.0 + (-x).exp()) if isinstance(x, Value) else 1 / (1 + math.exp(-x)),),
)


def test_a_custom_op_without_translation_is_refused_by_name(torch: Any) -> None:
    y = SOFTPLUS(Value(0.5, label="x"))
    y.label = "y"
    with pytest.raises(
        TypeError,
        match=r"^graph_to_torch: node 'y' was made by the op 'interop_test_softplus', which has "
        r"no PyTorch translation; pass translations=\{'interop_test_softplus': lambda torch",
    ):
        interop.graph_to_torch(y * 2.0)


def test_a_custom_op_with_a_translation_replays(torch: Any) -> None:
    x = Value(0.5, label="x")
    out = SOFTPLUS(x * x) + x
    out.backward()
    t, leaves = interop.graph_to_torch(
        out, translations={"interop_test_softplus": lambda t, z: t.nn.functional.softplus(z)}
    )
    t.backward()
    assert close(t.item(), out.data) and close(leaves[x].grad.item(), x.grad)


# -- random programs, every way of building a node -----------------------------------------------

# No magnitudes below 1e-6 (but 0): there 1/x is huge, and terms of that size that cancel leave
# rounding noise that depends on the order of the additions, not a gradient to compare.
finite = st.floats(-2.5, 2.5, allow_nan=False, allow_infinity=False).map(
    lambda x: 0.0 if abs(x) < 1e-6 else x
)


@st.composite
def programs(draw: st.DrawFn) -> Value:
    leaves = [Value(draw(finite), label=f"v{i}") for i in range(draw(st.integers(1, 4)))]
    pool: list[Value] = list(leaves)

    def pick() -> Value:
        return pool[draw(st.integers(0, len(pool) - 1))]

    def number() -> float:
        return draw(finite)

    def layer(x: list[Any]) -> list[Value]:
        activation = draw(st.sampled_from(nn.ACTIVATIONS))
        return nn.Layer(2, 2, activation=activation, seed=draw(st.integers(0, 9))).batch([x])[0]

    builders: list[Callable[[], Any]] = [
        lambda: pick() + pick(),
        lambda: number() - pick(),
        lambda: pick() * number(),
        lambda: pick() / (pick() * pick() + 0.5),
        lambda: pick() ** draw(st.sampled_from([0, 1, 2, 3, -1.0, -2.5])),
        lambda: (pick() * pick() + 0.25) ** 0.5,
        lambda: (pick().sigmoid() + 0.5) ** pick().tanh(),
        lambda: 1.5 ** pick().tanh(),
        lambda: -pick(),
        lambda: abs(pick()),
        lambda: pick().leaky_relu(draw(st.sampled_from([0.01, 0.3, 1.5]))),
        lambda: pick().relu(),
        lambda: pick().sin().cos(),
        lambda: pick().tanh().exp(),
        lambda: (pick() * pick() + 0.5).log(),
        lambda: (pick() * pick() + 0.25).sqrt(),
        lambda: ag.sum([pick(), number(), pick()]),
        lambda: ag.dot([pick(), pick()], [pick(), pick()], pick()),
        lambda: ag.dot([pick(), pick()], [number(), number()], pick()),
        lambda: ag.dot([number(), number()], [pick(), pick()], number()),
        lambda: ag.dot([pick(), number()], [pick(), pick()]),
        lambda: ops.MUL(pick(), number()),
        lambda: layer([pick(), pick()]),
        lambda: layer([number(), number()]),
    ]
    for _ in range(draw(st.integers(1, 15))):
        try:
            made = builders[draw(st.integers(0, len(builders) - 1))]()
        except (ArithmeticError, ValueError):
            continue  # out of an op's domain (log of a negative number, an overflow)
        pool.extend(made if isinstance(made, list) else [made])
    return ag.sum(pool[len(leaves) :][-4:] or pool)


@settings(max_examples=150)
@given(programs())
def test_random_programs_replay_with_equal_values_and_gradients(torch: Any, root: Value) -> None:
    # A kink or an overflow makes a comparison meaningless; random floats avoid the kinks.
    check_replay(torch, root, tol=1e-11)


# -- the README's example ----------------------------------------------------------------------


def test_the_readme_example_runs_and_says_what_happens(torch: Any) -> None:
    readme = (pathlib.Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## To PyTorch") :]
    code = section[section.index("```python\n") + len("```python\n") :]
    code = code[: code.index("```")]
    namespace: dict[str, Any] = {}
    exec(compile(code, "README.md (To PyTorch)", "exec"), namespace)  # our own README
    model, out, leaves = namespace["model"], namespace["out"], namespace["leaves"]
    assert isinstance(model, nn.MLP) and model.nouts == [16, 16, 1]
    ours = model([0.5, -1.0])
    assert close(out.item(), ours.data)
    out.backward()
    ours.backward()
    assert set(model.parameters()) <= set(leaves)
    assert all(close(leaves[p].grad.item(), p.grad) for p in model.parameters())
