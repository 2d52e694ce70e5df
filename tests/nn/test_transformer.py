"""MultiheadAttention and the Transformer blocks against torch.nn.MultiheadAttention and
torch.nn.Transformer*Layer with copied weights (float64, dropout 0): outputs, input gradients
and every parameter's gradient; positional encoding, the causal mask, a short training run."""

import math
import warnings

import numpy as np
import pytest
import torch

import manabu
from manabu import nn, optim
from manabu.gradcheck import gradcheck

D, HEADS, FF = 8, 2, 12


def _for(module, mask):
    """A mask as the module's library wants it (manabu takes NumPy arrays too)."""
    return torch.tensor(mask) if isinstance(module, torch.nn.Module) else mask


def _arrays(*shapes):
    return [np.random.default_rng(20 + i).normal(size=s) for i, s in enumerate(shapes)]


def _perturb_biases(torch_module):
    """PyTorch starts attention biases at 0 and LayerNorm at (1, 0): move them so that
    every parameter's role shows in the comparison."""
    with torch.no_grad():
        for name, p in torch_module.named_parameters():
            if "bias" in name or "norm" in name:
                p.add_(0.1 * torch.randn_like(p))


def _pair(kind, **options):
    torch.manual_seed(0)
    t_class = getattr(torch.nn, kind)
    t = t_class(D, HEADS, FF, dropout=0.0, batch_first=options.pop("batch_first", True),
                **options).double()
    _perturb_biases(t)
    m = getattr(nn, kind)(D, HEADS, FF, dropout=0.0, batch_first=t.self_attn.batch_first,
                          dtype=np.float64, **options)
    return nn.copy_from_torch(m, t), t


def _padding(n, t, padded):
    mask = np.zeros((n, t), dtype=bool)
    mask[1, t - padded:] = True  # True = a padded key, as in PyTorch
    return mask


# ---------------------------------------------------------------------- MultiheadAttention
def compare_module_with_torch(module, torch_module, call, arrays, atol=1e-10, rtol=1e-8):
    """Outputs, input gradients and parameter gradients (by name) of a manabu module and a
    PyTorch module holding the same weights, on the same float64 inputs.
    ``call(module, *inputs)`` returns an output or a tuple of outputs (None skipped)."""
    m_in = [manabu.Tensor(a.copy(), requires_grad=True) for a in arrays]
    t_in = [torch.tensor(a.copy(), requires_grad=True) for a in arrays]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch's notes on mixed mask types
        m_out, t_out = call(module, *m_in), call(torch_module, *t_in)
    m_out = [o for o in (m_out if isinstance(m_out, tuple) else (m_out,)) if o is not None]
    t_out = [o for o in (t_out if isinstance(t_out, tuple) else (t_out,)) if o is not None]
    assert len(m_out) == len(t_out)
    rng = np.random.default_rng(0)
    m_loss, t_loss = 0, 0
    for m, t in zip(m_out, t_out):
        np.testing.assert_allclose(m.numpy(), t.detach().numpy(), atol=atol, rtol=rtol,
                                   err_msg="forward differs from PyTorch")
        p = rng.standard_normal(t.shape)
        m_loss = m_loss + (m * manabu.Tensor(p)).sum()
        t_loss = t_loss + (t * torch.tensor(p)).sum()
    m_loss.backward()
    t_loss.backward()
    for i, (m, t) in enumerate(zip(m_in, t_in)):
        t_grad = np.zeros(t.shape) if t.grad is None else t.grad.numpy()
        m_grad = np.zeros(m.shape) if m.grad is None else m.grad.numpy()
        np.testing.assert_allclose(m_grad, t_grad, atol=atol, rtol=rtol,
                                   err_msg=f"gradient of input {i} differs")
    t_params = dict(torch_module.named_parameters())
    m_params = dict(module.named_parameters())
    assert sorted(m_params) == sorted(t_params)
    for name, p in m_params.items():
        np.testing.assert_allclose(p.grad.numpy(), t_params[name].grad.numpy(), atol=atol,
                                   rtol=rtol, err_msg=f"gradient of {name} differs")


def _mha_pair(embed_dim=8, heads=2, bias=True, batch_first=True):
    torch.manual_seed(0)
    t = torch.nn.MultiheadAttention(embed_dim, heads, bias=bias, batch_first=batch_first)
    t = t.double()
    with torch.no_grad():  # PyTorch starts the biases at 0: make them matter
        for name, p in t.named_parameters():
            if "bias" in name:
                p.normal_()
    m = nn.MultiheadAttention(embed_dim, heads, bias=bias, batch_first=batch_first,
                              dtype=np.float64)
    return nn.copy_from_torch(m, t), t


def test_multihead_self_attention_matches_torch():
    m, t = _mha_pair()
    compare_module_with_torch(m, t, lambda mod, x: mod(x, x, x), _arrays((3, 5, 8)))


@pytest.mark.parametrize("average", [True, False])
def test_multihead_cross_attention_with_masks_matches_torch(average):
    m, t = _mha_pair()
    padding = np.zeros((3, 6), dtype=bool)
    padding[1, 4:] = True  # sample 1 has 2 padded keys
    causal = np.triu(np.ones((4, 6), dtype=bool), k=1)  # True = may not attend

    def call(mod, x, mem):
        return mod(x, mem, mem, key_padding_mask=_for(mod, padding),
                   attn_mask=_for(mod, causal), average_attn_weights=average)

    compare_module_with_torch(m, t, call, _arrays((3, 4, 8), (3, 6, 8)))


def test_multihead_attention_distinct_key_value_float_and_per_head_masks():
    m, t = _mha_pair(bias=False)
    attn = np.random.default_rng(5).normal(size=(3 * 2, 4, 6))  # (N * H, T_q, T_k), added
    padding = np.zeros((3, 6))
    padding[2, 5] = -np.inf

    def call(mod, q, k, v):
        return mod(q, k, v, key_padding_mask=_for(mod, padding), attn_mask=_for(mod, attn))

    compare_module_with_torch(m, t, call, _arrays((3, 4, 8), (3, 6, 8), (3, 6, 8)))


def test_multihead_attention_sequence_first_and_unbatched():
    m, t = _mha_pair(batch_first=False)
    compare_module_with_torch(m, t, lambda mod, x, y: mod(x, y, y),
                              _arrays((4, 3, 8), (6, 3, 8)))  # (T, N, E)
    m, t = _mha_pair()
    compare_module_with_torch(m, t, lambda mod, x: mod(x, x, x), _arrays((5, 8)))  # (T, E)


def test_multihead_attention_is_causal_and_need_weights_false():
    m, t = _mha_pair()
    causal = np.triu(np.ones((5, 5), dtype=bool), k=1)
    x = manabu.tensor(_arrays((2, 5, 8))[0])
    out, none = m(x, x, x, need_weights=False, is_causal=True)
    expected, _ = m(x, x, x, attn_mask=causal)
    assert none is None
    np.testing.assert_allclose(out.numpy(), expected.numpy(), rtol=1e-12)


def test_multihead_attention_fully_padded_sample_gives_bias_not_nan():
    m, _ = _mha_pair()
    x = manabu.tensor(_arrays((2, 3, 8))[0], requires_grad=True)
    padding = np.array([[True, True, True], [False, False, True]])
    out, w = m(x, x, x, key_padding_mask=padding)
    out.sum().backward()
    assert np.isfinite(out.numpy()).all() and np.isfinite(x.grad.numpy()).all()
    np.testing.assert_allclose(out.numpy()[0], np.broadcast_to(m.out_proj.bias.numpy(), (3, 8)))
    np.testing.assert_array_equal(w.numpy()[0], 0.0)
    np.testing.assert_allclose(w.numpy()[1].sum(axis=-1), 1.0)


def test_multihead_attention_errors():
    m, _ = _mha_pair()
    x = manabu.tensor(np.ones((2, 3, 8)))
    with pytest.raises(ValueError, match=r"MultiheadAttention\(8, num_heads=2\): attn_mask "
                                         r"has shape \(3, 4\); it must be \(T_q, T_k\)"):
        m(x, x, x, attn_mask=np.zeros((3, 4), dtype=bool))
    with pytest.raises(ValueError, match=r"key_padding_mask has shape \(3,\); it must be "
                                         r"\(N, T_k\) = \(2, 3\)"):
        m(x, x, x, key_padding_mask=np.zeros(3, dtype=bool))
    with pytest.raises(ValueError, match=r"key has shape \(2, 3, 6\); .* E = 8"):
        m(x, manabu.tensor(np.ones((2, 3, 6))), x)
    with pytest.raises(ValueError, match=r"embed_dim 8 must be .* divisible by num_heads 3"):
        nn.MultiheadAttention(8, 3)
    with pytest.raises(TypeError, match=r"masks must be boolean .* got dtype int64"):
        m(x, x, x, attn_mask=np.zeros((3, 3), dtype=np.int64))


def test_copy_to_torch_round_trip_and_torch_initialisation():
    m = nn.MultiheadAttention(8, 2)
    assert m.in_proj_weight.shape == (24, 8) and m.out_proj.weight.shape == (8, 8)
    np.testing.assert_array_equal(m.in_proj_bias.numpy(), 0.0)
    bound = math.sqrt(6 / (24 + 8))  # Xavier-uniform on (3E, E), as in PyTorch
    assert np.abs(m.in_proj_weight.numpy()).max() <= bound
    t = nn.copy_to_torch(m, torch.nn.MultiheadAttention(8, 2, batch_first=True))
    for name, p in t.named_parameters():
        np.testing.assert_array_equal(p.detach().numpy(), m.state_dict()[name])
    assert "num_heads=2" in repr(m)


# ---------------------------------------------------------------------- mask, positions
def test_generate_square_subsequent_mask_matches_torch():
    mask = nn.generate_square_subsequent_mask(4)
    expected = torch.nn.Transformer.generate_square_subsequent_mask(4).numpy()
    np.testing.assert_array_equal(mask.numpy(), expected)
    assert mask.dtype == manabu.get_default_dtype()
    assert nn.generate_square_subsequent_mask(3, dtype=np.float64).dtype == np.float64


def test_positional_encoding_values():
    layer = nn.PositionalEncoding(6, max_len=10, dropout=0.0, dtype=np.float64)
    pe = layer.pe.numpy()
    assert pe.shape == (10, 6)
    np.testing.assert_allclose(pe[0], [0, 1, 0, 1, 0, 1], atol=1e-15)
    pos, i = 3, 1  # dimensions 2i and 2i + 1
    angle = pos / 10000 ** (2 * i / 6)
    np.testing.assert_allclose(pe[pos, 2 * i:2 * i + 2], [math.sin(angle), math.cos(angle)])
    x = manabu.tensor(np.ones((2, 4, 6)))
    np.testing.assert_allclose(layer(x).numpy(), np.broadcast_to(1 + pe[:4], (2, 4, 6)))
    assert "pe" not in layer.state_dict()  # recomputed, not saved
    odd = nn.PositionalEncoding(5, max_len=4, dropout=0.0)
    assert odd.pe.shape == (4, 5) and odd.pe.dtype == np.float32
    with pytest.raises(ValueError, match=r"PositionalEncoding\(6, max_len=10\): input of "
                                         r"shape \(1, 11, 6\) .* raise max_len"):
        layer(manabu.tensor(np.ones((1, 11, 6))))


def test_positional_encoding_dropout_only_in_training():
    layer = nn.PositionalEncoding(4, max_len=8, dropout=0.5)
    x = manabu.tensor(np.ones((2, 8, 4), dtype=np.float32))
    assert (layer(x).numpy() == 0).any()
    layer.eval()
    np.testing.assert_allclose(layer(x).numpy(), np.broadcast_to(1 + layer.pe.numpy(), x.shape))


# ---------------------------------------------------------------------- encoder
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_encoder_layer_matches_torch(norm_first, activation):
    m, t = _pair("TransformerEncoderLayer", norm_first=norm_first, activation=activation)
    causal = nn.generate_square_subsequent_mask(5, dtype=np.float64).numpy()
    padding = np.where(_padding(3, 5, 2), -np.inf, 0.0)  # float, like the causal mask

    def call(mod, x):
        return mod(x, src_mask=_for(mod, causal), src_key_padding_mask=_for(mod, padding))

    compare_module_with_torch(m, t, call, _arrays((3, 5, D)))


def test_encoder_layer_boolean_padding_and_sequence_first():
    m, t = _pair("TransformerEncoderLayer", batch_first=False)
    padding = _padding(3, 5, 2)
    compare_module_with_torch(m, t, lambda mod, x: mod(x, src_key_padding_mask=_for(mod, padding)),
                              _arrays((5, 3, D)))  # (T, N, d_model)


def test_encoder_stack_with_final_norm_matches_torch():
    m_layer, t_layer = _pair("TransformerEncoderLayer", norm_first=True)
    t = torch.nn.TransformerEncoder(t_layer, 2, norm=torch.nn.LayerNorm(D).double(),
                                    enable_nested_tensor=False)
    _perturb_biases(t)
    m = nn.TransformerEncoder(m_layer, 2, norm=nn.LayerNorm(D, dtype=np.float64))
    nn.copy_from_torch(m, t)
    a, b = m.layers[0], m.layers[1]
    assert a.linear1.weight is not b.linear1.weight  # each layer its own parameters
    compare_module_with_torch(m, t, lambda mod, x: mod(x, is_causal=True) if mod is m else
                              mod(x, mask=torch.nn.Transformer.generate_square_subsequent_mask(
                                  4, dtype=torch.float64), is_causal=True),
                              _arrays((2, 4, D)))


# ---------------------------------------------------------------------- decoder
@pytest.mark.parametrize("norm_first", [False, True])
def test_decoder_layer_matches_torch(norm_first):
    m, t = _pair("TransformerDecoderLayer", norm_first=norm_first, activation="gelu")
    causal = np.triu(np.ones((4, 4), dtype=bool), k=1)  # boolean: True = the future
    padding = _padding(3, 6, 3)

    def call(mod, tgt, memory):
        return mod(tgt, memory, tgt_mask=_for(mod, causal),
                   memory_key_padding_mask=_for(mod, padding))

    compare_module_with_torch(m, t, call, _arrays((3, 4, D), (3, 6, D)))


def test_decoder_stack_matches_torch():
    m_layer, t_layer = _pair("TransformerDecoderLayer")
    t = torch.nn.TransformerDecoder(t_layer, 2)
    m = nn.copy_from_torch(nn.TransformerDecoder(m_layer, 2), t)
    causal = nn.generate_square_subsequent_mask(3, dtype=np.float64).numpy()
    compare_module_with_torch(m, t, lambda mod, tgt, mem: mod(tgt, mem,
                                                              tgt_mask=_for(mod, causal)),
                              _arrays((2, 3, D), (2, 5, D)))


# ---------------------------------------------------------------------- behaviour
def test_encoder_layer_gradcheck_and_causality():
    layer = nn.TransformerEncoderLayer(4, 2, 6, dropout=0.0, dtype=np.float64)
    x = manabu.tensor(np.random.default_rng(0).normal(size=(2, 3, 4)), requires_grad=True)
    gradcheck(lambda x: layer(x, is_causal=True), x)
    # with the causal mask, changing the last position changes no earlier output
    y = layer(x, is_causal=True).numpy()
    changed = x.numpy().copy()
    changed[:, -1] += 1.0
    y2 = layer(manabu.tensor(changed), is_causal=True).numpy()
    np.testing.assert_allclose(y2[:, :-1], y[:, :-1], rtol=1e-12)
    assert not np.allclose(y2[:, -1], y[:, -1])


def test_dropout_is_active_in_training_only():
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.3)
    x = manabu.tensor(np.random.default_rng(0).normal(size=(2, 5, 8)).astype(np.float32))
    assert not np.allclose(layer(x).numpy(), layer(x).numpy())
    layer.eval()
    np.testing.assert_array_equal(layer(x).numpy(), layer(x).numpy())
    assert layer(x).dtype == np.float32


def test_a_small_encoder_learns_to_find_the_maximum_position():
    """Each sequence holds one large value; the model must say where (argmax position)."""
    manabu.manual_seed(0)
    rng = np.random.default_rng(0)
    n, length, d = 64, 6, 16
    x = rng.normal(0, 0.1, size=(n, length, 1)).astype(np.float32)
    target = rng.integers(0, length, size=n)
    x[np.arange(n), target, 0] = 1.0
    embed = nn.Linear(1, d)
    position = nn.PositionalEncoding(d, max_len=length, dropout=0.0)
    encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(d, 2, 32, dropout=0.0), 1)
    head = nn.Linear(d, 1)
    params = [*embed.parameters(), *encoder.parameters(), *head.parameters()]
    opt = optim.Adam(params, lr=0.01)
    losses = []
    for _ in range(60):
        logits = head(encoder(position(embed(manabu.Tensor(x))))).reshape(n, length)
        loss = manabu.functional.cross_entropy(logits, manabu.Tensor(target))
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss))
    accuracy = (logits.numpy().argmax(axis=1) == target).mean()
    assert losses[-1] < 0.25 * losses[0] and accuracy > 0.9, (losses[0], losses[-1], accuracy)


def test_transformer_errors():
    layer = nn.TransformerEncoderLayer(8, 2, 16)
    with pytest.raises(ValueError, match=r"TransformerEncoderLayer\(d_model=8\): src has shape "
                                         r"\(2, 5, 6\), expected \(N, T, d_model\)"):
        layer(manabu.tensor(np.ones((2, 5, 6))))
    with pytest.raises(ValueError, match=r"activation must be 'relu', 'gelu' or a function"):
        nn.TransformerDecoderLayer(8, 2, activation="tanh")
    with pytest.raises(ValueError, match=r"TransformerEncoder: num_layers must be a positive"):
        nn.TransformerEncoder(layer, 0)
    decoder = nn.TransformerDecoderLayer(8, 2, 16)
    with pytest.raises(ValueError, match=r"memory has shape \(2, 5\)"):
        decoder(manabu.tensor(np.ones((2, 3, 8))), manabu.tensor(np.ones((2, 5))))


# ---------------------------------------------------------------------- nn.Transformer
def _transformer_pair(**options):
    torch.manual_seed(0)
    t = torch.nn.Transformer(D, HEADS, 2, 2, FF, dropout=0.0, **options).double()
    _perturb_biases(t)
    m = nn.Transformer(D, HEADS, 2, 2, FF, dropout=0.0, dtype=np.float64, **options)
    return nn.copy_from_torch(m, t), t


def test_transformer_defaults_follow_torch():
    import inspect
    ours = inspect.signature(nn.Transformer).parameters
    for name, p in inspect.signature(torch.nn.Transformer).parameters.items():
        if name not in ("device", "dtype", "activation"):  # torch: F.relu; ours: 'relu'
            assert ours[name].default == p.default, name
    assert nn.Transformer.generate_square_subsequent_mask is nn.generate_square_subsequent_mask
    np.testing.assert_array_equal(nn.Transformer.generate_square_subsequent_mask(5).numpy(),
                                  torch.nn.Transformer.generate_square_subsequent_mask(5))


@pytest.mark.parametrize("options", [{}, {"bias": False, "norm_first": True}])
def test_transformer_state_dict_keys_and_shapes_equal_torch(options):
    m = nn.Transformer(D, HEADS, 2, 3, FF, **options)
    t = torch.nn.Transformer(D, HEADS, 2, 3, FF, **options)
    ours = {k: tuple(v.shape) for k, v in m.state_dict().items()}
    assert ours == {k: tuple(v.shape) for k, v in t.state_dict().items()}
    assert "encoder.norm.weight" in ours and "decoder.norm.weight" in ours


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
def test_transformer_matches_torch(norm_first, batch_first):
    m, t = _transformer_pair(norm_first=norm_first, batch_first=batch_first)
    n, s, tt = 3, 6, 4
    causal = nn.generate_square_subsequent_mask(tt, dtype=np.float64).numpy()
    src_pad, tgt_pad = _padding(n, s, 2), _padding(n, tt, 1)

    def call(mod, src, tgt):
        return mod(src, tgt, tgt_mask=_for(mod, causal),
                   src_key_padding_mask=_for(mod, src_pad),
                   tgt_key_padding_mask=_for(mod, tgt_pad),
                   memory_key_padding_mask=_for(mod, src_pad))

    shapes = ((n, s, D), (n, tt, D)) if batch_first else ((s, n, D), (tt, n, D))
    compare_module_with_torch(m, t, call, _arrays(*shapes))


def test_transformer_every_mask_matches_torch():
    """src_mask, memory_mask (boolean and additive) and the causal flags, batch-first."""
    m, t = _transformer_pair(batch_first=True)
    n, s, tt = 2, 5, 4
    rng = np.random.default_rng(3)
    src_mask = np.triu(rng.random((s, s)) < 0.4, k=1)  # True hides a key; no row fully hidden
    memory_mask = np.where(rng.random((tt, s)) < 0.3, -np.inf, 0.0)
    memory_mask[:, 0] = 0.0
    causal = nn.generate_square_subsequent_mask(tt, dtype=np.float64).numpy()

    def call(mod, src, tgt):
        return mod(src, tgt, src_mask=_for(mod, src_mask), tgt_mask=_for(mod, causal),
                   memory_mask=_for(mod, memory_mask), tgt_is_causal=True)

    compare_module_with_torch(m, t, call, _arrays((n, s, D), (n, tt, D)))


def test_transformer_loads_a_torch_state_dict_of_arrays():
    torch.manual_seed(1)
    t = torch.nn.Transformer(D, HEADS, 2, 1, FF, dropout=0.0, norm_first=True).double().eval()
    m = nn.Transformer(D, HEADS, 2, 1, FF, dropout=0.0, norm_first=True, dtype=np.float64)
    m.load_state_dict({k: v.numpy() for k, v in t.state_dict().items()})
    src, tgt = _arrays((6, 3, D), (4, 3, D))  # (S, N, E): batch_first=False, as PyTorch
    expected = t(torch.tensor(src), torch.tensor(tgt)).detach().numpy()
    np.testing.assert_allclose(m(manabu.tensor(src), manabu.tensor(tgt)).numpy(), expected,
                               atol=1e-10)


def test_transformer_uses_custom_stacks():
    calls = []

    class Encoder(nn.Module):
        def forward(self, src, mask=None, src_key_padding_mask=None, is_causal=False):
            calls.append(("encoder", is_causal))
            return src * 2

    class Decoder(nn.Module):
        def forward(self, tgt, memory, **masks):
            calls.append(("decoder", sorted(masks)))
            return tgt + memory.sum(axis=1, keepdims=True)

    model = nn.Transformer(D, HEADS, custom_encoder=Encoder(), custom_decoder=Decoder(),
                           batch_first=True)
    assert list(model.state_dict()) == []  # the stacks are the custom ones, without weights
    src, tgt = _arrays((2, 3, D), (2, 4, D))
    out = model(manabu.tensor(src), manabu.tensor(tgt), src_is_causal=True)
    np.testing.assert_allclose(out.numpy(), tgt + 2 * src.sum(axis=1, keepdims=True))
    assert calls == [("encoder", True), ("decoder", [
        "memory_is_causal", "memory_key_padding_mask", "memory_mask", "tgt_is_causal",
        "tgt_key_padding_mask", "tgt_mask"])]


def test_transformer_starts_xavier_uniform_as_torch():
    model = nn.Transformer(64, 4, 1, 1, 128)
    weight = model.encoder.layers[0].linear1.weight.numpy()  # (128, 64)
    bound = math.sqrt(6 / (64 + 128))
    assert np.abs(weight).max() <= bound and np.abs(weight).max() > 0.95 * bound
    np.testing.assert_array_equal(model.encoder.norm.weight.numpy(), 1.0)  # norms untouched


def test_transformer_rejects_mismatched_src_and_tgt():
    model = nn.Transformer(D, HEADS, 1, 1, FF)  # (S, N, E)
    with pytest.raises(ValueError, match=r"src \(5, 2, 8\) and tgt \(4, 3, 8\).*same batch"):
        model(manabu.tensor(np.ones((5, 2, D))), manabu.tensor(np.ones((4, 3, D))))
    with pytest.raises(ValueError, match="E = 8"):
        model(manabu.tensor(np.ones((5, 2, 6))), manabu.tensor(np.ones((4, 2, 6))))
