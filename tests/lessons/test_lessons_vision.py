"""Smoke tests of the vision lessons (im2col, cnn-mnist, residual, normalization,
augmentation): each runs in quick mode, writes its figures, and its headline numbers say
what the lesson's docstring claims. The MNIST lessons read the embedded t10k files."""

from manabu.lessons import augmentation, cnn_mnist, im2col_lesson, normalization, residual



def test_im2col_lesson_equals_conv2d(tmp_path, capsys, assert_png):
    result = im2col_lesson.run(quick=True, out=str(tmp_path))
    printed = capsys.readouterr().out
    assert result["output_4x4"] == [[15.0, 16.0], [6.0, 15.0]]  # worked by hand
    assert result["cols_shape"] == [9, 4]
    assert result["max_difference_small"] == 0.0
    assert result["max_difference"] < 1e-5
    assert result["max_difference_loop"] < 1e-5
    assert result["coverage"] == [[1, 2, 2, 1], [2, 4, 4, 2], [2, 4, 4, 2], [1, 2, 2, 1]]
    assert "im2col(x): one column per 3x3 window" in printed and "(1, 9)" in printed
    for path in result["figures"]:
        assert_png(path)
        assert path in printed


def test_cnn_mnist_learns_and_draws_its_filters(tmp_path, mnist_env, assert_png):
    result = cnn_mnist.run(quick=True, out=str(tmp_path))
    assert result["parameters"] == 206_922
    assert 0.8 < result["test_accuracy"] <= 1.0
    assert 0.6 < result["mlp_test_accuracy"] <= 1.0
    assert result["test_accuracy"] > result["mlp_test_accuracy"]
    assert result["feature_map_shapes"] == [[16, 28, 28], [32, 14, 14]]
    assert 0.0 < result["filter_relative_change"] < 2.0
    for path in result["figures"]:
        assert_png(path)


def test_residual_trains_where_the_plain_network_struggles(tmp_path, assert_png):
    result = residual.run(quick=True, out=str(tmp_path))
    plain = result["runs"]["20 layers, plain"]
    skip = result["runs"]["20 layers, residual"]
    assert skip["final_loss"] < 0.2 and skip["train_accuracy"] > 0.95
    assert plain["final_loss"] > 5 * skip["final_loss"]
    assert plain["train_accuracy"] < skip["train_accuracy"]
    assert skip["test_accuracy"] > 0.9
    for path in result["figures"]:
        assert_png(path)


def test_normalization_axes_and_training(tmp_path, mnist_env, assert_png):
    result = normalization.run(quick=True, out=str(tmp_path))
    for name in ("batch", "layer", "instance", "group"):
        assert result["axes"][name]["max_abs_mean"] < 1e-5
        assert result["axes"][name]["max_abs_std_minus_1"] < 1e-4
    assert result["axes"]["layer_vs_groupnorm_1"] < 1e-5
    assert set(result["runs"]) == {"none", "batch", "layer", "instance", "group"}
    runs = result["runs"]
    assert runs["none"]["test_accuracy"] < 0.3  # 15 steps of the plain 8-conv net: chance
    for name in ("batch", "layer", "instance", "group"):
        assert runs["none"]["test_accuracy"] + 0.1 < runs[name]["test_accuracy"] <= 1.0
    assert runs["batch"]["test_accuracy"] > 0.5 and runs["instance"]["test_accuracy"] > 0.5
    for path in result["figures"]:
        assert_png(path)


def test_augmentation_gallery_and_gain(tmp_path, mnist_env, assert_png):
    result = augmentation.run(quick=True, out=str(tmp_path))
    without = result["runs"]["without augmentation"]
    with_augmentation = result["runs"]["with augmentation"]
    assert without["train_accuracy"] > 0.95  # 200 images learnt by heart
    assert 0.6 < without["test_accuracy"] < with_augmentation["test_accuracy"] <= 1.0
    assert result["test_accuracy_gain"] > 0.01
    for path in result["figures"]:
        assert_png(path)
