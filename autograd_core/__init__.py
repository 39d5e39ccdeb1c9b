"""autograd_core: scalar automatic differentiation you can read, draw and train with.

Example:
    >>> import autograd_core as ag
    >>> a = ag.Value(2.0, label="a")
    >>> b = ag.Value(-3.0, label="b")
    >>> y = (a * b + a.tanh()) ** 2 / 2
    >>> y.backward()
    >>> round(a.grad, 6), round(b.grad, 6)
    (14.752122, -10.071945)
"""

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from autograd_core import data, engine, functional, losses, nn, ops, optim, training, viz
from autograd_core.engine import (
    Value,
    detect_anomaly,
    enable_grad,
    grad,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
    topological_order,
)
from autograd_core.functional import FUNCTIONS, dot, sum
from autograd_core.ops import register_op

# ag.exp, ag.tanh, ...: the op table's functions (see functional.FUNCTIONS)
globals().update(FUNCTIONS)

__version__ = "0.1.0"

__all__ = [
    "Value",
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "is_grad_enabled",
    "topological_order",
    "grad",
    "detect_anomaly",
    "register_op",
    *FUNCTIONS,
    "sum",
    "dot",
    "engine",
    "functional",
    "ops",
    "optim",
    "viz",
    "nn",
    "losses",
    "data",
    "training",
    "__version__",
]

if TYPE_CHECKING:  # the functions put in globals() above, for type checkers

    def __getattr__(name: str) -> Callable[..., Any]: ...
