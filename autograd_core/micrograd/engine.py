"""micrograd's ``Value``, made of autograd_core nodes.

micrograd builds each node with a closure, ``out._backward``, that pushes ``out.grad`` into the
node's inputs; ``backward()`` sorts the graph and calls every closure. autograd_core stores the
same information as numbers instead: each node keeps its inputs (``parents``) and the local
derivatives ``∂out/∂input`` (``partials``), and ``backward()`` multiplies and adds them.

This ``Value`` is an ``autograd_core.Value`` that also speaks micrograd's dialect:

* ``Value(data, _children=(), _op='', label='')``, as in micrograd and its lecture notebooks;
* ``_prev`` -- the set of inputs; ``_op`` -- ``'+'``, ``'*'``, ``'**2'``, ``'ReLU'``, ...;
* ``_backward()`` -- this node's step of the chain rule, for stepping through backprop by hand;
* operators and ``relu``/``tanh``/``exp`` return this class, so a whole graph speaks it.

micrograd's way of adding an operation works too: make the node with
``Value(result, (self,), 'name')`` and assign its closure to ``out._backward``. The closure is
run once, right then, with ``out.grad = 1`` and the inputs' gradients at 0 (and everything put
back afterwards): what it adds to each input's ``grad`` is that input's local derivative, which
the node stores like any other. (A chain-rule closure is linear in ``out.grad``, so this is
exact.) The hand-made node is then an ordinary node of the graph: ``backward`` is the
engine's, and the library's pictures draw it with its ``_op`` as the symbol. Until a closure
is assigned, a hand-made node passes no gradient, as in micrograd.

Three differences from micrograd. Local derivatives are taken when a node is made (micrograd's
closures read ``.data`` when ``backward`` runs), as everywhere in the library; calling
``backward()`` twice on one graph gives the leaves exactly twice the gradient (micrograd also
re-adds into the intermediate nodes, which gives wrong numbers); and ``data`` must be a finite
real number (stored as a float).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, cast

from autograd_core import engine as _engine
from autograd_core import ops
from autograd_core.engine import layout, operators
from autograd_core.ops import Op

__all__ = ["Value", "op_text"]

# What micrograd and its lecture write in ``_op`` for the library's ops; the n-ary ops have
# their picture symbol (a neuron's ``Σ w·x + b``); the others go by their name.
_OP_TEXT = {
    "add": "+",
    "sub": "-",
    "mul": "*",
    "div": "/",
    "pow": "**",
    "relu": "ReLU",
    "sum": ops.SUM.symbol,
    "dot": ops.DOT.symbol,
    "affine": ops.AFFINE.symbol,
}

# The ops of hand-made nodes (``Value(x, (a,), 'cube')``), by their ``_op`` text. They are not
# in the op table: their forward is the user's code, and their rule is the user's closure.
_hand_made_ops: dict[str, _HandMadeOp] = {}

_new = object.__new__


def _binary(op: Op, reflected: bool = False) -> Callable[[Value, Any], Value]:
    """``__add__`` and friends: the node ``op(self, other)``, of this module's ``Value``."""

    def method(self: Value, other: Any) -> Value:
        if not isinstance(other, _engine.Value):
            other = layout.lift(Value, other)  # a number becomes a constant leaf
            if other is None:
                return NotImplemented  # type: ignore[no-any-return]
        a, b = (other, self) if reflected else (self, other)
        # a node of this module's Value, whichever side was the library's
        return cast(Value, operators.apply_binary(op, a, b, Value))

    method.__name__ = f"__r{op.name}__" if reflected else f"__{op.name}__"
    return method


def _unary(op: Op) -> Callable[..., Value]:
    """``x.relu()``, ``x.tanh()``, ...: the row's node, of this module's ``Value``."""
    inherited = getattr(_engine.Value, op.name)
    plain = not op.param_names

    def method(self: Value, *args: Any, **kwargs: Any) -> Value:
        if plain and not args and not kwargs:
            return cast(Value, operators.apply_unary(op, self))  # a node of type(self)
        return _adopt(inherited(self, *args, **kwargs))

    method.__name__ = method.__qualname__ = op.name
    method.__doc__ = inherited.__doc__
    return method


class Value(_engine.Value):
    """micrograd's ``Value``: a scalar, its gradient, and the inputs and op that made it.

    Args:
        data: A finite real number (stored as a float).
        _children: The inputs of a node made by hand (micrograd's way of adding an op).
        _op: The op's name for pictures (``'+'``, ``'tanh'``); ``''`` for a leaf.
        label: Optional name shown in pictures and error messages.

    Example:
        >>> from autograd_core.micrograd import Value
        >>> x = Value(-4.0)
        >>> z = 2 * x + 2 + x
        >>> y = z.relu() + z * x
        >>> y.backward()
        >>> y.data, x.grad, y._op, sorted(len(v._prev) for v in y._prev)
        (40.0, -22.0, '+', [1, 2])
    """

    # A __dict__ for what micrograd code sets on a node: a hand-written ``_backward``, an
    # ``_op`` text, any attribute of its own. It is created only when something is stored.
    __slots__ = ("__dict__",)

    def __init__(
        self, data: Any, _children: Iterable[Any] = (), _op: str = "", label: str = ""
    ) -> None:
        super().__init__(data, label=label)
        if isinstance(_children, _engine.Value):
            raise TypeError("Value: _children must be a tuple of Values, got a single Value")
        children = tuple(dict.fromkeys(_children))  # distinct, in order: micrograd's set
        for child in children:
            if not isinstance(child, _engine.Value):
                raise TypeError(
                    f"Value: _children must be Values, got {type(child).__name__} {child!r}"
                )
        if not isinstance(_op, str):
            raise TypeError(f"Value: _op must be a str, got {type(_op).__name__} {_op!r}")
        if children:
            # A node made by hand: no gradient flows through it until a closure is assigned
            # to its _backward (micrograd's default `lambda: None`).
            self.op = _hand_made_op(_op)
            self.parents = children  # (the backward walk then looks at them: Value.parents)
            self.partials = (0.0,) * len(children)
        elif _op:
            self._op = _op

    def __repr__(self) -> str:
        return f"Value(data={self.data}, grad={self.grad})"

    # -- micrograd's internals ------------------------------------------------------------

    @property
    def _prev(self) -> set[_engine.Value]:
        """The inputs this node was computed from, as a set (micrograd's ``_prev``).

        Example:
            >>> from autograd_core.micrograd import Value
            >>> a = Value(3.0)
            >>> (a * a)._prev == {a}
            True
        """
        return set(self.parents)

    @property
    def _op(self) -> str:
        """The op that made this node, as micrograd writes it: ``'+'``, ``'*'``, ``'**2'``,
        ``'ReLU'``, ``'tanh'``, ``'exp'``, ...; ``''`` for a leaf.

        Example:
            >>> from autograd_core.micrograd import Value
            >>> x = Value(3.0)
            >>> (x**2)._op, (x * 2)._op, x.relu()._op, x._op
            ('**2', '*', 'ReLU', '')
        """
        text: str | None = getattr(self, "_op_text", None)
        return op_text(self) if text is None else text

    @_op.setter
    def _op(self, text: str) -> None:
        if not isinstance(text, str):
            raise TypeError(f"Value: _op must be a str, got {type(text).__name__} {text!r}")
        self._op_text = text

    @property
    def _backward(self) -> Callable[[], None]:
        """This node's step of the chain rule: add ``∂self/∂input · self.grad`` to each input.

        Assign a closure to give a node made by hand its rule, as micrograd does; the local
        derivatives are read off the closure then (see the module docs).

        Example:
            >>> from autograd_core.micrograd import Value
            >>> a, b = Value(2.0), Value(-3.0)
            >>> c = a * b
            >>> c.grad = 1.0
            >>> c._backward()
            >>> a.grad, b.grad
            (-3.0, 2.0)
        """
        custom: Callable[[], None] | None = getattr(self, "_backward_fn", None)
        if custom is not None:
            return custom
        return self._chain_rule_step

    @_backward.setter
    def _backward(self, fn: Callable[[], None]) -> None:
        if not callable(fn):
            raise TypeError(f"Value: _backward must be callable, got {type(fn).__name__}")
        self.partials = _partials_of(self, fn)
        self._backward_fn = fn

    def _chain_rule_step(self) -> None:
        _step(self)

    # -- operators: nodes of this class, from the library's op table ------------------------

    __add__ = _binary(ops.ADD)  # type: ignore[assignment]
    __radd__ = _binary(ops.ADD, reflected=True)
    __sub__ = _binary(ops.SUB)
    __rsub__ = _binary(ops.SUB, reflected=True)
    __mul__ = _binary(ops.MUL)  # type: ignore[assignment]
    __rmul__ = _binary(ops.MUL, reflected=True)
    __truediv__ = _binary(ops.DIV)
    __rtruediv__ = _binary(ops.DIV, reflected=True)
    __rpow__ = _binary(ops.POW, reflected=True)
    _pow_values = _binary(ops.POW)

    def __neg__(self) -> Value:
        return cast(Value, operators.apply_unary(ops.NEG, self))

    def __abs__(self) -> Value:
        return cast(Value, operators.apply_unary(ops.ABS, self))

    def __pow__(self, other: Any) -> Value:
        if isinstance(other, _engine.Value):
            return self._pow_values(other)
        exponent = layout.lift_number(other)
        if exponent is None:
            return NotImplemented
        # x ** 2 is one node with its exponent bound, micrograd's '**2'
        return cast(Value, operators.apply_unary(ops.POW_CONST.bind(exponent), self))


# The rows of the op table that are methods (relu, tanh, exp, log, ...), returning this class.
for _op_row in ops.methods():
    setattr(Value, _op_row.name, _unary(_op_row))
del _op_row


def op_text(node: _engine.Value) -> str:
    """What micrograd writes for the op that made ``node``: ``'+'``, ``'**2'``, ``'ReLU'``, ...

    Example:
        >>> import autograd_core as ag
        >>> from autograd_core.micrograd.engine import op_text
        >>> x = ag.Value(2.0)
        >>> op_text(x * x), op_text(x**-1), op_text(x.tanh()), op_text(x)
        ('*', '**-1', 'tanh', '')
    """
    custom: str | None = getattr(node, "_op_text", None)
    if custom is not None:
        return custom
    op = node.op
    if op is None:
        return ""
    row = op.base
    if isinstance(row, _HandMadeOp):
        return row.text
    if row is ops.POW_CONST:
        exponent = float(op.params[0])
        return "**" + (str(int(exponent)) if exponent.is_integer() else repr(exponent))
    return _OP_TEXT.get(row.name, row.name)


def _step(node: _engine.Value) -> None:
    """One node's step of the chain rule, with the engine's rule that a zero gradient passes
    nothing (so an infinite local derivative never makes 0·inf)."""
    g = node.grad
    if g == 0.0:
        return
    for parent, local in zip(node.parents, node.partials):
        parent.grad += local * g


def _partials_of(node: _engine.Value, fn: Callable[[], None]) -> tuple[float, ...]:
    """The local derivatives a hand-written ``_backward`` closure applies, one per input.

    The closure is called once with ``node.grad = 1`` and every input's ``grad`` at 0: what it
    adds to an input is ``∂node/∂input``. All gradients are put back afterwards.
    """
    parents = node.parents
    saved = [p.grad for p in parents], node.grad
    try:
        for p in parents:
            p.grad = 0.0
        node.grad = 1.0
        fn()
        partials = tuple(layout.as_float(p.grad, "Value._backward") for p in parents)
    finally:
        for p, grad in zip(parents, saved[0]):
            p.grad = grad
        node.grad = saved[1]
    return partials


class _HandMadeOp(Op):
    """The op of a node made by hand, micrograd style: named and drawn by its ``_op`` text.

    It is not in the op table: its forward is the user's code and its local derivatives are
    numbers read off the node's closure, so there is nothing to recompute them with.
    """

    __slots__ = ("text",)  # the ``_op`` text the node was made with ('' when none was given)

    text: str

    def __init__(self, text: str) -> None:
        name = text or "hand-made"

        def unavailable(*args: Any) -> Any:
            raise TypeError(
                f"{name}: an op made by hand (micrograd style) has no forward function or "
                "partials rule in the op table; only its node's numbers are known"
            )

        super().__init__(name, unavailable, unavailable, arity=None, symbol=name)
        self.text = text


def _hand_made_op(text: str) -> Op:
    """The op of hand-made nodes with this ``_op`` text (shared by all of them)."""
    op = _hand_made_ops.get(text)
    if op is None:
        op = _HandMadeOp(text)
        if len(_hand_made_ops) < 256:
            _hand_made_ops[text] = op
    return op


def _adopt(node: Any) -> Value:
    """A node of this class with the same fields as ``node`` (made by an inherited method)."""
    if type(node) is Value or not isinstance(node, _engine.Value):
        return cast(Value, node)
    twin = _new(Value)
    for slot in _engine.Value.__slots__:
        setattr(twin, slot, getattr(node, slot))
    return twin
