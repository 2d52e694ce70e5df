"""VQ-VAE (van den Oord, Vinyals & Kavukcuoglu, 2017): an autoencoder whose code is a grid
of discrete symbols, one of K codebook entries per position (ベクトル量子化, see
``functional/vector_quantize.py``):

    z = encoder(x)                        (N, D, h, w), h = H / 4, w = W / 4
    k = argmin_k |z - e_k|^2              (N, h, w): the discrete code, K symbols
    z_q = e_k (straight-through)          (N, D, h, w)
    x_hat = decoder(z_q)                  (N, C, H, W)
    loss = mean (x_hat - x)^2 + mean |sg(z) - z_q|^2 + beta mean |z - sg(z_q)|^2

With ``ema=True`` the codebook is not learnt by gradient but follows the vectors assigned
to it, by exponential moving averages (the paper's appendix): for each training batch,
with n_k the number of vectors assigned to code k and s_k their sum,

    N_k <- decay N_k + (1 - decay) n_k,       m_k <- decay m_k + (1 - decay) s_k
    e_k = m_k / N~_k,   N~_k = (N_k + eps) / (n + K eps) * n,   n = sum_k N_k

(N~ is N with Laplace smoothing, so that a code nobody picks is not divided by zero), and
the codebook loss is dropped. Codes that the encoder stops using (a usage EMA N_k below
``dead_code_threshold``) are restarted on random encoder outputs of the batch.

The discrete codes make a sequence of h*w symbols per image, so an autoregressive prior
can learn their distribution: ``train_code_prior`` trains a GPT (``models.GPT``) on the
flattened grids after a start token, and ``sample_images`` draws new grids from it
(``sample_codes``: GPT.generate's cached sampling, the start token masked out) and decodes
them into images.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from manabu import backend, nn, optim
from manabu.autograd import Tensor, no_grad
from manabu.functional.embedding import embedding, scatter_rows
from manabu.functional.loss import mse_loss
from manabu.functional.vector_quantize import nearest_code, vector_quantize
from manabu.models.gpt import GPT, GPTConfig, gpt_param_groups
from manabu.nn.parameter import Parameter
from manabu.random import get_generator

if TYPE_CHECKING:
    from collections.abc import Sequence

    from numpy.typing import ArrayLike

__all__ = ["VQVAE", "VectorQuantizer", "code_perplexity", "sample_codes", "sample_images",
           "train_code_prior", "train_vqvae"]

_OUTPUTS = ("sigmoid", "identity")


def _whole(model, name, value, low=1):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{model}: {name} must be a whole number >= {low}, got {value!r}")
    return int(value)


def code_perplexity(indices: ArrayLike, num_codes: int) -> float:
    """exp(entropy of the code usage): the number of codes in effective use.

        p_k = (count of code k) / (number of indices),   perplexity = exp(-sum_k p_k log p_k)

    It is num_codes when every code is used equally often and 1 when one code takes all.

    Args:
        indices: code indices, any shape, integers in [0, num_codes)
        num_codes: K, the codebook size

    Example:
        >>> code_perplexity([0, 1, 2, 3], 4), code_perplexity([2, 2, 2], 4)
        (4.0, 1.0)
    """
    counts = np.bincount(np.asarray(backend.to_device(indices, "cpu")).reshape(-1),
                         minlength=num_codes)
    p = counts[counts > 0] / counts.sum()
    return float(np.exp(-(p * np.log(p)).sum()))


class VectorQuantizer(nn.Module):
    """The VQ-VAE bottleneck: each D-vector of a (N, D, H, W) map replaced by its nearest
    codebook entry, with the straight-through gradient and the VQ loss (the module
    docstring has the formulas).

    ``codebook`` (K, D) is a Parameter learnt from the codebook loss, or with ``ema=True``
    a buffer that follows exponential moving averages of the vectors assigned to it, in
    training mode. ``cluster_size`` (K,) is the EMA N_k of the assignment counts (starting
    at 1 a code); with ``dead_code_threshold`` > 0, in training mode, each code whose N_k
    falls below it is moved onto a random encoder output of the batch (manabu's generator)
    and its N_k set to the threshold, so it survives only by winning that many vectors.
    As N_k starts at 1, the first training step (with the default threshold 1) moves every
    code the batch did not pick onto the batch's own encoder outputs: a data-dependent
    initialisation, where the small uniform(-1/K, 1/K) start would leave most codes unused.

    Args:
        num_codes: K, the number of codes, >= 2
        code_dim: D, the size of each code (the encoder's output channels)
        beta: the commitment weight. Default: 0.25
        ema: update the codebook by moving averages instead of gradient. Default: False
        decay: the moving averages' decay. Default: 0.99
        eps: the Laplace smoothing of the counts. Default: 1e-5
        dead_code_threshold: restart codes whose usage EMA falls below this many vectors
            per batch; 0 or None: never. Default: 1.0

    Shape:
        - Input: z (N, D, H, W), channels first as a convolution gives.
        - Output: (z_q (N, D, H, W), scalar loss, indices (N, H, W) int64 array).

    Example:
        >>> _ = manabu.manual_seed(0)
        >>> vq = VectorQuantizer(num_codes=8, code_dim=4)
        >>> z_q, loss, idx = vq(manabu.tensor(np.ones((2, 4, 3, 3), np.float32)))
        >>> z_q.shape, idx.shape, loss.shape
        ((2, 4, 3, 3), (2, 3, 3), ())
    """

    def __init__(self, num_codes: int, code_dim: int, beta: float = 0.25, ema: bool = False,
                 decay: float = 0.99, eps: float = 1e-5,
                 dead_code_threshold: float | None = 1.0) -> None:
        super().__init__()
        if isinstance(num_codes, (int, np.integer)) and not isinstance(num_codes, bool) \
                and num_codes == 1:
            raise ValueError("VectorQuantizer: num_codes is 1; a codebook needs at least 2 codes")
        self.num_codes = _whole("VectorQuantizer", "num_codes", num_codes, low=2)
        self.code_dim = _whole("VectorQuantizer", "code_dim", code_dim)
        if not 0.0 <= decay < 1.0 or eps <= 0 or beta < 0:
            raise ValueError(f"VectorQuantizer: need 0 <= decay < 1, eps > 0 and beta >= 0, "
                             f"got decay={decay}, eps={eps}, beta={beta}")
        self.beta, self.ema, self.decay, self.eps = float(beta), bool(ema), decay, eps
        self.dead_code_threshold = float(dead_code_threshold or 0.0)
        dtype = backend.get_default_dtype()
        k = self.num_codes
        book = get_generator().uniform(-1 / k, 1 / k, (k, self.code_dim)).astype(dtype)
        if self.ema:
            self.register_buffer("codebook", Tensor(book))
            self.register_buffer("embed_sum", Tensor(book.copy()))  # m_k, with N_k = 1
        else:
            self.codebook = Parameter(book)
        self.register_buffer("cluster_size", Tensor(np.ones(k, dtype=dtype)))  # N_k

    def forward(self, z: Tensor) -> tuple[Tensor, Tensor, np.ndarray]:
        if z.ndim != 4 or z.shape[1] != self.code_dim:
            raise ValueError(f"VectorQuantizer(code_dim={self.code_dim}): z must be (N, "
                             f"{self.code_dim}, H, W), channels first, got {tuple(z.shape)}")
        z_last = z.transpose(0, 2, 3, 1)  # (N, H, W, D)
        z_q, indices, codebook_loss, commitment = vector_quantize(z_last, self.codebook,
                                                                  self.beta)
        loss = commitment if self.ema else codebook_loss + commitment
        if self.training:
            with no_grad():
                self.update(z_last.data.reshape(-1, self.code_dim), indices.reshape(-1))
        return z_q.transpose(0, 3, 1, 2), loss, indices  # (N, D, H, W)

    def update(self, z: np.ndarray, indices: np.ndarray) -> None:
        """One training step's bookkeeping for vectors z (n, D) assigned to ``indices``
        (n,): the usage EMA N_k, with ``ema`` the sums m_k and the codebook m_k / N~_k,
        then the restart of dead codes (``forward`` calls it in training mode)."""
        xp = backend.get_array_module(z)
        k, decay = self.num_codes, self.decay
        counts = xp.bincount(indices, minlength=k).astype(z.dtype)  # (K,)
        size = self.cluster_size.data
        size *= decay
        size += (1 - decay) * counts
        if self.ema:
            sums = scatter_rows(indices, z, k)  # (K, D): the sum of the vectors of each code
            self.embed_sum.data *= decay
            self.embed_sum.data += (1 - decay) * sums
            n = size.sum()
            smoothed = (size + self.eps) / (n + k * self.eps) * n  # Laplace smoothing
            self.codebook.data[...] = self.embed_sum.data / smoothed[:, None]
        if self.dead_code_threshold > 0:
            self.restart_dead_codes(z)

    def restart_dead_codes(self, z: np.ndarray) -> np.ndarray:
        """Move every code whose usage N_k is below the threshold onto a random row of z
        (n, D), drawn without replacement while there are enough rows; returns the
        restarted codes' indices."""
        xp = backend.get_array_module(z)
        dead = xp.flatnonzero(self.cluster_size.data < self.dead_code_threshold)
        if dead.size == 0:
            return dead
        picks = get_generator().choice(len(z), size=int(dead.size), replace=dead.size > len(z))
        fresh = z[backend.to_device(picks, backend.device_of(z))]  # (dead, D)
        self.codebook.data[dead] = fresh
        self.cluster_size.data[dead] = self.dead_code_threshold
        if self.ema:
            self.embed_sum.data[dead] = fresh * self.dead_code_threshold
        return dead

    def extra_repr(self) -> str:
        return (f"num_codes={self.num_codes}, code_dim={self.code_dim}, beta={self.beta}, "
                f"ema={self.ema}")


def _residual_stack(channels, blocks):
    """``blocks`` residual blocks x + conv1x1(relu(conv3x3(relu(x)))), C/2 in the middle."""
    middle = max(channels // 2, 1)
    return [nn.Residual(nn.Sequential(nn.ReLU(), nn.Conv2d(channels, middle, 3, padding=1),
                                      nn.ReLU(), nn.Conv2d(middle, channels, 1)))
            for _ in range(blocks)]


class VQVAE(nn.Module):
    """A convolutional VQ-VAE for small images (the paper's design, narrower):

        encoder  conv 4x4 s2 (C -> h/2) - ReLU - conv 4x4 s2 (h/2 -> h) - ReLU
                 - conv 3x3 (h -> h) - residual blocks - ReLU - conv 1x1 (h -> D)
        quantizer  K codes of size D, one a position of the (H/4, W/4) grid
        decoder  conv 3x3 (D -> h) - residual blocks - ReLU - convT 4x4 s2 (h -> h/2)
                 - ReLU - convT 4x4 s2 (h/2 -> C) [- sigmoid]

    A residual block is x + conv1x1(ReLU(conv3x3(ReLU(x)))) with h/2 channels inside.
    ``forward(x)`` gives (x_hat, vq_loss, indices); the reconstruction loss is left to the
    caller (``mse_loss(x_hat, x) + vq_loss``, as ``train_vqvae`` does). ``encode`` gives
    the code grid of images, ``decode_indices`` the images of code grids.

    Args:
        in_channels: C, the image channels. Default: 1
        image_size: (H, W), each a multiple of 4 (an int for a square). Default: (28, 28)
        hidden_channels: h, the width of the convolutions. Default: 64
        num_residual_blocks: residual blocks in the encoder and in the decoder. Default: 2
        num_codes: K, the codebook size, >= 2. Default: 64
        code_dim: D, the size of a code. Default: 16
        beta: the commitment weight. Default: 0.25
        ema: EMA codebook updates instead of the codebook loss. Default: True
        decay: the EMA decay. Default: 0.99
        eps: the Laplace smoothing of the EMA counts. Default: 1e-5
        dead_code_threshold: the usage below which a code is restarted; 0: never.
            Default: 1.0
        output: 'identity' (a plain output, the paper's) or 'sigmoid' (values in [0, 1];
            its saturation can stall MSE training at an all-black image). Default: 'identity'

    Shape:
        - Input: (N, C, H, W).
        - Output: (x_hat (N, C, H, W), scalar vq_loss, indices (N, H/4, W/4) int64 array).

    Example:
        >>> _ = manabu.manual_seed(0)
        >>> model = VQVAE(hidden_channels=16, num_residual_blocks=1, num_codes=8, code_dim=4)
        >>> x_hat, vq_loss, idx = model(np.zeros((2, 1, 28, 28), np.float32))
        >>> x_hat.shape, idx.shape, model.decode_indices(idx).shape
        ((2, 1, 28, 28), (2, 7, 7), (2, 1, 28, 28))
    """

    def __init__(self, in_channels: int = 1, image_size: int | Sequence[int] = (28, 28),
                 hidden_channels: int = 64, num_residual_blocks: int = 2, num_codes: int = 64,
                 code_dim: int = 16, beta: float = 0.25, ema: bool = True, decay: float = 0.99,
                 eps: float = 1e-5, dead_code_threshold: float = 1.0,
                 output: str = "identity") -> None:
        super().__init__()
        c = _whole("VQVAE", "in_channels", in_channels)
        size = [image_size] * 2 if isinstance(image_size, (int, np.integer)) else image_size
        size = [int(s) for s in size]
        if len(size) != 2 or min(size) < 4 or size[0] % 4 or size[1] % 4:
            raise ValueError(f"VQVAE: image_size must be (H, W) with both multiples of 4 (two "
                             f"stride-2 convolutions halve it twice), got {image_size!r}")
        h = _whole("VQVAE", "hidden_channels", hidden_channels, low=2)
        blocks = _whole("VQVAE", "num_residual_blocks", num_residual_blocks, low=0)
        _whole("VQVAE", "code_dim (the latent size)", code_dim)
        if output not in _OUTPUTS:
            raise ValueError(f"VQVAE: output must be one of {_OUTPUTS}, got {output!r}")
        self.config = {"in_channels": c, "image_size": size, "hidden_channels": h,
                       "num_residual_blocks": blocks, "num_codes": num_codes,
                       "code_dim": code_dim, "beta": beta, "ema": ema, "decay": decay,
                       "eps": eps, "dead_code_threshold": float(dead_code_threshold or 0.0),
                       "output": output}
        self.image_shape = (c, size[0], size[1])
        self.grid = (size[0] // 4, size[1] // 4)
        self.encoder = nn.Sequential(
            nn.Conv2d(c, h // 2, 4, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(h // 2, h, 4, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(h, h, 3, padding=1), *_residual_stack(h, blocks), nn.ReLU(),
            nn.Conv2d(h, code_dim, 1),
        )
        self.quantizer = VectorQuantizer(num_codes, code_dim, beta=beta, ema=ema, decay=decay,
                                         eps=eps, dead_code_threshold=dead_code_threshold)
        last = [nn.Sigmoid()] if output == "sigmoid" else []
        self.decoder = nn.Sequential(
            nn.Conv2d(code_dim, h, 3, padding=1), *_residual_stack(h, blocks), nn.ReLU(),
            nn.ConvTranspose2d(h, h // 2, 4, stride=2, padding=1), nn.ReLU(),
            nn.ConvTranspose2d(h // 2, c, 4, stride=2, padding=1), *last,
        )

    def _images(self, x):
        x = x if isinstance(x, Tensor) else Tensor(np.asarray(x))
        if tuple(x.shape[1:]) != self.image_shape or x.ndim != 4:
            raise ValueError(f"VQVAE: images must be (N, {', '.join(map(str, self.image_shape))})"
                             f", got {tuple(x.shape)}; load them unflattened (flatten=False)")
        return x

    def forward(self, x: Tensor | ArrayLike) -> tuple[Tensor, Tensor, np.ndarray]:
        z = self.encoder(self._images(x))  # (N, D, h, w)
        z_q, vq_loss, indices = self.quantizer(z)
        return self.decoder(z_q), vq_loss, indices  # (N, C, H, W)

    def encode(self, x: Tensor | ArrayLike) -> np.ndarray:
        """The code grid (N, H/4, W/4) of images x (N, C, H, W): int64 indices, no graph,
        the codebook left as it is."""
        with no_grad():
            z = self.encoder(self._images(x)).transpose(0, 2, 3, 1)  # (N, h, w, D)
            return np.asarray(backend.to_device(nearest_code(z, self.quantizer.codebook),
                                                "cpu"))

    def decode_indices(self, indices: ArrayLike) -> Tensor:
        """Images (N, C, H, W) decoded from code grids (N, H/4, W/4) of integer indices."""
        idx = np.asarray(backend.to_device(indices, "cpu"))
        k = self.quantizer.num_codes
        if idx.ndim != 3 or idx.shape[1:] != self.grid or idx.dtype.kind not in "iu":
            raise ValueError(f"VQVAE.decode_indices: expected integer grids (N, "
                             f"{self.grid[0]}, {self.grid[1]}), got {idx.dtype} {idx.shape}")
        if idx.size and (idx.min() < 0 or idx.max() >= k):
            raise ValueError(f"VQVAE.decode_indices: indices must be in [0, {k}), got values "
                             f"in [{idx.min()}, {idx.max()}]")
        q = embedding(idx, self.quantizer.codebook)  # (N, h, w, D)
        return self.decoder(q.transpose(0, 3, 1, 2))


def train_vqvae(model: VQVAE, x: ArrayLike, epochs: int = 1, batch_size: int = 64,
                lr: float = 1e-3, generator: np.random.Generator | None = None) -> dict:
    """Train ``model`` on images x (N, C, H, W) with Adam on mse(x_hat, x) + vq_loss, in
    shuffled mini-batches. Returns {"loss": [...], "mse": [...], "perplexity": [...]}, one
    entry a step (perplexity: of the step's codes)."""
    x = np.asarray(x)
    generator = get_generator() if generator is None else generator
    opt = optim.Adam(model.parameters(), lr=lr)
    history = {"loss": [], "mse": [], "perplexity": []}
    model.train()
    for _ in range(_whole("train_vqvae", "epochs", epochs, low=0)):
        order = generator.permutation(len(x))
        for start in range(0, len(x), batch_size):
            xb = Tensor(np.ascontiguousarray(x[order[start:start + batch_size]]))
            x_hat, vq_loss, indices = model(xb)
            mse = mse_loss(x_hat, xb)
            loss = mse + vq_loss
            opt.zero_grad()
            loss.backward()
            opt.step()
            history["loss"].append(float(loss.item()))
            history["mse"].append(float(mse.item()))
            history["perplexity"].append(code_perplexity(indices, model.quantizer.num_codes))
    return history


def _code_sequences(vqvae, x, batch_size=256):
    """(N, 1 + h*w) int64: the start token K, then each image's flattened code grid."""
    codes = np.concatenate([vqvae.encode(x[i:i + batch_size])
                            for i in range(0, len(x), batch_size)])  # (N, h, w)
    start = np.full((len(codes), 1), vqvae.quantizer.num_codes, np.int64)
    return np.concatenate([start, codes.reshape(len(codes), -1)], axis=1)


def train_code_prior(vqvae: VQVAE, x: ArrayLike, epochs: int = 5, batch_size: int = 64,
                     lr: float = 1e-3, n_layer: int = 2, n_head: int = 4, n_embd: int = 64,
                     dropout: float = 0.0, weight_decay: float = 0.01,
                     generator: np.random.Generator | None = None) -> tuple[GPT, dict]:
    """Train a GPT prior p(k_1..k_hw) = prod_t p(k_t | k_<t) on the code grids of images x.

    Each image becomes the sequence [S, k_1, ..., k_hw] (S = K, a start token, so the
    vocabulary is K + 1 and block_size h*w); the GPT reads [S, k_1..k_hw-1] and predicts
    [k_1..k_hw] (cross-entropy, AdamW, shuffled mini-batches).

    Args:
        vqvae: a trained VQVAE (its encoder and codebook give the codes)
        x: images (N, C, H, W)
        epochs: passes over the codes. Default: 5
        batch_size: sequences a step. Default: 64
        lr: AdamW's learning rate. Default: 1e-3
        n_layer: Transformer blocks. Default: 2
        n_head: attention heads. Default: 4
        n_embd: the GPT's width. Default: 64
        dropout: the GPT's dropout. Default: 0.0
        weight_decay: AdamW's decay of the weight matrices. Default: 0.01
        generator: shuffles the batches; None: manabu's global one. Default: None

    Returns:
        (prior, history): the GPT, in eval mode, and {"loss": [mean loss of each epoch]}
    """
    seqs = _code_sequences(vqvae, np.asarray(x))
    k, length = vqvae.quantizer.num_codes, seqs.shape[1] - 1
    prior = GPT(GPTConfig(vocab_size=k + 1, block_size=length, n_layer=n_layer, n_head=n_head,
                          n_embd=n_embd, dropout=dropout))
    opt = optim.AdamW(gpt_param_groups(prior, weight_decay), lr=lr)
    generator = get_generator() if generator is None else generator
    history = {"loss": []}
    prior.train()
    for _ in range(_whole("train_code_prior", "epochs", epochs, low=0)):
        order, total = generator.permutation(len(seqs)), []
        for start in range(0, len(seqs), batch_size):
            batch = seqs[order[start:start + batch_size]]  # (B, 1 + h*w)
            _, loss = prior(batch[:, :-1], batch[:, 1:])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total.append(float(loss.item()))
        history["loss"].append(float(np.mean(total)))
    prior.eval()
    return prior, history


def sample_codes(prior: GPT, n: int, num_codes: int, length: int, temperature: float = 1.0,
                 top_k: int | None = None,
                 generator: np.random.Generator | None = None) -> np.ndarray:
    """n code sequences (n, length) drawn from the prior after the start token S = K.

    ``GPT.generate`` with the start token suppressed (its logit -inf at every step), so
    each code is drawn from p(k_t | k_<t) renormalised over the K codes.

    Args:
        prior: the GPT from ``train_code_prior`` (vocabulary K + 1)
        n: how many sequences
        num_codes: K
        length: codes a sequence (h*w), at most the prior's block_size
        temperature: divides the logits; 0 for the most likely code. Default: 1.0
        top_k: sample among the k most likely codes only; None: all. Default: None
        generator: the ``np.random.Generator``; None: manabu's global one. Default: None

    Returns:
        int64 codes (n, length), each in [0, K)
    """
    start = np.full((n, 1), num_codes, np.int64)  # the start token S = K
    ids = prior.generate(start, length, temperature=temperature, top_k=top_k,
                         generator=generator, suppress_tokens=[num_codes])
    return ids[:, 1:]


def sample_images(vqvae: VQVAE, prior: GPT, n: int, temperature: float = 1.0,
                  top_k: int | None = None, generator: np.random.Generator | None = None,
                  seed: int | None = None) -> np.ndarray:
    """n new images: code grids drawn from the prior (``sample_codes``), decoded by the
    VQ-VAE.

    Args:
        vqvae: the VQVAE whose codes the prior models
        prior: the GPT from ``train_code_prior``
        n: how many images, >= 1
        temperature: divides the prior's logits. Default: 1.0
        top_k: sample among the k most likely codes only; None: all. Default: None
        generator: the ``np.random.Generator``; None: ``seed``, else manabu's global one.
            Default: None
        seed: a seed for a generator of its own (reproducible samples). Default: None

    Returns:
        images (n, C, H, W), float, as the decoder gives them
    """
    n = _whole("sample_images", "n", n)
    k, (gh, gw) = vqvae.quantizer.num_codes, vqvae.grid
    if prior.gpt_config.vocab_size != k + 1 or prior.gpt_config.block_size < gh * gw:
        raise ValueError(f"sample_images: the prior (vocab {prior.gpt_config.vocab_size}, "
                         f"block {prior.gpt_config.block_size}) does not model this VQVAE's "
                         f"{k} codes + start token on a {gh}x{gw} grid; use train_code_prior")
    if generator is None:
        generator = get_generator() if seed is None else np.random.default_rng(seed)
    grids = sample_codes(prior, n, k, gh * gw, temperature, top_k, generator)
    was_training = vqvae.training
    vqvae.eval()
    try:
        with no_grad():
            images = vqvae.decode_indices(grids.reshape(n, gh, gw))  # (n, C, H, W)
    finally:
        vqvae.train(was_training)
    return np.asarray(backend.to_device(images.data, "cpu"))
