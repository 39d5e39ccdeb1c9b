"""All or nothing: the assignments that end a step, safe from Ctrl-C, and the numbers they use.

An optimizer's step first computes every new value (pure ``_update`` functions: nothing is
changed yet), then assigns them. An exception in the first half, a ``KeyboardInterrupt``
included, leaves the model and the optimizer as they were. The second half is a loop over
the parameters, and Python delivers Ctrl-C between any two bytecodes: interrupted there (at
85 % of a 2-million-parameter step, say) the model would be half updated while the
optimizer's state and ``step_count`` are not. :class:`deferred_interrupts` closes that gap:
while the assignments run, a SIGINT is only recorded, and it is delivered, as the
``KeyboardInterrupt`` (or whatever the previous handler does) the user asked for, the moment
they are all done.

A gradient is a float, except after ``backward(create_graph=True)``, where it is a ``Value``
(a graph, so that it can be differentiated again). An update uses its number:
:func:`number_of` reads it, and the optimizers never store a ``Value`` in a parameter's
``data`` or in their state.
"""

from __future__ import annotations

import numbers
import signal
import threading
from types import FrameType, TracebackType
from typing import Any

from autograd_core.engine import Value

__all__ = ["deferred_interrupts", "number_of"]

# How many Values deep number_of looks (a Value whose data is itself has no number at all).
_NESTING = 16


class deferred_interrupts:  # noqa: N801 - used like a function: ``with deferred_interrupts():``
    """Hold back SIGINT (Ctrl-C) inside the block; deliver it as soon as the block ends.

    In the main thread, a SIGINT arriving inside the block is recorded by a temporary handler
    and raised again with ``signal.raise_signal`` once the previous handler is back, so it has
    its usual effect (by default a ``KeyboardInterrupt``) just after the block, never inside
    it. Elsewhere (another thread, or a handler that Python did not install) nothing needs or
    can be done: Python runs signal handlers in the main thread only, so a Ctrl-C cannot split
    a block that runs in another thread.

    Keep the block short and free of waiting: a Ctrl-C is delayed until it ends.

    Example:
        >>> import signal
        >>> from autograd_core.optim._atomic import deferred_interrupts
        >>> done = []
        >>> try:
        ...     with deferred_interrupts():
        ...         signal.raise_signal(signal.SIGINT)  # Ctrl-C in the middle of the block
        ...         done.append("the rest of the block")
        ... except KeyboardInterrupt:
        ...     done.append("then the interrupt")
        >>> done
        ['the rest of the block', 'then the interrupt']
    """

    __slots__ = ("_previous", "_received")

    def __init__(self) -> None:
        self._previous: Any = None
        self._received = False

    def __enter__(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        previous = signal.getsignal(signal.SIGINT)
        if previous is None:  # installed outside Python: it cannot be put back
            return
        # signal.signal runs any pending handler before it changes anything, so a Ctrl-C that
        # arrived just before is raised here, before the block has changed anything.
        signal.signal(signal.SIGINT, self._hold)
        self._previous = previous

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        previous = self._previous
        if previous is None:
            return
        self._previous = None
        signal.signal(signal.SIGINT, previous)
        if self._received:
            self._received = False
            signal.raise_signal(signal.SIGINT)  # the previous handler's turn, at last

    def _hold(self, signum: int, frame: FrameType | None) -> None:
        self._received = True


def number_of(value: Any) -> float | None:
    """The number a gradient or parameter stands for, as a float; ``None`` if it has none.

    A float is returned as it is; a ``Value`` (a gradient of ``backward(create_graph=True)``)
    gives its ``data``; another real number (an int, a numpy scalar) is converted. Anything
    else, or an int too large for a float, gives ``None`` so that the caller can name it.

    Example:
        >>> import autograd_core as ag
        >>> from autograd_core.optim._atomic import number_of
        >>> number_of(ag.Value(2.5)), number_of(3), number_of("x")
        (2.5, 3.0, None)
    """
    if type(value) is float:
        return value
    for _ in range(_NESTING):  # a Value's data may itself be a Value (an older bug's model)
        if not isinstance(value, Value):
            break
        value = value.data
    if isinstance(value, numbers.Real):
        try:
            return float(value)
        except OverflowError:
            return None
    return None
