"""位置符号 (positional encoding): how a Transformer tells positions apart.

Self-attention alone is blind to order: permuting the tokens permutes its outputs, so the
Transformer adds to each token's vector a pattern that depends on its position
(nn.PositionalEncoding):

    PE[p, 2i] = sin(p w_i),   PE[p, 2i + 1] = cos(p w_i),   w_i = 10000^(-2i / d)

waves whose wavelengths 2 pi / w_i grow geometrically from 2 pi to 10000 * 2 pi. The
lesson draws the table and checks three of its properties:

- the table as a heat map: fast waves in the first dimensions, slow ones in the last;
- the dot product PE(p) . PE(p + k) = sum_i cos(k w_i) depends on the offset k only, not
  on p (the T x T matrix of dot products is constant along its diagonals), and falls,
  with ripples, as |k| grows: nearby positions look alike;
- PE(p + k) is a linear function of PE(p), one matrix M for every p: each (sin, cos) pair
  turns by the angle k w_i (the angle-addition formulas), so M is a rotation and a linear
  layer can learn "look k positions back". Fitted by least squares on all positions, M
  leaves a residual at rounding level; the same fit on a random table of the same shape
  leaves 70% of it unexplained. (M is not unique from 128 positions: the slowest waves
  are nearly straight lines over them, so the lesson also builds the exact rotation.)

Expect (d = 64, 128 positions, float64; under a second, quick or full: the same run;
measured): largest spread along a diagonal of the dot products 5e-14; least-squares
residual for k = 5 of 5e-15 (relative) against 0.70 for a random table; the exact
rotation reproduces PE(p + 5) to 1e-14 and is orthogonal to 2e-16; PE(0) . PE(k) falls
from 32 (= d / 2) at k = 0 to 23.5 at k = 5, 18.9 at k = 20 and 15.7 at k = 50.
"""

import os

import numpy as np

from manabu import nn, plot


def encoding_table(d_model=64, positions=128):
    """The (positions, d_model) sinusoid table of nn.PositionalEncoding, in float64."""
    return nn.PositionalEncoding(d_model, max_len=positions, dropout=0.0,
                                 dtype=np.float64).pe.numpy()


def diagonal_spread(gram):
    """The largest range of values along any diagonal of the dot-product matrix: 0 when
    PE(p) . PE(p + k) depends on k alone."""
    n = len(gram)
    return max(np.ptp(np.diagonal(gram, k)) for k in range(-(n - 1), n))


def least_squares_shift(table, k):
    """Fit one matrix M with table[p + k] ~ table[p] M for every p (least squares over all
    the positions); returns (M, relative residual ||A M - B|| / ||B||)."""
    a, b = table[:-k], table[k:]  # (T - k, d): each row p, and the row k after it
    m, *_ = np.linalg.lstsq(a, b, rcond=None)  # (d, d)
    return m, float(np.linalg.norm(a @ m - b) / np.linalg.norm(b))


def offset_map(d_model, k):
    """The exact matrix M with PE(p + k) = PE(p) M for every position p (row vectors):
    for each frequency w_i the pair (sin p w_i, cos p w_i) turns by the angle k w_i,

        sin((p + k) w) = sin(p w) cos(k w) + cos(p w) sin(k w)
        cos((p + k) w) = cos(p w) cos(k w) - sin(p w) sin(k w)

    a 2 x 2 rotation that does not depend on p; M is block-diagonal in them."""
    rate = np.exp(np.arange(0, d_model, 2) * (-np.log(10000.0) / d_model))  # w_i
    m = np.zeros((d_model, d_model))
    for i, w in enumerate(rate):
        c, s = np.cos(k * w), np.sin(k * w)
        m[2 * i, 2 * i], m[2 * i, 2 * i + 1] = c, -s  # what sin(p w) gives to each
        m[2 * i + 1, 2 * i], m[2 * i + 1, 2 * i + 1] = s, c  # ... and cos(p w)
    return m


def table_figure(pe, path):
    plt = plot.pyplot()
    fig, ax = plt.subplots(figsize=(7, 5))
    image = ax.imshow(pe, cmap="RdBu", aspect="auto", vmin=-1, vmax=1)
    fig.colorbar(image, ax=ax)
    ax.set_xlabel("dimension (2i: sin, 2i + 1: cos)")
    ax.set_ylabel("position p")
    ax.set_title(f"sinusoidal positional encoding, d = {pe.shape[1]}")
    return plot.save_figure(fig, path)


def dot_product_figure(gram, path, starts=(0, 32, 64)):
    """Left: PE(p) . PE(q) for every pair; right: PE(p) . PE(p + k) against k for a few
    p, one curve on top of the other."""
    plt = plot.pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.5))
    image = left.imshow(gram, cmap="viridis")
    fig.colorbar(image, ax=left)
    left.set_xlabel("position q")
    left.set_ylabel("position p")
    left.set_title("PE(p) . PE(q): constant along each diagonal")
    span = len(gram) - max(starts)
    for p, style in zip(starts, ("-", "--", ":")):
        right.plot(np.arange(span), gram[p, p:p + span], style, lw=2, label=f"p = {p}")
    right.set_xlabel("offset k")
    right.set_ylabel("PE(p) . PE(p + k)")
    right.set_title("the same curve from every p, falling with k")
    right.grid(alpha=0.3)
    right.legend()
    return plot.save_figure(fig, path)


def run(quick=False, out="lessons-output"):
    """The same small computation in quick and full mode (under a second)."""
    d_model, positions, k = 64, 128, 5
    pe = encoding_table(d_model, positions)
    gram = pe @ pe.T  # (T, T): PE(p) . PE(q)
    spread = diagonal_spread(gram)
    _, fit_residual = least_squares_shift(pe, k)
    noise = np.random.default_rng(0).standard_normal(pe.shape) / np.sqrt(2)  # same scale
    _, random_residual = least_squares_shift(noise, k)
    rotation = offset_map(d_model, k)
    rotation_residual = np.abs(pe[:-k] @ rotation - pe[k:]).max()  # every position
    orthogonality = np.abs(rotation.T @ rotation - np.eye(d_model)).max()
    by_offset = {j: float(gram[0, j]) for j in (0, 1, 2, 5, 10, 20, 50)}
    print(f"PE table {pe.shape}: values in [{pe.min():.1f}, {pe.max():.1f}], "
          f"|PE(p)|^2 = {gram[0, 0]:.1f} = d/2 for every p")
    print(f"PE(p) . PE(p+k) depends on k only: largest spread along a diagonal {spread:.1e}")
    print("PE(0) . PE(k) for k = " + ", ".join(map(str, by_offset)) + ": "
          + ", ".join(f"{v:.2f}" for v in by_offset.values()))
    print(f"least squares PE(p + {k}) ~ PE(p) M over all positions: relative residual "
          f"{fit_residual:.1e} (a random table: {random_residual:.2f})")
    print(f"the exact M (2 x 2 rotations by {k} w_i): largest error {rotation_residual:.1e}, "
          f"|M^T M - I| {orthogonality:.1e}")
    os.makedirs(out, exist_ok=True)
    table = table_figure(pe, os.path.join(out, "positional_encoding_table.png"))
    dots = dot_product_figure(gram, os.path.join(out, "positional_encoding_dot_products.png"))
    print(f"figures: {table}, {dots}")
    return {"d_model": d_model, "positions": positions, "offset": k,
            "diagonal_spread": float(spread), "shift_fit_residual": fit_residual,
            "random_fit_residual": random_residual,
            "rotation_residual": float(rotation_residual),
            "rotation_orthogonality": float(orthogonality), "dot_by_offset": by_offset,
            "figures": [table, dots]}
