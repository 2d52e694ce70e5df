"""Printed digits 0-9 in the fonts that ship with matplotlib, shaped like MNIST: a white
digit on black, 28x28, values in [0, 1]. The second domain of an unpaired translation
(handwritten MNIST <-> typeset digits, CycleGAN), or a test set for a classifier trained
on handwriting (a shift of domain, ドメインシフト).

How an image is made (fast: one matplotlib drawing per glyph, not per image):

1. each (font, digit) glyph is drawn once, anti-aliased, with the Agg backend offscreen
   (``FigureCanvasAgg``, no pyplot) into a 128x128 mask, 96 pixels tall, centred on its
   bounding box;
2. per image, a random affine map (a height of 15-21 pixels at 28x28, a rotation of up to
   12 degrees, a shift of up to 2 pixels, kept inside the frame) resamples the mask onto a
   canvas four times finer than the output (``scipy.ndimage.affine_transform``, bilinear);
3. a max-filter of 1, 3, 5 or 7 fine pixels thickens the stroke (a dilation, 膨張);
4. 4x4 area averages give the output pixels, then each image is scaled so its brightest
   pixel is 1, as MNIST's are.

The fonts are the ``_FONTS`` files found in ``matplotlib.get_data_path()/fonts/ttf``
(DejaVu Sans, Sans Mono and Serif with their bold and oblique/italic faces, STIX General's
four faces, and Computer Modern roman, sans, typewriter and bold), in sorted order, so a
seed gives the same images with the same matplotlib.
"""

from __future__ import annotations

import functools
import math
import os
from typing import TYPE_CHECKING

import numpy as np

from manabu import backend

if TYPE_CHECKING:
    from numpy.typing import DTypeLike

__all__ = ["font_digits"]

_FONTS = (
    "DejaVuSans-Bold.ttf", "DejaVuSans-BoldOblique.ttf", "DejaVuSans-Oblique.ttf",
    "DejaVuSans.ttf", "DejaVuSansMono-Bold.ttf", "DejaVuSansMono-BoldOblique.ttf",
    "DejaVuSansMono-Oblique.ttf", "DejaVuSansMono.ttf", "DejaVuSerif-Bold.ttf",
    "DejaVuSerif-BoldItalic.ttf", "DejaVuSerif-Italic.ttf", "DejaVuSerif.ttf",
    "STIXGeneral.ttf", "STIXGeneralBol.ttf", "STIXGeneralBolIta.ttf", "STIXGeneralItalic.ttf",
    "cmb10.ttf", "cmr10.ttf", "cmss10.ttf", "cmtt10.ttf",
)
_GLYPH = 128         # the side of a glyph's mask
_GLYPH_HEIGHT = 96   # the glyph's height in its mask (its bounding box, before any stroke)
_FINE = 4            # the canvas is this many times finer than the output
_HEIGHTS = (15.0, 21.0)   # the digit's height in output pixels (for size=28), uniform
_MAX_ANGLE = 12.0         # degrees, uniform in [-12, 12]
_MAX_SHIFT = 2.0          # output pixels, on each axis, uniform
_STROKES = (1, 3, 5, 7)   # max-filter sizes in fine pixels


def font_digits(n: int, seed: int = 0, size: int = 28,
                dtype: DTypeLike | None = None) -> tuple[np.ndarray, np.ndarray]:
    """n typeset digits ``(images, labels)`` with a random font, height, rotation, position
    and stroke width each (the module docstring says how they are drawn).

    images: (n, 1, size, size), a white digit on black, values in [0, 1] (each image's
    brightest pixel is 1), dtype ``dtype`` or the default float dtype (float32). labels:
    (n,) int64, balanced: ``arange(n) % 10`` shuffled by the seed. The same seed gives the
    same images. Needs matplotlib and scipy (imported on the first call); the glyphs are
    drawn once per process (about a second), then 5,000 digits take a few seconds.

    Args:
        n: the number of images, >= 0
        seed: the seed of the labels, fonts and transforms. Default: 0
        size: the side of the square images, >= 8 (28 as MNIST). Default: 28
        dtype: the float dtype of the images; None: the default dtype. Default: None

    Example:
        >>> from manabu.data.datasets.font_digits import font_digits
        >>> images, labels = font_digits(20, seed=1)
        >>> images.shape, images.dtype, labels.dtype
        ((20, 1, 28, 28), dtype('float32'), dtype('int64'))
        >>> np.bincount(labels).tolist(), float(images.min()), float(images.max())
        ([2, 2, 2, 2, 2, 2, 2, 2, 2, 2], 0.0, 1.0)
        >>> bool(np.array_equal(images, font_digits(20, seed=1)[0]))  # the same seed
        True
    """
    if int(n) != n or n < 0:
        raise ValueError(f"font_digits: n must be a whole number >= 0, got {n}")
    if int(size) != size or size < 8:
        raise ValueError(f"font_digits: size must be a whole number >= 8, got {size}")
    n, size = int(n), int(size)
    from scipy import ndimage  # loaded on first use: `import manabu` stays light

    masks, centres, extents = _glyphs()  # (F, 10, G, G), (F, 10, 2), (F, 10, 2)
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.arange(n, dtype=np.int64) % 10)
    fonts = rng.integers(0, len(masks), n)
    fine = size * _FINE
    images = np.empty((n, 1, size, size), dtype=backend.get_default_dtype()
                      if dtype is None else np.dtype(dtype))
    for i in range(n):
        f, d = fonts[i], labels[i]
        height = rng.uniform(*_HEIGHTS) * size / 28 * _FINE   # the digit's height, fine pixels
        angle = math.radians(rng.uniform(-_MAX_ANGLE, _MAX_ANGLE))
        stroke = int(rng.choice(_STROKES))
        matrix, offset = _placement(rng, height / _GLYPH_HEIGHT, angle, centres[f, d],
                                    extents[f, d], fine, stroke)
        canvas = ndimage.affine_transform(masks[f, d], matrix, offset, output_shape=(fine, fine),
                                          order=1, mode="constant", cval=0.0)
        if stroke > 1:
            canvas = ndimage.maximum_filter(canvas, size=stroke)
        image = canvas.reshape(size, _FINE, size, _FINE).mean(axis=(1, 3))  # area average
        peak = image.max()
        images[i, 0] = np.clip(image / peak, 0.0, 1.0) if peak > 0 else image
    return images, labels


def _placement(rng, scale, angle, centre, extent, fine, stroke):
    """The inverse map of ``affine_transform`` (canvas -> glyph coordinates) for a glyph
    scaled by ``scale``, turned by ``angle`` and shifted, kept inside the canvas.

    Forward, a glyph point g lands on o = R (g - centre) * scale + middle + shift; so
    g = R^T (o - middle - shift) / scale + centre, i.e. matrix R^T / scale and offset
    centre - matrix @ (middle + shift).
    """
    cos, sin = math.cos(angle), math.sin(angle)
    rotation = np.array([[cos, -sin], [sin, cos]])  # acts on (row, col)
    half = np.asarray(extent) * scale / 2  # the scaled box's half height and width
    corners = np.array([[-1, -1], [-1, 1], [1, -1], [1, 1]]) * half @ rotation.T  # (4, 2)
    middle = np.full(2, (fine - 1) / 2)
    margin = _FINE + stroke / 2  # one output pixel of black border, plus the stroke's growth
    shift = np.empty(2)
    for axis in range(2):
        low = max(-_MAX_SHIFT * _FINE, margin - middle[axis] - corners[:, axis].min())
        high = min(_MAX_SHIFT * _FINE, fine - 1 - margin - middle[axis] - corners[:, axis].max())
        shift[axis] = rng.uniform(low, high) if low < high else (low + high) / 2
    matrix = rotation.T / scale
    offset = np.asarray(centre) - matrix @ (middle + shift)
    return matrix, offset


@functools.lru_cache(maxsize=1)
def _glyphs():
    """Every (font, digit) glyph drawn once: masks (F, 10, G, G) float32 in [0, 1], each
    glyph's bounding-box centre (row, col) and its (height, width) in mask pixels."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties
    from matplotlib.patches import PathPatch
    from matplotlib.textpath import TextPath
    from matplotlib.transforms import Affine2D

    folder = os.path.join(matplotlib.get_data_path(), "fonts", "ttf")
    files = [os.path.join(folder, name) for name in sorted(_FONTS)
             if os.path.exists(os.path.join(folder, name))]
    if not files:
        raise FileNotFoundError(f"font_digits: none of matplotlib's fonts {_FONTS} is in "
                                f"{folder}; reinstall matplotlib")
    figure = Figure(figsize=(1, 1), dpi=_GLYPH)  # one pixel per axis unit
    canvas = FigureCanvasAgg(figure)
    axes = figure.add_axes((0, 0, 1, 1))
    axes.set_axis_off()
    figure.patch.set_facecolor("black")
    masks = np.zeros((len(files), 10, _GLYPH, _GLYPH), dtype=np.float32)
    centres = np.zeros((len(files), 10, 2))
    extents = np.zeros((len(files), 10, 2))
    for f, file in enumerate(files):
        prop = FontProperties(fname=file)
        for d in range(10):
            path = TextPath((0, 0), str(d), size=1, prop=prop)
            box = path.get_extents()
            scale = _GLYPH_HEIGHT / box.height
            # the box's centre to the mask's centre, y up (Agg's rows run downwards)
            move = Affine2D().translate(-(box.x0 + box.x1) / 2, -(box.y0 + box.y1) / 2) \
                .scale(scale).translate(_GLYPH / 2, _GLYPH / 2)
            patch = PathPatch(move.transform_path(path), facecolor="white", edgecolor="none",
                              antialiased=True)
            axes.add_patch(patch)
            axes.set_xlim(0, _GLYPH)
            axes.set_ylim(0, _GLYPH)
            canvas.draw()
            masks[f, d] = np.asarray(canvas.buffer_rgba())[:, :, 0] / 255.0
            patch.remove()
            centres[f, d] = (_GLYPH - 1) / 2
            extents[f, d] = (_GLYPH_HEIGHT, box.width * scale)
    return masks, centres, extents
