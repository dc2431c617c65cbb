"""Downloading missing files, against a local HTTP server (the public mirrors are not needed).

Each test serves small generated IDX .gz files from 127.0.0.1 and checks what ends up on disk:
a verified file, or nothing at all (no partial file, no temporary file), with a message that says
what went wrong on which mirror and where to put the files by hand.
"""
import gzip
import re
import socket

import numpy as np
import pooch.downloaders
import pytest
from tqdm import tqdm

import nnlib.data as data
from mnist_fakes import FileServer, fake_hashes, fake_mnist, idx_bytes, serve_gz
from nnlib.data import DownloadError, download_mnist, load_mnist, read_idx

LABELS = "train-labels-idx1-ubyte.gz"


@pytest.fixture
def target(tmp_path):
    return tmp_path / "mnist"


def closed_port_url():
    """A URL on 127.0.0.1 where nothing listens: connecting is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


def download_error(target, mirrors, files, **options):
    with pytest.raises(DownloadError) as info:
        download_mnist(target, mirrors=mirrors, files=files, progress=False, **options)
    assert not target.exists() or list(target.iterdir()) == [], "no file and no temporary file may remain"
    return str(info.value)


def assert_says_where_to_put_the_files(message, target):
    assert f"If you are offline, copy the MNIST .gz files (train-images-idx3-ubyte.gz, " in message
    assert f") into {target} by hand (the nnlib repository ships them in data/mnist/)" in message
    assert "or set NNLIB_DATA_DIR to a folder that holds them" in message


# ----------------------------------------------------------------------------- success


def test_download_writes_verified_files(target, contents):
    with FileServer(serve_gz(contents)) as server:
        assert download_mnist(target, mirrors=[server.url], files=fake_hashes(contents), progress=False) == target
    assert sorted(path.name for path in target.iterdir()) == sorted(contents)
    for name, content in contents.items():
        np.testing.assert_array_equal(read_idx(target / name), data.parse_idx(content))


def test_load_mnist_downloads_missing_files_then_loads(target, contents):
    with FileServer(serve_gz(contents)) as server:
        mnist = load_mnist(target, mirrors=[server.url], files=fake_hashes(contents), validation_size=5)
    assert mnist.X_train.shape == (25, 784) and mnist.X_val.shape == (5, 784) and mnist.X_test.shape == (12, 784)
    images = data.parse_idx(contents["t10k-images-idx3-ubyte.gz"])
    np.testing.assert_array_equal(mnist.X_test, images.reshape(12, 784) / 255)


def test_only_missing_files_are_downloaded(target, contents):
    with FileServer(serve_gz(contents)) as server:
        download_mnist(target, mirrors=[server.url], files=fake_hashes(contents), progress=False)
        (target / LABELS).unlink()
        server.requests.clear()
        download_mnist(target, mirrors=[server.url], files=fake_hashes(contents), progress=False)
    assert server.requests == ["/" + LABELS]


def test_downloaded_files_are_already_in_the_verification_cache(target, contents, monkeypatch):
    with FileServer(serve_gz(contents)) as server:
        download_mnist(target, mirrors=[server.url], files=fake_hashes(contents), progress=False)
    monkeypatch.setattr(data, "content_sha256", lambda content: pytest.fail("hashed again"))
    load_mnist(target, files=fake_hashes(contents), download=False)


def test_next_mirror_is_tried_after_a_failure(target, contents):
    with FileServer(serve_gz(contents, prefix="/good/")) as server:
        download_mnist(target, mirrors=[server.url + "missing/", closed_port_url(), server.url + "good"],
                       files=fake_hashes(contents), progress=False)
    assert sorted(path.name for path in target.iterdir()) == sorted(contents)


def test_download_names_the_url_and_shows_poochs_tqdm_bar(target, contents, capsys):
    with FileServer(serve_gz(contents)) as server:
        download_mnist(target, mirrors=[server.url], files={LABELS: fake_hashes(contents)[LABELS]})
    size = re.escape(tqdm.format_sizeof(len(gzip.compress(contents[LABELS], mtime=0))))  # e.g. 40.0, 9.91M
    err = capsys.readouterr().err
    assert err.startswith(f"downloading {server.url}{LABELS}\n")
    assert re.search(rf"\r100%\|[^|]+\| {size}/{size} \[\d\d:\d\d<00:00, .*B/s\]\n$", err), err


def test_download_without_progress_prints_nothing(target, contents, capsys):
    with FileServer(serve_gz(contents)) as server:
        download_mnist(target, mirrors=[server.url], files={LABELS: fake_hashes(contents)[LABELS]}, progress=False)
    assert capsys.readouterr().err == ""


# ----------------------------------------------------------------------------- failures


def test_hash_mismatch_leaves_nothing_behind(target, contents):
    impostor = {LABELS: idx_bytes(np.zeros(30, np.uint8))}  # well-formed, but not the pinned content
    with FileServer(serve_gz(impostor)) as server:
        message = download_error(target, [server.url], {LABELS: fake_hashes(contents)[LABELS]})
    expected = fake_hashes(contents)[LABELS]
    assert message.startswith(f"could not download {LABELS}; tried:\n  {server.url}{LABELS}: content does not "
                              f"match the pinned SHA-256 (expected {expected[:16]}..., got ")
    assert_says_where_to_put_the_files(message, target)


def test_damaged_download_is_caught_before_it_is_saved(target, contents):
    damaged = gzip.compress(contents[LABELS], mtime=0)[:-10]
    with FileServer({"/" + LABELS: (200, damaged)}) as server:
        message = download_error(target, [server.url], fake_hashes({LABELS: contents[LABELS]}))
    assert f"{server.url}{LABELS}: corrupt gzip data (Compressed file ended before the end-of-stream" in message


@pytest.mark.parametrize("status, reason", [(404, "Not Found"), (500, "Internal Server Error")])
def test_server_error_names_the_mirror(target, contents, status, reason):
    with FileServer({"/" + LABELS: (status, b"oops")}) as server:
        message = download_error(target, [server.url], fake_hashes({LABELS: contents[LABELS]}))
    assert message.startswith(f"could not download {LABELS}; tried:\n"
                              f"  {server.url}{LABELS}: the server answered HTTP {status} {reason}\n")
    assert_says_where_to_put_the_files(message, target)


def test_every_mirror_tried_is_named(target, contents):
    with FileServer({"/a/" + LABELS: (404, b""), "/b/" + LABELS: (500, b"")}) as server:
        message = download_error(target, [server.url + "a/", server.url + "b/"],
                                 fake_hashes({LABELS: contents[LABELS]}))
    assert (f"tried:\n  {server.url}a/{LABELS}: the server answered HTTP 404 Not Found\n"
            f"  {server.url}b/{LABELS}: the server answered HTTP 500 Internal Server Error\n") in message


def test_unreachable_server_says_where_to_put_the_files(target, contents):
    url = closed_port_url()
    message = download_error(target, [url], fake_hashes({LABELS: contents[LABELS]}))
    assert f"{url}{LABELS}: could not connect (Connection refused); are you offline?" in message
    assert "HTTPConnection object at" not in message  # no urllib3 reprs with memory addresses
    assert_says_where_to_put_the_files(message, target)


def test_load_mnist_offline_fails_with_the_same_advice(target, contents):
    with pytest.raises(DownloadError) as info:
        load_mnist(target, mirrors=[closed_port_url()], files=fake_hashes(contents))
    assert_says_where_to_put_the_files(str(info.value), target)
    assert isinstance(info.value, ConnectionError)


def test_slow_server_times_out(target, contents):
    with FileServer(serve_gz(contents), delay=5) as server:
        message = download_error(target, [server.url], fake_hashes({LABELS: contents[LABELS]}), timeout=1)
    assert f"{server.url}{LABELS}: timed out: no data within 1 s (slow or unreachable server" in message


def test_server_stalling_mid_download_times_out_without_partial_file(target, contents):
    big = fake_mnist(n_train=200, n_test=1)
    name = "train-images-idx3-ubyte.gz"
    with FileServer(serve_gz(big), delay=5, stall_after_bytes=1000) as server:
        message = download_error(target, [server.url], {name: fake_hashes(big)[name]}, timeout=0.3)
    assert f"{server.url}{name}: timed out: no data within 0.3 s" in message


def test_interrupt_during_download_leaves_nothing_behind(target, contents, monkeypatch):
    def interrupt(self, n=1):
        raise KeyboardInterrupt

    monkeypatch.setattr(pooch.downloaders.tqdm, "update", interrupt)  # as if Ctrl-C came after the first chunk
    with FileServer(serve_gz(contents)) as server, pytest.raises(KeyboardInterrupt):
        download_mnist(target, mirrors=[server.url], files=fake_hashes(contents))
    assert list(target.iterdir()) == []


def test_no_mirrors_at_all(target, contents):
    message = download_error(target, [], fake_hashes({LABELS: contents[LABELS]}))
    assert message.startswith(f"could not download {LABELS}; tried:\n  (no mirrors given)\n")


def test_unwritable_data_folder_says_what_to_do(tmp_path, contents):
    blocker = tmp_path / "a-file"
    blocker.write_bytes(b"")  # a folder cannot be created inside a file, even by root
    with FileServer(serve_gz(contents)) as server, pytest.raises(OSError) as info:
        download_mnist(blocker / "mnist", mirrors=[server.url], files=fake_hashes(contents), progress=False)
    assert str(info.value) == (f"cannot write into the data folder {blocker / 'mnist'} (Not a directory); "
                               f"pass data_dir= or set NNLIB_DATA_DIR to a folder you can write to")
