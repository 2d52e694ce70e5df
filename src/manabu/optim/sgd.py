"""Gradient descent and its momentum variants: SGD, Momentum, Nesterov.

確率的勾配降下法 (SGD) moves each parameter a small step against its gradient. Momentum
(モーメンタム) adds a velocity that remembers past steps, like a ball rolling downhill;
Nesterov's accelerated gradient looks one step ahead along that velocity.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from manabu.optim.optimizer import Optimizer, zero_buffer

if TYPE_CHECKING:
    from manabu.optim.optimizer import Params


class SGD(Optimizer):
    """Stochastic gradient descent, with optional momentum, as ``torch.optim.SGD``.

    Plain (the notes' form, momentum=0)::

        p -= lr * g

    In full, with g the gradient and t the step::

        g = g + weight_decay * p                     # L2 penalty (weight_decay > 0)
        b = g                                        # t == 1
        b = momentum * b + (1 - dampening) * g       # t > 1
        g = g + momentum * b   if nesterov   else  b
        p -= lr * g

    ``lr`` defaults to 0.01, the notes' value (PyTorch's SGD defaults to 1e-3).

    Args:
        params: the parameters to optimise, or dicts of parameter groups
        lr: learning rate. Default: 0.01
        momentum: momentum factor; 0 is plain SGD. Default: 0
        dampening: how much of the new gradient is held back from the momentum buffer,
            ``(1 - dampening) * g``. Default: 0
        weight_decay: L2 penalty (荷重減衰) added to the gradient. Default: 0
        nesterov: Nesterov momentum; needs ``momentum > 0`` and ``dampening = 0``
            (ValueError otherwise). Default: False

    Example:
        >>> w = nn.Parameter(np.array([1.0, 2.0]))
        >>> opt = optim.SGD([w], lr=0.1)
        >>> (w * w).sum().backward()      # g = 2 w
        >>> opt.step()                    # w -= 0.1 * 2 w
        >>> w.data
        array([0.8, 1.6])
    """

    def __init__(self, params: Params, lr: float = 0.01, momentum: float = 0.0,
                 dampening: float = 0.0, weight_decay: float = 0.0,
                 nesterov: bool = False) -> None:
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        weight_decay=weight_decay, nesterov=nesterov)
        super().__init__(params, defaults)

    def _check_group(self, group):
        super()._check_group(group)
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(
                f"SGD: nesterov=True needs momentum > 0 and dampening = 0, got momentum "
                f"{group['momentum']!r} and dampening {group['dampening']!r}"
            )

    def _update(self, p, g, state, group):
        momentum = group["momentum"]
        if momentum != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = g.copy()
            else:
                buf *= momentum
                buf += (1 - group["dampening"]) * g
            if group["nesterov"]:
                g = g + momentum * buf
            else:
                g = buf
        p.data -= group["lr"] * g


class Momentum(Optimizer):
    """Momentum SGD in the notes' velocity form (モーメンタム)::

        v = momentum * v - lr * g        # v starts at 0
        p += v

    Relation to ``torch.optim.SGD(momentum=...)``, which keeps ``b = momentum * b + g``
    and steps ``p -= lr * b``: with a constant lr, v = -lr * b at every step, so the
    two give identical parameters. They differ once lr changes (a schedule): here the
    velocity carries the old lr's steps, there the new lr rescales the whole buffer.

    ``weight_decay`` adds ``weight_decay * p`` to g (L2), as in SGD.

    Args:
        params: the parameters to optimise, or dicts of parameter groups
        lr: learning rate. Default: 0.01
        momentum: how much of the velocity is kept each step (the notes' alpha).
            Default: 0.9 (PyTorch's SGD defaults to 0, plain SGD)
        weight_decay: L2 penalty added to the gradient. Default: 0

    Example:
        >>> w = nn.Parameter(np.array([1.0]))
        >>> opt = optim.Momentum([w], lr=0.1, momentum=0.9)
        >>> for _ in range(2):                 # the gradient of w is 1 both times
        ...     opt.zero_grad()
        ...     w.sum().backward()
        ...     opt.step()
        >>> w.data                             # 1 - 0.1 - (0.9 * 0.1 + 0.1)
        array([0.71])
    """

    def __init__(self, params: Params, lr: float = 0.01, momentum: float = 0.9,
                 weight_decay: float = 0.0) -> None:
        super().__init__(params, dict(lr=lr, momentum=momentum, weight_decay=weight_decay))

    def _update(self, p, g, state, group):
        v = zero_buffer(state, "velocity", p)
        v *= group["momentum"]
        v -= group["lr"] * g
        p.data += v


class Nesterov(Momentum):
    """Nesterov's accelerated gradient in the notes' velocity form::

        v = momentum * v - lr * g
        p += momentum * v - lr * g

    This is the look-ahead step rewritten at the current point (Bengio et al., 2013):
    it adds ``momentum**2 * v_old - (1 + momentum) * lr * g``, the same update as
    ``torch.optim.SGD(momentum=..., nesterov=True)`` for a constant lr. The velocity is
    Momentum's; only the step of p differs, so this class keeps Momentum's constructor.

    Args:
        as :class:`Momentum` (params, lr, momentum, weight_decay, with the same defaults).

    Example:
        >>> w = nn.Parameter(np.array([1.0]))
        >>> opt = optim.Nesterov([w], lr=0.1, momentum=0.9)
        >>> w.sum().backward()               # g = 1
        >>> opt.step()                       # v = -0.1;  w += 0.9 * v - 0.1 * g
        >>> w.data
        array([0.81])
    """

    def _update(self, p, g, state, group):
        v = zero_buffer(state, "velocity", p)
        lr_g = group["lr"] * g
        v *= group["momentum"]
        v -= lr_g
        p.data += group["momentum"] * v
        p.data -= lr_g
