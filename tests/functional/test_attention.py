"""Attention (注意機構): the functional ops against PyTorch (values and gradients in float64)
and central differences, fully masked queries, mask errors, and the Seq2Seq attention layers.
MultiheadAttention is tested with the Transformer blocks in test_transformer.py."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import manabu
import manabu.functional as F
from manabu import nn
from manabu.gradcheck import gradcheck
from oracle import check_op

SHAPES = [  # query, key, value: heads, T_q != T_k, d_v != d, no head axis, batch 1
    ((2, 2, 3, 4), (2, 2, 5, 4), (2, 2, 5, 3)),
    ((2, 4, 3), (2, 4, 3), (2, 4, 2)),
    ((1, 1, 4, 2), (1, 1, 2, 2), (1, 1, 2, 2)),
]


def _bool_mask(shape, seed=0):
    """A random boolean mask (True = attend) where every query can see key 0."""
    mask = np.random.default_rng(seed).random(shape) > 0.4
    mask[..., 0] = True
    return mask


def _torch_scores_mask(s, mask, is_causal):
    """The scores with a mask applied the way torch's SDPA reference does."""
    if mask is not None:
        m = torch.tensor(mask)
        s = s.masked_fill(~m, -math.inf) if m.dtype == torch.bool else s + m
    if is_causal:
        upper = torch.ones(s.shape[-2:], dtype=torch.bool).triu(1)
        s = s.masked_fill(upper, -math.inf)
    return s


def torch_sdpa(mask=None, is_causal=False, scale=None, fused=True):
    """PyTorch's output (its own fused op when it can) and the weights of its reference."""
    def fn(q, k, v):
        factor = 1 / math.sqrt(q.shape[-1]) if scale is None else scale
        w = torch.softmax(_torch_scores_mask(q @ k.transpose(-1, -2) * factor, mask,
                                             is_causal), dim=-1)
        if not fused:
            return w @ v, w
        t_mask = None if mask is None else torch.tensor(mask)
        y = TF.scaled_dot_product_attention(q, k, v, attn_mask=t_mask, is_causal=is_causal,
                                            scale=scale)
        return y, w
    return fn


# ---------------------------------------------------------------------- scaled dot product
@pytest.mark.parametrize("shapes", SHAPES)
def test_scaled_dot_product_attention_matches_torch(shapes):
    check_op(torch_sdpa(), F.scaled_dot_product_attention, shapes=shapes)


@pytest.mark.parametrize("shapes", SHAPES[:2])
def test_scaled_dot_product_attention_boolean_mask(shapes):
    mask = _bool_mask(shapes[0][-2:-1] + shapes[1][-2:-1])  # (T_q, T_k)
    check_op(torch_sdpa(mask), lambda q, k, v: F.scaled_dot_product_attention(q, k, v, mask),
             shapes=shapes)


def test_scaled_dot_product_attention_per_sample_boolean_mask():
    shapes = SHAPES[0]
    mask = _bool_mask((2, 1, 3, 5), seed=3)  # (N, 1, T_q, T_k): the same for every head
    as_tensor = manabu.Tensor(mask)
    check_op(torch_sdpa(mask),
             lambda q, k, v: F.scaled_dot_product_attention(q, k, v, as_tensor), shapes=shapes)


def test_scaled_dot_product_self_attention_on_one_tensor():
    # q = k = v = x: the three gradients add up in x
    check_op(lambda x: torch_sdpa(is_causal=True)(x, x, x),
             lambda x: F.scaled_dot_product_attention(x, x, x, is_causal=True),
             shapes=[(2, 4, 3)])


def test_scaled_dot_product_attention_float_mask_with_minus_inf():
    mask = np.random.default_rng(1).normal(size=(3, 5))
    mask[1, 2:] = -np.inf
    check_op(torch_sdpa(mask), lambda q, k, v: F.scaled_dot_product_attention(q, k, v, mask),
             shapes=SHAPES[0])


@pytest.mark.parametrize("shapes", [SHAPES[0], ((2, 2, 5, 4), (2, 2, 3, 4), (2, 2, 3, 3))])
def test_scaled_dot_product_attention_causal(shapes):
    # T_q < T_k and T_q > T_k: the causal mask is aligned top-left, as in PyTorch
    check_op(torch_sdpa(is_causal=True),
             lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True),
             shapes=shapes)


def test_scaled_dot_product_attention_causal_with_mask_and_scale():
    mask = _bool_mask((2, 1, 3, 5), seed=4)
    check_op(torch_sdpa(mask, is_causal=True, scale=0.3, fused=False),
             lambda q, k, v: F.scaled_dot_product_attention(q, k, v, mask, is_causal=True,
                                                            scale=0.3),
             shapes=SHAPES[0])


def test_scaled_dot_product_attention_without_weights():
    q, k, v = [manabu.tensor(np.random.default_rng(i).normal(size=s)) for i, s in
               enumerate(SHAPES[0])]
    y, w = F.scaled_dot_product_attention(q, k, v)
    y2, none = F.scaled_dot_product_attention(q, k, v, need_weights=False)
    assert none is None
    np.testing.assert_allclose(y2.numpy(), y.numpy(), rtol=1e-12)
    np.testing.assert_allclose(w.numpy().sum(axis=-1), 1.0, rtol=1e-12)
    check_op(lambda q, k, v: torch_sdpa()(q, k, v)[0],
             lambda q, k, v: F.scaled_dot_product_attention(q, k, v, need_weights=False)[0],
             shapes=SHAPES[0])


def test_scaled_dot_product_attention_dropout():
    shapes = SHAPES[0]
    q, k, v = [np.random.default_rng(i).normal(size=s) for i, s in enumerate(shapes)]
    y, w = F.scaled_dot_product_attention(*map(manabu.tensor, (q, k, v)), dropout_p=0.4,
                                          generator=np.random.default_rng(7))
    keep = np.random.default_rng(7).random((2, 2, 3, 5)) >= 0.4
    np.testing.assert_allclose(w.numpy().sum(axis=-1), 1.0)  # weights before dropout
    np.testing.assert_allclose(y.numpy(), (w.numpy() * keep / 0.6) @ v, rtol=1e-12)
    evaluating = F.scaled_dot_product_attention(*map(manabu.tensor, (q, k, v)), dropout_p=0.4,
                                                training=False)[0]
    np.testing.assert_allclose(evaluating.numpy(), w.numpy() @ v, rtol=1e-12)
    inputs = [manabu.Tensor(a, requires_grad=True) for a in (q, k, v)]
    gradcheck(lambda *x: F.scaled_dot_product_attention(
        *x, dropout_p=0.4, generator=np.random.default_rng(7)), *inputs)


def test_scaled_dot_product_attention_float32_stays_float32():
    q, k, v = [manabu.tensor(np.random.default_rng(i).normal(size=s).astype(np.float32),
                             requires_grad=True) for i, s in enumerate(SHAPES[0])]
    mask = np.random.default_rng(2).normal(size=(3, 5))  # float64 mask: no upcast
    y, w = F.scaled_dot_product_attention(q, k, v, mask, is_causal=True, dropout_p=0.2)
    assert y.dtype == w.dtype == np.float32
    (y.sum() + w.sum()).backward()
    assert q.grad.dtype == k.grad.dtype == v.grad.dtype == np.float32


# ---------------------------------------------------------------------- fully masked rows
def _all_masked_row_mask(kind):
    mask = _bool_mask((3, 5))
    mask[1] = False  # query 1 may attend to nothing
    if kind == "float":
        return np.where(mask, 0.0, -np.inf)
    return mask


@pytest.mark.parametrize("kind", ["bool", "float"])
@pytest.mark.parametrize("op", ["scaled", "dot"])
def test_a_fully_masked_query_gets_zeros_not_nan(op, kind):
    mask = _all_masked_row_mask(kind)
    arrays = [np.random.default_rng(i).normal(size=s) for i, s in enumerate(SHAPES[0])]
    q, k, v = [manabu.tensor(a, requires_grad=True) for a in arrays]
    attend = F.scaled_dot_product_attention if op == "scaled" else F.dot_product_attention
    y, w = attend(q, k, v, mask)
    (y.sum() + (w * w).sum()).backward()
    for t in (y, w, q.grad, k.grad, v.grad):
        assert np.isfinite(t.numpy()).all()
    np.testing.assert_array_equal(w.numpy()[:, :, 1], 0.0)
    np.testing.assert_array_equal(y.numpy()[:, :, 1], 0.0)
    np.testing.assert_array_equal(q.grad.numpy()[:, :, 1], 0.0)
    # the other queries are untouched: PyTorch agrees on them
    scale = None if op == "scaled" else 1.0
    t_y, t_w = torch_sdpa(mask, scale=scale, fused=False)(*map(torch.tensor, arrays))
    rows = [0, 2]
    np.testing.assert_allclose(y.numpy()[:, :, rows], t_y.numpy()[:, :, rows], rtol=1e-10)
    np.testing.assert_allclose(w.numpy()[:, :, rows], t_w.numpy()[:, :, rows], rtol=1e-10)


def test_masked_softmax_matches_torch_and_is_safe():
    mask = _bool_mask((4, 6))
    check_op(lambda x: torch.softmax(x.masked_fill(~torch.tensor(mask), -math.inf), dim=-1),
             lambda x: F.masked_softmax(x, mask), shapes=[(3, 4, 6)])
    mask[2] = False
    y = F.masked_softmax(manabu.tensor(np.ones((4, 6))), mask).numpy()
    np.testing.assert_array_equal(y[2], 0.0)
    np.testing.assert_allclose(y[[0, 1, 3]].sum(axis=-1), 1.0)
    plain = F.masked_softmax(manabu.tensor(np.arange(6.0)))
    np.testing.assert_allclose(plain.numpy(), F.softmax(manabu.tensor(np.arange(6.0))).numpy())


# ---------------------------------------------------------------------- dot and additive
@pytest.mark.parametrize("masked", [False, True])
def test_dot_product_attention_matches_torch(masked):
    mask = _bool_mask((3, 5)) if masked else None
    check_op(torch_sdpa(mask, scale=1.0, fused=False),
             lambda q, k, v: F.dot_product_attention(q, k, v, mask), shapes=SHAPES[0])


def torch_additive(mask=None):
    def fn(q, k, values, W_q, W_k, v):
        e = torch.tanh((q @ W_q.T).unsqueeze(-2) + (k @ W_k.T).unsqueeze(-3))
        w = torch.softmax(_torch_scores_mask(e @ v, mask, False), dim=-1)
        return w @ values, w
    return fn


@pytest.mark.parametrize("masked", [False, True])
def test_additive_attention_matches_torch(masked):
    mask = _bool_mask((2, 3, 4)) if masked else None
    shapes = [(2, 3, 4), (2, 4, 5), (2, 4, 3), (6, 4), (6, 5), (6,)]
    check_op(torch_additive(mask), lambda *x: F.additive_attention(*x, mask=mask),
             shapes=shapes)


def test_additive_attention_rejects_mismatched_weights():
    x = manabu.tensor(np.ones((2, 3, 4)))
    with pytest.raises(ValueError, match=r"additive_attention: W_q \(6, 4\), W_k \(5, 4\)"):
        F.additive_attention(x, x, x, np.ones((6, 4)), np.ones((5, 4)), np.ones(6))
    with pytest.raises(ValueError, match=r"additive_attention: keys of shape \(2, 3, 4\)"):
        F.additive_attention(x, x, x, manabu.tensor(np.ones((6, 4))),
                             manabu.tensor(np.ones((6, 5))), manabu.tensor(np.ones(6)))


# ---------------------------------------------------------------------- heads
def test_split_and_merge_heads_match_torch_view_and_permute():
    def t_split(x):
        return tuple(x.reshape(2, 3, 3, 2, 4).permute(2, 0, 3, 1, 4))  # 3 x (N, H, T, d)

    check_op(t_split, lambda x: F.split_heads(x, 2, chunks=3), shapes=[(2, 3, 24)])
    check_op(lambda x: x.transpose(1, 2).reshape(2, 3, 8), F.merge_heads, shapes=[(2, 2, 3, 4)])
    x = manabu.tensor(np.arange(48.0).reshape(2, 3, 8))
    np.testing.assert_array_equal(F.merge_heads(F.split_heads(x, 4)).numpy(), x.numpy())
    with pytest.raises(ValueError, match=r"split_heads: input \(2, 3, 8\).*divisible by"):
        F.split_heads(x, 3)


# ---------------------------------------------------------------------- errors
def test_attention_errors_name_the_op_the_shapes_and_the_fix():
    q = manabu.tensor(np.ones((2, 3, 4)))
    k = manabu.tensor(np.ones((2, 5, 4)))
    sdpa = F.scaled_dot_product_attention
    with pytest.raises(ValueError, match=r"scaled_dot_product_attention: mask of shape "
                                         r"\(5, 3\) does not broadcast .* \(2, 3, 5\)"):
        sdpa(q, k, k, mask=np.ones((5, 3), dtype=bool))
    with pytest.raises(TypeError, match=r"mask has dtype int64; use a boolean mask"):
        sdpa(q, k, k, mask=np.ones((3, 5), dtype=np.int64))
    with pytest.raises(ValueError, match=r"query \(2, 3, 4\) and key \(2, 5, 3\) must have "
                                         r"the same feature size"):
        sdpa(q, manabu.tensor(np.ones((2, 5, 3))), k)
    with pytest.raises(ValueError, match=r"key \(2, 5, 4\) and value \(2, 4, 4\) must have "
                                         r"the same number of positions"):
        sdpa(q, k, manabu.tensor(np.ones((2, 4, 4))))
    with pytest.raises(ValueError, match=r"the batch axes .* must be equal or 1"):
        sdpa(q, manabu.tensor(np.ones((3, 5, 4))), manabu.tensor(np.ones((3, 5, 4))))
    with pytest.raises(ValueError, match=r"query of shape \(4,\) needs at least 2 axes"):
        sdpa(manabu.tensor(np.ones(4)), k, k)
    with pytest.raises(ValueError, match=r"dropout_p must be in \[0, 1\), got 1.0"):
        sdpa(q, k, k, dropout_p=1.0)
    with pytest.raises(ValueError, match=r"masked_softmax: mask of shape \(2,\)"):
        F.masked_softmax(q, np.ones(2, dtype=bool))


# ---------------------------------------------------------------------- Seq2Seq layers
def test_dot_product_attention_layer_one_step_and_many():
    rng = np.random.default_rng(0)
    h = manabu.tensor(rng.normal(size=(2, 4)))  # decoder state, one step
    hs = manabu.tensor(rng.normal(size=(2, 5, 4)))  # encoder states
    mask = np.ones((2, 5), dtype=bool)
    mask[0, 3:] = False  # padding
    context, w = nn.DotProductAttention()(h, hs, mask=mask)
    assert context.shape == (2, 4) and w.shape == (2, 5)
    scores = np.einsum("nd,ntd->nt", h.numpy(), hs.numpy())
    scores[0, 3:] = -np.inf
    expected = np.exp(scores - scores.max(-1, keepdims=True))
    expected /= expected.sum(-1, keepdims=True)
    np.testing.assert_allclose(w.numpy(), expected, rtol=1e-12)
    np.testing.assert_allclose(context.numpy(), np.einsum("nt,ntd->nd", expected, hs.numpy()))
    scaled = nn.DotProductAttention(scaled=True)(manabu.tensor(rng.normal(size=(2, 3, 4))), hs)
    assert scaled[0].shape == (2, 3, 4) and scaled[1].shape == (2, 3, 5)


def test_additive_attention_layer():
    layer = nn.AdditiveAttention(query_dim=3, key_dim=4, hidden_dim=5, dtype=np.float64)
    assert sorted(dict(layer.named_parameters())) == ["W_k", "W_q", "v"]
    rng = np.random.default_rng(1)
    h = manabu.tensor(rng.normal(size=(2, 3)), requires_grad=True)
    hs = manabu.tensor(rng.normal(size=(2, 6, 4)), requires_grad=True)
    mask = np.ones((2, 6), dtype=bool)
    mask[1, 4:] = False
    context, w = layer(h, hs, mask=mask)
    assert context.shape == (2, 4) and w.shape == (2, 6)
    np.testing.assert_allclose(w.numpy().sum(-1), 1.0)
    np.testing.assert_array_equal(w.numpy()[1, 4:], 0.0)
    gradcheck(lambda a, b: layer(a, b, mask=mask), h, hs)
    gradcheck(lambda W: F.additive_attention(h.unsqueeze(1), hs, hs, W, layer.W_k, layer.v),
              layer.W_q)
    with pytest.raises(ValueError, match=r"AdditiveAttention: query \(3,\) must be \(N, d\)"):
        layer(manabu.tensor(np.ones(3)), hs)
