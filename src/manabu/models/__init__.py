"""Reference models used by the lessons and the `manabu` command.

Every model keeps its constructor arguments in ``self.config``, so ``manabu.save`` can
record the architecture and ``manabu.load`` can rebuild it.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from manabu.model_registry import register_model
from manabu.models.autoencoder import (
    Autoencoder, AutoencoderLoss, ConvAutoencoder, StackedAutoencoder, pretrain_and_finetune,
)
from manabu.models.cyclegan import CycleGAN, ImagePool, PatchDiscriminator, ResnetGenerator
from manabu.models.cyclegan_train import train_cyclegan, translate
from manabu.models.gan import (
    DCGANDiscriminator, DCGANGenerator, MLPDiscriminator, MLPGenerator, sample_generator,
)
from manabu.models.gpt import GPT, GPTConfig, gpt_param_groups
from manabu.models.char_gpt import CharGPTRecipe, char_gpt_loaders, train_char_gpt
from manabu.models.cnn import CNN1d, CNN3d, LeNet5, ResNet20, SimpleCNN, SmallVGG
from manabu.models.hred import HRED, VHRED, dialogue_pairs, kl_annealing
from manabu.models.language import RNNLM, evaluate_lm, lm_loss, perplexity
from manabu.models.mlp import MLP
from manabu.models.mnist_fid import MNISTFID
from manabu.models.rbm import DBN, RBM, base_rate_bias, train_rbm
from manabu.models.seq2seq import Seq2Seq, Seq2SeqRegressor
from manabu.models.vae import CVAE, VAE, VAELoss, VAEOutput, iwae_log_likelihood
from manabu.models.vq_vae import (
    VQVAE, VectorQuantizer, code_perplexity, sample_codes, sample_images, train_code_prior,
    train_vqvae,
)
from manabu.models.word2vec import (
    CBOW, SkipGram, UnigramSampler, analogy, contexts_targets, most_similar,
    negative_sampling_loss,
)

if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

    from manabu.nn.module import Module

__all__ = [
    "CNN1d", "CNN3d", "LeNet5", "ResNet20", "SimpleCNN", "SmallVGG",
    "CBOW", "MLP", "SkipGram", "UnigramSampler", "analogy", "build", "contexts_targets",
    "most_similar", "negative_sampling_loss", "RNNLM", "evaluate_lm", "lm_loss", "perplexity",
    "CharGPTRecipe", "char_gpt_loaders", "train_char_gpt", "GPT", "GPTConfig",
    "gpt_param_groups", "HRED", "VHRED", "Seq2Seq", "Seq2SeqRegressor", "dialogue_pairs",
    "kl_annealing", "Autoencoder", "AutoencoderLoss", "ConvAutoencoder", "StackedAutoencoder",
    "pretrain_and_finetune", "CVAE", "VAE", "VAELoss", "VAEOutput", "iwae_log_likelihood",
    "DBN", "RBM", "base_rate_bias", "train_rbm", "VQVAE", "VectorQuantizer", "code_perplexity", "sample_codes", "sample_images",
    "train_code_prior", "train_vqvae", "DCGANDiscriminator", "DCGANGenerator",
    "MLPDiscriminator", "MLPGenerator", "MNISTFID", "sample_generator", "CycleGAN",
    "ImagePool", "PatchDiscriminator", "ResnetGenerator", "train_cyclegan", "translate",
]


for _model in (MLP, SimpleCNN, LeNet5, SmallVGG, ResNet20, CNN1d, CNN3d, RNNLM, GPT, Seq2Seq,
               Seq2SeqRegressor, HRED, VHRED, CBOW, SkipGram, Autoencoder, ConvAutoencoder,
               StackedAutoencoder, VAE, CVAE, VQVAE, RBM, DBN, MLPGenerator, MLPDiscriminator,
               DCGANGenerator, DCGANDiscriminator, ResnetGenerator, PatchDiscriminator):
    register_model(_model)  # manabu.load may rebuild these from a file, by name


_CNNS = {
    "cnn": SimpleCNN, "lenet": LeNet5, "lenet5": LeNet5, "vgg": SmallVGG, "resnet20": ResNet20,
    "cnn1d": CNN1d, "cnn3d": CNN3d,
}
_WITH_DROPOUT = (SimpleCNN, SmallVGG, CNN1d, CNN3d)


def build(name: str, input_shape: Sequence[int], num_classes: int,
          **options: Any) -> Module:
    """A model by name for inputs of ``input_shape`` (one example) and ``num_classes``.

    'mlp' flattens its input; the CNNs ('cnn', 'lenet', 'vgg', 'resnet20' for images
    (C, H, W), 'cnn1d' for (C, L), 'cnn3d' for (C, D, H, W)) adapt their fully connected
    part to the input size. ``hidden_sizes`` only applies to the MLP; ``dropout`` to the MLP
    and to the CNNs that have a dropout layer.

    Args:
        name: 'mlp', 'cnn', 'lenet' (or 'lenet5'), 'vgg', 'resnet20', 'cnn1d' or 'cnn3d'
            (ValueError otherwise)
        input_shape: the shape of one example, without the batch axis
        num_classes: the number of outputs
        **options: ``hidden_sizes`` (MLP, default (256, 128)) and ``dropout`` (default 0);
            others are ignored

    Returns:
        the model, in train mode

    Example:
        >>> model = models.build("lenet", input_shape=(1, 28, 28), num_classes=10)
        >>> type(model).__name__, sum(p.size for p in model.parameters())
        ('LeNet5', 61706)
    """
    if name == "mlp":
        return MLP(in_features=math.prod(input_shape),
                   hidden_sizes=options.get("hidden_sizes", (256, 128)),
                   out_features=num_classes, dropout=options.get("dropout", 0.0))
    if name in _CNNS:
        cls = _CNNS[name]
        kwargs = {}
        if cls in _WITH_DROPOUT:
            kwargs["dropout"] = options.get("dropout", 0.0)
        return cls(input_shape=tuple(input_shape), num_classes=num_classes, **kwargs)
    raise ValueError(f"unknown model {name!r}; available: mlp, {', '.join(_CNNS)}")
