"""The GAN lessons: each quick mode runs through `manabu lesson NAME --quick`, draws its
figures and shows what it teaches."""


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
    # measured (quick, 3 epochs): FID falls every epoch; manabu and PyTorch within 0.1%
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
