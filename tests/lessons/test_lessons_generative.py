"""The generative lessons: each quick mode runs through `manabu lesson NAME
--quick`, draws its figures and shows what it teaches: codes that sort digits without
labels, a denoiser that beats copying the noise, a VAE equal to its PyTorch twin with an
importance-weighted log p(x) above its ELBO, a cVAE that draws the digit asked for,
pre-training that beats a random start with 100 labels, and an RBM whose AIS estimate of
log Z meets the exact sum."""


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


def test_pretraining_beats_a_random_start_with_100_labels(run_lesson, assert_png):
    result = run_lesson("stacked-pretraining")
    accuracy = {name: a["mean"] for name, a in result["accuracy"].items()}
    # measured (quick): random 0.724, stacked denoising AE 0.756, DBN 0.796
    random_start = accuracy["random start"]
    assert accuracy["DBN (stacked RBMs)"] > random_start + 0.03
    assert accuracy["stacked denoising autoencoder"] > random_start
    assert 0.5 < random_start < 0.9
    assert_png(result["figures"][0])


def test_rbm_cd_and_pcd_with_ais_checked_against_the_exact_log_z(run_lesson, assert_png):
    result = run_lesson("rbm")
    # measured (quick): AIS 243.062 [243.043, 243.079], exact 243.056; log p(v) CD-1
    # -284.6, PCD-1 -195.8 nats; reconstruction error 0.054 and 0.066
    assert abs(result["ais_log_z"] - result["exact_log_z"]) < 0.1
    low, high = result["ais_bounds"]
    assert low < result["exact_log_z"] + 0.05 and result["exact_log_z"] - 0.05 < high
    likelihood = result["log_likelihood"]
    assert -450 < likelihood["CD-1"] < likelihood["PCD-1"] < -100  # PCD models p(v) better
    assert all(0 < e < 0.12 for e in result["reconstruction_error"].values())
    for curve in result["curves"].values():  # training lowers the error epoch by epoch
        assert curve["reconstruction"][-1] < curve["reconstruction"][0]
    assert len(result["figures"]) == 4
    for path in result["figures"]:
        assert_png(path)
