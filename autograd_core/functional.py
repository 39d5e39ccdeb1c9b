"""Math that works on numbers *and* on Values.

Each function here looks at its argument: a plain number gives a plain float (with the same
domain checks and error messages as the graph version), a ``Value`` gives a new node in the
graph. So the same formula can be evaluated on floats to check a result and on Values to
differentiate it:

    >>> import autograd_core as ag
    >>> ag.tanh(0.5)                      # a float
    0.46211715726000974
    >>> ag.tanh(ag.Value(0.5)).data       # a node, same number
    0.46211715726000974

``sum`` and ``dot`` are *n-ary*: summing a thousand terms makes one node with a thousand
parents, not a chain of a thousand additions. A neuron's ``w·x + b`` is one ``dot`` node.

The second half turns a function into its derivatives, as JAX does: ``grad(f)`` is the function
``x ↦ f′(x)``, and since a derivative can itself be a graph (``ag.grad(..., create_graph=True)``),
``grad(grad(f))`` is ``f″``. ``value_and_grad``, ``jacobian`` and ``hessian`` follow, and
``gradcheck`` / ``gradgradcheck`` check first and second derivatives against finite differences:

    >>> from autograd_core.functional import grad, hessian
    >>> grad(grad(ag.sin))(0.5) == -ag.sin(0.5)
    True
    >>> hessian(lambda x, y: x * x * y)(1.0, 3.0)
    [[6.0, 2.0], [2.0, 0.0]]
"""

from __future__ import annotations

import builtins
import contextvars
import itertools
import numbers
import operator
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from autograd_core import engine, ops
from autograd_core.engine import (
    Value,
    apply,
    as_value,
    enable_grad,
    ieee,
    layout,
    no_grad,
    operators,
    reference,
    topological_order,
)
from autograd_core.engine import forward as forward_mode

_repeat = itertools.repeat
_data_of = operator.attrgetter("data")

__all__ = [
    *(op.name for op in ops.functions()),
    "sum",
    "dot",
    "gradcheck",
    "GradcheckError",
    "grad",
    "value_and_grad",
    "jacobian",
    "hessian",
    "jvp",
    "jacfwd",
    "hvp",
    "gradgradcheck",
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
        return apply(op.bind(*operators._bind_arguments(op, params, named)), (x,))

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
    if all(map(isinstance, items, _repeat(Value))):  # all terms are Values: the usual case
        parents = tuple(items)
        datas = list(map(_data_of, parents))
    elif any(isinstance(v, Value) for v in items):
        parents = tuple(as_value(v, "sum") for v in items)
        datas = [v.data for v in parents]
    else:
        return apply(ops.SUM, items)
    total = builtins.sum(datas, -0.0)  # (from the identity of IEEE addition: ops._sum_forward)
    if total - total:  # inf or nan: the sum overflowed (or a term is inf or NaN: ieee.py)
        if ieee.wanted(parents):
            return ieee.node(ops.SUM, parents)
        raise layout.domain_error(ops.SUM, items, OverflowError("the result is too large"))
    return layout.node(Value, ops.SUM, total, parents, ops._ONE * len(parents))


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
    w_values = builtins.sum(map(isinstance, ws, _repeat(Value)))  # how many Values each side has
    x_values = builtins.sum(map(isinstance, xs, _repeat(Value)))
    bias_is_value = isinstance(bias, Value)
    if not w_values and not x_values and not bias_is_value:
        operands = [*ws, *xs] + ([] if bias is None else [bias])
        return apply(ops.DOT, operands) if n or bias is not None else 0.0
    if w_values == n and not x_values and n:  # Values times numbers: an affine node
        return _affine(ws, xs, bias)
    if x_values == n and not w_values and n:
        return _affine(xs, ws, bias)
    # Values on both sides: every operand is a parent, numbers as constant leaves.
    operands = [*ws, *xs] + ([] if bias is None else [bias])
    if w_values == n and x_values == n and (bias is None or bias_is_value):
        parents = tuple(operands)  # all Values already (Σ p·p of an L2 penalty)
    else:
        parents = tuple(as_value(v, "dot") for v in operands)
    data = list(map(_data_of, parents))
    try:
        total = ops.DOT.forward(*data)
        if total - total:  # inf or nan: the sum overflowed
            raise OverflowError("the result is too large for a float")
    except (ArithmeticError, ValueError) as exc:
        if ieee.wanted(parents):
            return ieee.node(ops.DOT, parents)
        raise layout.domain_error(ops.DOT, operands, exc) from None
    return layout.node(Value, ops.DOT, total, parents, ops.DOT.partials(total, *data))


def _affine(values: Sequence[Value], numbers: Sequence[Any], bias: Any) -> Value:
    """``bias + Σ values[i]·numbers[i]``, the numbers bound to an ``affine`` op."""
    constants = tuple(layout.as_float(x, "dot") for x in numbers)
    # A few constants recur (hinge's margin − y·s has one per label): the bound op is shared.
    # Longer ones are data (a sample's features), bound afresh.
    cache = len(constants) <= 2
    if isinstance(bias, Value):  # the bias is the last parent (bound as None)
        op = ops.AFFINE.bind(constants, None, cache=cache)
        parents = (*values, bias)
    else:  # no bias, or a number: bound to the op
        b = -0.0 if bias is None else layout.as_float(bias, "dot: bias")  # (−0.0: ag.sum)
        op = ops.AFFINE.bind(constants, b, cache=cache)
        parents = tuple(values)
    data = [p.data for p in parents]
    try:
        total = op.forward(*data)
        if total - total:  # inf or nan: the sum overflowed
            raise OverflowError("the result is too large for a float")
    except (ArithmeticError, ValueError) as exc:  # said of dot, the function that was called
        if ieee.wanted(parents):
            return ieee.node(op, parents)
        operands = [*values, *constants] + ([] if bias is None else [bias])
        raise layout.domain_error(ops.DOT, operands, exc) from None
    return layout.node(Value, op, total, parents, op.partials(total, *data))


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
    point = [layout.as_float(x, "gradcheck: inputs") for x in inputs]
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


# ---------------------------------------------------------------------------------------------
# Derivatives of functions: grad, value_and_grad, jacobian, hessian, gradgradcheck.
#
# These take a Python function ``f`` of scalars and return new functions, JAX-style. Each call
# makes fresh leaves for the numbers it is given, runs ``f`` on them, and asks the engine
# (``ag.grad``) for the derivatives, leaving every ``.grad`` attribute untouched. When the
# arguments are Values, or the call happens while another of these functions is evaluating its
# ``f``, the engine is asked for ``create_graph=True``: the derivative is then itself a graph,
# which the outer call differentiates again. That is all ``grad(grad(f))`` needs.

# How many calls of grad / value_and_grad / jacobian / hessian are evaluating their ``f`` right
# now (in this thread or task). Inside one, a derivative must stay a graph even if its own
# arguments were plain numbers: ``f`` may have closed over the outer call's Values.
_NESTING: contextvars.ContextVar[int] = contextvars.ContextVar(
    "autograd_core_functional_nesting", default=0
)


def grad(f: Callable[..., Any], argnums: int | Sequence[int] = 0) -> Callable[..., Any]:
    """The function computing the derivative of ``f`` with respect to argument ``argnums``.

    ``f`` takes numbers or Values and returns one scalar (a Value or a number). The returned
    function takes the same arguments as ``f``. Given numbers it returns a float; given Values
    (or called inside another ``grad``) it returns a Value, a graph of the derivative, so
    ``grad(grad(f))`` is the second derivative, and so on to any order. ``.grad`` attributes
    are not changed.

    Args:
        f: A function of scalars returning a scalar, e.g. ``lambda x: x.sin() * x``.
        argnums: The position of the argument to differentiate with respect to, or a
            sequence of positions (then a tuple of derivatives is returned).

    Returns:
        A function ``df(*args)`` giving ``∂f/∂args[argnums]`` at ``args``.

    Raises:
        TypeError: (when ``df`` is called) ``f`` did not return a scalar, or a differentiated
            argument is not a number or a Value.

    Example:
        >>> import autograd_core as ag
        >>> from autograd_core.functional import grad
        >>> f = lambda x: x**3 + 2 * x        # f' = 3x² + 2, f'' = 6x, f''' = 6
        >>> grad(f)(2.0), grad(grad(f))(2.0), grad(grad(grad(f)))(2.0)
        (14.0, 12.0, 6.0)
        >>> grad(lambda x, y: x * y.sin(), argnums=(0, 1))(2.0, 0.0)
        (0.0, 2.0)
    """
    positions, single = _check_argnums(argnums, "grad")
    _check_callable(f, "grad")

    def df(*args: Any) -> Any:
        _, grads = _value_and_grads(f, args, positions, "grad")
        return grads[0] if single else grads

    df.__name__ = df.__qualname__ = f"grad({getattr(f, '__name__', 'f')})"
    return df


def value_and_grad(
    f: Callable[..., Any], argnums: int | Sequence[int] = 0
) -> Callable[..., tuple[Any, Any]]:
    """Like :func:`grad`, but the function returns ``(f(*args), derivative)`` from one pass.

    Args:
        f: A function of scalars returning a scalar.
        argnums: Position(s) of the argument(s) to differentiate with respect to.

    Returns:
        A function giving ``(value, derivative)``: floats for number arguments, Values for
        Value arguments; the derivative is a tuple when ``argnums`` is a sequence.

    Example:
        >>> import autograd_core as ag
        >>> from autograd_core.functional import value_and_grad
        >>> value_and_grad(lambda x: x * x + 3 * x + 2)(2.0)   # f(2) = 12, f'(2) = 7
        (12.0, 7.0)
    """
    positions, single = _check_argnums(argnums, "value_and_grad")
    _check_callable(f, "value_and_grad")

    def vdf(*args: Any) -> tuple[Any, Any]:
        value, grads = _value_and_grads(f, args, positions, "value_and_grad")
        return value, grads[0] if single else grads

    vdf.__name__ = vdf.__qualname__ = f"value_and_grad({getattr(f, '__name__', 'f')})"
    return vdf


def jacobian(f: Callable[..., Any]) -> Callable[..., list[list[Any]]]:
    """The function computing the Jacobian of ``f``: ``J[i][j] = ∂(output i)/∂(argument j)``.

    ``f`` takes ``n`` scalars and returns a list (or tuple) of ``m`` scalars; a single scalar
    counts as a list of one. One backward pass per output.

    Args:
        f: A function of ``n`` scalars returning ``m`` scalars.

    Returns:
        A function giving the ``m × n`` Jacobian as a list of rows: floats for number
        arguments, Values (graphs, differentiable again) for Value arguments.

    Raises:
        TypeError: (when called) an output of ``f`` is not a scalar.

    Example:
        >>> import autograd_core as ag
        >>> from autograd_core.functional import jacobian
        >>> f = lambda x, y: [x * y, x + y, x**2]
        >>> jacobian(f)(2.0, 3.0)           # rows [y, x], [1, 1], [2x, 0]
        [[3.0, 2.0], [1.0, 1.0], [4.0, 0.0]]
    """
    _check_callable(f, "jacobian")

    def jac(*args: Any) -> list[list[Any]]:
        leaves, call_args, nested = _leaves(args, range(len(args)), "jacobian")
        with _nested_call():
            result = f(*call_args)
            if isinstance(result, (list, tuple)):
                outputs = [_scalar(y, f"jacobian: output {i} of f") for i, y in enumerate(result)]
            else:
                outputs = [_scalar(result, "jacobian: the output of f")]
            return [_derivatives(y, leaves, nested) for y in outputs]

    jac.__name__ = jac.__qualname__ = f"jacobian({getattr(f, '__name__', 'f')})"
    return jac


def hessian(f: Callable[..., Any]) -> Callable[..., list[list[Any]]]:
    """The function computing the Hessian of ``f``: ``H[i][j] = ∂²f/∂(argument i)∂(argument j)``.

    ``f`` takes ``n`` scalars and returns one. The gradient is computed once as a graph
    (``create_graph=True``) and each of its ``n`` entries is differentiated again.

    Args:
        f: A function of ``n`` scalars returning a scalar.

    Returns:
        A function giving the ``n × n`` Hessian as a list of rows: floats for number arguments,
        Values for Value arguments.

    Raises:
        TypeError: (when called) ``f`` did not return a scalar.

    Example:
        >>> import autograd_core as ag
        >>> from autograd_core.functional import hessian
        >>> rosenbrock = lambda x, y: (1 - x) ** 2 + 100 * (y - x * x) ** 2
        >>> hessian(rosenbrock)(1.0, 1.0)    # at the minimum: [[802, -400], [-400, 200]]
        [[802.0, -400.0], [-400.0, 200.0]]
    """
    _check_callable(f, "hessian")

    def hess(*args: Any) -> list[list[Any]]:
        leaves, call_args, nested = _leaves(args, range(len(args)), "hessian")
        with _nested_call():
            out = _scalar(f(*call_args), "hessian: the output of f", _ONE_OUTPUT)
            gradient = _derivatives(out, leaves, True)
            return [_derivatives(g, leaves, nested) for g in gradient]

    hess.__name__ = hess.__qualname__ = f"hessian({getattr(f, '__name__', 'f')})"
    return hess


def jvp(f: Callable[..., Any], primals: Sequence[Any], tangents: Sequence[Any]) -> tuple[Any, Any]:
    """``f(*primals)`` and its directional derivative along ``tangents``, in one forward pass.

    Forward mode (JAX's ``jax.jvp``, PyTorch's ``torch.func.jvp``): each primal moves with
    its tangent, and every node of ``f``'s graph, parents first, adds up ``local derivative ×
    tangent of the parent`` over its edges, with the op table's local derivatives (the ones
    backward uses). The result is the Jacobian-vector product ``J·tangents``, computed without
    forming ``J`` and without a backward pass. Works for every op, ``register_op`` ops
    included. Edge rules as in backward (relu selects; 0·inf is NaN), so a zero tangent
    through sqrt at 0 gives NaN, as in PyTorch.

    Args:
        f: A function of ``n`` scalars returning a scalar or a list (tuple) of scalars.
        primals: The point: a tuple or list of ``n`` numbers (or Values).
        tangents: The direction: a tuple or list of ``n`` numbers (or Values), one per primal.

    Returns:
        ``(value, tangent)``: ``f(*primals)`` and its derivative along ``tangents``, each a
        scalar, or a list when ``f`` returns a list. Floats for number arguments; Values (graphs,
        differentiable again) when an argument is a Value or ``jvp`` runs inside another
        derivative (``grad(lambda x: jvp(f, (x,), (1.0,))[1])`` is ``f″``).

    Raises:
        TypeError: ``primals`` or ``tangents`` is not a tuple or list, a tangent is not a
            number (or Value), or an output of ``f`` is not a scalar; naming the position.
        ValueError: ``primals`` and ``tangents`` differ in length.

    Example:
        >>> import autograd_core as ag
        >>> from autograd_core.functional import jvp
        >>> f = lambda x, y: x * y + x.sin()          # ∂f/∂x = y + cos x, ∂f/∂y = x
        >>> jvp(f, (0.0, 3.0), (1.0, 0.0))           # (f, ∂f/∂x) at (0, 3)
        (0.0, 4.0)
        >>> jvp(lambda x: [x * x, x**3], (2.0,), (1.0,))  # every output in one pass
        ([4.0, 8.0], [4.0, 12.0])
    """
    _check_callable(f, "jvp")
    primals = _scalars_in(primals, "primals", "jvp")
    tangents = _scalars_in(tangents, "tangents", "jvp")
    if len(primals) != len(tangents):
        raise ValueError(
            f"jvp: got {len(primals)} primal(s) and {len(tangents)} tangent(s); give one tangent "
            "per primal (the direction's component along that argument)"
        )
    directions = [_tangent(t, i, "jvp") for i, t in enumerate(tangents)]
    leaves, call_args, nested = _leaves(primals, range(len(primals)), "jvp")
    nested = nested or any(isinstance(t, Value) for t in directions)
    with _nested_call():
        outputs, many = _outputs(f(*call_args), "jvp")
        seeds: dict[Value, Any] = {}
        for leaf, t in zip(leaves, directions):  # one Value passed twice moves with both
            seeds[leaf] = seeds[leaf] + t if leaf in seeds else t
        roots = [y for y in outputs if isinstance(y, Value)]
        moved = forward_mode.tangents(roots, seeds, create_graph=nested)
    values = [y.data if isinstance(y, Value) and not nested else y for y in outputs]
    derivatives = _moved_outputs(outputs, moved, nested)
    return (values, derivatives) if many else (values[0], derivatives[0])


def jacfwd(f: Callable[..., Any]) -> Callable[..., list[list[Any]]]:
    """:func:`jacobian` by forward mode: ``J[i][j] = ∂(output i)/∂(argument j)``.

    ``f`` is evaluated once; then one forward pass per *argument* carries the tangents of all
    outputs at once (column ``j`` of ``J``), where :func:`jacobian` runs one backward pass per
    *output*. So ``jacfwd`` is the cheaper of the two when ``f`` has fewer inputs than
    outputs, ``jacobian`` when it has more (a loss: many parameters, one output). Column ``j``
    moves argument ``j`` alone; the other arguments are held constant, so the entries are
    :func:`jacobian`'s.

    Args:
        f: A function of ``n`` scalars returning ``m`` scalars (a single scalar counts as a list
            of one).

    Returns:
        A function giving the ``m × n`` Jacobian as a list of rows: floats for number
        arguments, Values (graphs, differentiable again) for Value arguments.

    Raises:
        TypeError: (when called) an argument is not a number or a Value, or an output of ``f``
            is not a scalar.

    Example:
        >>> import autograd_core as ag
        >>> from autograd_core.functional import jacfwd
        >>> f = lambda x, y: [x * y, x + y, x**2]
        >>> jacfwd(f)(2.0, 3.0)           # rows [y, x], [1, 1], [2x, 0]: jacobian's numbers
        [[3.0, 2.0], [1.0, 1.0], [4.0, 0.0]]
    """
    _check_callable(f, "jacfwd")

    def jac(*args: Any) -> list[list[Any]]:
        leaves, call_args, nested = _leaves(args, range(len(args)), "jacfwd")
        with _nested_call():
            outputs, _ = _outputs(f(*call_args), "jacfwd")
            roots = [y for y in outputs if isinstance(y, Value)]
            order = reference.topological_order(*roots)
            columns = []
            for leaf in leaves:  # one forward pass per input, every output at once
                moved = forward_mode.tangents(roots, {leaf: 1.0}, nested, order)
                columns.append(_moved_outputs(outputs, moved, nested))
        return [list(row) for row in zip(*columns)] if columns else [[] for _ in outputs]

    jac.__name__ = jac.__qualname__ = f"jacfwd({getattr(f, '__name__', 'f')})"
    return jac


def _moved_outputs(outputs: list[Any], moved: dict[Value, Any], nested: bool) -> list[Any]:
    """The tangent of each output (0 for one that does not move): floats, or Values when
    ``nested``."""
    found = [moved.get(y, 0.0) if isinstance(y, Value) else 0.0 for y in outputs]
    return found if nested else [ops.data(d) for d in found]


def hvp(f: Callable[..., Any], primals: Sequence[Any], tangents: Sequence[Any]) -> list[Any]:
    """The Hessian of ``f`` at ``primals`` times the vector ``tangents``, without the Hessian.

    Forward over reverse: the gradient of ``f`` is computed as a graph (reverse mode,
    ``create_graph``), and one forward pass (:func:`jvp`) pushes ``tangents`` through that
    graph. That costs about two gradients, whatever the number of inputs, where
    :func:`hessian` costs one backward pass per input. Newton-type methods and curvature
    probes use it.

    Args:
        f: A function of ``n`` scalars returning a scalar.
        primals: The point: a tuple or list of ``n`` numbers (or Values).
        tangents: The vector ``v``: a tuple or list of ``n`` numbers, one per primal.

    Returns:
        ``H·v`` as a list of ``n`` entries: floats for number arguments, Values otherwise.

    Raises:
        TypeError: as :func:`jvp`, or ``f`` does not return a scalar.
        ValueError: ``primals`` is empty, or ``primals`` and ``tangents`` differ in length.

    Example:
        >>> import autograd_core as ag
        >>> from autograd_core.functional import hessian, hvp
        >>> f = lambda x, y: x * x * y                # H = [[2y, 2x], [2x, 0]]
        >>> hvp(f, (1.0, 3.0), (1.0, 2.0)), hessian(f)(1.0, 3.0)
        ([10.0, 2.0], [[6.0, 2.0], [2.0, 0.0]])
    """
    _check_callable(f, "hvp")
    primals = _scalars_in(primals, "primals", "hvp")
    if not primals:
        raise ValueError("hvp: primals is empty; give the point, one number per argument of f")
    gradient = grad(f, argnums=tuple(range(len(primals))))

    def gradient_list(*xs: Any) -> list[Any]:
        return list(gradient(*xs))

    try:
        _, product = jvp(gradient_list, primals, tangents)
    except (TypeError, ValueError) as exc:
        raise type(exc)(str(exc).replace("jvp:", "hvp:", 1)) from None
    return product  # type: ignore[no-any-return]


def gradgradcheck(
    f: Callable[..., Any],
    inputs: Sequence[float],
    eps: float = 1e-6,
    atol: float = 1e-6,
    rtol: float = 1e-5,
) -> bool:
    """Check second derivatives (double backward) against finite differences of first ones.

    Three checks, in order, each raising :class:`GradcheckError` at the first disagreement:

    1. first derivatives, as :func:`gradcheck` does;
    2. the first derivatives computed as a graph (``create_graph=True``, every partials rule
       fed Values) equal the plain ones: a rule must compute the same numbers either way;
    3. each entry ``H[i][j]`` of the Hessian from double backward matches the central finite
       difference ``(g_i(x + h·e_j) − g_i(x − h·e_j)) / 2h`` of the first derivatives ``g``,
       with ``h = eps·max(1, |x_j|)``, to within ``atol + rtol·|numerical|``.

    When a check fails, every node of ``f``'s graph has its op's rule checked on its own
    (first and second order, against finite differences of the op's forward and of the rule
    itself), and the message names the first op whose rule is wrong.

    Args:
        f: A function of Values returning a Value.
        inputs: The point, one number per argument of ``f``.
        eps: Relative step of the finite differences.
        atol: Absolute tolerance.
        rtol: Relative tolerance.

    Returns:
        True when all second (and first) partial derivatives match.

    Raises:
        GradcheckError: naming the derivative that disagrees, both values, and the op whose
            rule is to blame when one is found.
        TypeError: ``f`` did not return a Value.

    Example:
        >>> import autograd_core as ag
        >>> ag.functional.gradgradcheck(lambda x, y: x * y.sin() + (x * y).tanh(), [0.3, -1.2])
        True
    """
    point = [layout.as_float(x, "gradgradcheck: inputs") for x in inputs]
    _check_callable(f, "gradgradcheck")
    try:
        gradcheck(f, point, eps=eps, atol=atol, rtol=rtol)
    except GradcheckError as exc:
        raise GradcheckError(f"gradgradcheck: {exc}{_blame(f, point, eps, atol, rtol)}") from None
    n = len(point)
    with enable_grad():
        leaves = [Value(x, label=f"x{i}") for i, x in enumerate(point)]
        out = f(*leaves)
        if not isinstance(out, Value):
            raise TypeError(f"gradgradcheck: f must return a Value, got {type(out).__name__}")
        as_graph = _derivatives(out, leaves, True)
        plain = _first_derivatives(f, point)
        for i in range(n):
            got = ops.data(as_graph[i])
            if not builtins.abs(got - plain[i]) <= atol + rtol * builtins.abs(plain[i]):
                raise GradcheckError(
                    f"gradgradcheck: d(out)/d(x{i}) at {point}: backward with create_graph=True "
                    f"gives {got!r}, plain backward gives {plain[i]!r} (a partials rule computes "
                    f"other numbers when fed Values){_blame(f, point, eps, atol, rtol)}"
                )
        analytic = [_derivatives(g, leaves, False) for g in as_graph]
    for j in range(n):
        h = eps * max(1.0, builtins.abs(point[j]))
        plus = _first_derivatives(f, [x + (h if k == j else 0.0) for k, x in enumerate(point)])
        minus = _first_derivatives(f, [x - (h if k == j else 0.0) for k, x in enumerate(point)])
        for i in range(n):
            numerical = (plus[i] - minus[i]) / (2.0 * h)
            got = analytic[i][j]
            if not builtins.abs(got - numerical) <= atol + rtol * builtins.abs(numerical):
                raise GradcheckError(
                    f"gradgradcheck: d²(out)/d(x{i})d(x{j}) at {point}: double backward gives "
                    f"{got!r}, finite differences of the first derivatives give {numerical!r}"
                    f"{_blame(f, point, eps, atol, rtol)}"
                )
    return True


# -- helpers of the functions above ------------------------------------------------------------


def _check_callable(f: Any, where: str) -> None:
    if not callable(f):
        raise TypeError(f"{where}: f must be callable, got {type(f).__name__} {f!r}")


def _check_argnums(argnums: Any, where: str) -> tuple[tuple[int, ...], bool]:
    """``argnums`` as a tuple of positions, and whether a single one was given."""
    if isinstance(argnums, int) and not isinstance(argnums, bool):
        positions: tuple[Any, ...] = (argnums,)
        single = True
    elif isinstance(argnums, (list, tuple)) and argnums:
        positions = tuple(argnums)
        single = False
    else:
        raise TypeError(
            f"{where}: argnums must be an int or a non-empty sequence of ints, got {argnums!r}"
        )
    for p in positions:
        if isinstance(p, bool) or not isinstance(p, int):
            raise TypeError(f"{where}: argnums must hold ints, got {type(p).__name__} {p!r}")
        if p < 0:
            raise ValueError(f"{where}: argnums must be >= 0, got {p}")
    return positions, single


def _leaves(
    args: Sequence[Any], positions: Iterable[int], where: str
) -> tuple[list[Value], list[Any], bool]:
    """The Values to differentiate with respect to, the arguments to call ``f`` with (numbers
    at ``positions`` replaced by fresh leaves), and whether the derivatives must be graphs:
    when any argument is a Value, or another of these functions is evaluating its ``f``."""
    call_args = list(args)
    made: dict[int, Value] = {}
    for p in positions:
        if p >= len(args):
            raise ValueError(
                f"{where}: argnums={p} is out of range for f called with {len(args)} argument(s)"
            )
        x = args[p]
        if p in made or isinstance(x, Value):
            continue
        if isinstance(x, bool) or not _is_real(x):
            raise TypeError(
                f"{where}: argument {p} of f must be a number or a Value, "
                f"got {type(x).__name__} {x!r}"
            )
        made[p] = call_args[p] = Value(x, label=f"x{p}")
    leaves = [call_args[p] for p in positions]
    nested = _NESTING.get() > 0 or any(isinstance(a, Value) for a in args)
    return leaves, call_args, nested


def _is_real(x: Any) -> bool:
    return isinstance(x, numbers.Real)


def _scalar(y: Any, where: str, hint: str = "") -> Any:
    """``y`` if it is a scalar (a Value or a real number), else a TypeError naming ``where``."""
    if isinstance(y, Value):
        return y
    if _is_real(y) and not isinstance(y, bool):
        return float(y)
    raise TypeError(f"{where} must be a scalar (a Value or a number), got {_shown(y)}{hint}")


def _shown(y: Any) -> str:
    """What a value that is not a scalar is, for an error message."""
    if isinstance(y, (list, tuple)):
        return f"a {type(y).__name__} of {len(y)} items"
    return f"{type(y).__name__} {y!r}"


_ONE_OUTPUT = "; differentiate one output at a time, or use jacobian for several"


def _scalars_in(items: Any, what: str, where: str) -> list[Any]:
    """``primals`` or ``tangents`` as a list: a tuple or a list, not a lone number."""
    if not isinstance(items, (tuple, list)):
        raise TypeError(
            f"{where}: {what} must be a tuple or list with one entry per argument of f, got "
            f"{type(items).__name__} {items!r} (write ({items!r},) for a single argument)"
        )
    return list(items)


def _tangent(t: Any, i: int, where: str) -> Any:
    """Tangent ``i`` as a float (or a Value), or a TypeError naming it."""
    if isinstance(t, Value):
        return t
    if _is_real(t) and not isinstance(t, bool):
        return float(t)
    raise TypeError(
        f"{where}: tangent {i} must be a number (or a Value), one per primal, got {_shown(t)}"
    )


def _outputs(result: Any, where: str) -> tuple[list[Any], bool]:
    """The outputs of ``f`` as a list of scalars, and whether ``f`` returned a list."""
    if isinstance(result, (list, tuple)):
        return [_scalar(y, f"{where}: output {i} of f") for i, y in enumerate(result)], True
    return [_scalar(result, f"{where}: the output of f")], False


def _derivatives(y: Any, leaves: Sequence[Value], create_graph: bool) -> list[Any]:
    """``[∂y/∂leaf for leaf in leaves]``: 0.0 where ``y`` does not depend on a leaf (or is a
    plain number); Values when ``create_graph``, floats otherwise."""
    if not isinstance(y, Value):
        return [0.0] * len(leaves)
    grads = engine.grad([y], list(leaves), create_graph=create_graph, allow_unused=True)
    return [0.0 if g is None else g if create_graph else ops.data(g) for g in grads]


@contextmanager
def _nested_call() -> Iterator[None]:
    """Around a call of ``f``: graphs recorded, and one level deeper in the nesting of these
    functions (so an inner ``grad`` keeps its graph for the outer one)."""
    token = _NESTING.set(_NESTING.get() + 1)
    try:
        with enable_grad():
            yield
    finally:
        _NESTING.reset(token)


def _value_and_grads(
    f: Callable[..., Any], args: Sequence[Any], positions: Sequence[int], where: str
) -> tuple[Any, tuple[Any, ...]]:
    """``f(*args)`` and its derivatives with respect to ``args[positions]``."""
    leaves, call_args, nested = _leaves(args, positions, where)
    with _nested_call():
        out = _scalar(f(*call_args), f"{where}: the output of f", _ONE_OUTPUT)
        grads = _derivatives(out, leaves, nested)
    value = out if nested or not isinstance(out, Value) else out.data
    return value, tuple(grads)


def _first_derivatives(f: Callable[..., Any], point: Sequence[float]) -> list[float]:
    """∂f/∂x at ``point`` by a plain backward pass, as floats."""
    with enable_grad():
        leaves = [Value(x) for x in point]
        return [float(ops.data(g)) for g in _derivatives(f(*leaves), leaves, False)]


def _blame(
    f: Callable[..., Any], point: Sequence[float], eps: float, atol: float, rtol: float
) -> str:
    """Which op of ``f``'s graph at ``point`` has a partials rule that fails its own check."""
    with enable_grad():
        leaves = [Value(x) for x in point]
        out = f(*leaves)
    if not isinstance(out, Value):
        return ""
    checked: set[tuple[int, tuple[float, ...]]] = set()
    for node in topological_order(out):
        op = node.op
        if op is None:
            continue
        xs = tuple(p.data for p in node.parents)
        if (id(op), xs) in checked:
            continue
        checked.add((id(op), xs))
        problem = _check_rule(op, xs, eps, atol, rtol)
        if problem:
            label = f" {node.label!r}" if node.label else ""
            made_from = ", ".join(repr(x) for x in xs[:6]) + (", ..." if len(xs) > 6 else "")
            return (
                f"; the op to blame: {op.describe()!r} (node{label} made from {made_from}): "
                f"{problem}"
            )
    return "; every op's partials rule agrees with finite differences at its node"


def _check_rule(op: ops.Op, xs: Sequence[float], eps: float, atol: float, rtol: float) -> str:
    """'' if ``op``'s partials rule matches finite differences at ``xs`` (first and second
    order), else what disagrees."""

    def rule_at(point: Sequence[float]) -> list[float]:
        return [float(ops.data(r)) for r in op.partials(op.forward(*point), *point)]

    def close(a: float, b: float) -> bool:
        return builtins.abs(a - b) <= atol + rtol * builtins.abs(b)

    try:
        first = rule_at(xs)
        shifted = []
        for j, x in enumerate(xs):
            h = eps * max(1.0, builtins.abs(x))
            plus = [x + (h if k == j else 0.0) for k, x in enumerate(xs)]
            minus = [x - (h if k == j else 0.0) for k, x in enumerate(xs)]
            shifted.append(
                (h, op.forward(*plus), op.forward(*minus), rule_at(plus), rule_at(minus))
            )
    except (ArithmeticError, ValueError, TypeError):
        return ""  # at the edge of the op's domain: nothing to say about this node
    for j, (h, f_plus, f_minus, _, _) in enumerate(shifted):
        numerical = (f_plus - f_minus) / (2.0 * h)
        if not close(first[j], numerical):
            return (
                f"its rule gives ∂/∂{_argname(op, j)} = {first[j]!r}, finite differences of "
                f"its forward give {numerical!r}"
            )
    try:
        with enable_grad():
            inputs = [Value(x) for x in xs]
            node = apply(op, inputs)
            second = [_derivatives(r, inputs, False) for r in op.partials(node, *inputs)]
    except Exception as exc:  # any failure of the rule fed Values is the answer here
        return f"its rule fails when fed Values: {type(exc).__name__}: {exc}"
    for i in range(len(xs)):
        for j, (h, _, _, r_plus, r_minus) in enumerate(shifted):
            numerical = (r_plus[i] - r_minus[i]) / (2.0 * h)
            if not close(second[i][j], numerical):
                return (
                    f"its rule fed Values gives ∂²/∂{_argname(op, i)}∂{_argname(op, j)} = "
                    f"{second[i][j]!r}, finite differences of the rule give {numerical!r} "
                    "(is the rule written with library math, not math or data()?)"
                )
    return ""


def _argname(op: ops.Op, i: int) -> str:
    return op.argnames[i] if len(op.argnames) > i and op.arity is not None else f"x{i}"
