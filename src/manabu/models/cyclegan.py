"""CycleGAN (Zhu et al., 2017): translation between two image domains A and B learned from
unpaired examples (handwritten MNIST digits <-> typeset ``data.font_digits``), with two
generators G_ab: A -> B and G_ba: B -> A and a discriminator for each domain. Images are
scaled to [-1, 1] (x01 * 2 - 1): the generators end in tanh.

    adversarial (LSGAN)  adv_ab = mean (D_b(G_ab(a)) - 1)^2,  adv_ba likewise with D_a
    cycle consistency    cycle_a = mean |G_ba(G_ab(a)) - a|,   cycle_b = mean |G_ab(G_ba(b)) - b|
    identity             identity_a = mean |G_ba(a) - a|,      identity_b = mean |G_ab(b) - b|
    loss_G = adv_ab + adv_ba + lc (cycle_a + cycle_b) + lc li (identity_a + identity_b)
    loss_D = ((D(real) - 1)^2 + D(fake)^2) / 2        (mean over the patch map and batch)

with lc = lambda_cycle = 10 and li = lambda_identity = 0.5. The adversarial term alone
would let G_ab map every a to any convincing b; the cycle term asks that G_ba can undo it,
so the content (which digit) must survive the change of style. Each D scores patches, not
whole images (PatchGAN: a map of logits), and is trained on a history of 50 generated
images (``ImagePool``, Shrivastava et al. 2017) so the two players do not chase each
other's latest step. The terms use ``train.generator_loss`` and
``train.discriminator_loss`` ("least-squares"): manabu's LSGAN G loss is (f - 1)^2 / 2, so
the adversarial terms are twice it, as in the paper; its D loss already holds the 1/2 that
the official code applies to D's loss.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from manabu import backend, nn
from manabu.autograd import Tensor
from manabu.random import get_generator
from manabu.train.gan_losses import discriminator_loss as _lsgan_d_loss
from manabu.train.gan_losses import generator_loss as _lsgan_g_loss

if TYPE_CHECKING:
    from collections.abc import Callable

    from manabu.nn.module import Module

__all__ = ["CycleGAN", "ImagePool", "PatchDiscriminator", "ResnetGenerator"]


def _init(weight):
    nn.init.normal_(weight, 0.0, 0.02)  # the paper's N(0, 0.02); biases start at zero


def _images(name, x, channels=None, multiple=1, dtype=None):
    """x (N, C, H, W) as a Tensor, with C and the sizes checked."""
    x = x if isinstance(x, Tensor) else Tensor(np.asarray(x, dtype=dtype))
    if x.ndim != 4:
        raise ValueError(f"{name}: expected images (N, C, H, W), got shape {tuple(x.shape)}")
    if channels is not None and x.shape[1] != channels:
        raise ValueError(f"{name}: expected {channels} channel(s), got images of shape "
                         f"{tuple(x.shape)}")
    if x.shape[2] % multiple or x.shape[3] % multiple:
        raise ValueError(f"{name}: the height and width {tuple(x.shape[2:])} must be divisible "
                         f"by {multiple} (2 ** n_down); pad or crop the images, or build the "
                         "generator with a smaller n_down")
    return x


class ResnetGenerator(nn.Module):
    """CycleGAN's generator: downsample, residual blocks, upsample (Johnson et al., 2016).

        c7s1-w      reflect pad 3, Conv 7x7 (in -> w), InstanceNorm, ReLU
        d(2w)...    n_down times: Conv 3x3 stride 2 padding 1 (channels x2), IN, ReLU
        R(c) x n    n_blocks: x + IN(Conv3x3(ReLU(IN(Conv3x3(x))))), reflect pad 1 each
        u(c/2)...   n_down times: ConvTranspose 3x3 stride 2 padding 1 output_padding 1, IN, ReLU
        c7s1-out    reflect pad 3, Conv 7x7 (w -> out), tanh: outputs in [-1, 1]

    The reflect padding is the convolutions' ``padding_mode="reflect"`` (the official code's
    ReflectionPad2d + Conv2d(padding=0)). For 28x28 and n_down=2 the sizes go 28 -> 14 -> 7
    -> 14 -> 28; H and W must be divisible by 2 ** n_down. Weights start from N(0, 0.02).

    Args:
        in_channels: C of the input domain. Default: 1
        out_channels: C of the output domain. Default: 1
        width: the channels of the first layer (ngf); the middle has width * 2 ** n_down.
            Default: 32
        n_blocks: residual blocks (6 or 9 in the paper, for 128 or 256 pixels). Default: 3
        n_down: stride-2 downsamplings (and as many upsamplings). Default: 2

    Shape:
        - Input: (N, in_channels, H, W), images in [-1, 1]
        - Output: (N, out_channels, H, W), in [-1, 1]

    Example:
        >>> from manabu.models.cyclegan import ResnetGenerator
        >>> G = ResnetGenerator(width=4, n_blocks=1)
        >>> G(np.zeros((2, 1, 28, 28), np.float32)).shape
        (2, 1, 28, 28)
    """

    def __init__(self, in_channels: int = 1, out_channels: int = 1, width: int = 32,
                 n_blocks: int = 3, n_down: int = 2) -> None:
        super().__init__()
        for key, value, low in (("in_channels", in_channels, 1), ("out_channels", out_channels, 1),
                                ("width", width, 1), ("n_blocks", n_blocks, 0),
                                ("n_down", n_down, 0)):
            if int(value) != value or value < low:
                raise ValueError(f"ResnetGenerator: {key} must be a whole number >= {low}, got "
                                 f"{value}")
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.n_down = int(n_down)
        self.config = {"in_channels": self.in_channels, "out_channels": self.out_channels,
                       "width": int(width), "n_blocks": int(n_blocks), "n_down": self.n_down}
        reflect = {"padding_mode": "reflect", "init": _init}
        layers = [nn.Conv2d(in_channels, width, 7, padding=3, **reflect),
                  nn.InstanceNorm2d(width), nn.ReLU()]
        c = int(width)
        for _ in range(self.n_down):
            layers += [nn.Conv2d(c, 2 * c, 3, stride=2, padding=1, init=_init),
                       nn.InstanceNorm2d(2 * c), nn.ReLU()]
            c *= 2
        for _ in range(int(n_blocks)):
            layers.append(nn.Residual(nn.Sequential(
                nn.Conv2d(c, c, 3, padding=1, **reflect), nn.InstanceNorm2d(c), nn.ReLU(),
                nn.Conv2d(c, c, 3, padding=1, **reflect), nn.InstanceNorm2d(c))))
        for _ in range(self.n_down):
            layers += [nn.ConvTranspose2d(c, c // 2, 3, stride=2, padding=1, output_padding=1,
                                          init=_init),
                       nn.InstanceNorm2d(c // 2), nn.ReLU()]
            c //= 2
        layers += [nn.Conv2d(c, out_channels, 7, padding=3, **reflect), nn.Tanh()]
        self.model = nn.Sequential(*layers)

    def forward(self, x: Any) -> Tensor:
        x = _images("ResnetGenerator", x, self.in_channels, 2 ** self.n_down,
                    self.model[0].weight.dtype)
        return self.model(x)


class PatchDiscriminator(nn.Module):
    """PatchGAN's discriminator (Isola et al., 2017): a fully convolutional net whose output
    is a map of logits, each judging one patch of the input (its receptive field).

        Conv 4x4 stride 2 padding 1 (in -> w), LeakyReLU(0.2)
        n_layers - 1 times: Conv 4x4 stride 2 padding 1 (channels w * min(2 ** k, 8)), IN,
            LeakyReLU(0.2)
        Conv 4x4 stride 1 padding 1 (-> 1 channel): the patch logits

    Each stride-2 layer halves the size (rounding down), the last takes 1 off: for 28x28
    and n_layers=2, 28 -> 14 -> 7 -> a 6x6 map whose logits each see a 22x22 patch through
    the convolutions (``receptive_field`` = 6 * 2 ** n_layers - 2: r = 4 at the last layer,
    r -> 2 r + 2 per stride-2 layer below; InstanceNorm's statistics still span the whole
    map). The official NLayerDiscriminator adds a stride-1 conv + IN before the last one;
    on 28x28 its 34x34 field would cover the whole digit, so it is left out here.

    Args:
        in_channels: C of the images. Default: 1
        width: the first layer's channels (ndf). Default: 32
        n_layers: stride-2 convolutions, >= 1; H and W must be at least 2 ** (n_layers + 1).
            Default: 2

    Shape:
        - Input: (N, in_channels, H, W)
        - Output: (N, 1, H', W'), the patch logits, H' = H // 2 ** n_layers - 1

    Example:
        >>> from manabu.models.cyclegan import PatchDiscriminator
        >>> D = PatchDiscriminator(width=4)
        >>> D(np.zeros((2, 1, 28, 28), np.float32)).shape, D.receptive_field
        ((2, 1, 6, 6), 22)
    """

    def __init__(self, in_channels: int = 1, width: int = 32, n_layers: int = 2) -> None:
        super().__init__()
        for key, value in (("in_channels", in_channels), ("width", width),
                           ("n_layers", n_layers)):
            if int(value) != value or value < 1:
                raise ValueError(f"PatchDiscriminator: {key} must be a whole number >= 1, got "
                                 f"{value}")
        self.in_channels, self.n_layers = int(in_channels), int(n_layers)
        self.config = {"in_channels": self.in_channels, "width": int(width),
                       "n_layers": self.n_layers}
        layers = [nn.Conv2d(in_channels, width, 4, stride=2, padding=1, init=_init),
                  nn.LeakyReLU(0.2)]
        c = int(width)
        for k in range(1, self.n_layers):
            out = int(width) * min(2 ** k, 8)
            layers += [nn.Conv2d(c, out, 4, stride=2, padding=1, init=_init),
                       nn.InstanceNorm2d(out), nn.LeakyReLU(0.2)]
            c = out
        layers.append(nn.Conv2d(c, 1, 4, stride=1, padding=1, init=_init))
        self.model = nn.Sequential(*layers)
        self.receptive_field = 6 * 2 ** self.n_layers - 2  # r = 4, then r -> (r - 1) 2 + 4

    def forward(self, x: Any) -> Tensor:
        x = _images("PatchDiscriminator", x, self.in_channels, dtype=self.model[0].weight.dtype)
        if min(x.shape[2:]) < 2 ** (self.n_layers + 1):
            raise ValueError(f"PatchDiscriminator: images {tuple(x.shape[2:])} are too small "
                             f"for n_layers={self.n_layers}; they need at least "
                             f"{2 ** (self.n_layers + 1)} pixels a side (or use fewer layers)")
        return self.model(x)


class ImagePool:
    """A history of generated images for the discriminator (Shrivastava et al., 2017).

    ``query(images)`` goes image by image: while the pool holds fewer than ``size``, the
    image is stored and returned; once full, with probability 1/2 a random stored image
    is returned and the new one takes its place, else the new one is returned. size=0
    returns the images unchanged.

    Args:
        size: images kept, >= 0. Default: 50
        generator: the coin flips and picks; None: manabu's global one. Default: None

    Example:
        >>> from manabu.models.cyclegan import ImagePool
        >>> pool = ImagePool(size=2, generator=np.random.default_rng(0))
        >>> pool.query(np.zeros((2, 1, 4, 4))).shape, len(pool)
        ((2, 1, 4, 4), 2)
    """

    def __init__(self, size: int = 50, generator: np.random.Generator | None = None) -> None:
        if int(size) != size or size < 0:
            raise ValueError(f"ImagePool: size must be a whole number >= 0, got {size}")
        self.size = int(size)
        self.generator = generator
        self.images = []

    def __len__(self) -> int:
        return len(self.images)

    def query(self, images: Any) -> np.ndarray:
        """The images for D: a mix of these and older ones, (N, ...) as an array."""
        images = images.data if isinstance(images, Tensor) else np.asarray(images)
        if self.size == 0:
            return images
        rng = self.generator if self.generator is not None else get_generator()
        out = []
        for image in images:
            image = image.copy()
            if len(self.images) < self.size:
                self.images.append(image)
                out.append(image)
            elif rng.uniform() < 0.5:
                i = int(rng.integers(self.size))
                out.append(self.images[i])
                self.images[i] = image
            else:
                out.append(image)
        return backend.get_array_module(images).stack(out) if out else images

    def state_dict(self) -> dict[str, Any]:
        """{"size": size, "images": the stored images (k, ...) as one array}."""
        images = np.stack(self.images) if self.images else np.zeros((0,))
        return {"size": self.size, "images": images}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore the stored images (the size must match)."""
        if int(state_dict["size"]) != self.size:
            raise ValueError(f"ImagePool: the state is of a pool of size {state_dict['size']}, "
                             f"this one has size {self.size}")
        images = np.asarray(state_dict["images"])
        if len(images) > self.size:
            raise ValueError(f"ImagePool: the state holds {len(images)} images, more than the "
                             f"size {self.size}")
        self.images = [image.copy() for image in images]


def _dtype(module):
    return next(iter(module.parameters())).dtype


class CycleGAN(nn.Module):
    """The four networks of a CycleGAN and its losses (the module docstring's formulas).

    ``forward(real_a, real_b)`` gives the translations (G_ab(a), G_ba(b));
    ``generator_loss`` the generators' objective and its parts; ``discriminator_loss`` a
    discriminator's. Train with ``train_cyclegan``.

    Args:
        G_ab: the generator A -> B (e.g. ResnetGenerator)
        G_ba: the generator B -> A
        D_a: the discriminator of domain A (e.g. PatchDiscriminator), logits
        D_b: the discriminator of domain B
        lambda_cycle: lc, the weight of the cycle losses. Default: 10.0
        lambda_identity: li; the identity losses weigh lc * li (0: none; they need the
            same channels in A and B). Default: 0.5

    Shape:
        - Input: real_a (N, C_a, H, W) and real_b (N, C_b, H, W), in [-1, 1]
        - Output: (fake_b (N, C_b, H, W), fake_a (N, C_a, H, W))

    Example:
        >>> from manabu.models.cyclegan import CycleGAN, PatchDiscriminator, ResnetGenerator
        >>> G = lambda: ResnetGenerator(width=2, n_blocks=1, n_down=1)
        >>> model = CycleGAN(G(), G(), PatchDiscriminator(width=2), PatchDiscriminator(width=2))
        >>> a, b = np.zeros((2, 1, 8, 8), np.float32), np.ones((2, 1, 8, 8), np.float32)
        >>> total, parts = model.generator_loss(a, b)
        >>> total.shape, sorted(parts)
        ((), ['adv_ab', 'adv_ba', 'cycle_a', 'cycle_b', 'identity_a', 'identity_b'])
    """

    def __init__(self, G_ab: Module, G_ba: Module, D_a: Module, D_b: Module,  # noqa: N803
                 lambda_cycle: float = 10.0, lambda_identity: float = 0.5) -> None:
        super().__init__()
        if lambda_cycle < 0 or lambda_identity < 0:
            raise ValueError(f"CycleGAN: lambda_cycle and lambda_identity must be >= 0, got "
                             f"{lambda_cycle} and {lambda_identity}")
        channels = [getattr(m, name, None) for m, name in
                    ((G_ab, "in_channels"), (G_ba, "out_channels"), (D_a, "in_channels"),
                     (G_ab, "out_channels"), (G_ba, "in_channels"), (D_b, "in_channels"))]
        for side, found in (("A", channels[:3]), ("B", channels[3:])):
            if len({c for c in found if c is not None}) > 1:
                raise ValueError(f"CycleGAN: the channels of domain {side} disagree: G_ab, "
                                 f"G_ba and D give {found}")
        c_a, c_b = channels[0], channels[3]
        if lambda_identity > 0 and None not in (c_a, c_b) and c_a != c_b:
            raise ValueError(f"CycleGAN: the identity loss G_ab(b) ~ b needs as many channels "
                             f"in A as in B, got {c_a} and {c_b}; set lambda_identity=0")
        self.G_ab, self.G_ba, self.D_a, self.D_b = G_ab, G_ba, D_a, D_b
        self.lambda_cycle, self.lambda_identity = float(lambda_cycle), float(lambda_identity)

    def forward(self, real_a: Any, real_b: Any) -> tuple[Tensor, Tensor]:
        return self.G_ab(real_a), self.G_ba(real_b)

    def generator_loss(self, real_a: Any, real_b: Any) -> tuple[Tensor, dict[str, float]]:
        """(loss_G, parts): the total to minimise and its unweighted parts as floats:
        adv_ab, adv_ba, cycle_a, cycle_b, identity_a, identity_b (0.0 with li = 0)."""
        total, parts, _ = self._generator_terms(real_a, real_b)
        return total, parts

    def _generator_terms(self, real_a, real_b):
        a = _images("CycleGAN", real_a, dtype=_dtype(self.G_ab))
        b = _images("CycleGAN", real_b, dtype=_dtype(self.G_ba))
        fake_b, fake_a = self.G_ab(a), self.G_ba(b)
        # 2 x manabu's (f - 1)^2 / 2: the paper's mean squared error against 1
        terms = {"adv_ab": 2 * _lsgan_g_loss("least-squares", self.D_b(fake_b).reshape((-1,))),
                 "adv_ba": 2 * _lsgan_g_loss("least-squares", self.D_a(fake_a).reshape((-1,))),
                 "cycle_a": (self.G_ba(fake_b) - a).abs().mean(),
                 "cycle_b": (self.G_ab(fake_a) - b).abs().mean()}
        total = terms["adv_ab"] + terms["adv_ba"] \
            + self.lambda_cycle * (terms["cycle_a"] + terms["cycle_b"])
        parts = {"identity_a": 0.0, "identity_b": 0.0}
        if self.lambda_identity > 0:
            terms["identity_a"] = (self.G_ba(a) - a).abs().mean()
            terms["identity_b"] = (self.G_ab(b) - b).abs().mean()
            weight = self.lambda_cycle * self.lambda_identity
            total = total + weight * (terms["identity_a"] + terms["identity_b"])
        parts.update({key: float(value.item()) for key, value in terms.items()})
        order = ("adv_ab", "adv_ba", "cycle_a", "cycle_b", "identity_a", "identity_b")
        return total, {key: parts[key] for key in order}, (fake_b, fake_a)

    def discriminator_loss(self, real: Any, fake: Any, D: Module) -> Tensor:  # noqa: N803
        """LSGAN's ((D(real) - 1)^2 + D(fake)^2) / 2, meaned over patches and images (the
        official code's halved D loss); ``fake`` is detached (D's step leaves G alone)."""
        real = _images("CycleGAN.discriminator_loss", real, dtype=_dtype(D))
        fake = _images("CycleGAN.discriminator_loss",
                       fake.detach() if isinstance(fake, Tensor) else fake, dtype=_dtype(D))
        return _lsgan_d_loss("least-squares", D(real).reshape((-1,)), D(fake).reshape((-1,)))
