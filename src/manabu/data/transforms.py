"""Data augmentation (データ拡張, データの水増し): random, composable image transforms.

A transform takes one image (C, H, W) or a batch (N, C, H, W) of NumPy arrays and returns
an array of the same shape, with fresh random parameters for every image of the batch:

    augment = Compose([RandomAffine(degrees=10, scale=(0.9, 1.1), translate=(0.1, 0.1)),
                       RandomErasing(p=0.5, scale=(0.02, 0.1))])
    train = TransformDataset(TensorDataset(x_train, y_train), augment)
    loader = DataLoader(train, batch_size=100, shuffle=True, seed=0)

Each epoch then sees new versions of the training images: turned, scaled, shifted, cropped,
flipped, partly hidden (虫食い画像, RandomErasing / Cutout), noisier, brighter or darker.
The network learns that these changes do not change the class, which helps most when there
is little data. Only augment the training set, never the test set; and choose transforms
that keep the label (a flipped 3 is no digit; a flipped cat is still a cat).

Randomness: every transform takes ``generator`` (a ``np.random.Generator``); without one it
uses ``manabu.random.get_generator()``, so ``manabu.manual_seed(n)`` makes a run repeatable.
``get_params(shape, rng)`` draws the parameters of a batch and ``apply(x, params)`` uses
them, so a batch gives exactly what its images give one at a time with the same parameters.
The array operations themselves are in ``transform_ops``; ``TransformDataset`` is in
``transform_dataset``.
"""

import math

import numpy as np

from manabu import random
from manabu.data import transform_ops as ops

__all__ = [
    "ColorJitter", "Compose", "Cutout", "GaussianNoise", "Normalize", "RandomAffine",
    "RandomCrop", "RandomErasing", "RandomHorizontalFlip", "RandomRotation",
    "RandomVerticalFlip", "Transform", "mixup",
]


def _check_generator(generator, name):
    if generator is not None and not isinstance(generator, np.random.Generator):
        raise TypeError(f"{name}: generator must be a np.random.Generator or None, got "
                        f"{type(generator).__name__}")
    return generator


def _range(value, name, around=0.0, low=None):
    """(lo, hi) from a number d (meaning around - d .. around + d) or a pair."""
    if isinstance(value, (int, float)):
        if value < 0:
            raise ValueError(f"{name} must be non-negative when given as one number, got {value}")
        lo, hi = around - value, around + value
    else:
        lo, hi = (float(v) for v in value)
    if lo > hi or (low is not None and lo < low):
        raise ValueError(f"{name}: invalid range ({lo}, {hi})")
    return float(lo), float(hi)


class Transform:
    """Base class. Subclasses define ``get_params(shape, rng)`` (a dict of per-image
    parameters for a batch of ``shape`` (N, C, H, W)) and ``apply(x, params)`` on a batch;
    calling the transform does both, on one image or on a batch."""

    def __init__(self, generator=None):
        self.generator = _check_generator(generator, type(self).__name__)

    def rng(self):
        """This transform's generator, or manabu's global one."""
        return self.generator if self.generator is not None else random.get_generator()

    def get_params(self, shape, rng):
        return {}

    def apply(self, x, params):
        raise NotImplementedError(f"{type(self).__name__} must define apply")

    def __call__(self, x):
        batch, single = ops.as_batch(x, type(self).__name__)
        params = self.get_params(batch.shape, self.rng())
        out = self.apply(batch, params)
        return out[0] if single else out

    def extra_repr(self):
        return ""

    def __repr__(self):
        return f"{type(self).__name__}({self.extra_repr()})"


class Compose:
    """Apply ``transforms`` one after the other (each draws its own random parameters)."""

    def __init__(self, transforms):
        self.transforms = list(transforms)
        for t in self.transforms:
            if not callable(t):
                raise TypeError(f"Compose: {t!r} is not callable")

    def __call__(self, x):
        for t in self.transforms:
            x = t(x)
        return x

    def __repr__(self):
        inner = ",\n    ".join(repr(t) for t in self.transforms)
        return f"Compose([\n    {inner}\n])"


class RandomHorizontalFlip(Transform):
    """Mirror each image left-right with probability ``p`` (左右反転)."""

    def __init__(self, p=0.5, generator=None):
        super().__init__(generator)
        self.p = p

    def get_params(self, shape, rng):
        return {"flip": rng.random(shape[0]) < self.p}

    def apply(self, x, params):
        return ops.hflip(x, params["flip"])

    def extra_repr(self):
        return f"p={self.p}"


class RandomVerticalFlip(RandomHorizontalFlip):
    """Mirror each image upside down with probability ``p`` (上下反転)."""

    def apply(self, x, params):
        return ops.vflip(x, params["flip"])


class RandomAffine(Transform):
    """Rotate, scale and shift each image about its centre (アフィン変換), by random amounts:

    angle uniform in ``degrees`` (d means -d..d, counter-clockwise positive), scale uniform
    in ``scale`` = (lo, hi) (None: 1), shift uniform in -a*W..a*W and -b*H..b*H pixels for
    ``translate`` = (a, b) (None: no shift). Bilinear interpolation by inverse mapping (see
    ``transform_ops.affine``); pixels that come from outside the image get ``fill``.
    """

    def __init__(self, degrees=0.0, translate=None, scale=None, fill=0.0, generator=None):
        super().__init__(generator)
        self.degrees = _range(degrees, "RandomAffine: degrees")
        self.translate = None if translate is None else tuple(float(t) for t in translate)
        if self.translate is not None and not all(0 <= t <= 1 for t in self.translate):
            raise ValueError(f"RandomAffine: translate fractions must be in [0, 1], got "
                             f"{translate}")
        self.scale = None if scale is None else _range(scale, "RandomAffine: scale", low=1e-6)
        self.fill = fill

    def get_params(self, shape, rng):
        n, size = shape[0], shape[2:]
        angle = rng.uniform(self.degrees[0], self.degrees[1], n)
        translate = np.zeros((n, 2))
        if self.translate is not None:
            limits = np.array([self.translate[0] * size[1], self.translate[1] * size[0]])
            translate = rng.uniform(-limits, limits, (n, 2))  # (N, 2): dx, dy in pixels
        scale = np.ones(n)
        if self.scale is not None:
            scale = rng.uniform(self.scale[0], self.scale[1], n)
        return {"angle": angle, "scale": scale, "translate": translate}

    def apply(self, x, params):
        return ops.affine(x, params["angle"], params["scale"], params["translate"], self.fill)

    def extra_repr(self):
        return (f"degrees={self.degrees}, translate={self.translate}, scale={self.scale}, "
                f"fill={self.fill}")


class RandomRotation(RandomAffine):
    """Turn each image by an angle uniform in ``degrees`` (d means -d..d) about its centre
    (回転), counter-clockwise positive; bilinear interpolation, ``fill`` outside."""

    def __init__(self, degrees, fill=0.0, generator=None):
        super().__init__(degrees=degrees, fill=fill, generator=generator)


def _pair(value):
    if isinstance(value, (int, np.integer)):
        return int(value), int(value)
    h, w = value
    return int(h), int(w)


def _padding(padding):
    """(top, bottom, left, right) from an int, (left/right, top/bottom) or (l, t, r, b)."""
    if isinstance(padding, (int, np.integer)):
        return (int(padding),) * 4
    padding = tuple(int(p) for p in padding)
    if len(padding) == 2:
        return padding[1], padding[1], padding[0], padding[0]
    if len(padding) == 4:
        left, top, right, bottom = padding
        return top, bottom, left, right
    raise ValueError(f"RandomCrop: padding must be an int, 2 or 4 ints, got {padding}")


class RandomCrop(Transform):
    """Pad each image by ``padding`` pixels (an int, (left/right, top/bottom) or (left, top,
    right, bottom), as torchvision), then cut out a ``size`` window at a random place
    (ランダムクロップ): with padding 4 and size 28 on MNIST, a shift of up to 4 pixels."""

    def __init__(self, size, padding=0, fill=0.0, padding_mode="zeros", generator=None):
        super().__init__(generator)
        self.size = _pair(size)
        self.padding = _padding(padding)
        self.fill = fill
        self.padding_mode = padding_mode

    def get_params(self, shape, rng):
        n, size = shape[0], shape[2:]
        top, bottom, left, right = self.padding
        height, width = size[0] + top + bottom, size[1] + left + right
        h, w = self.size
        if h > height or w > width:
            raise ValueError(f"RandomCrop: a {h}x{w} crop does not fit in {height}x{width} "
                             "(padded) images")
        return {"top": rng.integers(0, height - h + 1, n),
                "left": rng.integers(0, width - w + 1, n)}

    def apply(self, x, params):
        x = ops.pad_images(x, self.padding, self.fill, self.padding_mode)
        return ops.crop(x, params["top"], params["left"], self.size)

    def extra_repr(self):
        return f"size={self.size}, padding={self.padding}, fill={self.fill}"


class RandomErasing(Transform):
    """Random Erasing (Zhong et al., 2020), the 虫食い画像 of the notes: with probability
    ``p``, a rectangle covering a fraction of the image uniform in ``scale`` with aspect
    ratio h/w log-uniform in ``ratio`` is set to ``value`` (a number, or 'random' for
    uniform noise in [0, 1)). As in torchvision, up to 10 draws look for a rectangle that
    fits; an image where none fits is left as it is."""

    def __init__(self, p=0.5, scale=(0.02, 0.33), ratio=(0.3, 3.3), value=0.0,
                 generator=None):
        super().__init__(generator)
        self.p = p
        self.scale = _range(scale, "RandomErasing: scale", low=0.0)
        self.ratio = _range(ratio, "RandomErasing: ratio", low=1e-6)
        if value != "random" and not isinstance(value, (int, float)):
            raise ValueError(f"RandomErasing: value must be a number or 'random', got {value!r}")
        self.value = value

    def get_params(self, shape, rng):
        n, height, width = shape[0], shape[2], shape[3]
        tries = 10
        erase = rng.random(n) < self.p
        area = height * width * rng.uniform(self.scale[0], self.scale[1], (n, tries))
        ratio = np.exp(rng.uniform(math.log(self.ratio[0]), math.log(self.ratio[1]), (n, tries)))
        h = np.rint(np.sqrt(area * ratio)).astype(np.int64)  # (N, tries)
        w = np.rint(np.sqrt(area / ratio)).astype(np.int64)
        fits = (h >= 1) & (w >= 1) & (h <= height) & (w <= width)
        first = fits.argmax(axis=1)  # the first draw that fits
        rows = np.arange(n)
        erase &= fits.any(axis=1)
        h = np.where(erase, h[rows, first], 0)
        w = np.where(erase, w[rows, first], 0)
        params = {"top": rng.integers(0, height - h + 1), "left": rng.integers(0, width - w + 1),
                  "height": h, "width": w}
        if self.value == "random":
            params["noise"] = rng.random(shape)
        return params

    def _fill(self, x, params):
        if self.value == "random":
            return params["noise"].astype(x.dtype)
        return self.value

    def apply(self, x, params):
        return ops.erase(x, params["top"], params["left"], params["height"], params["width"],
                         self._fill(x, params))

    def extra_repr(self):
        return f"p={self.p}, scale={self.scale}, ratio={self.ratio}, value={self.value!r}"


class Cutout(RandomErasing):
    """Cutout (DeVries & Taylor, 2017): with probability ``p``, a ``size`` x ``size`` square
    centred on a random pixel is set to ``value``; near the border it is cut off, so less
    of the image may be hidden."""

    def __init__(self, size, p=1.0, value=0.0, generator=None):
        super().__init__(p=p, value=value, generator=generator)
        self.size = int(size)

    def get_params(self, shape, rng):
        n, height, width = shape[0], shape[2], shape[3]
        side = np.where(rng.random(n) < self.p, self.size, 0)
        params = {"top": rng.integers(0, height, n) - self.size // 2,
                  "left": rng.integers(0, width, n) - self.size // 2,
                  "height": side, "width": side}
        if self.value == "random":
            params["noise"] = rng.random(shape)
        return params

    def extra_repr(self):
        return f"size={self.size}, p={self.p}, value={self.value!r}"


class GaussianNoise(Transform):
    """Add noise drawn from N(mean, std^2) to every pixel (ガウスノイズ); ``clip`` = (lo, hi)
    keeps the result in range (None: no clipping)."""

    def __init__(self, std=0.1, mean=0.0, clip=None, generator=None):
        super().__init__(generator)
        if std < 0:
            raise ValueError(f"GaussianNoise: std must be non-negative, got {std}")
        self.std, self.mean, self.clip = std, mean, clip

    def get_params(self, shape, rng):
        return {"noise": rng.normal(self.mean, self.std, shape)}

    def apply(self, x, params):
        return ops.clip_range(x + params["noise"].astype(x.dtype), self.clip)

    def extra_repr(self):
        return f"std={self.std}, mean={self.mean}, clip={self.clip}"


class ColorJitter(Transform):
    """Random brightness and contrast (明るさ・コントラストの変化): factors uniform in
    [max(0, 1 - b), 1 + b] and [max(0, 1 - c), 1 + c]; brightness first, then contrast
    about each image's mean; the result clipped to ``clip`` (None: not clipped)."""

    def __init__(self, brightness=0.0, contrast=0.0, clip=(0.0, 1.0), generator=None):
        super().__init__(generator)
        self.brightness = _range(brightness, "ColorJitter: brightness", around=1.0)
        self.contrast = _range(contrast, "ColorJitter: contrast", around=1.0)
        self.brightness = (max(0.0, self.brightness[0]), self.brightness[1])
        self.contrast = (max(0.0, self.contrast[0]), self.contrast[1])
        self.clip = clip

    def get_params(self, shape, rng):
        return {"brightness": rng.uniform(self.brightness[0], self.brightness[1], shape[0]),
                "contrast": rng.uniform(self.contrast[0], self.contrast[1], shape[0])}

    def apply(self, x, params):
        x = ops.adjust_brightness(x, params["brightness"], self.clip)
        return ops.adjust_contrast(x, params["contrast"], self.clip)

    def extra_repr(self):
        return f"brightness={self.brightness}, contrast={self.contrast}, clip={self.clip}"


class Normalize(Transform):
    """(x - mean) / std per channel (標準化); not random. For MNIST: mean 0.1307, std 0.3081."""

    def __init__(self, mean, std):
        super().__init__()
        self.mean, self.std = mean, std

    def apply(self, x, params):
        return ops.normalize(x, self.mean, self.std)

    def extra_repr(self):
        return f"mean={self.mean}, std={self.std}"


def mixup(x, y, alpha=0.2, generator=None, num_classes=None):
    """mixup (Zhang et al., 2018): blend the batch with a shuffled copy of itself.

        lam ~ Beta(alpha, alpha),  j = a random permutation of the batch
        x_mix = lam * x + (1 - lam) * x[j],   y_mix = lam * y + (1 - lam) * y[j]

    x: (N, ...) array; y: one-hot or probabilities (N, K), or integer labels (N,) with
    ``num_classes``. One lam for the whole batch, as in the paper. Returns (x_mix, y_mix);
    train on y_mix with cross-entropy, which accepts probabilities as targets.
    """
    if alpha <= 0:
        raise ValueError(f"mixup: alpha must be positive, got {alpha}")
    rng = _check_generator(generator, "mixup") or random.get_generator()
    y = np.asarray(y)
    if y.ndim == 1 and y.dtype.kind in "iu":
        if num_classes is None:
            raise ValueError("mixup: integer labels need num_classes (or give one-hot labels)")
        y = np.eye(num_classes, dtype=x.dtype)[y]  # (N, K) one-hot
    if y.shape[0] != x.shape[0]:
        raise ValueError(f"mixup: x has {x.shape[0]} examples but y has {y.shape[0]}")
    lam = rng.beta(alpha, alpha)
    order = rng.permutation(x.shape[0])
    x_mix = (lam * x + (1 - lam) * x[order]).astype(x.dtype)
    y_mix = (lam * y + (1 - lam) * y[order]).astype(x.dtype)
    return x_mix, y_mix
