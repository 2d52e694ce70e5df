"""nn.utils.spectral_norm against torch.nn.utils.spectral_norm (float64, the same weights
and the same u, v): outputs, the power-iteration buffers, every gradient, over several
training steps and in eval mode; the largest singular value it converges to; removal;
the errors."""

import numpy as np
import pytest
import torch

import manabu
from manabu import nn, optim


def twins(make_manabu, make_torch, **options):
    manabu.manual_seed(0)
    manabu.set_default_dtype(np.float64)
    try:
        layer = nn.utils.spectral_norm(make_manabu(), **options)
    finally:
        manabu.set_default_dtype(np.float32)
    torch.manual_seed(0)
    t_layer = torch.nn.utils.spectral_norm(make_torch().double(), **options)
    t_layer.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in layer.state_dict().items()})
    return layer, t_layer


CASES = {
    "linear": (lambda: nn.Linear(5, 4), lambda: torch.nn.Linear(5, 4), (3, 5)),
    "conv2d": (lambda: nn.Conv2d(2, 3, 3), lambda: torch.nn.Conv2d(2, 3, 3), (2, 2, 5, 5)),
    "conv_transpose2d": (lambda: nn.ConvTranspose2d(3, 2, 3, stride=2),
                         lambda: torch.nn.ConvTranspose2d(3, 2, 3, stride=2), (2, 3, 4, 4)),
}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("n_power_iterations", [1, 3])
def test_training_steps_and_eval_equal_pytorch(case, n_power_iterations):
    make_manabu, make_torch, shape = CASES[case]
    layer, t_layer = twins(make_manabu, make_torch, n_power_iterations=n_power_iterations)
    assert sorted(layer.state_dict()) == sorted(t_layer.state_dict())
    opt = optim.SGD(layer.parameters(), lr=0.1)
    t_opt = torch.optim.SGD(t_layer.parameters(), lr=0.1)
    rng = np.random.default_rng(1)
    for _ in range(3):
        x = rng.standard_normal(shape)
        y = layer(x)
        t_y = t_layer(torch.from_numpy(x))
        np.testing.assert_allclose(y.numpy(), t_y.detach().numpy(), rtol=1e-10, atol=1e-12)
        (y * y).sum().backward()
        (t_y * t_y).sum().backward()
        t_params = dict(t_layer.named_parameters())
        for name, p in layer.named_parameters():
            np.testing.assert_allclose(p.grad.numpy(), t_params[name].grad.numpy(),
                                       rtol=1e-9, atol=1e-12, err_msg=name)
        opt.step()
        t_opt.step()
        opt.zero_grad()
        t_opt.zero_grad()
    for key in ("weight_u", "weight_v"):
        np.testing.assert_allclose(layer.state_dict()[key], t_layer.state_dict()[key].numpy(),
                                   rtol=1e-10)
    layer.eval()
    t_layer.eval()
    u_before = layer.weight_u.numpy().copy()
    x = rng.standard_normal(shape)
    np.testing.assert_allclose(layer(x).numpy(), t_layer(torch.from_numpy(x)).detach().numpy(),
                               rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(layer.weight_u.numpy(), u_before)  # eval: no iteration


def test_power_iteration_finds_the_largest_singular_value():
    manabu.manual_seed(3)
    layer = nn.utils.spectral_norm(nn.Linear(30, 20), n_power_iterations=5)
    original = layer.weight_orig.numpy().copy()
    for _ in range(20):
        layer(np.zeros((1, 30), dtype=np.float32))
    top = np.linalg.svd(original, compute_uv=False)[0]
    np.testing.assert_allclose(layer.weight.numpy(), original / top, rtol=1e-4, atol=1e-6)
    assert np.linalg.norm(layer.weight.numpy(), 2) == pytest.approx(1.0, abs=1e-4)


def test_remove_spectral_norm_keeps_the_normalised_weight():
    layer = nn.utils.spectral_norm(nn.Linear(6, 4))
    layer(np.zeros((1, 6), dtype=np.float32))
    normalised = layer.weight.numpy().copy()
    nn.utils.remove_spectral_norm(layer)
    assert sorted(layer.state_dict()) == ["bias", "weight"]
    assert isinstance(layer.weight, nn.Parameter)
    np.testing.assert_allclose(layer.weight.numpy(), normalised, rtol=1e-6)
    x = np.ones((2, 6), dtype=np.float32)
    np.testing.assert_allclose(layer(x).numpy(), x @ normalised.T + layer.bias.numpy(),
                               rtol=1e-5)


def test_spectral_norm_errors():
    with pytest.raises(ValueError, match="n_power_iterations must be at least 1"):
        nn.utils.spectral_norm(nn.Linear(2, 2), n_power_iterations=0)
    with pytest.raises(ValueError, match="no parameter 'kernel'"):
        nn.utils.spectral_norm(nn.Linear(2, 2), name="kernel")
    layer = nn.utils.spectral_norm(nn.Linear(2, 2))
    with pytest.raises(RuntimeError, match="already spectrally normalised"):
        nn.utils.spectral_norm(layer)
    with pytest.raises(ValueError, match="is not spectrally normalised"):
        nn.utils.remove_spectral_norm(nn.Linear(2, 2))
