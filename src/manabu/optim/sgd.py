"""Gradient descent and its momentum variants: SGD, Momentum, Nesterov.

確率的勾配降下法 (SGD) moves each parameter a small step against its gradient. Momentum
(モーメンタム) adds a velocity that remembers past steps, like a ball rolling downhill;
Nesterov's accelerated gradient looks one step ahead along that velocity.
"""

from manabu.optim.optimizer import Optimizer, zeros_like


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

    ``lr`` defaults to 0.01, the notes' value.
    """

    def __init__(self, params, lr=0.01, momentum=0.0, dampening=0.0, weight_decay=0.0,
                 nesterov=False):
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
        if group["weight_decay"] != 0:
            g = g + group["weight_decay"] * p.data  # a new array: p.grad stays untouched
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
    """

    def __init__(self, params, lr=0.01, momentum=0.9, weight_decay=0.0):
        super().__init__(params, dict(lr=lr, momentum=momentum, weight_decay=weight_decay))

    def _update(self, p, g, state, group):
        if group["weight_decay"] != 0:
            g = g + group["weight_decay"] * p.data
        v = state.get("velocity")
        if v is None:
            v = state["velocity"] = zeros_like(p.data)
        v *= group["momentum"]
        v -= group["lr"] * g
        p.data += v


class Nesterov(Optimizer):
    """Nesterov's accelerated gradient in the notes' velocity form::

        v = momentum * v - lr * g
        p += momentum * v - lr * g

    This is the look-ahead step rewritten at the current point (Bengio et al., 2013):
    it adds ``momentum**2 * v_old - (1 + momentum) * lr * g``, the same update as
    ``torch.optim.SGD(momentum=..., nesterov=True)`` for a constant lr.
    """

    def __init__(self, params, lr=0.01, momentum=0.9, weight_decay=0.0):
        super().__init__(params, dict(lr=lr, momentum=momentum, weight_decay=weight_decay))

    def _update(self, p, g, state, group):
        if group["weight_decay"] != 0:
            g = g + group["weight_decay"] * p.data
        v = state.get("velocity")
        if v is None:
            v = state["velocity"] = zeros_like(p.data)
        lr_g = group["lr"] * g
        v *= group["momentum"]
        v -= lr_g
        p.data += group["momentum"] * v
        p.data -= lr_g
