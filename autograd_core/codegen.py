"""The derivative as a program: a graph written out as plain Python, forward and backward.

``backward`` walks a graph; :func:`to_code` writes that walk down. The result is the source of
a function of the graph's inputs that computes the value line by line (the *Wengert list*: one
line per node), then the gradient line by line (the *adjoints*: one line per edge, from the
output back to the inputs), and returns both. It is what one writes by hand when one
backpropagates without a library (``benchmarks/floor.py``), generated:

```python
import math


def f(x, w, b):
    t1 = x * w  # mul
    t2 = t1 + b  # add
    out = math.tanh(t2)  # tanh
    g_out = 1.0
    g_t2 = 1.0 / (math.cosh(t2) * math.cosh(t2)) * g_out  # tanh: 1 / cosh²
    ...
```

It is the program of *this* graph: like JAX's tracing, the code records the operations that
ran, so the choices made at the traced values are fixed in it (which side of relu's kink a
value was on, whether an edge passed nothing). For other inputs that take the same branches
the program computes the library's numbers; elsewhere, trace again.

The code uses ``math`` only; the library writes it and never runs it. Its numbers are the
library's, bit for bit: each line does the arithmetic the op table does, in the order backward
does it (the tests run the code on random graphs of every op and compare).
"""

from __future__ import annotations

import builtins
import keyword
import math
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from autograd_core.engine import layout, reference

if TYPE_CHECKING:
    from autograd_core.engine.value import Value

__all__ = ["to_code"]

# Names the generated code must not take for a variable: Python's keywords and built-ins, and
# the module it imports.
_RESERVED = frozenset(keyword.kwlist) | frozenset(keyword.softkwlist) | frozenset(dir(builtins))
_RESERVED |= {"math"}
_INVALID = re.compile(r"\W")


def to_code(y: Value, name: str = "f", inputs: Sequence[Value] | None = None) -> str:
    """The Python source of a function computing ``y`` and its gradient, line by line.

    The function takes the graph's inputs as arguments and returns ``(value, {input name:
    derivative})``. Its body has one line per node of the forward pass (the op written as plain
    arithmetic or a ``math`` call, with a comment naming the op), then the backward pass: one
    line per edge, ``g_t1 = w * g_t2``, from the output back to the inputs, where a value used
    twice has its gradient accumulated (``g_x += ...``). PyTorch's edge rules carry over: relu
    at x <= 0 and ``x ** 0`` pass nothing; every other edge multiplies, so 0·inf is NaN.

    The inputs are the leaves you made (``Value(...)``, parameters), unless ``inputs`` lists
    them: each is named by its label, made a valid Python name and unique, or ``x0``, ``x1``,
    ... when it has none. A constant (a number an operation was given, the ``1`` of ``x + 1``)
    is written as a number. Interior nodes are named by their labels when they have one, else
    ``t1``, ``t2``, ...; gradients ``g_<name>``.

    The code is the program of this graph, traced at its values: choices made there (relu's
    side of 0, a selected edge) are fixed in it, as in JAX's tracing. The library never runs it.
    Its size is linear in the graph's: one line per node and one per edge.

    Args:
        y: The output, a ``Value``.
        name: The name of the generated function, a Python identifier.
        inputs: The leaves to take as arguments, in order; by default every leaf that is not a
            constant, in the order the graph uses them.

    Returns:
        The source of a module: ``import math`` and the function.

    Raises:
        ValueError: A node's op has no plain-Python form (an op of ``register_op``), naming it;
            ``name`` is not an identifier; an entry of ``inputs`` is not a leaf of the graph.
        TypeError: ``y`` or an entry of ``inputs`` is not a Value.

    Example:
        >>> import autograd_core as ag
        >>> x = ag.Value(3.0, label="x")
        >>> print(ag.to_code(x * x + 1))
        import math
        <BLANKLINE>
        <BLANKLINE>
        def f(x):
            # The program of one graph, traced at x=3.0;
            # the branches taken there are fixed in it.
            # forward pass: one line per node
            t1 = x * x  # mul
            t2 = t1 + 1.0  # add
            # backward pass: one line per edge, from the output back to the inputs
            g_t2 = 1.0
            g_t1 = g_t2  # add
            g_x = x * g_t1  # mul
            g_x += x * g_t1
            return t2, {"x": g_x}
        <BLANKLINE>
    """
    from autograd_core.engine.value import Value  # (value.py imports this module on use)

    if not isinstance(y, Value):
        raise TypeError(f"to_code: y must be a Value, got {type(y).__name__} {y!r}")
    if not isinstance(name, str) or not name.isidentifier() or name in _RESERVED:
        raise ValueError(
            f"to_code: name must be a Python identifier that is not a keyword or built-in, "
            f"got {name!r}"
        )
    order = reference.topological_order(y)
    args = _arguments(order, inputs, Value)
    writer = _Writer(order, args, name)
    return writer.source(y)


def _arguments(
    order: list[Value], inputs: Sequence[Value] | None, value: type[Value]
) -> list[Value]:
    """The leaves that are arguments: ``inputs``, or the leaves that are not constants (and
    any labelled one), in graph order."""
    if inputs is None:
        return [n for n in order if n.op is None and (n.label or not layout.is_constant(n))]
    if isinstance(inputs, value) or not isinstance(inputs, (list, tuple)):
        raise TypeError(f"to_code: inputs must be a list or tuple of leaves, got {inputs!r}")
    leaves = {n for n in order if n.op is None}
    chosen: list[Value] = []
    for i, x in enumerate(inputs):
        if not isinstance(x, value):
            raise TypeError(f"to_code: inputs[{i}] must be a Value, got {type(x).__name__}")
        if x not in leaves:
            what = "an interior node" if x.op is not None else "not in the graph"
            raise ValueError(
                f"to_code: inputs[{i}] ({x!r}) is {what}; inputs must be leaves of the graph"
            )
        if x not in chosen:
            chosen.append(x)
    return chosen


class _Writer:
    """Names the nodes, then writes the forward lines and the backward lines."""

    def __init__(self, order: list[Value], args: list[Value], name: str) -> None:
        self.order = order
        self.args = args
        self.function = name
        self.taken: set[str] = set(_RESERVED) | {name}
        self.names: dict[Value, str] = {}
        self.started: set[Value] = set()  # the nodes whose gradient has a line already
        self.unnamed = 0
        unlabelled = 0
        for leaf in args:
            if leaf.label:
                self.names[leaf] = self._fresh(leaf.label, f"x{unlabelled}")
            else:
                self.names[leaf] = self._fresh(f"x{unlabelled}", f"x{unlabelled}")
                unlabelled += 1
        # the nodes that move with an input: the only ones backward needs a gradient for
        self.moves: set[Value] = set(args)
        for node in order:
            if node.op is not None:
                if node.op.base.name not in _FORMS:
                    raise ValueError(
                        f"to_code: the op {node.op.describe()!r} of node {_shown(node)} has no "
                        f"plain-Python form; to_code writes the built-in ops "
                        f"({', '.join(sorted(_FORMS))})"
                    )
                self.names[node] = self._fresh(node.label, "t")
                if any(p in self.moves for p in node.parents):
                    self.moves.add(node)
        self.grads = {n: self._fresh(f"g_{self.names[n]}", "g_") for n in self.moves}

    def _fresh(self, wanted: str, fallback: str) -> str:
        """A new variable name: ``wanted`` made a valid identifier, unique; else t1, t2..."""
        if fallback == "t" and not wanted:
            while True:
                self.unnamed += 1
                candidate = f"t{self.unnamed}"
                if candidate not in self.taken:
                    break
        else:
            candidate = _INVALID.sub("_", wanted) or fallback
            if not candidate.isidentifier():  # starts with a digit
                candidate = f"_{candidate}"
            base, k = candidate, 1
            while candidate in self.taken:
                k += 1
                candidate = f"{base}_{k}"
        self.taken.add(candidate)
        return candidate

    def operand(self, node: Value) -> str:
        """A node as an operand: its variable, or its value as a literal (a constant)."""
        found = self.names.get(node)
        return found if found is not None else _literal(node.data)

    def source(self, y: Value) -> str:
        traced = ", ".join(f"{self.names[a]}={a.data!r}" for a in self.args)
        lines = [
            "import math",
            "",
            "",
            f"def {self.function}({', '.join(self.names[a] for a in self.args)}):",
            f"    # The program of one graph, traced at {traced or 'no input'};",
            "    # the branches taken there are fixed in it.",
            "    # forward pass: one line per node",
        ]
        for node in self.order:
            if node.op is not None:
                expression = _FORMS[node.op.base.name][0](self, node)
                lines.append(f"    {self.names[node]} = {expression}  # {node.op.name}")
        lines.append("    # backward pass: one line per edge, from the output back to the inputs")
        lines += self._backward(y)
        grads = ", ".join(
            f'"{self.names[a]}": {self.grads[a] if a in self.started else "0.0"}' for a in self.args
        )
        lines.append(f"    return {self.operand(y)}, {{{grads}}}")
        return "\n".join(lines) + "\n"

    def _backward(self, y: Value) -> list[str]:
        """The adjoint lines: reference.gradients written out, in its order of additions."""
        lines: list[str] = []
        if y in self.moves:
            lines.append(f"    {self.grads[y]} = 1.0")
            self.started.add(y)
        for node in reversed(self.order):
            if node.op is None or node not in self.moves:
                continue
            g = self.grads[node]
            if node not in self.started:  # every edge into it passed nothing
                lines.append(f"    {g} = 0.0  # nothing reached {self.names[node]}")
                self.started.add(node)
            comment = f"  # {node.op.name}"
            for parent, local in zip(node.parents, _FORMS[node.op.base.name][1](self, node)):
                if parent not in self.moves:
                    continue
                if local is None:
                    lines.append(f"    # {node.op.name} passes nothing to {self.names[parent]}")
                    continue
                term = g if local == "1.0" else f"-{g}" if local == "(-1.0)" else f"{local} * {g}"
                target = self.grads[parent]
                if parent in self.started:
                    lines.append(f"    {target} += {term}{comment}")
                else:
                    lines.append(f"    {target} = {term}{comment}")
                    self.started.add(parent)
                comment = ""
        return lines


def _shown(node: Value) -> str:
    return f"{node.label!r}" if node.label else f"of value {node.data!r}"


def _literal(x: float) -> str:
    """A float as Python source: its repr, ``math.inf`` or ``math.nan``; a negative number in
    parentheses, so that ``(-3.0) ** 2.0`` means what it says."""
    if math.isnan(x):
        return "math.nan"
    if math.isinf(x):
        return "math.inf" if x > 0 else "(-math.inf)"
    text = repr(x)
    return f"({text})" if text.startswith("-") else text


# -- the ops as Python ----------------------------------------------------------------------------
# Per op: the forward expression, and the local derivative of each edge as an expression (None:
# the edge is selected away, passes nothing). Both do the op table's arithmetic in its order.
# Where the op's rule picks a case from the values (relu's side of 0, an edge case of pow), the
# case taken at the traced values is written.


def _args(w: _Writer, node: Value) -> list[str]:
    return [w.operand(p) for p in node.parents]


def _select_or(node: Value, locals_: list[str | None]) -> list[str | None]:
    """The locals, with None on the edges the op selects away at the traced values."""
    op = node.op
    assert op is not None
    if op.base.selects is None:
        return locals_
    off = op.base.selects(*(p.data for p in node.parents), *op.params)
    return [None if o else local for local, o in zip(locals_, off)]


def _binary(symbol: str) -> Form:
    def forward(w: _Writer, node: Value) -> str:
        a, b = _args(w, node)
        return f"{a} {symbol} {b}"

    return forward


def _mul_locals(w: _Writer, node: Value) -> list[str | None]:
    a, b = _args(w, node)
    return [b, a]


def _div_locals(w: _Writer, node: Value) -> list[str | None]:
    b = _args(w, node)[1]
    return [f"1.0 / {b}", f"-{w.names[node]} / {b}"]


def _pow_forward(w: _Writer, node: Value) -> str:
    a, b = _args(w, node)
    return f"{a} ** {b}"


def _pow_locals(w: _Writer, node: Value) -> list[str | None]:
    a, b = _args(w, node)
    x, e = (p.data for p in node.parents)
    partials = node.partials
    if e == 0.0 or (x == 0.0 and e < 1.0) or not math.isfinite(partials[0]):
        base = _literal(partials[0])  # 0 for x ** 0; IEEE's pole at 0 for y < 1
    else:
        base = f"{b} * {a} ** ({b} - 1.0)"
    exponent = f"{w.names[node]} * math.log({a})" if x > 0.0 else _literal(partials[1])
    return _select_or(node, [base, exponent])


def _pow_const_forward(w: _Writer, node: Value) -> str:
    (a,) = _args(w, node)
    return f"{a} ** {_literal(node.op.params[0])}"  # type: ignore[union-attr]


def _pow_const_locals(w: _Writer, node: Value) -> list[str | None]:
    (a,) = _args(w, node)
    (c,) = node.op.params  # type: ignore[union-attr]
    if c == 0.0 or (c < 1.0 and node.parents[0].data == 0.0) or not math.isfinite(node.partials[0]):
        return _select_or(node, [_literal(node.partials[0])])
    return [f"{_literal(c)} * {a} ** {_literal(c - 1.0)}"]


def _call(function: str) -> Form:
    def forward(w: _Writer, node: Value) -> str:
        (a,) = _args(w, node)
        return f"{function}({a})"

    return forward


def _sqrt_locals(w: _Writer, node: Value) -> list[str | None]:
    if node.data == 0.0:
        return [_literal(node.partials[0])]  # ±inf, as in PyTorch
    return [f"0.5 / {w.names[node]}"]


def _tanh_locals(w: _Writer, node: Value) -> list[str | None]:
    (a,) = _args(w, node)
    out = w.names[node]
    if abs(node.parents[0].data) > 19.0:
        return [f"(1.0 - {out}) * (1.0 + {out})"]
    return [f"1.0 / (math.cosh({a}) * math.cosh({a}))"]  # 1 − tanh², correctly rounded


def _sigmoid_forward(w: _Writer, node: Value) -> str:
    (a,) = _args(w, node)
    return f"1.0 / (1.0 + math.exp(-{a})) if {a} >= 0.0 else math.exp({a}) / (1.0 + math.exp({a}))"


def _relu_locals(w: _Writer, node: Value) -> list[str | None]:
    return _select_or(node, [_literal(node.partials[0])])


def _leaky_relu_forward(w: _Writer, node: Value) -> str:
    (a,) = _args(w, node)
    return f"{a} if {a} > 0.0 else {_literal(node.op.params[0])} * {a}"  # type: ignore[union-attr]


def _sum_forward(w: _Writer, node: Value) -> str:
    return " + ".join(_args(w, node))


def _dot_forward(w: _Writer, node: Value) -> str:
    operands = _args(w, node)
    n = len(operands) // 2
    terms = [f"{a} * {b}" for a, b in zip(operands[:n], operands[n : 2 * n])]
    return " + ".join(operands[2 * n :] + terms)  # the bias first, as ops._dot_forward adds


def _dot_locals(w: _Writer, node: Value) -> list[str | None]:
    operands = _args(w, node)
    n = len(operands) // 2
    return [*operands[n : 2 * n], *operands[:n], *(["1.0"] if len(operands) % 2 else [])]


def _affine_forward(w: _Writer, node: Value) -> str:
    constants, bias = node.op.params  # type: ignore[union-attr]
    weights = _args(w, node)
    if bias is None:
        start = [weights.pop()]
    elif bias == 0.0 and math.copysign(1.0, bias) < 0:
        start = []  # no bias: −0.0, the identity of addition
    else:
        start = [_literal(bias)]
    terms = [f"{a} * {_literal(c)}" for a, c in zip(weights, constants)]
    return " + ".join(start + terms)


def _affine_locals(w: _Writer, node: Value) -> list[str | None]:
    constants, bias = node.op.params  # type: ignore[union-attr]
    locals_: list[str | None] = [_literal(c) for c in constants]
    return locals_ + (["1.0"] if bias is None else [])


def _cross_entropy_parts(w: _Writer, node: Value) -> tuple[list[str], list[str]]:
    """The exponentials ``exp(z_j − m)``, shifted by the largest logit at the traced values."""
    logits = _args(w, node)
    datas = [p.data for p in node.parents]
    m = logits[datas.index(max(datas))]
    return [f"math.exp({z} - {m})" for z in logits], [f"({z} - {m})" for z in logits]


def _cross_entropy_forward(w: _Writer, node: Value) -> str:
    (target,) = node.op.params  # type: ignore[union-attr]
    exps, shifted = _cross_entropy_parts(w, node)
    datas = [p.data for p in node.parents]
    k = datas.index(max(datas))
    others = " + ".join(exps[:k] + exps[k + 1 :]) or "0.0"
    return f"math.log1p({others}) - {shifted[target]}"


def _cross_entropy_locals(w: _Writer, node: Value) -> list[str | None]:
    (target,) = node.op.params  # type: ignore[union-attr]
    exps, _ = _cross_entropy_parts(w, node)
    total = f"({' + '.join(exps)})"
    slopes: list[str | None] = [f"{e} / {total}" for e in exps]
    others = " + ".join(exps[:target] + exps[target + 1 :]) or "0.0"
    slopes[target] = f"-({others}) / {total}"
    return slopes


def _traced_locals(w: _Writer, node: Value) -> list[str | None]:
    """Local derivatives that are numbers (add's 1 and 1, abs's sign), as literals."""
    locals_: list[str | None] = [_literal(d) for d in node.partials]
    return locals_


if TYPE_CHECKING:
    from collections.abc import Callable

    Form = Callable[[_Writer, "Value"], str]
    Locals = Callable[[_Writer, "Value"], list[str | None]]

_FORMS: dict[str, tuple[Form, Locals]] = {
    "add": (_binary("+"), _traced_locals),
    "sub": (_binary("-"), _traced_locals),
    "mul": (_binary("*"), _mul_locals),
    "div": (_binary("/"), _div_locals),
    "neg": (lambda w, n: f"-{_args(w, n)[0]}", _traced_locals),
    "abs": (_call("abs"), _traced_locals),
    "pow": (_pow_forward, _pow_locals),
    "pow_const": (_pow_const_forward, _pow_const_locals),
    "exp": (_call("math.exp"), lambda w, n: [w.names[n]]),
    "log": (_call("math.log"), lambda w, n: [f"1.0 / {_args(w, n)[0]}"]),
    "sqrt": (_call("math.sqrt"), _sqrt_locals),
    "tanh": (_call("math.tanh"), _tanh_locals),
    "sigmoid": (_sigmoid_forward, lambda w, n: [f"{w.names[n]} * (1.0 - {w.names[n]})"]),
    "relu": (lambda w, n: f"{_args(w, n)[0]} if {_args(w, n)[0]} > 0.0 else 0.0", _relu_locals),
    "leaky_relu": (_leaky_relu_forward, _traced_locals),
    "sin": (_call("math.sin"), lambda w, n: [f"math.cos({_args(w, n)[0]})"]),
    "cos": (_call("math.cos"), lambda w, n: [f"-math.sin({_args(w, n)[0]})"]),
    "sum": (_sum_forward, _traced_locals),
    "dot": (_dot_forward, _dot_locals),
    "affine": (_affine_forward, _affine_locals),
    "cross_entropy": (_cross_entropy_forward, _cross_entropy_locals),
}
