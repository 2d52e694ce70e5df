"""Test set-up shared by every test file: where the test data lives, and the helpers the
tests share (data set in MANABU_DATA, a lesson run through the CLI, a figure check, a
save/load round trip).

MNIST (test set) and tiny-shakespeare come from the package's embedded copies, so no data
test ever skips or touches the network, with or without ../shared/data."""

import json

import numpy as np
import pytest

import manabu
from manabu import cli
from manabu.data.datasets import download

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def mnist_root():
    """Folder holding mnist/t10k-*.gz: the package's embedded copy (never skips)."""
    return str(download.EMBEDDED)


@pytest.fixture
def mnist_env(mnist_root, monkeypatch):
    """The lessons read MNIST from MANABU_DATA, as a user's run does."""
    monkeypatch.setenv("MANABU_DATA", mnist_root)
    return mnist_root


@pytest.fixture
def shakespeare_root(monkeypatch):
    """Folder holding tinyshakespeare/input.txt (the embedded copy), set as MANABU_DATA as a
    user's run does, so lessons find it too (never skips)."""
    root = str(download.EMBEDDED)
    monkeypatch.setenv("MANABU_DATA", root)
    return root


@pytest.fixture
def no_embedded(monkeypatch, tmp_path):
    """A package without embedded data files, to test the download and missing-file paths."""
    monkeypatch.setattr(download, "EMBEDDED", tmp_path / "no-embedded-files")


@pytest.fixture
def assert_png():
    """Checks that a lesson wrote a real figure: a PNG file, not an empty canvas."""

    def check(path):
        with open(path, "rb") as handle:
            data = handle.read()
        assert data.startswith(PNG_SIGNATURE), path
        assert len(data) > 2000, path  # an empty canvas is smaller

    return check


@pytest.fixture
def run_lesson(tmp_path, capsys):
    """Runs `manabu lesson NAME --quick` as a user would and returns the dict it prints as
    JSON last; what it printed is left for `capsys.readouterr()`."""

    def run(name):
        assert cli.main(["lesson", name, "--quick", "--out", str(tmp_path)]) == 0
        printed = capsys.readouterr().out
        print(printed, end="")  # back into the capture, for tests that read the text
        return json.loads(printed[printed.index("{"):])

    return run


@pytest.fixture
def assert_round_trip(tmp_path):
    """Checks that manabu.save then manabu.load rebuild a model of the same class and
    config with the same weights."""
    import numpy as np

    def check(model):
        path = tmp_path / type(model).__name__
        manabu.save(model, path)
        loaded = manabu.load(path)
        assert type(loaded) is type(model) and loaded.config == model.config
        saved, restored = model.state_dict(), loaded.state_dict()
        assert list(saved) == list(restored)
        for name in saved:
            np.testing.assert_array_equal(saved[name], restored[name], err_msg=name)

    return check
