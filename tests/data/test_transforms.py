"""Tests for manabu.data.transforms (data augmentation) and the batched ops behind them."""

import numpy as np
import pytest

import manabu
from manabu.data import (
    ColorJitter, Compose, Cutout, DataLoader, Dataset, GaussianNoise, Normalize, RandomAffine,
    RandomCrop, RandomErasing, RandomHorizontalFlip, RandomRotation, RandomVerticalFlip,
    Subset, TensorDataset, TransformDataset, mixup,
)
from manabu.data import transform_ops as ops


def images(n=4, c=2, h=9, w=9, seed=0):
    return np.random.default_rng(seed).random((n, c, h, w)).astype(np.float32)


def rng(seed=0):
    return np.random.default_rng(seed)


def ramp(n, h, w, along="cols"):
    """Images whose value is the column (or row) index: bilinear interpolation reproduces a
    linear function exactly, so any affine map has a known answer away from the borders."""
    rows, cols = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
    values = cols if along == "cols" else rows
    return np.broadcast_to(values, (n, 1, h, w)).astype(np.float64).copy()


ALL_RANDOM = [
    lambda g: RandomHorizontalFlip(0.5, generator=g),
    lambda g: RandomVerticalFlip(0.5, generator=g),
    lambda g: RandomRotation(30, generator=g),
    lambda g: RandomAffine(15, translate=(0.2, 0.1), scale=(0.8, 1.2), generator=g),
    lambda g: RandomCrop(9, padding=3, generator=g),
    lambda g: RandomCrop((5, 7), generator=g),
    lambda g: RandomErasing(p=0.7, value="random", generator=g),
    lambda g: Cutout(4, p=0.8, generator=g),
    lambda g: GaussianNoise(0.2, generator=g),
    lambda g: ColorJitter(0.5, 0.5, generator=g),
]


# ------------------------------------------------------------------------------- flips
def test_flips_are_exact():
    x = images()
    np.testing.assert_array_equal(RandomHorizontalFlip(p=1.0)(x), x[..., ::-1])
    np.testing.assert_array_equal(RandomVerticalFlip(p=1.0)(x), x[..., ::-1, :])
    np.testing.assert_array_equal(RandomHorizontalFlip(p=0.0)(x), x)
    np.testing.assert_array_equal(RandomHorizontalFlip(p=1.0)(x[0]), x[0, :, :, ::-1])


def test_flip_draws_one_coin_per_image():
    x = images(n=200, c=1, h=3, w=3)
    out = RandomHorizontalFlip(p=0.5, generator=rng(1))(x)
    flipped = np.array([np.array_equal(o, xi[..., ::-1]) for o, xi in zip(out, x)])
    kept = np.array([np.array_equal(o, xi) for o, xi in zip(out, x)])
    assert np.all(flipped ^ kept)  # each image is exactly one of the two
    expected = rng(1).random(200) < 0.5
    np.testing.assert_array_equal(flipped, expected)


# ----------------------------------------------------------------- rotation and affine
@pytest.mark.parametrize("k", [1, 2, 3, -1])
def test_rotation_by_multiples_of_90_degrees_is_rot90(k):
    x = images(h=8, w=8)
    out = RandomRotation(degrees=(90.0 * k, 90.0 * k))(x)
    np.testing.assert_allclose(out, np.rot90(x, k=k, axes=(-2, -1)), atol=1e-6)
    np.testing.assert_allclose(ops.rotate(x, 90.0 * k), np.rot90(x, k=k, axes=(-2, -1)),
                               atol=1e-6)


def test_rotation_by_90_degrees_of_a_wide_image_matches_rot90_inside():
    x = images(n=2, c=1, h=6, w=10)
    out = ops.rotate(x, 90.0)  # same 6x10 canvas: the turned image is 10 tall, 6 wide
    turned = np.rot90(x, axes=(-2, -1))  # (2, 1, 10, 6)
    # the canvas' columns 2..7 hold the turned image's columns 0..5, rows 2..7 of its 10
    np.testing.assert_allclose(out[..., :, 2:8], turned[..., 2:8, :], atol=1e-6)


def test_zero_rotation_and_unit_scale_are_the_identity():
    x = images()
    np.testing.assert_array_equal(RandomRotation(0)(x), x)
    np.testing.assert_array_equal(RandomAffine(0, scale=(1.0, 1.0))(x), x)
    np.testing.assert_array_equal(ops.affine(x), x)


def test_bilinear_rotation_and_scaling_of_a_ramp_are_exact_inside():
    x = ramp(3, 15, 15)
    angles = np.array([10.0, -25.0, 37.0])
    scales = np.array([1.0, 1.3, 0.9])
    out = ops.affine(x, angle=angles, scale=scales)
    # inverse map: the output pixel (r, c) reads column (cos*u - sin*v)/s + 7, u = c-7, v = r-7
    r, c = np.meshgrid(np.arange(15) - 7.0, np.arange(15) - 7.0, indexing="ij")
    for i, (angle, s) in enumerate(zip(np.deg2rad(angles), scales)):
        expected = (np.cos(angle) * c - np.sin(angle) * r) / s + 7
        inside = (np.abs(r) <= 4) & (np.abs(c) <= 4)  # away from the border
        np.testing.assert_allclose(out[i, 0][inside], expected[inside], atol=1e-9)


def test_scale_two_zooms_into_the_centre():
    x = ramp(1, 9, 9, along="rows")
    out = ops.affine(x, scale=2.0)
    np.testing.assert_allclose(out[0, 0, :, 4], (np.arange(9) - 4) / 2 + 4)


def test_integer_translation_shifts_and_fills():
    x = images(n=2, c=1, h=7, w=8)
    out = ops.affine(x, translate=(2.0, -1.0), fill=-5.0)  # 2 right, 1 up
    np.testing.assert_array_equal(out[..., :-1, 2:], x[..., 1:, :-2])
    assert np.all(out[..., :, :2] == -5.0) and np.all(out[..., -1, :] == -5.0)


def test_random_affine_stays_in_its_ranges():
    t = RandomAffine(degrees=(5, 10), translate=(0.25, 0.5), scale=(0.5, 0.75))
    params = t.get_params((500, 1, 8, 12), rng(0))
    assert np.all((params["angle"] >= 5) & (params["angle"] <= 10))
    assert np.all((params["scale"] >= 0.5) & (params["scale"] <= 0.75))
    assert np.abs(params["translate"][:, 0]).max() <= 3.0  # 0.25 * width 12
    assert np.abs(params["translate"][:, 1]).max() <= 4.0  # 0.5 * height 8
    assert np.abs(params["translate"][:, 1]).max() > 3.5  # and they use them


# -------------------------------------------------------------------------------- crop
def test_random_crop_with_padding_shape_and_content():
    x = images(n=6, c=2, h=10, w=10)
    t = RandomCrop(10, padding=3, fill=0.0)
    params = t.get_params(x.shape, rng(4))
    out = t.apply(x, params)
    assert out.shape == x.shape
    padded = np.pad(x, ((0, 0), (0, 0), (3, 3), (3, 3)))
    for i in range(6):
        top, left = params["top"][i], params["left"][i]
        np.testing.assert_array_equal(out[i], padded[i, :, top:top + 10, left:left + 10])
    assert params["top"].min() >= 0 and params["top"].max() <= 6


def test_random_crop_sizes_and_padding_forms():
    x = images(n=3, c=1, h=8, w=12)
    assert RandomCrop((5, 7))(x).shape == (3, 1, 5, 7)
    assert RandomCrop(12, padding=(0, 2))(x).shape == (3, 1, 12, 12)  # (left/right, top/bottom)
    np.testing.assert_array_equal(RandomCrop((8, 12))(x), x)  # a crop of the whole image
    with pytest.raises(ValueError, match="does not fit"):
        RandomCrop(9)(x)


# --------------------------------------------------------------------- erasing, cutout
def test_random_erasing_hides_a_rectangle_of_the_asked_size():
    x = np.ones((300, 1, 32, 32), dtype=np.float32)
    out = RandomErasing(p=1.0, scale=(0.1, 0.2), ratio=(0.5, 2.0), value=0.0,
                        generator=rng(0))(x)
    hidden = out[:, 0] == 0
    fraction = hidden.mean(axis=(1, 2))
    area = 32 * 32
    assert fraction.min() >= 0.1 - 12 / area and fraction.max() <= 0.2 + 12 / area  # rounding
    assert fraction.max() - fraction.min() > 0.05  # spread over the range
    for mask in hidden[:20]:  # a rectangle: it fills its own bounding box
        r = np.flatnonzero(mask.any(axis=1))
        c = np.flatnonzero(mask.any(axis=0))
        assert mask[r[0]:r[-1] + 1, c[0]:c[-1] + 1].all()
        assert mask.sum() == len(r) * len(c)


def test_random_erasing_probability_and_values():
    x = np.ones((400, 1, 16, 16), dtype=np.float32)
    erased = (RandomErasing(p=0.5, generator=rng(2))(x) < 1).any(axis=(1, 2, 3))
    assert 0.4 < erased.mean() < 0.6
    np.testing.assert_array_equal(RandomErasing(p=0.0)(x), x)
    out = RandomErasing(p=1.0, value="random", generator=rng(3))(x)
    changed = out[out != 1]
    assert changed.size > 0 and changed.min() >= 0 and changed.max() < 1


def test_cutout_square_is_cut_at_the_border():
    x = np.ones((200, 3, 20, 20), dtype=np.float32)
    t = Cutout(6, p=1.0, value=0.5, generator=rng(0))
    params = t.get_params(x.shape, rng(0))
    out = t.apply(x, params)
    hidden = (out[:, 0] == 0.5).sum(axis=(1, 2))
    centre_r = params["top"] + 3
    centre_c = params["left"] + 3
    away = (centre_r >= 3) & (centre_r <= 16) & (centre_c >= 3) & (centre_c <= 16)
    assert np.all(hidden[away] == 36) and np.all(hidden <= 36) and hidden[~away].min() >= 9
    assert np.all(out[:, 1] == out[:, 0])  # every channel of the square


# ------------------------------------------------------------------ intensity transforms
def test_gaussian_noise_statistics_and_clip():
    x = np.full((50, 1, 20, 20), 0.5, dtype=np.float32)
    noise = GaussianNoise(std=0.1, generator=rng(0))(x) - x
    assert abs(noise.mean()) < 0.005 and abs(noise.std() - 0.1) < 0.005
    clipped = GaussianNoise(std=1.0, clip=(0.0, 1.0))(x)
    assert clipped.min() == 0.0 and clipped.max() == 1.0


def test_color_jitter_brightness_and_contrast():
    x = images(n=5, c=1) * 0.5 + 0.25  # in [0.25, 0.75]
    t = ColorJitter(brightness=0.2, contrast=0.0, clip=None)
    params = t.get_params(x.shape, rng(0))
    out = t.apply(x, params)
    np.testing.assert_allclose(out, x * params["brightness"][:, None, None, None], rtol=1e-6)
    out = ops.adjust_contrast(x, np.array([0.0, 0.5, 1.0, 1.5, 2.0]), clip=None)
    np.testing.assert_allclose(out.mean(axis=(1, 2, 3)), x.mean(axis=(1, 2, 3)), atol=1e-6)
    np.testing.assert_allclose(out[0], x[0].mean(), atol=1e-6)  # contrast 0: flat grey
    np.testing.assert_allclose(out[2], x[2], atol=1e-6)
    np.testing.assert_allclose(out[4].std(), 2 * x[4].std(), rtol=1e-5)
    assert ColorJitter(brightness=3.0)(x).max() <= 1.0


def test_normalize_per_channel():
    x = images(n=100, c=3, h=6, w=6)
    mean = x.mean(axis=(0, 2, 3))
    std = x.std(axis=(0, 2, 3))
    out = Normalize(mean, std)(x)
    np.testing.assert_allclose(out.mean(axis=(0, 2, 3)), 0, atol=1e-5)
    np.testing.assert_allclose(out.std(axis=(0, 2, 3)), 1, atol=1e-5)
    with pytest.raises(ValueError, match="std"):
        Normalize(0.5, 0.0)(x)


# ----------------------------------------------------- reproducibility and batch use
@pytest.mark.parametrize("make", ALL_RANDOM)
def test_same_seed_same_result_and_a_new_draw_differs(make):
    x = images(n=8, h=9, w=9)
    first = make(rng(7))(x)
    np.testing.assert_array_equal(make(rng(7))(x), first)
    t = make(None)  # the global generator
    manabu.manual_seed(3)
    a = t(x)
    manabu.manual_seed(3)
    np.testing.assert_array_equal(t(x), a)
    assert not np.array_equal(t(x), a)  # the generator moved on: new parameters


@pytest.mark.parametrize("make", ALL_RANDOM)
def test_a_batch_equals_its_images_one_at_a_time(make):
    x = images(n=5, h=9, w=9)
    t = make(None)
    params = t.get_params(x.shape, rng(5))
    batch = t.apply(x, params)
    for i in range(5):
        one = {key: value[i:i + 1] for key, value in params.items()}
        np.testing.assert_allclose(t.apply(x[i:i + 1], one)[0], batch[i], atol=1e-6)
    # a single image (C, H, W) is a batch of one
    np.testing.assert_array_equal(make(rng(9))(x[0]), make(rng(9))(x[:1])[0])


def test_compose_applies_in_order_and_keeps_dtype():
    x = images(n=3)
    t = Compose([RandomHorizontalFlip(1.0), Normalize(0.5, 0.5)])
    np.testing.assert_allclose(t(x), (x[..., ::-1] - 0.5) / 0.5, atol=1e-6)
    composed = Compose([RandomAffine(10, (0.1, 0.1), (0.9, 1.1)), RandomErasing(),
                        RandomCrop(9, padding=2), ColorJitter(0.2, 0.2), GaussianNoise(0.05)])
    out = composed(x)
    assert out.shape == x.shape and out.dtype == np.float32
    assert composed(x[0]).shape == x[0].shape


def test_transforms_reject_flat_inputs_and_bad_generators():
    with pytest.raises(ValueError, match="flatten=False"):
        RandomRotation(10)(np.zeros((4, 784), dtype=np.float32))
    with pytest.raises(TypeError, match="np.random.Generator"):
        RandomRotation(10, generator=0)


# ------------------------------------------------------------------------------- mixup
def test_mixup_is_a_convex_combination_of_pairs():
    n = 8
    x = images(n=n, c=1, h=4, w=4)
    y = np.eye(10, dtype=np.float32)[np.arange(n)]  # distinct classes reveal the pairs
    x_mix, y_mix = mixup(x, y, alpha=0.4, generator=rng(0))
    assert x_mix.shape == x.shape and y_mix.shape == y.shape
    np.testing.assert_allclose(y_mix.sum(axis=1), 1.0, atol=1e-6)
    lam = rng(0).beta(0.4, 0.4)
    for i in range(n):
        partner = int(np.argmax(np.where(np.arange(10) == i, -1, y_mix[i])))
        if y_mix[i, i] > 1 - 1e-6:
            partner = i  # paired with itself
        np.testing.assert_allclose(y_mix[i, i] + (partner != i) * y_mix[i, partner], 1, atol=1e-6)
        weight = y_mix[i, i]
        assert weight == pytest.approx(lam, abs=1e-6) or weight == pytest.approx(1.0, abs=1e-6)
        expected = weight * x[i] + (1 - weight) * x[partner]
        np.testing.assert_allclose(x_mix[i], expected, atol=1e-6)


def test_mixup_integer_labels():
    x = images(n=6)
    labels = np.array([0, 1, 2, 0, 1, 2])
    _, y_mix = mixup(x, labels, alpha=1.0, num_classes=3, generator=rng(1))
    assert y_mix.shape == (6, 3) and np.allclose(y_mix.sum(axis=1), 1.0)
    with pytest.raises(ValueError, match="num_classes"):
        mixup(x, labels)


# --------------------------------------------------------------- in a DataLoader
class CountingTensorDataset(TensorDataset):
    items = 0
    batches = 0

    def __getitem__(self, index):
        CountingTensorDataset.items += 1
        return super().__getitem__(index)

    def get_batch(self, indices):
        CountingTensorDataset.batches += 1
        return super().get_batch(indices)


class PlainDataset(Dataset):
    def __init__(self, x, y):
        self.x, self.y = x, y

    def __getitem__(self, index):
        return self.x[index], int(self.y[index])

    def __len__(self):
        return len(self.y)


def test_transform_dataset_fetches_and_transforms_whole_batches():
    x = images(n=10, c=1, h=6, w=6)
    y = np.arange(10)
    base = CountingTensorDataset(x, y)
    CountingTensorDataset.items = CountingTensorDataset.batches = 0
    data = TransformDataset(base, RandomHorizontalFlip(p=1.0))
    batches = list(DataLoader(data, batch_size=4, shuffle=True, seed=0))
    assert CountingTensorDataset.items == 0 and CountingTensorDataset.batches == 3
    assert [tuple(b[0].shape) for b in batches] == [(4, 1, 6, 6), (4, 1, 6, 6), (2, 1, 6, 6)]
    for xb, yb in batches:
        np.testing.assert_array_equal(xb.numpy(), x[yb.numpy()][..., ::-1])
    assert data[3][0].shape == (1, 6, 6) and data[3][1] == 3


def test_transform_dataset_on_subsets_and_plain_datasets():
    x = images(n=10, c=1, h=6, w=6)
    y = np.arange(10)
    subset = Subset(TensorDataset(x, y), [9, 7, 5, 3, 1])
    data = Subset(TransformDataset(subset, RandomVerticalFlip(p=1.0)), [4, 0])
    xb, yb = next(iter(DataLoader(data, batch_size=2)))
    np.testing.assert_array_equal(yb.numpy(), [1, 9])
    np.testing.assert_array_equal(xb.numpy(), x[[1, 9]][..., ::-1, :])
    plain = TransformDataset(PlainDataset(x, y), RandomVerticalFlip(p=1.0))
    xb, yb = next(iter(DataLoader(plain, batch_size=3)))
    np.testing.assert_array_equal(xb.numpy(), x[:3][..., ::-1, :])
    assert yb.numpy().dtype == np.int64


def test_transform_dataset_gives_new_versions_every_epoch():
    x = images(n=8, c=1, h=8, w=8)
    data = TransformDataset(TensorDataset(x, np.arange(8)),
                            RandomRotation(30, generator=rng(0)))
    loader = DataLoader(data, batch_size=8)
    first = next(iter(loader))[0].numpy()
    second = next(iter(loader))[0].numpy()
    assert not np.allclose(first, second)
