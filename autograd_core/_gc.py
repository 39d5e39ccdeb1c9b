"""Pausing Python's cyclic garbage collector around a training step.

CPython frees most objects by reference counting, the moment the last reference goes. The
*cyclic* collector exists only for objects that refer to each other in a loop; it runs whenever
enough new objects have been allocated since its last run, and a full run scans the heap.

A training step allocates tens of thousands of graph nodes (the forward pass, then backward's
bookkeeping). An autograd_core graph points from each node to its parents only, so it holds no
cycles and reference counting frees it when the loss goes out of scope, yet the allocations
alone keep setting the collector off: on the moons demo, about a third of a step went into
scans that found nothing to free. Pausing the collector for the step removes that cost and
frees nothing later than before.

:func:`paused_gc` lives in its own small module so that the training loop, the optimizers and
hand-written loops can all use it without importing one another.
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

__all__ = ["paused_gc", "pausing_gc"]

F = TypeVar("F", bound=Callable[..., Any])


@contextmanager
def paused_gc() -> Iterator[None]:
    """Switch the cyclic garbage collector off for the ``with`` block, then restore it.

    The collector is switched back on afterwards only if it was on before, so a caller who had
    disabled it keeps it disabled; it is restored even when the block raises. Blocks nest.
    Reference counting is unaffected: objects without cycles are still freed at once. Use it
    around a step whose objects form no reference cycles (an autograd_core graph forms none);
    cycles made inside the block are collected later, once the collector is back on.

    Example:
        >>> import gc
        >>> from autograd_core._gc import paused_gc
        >>> with paused_gc():
        ...     gc.isenabled()
        False
        >>> gc.isenabled()
        True
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def pausing_gc(fn: F) -> F:
    """Decorate a function that builds many graph nodes and no reference cycle (a loss over a
    batch) so that it runs with the cyclic collector paused, as :func:`paused_gc` does.

    Example:
        >>> import gc
        >>> from autograd_core._gc import pausing_gc
        >>> @pausing_gc
        ... def build():
        ...     return gc.isenabled()
        >>> build(), gc.isenabled()
        (False, True)
    """

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            return fn(*args, **kwargs)
        finally:
            if was_enabled:
                gc.enable()

    return wrapper  # type: ignore[return-value]
