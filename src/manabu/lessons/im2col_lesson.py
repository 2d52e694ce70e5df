"""im2col: a convolution (畳み込み) is one matrix product once the windows are unrolled.

The 4x4 example of the notes (Deep Learning from Scratch, section 7.2), worked by hand:

    x = [[1 2 3 0]      kernel = [[2 0 1]      y = [[15 16]
         [0 1 2 3]                [0 1 2]           [ 6 15]]
         [3 0 1 2]                [1 0 2]]
         [2 3 0 1]]

im2col copies the four 3x3 windows of x into the four columns of a 9x4 matrix; the kernel,
flattened, is one row of 9 numbers; the row times the matrix gives the 4 outputs in one
GEMM (行列積), which a reshape turns back into the 2x2 output. col2im, the adjoint that the
backward pass uses, adds columns back onto their windows: col2im of a matrix of ones counts
how many windows cover each pixel (1, 2 or 4 here).

Then the same by hand on a real layer (8 images of 3 channels, 32x32, 16 filters of 3x3,
padding 1): pad, im2col, one GEMM, add the bias, reshape to (N, C_out, H, W), and compare
with ``F.conv2d``, and with the direct definition (a loop over output positions).

Expect: the 2x2 output [[15, 16], [6, 15]]; a maximum absolute difference of 0 from
F.conv2d, for the 4x4 example and for the real layer (it computes the same GEMM), and about
1e-6 from the loop (float32 sums in another order); im2col + GEMM tens of times faster than
the loop over output positions (56x in the full run here, 0.2 ms against 11.6 ms; the
ratio depends on the machine and its load).
"""

import os
import time

import numpy as np

from manabu import functional as F
from manabu import plot
from manabu.autograd import Tensor
from manabu.functional.im2col import col2im, im2col, pad

X_4X4 = np.array([[1, 2, 3, 0], [0, 1, 2, 3], [3, 0, 1, 2], [2, 3, 0, 1]], dtype=np.float32)
KERNEL_3X3 = np.array([[2, 0, 1], [0, 1, 2], [1, 0, 2]], dtype=np.float32)


def conv_by_im2col(x, W, b, padding):
    """Convolution written out: pad, im2col, one GEMM, bias, reshape. x (N, C, H, W), W
    (C_out, C, KH, KW), stride 1."""
    n = x.shape[0]
    c_out, _, kh, kw = W.shape
    x_pad = pad(x, ((padding, padding), (padding, padding)))  # (N, C, H+2p, W+2p)
    oh = x_pad.shape[2] - kh + 1
    ow = x_pad.shape[3] - kw + 1
    cols = im2col(x_pad, (kh, kw))  # (C*KH*KW, N*OH*OW): one column per window
    y = W.reshape(c_out, -1) @ cols + b[:, None]  # (C_out, N*OH*OW): the GEMM
    y = y.reshape(c_out, n, oh, ow)  # (C_out, N, OH, OW)
    return y.transpose(1, 0, 2, 3)  # (N, C_out, OH, OW)


def conv_by_loop(x, W, b, padding):
    """The definition: at every output position, the dot product of the window and each
    filter: y[n, o, i, j] = sum over c, p, q of W[o, c, p, q] x[n, c, i+p, j+q] + b[o]."""
    n = x.shape[0]
    c_out, _, kh, kw = W.shape
    x_pad = pad(x, ((padding, padding), (padding, padding)))
    oh = x_pad.shape[2] - kh + 1
    ow = x_pad.shape[3] - kw + 1
    y = np.empty((n, c_out, oh, ow), dtype=x.dtype)
    for i in range(oh):
        for j in range(ow):
            window = x_pad[:, :, i:i + kh, j:j + kw]  # (N, C, KH, KW)
            y[:, :, i, j] = np.tensordot(window, W, axes=([1, 2, 3], [1, 2, 3])) + b
    return y


def timed(conv, x, W, b, repeats=3):
    """conv's output and its best time over ``repeats`` runs (the least disturbed one)."""
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        y = conv(x, W, b, padding=1)
        seconds.append(time.perf_counter() - started)
    return y, min(seconds)


def small_example():
    """The 4x4 example: prints every matrix; returns the numbers."""
    x = X_4X4[None, None]  # (N=1, C=1, 4, 4)
    cols = im2col(x, (3, 3))  # (1*3*3, 1*2*2) = (9, 4)
    row = KERNEL_3X3.reshape(1, -1)  # (1, 9): the kernel as one row
    gemm = row @ cols  # (1, 4)
    y = gemm.reshape(2, 2)  # (OH, OW)
    reference = F.conv2d(Tensor(x), Tensor(KERNEL_3X3[None, None])).numpy()[0, 0]
    coverage = col2im(np.ones_like(cols), x.shape, (3, 3))[0, 0]  # (4, 4)
    print("input x (4x4):\n", X_4X4.astype(int))
    print("kernel (3x3):\n", KERNEL_3X3.astype(int))
    print("im2col(x): one column per 3x3 window, (9, 4):\n", cols.astype(int))
    print("kernel as a row, (1, 9):", row.astype(int))
    print("row @ cols, (1, 4):", gemm.astype(int))
    print("reshaped to (2, 2):\n", y.astype(int))
    print("F.conv2d gives:\n", reference.astype(int))
    difference = float(np.abs(y - reference).max())
    print(f"max |im2col+GEMM - F.conv2d| = {difference:.1e}")
    print("col2im(ones): how many windows cover each pixel:\n", coverage.astype(int))
    return cols, y, difference, coverage


def run(quick=False, out="lessons-output"):
    cols, y, small_difference, coverage = small_example()

    n, c, size, c_out = (2, 3, 12, 8) if quick else (8, 3, 32, 16)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, c, size, size)).astype(np.float32)
    W = (rng.standard_normal((c_out, c, 3, 3)) * 0.2).astype(np.float32)
    b = rng.standard_normal(c_out).astype(np.float32)
    y_gemm, gemm_seconds = timed(conv_by_im2col, x, W, b)
    y_loop, loop_seconds = timed(conv_by_loop, x, W, b)
    y_conv = F.conv2d(Tensor(x), Tensor(W), Tensor(b), padding=1).numpy()
    difference = float(np.abs(y_gemm - y_conv).max())
    loop_difference = float(np.abs(y_gemm - y_loop).max())
    print(f"\n{n} images {c}x{size}x{size}, {c_out} filters 3x3, padding 1: "
          f"cols {(c * 9, n * size * size)}, output {y_gemm.shape}")
    print(f"max |im2col+GEMM - F.conv2d|   = {difference:.1e}")
    print(f"max |im2col+GEMM - loop|       = {loop_difference:.1e}")
    print(f"time: loop over positions {loop_seconds * 1e3:.1f} ms, im2col + GEMM "
          f"{gemm_seconds * 1e3:.1f} ms ({loop_seconds / gemm_seconds:.0f}x faster)")

    windows = [f"window ({i},{j})" for i in range(2) for j in range(2)]
    offsets = [f"offset ({p},{q})" for p in range(3) for q in range(3)]
    cols_path = plot.heatmap(cols, os.path.join(out, "im2col_matrix.png"), xlabels=windows,
                             ylabels=offsets, title="im2col(x): each column is one window",
                             xlabel="column = window of the 4x4 input",
                             ylabel="row = offset inside the 3x3 kernel")
    coverage_path = plot.heatmap(coverage, os.path.join(out, "im2col_col2im_coverage.png"),
                                 title="col2im(ones): windows covering each pixel",
                                 xlabel="column", ylabel="row")
    print(f"figures: {cols_path}, {coverage_path}")
    return {
        "output_4x4": y.tolist(),
        "cols_shape": list(cols.shape),
        "max_difference_small": small_difference,
        "max_difference": difference,
        "max_difference_loop": loop_difference,
        "coverage": coverage.tolist(),
        "loop_seconds": loop_seconds,
        "gemm_seconds": gemm_seconds,
        "speedup": loop_seconds / gemm_seconds,
        "figures": [cols_path, coverage_path],
    }
