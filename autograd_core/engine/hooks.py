"""Hooks and anomaly mode: what a few nodes carry besides their slots.

``Value.register_hook`` (PyTorch's tensor hooks) and ``detect_anomaly`` (where each node was
made, and a check of every step of backward) need a little data for a few nodes. A Value has
no room for it (every byte of a node counts, and there are millions), so it lives in a table
keyed by the node's id. Such a node is switched to a subclass of its class that adds nothing
but a ``__del__`` removing its entry, so the table never holds a node alive (the graph is still
freed by reference counting) and an id reused later finds no stale entry.

Both act through the ``visit`` argument of ``reference.gradients`` (see ``general.py``): hooks
replace a node's gradient before it is handed on; anomaly mode checks it and the node's step.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from autograd_core.engine import layout, reference

if TYPE_CHECKING:
    from autograd_core.engine.value import Value

__all__ = ["RemovableHandle", "detect_anomaly", "hooks", "anomaly", "describe_node"]


class RemovableHandle:
    """What ``Value.register_hook`` returns: ``remove()`` takes the hook off.

    Example:
        >>> import autograd_core as ag
        >>> x = ag.Value(1.0)
        >>> h = x.register_hook(print)
        >>> h.remove(); h.remove()  # removing twice is harmless
    """

    __slots__ = ("_node_id", "_key")

    def __init__(self, node_id: int, key: int) -> None:
        self._node_id = node_id
        self._key = key

    def remove(self) -> None:
        """Take the hook off (nothing happens if it is already off).

        Example:
            >>> import autograd_core as ag
            >>> x = ag.Value(2.0)
            >>> handle = x.register_hook(lambda g: 2 * g)
            >>> handle.remove()
            >>> (x * 3).backward(); x.grad
            3.0
        """
        hooks.remove(self._node_id, self._key)


_extras: dict[int, dict[str, Any]] = {}
_tagged_classes: dict[type, type] = {}


def _forget(node: Value, table: dict[int, dict[str, Any]] = _extras) -> None:
    # (the table is bound here, not looked up: at interpreter exit the module's globals may
    # already be None when the last hooked nodes are freed)
    extras = table.pop(id(node), None)
    if extras is not None and extras.get("hooks"):
        counter = globals().get("hooks")
        if counter is not None:
            counter.count -= 1


def _tagged(cls: type[Value]) -> type[Value]:
    """The subclass of ``cls`` for nodes with extras (same layout, plus the clean-up)."""
    if cls in _tagged_classes.values():
        return cls
    tagged = _tagged_classes.get(cls)
    if tagged is None:
        tagged = type(
            cls.__name__,
            (cls,),
            {"__slots__": (), "__del__": _forget, "__module__": cls.__module__},
        )
        tagged.__qualname__ = cls.__qualname__
        _tagged_classes[cls] = tagged
    return tagged


def _extras_of(node: Value) -> dict[str, Any]:
    """The extras of ``node``, tagging it on first use."""
    node.__class__ = _tagged(type(node))
    return _extras.setdefault(id(node), {})


def run_hooks(node: Value, g: Any) -> Any:
    """``g`` through the hooks of ``node``, in the order they were registered: a hook may
    return a replacement (a number or, with create_graph, a Value), or None to keep ``g``."""
    for hook in list((hooks.of(node) or {}).values()):
        replaced = hook(g)
        if replaced is None:
            continue
        if not isinstance(replaced, layout.VALUE):
            replaced = layout.real_number(replaced, "register_hook: the hook's return value")
        g = replaced
    return g


class _Hooks:
    """The hooks of all nodes: ``count`` nodes have at least one."""

    def __init__(self) -> None:
        self.count = 0
        self.next_key = 0

    def add(self, node: Value, hook: Callable[[Any], Any]) -> RemovableHandle:
        hooks = _extras_of(node).setdefault("hooks", {})
        if not hooks:
            self.count += 1
        self.next_key += 1
        hooks[self.next_key] = hook
        return RemovableHandle(id(node), self.next_key)

    def of(self, node: Value) -> dict[int, Callable[[Any], Any]] | None:
        extras = _extras.get(id(node))
        return None if extras is None else extras.get("hooks")

    def remove(self, node_id: int, key: int) -> None:
        extras = _extras.get(node_id)
        hooks = None if extras is None else extras.get("hooks")
        if hooks and key in hooks:
            del hooks[key]
            if not hooks:
                self.count -= 1


hooks = _Hooks()


class _Anomaly:
    """Anomaly mode's state: where each node was made, and the checks of backward."""

    def __init__(self) -> None:
        self.depth = 0

    @property
    def active(self) -> bool:
        return self.depth > 0

    def where(self, node: Value) -> str:
        extras = _extras.get(id(node))
        site = None if extras is None else extras.get("site")
        return f", made at {site}" if site else ""

    def new(self, cls: type[Value]) -> Value:
        """``object.__new__`` for nodes while anomaly mode is on: also records the caller."""
        node: Value = _object_new(_tagged(cls))
        frame = sys._getframe(1)
        while frame is not None and frame.f_globals.get("__name__", "").startswith(_PACKAGE):
            frame = frame.f_back  # type: ignore[assignment]
        if frame is not None:
            _extras.setdefault(id(node), {})["site"] = (
                f"{frame.f_code.co_filename}:{frame.f_lineno}"
            )
        return node

    def visit(self, node: Value, g: Any, grads: dict[Value, Any]) -> Any:
        """``reference.gradients``' visit in anomaly mode: the node's gradient, what its step
        hands to each parent and each parent's sum must be finite, else FloatingPointError."""
        if node.op is None:
            return g
        self.check_gradient(node, g)
        totals: dict[Value, Any] = {}
        for parent, local, contribution in reference.chain_rule_step(node, layout.data(g)):
            if contribution is None:
                continue  # an edge the op selects away passes nothing
            self.check_contribution(node, parent, local, g, contribution)
            before = totals.get(parent, grads.get(parent))
            total = contribution if before is None else layout.data(before) + contribution
            totals[parent] = total
            if not layout.is_finite(total):
                self.check_sum(node, parent, total)
        return g

    def check_gradient(self, node: Value, g: Any) -> None:
        if not layout.is_finite(layout.data(g)):
            raise FloatingPointError(
                f"detect_anomaly: backward reached {describe_node(node)}{self.where(node)} "
                f"with gradient {layout.data(g)!r}"
            )

    def check_sum(self, node: Value, parent: Value, total: Any) -> None:
        name = f"{parent.label!r}" if parent.label else f"of value {parent.data!r}"
        raise FloatingPointError(
            f"detect_anomaly: the gradient of {name} became {layout.data(total)!r} when the "
            f"contribution of {describe_node(node)}{self.where(node)} was added: finite "
            "gradients adding up overflowed"
        )

    def check_contribution(
        self, node: Value, parent: Value, local: Any, g: Any, contribution: Any
    ) -> None:
        if layout.is_finite(layout.data(contribution)):
            return
        assert node.op is not None
        i = node.parents.index(parent)
        names = node.op.argnames
        arg = names[i] if len(names) == len(node.parents) else f"input {i}"
        raise FloatingPointError(
            f"detect_anomaly: backward of {describe_node(node)}{self.where(node)} produced "
            f"{layout.data(contribution)!r} for ∂/∂{arg}: local derivative "
            f"{layout.data(local)!r} × gradient {layout.data(g)!r}"
        )


anomaly = _Anomaly()
_object_new = object.__new__
_PACKAGE = __name__.split(".")[0] + "."  # frames of the library are skipped


def describe_node(node: Value) -> str:
    assert node.op is not None
    return f"{node.op.describe()}({layout.describe_operands(node.op, node.parents)})"


class detect_anomaly:  # noqa: N801 - named like PyTorch's context manager
    """Find where a NaN or infinity comes from: inside this block, every node records the line
    of your code that made it, and backward raises ``FloatingPointError`` at the first
    infinite or NaN gradient, naming the op, its inputs and that line.

    Slow (a stack lookup per node), so for debugging; no cost at all when off. It is one
    switch for the whole process, and it nests.

    Example:
        >>> import autograd_core as ag
        >>> x = ag.Value(0.0, label="x")
        >>> with ag.detect_anomaly():
        ...     y = ag.sqrt(x) * 0.0 + x
        ...     y.backward()  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        FloatingPointError: detect_anomaly: backward of sqrt(x=0.0 (Value 'x')), made at ...
    """

    def __enter__(self) -> detect_anomaly:
        anomaly.depth += 1
        layout.set_node_allocator(anomaly.new)
        return self

    def __exit__(self, *exc: object) -> None:
        anomaly.depth -= 1
        if not anomaly.depth:
            layout.set_node_allocator(_object_new)
