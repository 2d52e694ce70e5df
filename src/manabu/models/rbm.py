"""The restricted Boltzmann machine (制限付きボルツマンマシン, RBM) and the deep belief network
(DBN): generative networks of binary hidden units, trained without labels.

An RBM is an energy model over visible units v and hidden units h, with connections only
between the two layers (none inside a layer: that is the restriction):

    E(v, h) = -b.v - c.h - h.W v                       p(v, h) = exp(-E(v, h)) / Z
    p(h_j = 1 | v) = sigmoid(c_j + W_j v)              p(v_i = 1 | h) = sigmoid(b_i + W^T_i h)

Summing h out gives the free energy, p(v) = exp(-F(v)) / Z:

    F(v) = -b.v - sum_j softplus(c_j + W_j v)

Gaussian-Bernoulli RBM (real-valued v, noise sigma): E = |v - b|^2 / (2 sigma^2) - c.h
- h.W v / sigma, so p(v | h) = N(b + sigma W^T h, sigma^2) and
F(v) = |v - b|^2 / (2 sigma^2) - sum_j softplus(c_j + W_j v / sigma).

Learning raises log p(v) = -F(v) - log Z on the data. Its gradient is
<dF/dtheta>_model - <dF/dtheta>_data: the data term is exact, the model term needs samples
of p(v). Contrastive divergence (CD-k, Hinton 2002) takes them from k steps of Gibbs
sampling (v -> h -> v ...) started at the data; persistent CD (PCD, Tieleman 2008) keeps the
chains running from one update to the next. Here both are the gradient of one loss,

    loss = mean F(v_data) - mean F(v_model)          (v_model held constant)

so autograd computes the statistics <v h>_data - <v h>_model and any optimizer applies them.

Z sums over every state: ``log_partition`` enumerates the 2^H hidden states (or the 2^V
visible ones) of a small RBM; ``ais_log_partition`` estimates it for a large one by
annealed importance sampling (Neal 2001; Salakhutdinov & Murray 2008). A DBN stacks RBMs,
each trained on the hidden probabilities of the one below (greedy layer-wise
pre-training); its weights then start an MLP (``DBN.to_mlp``).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from manabu import backend, nn, optim
from manabu.autograd import Tensor, no_grad
from manabu.functional.activation import softplus
from manabu.models.autoencoder import _mlp_from
from manabu.models.mlp import MLP
from manabu.random import get_generator

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

__all__ = ["DBN", "RBM", "base_rate_bias", "free_energy", "train_rbm"]

_VISIBLE = ("bernoulli", "gaussian")
# log_partition sums over at most 2^22 states; each costs a pass over the other layer
# (2^22 x 784 softplus terms take about half a minute), so beyond that AIS is the way
_MAX_ENUMERATED = 1 << 22
_CHUNK = 1 << 12  # states enumerated at once: (4096, 784) float64 is 26 MB


def _sigmoid(z):
    """1 / (1 + exp(-z)) for any z: exp sees only -|z| (no overflow), and small
    probabilities keep their relative precision (0.5 (1 + tanh(z / 2)) would not)."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0, e) / (1.0 + e)


def _softplus(z):
    return np.logaddexp(0.0, z)


def _logsumexp(a):
    top = a.max()
    return float(top + np.log(np.exp(a - top).sum()))


def base_rate_bias(x: Any, eps: float = 1e-3) -> np.ndarray:
    """The visible biases of the "base-rate" RBM: b_i = log(p_i / (1 - p_i)), p_i the mean
    of column i of x clipped to [eps, 1 - eps] (V,). Without weights, an RBM with these
    biases gives each pixel its frequency in the data: a good start for the visible biases
    (Hinton's practical guide) and the usual base distribution of AIS (Salakhutdinov &
    Murray 2008).

    Example:
        >>> base_rate_bias(np.array([[0.0, 1.0, 1.0], [1.0, 1.0, 0.0]])).round(2)
        array([0.  , 6.91, 0.  ])
    """
    p = np.clip(np.asarray(x, dtype=np.float64).reshape(len(x), -1).mean(axis=0), eps, 1 - eps)
    return np.log(p) - np.log1p(-p)


class RBM(nn.Module):
    """A restricted Boltzmann machine with Bernoulli hidden units and Bernoulli or
    Gaussian visible units (the formulas are in the module docstring).

    Args:
        n_visible: V, the visible units (784 for MNIST), >= 1
        n_hidden: H, the hidden units, >= 1
        visible: 'bernoulli' (values in [0, 1]) or 'gaussian' (real values).
            Default: 'bernoulli'
        sigma: the Gaussian visible units' standard deviation (standardise the data and
            keep 1). Default: 1.0

    Shape:
        - Input: v (N, V)
        - Output: ``free_energy(v)`` (N,); ``hidden_probs(v)`` (N, H)

    Example:
        >>> rbm = models.RBM(n_visible=6, n_hidden=3)
        >>> v = np.random.default_rng(0).integers(0, 2, (4, 6)).astype(np.float64)
        >>> rbm.free_energy(v).shape, rbm.hidden_probs(v).shape
        ((4,), (4, 3))
        >>> rbm.weight.data[...] = 0             # no weights: all 2^(6+3) states alike
        >>> round(rbm.log_partition(), 3), round(9 * math.log(2), 3)
        (6.238, 6.238)
    """

    def __init__(self, n_visible: int, n_hidden: int, visible: str = "bernoulli",
                 sigma: float = 1.0) -> None:
        super().__init__()
        for name, value in (("n_visible", n_visible), ("n_hidden", n_hidden)):
            if int(value) < 1:
                raise ValueError(f"RBM: {name} must be at least 1, got {value}")
        if visible not in _VISIBLE:
            raise ValueError(f"RBM: visible must be 'bernoulli' or 'gaussian', got {visible!r}")
        if sigma <= 0:
            raise ValueError(f"RBM: sigma must be positive, got {sigma}")
        self.n_visible, self.n_hidden = int(n_visible), int(n_hidden)
        self.visible, self.sigma = visible, float(sigma)
        self.config = {"n_visible": self.n_visible, "n_hidden": self.n_hidden,
                       "visible": visible, "sigma": self.sigma}
        dtype = backend.get_default_dtype()
        weight = 0.01 * get_generator().standard_normal((self.n_hidden, self.n_visible))
        self.weight = nn.Parameter(weight.astype(dtype))
        self.visible_bias = nn.Parameter(np.zeros(self.n_visible, dtype))
        self.hidden_bias = nn.Parameter(np.zeros(self.n_hidden, dtype))
        self.chains = None  # the persistent chains of PCD, (N, V)

    # -- the model's conditionals, on arrays --------------------------------------------
    def _check(self, v):
        v = np.asarray(v.data if isinstance(v, Tensor) else v, dtype=self.weight.dtype)
        if v.ndim != 2 or v.shape[1] != self.n_visible:
            raise ValueError(f"RBM: expected visible units (N, {self.n_visible}), got shape "
                             f"{v.shape}; flatten images to rows (x.reshape(len(x), -1)), "
                             "and give one example as a row (v[None])")
        if not np.isfinite(v).all():
            raise ValueError("RBM: the visible units hold NaN or inf; clean the data first")
        if self.visible == "bernoulli" and v.size and (v.min() < 0 or v.max() > 1):
            raise ValueError(
                f"RBM(visible='bernoulli') expects values in [0, 1], got {v.min():.4g} .. "
                f"{v.max():.4g}; scale the data (x / 255), or use visible='gaussian' for "
                "real values"
            )
        return v

    def _hidden_input(self, v, beta=1.0):
        """beta (c + W v / s), s = sigma for Gaussian units (1 for Bernoulli): (N, H)."""
        scale = self.sigma if self.visible == "gaussian" else 1.0
        return beta * (v @ self.weight.data.T / scale + self.hidden_bias.data)

    def hidden_probs(self, v: Any) -> np.ndarray:
        """p(h_j = 1 | v) = sigmoid(c_j + W_j v) for every row of v: (N, H)."""
        return _sigmoid(self._hidden_input(self._check(v)))

    def visible_mean(self, h: Any) -> np.ndarray:
        """E[v | h]: sigmoid(b + W^T h) (Bernoulli) or b + sigma W^T h (Gaussian): (N, V)."""
        h = np.asarray(h, dtype=self.weight.dtype)
        if self.visible == "gaussian":
            return self.visible_bias.data + self.sigma * (h @ self.weight.data)
        return _sigmoid(h @ self.weight.data + self.visible_bias.data)

    def sample_hidden(self, v: Any, generator: np.random.Generator | None = None) -> np.ndarray:
        """h ~ p(h | v), 0s and 1s (N, H)."""
        p = self.hidden_probs(v)
        return (_rng(generator).random(p.shape) < p).astype(p.dtype)

    def sample_visible(self, h: Any, generator: np.random.Generator | None = None) -> np.ndarray:
        """v ~ p(v | h) (N, V)."""
        return self._draw_visible(self.visible_mean(h), _rng(generator))

    def _draw_visible(self, mean, rng):
        """v ~ Bernoulli(mean), or N(mean, sigma^2) for Gaussian units: (N, V)."""
        if self.visible == "gaussian":
            return mean + self.sigma * rng.standard_normal(mean.shape).astype(mean.dtype)
        return (rng.random(mean.shape) < mean).astype(mean.dtype)

    def gibbs(self, v: Any, k: int = 1,
              generator: np.random.Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
        """k steps of block Gibbs sampling v -> h -> v from v: (the last visible sample, its
        mean E[v | h])."""
        if int(k) < 1:
            raise ValueError(f"RBM.gibbs: k must be at least 1, got {k}")
        rng = _rng(generator)
        v = self._check(v)
        for _ in range(int(k)):
            h = self.sample_hidden(v, rng)  # (N, H), 0s and 1s
            mean = self.visible_mean(h)  # (N, V)
            v = self._draw_visible(mean, rng)
        return v, mean

    # -- energies and learning ----------------------------------------------------------
    def free_energy(self, v: Any) -> Tensor:
        """F(v) for every row of v (N,), as a Tensor of the parameters (differentiable)."""
        sigma = self.sigma if self.visible == "gaussian" else None
        return free_energy(Tensor(self._check(v)), self.weight, self.visible_bias,
                           self.hidden_bias, sigma)

    def contrastive_divergence(self, v: Any, k: int = 1, persistent: bool = False,
                               generator: np.random.Generator | None = None) -> Tensor:
        """The CD-k loss mean F(v) - mean F(v_model), v_model after k Gibbs steps from v
        (or, with ``persistent``, from the chains the last call left; PCD). Its gradient is
        the CD (PCD) estimate of -d log p(v) / d theta; the chains are kept on the RBM
        (``reset_chains`` forgets them)."""
        v = self._check(v)
        start = v
        if persistent:
            if self.chains is None or self.chains.shape != v.shape:
                self.chains = v.copy()
            start = self.chains
        model_v, _ = self.gibbs(start, k, generator)
        if persistent:
            self.chains = model_v
        return self.free_energy(v).mean() - self.free_energy(model_v).mean()

    def reset_chains(self) -> None:
        """Forget the persistent chains (the next PCD call restarts them at its data)."""
        self.chains = None

    def reconstruction_error(self, v: Any) -> float:
        """mean (v - E[v | h = p(h | v)])^2: how well one up-down pass rebuilds v."""
        v = self._check(v)
        return float(((v - self.visible_mean(self.hidden_probs(v))) ** 2).mean())

    # -- the partition function -----------------------------------------------------------
    def log_partition(self) -> float:
        """The exact log Z, summing over all 2^H hidden states (or 2^V visible states of a
        Bernoulli RBM when that is fewer). A ValueError above 2^22 states."""
        states = min(self.n_hidden, self.n_visible if self.visible == "bernoulli" else 10**9)
        if 2 ** states > _MAX_ENUMERATED:
            raise ValueError(f"RBM.log_partition: 2^{states} states are too many to sum; "
                             "estimate log Z with ais_log_partition()")
        if self.visible == "bernoulli" and self.n_visible < self.n_hidden:
            terms = [self._visible_terms(v) for v in _binary_chunks(self.n_visible)]
            return _logsumexp(np.concatenate(terms))
        terms = [self._hidden_terms(h) for h in _binary_chunks(self.n_hidden)]
        if self.visible == "bernoulli":
            return _logsumexp(np.concatenate(terms))
        # Gaussian: the integral over v of exp(-|v - b|^2 / 2s^2 + v.a / s) for each h
        gauss = 0.5 * self.n_visible * math.log(2 * math.pi * self.sigma ** 2)
        return _logsumexp(np.concatenate(terms)) + gauss

    def _float64_parameters(self):
        return (p.data.astype(np.float64) for p in
                (self.weight, self.visible_bias, self.hidden_bias))

    def _visible_terms(self, v):
        """-F(v) = b.v + sum_j softplus(c_j + W_j v) for rows of visible states v (S,)."""
        W, b, c = self._float64_parameters()
        return v @ b + _softplus(v @ W.T + c).sum(axis=1)

    def _hidden_terms(self, h):
        """log of sum (Bernoulli) or integral (Gaussian, less the (2 pi s^2)^(V/2) factor)
        over v of exp(-E(v, h)), for rows of hidden states h (S,): with a = W^T h,
        Bernoulli c.h + sum_i softplus(b_i + a_i); Gaussian c.h + a.b / s + |a|^2 / 2."""
        W, b, c = self._float64_parameters()
        a = h @ W  # W^T h for every h: (S, V)
        if self.visible == "bernoulli":
            return h @ c + _softplus(a + b).sum(axis=1)
        return h @ c + a @ b / self.sigma + 0.5 * (a * a).sum(axis=1)

    def ais_log_partition(self, num_chains: int = 100, betas: int | Sequence[float] = 10000,
                          generator: np.random.Generator | None = None,
                          base_visible_bias: Any = None) -> tuple[float, tuple[float, float]]:
        """Annealed importance sampling estimate of log Z, with the bounds log(mean w +- 3
        standard errors).

        The path runs from a base RBM p_0 without weights, whose log Z_0 is known (its
        visible units are independent, each hidden unit adds log 2), to this RBM, through

            log p*_beta(v) = (1 - beta) base(v) + beta visible(v)
                             + sum_j softplus(beta (c_j + W_j v / s))

        (visible(v) = b.v for Bernoulli units, -|v - b|^2 / 2s^2 for Gaussian ones; base(v)
        the same with the base biases b_A). Each chain starts from an exact sample of p_0,
        and at every beta_k adds log p*_k(v) - log p*_(k-1)(v) to its log weight, then takes
        one Gibbs step that leaves p_k invariant; log Z = log Z_0 + log mean(weights).

        Args:
            num_chains: independent runs M. Default: 100
            betas: the number of intermediate temperatures (spaced evenly in [0, 1]) or
                the increasing sequence from 0 to 1 itself. Default: 10000
            generator: a ``np.random.Generator``; None: manabu's global one. Default: None
            base_visible_bias: b_A (V,); ``base_rate_bias(x_train)`` is Salakhutdinov &
                Murray's choice, a base close to the data. None: the RBM's own visible
                biases. Default: None
        """
        rng = _rng(generator)
        betas = np.linspace(0, 1, int(betas) + 1) if np.isscalar(betas) else \
            np.asarray(betas, dtype=np.float64)
        if betas[0] != 0 or betas[-1] != 1 or np.any(np.diff(betas) <= 0):
            raise ValueError("RBM.ais_log_partition: betas must increase from 0 to 1")
        b = self.visible_bias.data.astype(np.float64)
        base = b if base_visible_bias is None else \
            np.asarray(base_visible_bias, dtype=np.float64).reshape(-1)
        if base.shape != b.shape:
            raise ValueError(f"RBM.ais_log_partition: base_visible_bias needs shape "
                             f"({self.n_visible},), got {base.shape}")
        v = self._draw_visible(self._base_mean(base, num_chains), rng)  # (M, V)
        log_w = np.zeros(num_chains)
        for previous, beta in zip(betas[:-1], betas[1:]):
            inputs = self._hidden_input(v)  # c + W v / s, (M, H)
            log_w += (beta - previous) * self._visible_gap(v, base)
            log_w += _softplus(beta * inputs).sum(1) - _softplus(previous * inputs).sum(1)
            h = (rng.random(inputs.shape) < _sigmoid(beta * inputs)).astype(v.dtype)
            v = self._visible_at(h, beta, base, rng)
        return _ais_result(log_w, self._base_log_partition(base))

    def _base_mean(self, base, n):
        """The mean of p_0 repeated n times: sigmoid(b_A) or b_A, (n, V)."""
        mean = base if self.visible == "gaussian" else _sigmoid(base)
        return np.repeat(mean[None], n, axis=0)

    def _base_log_partition(self, base):
        """log Z_0 = H log 2 + sum_i log(1 + exp(b_A,i)), or + (V/2) log(2 pi s^2)."""
        if self.visible == "gaussian":
            log_z0 = 0.5 * self.n_visible * math.log(2 * math.pi * self.sigma ** 2)
        else:
            log_z0 = float(_softplus(base).sum())
        return log_z0 + self.n_hidden * math.log(2.0)

    def _visible_gap(self, v, base):
        """visible(v) - base(v), the change of the visible terms per unit of beta (M,)."""
        b = self.visible_bias.data.astype(np.float64)
        if self.visible == "gaussian":
            return (((v - base) ** 2).sum(1) - ((v - b) ** 2).sum(1)) / (2 * self.sigma ** 2)
        return v @ (b - base)

    def _visible_at(self, h, beta, base, rng):
        """v ~ p_beta(v | h): the biases (1 - beta) b_A + beta b, the interaction scaled by
        beta, (M, V)."""
        W, b = self.weight.data.astype(np.float64), self.visible_bias.data.astype(np.float64)
        bias = (1 - beta) * base + beta * b
        if self.visible == "gaussian":
            return self._draw_visible(bias + beta * self.sigma * (h @ W), rng)
        return self._draw_visible(_sigmoid(beta * (h @ W) + bias), rng)

    def log_likelihood(self, v: Any, log_z: float) -> float:
        """mean log p(v) = mean(-F(v)) - log Z, in nats, for a given (exact or AIS) log Z."""
        with no_grad():
            return float(-self.free_energy(v).numpy().mean() - log_z)

    def extra_repr(self) -> str:
        return f"n_visible={self.n_visible}, n_hidden={self.n_hidden}, visible={self.visible!r}"


def free_energy(v: Tensor, weight: Tensor, visible_bias: Tensor, hidden_bias: Tensor,
                sigma: float | None = None) -> Tensor:
    """The free energy of each row of v (N, V) (N,), from differentiable ops:
    Bernoulli visible units (sigma None): F = -b.v - sum_j softplus(c_j + W_j v);
    Gaussian: F = |v - b|^2 / (2 sigma^2) - sum_j softplus(c_j + W_j v / sigma)."""
    scale = 1.0 if sigma is None else 1.0 / sigma
    hidden = softplus((v * scale) @ weight.T + hidden_bias).sum(axis=1)  # (N,)
    if sigma is None:
        return -(v @ visible_bias) - hidden
    gap = v - visible_bias
    return (gap * gap).sum(axis=1) * (0.5 / sigma ** 2) - hidden


def _ais_result(log_w, log_z0):
    """log Z = log Z_0 + log mean(w), and the same at mean(w) -+ 3 standard errors (the
    lower bound is -inf when the spread of the weights is wider than their mean)."""
    top = log_w.max()
    w = np.exp(log_w - top)  # the weights, scaled by exp(-top) so none overflows
    mean = w.mean()
    error = 3 * w.std(ddof=1) / math.sqrt(len(w)) if len(w) > 1 else 0.0
    offset = log_z0 + top
    low = offset + math.log(mean - error) if mean > error else -math.inf
    return offset + math.log(mean), (low, offset + math.log(mean + error))


def _rng(generator):
    return get_generator() if generator is None else generator


def _binary_chunks(n):
    """Every vector of n bits, (2^n, n) float64, in blocks of at most _CHUNK rows (so a
    2^22-state sum never holds 2^22 x 784 numbers at once)."""
    for start in range(0, 2 ** n, _CHUNK):
        codes = np.arange(start, min(start + _CHUNK, 2 ** n))[:, None]
        yield ((codes >> np.arange(n)) & 1).astype(np.float64)


def train_rbm(rbm: RBM, x: Any, epochs: int = 10, batch_size: int = 100, lr: float = 0.05,
              k: int = 1, persistent: bool = False, momentum: float = 0.5,
              weight_decay: float = 0.0, seed: int = 0, verbose: int = 1,
              on_epoch_end: Callable[[int, RBM], None] | None = None) -> dict[str, list]:
    """Train ``rbm`` on the rows of x by CD-k (or PCD-k) with SGD + momentum.

    Each update: loss = mean F(v_data) - mean F(v_model) on a batch, backward, SGD step,
    so dW = lr (<h v>_data - <h v>_model) (the textbook rule, plus momentum and decay).

    Returns a history {"reconstruction_error": [...], "free_energy_gap": [...]} with one
    value per epoch (the gap is mean F(v_model) - mean F(v_data) over the epoch's batches:
    it grows while the model still puts too little probability on the data). A non-finite
    loss or gradient stops training (``train.NonFiniteLossError`` or
    ``NonFiniteGradientError``) before the weights are touched.

    Args:
        rbm: the RBM
        x: the data (N, V) (images are flattened)
        epochs: passes over x. Default: 10
        batch_size: rows per update. Default: 100
        lr: SGD's learning rate. Default: 0.05
        k: Gibbs steps per update. Default: 1
        persistent: PCD instead of CD (the chains restart at the first batch). Default: False
        momentum: SGD momentum. Default: 0.5
        weight_decay: L2 penalty. Default: 0
        seed: the shuffling and sampling seed. Default: 0
        verbose: 0 silent, 1 a progress bar (on a terminal) and a line per epoch.
            Default: 1
        on_epoch_end: called as on_epoch_end(epoch, rbm) after each epoch (1, 2, ...),
            e.g. to measure the log-likelihood as training goes; the chains and the
            momentum carry on after it. Default: None

    Example:
        >>> rbm = models.RBM(n_visible=784, n_hidden=16)
        >>> x = (np.random.default_rng(0).random((200, 784)) < 0.2).astype(np.float32)
        >>> history = models.train_rbm(rbm, x, epochs=2, batch_size=50, verbose=0)
        >>> len(history["reconstruction_error"])
        2
    """
    data = rbm._check(np.asarray(x).reshape(len(x), -1))
    rng = np.random.default_rng(seed)
    opt = optim.SGD(rbm.parameters(), lr=lr, momentum=momentum, weight_decay=weight_decay)
    rbm.reset_chains()
    history = {"reconstruction_error": [], "free_energy_gap": []}
    for epoch in range(1, int(epochs) + 1):
        order = rng.permutation(len(data))
        gaps = _train_rbm_epoch(rbm, opt, data, order, batch_size, k, persistent, rng,
                                f"RBM epoch {epoch}/{epochs}", verbose)
        history["reconstruction_error"].append(rbm.reconstruction_error(data))
        history["free_energy_gap"].append(float(np.mean(gaps)))
        if verbose:
            print(f"RBM epoch {epoch}/{epochs} - reconstruction error "
                  f"{history['reconstruction_error'][-1]:.4f}", flush=True)
        if on_epoch_end is not None:
            on_epoch_end(epoch, rbm)
    return history


def _train_rbm_epoch(rbm, opt, data, order, batch_size, k, persistent, rng, desc, verbose):
    """One pass over data in the given order; returns each batch's free-energy gap."""
    from manabu.train.fit import (
        NonFiniteGradientError, NonFiniteLossError, _first_non_finite_gradient, _progress_bar,
    )

    # PCD keeps batch_size chains: it drops the last, shorter batch of an epoch
    end = len(data) - len(data) % batch_size if persistent and len(data) >= batch_size \
        else len(data)
    starts = range(0, end, batch_size)
    named = list(rbm.named_parameters())
    gaps = []
    bar = _progress_bar(len(starts), desc, verbose)
    for start in starts:
        batch = data[order[start:start + batch_size]]
        loss = rbm.contrastive_divergence(batch, k, persistent, generator=rng)
        value = float(loss.data)
        if not math.isfinite(value):
            bar.close()
            raise NonFiniteLossError(
                f"train_rbm: the CD loss became {value} ({desc}); the weights were not "
                f"updated with it. Lower lr ({opt.defaults['lr']}) or check the data")
        opt.zero_grad()
        loss.backward()
        bad = _first_non_finite_gradient(named)
        if bad is not None:
            bar.close()
            raise NonFiniteGradientError(
                f"train_rbm: the gradient of {bad!r} holds NaN or inf ({desc}); the weights "
                f"were not updated. Lower lr ({opt.defaults['lr']})")
        opt.step()
        gaps.append(-value)
        bar.update(1)
    bar.close()
    return gaps


class DBN(nn.Module):
    """A deep belief network: RBMs stacked as ``sizes`` = (784, 256, 64) (784 -> 256 -> 64),
    pre-trained greedily, layer by layer, each on the hidden probabilities of the one
    below; ``to_mlp`` hands the weights to an MLP for supervised fine-tuning.

    Args:
        sizes: the visible width, then each RBM's hidden width. Default: (784, 256, 64)
        visible: the first RBM's visible units ('bernoulli' or 'gaussian'; the others
            see probabilities, Bernoulli). Default: 'bernoulli'

    Shape:
        - Input: (N, sizes[0]) (images are flattened)
        - Output: ``transform`` (N, sizes[-1])

    Example:
        >>> dbn = models.DBN(sizes=(784, 16, 4))
        >>> x = np.random.default_rng(0).uniform(size=(20, 784))
        >>> histories = dbn.pretrain(x, epochs=1, batch_size=10, verbose=0)
        >>> len(histories), dbn.transform(x).shape
        (2, (20, 4))
    """

    def __init__(self, sizes: Sequence[int] = (784, 256, 64), visible: str = "bernoulli") -> None:
        super().__init__()
        sizes = [int(s) for s in sizes]
        if len(sizes) < 2:
            raise ValueError(f"DBN: sizes needs the visible width and at least one hidden "
                             f"width, got {sizes}")
        self.config = {"sizes": sizes, "visible": visible}
        self.rbms = nn.ModuleList([RBM(a, b, visible if i == 0 else "bernoulli")
                                   for i, (a, b) in enumerate(zip(sizes, sizes[1:]))])

    def pretrain(self, x: Any, epochs: int = 5, seed: int = 0, verbose: int = 1,
                 **options: Any) -> list[dict[str, list]]:
        """Greedy layer-wise training: ``train_rbm`` on each RBM in turn, the data of RBM
        k being the hidden probabilities of RBM k - 1. ``options`` go to ``train_rbm``
        (batch_size, lr, k, persistent, ...). Returns each RBM's history."""
        data = np.asarray(x).reshape(len(x), -1)
        histories = []
        for i, rbm in enumerate(self.rbms):
            if verbose:
                print(f"pre-training RBM {i + 1} of {len(self.rbms)}: "
                      f"{rbm.n_visible} -> {rbm.n_hidden}")
            histories.append(train_rbm(rbm, data, epochs=epochs, seed=seed + i,
                                       verbose=verbose, **options))
            data = rbm.hidden_probs(data)
        return histories

    def transform(self, x: Any) -> np.ndarray:
        """The top RBM's hidden probabilities (N, sizes[-1])."""
        h = np.asarray(x).reshape(len(x), -1)
        for rbm in self.rbms:
            h = rbm.hidden_probs(h)
        return h

    def forward(self, x: Any) -> Tensor:
        return Tensor(self.transform(x))

    def to_mlp(self, num_classes: int = 10) -> MLP:
        """An MLP sizes[0] -> ... -> sizes[-1] -> num_classes (sigmoid) whose hidden layers
        are the RBMs' weights and hidden biases (the output layer is new)."""
        linears = [_AsLinear(rbm) for rbm in self.rbms]
        return _mlp_from(linears, self.config["sizes"], num_classes, "sigmoid")


class _AsLinear:
    """An RBM's (weight, hidden_bias) seen as a Linear's (weight, bias)."""

    def __init__(self, rbm):
        self.weight, self.bias = rbm.weight, rbm.hidden_bias
