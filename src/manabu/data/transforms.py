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

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from manabu import random
from manabu.data import transform_ops as ops

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence
    from typing import Any

__all__ = [
    "ColorJitter", "Compose", "Cutout", "GaussianNoise", "MaskingNoise", "Normalize", "RandomAffine",
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
    calling the transform does both, on one image or on a batch.

    Unlike torchvision's transforms, which draw one set of parameters per call, a batch
    gets fresh parameters for each of its images, and images are NumPy arrays, not
    Tensors or PIL images.

    Args:
        generator: the ``np.random.Generator`` to draw parameters from; None uses
            manabu's global one (``manabu.manual_seed``). Default: None

    Shape:
        - Input: one image (C, H, W) or a batch (N, C, H, W)
        - Output: the same shape

    Example:
        >>> class Invert(data.Transform):
        ...     def apply(self, x, params):
        ...         return 1 - x
        >>> Invert()(np.zeros((1, 2, 2))).tolist()          # one image (C, H, W)
        [[[1.0, 1.0], [1.0, 1.0]]]
    """

    def __init__(self, generator: np.random.Generator | None = None) -> None:
        self.generator = _check_generator(generator, type(self).__name__)

    def rng(self) -> np.random.Generator:
        """This transform's generator, or manabu's global one."""
        return self.generator if self.generator is not None else random.get_generator()

    def get_params(self, shape: tuple[int, ...], rng: np.random.Generator) -> dict[str, Any]:
        """The random parameters of a batch of ``shape`` (N, C, H, W), one per image
        (none here: a deterministic transform)."""
        return {}

    def apply(self, x: np.ndarray, params: dict[str, Any]) -> np.ndarray:
        """The transform of a batch x (N, C, H, W) with the parameters ``params``."""
        raise NotImplementedError(f"{type(self).__name__} must define apply")

    def __call__(self, x: np.ndarray) -> np.ndarray:
        batch, single = ops.as_batch(x, type(self).__name__)
        params = self.get_params(batch.shape, self.rng())
        out = self.apply(batch, params)
        return out[0] if single else out

    def extra_repr(self) -> str:
        """The settings shown inside ``repr(transform)``."""
        return ""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"


class Compose:
    """Apply ``transforms`` one after the other (each draws its own random parameters).

    Args:
        transforms: callables on arrays (TypeError for one that is not callable)

    Shape:
        - Input: one image (C, H, W) or a batch (N, C, H, W)
        - Output: what the last transform returns (the same shape for the transforms here)

    Example:
        >>> augment = data.Compose([data.RandomHorizontalFlip(p=1.0), data.Normalize(0.5, 0.5)])
        >>> augment(np.array([[[0.0, 1.0]]])).tolist()       # flipped, then (x - 0.5) / 0.5
        [[[1.0, -1.0]]]
    """

    def __init__(self, transforms: Iterable[Callable[[np.ndarray], np.ndarray]]) -> None:
        self.transforms = list(transforms)
        for t in self.transforms:
            if not callable(t):
                raise TypeError(f"Compose: {t!r} is not callable")

    def __call__(self, x: np.ndarray) -> np.ndarray:
        for t in self.transforms:
            x = t(x)
        return x

    def __repr__(self) -> str:
        inner = ",\n    ".join(repr(t) for t in self.transforms)
        return f"Compose([\n    {inner}\n])"


class RandomHorizontalFlip(Transform):
    """Mirror each image left-right with probability ``p`` (左右反転).

    Args:
        p: the probability that an image is flipped. Default: 0.5
        generator: a ``np.random.Generator``; None: manabu's global one. Default: None

    Shape:
        - Input: (C, H, W) or (N, C, H, W)
        - Output: the same shape

    Example:
        >>> data.RandomHorizontalFlip(p=1.0)(np.array([[[1.0, 2.0, 3.0]]]))
        array([[[3., 2., 1.]]])
    """

    def __init__(self, p: float = 0.5, generator: np.random.Generator | None = None) -> None:
        super().__init__(generator)
        self.p = p

    def get_params(self, shape: tuple[int, ...], rng: np.random.Generator) -> dict[str, Any]:
        return {"flip": rng.random(shape[0]) < self.p}

    def apply(self, x: np.ndarray, params: dict[str, Any]) -> np.ndarray:
        return ops.hflip(x, params["flip"])

    def extra_repr(self) -> str:
        return f"p={self.p}"


class RandomVerticalFlip(RandomHorizontalFlip):
    """Mirror each image upside down with probability ``p`` (上下反転).

    Args:
        as :class:`RandomHorizontalFlip` (p, generator).

    Shape:
        - Input: (C, H, W) or (N, C, H, W)
        - Output: the same shape

    Example:
        >>> data.RandomVerticalFlip(p=1.0)(np.array([[[1.0], [2.0]]])).tolist()
        [[[2.0], [1.0]]]
    """

    def apply(self, x: np.ndarray, params: dict[str, Any]) -> np.ndarray:
        return ops.vflip(x, params["flip"])


class RandomAffine(Transform):
    """Rotate, scale and shift each image about its centre (アフィン変換), by random amounts:

    angle uniform in ``degrees`` (d means -d..d, counter-clockwise positive), scale uniform
    in ``scale`` = (lo, hi) (None: 1), shift uniform in -a*W..a*W and -b*H..b*H pixels for
    ``translate`` = (a, b) (None: no shift). Bilinear interpolation by inverse mapping (see
    ``transform_ops.affine``); pixels that come from outside the image get ``fill``.

    torchvision's RandomAffine also has ``shear``; this one has no shear.

    Args:
        degrees: d for angles in -d..d, or a pair (lo, hi). Default: 0
        translate: (a, b), the largest shifts as fractions of the width and height, each
            in [0, 1]; None: no shift. Default: None
        scale: (lo, hi), the range of the scale factor; None: 1. Default: None
        fill: the value of pixels that come from outside the image. Default: 0
        generator: a ``np.random.Generator``; None: manabu's global one. Default: None

    Shape:
        - Input: (C, H, W) or (N, C, H, W)
        - Output: the same shape and dtype

    Example:
        >>> augment = data.RandomAffine(degrees=10, translate=(0.1, 0.1), scale=(0.9, 1.1),
        ...                             generator=np.random.default_rng(0))
        >>> augment(np.ones((8, 1, 28, 28), dtype=np.float32)).shape
        (8, 1, 28, 28)
    """

    def __init__(self, degrees: float | tuple[float, float] = 0.0,
                 translate: tuple[float, float] | None = None,
                 scale: tuple[float, float] | None = None, fill: float = 0.0,
                 generator: np.random.Generator | None = None) -> None:
        super().__init__(generator)
        self.degrees = _range(degrees, "RandomAffine: degrees")
        self.translate = None if translate is None else tuple(float(t) for t in translate)
        if self.translate is not None and not all(0 <= t <= 1 for t in self.translate):
            raise ValueError(f"RandomAffine: translate fractions must be in [0, 1], got "
                             f"{translate}")
        self.scale = None if scale is None else _range(scale, "RandomAffine: scale", low=1e-6)
        self.fill = fill

    def get_params(self, shape: tuple[int, ...], rng: np.random.Generator) -> dict[str, Any]:
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

    def apply(self, x: np.ndarray, params: dict[str, Any]) -> np.ndarray:
        return ops.affine(x, params["angle"], params["scale"], params["translate"], self.fill)

    def extra_repr(self) -> str:
        return (f"degrees={self.degrees}, translate={self.translate}, scale={self.scale}, "
                f"fill={self.fill}")


class RandomRotation(RandomAffine):
    """Turn each image by an angle uniform in ``degrees`` (d means -d..d) about its centre
    (回転), counter-clockwise positive; bilinear interpolation, ``fill`` outside.

    Args:
        degrees: d for angles in -d..d, or a pair (lo, hi)
        fill, generator: as for :class:`RandomAffine`. Default: 0, None

    Shape:
        - Input: (C, H, W) or (N, C, H, W)
        - Output: the same shape and dtype

    Example:
        >>> x = np.arange(9.0).reshape(1, 3, 3)
        >>> turned = data.RandomRotation(degrees=(90, 90))(x)     # always 90 degrees
        >>> np.allclose(turned, np.rot90(x, axes=(-2, -1)))
        True
    """

    def __init__(self, degrees: float | tuple[float, float], fill: float = 0.0,
                 generator: np.random.Generator | None = None) -> None:
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
    (ランダムクロップ): with padding 4 and size 28 on MNIST, a shift of up to 4 pixels.

    Args:
        size: the crop, an int (square) or (h, w)
        padding: pixels added first: an int, (left/right, top/bottom) or (left, top,
            right, bottom). Default: 0
        fill: the value of padded pixels with ``padding_mode='zeros'``. Default: 0
        padding_mode: 'zeros' (the constant ``fill``; torchvision's 'constant'),
            'reflect', 'replicate' (torchvision's 'edge') or 'circular'; torchvision's
            'symmetric' is not offered. Default: 'zeros'
        generator: a ``np.random.Generator``; None: manabu's global one. Default: None

    Shape:
        - Input: (C, H, W) or (N, C, H, W)
        - Output: (C, h, w) or (N, C, h, w), with (h, w) = ``size``

    Example:
        >>> crop = data.RandomCrop(24, padding=2, generator=np.random.default_rng(0))
        >>> crop(np.ones((8, 1, 28, 28), dtype=np.float32)).shape
        (8, 1, 24, 24)
    """

    def __init__(self, size: int | tuple[int, int], padding: int | Sequence[int] = 0,
                 fill: float = 0.0, padding_mode: str = "zeros",
                 generator: np.random.Generator | None = None) -> None:
        super().__init__(generator)
        self.size = _pair(size)
        self.padding = _padding(padding)
        self.fill = fill
        self.padding_mode = padding_mode

    def get_params(self, shape: tuple[int, ...], rng: np.random.Generator) -> dict[str, Any]:
        n, size = shape[0], shape[2:]
        top, bottom, left, right = self.padding
        height, width = size[0] + top + bottom, size[1] + left + right
        h, w = self.size
        if h > height or w > width:
            raise ValueError(f"RandomCrop: a {h}x{w} crop does not fit in {height}x{width} "
                             "(padded) images")
        return {"top": rng.integers(0, height - h + 1, n),
                "left": rng.integers(0, width - w + 1, n)}

    def apply(self, x: np.ndarray, params: dict[str, Any]) -> np.ndarray:
        x = ops.pad_images(x, self.padding, self.fill, self.padding_mode)
        return ops.crop(x, params["top"], params["left"], self.size)

    def extra_repr(self) -> str:
        return f"size={self.size}, padding={self.padding}, fill={self.fill}"


class RandomErasing(Transform):
    """Random Erasing (Zhong et al., 2020), the 虫食い画像 of the notes: with probability
    ``p``, a rectangle covering a fraction of the image uniform in ``scale`` with aspect
    ratio h/w log-uniform in ``ratio`` is set to ``value`` (a number, or 'random' for
    uniform noise in [0, 1)). As in torchvision, up to 10 draws look for a rectangle that
    fits; an image where none fits is left as it is.

    Args:
        p: the probability that an image gets a rectangle. Default: 0.5
        scale: (lo, hi), the range of the rectangle's area as a fraction of the image.
            Default: (0.02, 0.33)
        ratio: (lo, hi), the range of its aspect ratio h/w. Default: (0.3, 3.3)
        value: the number written into the rectangle, or 'random' for noise.
            Default: 0
        generator: a ``np.random.Generator``; None: manabu's global one. Default: None

    Shape:
        - Input: (C, H, W) or (N, C, H, W)
        - Output: the same shape

    Example:
        >>> erase = data.RandomErasing(p=1.0, generator=np.random.default_rng(0))
        >>> out = erase(np.ones((2, 1, 28, 28)))
        >>> out.shape, [bool((image == 0).any()) for image in out]
        ((2, 1, 28, 28), [True, True])
    """

    def __init__(self, p: float = 0.5, scale: tuple[float, float] = (0.02, 0.33),
                 ratio: tuple[float, float] = (0.3, 3.3), value: float | str = 0.0,
                 generator: np.random.Generator | None = None) -> None:
        super().__init__(generator)
        self.p = p
        self.scale = _range(scale, "RandomErasing: scale", low=0.0)
        self.ratio = _range(ratio, "RandomErasing: ratio", low=1e-6)
        if value != "random" and not isinstance(value, (int, float)):
            raise ValueError(f"RandomErasing: value must be a number or 'random', got {value!r}")
        self.value = value

    def get_params(self, shape: tuple[int, ...], rng: np.random.Generator) -> dict[str, Any]:
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

    def apply(self, x: np.ndarray, params: dict[str, Any]) -> np.ndarray:
        return ops.erase(x, params["top"], params["left"], params["height"], params["width"],
                         self._fill(x, params))

    def extra_repr(self) -> str:
        return f"p={self.p}, scale={self.scale}, ratio={self.ratio}, value={self.value!r}"


class Cutout(RandomErasing):
    """Cutout (DeVries & Taylor, 2017): with probability ``p``, a ``size`` x ``size`` square
    centred on a random pixel is set to ``value``; near the border it is cut off, so less
    of the image may be hidden.

    Args:
        size: the side of the square, in pixels
        p: the probability that an image gets a square. Default: 1.0
        value, generator: as for :class:`RandomErasing`. Default: 0, None

    Shape:
        - Input: (C, H, W) or (N, C, H, W)
        - Output: the same shape

    Example:
        >>> cutout = data.Cutout(size=4, generator=np.random.default_rng(0))
        >>> out = cutout(np.ones((1, 8, 8)))
        >>> out.shape, 0 < int((out == 0).sum()) <= 16
        ((1, 8, 8), True)
    """

    def __init__(self, size: int, p: float = 1.0, value: float | str = 0.0,
                 generator: np.random.Generator | None = None) -> None:
        super().__init__(p=p, value=value, generator=generator)
        self.size = int(size)

    def get_params(self, shape: tuple[int, ...], rng: np.random.Generator) -> dict[str, Any]:
        n, height, width = shape[0], shape[2], shape[3]
        side = np.where(rng.random(n) < self.p, self.size, 0)
        params = {"top": rng.integers(0, height, n) - self.size // 2,
                  "left": rng.integers(0, width, n) - self.size // 2,
                  "height": side, "width": side}
        if self.value == "random":
            params["noise"] = rng.random(shape)
        return params

    def extra_repr(self) -> str:
        return f"size={self.size}, p={self.p}, value={self.value!r}"


class GaussianNoise(Transform):
    """Add noise drawn from N(mean, std^2) to every pixel (ガウスノイズ); ``clip`` = (lo, hi)
    keeps the result in range (None: no clipping).

    Args:
        std: the standard deviation of the noise, >= 0. Default: 0.1
        mean: the mean of the noise. Default: 0
        clip: (lo, hi) to clip the result to; None: no clipping. Default: None
        generator: a ``np.random.Generator``; None: manabu's global one. Default: None

    Shape:
        - Input: (C, H, W) or (N, C, H, W)
        - Output: the same shape and dtype

    Example:
        >>> noisy = data.GaussianNoise(std=0.5, clip=(0.0, 1.0),
        ...                            generator=np.random.default_rng(0))
        >>> out = noisy(np.full((4, 1, 8, 8), 0.5))
        >>> out.shape, float(out.min()) >= 0.0, float(out.max()) <= 1.0
        ((4, 1, 8, 8), True, True)
    """

    def __init__(self, std: float = 0.1, mean: float = 0.0,
                 clip: tuple[float, float] | None = None,
                 generator: np.random.Generator | None = None) -> None:
        super().__init__(generator)
        if std < 0:
            raise ValueError(f"GaussianNoise: std must be non-negative, got {std}")
        self.std, self.mean, self.clip = std, mean, clip

    def get_params(self, shape: tuple[int, ...], rng: np.random.Generator) -> dict[str, Any]:
        return {"noise": rng.normal(self.mean, self.std, shape)}

    def apply(self, x: np.ndarray, params: dict[str, Any]) -> np.ndarray:
        return ops.clip_range(x + params["noise"].astype(x.dtype), self.clip)

    def extra_repr(self) -> str:
        return f"std={self.std}, mean={self.mean}, clip={self.clip}"


class MaskingNoise(Transform):
    """Masking noise (マスクノイズ) for denoising autoencoders: each value is set to ``fill``
    with probability ``p``, independently (Vincent et al., 2008); the rest are kept.

    Args:
        p: the fraction of values masked, in [0, 1]. Default: 0.3
        fill: the value masked entries get. Default: 0
        generator: a ``np.random.Generator``; None: manabu's global one. Default: None

    Shape:
        - Input: (C, H, W) or (N, C, H, W)
        - Output: the same shape and dtype

    Example:
        >>> mask = data.MaskingNoise(p=0.5, generator=np.random.default_rng(0))
        >>> out = mask(np.ones((1, 100, 100)))
        >>> round(float(out.mean()), 2)                     # about half the pixels are left
        0.5
    """

    def __init__(self, p: float = 0.3, fill: float = 0.0,
                 generator: np.random.Generator | None = None) -> None:
        super().__init__(generator)
        if not 0 <= p <= 1:
            raise ValueError(f"MaskingNoise: p must be in [0, 1], got {p}")
        self.p, self.fill = p, fill

    def get_params(self, shape: tuple[int, ...], rng: np.random.Generator) -> dict[str, Any]:
        return {"masked": rng.uniform(size=shape) < self.p}

    def apply(self, x: np.ndarray, params: dict[str, Any]) -> np.ndarray:
        return np.where(params["masked"], np.asarray(self.fill, dtype=x.dtype), x)

    def extra_repr(self) -> str:
        return f"p={self.p}, fill={self.fill}"


class ColorJitter(Transform):
    """Random brightness and contrast (明るさ・コントラストの変化): factors uniform in
    [max(0, 1 - b), 1 + b] and [max(0, 1 - c), 1 + c]; brightness first, then contrast
    about each image's mean; the result clipped to ``clip`` (None: not clipped).

    Args:
        brightness: b for factors in [max(0, 1 - b), 1 + b], or a pair (lo, hi) of
            factors. Default: 0 (no change)
        contrast: c for factors in [max(0, 1 - c), 1 + c], or a pair. Default: 0
        clip: (lo, hi) to clip the result to; None: no clipping. Default: (0, 1)
        generator: a ``np.random.Generator``; None: manabu's global one. Default: None

    Shape:
        - Input: (C, H, W) or (N, C, H, W)
        - Output: the same shape

    Example:
        >>> darker = data.ColorJitter(brightness=(0.5, 0.5))       # always halves
        >>> darker(np.ones((1, 2, 2))).tolist()
        [[[0.5, 0.5], [0.5, 0.5]]]
    """

    def __init__(self, brightness: float | tuple[float, float] = 0.0,
                 contrast: float | tuple[float, float] = 0.0,
                 clip: tuple[float, float] | None = (0.0, 1.0),
                 generator: np.random.Generator | None = None) -> None:
        super().__init__(generator)
        self.brightness = _range(brightness, "ColorJitter: brightness", around=1.0)
        self.contrast = _range(contrast, "ColorJitter: contrast", around=1.0)
        self.brightness = (max(0.0, self.brightness[0]), self.brightness[1])
        self.contrast = (max(0.0, self.contrast[0]), self.contrast[1])
        self.clip = clip

    def get_params(self, shape: tuple[int, ...], rng: np.random.Generator) -> dict[str, Any]:
        return {"brightness": rng.uniform(self.brightness[0], self.brightness[1], shape[0]),
                "contrast": rng.uniform(self.contrast[0], self.contrast[1], shape[0])}

    def apply(self, x: np.ndarray, params: dict[str, Any]) -> np.ndarray:
        x = ops.adjust_brightness(x, params["brightness"], self.clip)
        return ops.adjust_contrast(x, params["contrast"], self.clip)

    def extra_repr(self) -> str:
        return f"brightness={self.brightness}, contrast={self.contrast}, clip={self.clip}"


class Normalize(Transform):
    """(x - mean) / std per channel (標準化); not random. For MNIST: mean 0.1307, std 0.3081.

    Args:
        mean: one number, or one per channel
        std: one positive number, or one per channel (ValueError for std <= 0 when
            applied)

    Shape:
        - Input: (C, H, W) or (N, C, H, W)
        - Output: the same shape

    Example:
        >>> data.Normalize(mean=0.5, std=0.25)(np.ones((1, 1, 2))).tolist()
        [[[2.0, 2.0]]]
    """

    def __init__(self, mean: float | Sequence[float], std: float | Sequence[float]) -> None:
        super().__init__()
        self.mean, self.std = mean, std

    def apply(self, x: np.ndarray, params: dict[str, Any]) -> np.ndarray:
        return ops.normalize(x, self.mean, self.std)

    def extra_repr(self) -> str:
        return f"mean={self.mean}, std={self.std}"


def mixup(x: np.ndarray, y: np.ndarray, alpha: float = 0.2,
          generator: np.random.Generator | None = None,
          num_classes: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """mixup (Zhang et al., 2018): blend the batch with a shuffled copy of itself.

        lam ~ Beta(alpha, alpha),  j = a random permutation of the batch
        x_mix = lam * x + (1 - lam) * x[j],   y_mix = lam * y + (1 - lam) * y[j]

    x: (N, ...) array; y: one-hot or probabilities (N, K), or integer labels (N,) with
    ``num_classes``. One lam for the whole batch, as in the paper. Returns (x_mix, y_mix);
    train on y_mix with cross-entropy, which accepts probabilities as targets.

    Args:
        x: the inputs of a batch (N, ...)
        y: one-hot labels or probabilities (N, K), or integer labels (N,)
        alpha: the parameter of the Beta distribution, > 0. Default: 0.2
        generator: a ``np.random.Generator``; None: manabu's global one. Default: None
        num_classes: K, needed for integer labels. Default: None

    Returns:
        ``(x_mix, y_mix)``: (N, ...) and (N, K), both in x's dtype

    Example:
        >>> x = np.zeros((4, 3), dtype=np.float32)
        >>> x_mix, y_mix = data.mixup(x, np.array([0, 1, 2, 1]), num_classes=3,
        ...                           generator=np.random.default_rng(0))
        >>> x_mix.shape, y_mix.shape, np.allclose(y_mix.sum(axis=1), 1.0)
        ((4, 3), (4, 3), True)
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
