"""The chapter 01 checkers: correct answers pass, typical mistakes fail with the hint that names them,
and nothing a student's function does (raise, return None or a list) crashes a checker."""
import gzip
import struct
from pathlib import Path

import numpy as np
import pytest

from nnlib.exercises.ch01 import check_one_hot, check_parse_idx_header, idx_header

DATA = Path(__file__).resolve().parent.parent / "data" / "mnist"


# ---------------------------------------------------------------------------------------------
# one_hot


def one_hot_fancy_indexing(labels, n_classes):
    Y = np.zeros((len(labels), n_classes))
    Y[np.arange(len(labels)), labels] = 1
    return Y


def one_hot_eye(labels, n_classes):
    return np.eye(n_classes, dtype=int)[labels]


def one_hot_loop(labels, n_classes):
    Y = np.zeros((len(labels), n_classes), dtype=np.float32)
    for i, label in enumerate(labels):
        Y[i, label] = 1.0
    return Y


@pytest.mark.parametrize("fn", [one_hot_fancy_indexing, one_hot_eye, one_hot_loop])
def test_correct_one_hot_passes(fn):
    result = check_one_hot(fn)
    assert result.passed, result.message
    assert result.message == "✓ one_hot: all 5 cases pass"


WRONG_ONE_HOTS = {
    "off by one (labels - 1)": (lambda labels, k: one_hot_fancy_indexing(labels - 1, k), "off by one"),
    "n_classes - 1 columns": (
        lambda labels, k: np.eye(k - 1)[np.minimum(labels, k - 2)], "needs"),
    "n_classes - 1 columns, crashing": (lambda labels, k: one_hot_fancy_indexing(labels, k - 1), None),
    "columns from labels.max() + 1": (lambda labels, k: one_hot_fancy_indexing(labels, labels.max() + 1),
                                      "not labels.max() + 1"),
    "transposed": (lambda labels, k: one_hot_fancy_indexing(labels, k).T, "transposed"),
    "squeezes a single label": (lambda labels, k: np.squeeze(one_hot_fancy_indexing(labels, k)), "do not squeeze"),
    "writes the label, not 1": (lambda labels, k: one_hot_fancy_indexing(labels, k) * labels[:, None],
                                "not the label itself"),
    "sets whole columns": (lambda labels, k: _whole_columns(labels, k), "sets whole columns"),
}


def _whole_columns(labels, n_classes):
    Y = np.zeros((len(labels), n_classes))
    Y[:, labels] = 1
    return Y


@pytest.mark.parametrize("name", WRONG_ONE_HOTS)
def test_typical_wrong_one_hot_fails_with_its_hint(name):
    fn, hint = WRONG_ONE_HOTS[name]
    result = check_one_hot(fn)
    assert not result.passed
    assert result.message.startswith("✗ one_hot failed on case")
    if hint is not None:
        assert hint in result.hint, result.message


def test_one_hot_with_too_few_columns_names_the_index_error():
    result = check_one_hot(lambda labels, k: one_hot_fancy_indexing(labels, k - 1))
    assert "raised IndexError" in result.message
    assert result.case == "labels [3, 0, 9, 1] with 10 classes"


def test_one_hot_failure_shows_expected_and_got():
    result = check_one_hot(WRONG_ONE_HOTS["off by one (labels - 1)"][0])
    assert "values differ" in result.message and "expected" in result.message and "got" in result.message


@pytest.mark.parametrize("fn, words", [
    (lambda labels, k: None, "None (did you forget `return`?)"),
    (lambda labels, k: one_hot_fancy_indexing(labels, k).tolist(), "got a list"),
    (lambda labels, k: 1 / 0, "raised ZeroDivisionError"),
    (lambda labels, k: "one-hot", "got a str"),
])
def test_one_hot_checker_reports_instead_of_crashing(fn, words):
    result = check_one_hot(fn)
    assert not result.passed
    assert words in result.message


def test_not_implemented_one_hot_says_so():
    def one_hot(labels, n_classes):
        raise NotImplementedError("fill me in")
    assert "is not implemented yet" in check_one_hot(one_hot).message


def test_one_hot_checker_does_not_let_inplace_changes_leak():
    def destructive(labels, n_classes):
        labels -= 1  # corrupts its own copy only
        return one_hot_fancy_indexing(labels + 1, n_classes)
    assert check_one_hot(destructive).passed


# ---------------------------------------------------------------------------------------------
# parse_idx_header


def header_from_bytes(raw):
    magic = int.from_bytes(raw[:4], "big")
    return magic, struct.unpack(f">{raw[3]}I", raw[4:4 + 4 * raw[3]])


def header_little_endian(raw):
    return int.from_bytes(raw[:4], "little"), struct.unpack(f"<{raw[3]}I", raw[4:4 + 4 * raw[3]])


def header_assumes_three_dimensions(raw):
    return int.from_bytes(raw[:4], "big"), struct.unpack(">3I", raw[4:16])


def header_shape_as_list(raw):
    magic, shape = header_from_bytes(raw)
    return magic, list(shape)


def header_sizes_from_byte_zero(raw):
    return int.from_bytes(raw[:4], "big"), struct.unpack(f">{raw[3]}I", raw[0:4 * raw[3]])


def header_as_list(raw):
    return list(header_from_bytes(raw))


def test_correct_header_parser_passes():
    result = check_parse_idx_header(header_from_bytes)
    assert result.passed, result.message


def test_the_checker_cases_match_the_real_mnist_files():
    with gzip.open(DATA / "train-images-idx3-ubyte.gz") as images:
        assert images.read(16) == idx_header(0x00000803, (60000, 28, 28))
    with gzip.open(DATA / "train-labels-idx1-ubyte.gz") as labels:
        assert labels.read(8) == idx_header(0x00000801, (60000,))
    assert header_from_bytes(idx_header(0x00000801, (60000,), b"payload")) == (2049, (60000,))


@pytest.mark.parametrize("fn, hint", [
    (header_little_endian, "big-endian"),
    (header_assumes_three_dimensions, "byte 3"),
    (header_shape_as_list, "as a tuple"),
    (header_sizes_from_byte_zero, "start at byte 4"),
    (header_as_list, "not a list"),
    (lambda raw: (raw[3], header_from_bytes(raw)[1]), "first 4 bytes"),
])
def test_typical_wrong_header_parser_fails_with_its_hint(fn, hint):
    result = check_parse_idx_header(fn)
    assert not result.passed
    assert hint in result.hint, result.message


@pytest.mark.parametrize("fn, words", [
    (lambda raw: None, "None"),
    (lambda raw: raw[99], "raised IndexError"),
    (lambda raw: 2051, "expected a tuple of 2 items, got a int"),
])
def test_header_checker_reports_instead_of_crashing(fn, words):
    result = check_parse_idx_header(fn)
    assert not result.passed
    assert words in result.message
