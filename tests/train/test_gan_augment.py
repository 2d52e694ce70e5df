"""GAN augmentation: every transformation is differentiable (central differences, float64),
translation and cutout move and cut what they say, ADA's and APA's p follow the r_t rule
and resume from their state, the consistency term equals its formula, fit_gan runs with
each of them."""

import json

import numpy as np
import pytest

import manabu
from manabu import nn, optim, train
from manabu.gradcheck import gradcheck
from manabu.train.gan_augment import cutout_masks, translation_shifts


@pytest.fixture
def float64():
    manabu.set_default_dtype(np.float64)
    yield
    manabu.set_default_dtype(np.float32)


def _images(n=2, size=8, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (n, 2, size, size))


@pytest.mark.parametrize("policy", [("color",), ("translation",), ("cutout",),
                                    ("color", "translation", "cutout")])
def test_every_policy_is_differentiable(policy, float64):
    x = manabu.Tensor(_images(), requires_grad=True)
    gradcheck(lambda t: train.diff_augment(t, policy, np.random.default_rng(3)), x)


@pytest.mark.parametrize("p", [1.0, 0.5])
def test_ada_is_differentiable(p, float64):
    ada = train.ADA(p=p)
    x = manabu.Tensor(_images(4), requires_grad=True)
    gradcheck(lambda t: ada(t, generator=np.random.default_rng(5)), x)


def test_translation_moves_each_image_by_its_shift_with_zero_fill():
    x = _images(3)
    out = train.diff_augment(x, ("translation",), np.random.default_rng(1)).numpy()
    shifts = translation_shifts(3, (8, 8), np.random.default_rng(1))
    assert np.abs(shifts).max() <= 1 and np.abs(shifts).sum() > 0
    for image, moved, (down, right) in zip(x, out, shifts):
        expected = np.zeros_like(image)
        h, w = image.shape[1:]
        expected[:, max(down, 0):h + min(down, 0), max(right, 0):w + min(right, 0)] = \
            image[:, max(-down, 0):h + min(-down, 0), max(-right, 0):w + min(-right, 0)]
        np.testing.assert_allclose(moved, expected)


def test_cutout_zeroes_one_square_of_half_the_size():
    masks = cutout_masks(50, (8, 8), np.random.default_rng(0))
    holes = (masks == 0).sum(axis=(1, 2, 3))
    assert holes.max() == 16 and holes.min() >= 4  # 4x4, clipped at the borders
    for mask in masks[:, 0]:
        rows, cols = np.nonzero(mask == 0)
        assert rows.max() - rows.min() < 4 and cols.max() - cols.min() < 4


def test_cutout_multiplies_by_its_mask():
    x = _images(4)
    out = train.diff_augment(x, ("cutout",), np.random.default_rng(2)).numpy()
    np.testing.assert_array_equal(out, x * cutout_masks(4, (8, 8), np.random.default_rng(2)))


def test_colour_moves_a_flat_image_by_one_brightness_per_image():
    # saturation and contrast scale x - mean, which is 0 on a flat image: brightness is left
    x = np.full((50, 3, 4, 4), 0.25)
    out = train.diff_augment(x, ("color",), np.random.default_rng(0)).numpy()
    shift = out - x
    np.testing.assert_allclose(shift, shift[:, :1, :1, :1] * np.ones_like(x), atol=1e-12)
    assert -0.5 <= shift.min() and shift.max() <= 0.5 and shift[:, 0, 0, 0].std() > 0.2


def test_ada_with_p_zero_is_the_identity():
    x = _images()
    np.testing.assert_array_equal(train.ADA(p=0.0)(x, np.random.default_rng(0)).numpy(), x)


@pytest.mark.parametrize("policy", [("translation", "cutout", "color"), ("color",)])
def test_ada_with_p_one_is_diff_augment_with_the_same_draws(policy):
    x = _images(3)
    ada = train.ADA(policy, p=1.0)(x, np.random.default_rng(6)).numpy()
    np.testing.assert_array_equal(ada, train.diff_augment(x, policy,
                                                          np.random.default_rng(6)).numpy())


def test_ada_transforms_each_image_with_probability_p():
    x = np.ones((40, 1, 8, 8))
    out = train.ADA(("cutout",), p=0.5)(x, np.random.default_rng(0)).numpy()
    rng = np.random.default_rng(0)  # the documented order: the mask, then T's draws
    chosen = rng.uniform(size=(40, 1, 1, 1)) < 0.5
    np.testing.assert_array_equal(out, np.where(chosen, cutout_masks(40, (8, 8), rng), 1.0))
    assert 10 < chosen.sum() < 30  # some images kept, some cut


def test_ada_p_follows_the_rule_and_resumes():
    ada = train.ADA(target=0.6, interval=2, speed=40)
    # each batch of 10: r_t from the signs; every 2 calls p += sign(r_t - 0.6) * 20 / 40
    batches = [np.ones(10)] * 4 + [-np.ones(10)] * 2 + [np.ones(10)] * 4
    for scores in batches[:6]:
        ada.observe(scores)
    assert ada.p_history == [0.5, 1.0, 0.5]  # up, up (clipped at 1 next), down
    state = json.loads(json.dumps(ada.state_dict()))  # plain numbers: a checkpoint's JSON
    again = train.ADA(target=0.6, interval=2, speed=40)
    again.load_state_dict(state)
    for scores in batches[6:]:
        ada.observe(scores)
        again.observe(scores)
    assert ada.p_history == again.p_history == [0.5, 1.0, 0.5, 1.0, 1.0]
    assert ada.r_t == 1.0
    mixed = train.ADA(target=0.6, interval=1, speed=10)
    mixed.observe(np.array([1.0, 1.0, -1.0, 1.0, 1.0]))  # r_t = 0.6: no move
    assert mixed.p == 0.0
    low = train.ADA(target=0.6, interval=3, speed=1000, p=0.01)
    for scores in [np.ones(4), -np.ones(4), np.ones(4)] * 2:  # r_t = 1/3 < 0.6: down
        low.observe(scores)
    assert low.p_history == [0.0, 0.0] and low.r_t == pytest.approx(1 / 3)  # clipped at 0


def test_apa_presents_fakes_as_real_with_probability_p():
    real, fake = np.zeros((1000, 3)), np.ones((1000, 3))
    assert (train.APA(p=0.0).present(real, fake) == 0).all()
    assert (train.APA(p=1.0).present(real, fake) == 1).all()
    share = train.APA(p=0.3).present(real, fake, np.random.default_rng(0))[:, 0].mean()
    assert 0.25 < share < 0.35
    apa = train.APA(interval=1, speed=10)
    apa.observe(np.ones(5))
    apa.observe(-np.ones(5))
    apa.observe(-np.ones(5))
    assert apa.p_history == [0.5, 0.0, 0.0]  # up, down, clipped at 0
    again = train.APA(interval=1, speed=10)
    again.load_state_dict(json.loads(json.dumps(apa.state_dict())))
    for watcher in (apa, again):
        watcher.observe(np.array([1.0, 1.0, 1.0, -1.0]))  # r_t = 0.5 < 0.6
    assert apa.p_history == again.p_history == [0.5, 0.0, 0.0, 0.0]
    fake = manabu.Tensor(np.ones((4, 3)), requires_grad=True)
    shown = train.APA(p=1.0).present(manabu.Tensor(np.zeros((4, 3))), fake)
    assert not isinstance(shown, manabu.Tensor) and (shown == 1).all()  # data: no graph to G


def test_consistency_loss_equals_its_formula_and_reaches_d(float64):
    D = nn.Sequential(nn.Flatten(), nn.Linear(2 * 8 * 8, 1))
    x = _images()
    loss = train.consistency_loss(D, x, train.DiffAugment(), weight=10.0,
                                  generator=np.random.default_rng(4))
    t = train.diff_augment(x, generator=np.random.default_rng(4)).numpy()
    W, b = D[1].weight.numpy(), D[1].bias.numpy()
    d = (x.reshape(2, -1) @ W.T + b) - (t.reshape(2, -1) @ W.T + b)
    assert loss.item() == pytest.approx(10.0 * (d ** 2).sum(axis=1).mean(), rel=1e-10)
    loss.backward()
    assert np.abs(D[1].weight.grad.numpy()).sum() > 0


def test_bad_input_is_named():
    with pytest.raises(ValueError, match=r"unknown policy 'flip'; choose among"):
        train.DiffAugment(("flip",))
    with pytest.raises(ValueError, match=r"images must be \(N, C, H, W\)"):
        train.diff_augment(np.zeros((2, 8, 8)))
    with pytest.raises(ValueError, match=r"ADA: p must be in \[0, 1\]"):
        train.ADA(p=1.5)
    with pytest.raises(ValueError, match=r"APA: target must be in \(0, 1\)"):
        train.APA(target=1.0)
    with pytest.raises(ValueError, match=r"ADA: images must be \(N, C, H, W\)"):
        train.ADA(p=0.5)(np.zeros((8, 8)))
    with pytest.raises(ValueError, match=r"ADA: unknown policy 'rotate'"):
        train.ADA(("color", "rotate"))
    with pytest.raises(ValueError, match=r"ADA: interval must be >= 1"):
        train.ADA(interval=0)
    with pytest.raises(ValueError, match=r"APA.present: real \(2, 3\) and fake \(3, 3\)"):
        train.APA().present(np.zeros((2, 3)), np.zeros((3, 3)))
    with pytest.raises(ValueError, match=r"APA.observe: got no scores"):
        train.APA().observe(np.zeros(0))
    assert train.DiffAugment("color, cutout").policy == ("color", "cutout")  # the paper's form
    with pytest.raises(ValueError, match=r"consistency_weight needs augment="):
        G, D = nn.Linear(2, 2), nn.Linear(2, 1)
        train.fit_gan(G, D, optim.Adam(G.parameters()), optim.Adam(D.parameters()),
                      np.zeros((4, 2)), latent_dim=2, consistency_weight=1.0, verbose=0)


@pytest.mark.parametrize("options", [{"augment": train.DiffAugment()},
                                     {"augment": train.ADA(interval=1, speed=100)},
                                     {"augment": train.DiffAugment(), "consistency_weight": 1.0},
                                     {"apa": train.APA(interval=1, speed=100)}])
def test_fit_gan_trains_with_each_remedy(options, tmp_path):
    from manabu import models

    manabu.manual_seed(0)
    G, D = models.DCGANGenerator(4, width=2, image_size=8), \
        models.DCGANDiscriminator(width=2, image_size=8)
    x = np.random.default_rng(0).uniform(-1, 1, (32, 1, 8, 8)).astype(np.float32)
    history = train.fit_gan(G, D, optim.Adam(G.parameters()), optim.Adam(D.parameters()), x,
                            epochs=2, batch_size=8, verbose=0,
                            checkpoint=tmp_path / "c.safetensors", **options)
    assert np.isfinite(history["d_loss"]).all() and np.isfinite(history["g_loss"]).all()
    adaptive = options.get("apa") or options["augment"]
    if isinstance(adaptive, train.DiffAugment):  # p is fixed: nothing to record
        assert np.isnan(history["p"][-1])
    else:
        assert history["p"][-1] == adaptive.p
    if "consistency_weight" in options:
        assert history["consistency"][-1] > 0
