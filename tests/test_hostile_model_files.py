"""Hostile and broken model files: every one gets a ValueError naming the file and what is wrong with it,
before anything large is allocated, and no file can make the loader read more than the model needs."""
import json
import math
import zipfile

import numpy as np
import pytest

from hostile_tools import (GOOD_META, good_members, meta_npy, npy, npy_header, raw_deflate, run_limited,
                           write_zip, zip_bomb_member)
from nnlib import load_network


def load_error(path, message):
    with pytest.raises(ValueError, match=message) as caught:
        load_network(path)
    assert str(path) in str(caught.value)  # the message names the file
    return str(caught.value)


def test_the_hand_made_archive_itself_loads(tmp_path):
    """The builders make a valid model, so each case below differs from a good file in one thing only."""
    net = load_network(write_zip(tmp_path / "good.npz", good_members()))
    np.testing.assert_array_equal(net.weights[0], np.arange(12.0).reshape(4, 3))


# -- members ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("extra, message", [
    ({"W0": b"not an array"}, r"its member 'W0' is not a NumPy \.npy array"),
    ({"notes.txt": b"hello"}, r"its member 'notes.txt' is not a NumPy \.npy array"),
    ({"sub/W0.npy": npy(np.zeros((4, 3)))}, r"its member 'sub/W0.npy' is not a NumPy \.npy array"),
    ({"W1.npy": npy(np.zeros((3, 3)))}, r"unexpected member 'W1'\.npy: a network of 1 layers holds only meta"),
    ({"extra.npy": npy(np.zeros(5))}, r"unexpected member 'extra'\.npy"),
])
def test_members_a_model_does_not_have_are_refused_by_name(tmp_path, extra, message):
    members = good_members()
    if "W0" in extra:
        del members["W0.npy"]
    load_error(write_zip(tmp_path / "m.npz", {**members, **extra}), message)


def test_a_member_that_appears_twice_is_refused(tmp_path):
    path = tmp_path / "m.npz"
    with zipfile.ZipFile(path, "w") as archive, pytest.warns(UserWarning, match="Duplicate name"):
        for name, data in good_members().items():
            archive.writestr(name, data)
        archive.writestr("W0.npy", npy(np.full((4, 3), 7.0)))   # which W0 would be used? neither
    load_error(path, "the member 'W0.npy' appears twice")


@pytest.mark.parametrize("method", [zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA])
def test_compression_methods_that_decompress_without_a_bound_are_refused(tmp_path, method):
    path = tmp_path / "m.npz"
    with zipfile.ZipFile(path, "w", compression=method) as archive:
        for name, data in good_members().items():
            archive.writestr(name, data)
    load_error(path, f"uses zip compression method {method}; nnlib reads stored or deflated members only")


# -- metadata -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("changes, message", [
    (dict(sizes=None), r"metadata 'sizes' should be a list of 2 to 101 positive whole numbers"),
    (dict(sizes="4,3"), r"metadata 'sizes' should be a list"),
    (dict(sizes=[4.0, 3]), r"metadata 'sizes' should be a list .*, found \[4\.0, 3\]"),
    (dict(sizes=[4, "3"]), r"metadata 'sizes' should be a list"),
    (dict(sizes=[True, 3]), r"metadata 'sizes' should be a list"),
    (dict(sizes=[4, -3]), r"metadata 'sizes' should be a list"),
    (dict(sizes=[4] * 150), r"metadata 'sizes' should be a list of 2 to 101"),
    (dict(version="1"), r"metadata 'version' should be a format version"),
    (dict(version=None), r"metadata 'version' should be a format version"),
    (dict(version=1.5), r"metadata 'version' should be a format version"),
    (dict(version=...), r"its metadata lacks version"),
    (dict(activation=None), r"metadata 'activation' should be one of sigmoid, tanh"),
    (dict(activation=["relu"]), r"metadata 'activation' should be one of"),
    (dict(output={"softmax": 1}), r"metadata 'output' should be one of"),
    (dict(loss=3), r"metadata 'loss' should be one of quadratic"),
    (dict(init=["he"]), r"metadata 'init' should be one of standard_normal"),
    (dict(dtype="int64"), r"metadata 'dtype' should be one of float32, float64"),
    (dict(seed=-1), r"metadata 'seed' should be null or a whole number >= 0"),
    (dict(seed="0"), r"metadata 'seed' should be null or a whole number"),
    (dict(dropout="0.1"), r"metadata 'dropout' should be a number in \[0, 1\)"),
    (dict(dropout=None), r"metadata 'dropout' should be a number"),
    (dict(dropout=math.nan), r"metadata 'dropout' should be a number in \[0, 1\), found nan"),
    (dict(weight_decay=math.nan), r"metadata 'weight_decay' should be a finite number >= 0, found nan"),
    (dict(weight_decay=math.inf), r"metadata 'weight_decay' should be a finite number >= 0, found inf"),
    (dict(weight_decay=-1), r"metadata 'weight_decay' should be a finite number >= 0"),
    (dict(output="sigmoid"), r"cross_entropy expects a softmax output layer .*; the file is damaged"),
])
def test_metadata_of_the_wrong_type_or_range_is_named(tmp_path, changes, message):
    load_error(write_zip(tmp_path / "m.npz", {**good_members(), "meta.npy": meta_npy(**changes)}), message)


@pytest.mark.parametrize("meta, message", [
    (np.array(["{}", "{}"]), r"its 'meta' entry should be one text string, found <U2 values of shape \(2,\)"),
    (np.array(1.5), r"its 'meta' entry should be one text string, found float64"),
    (np.array("[" * 7000 + "]" * 7000), r"its 'meta' entry is not valid JSON"),      # RecursionError inside
    (np.array(json.dumps({**GOOD_META, "pad": "x" * 70000})), r"'meta' entry declares \d+ bytes, far more"),
])
def test_a_meta_entry_that_is_not_a_small_json_string_is_refused(tmp_path, meta, message):
    load_error(write_zip(tmp_path / "m.npz", {**good_members(), "meta.npy": npy(meta)}), message)


def test_metadata_declaring_huge_layers_is_refused_before_allocating(tmp_path):
    """A 100 KB file whose sizes ask for terabytes: refused from the sizes alone, in a child process whose
    memory is capped at 600 MB, so a loader that allocated first would fail with MemoryError instead."""
    path = write_zip(tmp_path / "huge.npz", {**good_members(), "meta.npy": meta_npy(sizes=[4, 1_000_000, 1_000_000]),
                                             "pad.npy": bytes(100_000)})
    result = run_limited(f"""
        from nnlib import load_network
        try:
            load_network({str(path)!r})
        except ValueError as error:
            print(error)
    """, memory_mb=600)
    assert result.returncode == 0, result.stderr
    assert "describe 1,000,006,000,000 parameters, more than nnlib loads (50,000,000)" in result.stdout


# -- members' headers and values ----------------------------------------------------------------------

@pytest.mark.parametrize("W0, message", [
    (np.arange(12, dtype=np.int64).reshape(4, 3), r"W0 holds int64 values; weights must be float32 or float64"),
    (np.ones((4, 3), dtype=bool), r"W0 holds bool values"),
    (np.ones((4, 3), dtype=np.complex128), r"W0 holds complex128 values"),
    (np.ones((4, 3), dtype=np.float16), r"W0 holds float16 values"),
    (np.full((4, 3), "1.0"), r"W0 holds <U3 values"),
    (np.zeros((4, 3), dtype=[("a", "<f8")]), r"W0 holds \[\('a', '<f8'\)\] values"),
])
def test_weights_that_are_not_floats_are_refused(tmp_path, W0, message):
    load_error(write_zip(tmp_path / "m.npz", {**good_members(), "W0.npy": npy(W0)}), message)


@pytest.mark.parametrize("name, value, index", [("W0", np.nan, (1, 2)), ("W0", np.inf, (1, 2)),
                                                ("W0", -np.inf, (1, 2)), ("b0", np.nan, (2,))])
def test_nan_or_infinite_weights_are_refused(tmp_path, name, value, index):
    array = np.zeros((4, 3) if name == "W0" else 3)
    array[index] = value
    load_error(write_zip(tmp_path / "m.npz", {**good_members(), f"{name}.npy": npy(array)}),
               rf"{name} contains nan or infinite values \(first at index {re_tuple(index)}\); a network that "
               rf"diverged was saved, or the file is damaged: retrain it")


def re_tuple(index):
    return str(index).replace("(", r"\(").replace(")", r"\)")


def test_a_member_header_declaring_a_huge_shape_is_refused_before_allocating(tmp_path):
    """W0's header claims 10^6 x 10^6 float64 (8 TB) with a few bytes behind it."""
    path = write_zip(tmp_path / "m.npz", {**good_members(), "W0.npy": npy_header((10**6, 10**6)) + bytes(96)})
    result = run_limited(f"""
        from nnlib import load_network
        try:
            load_network({str(path)!r})
        except ValueError as error:
            print(error)
    """, memory_mb=600)
    assert result.returncode == 0, result.stderr
    assert r"W0 should have shape (4, 3) for sizes [4, 3], found (1000000, 1000000)" in result.stdout


def test_a_member_whose_declared_size_disagrees_with_its_header_is_refused(tmp_path):
    payload = npy(np.zeros((4, 3))) + bytes(1000)           # right header, 1000 bytes too many behind it
    load_error(write_zip(tmp_path / "m.npz", {**good_members(), "W0.npy": payload}),
               r"W0 declares 1224 bytes in the archive, but \(4, 3\) float64 values take 224")


def test_a_deflated_member_that_lies_about_its_size_is_caught(tmp_path):
    """The zip declares W0 as 224 bytes; its deflated data is much longer. Reading stops at the declared
    size and the CRC check (of the declared bytes) fails: a clear error, never more than 224 bytes read."""
    honest = npy(np.zeros((4, 3)))
    payload = raw_deflate(honest + bytes(10**6))
    members = {**good_members(), "W0.npy": (payload, 8, zipfile.crc32(honest + b"x"), len(honest))}
    load_error(write_zip(tmp_path / "m.npz", members), r"W0 is not a readable \.npy array \(Bad CRC-32 for file 'W0\.npy'\)")


def test_a_single_npy_declaring_a_huge_array_is_refused_without_reading(tmp_path):
    path = tmp_path / "m.npz"
    path.write_bytes(npy_header((10**7, 10**6)) + bytes(100))
    result = run_limited(f"""
        from nnlib import load_network
        try:
            load_network({str(path)!r})
        except ValueError as error:
            print(error)
    """, memory_mb=600)
    assert result.returncode == 0, result.stderr
    assert "it holds a single array, not an .npz archive" in result.stdout


@pytest.mark.parametrize("bomb_name", ["extra.npy", "W0.npy"])
def test_a_zip_bomb_member_is_never_decompressed(tmp_path, bomb_name):
    """A 3 MB file with a member that inflates to 3 GB, as an extra member or in place of W0. The loader
    refuses it from the zip's declared sizes and member names: in a child capped at 700 MB it answers,
    with its Python allocations peaking below 1 MB (the decompressed member would be 3 GB)."""
    members = {**good_members(), bomb_name: zip_bomb_member(3000)}
    path = write_zip(tmp_path / "bomb.npz", members)
    assert path.stat().st_size < 4_000_000
    result = run_limited(f"""
        import tracemalloc
        from nnlib import load_network
        tracemalloc.start()
        try:
            load_network({str(path)!r})
        except ValueError as error:
            print(error)
        print("peak", tracemalloc.get_traced_memory()[1])
    """, memory_mb=700)
    assert result.returncode == 0, result.stderr
    expected = ("unexpected member 'extra'.npy" if bomb_name == "extra.npy"
                else "W0 should have shape (4, 3) for sizes [4, 3], found (393216000,)")
    assert expected in result.stdout
    assert int(result.stdout.split("peak ")[1]) < 1_000_000


def test_a_folder_is_not_a_model_file(tmp_path):
    with pytest.raises(IsADirectoryError, match="is a folder, not a model file"):
        load_network(tmp_path)


def test_messages_quote_at_most_a_short_piece_of_a_hostile_value(tmp_path):
    text = load_error(write_zip(tmp_path / "m.npz", {**good_members(), "meta.npy": meta_npy(activation="A" * 5000)}),
                      "metadata 'activation' should be one of")
    assert len(text) < 400
