"""VQ-VAE (ベクトル量子化VAE): an autoencoder whose code is a 7x7 grid of symbols from a
codebook of 64 learnt vectors, and a GPT that learns to write such grids.

The encoder maps a 28x28 digit to a 7x7 grid of 16-vectors; each vector is replaced by the
nearest of the 64 codebook entries (ベクトル量子化, ``F.vector_quantize``) and the decoder
rebuilds the image from the codes alone. The argmin has no gradient: the straight-through
estimator copies the decoder's gradient to the encoder, a commitment loss keeps the
encoder near its codes, and the codebook follows the vectors assigned to it by
exponential moving averages (the paper's EMA variant); codes nobody uses are restarted on
random encoder outputs. An image becomes 49 symbols of 6 bits, 294 bits against the 6,272
of its 784 bytes.

Being discrete, the codes can be modelled like text: a 2-layer GPT (``models.GPT``) learns
p(k_1, ..., k_49) one code at a time after a start token (``train_code_prior``), and new
digits are drawn by sampling a grid from it and decoding it (``sample_images``).

Figures: test digits above their reconstructions, the usage of each code on the test set
(with the perplexity, the number of codes in effective use), and digits sampled from the
GPT prior.

Expect (full: 64 channels, 2 residual blocks, 10 epochs of batches of 64, Adam 2e-3; the
prior 8 epochs; measured, 250 s on one core): test reconstruction MSE 0.0049 (an
all-black image: 0.123), perplexity 50.1 with all 64 codes used, and the prior needs 131
bits an image on the test grids (1.85 nats a code; uniform codes: 294 bits). Quick (32
channels, 1 residual block, 2 epochs; the prior 2 epochs; 35 s): MSE 0.0116, perplexity
44.8, 62 of 64 codes used, 147 bits an image.
"""

import math
import os

import numpy as np

import manabu
from manabu import plot
from manabu.autograd import no_grad
from manabu.data import load_mnist_10k
from manabu.models.vq_vae import (
    VQVAE, code_perplexity, sample_images, train_code_prior, train_vqvae,
)

NUM_CODES = 64


def test_mse(model, x, batch_size=500):
    """Mean squared reconstruction error over the images x, in eval mode."""
    model.eval()
    total = 0.0
    with no_grad():
        for i in range(0, len(x), batch_size):
            x_hat, _, _ = model(x[i:i + batch_size])
            total += float(((x_hat.numpy() - x[i:i + batch_size]) ** 2).sum())
    return total / x.size


def prior_nats(prior, codes, batch_size=500):
    """The prior's mean cross-entropy (nats a code) on code grids (N, 7, 7)."""
    seqs = np.concatenate([np.full((len(codes), 1), NUM_CODES), codes.reshape(len(codes), -1)],
                          axis=1)  # (N, 50): the start token, then the 49 codes
    total = 0.0
    with no_grad():
        for i in range(0, len(seqs), batch_size):
            batch = seqs[i:i + batch_size]
            _, loss = prior(batch[:, :-1], batch[:, 1:])
            total += float(loss.item()) * len(batch)
    return total / len(seqs)


def usage_figure(codes, path):
    """A bar per code: how many test positions it codes, with the perplexity."""
    plt = plot.pyplot()
    counts = np.bincount(codes.reshape(-1), minlength=NUM_CODES)
    fig, ax = plt.subplots(figsize=(8, 3.2))
    ax.bar(np.arange(NUM_CODES), counts, color="tab:blue")
    ax.set_xlabel("code k")
    ax.set_ylabel("positions on the test images")
    ax.set_title(f"codebook usage: perplexity {code_perplexity(codes, NUM_CODES):.1f}, "
                 f"{(counts > 0).sum()} of {NUM_CODES} codes used")
    return plot.save_figure(fig, path)


def reconstruction_figure(model, x, path):
    """Two rows of 10: test digits, and below them their reconstructions."""
    with no_grad():
        x_hat = model(x)[0].numpy()
    images = np.concatenate([x, np.clip(x_hat, 0, 1)])  # (20, 1, 28, 28)
    labels = ["original"] * len(x) + ["reconstruction"] * len(x)
    return plot.image_grid(images, path, labels=labels, columns=len(x))


def run(quick=False, out="lessons-output"):
    (x, _), (x_test, _) = load_mnist_10k()  # (N, 1, 28, 28) in [0, 1]
    x, x_test = x.astype(np.float32), x_test.astype(np.float32)
    hidden, blocks, epochs, prior_epochs = (32, 1, 2, 2) if quick else (64, 2, 10, 8)
    manabu.manual_seed(0)
    model = VQVAE(hidden_channels=hidden, num_residual_blocks=blocks, num_codes=NUM_CODES,
                  code_dim=16, ema=True)
    print(f"VQ-VAE: {hidden} channels, {blocks} residual block(s), {NUM_CODES} codes of size "
          f"16 on a 7x7 grid; {epochs} epochs on {len(x)} digits")
    history = train_vqvae(model, x, epochs=epochs, batch_size=64, lr=2e-3)
    mse = test_mse(model, x_test)
    codes = model.encode(x_test)  # (2000, 7, 7)
    perplexity = code_perplexity(codes, NUM_CODES)
    used = int(len(np.unique(codes)))
    blank = float((x_test ** 2).mean())
    print(f"test reconstruction MSE {mse:.4f} (an all-black image: {blank:.4f}); "
          f"perplexity {perplexity:.1f}, {used} of {NUM_CODES} codes used")

    prior, prior_history = train_code_prior(model, x, epochs=prior_epochs, batch_size=64,
                                            lr=3e-3, generator=np.random.default_rng(0))
    codes_loss = prior_nats(prior, codes)
    bits = codes_loss * 49 / math.log(2)
    print(f"GPT prior: {codes_loss:.3f} nats a code on the test grids (training: "
          f"{prior_history['loss'][-1]:.3f}), {bits:.0f} bits an image (uniform codes: "
          f"{49 * math.log2(NUM_CODES):.0f})")
    samples = sample_images(model, prior, 40, seed=0)

    os.makedirs(out, exist_ok=True)
    figures = [
        reconstruction_figure(model, x_test[:10], os.path.join(out, "vq_vae_reconstructions.png")),
        usage_figure(codes, os.path.join(out, "vq_vae_codebook_usage.png")),
        plot.image_grid(np.clip(samples, 0, 1), os.path.join(out, "vq_vae_prior_samples.png"),
                        columns=10),
    ]
    print("figures: " + ", ".join(figures))
    return {"test_mse": mse, "blank_mse": blank, "perplexity": perplexity, "codes_used": used,
            "num_codes": NUM_CODES, "train_mse": history["mse"][-1],
            "prior_nats_per_code": codes_loss, "prior_bits_per_image": bits,
            "samples_shape": list(samples.shape), "figures": figures}
