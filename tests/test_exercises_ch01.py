"""Chapter 01 checkers: typical wrong answers get the hint that names their mistake, unusual correct
answers pass, and nothing a student's function does crashes a checker."""
import struct

import numpy as np
import pytest

from exercise_catalogue import MIN_RIGHT, MIN_WRONG, assert_right, assert_wrong
from nnlib.exercises.ch01 import check_one_hot, check_parse_idx_header, idx_header


# -- one_hot -----------------------------------------------------------------------------------

def one_hot_fancy_index(labels, n_classes):
    Y = np.zeros((len(labels), n_classes))
    Y[np.arange(len(labels)), labels] = 1
    return Y


def one_hot_eye(labels, n_classes):
    return np.eye(n_classes)[labels]


def one_hot_loop(labels, n_classes):
    Y = np.zeros((len(labels), n_classes), dtype=int)
    for i, label in enumerate(labels):
        Y[i, label] = 1
    return Y


def one_hot_comparison(labels, n_classes):
    return (labels[:, None] == np.arange(n_classes)).astype(np.float32)


def transposed(labels, n_classes):
    return one_hot_fancy_index(labels, n_classes).T


def too_few_columns(labels, n_classes):
    return np.eye(n_classes - 1)[np.minimum(labels, n_classes - 2)]


def columns_from_max(labels, n_classes):
    return np.eye(labels.max() + 1)[labels]


def hard_coded_ten(labels, n_classes):
    return np.eye(10)[labels]


def squeezed(labels, n_classes):
    return np.squeeze(one_hot_fancy_index(labels, n_classes))


def off_by_one_down(labels, n_classes):
    return np.eye(n_classes)[labels - 1]


def off_by_one_up(labels, n_classes):
    return np.eye(n_classes)[(labels + 1) % n_classes]


def writes_the_label(labels, n_classes):
    Y = np.zeros((len(labels), n_classes))
    Y[np.arange(len(labels)), labels] = labels
    return Y


def whole_columns(labels, n_classes):
    Y = np.zeros((len(labels), n_classes))
    Y[:, labels] = 1
    return Y


def booleans(labels, n_classes):
    return labels[:, None] == np.arange(n_classes)


def list_of_rows(labels, n_classes):
    return [[1 if c == label else 0 for c in range(n_classes)] for label in labels]


def ones_and_zeros_swapped(labels, n_classes):
    Y = np.ones((len(labels), n_classes))
    Y[np.arange(len(labels)), labels] = 0
    return Y


def forgets_return(labels, n_classes):
    Y = np.zeros((len(labels), n_classes))
    Y[np.arange(len(labels)), labels] = 1


def swapped_shape_index_error(labels, n_classes):
    Y = np.zeros((n_classes, len(labels)))
    Y[np.arange(len(labels)), labels] = 1
    return Y


ONE_HOT_WRONG = [
    (transposed, "transposed"),
    (too_few_columns, "not 9"),
    (columns_from_max, "not labels.max() + 1"),
    (hard_coded_ten, "10 is only MNIST's value"),
    (squeezed, "do not squeeze"),
    (off_by_one_down, "not column k - 1"),
    (off_by_one_up, "not column k + 1"),
    (writes_the_label, "not the label itself"),
    (whole_columns, "sets whole columns"),
    (booleans, "True/False"),
    (list_of_rows, "not a list"),
    (ones_and_zeros_swapped, "start from np.zeros"),
    (forgets_return, "returned None"),
    (swapped_shape_index_error, "out of bounds"),
]
ONE_HOT_RIGHT = [one_hot_fancy_index, one_hot_eye, one_hot_loop, one_hot_comparison]


@pytest.mark.parametrize("wrong, phrase", ONE_HOT_WRONG, ids=lambda x: getattr(x, "__name__", ""))
def test_one_hot_mistakes_are_named(wrong, phrase):
    assert_wrong(check_one_hot, wrong, phrase)


@pytest.mark.parametrize("right", ONE_HOT_RIGHT, ids=lambda f: f.__name__)
def test_unusual_correct_one_hot_passes(right):
    assert_right(check_one_hot, right)


# -- parse_idx_header --------------------------------------------------------------------------

def header_from_bytes(raw_bytes):
    magic = int.from_bytes(raw_bytes[0:4], "big")
    return magic, tuple(int.from_bytes(raw_bytes[4 + 4 * i: 8 + 4 * i], "big") for i in range(raw_bytes[3]))


def header_struct(raw_bytes):
    n_dims = raw_bytes[3]
    magic, *shape = struct.unpack(f">{1 + n_dims}I", raw_bytes[:4 + 4 * n_dims])
    return magic, tuple(shape)


def header_frombuffer(raw_bytes):
    words = np.frombuffer(raw_bytes, dtype=">u4", count=1 + raw_bytes[3])
    return int(words[0]), tuple(int(w) for w in words[1:])


def little_endian(raw_bytes):
    magic = int.from_bytes(raw_bytes[0:4], "little")
    return magic, tuple(int.from_bytes(raw_bytes[4 + 4 * i: 8 + 4 * i], "little") for i in range(raw_bytes[3]))


def assumes_three_dims(raw_bytes):
    return header_from_bytes(raw_bytes)[0], tuple(int.from_bytes(raw_bytes[4 + 4 * i: 8 + 4 * i], "big")
                                                  for i in range(3))


def sizes_from_byte_zero(raw_bytes):
    magic = int.from_bytes(raw_bytes[0:4], "big")
    return magic, tuple(int.from_bytes(raw_bytes[4 * i: 4 + 4 * i], "big") for i in range(raw_bytes[3]))


def shape_as_list(raw_bytes):
    magic, shape = header_from_bytes(raw_bytes)
    return magic, list(shape)


def pair_as_list(raw_bytes):
    return list(header_from_bytes(raw_bytes))


def swapped_pair(raw_bytes):
    magic, shape = header_from_bytes(raw_bytes)
    return shape, magic


def magic_as_bytes(raw_bytes):
    return raw_bytes[0:4], header_from_bytes(raw_bytes)[1]


def magic_is_byte_two(raw_bytes):
    return raw_bytes[2], header_from_bytes(raw_bytes)[1]


def dims_from_byte_two(raw_bytes):
    magic = int.from_bytes(raw_bytes[0:4], "big")
    return magic, tuple(int.from_bytes(raw_bytes[4 + 4 * i: 8 + 4 * i], "big") for i in range(raw_bytes[2]))


def two_byte_sizes(raw_bytes):
    magic = int.from_bytes(raw_bytes[0:4], "big")
    return magic, tuple(int.from_bytes(raw_bytes[6 + 4 * i: 8 + 4 * i], "big") for i in range(raw_bytes[3]))


def returns_the_string(raw_bytes):
    return str(header_from_bytes(raw_bytes))


def returns_bytes(raw_bytes):
    return raw_bytes[:8]


HEADER_WRONG = [
    (little_endian, "big-endian"),
    (assumes_three_dims, "instead of assuming 3"),
    (sizes_from_byte_zero, "start at byte 4"),
    (shape_as_list, "not a list: tuple(sizes)"),
    (pair_as_list, "not a list: `return magic, shape`"),
    (swapped_pair, "the order is (magic, shape)"),
    (magic_as_bytes, "must be an int"),
    (magic_is_byte_two, "not a single byte"),
    (dims_from_byte_two, "byte 2 is the type code"),
    (two_byte_sizes, "4 bytes long, not 2"),
    (returns_the_string, "return a pair"),
    (returns_bytes, "return a pair"),
]
def validating(parse):
    """A correct answer: parse's reading, after the checks the exercise asks for."""
    def checked(raw_bytes):
        if raw_bytes[0:2] != b"\x00\x00":
            raise ValueError(f"not an IDX file: it starts with {raw_bytes[0:2].hex()}, not 0000")
        if raw_bytes[2] not in (0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E):
            raise ValueError(f"unknown type code 0x{raw_bytes[2]:02X}")
        if len(raw_bytes) < 4 + 4 * raw_bytes[3]:
            raise ValueError("the header is cut short")
        return parse(raw_bytes)
    checked.__name__ = f"validating_{parse.__name__}"
    return checked


def struct_error_instead(raw_bytes):  # struct.unpack raises struct.error, not a ValueError, on short bytes
    if raw_bytes[0:2] != b"\x00\x00" or raw_bytes[2] not in (0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E):
        raise ValueError("bad magic number")
    return header_struct(raw_bytes)


def skips_the_type_code(raw_bytes):
    if raw_bytes[0:2] != b"\x00\x00":
        raise ValueError("not an IDX file")
    return header_from_bytes(raw_bytes)


def skips_the_length(raw_bytes):
    if raw_bytes[0:2] != b"\x00\x00" or raw_bytes[2] not in (0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E):
        raise ValueError("bad magic number")
    return header_from_bytes(raw_bytes)


def checks_only_the_type_code(raw_bytes):
    if raw_bytes[2] not in (0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E) or len(raw_bytes) < 4 + 4 * raw_bytes[3]:
        raise ValueError("bad header")
    return header_from_bytes(raw_bytes)


def type_code_as_a_range(raw_bytes):
    if raw_bytes[0:2] != b"\x00\x00" or not 0x08 <= raw_bytes[2] <= 0x0E or len(raw_bytes) < 4 + 4 * raw_bytes[3]:
        raise ValueError("bad header")
    return header_from_bytes(raw_bytes)


def type_code_at_least_8(raw_bytes):
    if raw_bytes[0:2] != b"\x00\x00" or raw_bytes[2] < 0x08 or raw_bytes[2] == 0x0A \
            or len(raw_bytes) < 4 + 4 * raw_bytes[3]:
        raise ValueError("bad header")
    return header_from_bytes(raw_bytes)


HEADER_WRONG += [
    (checks_only_the_type_code, "whatever byte 2 says"),
    (type_code_as_a_range, "test membership, not a range"),
    (type_code_at_least_8, "0x0F is none of them"),
    (header_from_bytes, "always zero"),
    (skips_the_type_code, "0x07 is none of them"),
    (skips_the_length, "4 + 4 * 3 = 16 bytes"),
    (struct_error_instead, "struct.error is not a ValueError"),
]
HEADER_RIGHT = [validating(header_from_bytes), validating(header_struct), validating(header_frombuffer)]


@pytest.mark.parametrize("wrong, phrase", HEADER_WRONG, ids=lambda x: getattr(x, "__name__", ""))
def test_parse_idx_header_mistakes_are_named(wrong, phrase):
    assert_wrong(check_parse_idx_header, wrong, phrase)


@pytest.mark.parametrize("right", HEADER_RIGHT, ids=lambda f: f.__name__)
def test_unusual_correct_parse_idx_header_passes(right):
    assert_right(check_parse_idx_header, right)


def test_catalogue_is_broad_enough():
    for wrong, right in [(ONE_HOT_WRONG, ONE_HOT_RIGHT), (HEADER_WRONG, HEADER_RIGHT)]:
        assert len(wrong) >= MIN_WRONG and len(right) >= MIN_RIGHT


def test_idx_header_helper_builds_big_endian_bytes():
    assert idx_header(0x803, (2, 3)) == bytes([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 3])


def test_calling_the_library_is_refused():
    from nnlib.data import _parse_magic, parse_idx, read_idx, to_one_hot

    for cheat in (to_one_hot, lambda labels, n_classes: to_one_hot(labels, n_classes)):
        result = check_one_hot(cheat)
        assert not result.passed and "calls nnlib.data.to_one_hot" in result.message
        assert "write" in result.hint
    def via_parse_magic(raw_bytes):  # the library's own header check, then an honest reading
        _parse_magic(raw_bytes, "header")
        return validating(header_from_bytes)(raw_bytes)

    for cheat, name in [(lambda raw_bytes: parse_idx(raw_bytes), "parse_idx"), (via_parse_magic, "_parse_magic"),
                        (lambda raw_bytes: read_idx(raw_bytes), "read_idx")]:
        result = check_parse_idx_header(cheat)
        assert not result.passed and f"calls nnlib.data.{name}" in result.message
        assert "check the header yourself" in result.hint


def test_a_bad_header_report_is_short():
    message = check_parse_idx_header(header_from_bytes).message
    assert "expected a ValueError" in message and len(message) < 600


def test_report_shows_expected_and_got_with_dtype():
    message = check_one_hot(off_by_one_down).message
    assert "expected shape (4, 10), dtype float64: [0, 0, 0, 1" in message
    assert "got      shape (4, 10), dtype float64" in message
    assert 'hint("one_hot", 1)' in message
