"""save_network / load_network: exact roundtrips, safe loading, clear errors, atomic saving."""
import json

import numpy as np
import pytest

from nnlib import Network, load_network, save_network


def trained_looking(dtype=np.float64, **kwargs):
    net = Network([4, 6, 3], activation="relu", seed=3, dtype=dtype, **kwargs)
    rng = np.random.default_rng(0)
    for b in net.biases:
        b[...] = rng.standard_normal(b.shape)                    # nonzero biases must survive too
    return net


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_roundtrip_preserves_predictions_exactly(tmp_path, dtype):
    net = trained_looking(dtype, dropout=0.25, weight_decay=1e-3)
    X = np.random.default_rng(1).standard_normal((10, 4))
    path = save_network(net, tmp_path / "model.npz")
    loaded = load_network(path)
    np.testing.assert_array_equal(loaded.predict_proba(X), net.predict_proba(X))
    assert loaded.dtype == dtype and all(p.dtype == dtype for p in loaded.parameters())
    for key in ("sizes", "activation", "loss", "output", "init", "seed", "dropout", "weight_decay"):
        assert getattr(loaded, key) == getattr(net, key)
    assert (loaded.dropout, loaded.weight_decay) == (0.25, 1e-3)


def test_numpy_integer_seed_is_saved_as_json(tmp_path):
    net = Network([2, 2], seed=np.int64(7))
    assert load_network(save_network(net, tmp_path / "m.npz")).seed == 7


def test_loading_never_unpickles(tmp_path, monkeypatch):
    """The loader reads .npy headers with NumPy's literal parser and the values as raw bytes: no pickle, and
    no np.load (whose allow_pickle a future change could flip)."""
    import pickle

    path = save_network(trained_looking(), tmp_path / "model.npz")

    def forbidden(*args, **kwargs):
        raise AssertionError("the loader must never unpickle or call np.load")

    for module, name in ((pickle, "load"), (pickle, "loads"), (pickle, "Unpickler"), (np, "load")):
        monkeypatch.setattr(module, name, forbidden)
    np.testing.assert_array_equal(load_network(path).weights[0], trained_looking().weights[0])


def test_saving_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "model.npz"
    save_network(trained_looking(), path)
    assert [p.name for p in tmp_path.iterdir()] == ["model.npz"]           # no temporary file left behind
    before = path.read_bytes()

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", crash)
    with pytest.raises(OSError, match="disk full"):
        save_network(Network([4, 3]), path)
    assert path.read_bytes() == before                                     # the old model is untouched
    assert [p.name for p in tmp_path.iterdir()] == ["model.npz"]


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such model file"):
        load_network(tmp_path / "nothing.npz")


def write_npz(path, **arrays):
    with open(path, "wb") as handle:
        np.savez(handle, **arrays)
    return path


def write_npy(path, array):
    with open(path, "wb") as handle:        # a .npy payload under an .npz name
        np.save(handle, array)
    return path


def good_meta(**changes):
    meta = {"format": "nnlib-network", "version": 1, "dtype": "float64", "sizes": [4, 3], "activation": "sigmoid",
            "loss": "cross_entropy", "output": "softmax", "init": "scaled_normal", "seed": 0, "dropout": 0.0,
            "weight_decay": 0.0, **changes}
    return np.array(json.dumps(meta))


def test_a_hand_written_file_with_good_meta_loads(tmp_path):
    W = np.arange(12.0).reshape(4, 3)
    net = load_network(write_npz(tmp_path / "m.npz", meta=good_meta(), W0=W, b0=np.ones(3)))
    np.testing.assert_array_equal(net.weights[0], W)


@pytest.mark.parametrize("make, message", [
    (lambda p: p.write_text("W0 = [1, 2, 3]\n") and p, "not a readable nnlib model file"),
    (lambda p: write_npy(p, np.zeros(3)), "holds a single array, not an .npz archive"),
    (lambda p: write_npz(p, W0=np.zeros((4, 3))), "it has no 'meta' entry"),
    (lambda p: write_npz(p, meta=np.array([{"format": "nnlib-network"}], dtype=object)),
     "holds pickled Python objects, which nnlib never loads"),
    (lambda p: write_npz(p, meta=good_meta(), W0=np.array([[None] * 3] * 4, dtype=object), b0=np.zeros(3)),
     "holds pickled Python objects, which nnlib never loads"),
    (lambda p: write_npz(p, meta=np.array("{not json")), "its 'meta' entry is not valid JSON"),
    (lambda p: write_npz(p, meta=np.array(json.dumps({"format": "other"}))), "meta format is not 'nnlib-network'"),
    (lambda p: write_npz(p, meta=good_meta(version=99)), "written by a newer nnlib"),
    (lambda p: write_npz(p, meta=np.array(json.dumps({"format": "nnlib-network", "version": 1}))),
     "its metadata lacks sizes, activation"),
    (lambda p: write_npz(p, meta=good_meta(), W0=np.zeros((3, 3)), b0=np.zeros(3)),
     r"W0 should have shape \(4, 3\) for sizes \[4, 3\], found \(3, 3\); the file is damaged"),
    (lambda p: write_npz(p, meta=good_meta(), W0=np.zeros((4, 3))), r"b0 should have shape \(3,\).*found nothing")])
def test_wrong_files_get_clear_value_errors(tmp_path, make, message):
    path = make(tmp_path / "bad.npz")
    with pytest.raises(ValueError, match=message):
        load_network(path)


@pytest.mark.parametrize("keep", [0.3, 0.6, 0.95])
def test_truncated_files_get_clear_value_errors(tmp_path, keep):
    path = save_network(trained_looking(), tmp_path / "model.npz")
    data = path.read_bytes()
    path.write_bytes(data[:int(len(data) * keep)])
    with pytest.raises(ValueError, match="not a readable nnlib model file"):
        load_network(path)


# -- batch normalization -------------------------------------------------------------------------------

def batch_normalized(dtype=np.float64):
    """A 4-6-5-3 BN network whose gamma, beta and running averages are all away from their initial values."""
    net = Network([4, 6, 5, 3], activation="relu", seed=3, dtype=dtype, batch_norm=True)
    rng = np.random.default_rng(0)
    for array in net.gammas + net.betas + net.biases:
        array += rng.standard_normal(array.shape).astype(dtype)
    for _ in range(3):
        net.forward(rng.standard_normal((8, 4)).astype(dtype) * 3 + 1, training=True)
    return net


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_batch_norm_roundtrip_keeps_gamma_beta_and_running_averages(tmp_path, dtype):
    net = batch_normalized(dtype)
    path = save_network(net, tmp_path / "bn.npz")
    with np.load(path) as archive:
        assert json.loads(str(archive["meta"]))["batch_norm"] is True
        assert {"gamma0", "beta1", "running_mean0", "running_var1"} <= set(archive.files)
    loaded = load_network(path)
    assert loaded.batch_norm
    for saved, restored in zip(net.parameters() + net.running_averages(),
                               loaded.parameters() + loaded.running_averages()):
        np.testing.assert_array_equal(restored, saved)
        assert restored.dtype == dtype
    X = np.random.default_rng(1).standard_normal((10, 4)).astype(dtype)
    np.testing.assert_array_equal(loaded.predict_proba(X), net.predict_proba(X))  # evaluation mode: running averages


def test_plain_network_says_batch_norm_false_and_old_files_without_the_key_load(tmp_path):
    with np.load(save_network(Network([4, 3]), tmp_path / "plain.npz")) as archive:
        assert json.loads(str(archive["meta"]))["batch_norm"] is False
        assert archive.files == ["meta", "W0", "b0"]
    assert not load_network(write_npz(tmp_path / "old.npz", meta=good_meta(), W0=np.zeros((4, 3)),
                                      b0=np.zeros(3))).batch_norm


# Damaged and hostile batch-norm files: tests/test_hostile_batch_norm_files.py


def test_a_convnet_is_saved_under_its_parameter_names_and_loaded_as_one(tmp_path):
    import zipfile

    from nnlib.convnet import ConvNet, parse_features
    net = ConvNet(parse_features("conv3x3p1,relu,pool2"), [4], input_shape=(1, 6, 6), seed=2)
    path = save_network(net, tmp_path / "cnn.npz")
    with zipfile.ZipFile(path) as archive:
        assert archive.namelist() == ["meta.npy", "conv1.K.npy", "conv1.b.npy", "head.W0.npy", "head.b0.npy"]
    loaded = load_network(path)
    assert type(loaded) is ConvNet and repr(loaded) == repr(net)
    net.features[0].K[0, 0, 1, 1] = np.nan
    with pytest.raises(ValueError, match="conv1.K contains nan or infinite values"):
        save_network(net, tmp_path / "diverged.npz")
