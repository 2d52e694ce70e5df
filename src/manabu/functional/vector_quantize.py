"""Vector quantization (ベクトル量子化), the bottleneck of the VQ-VAE (van den Oord et al.,
2017): each encoder output z_i (a D-vector) is replaced by the nearest of K code vectors
e_1..e_K, the rows of a codebook E (K, D):

    k_i = argmin_k |z_i - e_k|^2,      q_i = e_{k_i}

The squared distances of n vectors to K codes come from one matrix product:

    |z_i - e_k|^2 = |z_i|^2 - 2 z_i . e_k + |e_k|^2     (n, 1) - 2 (n, D) @ (D, K) + (K,)

The argmin has no gradient, so the decoder's gradient cannot reach the encoder through q.
The straight-through estimator (ストレートスルー推定量) copies it across: the forward gives
q, the backward gives the encoder gz = gq, as if the quantizer were the identity. Two more
terms train the codebook and keep the encoder close to it (sg = stop-gradient, no gradient
flows into its argument; the means are over every element, as ``mse_loss``):

    codebook loss   = mean |sg(z) - q|^2          moves each used code toward its z's
    commitment loss = beta * mean |z - sg(q)|^2   keeps z near the code it was given

so that the encoder gets beta * 2 (z - q) / (n D) from the commitment, the codebook
2 (q - z) / (n D) from the codebook loss, scattered onto the rows that were picked (the
same scatter-add as an embedding lookup's gradient, ``functional/embedding.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from manabu import backend
from manabu.autograd import Function, Tensor
from manabu.functional.embedding import embedding
from manabu.functional.loss import mse_loss
from manabu.tensor import unwrap

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import ArrayLike

__all__ = ["nearest_code", "squared_distances", "straight_through", "vector_quantize"]


def check_codebook(op: str, codebook_shape: tuple[int, ...], z_shape: tuple[int, ...]) -> None:
    """A ValueError naming ``op`` unless the codebook is (K, D) with K >= 2 and the last
    axis of z has D entries."""
    if len(codebook_shape) != 2:
        raise ValueError(f"{op}: the codebook must be a matrix (num_codes K, code_dim D), "
                         f"got shape {tuple(codebook_shape)}")
    if codebook_shape[0] < 2:
        raise ValueError(f"{op}: got {codebook_shape[0]} code(s); a codebook needs at least "
                         "2 codes")
    if len(z_shape) < 1 or z_shape[-1] != codebook_shape[1]:
        raise ValueError(
            f"{op}: z {tuple(z_shape)} must end with the code size D = {codebook_shape[1]} "
            f"of the codebook {tuple(codebook_shape)}; put the code axis last (for conv "
            "outputs (N, D, H, W): z.transpose(0, 2, 3, 1)) or give the encoder D channels"
        )


def squared_distances(z: Tensor | ArrayLike, codebook: Tensor | ArrayLike) -> np.ndarray:
    """|z_i - e_k|^2 for every row z_i of z (n, D) and code e_k of the codebook (K, D): an
    array (n, K), from one matrix product (no gradient).

    Example:
        >>> squared_distances(np.array([[0.0, 0.0], [1.0, 1.0]]),
        ...                   np.array([[0.0, 0.0], [3.0, 1.0]]))
        array([[ 0., 10.],
               [ 2.,  4.]])
    """
    z, codebook = unwrap(z), unwrap(codebook)
    z_sq = (z * z).sum(axis=1, keepdims=True)  # (n, 1)
    e_sq = (codebook * codebook).sum(axis=1)  # (K,)
    return z_sq - 2 * (z @ codebook.T) + e_sq  # (n, K)


def nearest_code(z: Tensor | ArrayLike, codebook: Tensor | ArrayLike) -> np.ndarray:
    """The index of the nearest code for every vector of z: k = argmin_k |z - e_k|^2.

    Args:
        z: vectors (..., D), the code axis last (a Tensor or an array; not differentiated)
        codebook: the codes (K, D), K >= 2

    Returns:
        int64 indices of shape z.shape[:-1], in [0, K); a tie goes to the lower index

    Example:
        >>> codebook = np.array([[0.0, 0.0], [1.0, 1.0], [-2.0, 0.0]])
        >>> nearest_code(np.array([[0.9, 0.8], [-1.5, 0.1]]), codebook)
        array([1, 2])
    """
    z_arr, book = unwrap(z), unwrap(codebook)
    xp = backend.get_array_module(z_arr)
    z_arr, book = xp.asarray(z_arr), xp.asarray(book)
    check_codebook("nearest_code", book.shape, z_arr.shape)
    flat = z_arr.reshape(-1, book.shape[1])  # (n, D)
    index = squared_distances(flat, book).argmin(axis=1)  # (n,)
    return index.reshape(z_arr.shape[:-1]).astype(xp.int64)


class StraightThrough(Function):
    """y = q (the forward takes the quantized value);  gz = gy, gq = nothing

    The straight-through estimator: in the backward the quantizer is the identity. Written
    with a detach, the same is ``z + (q - z).detach()``: its value is z + q - z = q (up to
    one rounding), and d/dz [z + const] = 1, while the detached term sends nothing to q."""

    twice_differentiable = True  # gz = gy is linear in gy

    def forward(self, z, q):
        return q.copy()  # a new array: the output never aliases the codebook's rows

    def backward(self, gy, xp):
        return gy, None


def straight_through(z: Tensor, q: Tensor | ArrayLike) -> Tensor:
    """q in the forward, the identity in the backward: the gradient of the output goes to z
    unchanged and nothing goes to q (the straight-through estimator).

    Args:
        z: the encoder's output, any shape
        q: its quantized value, the shape of z

    Example:
        >>> z = manabu.tensor([0.2, 0.9], requires_grad=True)
        >>> y = straight_through(z, manabu.tensor([0.0, 1.0]))
        >>> y.tolist()
        [0.0, 1.0]
        >>> (3 * y).sum().backward()
        >>> z.grad.tolist()
        [3.0, 3.0]
    """
    if tuple(z.shape) != tuple(unwrap(q).shape):
        raise ValueError(f"straight_through: z {tuple(z.shape)} and q "
                         f"{tuple(unwrap(q).shape)} must have the same shape")
    return StraightThrough.apply(z, q)


def vector_quantize(z: Tensor, codebook: Tensor,
                    beta: float = 0.25) -> tuple[Tensor, np.ndarray, Tensor, Tensor]:
    """Quantize z against the codebook, with the straight-through gradient and the two
    VQ-VAE loss terms.

        k = argmin_k |z - e_k|^2,  q = codebook[k]  (an embedding lookup: the codebook
        gets the gradient of the codebook loss on the rows that were picked)
        z_q = q in the forward, gz = g(z_q) in the backward (straight-through)
        codebook loss = mean |sg(z) - q|^2,  commitment loss = beta * mean |z - sg(q)|^2

    Args:
        z: the encoder's output (N, ..., D), the code axis last
        codebook: the codes (K, D), K >= 2
        beta: the commitment weight. Default: 0.25 (the paper's)

    Returns:
        (z_q, indices, codebook_loss, commitment_loss): z_q the shape of z, indices an
        int64 array z.shape[:-1], the two losses scalars

    Example:
        >>> z = manabu.tensor(np.array([[0.9, 1.2], [-0.1, 0.0]]), requires_grad=True)
        >>> book = manabu.tensor(np.array([[0.0, 0.0], [1.0, 1.0]]), requires_grad=True)
        >>> z_q, idx, cb, commit = vector_quantize(z, book)
        >>> idx.tolist(), z_q.tolist()
        ([1, 0], [[1.0, 1.0], [0.0, 0.0]])
        >>> round(float(cb), 4), round(float(commit), 4)   # (0.01 + 0.04 + 0.01) / 4
        (0.015, 0.0037)
    """
    z = z if isinstance(z, Tensor) else Tensor(z)
    codebook = codebook if isinstance(codebook, Tensor) else Tensor(codebook)
    if not (isinstance(beta, (int, float)) and beta >= 0):
        raise ValueError(f"vector_quantize: beta must be a number >= 0, got {beta!r}")
    check_codebook("vector_quantize", tuple(codebook.shape), tuple(z.shape))
    indices = nearest_code(z, codebook)  # (N, ...)
    q = embedding(indices, codebook)  # (N, ..., D): gradient to the picked rows
    codebook_loss = mse_loss(q, z.detach())
    commitment_loss = beta * mse_loss(z, q.detach())
    return straight_through(z, q.detach()), indices, codebook_loss, commitment_loss
