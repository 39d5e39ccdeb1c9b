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

import importlib
from typing import Any

from autograd_core import data, engine, functional, losses, nn, ops, optim, training, viz
from autograd_core.codegen import to_code
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
    "to_code",
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


def __getattr__(name: str) -> Any:
    """``ag.plot``, imported on first use: it needs matplotlib (the ``plot`` extra), which
    ``import autograd_core`` therefore never loads.

    Example:
        >>> import autograd_core as ag
        >>> ag.plot.plot_history.__name__
        'plot_history'
    """
    if name == "plot":
        return importlib.import_module("autograd_core.plot")
    raise AttributeError(f"module 'autograd_core' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), "plot"})
