"""Saving and loading: safetensors + JSON, no pickle, clear errors on broken files."""

import json

import numpy as np
import pytest

import manabu
from manabu import io, nn
from manabu.models import MLP


def test_save_load_round_trip_rebuilds_the_architecture(tmp_path):
    manabu.manual_seed(0)
    model = MLP(in_features=8, hidden_sizes=(16, 4), out_features=3, batch_norm=True)
    path = manabu.save(model, str(tmp_path / "model.safetensors"), metadata={"note": "x"})
    description = json.loads((tmp_path / "model.json").read_text())
    assert description["architecture"]["class"] == "manabu.models.mlp.MLP"
    loaded = manabu.load(path)
    assert isinstance(loaded, MLP) and loaded.metadata == {"note": "x"}
    x = manabu.Tensor(np.random.default_rng(0).standard_normal((5, 8)).astype(np.float32))
    model.eval()
    loaded.eval()
    np.testing.assert_array_equal(model(x).numpy(), loaded(x).numpy())


def test_model_without_config_loads_into_an_instance(tmp_path):
    model = nn.Sequential(nn.Linear(3, 2))
    path = manabu.save(model, str(tmp_path / "seq"))
    with pytest.raises(io.CheckpointError, match="names no architecture"):
        manabu.load(path)
    other = nn.Sequential(nn.Linear(3, 2))
    manabu.load(path, model=other)
    np.testing.assert_array_equal(other[0].weight.numpy(), model[0].weight.numpy())


@pytest.mark.parametrize("damage", ["truncate", "garbage", "empty"])
def test_corrupted_file_gives_a_clear_error(tmp_path, damage):
    model = MLP(in_features=4, hidden_sizes=(8,), out_features=2)
    path = manabu.save(model, str(tmp_path / "m.safetensors"))
    data = open(path, "rb").read()
    broken = {"truncate": data[: len(data) // 2], "garbage": b"\x00\xff" * 50, "empty": b""}
    with open(path, "wb") as f:
        f.write(broken[damage])
    with pytest.raises(io.CheckpointError, match="truncated or corrupted"):
        manabu.load(path)


def test_untrusted_class_is_not_imported(tmp_path):
    model = MLP(in_features=4, hidden_sizes=(8,), out_features=2)
    path = manabu.save(model, str(tmp_path / "m.safetensors"))
    description = json.loads((tmp_path / "m.json").read_text())
    description["architecture"]["class"] = "os.system"
    (tmp_path / "m.json").write_text(json.dumps(description))
    with pytest.raises(io.CheckpointError, match="refusing to import 'os'"):
        manabu.load(path)


def test_shape_mismatch_names_the_parameter(tmp_path):
    path = manabu.save(MLP(in_features=4, hidden_sizes=(8,), out_features=2),
                       str(tmp_path / "m.safetensors"))
    with pytest.raises(Exception, match=r"layers\.1\.weight"):
        manabu.load(path, model=MLP(in_features=4, hidden_sizes=(9,), out_features=2))


def test_missing_file_error_names_it(tmp_path):
    with pytest.raises(io.CheckpointError, match="no such file"):
        manabu.load(str(tmp_path / "nothing.safetensors"))


def test_model_files_contain_no_pickle(tmp_path):
    path = manabu.save(MLP(in_features=4, hidden_sizes=(8,), out_features=2),
                       str(tmp_path / "m.safetensors"))
    data = open(path, "rb").read()
    assert b"\x80\x04\x95" not in data and b"\x80\x05\x95" not in data  # pickle protocol 4/5
    header_size = int.from_bytes(data[:8], "little")
    json.loads(data[8:8 + header_size])  # safetensors: an 8-byte length, then a JSON header
