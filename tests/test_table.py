"""The op table is the single source of truth, and every node keeps its op's promise.

* Each row marked ``method`` / ``function`` / ``activation`` shows up as a ``Value`` method,
  an ``ag.`` function and a formula name, an ``nn`` activation name.
* The invariant of ``_nodes.py``, over hypothesis-generated programs that use every way of
  building a node: ``node.data == node.op.forward(*parent data)`` and ``node.partials`` is the
  op's rule at those inputs.
* The package has no import cycle.
"""

from __future__ import annotations

import ast
import math
import pathlib
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd_core as ag
from autograd_core import Value, expr, nn, ops

PACKAGE = pathlib.Path(ag.__file__).parent

# -- one row, every place ----------------------------------------------------------------------


@pytest.mark.parametrize("op", ops.methods(), ids=lambda op: op.name)
def test_every_method_row_is_a_value_method_made_from_the_row(op: ops.Op) -> None:
    method = getattr(Value, op.name, None)
    assert method is not None, f"add `{op.name} = _method(ops.{op.name.upper()})` to Value"
    assert method.__name__ == op.name
    assert method.__doc__.startswith(op.doc)
    x = float(op.example[0]) if op.example else 0.5
    node = method(Value(x))
    assert node.op.base is op
    assert node.data == (op.bind(*op.defaults) if op.param_names else op).forward(x)


@pytest.mark.parametrize("op", ops.functions(), ids=lambda op: op.name)
def test_every_function_row_is_an_ag_function_and_a_formula_name(op: ops.Op) -> None:
    function = getattr(ag, op.name)
    assert op.name in ag.__all__ and op.name in ag.functional.__all__
    assert function.__doc__.startswith(op.doc)
    assert op.example is not None
    x, result = op.example
    assert repr(function(float(x))) == result
    assert function(Value(float(x))).data == function(float(x))
    assert op.name in expr.FUNCTIONS
    variables = {"x": Value(float(x), label="x")}
    assert expr.evaluate(f"{op.name}(x)", variables).data == function(float(x))


def test_activation_names_come_from_the_table() -> None:
    rows = [op.name for op in ops.activations()]
    assert list(nn.ACTIVATIONS) == [*rows, "linear"]
    for name in rows:
        neuron = nn.Neuron(1, activation=name, seed=0)
        neuron.load_state_dict({"w.0": 1.0, "b": 0.0})
        out = neuron([-2.0])
        assert out.op.base is ops.get_op(name)
        expected = ops.get_op(name)
        params = expected.defaults
        assert out.data == (expected.bind(*params) if params else expected).forward(-2.0)


def test_abs_is_a_method_and_a_function() -> None:
    assert Value(-2.5).abs().data == 2.5 and abs(Value(-2.5)).data == 2.5
    assert ag.abs(-2.5) == 2.5 and ag.abs(Value(-1.0)).data == 1.0


def test_parametrized_method_takes_its_parameter_by_name_or_position() -> None:
    x = Value(-2.0)
    assert x.leaky_relu().data == -0.02  # the row's default
    assert x.leaky_relu(0.1).data == x.leaky_relu(negative_slope=0.1).data == -0.2
    assert ag.leaky_relu(-2.0, negative_slope=0.5) == -1.0
    with pytest.raises(TypeError, match=r"leaky_relu.*unexpected keyword argument 'slope'"):
        x.leaky_relu(slope=0.1)
    with pytest.raises(TypeError, match="leaky_relu: negative_slope must be a real number"):
        x.leaky_relu("0.1")
    with pytest.raises(TypeError, match=r"exp\(\) takes 1 argument"):
        ag.exp(1.0, 2.0)


# -- the node invariant, over every build path ---------------------------------------------------

finite = st.floats(-3, 3, allow_nan=False, allow_infinity=False)


def _program(draw: st.DrawFn) -> Value:
    """A random program over a few leaves that uses every way of building a node."""
    leaves = [Value(draw(finite), label=f"v{i}") for i in range(4)]
    pool: list[Value] = list(leaves)

    def pick() -> Value:
        return pool[draw(st.integers(0, len(pool) - 1))]

    def number() -> float:
        return draw(finite)

    builders: list[Callable[[], Any]] = [
        lambda: pick() + pick(),
        lambda: number() - pick(),  # reflected, with a lifted constant
        lambda: pick() * number(),
        lambda: pick() / (pick().exp() + 1.0),
        lambda: pick() ** 2,
        lambda: pick() ** draw(st.sampled_from([0, 1, 3, -1.0])),
        lambda: (pick().sigmoid() + 0.5) ** pick().tanh(),  # Value ** Value, positive base
        lambda: -pick(),
        lambda: abs(pick()),
        lambda: pick().leaky_relu(draw(st.sampled_from([0.01, 0.3]))),
        lambda: pick().relu().sin().cos(),
        lambda: (pick() * pick() + 1.5).sqrt().exp().log(),
        lambda: ag.sum([pick(), number(), pick()]),
        lambda: ag.dot([pick(), pick()], [pick(), pick()], pick()),  # Values on both sides
        lambda: ag.dot([pick(), pick()], [number(), number()], pick()),  # affine, bias a Value
        lambda: ag.dot([number(), number()], [pick(), pick()], number()),  # affine, bias bound
        lambda: ag.dot([pick(), number()], [pick(), pick()]),  # mixed: constant leaves
        lambda: ops.MUL(pick(), number()),  # op(*args), the generic path
        lambda: ag.losses.cross_entropy([pick(), pick(), number()], draw(st.integers(0, 2))),
        lambda: ag.losses.hinge_loss([pick(), pick()], [1, draw(st.sampled_from([-1, 1]))]),
        lambda: nn_layer(draw, [pick(), pick()]),
        lambda: nn_layer(draw, [number(), number()]),
    ]
    for _ in range(draw(st.integers(3, 12))):
        choice = draw(st.integers(0, len(builders) - 1))
        try:
            made = builders[choice]()
        except (ArithmeticError, ValueError):
            continue  # out of an op's domain: errors are tested elsewhere
        pool.extend(made if isinstance(made, list) else [made])
    return ag.sum(pool[len(leaves) :] or pool)


def nn_layer(draw: st.DrawFn, x: list[Any]) -> list[Value]:
    layer = nn.Layer(2, 3, activation=draw(st.sampled_from(["relu", "tanh", "linear"])), seed=1)
    return layer.batch([x, x])[1]


def check_invariant(root: Value) -> int:
    checked = 0
    for node in ag.topological_order(root):
        if node.op is None:
            assert node.parents == () and node.partials == ()
            continue
        data = [p.data for p in node.parents]
        assert node.data == node.op.forward(*data), f"{node.op.describe()} breaks the invariant"
        expected = tuple(ops.data(d) for d in node.op.partials(node.data, *data))
        assert len(node.partials) == len(node.parents)
        assert tuple(node.partials) == expected or all(
            a == b or (math.isnan(a) and math.isnan(b))
            for a, b in zip(node.partials, expected, strict=True)
        ), node.op.describe()
        checked += 1
    return checked


@given(st.data())
def test_every_node_equals_its_op_applied_to_its_parents(data: st.DataObject) -> None:
    root = data.draw(st.composite(_program)())
    assert check_invariant(root) >= 1


def test_the_invariant_check_catches_a_folded_constant() -> None:
    a = Value(2.0)
    honest = ag.dot([a], [3.0], 1.0)
    assert check_invariant(honest) == 1
    # a node that folded the bias into its value without binding it (the old ag.dot did)
    folded = ag.engine.apply(ops.DOT, (a, Value(3.0)))
    folded.data += 1.0
    with pytest.raises(AssertionError, match="breaks the invariant"):
        check_invariant(folded)


def test_a_mlp_step_graph_keeps_the_invariant() -> None:
    model = nn.MLP(2, [4, 4, 1], seed=0)
    scores = model([[0.5, -1.0], [1.5, 0.25]])
    loss = ag.losses.hinge_loss(scores, [1, -1]) + 1e-4 * ag.losses.l2_penalty(model.parameters())
    assert check_invariant(loss) > 20


# -- layering ------------------------------------------------------------------------------------


def _is_module(name: str) -> bool:
    """Whether ``autograd_core.x.y`` names a module of the package (not a name in one)."""
    parts = name.split(".")[1:]
    return PACKAGE.joinpath(*parts).with_suffix(".py").is_file()


def _imports(path: pathlib.Path) -> set[str]:
    """The package modules that ``path`` imports when it loads (not inside functions)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.If):  # `if TYPE_CHECKING:` blocks run no imports
            continue
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "autograd_core":
                found.update(f"autograd_core.{alias.name}" for alias in node.names)
            elif node.module.startswith("autograd_core."):
                # `from autograd_core.engine import layout` imports the submodule layout
                for alias in node.names:
                    sub = f"{node.module}.{alias.name}"
                    found.add(sub if _is_module(sub) else node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("autograd_core."))
    return found


def test_the_package_has_no_import_cycle() -> None:
    modules = {}
    for path in PACKAGE.rglob("*.py"):
        name = ".".join(("autograd_core", *path.relative_to(PACKAGE).with_suffix("").parts))
        modules[name.removesuffix(".__init__")] = path
    graph = {
        name: {m for m in _imports(path) if m in modules and m != name}
        for name, path in modules.items()
        if name != "autograd_core"  # the package re-exports everything: it is the top
    }
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done

    def visit(start: str) -> None:
        stack = [(start, iter(sorted(graph.get(start, ()))))]
        state[start] = 1
        while stack:
            name, deps = stack[-1]
            for dep in deps:
                if dep == "autograd_core":
                    continue
                if state.get(dep) == 1:
                    path = [n for n, _ in stack]
                    raise AssertionError(f"import cycle: {' -> '.join([*path, dep])}")
                if dep not in state:
                    state[dep] = 1
                    stack.append((dep, iter(sorted(graph.get(dep, ())))))
                    break
            else:
                state[name] = 2
                stack.pop()

    for name in sorted(graph):
        if name not in state:
            visit(name)
    assert "autograd_core.engine" not in graph["autograd_core.ops"]
