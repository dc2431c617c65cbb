"""Saving and loading a trained network as one .npz file: the arrays plus its architecture as JSON text.

A model file is a zip archive of .npy members: meta.npy (the settings as a JSON string), W0.npy, b0.npy,
W1.npy, ... for a Network (format "nnlib-network"); for a ConvNet (format "nnlib-convnet") the metadata also
holds the input shape and the feature layers, and the members are named like its parameters: conv1.K.npy,
conv1.b.npy, ..., head.W0.npy, head.b0.npy, ... A batch-normalized Network (meta batch_norm: true)
also holds gamma0.npy, beta0.npy, running_mean0.npy, running_var0.npy, ... for each hidden layer. Loading treats the file as hostile until proven otherwise,
and never unpickles anything:

1. the zip's member list: only the members a model needs, each an uncompressed or deflated .npy;
2. the metadata: every setting of the right type and in range, the layer sizes bounded (MAX_PARAMETERS),
   and for a ConvNet every feature layer's settings and the numbers one example needs (MAX_WORK_PER_EXAMPLE),
   worked out from the shapes alone;
3. each member's .npy header: float32/float64 values of exactly the shape the sizes call for, and a declared
   size in the zip that matches (so no member can decompress to more than it should);
4. only then is the network allocated and the values read, in chunks, and checked to be finite (and the
   running variances of batch norm to be >= 0).

A file of the wrong kind gets a ValueError that names the file and says what is wrong with it.
Saving goes to a temporary file created exclusively in the target's folder, fsynced and renamed into place,
so an interrupted or failed save never leaves half a file and never touches the previous model.
"""
import json
import math
import os
import tempfile
import zipfile
import zlib
from pathlib import Path

import numpy as np

from .activations import ELEMENTWISE, OUTPUT_ACTIVATIONS
from .convnet import ConvNet, layer_from_config, work_per_example
from .initializers import INITIALIZERS
from .losses import LOSSES
from .network import Network

FORMAT = "nnlib-network"
CONVNET_FORMAT = "nnlib-convnet"
VERSION = 1
_SETTINGS = ("sizes", "activation", "loss", "output", "init", "seed", "dropout", "weight_decay")
BATCH_NORM_KINDS = ("gamma", "beta", "running_mean", "running_var")  # one array of each per hidden layer
_HEAD_SETTINGS = ("activation", "loss", "output", "init", "dropout", "weight_decay")
_CONVNET_SETTINGS = ("input_shape", "features", "head", "seed", *_HEAD_SETTINGS)

MAX_LAYERS = 100                # weight layers in one network
MAX_PARAMETERS = 50_000_000     # weights and biases together: 400 MB in float64, far above any MNIST model
MAX_META_BYTES = 1 << 16        # the JSON settings are a few hundred bytes
MAX_SIDE = 10_000               # image height or width, channels per layer, filter size, stride, padding
MAX_WORK_PER_EXAMPLE = 50_000_000  # numbers one example's largest layer holds (its im2col columns, its maps)
_CHUNK = 1 << 20                # bytes read from a member at a time


# -- saving ---------------------------------------------------------------------------------------------

def save_network(net, path):
    """Write net to path (.npz): arrays W0, b0, W1, b1, ... and 'meta', a JSON string with the settings.
    A batch-normalized net also stores gamma0, beta0, running_mean0, running_var0, ... and meta batch_norm: true.

    The file is written under a fresh temporary name in the target's folder (created exclusively, so a
    planted file or symlink cannot redirect it), flushed to disk and renamed into place: an interrupted or
    failed save never leaves half a file and leaves a previous model at path untouched. Raises OSError
    naming path (not the temporary file) if it cannot be written, ValueError for nan or infinite weights.
    Returns the path written."""
    path = Path(path)
    meta, arrays = _describe(net)
    for name, array in arrays.items():
        if not np.isfinite(array).all():
            raise ValueError(f"cannot save the network to {path}: {name} contains nan or infinite values "
                             f"(the training diverged); retrain with a smaller learning rate")
    check_save_target(path)
    temporary = _create_temporary(path)
    try:
        with open(temporary, "wb") as handle:
            np.savez(handle, meta=np.array(json.dumps(meta)), **arrays)
            handle.flush()
            os.fsync(handle.fileno())  # the data is on disk before the name points at it
        os.chmod(temporary, _mode_for(path))
        os.replace(temporary, path)
    except OSError as error:
        raise _save_error(path, error) from None
    finally:
        if os.path.lexists(temporary):
            os.unlink(temporary)
    _sync_folder(path.parent)
    return path


def _describe(net):
    """(the metadata dict, {member name: array}) that save_network writes for a Network or a ConvNet."""
    arrays = dict(zip(net.parameter_names(), net.parameters()))
    if isinstance(net, ConvNet):
        meta = {"format": CONVNET_FORMAT, "version": VERSION, "dtype": net.dtype.name,
                "input_shape": list(net.input_shape), "features": [layer.config() for layer in net.features],
                "head": net.head.sizes[1:], "seed": _plain(net.seed),
                **{key: _plain(getattr(net.head, key)) for key in _HEAD_SETTINGS}}
        return meta, arrays
    meta = {"format": FORMAT, "version": VERSION, "dtype": net.dtype.name,
            **{key: _plain(getattr(net, key)) for key in _SETTINGS}, "batch_norm": net.batch_norm}
    arrays.update(_batch_norm_arrays(net))  # gamma and beta are parameters already; adds the running averages
    return meta, arrays


def check_save_target(path):
    """Raise OSError, naming path and saying how to fix it, unless a model can be saved there: path is not a
    folder, its folder exists and is writable (checked by creating and removing a temporary file in it), and
    an existing file at path is not read-only. `nnlib train --save` calls this before training starts."""
    path = Path(path)
    try:
        _check_target(path)
    except OSError as error:
        if str(error).startswith("cannot save the network to"):
            raise
        raise _save_error(path, error) from None  # e.g. a name too long to even look up


def _check_target(path):
    folder = path.parent
    if path.is_dir():
        raise IsADirectoryError(f"cannot save the network to {path}: it is a folder; give a file name, "
                                f"e.g. {path / 'model.npz'}")
    if not folder.is_dir():
        if folder.exists():
            raise NotADirectoryError(f"cannot save the network to {path}: {folder} is a file, not a folder")
        raise FileNotFoundError(f"cannot save the network to {path}: the folder {folder} does not exist; "
                                f"create it first")
    if path.exists() and not path.stat().st_mode & 0o222:
        raise PermissionError(f"cannot save the network to {path}: the file is read-only; make it writable "
                              f"(chmod u+w) or choose another name")
    os.unlink(_create_temporary(path))


def _create_temporary(path):
    """A new, empty, private file next to path, with a short random name (so a long target name still fits)."""
    try:
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".nnlib-", suffix=".tmp")
    except OSError as error:
        raise _save_error(path, error) from None
    os.close(handle)
    return temporary


def _save_error(path, error):
    """An OSError of the same kind, about the target path rather than whichever file the system named."""
    reason = error.strerror or str(error)
    hint = {28: "; the disk is full: free some space or save elsewhere",
            13: f"; the folder {path.parent} is not writable: choose another folder",
            30: "; the file system is read-only: choose another folder",
            36: "; the name is too long for this file system: choose a shorter one"}.get(error.errno, "")
    new = type(error)(f"cannot save the network to {path}: {reason}{hint}")
    new.errno = error.errno
    return new


def _mode_for(path):
    """Permissions for the saved file: those of the file it replaces, else the usual ones (0666 minus umask)."""
    if path.exists():
        return path.stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _sync_folder(folder):
    """Best effort: make the rename itself durable (not every system can fsync a folder)."""
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)


def _plain(value):
    """A JSON-ready version of a setting: NumPy integers and floats become Python numbers; a seed that
    is not a number (a Generator, say) is not reproducible from text and is stored as None."""
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, (str, int, float)):
        return value
    return None


# -- loading --------------------------------------------------------------------------------------------

def load_network(path):
    """Read a network written by save_network, validating everything before allocating anything (see the
    module docstring): a Network, or a ConvNet for a file saved from one. Raises FileNotFoundError, or a
    ValueError naming the file and the problem."""
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{path}: is a folder, not a model file")
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such model file")
    with open(path, "rb") as handle:
        archive = _open_archive(path, handle)
        members = _list_members(path, archive)
        meta = _read_meta(path, archive, members)
        shapes = _expected_shapes(meta)
        _check_member_names(path, members, shapes, meta)
        context = f"sizes {meta['sizes']}" if meta["format"] == FORMAT else "the layers in its metadata"
        if meta.get("batch_norm", False):
            context += " with batch_norm"
        layouts = {name: _read_header(path, archive, members, name, shape, context)
                   for name, shape in shapes.items()}
        net = _build(path, meta)
        targets = dict(zip(net.parameter_names(), net.parameters()))
        if isinstance(net, Network):
            targets.update(_batch_norm_arrays(net))
        for name, target in targets.items():
            target[...] = _read_values(path, archive, members, name, shapes[name], *layouts[name])
    return net


def _build(path, meta):
    """The Network or ConvNet the (checked) metadata describes, with fresh weights to be overwritten."""
    try:
        if meta["format"] == FORMAT:
            # files written before batch norm existed have no batch_norm key
            return Network(**{key: meta[key] for key in _SETTINGS}, dtype=meta["dtype"],
                           batch_norm=meta.get("batch_norm", False))
        return ConvNet([layer_from_config(config) for config in meta["features"]], meta["head"],
                       input_shape=meta["input_shape"], seed=meta["seed"], dtype=meta["dtype"],
                       **{key: meta[key] for key in _HEAD_SETTINGS})
    except ValueError as error:
        raise ValueError(f"{path}: {error}; the file is damaged") from None


def _open_archive(path, handle):
    """The zip archive in the open file, or a ValueError saying what the file is instead."""
    start = handle.read(6)
    handle.seek(0)
    if start == b"\x93NUMPY":
        raise ValueError(f"{path}: not a readable nnlib model file (.npz written by save_network): "
                         f"it holds a single array, not an .npz archive")
    try:
        return zipfile.ZipFile(handle)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
        raise ValueError(f"{path}: not a readable nnlib model file (.npz written by save_network): "
                         f"{error}") from None


def _list_members(path, archive):
    """{member name without .npy: ZipInfo}, after checking each member is a plain .npy we could read."""
    members = {}
    for info in archive.infolist():
        name = info.filename
        if not name.endswith(".npy") or "/" in name:
            raise ValueError(f"{path}: not an nnlib model file: its member {_short(name)} is not a NumPy "
                             f".npy array (a model holds only meta.npy, W0.npy, b0.npy, ...)")
        if name[:-4] in members:
            raise ValueError(f"{path}: the member {_short(name)} appears twice; the file is damaged")
        if info.flag_bits & 0x1:
            raise ValueError(f"{path}: the member {_short(name)} is encrypted; nnlib model files never are")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise ValueError(f"{path}: the member {_short(name)} uses zip compression method "
                             f"{info.compress_type}; nnlib reads stored or deflated members only")
        members[name[:-4]] = info
    if "meta" not in members:
        raise ValueError(f"{path}: not an nnlib model file: it has no 'meta' entry describing the network")
    return members


def _check_member_names(path, members, shapes, meta):
    """Every member is one the network needs (extra ones are refused unread: they could be anything)."""
    unexpected = sorted(set(members) - set(shapes) - {"meta"})
    if unexpected and meta["format"] == CONVNET_FORMAT:
        raise ValueError(f"{path}: unexpected member {_short(unexpected[0])}.npy: this ConvNet holds only meta, "
                         f"{', '.join(shapes)}; the file is damaged or not written by save_network")
    if not unexpected:
        return
    name = unexpected[0]
    if not meta.get("batch_norm", False) and _kind(name) in BATCH_NORM_KINDS:
        raise ValueError(f"{path}: unexpected member {_short(name)}.npy: it holds batch-norm values, but the "
                         f"metadata does not say batch_norm: true; the file is damaged or not written by "
                         f"save_network")
    n_layers = sum(1 for key in shapes if _kind(key) == "W")
    held = f"meta, W0..W{n_layers - 1} and b0..b{n_layers - 1}"
    n_hidden = sum(1 for key in shapes if _kind(key) == "gamma")
    if n_hidden:
        held = (f"meta, W0..W{n_layers - 1}, b0..b{n_layers - 1} and {', '.join(BATCH_NORM_KINDS)} "
                f"0..{n_hidden - 1} (one of each per hidden layer)")
    raise ValueError(f"{path}: unexpected member {_short(name)}.npy: a network of {n_layers} layers holds only "
                     f"{held}; the file is damaged or not written by save_network")


def _kind(name):
    """The kind of a member name without its layer number: 'running_var' for 'running_var2'."""
    return name.rstrip("0123456789")


def _read_meta(path, archive, members):
    """The settings dict stored in the 'meta' entry, checked for format, version, types and ranges."""
    info = members["meta"]
    if info.file_size > MAX_META_BYTES:
        raise ValueError(f"{path}: its 'meta' entry declares {info.file_size} bytes, far more than the "
                         f"settings of a network need; the file is damaged")
    with _open_member(path, archive, info) as member:
        dtype, shape, _, _ = _parse_header(path, member, "meta")
        if dtype.kind != "U" or shape != ():
            raise ValueError(f"{path}: its 'meta' entry should be one text string, found "
                             f"{dtype} values of shape {shape}; the file is damaged")
        text = np.frombuffer(_read_exactly(path, member, dtype.itemsize, "meta"), dtype=dtype)[0]
    try:
        meta = json.loads(str(text))
    except (ValueError, RecursionError):
        raise ValueError(f"{path}: its 'meta' entry is not valid JSON; the file is damaged") from None
    if not isinstance(meta, dict) or meta.get("format") not in (FORMAT, CONVNET_FORMAT):
        raise ValueError(f"{path}: not an nnlib model file (meta format is not {FORMAT!r} or {CONVNET_FORMAT!r})")
    settings = _SETTINGS if meta["format"] == FORMAT else _CONVNET_SETTINGS
    missing = [key for key in (*settings, "dtype", "version") if key not in meta]
    if missing:
        raise ValueError(f"{path}: its metadata lacks {', '.join(missing)}; the file is damaged")
    kernels = 0
    if meta["format"] == CONVNET_FORMAT:  # the head's sizes [its inputs, *head], for the checks a Network gets
        meta["sizes"], kernels = _check_convnet_layers(path, meta)
    _check_settings(path, meta, kernels)
    return meta


def _check_settings(path, meta, kernels=0):
    """Each setting of the type and range Network accepts, so nothing fails (or allocates) deep inside.
    kernels: the parameters of a ConvNet's feature layers, counted against MAX_PARAMETERS with the head's."""
    def wrong(key, expected):
        raise ValueError(f"{path}: metadata {key!r} should be {expected}, found {_short(meta[key])}; "
                         f"the file is damaged")

    if not _is_whole(meta["version"]) or meta["version"] < 1:
        wrong("version", "a format version (a whole number >= 1)")
    if meta["version"] > VERSION:
        raise ValueError(f"{path}: written by a newer nnlib (format version {meta['version']}); upgrade nnlib")
    sizes = meta["sizes"]
    if (not isinstance(sizes, list) or not 2 <= len(sizes) <= MAX_LAYERS + 1
            or not all(_is_whole(n) and n >= 1 for n in sizes)):
        wrong("sizes", f"a list of 2 to {MAX_LAYERS + 1} positive whole numbers (layer sizes)")
    n_parameters = sum(n_in * n_out + n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))
    if meta.get("batch_norm") is True:
        n_parameters += 2 * sum(sizes[1:-1])  # gamma and beta (the running averages are as many again)
    n_parameters += kernels
    if n_parameters > MAX_PARAMETERS:
        layers = f"metadata sizes {_short(sizes)}" if meta["format"] == FORMAT else "its layers"
        raise ValueError(f"{path}: {layers} describe {n_parameters:,} parameters, more "
                         f"than nnlib loads ({MAX_PARAMETERS:,}); the file is damaged or not an nnlib model")
    for key, choices in (("activation", ELEMENTWISE), ("output", OUTPUT_ACTIVATIONS), ("loss", LOSSES),
                         ("init", INITIALIZERS), ("dtype", ("float32", "float64"))):
        if not isinstance(meta[key], str) or meta[key] not in choices:
            wrong(key, f"one of {', '.join(choices)}")
    if meta["seed"] is not None and not (_is_whole(meta["seed"]) and meta["seed"] >= 0):
        wrong("seed", "null or a whole number >= 0")
    if not (_is_number(meta["dropout"]) and 0 <= meta["dropout"] < 1):
        wrong("dropout", "a number in [0, 1)")
    if not (_is_number(meta["weight_decay"]) and meta["weight_decay"] >= 0):
        wrong("weight_decay", "a finite number >= 0")
    if not isinstance(meta.get("batch_norm", False), bool):
        wrong("batch_norm", "true or false")
    if meta["format"] == CONVNET_FORMAT and "batch_norm" in meta:
        wrong("batch_norm", "absent (a ConvNet has no batch normalization)")


def _check_convnet_layers(path, meta):
    """Check a ConvNet's input shape, feature layers and head sizes from the metadata alone, and return the
    head's sizes [inputs of the head, *head] for the checks shared with a Network, and the number of the
    feature layers' parameters. Nothing is allocated: the
    shapes come from the output-size formula, and every number is bounded before it is multiplied."""
    def wrong(key, expected, found):
        raise ValueError(f"{path}: metadata {key!r} should be {expected}, found {_short(found)}; "
                         f"the file is damaged")

    shape = meta["input_shape"]
    if (not isinstance(shape, list) or len(shape) != 3
            or not all(_is_whole(n) and 1 <= n <= MAX_SIDE for n in shape)):
        wrong("input_shape", f"[channels, height, width], three whole numbers from 1 to {MAX_SIDE:,}", shape)
    features = meta["features"]
    if not isinstance(features, list) or not 1 <= len(features) <= MAX_LAYERS:
        wrong("features", f"a list of 1 to {MAX_LAYERS} feature layers", features)
    layers, shape, kernels = [], tuple(shape), 0
    for number, config in enumerate(features, 1):
        if isinstance(config, dict):
            for key, value in config.items():
                if _is_whole(value) and value > MAX_SIDE:
                    wrong("features", f"layers whose sizes are at most {MAX_SIDE:,} (layer {number}: {key})", config)
        try:
            layer = layer_from_config(config)
            out = layer.output_shape(shape)
        except (ValueError, TypeError) as error:
            raise ValueError(f"{path}: metadata feature layer {number} ({_short(config)}): {error}; the file is "
                             f"damaged") from None
        if layer.kind == "conv":
            kernels += layer.filters * shape[0] * layer.size ** 2 + layer.filters
        layers.append(layer)
        shape = out
    work = work_per_example(layers, meta["input_shape"])
    if work > MAX_WORK_PER_EXAMPLE:
        raise ValueError(f"{path}: its feature layers hold {work:,} numbers per example, more than nnlib runs "
                         f"({MAX_WORK_PER_EXAMPLE:,}); the file is damaged or not an nnlib model")
    head = meta["head"]
    if not isinstance(head, list) or not 1 <= len(head) <= MAX_LAYERS or not all(_is_whole(n) and n >= 1
                                                                                  for n in head):
        wrong("head", f"a list of 1 to {MAX_LAYERS} positive whole numbers (the dense layers' sizes)", head)
    return [math.prod(shape), *head], kernels


def _is_whole(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _expected_shapes(meta):
    """{"W0": (n_in, n_out), "b0": (n_out,), ...} for the sizes in the (checked) metadata; for a ConvNet
    {"conv1.K": (F, C, k, k), "conv1.b": (F,), ..., "head.W0": ..., ...}, in the order of its parameters."""
    sizes, prefix, shapes = meta["sizes"], "", {}
    if meta["format"] == CONVNET_FORMAT:
        prefix, channels, convs = "head.", meta["input_shape"][0], 0
        for config in meta["features"]:
            if config["kind"] == "conv":
                convs += 1
                F, k = config["filters"], config["size"]
                shapes[f"conv{convs}.K"], shapes[f"conv{convs}.b"] = (F, channels, k, k), (F,)
                channels = F
    for l, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        shapes[f"{prefix}W{l}"], shapes[f"{prefix}b{l}"] = (n_in, n_out), (n_out,)
    if meta["format"] == FORMAT and meta.get("batch_norm", False):  # one of each per hidden layer of n units
        for l, n in enumerate(sizes[1:-1]):
            shapes.update({f"{kind}{l}": (n,) for kind in BATCH_NORM_KINDS})
    return shapes


def _batch_norm_arrays(net):
    """{"gamma0": ..., "beta0": ..., "running_mean0": ..., "running_var0": ..., ...}: the arrays of every
    batch-normalized hidden layer (none without batch_norm), the network's own, not copies."""
    return {f"{kind}{l}": array for l, (gamma, beta, state) in enumerate(zip(net.gammas, net.betas, net.bn_states))
            for kind, array in zip(BATCH_NORM_KINDS, (gamma, beta, state.mean, state.var))}


def _read_header(path, archive, members, name, shape, context):
    """Check member `name`'s .npy header (dtype, shape) and its declared size in the zip, reading nothing else.
    context names what the shape follows from ("sizes [784, 30, 10]"). Returns (dtype, fortran_order)."""
    if name not in members:
        raise ValueError(f"{path}: {name} should have shape {shape} for {context}, found nothing; "
                         f"the file is damaged")
    with _open_member(path, archive, members[name]) as member:
        dtype, found, fortran_order, offset = _parse_header(path, member, name)
    if found != shape:
        raise ValueError(f"{path}: {name} should have shape {shape} for {context}, found {found}; "
                         f"the file is damaged")
    if dtype.kind != "f" or dtype.itemsize not in (4, 8):
        what = "weights" if _kind(name) in ("W", "b") else "batch-norm values"
        raise ValueError(f"{path}: {name} holds {dtype} values; {what} must be float32 or float64 numbers; "
                         f"the file is damaged or not written by save_network")
    declared, needed = members[name].file_size, offset + math.prod(shape) * dtype.itemsize
    if declared != needed:
        raise ValueError(f"{path}: {name} declares {declared} bytes in the archive, but {found} {dtype} values "
                         f"take {needed}; the file is damaged")
    return dtype, fortran_order


def _open_member(path, archive, info):
    try:
        return archive.open(info)
    except (zipfile.BadZipFile, OSError, ValueError, RuntimeError, NotImplementedError) as error:
        raise ValueError(f"{path}: not a readable nnlib model file (.npz written by save_network): "
                         f"{error}") from None


def _parse_header(path, member, name):
    """(dtype, shape, fortran_order, header length) from the start of a .npy member, read with NumPy's safe
    header parser (a literal, never code)."""
    try:
        version = np.lib.format.read_magic(member)
        if version not in ((1, 0), (2, 0)):
            raise ValueError(f"unsupported .npy format version {version}")
        read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                       else np.lib.format.read_array_header_2_0)
        shape, fortran_order, dtype = read_header(member)
    except (ValueError, OSError, EOFError, SyntaxError, TypeError, zipfile.BadZipFile, zlib.error) as error:
        raise ValueError(f"{path}: {name} is not a readable .npy array ({error}); the file is damaged") from None
    if dtype.hasobject:
        raise ValueError(f"{path}: {name} holds pickled Python objects, which nnlib never loads because "
                         f"unpickling can run arbitrary code")
    return dtype, tuple(shape), fortran_order, member.tell()


def _read_exactly(path, member, n_bytes, name):
    """n_bytes from the member, read in chunks into one buffer; a short or corrupt member is a ValueError."""
    buffer = bytearray(n_bytes)
    view, filled = memoryview(buffer), 0
    try:
        while filled < n_bytes:
            chunk = member.read(min(_CHUNK, n_bytes - filled))
            if not chunk:
                break
            view[filled:filled + len(chunk)] = chunk
            filled += len(chunk)
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as error:
        raise ValueError(f"{path}: {name} is damaged ({error})") from None
    if filled < n_bytes:
        raise ValueError(f"{path}: {name} is truncated ({filled} of {n_bytes} bytes); the file is damaged")
    return buffer


def _read_values(path, archive, members, name, shape, dtype, fortran_order):
    """The values of member `name` as an array of `shape`, checked to be finite."""
    with _open_member(path, archive, members[name]) as member:
        _parse_header(path, member, name)
        values = np.frombuffer(_read_exactly(path, member, math.prod(shape) * dtype.itemsize, name), dtype=dtype)
        values = values.reshape(shape[::-1]).T if fortran_order else values.reshape(shape)
        member.read(1)  # reach the end, so the zip's CRC check runs
    if not np.isfinite(values).all():
        where = tuple(int(i) for i in np.argwhere(~np.isfinite(values))[0])
        raise ValueError(f"{path}: {name} contains nan or infinite values (first at index {where}); a network "
                         f"that diverged was saved, or the file is damaged: retrain it")
    if _kind(name) == "running_var" and not (values >= 0).all():
        where = tuple(int(i) for i in np.argwhere(values < 0)[0])
        raise ValueError(f"{path}: {name} holds a negative variance (first at index {where}), which no "
                         f"training can produce; the file is damaged")
    return values


def _short(value, limit=60):
    """repr(value), cut to `limit` characters: a hostile file controls this text."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."
