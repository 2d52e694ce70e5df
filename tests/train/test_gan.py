"""The two-player loop's pieces: each GAN loss against its formula in PyTorch, WGAN-GP's
penalty and its gradient w.r.t. the critic's parameters against PyTorch (double backward,
float64), mode coverage, and fit_gan: it learns a 2-D mixture, follows n_critic, clips,
and stops on a NaN naming the player."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import manabu
from manabu import data, models, nn, optim, train

REAL = np.random.default_rng(0).standard_normal(6)
FAKE = np.random.default_rng(1).standard_normal(6)

TORCH_D = {
    "minimax": lambda r, f: TF.softplus(-r).mean() + TF.softplus(f).mean(),
    "non-saturating": lambda r, f: (TF.binary_cross_entropy_with_logits(r, torch.ones_like(r))
                                    + TF.binary_cross_entropy_with_logits(f, torch.zeros_like(f))),
    "hinge": lambda r, f: TF.relu(1 - r).mean() + TF.relu(1 + f).mean(),
    "least-squares": lambda r, f: 0.5 * ((r - 1) ** 2).mean() + 0.5 * (f ** 2).mean(),
    "wasserstein": lambda r, f: f.mean() - r.mean(),
}
TORCH_G = {
    "minimax": lambda f: torch.log(1 - torch.sigmoid(f)).mean(),
    "non-saturating": lambda f: -torch.log(torch.sigmoid(f)).mean(),
    "hinge": lambda f: -f.mean(),
    "least-squares": lambda f: 0.5 * ((f - 1) ** 2).mean(),
    "wasserstein": lambda f: -f.mean(),
}


@pytest.mark.parametrize("kind", train.GAN_LOSSES)
def test_losses_and_their_gradients_equal_the_formulas(kind):
    r = manabu.tensor(REAL.copy(), requires_grad=True)
    f = manabu.tensor(FAKE.copy(), requires_grad=True)
    tr = torch.tensor(REAL, requires_grad=True)
    tf = torch.tensor(FAKE, requires_grad=True)
    d, t_d = train.discriminator_loss(kind, r, f), TORCH_D[kind](tr, tf)
    assert d.item() == pytest.approx(t_d.item(), rel=1e-12)
    d.backward()
    t_d.backward()
    np.testing.assert_allclose(r.grad.numpy(), tr.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(f.grad.numpy(), tf.grad.numpy(), rtol=1e-12)
    g_in = manabu.tensor(FAKE.copy(), requires_grad=True)
    t_in = torch.tensor(FAKE, requires_grad=True)
    g, t_g = train.generator_loss(kind, g_in), TORCH_G[kind](t_in)
    assert g.item() == pytest.approx(t_g.item(), rel=1e-12)
    g.backward()
    t_g.backward()
    np.testing.assert_allclose(g_in.grad.numpy(), t_in.grad.numpy(), rtol=1e-10)


def _mlp_critic(lib):
    return lib.Sequential(lib.Linear(3, 8), lib.LeakyReLU(0.2), lib.Linear(8, 1))


def _conv_critic(lib):  # DCGAN's critic in small: strided convs, reflect padding too
    return lib.Sequential(lib.Conv2d(1, 4, 3, stride=2, padding=1), lib.LeakyReLU(0.2),
                          lib.Conv2d(4, 6, 3, stride=2, padding=1, padding_mode="reflect"),
                          lib.LeakyReLU(0.2), lib.Flatten(), lib.Linear(6 * 2 * 2, 1))


@pytest.mark.parametrize("make_critic, shape", [(_mlp_critic, (5, 3)),
                                                (_conv_critic, (5, 1, 7, 7))])
def test_gradient_penalty_and_its_parameter_gradients_equal_pytorch(make_critic, shape):
    manabu.manual_seed(0)
    manabu.set_default_dtype(np.float64)
    try:
        critic = make_critic(nn)
    finally:
        manabu.set_default_dtype(np.float32)
    t_critic = make_critic(torch.nn).double()
    nn.copy_to_torch(critic, t_critic)
    rng = np.random.default_rng(2)
    real, fake = rng.standard_normal(shape), rng.standard_normal(shape)
    penalty = train.gradient_penalty(critic, real, fake, weight=10.0,
                                     generator=np.random.default_rng(7))
    penalty.backward()
    e = torch.from_numpy(np.random.default_rng(7).uniform(size=(5,) + (1,) * (len(shape) - 1)))
    mixed = (e * torch.from_numpy(real) + (1 - e) * torch.from_numpy(fake)).requires_grad_()
    (slopes,) = torch.autograd.grad(t_critic(mixed).sum(), mixed, create_graph=True)
    t_penalty = 10.0 * ((slopes.flatten(1).norm(2, dim=1) - 1) ** 2).mean()
    t_penalty.backward()
    assert penalty.item() == pytest.approx(t_penalty.item(), rel=1e-9)
    t_params = dict(t_critic.named_parameters())
    for name, p in critic.named_parameters():
        theirs = t_params[name].grad
        if p.grad is None or theirs is None:  # no path to the slopes (the biases): zero
            for g in (p.grad, theirs):
                assert g is None or not np.asarray(g.numpy()).any(), name
            continue
        np.testing.assert_allclose(p.grad.numpy(), t_params[name].grad.numpy(), rtol=1e-8,
                                   atol=1e-12, err_msg=name)


def mlp(inputs, outputs, width=64):
    return nn.Sequential(nn.Linear(inputs, width), nn.ReLU(), nn.Linear(width, width),
                         nn.ReLU(), nn.Linear(width, outputs))


def test_fit_gan_learns_a_ring_of_gaussians():
    x, centres = data.gaussian_ring(2048, std=0.05)
    manabu.manual_seed(0)
    G, D = mlp(2, 2), mlp(2, 1)
    history = train.fit_gan(G, D, optim.Adam(G.parameters(), 1e-3, betas=(0.5, 0.9)),
                            optim.Adam(D.parameters(), 1e-3, betas=(0.5, 0.9)), x,
                            latent_dim=2, epochs=100, batch_size=128, loss="wasserstein",
                            n_critic=5, gp_weight=0.1, verbose=0)
    assert len(history["d_loss"]) == 100 and all(np.isfinite(history["d_loss"]))
    with manabu.no_grad():
        samples = G(manabu.tensor(np.random.default_rng(1).standard_normal((2000, 2))
                                  .astype(np.float32))).numpy()
    coverage = train.mode_coverage(samples, centres, std=0.05)
    radius = np.linalg.norm(samples, axis=1)
    assert 0.6 < np.median(radius) < 1.4, np.median(radius)  # on the ring, not collapsed
    # measured: all 8 modes, 42% of 2,000 samples within 3 std of a mode
    assert coverage["modes_covered"] >= 7 and coverage["high_quality"] > 0.25, coverage


def test_n_critic_and_clipping():
    x, _ = data.gaussian_ring(256)
    manabu.manual_seed(0)
    G, D = mlp(2, 2, 8), mlp(2, 1, 8)
    g_steps = []
    g_opt = optim.RMSprop(G.parameters(), lr=5e-5)
    original_step = g_opt.step

    def counted_step(*args):
        g_steps.append(1)
        return original_step(*args)

    g_opt.step = counted_step
    d_opt = optim.SGD(D.parameters(), lr=1.0)  # large steps, so clipping has work to do
    train.fit_gan(G, D, g_opt, d_opt, x, latent_dim=2, epochs=1, batch_size=32,
                  loss="wasserstein", n_critic=4, clip_value=0.01, verbose=0)
    assert len(g_steps) == 256 // 32 // 4
    assert max(float(np.abs(p.data).max()) for p in D.parameters()) <= 0.01


def test_a_nan_stops_training_naming_the_player_before_the_update():
    x, _ = data.gaussian_ring(128)
    manabu.manual_seed(0)
    G, D = mlp(2, 2, 8), mlp(2, 1, 8)
    G[-1].bias.data[...] = np.nan  # the generator now writes NaN
    before = [p.data.copy() for p in D.parameters()]
    with pytest.raises(FloatingPointError, match="discriminator.*epoch 1, step 1"):
        train.fit_gan(G, D, optim.Adam(G.parameters()), optim.Adam(D.parameters()), x,
                      latent_dim=2, epochs=1, batch_size=32, verbose=0)
    for a, p in zip(before, D.parameters()):
        np.testing.assert_array_equal(a, p.data)


def test_fit_gan_errors():
    G, D = nn.Linear(2, 2), nn.Linear(2, 1)
    opts = (optim.Adam(G.parameters()), optim.Adam(D.parameters()))
    with pytest.raises(ValueError, match="unknown GAN loss 'vanilla'"):
        train.fit_gan(G, D, *opts, np.zeros((4, 2)), latent_dim=2, loss="vanilla")
    with pytest.raises(ValueError, match="n_critic must be at least 1"):
        train.fit_gan(G, D, *opts, np.zeros((4, 2)), latent_dim=2, n_critic=0)
    with pytest.raises(ValueError, match="the same shape"):
        train.gradient_penalty(D, np.zeros((4, 2)), np.zeros((3, 2)))


def test_mode_coverage_counts_modes_and_good_samples():
    points, centres = data.gaussian_ring(4000, std=0.05, seed=3)
    full = train.mode_coverage(points, centres, std=0.05)
    assert full["modes_covered"] == 8 and full["high_quality"] > 0.98
    collapsed = train.mode_coverage(points[np.linalg.norm(points - centres[0], axis=1) < 0.3],
                                    centres, std=0.05)
    assert collapsed["modes_covered"] == 1
    far = train.mode_coverage(np.full((10, 2), 5.0), centres, std=0.05)
    assert far["modes_covered"] == 0 and far["high_quality"] == 0
    with pytest.raises(ValueError, match="must share D"):
        train.mode_coverage(np.zeros((3, 3)), centres, std=0.05)


def _small_dcgan(num_classes=0):
    manabu.manual_seed(0)
    G = models.DCGANGenerator(latent_dim=4, width=2, num_classes=num_classes, embed_dim=2)
    D = models.DCGANDiscriminator(width=2, num_classes=num_classes, norm="none",
                                  spectral=True)
    return G, D, optim.Adam(G.parameters(), 2e-4, betas=(0.5, 0.999)), \
        optim.Adam(D.parameters(), 2e-4, betas=(0.5, 0.999))


def _digits(n=48):
    images = np.random.default_rng(0).uniform(-1, 1, (n, 1, 28, 28)).astype(np.float32)
    return images, np.arange(n) % 10


def test_an_interrupted_run_resumes_exactly(tmp_path):
    images, labels = _digits()
    options = dict(batch_size=16, loss="wasserstein", gp_weight=1.0, n_critic=2, verbose=0)
    G, D, g_opt, d_opt = _small_dcgan(10)
    straight = train.fit_gan(G, D, g_opt, d_opt, (images, labels), epochs=3, **options)
    G2, D2, g_opt2, d_opt2 = _small_dcgan(10)
    ckpt = tmp_path / "gan.safetensors"
    train.fit_gan(G2, D2, g_opt2, d_opt2, (images, labels), epochs=2, checkpoint=ckpt,
                  **options)
    manabu.manual_seed(123)  # a later process: other weights and another global generator
    G3, D3, g_opt3, d_opt3 = _small_dcgan(10)
    for p in G3.parameters():
        p.data[...] = 0
    resumed = train.fit_gan(G3, D3, g_opt3, d_opt3, (images, labels), epochs=3, resume=ckpt,
                            checkpoint=ckpt, **options)
    for key in ("d_loss", "g_loss", "gradient_penalty"):
        assert resumed[key] == straight[key], key
    for ours, theirs in ((G, G3), (D, D3)):
        for (name, a), b in zip(ours.state_dict().items(), theirs.state_dict().values()):
            np.testing.assert_array_equal(np.asarray(a), np.asarray(b), err_msg=name)
    with pytest.raises(manabu.io.CheckpointError, match="not a GAN checkpoint"):
        path = tmp_path / "other.safetensors"
        train.save_training_state(path, G, g_opt)
        train.fit_gan(G, D, g_opt, d_opt, images, epochs=1, resume=path, verbose=0)


def test_a_conditional_pair_trains_on_labelled_data():
    images, labels = _digits(32)
    G, D, g_opt, d_opt = _small_dcgan(10)
    before = G.embed.weight.data.copy()
    history = train.fit_gan(G, D, g_opt, d_opt, (images, labels), epochs=1, batch_size=16,
                            verbose=0)
    assert np.isfinite(history["d_loss"]).all() and np.isfinite(history["g_loss"]).all()
    assert not np.array_equal(before, G.embed.weight.data)  # the labels reached G
    assert len(history["real_score"]) == 1 and np.isnan(history["p"][0])
    with pytest.raises(ValueError, match=r"labels must be \(N,\) = \(32,\)"):
        train.fit_gan(G, D, g_opt, d_opt, (images, labels[:5]), epochs=1, verbose=0)
