"""MNIST on disk: the IDX file format, content verification, loading and (if needed) downloading.

The IDX format (big-endian): two zero bytes, a type code (0x08 = unsigned byte), the number of
dimensions d, then d 4-byte sizes, then the values in C order. MNIST images are magic 0x00000803
(60000 x 28 x 28 unsigned bytes), labels 0x00000801 (60000 unsigned bytes).
"""
import gzip
import hashlib
import json
import os
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# type code -> dtype of the values (IDX stores multi-byte values big-endian)
IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}

REPO_DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "mnist"
ENV_VAR = "NNLIB_DATA_DIR"

# SHA-256 of the decompressed content: the same for the official .gz files and our recompressed copies.
MNIST_FILES = {
    "train-images-idx3-ubyte.gz": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte.gz": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte.gz": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte.gz": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}
# SHA-256 of the original .gz files as the public mirrors serve them.
MIRROR_GZ_SHA256 = {
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}
MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)


class IDXFormatError(ValueError):
    """A file that is not a well-formed IDX file; the message names the file and the problem."""


class DataIntegrityError(ValueError):
    """A data file whose content does not match its pinned SHA-256."""


# ---------------------------------------------------------------------------------------------
# Reading IDX


def read_idx(path):
    """Read an IDX file (gzip-compressed or raw) into an array whose dtype and shape come from its header.

    Returns e.g. uint8 (60000, 28, 28) for MNIST training images, uint8 (60000,) for labels.
    Raises FileNotFoundError for a missing file and IDXFormatError (a ValueError) for anything
    malformed: bad magic number, a header that does not fit, or a payload that is shorter or longer
    than the header promises. Never returns a short or padded array.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    return parse_idx(_read_maybe_gzip(path), source=str(path))


def _read_maybe_gzip(path):
    raw = path.read_bytes()
    is_gzip = raw[:2] == b"\x1f\x8b"
    if path.suffix == ".gz" and not is_gzip:
        if not raw:
            raise IDXFormatError(f"{path}: empty file (0 bytes); the download or copy did not finish")
        raise IDXFormatError(f"{path}: named .gz but is not gzip-compressed (it starts with bytes "
                             f"{raw[:4].hex(' ')}, not 1f 8b); rename it without .gz if it is a raw IDX file")
    if not is_gzip:
        return raw
    try:
        return gzip.decompress(raw)
    except (EOFError, OSError, zlib.error) as error:
        raise IDXFormatError(f"{path}: corrupt gzip data ({error}); the file is damaged or "
                             f"incomplete, replace it with a fresh copy") from None


def parse_idx(data, source="<bytes>"):
    """Parse the bytes of an IDX file (already decompressed); see read_idx."""
    if not data:
        raise IDXFormatError(f"{source}: empty file (0 bytes)")
    if len(data) < 4:
        raise IDXFormatError(f"{source}: only {len(data)} bytes, too short for the 4-byte IDX magic number")
    zero, type_code, ndim = data[0:2], data[2], data[3]
    if zero != b"\x00\x00" or type_code not in IDX_TYPES or ndim == 0:
        magic = int.from_bytes(data[:4], "big")
        raise IDXFormatError(
            f"{source}: bad magic number 0x{magic:08X}; an IDX file starts with two zero bytes, a type "
            f"code (0x08 for unsigned bytes) and a dimension count of at least 1, e.g. 0x00000803 for "
            f"MNIST images and 0x00000801 for labels")
    header_size = 4 + 4 * ndim
    if len(data) < header_size:
        raise IDXFormatError(f"{source}: truncated header: {ndim} dimensions need {header_size} header "
                             f"bytes, the file holds {len(data)}")
    shape = struct.unpack(f">{ndim}I", data[4:header_size])
    dtype = np.dtype(IDX_TYPES[type_code])
    promised = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    held = len(data) - header_size
    if held != promised:
        raise IDXFormatError(_size_mismatch_message(source, data, ndim, shape, dtype, promised, held))
    values = np.frombuffer(data, dtype=dtype, offset=header_size).reshape(shape)
    return values.astype(dtype.newbyteorder("="))  # native byte order, and a writable copy


def _size_mismatch_message(source, data, ndim, shape, dtype, promised, held):
    sizes = "x".join(map(str, shape))
    claim = f"header promises {sizes} = {promised} bytes, file holds {held}"
    # A wrong dimension count shifts the header boundary: check whether another count fits exactly.
    for other in range(1, 5):
        header = 4 + 4 * other
        if other == ndim or len(data) < header:
            continue
        other_shape = struct.unpack(f">{other}I", data[4:header])
        if int(np.prod(other_shape, dtype=np.int64)) * dtype.itemsize == len(data) - header:
            other_sizes = "x".join(map(str, other_shape))
            return (f"{source}: header dimension count disagrees with the payload: byte 4 says {ndim} "
                    f"dimension(s) ({sizes}), but the data fits {other} dimensions ({other_sizes})")
    if held < promised:
        return f"{source}: truncated: {claim}; the file is incomplete, replace it with a fresh copy"
    return (f"{source}: {held - promised} unexpected trailing bytes: {claim}; "
            f"the file is damaged or was appended to")


# ---------------------------------------------------------------------------------------------
# Where the data lives, and checking that it is the real thing


def default_data_dir():
    """The MNIST folder: $NNLIB_DATA_DIR if set, else the repository's data/mnist/, else a user cache."""
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR]).expanduser()
    if REPO_DATA_DIR.is_dir():
        return REPO_DATA_DIR
    return _cache_root() / "mnist"


def _cache_root():
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "nnlib"


def sha256_of_content(path):
    """SHA-256 hex digest of a file's decompressed content (of the file itself if it is not gzip)."""
    return hashlib.sha256(_read_maybe_gzip(Path(path))).hexdigest()


def verify_file(path, expected_sha256):
    """Check a data file against its pinned content hash; a success is cached (by path, size, mtime).

    Raises DataIntegrityError, saying how to repair it, when the content differs.
    """
    path = Path(path).resolve()
    stat = path.stat()
    key = f"{path}|{stat.st_size}|{stat.st_mtime_ns}"
    cache = _load_verified_cache()
    if cache.get(key) == expected_sha256:
        return
    actual = sha256_of_content(path)
    if actual != expected_sha256:
        raise DataIntegrityError(
            f"{path}: content does not match the pinned SHA-256 (expected {expected_sha256[:16]}..., "
            f"got {actual[:16]}...). The file is damaged or not the official MNIST file. Delete it and "
            f"either restore it from the repository (git checkout -- data/mnist) or let load_mnist() "
            f"download it again.")
    cache[key] = expected_sha256
    _save_verified_cache(cache)


def _verified_cache_path():
    return _cache_root() / "verified.json"


def _load_verified_cache():
    try:
        return json.loads(_verified_cache_path().read_text())
    except (OSError, ValueError):
        return {}


def _save_verified_cache(cache):
    """Best effort: a read-only home only means we verify again next time."""
    target = _verified_cache_path()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(json.dumps(cache, indent=0))
        temporary.replace(target)  # atomic: readers never see half a file
    except OSError:
        pass


# ---------------------------------------------------------------------------------------------
# Downloading (only when the files are missing; the repository ships them)


def download_mnist(data_dir=None, *, mirrors=MIRRORS, files=None, timeout=30, progress=True):
    """Download the MNIST files that are missing from data_dir and verify their content hashes.

    files maps file name -> (SHA-256 of the .gz as served, SHA-256 of the decompressed content);
    it defaults to the official MNIST files. Each file is tried on every mirror in turn; pooch writes
    to a temporary file and renames it only after the hash matched, so a failure or an interrupt never
    leaves a partial file behind. Raises ConnectionError, saying where to put the files by hand,
    when no mirror delivers a file.
    """
    import pooch  # imported here: loading the shipped files never needs it

    data_dir = Path(data_dir) if data_dir is not None else default_data_dir()
    if files is None:
        files = {name: (MIRROR_GZ_SHA256[name], MNIST_FILES[name]) for name in MNIST_FILES}
    data_dir.mkdir(parents=True, exist_ok=True)
    for name, (gz_sha256, content_sha256) in files.items():
        if (data_dir / name).exists():
            continue
        errors = []
        for mirror in mirrors:
            try:
                pooch.retrieve(
                    url=mirror.rstrip("/") + "/" + name, known_hash=f"sha256:{gz_sha256}", fname=name,
                    path=data_dir, downloader=pooch.HTTPDownloader(timeout=timeout, progressbar=_progress_bar(progress, name)))
                break
            except Exception as error:  # network errors, HTTP errors, hash mismatches: try the next mirror
                errors.append(f"{mirror}: {_first_line(error)}")
        else:
            raise ConnectionError(
                f"Could not download {name}; tried:\n  " + "\n  ".join(errors) +
                f"\nIf you are offline, copy the four MNIST .gz files into {data_dir} (the nnlib "
                f"repository ships them in data/mnist/), or set {ENV_VAR} to a folder that holds them.")
        verify_file(data_dir / name, content_sha256)
    return data_dir


def _progress_bar(enabled, name):
    if not enabled:
        return False
    from .progress import ProgressBar
    return ProgressBar(total=None, description=f"downloading {name}", unit="B")


def _first_line(error):
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0][:300]


# ---------------------------------------------------------------------------------------------
# Loading


@dataclass(frozen=True)
class MNIST:
    """The loaded data set. X_*: (n, 784) floats in [0, 1]; y_*: (n,) integer labels 0-9,
    or (n, 10) one-hot rows if loaded with one_hot=True. X_val / y_val are None without a validation split."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray | None
    y_val: np.ndarray | None
    X_test: np.ndarray
    y_test: np.ndarray


def load_mnist(data_dir=None, *, one_hot=False, validation_size=0, dtype=np.float64,
               verify=True, download=True):
    """Load MNIST as flat, scaled images and labels.

    Images become rows of 784 = 28*28 floats x / 255 in [0, 1] (dtype float64 by default, float32
    for speed); labels are integers 0-9, or one-hot (n, 10) rows with one_hot=True.
    validation_size=10000 gives the classic split: the last 10,000 training images become the
    validation set and 50,000 remain for training.
    data_dir defaults to $NNLIB_DATA_DIR, else the repository's data/mnist/ (from any working directory).
    Missing files are downloaded when download=True; verify=False skips the (cached) hash check.
    """
    data_dir = Path(data_dir) if data_dir is not None else default_data_dir()
    missing = [name for name in MNIST_FILES if not (data_dir / name).exists()]
    if missing and not download:
        raise FileNotFoundError(f"MNIST files missing from {data_dir}: {', '.join(missing)}. Copy them "
                                f"there (the repository ships them in data/mnist/) or call with download=True.")
    if missing:
        download_mnist(data_dir)
    if verify:
        for name, content_sha256 in MNIST_FILES.items():
            verify_file(data_dir / name, content_sha256)
    X_train, y_train = load_idx_pair(data_dir / "train-images-idx3-ubyte.gz",
                                     data_dir / "train-labels-idx1-ubyte.gz", dtype=dtype)
    X_test, y_test = load_idx_pair(data_dir / "t10k-images-idx3-ubyte.gz",
                                   data_dir / "t10k-labels-idx1-ubyte.gz", dtype=dtype)
    X_train, y_train, X_val, y_val = _split_validation(X_train, y_train, validation_size)
    if one_hot:
        y_train, y_test = to_one_hot(y_train, 10, dtype), to_one_hot(y_test, 10, dtype)
        y_val = None if y_val is None else to_one_hot(y_val, 10, dtype)
    return MNIST(X_train, y_train, X_val, y_val, X_test, y_test)


def load_idx_pair(images_path, labels_path, dtype=np.float64):
    """Read an images file and its labels file: X (n, rows*cols) scaled to [0, 1], y (n,) int64.

    Raises IDXFormatError if the two files disagree in their number of examples.
    """
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.ndim != 3 or labels.ndim != 1:
        raise IDXFormatError(f"expected 3-D images and 1-D labels, got {images.shape} from {images_path} "
                             f"and {labels.shape} from {labels_path}; are the two files swapped?")
    if len(images) != len(labels):
        raise IDXFormatError(f"{images_path} holds {len(images)} images but {labels_path} holds "
                             f"{len(labels)} labels; the pair must have one label per image")
    X = np.divide(images.reshape(len(images), -1), 255, dtype=dtype)  # one pass, no uint8->float copy first
    return X, labels.astype(np.int64)


def _split_validation(X, y, validation_size):
    if not 0 <= validation_size < len(X):
        raise ValueError(f"validation_size must be between 0 and {len(X) - 1}, got {validation_size}")
    if validation_size == 0:
        return X, y, None, None
    cut = len(X) - validation_size
    return X[:cut], y[:cut], X[cut:], y[cut:]


def to_one_hot(labels, n_classes=10, dtype=np.float64):
    """Labels (n,) of integers in 0..n_classes-1 -> one-hot matrix (n, n_classes): row i has a 1 at labels[i]."""
    labels = np.asarray(labels)
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"labels must be a 1-D array of integers, got shape {labels.shape} and dtype "
                         f"{labels.dtype}")
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        raise ValueError(f"labels must lie in 0..{n_classes - 1}, found values from {labels.min()} "
                         f"to {labels.max()}")
    encoded = np.zeros((len(labels), n_classes), dtype=dtype)
    encoded[np.arange(len(labels)), labels] = 1
    return encoded
