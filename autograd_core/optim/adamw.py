"""``AdamW``: Adam whose weight decay shrinks the weights directly (Loshchilov and Hutter)."""

from __future__ import annotations

from autograd_core.optim._hyperparameters import hyperparameter, nonnegative
from autograd_core.optim.adam import Adam

__all__ = ["AdamW"]


class AdamW(Adam):
    """Adam with decoupled weight decay: shrink the weights directly, not through the gradient.

    With ``Adam(weight_decay=λ)`` the penalty λθ is added to the gradient and then divided by
    √v like the rest of it, so parameters with large gradients are hardly decayed at all.
    AdamW instead multiplies every parameter by (1 − γλ) before the plain Adam step:

    ```text
    θ ← θ − γλθ
    then Adam's update of θ with λ = 0 (see ``Adam``)
    ```

    Every other setting, and the saved state, are Adam's; the update is Adam's ``_update``
    with the decay moved.

    Example:
        With a zero gradient only the decay acts: θ ← θ(1 − 0.1·0.5):

        >>> import autograd_core as ag
        >>> w = ag.Value(2.0)
        >>> ag.optim.AdamW([w], lr=0.1, weight_decay=0.5).step()
        >>> w.data
        1.9
    """

    _DECOUPLED_WEIGHT_DECAY = True

    # Redeclared for its default (PyTorch's) and meaning; it keeps Adam's place in the order.
    weight_decay: float = hyperparameter(1e-2, nonnegative, "Decoupled decay λ, ``>= 0``.")
