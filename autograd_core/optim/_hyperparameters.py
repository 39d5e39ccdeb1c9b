"""Hyper-parameters declared once, in the class body, and everything derived from them.

An optimizer or scheduler states each of its settings on one line:

```python
class SGD(Optimizer):
    lr: float = hyperparameter(1e-3, nonnegative, "Learning rate γ, ``>= 0``.")
    momentum: float = hyperparameter(0.0, nonnegative, "Momentum factor μ, ``>= 0``.")
```

That line is the only place where the name, the default, the check and the description are
written. ``Configurable`` (the common base of ``Optimizer`` and ``LRScheduler``) reads the
declarations when a subclass is created and builds from them:

* the constructor's signature, as ``inspect.signature`` and ``help`` show it (``__signature__``),
  and the binding of the constructor's arguments to it, defaults included;
* the checks run by the constructor, by assigning an attribute (``opt.lr = 0.01``) and by
  ``load_state_dict``: the same function each time, so the three cannot disagree;
* the ``hyperparameters`` entry of ``state_dict`` and the ``repr``;
* the "Args:" section of the class docstring, inserted before its "Example:".

A subclass inherits its base's declarations and may redeclare one (AdamW changes the default
of Adam's ``weight_decay``); a redeclared setting keeps its place in the order.
"""

from __future__ import annotations

import inspect
import textwrap
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, TypeVar

from autograd_core._checks import exact_keys, flag, integer, real

__all__ = [
    "REQUIRED",
    "Hyperparameter",
    "hyperparameter",
    "Configurable",
    "from_saved",
    "nonnegative",
    "positive",
    "unit_interval",
    "positive_integer",
    "flag",
]

T = TypeVar("T")

# A check takes (value, name, where), raises TypeError or ValueError with a message that starts
# with where, and returns the value in its canonical form (float, int, bool, tuple, ...).
Check = Callable[[Any, str, str], Any]

# The default of a setting that has none (the caller must pass it).
REQUIRED: Any = inspect.Parameter.empty


# -- checks used by the declarations ------------------------------------------------------------


def nonnegative(value: Any, name: str, where: str) -> float:
    """A finite real number >= 0, as a float.

    Example:
        >>> from autograd_core.optim._hyperparameters import nonnegative
        >>> nonnegative(-1, "lr", "SGD")
        Traceback (most recent call last):
        ...
        ValueError: SGD: lr must be a finite number >= 0, got -1.0
    """
    return real(value, name, where, minimum=0.0)


def positive(value: Any, name: str, where: str) -> float:
    """A finite real number > 0, as a float.

    Example:
        >>> from autograd_core.optim._hyperparameters import positive
        >>> positive(0, "gamma", "StepLR")
        Traceback (most recent call last):
        ...
        ValueError: StepLR: gamma must be a finite number > 0, got 0.0
    """
    return real(value, name, where, minimum=0.0, exclusive_minimum=True)


def unit_interval(value: Any, name: str, where: str) -> float:
    """A real number in [0, 1], as a float.

    Example:
        >>> from autograd_core.optim._hyperparameters import unit_interval
        >>> unit_interval(1, "alpha", "RMSprop")
        1.0
    """
    return real(value, name, where, minimum=0.0, maximum=1.0)


def positive_integer(value: Any, name: str, where: str) -> int:
    """An integer >= 1.

    Example:
        >>> from autograd_core.optim._hyperparameters import positive_integer
        >>> positive_integer(0, "step_size", "StepLR")
        Traceback (most recent call last):
        ...
        ValueError: StepLR: step_size must be an integer >= 1, got 0
    """
    return integer(value, name, where, minimum=1)


def from_saved(check: Callable[..., T], value: Any, name: str, where: str, **options: Any) -> T:
    """``check(value, name, where, **options)``, reporting a wrong type as a ValueError too.

    ``load_state_dict`` is given one argument of the right type, a dict; anything wrong inside
    it is a wrong *value* of that argument, whatever the type of the entry.

    Example:
        >>> from autograd_core._checks import integer
        >>> from autograd_core.optim._hyperparameters import from_saved
        >>> from_saved(integer, 2.0, "step_count", "SGD.load_state_dict", minimum=0)
        Traceback (most recent call last):
        ...
        ValueError: SGD.load_state_dict: step_count must be an integer, got float 2.0
    """
    try:
        return check(value, name, where, **options)
    except TypeError as exc:
        raise ValueError(str(exc)) from None


# -- the declaration ------------------------------------------------------------------------------


class Hyperparameter:
    """One declared setting: its default, its check and its description.

    Made by ``hyperparameter(...)`` in a class body; the attribute's name is its name. As a
    data descriptor it checks every assignment to the attribute; it has no ``__get__``, so
    reading the attribute finds the checked value in the instance's ``__dict__`` at the speed
    of a plain attribute (the update rules read their settings on every step).

    Example:
        >>> from autograd_core.optim import SGD
        >>> SGD.momentum
        Hyperparameter('momentum', default=0.0)
    """

    name: str
    default: Any
    check: Check
    doc: str
    keyword_only: bool
    saved: bool

    def __init__(
        self, default: Any, check: Check, doc: str, *, keyword_only: bool, saved: bool
    ) -> None:
        self.name = ""  # set by __set_name__ when the class body is executed
        self.default = default
        self.check = check
        self.doc = doc
        self.__doc__ = doc  # what help() shows under the class's "Data descriptors"
        self.keyword_only = keyword_only
        self.saved = saved

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __set__(self, instance: Configurable, value: Any) -> None:
        instance._assign(self.name, value)

    def __repr__(self) -> str:
        default = "" if self.default is REQUIRED else f", default={self.default!r}"
        return f"Hyperparameter({self.name!r}{default})"


def hyperparameter(
    default: Any, check: Check, doc: str, *, keyword_only: bool = False, saved: bool = True
) -> Any:
    """Declare a setting in the body of a ``Configurable`` class (an optimizer or scheduler).

    Args:
        default: The value when the caller passes none, or ``REQUIRED``.
        check: ``check(value, name, where)`` returns the value in canonical form or raises
            (TypeError for a wrong type, ValueError for a wrong value).
        doc: One sentence for the "Args:" section of the class docstring.
        keyword_only: Accept the setting only as a keyword argument (``maximize``).
        saved: Include it in ``state_dict`` (not so for a function, such as ``lr_lambda``).

    Returns:
        A ``Hyperparameter``, typed ``Any`` so that ``lr: float = hyperparameter(...)`` tells
        a type checker what reading ``opt.lr`` gives.

    Example:
        >>> from autograd_core.optim._hyperparameters import hyperparameter, positive
        >>> hyperparameter(0.1, positive, "The decay factor.")
        Hyperparameter('', default=0.1)
    """
    return Hyperparameter(default, check, doc, keyword_only=keyword_only, saved=saved)


class Configurable:
    """Base of ``Optimizer`` and ``LRScheduler``: turns declared settings into behaviour.

    A subclass sets ``_LEADING`` (the name and description of the constructor's first argument,
    ``params`` or ``optimizer``) and declares settings with ``hyperparameter``; it may override
    ``_check_together`` for a rule that involves several settings. Its docstring must not have
    an "Args:" section: one is generated.

    Example:
        >>> import inspect
        >>> from autograd_core.optim import StepLR
        >>> inspect.signature(StepLR)
        <Signature (optimizer, step_size, gamma=0.1)>
        >>> [h.name for h in StepLR._HYPERPARAMETERS]
        ['step_size', 'gamma']
    """

    # The declared settings of the class, its bases' included, keyword-only ones last.
    _HYPERPARAMETERS: ClassVar[tuple[Hyperparameter, ...]] = ()
    _LEADING: ClassVar[tuple[str, str]] = ("", "")
    __signature__: ClassVar[inspect.Signature]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        declared: dict[str, Hyperparameter] = {}
        for klass in reversed(cls.__mro__):
            for key, attribute in vars(klass).items():
                if isinstance(attribute, Hyperparameter):
                    # A redeclaration replaces the base's entry in place, keeping its position.
                    declared[key] = attribute
        # Keyword-only settings go last (a stable sort), as a signature requires.
        cls._HYPERPARAMETERS = tuple(sorted(declared.values(), key=lambda h: h.keyword_only))
        leading = inspect.Parameter(cls._LEADING[0], inspect.Parameter.POSITIONAL_OR_KEYWORD)
        cls.__signature__ = inspect.Signature(
            [
                leading,
                *(
                    inspect.Parameter(
                        h.name,
                        inspect.Parameter.KEYWORD_ONLY
                        if h.keyword_only
                        else inspect.Parameter.POSITIONAL_OR_KEYWORD,
                        default=h.default,
                    )
                    for h in cls._HYPERPARAMETERS
                ),
            ]
        )
        if cls.__doc__ and "__doc__" in vars(cls):
            cls.__doc__ = _with_args_section(cls.__doc__, cls._LEADING, cls._HYPERPARAMETERS)

    def _configure(self, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> None:
        """Bind the constructor's arguments after the leading one, check them, store them."""
        where = type(self).__name__
        try:
            # None stands in for the leading argument, which the constructor handles itself.
            bound = self.__signature__.bind(None, *args, **kwargs)
        except TypeError as exc:
            raise TypeError(f"{where}: {exc}") from None
        bound.apply_defaults()
        values = dict(bound.arguments)
        del values[self._LEADING[0]]
        vars(self).update(self._checked(values, where))

    @classmethod
    def _checked(cls, values: Mapping[str, Any], where: str) -> dict[str, Any]:
        """Every setting checked by its declaration's check, then by ``_check_together``."""
        checked = {h.name: h.check(values[h.name], h.name, where) for h in cls._HYPERPARAMETERS}
        cls._check_together(checked, where)
        return checked

    @classmethod
    def _check_together(cls, hyperparameters: Mapping[str, Any], where: str) -> None:
        """Raise ValueError if the (individually valid) settings do not go together."""

    def _assign(self, name: str, value: Any) -> None:
        # Check the new value together with the current others: SGD's nesterov needs momentum.
        values = {**self._current(), name: value}
        vars(self)[name] = self._checked(values, type(self).__name__)[name]

    def _current(self) -> dict[str, Any]:
        return {h.name: vars(self)[h.name] for h in self._HYPERPARAMETERS}

    def _saved_hyperparameters(self) -> dict[str, Any]:
        """The settings that ``state_dict`` saves, JSON-ready (tuples as lists)."""
        current = vars(self)
        return {
            h.name: list(current[h.name]) if isinstance(current[h.name], tuple) else current[h.name]
            for h in self._HYPERPARAMETERS
            if h.saved
        }

    def _loaded_hyperparameters(self, saved: Any, where: str) -> dict[str, Any]:
        """Checked settings from a state dict's ``hyperparameters``; does not store them."""
        if not isinstance(saved, Mapping):
            raise ValueError(f"{where}: hyperparameters must be a dict, got {saved!r}")
        names = [h.name for h in self._HYPERPARAMETERS if h.saved]
        exact_keys(saved, names, "hyperparameters", where)
        # Settings that are not saved (functions) keep their current values.
        try:
            return self._checked({**self._current(), **saved}, where)
        except TypeError as exc:
            raise ValueError(str(exc)) from None


def _with_args_section(
    doc: str, leading: tuple[str, str], hyperparameters: tuple[Hyperparameter, ...]
) -> str:
    """``doc`` with an "Args:" section describing the constructor, placed before "Example:"."""
    entries = [leading]
    for h in hyperparameters:
        # A no-break space inside the default keeps ``(0.9, 0.999)`` on one line: textwrap
        # breaks only at ASCII whitespace.
        shown = repr(h.default).replace(" ", "\N{NO-BREAK SPACE}")
        default = "" if h.default is REQUIRED else f" Default ``{shown}``."
        entries.append((h.name, h.doc + default))
    section = ["Args:"]
    for name, text in entries:
        wrapped = textwrap.fill(
            f"{name}: {text}", width=96, initial_indent="    ", subsequent_indent="        "
        )
        section.append(wrapped.replace("\N{NO-BREAK SPACE}", " "))
    lines = inspect.cleandoc(doc).splitlines()
    at = next((i for i, line in enumerate(lines) if line == "Example:"), len(lines))
    before, after = lines[:at], lines[at:]
    while before and not before[-1]:
        before.pop()
    return "\n".join([*before, "", *section, *(["", *after] if after else [])]) + "\n"
