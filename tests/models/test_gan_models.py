"""GAN models: manabu's DCGAN pair equals its PyTorch twin (float64, copied weights,
outputs and every parameter gradient, conditional and spectral-norm forms too); MLP pair
shapes; a conditional model refuses missing or out-of-range labels; save/load."""

import numpy as np
import pytest
import torch

import manabu
from manabu import models, nn
from manabu.models.gan_torch import torch_dcgan_discriminator, torch_dcgan_generator
from oracle import build_in_float64


def _compare(ours, theirs, inputs, labels):
    """Forward (training mode) and the gradients of sum(out * r), r fixed."""
    out = ours(manabu.tensor(inputs), labels)
    t_labels = None if labels is None else torch.from_numpy(labels)
    t_out = theirs(torch.from_numpy(inputs), t_labels)
    np.testing.assert_allclose(out.numpy(), t_out.detach().numpy(), rtol=1e-9, atol=1e-10)
    r = np.random.default_rng(3).standard_normal(out.shape)
    (out * manabu.tensor(r)).sum().backward()
    (t_out * torch.from_numpy(r)).sum().backward()
    t_params = dict(theirs.named_parameters())
    names = [name for name, _ in ours.named_parameters()]
    assert sorted(names) == sorted(t_params)
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), t_params[name].grad.numpy(), rtol=1e-8,
                                   atol=1e-10, err_msg=name)


@pytest.mark.parametrize("num_classes", [0, 10])
def test_dcgan_generator_equals_its_pytorch_twin(num_classes):
    G = build_in_float64(lambda: models.DCGANGenerator(latent_dim=6, width=4, num_classes=num_classes,
                                               embed_dim=3))
    twin = nn.copy_to_torch(G, torch_dcgan_generator(G).double())
    z = np.random.default_rng(1).standard_normal((5, 6))
    labels = np.array([0, 3, 9, 3, 1]) if num_classes else None
    _compare(G, twin, z, labels)
    images = G(manabu.tensor(z), labels).numpy()
    assert images.shape == (5, 1, 28, 28) and np.abs(images).max() <= 1


@pytest.mark.parametrize("num_classes, norm, spectral",
                         [(0, "batch", False), (10, "none", False), (0, "none", True),
                          (10, "batch", True)])
def test_dcgan_discriminator_equals_its_pytorch_twin(num_classes, norm, spectral):
    D = build_in_float64(lambda: models.DCGANDiscriminator(width=3, num_classes=num_classes,
                                                   norm=norm, spectral=spectral))
    twin = nn.copy_to_torch(D, torch_dcgan_discriminator(D).double())
    x = np.random.default_rng(2).uniform(-1, 1, (4, 1, 28, 28))
    labels = np.array([2, 2, 7, 0]) if num_classes else None
    _compare(D, twin, x, labels)
    if spectral:  # both ran one power iteration from the same u: the same state
        theirs = twin.state_dict()
        for key, value in D.state_dict().items():
            np.testing.assert_allclose(np.asarray(value), theirs[key].numpy(), rtol=1e-9,
                                       atol=1e-12, err_msg=key)


def test_mlp_pair_shapes_and_conditioning():
    G = models.MLPGenerator(latent_dim=3, out_shape=(1, 4, 4), hidden_sizes=(8,),
                            num_classes=5, tanh=True)
    D = models.MLPDiscriminator(in_shape=(1, 4, 4), hidden_sizes=(8,), num_classes=5,
                                spectral=True)
    z = np.zeros((6, 3), np.float32)
    labels = np.arange(6) % 5
    x = G(z, labels)
    assert x.shape == (6, 1, 4, 4)
    assert D(x, labels).shape == (6,)
    # the label changes the output: it is really used
    assert not np.allclose(G(z, np.zeros(6, int)).numpy(), G(z, np.ones(6, int)).numpy())


def test_bad_input_gets_a_clear_error():
    G = models.DCGANGenerator(latent_dim=4, width=2, num_classes=10)
    with pytest.raises(ValueError, match=r"conditional \(num_classes=10\); pass labels"):
        G(np.zeros((2, 4), np.float32))
    with pytest.raises(ValueError, match=r"labels must be \(N,\) = \(2,\) ints in \[0, 10\)"):
        G(np.zeros((2, 4), np.float32), np.array([0, 10]))
    with pytest.raises(ValueError, match=r"z must be \(N, latent_dim\) = \(N, 4\)"):
        G(np.zeros((2, 5), np.float32), np.array([0, 1]))
    D = models.DCGANDiscriminator(width=2)
    with pytest.raises(ValueError, match=r"labels given to an unconditional model"):
        D(np.zeros((1, 1, 28, 28), np.float32), np.array([1]))
    with pytest.raises(ValueError, match=r"x must be \(N, \*\(1, 28, 28\)\)"):
        D(np.zeros((1, 1, 32, 32), np.float32))
    with pytest.raises(ValueError, match=r"image_size must be a multiple of 4"):
        models.DCGANDiscriminator(image_size=30)
    with pytest.raises(ValueError, match=r"norm must be one of"):
        models.DCGANDiscriminator(norm="layer")


def test_save_and_load_round_trip(assert_round_trip):
    assert_round_trip(models.DCGANGenerator(latent_dim=4, width=2, num_classes=3))
    assert_round_trip(models.DCGANDiscriminator(width=2, spectral=True))
    assert_round_trip(models.MLPGenerator(latent_dim=2, num_classes=2))


def test_sample_generator_is_reproducible_and_in_eval_mode():
    G = models.DCGANGenerator(latent_dim=4, width=2)
    a = models.sample_generator(G, 5, seed=3)
    b = models.sample_generator(G, 5, seed=3, batch_size=2)
    np.testing.assert_allclose(a, b, atol=1e-6)
    assert G.training and a.shape == (5, 1, 28, 28)
