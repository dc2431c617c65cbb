"""Data folders that are not folders, and data files that are not files: a clear error naming the path and
what to do, from the library (the CLI turns these into one line, see test_hostile_cli.py)."""
import pytest

from nnlib.data import download_mnist, load_mnist, read_idx

DEAD_MIRROR = "http://127.0.0.1:9/"


@pytest.mark.parametrize("download", [True, False])
def test_nnlib_data_dir_naming_a_file(tmp_path, monkeypatch, download):
    data = tmp_path / "mnist"
    data.write_text("oops, a file")
    monkeypatch.setenv("NNLIB_DATA_DIR", str(data))
    with pytest.raises(NotADirectoryError, match=rf"the MNIST data folder {data} \(from \$NNLIB_DATA_DIR\) is a "
                                                 r"file, not a folder; point it at a folder for the MNIST files"):
        load_mnist(download=download, mirrors=(DEAD_MIRROR,))
    assert data.read_text() == "oops, a file"


@pytest.mark.parametrize("call", [
    lambda data: load_mnist(data, mirrors=(DEAD_MIRROR,)),
    lambda data: load_mnist(data, download=False),
    lambda data: download_mnist(data, mirrors=(DEAD_MIRROR,)),
], ids=["load", "load-no-download", "download"])
def test_a_data_dir_argument_naming_a_file(tmp_path, call):
    data = tmp_path / "mnist.gz"
    data.write_bytes(b"\x1f\x8b not a folder")
    with pytest.raises(NotADirectoryError, match=rf"the MNIST data folder {data} is a file, not a folder; point "
                                                 r"data_dir at a folder for the MNIST files"):
        call(data)


def test_a_data_file_that_is_a_folder(tmp_path):
    folder = tmp_path / "train-images-idx3-ubyte.gz"
    folder.mkdir()
    with pytest.raises(IsADirectoryError, match=rf"{folder}: cannot read this data file \(Is a directory\); "
                                                r"replace it with a readable copy of the file"):
        read_idx(folder)


def test_a_symlink_planted_in_the_cache_folder_cannot_redirect_the_verification_cache(tmp_path, contents):
    """The verification cache used to be written through <cache>/verified.json.<pid>.tmp, a name anyone who
    can write the cache folder can predict and plant a symlink at."""
    import os

    from mnist_fakes import fake_hashes, write_fake_mnist
    cache = tmp_path / "cache" / "nnlib"
    cache.mkdir(parents=True)
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    (cache / f"verified.json.{os.getpid()}.tmp").symlink_to(victim)
    load_mnist(write_fake_mnist(tmp_path / "data", contents), files=fake_hashes(contents))
    assert victim.read_text() == "precious"
    assert (cache / "verified.json").is_file() and not (cache / "verified.json").is_symlink()
