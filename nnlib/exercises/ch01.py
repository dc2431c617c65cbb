"""Checkers for the exercises of chapter 01 (loading MNIST).

    check_one_hot(one_hot)                  one_hot(labels, n_classes) -> (n, n_classes) matrix of 0s and 1s
    check_parse_idx_header(parse_header)    parse_header(raw_bytes) -> (magic, shape), ValueError for a bad header

Each runs your function on several inputs (including a single label, MNIST's own uint8 labels and sizes
other than MNIST's), compares it with nnlib's own answer and, when it disagrees, names the likely mistake.
Hints in steps: hint("one_hot", 1), hint("parse_idx_header", 1), ...
"""
import numpy as np

from ..data import _parse_magic, parse_idx, read_idx, to_one_hot
from .harness import Case, attempt, calls_the_answer, check_function, describe, failure, passed, raised, \
    register_hints, watched_functions

# ---------------------------------------------------------------------------------------------
# one_hot

register_hints("one_hot", [
    "start from an array of zeros with one row per label and one column per class; then each row needs a "
    "single 1.",
    "the 1 of row i goes into column labels[i]. NumPy can set all of them in one assignment if you index "
    "with two arrays at once: one of row numbers, one of column numbers.",
    "Y = np.zeros((len(labels), n_classes)), then Y[np.arange(len(labels)), labels] = 1.",
])


def _one_hot_cases():
    rng = np.random.default_rng(1)
    return [
        Case("labels [3, 0, 9, 1] with 10 classes", (np.array([3, 0, 9, 1]), 10)),
        Case("labels [4, 0, 2, 2, 1] with 5 classes", (np.array([4, 0, 2, 2, 1]), 5)),
        Case("a single label [7] with 10 classes", (np.array([7]), 10)),
        Case("labels [0, 1, 1] with 4 classes (the top classes never occur)", (np.array([0, 1, 1]), 4)),
        Case("uint8 labels [5, 0, 4] (the dtype of MNIST's label file) with 10 classes",
             (np.array([5, 0, 4], dtype=np.uint8), 10)),
        Case("1000 random labels with 10 classes", (rng.integers(0, 10, size=1000), 10)),
    ]


def _reference_one_hot(labels, n_classes):
    return to_one_hot(labels, n_classes)


def diagnose_one_hot(args, got, expected, error=None):
    """Name the likely mistake in a one_hot result, or None if it is not one we recognise."""
    labels, n_classes = args
    n = len(labels)
    if error is not None:
        if isinstance(error, IndexError) and "out of bounds" in str(error):
            return (f"an index is out of bounds: the array needs n_classes = {n_classes} columns (labels run "
                    f"from 0 to {n_classes - 1}) and len(labels) = {n} rows, in that order")
        return None
    if isinstance(got, list):
        return "return a NumPy array, not a list of rows: build it with np.zeros((n, n_classes)) and fill it in"
    if not isinstance(got, np.ndarray):
        return None
    if got.dtype == bool:
        return ("your result holds True/False; return numbers 0 and 1: convert with .astype(float), or fill "
                "an array from np.zeros")
    if got.shape == (n_classes, n) and n != n_classes:
        return "your result is transposed: one row per label (shape (n, n_classes)), one column per class"
    if got.shape == (n, n_classes - 1):
        return (f"with n_classes = {n_classes} the labels run from 0 to {n_classes - 1}, which needs "
                f"{n_classes} columns, not {n_classes - 1}")
    if got.shape == (n, int(labels.max()) + 1) and int(labels.max()) + 1 != n_classes:
        return ("use the n_classes argument for the number of columns, not labels.max() + 1: a batch "
                "need not contain every class")
    if got.ndim == 2 and got.shape[0] == n and got.shape[1] == 10 != n_classes:
        return "the number of columns is the n_classes argument; 10 is only MNIST's value"
    if got.shape == (n_classes,) and n == 1:
        return "a single label must still give a matrix of shape (1, n_classes); do not squeeze it"
    if got.shape != expected.shape:
        return None
    as_int = labels.astype(np.int64)
    if np.array_equal(got, to_one_hot((as_int - 1) % n_classes, n_classes)):
        return "off by one: label k belongs in column k (labels start at 0), not column k - 1"
    if np.array_equal(got, to_one_hot((as_int + 1) % n_classes, n_classes)):
        return "off by one: label k belongs in column k (labels start at 0), not column k + 1"
    if np.array_equal(got, expected * as_int[:, None]):
        return "write a 1 into the label's column, not the label itself"
    columns_set = np.zeros_like(expected)
    columns_set[:, labels] = 1
    if np.array_equal(got, columns_set):
        return ("Y[:, labels] = 1 sets whole columns; pair each row with its own label: "
                "Y[np.arange(len(labels)), labels] = 1")
    if np.array_equal(got, 1 - expected):
        return "0s and 1s are swapped: start from np.zeros, not np.ones, and write the 1s"
    return None


def check_one_hot(one_hot):
    """Check one_hot(labels, n_classes): labels (n,) integers in 0..n_classes-1 -> (n, n_classes)
    with a single 1 per row, in the label's column. Integer and float results are both accepted."""
    return check_function("one_hot", one_hot, _one_hot_cases(), _reference_one_hot, diagnose_one_hot,
                          arg_names=["labels", "n_classes"], forbidden=watched_functions(to_one_hot),
                          forbidden_advice="build the matrix yourself (np.zeros, then one 1 per row): "
                                           "to_one_hot is the finished version this exercise asks you to write")


# ---------------------------------------------------------------------------------------------
# parse_idx_header

register_hints("parse_idx_header", [
    "the header is a sequence of 4-byte numbers; the first is the magic number, and one of its bytes says "
    "how many sizes follow.",
    "byte 3 (raw_bytes[3]) is the number of dimensions d; the sizes are the d 4-byte numbers that start at "
    "byte 4. IDX numbers are big-endian: the most significant byte comes first.",
    "check before you read: raise ValueError when raw_bytes[0:2] is not two zero bytes, when raw_bytes[2] is not "
    "one of the six type codes, or when len(raw_bytes) < 4 + 4 * d (with d = raw_bytes[3]).",
    "magic = int.from_bytes(raw_bytes[0:4], \"big\"); shape = tuple(int.from_bytes(raw_bytes[4 + 4 * i: "
    "8 + 4 * i], \"big\") for i in range(raw_bytes[3])); return magic, shape.",
])


def idx_header(magic, shape, payload=b""):
    """The bytes of an IDX header (big-endian magic, then one 4-byte size per dimension), then payload."""
    sizes = b"".join(int(size).to_bytes(4, "big") for size in shape)
    return magic.to_bytes(4, "big") + sizes + payload


def _header_cases():
    return [
        Case("the header of MNIST training images (magic 0x00000803, 60000 x 28 x 28)",
             (idx_header(0x00000803, (60000, 28, 28), bytes(16)),)),
        Case("the header of MNIST training labels (magic 0x00000801, 60000)",
             (idx_header(0x00000801, (60000,), bytes([5, 0, 4, 1])),)),
        Case("a 2-D float32 file (magic 0x00000D02, 5 x 3)", (idx_header(0x00000D02, (5, 3), bytes(60)),)),
        Case("a 4-D file with a size above 65535 (magic 0x00000804, 70000 x 2 x 3 x 1)",
             (idx_header(0x00000804, (70000, 2, 3, 1), bytes(8)),)),
    ]


def _bad_header_cases():
    """Headers parse_idx_header must refuse with a ValueError, and what is wrong with each."""
    return [
        (Case("a PNG image instead of an IDX file (first bytes 89 50 4E 47)",
              (b"\x89PNG\r\n\x1a\n" + bytes(16),)),
         "bytes 0 and 1 of an IDX file are always zero; check raw_bytes[0:2] == b\"\\x00\\x00\""),
        (Case("bytes 0 and 1 not zero, although byte 2 is a valid type code (first bytes 01 00 08 01)",
              (idx_header(0x01000801, (3,), bytes(3)),)),
         "bytes 0 and 1 of an IDX file are always zero, whatever byte 2 says; check raw_bytes[0:2] == "
         "b\"\\x00\\x00\" as well as the type code"),
        (Case("an unknown type code 0x07 (magic 0x00000703)", (idx_header(0x00000703, (2, 2, 2), bytes(8)),)),
         "byte 2 must be one of the type codes 0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E; 0x07 is none of them"),
        (Case("an unknown type code 0x0A, between the valid 0x09 and 0x0B (magic 0x00000A01)",
              (idx_header(0x00000A01, (4,), bytes(4)),)),
         "byte 2 must be one of the six type codes 0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E; 0x0A lies between "
         "them but is none of them, so test membership, not a range"),
        (Case("an unknown type code 0x0F, just above the largest valid code 0x0E (magic 0x00000F01)",
              (idx_header(0x00000F01, (4,), bytes(32)),)),
         "byte 2 must be one of the type codes 0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E; 0x0F is none of them"),
        (Case("a header cut short: 3 dimensions promised, only 10 bytes given",
              (idx_header(0x00000803, (60000, 28, 28))[:10],)),
         "3 dimensions need a header of 4 + 4 * 3 = 16 bytes; compare len(raw_bytes) with 4 + 4 * d "
         "before reading the sizes (slicing past the end gives short bytes silently)"),
    ]


def _reference_header(raw_bytes):
    magic = int.from_bytes(raw_bytes[0:4], "big")
    ndim = raw_bytes[3]
    shape = tuple(int.from_bytes(raw_bytes[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    return magic, shape


def _little_endian_header(raw_bytes):
    magic = int.from_bytes(raw_bytes[0:4], "little")
    ndim = raw_bytes[3]
    shape = tuple(int.from_bytes(raw_bytes[4 + 4 * i: 8 + 4 * i], "little") for i in range(ndim))
    return magic, shape


def diagnose_header(args, got, expected, error=None):
    """Name the likely mistake in a parsed (magic, shape), or None if it is not one we recognise."""
    (raw_bytes,) = args
    exp_magic, exp_shape = expected
    if error is not None:
        return None
    if isinstance(got, list) and len(got) == 2:
        return "return a tuple (magic, shape), not a list: `return magic, shape` makes one"
    if not isinstance(got, tuple) or len(got) != 2:
        return "return a pair: (magic, shape), e.g. (2051, (60000, 28, 28))"
    magic, shape = got
    if magic == exp_shape and shape == exp_magic:
        return "the order is (magic, shape): the magic number first"
    if isinstance(magic, (bytes, bytearray)):
        return "the magic number must be an int: turn the 4 bytes into one with int.from_bytes(..., \"big\")"
    little_magic, little_shape = _little_endian_header(raw_bytes)
    if magic == little_magic or (isinstance(shape, (tuple, list)) and len(shape) and shape[0] == little_shape[0]):
        return ('IDX stores numbers big-endian (most significant byte first): int.from_bytes(b, "big"), '
                'or struct format ">I"')
    if magic == raw_bytes[2] or magic == raw_bytes[3]:
        return ("the magic number is all of the first 4 bytes read as one integer, not a single byte "
                "(byte 2 is the type code, byte 3 the number of dimensions)")
    if magic != exp_magic:
        return "the magic number is the first 4 bytes read as one big-endian integer"
    if isinstance(shape, list):
        return "return the shape as a tuple, like NumPy's array.shape, not a list: tuple(sizes)"
    if not isinstance(shape, tuple):
        return None
    if len(shape) == raw_bytes[2] and len(shape) != len(exp_shape):
        return "byte 2 is the type code; the number of dimensions is byte 3, raw_bytes[3]"
    if len(shape) != len(exp_shape):
        return (f"the number of dimensions is byte 3 of the file (here {raw_bytes[3]}); read that many "
                f"4-byte sizes instead of assuming {len(shape)}")
    if shape and shape[0] == exp_magic:
        return "the sizes start at byte 4, right after the 4-byte magic number"
    if all(s == e % 65536 for s, e in zip(shape, exp_shape)):
        return "each size is 4 bytes long, not 2: a size like 70000 does not fit in 2 bytes"
    return None


def _error_name(error):
    kind = type(error)
    return kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__name__}"


def check_parse_idx_header(parse_header):
    """Check parse_header(raw_bytes) -> (magic, shape): magic is the first 4 bytes as a big-endian integer,
    shape a tuple of byte-3-many 4-byte big-endian sizes starting at byte 4. Bytes after the header are ignored.
    A header whose first two bytes are not zero, whose type code (byte 2) is unknown or that is shorter than
    4 + 4 * d bytes must raise ValueError."""
    name, bad = "parse_idx_header", _bad_header_cases()
    advice = ("check the header yourself (bytes 0-1, byte 2, the length): nnlib's parse_idx and read_idx are the "
              "finished versions this exercise asks you to write")
    watched = watched_functions(parse_idx, read_idx, _parse_magic)
    report = calls_the_answer(name, parse_header, [case for case, _ in bad], watched, advice)
    if report is not None:
        return report
    good = check_function(name, parse_header, _header_cases(), _reference_header, diagnose_header,
                          arg_names=["raw_bytes"], forbidden=watched, forbidden_advice=advice)
    if not good:
        return good
    for case, what in bad:
        outcome = attempt(parse_header, case.args)
        if isinstance(outcome.error, ValueError):
            continue
        if outcome.error is not None:
            return failure(name, case, f"{raised(outcome)}; expected a ValueError",
                           f"{_error_name(outcome.error)} is not a ValueError: {what}, and raise "
                           f"ValueError(\"...\") yourself")
        return failure(name, case, f"returned {describe(outcome.value)} for a bad header; expected a ValueError",
                       f"{what}, then raise ValueError(\"...\") with a message that says what is wrong")
    return passed(name, len(_header_cases()) + len(bad), f" ({len(bad)} of them bad headers, refused)")
