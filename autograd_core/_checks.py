"""Input checks shared by the whole package, with one convention.

* A value of the wrong **type** raises ``TypeError``; a value of the right type that is out of
  range raises ``ValueError``.
* Every message starts with where the check happened (``"SGD"``, ``"fit"``, ``"make_moons"``),
  then names the argument and shows the offending value: ``"SGD: lr must be a finite number
  >= 0, got -1.0"``.

Each function returns the checked value in its canonical type (``float`` or ``int``), so a
caller writes ``self.lr = real(lr, "lr", "SGD", minimum=0.0)`` and stores the result.
``bool`` is never accepted as a number: ``True`` for a learning rate is a mistake, not 1.0.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

__all__ = ["real", "integer", "flag", "choice", "exact_keys"]

T = TypeVar("T")


def real(
    value: Any,
    name: str,
    where: str,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    exclusive_minimum: bool = False,
    exclusive_maximum: bool = False,
    finite: bool = True,
) -> float:
    """``value`` as a float: a real number (not bool), finite unless ``finite=False``, in range.

    Example:
        >>> from autograd_core._checks import real
        >>> real(3, "lr", "SGD", minimum=0.0)
        3.0
        >>> real(-1.0, "lr", "SGD", minimum=0.0)
        Traceback (most recent call last):
        ...
        ValueError: SGD: lr must be a finite number >= 0, got -1.0
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{where}: {name} must be a real number, got {type(value).__name__} {value!r}"
        )
    try:
        x = float(value)
    except OverflowError:
        raise ValueError(f"{where}: {name} is too large for a float: {value!r}") from None
    low_ok = (
        minimum is None or (x > minimum if exclusive_minimum else x >= minimum)
    ) and not math.isnan(x)
    high_ok = maximum is None or (x < maximum if exclusive_maximum else x <= maximum)
    if (finite and not math.isfinite(x)) or not (low_ok and high_ok):
        shown = _describe_range(minimum, maximum, exclusive_minimum, exclusive_maximum, finite)
        raise ValueError(f"{where}: {name} must be {shown}, got {x!r}")
    return x


def integer(value: Any, name: str, where: str, *, minimum: int | None = None) -> int:
    """``value`` as an int (``numbers.Integral``, not bool), at least ``minimum``.

    Example:
        >>> from autograd_core._checks import integer
        >>> integer(0, "epochs", "fit", minimum=1)
        Traceback (most recent call last):
        ...
        ValueError: fit: epochs must be an integer >= 1, got 0
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{where}: {name} must be an integer, got {type(value).__name__} {value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{where}: {name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def flag(value: Any, name: str, where: str) -> bool:
    """``value`` itself if it is ``True`` or ``False``.

    Example:
        >>> from autograd_core._checks import flag
        >>> flag(1, "nesterov", "SGD")
        Traceback (most recent call last):
        ...
        TypeError: SGD: nesterov must be True or False, got int 1
    """
    if not isinstance(value, bool):
        raise TypeError(
            f"{where}: {name} must be True or False, got {type(value).__name__} {value!r}"
        )
    return value


def choice(value: Any, name: str, where: str, choices: Iterable[T]) -> T:
    """``value`` if it is one of ``choices`` (compared with ``==``).

    Example:
        >>> from autograd_core._checks import choice
        >>> choice("tanh", "activation", "Neuron", ("relu", "tanh"))
        'tanh'
        >>> choice("selu", "activation", "Neuron", ("relu", "tanh"))
        Traceback (most recent call last):
        ...
        ValueError: Neuron: unknown activation 'selu'; choose one of 'relu', 'tanh'
    """
    options = tuple(choices)
    for option in options:
        if type(value) is type(option) and value == option:
            return option
    shown = ", ".join(repr(o) for o in options)
    if options and not any(isinstance(value, type(o)) for o in options):
        raise TypeError(
            f"{where}: {name} must be one of {shown}, got {type(value).__name__} {value!r}"
        )
    raise ValueError(f"{where}: unknown {name} {value!r}; choose one of {shown}")


def exact_keys(given: Mapping[str, Any], expected: Iterable[str], what: str, where: str) -> None:
    """Check that ``given`` has exactly the keys ``expected`` (missing ones named first).

    Linear in the number of keys.

    Example:
        >>> from autograd_core._checks import exact_keys
        >>> exact_keys({"lr": 0.1, "beta": 2}, ["lr"], "the state", "SGD.load_state_dict")
        Traceback (most recent call last):
        ...
        ValueError: SGD.load_state_dict: the state has 1 unexpected key(s): 'beta'
    """
    expected = list(expected)
    wanted = set(expected)
    missing = [key for key in expected if key not in given]
    unexpected = [key for key in given if key not in wanted]
    parts = []
    if missing:
        parts.append(f"is missing {len(missing)} key(s): {_first(missing)}")
    if unexpected:
        parts.append(f"has {len(unexpected)} unexpected key(s): {_first(unexpected)}")
    if parts:
        raise ValueError(f"{where}: {what} " + " and ".join(parts))


def _first(names: list[Any], limit: int = 3) -> str:
    shown = ", ".join(repr(n) for n in names[:limit])
    return shown + (", ..." if len(names) > limit else "")


def _describe_range(
    minimum: float | None,
    maximum: float | None,
    exclusive_minimum: bool,
    exclusive_maximum: bool,
    finite: bool,
) -> str:
    kind = "a finite number" if finite else "a number"
    bounds = []
    if minimum is not None:
        bounds.append(f"{'>' if exclusive_minimum else '>='} {_number(minimum)}")
    if maximum is not None:
        bounds.append(f"{'<' if exclusive_maximum else '<='} {_number(maximum)}")
    return f"{kind} {' and '.join(bounds)}".rstrip()


def _number(x: float) -> str:
    """0 rather than 0.0 in a message; other numbers as their repr."""
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e15 else repr(x)
