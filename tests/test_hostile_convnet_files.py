"""Hostile and broken ConvNet model files: the same standard as a Network's (test_hostile_model_files.py).
Every one gets a ValueError naming the file and what is wrong, decided from the metadata and the .npy
headers before the network or its arrays are allocated."""
import json
import math

import numpy as np
import pytest

from hostile_tools import npy, npy_header, run_limited, write_zip, zip_bomb_member
from nnlib import load_network, save_network
from nnlib.convnet import ConvNet, parse_features

GOOD_CONVNET_META = {
    "format": "nnlib-convnet", "version": 1, "dtype": "float64", "input_shape": [1, 4, 4],
    "features": [{"kind": "conv", "filters": 2, "size": 3, "stride": 1, "padding": 1},
                 {"kind": "activation", "name": "relu"}, {"kind": "maxpool", "size": 2, "stride": 2}],
    "head": [3], "seed": 0, "activation": "relu", "loss": "cross_entropy", "output": "softmax", "init": "he",
    "dropout": 0.0, "weight_decay": 0.0}


def meta_npy(**changes):
    meta = {key: value for key, value in {**GOOD_CONVNET_META, **changes}.items() if value is not ...}
    return npy(np.array(json.dumps(meta)))


def good_members(**changes):
    """A valid file: conv 2 filters of 3x3 on a 1x4x4 input, ReLU, 2x2 pooling (2x2x2 = 8 features), dense 8-3."""
    return {"meta.npy": meta_npy(**changes), "conv1.K.npy": npy(np.arange(18.0).reshape(2, 1, 3, 3) / 10),
            "conv1.b.npy": npy(np.array([0.5, -0.5])), "head.W0.npy": npy(np.arange(24.0).reshape(8, 3) / 24),
            "head.b0.npy": npy(np.ones(3))}


def load_error(path, message):
    with pytest.raises(ValueError, match=message) as caught:
        load_network(path)
    assert str(path) in str(caught.value)
    return str(caught.value)


def test_the_hand_made_archive_itself_loads(tmp_path):
    net = load_network(write_zip(tmp_path / "good.npz", good_members()))
    assert isinstance(net, ConvNet) and net.feature_shape == (2, 2, 2) and net.head.sizes == [8, 3]
    np.testing.assert_array_equal(net.features[0].K, np.arange(18.0).reshape(2, 1, 3, 3) / 10)
    np.testing.assert_array_equal(net.head.weights[0], np.arange(24.0).reshape(8, 3) / 24)


def test_a_saved_convnet_roundtrips_exactly(tmp_path):
    net = ConvNet(parse_features("conv4x3p1,tanh,pool2,conv6x3s2,relu"), [7, 5], input_shape=(2, 9, 9),
                  activation="tanh", dropout=0.25, weight_decay=1e-3, seed=4, dtype=np.float32)
    for layer in net.features:
        if layer.kind == "conv":
            layer.b[...] = np.random.default_rng(1).standard_normal(layer.b.shape)
    loaded = load_network(save_network(net, tmp_path / "cnn.npz"))
    X = np.random.default_rng(0).random((6, 2 * 9 * 9)).astype(np.float32)
    np.testing.assert_array_equal(loaded.predict_proba(X), net.predict_proba(X))
    assert [layer.config() for layer in loaded.features] == [layer.config() for layer in net.features]
    assert (loaded.input_shape, loaded.dtype, loaded.seed) == ((2, 9, 9), np.float32, 4)
    assert (loaded.head.activation, loaded.head.dropout, loaded.weight_decay) == ("tanh", 0.25, 1e-3)
    assert loaded.parameter_names() == net.parameter_names()


# -- metadata -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("changes, message", [
    (dict(input_shape=None), r"metadata 'input_shape' should be \[channels, height, width\]"),
    (dict(input_shape=[1, 4]), r"metadata 'input_shape' should be \[channels, height, width\]"),
    (dict(input_shape=[0, 4, 4]), r"metadata 'input_shape' should be .*found \[0, 4, 4\]"),
    (dict(input_shape=[1, 4.0, 4]), r"metadata 'input_shape' should be"),
    (dict(input_shape=[1, 4, 10 ** 6]), r"three whole numbers from 1 to 10,000"),
    (dict(features=[]), r"metadata 'features' should be a list of 1 to 100 feature layers"),
    (dict(features="conv2x3p1"), r"metadata 'features' should be a list"),
    (dict(features=[{"kind": "dense", "size": 3}]), r"feature layer 1 .*unknown layer kind 'dense'"),
    (dict(features=[["conv", 2, 3]]), r"feature layer 1 .*a layer is described by a dict"),
    (dict(features=[{"kind": "conv", "filters": 2}]), r"feature layer 1 .*missing .*'size'"),
    (dict(features=[{"kind": "conv", "filters": 0, "size": 3}]), r"filters must be a whole number >= 1, got 0"),
    (dict(features=[{"kind": "conv", "filters": 2, "size": 3.0}]), r"filter size must be a whole number >= 1"),
    (dict(features=[{"kind": "conv", "filters": 2, "size": 5}]), r"a window of 5 does not fit an input of 4"),
    (dict(features=[{"kind": "conv", "filters": 2, "size": 3, "dilation": 2}]), r"unknown setting 'dilation'"),
    (dict(features=[{"kind": "activation", "name": "softmax"}]), r"feature layer 1 .*unknown activation"),
    (dict(features=[{"kind": "maxpool", "size": True}]), r"pooling size must be a whole number >= 1, got True"),
    (dict(features=[{"kind": "conv", "filters": 10 ** 9, "size": 1}]), r"sizes are at most 10,000 .*filters"),
    (dict(features=[{"kind": "conv", "filters": 2, "size": 3, "padding": 2 ** 70}]), r"at most 10,000 .*padding"),
    (dict(head=[]), r"metadata 'head' should be a list of 1 to 100 positive whole numbers"),
    (dict(head=[0]), r"metadata 'head' should be a list"),
    (dict(head=["3"]), r"metadata 'head' should be a list"),
    (dict(features=...), r"its metadata lacks features"),
    (dict(input_shape=..., head=...), r"its metadata lacks input_shape, head"),
    (dict(activation="softmax"), r"metadata 'activation' should be one of"),
    (dict(dropout=math.nan), r"metadata 'dropout' should be a number in \[0, 1\), found nan"),
    (dict(seed="0"), r"metadata 'seed' should be null or a whole number"),
    (dict(output="sigmoid"), r"cross_entropy expects a softmax output layer .*; the file is damaged"),
    (dict(format="nnlib-cnn"), r"meta format is not 'nnlib-network' or 'nnlib-convnet'"),
])
def test_metadata_of_the_wrong_type_or_range_is_named(tmp_path, changes, message):
    load_error(write_zip(tmp_path / "m.npz", {**good_members(), "meta.npy": meta_npy(**changes)}), message)


def test_the_head_must_fit_what_the_features_produce(tmp_path):
    """The head's input size is not stored: it follows from the features, so a W0 made for another input is
    refused by its shape."""
    members = {**good_members(features=GOOD_CONVNET_META["features"][:2])}     # no pooling: 2x4x4 = 32 features
    load_error(write_zip(tmp_path / "m.npz", members),
               r"head.W0 should have shape \(32, 3\) for the layers in its metadata, found \(8, 3\)")


@pytest.mark.parametrize("features, message", [
    ([{"kind": "conv", "filters": 10_000, "size": 100}],                         # 10^8 kernel weights
     r"its layers describe 100,040,003 parameters, more than nnlib loads \(50,000,000\)"),
    ([{"kind": "conv", "filters": 1, "size": 1}, {"kind": "activation", "name": "relu"}],
     r"its feature layers hold 200,000,000 numbers per example, more than nnlib runs \(50,000,000\)"),
])
def test_metadata_declaring_huge_layers_is_refused_before_allocating(tmp_path, features, message):
    """Refused from the metadata alone, in a child capped at 600 MB: a loader that built the network (or ran
    a trial forward pass) first would die of MemoryError instead."""
    shape = [1, 100, 100] if features[0]["size"] == 100 else [1, 10_000, 10_000]
    path = write_zip(tmp_path / "huge.npz", {**good_members(input_shape=shape, features=features),
                                             "pad.npy": bytes(100_000)})
    result = run_limited(f"""
        from nnlib import load_network
        try:
            load_network({str(path)!r})
        except ValueError as error:
            print(error)
    """, memory_mb=600)
    assert result.returncode == 0, result.stderr
    assert __import__("re").search(message, result.stdout), result.stdout


# -- members ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("change, message", [
    ({"W0.npy": npy(np.zeros((8, 3)))},
     r"unexpected member 'W0'\.npy: this ConvNet holds only meta, conv1.K, conv1.b, head.W0, head.b0"),
    ({"conv2.K.npy": npy(np.zeros((2, 2, 3, 3)))}, r"unexpected member 'conv2.K'\.npy"),
    ({"conv1.K.npy": npy(np.zeros((2, 3, 3)))},
     r"conv1.K should have shape \(2, 1, 3, 3\) for the layers in its metadata, found \(2, 3, 3\)"),
    ({"conv1.K.npy": npy(np.zeros((2, 1, 3, 3), dtype=np.int64))}, r"conv1.K holds int64 values"),
    ({"conv1.K.npy": npy(np.full((2, 1, 3, 3), np.nan))}, r"conv1.K contains nan or infinite values"),
    ({"conv1.b.npy": npy(np.array([1.0, np.inf]))}, r"conv1.b contains nan or infinite values \(first at index \(1,\)\)"),
    ({"conv1.K.npy": npy_header((2, 1, 3, 3))}, r"conv1.K declares \d+ bytes in the archive, but"),
    ({"conv1.K.npy": npy(np.array([object()], dtype=object))}, r"conv1.K holds pickled Python objects"),
    ({"conv1.K.npy": zip_bomb_member(200)}, r"conv1.K should have shape \(2, 1, 3, 3\) .*found \(26214400,\)"),
])
def test_members_of_the_wrong_name_shape_or_content_are_refused(tmp_path, change, message):
    load_error(write_zip(tmp_path / "m.npz", {**good_members(), **change}), message)


def test_a_missing_member_is_named(tmp_path):
    members = good_members()
    del members["conv1.b.npy"]
    load_error(write_zip(tmp_path / "m.npz", members),
               r"conv1.b should have shape \(2,\) for the layers in its metadata, found nothing")


def test_the_command_line_reports_a_damaged_convnet_in_one_line(tmp_path, capsys):
    from nnlib.cli import main
    path = write_zip(tmp_path / "m.npz", {**good_members(), "meta.npy": meta_npy(features=[{"kind": "conv"}])})
    assert main(["evaluate", str(path)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert "metadata feature layer 1" in err and str(path) in err
