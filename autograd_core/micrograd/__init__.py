"""micrograd's API, running on autograd_core's engine: change one import line, keep the code.

Code written for Andrej Karpathy's micrograd (the package, its demo notebook, the lecture
notebooks) runs unchanged once its imports point here:

```text
from micrograd.engine import Value  ->  from autograd_core.micrograd.engine import Value
from micrograd.nn import MLP        ->  from autograd_core.micrograd.nn import MLP
from micrograd import nn            ->  from autograd_core.micrograd import nn
```

The package mirrors micrograd's layout (``engine.Value``; ``nn.Module``, ``Neuron``, ``Layer``,
``MLP``) and adds the lecture's ``trace`` and ``draw_dot``. Everything micrograd code touches
is here with micrograd's meaning: ``Value(data, _children=(), _op='', label='')``, ``.data``,
``.grad``, ``.label``, ``_prev`` (a set of the inputs), ``_op`` (``'+'``, ``'*'``, ``'**2'``,
``'ReLU'``, ``'tanh'``, ...), ``_backward()`` (one node's step of the chain rule),
``backward()``, ``zero_grad()``, ``parameters()``, and the global ``random`` module for the
initial weights, so ``random.seed(1337)`` gives micrograd's very weights.

The nodes are autograd_core nodes (:class:`engine.Value` subclasses ``autograd_core.Value``):
``backward`` is the library's iterative chain rule, a neuron is one ``Σ w·x + b`` node, and
``ag.viz.draw_graph``, ``ag.optim`` and ``ag.losses`` accept them. The demo's training step
runs several dozen times faster than on micrograd (see ``tests/test_micrograd_compat.py``).

Example:
    >>> from autograd_core.micrograd import Value
    >>> a = Value(2.0, label="a")
    >>> b = Value(-3.0, label="b")
    >>> c = a * b + a**2
    >>> c.backward()
    >>> c, c._op, a.grad, b.grad
    (Value(data=-2.0, grad=1.0), '+', 1.0, 2.0)
"""

from autograd_core.micrograd import engine, nn
from autograd_core.micrograd.draw import draw_dot, trace
from autograd_core.micrograd.engine import Value
from autograd_core.micrograd.nn import MLP, Layer, Module, Neuron

__all__ = ["Value", "Module", "Neuron", "Layer", "MLP", "draw_dot", "trace", "engine", "nn"]
