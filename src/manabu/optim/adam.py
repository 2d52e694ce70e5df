"""Adam and AdamW: momentum and RMSProp together, with bias correction.

Adam (Kingma & Ba, 2015) keeps a moving average of the gradient (m, the momentum) and of
its square (v, as RMSProp), corrects both for starting at zero, and steps by m / sqrt(v).
AdamW (Loshchilov & Hutter, 2019) shrinks the weights directly instead of adding an L2
term to the gradient, so the decay is not divided by sqrt(v).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from manabu import backend
from manabu.optim.optimizer import Optimizer, zero_buffer, zeros_like

if TYPE_CHECKING:
    from manabu.optim.optimizer import Params


class Adam(Optimizer):
    """Adam, as ``torch.optim.Adam``::

        g = g + weight_decay * p                 # L2 penalty (Adam); AdamW decays p instead
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        v_max = max(v_max, v)                    # amsgrad only; then v_max replaces v below
        m_hat = m / (1 - beta1**t)
        v_hat = v / (1 - beta2**t)
        p -= lr * m_hat / (sqrt(v_hat) + eps)

    The notes fold both corrections into the rate, ``lr_t = lr * sqrt(1 - beta2**t) /
    (1 - beta1**t)`` and ``p -= lr_t * m / (sqrt(v) + eps)``: the same step up to where
    eps sits (there it is added before the correction of v, here after, as in PyTorch).
    ``amsgrad`` (Reddi et al., 2018) divides by the largest v seen so far, so the
    effective step size never grows.

    Args:
        params: the parameters to optimise, or dicts of parameter groups
        lr: learning rate. Default: 1e-3
        betas: (beta1, beta2), the decay rates of the moving averages of g and g * g,
            each in [0, 1). Default: (0.9, 0.999)
        eps: added to sqrt(v_hat) so the step never divides by zero. Default: 1e-8
        weight_decay: L2 penalty added to the gradient (for the decoupled kind use
            ``AdamW``). Default: 0
        amsgrad: divide by the largest v seen so far. Default: False

    Example:
        >>> w = nn.Parameter(np.array([1.0, -2.0]))
        >>> opt = optim.Adam([w], lr=0.1)
        >>> (w * w).sum().backward()
        >>> opt.step()                  # the first step moves each element by about lr
        >>> np.round(w.data, 6)
        array([ 0.9, -1.9])
    """

    def __init__(self, params: Params, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, amsgrad: bool = False) -> None:
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        amsgrad=amsgrad)
        super().__init__(params, defaults)

    def _update(self, p, g, state, group):
        xp = backend.get_array_module(p.data)
        lr = group["lr"]
        beta1, beta2 = group["betas"]
        if "exp_avg" not in state:
            state["step"] = 0
            state["exp_avg"] = zeros_like(p.data)
            state["exp_avg_sq"] = zeros_like(p.data)
        state["step"] += 1
        t = state["step"]
        if self.decoupled_weight_decay and group["weight_decay"] != 0:
            p.data *= 1 - lr * group["weight_decay"]  # AdamW; Adam's L2 term is already in g
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m *= beta1
        m += (1 - beta1) * g
        v *= beta2
        sq = g * g
        sq *= 1 - beta2
        v += sq
        if group["amsgrad"]:
            v_max = zero_buffer(state, "max_exp_avg_sq", p)
            xp.maximum(v_max, v, out=v_max)
            v = v_max
        step_size = lr / (1 - beta1**t)
        update = sq  # reuse the scratch array: it becomes step_size * m / (sqrt(v_hat) + eps)
        xp.sqrt(v, out=update)
        update /= math.sqrt(1 - beta2**t)
        update += group["eps"]
        xp.divide(m, update, out=update)
        update *= step_size
        p.data -= update


class AdamW(Adam):
    """Adam with decoupled weight decay, as ``torch.optim.AdamW``::

        p *= 1 - lr * weight_decay               # decay the weights themselves
        ... then the Adam step on g, with no L2 term in g

    ``weight_decay`` defaults to 0.01, as in PyTorch.

    Args:
        params: the parameters to optimise, or dicts of parameter groups
        lr: learning rate. Default: 1e-3
        betas: the decay rates of the moving averages of g and g * g. Default: (0.9, 0.999)
        eps: added to sqrt(v_hat) for stability. Default: 1e-8
        weight_decay: the decoupled decay rate: each step multiplies p by
            ``1 - lr * weight_decay``. Default: 0.01
        amsgrad: divide by the largest v seen so far. Default: False

    Example:
        >>> w = nn.Parameter(np.array([1.0]))
        >>> opt = optim.AdamW([w], lr=0.1, weight_decay=0.5)
        >>> w.grad = manabu.tensor(np.array([0.0]))   # no gradient: only the decay acts
        >>> opt.step()
        >>> w.data                                    # 1 * (1 - 0.1 * 0.5)
        array([0.95])
    """

    decoupled_weight_decay = True

    def __init__(self, params: Params, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False) -> None:
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         amsgrad=amsgrad)
