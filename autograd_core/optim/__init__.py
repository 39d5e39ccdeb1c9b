"""Optimizers, learning-rate schedules and gradient clipping: turning gradients into learning.

After ``loss.backward()`` every parameter's ``grad`` is ∂loss/∂parameter, the direction in
which the loss grows fastest. An optimizer steps the other way, and a training loop repeats:

```python
for batch in data:
    optimizer.zero_grad()      # backward adds into .grad: reset it first
    loss = compute_loss(model, batch)
    loss.backward()
    optimizer.step()           # move every parameter's .data
```

The optimizers differ only in how ``step`` turns a gradient into a step. ``SGD`` follows the
gradient, optionally with (Nesterov) momentum, a running sum that speeds up consistent
directions. ``Adagrad``, ``RMSprop``, ``Adam`` and ``AdamW`` give each parameter its own step
size, dividing by the root of a sum or running mean of its squared gradients; Adam adds
momentum and a correction for averages that start at zero.

They work on plain floats (no graph is built) and keep what they remember between steps in
``optimizer.state``. ``state_dict()`` holds that and the hyper-parameters as JSON-ready data,
so training can stop and resume bit-identically. Update rules, defaults and edge cases are
PyTorch's, checked step by step against ``torch.optim``, with one deliberate difference: a
non-finite gradient or update raises a ``ValueError`` naming the parameter and changes nothing.
A step is all or nothing even under Ctrl-C (the new values are computed first, then assigned
with the interrupt held back; see ``_atomic``), and a gradient that is a ``Value`` (after
``backward(create_graph=True)``) counts as its number: ``data`` and the state hold floats only.

A scheduler (``StepLR``, ``ExponentialLR``, ``CosineAnnealingLR``, ``LambdaLR``) sets
``optimizer.lr`` for each epoch; ``clip_grad_norm`` shrinks all gradients together when their
norm is too large.

One module per part: ``optimizer`` (the shared bookkeeping), ``sgd``, ``adam``, ``adamw``,
``rmsprop``, ``adagrad``, ``lr_scheduler`` and ``clip_grad``. Each class declares its
hyper-parameters once, in its body; signature, checks, ``repr``, ``state_dict`` and the
"Args:" of its docstring are derived from that (see ``_hyperparameters``).

Example:
    >>> import autograd_core as ag
    >>> w = ag.Value(0.0)
    >>> opt = ag.optim.Adam([w], lr=0.1)
    >>> sched = ag.optim.StepLR(opt, step_size=10, gamma=0.5)
    >>> for epoch in range(30):
    ...     opt.zero_grad()
    ...     ((w - 2) ** 2).backward()
    ...     opt.step()
    ...     sched.step()
    >>> round(opt.lr, 4), abs(w.data - 2) < 0.5
    (0.0125, True)
"""

from autograd_core.optim.adagrad import Adagrad
from autograd_core.optim.adam import Adam
from autograd_core.optim.adamw import AdamW
from autograd_core.optim.clip_grad import clip_grad_norm
from autograd_core.optim.lr_scheduler import (
    CosineAnnealingLR,
    ExponentialLR,
    LambdaLR,
    LRScheduler,
    StepLR,
)
from autograd_core.optim.optimizer import Optimizer
from autograd_core.optim.rmsprop import RMSprop
from autograd_core.optim.sgd import SGD

__all__ = [
    "Optimizer",
    "SGD",
    "Adam",
    "AdamW",
    "RMSprop",
    "Adagrad",
    "LRScheduler",
    "StepLR",
    "ExponentialLR",
    "CosineAnnealingLR",
    "LambdaLR",
    "clip_grad_norm",
]
