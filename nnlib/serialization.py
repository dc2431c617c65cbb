"""Saving and loading a trained network as one .npz file: the arrays plus its architecture as JSON text.

Loading uses allow_pickle=False, so a model file can never run code; a file of the wrong kind gets a
ValueError that says what it is missing.
"""
import json
import os
import zipfile
import zlib
from pathlib import Path

import numpy as np

from .network import Network

FORMAT = "nnlib-network"
VERSION = 1
_SETTINGS = ("sizes", "activation", "loss", "output", "init", "seed", "dropout", "weight_decay")


def save_network(net, path):
    """Write net to path (.npz): arrays W0, b0, W1, b1, ... and 'meta', a JSON string with the settings.
    A batch-normalized net also stores gamma0, beta0, running_mean0, running_var0, ... and meta batch_norm: true.

    Written to a temporary file first and renamed, so an interrupted save never leaves half a file.
    Returns the path written."""
    path = Path(path)
    meta = {"format": FORMAT, "version": VERSION, "dtype": net.dtype.name,
            **{key: _plain(getattr(net, key)) for key in _SETTINGS}}
    arrays = {f"{kind}{l}": array for l, (W, b) in enumerate(zip(net.weights, net.biases))
              for kind, array in (("W", W), ("b", b))}
    meta["batch_norm"] = net.batch_norm
    arrays.update(_batch_norm_arrays(net))
    temporary = path.with_name(path.name + f".{os.getpid()}.tmp")
    try:
        with open(temporary, "wb") as handle:
            np.savez(handle, meta=np.array(json.dumps(meta)), **arrays)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path


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


def load_network(path):
    """Read a network written by save_network. Raises FileNotFoundError or a ValueError naming the problem."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such model file")
    arrays = _read_arrays(path)
    meta = _read_meta(path, arrays)
    net = Network(**{key: meta[key] for key in _SETTINGS}, dtype=meta["dtype"],
                  batch_norm=_batch_norm_flag(path, meta))
    for l in range(net.n_layers):
        for kind, target in (("W", net.weights), ("b", net.biases)):
            name = f"{kind}{l}"
            found = arrays[name].shape if name in arrays else "nothing"
            if found != target[l].shape:
                raise ValueError(f"{path}: {name} should have shape {target[l].shape} for sizes "
                                 f"{meta['sizes']}, found {found}; the file is damaged")
            target[l][...] = arrays[name]
    _load_batch_norm(path, net, arrays)
    return net


def _read_arrays(path):
    """Every array in the .npz file as a dict, read with allow_pickle=False; any failure is a ValueError."""
    try:
        with open(path, "rb") as handle:  # our own handle, so it is closed even when np.load fails
            archive = np.load(handle, allow_pickle=False)
            if not hasattr(archive, "files"):  # a single .npy array, not an archive
                raise ValueError("it holds a single array, not an .npz archive")
            return {name: archive[name] for name in archive.files}
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, zlib.error) as error:
        reason = str(error)
        if "allow_pickle" in reason:  # NumPy's text suggests loading unsafely: exactly what we must not do
            reason = ("it is not a NumPy file, or it holds pickled Python objects, which nnlib never loads "
                      "because unpickling can run arbitrary code")
        raise ValueError(f"{path}: not a readable nnlib model file (.npz written by save_network): "
                         f"{reason}") from None


def _read_meta(path, arrays):
    """The settings dict stored in the 'meta' entry, checked for format, version and completeness."""
    if "meta" not in arrays:
        raise ValueError(f"{path}: not an nnlib model file: it has no 'meta' entry describing the network")
    try:
        meta = json.loads(str(arrays["meta"]))
    except ValueError:
        raise ValueError(f"{path}: its 'meta' entry is not valid JSON; the file is damaged") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ValueError(f"{path}: not an nnlib model file (meta format is not {FORMAT!r})")
    if meta.get("version", 0) > VERSION:
        raise ValueError(f"{path}: written by a newer nnlib (format version {meta['version']}); upgrade nnlib")
    missing = [key for key in (*_SETTINGS, "dtype") if key not in meta]
    if missing:
        raise ValueError(f"{path}: its metadata lacks {', '.join(missing)}; the file is damaged")
    return meta


# -- batch normalization (chapter 10) ----------------------------------------------------------------------

def _batch_norm_arrays(net):
    """gamma{l}, beta{l}, running_mean{l}, running_var{l} for every normalized hidden layer l."""
    return {f"{kind}{l}": array for l, (gamma, beta, state) in enumerate(zip(net.gammas, net.betas, net.bn_states))
            for kind, array in (("gamma", gamma), ("beta", beta), ("running_mean", state.mean),
                                ("running_var", state.var))}


def _batch_norm_flag(path, meta):
    """meta's batch_norm (files written before batch norm existed have none: False)."""
    flag = meta.get("batch_norm", False)
    if not isinstance(flag, bool):
        raise ValueError(f"{path}: its metadata batch_norm must be true or false, found {flag!r}; the file is damaged")
    return flag


def _load_batch_norm(path, net, arrays):
    """Copy the batch-norm arrays into net, each checked for its shape, finite values and a positive variance."""
    expected = _batch_norm_arrays(net)
    stray = sorted(name for name in arrays if name.startswith(("gamma", "beta", "running_")) and name not in expected)
    if stray:
        raise ValueError(f"{path}: it holds batch-norm arrays ({', '.join(stray)}) that a network with "
                         f"batch_norm={net.batch_norm} and sizes {net.sizes} does not have; the file is damaged")
    for name, target in expected.items():
        found = arrays[name].shape if name in arrays else "nothing"
        if found != target.shape:
            raise ValueError(f"{path}: {name} should have shape {target.shape} for sizes {net.sizes} with "
                             f"batch_norm, found {found}; the file is damaged")
        values = arrays[name]
        if not np.issubdtype(values.dtype, np.number) or not np.isfinite(values).all():
            raise ValueError(f"{path}: {name} holds values that are not finite numbers; the file is damaged")
        if name.startswith("running_var") and not (values >= 0).all():
            raise ValueError(f"{path}: {name} holds a negative variance; the file is damaged")
        target[...] = values
