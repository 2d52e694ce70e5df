"""Reference CNNs: output shapes for several input sizes, a backward that reaches every
parameter, the same outputs and parameter counts as the same networks written in torch.nn
(state_dicts copied by name), models.build for the `manabu train --model` names, save/load
from config, and the command line training a CNN."""

import json
import os

import numpy as np
import pytest
import torch

import manabu
from manabu import io, models
from manabu.cli import main

tnn = torch.nn


def _conv_relu_pool(c_in, c_out):
    return [tnn.Conv2d(c_in, c_out, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(2)]


class _Named(tnn.Module):
    """A torch model whose children are ``features`` and ``classifier``, like ours."""

    def __init__(self, features, classifier):
        super().__init__()
        self.features = tnn.Sequential(*features)
        self.classifier = tnn.Sequential(*classifier)

    def forward(self, x):
        return self.classifier(self.features(x))


class _TorchGlobalAvgPool(tnn.Module):
    def forward(self, x):
        return x.flatten(2).mean(dim=2)  # (N, C, *S) -> (N, C)


class _TorchBasicBlock(tnn.Module):
    def __init__(self, c_in, c_out, stride):
        super().__init__()
        self.conv1 = tnn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
        self.bn1 = tnn.BatchNorm2d(c_out)
        self.conv2 = tnn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
        self.bn2 = tnn.BatchNorm2d(c_out)
        self.downsample = None
        if stride != 1 or c_in != c_out:
            self.downsample = tnn.Sequential(tnn.Conv2d(c_in, c_out, 1, stride, bias=False),
                                             tnn.BatchNorm2d(c_out))

    def forward(self, x):
        out = self.bn2(self.conv2(torch.relu(self.bn1(self.conv1(x)))))
        return torch.relu(out + (x if self.downsample is None else self.downsample(x)))


class _TorchResNet20(tnn.Module):
    def __init__(self, c_in, classes):
        super().__init__()
        self.conv1 = tnn.Conv2d(c_in, 16, 3, padding=1, bias=False)
        self.bn1 = tnn.BatchNorm2d(16)
        widths = [16, 16, 32, 64]
        for i in range(3):
            stride = 1 if i == 0 else 2
            blocks = [_TorchBasicBlock(widths[i], widths[i + 1], stride)]
            blocks += [_TorchBasicBlock(widths[i + 1], widths[i + 1], 1) for _ in range(2)]
            setattr(self, f"layer{i + 1}", tnn.Sequential(*blocks))
        self.fc = tnn.Linear(64, classes)

    def forward(self, x):
        x = torch.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(x.mean(dim=(2, 3)))


def _torch_simple_cnn(c, h, w):
    return _Named(_conv_relu_pool(c, 16) + _conv_relu_pool(16, 32),
                  [tnn.Flatten(), tnn.Linear(32 * (h // 4) * (w // 4), 128), tnn.ReLU(),
                   tnn.Linear(128, 10)])


def _torch_lenet(c, flat):
    pad2 = 0 if flat == 16 * 5 * 5 else 2
    return _Named([tnn.Conv2d(c, 6, 5, padding=2), tnn.ReLU(), tnn.MaxPool2d(2),
                   tnn.Conv2d(6, 16, 5, padding=pad2), tnn.ReLU(), tnn.MaxPool2d(2)],
                  [tnn.Flatten(), tnn.Linear(flat, 120), tnn.ReLU(), tnn.Linear(120, 84),
                   tnn.ReLU(), tnn.Linear(84, 10)])


def _torch_vgg(c, h, w):
    layers, width = [], c
    for out in (32, 64, 128):
        for _ in range(2):
            layers += [tnn.Conv2d(width, out, 3, padding=1, bias=False), tnn.BatchNorm2d(out),
                       tnn.ReLU()]
            width = out
        layers.append(tnn.MaxPool2d(2))
    return _Named(layers, [tnn.Flatten(), tnn.Linear(128 * (h // 8) * (w // 8), 256),
                           tnn.ReLU(), tnn.Linear(256, 10)])


def _torch_convnet(conv, norm, pool, c, channels, kernel, pools):
    layers, width = [], c
    for out, p in zip(channels, pools):
        layers += [conv(width, out, kernel, padding=kernel // 2, bias=False), norm(out),
                   tnn.ReLU()]
        if p is not None:
            layers.append(pool(p))
        width = out
    return _Named(layers, [_TorchGlobalAvgPool(), tnn.Linear(width, 10)])


CASES = [  # name, input shape, torch equivalent, parameter count where it is well known
    ("cnn", (1, 28, 28), lambda: _torch_simple_cnn(1, 28, 28), 206_922),
    ("cnn", (1, 8, 8), lambda: _torch_simple_cnn(1, 8, 8), None),
    ("cnn", (3, 32, 32), lambda: _torch_simple_cnn(3, 32, 32), None),
    ("lenet", (1, 28, 28), lambda: _torch_lenet(1, 16 * 5 * 5), 61_706),
    ("lenet", (1, 8, 8), lambda: _torch_lenet(1, 16 * 2 * 2), None),
    ("vgg", (3, 32, 32), lambda: _torch_vgg(3, 32, 32), None),
    ("vgg", (1, 8, 8), lambda: _torch_vgg(1, 8, 8), None),
    ("resnet20", (3, 32, 32), lambda: _TorchResNet20(3, 10), 272_474),
    ("resnet20", (1, 8, 8), lambda: _TorchResNet20(1, 10), None),
    ("cnn1d", (2, 50), lambda: _torch_convnet(tnn.Conv1d, tnn.BatchNorm1d, tnn.MaxPool1d, 2,
                                              (16, 32, 64), 5, (2, 2, 2)), None),
    ("cnn3d", (1, 4, 16, 16), lambda: _torch_convnet(tnn.Conv3d, tnn.BatchNorm3d,
                                                     tnn.MaxPool3d, 1, (8, 16, 32), 3,
                                                     (2, 2, (1, 2, 2))), None),
]


@pytest.mark.parametrize("name, shape, torch_model, count", CASES)
def test_models_match_the_same_network_in_torch(name, shape, torch_model, count):
    manabu.manual_seed(0)
    model = models.build(name, input_shape=shape, num_classes=10).double()
    reference = torch_model().double()
    reference.load_state_dict({k: torch.tensor(v) for k, v in model.state_dict().items()})
    n_params = sum(p.size for p in model.parameters())
    assert n_params == sum(p.numel() for p in reference.parameters())
    if count is not None:
        assert n_params == count
    x = np.random.default_rng(1).standard_normal((3,) + shape)
    for train in (True, False):  # batch statistics, then the running ones
        model.train(train)
        reference.train(train)
        y = model(manabu.Tensor(x))
        assert y.shape == (3, 10)
        np.testing.assert_allclose(y.numpy(), reference(torch.tensor(x)).detach().numpy(),
                                   rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("name, shape", [(c[0], c[1]) for c in CASES[::2]])
def test_backward_reaches_every_parameter_in_float32(name, shape):
    manabu.manual_seed(0)
    model = models.build(name, input_shape=shape, num_classes=4)
    x = manabu.Tensor(np.random.default_rng(2).standard_normal((2,) + shape).astype(np.float32))
    loss = manabu.functional.cross_entropy(model(x), manabu.Tensor(np.array([1, 3])))
    loss.backward()
    for key, p in model.named_parameters():
        assert p.grad is not None and p.grad.dtype == np.float32, key
        assert np.isfinite(p.grad.numpy()).all() and np.abs(p.grad.numpy()).sum() > 0, key


def test_resnet20_is_about_0_27_million_parameters_and_names_follow_torchvision():
    model = models.ResNet20()
    keys = list(model.state_dict())
    assert keys[:2] == ["conv1.weight", "bn1.weight"]
    assert "layer2.0.downsample.0.weight" in keys and "layer3.2.bn2.running_var" in keys
    assert keys[-2:] == ["fc.weight", "fc.bias"]
    assert 0.26e6 < sum(p.size for p in model.parameters()) < 0.28e6


def test_models_keep_their_config_and_reload_from_it(tmp_path):
    manabu.manual_seed(0)
    model = models.build("cnn", input_shape=(1, 8, 8), num_classes=10)
    assert model.config == {"input_shape": [1, 8, 8], "num_classes": 10, "channels": [16, 32],
                            "hidden_size": 128, "dropout": 0.0}
    for name in ("lenet", "vgg", "resnet20", "cnn1d", "cnn3d"):
        shape = {"cnn1d": (1, 32), "cnn3d": (1, 2, 8, 8)}.get(name, (3, 16, 16))
        json.dumps(models.build(name, shape, 5).config)  # JSON, so manabu.save can keep it
    path = io.save(model, str(tmp_path / "cnn.safetensors"))
    again = io.load(path)
    assert type(again) is models.SimpleCNN
    x = manabu.Tensor(np.random.default_rng(3).random((2, 1, 8, 8)).astype(np.float32))
    np.testing.assert_array_equal(again(x).numpy(), model(x).numpy())


def test_build_errors_say_what_is_expected():
    with pytest.raises(ValueError, match=r"unknown model 'alexnet'; available: mlp, cnn, lenet"):
        models.build("alexnet", (1, 28, 28), 10)
    with pytest.raises(ValueError, match=r"SimpleCNN: input_shape must be \(C, H, W\).*"
                                         r"\(784,\).*flatten=False"):
        models.build("cnn", (784,), 10)
    with pytest.raises(ValueError, match=r"SmallVGG: input of spatial size \(4, 4\) is too "
                                         r"small for 3 poolings"):
        models.SmallVGG(input_shape=(1, 4, 4))
    with pytest.raises(ValueError, match=r"CNN1d: input_shape must be \(C, L\)"):
        models.build("cnn1d", (1, 8, 8), 10)


def test_manabu_train_model_cnn_on_digits(tmp_path, capsys):
    args = ["train", "--model", "cnn", "--epochs", "3", "--out", str(tmp_path), "--quiet"]
    assert main(args) == 0
    (folder,) = [tmp_path / name for name in os.listdir(tmp_path)]
    metrics = json.loads((folder / "metrics.json").read_text())
    assert metrics["test_accuracy"] > 0.85  # 3 epochs on the 8x8 digits (about 91%)
    assert main(["evaluate", str(folder)]) == 0
    assert "digits test accuracy" in capsys.readouterr().out
