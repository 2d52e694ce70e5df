"""The vq-vae lesson's quick mode: the VQ-VAE reconstructs the test digits far better than
a blank image, uses most of its 64 codes, the GPT prior beats uniform codes by a wide
margin, and the three figures are drawn."""

import math


def test_vq_vae_quick(run_lesson, tmp_path, assert_png):
    result = run_lesson("vq-vae")
    # measured (quick): MSE 0.0116 against 0.123 for a blank image, perplexity 44.8,
    # 62 of 64 codes used, prior 147 bits an image against 294 for uniform codes
    assert result["test_mse"] < 0.025 < 0.1 < result["blank_mse"]
    assert result["perplexity"] > 25 and result["codes_used"] >= 48
    assert result["prior_bits_per_image"] < 0.7 * 49 * math.log2(result["num_codes"])
    assert result["samples_shape"] == [40, 1, 28, 28]
    assert len(result["figures"]) == 3
    for path in result["figures"]:
        assert path.startswith(str(tmp_path))
        assert_png(path)
