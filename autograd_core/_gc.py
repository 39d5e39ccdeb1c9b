"""Pausing Python's cyclic garbage collector around a training step, safely across threads.

CPython frees most objects by reference counting, the moment the last reference goes. The
*cyclic* collector exists only for objects that refer to each other in a loop; it runs whenever
enough new objects have been allocated since its last run, and a full run scans the heap.

A training step allocates tens of thousands of graph nodes (the forward pass, then backward's
bookkeeping). An autograd_core graph points from each node to its parents only, so it holds no
cycles and reference counting frees it when the loss goes out of scope, yet the allocations
alone keep setting the collector off: on the moons demo, about a third of a step went into
scans that found nothing to free. Pausing the collector for the step removes that cost and
frees nothing later than before.

**Threads.** The collector is one switch for the whole process, so pauses cannot simply save
and restore it each on its own: with two threads, a pause that begins while another is active
sees the collector off and "restores" it to off, and depending on the order in which they end
the collector could stay off for good. Pauses are therefore counted, under a lock, across all
threads. The first pause to begin records whether the collector was on and switches it off;
the last pause to end switches it back on if, and only if, it was on when that first pause
began. While any pause is active anywhere in the process, the collector is off.

**A caller who switches the collector by hand** while a pause is active does not confuse the
count, and does not get the last word: the end of the last pause puts back the state from
before the first one. A ``gc.enable()`` inside a pause turns the collector on until the next
pause begins (every pause switches it off on entry) or the last one ends; a ``gc.disable()``
inside a pause is undone when the last pause ends, if the collector was on before. To change
the collector for good, switch it before the first pause or after the last. ``gc.collect()``
still collects at once during a pause.

**Forks.** A child process made by ``os.fork()`` while other threads are inside a pause
inherits their count, but not the threads, so its collector stays off (call ``gc.enable()`` in
the child if it needs one). The lock itself is renewed in the child, so a fork never leaves it
held.

:func:`paused_gc` (a context manager), :func:`pausing_gc` (a decorator) and the pair
:func:`pause` / :func:`resume` (for a hot loop that would rather not create a generator-based
context manager on every iteration) share one counter. They live in this small module so that
the training loop, the optimizers and hand-written loops can all use them without importing
one another.
"""

from __future__ import annotations

import functools
import gc
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

__all__ = ["paused_gc", "pausing_gc", "pause", "resume"]

F = TypeVar("F", bound=Callable[..., Any])

_lock = threading.Lock()
"""Guards the two fields below and every gc.enable/disable made on their behalf."""

_active = 0
"""How many pauses have begun and not yet ended, in all threads together."""

_was_enabled = False
"""Whether the collector was on when the first of the active pauses began."""


def pause() -> None:
    """Begin a pause of the cyclic collector; every call must be matched by one :func:`resume`.

    The first pause to begin (none active in any thread) remembers whether the collector is
    on; every pause switches it off. Prefer :func:`paused_gc` or :func:`pausing_gc`, which
    cannot forget the :func:`resume`, not even when Ctrl-C lands between the two; call this
    pair directly only where a context manager's cost matters, always as ``pause()`` then
    ``try: ... finally: resume()`` (a Ctrl-C just as ``pause`` returns then leaves the
    collector off).

    Example:
        >>> import gc
        >>> from autograd_core._gc import pause, resume
        >>> pause()
        >>> try:
        ...     gc.isenabled()
        ... finally:
        ...     resume()
        False
        >>> gc.isenabled()
        True
    """
    global _active, _was_enabled
    # acquire/try/finally rather than `with _lock:`, which takes half as long again: every
    # layer's batch and every optimizer step takes this lock twice.
    _lock.acquire()
    try:
        if _active == 0:
            _was_enabled = gc.isenabled()
        # Also when other pauses are active: a gc.enable() made meanwhile lasts until here.
        gc.disable()
        _active += 1
    finally:
        _lock.release()


def resume() -> None:
    """End a pause begun by :func:`pause`.

    While other pauses are active (in this thread or another) the collector stays off. The
    one that ends the last of them puts the collector back as it was when the first began: on
    if it was on, off if it was off.

    Raises:
        RuntimeError: no pause is active (more ``resume()`` calls than ``pause()`` calls);
            nothing is changed.

    Example:
        >>> import gc
        >>> from autograd_core._gc import pause, resume
        >>> pause()
        >>> pause()  # nested
        >>> resume()
        >>> gc.isenabled()  # one pause is still active
        False
        >>> resume()
        >>> gc.isenabled()
        True
    """
    global _active
    _lock.acquire()  # not `with`: see pause()
    try:
        if _active == 0:
            raise RuntimeError("resume() called without a matching pause()")
        _active -= 1
        if _active == 0:
            # As it was before the first pause, whatever was switched by hand meanwhile.
            if _was_enabled:
                gc.enable()
            else:
                gc.disable()
    finally:
        _lock.release()


@contextmanager
def paused_gc() -> Iterator[None]:
    """Switch the cyclic garbage collector off for the ``with`` block, then restore it.

    The collector is switched back on afterwards only if it was on before, so a caller who had
    disabled it keeps it disabled; it is restored even when the block raises. Blocks nest, and
    may run in several threads at once: the collector comes back when the last active block of
    any thread ends (see the module docstring). Reference counting is unaffected: objects
    without cycles are still freed at once. Use it around a step whose objects form no
    reference cycles (an autograd_core graph forms none); cycles made inside the block are
    collected later, once the collector is back on.

    Example:
        >>> import gc
        >>> from autograd_core._gc import paused_gc
        >>> with paused_gc():
        ...     gc.isenabled()
        False
        >>> gc.isenabled()
        True
    """
    # Ctrl-C is delivered between bytecodes, at a function's entry and after a call into C:
    # had it landed between a pause's count and the ``try`` that ends it (or at the entry of
    # the function that ends it), the count would stay up and the collector off for good.
    # So the count changes here in plain statements, inside the ``try``, and ``paused`` says
    # whether it did; if ``__exit__`` is never reached (an interrupt in contextlib's own
    # code), closing this generator when it is freed still runs the ``finally``.
    global _active, _was_enabled
    paused = False
    try:
        with _lock:
            if _active == 0:
                _was_enabled = gc.isenabled()
            _active += 1
            paused = True
            gc.disable()
        yield
    finally:
        if paused:
            with _lock:
                _active -= 1
                if _active == 0:  # as before the first pause (see resume)
                    if _was_enabled:
                        gc.enable()
                    else:
                        gc.disable()


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
        with paused_gc():  # (safe from a Ctrl-C at any moment: see paused_gc)
            return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def _reset_lock_in_child() -> None:
    # A fork made while another thread held the lock would leave the child's copy locked
    # forever, and the child's first pause would hang.
    global _lock
    _lock = threading.Lock()


if hasattr(os, "register_at_fork"):  # POSIX
    os.register_at_fork(after_in_child=_reset_lock_in_child)
