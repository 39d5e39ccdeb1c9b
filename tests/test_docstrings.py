"""Every public function, class and method a user can reach has a docstring with an example.

The examples themselves run as doctests (pytest's ``--doctest-modules`` over the package);
this test makes sure none is missing, so the API reference shows an example everywhere.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Iterator
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
