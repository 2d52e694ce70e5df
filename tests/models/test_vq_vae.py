"""The VQ-VAE (models/vq_vae.py): shapes, the EMA codebook update against its formula on a
hand-made batch, the restart of a dead code, the perplexity of the code usage, a few
training steps that lower the loss, the save/load round trip, and reproducible samples
from the GPT prior."""

import numpy as np
import pytest

import manabu
from manabu.data import load_mnist_10k
from manabu.models.vq_vae import (
    VQVAE, VectorQuantizer, code_perplexity, sample_codes, sample_images, train_code_prior,
    train_vqvae,
)


def tiny_vqvae(hidden_channels=8, **options):
    manabu.manual_seed(0)
    return VQVAE(hidden_channels=hidden_channels, num_residual_blocks=1, num_codes=8,
                 code_dim=4, **options)


@pytest.fixture(scope="module")
def digits():
    (x, _), _ = load_mnist_10k()
    return x[:512].astype(np.float32)


def test_shapes():
    model = tiny_vqvae()
    x = np.random.default_rng(0).random((3, 1, 28, 28)).astype(np.float32)
    x_hat, vq_loss, idx = model(x)
    assert x_hat.shape == (3, 1, 28, 28) and vq_loss.shape == () and idx.shape == (3, 7, 7)
    assert idx.dtype == np.int64 and 0 <= idx.min() and idx.max() < 8
    model.eval()  # no codebook update: encode finds the codes forward found
    np.testing.assert_array_equal(model.encode(x), model(x)[2])
    assert model.decode_indices(idx).shape == (3, 1, 28, 28)
    wide = VQVAE(in_channels=3, image_size=(16, 32), hidden_channels=8, num_residual_blocks=0,
                 num_codes=4, code_dim=2)
    x_hat, _, idx = wide(np.zeros((2, 3, 16, 32), np.float32))
    assert x_hat.shape == (2, 3, 16, 32) and idx.shape == (2, 4, 8)


def quantizer_with(codebook, **options):
    vq = VectorQuantizer(len(codebook), codebook.shape[1], **options)
    vq.codebook.data[...] = codebook
    if vq.ema:
        vq.embed_sum.data[...] = codebook  # N_k = 1, so m_k = e_k
    return vq


def test_ema_update_is_the_formula():
    codebook = np.array([[0.0, 0.0], [1.0, 1.0], [5.0, -5.0]])
    vq = quantizer_with(codebook, ema=True, decay=0.9, eps=1e-5, dead_code_threshold=0)
    vq.to(dtype=np.float64)
    z = np.array([[0.1, -0.1], [0.2, 0.0], [0.9, 1.3], [1.1, 0.8], [0.8, 1.0]])  # (n=5, D=2)
    _, loss, idx = vq(manabu.tensor(z.T.reshape(1, 2, 1, 5)))  # (N, D, H, W)
    np.testing.assert_array_equal(idx.reshape(-1), [0, 0, 1, 1, 1])
    counts = np.array([2.0, 3.0, 0.0])
    sums = np.array([z[:2].sum(0), z[2:].sum(0), [0.0, 0.0]])
    size = 0.9 * 1.0 + 0.1 * counts
    embed_sum = 0.9 * codebook + 0.1 * sums
    n = size.sum()
    smoothed = (size + 1e-5) / (n + 3 * 1e-5) * n
    np.testing.assert_allclose(vq.cluster_size.numpy(), size, rtol=1e-12)
    np.testing.assert_allclose(vq.embed_sum.numpy(), embed_sum, rtol=1e-12)
    np.testing.assert_allclose(vq.codebook.numpy(), embed_sum / smoothed[:, None], rtol=1e-12)
    q = codebook[idx.reshape(-1)]
    np.testing.assert_allclose(float(loss.item()), 0.25 * np.mean((z - q) ** 2), rtol=1e-12)
    assert all(p is not vq.codebook for p in vq.parameters())  # not learnt by gradient
    before = vq.codebook.numpy().copy()
    vq.eval()
    vq(manabu.tensor(z.T.reshape(1, 2, 1, 5)))
    np.testing.assert_array_equal(vq.codebook.numpy(), before)  # eval mode: no update


def test_gradient_codebook_loss_is_codebook_plus_commitment():
    codebook = np.array([[0.0, 0.0], [1.0, 1.0]])
    vq = quantizer_with(codebook, beta=0.5, dead_code_threshold=0)
    vq.to(dtype=np.float64)
    z = np.array([[0.1, -0.1], [0.9, 1.3]])
    _, loss, _ = vq(manabu.tensor(z.T.reshape(1, 2, 1, 2)))
    mse = np.mean((z - codebook) ** 2)
    np.testing.assert_allclose(float(loss.item()), 1.5 * mse, rtol=1e-12)
    np.testing.assert_array_equal(vq.codebook.numpy(), codebook)  # only the optimizer moves it


@pytest.mark.parametrize("ema", [False, True])
def test_dead_code_is_restarted_on_an_encoder_output(ema):
    codebook = np.array([[0.0, 0.0], [1.0, 1.0], [50.0, 50.0]])  # code 2: far from everything
    vq = quantizer_with(codebook, ema=ema, dead_code_threshold=1.0)
    z = np.array([[0.1, -0.1], [0.2, 0.0], [0.9, 1.3], [1.1, 0.8]], np.float32)
    manabu.manual_seed(0)
    _, _, idx = vq(manabu.tensor(z.T.reshape(1, 2, 1, 4)))
    assert 2 not in idx
    moved = vq.codebook.numpy()[2]
    assert any(np.array_equal(moved, row) for row in z), moved  # now on an encoder output
    assert vq.cluster_size.numpy()[2] == pytest.approx(1.0)
    if not ema:
        np.testing.assert_array_equal(vq.codebook.numpy()[:2], codebook[:2])  # used: kept
    disabled = quantizer_with(codebook, ema=ema, dead_code_threshold=0)
    disabled(manabu.tensor(z.T.reshape(1, 2, 1, 4)))
    np.testing.assert_allclose(disabled.codebook.numpy()[2], codebook[2], rtol=1e-4)


def test_perplexity_counts_the_codes_in_use():
    assert code_perplexity(np.arange(16).repeat(3), 16) == pytest.approx(16.0)
    assert code_perplexity(np.full((4, 7, 7), 5), 16) == pytest.approx(1.0)
    assert code_perplexity([0, 0, 1, 1], 64) == pytest.approx(2.0)


@pytest.mark.parametrize("ema", [True, False])
def test_training_lowers_the_loss(digits, ema):
    model = tiny_vqvae(hidden_channels=16, ema=ema)
    history = train_vqvae(model, digits, epochs=3, batch_size=32, lr=3e-3,
                          generator=np.random.default_rng(0))
    first, last = np.mean(history["mse"][:3]), np.mean(history["mse"][-3:])
    assert last < 0.5 * first, (first, last)  # measured: 0.10 -> 0.041 (EMA), 0.045
    assert history["perplexity"][-1] > 2.0  # more than one code in use


def test_save_and_load_round_trip(tmp_path, digits):
    model = tiny_vqvae(ema=True)
    train_vqvae(model, digits[:64], epochs=1, batch_size=32)
    path = manabu.save(model, str(tmp_path / "vqvae"))
    again = manabu.load(path)
    assert type(again) is VQVAE and again.config == model.config
    for (name, a), (_, b) in zip(model.state_dict().items(), again.state_dict().items()):
        np.testing.assert_array_equal(a, b, err_msg=name)
    model.eval()
    again.eval()
    np.testing.assert_array_equal(model.encode(digits[:8]), again.encode(digits[:8]))
    np.testing.assert_array_equal(model(digits[:8])[0].numpy(), again(digits[:8])[0].numpy())


def test_prior_samples_have_the_image_shape_and_repeat_with_a_seed(digits):
    model = tiny_vqvae()
    train_vqvae(model, digits[:64], epochs=1, batch_size=32)
    prior, history = train_code_prior(model, digits[:64], epochs=1, batch_size=32, n_layer=1,
                                      n_head=2, n_embd=16)
    assert prior.gpt_config.vocab_size == 9 and prior.gpt_config.block_size == 49
    assert len(history["loss"]) == 1 and np.isfinite(history["loss"][0])
    a = sample_images(model, prior, 5, seed=3)
    b = sample_images(model, prior, 5, seed=3)
    assert a.shape == (5, 1, 28, 28)
    np.testing.assert_array_equal(a, b)
    c = sample_images(model, prior, 5, top_k=2, generator=np.random.default_rng(4))
    assert c.shape == (5, 1, 28, 28) and np.isfinite(c).all()
    # the barely trained prior gives the start token 8 about 1/9 of the mass: never drawn
    codes = sample_codes(prior, 50, 8, 49, generator=np.random.default_rng(5))
    assert codes.shape == (50, 49) and codes.max() < 8 and len(np.unique(codes)) > 1
    greedy = sample_codes(prior, 2, 8, 49, temperature=0)
    np.testing.assert_array_equal(greedy[0], greedy[1])


def test_errors_are_clear():
    with pytest.raises(ValueError, match="a codebook needs at least 2 codes"):
        VectorQuantizer(1, 4)
    with pytest.raises(ValueError, match="a codebook needs at least 2 codes"):
        VQVAE(num_codes=1)
    with pytest.raises(ValueError, match=r"code_dim \(the latent size\) must be a whole number"):
        VQVAE(code_dim=0)
    model = tiny_vqvae()
    with pytest.raises(ValueError, match=r"images must be \(N, 1, 28, 28\).*flatten=False"):
        model(np.zeros((2, 784), np.float32))
    with pytest.raises(ValueError, match=r"\(N, 1, 28, 28\)"):
        model.encode(np.zeros((2, 1, 32, 32), np.float32))
    with pytest.raises(ValueError, match="multiples of 4"):
        VQVAE(image_size=30)
    with pytest.raises(ValueError, match=r"integer grids \(N, 7, 7\)"):
        model.decode_indices(np.zeros((2, 49), np.int64))
    with pytest.raises(ValueError, match=r"in \[0, 8\)"):
        model.decode_indices(np.full((1, 7, 7), 8))
    with pytest.raises(ValueError, match=r"z must be \(N, 4, H, W\)"):
        model.quantizer(manabu.tensor(np.zeros((2, 3, 7, 7), np.float32)))
