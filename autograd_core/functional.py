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
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from autograd_core import _nodes, ops
from autograd_core.engine import Value, apply, as_value, no_grad

__all__ = [
    *(op.name for op in ops.functions()),
    "sum",
    "dot",
    "gradcheck",
    "GradcheckError",
]


def _function(op: ops.Op) -> Callable[..., Any]:
    """``ag.<name>`` for a row of the table: a float for numbers, a node for a Value."""
    method = getattr(Value, op.name)

    def function(x: Any, *params: Any, **named: Any) -> Any:
        if isinstance(x, Value):
            return method(x, *params, **named)
        if not op.param_names:
            if params or named:
                raise TypeError(f"{op.name}() takes 1 argument")
            return apply(op, (x,))
        return apply(op.bind(*_nodes._bind_arguments(op, params, named)), (x,))

    function.__name__ = function.__qualname__ = op.name
    function.__module__ = __name__
    doc = op.doc or f"The ``{op.name}`` op of the table."
    if op.example is not None:
        x, result = op.example
        doc += (
            f"\n\nExample:\n    >>> import autograd_core as ag\n"
            f"    >>> ag.{op.name}({x}), ag.{op.name}(ag.Value({x})).data\n"
            f"    ({result}, {result})\n"
        )
    function.__doc__ = doc
    return function


FUNCTIONS: dict[str, Callable[..., Any]] = {op.name: _function(op) for op in ops.functions()}
"""``exp``, ``log``, ``tanh``, ...: one function per row of the table marked ``function``."""
globals().update(FUNCTIONS)

if TYPE_CHECKING:  # the functions above are made from the table when the module loads

    def __getattr__(name: str) -> Callable[..., Any]: ...


def sum(values: Iterable[Any]) -> Any:  # noqa: A001 - ag.sum is the library's n-ary sum
    """Add many terms as **one** node (``Σ``) instead of a chain of additions.

    Each term is a parent with local derivative 1; numbers among Values become constant
    leaves. The total is added left to right, exactly as ``a + b + c`` would.

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
    if not items:
        return 0.0
    datas = [v.data for v in items if type(v) is Value]
    if len(datas) == len(items):  # all terms are Values: the usual case in a loss
        parents = tuple(items)
    elif any(isinstance(v, Value) for v in items):
        parents = tuple(as_value(v, "sum") for v in items)
        datas = [v.data for v in parents]
    else:
        return apply(ops.SUM, items)
    total = builtins.sum(datas, 0.0)
    if total - total:  # inf or nan: the sum overflowed
        raise _nodes.domain_error(ops.SUM, items, OverflowError("the result is too large"))
    return _nodes.node(Value, ops.SUM, total, parents, ops._ONE * len(parents))


def dot(ws: Sequence[Any], xs: Sequence[Any], bias: Any = None) -> Any:
    """``bias + Σ ws[i]·xs[i]`` as **one** node: a neuron's pre-activation.

    Each Value among ``ws``, ``xs`` and ``bias`` becomes a parent: ``ws[i]`` with local
    derivative ``xs[i]``, ``xs[i]`` with ``ws[i]``, the bias with 1. When one side is all
    numbers (say, the input features of a first layer), they are bound to the node's op as its
    constants (an ``affine`` node), so they cost no nodes; numbers mixed with Values on one
    side become constant leaves. The sum starts at the bias and adds left to right, like
    micrograd's neuron, so the value is bit-for-bit the same.

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
        >>> out.data, [wi.grad for wi in w], out.op.name
        (-1.75, [2.0, 3.0], 'affine')
    """
    if type(ws) is not list and type(ws) is not tuple:
        ws = list(ws)
    if type(xs) is not list and type(xs) is not tuple:
        xs = list(xs)
    n = len(ws)
    if len(xs) != n:
        raise ValueError(f"dot: ws and xs must have the same length, got {n} and {len(xs)}")
    w_values = [w for w in ws if isinstance(w, Value)]
    x_values = [x for x in xs if isinstance(x, Value)]
    bias_is_value = isinstance(bias, Value)
    if not w_values and not x_values and not bias_is_value:
        operands = [*ws, *xs] + ([] if bias is None else [bias])
        return apply(ops.DOT, operands) if n or bias is not None else 0.0
    if len(w_values) == n and not x_values and n:  # Values times numbers: an affine node
        return _affine(ws, xs, bias)
    if len(x_values) == n and not w_values and n:
        return _affine(xs, ws, bias)
    # Values on both sides: every operand is a parent, numbers as constant leaves.
    operands = [*ws, *xs] + ([] if bias is None else [bias])
    parents = tuple(as_value(v, "dot") for v in operands)
    data = [p.data for p in parents]
    try:
        total = ops.DOT.forward(*data)
        if total - total:  # inf or nan: the sum overflowed
            raise OverflowError("the result is too large for a float")
    except (ArithmeticError, ValueError) as exc:
        raise _nodes.domain_error(ops.DOT, operands, exc) from None
    return _nodes.node(Value, ops.DOT, total, parents, ops.DOT.partials(total, *data))


def _affine(values: Sequence[Value], numbers: Sequence[Any], bias: Any) -> Value:
    """``bias + Σ values[i]·numbers[i]``, the numbers bound to an ``affine`` op."""
    constants = tuple(_nodes.as_float(x, "dot") for x in numbers)
    # A few constants recur (hinge's margin − y·s has one per label): the bound op is shared.
    # Longer ones are data (a sample's features), bound afresh.
    cache = len(constants) <= 2
    if isinstance(bias, Value):  # the bias is the last parent (bound as None)
        op = ops.AFFINE.bind(constants, None, cache=cache)
        parents = (*values, bias)
    else:  # no bias, or a number: bound to the op
        b = 0.0 if bias is None else _nodes.as_float(bias, "dot: bias")
        op = ops.AFFINE.bind(constants, b, cache=cache)
        parents = tuple(values)
    data = [p.data for p in parents]
    try:
        total = op.forward(*data)
        if total - total:  # inf or nan: the sum overflowed
            raise OverflowError("the result is too large for a float")
    except (ArithmeticError, ValueError) as exc:  # said of dot, the function that was called
        operands = [*values, *constants] + ([] if bias is None else [bias])
        raise _nodes.domain_error(ops.DOT, operands, exc) from None
    return _nodes.node(Value, op, total, parents, op.partials(total, *data))


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
    point = [_nodes.as_float(x, "gradcheck: inputs") for x in inputs]
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
