"""read_idx: good IDX files round-trip exactly; every kind of bad file gets its own plain-words error."""
import gzip

import numpy as np
import pytest

from mnist_fakes import idx_bytes, write_file, write_idx
from nnlib.data import IDXFormatError, parse_idx, read_idx


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


# ----------------------------------------------------------------------------- good files


@pytest.mark.parametrize("name", ["labels-idx1-ubyte.gz", "labels-idx1-ubyte"])
def test_reads_1d_labels_gzip_and_raw(tmp_path, name):
    labels = np.array([5, 0, 4, 1, 9, 2], dtype=np.uint8)
    result = read_idx(write_idx(tmp_path / name, labels))
    assert result.dtype == np.uint8 and result.shape == (6,)
    np.testing.assert_array_equal(result, labels)


@pytest.mark.parametrize("name", ["images-idx3-ubyte.gz", "images-idx3-ubyte"])
def test_reads_3d_images_gzip_and_raw(tmp_path, name):
    images = np.random.default_rng(1).integers(0, 256, (4, 28, 28), dtype=np.uint8)
    result = read_idx(write_idx(tmp_path / name, images))
    assert result.dtype == np.uint8 and result.shape == (4, 28, 28)
    np.testing.assert_array_equal(result, images)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int16, np.int32, np.int8])
def test_reads_multibyte_big_endian_types_into_native_order(tmp_path, dtype):
    values = (np.arange(12).reshape(3, 4) - 5.5 * (np.dtype(dtype).kind == "f")).astype(dtype)
    result = read_idx(write_idx(tmp_path / "values.idx.gz", values))
    assert result.dtype == np.dtype(dtype) and result.dtype.isnative
    np.testing.assert_array_equal(result, values)


def test_float32_type_code_0x0d_is_decoded_big_endian():
    data = bytes([0, 0, 0x0D, 1]) + (2).to_bytes(4, "big") + np.array([1.5, -2.0], ">f4").tobytes()
    np.testing.assert_array_equal(parse_idx(data), np.array([1.5, -2.0], np.float32))


def test_a_gzip_file_without_gz_in_its_name_is_still_recognised(tmp_path):
    path = write_file(tmp_path / "labels.idx", idx_bytes(np.arange(3, dtype=np.uint8)), compress=True)
    np.testing.assert_array_equal(read_idx(path), [0, 1, 2])


def test_result_is_writable_and_owns_its_memory(tmp_path):
    result = read_idx(write_idx(tmp_path / "x.gz", np.zeros((2, 2), np.uint8)))
    result[0, 0] = 7  # np.frombuffer alone would give a read-only view of the file's bytes
    assert result[0, 0] == 7


# ----------------------------------------------------------------------------- bad files


def images_bytes(n=3):
    return idx_bytes(np.full((n, 28, 28), 7, dtype=np.uint8))


def read_error(tmp_path, content, name="images-idx3-ubyte.gz", compress=None):
    path = write_file(tmp_path / name, content, compress=compress)
    with pytest.raises(IDXFormatError) as info:
        read_idx(path)
    message = str(info.value)
    assert message.startswith(str(path) + ": "), "the message must name the file"
    return message


def test_wrong_magic_number(tmp_path):
    message = read_error(tmp_path, b"\x12\x34\x08\x03" + images_bytes()[4:])
    assert "not an IDX file: bad magic number 0x12340803" in message
    assert "0x00000803 for MNIST images" in message


def test_unknown_type_code_in_magic_number(tmp_path):
    message = read_error(tmp_path, b"\x00\x00\x07\x03" + images_bytes()[4:])
    assert "bad magic number 0x00000703: unknown value type code 0x07" in message
    assert "0x08 (uint8)" in message and "0x0D (float32)" in message


def test_zero_dimensions_in_magic_number(tmp_path):
    message = read_error(tmp_path, b"\x00\x00\x08\x00" + images_bytes()[4:])
    assert "bad magic number 0x00000800: its fourth byte says 0 dimensions" in message


def test_truncated_payload_says_what_the_header_promised(tmp_path):
    message = read_error(tmp_path, images_bytes(3)[:16 + 1000])
    assert "truncated: header promises 3x28x28 = 2352 bytes, file holds 1000 after its 16-byte header" in message
    assert "replace it with a fresh copy" in message


def test_truncated_mnist_sized_file_reads_like_the_issue_example(tmp_path):
    header = bytes([0, 0, 8, 3]) + b"".join(n.to_bytes(4, "big") for n in (60000, 28, 28))
    message = read_error(tmp_path, header + bytes(1048576))
    assert "truncated: header promises 60000x28x28 = 47040000 bytes, file holds 1048576" in message


def test_truncated_multibyte_values_mention_their_size(tmp_path):
    content = idx_bytes(np.zeros((2, 3), np.float32))[:-4]
    message = read_error(tmp_path, content, name="values.idx")
    assert "truncated: header promises 2x3 float32 values of 4 bytes = 24 bytes, file holds 20" in message


def test_truncated_header(tmp_path):
    message = read_error(tmp_path, images_bytes()[:10])
    assert "truncated header: 3 dimensions need a 16-byte header, the file holds only 10 bytes" in message


def test_trailing_extra_bytes(tmp_path):
    message = read_error(tmp_path, images_bytes(3) + b"extra")
    assert "5 unexpected trailing bytes: header promises 3x28x28 = 2352 bytes, file holds 2357" in message


def test_named_gz_but_not_gzip(tmp_path):
    message = read_error(tmp_path, images_bytes(), compress=False)
    assert "named .gz but is not gzip-compressed: it starts with bytes 00 00 08 03, not 1f 8b" in message
    assert "remove .gz from its name" in message


def test_named_gz_but_a_web_page(tmp_path):
    message = read_error(tmp_path, b"<!DOCTYPE html><title>404</title>", compress=False)
    assert "it starts with bytes 3c 21 44 4f ('<!DO', perhaps a web page saved instead of the data)" in message


@pytest.mark.parametrize("name", ["images-idx3-ubyte.gz", "images-idx3-ubyte"])
def test_empty_file(tmp_path, name):
    message = read_error(tmp_path, b"", name=name, compress=False)
    assert "empty file (0 bytes); the download or copy did not finish" in message


def test_empty_gzip_stream(tmp_path):
    message = read_error(tmp_path, b"", compress=True)
    assert "empty file (0 bytes)" in message


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no-such-file.gz: no such file"):
        read_idx(tmp_path / "no-such-file.gz")


def test_missing_relative_path_names_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError) as info:
        read_idx("data/mnist/x.gz")
    assert str(info.value) == f"data/mnist/x.gz: no such file (relative to the working directory {tmp_path})"


def test_header_dimension_count_disagrees_with_payload(tmp_path):
    content = bytearray(images_bytes(3))
    content[3] = 1  # claims 1-D (3,), but the 3x28x28 data follows
    message = read_error(tmp_path, bytes(content))
    assert ("header dimension count disagrees with the payload: the magic number's fourth byte says 1 "
            "dimension(s) (3), but the data fits 3 dimensions (3x28x28) exactly") in message


def test_labels_claiming_too_many_dimensions(tmp_path):
    content = bytearray(idx_bytes(np.arange(40, dtype=np.uint8) % 10))
    content[3] = 3
    message = read_error(tmp_path, bytes(content), name="labels-idx1-ubyte.gz")
    assert "fourth byte says 3 dimension(s)" in message and "fits 1 dimensions (40) exactly" in message


@pytest.mark.parametrize("damage, expected", [
    (lambda gz: gz[:len(gz) // 2], "corrupt gzip data (Compressed file ended before the end-of-stream marker"),
    (lambda gz: gz[:-8] + bytes(8), "corrupt gzip data (CRC check failed"),
    (lambda gz: gz[:10] + b"\xff" * 20 + gz[30:], "corrupt gzip data (Error -3 while decompressing data"),
])
def test_corrupt_gzip_stream(tmp_path, damage, expected):
    compressed = gzip.compress(images_bytes(), mtime=0)
    message = read_error(tmp_path, damage(compressed), compress=False)
    assert expected in message and "replace it with a fresh copy" in message


def test_never_returns_short_or_padded_arrays(tmp_path):
    """Every length other than the exact one is refused (a sweep over cut and padded payloads)."""
    good = images_bytes(2)
    for length in [17, 100, len(good) - 1, len(good) + 1, len(good) + 784]:
        content = good[:length] if length < len(good) else good + bytes(length - len(good))
        with pytest.raises(IDXFormatError):
            parse_idx(content, source="sweep")
    assert parse_idx(good).shape == (2, 28, 28)
