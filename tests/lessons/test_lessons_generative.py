"""The autoencoder and VAE lessons: each quick mode runs through `manabu lesson NAME
--quick`, draws its figures and shows what it teaches: codes that sort digits without
labels, a denoiser that beats copying the noise, a VAE equal to its PyTorch twin with an
importance-weighted log p(x) above its ELBO, and a cVAE that draws the digit asked for."""


def test_autoencoder_codes_sort_digits_without_labels(run_lesson, assert_png):
    result = run_lesson("autoencoder")
    # measured (quick): BCE 0.271 (2-D code), 0.202 (32), nearest class mean 0.31
    assert result["bce_latent32"] < result["bce_latent2"] < 0.35
    assert result["nearest_mean_accuracy_2d"] > 0.2  # chance is 0.1
    for path in result["figures"]:
        assert_png(path)


def test_denoising_autoencoder_cleans_better_than_the_noise(run_lesson, assert_png):
    result = run_lesson("denoising")
    mse = result["mse"]
    # measured (quick), std 0.3: noisy 0.073, plain 0.049, denoising 0.036
    assert mse["denoising autoencoder"][1] < mse["plain autoencoder"][1]
    assert all(d < n for d, n in zip(mse["denoising autoencoder"], mse["noisy input"][1:]))
    assert_png(result["figures"][0])


def test_vae_matches_pytorch_and_iwae_tightens_the_bound(run_lesson, assert_png):
    result = run_lesson("vae")
    # measured (quick): ELBO -201.41 both sides, IWAE -193.6
    assert result["elbo_gap"] < 1.0  # the bar (full mode: 0.03 nats)
    assert -260 < result["test_elbo"] < result["iwae_log_px"] < 0
    assert len(result["figures"]) == 3
    for path in result["figures"]:
        assert_png(path)


def test_cvae_draws_the_digits_asked_for(run_lesson, assert_png):
    result = run_lesson("cvae")
    # measured (quick): CNN 0.900, recognition 0.64 (full mode: 0.951)
    assert result["cnn_accuracy"] > 0.8
    assert result["recognition_rate"] > 0.4  # chance is 0.1
    assert_png(result["figures"][0])
