"""Helpers for the data tests: write IDX files, make a small stand-in MNIST set, serve files over HTTP.

Not a test module (no test_ prefix); the data test files import it.
"""
import gzip
import hashlib
import http.server
import threading
from pathlib import Path

import numpy as np

from nnlib.data import MNIST_FILES

IDX_CODES = {np.dtype("uint8"): 0x08, np.dtype("int8"): 0x09, np.dtype("int16"): 0x0B,
             np.dtype("int32"): 0x0C, np.dtype("float32"): 0x0D, np.dtype("float64"): 0x0E}


def idx_bytes(array):
    """The IDX encoding of an array: magic (0, 0, type code, ndim), big-endian sizes, big-endian values."""
    array = np.asarray(array)
    header = bytes([0, 0, IDX_CODES[array.dtype], array.ndim])
    header += b"".join(size.to_bytes(4, "big") for size in array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def write_file(path, content, compress=None):
    """Write bytes to path, gzip-compressed if compress (default: if the name ends in .gz)."""
    path = Path(path)
    compress = path.name.endswith(".gz") if compress is None else compress
    path.write_bytes(gzip.compress(content, mtime=0) if compress else content)
    return path


def write_idx(path, array):
    return write_file(path, idx_bytes(array))


def sha256(content):
    return hashlib.sha256(content).hexdigest()


def fake_mnist(n_train=30, n_test=12, seed=0):
    """Small random MNIST look-alike: {file name: decompressed IDX bytes} with the real file names."""
    rng = np.random.default_rng(seed)
    arrays = {
        "train-images-idx3-ubyte.gz": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte.gz": (np.arange(n_train) % 10).astype(np.uint8),
        "t10k-images-idx3-ubyte.gz": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte.gz": (np.arange(n_test)[::-1] % 10).astype(np.uint8),
    }
    assert set(arrays) == set(MNIST_FILES)
    return {name: idx_bytes(array) for name, array in arrays.items()}


def fake_hashes(contents):
    """{file name: content SHA-256}, the `files` argument of load_mnist and download_mnist."""
    return {name: sha256(content) for name, content in contents.items()}


def write_fake_mnist(folder, contents):
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in contents.items():
        write_file(folder / name, content)
    return folder


class FileServer:
    """An HTTP server on 127.0.0.1 (a free port) in a background thread.

    routes: {url path: (status, body bytes)}; unknown paths get 404. delay: seconds to stall before
    answering (stall_after_bytes: send headers and that many body bytes first), to provoke timeouts.
    Stalls end early when the server stops, so tests never wait for them.
    """

    def __init__(self, routes=None, delay=0.0, stall_after_bytes=None):
        self.routes, self.delay, self.stall_after_bytes = dict(routes or {}), delay, stall_after_bytes
        self.requests = []
        self._stop = threading.Event()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                server.requests.append(self.path)
                status, body = server.routes.get(self.path, (404, b"not found"))
                if server.stall_after_bytes is None:
                    server._stop.wait(server.delay)
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if server.stall_after_bytes is not None:
                    self.wfile.write(body[:server.stall_after_bytes])
                    self.wfile.flush()
                    server._stop.wait(server.delay)
                    return
                self.wfile.write(body)

            def log_message(self, *args):  # keep test output quiet
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.block_on_close = False
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def serve_gz(contents, prefix="/"):
    """Routes serving each decompressed content gzip-compressed under prefix + name."""
    return {prefix + name: (200, gzip.compress(content, mtime=0)) for name, content in contents.items()}
