"""``Value``: a number in a graph, and its number protocol.

A Value holds ``data`` (a float), ``grad`` (its gradient after ``backward``), an optional
``label``, and how it was made: ``op``, ``parents`` and ``partials`` (see ``reference.py`` for
what they mean and ``layout.py`` for how they are stored). Its operators and methods are the
op table's rows (``operators.py``); ``backward`` is the chain rule (the fast walk, ``walk.py``,
or the general route, ``general.py``, which both give ``reference.py``'s numbers).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from autograd_core import ops
from autograd_core.engine import general, layout, operators, walk
from autograd_core.engine.hooks import RemovableHandle, anomaly, hooks
from autograd_core.engine.layout import EMPTY, SINGLE, UNCHECKED
from autograd_core.engine.mode import ENGINE
from autograd_core.engine.operators import apply_unary
from autograd_core.ops import Op

__all__ = ["Value"]

_binary, _method = operators.binary_operator, operators.unary_method
# x ** c for the few exponents a program uses: the bound op, looked up instead of rebuilt
_pow_const_ops: dict[float, Op] = {}


class Value:
    """A scalar node in a computation graph: a float, its gradient, and how it was made.

    Args:
        data: A real number (int, float, numpy scalar, Fraction); stored as a float.
        label: Optional name shown in reprs, error messages and graph pictures.

    Example:
        >>> import autograd_core as ag
        >>> a = ag.Value(2.0, label="a")
        >>> b = ag.Value(-3.0, label="b")
        >>> y = a * b + a
        >>> y.backward()
        >>> a.grad, b.grad
        (-2.0, 2.0)
    """

    __slots__ = ("data", "grad", "label", "op", "_a", "_b", "_da", "_db")

    data: float
    """The number this node holds. An optimizer's step changes the parameters' ``data``;
    assigning it by hand (``p.data -= lr * p.grad``) does the same outside any graph."""
    grad: float
    """∂root/∂self after ``root.backward()``, 0.0 before. Leaves (inputs, parameters)
    accumulate over calls, so reset them with ``zero_grad`` between steps; after
    ``backward(create_graph=True)`` a leaf's ``grad`` is a Value with a graph of its own."""
    label: str
    """A name, shown in the repr, in error messages and in pictures; ``""`` for none."""
    op: Op | None
    """The operation that made this node, a row of the op table ``autograd_core.ops``
    (``op.name`` is ``"mul"``, ``"tanh"``, ...); ``None`` for a leaf."""
    # Where ``parents`` and ``partials`` are kept (the properties below read them): see the
    # table in layout.py. Not part of the public API.
    _a: Any
    _b: Value | None
    _da: Any
    _db: Any

    # numpy defers to our reflected operators (np.float64(2) * v calls v.__rmul__)
    __array_ufunc__ = None

    def __init__(self, data: Any, label: str = "") -> None:
        self.data = layout.as_float(data, "Value")
        if not isinstance(label, str):
            raise TypeError(f"Value: label must be a str, got {type(label).__name__}")
        self.grad = 0.0
        self.label = label
        self.op = None
        self._a = self._da = self._db = EMPTY
        self._b = None

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={_shown(self.data)}, grad={_shown(self.grad)}{label})"

    # -- a Value as a number: what PyTorch users try first ---------------------------------
    # Conversions and comparisons read ``data`` (they are not differentiated, as in PyTorch).
    # ``==`` stays identity, so that Values remain hashable graph nodes (sets, dict keys).

    def item(self) -> float:
        """The float inside, as PyTorch's ``tensor.item()``: the same as ``.data``.

        Example:
            >>> import autograd_core as ag
            >>> ag.Value(2.5).item()
            2.5
        """
        return self.data

    def __float__(self) -> float:
        return self.data

    def __int__(self) -> int:
        return int(self.data)

    def __bool__(self) -> bool:
        return self.data != 0.0

    def __round__(self, ndigits: int | None = None) -> Any:
        return round(self.data, ndigits)

    def __format__(self, spec: str) -> str:
        return format(self.data, spec) if spec else repr(self)

    def __lt__(self, other: Any) -> bool:
        return self.data < _compared(other, "<")

    def __le__(self, other: Any) -> bool:
        return self.data <= _compared(other, "<=")

    def __gt__(self, other: Any) -> bool:
        return self.data > _compared(other, ">")

    def __ge__(self, other: Any) -> bool:
        return self.data >= _compared(other, ">=")

    __eq__ = object.__eq__  # identity: Values are graph nodes (see above)
    __hash__ = object.__hash__

    @property
    def parents(self) -> tuple[Value, ...]:
        """The Values this node was computed from, in operand order; ``()`` for a leaf.

        Example:
            >>> import autograd_core as ag
            >>> a, b = ag.Value(2.0, label="a"), ag.Value(3.0, label="b")
            >>> [p.label for p in (a * b).parents], a.parents
            (['a', 'b'], ())
        """
        b = self._b
        if b is None:
            return self._a  # type: ignore[no-any-return]
        return (self._a,) if b is SINGLE else (self._a, b)

    @parents.setter
    def parents(self, parents: Sequence[Value]) -> None:
        partials = self.partials
        self._a, self._b, self._da = tuple(parents), None, partials
        self._db = UNCHECKED  # the walk looks at the new parents and their partials

    @property
    def partials(self) -> tuple[Any, ...]:
        """The local derivative ∂self/∂parent for each parent, in the same order.

        Example:
            >>> import autograd_core as ag
            >>> a, b = ag.Value(2.0), ag.Value(3.0)
            >>> (a * b).partials, (a + b).partials
            ((3.0, 2.0), (1.0, 1.0))
        """
        b = self._b
        if b is None:
            return self._da  # type: ignore[no-any-return]
        return (self._da,) if b is SINGLE else (self._da, self._db)

    @partials.setter
    def partials(self, partials: Sequence[Any]) -> None:
        b = self._b
        if b is None:
            self._da = tuple(partials)
            if self._db.__class__ is tuple and self._db:  # parents known finite: look again
                self._db = UNCHECKED
            return
        partials = tuple(partials)
        if len(partials) != (1 if b is SINGLE else 2):
            raise ValueError(
                f"partials: this node has {len(self.parents)} parent(s), "
                f"got {len(partials)} local derivative(s)"
            )
        if not layout.finite_partials(partials):  # kept in tuples, for the walk (see Value)
            self._a, self._b, self._da, self._db = self.parents, None, partials, UNCHECKED
        elif b is SINGLE:
            (self._da,) = partials
        else:
            self._da, self._db = partials

    @property
    def is_leaf(self) -> bool:
        """True for a node with no parents (an input, a parameter or a constant)."""
        return not self.parents

    # -- arithmetic: one line each, the work is in the op table ---------------------------
    # Each method follows its row (see operators.py): the row's forward computes the value,
    # its partials rule the local derivatives, stored with the node for backward.

    __add__ = operators.add
    __radd__ = _binary(ops.ADD, reflected=True)
    __sub__ = _binary(ops.SUB)
    __rsub__ = _binary(ops.SUB, reflected=True)
    __mul__ = operators.mul
    __rmul__ = _binary(ops.MUL, reflected=True)
    __truediv__ = _binary(ops.DIV)
    __rtruediv__ = _binary(ops.DIV, reflected=True)
    __rpow__ = _binary(ops.POW, reflected=True)
    __neg__ = _method(ops.NEG)
    __abs__ = _method(ops.ABS)

    def __pos__(self) -> Value:
        return self

    def __pow__(self, other: Any) -> Value:
        if type(other) is Value or isinstance(other, Value):
            return self._pow_values(other)
        # x ** 2 is a one-input op with its exponent bound (like micrograd's "**2" node)
        op = _pow_const_ops.get(other) if type(other) is float or type(other) is int else None
        if op is None:
            exponent = layout.lift_number(other)
            if exponent is None:
                return NotImplemented
            op = ops.POW_CONST.bind(exponent)
            if len(_pow_const_ops) < 256:
                _pow_const_ops[exponent] = op
        return apply_unary(op, self)

    _pow_values = _binary(ops.POW)

    # -- the rows of the op table marked method=True (a test checks that none is missing) --

    abs = _method(ops.ABS)
    exp = _method(ops.EXP)
    log = _method(ops.LOG)
    sqrt = _method(ops.SQRT)
    tanh = _method(ops.TANH)
    sigmoid = _method(ops.SIGMOID)
    relu = _method(ops.RELU)
    leaky_relu = _method(ops.LEAKY_RELU)
    sin = _method(ops.SIN)
    cos = _method(ops.COS)

    def detach(self) -> Value:
        """A new leaf with the same data and label, cut off from this node's graph.

        Example:
            >>> import autograd_core as ag
            >>> x = ag.Value(3.0, label="x")
            >>> y = x * x.detach()  # only the first factor is differentiated
            >>> y.backward()
            >>> x.grad
            3.0
        """
        leaf = layout.leaf(type(self), self.data)
        leaf.label = self.label
        leaf._db = EMPTY  # a leaf of the user's (an input), not a constant
        return leaf

    def draw(
        self,
        *,
        rankdir: str = "LR",
        show_grad: bool = True,
        show_partials: bool = True,
        inline_constants: bool = True,
        number_format: str | Callable[[float], str] = ".4g",
        max_nodes: int | str | None = "auto",
        legend: bool = True,
        collapse: str | None = "auto",
        **options: Any,
    ) -> Any:
        """The graph that produced this node, as a picture (SVG inline in Jupyter).

        Shorthand for ``autograd_core.viz.draw_graph(self, ...)``, which says more on each
        option; the defaults are its defaults.

        Args:
            rankdir: ``"LR"`` (inputs on the left), ``"TB"`` (inputs on top), ``"RL"``, ``"BT"``.
            show_grad: Show each value's ``grad`` (turn off before ``backward`` has run).
            show_partials: Label each input edge with its local derivative ∂out/∂in.
            inline_constants: Write a constant operand inside its op's oval (``2 ×``).
            number_format: A format spec for every number, or a function from float to text.
            max_nodes: The most boxes drawn, the rest summed up in a ``+N more`` box; ``None``
                draws everything; ``"auto"``: ``viz.DEFAULT_MAX_NODES``, with the view chosen
                by ``collapse="auto"``.
            legend: Add the legend explaining the colours and the edge numbers.
            collapse: ``None`` (every value), ``"neuron"`` (one box per neuron), ``"layer"``
                (one box per layer), or ``"auto"``: every value if the picture fits its
                budget, else the first collapsed view that does, said in a line under it.
            **options: Any further option of ``draw_graph``.

        Returns:
            A ``viz.GraphDrawing`` (a ``graphviz.Digraph``): shown as SVG in Jupyter.

        Example:
            >>> import autograd_core as ag
            >>> y = ag.Value(2.0, label="x").tanh()
            >>> b"tanh" in y.draw().pipe(format="svg")
            True
            >>> "rankdir=TB" in y.draw(rankdir="TB", legend=False).source
            True
        """
        from autograd_core.viz import draw_graph  # viz is a higher layer: import on use

        return draw_graph(
            self,
            rankdir=rankdir,
            show_grad=show_grad,
            show_partials=show_partials,
            inline_constants=inline_constants,
            number_format=number_format,
            max_nodes=max_nodes,
            legend=legend,
            collapse=collapse,
            **options,
        )

    def explain(
        self,
        *,
        gradient: float = 1.0,
        rankdir: str = "LR",
        number_format: str | Callable[[float], str] = ".4g",
        max_nodes: int | None = 300,
        title: str | None = None,
        program: str | None = None,
        timeout: float | None = 10.0,
        **options: Any,
    ) -> Any:
        """Step through the forward and backward pass of this graph, in a notebook or a page.

        Shorthand for ``autograd_core.stepthrough.explain(self, ...)``, which says more on
        each option; the defaults are its defaults.

        Args:
            gradient: The seed d(loss)/d(self), as in ``self.backward(gradient)``.
            rankdir: ``"LR"`` (inputs on the left), ``"TB"`` (inputs on top), ``"RL"``, ``"BT"``.
            number_format: A format spec for every number, or a function from float to text.
            max_nodes: The largest graph accepted, counting every value; ``None`` for no limit
                but the page's own (``stepthrough.PAGE_LIMIT``).
            title: The page's heading; by default it names this node.
            program: The Graphviz program (``"dot"``, ``"graphviz-pure"``); by default the one
                found.
            timeout: Seconds Graphviz may spend on the layout (``None``: no limit).
            **options: Any further option of ``stepthrough.to_html``.

        Returns:
            A ``stepthrough.StepThrough``: shown inline in Jupyter; ``save(path)`` writes it.

        Example:
            >>> import autograd_core as ag
            >>> x = ag.Value(2.0, label="x")
            >>> page = (x * x).explain()  # shows itself in a notebook cell
            >>> "<iframe" in page._repr_html_()
            True
        """
        from autograd_core.stepthrough import explain  # a higher layer: import on use

        return explain(
            self,
            gradient=gradient,
            rankdir=rankdir,
            number_format=number_format,
            max_nodes=max_nodes,
            title=title,
            program=program,
            timeout=timeout,
            **options,
        )

    def to_code(self, name: str = "f", inputs: Sequence[Value] | None = None) -> str:
        """This graph as a plain-Python function: the forward pass and backward pass as code.

        Shorthand for ``autograd_core.codegen.to_code(self, ...)``, which says more.

        Args:
            name: The name of the generated function.
            inputs: The leaves to take as arguments (default: the labelled leaves).

        Returns:
            The source of a module (``import math`` and the function), which returns
            ``(value, {input name: derivative})`` when run.

        Example:
            >>> import autograd_core as ag
            >>> x = ag.Value(0.5, label="x")
            >>> print(x.sin().to_code(name="g").splitlines()[3])
            def g(x):
        """
        from autograd_core.codegen import to_code  # a higher layer: import on use

        return to_code(self, name=name, inputs=inputs)

    def register_hook(self, hook: Callable[[Any], Any]) -> RemovableHandle:
        """Call ``hook(grad)`` when backward has this node's whole gradient (PyTorch's hook).

        The hook may return a replacement gradient (or ``None`` to keep it); the replacement is
        what the node stores and hands on to its parents. Hooks run in reverse topological
        order, in ``backward`` and in :func:`grad`, leaves last. Graphs with hooks take the
        general (slower) path of ``backward``.

        Returns:
            A handle whose ``remove()`` takes the hook off again.

        Example:
            >>> import autograd_core as ag
            >>> x = ag.Value(3.0, label="x")
            >>> y = x * x
            >>> handle = y.register_hook(lambda g: g * 10)  # scale the gradient reaching y
            >>> (y + 1).backward()
            >>> x.grad
            60.0
            >>> handle.remove()
        """
        if not callable(hook):
            raise TypeError(f"register_hook: hook must be callable, got {hook!r}")
        return hooks.add(self, hook)

    # -- the chain rule ---------------------------------------------------------------------

    def backward(self, gradient: Any = 1.0, create_graph: bool = False) -> None:
        """Compute d(self)/d(node) for every node of the graph that produced ``self``.

        Non-leaf nodes are reset and hold this pass's gradient; leaves (inputs, parameters,
        constants) *accumulate*, so calling ``backward`` twice doubles them. Reset parameters
        with ``zero_grad`` between training steps.

        Args:
            gradient: The seed d(loss)/d(self); 1.0 when ``self`` is the loss.
            create_graph: Compute the gradients as Values with their own graph (the op table's
                partials rules are fed Values), so that ``x.grad.backward()`` gives second
                derivatives. Leaves then hold Values in ``grad``.

        Edge cases follow PyTorch: a node whose gradient is 0 hands nothing on (unless one of
        its local derivatives is infinite or NaN: 0·inf is NaN); ``relu`` and ``leaky_relu``
        *select*, so a zero local derivative passes nothing even when the gradient is infinite.
        When a leaf ends with a non-finite gradient, a ``RuntimeWarning`` names the leaf and the
        op where the first non-finite gradient arose; under :func:`detect_anomaly` it raises.

        Example:
            >>> import autograd_core as ag
            >>> x = ag.Value(3.0)
            >>> y = x * x + 2 * x
            >>> y.backward()
            >>> x.grad  # 2x + 2
            8.0
        """
        if ENGINE.reference or create_graph or hooks.count or anomaly.active:
            general.backward(self, gradient, create_graph)
        else:
            walk.backward(self, gradient)


def _shown(x: Any) -> str:
    """A number in a repr: exact when short, else to 8 significant digits (PyTorch shows 4)."""
    if type(x) is not float:
        return repr(x)
    text = repr(x)
    if len(text) <= 10:
        return text
    short = f"{x:.8g}"
    return short if "e" in short or "." in short else short + ".0"


def _compared(other: Any, symbol: str) -> float:
    if isinstance(other, Value):
        return other.data
    number = layout.lift_number(other) if not isinstance(other, float) else other
    if number is None:
        raise TypeError(
            f"'{symbol}' between a Value and {type(other).__name__} {other!r}: compare with a "
            "number or another Value"
        )
    return number


layout.VALUE = Value
