"""The GAN lessons: each quick mode runs through `manabu lesson NAME --quick`, draws its
figures and shows what it teaches."""

import numpy as np



def test_gan_2d_finds_the_modes_of_the_ring(run_lesson, assert_png):
    result = run_lesson("gan-2d")
    coverage = result["coverage"]
    # measured (quick): minimax 8/8 (0.445), non-saturating 8/8 (0.361), WGAN-GP 7/8 (0.171)
    assert coverage["minimax"]["modes_covered"] >= 7
    assert coverage["non-saturating"]["modes_covered"] >= 7
    assert coverage["WGAN-GP"]["modes_covered"] >= 5
    assert all(c["high_quality"] > 0.1 for c in coverage.values())
    for path in result["figures"]:
        assert_png(path)


def test_gan_vanishing_gradient_shows_the_minimax_gradient_dying(run_lesson, assert_png):
    result = run_lesson("gan-vanishing-gradient")
    norms = result["gradient_norms"]
    ratio = {kind: values[-1] / values[0] for kind, values in norms.items()}
    # measured (quick, 150 D steps): minimax 0.008x, non-saturating 3.0x, Wasserstein 1.6x
    assert ratio["minimax"] < 0.05, ratio
    assert ratio["non-saturating"] > 1 and 0.3 < ratio["Wasserstein"] < 5, ratio
    assert result["d_of_g"][-1] < 0.05 < result["d_of_g"][0]  # D got strong
    for path in result["figures"]:
        assert_png(path)


def test_dcgan_learns_and_its_pytorch_twin_agrees(run_lesson, assert_png):
    result = run_lesson("dcgan")
    fids = result["fid_per_epoch"]
    # measured (quick, 2 epochs): FID 343 -> 256; manabu and PyTorch within 0.1%
    assert fids[-1] < fids[0] and result["floor"] < fids[-1]
    assert result["relative_gap"] < 0.2
    assert result["classifier_accuracy"] > 0.95
    for path in result["figures"]:
        assert_png(path)


def test_cgan_draws_the_digit_it_is_asked_for(run_lesson, assert_png):
    result = run_lesson("cgan")
    # measured (quick, 3 epochs): 0.896 recognised (chance: 0.1), FID 112
    assert result["recognition_rate"] > 0.6, result["per_digit"]
    assert result["floor"] < result["fid"]
    for path in result["figures"]:
        assert_png(path)


def test_wgan_spectral_norm_compares_three_lipschitz_critics(run_lesson, assert_png):
    result = run_lesson("wgan-spectral-norm")
    variants = result["variants"]
    assert set(variants) == {"WGAN (clipping)", "WGAN-GP", "WGAN-SN"}
    for name, v in variants.items():
        assert np.isfinite(v["fid"]) and v["fid"] > result["floor"], name
        assert v["wasserstein_estimate"] > 0, name  # the critic tells real from fake
    for path in result["figures"]:
        assert_png(path)


def test_gan_augmentation_trains_every_remedy_on_1000_digits(run_lesson, assert_png):
    result = run_lesson("gan-augmentation")
    variants = result["variants"]
    assert set(variants) == {"none", "DiffAugment", "ADA", "bCR", "APA"}
    assert all(np.isfinite(v["fid"]) for v in variants.values())
    for name in ("ADA", "APA"):  # D overfits 1,000 digits: the adaptive p rises
        assert 0 < result["p_per_epoch"][name][-1] <= 1, name
    for path in result["figures"]:
        assert_png(path)


def test_cyclegan_translates_both_ways(run_lesson, assert_png):
    result = run_lesson("cyclegan")
    # measured (quick, 19 steps): 0.27 and 0.20, above chance (0.1) already
    assert result["font_classifier_accuracy"] > 0.95
    assert result["mnist_to_font_recognised"] > 0.12
    assert np.isfinite(result["cycle_loss"]).all()
    for path in result["figures"]:
        assert_png(path)
