"""Neuron, Layer, MLP: forward formulas, graph shape, initialisation, seeding, state, JSON files."""

from __future__ import annotations

import contextlib
import json
import math
import os
import random
import statistics
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import autograd_core as ag
from autograd_core import Value, checkpoint, nn
from autograd_core.nn import MLP, CheckpointError, Layer, Neuron

ACTIVATION_FORMULAS = {
    "relu": lambda z: max(z, 0.0),
    "tanh": math.tanh,
    "sigmoid": lambda z: 1.0 / (1.0 + math.exp(-z)),
    "leaky_relu": lambda z: z if z > 0 else 0.01 * z,
    "linear": lambda z: z,
}


def ops_of(root: Value) -> list[str]:
    return [n.op.name for n in ag.topological_order(root) if n.op is not None]


# -- structure and forward pass ----------------------------------------------------------------


def test_mlp_parameter_count_names_and_order() -> None:
    model = MLP(2, [16, 16, 1], seed=0)
    assert model.num_parameters == len(model.parameters()) == 3 * 16 + 17 * 16 + 17 == 337
    named = model.named_parameters()
    assert [p for _, p in named] == model.parameters()  # same objects, same order
    assert len({id(p) for p in model.parameters()}) == 337
    assert named[0][0] == "layers.0.neurons.0.w.0"
    assert named[2][0] == "layers.0.neurons.0.b"
    assert named[-1][0] == "layers.2.neurons.0.b"
    assert all(p.is_leaf and p.label for p in model.parameters())  # labelled: drawn as parameters


@pytest.mark.parametrize("activation", list(ACTIVATION_FORMULAS))
def test_neuron_computes_activation_of_w_dot_x_plus_b(activation: str) -> None:
    neuron = Neuron(3, activation=activation, seed=0)
    neuron.load_state_dict({"w.0": 0.5, "w.1": -1.5, "w.2": 2.0, "b": 0.25})
    for x in ([1.0, 2.0, 3.0], [1.0, 2.0, -3.0], [0.0, 0.0, 0.0]):
        z = 0.25 + 0.5 * x[0] - 1.5 * x[1] + 2.0 * x[2]
        out = neuron(x)
        assert out.data == pytest.approx(ACTIVATION_FORMULAS[activation](z), rel=1e-15)
        # one affine node for w·x + b (the inputs are data, bound to the op), plus one node for
        # the activation (none when linear)
        assert ops_of(out) == (["affine"] if activation == "linear" else ["affine", activation])


def test_neuron_gradients_reach_weights_bias_and_inputs() -> None:
    neuron = Neuron(2, activation="tanh", seed=0)
    neuron.load_state_dict({"w.0": 0.3, "w.1": -0.7, "b": 0.1})
    x = [Value(1.5, label="x0"), Value(-2.0, label="x1")]
    out = neuron(x)
    out.backward()
    slope = 1.0 - out.data**2
    assert [w.grad for w in neuron.w] == pytest.approx([slope * 1.5, slope * -2.0])
    assert neuron.b.grad == pytest.approx(slope)
    assert [xi.grad for xi in x] == pytest.approx([slope * 0.3, slope * -0.7])


def test_mlp_graph_has_one_dot_and_one_activation_per_neuron() -> None:
    model = MLP(2, [16, 16, 1], seed=0)
    ops = ops_of(model([0.5, -0.5]))  # type: ignore[arg-type]
    # the first layer reads data (affine nodes), the others the previous layer's nodes (dot)
    assert ops.count("affine") == 16 and ops.count("dot") == 17
    assert ops.count("relu") == 32 and len(ops) == 65


def test_mlp_matches_a_hand_written_forward_pass() -> None:
    model = MLP(3, [4, 2], activation="tanh", output_activation="sigmoid", seed=3)
    x = [0.2, -1.0, 0.7]
    hidden = [
        math.tanh(n.b.data + sum(w.data * xi for w, xi in zip(n.w, x)))
        for n in model.layers[0].neurons
    ]
    expected = [
        1.0 / (1.0 + math.exp(-(n.b.data + sum(w.data * h for w, h in zip(n.w, hidden)))))
        for n in model.layers[1].neurons
    ]
    out = model(x)
    assert isinstance(out, list)
    assert [v.data for v in out] == pytest.approx(expected, rel=1e-14)
    assert model.layers[0].activation == "tanh" and model.layers[1].activation == "sigmoid"


def test_output_types_layer_always_list_mlp_value_for_one_output() -> None:
    layer = Layer(2, 1, seed=0)
    assert isinstance(layer([1.0, 2.0]), list) and len(layer([1.0, 2.0])) == 1
    assert isinstance(MLP(2, [3, 1], seed=0)([1.0, 2.0]), Value)
    multi = MLP(2, [3, 4], seed=0)([1.0, 2.0])
    assert isinstance(multi, list) and len(multi) == 4


def test_last_layer_is_linear_by_default_like_micrograd() -> None:
    model = MLP(2, [3, 3, 1], seed=0)
    assert [layer.activation for layer in model.layers] == ["relu", "relu", "linear"]
    assert model.output_activation == "linear"
    assert (
        MLP(2, [3, 1], output_activation="linear", seed=0).config()
        == model.__class__(2, [3, 1], seed=0).config()
    )


def test_one_input_model_accepts_a_bare_number_and_checks_input_length() -> None:
    model = MLP(1, [1], seed=0)
    assert model(2.0).data == model([2.0]).data  # type: ignore[union-attr]
    with pytest.raises(ValueError, match=r"MLP: expected 2 input\(s\), got 3"):
        MLP(2, [1], seed=0)([1.0, 2.0, 3.0])


def test_no_grad_forward_builds_no_graph() -> None:
    model = MLP(2, [4, 1], seed=0)
    with ag.no_grad():
        out = model([1.0, 2.0])
    assert isinstance(out, Value) and out.parents == ()


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: MLP(0, [1]), r"^MLP: nin must be an integer >= 1, got 0$"),
        (lambda: MLP(2, []), "^MLP: nouts must be a non-empty list"),
        (lambda: MLP(2, [3, 0]), r"^MLP: nouts\[1\] must be an integer >= 1, got 0$"),
        (lambda: MLP(2, [3], activation="swish"), "^MLP: unknown activation 'swish'; choose"),
        (
            lambda: MLP(2, [3], output_activation="swish"),
            "^MLP: unknown output_activation 'swish'",
        ),
        (lambda: MLP(2, [3], init="orthogonal"), "^MLP: unknown init 'orthogonal'"),
        (lambda: Neuron(2, fan_out=0), "^Neuron: fan_out must be an integer >= 1"),
    ],
)
def test_bad_values_are_value_errors(call: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: MLP(2, 3), "^MLP: nouts must be a list of layer widths, got int 3$"),
        (lambda: MLP(2, "33"), "^MLP: nouts must be a list of layer widths, got str '33'$"),
        (lambda: MLP(2, [3, 1.0]), r"^MLP: nouts\[1\] must be an integer, got float 1.0$"),
        (lambda: MLP(2, [3], activation=3), "^MLP: activation must be one of 'relu', .*int 3$"),
        (lambda: MLP(2, [3], init=None), "^MLP: init must be one of 'uniform', .*NoneType"),
        (lambda: Layer(2, True), "^Layer: nout must be an integer, got bool True$"),
        (lambda: Neuron(2.5), "^Neuron: nin must be an integer, got float 2.5$"),
        (lambda: Neuron("2"), "^Neuron: nin must be an integer, got str '2'$"),
    ],
)
def test_bad_types_are_type_errors(call: Any, message: str) -> None:
    with pytest.raises(TypeError, match=message):
        call()


def test_sizes_are_stored_as_plain_ints() -> None:
    numpy = pytest.importorskip("numpy")
    model = MLP(numpy.int64(2), [numpy.int32(3), 1], seed=0)
    assert type(model.nin) is int and all(type(w) is int for w in model.nouts)
    json.dumps(model.config())  # a numpy integer would not serialise


def test_repr_shows_the_signature_and_the_parameter_count() -> None:
    assert repr(MLP(2, [16, 16, 1], seed=0)) == (
        "MLP(2, [16, 16, 1], activation='relu', output_activation=None) with 337 parameters"
    )
    assert repr(Layer(3, 2, "tanh", seed=0)) == "Layer(3, 2, activation='tanh') with 8 parameters"
    assert repr(Neuron(4, None, seed=0)) == "Neuron(4, activation='linear') with 5 parameters"


def test_zero_grad() -> None:
    model = MLP(2, [3, 1], seed=0)
    model([1.0, 1.0]).backward()  # type: ignore[union-attr]
    assert any(p.grad for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


# -- initialisation and seeds ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("init", "activation", "bound"),
    [
        ("uniform", "relu", 1.0),
        ("he", "tanh", math.sqrt(6 / 60)),
        ("xavier", "relu", math.sqrt(6 / (60 + 50))),
        ("auto", "relu", math.sqrt(6 / 60)),  # He for ReLU
        ("auto", "leaky_relu", math.sqrt(6 / 60)),
        ("auto", "tanh", math.sqrt(6 / (60 + 50))),  # Xavier otherwise
        ("auto", "sigmoid", math.sqrt(6 / (60 + 50))),
    ],
)
def test_initialisation_draws_uniformly_within_the_bound(
    init: str, activation: str, bound: float
) -> None:
    layer = Layer(60, 50, activation, init=init, seed=1)
    weights = [w.data for n in layer.neurons for w in n.w]
    assert all(-bound <= w <= bound for w in weights)
    assert max(map(abs, weights)) > 0.99 * bound  # 3000 draws fill the interval
    assert statistics.pvariance(weights) == pytest.approx(bound**2 / 3, rel=0.1)  # U(−a, a)
    assert all(n.b.data == 0.0 for n in layer.neurons)


def test_default_init_is_micrograds_uniform() -> None:
    assert (
        MLP(2, [16, 1], seed=5).state_dict() == MLP(2, [16, 1], init="uniform", seed=5).state_dict()
    )
    assert Neuron(2, seed=5).init == "uniform"


def test_same_seed_same_weights_other_seed_other_weights() -> None:
    assert MLP(2, [8, 1], seed=42).state_dict() == MLP(2, [8, 1], seed=42).state_dict()
    assert MLP(2, [8, 1], seed=42).state_dict() != MLP(2, [8, 1], seed=43).state_dict()
    rng_a, rng_b = random.Random(7), random.Random(7)
    assert MLP(2, [8, 1], seed=rng_a).state_dict() == MLP(2, [8, 1], seed=rng_b).state_dict()


def test_seeded_models_leave_the_global_random_state_alone() -> None:
    random.seed(0)
    state = random.getstate()
    MLP(2, [8, 1], seed=1)
    assert random.getstate() == state


def test_unseeded_model_draws_micrograds_weights_from_the_global_random() -> None:
    import micrograd.nn  # in the dev extra: this check must run, not skip

    random.seed(1337)
    theirs = micrograd.nn.MLP(2, [16, 16, 1])
    random.seed(1337)
    ours = MLP(2, [16, 16, 1])
    assert [p.data for p in ours.parameters()] == [p.data for p in theirs.parameters()]
    x = [0.3, -1.1]
    assert ours(x).data == theirs(x).data  # type: ignore[union-attr]


def test_bad_seed_type() -> None:
    with pytest.raises(TypeError, match=r"^MLP: seed must be an int, a random.Random or None"):
        MLP(2, [1], seed="1")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^Layer: seed must be an int.*got bool True"):
        Layer(2, 1, seed=True)
    with pytest.raises(TypeError, match=r"^Neuron: seed must be an int.*got float 1.0"):
        Neuron(2, seed=1.0)  # type: ignore[arg-type]


# -- state dicts -------------------------------------------------------------------------------


def test_state_dict_round_trip_and_independence() -> None:
    a, b = MLP(2, [4, 1], seed=1), MLP(2, [4, 1], seed=2)
    state = a.state_dict()
    b.load_state_dict(state)
    assert b.state_dict() == state
    state["layers.0.neurons.0.w.0"] = 123.0  # a snapshot, not a view
    assert a.state_dict()["layers.0.neurons.0.w.0"] != 123.0


@pytest.mark.parametrize(
    ("edit", "error", "message"),
    [
        (lambda s: s.pop("b"), ValueError, r"^Neuron.load_state_dict: .* missing 1 key\(s\): 'b'$"),
        (lambda s: s.update(extra=1.0), ValueError, r"has 1 unexpected key\(s\): 'extra'$"),
        (lambda s: s.update(b="0.5"), TypeError, "parameter 'b' must be a real number, got str"),
        (lambda s: s.update(b=True), TypeError, "parameter 'b' must be a real number, got bool"),
        (lambda s: s.update(b=math.nan), ValueError, "parameter 'b' must be a finite number"),
        (lambda s: s.update({"w.1": math.inf}), ValueError, "parameter 'w.1' must be a finite"),
        (lambda s: s.update(b=10**400), ValueError, "parameter 'b' is too large"),
    ],
)
def test_load_state_dict_rejects_misfits_and_changes_nothing(
    edit: Any, error: type[Exception], message: str
) -> None:
    neuron = Neuron(2, seed=0)
    before = neuron.state_dict()
    state = {"w.0": 9.0, "w.1": 9.0, "b": 9.0}
    edit(state)
    with pytest.raises(error, match=message):
        neuron.load_state_dict(state)
    assert neuron.state_dict() == before


def test_load_state_dict_needs_a_mapping() -> None:
    with pytest.raises(TypeError, match=r"^Neuron.load_state_dict: state must be a mapping"):
        Neuron(1, seed=0).load_state_dict([("w.0", 1.0), ("b", 0.0)])  # type: ignore[arg-type]


def test_load_state_dict_names_missing_and_unexpected_parameters_of_a_large_model() -> None:
    model = MLP(4, [64, 64, 64, 1], seed=0)  # 8,705 parameters
    state = model.state_dict()
    del state["layers.1.neurons.7.w.3"], state["layers.3.neurons.0.b"]
    state["layers.1.neurons.7.w.64"] = 0.0
    state["layers.9.neurons.0.b"] = 0.0
    state["layers.9.neurons.1.b"] = 0.0
    state["layers.9.neurons.2.b"] = 0.0
    with pytest.raises(ValueError) as error:
        MLP(4, [64, 64, 64, 1], seed=1).load_state_dict(state)
    assert str(error.value) == (
        "MLP.load_state_dict: the state dict is missing 2 key(s): 'layers.1.neurons.7.w.3', "
        "'layers.3.neurons.0.b' and has 4 unexpected key(s): 'layers.1.neurons.7.w.64', "
        "'layers.9.neurons.0.b', 'layers.9.neurons.1.b', ..."
    )


class CountingName(str):
    """A parameter name that counts how often it is hashed or compared."""

    calls = 0

    def __hash__(self) -> int:
        CountingName.calls += 1
        return super().__hash__()

    def __eq__(self, other: object) -> bool:
        CountingName.calls += 1
        return super().__eq__(other)


@pytest.mark.parametrize("kind", ["fit", "missing", "unexpected"])
def test_load_state_dict_looks_at_each_name_a_bounded_number_of_times(kind: str) -> None:
    # Not a timing: an operation count. Comparing the names through a set rebuilt for every
    # name (the old code) hashes each given name once per expected name, n² in all; a linear
    # check needs a few per name, however large the model.
    model = MLP(2, [16, 16, 1], seed=0)
    state: dict[str, float] = {CountingName(k): v for k, v in model.state_dict().items()}
    if kind == "missing":
        state.popitem()
    elif kind == "unexpected":
        state[CountingName("bonus")] = 0.0
    CountingName.calls = 0
    with contextlib.suppress(ValueError):
        model.load_state_dict(state)
    # About 4 per name today; the old quadratic check made ~115,000 for these 337 names.
    assert 0 < CountingName.calls <= 10 * len(state)


# -- save and load -----------------------------------------------------------------------------


def params_bits(model: nn.Module) -> list[str]:
    return [p.data.hex() for p in model.parameters()]  # .hex() tells -0.0 from 0.0


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=30)
@given(st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=13, max_size=13))
def test_save_load_round_trip_is_bit_exact(tmp_path: Path, values: list[float]) -> None:
    model = MLP(2, [3, 1], "tanh", seed=0)
    for p, v in zip(model.parameters(), values):
        p.data = v  # includes subnormals, -0.0, ±1.8e308
    path = model.save(tmp_path / "model.json")
    fresh = MLP(2, [3, 1], "tanh", seed=9).load(path)
    assert params_bits(fresh) == params_bits(model)
    rebuilt = nn.load_model(path)
    assert params_bits(rebuilt) == params_bits(model)


def test_file_format(tmp_path: Path) -> None:
    model = MLP(2, [3, 1], seed=0)
    path = model.save(tmp_path / "model.json", metadata={"dataset": "moons"})
    doc = json.loads(path.read_text())
    assert doc["format"] == nn.FORMAT == "autograd-core-model" and doc["version"] == 1
    assert doc["architecture"] == {
        "type": "MLP",
        "nin": 2,
        "nouts": [3, 1],
        "activation": "relu",
        "output_activation": "linear",
    }
    assert doc["num_parameters"] == 13 and doc["metadata"] == {"dataset": "moons"}
    assert doc["parameters"] == model.state_dict()
    assert doc["checksum"].startswith("sha256:") and len(doc["checksum"]) == 7 + 64


@pytest.mark.parametrize(
    "model",
    [
        Neuron(3, "sigmoid", seed=1),
        Layer(2, 4, "leaky_relu", seed=1),
        MLP(3, [5, 2], "tanh", "sigmoid", seed=1),
    ],
    ids=["Neuron", "Layer", "MLP"],
)
def test_load_model_rebuilds_every_kind(tmp_path: Path, model: nn.Module) -> None:
    rebuilt = nn.load_model(model.save(tmp_path / "m.json"))
    assert type(rebuilt) is type(model)
    assert rebuilt.config() == model.config() and rebuilt.state_dict() == model.state_dict()
    x = [0.1, -0.2, 0.3][: model.config()["nin"]]
    out_a, out_b = model(x), rebuilt(x)
    as_list = lambda o: [o.data] if isinstance(o, Value) else [v.data for v in o]  # noqa: E731
    assert as_list(out_a) == as_list(out_b)


@pytest.fixture
def saved(tmp_path: Path) -> tuple[Path, bytes]:
    path = MLP(2, [3, 1], seed=1).save(tmp_path / "model.json", metadata={"note": "x"})
    return path, path.read_bytes()


def assert_load_fails_and_model_unchanged(path: Path, match: str) -> None:
    target = MLP(2, [3, 1], seed=2)
    before = params_bits(target)
    with pytest.raises(CheckpointError, match=match):
        target.load(path)
    assert params_bits(target) == before
    with pytest.raises(CheckpointError, match=match):
        nn.load_model(path)


def test_every_truncation_is_a_clear_error(saved: tuple[Path, bytes]) -> None:
    path, raw = saved
    for cut in range(0, len(raw) - 1, 7):  # "- 1": dropping the final newline is harmless
        path.write_bytes(raw[:cut])
        assert_load_fails_and_model_unchanged(path, "not valid JSON .* truncated or corrupted")


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=150)
@given(st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), min_size=1, max_size=4))
def test_garbled_bytes_never_load_different_parameters(
    saved: tuple[Path, bytes], edits: list[tuple[int, int]]
) -> None:
    path, raw = saved
    data = bytearray(raw)
    for position, byte in edits:
        data[position % len(data)] = byte
    path.write_bytes(bytes(data))
    target = MLP(2, [3, 1], seed=2)
    before = params_bits(target)
    try:
        target.load(path)
    except CheckpointError:
        assert params_bits(target) == before  # refused: nothing changed
    else:  # the edit missed everything that matters (whitespace, metadata): same parameters
        assert params_bits(target) == params_bits(MLP(2, [3, 1], seed=1))


def test_every_single_digit_change_is_refused_or_harmless(saved: tuple[Path, bytes]) -> None:
    # Exhaustive: each digit of the file in turn becomes another digit. The result is still valid
    # JSON, so only the checks (checksum, architecture, version) can catch it.
    path, raw = saved
    original = params_bits(MLP(2, [3, 1], seed=1))
    original_parameters = json.loads(raw)["parameters"]
    must_refuse = 0
    for i, byte in enumerate(raw):
        if not 0x30 <= byte <= 0x39:
            continue
        changed = bytearray(raw)
        changed[i] = 0x30 + (byte - 0x30 + 1) % 10
        path.write_bytes(bytes(changed))
        # A different digit in a key, or a different number (not just another spelling of the
        # same double: the 17th digit of a repr can be changed without changing the float).
        different = json.loads(changed)["parameters"] != original_parameters
        must_refuse += different
        target = MLP(2, [3, 1], seed=2)
        before = params_bits(target)
        try:
            target.load(path)
        except CheckpointError:
            assert params_bits(target) == before
        else:
            assert not different and params_bits(target) == original
    assert must_refuse > 13 * 10  # the loop did exercise the checks


def test_a_changed_digit_fails_the_checksum_unless_the_checksum_is_removed(
    saved: tuple[Path, bytes],
) -> None:
    path, raw = saved
    doc = json.loads(raw)
    name = "layers.0.neurons.1.w.0"
    doc["parameters"][name] = 0.5
    path.write_text(json.dumps(doc))
    assert_load_fails_and_model_unchanged(path, "checksum mismatch")
    del doc["checksum"]  # a file edited on purpose
    path.write_text(json.dumps(doc))
    assert MLP(2, [3, 1], seed=2).load(path).state_dict()[name] == 0.5


def edited(raw: bytes, change: Any) -> str:
    doc = json.loads(raw)
    doc.pop("checksum")
    change(doc)
    return json.dumps(doc)


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (
            lambda d: d["parameters"].pop("layers.1.neurons.0.b"),
            "missing 1 key.*layers.1.neurons.0.b|has 13 parameters, but the file holds 12",
        ),
        (
            lambda d: d["parameters"].update(bonus=1.0),
            "1 unexpected key.*'bonus'|has 13 parameters, but the file holds 14",
        ),
        (
            lambda d: (
                d["parameters"].update({"b": 0.0}) or d["parameters"].pop("layers.0.neurons.0.b")
            ),
            "missing 1 key.*'layers.0.neurons.0.b' and has 1 unexpected key.*'b'",
        ),
        (lambda d: d["parameters"].update({"layers.0.neurons.0.b": "1"}), "must be a real number"),
        (lambda d: d["parameters"].update({"layers.0.neurons.0.b": None}), "must be a real number"),
        (
            lambda d: d["parameters"].update({"layers.0.neurons.0.b": False}),
            "must be a real number",
        ),
        (lambda d: d.update(format="something-else"), 'no "format": "autograd-core-model"'),
        (lambda d: d.update(version=2), "unsupported format version 2"),
        (lambda d: d.update(version=True), "unsupported format version True"),
        (lambda d: d.pop("architecture"), '"architecture" field is missing'),
        (
            lambda d: d.update(parameters=[1.0, 2.0]),
            '"parameters" field is missing or not an object',
        ),
        (lambda d: d.update(metadata="note"), '"metadata" field is not an object'),
    ],
)
def test_malformed_files_give_clear_errors(
    saved: tuple[Path, bytes], change: Any, match: str
) -> None:
    path, raw = saved
    path.write_text(edited(raw, change))
    assert_load_fails_and_model_unchanged(path, match)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ('{"format": "autograd-core-model", "version": NaN}', "NaN, which is not a finite number"),
        ("[1, 2, 3]", "not a saved autograd-core model"),
        ('{"a": 1, "a": 2}', "the key 'a' appears twice"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ("", "not valid JSON"),
    ],
)
def test_non_models_give_clear_errors(tmp_path: Path, text: str, match: str) -> None:
    path = tmp_path / "model.json"
    path.write_text(text)
    assert_load_fails_and_model_unchanged(path, match)


def test_infinity_in_a_parameter_is_refused(saved: tuple[Path, bytes]) -> None:
    path, raw = saved
    text = edited(raw, lambda d: d["parameters"].update({"layers.0.neurons.0.b": 12345.5}))
    path.write_text(text.replace("12345.5", "Infinity"))
    assert_load_fails_and_model_unchanged(path, "Infinity, which is not a finite number")


def test_binary_garbage_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    path.write_bytes(b"\x80\x81\xfe\xff" * 10)
    assert_load_fails_and_model_unchanged(path, "not UTF-8")


def test_wrong_shape_names_both_architectures(tmp_path: Path) -> None:
    path = MLP(2, [8, 1], seed=0).save(tmp_path / "small.json")
    target = MLP(2, [16, 16, 1], seed=0)
    before = params_bits(target)
    with pytest.raises(
        CheckpointError, match=r"holds a MLP 2 → 8 → 1 .* this model is a MLP 2 → 16 → 16 → 1"
    ):
        target.load(path)
    assert params_bits(target) == before


@pytest.mark.parametrize(
    ("architecture", "match"),
    [
        (
            {"type": "CNN"},
            "unknown architecture.type 'CNN'; choose one of 'Neuron', 'Layer', 'MLP'",
        ),
        ({"type": "MLP", "nin": 2, "nouts": [3, 1], "activation": "relu"}, "needs the fields"),
        (
            {
                "type": "MLP",
                "nin": "2",
                "nouts": [1],
                "activation": "relu",
                "output_activation": "linear",
            },
            "architecture.nin must be an integer, got str '2'",
        ),
        (
            {
                "type": "MLP",
                "nin": True,
                "nouts": [1],
                "activation": "relu",
                "output_activation": "linear",
            },
            "architecture.nin must be an integer, got bool True",
        ),
        (
            {
                "type": "MLP",
                "nin": 2,
                "nouts": [],
                "activation": "relu",
                "output_activation": "linear",
            },
            "architecture.nouts must be a non-empty list of layer widths, got list",
        ),
        (
            {
                "type": "MLP",
                "nin": 3,  # 4 parameters, as many as the file holds
                "nouts": [1],
                "activation": "relu",
                "output_activation": "swish",
            },
            "m.json: architecture: MLP: unknown output_activation 'swish'; choose one of",
        ),
        # claims a huge model but holds 4 numbers: refused before anything is allocated
        (
            {
                "type": "MLP",
                "nin": 2,
                "nouts": [10**9, 1],
                "activation": "relu",
                "output_activation": "linear",
            },
            "has 4000000001 parameters, but the file holds 4",
        ),
    ],
)
def test_load_model_validates_the_architecture(
    tmp_path: Path, architecture: dict[str, Any], match: str
) -> None:
    doc = {
        "format": nn.FORMAT,
        "version": 1,
        "architecture": architecture,
        "parameters": {"w.0": 0.0, "w.1": 0.0, "w.2": 0.0, "b": 0.0},
    }
    path = tmp_path / "m.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(CheckpointError, match=match):
        nn.load_model(path)


def test_missing_file_is_an_os_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        MLP(2, [1], seed=0).load(tmp_path / "nope.json")


def test_custom_module_without_config_cannot_be_saved(tmp_path: Path) -> None:
    class Bare(nn.Module):
        pass

    with pytest.raises(NotImplementedError, match="Bare must define config"):
        Bare().save(tmp_path / "x.json")
    assert not (tmp_path / "x.json").exists()


# -- atomic saving -----------------------------------------------------------------------------


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".tmp"))


@pytest.mark.parametrize("failing", ["fsync", "replace"])
def test_a_failed_save_keeps_the_previous_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    path = MLP(2, [3, 1], seed=1).save(tmp_path / "model.json")
    original = path.read_bytes()

    def broken(*args: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, failing, broken)
    with pytest.raises(OSError, match="No space left"):
        MLP(2, [3, 1], seed=2).save(path)
    monkeypatch.undo()
    assert path.read_bytes() == original
    assert leftovers(tmp_path) == []  # the temporary file is cleaned up


def test_a_failure_in_the_middle_of_writing_keeps_the_previous_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = MLP(2, [3, 1], seed=1).save(tmp_path / "model.json")
    original = path.read_bytes()
    real_open = open

    class HalfWriter:
        def __init__(self, f: Any) -> None:
            self.f = f

        def __enter__(self) -> HalfWriter:
            return self

        def __exit__(self, *exc: object) -> None:
            self.f.close()

        def write(self, text: str) -> int:
            self.f.write(text[: len(text) // 2])
            raise KeyboardInterrupt  # the user hits Ctrl-C halfway through

    monkeypatch.setattr(
        checkpoint, "open", lambda *a, **k: HalfWriter(real_open(*a, **k)), raising=False
    )
    with pytest.raises(KeyboardInterrupt):
        MLP(2, [3, 1], seed=2).save(path)
    monkeypatch.undo()
    assert path.read_bytes() == original
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("crash_in", ["fsync", "replace"])
def test_a_process_killed_mid_save_leaves_a_loadable_previous_model(
    tmp_path: Path, crash_in: str
) -> None:
    # A real crash: the child process dies with os._exit (no cleanup, no finally blocks) in the
    # middle of its second save.
    script = textwrap.dedent(
        f"""
        import os, sys
        from autograd_core import nn
        path = sys.argv[1]
        nn.MLP(2, [16, 16, 1], seed=1).save(path)
        os.{crash_in} = lambda *args: os._exit(17)
        nn.MLP(2, [16, 16, 1], seed=2).save(path)
        """
    )
    path = tmp_path / "model.json"
    result = subprocess.run(
        [sys.executable, "-c", script, str(path)], capture_output=True, timeout=120
    )
    assert result.returncode == 17, result.stderr
    loaded = MLP(2, [16, 16, 1], seed=0).load(path)
    assert loaded.state_dict() == MLP(2, [16, 16, 1], seed=1).state_dict()


def test_a_diverged_model_is_not_saved(tmp_path: Path) -> None:
    path = MLP(2, [3, 1], seed=1).save(tmp_path / "model.json")
    original = path.read_bytes()
    model = MLP(2, [3, 1], seed=2)
    model.parameters()[4].data = math.nan
    with pytest.raises(
        ValueError, match=r"parameter 'layers\.0\.neurons\.1\.w\.1' is nan.*nothing was written"
    ):
        model.save(path)
    with pytest.raises(TypeError):
        MLP(2, [3, 1], seed=2).save(path, metadata={"bad": object()})
    assert path.read_bytes() == original and leftovers(tmp_path) == []


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_saved_file_gets_ordinary_permissions(tmp_path: Path) -> None:
    umask = os.umask(0o022)
    try:
        path = MLP(2, [1], seed=0).save(tmp_path / "model.json")
    finally:
        os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o644  # not mkstemp's private 0o600


def test_save_into_a_missing_directory_creates_nothing(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        MLP(2, [1], seed=0).save(tmp_path / "missing" / "model.json")
    assert list(tmp_path.iterdir()) == []


# -- the fused layer kernel builds exactly the graph of the plain neuron formula -----------------


def plain_layer(layer: Layer, x: list[Any]) -> list[Value]:
    """The layer written out the obvious way: one ``ag.dot`` and one activation per neuron."""
    outs = [ag.dot(n.w, x, n.b) for n in layer.neurons]
    return [o.relu() for o in outs] if layer.activation == "relu" else outs


def graph_signature(root: Value, leaves: dict[int, str]) -> list[tuple[Any, ...]]:
    """Every node of the graph in order: op, data and partials, parents named by position."""
    order = ag.topological_order(root)
    index = {id(n): i for i, n in enumerate(order)}
    return [
        (
            n.op.name if n.op else None,
            n.data,
            n.partials,
            tuple(leaves.get(id(p), index[id(p)]) for p in n.parents),
        )
        for n in order
    ]


@given(
    nin=st.integers(1, 5),
    nout=st.integers(1, 4),
    activation=st.sampled_from(["relu", "linear"]),
    kind=st.sampled_from(["floats", "values", "mixed", "ints"]),
    xs=st.lists(st.floats(-3, 3), min_size=5, max_size=5),
    seed=st.integers(0, 2**16),
)
def test_fused_layer_matches_the_plain_formula(
    nin: int, nout: int, activation: str, kind: str, xs: list[float], seed: int
) -> None:
    layer = Layer(nin, nout, activation=activation, seed=seed)
    raw = xs[:nin]
    if kind == "floats":
        make = lambda: list(raw)  # noqa: E731
    elif kind == "ints":
        make = lambda: [round(v) for v in raw]  # noqa: E731
    elif kind == "values":
        make = lambda: [Value(v) for v in raw]  # noqa: E731
    else:
        make = lambda: [Value(v) if i % 2 else v for i, v in enumerate(raw)]  # noqa: E731
    x_fused, x_plain = make(), make()
    fused, plain = layer(x_fused), plain_layer(layer, x_plain)
    loss_fused = ag.sum([o * o for o in fused])
    loss_plain = ag.sum([o * o for o in plain])
    names = {id(p): name for name, p in layer.named_parameters()}
    names_fused = {**names, **{id(v): f"x{i}" for i, v in enumerate(x_fused)}}
    names_plain = {**names, **{id(v): f"x{i}" for i, v in enumerate(x_plain)}}
    assert graph_signature(loss_fused, names_fused) == graph_signature(loss_plain, names_plain)
    layer.zero_grad()
    loss_fused.backward()
    grads_fused = [p.grad for p in layer.parameters()]
    layer.zero_grad()
    loss_plain.backward()
    assert grads_fused == [p.grad for p in layer.parameters()]


def test_fused_layer_under_no_grad_and_with_bad_inputs() -> None:
    layer = Layer(2, 3, seed=0)
    with ag.no_grad():
        outs = layer([1.0, 2.0])
    assert [o.data for o in outs] == [o.data for o in plain_layer(layer, [1.0, 2.0])]
    assert all(o.op is None and o.parents == () for o in outs)
    with pytest.raises(ValueError, match="dot"):
        layer([1.0, math.nan])
    with pytest.raises(ValueError, match="same length"):
        layer([1.0, 2.0, 3.0])
