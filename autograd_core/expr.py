"""A safe calculator language: turn ``"tanh(x*w + b)"`` into a graph of Values.

The ``autograd-core graph`` command takes a formula from the command line. Handing that text to
``eval`` would run whatever it says (``__import__('os').system(...)``), so this module never
evaluates Python. Instead it lets Python's own parser (``ast.parse``) read the text into a syntax
tree, checks every node of the tree against a short whitelist, and only then computes the result
by walking the tree itself, calling the library's operators and functions. What the whitelist
allows:

* numbers (``2``, ``0.5``, ``1e-3``);
* names given values by the caller (each becomes a labelled leaf Value, so it shows up in the
  picture with its name and gradient);
* ``+ - * / **`` and unary ``-`` / ``+``;
* calls of the op table's functions (``exp log sqrt tanh sigmoid relu leaky_relu sin cos
  abs``, see ``ops.functions()``) and the n-ary ``sum(a, b, c, ...)`` (or ``sum([a, b, c])``,
  as ``ag.sum`` takes a list) and ``dot([w1, w2], [x1, x2], b)``: lists only as the arguments
  of ``sum`` and ``dot``.

Names are ASCII identifiers. (Python would read ``𝐞𝐱𝐩`` as ``exp`` and ``ﬁ`` as ``fi``, after
Unicode normalisation; such names are refused instead of silently becoming other names.)
Whitespace around the formula is ignored, so ``" -x"`` is ``-x``.

Anything else -- attribute access, subscripts, lambdas, comprehensions, strings, keyword
arguments, unknown names -- is rejected with an :class:`ExpressionError` that quotes the
offending part and its column. Evaluation errors of the library (``log(0)``, ``1/0``, overflow)
come out as the same error type, carrying the library's message.

Both the check and the evaluation walk the tree with an explicit stack, never recursion, and the
text is limited in length (:data:`MAX_LENGTH`). Python's parser has a limit of its own: it
builds ``x+x+...+x`` as one nested level per ``+`` and gives up near 3,000 levels (the exact
number depends on the Python version); the error then says so and suggests
``sum(x, x, ...)``, which is flat. Its other limits (200 nested parentheses, ``MemoryError``)
are reported like any other mistake.
"""

from __future__ import annotations

import ast
import functools
import keyword
import math
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from autograd_core import functional, ops
from autograd_core.engine import Value, apply

__all__ = [
    "ExpressionError",
    "evaluate",
    "parse_assignment",
    "parse_assignments",
    "FUNCTIONS",
    "MAX_LENGTH",
]

MAX_LENGTH = 10_000
"""Longest expression accepted, in characters: ample for a formula, small for the parser."""


class ExpressionError(ValueError):
    """A formula that is not allowed or cannot be evaluated; the message says where and why."""


@dataclass(frozen=True)
class _Function:
    call: Callable[..., Any]
    min_args: int
    max_args: int | None  # None: any number (sum)


FUNCTIONS: Mapping[str, _Function] = {
    **{
        op.name: _Function(functional.FUNCTIONS[op.name], 1, 1 + len(op.param_names))
        for op in ops.functions()
    },
    "sum": _Function(lambda *terms: functional.sum(_terms(terms)), 1, None),
    "dot": _Function(functional.dot, 2, 3),
}
"""The functions a formula may call, by name."""

_BINARY: Mapping[type[ast.operator], ops.Op] = {
    ast.Add: ops.ADD,
    ast.Sub: ops.SUB,
    ast.Mult: ops.MUL,
    ast.Div: ops.DIV,
    ast.Pow: ops.POW,
}

_OPERATOR_TEXT: Mapping[type[ast.AST], str] = {
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.MatMult: "@",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitOr: "|",
    ast.BitXor: "^",
    ast.BitAnd: "&",
    ast.Invert: "~",
    ast.Not: "not",
}

# What to say about the constructs people (or attackers) try; anything unlisted is named by its
# ast class.
_NOT_ALLOWED: Mapping[type[ast.AST], str] = {
    ast.Attribute: "attribute access is not allowed",
    ast.Subscript: "subscripts are not allowed",
    ast.Slice: "slices are not allowed",
    ast.Lambda: "lambdas are not allowed",
    ast.ListComp: "comprehensions are not allowed",
    ast.SetComp: "comprehensions are not allowed",
    ast.DictComp: "comprehensions are not allowed",
    ast.GeneratorExp: "comprehensions are not allowed",
    ast.Compare: "comparisons are not allowed",
    ast.BoolOp: "'and' / 'or' are not allowed",
    ast.IfExp: "conditional expressions are not allowed",
    ast.NamedExpr: "assignment expressions are not allowed",
    ast.Starred: "starred arguments are not allowed",
    ast.JoinedStr: "f-strings are not allowed",
    ast.FormattedValue: "f-strings are not allowed",
    ast.Tuple: "tuples are not allowed",
    ast.List: "lists are allowed only as the arguments of sum and dot",
    ast.Set: "sets are not allowed",
    ast.Dict: "dicts are not allowed",
    ast.Await: "await is not allowed",
    ast.Yield: "yield is not allowed",
    ast.YieldFrom: "yield is not allowed",
}


def evaluate(source: str, variables: Mapping[str, Any]) -> Any:
    """Compute the formula ``source``, building a graph wherever it uses a Value.

    Args:
        source: The formula, e.g. ``"tanh(x*w + b)"``.
        variables: Values (or numbers) for the names the formula uses.

    Returns:
        A Value if any variable used is a Value, else a float.

    Raises:
        ExpressionError: The formula uses something outside the whitelist, an unknown name, or
            fails to evaluate (``log(0)``); the message names the offending part and column.

    Example:
        >>> import autograd_core as ag
        >>> from autograd_core.expr import ExpressionError, evaluate
        >>> x = ag.Value(2.0, label="x")
        >>> y = evaluate("tanh(x * -3 + 6.5)", {"x": x})
        >>> y.backward()
        >>> round(y.data, 4), round(x.grad, 4)
        (0.4621, -2.3593)
        >>> try:
        ...     evaluate("x.__class__", {"x": x})
        ... except ExpressionError as exc:
        ...     print(exc)
        attribute access is not allowed: 'x.__class__' (column 1)
    """
    formula = _Formula.of(source)
    tree = _parse(formula)
    _check(tree, formula, variables)
    return _compute(tree, formula, variables)


def parse_assignment(text: str) -> tuple[str, float]:
    """Read one ``NAME=VALUE`` argument of the command line.

    Args:
        text: Such as ``"w=-3"`` or ``"b=6.88"``.

    Returns:
        The name and the value as a finite float.

    Raises:
        ExpressionError: Not of the form ``NAME=VALUE``, a name that is not an identifier or is
            one of the function names, or a value that is not a finite number.

    Example:
        >>> from autograd_core.expr import parse_assignment
        >>> parse_assignment("w=-3")
        ('w', -3.0)
    """
    name, sep, raw = text.partition("=")
    name, raw = name.strip(), raw.strip()
    if not sep or not name:
        raise ExpressionError(f"expected NAME=VALUE, got {_quote(text)}")
    if not name.isidentifier() or keyword.iskeyword(name):
        raise ExpressionError(f"{_quote(name)} is not a valid name (in {_quote(text)})")
    if not name.isascii():
        raise ExpressionError(f"{_quote(name)} is not a valid name: {_ASCII_NAMES}")
    if name in FUNCTIONS:
        raise ExpressionError(f"{_quote(name)} is a function name; choose another variable name")
    try:
        value = float(raw)
    except ValueError:
        raise ExpressionError(f"{name}: {_quote(raw)} is not a number") from None
    if not math.isfinite(value):
        raise ExpressionError(f"{name}: the value must be a finite number, got {_quote(raw)}")
    return name, value


def parse_assignments(texts: Iterable[str]) -> dict[str, Value]:
    """Read ``NAME=VALUE`` arguments into labelled leaf Values, refusing duplicate names.

    Args:
        texts: The arguments, e.g. ``["x=2", "w=-3"]``.

    Returns:
        Name -> ``Value(value, label=name)``, in the order given.

    Example:
        >>> from autograd_core.expr import parse_assignments
        >>> parse_assignments(["x=2", "w=-3"])
        {'x': Value(data=2.0, grad=0.0, label='x'), 'w': Value(data=-3.0, grad=0.0, label='w')}
    """
    values: dict[str, Value] = {}
    for text in texts:
        name, value = parse_assignment(text)
        if name in values:
            raise ExpressionError(f"{name} is given a value twice")
        values[name] = Value(value, label=name)
    return values


# -- reading and checking ----------------------------------------------------------------------


_ASCII_NAMES = "names are made of the ASCII letters a-z, A-Z, digits and _"


class _Formula(str):
    """The formula with leading whitespace removed, and where its text starts in the original
    (so that columns in messages count from the text the user typed)."""

    line_shift: int
    column_shift: int

    @classmethod
    def of(cls, source: str) -> _Formula:
        if not isinstance(source, str):
            raise TypeError(f"evaluate: expected the formula as a str, got {type(source).__name__}")
        text = source.lstrip()
        skipped = source[: len(source) - len(text)]
        formula = cls(text)
        formula.line_shift = skipped.count("\n")
        formula.column_shift = len(skipped) - (skipped.rfind("\n") + 1)
        return formula


def _parse(source: _Formula) -> ast.Expression:
    if len(source) > MAX_LENGTH:
        raise ExpressionError(
            f"the expression is too long ({len(source)} characters; at most {MAX_LENGTH})"
        )
    if not source.strip():
        raise ExpressionError("the expression is empty")
    try:
        with warnings.catch_warnings():
            # Python warns about things like "2(3)" while parsing; the error below says more.
            warnings.simplefilter("ignore")
            return ast.parse(source, mode="eval")
    except SyntaxError as exc:
        reason = (exc.msg or "invalid syntax").split("\n")[0]
        line = (exc.lineno or 1) + source.line_shift
        column = (exc.offset or 0) + (source.column_shift if (exc.lineno or 1) == 1 else 0)
        where = f" (column {column})" if exc.offset and line == 1 else ""
        if exc.offset and line > 1:
            where = f" (line {line}, column {column})"
        raise ExpressionError(f"invalid syntax: {reason}{where}") from None
    except RecursionError:
        raise ExpressionError(
            "the expression is nested too deeply for Python's parser, which reads a chain such "
            f"as x+x+...+x as one level per operator and stops at about {_depth_limit():,} "
            "levels here; write a long sum as sum(x, x, ...), which is flat"
        ) from None
    except MemoryError:
        raise ExpressionError("the expression is nested too deeply to read") from None
    except ValueError as exc:  # e.g. a null byte, on Python versions that report it so
        raise ExpressionError(f"invalid expression: {exc}") from None


@functools.cache
def _depth_limit() -> int:
    """How long a chain x+x+...+x this Python's parser reads, found by bisection (once, after
    it refused one; each try takes a millisecond or two)."""
    low, high = 1, MAX_LENGTH // 2 + 1  # low parses; high is more than MAX_LENGTH allows
    while high - low > 1:
        middle = (low + high) // 2
        try:
            ast.parse("+".join(["x"] * middle), mode="eval")
        except (RecursionError, MemoryError, SyntaxError):
            high = middle
        else:
            low = middle
    return low - 1  # operators in the longest chain that parses


def _check(tree: ast.Expression, source: str, variables: Mapping[str, Any]) -> None:
    """Reject every node outside the whitelist, outermost and leftmost first."""
    # Each entry: a node, and whether a list literal is allowed there (only as dot's argument).
    stack: list[tuple[ast.AST, bool]] = [(tree.body, False)]
    while stack:
        node, list_ok = stack.pop()
        children: list[ast.AST] = []
        lists_below = False
        if isinstance(node, ast.Constant):
            _check_number(node, source)
        elif isinstance(node, ast.Name):
            _check_ascii(node, source)
            if node.id not in variables:
                if node.id in FUNCTIONS:
                    raise _error(node, source, f"{node.id} is a function: call it, as {node.id}(x)")
                raise _error(node, source, f"unknown name (give it a value: {node.id}=1.5)")
        elif isinstance(node, ast.BinOp):
            if type(node.op) not in _BINARY:
                text = _OPERATOR_TEXT.get(type(node.op), type(node.op).__name__)
                raise _error(node, source, f"the operator {text} is not allowed (use + - * / **)")
            children = [node.left, node.right]
        elif isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, ast.USub | ast.UAdd):
                text = _OPERATOR_TEXT.get(type(node.op), type(node.op).__name__)
                raise _error(node, source, f"the operator {text} is not allowed (use + - * / **)")
            children = [node.operand]
        elif isinstance(node, ast.Call):
            children = _check_call(node, source)
            lists_below = isinstance(node.func, ast.Name) and node.func.id in ("sum", "dot")
        elif isinstance(node, ast.List) and list_ok:
            children = list(node.elts)
        else:
            raise _error(node, source, _not_allowed(node))
        stack.extend((child, lists_below) for child in reversed(children))


def _check_number(node: ast.Constant, source: str) -> None:
    value = node.value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _error(node, source, "only real numbers are allowed")
    try:
        number = float(value)
    except OverflowError:
        raise _error(node, source, "the number is too large for a float") from None
    if not math.isfinite(number):
        raise _error(node, source, "the number is too large for a float")


def _check_call(node: ast.Call, source: str) -> list[ast.AST]:
    func = node.func
    if not isinstance(func, ast.Name):
        # Report the callee itself: `x.__class__()` is an attribute access, `(lambda: 0)()` a
        # lambda; anything else that is not a plain name cannot be a library function.
        if type(func) in _NOT_ALLOWED:
            raise _error(func, source, _not_allowed(func))
        raise _error(node, source, f"only these functions can be called: {_function_list()}")
    _check_ascii(func, source)
    spec = FUNCTIONS.get(func.id)
    if spec is None:
        raise _error(
            node, source, f"calling {func.id} is not allowed; functions: {_function_list()}"
        )
    if node.keywords:
        raise _error(node.keywords[0], source, "keyword arguments are not allowed")
    for arg in node.args:
        if isinstance(arg, ast.Starred):
            raise _error(arg, source, _not_allowed(arg))
    n = len(node.args)
    if n < spec.min_args or (spec.max_args is not None and n > spec.max_args):
        if spec.min_args == spec.max_args:
            expected = f"{spec.min_args}"
        elif spec.max_args is None:
            expected = f"at least {spec.min_args}"
        else:
            expected = f"{spec.min_args} to {spec.max_args}"
        raise _error(node, source, f"{func.id} takes {expected} argument(s), got {n}")
    return list(node.args)


def _check_ascii(name: ast.Name, source: str) -> None:
    # Python has already normalised the name (NFKC: 𝐞𝐱𝐩 -> exp); what was typed is in the text.
    if source.isascii():
        return
    written = ast.get_source_segment(source, name) or name.id
    if not written.isascii():
        reason = f"not a valid name ({_ASCII_NAMES}; Python would read it as {name.id!r})"
        raise _error(name, source, reason)


def _not_allowed(node: ast.AST) -> str:
    return _NOT_ALLOWED.get(type(node), f"{type(node).__name__} expressions are not allowed")


# -- computing ---------------------------------------------------------------------------------


def _compute(tree: ast.Expression, source: str, variables: Mapping[str, Any]) -> Any:
    """Post-order evaluation of a checked tree with an explicit stack."""
    todo: list[tuple[ast.AST, bool]] = [(tree.body, False)]
    results: list[Any] = []
    while todo:
        node, ready = todo.pop()
        children = _children(node)
        if not ready and children:
            todo.append((node, True))
            todo.extend((child, False) for child in reversed(children))
            continue
        args = results[len(results) - len(children) :] if children else []
        del results[len(results) - len(children) :]
        try:
            results.append(_apply(node, args, variables))
        except ExpressionError:
            raise
        except (ArithmeticError, ValueError, TypeError) as exc:
            raise _error(node, source, str(exc) or type(exc).__name__) from None
    (result,) = results
    return result


def _children(node: ast.AST) -> list[ast.AST]:
    if isinstance(node, ast.BinOp):
        return [node.left, node.right]
    if isinstance(node, ast.UnaryOp):
        return [node.operand]
    if isinstance(node, ast.Call):
        return list(node.args)
    if isinstance(node, ast.List):
        return list(node.elts)
    return []


def _apply(node: ast.AST, args: list[Any], variables: Mapping[str, Any]) -> Any:
    if isinstance(node, ast.Constant):
        number = node.value
        assert isinstance(number, int | float)  # checked, and already known to fit a float
        return float(number)
    if isinstance(node, ast.Name):
        return variables[node.id]
    if isinstance(node, ast.List):
        return args
    if isinstance(node, ast.UnaryOp):
        (x,) = args
        if isinstance(node.op, ast.UAdd):
            return x
        return -x if isinstance(x, Value) else apply(ops.NEG, (x,))
    if isinstance(node, ast.BinOp):
        a, b = args
        if isinstance(a, list) or isinstance(b, list):
            raise TypeError("lists can only be arguments of dot")
        if not isinstance(a, Value) and not isinstance(b, Value):
            # Numbers alone go through the op table too: its domain checks turn 1/0 or
            # (-8) ** (1/3) into the library's errors instead of Python's ZeroDivisionError
            # or a complex number.
            return apply(_BINARY[type(node.op)], (a, b))
        if isinstance(node.op, ast.Add):
            return a + b
        if isinstance(node.op, ast.Sub):
            return a - b
        if isinstance(node.op, ast.Mult):
            return a * b
        if isinstance(node.op, ast.Div):
            return a / b
        return a**b
    assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)  # checked
    name = node.func.id
    _check_arguments(name, args)
    return FUNCTIONS[name].call(*args)


def _check_arguments(name: str, args: list[Any]) -> None:
    if name == "dot":
        ws, xs = args[0], args[1]
        if not isinstance(ws, list) or not isinstance(xs, list):
            raise TypeError("dot takes two lists, as dot([w1, w2], [x1, x2], b)")
        if len(args) == 3 and isinstance(args[2], list):
            raise TypeError("dot's bias must be a single value, not a list")
        return
    if name == "sum" and any(isinstance(a, list) for a in args):
        if len(args) > 1:
            raise TypeError("sum takes terms or one list of them: sum(x, y) or sum([x, y])")
        return
    if any(isinstance(a, list) for a in args):
        raise TypeError(f"{name} does not take a list")
    if any(isinstance(a, Value) for a in args[1:]) and name not in ("sum", "dot"):
        raise TypeError(f"{name}'s parameters must be numbers, not variables")


# -- messages ----------------------------------------------------------------------------------


def _terms(args: tuple[Any, ...]) -> Any:
    """The terms of ``sum(...)``: its arguments, or the one list given (``sum([x, y])``)."""
    return args[0] if len(args) == 1 and isinstance(args[0], list) else args


def _error(node: ast.AST, source: str, reason: str) -> ExpressionError:
    """``reason: 'snippet' (column N)``, one line, with the snippet cut to a readable length.

    Lines and columns count from the text as typed, leading whitespace included."""
    snippet = ast.get_source_segment(source, node) or ""
    line = getattr(node, "lineno", 1)
    column = getattr(node, "col_offset", 0) + 1
    if isinstance(source, _Formula):
        column += source.column_shift if line == 1 else 0
        line += source.line_shift
    where = f"column {column}" if line == 1 else f"line {line}, column {column}"
    return ExpressionError(f"{reason}: {_quote(snippet)} ({where})")


def _quote(text: str, limit: int = 40) -> str:
    """``repr`` of ``text`` shortened to ``limit`` characters: one line, however hostile."""
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return repr(text)


def _function_list() -> str:
    return ", ".join(FUNCTIONS)
