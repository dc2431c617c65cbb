"""Builders of hostile inputs for the tests/test_hostile_*.py modules: hand-made zip archives and .npy
members (including a zip bomb), and a runner that executes code in a child Python under memory and
file-size limits, so that a loader that blows up cannot take the test session down with it."""
import io
import json
import resource
import signal
import struct
import subprocess
import sys
import textwrap
import zlib

import numpy as np

GOOD_META = {"format": "nnlib-network", "version": 1, "dtype": "float64", "sizes": [4, 3], "activation": "sigmoid",
             "loss": "cross_entropy", "output": "softmax", "init": "scaled_normal", "seed": 0, "dropout": 0.0,
             "weight_decay": 0.0}


def npy(array):
    """The bytes np.save writes for array."""
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=True)
    return buffer.getvalue()


def npy_header(shape, descr="<f8"):
    """Just the .npy header declaring shape and dtype descr (the values that should follow are left out)."""
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": descr, "fortran_order": False, "shape": tuple(shape)})
    return buffer.getvalue()


def meta_npy(**changes):
    """meta.npy holding GOOD_META with some settings changed (a key set to ... is removed)."""
    meta = {key: value for key, value in {**GOOD_META, **changes}.items() if value is not ...}
    return npy(np.array(json.dumps(meta)))


def good_members(**changes):
    """The members of a valid 4-3 model file: meta, W0, b0."""
    return {"meta.npy": meta_npy(**changes), "W0.npy": npy(np.arange(12.0).reshape(4, 3)),
            "b0.npy": npy(np.ones(3))}


def raw_deflate(data):
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush()


def write_zip(path, members):
    """A zip archive written byte by byte. members: name -> bytes (stored), or name -> (payload, method,
    crc, uncompressed size) for a member whose payload and declared sizes are given as they are."""
    local, central, offset = [], [], 0
    for name, member in members.items():
        if isinstance(member, bytes):
            member = (member, 0, zlib.crc32(member), len(member))
        payload, method, crc, size = member
        encoded = name.encode()
        header = struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, method, 0, 0x21, crc, len(payload), size,
                             len(encoded), 0) + encoded
        central.append(struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, method, 0, 0x21, crc, len(payload),
                                   size, len(encoded), 0, 0, 0, 0, 0, offset) + encoded)
        local.append(header + payload)
        offset += len(header) + len(payload)
    directory = b"".join(central)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(central), len(central), len(directory), offset, 0)
    path.write_bytes(b"".join(local) + directory + end)
    return path


def zip_bomb_member(megabytes):
    """A deflated .npy member of `megabytes` MB of float64 zeros, built in milliseconds: after a full flush
    the compressor's state is reset, so each further megabyte compresses to the same ~1 KB, repeated.
    Returns (payload, method 8, crc, uncompressed size). The CRC is left 0: computing it over gigabytes
    would take seconds, and a loader must refuse the member before it could ever check it."""
    header = npy_header((megabytes * (1 << 17),))
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    start = compressor.compress(header) + compressor.flush(zlib.Z_FULL_FLUSH)
    block = compressor.compress(bytes(1 << 20)) + compressor.flush(zlib.Z_FULL_FLUSH)
    repeated = compressor.compress(bytes(1 << 20)) + compressor.flush(zlib.Z_FULL_FLUSH)
    assert block == repeated, "a full flush makes every megabyte compress alike"
    payload = start + block * megabytes + compressor.flush(zlib.Z_FINISH)
    return payload, 8, 0, len(header) + megabytes * (1 << 20)


# Pasted into a child's code: its own peak resident memory in KB. ru_maxrss is no good there: Linux keeps
# across exec the peak of the forked copy of pytest, often above a GB, which would hide the child's own.
PEAK_KB_SOURCE = "peak_kb = lambda: int(open('/proc/self/status').read().split('VmHWM:')[1].split()[0])"


def run_limited(code, memory_mb=1024, file_size=None, env=None):
    """Run `code` in a child Python with its address space limited to memory_mb (and files to file_size
    bytes, with SIGXFSZ ignored so that a write beyond it fails with EFBIG, like a full disk).
    Returns the CompletedProcess (text stdout/stderr)."""
    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (memory_mb << 20, memory_mb << 20))
        if file_size is not None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_size, file_size))

    import os
    child_env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", **(env or {})}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          preexec_fn=limit, env=child_env, timeout=120)
