"""Per-parameter adaptive learning rates: AdaGrad, RMSProp, AdaDelta.

Each element of a parameter gets its own step size, scaled down where gradients have been
large. AdaGrad sums all past squared gradients (the step keeps shrinking); RMSProp forgets
old ones with an exponential moving average; AdaDelta also replaces lr by a running
average of past updates, so the units of the step match those of the parameter.

The updates are written in place: buffers are updated with ``*=`` / ``+=`` and the step
is built in one scratch array with ``out=``, so a step allocates a few temporaries and
no new buffers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from manabu import backend
from manabu.optim.optimizer import Optimizer, zero_buffer, zeros_like

if TYPE_CHECKING:
    from manabu.optim.optimizer import Params


def _squared(g, scale):
    """scale * g * g in one new array (the square of the gradient, weighted)."""
    sq = g * g
    sq *= scale
    return sq


class Adagrad(Optimizer):
    """AdaGrad (Duchi et al., 2011), as ``torch.optim.Adagrad``::

        g  = g + weight_decay * p                    # L2 penalty (weight_decay > 0)
        lr_t = lr / (1 + (t - 1) * lr_decay)
        h += g * g                                   # h starts at initial_accumulator_value
        p -= lr_t * g / (sqrt(h) + eps)

    The notes write ``h += g*g;  p -= lr * g / (sqrt(h) + 1e-7)``: the same rule with
    eps=1e-7 (PyTorch's default, used here, is 1e-10).

    Args:
        params: the parameters to optimise, or dicts of parameter groups
        lr: learning rate. Default: 0.01
        lr_decay: the rate is divided by ``1 + (t - 1) * lr_decay``. Default: 0
        weight_decay: L2 penalty added to the gradient. Default: 0
        initial_accumulator_value: the starting value of h. Default: 0
        eps: added to sqrt(h) for stability. Default: 1e-10

    Example:
        >>> w = nn.Parameter(np.array([1.0, 2.0]))
        >>> opt = optim.Adagrad([w], lr=0.1)     # the notes' name AdaGrad is the same class
        >>> (w * w).sum().backward()
        >>> opt.step()                           # h = g * g, so the step is lr * sign(g)
        >>> np.round(w.data, 6)
        array([0.9, 1.9])
    """

    def __init__(self, params: Params, lr: float = 0.01, lr_decay: float = 0.0,
                 weight_decay: float = 0.0, initial_accumulator_value: float = 0.0,
                 eps: float = 1e-10) -> None:
        defaults = dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, eps=eps)
        super().__init__(params, defaults)

    def _update(self, p, g, state, group):
        xp = backend.get_array_module(p.data)
        if "sum" not in state:
            state["step"] = 0
            state["sum"] = xp.full_like(p.data, group["initial_accumulator_value"])
        state["step"] += 1
        lr_t = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        h = state["sum"]
        h += g * g
        update = xp.sqrt(h)  # the scratch array that becomes lr_t * g / (sqrt(h) + eps)
        update += group["eps"]
        xp.divide(g, update, out=update)
        update *= lr_t
        p.data -= update


class RMSprop(Optimizer):
    """RMSProp (Hinton, 2012), as ``torch.optim.RMSprop``::

        g  = g + weight_decay * p
        h  = alpha * h + (1 - alpha) * g * g         # moving average of g**2
        ga = alpha * ga + (1 - alpha) * g            # centered only: moving average of g
        d  = sqrt(h - ga**2) + eps   if centered   else   sqrt(h) + eps
        b  = momentum * b + g / d;   p -= lr * b     # momentum > 0
        p -= lr * g / d                              # momentum == 0

    The notes' form is ``h *= decay; h += (1 - decay) * g*g; p -= lr * g / (sqrt(h) + eps)``
    with decay = alpha = 0.99. ``centered`` divides by an estimate of the variance of g
    instead of its raw second moment.

    Args:
        params: the parameters to optimise, or dicts of parameter groups
        lr: learning rate. Default: 0.01
        alpha: the decay rate of the moving average of g * g. Default: 0.99
        eps: added to the square root for stability. Default: 1e-8
        weight_decay: L2 penalty added to the gradient. Default: 0
        momentum: momentum factor of the scaled step. Default: 0
        centered: divide by the estimated variance of g instead. Default: False

    Example:
        >>> w = nn.Parameter(np.array([1.0]))
        >>> opt = optim.RMSprop([w], lr=0.01)    # the notes' name RMSProp is the same class
        >>> w.sum().backward()                   # g = 1, h = 0.01 after one step
        >>> opt.step()                           # w -= 0.01 * 1 / sqrt(0.01)
        >>> np.round(w.data, 6)
        array([0.9])
    """

    def __init__(self, params: Params, lr: float = 0.01, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0.0, momentum: float = 0.0,
                 centered: bool = False) -> None:
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                        momentum=momentum, centered=centered)
        super().__init__(params, defaults)

    def _update(self, p, g, state, group):
        xp = backend.get_array_module(p.data)
        alpha = group["alpha"]
        if "square_avg" not in state:
            state["step"] = 0
            state["square_avg"] = zeros_like(p.data)
        state["step"] += 1
        h = state["square_avg"]
        h *= alpha
        h += _squared(g, 1 - alpha)
        if group["centered"]:
            ga = zero_buffer(state, "grad_avg", p)
            ga *= alpha
            ga += (1 - alpha) * g
            update = ga * ga  # the scratch array that becomes g / d
            xp.subtract(h, update, out=update)
            xp.sqrt(update, out=update)
        else:
            update = xp.sqrt(h)
        update += group["eps"]
        xp.divide(g, update, out=update)
        if group["momentum"] > 0:
            buf = zero_buffer(state, "momentum_buffer", p)
            buf *= group["momentum"]
            buf += update
            update[...] = buf
        update *= group["lr"]
        p.data -= update


class Adadelta(Optimizer):
    """AdaDelta (Zeiler, 2012), as ``torch.optim.Adadelta``::

        g  = g + weight_decay * p
        h  = rho * h + (1 - rho) * g * g                       # average of g**2
        dx = sqrt(s + eps) / sqrt(h + eps) * g                 # s: average of dx**2
        s  = rho * s + (1 - rho) * dx * dx
        p -= lr * dx

    The ratio of RMS values gives the step the units of p, so the paper has no learning
    rate; ``lr`` (1.0 by default, as in the paper) only scales the update.

    Args:
        params: the parameters to optimise, or dicts of parameter groups
        lr: a factor on the update. Default: 1.0
        rho: the decay rate of both running averages, in [0, 1]. Default: 0.9
        eps: added inside both square roots; it also sets the size of the first
            steps. Default: 1e-6
        weight_decay: L2 penalty added to the gradient. Default: 0

    Example:
        >>> w = nn.Parameter(np.array([1.0]))
        >>> opt = optim.Adadelta([w])       # the notes' name AdaDelta is the same class
        >>> w.sum().backward()
        >>> opt.step()                      # a first step of about sqrt(eps / (1 - rho))
        >>> float(np.round(1.0 - w.data[0], 6))
        0.003162
    """

    def __init__(self, params: Params, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0.0) -> None:
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay)
        super().__init__(params, defaults)

    def _update(self, p, g, state, group):
        xp = backend.get_array_module(p.data)
        rho, eps = group["rho"], group["eps"]
        if "square_avg" not in state:
            state["step"] = 0
            state["square_avg"] = zeros_like(p.data)
            state["acc_delta"] = zeros_like(p.data)
        state["step"] += 1
        h, s = state["square_avg"], state["acc_delta"]
        h *= rho
        h += _squared(g, 1 - rho)
        std = h + eps
        xp.sqrt(std, out=std)
        delta = s + eps
        xp.sqrt(delta, out=delta)
        delta /= std
        delta *= g
        s *= rho
        s += _squared(delta, 1 - rho)
        delta *= group["lr"]
        p.data -= delta


# The notes' spellings of the same classes.
AdaGrad = Adagrad
RMSProp = RMSprop
AdaDelta = Adadelta
