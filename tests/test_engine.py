"""The Value node, its operators, backward, grad modes and memory behaviour."""

from __future__ import annotations

import fractions
import gc
import math
import threading

import pytest

import autograd_core as ag
from autograd_core import Value

# -- construction ------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", [2, 2.0, fractions.Fraction(1, 4), -0.0, 10**20])
def test_value_accepts_real_numbers_as_float(raw: object) -> None:
    v = Value(raw)
    assert type(v.data) is float
    assert v.data == float(raw)  # type: ignore[arg-type]
    assert v.grad == 0.0 and v.parents == () and v.partials == () and v.op is None


def test_value_accepts_numpy_scalars() -> None:
    np = pytest.importorskip("numpy")
    v = Value(np.float32(1.5))
    assert type(v.data) is float and v.data == 1.5
    assert (np.float64(2.0) * v).data == 3.0  # numpy defers to Value.__rmul__
    assert type(np.float64(2.0) * v) is Value


@pytest.mark.parametrize("bad", ["1.0", None, 1 + 2j, [1.0], True, Value])
def test_value_rejects_non_real(bad: object) -> None:
    with pytest.raises(TypeError, match="Value: expected a real number"):
        Value(bad)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_value_rejects_non_finite(bad: float) -> None:
    with pytest.raises(ValueError, match="finite"):
        Value(bad)


def test_value_rejects_value_and_huge_int() -> None:
    with pytest.raises(TypeError, match=r"use its \.data"):
        Value(Value(1.0))
    with pytest.raises(OverflowError, match="too large"):
        Value(10**400)


def test_label_must_be_str() -> None:
    with pytest.raises(TypeError, match="label"):
        Value(1.0, label=3)  # type: ignore[arg-type]


def test_repr() -> None:
    assert repr(Value(2.0, label="a")) == "Value(data=2.0, grad=0.0, label='a')"
    assert repr(Value(-1)) == "Value(data=-1.0, grad=0.0)"


def test_slots_no_dict() -> None:
    v = Value(1.0)
    assert not hasattr(v, "__dict__")
    with pytest.raises(AttributeError):
        v.colour = "red"  # type: ignore[attr-defined]


def test_identity_semantics() -> None:
    a, b = Value(1.0), Value(1.0)
    assert a != b and a == a  # == is identity, so Values stay hashable graph nodes
    assert len({a, b, a}) == 2
    assert not a < b and a <= b and a >= b and not a > b  # ordering compares the data


def test_a_value_works_as_a_number() -> None:
    v = Value(2.0 / 3.0, label="v")
    assert float(v) == v.item() == v.data
    assert int(Value(-2.7)) == -2 and round(v, 3) == 0.667 and round(Value(2.5)) == 2
    assert f"{v:.2f}" == "0.67" and f"{v}" == repr(v)
    assert math.exp(v) == math.exp(v.data)
    assert v > 0.5 and v < 1 and Value(3.0) >= Value(3.0) and not v > Value(1.0)
    values = [Value(3.0), Value(-1.0), Value(2.0)]
    assert [x.data for x in sorted(values)] == [-1.0, 2.0, 3.0]
    assert max(values) is values[0] and min(values) is values[1]
    assert bool(Value(0.0)) is False and bool(Value(-0.5)) is True
    with pytest.raises(TypeError, match="'<' between a Value and str"):
        _ = v < "1"


def test_repr_rounds_long_numbers_to_eight_digits() -> None:
    assert repr(Value(2.0 / 3.0)) == "Value(data=0.66666667, grad=0.0)"
    assert repr(Value(0.1, label="x")) == "Value(data=0.1, grad=0.0, label='x')"
    assert repr(Value(1e-300)) == "Value(data=1e-300, grad=0.0)"
    assert repr(Value(123456789.123)) == "Value(data=1.2345679e+08, grad=0.0)"


# -- operators ---------------------------------------------------------------------------------


def test_the_readme_example_against_closed_form() -> None:
    a = Value(2.0, label="a")
    b = Value(-3.0, label="b")
    y = (a * b + a.tanh()) ** 2 / 2
    y.backward()
    u = 2.0 * -3.0 + math.tanh(2.0)
    assert y.data == pytest.approx(u * u / 2, rel=1e-15)
    assert a.grad == pytest.approx(u * (-3.0 + 1 - math.tanh(2.0) ** 2), rel=1e-14)
    assert b.grad == pytest.approx(u * 2.0, rel=1e-14)


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        (lambda x: x + 2, 5.0),
        (lambda x: 2 + x, 5.0),
        (lambda x: x - 2, 1.0),
        (lambda x: 2 - x, -1.0),
        (lambda x: x * 2, 6.0),
        (lambda x: 2 * x, 6.0),
        (lambda x: x / 2, 1.5),
        (lambda x: 6 / x, 2.0),
        (lambda x: x**2, 9.0),
        (lambda x: 2**x, 8.0),
        (lambda x: x ** Value(2.0), 9.0),
        (lambda x: -x, -3.0),
        (lambda x: +x, 3.0),
        (lambda x: abs(-x), 3.0),
    ],
)
def test_operators_with_numbers_on_either_side(expr, expected: float) -> None:  # type: ignore[no-untyped-def]
    x = Value(3.0)
    out = expr(x)
    assert isinstance(out, Value)
    assert out.data == expected


def test_operands_keep_operand_order() -> None:
    x = Value(3.0, label="x")
    out = 2.0 - x
    assert out.parents[1] is x
    assert out.parents[0].data == 2.0 and out.parents[0].is_leaf
    assert out.partials == (1.0, -1.0)


@pytest.mark.parametrize("bad", ["2", None, [1.0], 1j, True])
def test_unsupported_operands_raise_type_error(bad: object) -> None:
    x = Value(1.0)
    for op in ("__add__", "__sub__", "__mul__", "__truediv__", "__pow__"):
        with pytest.raises(TypeError):
            eval_binary(op, x, bad)


def eval_binary(name: str, x: Value, other: object) -> object:
    import operator

    fn = {
        "__add__": operator.add,
        "__sub__": operator.sub,
        "__mul__": operator.mul,
        "__truediv__": operator.truediv,
        "__pow__": operator.pow,
    }[name]
    return fn(x, other)


def test_reflected_unsupported_operands_raise_type_error() -> None:
    x = Value(1.0)
    with pytest.raises(TypeError):
        _ = "a" * x  # type: ignore[operator]
    with pytest.raises(TypeError):
        _ = None + x  # type: ignore[operator]


# -- backward ----------------------------------------------------------------------------------


def test_reuse_accumulates() -> None:
    a = Value(1.0)
    b = a + a
    c = b + b
    c.backward()
    assert a.grad == 4.0
    assert b.grad == 2.0


def test_backward_twice_doubles_leaves() -> None:
    a = Value(0.7, label="a")
    b = Value(-1.3, label="b")
    y = (a * b).tanh() + a.exp() * b
    y.backward()
    ga, gb = a.grad, b.grad
    inner = y.parents[0]
    g_inner = inner.grad
    y.backward()
    # leaves add each contribution as it arrives: twice the first pass, up to rounding
    assert a.grad == pytest.approx(2 * ga, rel=1e-15) and b.grad == pytest.approx(2 * gb, rel=1e-15)
    assert inner.grad == g_inner  # non-leaf nodes hold this pass's gradient


def test_backward_seed_gradient() -> None:
    x = Value(3.0)
    y = x * x
    y.backward(gradient=0.5)
    assert x.grad == 3.0
    assert y.grad == 0.5


@pytest.mark.parametrize("bad", [math.nan, "1", None])
def test_backward_rejects_bad_seed(bad: object) -> None:
    y = Value(2.0) * 3
    with pytest.raises((TypeError, ValueError), match="backward: gradient"):
        y.backward(bad)  # type: ignore[arg-type]


def test_backward_on_leaf_accumulates() -> None:
    x = Value(1.0)
    x.backward()
    x.backward()
    assert x.grad == 2.0


def test_topological_order_parents_first() -> None:
    a = Value(1.0)
    b = a * 2
    c = b + a
    d = c * b
    order = ag.topological_order(d)
    pos = {id(n): i for i, n in enumerate(order)}
    assert order[-1] is d
    assert len(order) == len({id(n) for n in order})
    for node in order:
        for p in node.parents:
            assert pos[id(p)] < pos[id(node)]


# -- how a node keeps its parents (Value's slots) and how backward walks them ---------------------


def test_an_operators_node_is_one_object_for_the_garbage_collector() -> None:
    # parents and partials in slots, not in tuples the collector would also have to track
    a, b = Value(2.0), Value(-3.0)
    for node, parents, partials in [
        (a * b, (a, b), (-3.0, 2.0)),
        (a - 1.0, None, (1.0, -1.0)),
        (a.tanh(), (a,), (1.0 - math.tanh(2.0) ** 2,)),
        (-b, (b,), (-1.0,)),
        (b**2, (b,), (-6.0,)),
    ]:
        assert not [r for r in gc.get_referents(node) if type(r) is tuple], node.op
        if parents is not None:
            assert node.parents == parents
        assert node.partials == pytest.approx(partials, rel=1e-15)
    wide = ag.sum([a, b, a * b])  # n-ary: tuples, kept once each
    assert wide.parents[:2] == (a, b) and wide.partials == (1.0, 1.0, 1.0)


@pytest.mark.parametrize(
    "make", [lambda a, b: a.exp(), lambda a, b: a * b, lambda a, b: ag.sum([a, b, a])]
)
def test_partials_and_parents_can_be_set_in_every_layout(make) -> None:  # type: ignore[no-untyped-def]
    a, b = Value(2.0), Value(5.0)
    node = make(a, b)
    parents = node.parents
    node.partials = [float(i + 7) for i in range(len(parents))]
    assert node.partials == tuple(float(i + 7) for i in range(len(parents)))
    assert node.parents == parents
    node.parents = [b] * len(parents)  # (what micrograd's Value(data, children) does)
    assert node.parents == (b,) * len(parents)
    assert node.partials == tuple(float(i + 7) for i in range(len(parents)))
    node.grad = 0.0
    node.backward()
    assert b.grad == sum(range(7, 7 + len(parents))) and a.grad == 0.0


@pytest.mark.parametrize(
    "make", [lambda a, b: a.exp(), lambda a, b: a * b, lambda a, b: ag.sum([a, b, a])]
)
def test_an_infinite_partial_set_later_still_gives_pytorchs_nan(make) -> None:  # type: ignore[no-untyped-def]
    # 0 · inf is NaN in PyTorch: a node whose gradient is 0 still hands NaN down an infinite
    # edge, so the walk must see the new partials whatever layout the node had
    a, b = Value(2.0), Value(5.0)
    node = make(a, b)
    node.partials = [math.inf] + [1.0] * (len(node.parents) - 1)
    assert node.partials[0] == math.inf and node.parents[0] is a
    with pytest.warns(RuntimeWarning, match="infinite or NaN gradient"):
        (node * 0.0).backward()
    assert math.isnan(a.grad)


def test_partials_of_the_wrong_length_are_refused_by_name() -> None:
    a, b = Value(2.0), Value(5.0)
    with pytest.raises(ValueError, match=r"partials: this node has 2 parent\(s\), got 3"):
        (a * b).partials = (1.0, 2.0, 3.0)
    with pytest.raises(ValueError, match=r"partials: this node has 1 parent\(s\), got 2"):
        a.exp().partials = (1.0, 2.0)


@pytest.mark.slow
def test_million_node_chain() -> None:
    x = Value(1.0, label="x")
    y = x
    for _ in range(1_000_000):
        y = y + x
    y.backward()
    assert x.grad == 1_000_001.0
    assert y.data == 1_000_001.0


def test_deep_chain_has_no_recursion_limit() -> None:
    x = Value(0.5)
    y = x
    for _ in range(50_000):
        y = y.tanh() * 1.0001
    y.backward()
    assert math.isfinite(x.grad)
    assert len(ag.topological_order(y)) > 100_000


def test_detach_cuts_the_graph() -> None:
    x = Value(3.0, label="x")
    d = x.detach()
    assert d is not x and d.data == 3.0 and d.label == "x" and d.is_leaf
    y = x * d
    y.backward()
    assert x.grad == 3.0
    assert d.grad == 3.0


# -- grad mode ---------------------------------------------------------------------------------


def test_no_grad_context_builds_no_graph() -> None:
    w = Value(2.0)
    with ag.no_grad():
        y = w * 3 + w.tanh()
        assert not ag.is_grad_enabled()
    assert ag.is_grad_enabled()
    assert y.parents == () and y.op is None
    assert y.data == 6.0 + math.tanh(2.0)
    z = w * 3
    assert z.parents[0] is w


def test_no_grad_nests_and_enable_grad_reenables() -> None:
    ng = ag.no_grad()
    with ng:
        with ng:
            with ag.enable_grad():
                y = Value(1.0) * 2
                assert ag.is_grad_enabled()
            assert not ag.is_grad_enabled()
        assert not ag.is_grad_enabled()
    assert ag.is_grad_enabled()
    assert len(y.parents) == 2


def test_no_grad_decorator_and_exception_safety() -> None:
    @ag.no_grad()
    def evaluate(w: Value) -> Value:
        assert not ag.is_grad_enabled()
        return w * 2

    assert evaluate(Value(1.0)).parents == ()
    assert ag.is_grad_enabled()
    with pytest.raises(RuntimeError), ag.no_grad():
        raise RuntimeError
    assert ag.is_grad_enabled()


def test_set_grad_enabled() -> None:
    with ag.set_grad_enabled(False):
        assert (Value(1.0) + 1).parents == ()
    with ag.set_grad_enabled(True):
        assert len((Value(1.0) + 1).parents) == 2


def test_no_grad_is_per_thread() -> None:
    inside = threading.Event()
    checked = threading.Event()
    seen: dict[str, object] = {}

    def worker() -> None:
        with ag.no_grad():
            inside.set()
            checked.wait(5)
            seen["worker"] = (Value(1.0) * 2).parents

    t = threading.Thread(target=worker)
    t.start()
    inside.wait(5)
    seen["main"] = len((Value(1.0) * 2).parents)  # the worker's no_grad must not leak here
    checked.set()
    t.join(5)
    assert seen == {"main": 2, "worker": ()}


def test_no_grad_functional_sum_and_dot() -> None:
    w = [Value(1.0), Value(2.0)]
    with ag.no_grad():
        s = ag.sum(w)
        d = ag.dot(w, [1.0, 1.0], bias=w[0])
    assert s.parents == () and d.parents == ()
    assert (s.data, d.data) == (3.0, 4.0)


# -- errors ------------------------------------------------------------------------------------


def test_a_negative_base_to_a_value_exponent_has_a_value_and_a_nan_exponent_gradient() -> None:
    # PyTorch's answer: the value and ∂/∂base exist; ∂/∂exponent is NaN, and backward says so
    base, n = Value(-2.0, label="base"), Value(3.0, label="n")
    y = base**n
    assert y.data == -8.0
    with pytest.warns(
        RuntimeWarning, match=r"leaf 'n' is nan.*pow\(base=-2\.0.*∂out/∂exponent is nan"
    ):
        y.backward()
    assert base.grad == 12.0 and math.isnan(n.grad)


@pytest.mark.parametrize(
    ("make", "exc", "pattern"),
    [
        (
            lambda a: a.log(),
            ValueError,
            r"log: log is defined only for x > 0; got x=0\.0 \(Value 'a'\)",
        ),
        (lambda a: (a - 1).sqrt(), ValueError, r"sqrt: .*x >= 0; got x=-1\.0"),
        (
            lambda a: 1 / a,
            ZeroDivisionError,
            r"div: division by zero; got a=1\.0, b=0\.0 \(Value 'a'\)",
        ),
        (lambda a: a / a, ZeroDivisionError, r"div: division by zero.*'a'"),
        (
            lambda a: a**-1,
            ZeroDivisionError,
            r"pow_const\(exponent=-1\.0\): 0 cannot be raised to a negative power; got base=0\.0 \(Value 'a'\)",
        ),
        (
            lambda a: (a - 2) ** 0.5,
            ValueError,
            r"pow_const.*negative base needs an integer exponent.*base=-2\.0",
        ),
        (lambda a: (a + 10) ** 400, OverflowError, r"pow_const.*too large.*base=10\.0"),
        (lambda a: (a + 1000).exp(), OverflowError, r"exp: .*too large.*x=1000\.0"),
        (lambda a: (a + 1e200) * 1e200, OverflowError, r"mul: .*too large"),
        (
            lambda a: a ** Value(-1.0),
            ZeroDivisionError,
            r"pow: 0 cannot be raised to a negative power",
        ),
    ],
)
def test_domain_errors_name_op_value_and_label(make, exc, pattern) -> None:  # type: ignore[no-untyped-def]
    a = Value(0.0, label="a")
    with pytest.raises(exc, match=pattern):
        make(a)


def test_float_functions_raise_the_same_errors() -> None:
    with pytest.raises(ValueError, match=r"log: .*got x=-1\.0"):
        ag.log(-1.0)
    with pytest.raises(ValueError, match=r"sqrt: .*got x=-4\.0"):
        ag.sqrt(-4)
    with pytest.raises(OverflowError, match=r"exp: .*x=800\.0"):
        ag.exp(800)


def test_negative_base_pow_is_fine_without_grad() -> None:
    with ag.no_grad():
        assert (Value(-2.0) ** Value(3.0)).data == -8.0


def test_nan_operand_rejected() -> None:
    with pytest.raises(ValueError, match="finite"):
        _ = Value(1.0) * math.nan


# -- memory ------------------------------------------------------------------------------------


def _live_values() -> int:
    """How many Values exist (they are tracked by the collector, which lists them)."""
    return sum(1 for o in gc.get_objects() if isinstance(o, Value))


def test_graph_is_freed_by_refcounting_alone() -> None:
    gc.collect()
    gc.disable()
    try:
        x = Value(0.5, label="x")
        w = Value(-1.0, label="w")
        h = ag.sum([(x * w).tanh(), x**2, ag.dot([w], [x], bias=1.0).relu(), 2 ** x.sigmoid()])
        y = h * h
        y.backward()
        made = len(ag.topological_order(y))
        assert made > 10 and _live_values() >= made
        before = _live_values()
        del x, w, h, y
        assert before - _live_values() == made  # every node of the graph is gone
    finally:
        gc.enable()


def test_no_grad_results_do_not_keep_inputs_alive() -> None:
    gc.disable()
    try:
        x = Value(1.0)
        with ag.no_grad():
            y = x * 2
        before = _live_values()
        del x
        assert _live_values() == before - 1  # y does not hold x
        assert y.data == 2.0
    finally:
        gc.enable()


def test_backward_leaves_the_garbage_collector_as_it_found_it() -> None:
    x = Value(2.0)
    y = (x * x).tanh() + x
    assert gc.isenabled()
    y.backward()
    assert gc.isenabled()
    gc.disable()
    try:
        y.backward()
        assert not gc.isenabled()
    finally:
        gc.enable()
    assert x.grad == pytest.approx(2 * (4.0 * (1.0 - math.tanh(4.0) ** 2) + 1.0), rel=1e-14)


def test_grad_of_several_outputs_where_one_feeds_another() -> None:
    a = Value(1.5, label="a")
    c = a * 2 + a  # 3a
    d = c * (a * 2)  # 6a²
    for outputs in ([d, c], [c, d]):
        (g,) = ag.grad(outputs, [a])
        assert g == 12 * 1.5 + 3  # the two gradients add up, whichever comes first
    assert a.grad == 0.0


def test_a_large_graph_still_warns_about_an_infinite_derivative_into_a_leaf() -> None:
    # In a graph of any size: the walk meets a node whose local derivatives are not all
    # finite (sqrt's at 0), and the leaves' gradients add up to inf.
    x, w = Value(0.0, label="x"), Value(1.0, label="w")
    total = ag.sqrt(x)
    for _ in range(3000):
        total = total + w
    with pytest.warns(RuntimeWarning, match=r"leaf 'x' is inf.*sqrt\(x=0\.0 \(Value 'x'\)\)"):
        total.backward()
    assert w.grad == 3000.0


def test_tanh_slope_is_correctly_rounded_on_micrograds_neuron() -> None:
    # the exact slope at n = 0.8813735870195432 is 0.49999999999999990558...; 1 - tanh(n)**2
    # in floats gives 0.4999999999999998, two units in the last place below
    n = Value(0.8813735870195432)
    o = n.tanh()
    o.backward()
    assert n.grad == 0.4999999999999999
    assert Value(800.0).tanh().partials == (0.0,) and Value(30.0).tanh().partials == (0.0,)
    assert Value(-0.5).tanh().partials[0] == pytest.approx(1 - math.tanh(-0.5) ** 2, rel=1e-15)


def test_one_grad_mode_object_can_be_entered_in_several_threads() -> None:
    import threading

    mode = ag.no_grad()
    errors: list[BaseException] = []

    def run() -> None:
        try:
            for _ in range(500):
                with mode:
                    assert not ag.is_grad_enabled()
                    with mode:
                        assert not ag.is_grad_enabled()
                assert ag.is_grad_enabled()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_a_registered_ops_output_and_partials_are_checked() -> None:
    complex_op = ag.register_op("test_complex_out", lambda x: complex(x, 1), lambda o, x: (1.0,))
    with pytest.raises(TypeError, match=r"test_complex_out: forward must return a real number"):
        complex_op(Value(1.0))
    huge = ag.register_op("test_huge_out", lambda x: 10**400, lambda o, x: (1.0,))
    with pytest.raises(OverflowError, match=r"test_huge_out: the result is too large"):
        huge(Value(1.0))
    bad_rule = ag.register_op("test_complex_rule", lambda x: x, lambda o, x: (1j,))
    with pytest.raises(TypeError, match=r"test_complex_rule: the partials rule must return real"):
        bad_rule(Value(1.0))
    nan_rule = ag.register_op("test_nan_rule", lambda x: x, lambda o, x: (math.nan,))
    x = Value(1.0, label="x")
    with pytest.warns(RuntimeWarning, match=r"leaf 'x' is nan.*test_nan_rule"):
        nan_rule(x).backward()


def test_a_method_given_an_unknown_keyword_names_itself_not_an_internal_function() -> None:
    with pytest.raises(TypeError, match=r"^log\(\) got an unexpected keyword argument 'base'$"):
        Value(2.0).log(base=2)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match=r"^leaky_relu\(\) got an unexpected keyword argument"):
        Value(2.0).leaky_relu(slope=0.1)


def test_grad_of_an_input_whose_gradient_is_zero_is_zero_not_unused() -> None:
    x, unused = Value(1.0, label="x"), Value(5.0, label="u")
    y = (x - 1) ** 2  # dy/dx = 2(x - 1) = 0 at x = 1: no gradient flows, but x is used
    assert ag.grad(y, x) == (0.0,)
    (g,) = ag.grad(y, x, create_graph=True)
    assert isinstance(g, Value) and g.data == 0.0
    assert ag.grad(y, [x, unused], allow_unused=True) == (0.0, None)
    with pytest.raises(ValueError, match=r"input 'u' \(data=5\.0\) is not used"):
        ag.grad(y, [x, unused])


def test_a_layer_graph_is_freed_by_reference_counting_alone() -> None:
    # A layer's nodes share a _nodes.Block, which must refer to none of them (only the nodes
    # point to it), before and after backward: with the collector off, dropping the loss
    # frees every node.
    from autograd_core import losses, nn

    model = nn.MLP(2, [4, 4, 1], seed=0)
    X = [[0.5, -1.0], [1.0, 2.0], [0.0, 0.25]]
    collecting = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        before = sum(1 for o in gc.get_objects() if isinstance(o, Value))
        loss = losses.mse_loss(model(X), [1.0, 0.0, 1.0])
        loss.backward()
        made = sum(1 for o in gc.get_objects() if isinstance(o, Value)) - before
        del loss
        after = sum(1 for o in gc.get_objects() if isinstance(o, Value))
    finally:
        if collecting:
            gc.enable()
    assert made > 3 * 9  # the graph was there: a dot and a relu node per neuron and sample
    assert after == before


@pytest.mark.parametrize("read_before", [False, True])
def test_a_relu_layers_dot_nodes_have_backwards_gradients_made_before_or_after(
    read_before: bool,
) -> None:
    # A relu layer on a batch makes its relu nodes only; each one's dot node is made when
    # r.parents is first read (_nodes.Block.dot_node). Made before backward or after, it holds
    # the gradient backward gives it, and it is the one node ag.grad differentiates against.
    from autograd_core import losses, nn

    model = nn.MLP(2, [4, 4, 1], seed=0)
    X = [[0.5, -1.0], [1.0, 2.0], [0.0, 0.25], [-1.5, 0.5]]
    loss = losses.mse_loss(model(X), [1.0, 0.0, 1.0, -1.0])
    relus = [n for n in ag.topological_order(loss) if n.op is ag.ops.RELU] if read_before else []
    loss.backward()
    if not read_before:
        relus = [n for n in ag.topological_order(loss) if n.op is ag.ops.RELU]
    assert len(relus) == 4 * 4 * 2
    dots = [r.parents[0] for r in relus]
    assert all(d.op.name in ("dot", "affine") for d in dots)
    assert any(r.data == 0.0 for r in relus) and any(r.grad != 0.0 for r in relus)
    expected = ag.grad(loss, dots)
    for r, d, e in zip(relus, dots, expected, strict=True):
        assert d.grad == (r.grad if r.data > 0.0 else 0.0)  # relu's step, exactly
        assert d.grad == pytest.approx(e, rel=1e-12, abs=1e-15)  # (sums in another order)
        assert d.data == d.op.forward(*(p.data for p in d.parents))  # (a bound op adds params)
