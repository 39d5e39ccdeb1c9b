"""The safe formula language of ``autograd-core graph``: what it computes and what it refuses."""

from __future__ import annotations

import math
import re

import pytest

import autograd_core as ag
from autograd_core.expr import (
    FUNCTIONS,
    MAX_LENGTH,
    ExpressionError,
    evaluate,
    parse_assignment,
    parse_assignments,
)


def inputs(**values: float) -> dict[str, ag.Value]:
    return {name: ag.Value(v, label=name) for name, v in values.items()}


# -- what it computes ---------------------------------------------------------------------------


def test_the_neuron_matches_the_library() -> None:
    v = inputs(x=2.0, w=-3.0, b=6.8813735870195432)
    y = evaluate("tanh(x*w + b)", v)
    y.backward()
    # tanh(-6 + 6.88137...) = 1/√2; dy/dn = 1 - 1/2 = 0.5; dy/dx = 0.5·w, dy/dw = 0.5·x
    assert y.data == pytest.approx(1 / math.sqrt(2))
    assert v["x"].grad == pytest.approx(-1.5)
    assert v["w"].grad == pytest.approx(1.0)
    assert v["b"].grad == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # Python's precedence and associativity: ** binds tighter than unary minus and is
        # right-associative; / and - are left-associative.
        ("-x ** 2", -(1.5**2)),
        ("2 ** x ** 2", 2 ** (1.5**2)),
        ("x - 1 - 2", 1.5 - 1 - 2),
        ("x / 3 / 5", 1.5 / 3 / 5),
        ("+x * -2 + 10", 1.5 * -2 + 10),
        ("(x + 1) * (x - 1)", 2.5 * 0.5),
        ("1e-3 * x", 0.0015),
        ("exp(x)", math.exp(1.5)),
        ("log(x)", math.log(1.5)),
        ("sqrt(x)", math.sqrt(1.5)),
        ("sigmoid(x)", 1 / (1 + math.exp(-1.5))),
        ("relu(-x)", 0.0),
        ("leaky_relu(-x, 0.1)", -0.15),
        ("leaky_relu(-x)", -0.015),
        ("sin(x) * cos(x)", math.sin(1.5) * math.cos(1.5)),
        ("abs(-x)", 1.5),
        ("sum(x, x * 2, 3)", 1.5 + 3.0 + 3.0),
        ("dot([x, 2], [3, x], 1)", 1 + 1.5 * 3 + 2 * 1.5),
        ("dot([x], [x])", 2.25),
    ],
)
def test_formulas_compute_like_python(source: str, expected: float) -> None:
    y = evaluate(source, inputs(x=1.5))
    assert isinstance(y, ag.Value)
    assert y.data == pytest.approx(expected)


@pytest.mark.parametrize("name", sorted(set(FUNCTIONS) - {"sum", "dot"}))
def test_each_function_builds_a_graph_with_the_right_gradient(name: str) -> None:
    v = inputs(x=0.7)
    y = evaluate(f"{name}(x)", v)
    y.backward()
    h = 1e-6
    f = {
        "exp": math.exp,
        "log": math.log,
        "sqrt": math.sqrt,
        "tanh": math.tanh,
        "sigmoid": lambda t: 1 / (1 + math.exp(-t)),
        "relu": lambda t: max(t, 0.0),
        "leaky_relu": lambda t: t if t > 0 else 0.01 * t,
        "sin": math.sin,
        "cos": math.cos,
        "abs": abs,
    }[name]
    assert y.data == pytest.approx(f(0.7))
    assert v["x"].grad == pytest.approx((f(0.7 + h) - f(0.7 - h)) / (2 * h), rel=1e-5)


def test_fused_ops_are_single_nodes() -> None:
    v = inputs(w1=0.5, w2=-1.0, x1=2.0, x2=3.0, b=0.25)
    y = evaluate("dot([w1, w2], [x1, x2], b)", v)
    assert y.op is not None and y.op.name == "dot" and len(y.parents) == 5
    total = evaluate("sum(w1, w2, x1)", v)
    assert total.op.name == "sum" and len(total.parents) == 3


def test_numbers_alone_give_a_float() -> None:
    assert evaluate("2 * 3 + 1", {}) == 7.0
    assert evaluate("abs(-2)", {}) == 2.0
    assert evaluate("sum(1, 2)", {}) == 3.0


def test_a_name_used_twice_is_one_node() -> None:
    v = inputs(x=3.0)
    y = evaluate("x * x", v)
    assert y.parents == (v["x"], v["x"])


# -- what it refuses ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("x.__class__", "attribute access is not allowed: 'x.__class__' (column 1)"),
        ("2 * x.data", "attribute access is not allowed: 'x.data' (column 5)"),
        (
            "__import__('os').system('echo hi')",
            "attribute access is not allowed: \"__import__('os').system\" (column 1)",
        ),
        ("__import__('os')", "calling __import__ is not allowed"),
        ("open('f')", "calling open is not allowed"),
        ("x[0]", "subscripts are not allowed: 'x[0]' (column 1)"),
        ("lambda: x", "lambdas are not allowed"),
        ("(lambda: 0)()", "lambdas are not allowed: 'lambda: 0' (column 2)"),
        ("[c for c in 'ab']", "comprehensions are not allowed"),
        ("sum(t for t in (x,))", "comprehensions are not allowed"),
        ("y + 1", "unknown name (give it a value: y=1.5): 'y' (column 1)"),
        ("tanh", "tanh is a function: call it, as tanh(x)"),
        ("x(2)", "calling x is not allowed"),
        ("tanh(x, x)", "tanh takes 1 argument(s), got 2"),
        ("leaky_relu()", "leaky_relu takes 1 to 2 argument(s), got 0"),
        ("sum()", "sum takes at least 1 argument(s), got 0"),
        ("tanh(x=1)", "keyword arguments are not allowed: 'x=1' (column 6)"),
        ("tanh(*[x])", "starred arguments are not allowed: '*[x]' (column 6)"),
        ("'abc'", "only real numbers are allowed"),
        ("True + x", "only real numbers are allowed: 'True' (column 1)"),
        ("1j * x", "only real numbers are allowed"),
        ("None", "only real numbers are allowed"),
        ("x % 2", "the operator % is not allowed"),
        ("x // 2", "the operator // is not allowed"),
        ("~x", "the operator ~ is not allowed"),
        ("not x", "the operator not is not allowed"),
        ("x < 2", "comparisons are not allowed"),
        ("x and 2", "'and' / 'or' are not allowed"),
        ("x if x else 2", "conditional expressions are not allowed"),
        ("(y := 2)", "assignment expressions are not allowed"),
        ("f'{x}'", "f-strings are not allowed"),
        ("(x, x)", "tuples are not allowed"),
        ("[x]", "lists are allowed only as the arguments of sum and dot"),
        (
            "dot([[x]], [x])",
            "lists are allowed only as the arguments of sum and dot: '[x]' (column 6)",
        ),
        ("{x: 1}", "dicts are not allowed"),
        ("{x}", "sets are not allowed"),
        ("1e999 * x", "the number is too large for a float"),
        ("9" * 400, "the number is too large for a float"),
        ("x +", "invalid syntax"),
        ("import os", "invalid syntax"),
        ("x = 1", "invalid syntax"),
        ("", "the expression is empty"),
        ("   ", "the expression is empty"),
        ("a\0b", "null bytes"),
        ("leaky_relu(x, x)", "leaky_relu's parameters must be numbers, not variables"),
        ("dot(x, x)", "dot takes two lists"),
        ("dot([x], [x], [x])", "dot's bias must be a single value"),
        ("tanh([x])", "lists are allowed only as the arguments of sum and dot"),
        ("dot([x], [x, x])", "dot: ws and xs must have the same length"),
    ],
)
def test_refused_with_a_message_that_points_at_the_problem(source: str, message: str) -> None:
    with pytest.raises(ExpressionError) as info:
        evaluate(source, inputs(x=1.5))
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_columns_point_into_later_lines_too() -> None:
    with pytest.raises(ExpressionError, match=r"\(line 2, column 3\)"):
        evaluate("(x +\n  x.real)", inputs(x=1.0))


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("log(x - 2)", "log: log is defined only for x > 0"),
        ("sqrt(-x)", "sqrt is defined only for x >= 0"),
        ("1 / (x - 2)", "div: division by zero"),
        ("(x - 3) ** 0.5", "negative base needs an integer exponent"),
        ("(-8) ** (1/3)", "negative base needs an integer exponent"),
        ("9 ** 9 ** 9", "too large for a float"),
        ("exp(x * 1000)", "exp: the result is too large"),
        ("0 ** -1", "0 cannot be raised to a negative power"),
    ],
)
def test_domain_errors_carry_the_librarys_message_and_the_place(source: str, message: str) -> None:
    with pytest.raises(ExpressionError) as info:
        evaluate(source, inputs(x=2.0))
    assert message in str(info.value)
    assert "(column " in str(info.value)


def test_long_and_deeply_nested_input_is_an_error_not_a_crash() -> None:
    v = inputs(x=0.5)
    with pytest.raises(ExpressionError, match="too long"):
        evaluate("x+" * MAX_LENGTH + "x", v)
    # CPython 3.11's parser gives up on these (RecursionError, MemoryError, its nesting limit);
    # that must come out as an ExpressionError. A parser that copes hands over a tree thousands
    # of levels deep, which the iterative check and evaluation must then handle.
    for deep in ("-" * (MAX_LENGTH - 1) + "x", "(" * 300 + "x" + ")" * 300, "x+" * 4000 + "x"):
        try:
            y = evaluate(deep, v)
        except ExpressionError as exc:
            assert re.search(r"nested too deeply|too many nested", str(exc)), exc
        else:
            assert isinstance(y, ag.Value) and y.data in (-0.5, 0.5, 2000.5)


def test_long_formulas_within_the_limits_evaluate_without_recursion() -> None:
    v = inputs(x=0.5)
    y = evaluate("+".join(["x"] * 1000), v)  # a left-nested chain of 999 additions
    y.backward()
    assert y.data == pytest.approx(500.0) and v["x"].grad == 1000.0
    y = evaluate("tanh(" * 90 + "x" + ")" * 90, v)
    assert len(ag.topological_order(y)) == 91


def test_non_string_source_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="as a str"):
        evaluate(42, {})  # type: ignore[arg-type]


# -- NAME=VALUE ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("x=2", ("x", 2.0)),
        ("w=-3", ("w", -3.0)),
        ("b = 6.8813735870195432", ("b", 6.8813735870195432)),
        ("lr=1e-3", ("lr", 0.001)),
        ("_x1=+0.5", ("_x1", 0.5)),
    ],
)
def test_parse_assignment(text: str, expected: tuple[str, float]) -> None:
    assert parse_assignment(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x", "expected NAME=VALUE, got 'x'"),
        ("=2", "expected NAME=VALUE"),
        ("2x=1", "'2x' is not a valid name"),
        ("x.y=1", "is not a valid name"),
        ("if=1", "'if' is not a valid name"),
        ("tanh=1", "'tanh' is a function name"),
        ("x=abc", "x: 'abc' is not a number"),
        ("x=", "x: '' is not a number"),
        ("x=nan", "must be a finite number"),
        ("x=inf", "must be a finite number"),
        ("x=1e999", "must be a finite number"),
        ("x=" + "9" * 200 + "z", "is not a number"),
    ],
)
def test_parse_assignment_refuses(text: str, message: str) -> None:
    with pytest.raises(ExpressionError) as info:
        parse_assignment(text)
    assert message in str(info.value)
    assert len(str(info.value)) < 200  # hostile input is quoted shortened


def test_parse_assignments_makes_labelled_leaves_and_refuses_duplicates() -> None:
    values = parse_assignments(["x=2", "w=-3"])
    assert list(values) == ["x", "w"]
    assert values["x"].label == "x" and values["x"].data == 2.0 and values["x"].is_leaf
    with pytest.raises(ExpressionError, match="x is given a value twice"):
        parse_assignments(["x=2", "x=3"])


# -- whitespace, lists in sum, names, the parser's depth limit ------------------------------------


def test_leading_whitespace_is_ignored_and_columns_count_from_the_typed_text() -> None:
    v = inputs(x=2.0)
    assert evaluate(" -x", v).data == -2.0
    assert evaluate("\t\n  x * 3  \n", v).data == 6.0
    with pytest.raises(ExpressionError, match=r"'x\.real' \(column 4\)"):
        evaluate("   x.real", v)
    with pytest.raises(ExpressionError, match=r"'x\.real' \(line 2, column 3\)"):
        evaluate("\n  x.real", v)
    with pytest.raises(ExpressionError, match=r"invalid syntax.*\(column 6\)"):
        evaluate("  x +)", v)


def test_sum_takes_a_list_like_ag_sum() -> None:
    v = inputs(x=2.0, y=-3.0)
    listed = evaluate("sum([x, y, 2 * x])", v)
    spread = evaluate("sum(x, y, 2 * x)", v)
    assert listed.op.name == spread.op.name == "sum" and len(listed.parents) == 3
    assert listed.data == spread.data == ag.sum([v["x"], v["y"], 2 * v["x"]]).data == 3.0
    listed.backward()
    assert (v["x"].grad, v["y"].grad) == (3.0, 1.0)
    assert evaluate("sum([])", v) == 0.0  # like Python's sum([])
    with pytest.raises(ExpressionError, match=r"sum takes terms or one list of them"):
        evaluate("sum([x], y)", v)
    with pytest.raises(ExpressionError, match="lists are allowed only as the arguments of"):
        evaluate("sum([[x]])", v)


@pytest.mark.parametrize(
    ("source", "typed", "read_as"),
    [("𝐞𝐱𝐩(x)", "𝐞𝐱𝐩", "exp"), ("ﬁ + x", "ﬁ", "fi"), ("x + ｘ", "ｘ", "x"), ("é", "é", "é")],
)
def test_names_must_be_ascii_not_silently_normalised(source: str, typed: str, read_as: str) -> None:
    # Python's parser NFKC-normalises identifiers: 𝐞𝐱𝐩 would call exp, ｘ would be x
    variables = inputs(x=1.0, fi=2.0)
    with pytest.raises(ExpressionError) as info:
        evaluate(source, variables)
    message = str(info.value)
    assert "not a valid name (names are made of the ASCII letters" in message
    assert f"Python would read it as {read_as!r}" in message and repr(typed) in message


@pytest.mark.parametrize("text", ["ﬁ=3", "é=1", "ｘ=2"])
def test_assignments_refuse_non_ascii_names(text: str) -> None:
    with pytest.raises(ExpressionError, match="not a valid name: names are made of the ASCII"):
        parse_assignment(text)


def test_a_flat_chain_past_the_parsers_limit_says_what_the_limit_is() -> None:
    v = inputs(x=1.0)
    terms = 3000
    try:
        y = evaluate("+".join(["x"] * terms), v)
    except ExpressionError as exc:
        message = str(exc)
        found = re.search(r"stops at about ([\d,]+) levels", message)
        assert found, message
        assert "sum(x, x, ...)" in message and "nested too deeply for Python's parser" in message
        limit = int(found.group(1).replace(",", ""))
        assert 100 < limit < terms  # the number is the real one: a chain below it parses
        assert evaluate("+".join(["x"] * (limit - 50)), v).data == limit - 50
    else:  # a Python whose parser copes
        assert y.data == terms
    # the flat form the message suggests works at any length the text limit allows
    flat = evaluate("sum(" + ", ".join(["x"] * terms) + ")", v)
    flat.backward()
    assert flat.data == terms and v["x"].grad == terms
