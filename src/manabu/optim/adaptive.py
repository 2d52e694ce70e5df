"""Per-parameter adaptive learning rates: AdaGrad, RMSProp, AdaDelta.

Each element of a parameter gets its own step size, scaled down where gradients have been
large. AdaGrad sums all past squared gradients (the step keeps shrinking); RMSProp forgets
old ones with an exponential moving average; AdaDelta also replaces lr by a running
average of past updates, so the units of the step match those of the parameter.

The updates are written in place: buffers are updated with ``*=`` / ``+=`` and the step
is built in one scratch array with ``out=``, so a step allocates a few temporaries and
no new buffers.
"""

from manabu import backend
from manabu.optim.optimizer import Optimizer, zeros_like


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
    """

    def __init__(self, params, lr=0.01, lr_decay=0.0, weight_decay=0.0,
                 initial_accumulator_value=0.0, eps=1e-10):
        defaults = dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, eps=eps)
        super().__init__(params, defaults)

    def _update(self, p, g, state, group):
        xp = backend.get_array_module(p.data)
        if "sum" not in state:
            state["step"] = 0
            state["sum"] = xp.full_like(p.data, group["initial_accumulator_value"])
        state["step"] += 1
        if group["weight_decay"] != 0:
            g = g + group["weight_decay"] * p.data
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
    """

    def __init__(self, params, lr=0.01, alpha=0.99, eps=1e-8, weight_decay=0.0,
                 momentum=0.0, centered=False):
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
        if group["weight_decay"] != 0:
            g = g + group["weight_decay"] * p.data
        h = state["square_avg"]
        h *= alpha
        h += _squared(g, 1 - alpha)
        if group["centered"]:
            ga = state.get("grad_avg")
            if ga is None:
                ga = state["grad_avg"] = zeros_like(p.data)
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
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = zeros_like(p.data)
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
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0):
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
        if group["weight_decay"] != 0:
            g = g + group["weight_decay"] * p.data
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
