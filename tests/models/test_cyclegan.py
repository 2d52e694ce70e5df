"""CycleGAN: the ResNet generator and the PatchGAN discriminator against PyTorch twins
built from torch.nn layers (ReflectionPad2d + Conv2d, as the official code writes them;
float64, outputs and parameter gradients), the patch map's size, the losses by hand, the
image pool's rules, a short training run on toy domains, the NaN stops and the errors."""

import numpy as np
import pytest
import torch

import manabu
from manabu import nn, train
from manabu.models import (
    CycleGAN, ImagePool, PatchDiscriminator, ResnetGenerator, train_cyclegan, translate,
)
from oracle import build_in_float64


class _TorchResBlock(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        self.block = torch.nn.Sequential(
            torch.nn.ReflectionPad2d(1), torch.nn.Conv2d(c, c, 3), torch.nn.InstanceNorm2d(c),
            torch.nn.ReLU(), torch.nn.ReflectionPad2d(1), torch.nn.Conv2d(c, c, 3),
            torch.nn.InstanceNorm2d(c))

    def forward(self, x):
        return x + self.block(x)


def _torch_generator(cin, cout, width, n_blocks, n_down):
    t = torch.nn
    layers = [t.ReflectionPad2d(3), t.Conv2d(cin, width, 7), t.InstanceNorm2d(width), t.ReLU()]
    c = width
    for _ in range(n_down):
        layers += [t.Conv2d(c, 2 * c, 3, stride=2, padding=1), t.InstanceNorm2d(2 * c), t.ReLU()]
        c *= 2
    layers += [_TorchResBlock(c) for _ in range(n_blocks)]
    for _ in range(n_down):
        layers += [t.ConvTranspose2d(c, c // 2, 3, stride=2, padding=1, output_padding=1),
                   t.InstanceNorm2d(c // 2), t.ReLU()]
        c //= 2
    layers += [t.ReflectionPad2d(3), t.Conv2d(c, cout, 7), t.Tanh()]
    return t.Sequential(*layers).double()


def _torch_discriminator(cin, width, n_layers):
    t = torch.nn
    layers = [t.Conv2d(cin, width, 4, stride=2, padding=1), t.LeakyReLU(0.2)]
    c = width
    for k in range(1, n_layers):
        out = width * min(2 ** k, 8)
        layers += [t.Conv2d(c, out, 4, stride=2, padding=1), t.InstanceNorm2d(out),
                   t.LeakyReLU(0.2)]
        c = out
    layers.append(t.Conv2d(c, 1, 4, stride=1, padding=1))
    return t.Sequential(*layers).double()


def _copy_in_order(ours, theirs):
    """The twins hold the same parameters in the same order (the pads have none)."""
    pairs = list(zip(ours.parameters(), theirs.parameters(), strict=True))
    with torch.no_grad():
        for p, q in pairs:
            assert tuple(p.shape) == tuple(q.shape)
            q.copy_(torch.from_numpy(p.numpy()))
    return pairs


@pytest.mark.parametrize("kind", ["generator", "discriminator"])
def test_forward_and_gradients_equal_pytorch(kind):
    if kind == "generator":
        ours = build_in_float64(lambda: ResnetGenerator(2, 3, width=4, n_blocks=2, n_down=2))
        theirs = _torch_generator(2, 3, 4, 2, 2)
    else:
        ours = build_in_float64(lambda: PatchDiscriminator(2, width=4, n_layers=3))
        theirs = _torch_discriminator(2, 4, 3)
    for p in ours.parameters():  # non-zero biases, so that their gradients are tested too
        p.data[...] += np.random.default_rng(p.size).normal(0, 0.05, p.shape)
    pairs = _copy_in_order(ours, theirs)
    rng = np.random.default_rng(1)
    x = rng.uniform(-1, 1, (3, 2, 16, 16))
    y = ours(x)
    t_y = theirs(torch.from_numpy(x))
    assert y.shape == tuple(t_y.shape)
    np.testing.assert_allclose(y.numpy(), t_y.detach().numpy(), rtol=1e-10, atol=1e-12)
    weights = rng.standard_normal(y.shape)
    (y * manabu.tensor(weights)).sum().backward()
    (t_y * torch.from_numpy(weights)).sum().backward()
    for p, q in pairs:
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-8, atol=1e-11)


def test_shapes_for_28x28_digits():
    x = np.zeros((2, 1, 28, 28), np.float32)
    out = ResnetGenerator(width=4, n_blocks=1)(x)
    assert out.shape == (2, 1, 28, 28)
    D = PatchDiscriminator(width=4)
    assert D(x).shape == (2, 1, 6, 6) and D.receptive_field == 22
    assert PatchDiscriminator(width=4, n_layers=1)(x).shape == (2, 1, 13, 13)
    assert PatchDiscriminator(width=4, n_layers=1).receptive_field == 10


def _receptive_field_by_gradient(D, size, skip_norms):
    """How many input pixels move the centre logit: the receptive field, measured. An
    InstanceNorm's mean and variance are over the whole map, so the convolutions' field is
    measured with the norms skipped."""
    x = manabu.Tensor(np.random.default_rng(0).standard_normal((1, 1, size, size)),
                      requires_grad=True)
    y = x
    for layer in D.model:
        if not (skip_norms and isinstance(layer, nn.InstanceNorm2d)):
            y = layer(y)
    h, w = y.shape[2] // 2, y.shape[3] // 2
    y[0, 0, h, w].backward()
    rows, cols = np.nonzero(np.abs(x.grad.numpy()[0, 0]) > 0)
    return rows.max() - rows.min() + 1, cols.max() - cols.min() + 1


@pytest.mark.parametrize("n_layers", [1, 2, 3])
def test_the_documented_receptive_field_is_the_measured_one(n_layers):
    D = build_in_float64(lambda: PatchDiscriminator(width=2, n_layers=n_layers))
    assert _receptive_field_by_gradient(D, 64, True) == (D.receptive_field,) * 2
    if n_layers > 1:  # with the norms each logit depends on every pixel
        assert _receptive_field_by_gradient(D, 64, False) == (64, 64)


def _tiny_cyclegan(**options):
    G = lambda: ResnetGenerator(width=4, n_blocks=1, n_down=1)  # noqa: E731
    D = lambda: PatchDiscriminator(width=4, n_layers=1)  # noqa: E731
    return CycleGAN(G(), G(), D(), D(), **options)


def test_the_losses_equal_hand_computations():
    model = build_in_float64(lambda: _tiny_cyclegan(lambda_cycle=7.0, lambda_identity=0.3))
    rng = np.random.default_rng(2)
    a, b = rng.uniform(-1, 1, (4, 1, 8, 8)), rng.uniform(-1, 1, (4, 1, 8, 8))
    total, parts = model.generator_loss(a, b)
    with manabu.no_grad():
        f = lambda net, x: net(x).numpy()  # noqa: E731
        fake_b, fake_a = f(model.G_ab, a), f(model.G_ba, b)
        expected = {
            "adv_ab": np.mean((f(model.D_b, fake_b) - 1) ** 2),
            "adv_ba": np.mean((f(model.D_a, fake_a) - 1) ** 2),
            "cycle_a": np.mean(np.abs(f(model.G_ba, fake_b) - a)),
            "cycle_b": np.mean(np.abs(f(model.G_ab, fake_a) - b)),
            "identity_a": np.mean(np.abs(f(model.G_ba, a) - a)),
            "identity_b": np.mean(np.abs(f(model.G_ab, b) - b)),
        }
        real, fake = f(model.D_a, a), f(model.D_a, fake_a)
    assert list(parts) == list(expected)
    for key, value in expected.items():
        assert parts[key] == pytest.approx(value, rel=1e-12), key
    e = expected
    hand = e["adv_ab"] + e["adv_ba"] + 7.0 * (e["cycle_a"] + e["cycle_b"]) \
        + 7.0 * 0.3 * (e["identity_a"] + e["identity_b"])
    assert total.item() == pytest.approx(hand, rel=1e-12)
    d_loss = model.discriminator_loss(a, fake_a, model.D_a)
    assert d_loss.item() == pytest.approx(0.5 * np.mean((real - 1) ** 2)
                                          + 0.5 * np.mean(fake ** 2), rel=1e-12)
    # without the identity terms they are reported as 0 and left out of the total
    model.lambda_identity = 0.0
    total, parts = model.generator_loss(a, b)
    assert parts["identity_a"] == parts["identity_b"] == 0.0
    assert total.item() == pytest.approx(hand - 7.0 * 0.3 * (e["identity_a"] + e["identity_b"]),
                                         rel=1e-12)


def test_the_discriminator_loss_leaves_the_generator_alone():
    model = _tiny_cyclegan()
    a = np.zeros((2, 1, 8, 8), np.float32)
    fake_a = model.G_ba(a)
    model.discriminator_loss(a, fake_a, model.D_a).backward()
    assert all(p.grad is None for p in model.G_ba.parameters())
    assert all(p.grad is not None for p in model.D_a.parameters())


def _tagged(values):
    """Images (k, 1, 2, 2) whose constant value identifies them."""
    return np.asarray(values, np.float64)[:, None, None, None] * np.ones((1, 1, 2, 2))


def _tags(images):
    return sorted(images[:, 0, 0, 0].tolist())


def test_the_image_pool_fills_then_swaps_half():
    pool = ImagePool(size=4, generator=np.random.default_rng(0))
    first = _tagged([0, 1, 2])
    np.testing.assert_array_equal(pool.query(first), first)  # not full: returned and kept
    out = pool.query(_tagged([3]))
    np.testing.assert_array_equal(out, _tagged([3]))
    assert len(pool) == 4 and _tags(np.stack(pool.images)) == [0, 1, 2, 3]
    older, swapped = 0, 0
    for step in range(200):  # full: a returned image is the new one or one it replaced
        before = _tags(np.stack(pool.images))
        new = _tagged([100 + 2 * step, 101 + 2 * step])
        out = pool.query(new)
        after = _tags(np.stack(pool.images))
        assert sorted(before + _tags(new)) == sorted(after + _tags(out))
        assert len(pool) == 4
        older += sum(tag < 100 + 2 * step for tag in _tags(out))
        swapped += len(set(after) - set(before))
    assert 160 < older < 240 and older == swapped  # about half of the 400 queries
    # the state round trip
    copy = ImagePool(size=4)
    copy.load_state_dict(pool.state_dict())
    np.testing.assert_array_equal(np.stack(copy.images), np.stack(pool.images))
    with pytest.raises(ValueError, match="size"):
        ImagePool(size=3).load_state_dict(pool.state_dict())
    empty = ImagePool(size=0)
    np.testing.assert_array_equal(empty.query(first), first)
    assert len(empty) == 0 and ImagePool(size=2).state_dict()["images"].shape == (0,)


def _toy_domains(n=64, size=8, seed=0):
    """Squares (A) and discs (B), random sizes and places, in [-1, 1]."""
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[:size, :size]
    a = -np.ones((n, 1, size, size), np.float32)
    b = -np.ones((n, 1, size, size), np.float32)
    for i in range(n):
        r, c = rng.uniform(2.5, size - 3.5, 2)
        half = rng.uniform(1.2, 2.4)
        a[i, 0][(np.abs(rows - r) <= half) & (np.abs(cols - c) <= half)] = 1
        b[i, 0][(rows - r) ** 2 + (cols - c) ** 2 <= (half + 0.4) ** 2] = 1
    return a, b


def test_train_cyclegan_lowers_the_cycle_loss():
    manabu.manual_seed(0)
    model = _tiny_cyclegan()
    a, b = _toy_domains()
    seen = []
    history = train_cyclegan(model, a, b[:48], epochs=3, batch_size=8, lr=2e-3, seed=0,
                             verbose=0, decay_from=2, pool_size=10,
                             on_epoch_end=lambda epoch, h: seen.append(epoch))
    assert sorted(history) == sorted(["g_loss", "d_a", "d_b", "adv_ab", "adv_ba", "cycle",
                                      "identity", "lr", "time"])
    assert all(len(values) == 3 for values in history.values()) and seen == [1, 2, 3]
    assert all(np.isfinite(history[key]).all() for key in history)
    assert history["cycle"][-1] < 0.8 * history["cycle"][0]
    assert history["lr"] == pytest.approx([2e-3, 2e-3, 1e-3])  # 1 - 1/2 in the decay
    out = translate(model.G_ab, a[:5], batch_size=2)
    assert out.shape == (5, 1, 8, 8) and np.abs(out).max() <= 1 and model.G_ab.training


def test_train_cyclegan_is_reproducible():
    a, b = _toy_domains(16)
    runs = []
    for _ in range(2):
        manabu.manual_seed(3)
        model = _tiny_cyclegan()
        runs.append(train_cyclegan(model, a, b, epochs=1, batch_size=8, seed=5, verbose=0))
    assert runs[0]["g_loss"] == runs[1]["g_loss"] and runs[0]["d_b"] == runs[1]["d_b"]


def test_a_nan_stops_before_the_update_and_names_the_player():
    a, b = _toy_domains(16)
    model = _tiny_cyclegan()
    model.G_ab.model[0].weight.data[0, 0, 0, 0] = np.nan
    d_before = model.D_b.model[0].weight.numpy().copy()
    with pytest.raises(train.NonFiniteLossError, match="generators.*epoch 1, step 1"):
        train_cyclegan(model, a, b, epochs=1, batch_size=8, verbose=0)
    np.testing.assert_array_equal(model.D_b.model[0].weight.numpy(), d_before)

    model = _tiny_cyclegan()
    original = model.discriminator_loss

    def bad_for_d_a(real, fake, D):  # noqa: N803
        loss = original(real, fake, D)
        return loss * np.nan if D is model.D_a else loss

    object.__setattr__(model, "discriminator_loss", bad_for_d_a)
    with pytest.raises(train.NonFiniteLossError, match="D_a became nan at epoch 1, step 1"):
        train_cyclegan(model, a, b, epochs=1, batch_size=8, verbose=0)


def test_clear_errors():
    G = ResnetGenerator(width=2, n_blocks=1, n_down=2)
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        G(np.zeros((1, 28, 28), np.float32))
    with pytest.raises(ValueError, match="divisible by 4.*n_down"):
        G(np.zeros((1, 1, 30, 30), np.float32))
    with pytest.raises(ValueError, match="1 channel"):
        G(np.zeros((1, 3, 28, 28), np.float32))
    with pytest.raises(ValueError, match="too small"):
        PatchDiscriminator(n_layers=3)(np.zeros((1, 1, 8, 8), np.float32))
    with pytest.raises(ValueError, match="identity"):
        CycleGAN(ResnetGenerator(1, 3), ResnetGenerator(3, 1), PatchDiscriminator(1),
                 PatchDiscriminator(3))
    with pytest.raises(ValueError, match="domain B disagree"):
        CycleGAN(ResnetGenerator(1, 3), ResnetGenerator(3, 1), PatchDiscriminator(1),
                 PatchDiscriminator(1), lambda_identity=0)
    with pytest.raises(ValueError, match="whole number"):
        ResnetGenerator(width=0)
    model = _tiny_cyclegan()
    a, b = _toy_domains(8)
    with pytest.raises(ValueError, match=r"\[-1, 1\].*x \* 2 - 1"):
        train_cyclegan(model, (a + 1) * 2, b, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="1 channel"):
        train_cyclegan(model, np.repeat(a, 3, axis=1), b, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="decay_from"):
        train_cyclegan(model, a, b, epochs=2, decay_from=3, verbose=0)
