"""Convolution's backward written with differentiable ops, for second-order gradients.

A first-order backward (conv.py) runs on arrays. Under ``create_graph=True`` the gradients
must themselves be Tensors in a graph, so that they can be differentiated again: WGAN-GP's
gradient penalty  mean((|d critic(x) / dx| - 1)^2)  is differentiated with respect to a
convolutional critic's weights. The same formulas as conv.py,

    cols = im2col(pad(x))          gW = gy @ cols.T
    gx = crop(col2im(W.T @ gy))    gb = sum(gy)

are here built from ops that are themselves differentiable: ``Im2col`` and ``Col2im`` below
(each is linear, and each one's backward is the other: they are adjoints), ``F.pad``,
``F.matmul``, reshapes and sums. Reflect, replicate and circular padding are gathers
(x indexed by np.pad(arange(L)), each padded cell a copy of some cell of x).
"""

from __future__ import annotations

import math

import numpy as np

from manabu.autograd import Function
from manabu.functional.arithmetic import matmul
from manabu.functional.im2col import col2im, im2col
from manabu.functional.reduce import sum as sum_
from manabu.functional.shape import IndexScatter, getitem, pad, reshape, swapaxes, transpose
from manabu.tensor import Tensor

__all__ = ["Col2im", "Im2col", "convolution_backward_graph"]


class Im2col(Function):
    """cols = im2col(x), (N, C, *L) -> (C*prod(K), N*prod(O));  gx = col2im(gcols)"""

    twice_differentiable = True

    def __init__(self, kernel, stride, dilation):
        self.kernel, self.stride, self.dilation = kernel, stride, dilation

    def forward(self, x):
        self.x_shape = x.shape
        return im2col(x, self.kernel, self.stride, self.dilation)

    def backward(self, gcols, xp):
        if isinstance(gcols, Tensor):  # second order: the adjoint as an op of its own
            return Col2im.apply(gcols, x_shape=self.x_shape, kernel=self.kernel,
                                stride=self.stride, dilation=self.dilation)
        return xp.ascontiguousarray(col2im(gcols, self.x_shape, self.kernel, self.stride,
                                           self.dilation))


class Col2im(Function):
    """x = col2im(cols), the windows summed back onto an (N, C, *L) array;
    gcols = im2col(gx)"""

    twice_differentiable = True

    def __init__(self, x_shape, kernel, stride, dilation):
        self.x_shape, self.kernel, self.stride, self.dilation = x_shape, kernel, stride, dilation

    def forward(self, cols):
        return self.xp.ascontiguousarray(col2im(cols, self.x_shape, self.kernel, self.stride,
                                                self.dilation))

    def backward(self, gx, xp):
        if isinstance(gx, Tensor):
            return Im2col.apply(gx, kernel=self.kernel, stride=self.stride,
                                dilation=self.dilation)
        return im2col(xp.ascontiguousarray(gx), self.kernel, self.stride, self.dilation)


_NUMPY_PAD_MODES = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def _sources(length, before, after, mode):
    """For each cell of a padded axis, the cell of x it copies."""
    return np.pad(np.arange(length), (before, after), mode=_NUMPY_PAD_MODES[mode])


def _padded(x, pads, mode):
    """pad(x) from differentiable ops: F.pad for zeros, else a gather along each axis."""
    if mode == "zeros":
        return pad(x, ((0, 0), (0, 0)) + tuple(pads))  # (N, C, *Lp)
    for axis, (before, after) in enumerate(pads, start=2):
        index = (slice(None),) * axis + (_sources(x.shape[axis], before, after, mode),)
        x = getitem(x, index)
    return x


def _unpadded(g, x_shape, pads, mode):
    """The adjoint of _padded: crop for zeros, else add each padded cell's gradient back
    onto the cell it copied (a scatter-add along each axis, last padded axis first)."""
    if mode == "zeros":
        return getitem(g, (slice(None), slice(None)) + tuple(
            slice(before, before + n) for (before, _), n in zip(pads, x_shape[2:])))
    for axis in reversed(range(2, len(x_shape))):
        before, after = pads[axis - 2]
        index = (slice(None),) * axis + (_sources(x_shape[axis], before, after, mode),)
        shape = g.shape[:axis] + (x_shape[axis],) + g.shape[axis + 1:]
        g = IndexScatter.apply(g, index=index, shape=shape)
    return g


def convolution_backward_graph(op, gy):
    """The gradients of a Convolution op (x, W[, b]) as Tensors in a graph.

    Args:
        op: the Convolution Function whose backward runs; its inputs are the Tensors
        gy: the gradient of its output (N, C_out, *O), a Tensor
    """
    x, W = op.inputs[0], op.inputs[1]
    groups, kernel = op.groups, W.shape[2:]
    spatial_pads = tuple(op.pads)
    x_pad = _padded(x, spatial_pads, op.padding_mode)  # (N, C, *Lp)
    n_cols = gy.shape[0] * math.prod(gy.shape[2:])  # N*prod(O)
    gy_rows = reshape(swapaxes(gy, 0, 1), (groups, W.shape[0] // groups, n_cols))
    # (G, C_out/G, N*O)
    gx = gW = gb = None
    if op.needs_input_grad[0]:
        W_g = reshape(W, (groups, W.shape[0] // groups, -1))  # (G, C_out/G, C/G*K)
        gcols = matmul(transpose(W_g, (0, 2, 1)), gy_rows)  # (G, C/G*K, N*O)
        gcols = reshape(gcols, (gcols.shape[0] * gcols.shape[1], n_cols))  # (C*K, N*O)
        gx_pad = Col2im.apply(gcols, x_shape=x_pad.shape, kernel=kernel, stride=op.stride,
                              dilation=op.dilation)  # (N, C, *Lp)
        gx = _unpadded(gx_pad, x.shape, spatial_pads, op.padding_mode)  # (N, C, *L)
    if op.needs_input_grad[1]:
        cols = Im2col.apply(x_pad, kernel=kernel, stride=op.stride, dilation=op.dilation)
        cols = reshape(cols, (groups, cols.shape[0] // groups, n_cols))  # (G, C/G*K, N*O)
        gW = reshape(matmul(gy_rows, transpose(cols, (0, 2, 1))), W.shape)  # (C_out, C/G, *K)
    if len(op.needs_input_grad) > 2 and op.needs_input_grad[2]:
        gb = sum_(gy, axis=(0,) + tuple(range(2, gy.ndim)))  # (C_out,)
    return (gx, gW, gb)[:len(op.needs_input_grad)]
