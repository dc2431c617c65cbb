"""MNIST on disk: the IDX file format, content verification, loading and (if needed) downloading.

The IDX format (big-endian): two zero bytes, a type code (0x08 = unsigned byte), the number of
dimensions d, then d 4-byte sizes, then the values in C order. MNIST images are magic 0x00000803
(60000 x 28 x 28 unsigned bytes), labels 0x00000801 (60000 unsigned bytes).

Where the files live: load_mnist(data_dir) if given, else $NNLIB_DATA_DIR, else the repository's
data/mnist/ (found from any working directory), else ~/.cache/nnlib/mnist for an installed package.
"""
import gzip
import hashlib
import json
import math
import operator
import os
import re
import struct
import sys
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# type code -> dtype of the values (IDX stores multi-byte values big-endian)
IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}

REPO_DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "mnist"
ENV_VAR = "NNLIB_DATA_DIR"

# SHA-256 of the decompressed content: the same for the mirrors' original .gz files and our
# recompressed copies (data/mnist/README.md lists both .gz hashes too). Checking the content rather
# than the .gz bytes means any faithful compression of the real data is accepted.
MNIST_FILES = {
    "train-images-idx3-ubyte.gz": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte.gz": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte.gz": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte.gz": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}
TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS = MNIST_FILES
MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)


class IDXFormatError(ValueError):
    """A file that is not a well-formed IDX file; the message names the file and the problem."""


class DataIntegrityError(ValueError):
    """A data file whose content does not match its pinned SHA-256."""


class DownloadError(ConnectionError):
    """No mirror delivered a verified copy of a file; the message lists every attempt and says
    where to put the files by hand."""


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
    return parse_idx(_read_maybe_gzip(path), source=str(path))


def _read_maybe_gzip(path):
    """The bytes of the file, decompressed if they are gzip (recognised by their first bytes, 1f 8b)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        where = "" if path.is_absolute() else f" (relative to the working directory {Path.cwd()})"
        raise FileNotFoundError(f"{path}: no such file{where}") from None
    except OSError as error:  # a folder where the file should be, no permission to read, an I/O error
        raise type(error)(f"{path}: cannot read this data file ({error.strerror or error}); replace it with "
                          f"a readable copy of the file") from None
    return _decompress(raw, str(path), named_gz=path.name.endswith(".gz"))


def _decompress(raw, source, named_gz):
    is_gzip = raw[:2] == b"\x1f\x8b"
    if named_gz and not is_gzip:
        if not raw:
            raise IDXFormatError(f"{source}: empty file (0 bytes); the download or copy did not finish, "
                                 f"replace it with a fresh copy")
        raise IDXFormatError(f"{source}: named .gz but is not gzip-compressed: it starts with "
                             f"{_describe_start(raw)}, not 1f 8b; if it is a raw IDX file, remove .gz "
                             f"from its name")
    if not is_gzip:
        return raw
    try:
        return gzip.decompress(raw)
    except (EOFError, OSError, zlib.error) as error:
        raise IDXFormatError(f"{source}: corrupt gzip data ({error}); the file is damaged or "
                             f"incomplete, replace it with a fresh copy") from None


def _describe_start(raw):
    start = raw[:4]
    text = f"bytes {start.hex(' ')}"
    if start.isascii() and start.decode("ascii").isprintable():
        text += f" ({start.decode('ascii')!r}"
        text += ", perhaps a web page saved instead of the data)" if start.startswith(b"<") else ")"
    return text


def parse_idx(data, source="<bytes>"):
    """Parse the bytes of an IDX file (already decompressed) into an array; see read_idx.

    Layout: bytes 0-1 zero, byte 2 the type code, byte 3 the number of dimensions d,
    then d big-endian uint32 sizes (the shape), then prod(shape) values in C order.
    """
    dtype, ndim = _parse_magic(data, source)
    header_size = 4 + 4 * ndim
    if len(data) < header_size:
        raise IDXFormatError(f"{source}: truncated header: {ndim} dimensions need a {header_size}-byte "
                             f"header, the file holds only {len(data)} bytes")
    shape = struct.unpack(f">{ndim}I", data[4:header_size])
    promised = math.prod(shape) * dtype.itemsize
    held = len(data) - header_size
    if held != promised:
        raise IDXFormatError(_size_mismatch_message(source, data, ndim, shape, dtype, promised, held))
    values = np.frombuffer(data, dtype=dtype, offset=header_size).reshape(shape)
    return values.astype(dtype.newbyteorder("="))  # native byte order, and a writable copy


def _parse_magic(data, source):
    """Check the 4-byte magic number; return (dtype of the values, number of dimensions)."""
    if not data:
        raise IDXFormatError(f"{source}: empty file (0 bytes); the download or copy did not finish, "
                             f"replace it with a fresh copy")
    if len(data) < 4:
        raise IDXFormatError(f"{source}: only {len(data)} bytes, too short for the 4-byte IDX magic number")
    magic = int.from_bytes(data[:4], "big")
    type_code, ndim = data[2], data[3]
    if data[:2] != b"\x00\x00":
        raise IDXFormatError(
            f"{source}: not an IDX file: bad magic number 0x{magic:08X} (it starts with "
            f"{_describe_start(data)}); an IDX file starts with two zero bytes, a type code and a "
            f"dimension count, e.g. 0x00000803 for MNIST images and 0x00000801 for labels")
    if type_code not in IDX_TYPES:
        known = ", ".join(f"0x{code:02X} ({np.dtype(name).name})" for code, name in IDX_TYPES.items())
        raise IDXFormatError(f"{source}: bad magic number 0x{magic:08X}: unknown value type code "
                             f"0x{type_code:02X} in its third byte; IDX knows {known}")
    if ndim == 0:
        raise IDXFormatError(f"{source}: bad magic number 0x{magic:08X}: its fourth byte says 0 dimensions; "
                             f"an IDX file has at least 1 (MNIST labels 1, images 3)")
    return np.dtype(IDX_TYPES[type_code]), ndim


def _size_mismatch_message(source, data, ndim, shape, dtype, promised, held):
    values = "x".join(map(str, shape))
    if dtype.itemsize > 1:
        values += f" {dtype.name} values of {dtype.itemsize} bytes"
    claim = f"header promises {values} = {promised} bytes, file holds {held} after its {len(data) - held}-byte header"
    # A wrong dimension count shifts where the header ends: say so if another count fits exactly.
    for other in range(1, 5):
        header = 4 + 4 * other
        if other == ndim or len(data) < header:
            continue
        other_shape = struct.unpack(f">{other}I", data[4:header])
        if math.prod(other_shape) * dtype.itemsize == len(data) - header:
            return (f"{source}: header dimension count disagrees with the payload: the magic number's "
                    f"fourth byte says {ndim} dimension(s) ({'x'.join(map(str, shape))}), but the data "
                    f"fits {other} dimensions ({'x'.join(map(str, other_shape))}) exactly; the header is "
                    f"damaged, replace the file with a fresh copy")
    if held < promised:
        return f"{source}: truncated: {claim}; the file is incomplete, replace it with a fresh copy"
    return (f"{source}: {held - promised} unexpected trailing bytes: {claim}; "
            f"the file is damaged or something was appended to it")


# ---------------------------------------------------------------------------------------------
# Where the data lives, and checking that it is the real thing


def default_data_dir():
    """The MNIST folder: $NNLIB_DATA_DIR if set, else the repository's data/mnist/ (located from this
    file, so any working directory works), else <user cache>/nnlib/mnist for an installed package."""
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR]).expanduser()
    if REPO_DATA_DIR.is_dir():
        return REPO_DATA_DIR
    cache = _cache_root()
    if cache is None:
        raise FileNotFoundError(f"no home folder to keep MNIST in; set {ENV_VAR} to a folder for the data")
    return cache / "mnist"


def check_data_dir(data_dir=None):
    """data_dir (default: default_data_dir()) as a Path, or NotADirectoryError if it names a file: a clear
    error instead of every MNIST file looking missing. A folder that does not exist yet is fine (downloads
    create it)."""
    folder = Path(data_dir) if data_dir is not None else default_data_dir()
    if folder.exists() and not folder.is_dir():
        source = f" (from ${ENV_VAR})" if data_dir is None and os.environ.get(ENV_VAR) else ""
        raise NotADirectoryError(f"the MNIST data folder {folder}{source} is a file, not a folder; point "
                                 f"{'it' if source else 'data_dir'} at a folder for the MNIST files")
    return folder


def _cache_root():
    """$XDG_CACHE_HOME/nnlib, else ~/.cache/nnlib; None if there is no home folder to use.

    The XDG spec says to ignore a relative XDG_CACHE_HOME (it would depend on the working directory).
    """
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):
        try:
            base = Path.home() / ".cache"
        except (RuntimeError, KeyError):  # no HOME and no password entry (some containers)
            return None
    return Path(base) / "nnlib"


def content_sha256(data):
    """SHA-256 hex digest of some (decompressed) bytes."""
    return hashlib.sha256(data).hexdigest()


def sha256_of_content(path):
    """SHA-256 hex digest of a file's decompressed content (of the file itself if it is not gzip)."""
    return content_sha256(_read_maybe_gzip(Path(path)))


def verify_file(path, expected_sha256):
    """Check a data file's decompressed content against its pinned SHA-256; see read_verified_idx."""
    read_verified_idx(path, expected_sha256)


def read_verified_idx(path, expected_sha256):
    """read_idx, plus a check that the decompressed content has the pinned SHA-256.

    A success is remembered in $XDG_CACHE_HOME/nnlib/verified.json (default ~/.cache/nnlib), keyed by
    the file's absolute path with its size and modification time, so an unchanged file is not hashed
    again; a file that changed in size or mtime is checked again. If the cache cannot be written
    (read-only home), every load simply verifies again. Raises DataIntegrityError, saying how to repair
    it, when the content differs; IDXFormatError if the file is not well-formed IDX at all.
    """
    path = Path(path)
    data = _read_maybe_gzip(path)
    array = parse_idx(data, source=str(path))  # a specific format error beats a bare hash mismatch
    stamp = _file_stamp(path)
    if _load_verified_cache().get(stamp[0]) != [*stamp[1:], expected_sha256]:
        _check_content(path, data, expected_sha256)
        _remember_verified(stamp, expected_sha256)
    return array


def _check_content(source, data, expected_sha256):
    actual = content_sha256(data)
    if actual != expected_sha256:
        raise DataIntegrityError(
            f"{source}: content does not match the pinned SHA-256 (expected {expected_sha256[:16]}..., "
            f"got {actual[:16]}...); the file is damaged or is not the official MNIST file. To repair it, "
            f"restore the shipped copy (git checkout -- data/mnist in the nnlib repository), or delete the "
            f"file and call load_mnist() again to download a fresh one.")


def _file_stamp(path):
    stat = path.stat()
    return str(path.resolve()), stat.st_size, stat.st_mtime_ns


def _verified_cache_path():
    root = _cache_root()
    return None if root is None else root / "verified.json"


def _load_verified_cache():
    """{absolute path: [size, mtime_ns, sha256]} of files that passed verification; {} if unreadable."""
    path = _verified_cache_path()
    try:
        cache = json.loads(path.read_text()) if path is not None else {}
    except (OSError, ValueError):
        return {}
    return cache if isinstance(cache, dict) else {}


def _remember_verified(stamp, sha256):
    """Best effort: if the cache cannot be written, we simply verify again next time."""
    target = _verified_cache_path()
    if target is None:
        return
    cache = {path: entry for path, entry in _load_verified_cache().items() if os.path.exists(path)}
    cache[stamp[0]] = [*stamp[1:], sha256]  # one entry per path: a changed file replaces its old one
    temporary = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        # created exclusively under a random name: a file planted at a predictable name cannot redirect it
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        with os.fdopen(handle, "w") as file:
            file.write(json.dumps(cache, indent=0))
        os.replace(temporary, target)  # atomic: a concurrent reader never sees half a file
    except OSError:
        if temporary is not None and os.path.lexists(temporary):
            os.unlink(temporary)


# ---------------------------------------------------------------------------------------------
# Downloading (only when the files are missing; the repository ships them)


def download_mnist(data_dir=None, *, mirrors=MIRRORS, files=MNIST_FILES, timeout=30, progress=True):
    """Download the files that are missing from data_dir and verify their content hashes.

    files maps file name -> SHA-256 of its decompressed content (default: the four MNIST files);
    mirrors are base URLs, tried in order for each file. timeout: seconds to wait for a server to
    accept the connection or to send the next bytes. progress: name each URL on stderr and show pooch's
    tqdm progress bar (a widget in Jupyter).
    Each file goes to a hidden temporary file next to its destination and is renamed into place only
    after its content checked out, so a failure or an interrupt (Ctrl-C) never leaves a partial file.
    Returns data_dir. Raises DownloadError (a ConnectionError) naming every mirror tried and where to
    put the files by hand when no mirror delivers a file.
    """
    data_dir = check_data_dir(data_dir)
    for name, sha256 in files.items():
        if not (data_dir / name).exists():
            _download_file(data_dir, name, sha256, mirrors, timeout, progress)
    return data_dir


def _download_file(data_dir, name, sha256, mirrors, timeout, progress):
    import requests  # pooch's HTTP library; imported here because loading shipped files never needs it

    failures = []
    for mirror in mirrors:
        url = mirror.rstrip("/") + "/" + name
        try:
            _fetch_verified(url, data_dir / name, sha256, timeout, progress)
            return
        except (requests.RequestException, IDXFormatError, DataIntegrityError) as error:
            failures.append(f"{url}: {_explain_failure(error, timeout)}")
    if not mirrors:
        failures.append("(no mirrors given)")
    raise DownloadError(
        f"could not download {name}; tried:\n  " + "\n  ".join(failures) + "\n"
        f"If you are offline, copy the MNIST .gz files ({', '.join(MNIST_FILES)}) into {data_dir} "
        f"by hand (the nnlib repository ships them in data/mnist/), or set {ENV_VAR} to a folder that "
        f"holds them.")


def _fetch_verified(url, target, sha256, timeout, progress):
    """Download url into target atomically: temporary file, check format and hash, then rename."""
    import pooch

    # pooch's own tqdm bar (bytes, rate, time left) on stderr; it names no file, so say which one first.
    if progress:
        print(f"downloading {url}", file=sys.stderr, flush=True)
    downloader = pooch.HTTPDownloader(progressbar=bool(progress), chunk_size=65536, timeout=timeout)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    except OSError as error:
        raise OSError(f"cannot write into the data folder {target.parent} ({error.strerror}); pass data_dir= "
                      f"or set {ENV_VAR} to a folder you can write to") from None
    os.close(handle)
    try:
        downloader(url, temporary, None)
        data = _decompress(Path(temporary).read_bytes(), url, named_gz=url.endswith(".gz"))
        parse_idx(data, source=url)
        _check_content(url, data, sha256)
        os.chmod(temporary, 0o644)  # mkstemp makes it private; the data is for every user
        os.replace(temporary, target)  # atomic on one file system: the file appears complete or not at all
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)
    _remember_verified(_file_stamp(target), sha256)


def _explain_failure(error, timeout):
    """One plain line for a failed attempt, without urllib3's object reprs."""
    import requests

    text = str(error)
    if isinstance(error, requests.Timeout) or "timed out" in text.lower():
        return f"timed out: no data within {timeout} s (slow or unreachable server; try again later)"
    if isinstance(error, requests.HTTPError) and error.response is not None:
        return f"the server answered HTTP {error.response.status_code} {error.response.reason}"
    if isinstance(error, requests.ConnectionError):
        reason = re.search(r"\[Errno -?\d+\] ([^'\")]+)", text)
        detail = f" ({reason.group(1).strip()})" if reason else ""
        return f"could not connect{detail}; are you offline?"
    if isinstance(error, (IDXFormatError, DataIntegrityError)):
        return text.split(": ", 1)[1]
    return f"{type(error).__name__}: {text.splitlines()[0][:200] if text else ''}"


# ---------------------------------------------------------------------------------------------
# Loading


@dataclass(frozen=True, repr=False)
class MNIST:
    """The loaded data set. X_*: (n, 784) floats in [0, 1]; y_*: (n,) integer labels 0-9,
    or (n, 10) one-hot rows if loaded with one_hot=True. X_val / y_val are None without a validation split."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray | None
    y_val: np.ndarray | None
    X_test: np.ndarray
    y_test: np.ndarray

    def __repr__(self):
        parts = [f"{name}={_describe_array(value)}" for name, value in vars(self).items()]
        return f"MNIST({', '.join(parts)})"


def _describe_array(value):
    return "None" if value is None else f"<{'x'.join(map(str, value.shape))} {value.dtype}>"


def load_mnist(data_dir=None, *, one_hot=False, validation_size=0, dtype=np.float64,
               verify=True, download=True, mirrors=MIRRORS, files=MNIST_FILES):
    """Load MNIST as flat, scaled images and labels.

    Images become rows of 784 = 28*28 floats x / 255 in [0, 1]: X_train (60000, 784), X_test
    (10000, 784), dtype float64 by default (float32 halves memory and time). Labels are int64 digits
    0-9 of shape (n,), or one-hot rows (n, 10) of the same dtype as X with one_hot=True.
    validation_size=10000 gives the classic split: the last 10,000 training images become X_val, y_val
    and the first 50,000 remain in X_train, y_train.
    data_dir defaults to $NNLIB_DATA_DIR, else the repository's data/mnist/ (from any working directory).
    Every file's content is checked against its pinned SHA-256 (a success is cached, so this is paid
    once); verify=False skips the check. Missing files are downloaded from mirrors when download=True,
    else FileNotFoundError says which are missing and where to put them. files maps each of the four
    MNIST file names to its content SHA-256; tests point mirrors and files at small stand-ins.
    """
    dtype = _float_dtype(dtype)
    if set(files) != set(MNIST_FILES):
        raise ValueError(f"files must map exactly the four MNIST file names {list(MNIST_FILES)} to their "
                         f"content SHA-256, got {list(files)}")
    data_dir = check_data_dir(data_dir)
    missing = [name for name in files if not (data_dir / name).exists()]
    if missing and not download:
        raise FileNotFoundError(_missing_files_message(data_dir, missing))
    if missing:
        download_mnist(data_dir, mirrors=mirrors, files={name: files[name] for name in missing})

    def read(name):
        return read_verified_idx(data_dir / name, files[name]) if verify else read_idx(data_dir / name)

    X_train, y_train = _images_and_labels(read(TRAIN_IMAGES), read(TRAIN_LABELS),
                                          data_dir / TRAIN_IMAGES, data_dir / TRAIN_LABELS, dtype)
    X_test, y_test = _images_and_labels(read(TEST_IMAGES), read(TEST_LABELS),
                                        data_dir / TEST_IMAGES, data_dir / TEST_LABELS, dtype)
    X_train, y_train, X_val, y_val = _split_validation(X_train, y_train, validation_size)
    if one_hot:
        y_train, y_test = to_one_hot(y_train, 10, dtype), to_one_hot(y_test, 10, dtype)
        y_val = None if y_val is None else to_one_hot(y_val, 10, dtype)
    return MNIST(X_train, y_train, X_val, y_val, X_test, y_test)


def _missing_files_message(data_dir, missing):
    return (f"MNIST files missing from {data_dir}: {', '.join(missing)}. Put the four MNIST .gz files "
            f"there (the nnlib repository ships them in data/mnist/; the public mirrors "
            f"{', '.join(MIRRORS)} serve them under the same names), or pass data_dir= or set {ENV_VAR} "
            f"to a folder that holds them, or call load_mnist(download=True) to download them.")


def _float_dtype(dtype):
    dtype = np.dtype(dtype)
    if not np.issubdtype(dtype, np.floating):
        raise ValueError(f"dtype must be a floating-point type such as np.float64 or np.float32 (pixels "
                         f"are scaled to [0, 1]), got {dtype}")
    return dtype


def load_idx_pair(images_path, labels_path, dtype=np.float64):
    """Read an images file and its labels file: X (n, rows*cols) scaled to [0, 1], y (n,) int64.

    Raises IDXFormatError if the two files disagree in their number of examples.
    """
    return _images_and_labels(read_idx(images_path), read_idx(labels_path), images_path, labels_path,
                              _float_dtype(dtype))


def _images_and_labels(images, labels, images_path, labels_path, dtype):
    """uint8 images (n, rows, cols) and labels (n,) -> X (n, rows*cols) = images / 255, y int64."""
    if images.ndim != 3 or labels.ndim != 1:
        raise IDXFormatError(f"expected 3-D images and 1-D labels, got shape {images.shape} from "
                             f"{images_path} and {labels.shape} from {labels_path}; are the two files swapped?")
    if len(images) != len(labels):
        raise IDXFormatError(f"{images_path} holds {len(images)} images but {labels_path} holds "
                             f"{len(labels)} labels; the pair must have one label per image")
    X = np.divide(images.reshape(len(images), -1), 255, dtype=dtype)  # one pass, no uint8->float copy first
    return X, labels.astype(np.int64)


def _split_validation(X, y, validation_size):
    """The last validation_size rows become the validation set (the classic 50,000/10,000 split)."""
    try:
        validation_size = operator.index(validation_size)
    except TypeError:
        raise ValueError(f"validation_size must be a whole number of examples, e.g. 10000, got "
                         f"{validation_size!r}") from None
    if not 0 <= validation_size < len(X):
        raise ValueError(f"validation_size must be between 0 and {len(X) - 1} (there are {len(X)} training "
                         f"examples), got {validation_size}")
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
