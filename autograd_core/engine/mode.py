"""Modes of the engine: whether operations record a graph, and which engine runs.

*Grad mode* (``no_grad``, ``enable_grad``, ``set_grad_enabled``) is a ``contextvars`` flag,
so it is per thread and per asyncio task, as in PyTorch. Every node constructor reads it: under
``no_grad`` an operation gives a plain leaf with no graph.

*Engine mode* says whether the fast modules run (the default) or the reference engine
(``engine/reference.py``) does everything: ``ag.engine.use("reference")``, or the environment
variable ``AUTOGRAD_CORE_ENGINE=reference`` before the import. The two are tested to give the
same gradients; the reference is slower and meant to be read and to check the others against.

*Non-finite mode* (:func:`allowing_non_finite`) is on only while a gradient graph is built
(``create_graph``): operations then make nodes that hold inf or NaN (``engine/ieee.py``).
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import threading
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

__all__ = [
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "is_grad_enabled",
    "grad_enabled",
    "allowing_non_finite",
    "non_finite_allowed",
]

F = TypeVar("F", bound=Callable[..., Any])

GRAD_ENABLED: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "autograd_core_grad_enabled", default=True
)
grad_enabled = GRAD_ENABLED.get


class _GradMode:
    """Context manager and decorator that sets whether new nodes record their graph."""

    _enabled: bool

    def __init__(self) -> None:
        # The mode each ``with`` replaced, per thread: one instance may be entered in several
        # threads (or nested) at once, and each exit restores what its own entry replaced.
        self._saved = threading.local()

    def __enter__(self) -> None:
        stack = self._saved.__dict__.setdefault("stack", [])
        stack.append(GRAD_ENABLED.get())
        GRAD_ENABLED.set(self._enabled)

    def __exit__(self, *exc: object) -> None:
        GRAD_ENABLED.set(self._saved.stack.pop())

    def __call__(self, fn: F) -> F:
        enabled = self._enabled

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            token = GRAD_ENABLED.set(enabled)
            try:
                return fn(*args, **kwargs)
            finally:
                GRAD_ENABLED.reset(token)

        return wrapper  # type: ignore[return-value]


class no_grad(_GradMode):  # noqa: N801 - named like the PyTorch context manager it mirrors
    """Inside this block (or decorated function) operations build no graph.

    Results are plain leaves: use it for evaluation and for parameter updates. It nests, and
    it is per thread and per asyncio task (``contextvars``).

    Example:
        >>> import autograd_core as ag
        >>> w = ag.Value(0.5)
        >>> with ag.no_grad():
        ...     y = w * 3
        >>> y.parents
        ()
    """

    _enabled = False


class enable_grad(_GradMode):  # noqa: N801
    """Turn graph recording back on inside a ``no_grad`` block.

    Example:
        >>> import autograd_core as ag
        >>> with ag.no_grad():
        ...     with ag.enable_grad():
        ...         y = ag.Value(2.0) * 3
        >>> len(y.parents)
        2
    """

    _enabled = True


class set_grad_enabled(_GradMode):  # noqa: N801
    """Set graph recording on or off for a block: ``with ag.set_grad_enabled(False): ...``.

    Example:
        >>> import autograd_core as ag
        >>> with ag.set_grad_enabled(False):
        ...     print(ag.is_grad_enabled())
        False
    """

    def __init__(self, mode: bool) -> None:
        super().__init__()
        self._enabled = bool(mode)


def is_grad_enabled() -> bool:
    """Whether new operations currently record their graph.

    Example:
        >>> import autograd_core as ag
        >>> ag.is_grad_enabled()
        True
    """
    return grad_enabled()


NON_FINITE_ALLOWED: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "autograd_core_non_finite_allowed", default=False
)
non_finite_allowed = NON_FINITE_ALLOWED.get


@contextlib.contextmanager
def allowing_non_finite() -> Iterator[None]:
    """Within the block, an operation whose result is not finite makes a node holding the IEEE
    result instead of raising: how a gradient graph is built (see ``engine/ieee.py``).

    Example:
        >>> import autograd_core as ag
        >>> from autograd_core.engine.mode import allowing_non_finite
        >>> with allowing_non_finite():
        ...     y = 1.0 / ag.Value(0.0)
        >>> y.data, y.partials
        (inf, (inf, -inf))
    """
    token = NON_FINITE_ALLOWED.set(True)
    try:
        yield
    finally:
        NON_FINITE_ALLOWED.reset(token)


class _Engine:
    """Which engine runs: ``reference`` is True when the reference engine does everything."""

    reference = False


ENGINE = _Engine()
