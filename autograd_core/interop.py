"""To PyTorch and back: the step from a scalar engine to the framework that scales.

Three functions, each a bridge between a ``Value`` graph and PyTorch:

* :func:`to_torch` turns a ``Neuron``, ``Layer`` or ``MLP`` into a ``torch.nn.Sequential`` of
  ``Linear`` layers and activations holding the same weights (float64 unless told otherwise),
  so a model trained here keeps training in PyTorch;
* :func:`from_torch` does the reverse for a ``Sequential`` of ``Linear`` layers and the
  activations ``nn`` knows, and names the layer it cannot translate;
* :func:`graph_to_torch` replays any recorded expression graph, node by node, as a PyTorch
  computation, so the two libraries can check each other's values and gradients.

The replay leans on the invariant every node keeps,
``node.data == node.op.forward(*(p.data for p in node.parents), *node.op.params)``: a node's
op (with its bound parameters, such as the exponent of ``x ** 3``) and its parents say all
there is to know, so each row of the op table needs one line of PyTorch here. Sums, dot
products and ``affine`` nodes add their terms in the order the engine does (the bias first,
then left to right), so those values agree to the last bit; the transcendental functions may
differ from Python's ``math`` in the last bit or so.

PyTorch is an optional extra (``pip install 'autograd-core[torch]'``): it is imported inside
these functions only, so ``import autograd_core.interop`` works without it and a call without
it raises an ``ImportError`` that says what to install.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from autograd_core import ops
from autograd_core.engine import Value, topological_order
from autograd_core.nn import MLP, Layer, Module, Neuron

__all__ = ["to_torch", "from_torch", "graph_to_torch"]

Tensor = Any  # torch.Tensor; torch is optional, so it is not imported for type hints either
Translation = Callable[..., Any]

_SLOPE: float = ops.LEAKY_RELU.defaults[0]
"""The negative slope of ``nn``'s leaky_relu activation (the row's default, PyTorch's 0.01)."""


def to_torch(model: Module, dtype: Any = None) -> Any:
    """The model as a ``torch.nn.Sequential`` with the same weights: ``Linear`` + activations.

    Each layer becomes a ``torch.nn.Linear`` (row ``i`` of its weight is neuron ``i``'s ``w``,
    entry ``i`` of its bias that neuron's ``b``) followed by its activation (``ReLU``,
    ``Tanh``, ``Sigmoid``, ``LeakyReLU(0.01)``; none for ``"linear"``). In float64 its outputs
    and its parameter gradients equal the model's to within 1e-12 (PyTorch's matrix products
    add in another order: on 8-32-32-4 models we measured at most 1.5e-14 on outputs and
    6e-14 on gradients, relative to max(1, |value|)). The weights are copied: training one
    model afterwards does not change the other. PyTorch's random number generator is not
    touched.

    Args:
        model: An ``nn.MLP``, ``nn.Layer`` or ``nn.Neuron``.
        dtype: A floating-point ``torch.dtype``; ``None`` means ``torch.float64``, which holds
            every weight exactly.

    Returns:
        A ``torch.nn.Sequential``. Its output for a batch of shape ``(B, nin)`` has shape
        ``(B, nout)``; for a model of one output that column is what ``model(x)`` returns.

    Raises:
        ImportError: PyTorch is not installed.
        TypeError: ``model`` is not a Neuron, Layer or MLP, or ``dtype`` is not a torch dtype.
        ValueError: ``dtype`` is not a floating-point type, or it cannot hold a parameter
            (1e10 in float16, whose largest number is 65504): the parameter is named.

    Example:
        >>> import torch
        >>> from autograd_core import nn
        >>> from autograd_core.interop import to_torch
        >>> model = nn.MLP(2, [3, 1], seed=0)
        >>> net = to_torch(model)
        >>> net
        Sequential(
          (0): Linear(in_features=2, out_features=3, bias=True)
          (1): ReLU()
          (2): Linear(in_features=3, out_features=1, bias=True)
        )
        >>> ours = model([0.5, -1.0]).data
        >>> theirs = net(torch.tensor([0.5, -1.0], dtype=torch.float64)).item()
        >>> abs(ours - theirs) < 1e-12
        True
    """
    torch = _import_torch("to_torch")
    dtype = _check_dtype(torch, dtype)
    sequential = torch.nn.Sequential()
    for k, (weights, biases, activation) in enumerate(_dense_layers(model)):
        linear = torch.nn.utils.skip_init(
            torch.nn.Linear, len(weights[0]), len(weights), dtype=dtype
        )  # skip_init: no random initialisation to overwrite, torch's generator untouched
        with torch.no_grad():
            linear.weight.copy_(torch.tensor(weights, dtype=torch.float64))
            linear.bias.copy_(torch.tensor(biases, dtype=torch.float64))
        _check_range(torch, model, k, linear, dtype)
        sequential.append(linear)
        module = _torch_activation(torch, activation)
        if module is not None:
            sequential.append(module)
    return sequential


def from_torch(sequential: Any) -> MLP:
    """An ``nn.MLP`` with the layers and weights of a ``torch.nn.Sequential``.

    The ``Sequential`` must be ``Linear`` layers (with a bias), each followed by at most one
    activation: ``ReLU``, ``Tanh``, ``Sigmoid``, ``LeakyReLU`` with slope 0.01 (``nn``'s), or
    ``Identity`` (none). Hidden layers must share one activation, since an ``MLP`` has one;
    the last layer's becomes ``output_activation``. Weights are read as float64, exactly, and
    ``MLP → to_torch → from_torch`` gives back the same parameters bit for bit.

    Args:
        sequential: A ``torch.nn.Sequential`` as described.

    Returns:
        A new ``nn.MLP`` (for a single ``Linear`` layer, its hidden activation is the unused
        default ``"relu"``).

    Raises:
        ImportError: PyTorch is not installed.
        TypeError: ``sequential`` is not a ``Sequential``, or one of its layers is of a type
            that cannot be translated (named with its index, e.g. ``layer 2 (Dropout(...))``),
            or a layer's weights are complex.
        ValueError: the layers do not form an MLP (sizes that do not chain, two activations in
            a row, hidden activations that differ, a LeakyReLU slope other than 0.01, a
            ``Linear`` without bias, weights that are not finite, or on the meta device).

    Example:
        >>> import torch
        >>> from autograd_core.interop import from_torch
        >>> _ = torch.manual_seed(0)
        >>> net = torch.nn.Sequential(
        ...     torch.nn.Linear(2, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1), torch.nn.Sigmoid()
        ... )
        >>> from_torch(net)
        MLP(2, [8, 1], activation='tanh', output_activation='sigmoid') with 33 parameters
        >>> from_torch(torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Dropout(0.5)))
        Traceback (most recent call last):
        ...
        TypeError: from_torch: layer 1 (Dropout(p=0.5, inplace=False)) cannot be translated; ...
    """
    torch = _import_torch("from_torch")
    if not isinstance(sequential, torch.nn.Sequential):
        raise TypeError(
            "from_torch: expected a torch.nn.Sequential of Linear layers and activations, got "
            f"{type(sequential).__name__}"
        )
    layers = _mlp_layers(torch, sequential)
    if not layers:
        raise ValueError("from_torch: the Sequential is empty; it needs at least one Linear layer")
    hidden = {name for _, name in layers[:-1]}
    if len(hidden) > 1:
        raise ValueError(
            "from_torch: the hidden layers use different activations "
            f"({', '.join(sorted(hidden))}); an MLP has one activation for all of them"
        )
    weights = _mlp_weights(torch, [linear for linear, _ in layers])  # checked before building
    model = MLP(
        layers[0][0].in_features,
        [linear.out_features for linear, _ in layers],
        activation=hidden.pop() if hidden else "relu",
        output_activation=layers[-1][1],
        seed=0,
    )
    # Written straight into the parameters, row by row: a state dict of one named entry per
    # weight cost more than the weights themselves (a 1000 × 1000 layer: 8.8 s and 400 MB
    # of names, now 0.4 s).
    for layer, (rows, biases) in zip(model.layers, weights, strict=True):
        for neuron, row, b in zip(layer.neurons, rows, biases, strict=True):
            for w, x in zip(neuron.w, row, strict=True):
                w.data = x
            neuron.b.data = b
    return model


def _mlp_layers(torch: Any, sequential: Any) -> list[tuple[Any, str]]:
    """The ``Linear`` layers of ``sequential`` and the activation after each, checked to chain.

    Each entry is ``(linear, name)``, ``name`` being the ``nn`` activation that follows the
    layer (``"linear"`` when none does). The errors are those :func:`from_torch` documents.
    """
    activations = _activation_types(torch)
    # Each entry: the Linear layer and the activation after it ("linear" until one is seen).
    layers: list[tuple[Any, str]] = []
    for index, module in enumerate(sequential):
        where = f"from_torch: layer {index} ({_short_repr(module)})"
        if type(module) is torch.nn.Linear:
            _check_linear(where, module, layers[-1][0] if layers else None)
            layers.append((module, "linear"))
            continue
        name = activations.get(type(module))
        if name is None:
            known = ", ".join(cls.__name__ for cls in activations)
            raise TypeError(
                f"{where} cannot be translated; an MLP is made of Linear layers, each "
                f"followed by at most one of {known}"
            )
        if not layers:
            raise ValueError(f"{where}: the first layer must be a Linear layer")
        if name == "leaky_relu" and module.negative_slope != _SLOPE:
            raise ValueError(
                f"{where}: negative_slope must be {_SLOPE} (nn's leaky_relu), "
                f"got {module.negative_slope!r}"
            )
        linear, previous = layers[-1]
        if previous != "linear" or sequential[index - 1] is not linear:
            raise ValueError(f"{where}: a second activation after the same Linear layer")
        layers[-1] = (linear, name)
    return layers


def _check_linear(where: str, linear: Any, before: Any) -> None:
    """Refuse a ``Linear`` layer without a bias, with weights that are not real numbers
    held in memory (complex, on the meta device), or whose inputs are not the outputs of
    ``before`` (the previous ``Linear`` layer; ``None`` for the first)."""
    if linear.bias is None:
        raise ValueError(f"{where}: a Linear layer without a bias cannot be translated")
    for tensor in (linear.weight, linear.bias):
        if tensor.is_complex():  # .to(float64) would warn and drop the imaginary part
            raise TypeError(
                f"{where}: its weights are {str(tensor.dtype).removeprefix('torch.')}; an "
                "MLP's parameters are real numbers (take .real, or build it in float)"
            )
        if tensor.is_meta:
            raise ValueError(
                f"{where}: its weights are on the meta device and hold no numbers; give "
                "them values first (e.g. module.to_empty(device='cpu'), then load a state dict)"
            )
    if before is not None and linear.in_features != before.out_features:
        raise ValueError(
            f"{where}: takes {linear.in_features} input(s), but the layer before it "
            f"has {before.out_features} output(s)"
        )


def _mlp_weights(torch: Any, linears: Sequence[Any]) -> list[tuple[list[list[float]], list[float]]]:
    """Per ``Linear`` layer, its weight rows and its biases as float64 numbers: one
    ``tolist()`` per tensor, and the finiteness checked by torch on the whole tensor.

    Raises:
        ValueError: a weight or bias is infinite or NaN (named as the MLP's parameter).
    """
    layers = []
    for k, linear in enumerate(linears):
        weight = linear.weight.detach().cpu().to(torch.float64)
        bias = linear.bias.detach().cpu().to(torch.float64)
        for tensor, part in ((weight, "w"), (bias, "b")):
            bad = (~torch.isfinite(tensor)).nonzero()
            if len(bad):
                index = bad[0].tolist()
                name = f"layers.{k}.neurons.{index[0]}.{part}" + (
                    f".{index[1]}" if part == "w" else ""
                )
                raise ValueError(
                    f"from_torch: parameter {name} is {tensor[tuple(index)].item()!r}; "
                    "weights must be finite"
                )
        layers.append((weight.tolist(), bias.tolist()))
    return layers


def graph_to_torch(
    value: Value, translations: Mapping[str, Translation] | None = None
) -> tuple[Tensor, dict[Value, Tensor]]:
    """Replay the graph that produced ``value`` as a PyTorch computation in float64.

    Every leaf of the graph (inputs, parameters, and constants such as the ``2.0`` of
    ``x * 2.0``) becomes a float64 leaf tensor with ``requires_grad=True``; every other node
    becomes the PyTorch operation of its op, applied to its parents' tensors and its op's bound
    parameters. Calling ``backward()`` on the returned tensor then gives, in each leaf tensor's
    ``.grad``, what ``value.backward()`` gives in the leaf's ``.grad``.

    Every row of the op table is translated. For an op of your own (``register_op``), pass
    ``translations={"name": fn}``, where ``fn(torch, *parent_tensors, *params)`` returns the
    tensor; without one, its node is refused.

    Args:
        value: The output of the graph (any Value; a leaf gives itself).
        translations: Extra translations by op name, for ops added with ``register_op``.

    Returns:
        ``(output, leaves)``: the 0-d float64 tensor of ``value``, and a dict from every leaf
        ``Value`` of the graph to its leaf tensor.

    Raises:
        ImportError: PyTorch is not installed.
        TypeError: ``value`` is not a Value, or a node was made by an op with no translation
            (its name and the node's label are in the message).

    Example:
        >>> import autograd_core as ag
        >>> from autograd_core.interop import graph_to_torch
        >>> x, y = ag.Value(2.0, label="x"), ag.Value(-3.0, label="y")
        >>> out = (x * y + x.tanh()) ** 2 / 2
        >>> out.backward()
        >>> t, leaves = graph_to_torch(out)
        >>> t.backward()
        >>> t.item() == out.data, abs(leaves[x].grad.item() - x.grad) < 1e-12
        (True, True)
        >>> len(leaves)  # x, y and the constant 2 of "/ 2"
        3
    """
    torch = _import_torch("graph_to_torch")
    if not isinstance(value, Value):
        raise TypeError(f"graph_to_torch: expected a Value, got {type(value).__name__}")
    table = _translations(torch)
    if translations is not None:
        if not isinstance(translations, Mapping):
            raise TypeError(
                "graph_to_torch: translations must be a mapping of op names to functions, "
                f"got {type(translations).__name__}"
            )
        table = {**table, **translations}
    tensors: dict[Value, Tensor] = {}
    leaves: dict[Value, Tensor] = {}
    for node in topological_order(value):
        op = node.op
        if op is None:
            leaf = torch.tensor(node.data, dtype=torch.float64, requires_grad=True)
            tensors[node] = leaves[node] = leaf
            continue
        translate = table.get(op.base.name)
        if translate is None:
            label = f" {node.label!r}" if node.label else ""
            raise TypeError(
                f"graph_to_torch: node{label} was made by the op {op.describe()!r}, which has "
                "no PyTorch translation; pass translations={"
                f"{op.base.name!r}: lambda torch, *inputs_then_params: ...}}"
            )
        tensors[node] = translate(torch, *(tensors[p] for p in node.parents), *op.params)
    return tensors[value], leaves


# -- the op table in PyTorch -------------------------------------------------------------------


def _translations(torch: Any) -> dict[str, Translation]:
    """One PyTorch expression per row of the op table, by name: ``fn(torch, *inputs, *params)``.

    A test checks that every built-in row has one.
    """
    functional = torch.nn.functional
    return {
        ops.ADD.name: lambda t, a, b: a + b,
        ops.SUB.name: lambda t, a, b: a - b,
        ops.MUL.name: lambda t, a, b: a * b,
        ops.DIV.name: lambda t, a, b: a / b,
        ops.NEG.name: lambda t, x: -x,
        ops.ABS.name: lambda t, x: t.abs(x),
        ops.POW.name: lambda t, x, y: t.pow(x, y),
        ops.POW_CONST.name: lambda t, x, exponent: t.pow(x, exponent),
        ops.EXP.name: lambda t, x: t.exp(x),
        ops.LOG.name: lambda t, x: t.log(x),
        ops.SQRT.name: lambda t, x: t.sqrt(x),
        ops.TANH.name: lambda t, x: t.tanh(x),
        ops.SIGMOID.name: lambda t, x: t.sigmoid(x),
        ops.RELU.name: lambda t, x: t.relu(x),
        ops.LEAKY_RELU.name: lambda t, x, slope: functional.leaky_relu(x, slope),
        ops.SIN.name: lambda t, x: t.sin(x),
        ops.COS.name: lambda t, x: t.cos(x),
        ops.SUM.name: _sum,
        ops.DOT.name: _dot,
        ops.AFFINE.name: _affine,
        ops.CROSS_ENTROPY.name: _cross_entropy,
    }


def _sum(torch: Any, *terms: Tensor) -> Tensor:
    # Left to right, as the engine adds (a vector sum in PyTorch may pair terms differently).
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total


def _dot(torch: Any, *operands: Tensor) -> Tensor:
    # operands = w1..wn, x1..xn[, bias]: bias + w1·x1 + w2·x2 + ..., in the engine's order.
    n = len(operands) // 2
    total = operands[2 * n] if len(operands) % 2 else torch.tensor(-0.0, dtype=torch.float64)
    for w, x in zip(operands[:n], operands[n : 2 * n]):
        total = total + w * x
    return total


def _affine(torch: Any, *operands: Any) -> Tensor:
    # operands = w1..wn[, b] (tensors), then the bound constants c1..cn and the bias (a number,
    # or None when the bias is the last input).
    *weights, constants, bias = operands
    total = weights.pop() if bias is None else torch.tensor(bias, dtype=torch.float64)
    for w, c in zip(weights, constants):
        total = total + w * c
    return total


def _cross_entropy(torch: Any, *operands: Any) -> Tensor:
    # operands = z1..zK (tensors), then the target class: log Σ exp(zⱼ − m) − (z_t − m) with m
    # the largest logit z_k (a constant), as the engine computes it: log1p of the other terms,
    # plus expm1(z_k − m), which is 0 but carries z_k's gradient. (torch.logsumexp would round
    # the result and its gradient at the size of the logits, not of their differences.)
    *logits, target = operands
    data = [z.item() for z in logits]
    m = max(data)
    k = data.index(m)
    shifted = [z - m for z in logits]
    others = [z.exp() for z in shifted[:k] + shifted[k + 1 :]]
    return _sum(torch, shifted[k].expm1(), *others).log1p() - shifted[target]


# -- models ------------------------------------------------------------------------------------


def _dense_layers(model: Module) -> list[tuple[list[list[float]], list[float], str]]:
    """``(weights, biases, activation)`` per layer; weights as rows, one per neuron."""
    if isinstance(model, MLP):
        layers: Sequence[Layer] = model.layers
    elif isinstance(model, Layer):
        layers = [model]
    elif isinstance(model, Neuron):
        return [([[w.data for w in model.w]], [model.b.data], model.activation)]
    else:
        raise TypeError(
            f"to_torch: expected an nn.MLP, nn.Layer or nn.Neuron, got {type(model).__name__}"
        )
    return [
        (
            [[w.data for w in neuron.w] for neuron in layer.neurons],
            [neuron.b.data for neuron in layer.neurons],
            layer.activation,
        )
        for layer in layers
    ]


def _check_range(torch: Any, model: Module, k: int, linear: Any, dtype: Any) -> None:
    """Refuse a weight that ``dtype`` cannot hold: 1e10 in float16 became inf, silently."""
    for tensor in (linear.weight, linear.bias):
        bad = (~torch.isfinite(tensor)).nonzero()
        if not len(bad):
            continue
        i, *j = bad[0].tolist()  # (neuron, input) of a weight, (neuron,) of a bias
        if isinstance(model, MLP):
            prefix = f"layers.{k}.neurons.{i}."
        else:
            prefix = f"neurons.{i}." if isinstance(model, Layer) else ""
        name = prefix + (f"w.{j[0]}" if j else "b")
        value = dict(model.named_parameters())[name].data
        limit = torch.finfo(dtype).max
        raise ValueError(
            f"to_torch: parameter {name} is {value!r}, too large for "
            f"{str(dtype).removeprefix('torch.')} (largest {limit:g}); use a wider dtype "
            "(torch.float64, the default, holds every weight)"
        )


def _torch_activation(torch: Any, name: str) -> Any:
    """The ``torch.nn`` module of an ``nn`` activation name; ``None`` for ``"linear"``."""
    if name == "linear":
        return None
    for cls, known in _activation_types(torch).items():
        if known == name and cls is not torch.nn.Identity:
            return cls(_SLOPE) if name == "leaky_relu" else cls()
    # An activation row added to the op table reaches here until it is added above.
    raise ValueError(f"to_torch: the activation {name!r} has no PyTorch module yet")


def _activation_types(torch: Any) -> dict[type, str]:
    """The ``torch.nn`` activation classes and the ``nn`` names they stand for."""
    return {
        torch.nn.ReLU: "relu",
        torch.nn.Tanh: "tanh",
        torch.nn.Sigmoid: "sigmoid",
        torch.nn.LeakyReLU: "leaky_relu",
        torch.nn.Identity: "linear",
    }


# -- helpers -----------------------------------------------------------------------------------


def _import_torch(where: str) -> Any:
    try:
        import torch
    except ImportError as exc:
        raise ImportError(
            f"{where} needs PyTorch: pip install torch (or pip install 'autograd-core[torch]')"
        ) from exc
    return torch


def _check_dtype(torch: Any, dtype: Any) -> Any:
    if dtype is None:
        return torch.float64
    if not isinstance(dtype, torch.dtype):
        raise TypeError(
            f"to_torch: dtype must be a torch.dtype such as torch.float64, got "
            f"{type(dtype).__name__} {dtype!r}"
        )
    if not dtype.is_floating_point:
        raise ValueError(f"to_torch: dtype must be a floating-point type, got {dtype}")
    return dtype


def _short_repr(module: Any, limit: int = 60) -> str:
    text = " ".join(repr(module).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
