"""Saving and loading: safetensors + JSON, no pickle, no code run by a file, clear errors on
broken files, saves that a crash cannot break."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import manabu
from manabu import atomic, io, model_registry, nn
from manabu.models import MLP


def _small_mlp(hidden=8):
    return MLP(in_features=4, hidden_sizes=(hidden,), out_features=2)


def _rewrite_description(path, change):
    """Rewrite the description inside a saved model file (as an attacker would)."""
    arrays, description = io.read_arrays(path)
    change(description)
    io.write_arrays(path, arrays, description)


def test_save_load_round_trip_rebuilds_the_architecture(tmp_path):
    manabu.manual_seed(0)
    model = MLP(in_features=8, hidden_sizes=(16, 4), out_features=3, batch_norm=True)
    path = manabu.save(model, str(tmp_path / "model.safetensors"), metadata={"note": "x"})
    description = json.loads((tmp_path / "model.json").read_text())
    assert description["architecture"]["class"] == "MLP"  # a registered name, not a path
    assert io.read_arrays(path)[1] == description  # the weights file carries it all
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
    path = manabu.save(_small_mlp(), str(tmp_path / "m.safetensors"))
    data = open(path, "rb").read()
    broken = {"truncate": data[: len(data) // 2], "garbage": b"\x00\xff" * 50, "empty": b""}
    with open(path, "wb") as f:
        f.write(broken[damage])
    with pytest.raises(io.CheckpointError, match="truncated or corrupted"):
        manabu.load(path)


def test_shape_mismatch_names_the_parameter(tmp_path):
    path = manabu.save(_small_mlp(), str(tmp_path / "m.safetensors"))
    with pytest.raises(io.CheckpointError, match=r"(?s)m\.safetensors.*layers\.1\.weight"):
        manabu.load(path, model=_small_mlp(hidden=9))


def test_model_files_contain_no_pickle(tmp_path):
    path = manabu.save(_small_mlp(), str(tmp_path / "m.safetensors"))
    data = open(path, "rb").read()
    assert b"\x80\x04\x95" not in data and b"\x80\x05\x95" not in data  # pickle protocol 4/5
    header_size = int.from_bytes(data[:8], "little")
    json.loads(data[8:8 + header_size])  # safetensors: an 8-byte length, then a JSON header


# ---------------------------------------------------------------- files that try to run code
def _exploits(tmp_path):
    """The two reported exploits of the dotted-path loader, and plain imports."""
    marker = tmp_path / "pwned"
    victim = tmp_path / "victim.txt"
    return marker, victim, [
        {"class": "manabu.io._build",  # reached os.system through its own trusted_prefixes
         "config": {"architecture": {"class": "posix.system",
                                     "config": {"command": f"touch {marker}"}},
                    "trusted_prefixes": ["posix", "os"]}},
        {"class": "manabu.io.write_json", "config": {"path": str(victim), "obj": "overwritten"}},
        {"class": "os.system", "config": {"command": f"touch {marker}"}},
        {"class": "manabu.atomic.write_text", "config": {"path": str(victim), "text": "x"}},
    ]


@pytest.mark.parametrize("where", ["header", "json"])
@pytest.mark.parametrize("case", range(4))
def test_a_model_file_never_runs_code(tmp_path, where, case):
    marker, victim, exploits = _exploits(tmp_path)
    victim.write_text("precious")
    path = manabu.save(_small_mlp(), str(tmp_path / "m.safetensors"))

    def plant(description):
        description["architecture"] = exploits[case]

    if where == "header":
        _rewrite_description(path, plant)
        with pytest.raises(io.CheckpointError, match="m.safetensors.*'architecture.class'"):
            manabu.load(path)
    else:  # the .json beside it is only a readable copy: never read to build anything
        description = json.loads((tmp_path / "m.json").read_text())
        plant(description)
        (tmp_path / "m.json").write_text(json.dumps(description))
        with pytest.warns(UserWarning, match="only a readable copy"):
            assert isinstance(manabu.load(path), MLP)
    assert not marker.exists() and victim.read_text() == "precious"


def test_evaluate_of_a_planted_run_folder_runs_nothing(tmp_path, capsys):
    from manabu.cli import main

    marker, _, exploits = _exploits(tmp_path)
    run = tmp_path / "run"
    path = manabu.save(_small_mlp(), str(run / "model.safetensors"),
                       metadata={"dataset": "digits"})
    _rewrite_description(path, lambda d: d.update(architecture=exploits[0]))
    assert main(["evaluate", str(run)]) == 2
    assert "not a registered model class" in capsys.readouterr().err
    assert not marker.exists()


@pytest.mark.parametrize("config, entry", [
    ({"in_features": 4, "hidden_sizes": [8], "out_features": 2, "colour": 1}, "config.colour"),
    ({"in_features": "4", "hidden_sizes": [8], "out_features": 2}, "config.in_features"),
    ({"in_features": 4.5, "hidden_sizes": [8], "out_features": 2}, "config.in_features"),
    ({"in_features": True, "hidden_sizes": [8], "out_features": 2}, "config.in_features"),
    ({"in_features": 4, "hidden_sizes": ["x"], "out_features": 2}, "config.hidden_sizes"),
    ({"in_features": 4, "hidden_sizes": [8], "out_features": 2, "activation": "nope"},
     "MLP rejects the saved config"),
    ([4, 8, 2], "'architecture.config' must be a JSON object"),
])
def test_a_config_that_does_not_fit_the_constructor_is_refused(tmp_path, config, entry):
    path = manabu.save(_small_mlp(), str(tmp_path / "m.safetensors"))
    _rewrite_description(path, lambda d: d["architecture"].update(config=config))
    with pytest.raises(io.CheckpointError, match=f"m.safetensors.*{entry}"):
        manabu.load(path)


def test_a_missing_required_argument_is_named(tmp_path):
    model = manabu.models.RNNLM(vocab_size=7, embed_dim=4, hidden_dim=4)
    path = manabu.save(model, str(tmp_path / "lm"))
    _rewrite_description(path, lambda d: d["architecture"]["config"].pop("vocab_size"))
    with pytest.raises(io.CheckpointError, match="lacks vocab_size"):
        manabu.load(path)


def _random_json(rng, depth=0):
    kind = rng.integers(8 if depth < 2 else 6)
    if kind == 0:
        return None
    if kind == 1:
        return bool(rng.integers(2))
    if kind == 2:
        return int(rng.choice([0, 1, 2, 3, 8, 16, -1, 10 ** 12]))
    if kind == 3:
        return float(rng.choice([0.0, 0.5, -1.5, 1e30, float("nan")]))
    if kind in (4, 5):
        return str(rng.choice(["relu", "gru", "lstm", "mean", "os.system", "", "x" * 50]))
    if kind == 6:
        return [_random_json(rng, depth + 1) for _ in range(rng.integers(4))]
    return {str(rng.choice(["a", "class", "config"])): _random_json(rng, depth + 1)
            for _ in range(rng.integers(3))}


def test_fuzzed_descriptions_give_a_model_or_a_checkpoint_error(tmp_path, monkeypatch):
    """Random architecture entries: each load ends in a CheckpointError or a model of a
    registered class, and nothing outside the registry is imported or called."""
    called = []
    loading = {"now": False}

    def forbidden(what):
        return lambda *a, **k: called.append(what) if loading["now"] else None

    monkeypatch.setattr(os, "system", forbidden("os.system"))
    real_write = atomic.write_bytes
    monkeypatch.setattr(atomic, "write_bytes",
                        lambda *a, **k: forbidden("write_bytes")() or real_write(*a, **k))
    registered = model_registry.registered_models()
    names = list(registered) + ["manabu.models.mlp.MLP", "manabu.io._build", "os.system",
                                "builtins.eval", "manabu.io.write_json", "MLPx", 3, None]
    parameters = ["in_features", "hidden_sizes", "out_features", "vocab_size", "input_shape",
                  "num_classes", "cell", "dim", "trusted_prefixes", "command"]
    rng = np.random.default_rng(0)
    path = str(tmp_path / "m.safetensors")
    arrays = _small_mlp().state_dict()
    outcomes = {"model": 0, "error": 0}
    modules = set(sys.modules)
    for _ in range(300):
        architecture = {"class": names[rng.integers(len(names))],
                        "config": {str(rng.choice(parameters)): _random_json(rng)
                                   for _ in range(rng.integers(5))}}
        if rng.random() < 0.2:
            architecture = _random_json(rng)
        io.write_arrays(path, arrays, {"version": 2, "architecture": architecture})
        loading["now"] = True
        try:
            model = manabu.load(path)
        except io.CheckpointError:
            outcomes["error"] += 1
        else:
            assert type(model) in registered.values()
            outcomes["model"] += 1
        finally:
            loading["now"] = False
    assert called == [] and set(sys.modules) == modules  # nothing called, nothing imported
    assert outcomes["error"] > 200


def test_a_registered_user_model_round_trips(tmp_path, monkeypatch):
    monkeypatch.setattr(model_registry, "_REGISTRY", dict(model_registry._REGISTRY))

    class Tiny(nn.Module):
        def __init__(self, width=3):
            super().__init__()
            self.config = {"width": width}
            self.fc = nn.Linear(2, width)

    path = manabu.save(Tiny(5), str(tmp_path / "tiny"))
    with pytest.raises(io.CheckpointError, match="register_model"):
        manabu.load(path)  # not registered yet: refused, never imported
    assert manabu.register_model(Tiny) is Tiny
    loaded = manabu.load(path)
    assert isinstance(loaded, Tiny) and loaded.fc.weight.shape == (5, 2)
    with pytest.raises(ValueError, match="already names"):
        manabu.register_model(type("Tiny", (nn.Module,), {}))
    with pytest.raises(TypeError, match="nn.Module subclass"):
        manabu.register_model(dict)


def test_format_1_files_still_load_without_importing(tmp_path):
    """Run folders written by manabu 0.1 stored the dotted path and kept the metadata in the
    .json; the path is matched as a string against the registry."""
    model = _small_mlp()
    architecture = {"class": "manabu.models.mlp.MLP", "config": model.config}
    path = str(tmp_path / "model.safetensors")
    io.write_arrays(path, model.state_dict(), {"architecture": architecture})
    io.write_json(str(tmp_path / "model.json"), {"format": "manabu", "version": 1,
                                                 "architecture": architecture,
                                                 "metadata": {"dataset": "digits"}})
    loaded = manabu.load(path)
    assert isinstance(loaded, MLP) and loaded.metadata == {"dataset": "digits"}


# ---------------------------------------------------------------- what load() is given
def test_load_names_what_it_was_given(tmp_path):
    np.save(tmp_path / "x.npy", np.zeros(3))
    with pytest.raises(io.CheckpointError, match=r"x\.npy is not a manabu model file"):
        manabu.load(str(tmp_path / "x.npy"))
    with pytest.raises(io.CheckpointError, match=r"no such file: .*nothing\.safetensors$"):
        manabu.load(str(tmp_path / "nothing.safetensors"))
    with pytest.raises(io.CheckpointError, match=r"no such file: .*y\.npy \(nor"):
        manabu.load(str(tmp_path / "y.npy"))
    with pytest.raises(io.CheckpointError, match="folder without a model.safetensors"):
        manabu.load(str(tmp_path))
    with pytest.raises(io.CheckpointError, match="is a folder, not a safetensors file"):
        io.load_checkpoint(str(tmp_path))
    manabu.save(_small_mlp(), str(tmp_path / "run" / "model.safetensors"))
    assert isinstance(manabu.load(str(tmp_path / "run")), MLP)  # a run folder


# ---------------------------------------------------------------- atomic saves
class Crash(BaseException):
    """Stands for the process dying at that instant."""


def _crash_at(monkeypatch, point):
    """Make the ``point``-th call to os.fsync / os.replace crash instead."""
    calls = {"n": 0}
    for name in ("fsync", "replace"):
        real = getattr(os, name)

        def crashing(*args, _real=real, **kwargs):
            calls["n"] += 1
            if calls["n"] == point:
                raise Crash
            return _real(*args, **kwargs)

        monkeypatch.setattr(os, name, crashing)
    return calls


@pytest.mark.filterwarnings("ignore:.*only a readable copy")  # a crash between the writes
def test_a_crash_at_any_point_of_a_save_leaves_a_pair_that_loads(tmp_path, monkeypatch):
    path = str(tmp_path / "m.safetensors")
    old = MLP(in_features=4, hidden_sizes=(8,), out_features=2)
    new = MLP(in_features=4, hidden_sizes=(6, 5), out_features=2)  # another architecture
    points = 0
    while True:
        points += 1
        manabu.save(old, path)
        with monkeypatch.context() as patch:
            calls = _crash_at(patch, points)
            try:
                manabu.save(new, path)
                finished = True
            except Crash:
                finished = False
        loaded = manabu.load(path)
        expected = new if loaded.config["hidden_sizes"] == [6, 5] else old
        for key, value in expected.state_dict().items():
            np.testing.assert_array_equal(loaded.state_dict()[key], value)
        assert [n for n in os.listdir(tmp_path) if ".tmp" in n] == []
        if finished:
            assert calls["n"] < points and expected is new
            break
    assert points > 4  # fsync + rename of the weights, fsync + rename of the copy


@pytest.mark.filterwarnings("ignore:.*only a readable copy")
def test_saves_killed_mid_write_always_load_and_leave_no_temporaries(tmp_path):
    """kill -9 a process that saves in a loop, at several moments; the file always loads
    and the next save removes what the killed writer left."""
    script = (
        "import sys, manabu\nfrom manabu.models import MLP\n"
        "print('ready', flush=True)\n"
        "for i in range(10**6):\n"
        "    manabu.save(MLP(in_features=64, hidden_sizes=(512, 256 + i % 3), "
        "out_features=10), sys.argv[1])\n"
    )
    path = str(tmp_path / "m.safetensors")
    for delay in (0.05, 0.2, 0.4):
        process = subprocess.Popen([sys.executable, "-c", script, path], stdout=subprocess.PIPE)
        process.stdout.readline()
        try:
            process.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            process.kill()
        process.wait()
        process.stdout.close()
        if os.path.exists(path):
            assert isinstance(manabu.load(path), MLP)
    manabu.save(_small_mlp(), path)
    assert sorted(os.listdir(tmp_path)) == ["m.json", "m.safetensors"]


def test_stale_temporaries_are_removed_and_others_kept(tmp_path):
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True)
    dead_pid = int(finished.stdout)
    (tmp_path / f".m.safetensors.tmp-{dead_pid}-0a1b2c3d").write_bytes(b"half")
    (tmp_path / f".m.safetensors.tmp-{os.getpid()}-00000000").write_bytes(b"live writer")
    (tmp_path / ".tmp-x1y2m.safetensors").write_bytes(b"")  # manabu 0.1's empty leftover
    library_leftover = io.write_arrays  # safetensors' own writer named it .tmpXXXXXX
    library_leftover(str(tmp_path / "leftover"), {"w": np.ones(3)}, {"architecture": None})
    os.replace(tmp_path / "leftover", tmp_path / ".tmpAb12Cd")
    (tmp_path / ".tmpZZ99zz").write_bytes(b"someone else's file")
    manabu.save(_small_mlp(), str(tmp_path / "m"))
    assert sorted(os.listdir(tmp_path)) == [
        f".m.safetensors.tmp-{os.getpid()}-00000000", ".tmpZZ99zz", "m.json", "m.safetensors"]


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_files_are_created_with_the_users_umask(tmp_path, umask, mode):
    previous = os.umask(umask)
    try:
        manabu.save(_small_mlp(), str(tmp_path / "m"))
        io.save_checkpoint(str(tmp_path / "c.safetensors"), {"w": np.ones(2)}, {"epoch": 1})
    finally:
        os.umask(previous)
    for name in ("m.safetensors", "m.json", "c.safetensors"):
        assert os.stat(tmp_path / name).st_mode & 0o777 == mode, name


def test_a_save_of_unserialisable_metadata_writes_nothing(tmp_path):
    with pytest.raises(TypeError):
        manabu.save(_small_mlp(), str(tmp_path / "m"), metadata={"bad": object()})
    assert os.listdir(tmp_path) == []


def test_save_and_load_take_path_objects(tmp_path):
    net = MLP(4, (3,), 2)
    written = manabu.save(net, tmp_path / "net")
    assert written.endswith("net.safetensors")
    same = manabu.load(tmp_path / "net")
    assert all((a.data == b.data).all() for a, b in zip(net.parameters(), same.parameters()))
