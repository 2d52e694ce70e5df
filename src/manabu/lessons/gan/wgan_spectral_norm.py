"""Three ways to make the Wasserstein critic 1-Lipschitz, side by side on MNIST.

The WGAN critic estimates the Wasserstein distance between the real and the generated
digits as max over 1-Lipschitz D of E[D(real)] - E[D(fake)]; the constraint is what keeps
that estimate finite and G's gradient useful. Three ways to impose it, each on the same
DCGAN critic (no batch norm) and generator, five critic steps per generator step:

    WGAN     clip every weight of D to [-0.01, 0.01] after each step (Arjovsky et al.,
             2017; RMSProp 5e-5): crude, it also limits what D can express
    WGAN-GP  a gradient penalty 10 * (|grad_x D(x_mix)| - 1)^2 between real and fake
             (Gulrajani et al., 2017; Adam 1e-4, betas (0.5, 0.9)): a double backward
    SN       every layer of D divided by its largest singular value, found by power
             iteration (spectral normalisation, Miyato et al., 2018; Adam 1e-4, (0.5, 0.9))

Figures: the MNIST-FID per epoch (with its floor) and the critic's Wasserstein estimate
E[D(real)] - E[D(fake)] per epoch for the three.

Expect (full: 8,000 digits, 20 epochs = 500 generator steps; measured 19 min on 2 cores):
FID weight clipping 333.6, WGAN-GP 148.5, spectral norm 263.0 (floor 8.17), all three
still falling: five critic steps per generator step and these learning rates need far
more steps than DCGAN's game (15 epochs reach 48 there). The penalty is the dearest (a
double backward per critic step). Quick mode (4,000 digits, 3 epochs) only shows them run.
"""

import os
import time

import manabu
from manabu import models, optim, plot, train
from manabu.lessons.gan.common import EpochTracker, fid_judge, mnist_digits

WIDTH, LATENT, BATCH, N_CRITIC = 32, 100, 64, 5
VARIANTS = {  # name -> (D options, optimizer, fit_gan options)
    "WGAN (clipping)": ({}, lambda p: optim.RMSprop(p, lr=5e-5), {"clip_value": 0.01}),
    "WGAN-GP": ({}, lambda p: optim.Adam(p, 1e-4, betas=(0.5, 0.9)), {"gp_weight": 10.0}),
    "WGAN-SN": ({"spectral": True}, lambda p: optim.Adam(p, 1e-4, betas=(0.5, 0.9)), {}),
}


def train_variant(x, judge, epochs, d_options, make_optimizer, options):
    manabu.manual_seed(0)
    G = models.DCGANGenerator(LATENT, width=WIDTH)
    D = models.DCGANDiscriminator(width=WIDTH, norm="none", **d_options)
    tracker = EpochTracker(judge, lambda n, s: models.sample_generator(G, n, seed=s))
    started = time.perf_counter()
    history = train.fit_gan(G, D, make_optimizer(G.parameters()),
                            make_optimizer(D.parameters()), x, epochs=epochs,
                            batch_size=BATCH, loss="wasserstein", n_critic=N_CRITIC,
                            verbose=0, on_epoch_end=tracker, **options)
    estimate = [r - f for r, f in zip(history["real_score"], history["fake_score"])]
    return tracker, estimate, time.perf_counter() - started


def run(quick=False, out="lessons-output"):
    limit, epochs = (4000, 3) if quick else (None, 20)
    (x, y), test = mnist_digits()
    judge = fid_judge((x, y), test)
    x = x[:limit]
    results, fids, estimates = {}, {}, {}
    for name, (d_options, make_optimizer, options) in VARIANTS.items():
        tracker, estimate, seconds = train_variant(x, judge, epochs, d_options,
                                                   make_optimizer, options)
        fids[name], estimates[name] = tracker.fids, estimate
        results[name] = {"fid": tracker.fids[-1], "wasserstein_estimate": estimate[-1],
                         "seconds": seconds}
        print(f"{name:16s} FID {tracker.fids[-1]:7.2f}  critic's estimate "
              f"{estimate[-1]:8.4f}  {seconds:.0f} s")
    print(f"FID floor (real vs real, {judge.n} digits): {judge.floor:.2f}")
    os.makedirs(out, exist_ok=True)
    figures = [
        plot.curves(fids, os.path.join(out, "wgan_fid.png"), ylabel="MNIST-FID",
                    title="Lipschitz critics: FID per epoch", logy=True,
                    reference=(judge.floor, "floor (real vs real)")),
        plot.curves(estimates, os.path.join(out, "wgan_critic_estimate.png"),
                    ylabel="E[D(real)] - E[D(fake)]",
                    title="The critic's Wasserstein estimate"),
    ]
    print("figures: " + ", ".join(figures))
    return {"variants": results, "floor": judge.floor,
            "fid_per_epoch": {k: list(map(float, v)) for k, v in fids.items()},
            "figures": figures}
