"""The PyTorch twins of manabu's DCGAN generator and discriminator: the same layers under
the same names, so ``nn.copy_to_torch(G, torch_dcgan_generator(G))`` gives a twin with
manabu's weights. They are the oracle of the GAN model tests, the PyTorch side of the
dcgan lesson and of benchmark B11. PyTorch is imported only here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any

    from manabu.models.gan import DCGANDiscriminator, DCGANGenerator

__all__ = ["torch_dcgan_discriminator", "torch_dcgan_generator"]


def torch_dcgan_generator(model: DCGANGenerator) -> Any:
    """A ``torch.nn.Module`` with ``model``'s architecture (and state_dict keys): called as
    twin(z) or twin(z, labels).

    Example:
        >>> from manabu.models.gan_torch import torch_dcgan_generator
        >>> G = models.DCGANGenerator(latent_dim=8, width=4)
        >>> sorted(nn.copy_to_torch(G, torch_dcgan_generator(G)).state_dict())[:2]
        ['net.0.bias', 'net.0.num_batches_tracked']
    """
    import torch
    from torch import nn as tnn

    c = model.config
    w, side = c["width"], c["image_size"] // 4

    class Generator(tnn.Module):
        def __init__(self):
            super().__init__()
            inputs = c["latent_dim"]
            if c["num_classes"]:
                self.embed = tnn.Embedding(c["num_classes"], c["embed_dim"])
                inputs += c["embed_dim"]
            self.project = tnn.Linear(inputs, 2 * w * side * side)
            self.net = tnn.Sequential(
                tnn.BatchNorm2d(2 * w), tnn.ReLU(),
                tnn.ConvTranspose2d(2 * w, w, 4, stride=2, padding=1),
                tnn.BatchNorm2d(w), tnn.ReLU(),
                tnn.ConvTranspose2d(w, c["channels"], 4, stride=2, padding=1), tnn.Tanh())

        def forward(self, z, labels=None):
            if labels is not None:
                z = torch.cat([z, self.embed(labels)], dim=1)
            return self.net(self.project(z).view(-1, 2 * w, side, side))

    return Generator()


def torch_dcgan_discriminator(model: DCGANDiscriminator) -> Any:
    """A ``torch.nn.Module`` with ``model``'s architecture (and state_dict keys, spectral
    norm's weight_orig / weight_u / weight_v included): twin(x) or twin(x, labels) -> (N,).

    Example:
        >>> from manabu.models.gan_torch import torch_dcgan_discriminator
        >>> D = models.DCGANDiscriminator(width=4, norm="none")
        >>> sorted(nn.copy_to_torch(D, torch_dcgan_discriminator(D)).state_dict())[:2]
        ['features.0.bias', 'features.0.weight']
    """
    from torch import nn as tnn

    c = model.config
    w = c["width"]
    features = 2 * w * (c["image_size"] // 4) ** 2

    def sn(layer):
        return tnn.utils.spectral_norm(layer) if c["spectral"] else layer

    class Discriminator(tnn.Module):
        def __init__(self):
            super().__init__()
            layers = [sn(tnn.Conv2d(c["channels"], w, 4, stride=2, padding=1)),
                      tnn.LeakyReLU(0.2), sn(tnn.Conv2d(w, 2 * w, 4, stride=2, padding=1))]
            if c["norm"] == "batch":
                layers.append(tnn.BatchNorm2d(2 * w))
            layers += [tnn.LeakyReLU(0.2), tnn.Flatten()]
            self.features = tnn.Sequential(*layers)
            self.head = sn(tnn.Linear(features, 1))
            if c["num_classes"]:
                self.embed = sn(tnn.Embedding(c["num_classes"], features))

        def forward(self, x, labels=None):
            h = self.features(x)
            score = self.head(h).view(-1)
            if labels is not None:
                score = score + (self.embed(labels) * h).sum(dim=1)
            return score

    return Discriminator()
