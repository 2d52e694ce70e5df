"""Smoke tests of the basic lessons: each runs in quick mode and its headline numbers must say
what the lesson's docstring claims. The MNIST lessons read the embedded t10k files."""

import math

import numpy as np
import pytest

from manabu.lessons import (
    batch_norm, forward_pass, optimizers, overfitting, regression, sigmoid_vs_relu,
    weight_init,
)



def test_forward_pass_numpy_tensor_and_hand_agree(run_lesson, capsys, assert_png):
    result = run_lesson("forward-pass")
    printed = capsys.readouterr().out
    # worked by hand: u1 = (1.2, 0.6, -0.9), z1 = (1.2, 0.6, 0), y = 0.84 - 0.30 + 0.05
    assert result["hidden_u_2_3_1"] == pytest.approx([1.2, 0.6, -0.9], abs=1e-12)
    assert result["output_2_3_1"] == pytest.approx(0.59, abs=1e-12)
    assert result["max_difference_numpy_tensor"] < 1e-12
    probabilities = np.array(result["probabilities_2_3_2_2"])
    assert probabilities.shape == (3, 2)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-12)
    assert "u1 = z0 W1 + b1" in printed and result["figure"] in printed
    assert_png(result["figure"])


def test_forward_pass_tensor_version_backpropagates():
    # the Tensor forward pass is a real graph: autograd reaches the first layer's weights
    from manabu.autograd import Tensor

    network = forward_pass.as_arrays(forward_pass.NET_2_3_1)
    model = forward_pass.as_model(network, ["relu", "identity"])
    model(Tensor(np.array([forward_pass.X_2_3_1]))).sum().backward()
    # dy/dW1[i, j] = x_i * W2[j] for units that are on (u1 > 0); unit 3 is off
    expected = np.outer([1.0, 2.0], [0.7, -0.5, 0.0]).T  # nn.Linear stores (out, in)
    np.testing.assert_allclose(model[0].weight.grad.numpy(), expected, atol=1e-12)


def test_regression_recovers_the_weights(tmp_path, assert_png):
    result = regression.run(quick=True, out=str(tmp_path))
    assert abs(result["w0"] - 3.0) < 0.3
    assert abs(result["w1"] - 2.0) < 0.3
    assert abs(result["b"]) < 0.3
    assert result["final_loss"] < 0.02 < result["initial_loss"]  # noise variance is 0.01
    assert result["framework_difference"] < 1e-5
    for path in result["figures"]:
        assert_png(path)


def test_sigmoid_vs_relu_shows_vanishing_gradients(tmp_path, assert_png):
    result = sigmoid_vs_relu.run(quick=True, out=str(tmp_path))
    runs = result["runs"]
    deep_sigmoid = runs["sigmoid, 6 hidden layers"]["final_loss"]
    deep_relu = runs["ReLU, 6 hidden layers"]["final_loss"]
    assert deep_sigmoid > 2.0  # still near chance, ln 10 = 2.30
    assert deep_relu < deep_sigmoid - 1.0
    assert runs["ReLU, 2 hidden layers"]["final_loss"] < runs["sigmoid, 2 hidden layers"][
        "final_loss"]
    ratio = result["first_over_last_gradient"]
    assert ratio["sigmoid"] < 1e-2 < 0.1 < ratio["ReLU"]
    norms = result["gradient_norms_6_layers"]["sigmoid"]
    assert all(a < b for a, b in zip(norms, norms[1:]))  # shrinks towards the input
    for path in result["figures"]:
        assert_png(path)


def test_weight_init_histograms_collapse_or_saturate(tmp_path, assert_png):
    result = weight_init.run(quick=True, out=str(tmp_path))
    sigmoid, relu = result["sigmoid"], result["ReLU"]
    assert sigmoid["std 1"]["last_saturated"] > 0.5  # piled up at 0 and 1
    assert sigmoid["std 0.01"]["last_max_distance_from_half"] < 0.1  # all about 0.5
    assert sigmoid["std 0.01"]["last_saturated"] == 0.0
    assert sigmoid["Xavier"]["last_saturated"] < 0.01
    assert relu["std 0.01"]["last_std"] < 1e-3  # vanishes
    assert relu["std 1"]["last_std"] > 100  # explodes
    assert relu["Xavier"]["last_std"] < relu["He"]["last_std"]
    he = relu["He"]["std_per_layer"]
    assert 0.3 < he[-1] < 3 and max(he) / min(he) < 1.5  # He keeps the spread
    for path in result["figures"]:
        assert_png(path)


def test_optimizers_adam_beats_sgd(tmp_path, mnist_env, assert_png):
    result = optimizers.run(quick=True, out=str(tmp_path))
    runs = result["optimizers"]
    assert set(runs) == {"SGD", "Momentum", "AdaGrad", "RMSProp", "Adam"}
    assert all(math.isfinite(r["final_loss"]) for r in runs.values())
    assert runs["Adam"]["final_loss"] < runs["SGD"]["final_loss"]
    assert runs["Momentum"]["final_loss"] < runs["SGD"]["final_loss"]
    assert runs["Adam"]["test_accuracy"] > runs["SGD"]["test_accuracy"]
    assert_png(result["figure"])


def test_overfitting_gap_is_positive(tmp_path, mnist_env, assert_png):
    result = overfitting.run(quick=True, out=str(tmp_path))
    settings = result["settings"]
    plain = settings["no regularisation"]
    assert plain["gap"] > 0.05  # training accuracy well above test accuracy
    assert plain["train_loss"] < plain["test_loss"]
    assert plain["gap"] >= settings["dropout"]["gap"]
    for path in result["figures"]:
        assert_png(path)


def test_batch_norm_rescues_a_bad_start(tmp_path, mnist_env, assert_png):
    result = batch_norm.run(quick=True, out=str(tmp_path))
    runs = result["runs"]
    without = runs["std 0.01, without batch norm"]["train_accuracy"]
    with_bn = runs["std 0.01, with batch norm"]["train_accuracy"]
    assert without < 0.2  # nothing learnt: chance is 0.1
    assert with_bn > without + 0.3
    assert runs["He, with batch norm"]["train_accuracy"] > runs["He, without batch norm"][
        "train_accuracy"]
    assert result["mean_gain_from_batch_norm"] > 0
    assert_png(result["figure"])
