"""Every public function, class and method a user can reach has a docstring with an example.

The examples themselves run as doctests (pytest's ``--doctest-modules`` over the package);
this test makes sure none is missing, so the API reference shows an example everywhere.
"""

from __future__ import annotations

import ast
import importlib
import inspect
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

MODULES = [
    "autograd_core",
    "autograd_core.engine",
    "autograd_core.functional",
    "autograd_core.ops",
    "autograd_core.nn",
    "autograd_core.losses",
    "autograd_core.optim",
    "autograd_core.data",
    "autograd_core.training",
    "autograd_core.viz",
    "autograd_core.checkpoint",
    "autograd_core.interop",
    "autograd_core.stepthrough",
    "autograd_core.micrograd",
    "autograd_core.micrograd.engine",
    "autograd_core.micrograd.nn",
]

# Protocol plumbing with nothing to show on its own.
SKIP_METHODS = {"__init__", "__call__", "__repr__", "__iter__", "__len__", "__getitem__"}


def _public(module: Any) -> Iterator[tuple[str, Any]]:
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n in vars(module) if not n.startswith("_")]
    for name in names:
        obj = getattr(module, name)
        if inspect.ismodule(obj) or not callable(obj):
            continue
        if not getattr(obj, "__module__", "").startswith("autograd_core"):
            continue
        if inspect.isclass(obj) and (
            issubclass(obj, BaseException) or getattr(obj, "_is_protocol", False)
        ):
            continue  # errors say what they mean; a Protocol is a type, not something to call
        yield f"{module.__name__}.{name}", obj
        if inspect.isclass(obj):
            for attr, member in vars(obj).items():
                if attr.startswith("_") or attr in SKIP_METHODS:
                    continue
                if isinstance(member, (staticmethod, classmethod)):
                    member = member.__func__
                if inspect.isfunction(member):
                    yield f"{module.__name__}.{name}.{attr}", member


def _everything() -> list[tuple[str, Any]]:
    seen: dict[int, tuple[str, Any]] = {}
    for module_name in MODULES:
        for qualname, obj in _public(importlib.import_module(module_name)):
            seen.setdefault(id(obj), (qualname, obj))
    return sorted(seen.values(), key=lambda item: item[0])


EVERYTHING = _everything()


def test_the_walk_finds_the_api() -> None:
    names = {name for name, _ in EVERYTHING}
    assert "autograd_core.grad" in names and "autograd_core.nn.MLP" in names
    assert len(EVERYTHING) > 150


@pytest.mark.parametrize("name, obj", EVERYTHING, ids=[name for name, _ in EVERYTHING])
def test_has_a_docstring_with_an_example(name: str, obj: Any) -> None:
    doc = inspect.getdoc(obj) or ""
    assert doc.strip(), f"{name} has no docstring"
    assert ">>>" in doc, f"{name}'s docstring has no example"


# -- Markdown, not reStructuredText -----------------------------------------------------------

PACKAGE = Path(__file__).resolve().parents[1] / "autograd_core"
Documented = ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef


def _is_public(name: str) -> bool:
    return not name.startswith("_") or (name.startswith("__") and name.endswith("__"))


def _public_docstrings(tree: ast.Module) -> Iterator[tuple[str, int, str]]:
    """``(name, line, docstring)`` of the module and of every public class, function and
    method in it (``__init__`` included: the reference merges it into its class)."""
    todo: list[tuple[str, Documented]] = [("", tree)]
    while todo:
        name, node = todo.pop()
        body = node.body
        first = body[0] if body else None
        if (
            isinstance(first, ast.Expr)
            and isinstance(first.value, ast.Constant)
            and isinstance(first.value.value, str)
        ):
            yield name or "module", first.lineno, first.value.value
        for child in body:
            documented = isinstance(child, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
            if documented and _is_public(child.name):
                todo.append((f"{name}.{child.name}" if name else child.name, child))


def _public_modules() -> list[Path]:
    return sorted(
        path
        for path in PACKAGE.rglob("*.py")
        if all(_is_public(part.removesuffix(".py")) for part in path.relative_to(PACKAGE).parts)
    )


def test_no_docstring_has_restructuredtext_literal_blocks() -> None:
    # mkdocstrings renders docstrings as Markdown: a paragraph ending in "::" (reST's literal
    # block) shows the two colons on the page. End it with ":" and fence the block that follows
    # (```text or ```python), or keep a doctest block indented.
    found = []
    for path in _public_modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for name, line, doc in _public_docstrings(tree):
            for offset, text in enumerate(doc.splitlines()):
                if text.rstrip().endswith("::"):
                    where = f"{path.relative_to(PACKAGE.parent)}:{line + offset}"
                    found.append(f"{where} ({name}): {text.strip()}")
    assert len(_public_modules()) > 30
    assert found == [], "reST '::' in docstrings:\n" + "\n".join(found)


# -- Value.draw and Value.explain show their options --------------------------------------------


@pytest.mark.parametrize(
    ("method", "target"),
    [("draw", "autograd_core.viz.draw_graph"), ("explain", "autograd_core.stepthrough.to_html")],
)
def test_value_draw_and_explain_list_the_options_of_what_they_call(
    method: str, target: str
) -> None:
    # Value.draw(...) is draw_graph(value, ...): its signature lists the same keyword options
    # with the same defaults, so the reference and an editor's hints show them; each is
    # described in its docstring
    from autograd_core import Value

    module, name = target.rsplit(".", 1)
    called = getattr(importlib.import_module(module), name)

    def options(function: Any) -> dict[str, Any]:
        return {
            option: parameter.default
            for option, parameter in inspect.signature(function).parameters.items()
            if parameter.kind is inspect.Parameter.KEYWORD_ONLY
        }

    ours = options(getattr(Value, method))
    assert ours == options(called), f"Value.{method} and {target} differ"
    doc = inspect.getdoc(getattr(Value, method)) or ""
    missing = [option for option in ours if f"\n    {option}: " not in doc]
    assert missing == [], f"Value.{method}'s docstring does not describe {missing}"
