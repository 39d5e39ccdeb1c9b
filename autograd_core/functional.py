"""Math that works on numbers *and* on Values.

Each function here looks at its argument: a plain number gives a plain float (with the same
domain checks and error messages as the graph version), a ``Value`` gives a new node in the
graph. So the same formula can be evaluated on floats to check a result and on Values to
differentiate it::

    >>> import autograd_core as ag
    >>> ag.tanh(0.5)                      # a float
    0.46211715726000974
    >>> ag.tanh(ag.Value(0.5)).data       # a node, same number
    0.46211715726000974

``sum`` and ``dot`` are *n-ary*: summing a thousand terms makes one node with a thousand
parents, not a chain of a thousand additions. A neuron's ``w·x + b`` is one ``dot`` node.
"""

from __future__ import annotations

import builtins
import operator
from collections.abc import Callable, Iterable, Sequence
from typing import Any, overload

from autograd_core import ops
from autograd_core.engine import (
    Value,
    _as_float,
    _domain_error,
    _grad_enabled,
    _new,
    _node,
    apply,
    no_grad,
)

__all__ = [
    "exp",
    "log",
    "sqrt",
    "tanh",
    "sigmoid",
    "relu",
    "leaky_relu",
    "sin",
    "cos",
    "sum",
    "dot",
    "gradcheck",
    "GradcheckError",
]


@overload
def exp(x: Value) -> Value: ...
@overload
def exp(x: float) -> float: ...
def exp(x: Any) -> Any:
    """e raised to ``x``.

    Example:
        >>> import autograd_core as ag
        >>> ag.exp(0.0), ag.exp(ag.Value(0.0)).data
        (1.0, 1.0)
    """
    return x.exp() if isinstance(x, Value) else apply(ops.EXP, (x,))


@overload
def log(x: Value) -> Value: ...
@overload
def log(x: float) -> float: ...
def log(x: Any) -> Any:
    """Natural logarithm; ``ValueError`` for x <= 0.

    Example:
        >>> import autograd_core as ag
        >>> ag.log(1.0)
        0.0
    """
    return x.log() if isinstance(x, Value) else apply(ops.LOG, (x,))


@overload
def sqrt(x: Value) -> Value: ...
@overload
def sqrt(x: float) -> float: ...
def sqrt(x: Any) -> Any:
    """Square root; ``ValueError`` for x < 0.

    Example:
        >>> import autograd_core as ag
        >>> ag.sqrt(9.0)
        3.0
    """
    return x.sqrt() if isinstance(x, Value) else apply(ops.SQRT, (x,))


@overload
def tanh(x: Value) -> Value: ...
@overload
def tanh(x: float) -> float: ...
def tanh(x: Any) -> Any:
    """Hyperbolic tangent.

    Example:
        >>> import autograd_core as ag
        >>> ag.tanh(0.0)
        0.0
    """
    return x.tanh() if isinstance(x, Value) else apply(ops.TANH, (x,))


@overload
def sigmoid(x: Value) -> Value: ...
@overload
def sigmoid(x: float) -> float: ...
def sigmoid(x: Any) -> Any:
    """Logistic function 1 / (1 + e**-x), computed without overflow for any finite x.

    Example:
        >>> import autograd_core as ag
        >>> ag.sigmoid(0.0), ag.sigmoid(-1000.0)
        (0.5, 0.0)
    """
    return x.sigmoid() if isinstance(x, Value) else apply(ops.SIGMOID, (x,))


@overload
def relu(x: Value) -> Value: ...
@overload
def relu(x: float) -> float: ...
def relu(x: Any) -> Any:
    """max(0, x); the derivative at 0 is 0 (PyTorch's convention).

    Example:
        >>> import autograd_core as ag
        >>> ag.relu(-2.0), ag.relu(3.0)
        (0.0, 3.0)
    """
    return x.relu() if isinstance(x, Value) else apply(ops.RELU, (x,))


@overload
def leaky_relu(x: Value, negative_slope: float = ...) -> Value: ...
@overload
def leaky_relu(x: float, negative_slope: float = ...) -> float: ...
def leaky_relu(x: Any, negative_slope: float = 0.01) -> Any:
    """x for x > 0, ``negative_slope * x`` otherwise.

    Example:
        >>> import autograd_core as ag
        >>> ag.leaky_relu(-2.0, 0.1)
        -0.2
    """
    if isinstance(x, Value):
        return x.leaky_relu(negative_slope)
    slope = _as_float(negative_slope, "leaky_relu: negative_slope")
    return apply(ops.LEAKY_RELU.bind(slope), (x,))


@overload
def sin(x: Value) -> Value: ...
@overload
def sin(x: float) -> float: ...
def sin(x: Any) -> Any:
    """Sine of ``x`` (radians).

    Example:
        >>> import autograd_core as ag
        >>> ag.sin(0.0)
        0.0
    """
    return x.sin() if isinstance(x, Value) else apply(ops.SIN, (x,))


@overload
def cos(x: Value) -> Value: ...
@overload
def cos(x: float) -> float: ...
def cos(x: Any) -> Any:
    """Cosine of ``x`` (radians).

    Example:
        >>> import autograd_core as ag
        >>> ag.cos(0.0)
        1.0
    """
    return x.cos() if isinstance(x, Value) else apply(ops.COS, (x,))


def sum(values: Iterable[Any]) -> Any:  # noqa: A001 - ag.sum is the library's n-ary sum
    """Add many terms as **one** node (``Σ``) instead of a chain of additions.

    Numbers among the terms are folded into the node's value; each Value term becomes a parent
    with local derivative 1. The total is added left to right, exactly as ``a + b + c`` would.

    Args:
        values: Any iterable of Values and numbers.

    Returns:
        A Value if any term is a Value, else a float (0.0 for no terms).

    Example:
        >>> import autograd_core as ag
        >>> xs = [ag.Value(float(i)) for i in range(1000)]
        >>> total = ag.sum(x * x for x in xs)
        >>> len(total.parents), total.data
        (1000, 332833500.0)
    """
    items = values if type(values) is list or type(values) is tuple else list(values)
    datas = [v.data for v in items if type(v) is Value]
    if len(datas) == len(items):  # all terms are Values: the usual case in a loss
        parents = tuple(items)
    else:
        datas, parents = _split_terms(items)
    total = builtins.sum(datas, 0.0)
    if total - total:
        raise _domain_error(ops.SUM, items, OverflowError("the result is too large for a float"))
    if not parents:
        return total
    return _node(total, ops.SUM, parents, (1.0,) * len(parents))


def _split_terms(items: Sequence[Any]) -> tuple[list[float], tuple[Value, ...]]:
    """Data of every term, and the terms that are Values (numbers are checked and folded)."""
    datas: list[float] = []
    parents: list[Value] = []
    for item in items:
        if isinstance(item, Value):
            parents.append(item)
            datas.append(item.data)
        else:
            datas.append(_as_float(item, "sum"))
    return datas, tuple(parents)


def dot(ws: Sequence[Any], xs: Sequence[Any], bias: Any = None) -> Any:
    """``bias + Σ ws[i]·xs[i]`` as **one** node (``·``): a neuron's pre-activation.

    Each Value among ``ws``, ``xs`` and ``bias`` becomes a parent: ``ws[i]`` with local
    derivative ``xs[i]``, ``xs[i]`` with ``ws[i]``, the bias with 1. Numbers (say, the input
    features of a first layer) are folded in as constants. The sum starts at the bias and adds
    left to right, like micrograd's neuron, so the value is bit-for-bit the same.

    Args:
        ws: Weights (Values or numbers).
        xs: Inputs, as many as ``ws``.
        bias: Optional Value or number added to the sum.

    Returns:
        A Value if any operand is a Value, else a float.

    Example:
        >>> import autograd_core as ag
        >>> w = [ag.Value(0.5), ag.Value(-1.0)]
        >>> out = ag.dot(w, [2.0, 3.0], bias=ag.Value(0.25))
        >>> out.backward()
        >>> out.data, [wi.grad for wi in w]
        (-1.75, [2.0, 3.0])
    """
    if type(ws) is not list and type(ws) is not tuple:
        ws = list(ws)
    if type(xs) is not list and type(xs) is not tuple:
        xs = list(xs)
    n = len(ws)
    if len(xs) != n:
        raise ValueError(f"dot: ws and xs must have the same length, got {n} and {len(xs)}")
    # The hot path of every neuron, so the two common shapes are spelled out: weights that are
    # all Values times inputs that are all Values (a hidden layer) or all floats (raw features).
    wd = [w.data for w in ws if type(w) is Value]
    xd = [x.data for x in xs if type(x) is Value]
    parents: tuple[Value, ...]
    partials: tuple[float, ...]
    if len(wd) == n and len(xd) == n:
        parents = (*ws, *xs)
        partials = (*xd, *wd)
    elif len(wd) == n and not xd and all(type(x) is float for x in xs):
        xd = xs if type(xs) is list else list(xs)
        parents = tuple(ws)
        partials = tuple(xd)
    else:
        wd, xd, parents, partials = _dot_general(ws, xs)
    if bias is None:
        bd = 0.0
    elif type(bias) is Value or isinstance(bias, Value):
        bd = bias.data
        parents += (bias,)
        partials += (1.0,)
    else:
        bd = _as_float(bias, "dot: bias")
    total = builtins.sum(map(operator.mul, wd, xd), bd)
    if total - total:  # overflow, or a non-finite float among the inputs
        for x in (*wd, *xd):
            _as_float(x, "dot")
        operands = [*ws, *xs] + ([] if bias is None else [bias])
        raise _domain_error(ops.DOT, operands, OverflowError("the result is too large for a float"))
    if not parents:
        return total
    return _node(total, ops.DOT, parents, partials)


def _dense(
    weights: Sequence[Sequence[Value]], biases: Sequence[Value], x: Sequence[Any], relu: bool
) -> list[Value] | None:
    """A layer's neurons on one input: ``[dot(w, x, b) for w, b in ...]``, relu'd if asked.

    The same nodes, values and partials as the plain comprehension (``dot``, then ``relu``),
    built with the work the neurons share done once: the inputs' data and their tuple are
    gathered once per layer instead of once per neuron, and the relu node is made inline. This
    is the forward pass of an MLP, most of a training step.

    Returns ``None`` (the caller then takes the plain path, with its checks and messages) when
    gradients are off, when the inputs are neither all Values nor all floats, or when a sum is
    not finite.
    """
    if not _grad_enabled():
        return None
    xs = x if type(x) is list or type(x) is tuple else list(x)
    xd = [v.data for v in xs if type(v) is Value]
    floats = False
    if len(xd) != len(xs):
        if xd or not all(type(v) is float for v in xs):
            return None
        xd = list(xs)
        floats = True
    xt = tuple(xs)
    mul = operator.mul
    relu_op = ops.RELU
    dot_op = ops.DOT
    out: list[Value] = []
    append = out.append
    for ws, b in zip(weights, biases):
        if len(ws) != len(xs):
            return None
        wd = [w.data for w in ws]
        total = builtins.sum(map(mul, wd, xd), b.data)
        if total - total:
            return None
        z = _new(Value)
        z.data = total
        z.grad = 0.0
        z.label = ""
        z.op = dot_op
        if floats:  # raw features are constants: only the weights and the bias are parents
            z.parents = (*ws, b)
            z.partials = (*xd, 1.0)
        else:
            z.parents = (*ws, *xt, b)
            z.partials = (*xd, *wd, 1.0)
        if relu:
            r = _new(Value)
            r.grad = 0.0
            r.label = ""
            r.op = relu_op
            r.parents = (z,)
            if total > 0.0:
                r.data = total
                r.partials = (1.0,)
            else:
                r.data = 0.0
                r.partials = (0.0,)
            append(r)
        else:
            append(z)
    return out


def _dot_general(
    ws: Sequence[Any], xs: Sequence[Any]
) -> tuple[list[float], list[float], tuple[Value, ...], tuple[float, ...]]:
    """dot's operands in any mix of Values and numbers: data, parents and their partials."""
    wd = [w.data if isinstance(w, Value) else _as_float(w, "dot: ws") for w in ws]
    xd = [x.data if isinstance(x, Value) else _as_float(x, "dot: xs") for x in xs]
    # The partner of w[i] is x[i] and vice versa; only Values become parents.
    pairs = [(w, x) for w, x in zip(ws, xd) if isinstance(w, Value)]
    pairs += [(x, w) for x, w in zip(xs, wd) if isinstance(x, Value)]
    return wd, xd, tuple(p for p, _ in pairs), tuple(d for _, d in pairs)


class GradcheckError(AssertionError):
    """Raised by :func:`gradcheck` when backward and finite differences disagree."""


def gradcheck(
    f: Callable[..., Any],
    inputs: Sequence[float],
    eps: float = 1e-6,
    atol: float = 1e-6,
    rtol: float = 1e-5,
) -> bool:
    """Check ``backward`` against central finite differences of ``f`` at ``inputs``.

    For each input ``x_i`` the numerical derivative is ``(f(x + h·e_i) − f(x − h·e_i)) / 2h``
    with ``h = eps·max(1, |x_i|)``; it must match the gradient that ``backward`` computes to
    within ``atol + rtol·|numerical|``. This is the first of the three ways to differentiate
    (numerical, symbolic, automatic) used to check the third.

    Args:
        f: A function of Values returning a Value, e.g. ``lambda x, y: x * y.sin()``.
        inputs: The point, one number per argument of ``f``.
        eps: Relative step of the finite difference.
        atol: Absolute tolerance.
        rtol: Relative tolerance.

    Returns:
        True when every partial derivative matches.

    Raises:
        GradcheckError: naming the first input whose derivatives disagree, and both values.

    Example:
        >>> import autograd_core as ag
        >>> ag.functional.gradcheck(lambda x, y: x * y.sin() + x.exp(), [0.3, -1.2])
        True
    """
    point = [_as_float(x, "gradcheck: inputs") for x in inputs]
    leaves = [Value(x, label=f"x{i}") for i, x in enumerate(point)]
    out = f(*leaves)
    if not isinstance(out, Value):
        raise TypeError(f"gradcheck: f must return a Value, got {type(out).__name__}")
    out.backward()
    for i, leaf in enumerate(leaves):
        h = eps * max(1.0, abs(point[i]))
        shifted = []
        for step in (h, -h):
            args = [Value(x + (step if j == i else 0.0)) for j, x in enumerate(point)]
            with no_grad():
                shifted.append(f(*args).data)
        numerical = (shifted[0] - shifted[1]) / (2.0 * h)
        if not abs(leaf.grad - numerical) <= atol + rtol * abs(numerical):
            raise GradcheckError(
                f"gradcheck: d(out)/d(x{i}) at {point}: backward gives {leaf.grad!r}, "
                f"finite differences give {numerical!r}"
            )
    return True
