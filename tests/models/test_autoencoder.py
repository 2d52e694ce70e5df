"""Autoencoders: shapes, the sparse penalties in the loss, denoising data, greedy stacked
pre-training (each layer trained on the codes below it, weights handed to an MLP), save and
load, and the errors."""

import numpy as np
import pytest

import manabu
from manabu import data, models, nn, optim, train
from manabu.autograd import Tensor, no_grad
from manabu.functional import kl_sparsity, l1_activity


@pytest.fixture(scope="module")
def digits():
    (x, y), _ = data.load_mnist_10k()
    return x[:600], y[:600]


def test_dense_autoencoder_shapes_and_flat_inputs():
    manabu.manual_seed(0)
    ae = models.Autoencoder(hidden_sizes=(32, 16), latent_dim=3)
    images = np.random.default_rng(0).uniform(size=(5, 1, 28, 28)).astype(np.float32)
    assert ae.encode(images).shape == (5, 3)
    out = ae(images)
    assert out.shape == (5, 1, 28, 28)
    assert 0 <= out.numpy().min() and out.numpy().max() <= 1  # sigmoid outputs
    np.testing.assert_allclose(ae(images.reshape(5, 784)).numpy(), out.numpy(), rtol=1e-6)
    assert ae.penalty is None
    names = [type(m).__name__ for m in ae.decoder]
    assert names == ["Linear", "ReLU", "Linear", "ReLU", "Linear", "Sigmoid"]


def test_conv_autoencoder_halves_then_doubles():
    ae = models.ConvAutoencoder(channels=(4, 8), latent_dim=5)
    x = np.zeros((2, 1, 28, 28), dtype=np.float32)
    assert ae.encode(x).shape == (2, 5) and ae(x).shape == (2, 1, 28, 28)
    assert ae.bottleneck == (8, 7, 7)


def test_training_lowers_the_reconstruction_error(digits):
    x, _ = digits
    for ae in (models.Autoencoder(hidden_sizes=(64,), latent_dim=8),
               models.ConvAutoencoder(channels=(8, 16), latent_dim=8)):
        manabu.manual_seed(0)
        history = train.fit(ae, models.AutoencoderLoss(ae), optim.Adam(ae.parameters(), 2e-3),
                            (x, x), epochs=3, batch_size=50, seed=0, verbose=0, metrics=())
        losses = [e["loss"] for e in history.epochs]
        assert losses[-1] < 0.75 * losses[0], (type(ae).__name__, losses)


def test_sparse_penalties_enter_the_loss():
    rng = np.random.default_rng(1)
    x = rng.uniform(size=(6, 1, 28, 28)).astype(np.float32)
    kl = models.Autoencoder(hidden_sizes=(16,), latent_dim=10, code_activation="sigmoid",
                            sparsity="kl", sparsity_target=0.1, sparsity_weight=0.5)
    out = kl(x)
    codes = kl.encode(x)
    np.testing.assert_allclose(kl.penalty.item(), 0.5 * kl_sparsity(codes, 0.1).item(),
                               rtol=1e-5)
    plain = models.AutoencoderLoss(reconstruction="bce")(out, x).item()
    assert models.AutoencoderLoss(kl)(out, x).item() == pytest.approx(plain + kl.penalty.item())
    l1 = models.Autoencoder(hidden_sizes=(16,), latent_dim=10, sparsity="l1",
                            sparsity_weight=0.01)
    l1(x)
    np.testing.assert_allclose(l1.penalty.item(), 0.01 * l1_activity(l1.encode(x)).item(),
                               rtol=1e-5)


def test_kl_sparsity_training_drives_mean_activity_toward_rho(digits):
    x, _ = digits
    manabu.manual_seed(0)
    ae = models.Autoencoder(hidden_sizes=(), latent_dim=64, code_activation="sigmoid",
                            sparsity="kl", sparsity_target=0.05, sparsity_weight=0.05)
    before = ae.encode(x).numpy().mean()
    train.fit(ae, models.AutoencoderLoss(ae), optim.Adam(ae.parameters(), 3e-3), (x, x),
              epochs=4, batch_size=50, seed=0, verbose=0, metrics=())
    with no_grad():
        after = ae.encode(Tensor(x)).numpy().mean()
    assert before > 0.3 and after < 0.15, (before, after)


def test_masking_noise_masks_the_asked_fraction_and_keeps_the_rest():
    x = np.full((4, 1, 50, 50), 0.7, dtype=np.float32)
    out = data.MaskingNoise(p=0.3, generator=np.random.default_rng(0))(x)
    masked = out == 0
    assert abs(masked.mean() - 0.3) < 0.02 and np.all(out[~masked] == np.float32(0.7))
    assert out.dtype == np.float32
    with pytest.raises(ValueError, match=r"p must be in \[0, 1\]"):
        data.MaskingNoise(p=1.5)


def test_denoising_training_uses_corrupted_inputs_and_clean_targets(digits):
    x, _ = digits
    noisy = data.TransformDataset(data.TensorDataset(x, x),
                                  data.MaskingNoise(0.5, generator=np.random.default_rng(0)))
    corrupted, clean = noisy.get_batch(np.arange(10))
    assert np.all(clean == x[:10]) and (corrupted == 0).mean() > (x[:10] == 0).mean()
    manabu.manual_seed(0)
    ae = models.Autoencoder(hidden_sizes=(128,), latent_dim=32)
    loader = data.DataLoader(noisy, batch_size=50, shuffle=True, seed=0)
    history = train.fit(ae, models.AutoencoderLoss(ae), optim.Adam(ae.parameters(), 2e-3),
                        loader, epochs=4, verbose=0, metrics=())
    assert history.epochs[-1]["loss"] < 0.8 * history.epochs[0]["loss"]


def test_stacked_pretraining_trains_each_layer_on_the_codes_below(digits):
    x, y = digits
    manabu.manual_seed(0)
    stack = models.StackedAutoencoder(sizes=(784, 64, 16))
    first_before = stack.encoders[0].weight.data.copy()
    histories = stack.pretrain(x, epochs=2, batch_size=50, lr=3e-3, verbose=0)
    assert len(histories) == 2
    for h in histories:
        assert h.epochs[-1]["loss"] < h.epochs[0]["loss"]
    assert not np.allclose(stack.encoders[0].weight.data, first_before)
    mlp = stack.to_mlp(num_classes=10)
    hidden = [m for m in mlp.layers if isinstance(m, nn.Linear)]
    np.testing.assert_array_equal(hidden[0].weight.data, stack.encoders[0].weight.data)
    np.testing.assert_array_equal(hidden[1].bias.data, stack.encoders[1].bias.data)
    with no_grad():  # the MLP's second hidden layer computes the stack's top codes
        top = mlp.layers[:-1](Tensor(x[:5].reshape(5, -1))).numpy()
    np.testing.assert_allclose(top, stack.transform(x[:5]), rtol=1e-5, atol=1e-6)


def test_pretrain_and_finetune_is_one_call(digits):
    x, y = digits
    manabu.manual_seed(0)
    mlp, history = models.pretrain_and_finetune(
        models.StackedAutoencoder(sizes=(784, 64, 32)), x, (x[:100], y[:100]),
        pretrain_epochs=1, finetune_epochs=10, batch_size=20, val_data=(x[300:], y[300:]),
        verbose=0)
    assert isinstance(mlp, models.MLP)
    assert history.epochs[-1]["val_accuracy"] > 0.4


def test_autoencoders_save_and_load(assert_round_trip):
    for model in (models.Autoencoder(hidden_sizes=(8,), latent_dim=2),
                  models.ConvAutoencoder(channels=(2,), latent_dim=3, image_size=8),
                  models.StackedAutoencoder(sizes=(12, 6, 3))):
        assert_round_trip(model)


def test_autoencoder_errors_name_the_fix():
    with pytest.raises(ValueError, match="latent_dim must be at least 1"):
        models.Autoencoder(latent_dim=0)
    with pytest.raises(ValueError, match="code_activation='sigmoid'"):
        models.Autoencoder(sparsity="kl")
    with pytest.raises(ValueError, match="sparsity must be"):
        models.Autoencoder(sparsity="l2")
    with pytest.raises(ValueError, match=r"expected inputs \(N, 1, 28, 28\) or \(N, 784\)"):
        models.Autoencoder(hidden_sizes=(4,))(np.zeros((2, 100), dtype=np.float32))
    with pytest.raises(ValueError, match="divisible by"):
        models.ConvAutoencoder(image_size=30)
    with pytest.raises(ValueError, match="latent_dim must be at least 1"):
        models.ConvAutoencoder(latent_dim=0)
    with pytest.raises(ValueError, match="'bce' or 'mse'"):
        models.AutoencoderLoss(reconstruction="l1")
