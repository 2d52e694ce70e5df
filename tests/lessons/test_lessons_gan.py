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
