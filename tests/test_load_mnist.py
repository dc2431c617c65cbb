"""load_mnist: the real shipped data, the options, where the files are found, and content verification."""
import gzip
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import nnlib.data as data
from mnist_fakes import fake_hashes, fake_mnist, idx_bytes, write_fake_mnist, write_file
from nnlib.data import MNIST_FILES, REPO_DATA_DIR, DataIntegrityError, IDXFormatError, load_mnist

MNIST_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
MNIST_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@pytest.fixture
def fake_dir(tmp_path, contents):
    return write_fake_mnist(tmp_path / "mnist", contents)


def load_fake(folder, contents, **options):
    return load_mnist(folder, files=fake_hashes(contents), download=False, **options)


# ----------------------------------------------------------------------------- the real data


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))
        patch.delenv("NNLIB_DATA_DIR", raising=False)
        return load_mnist()


def test_real_mnist_shapes_range_and_class_counts(real):
    assert real.X_train.shape == (60000, 784) and real.X_test.shape == (10000, 784)
    assert real.X_train.dtype == np.float64 and real.y_train.dtype == np.int64
    assert real.X_val is None and real.y_val is None
    for X in (real.X_train, real.X_test):
        assert X.min() == 0.0 and X.max() == 1.0
    assert np.bincount(real.y_train).tolist() == MNIST_TRAIN_COUNTS  # e.g. 6742 ones
    assert np.bincount(real.y_test).tolist() == MNIST_TEST_COUNTS  # e.g. 1135 ones
    assert real.y_train[:5].tolist() == [5, 0, 4, 1, 9]  # the famous first training digits
    assert real.y_test[:3].tolist() == [7, 2, 1]


def test_real_mnist_float32_one_hot_validation_split(real, tmp_path):
    split = load_mnist(one_hot=True, validation_size=10000, dtype=np.float32)
    assert split.X_train.shape == (50000, 784) and split.X_val.shape == (10000, 784)
    assert split.X_train.dtype == split.y_train.dtype == np.float32
    assert split.y_train.shape == (50000, 10) and split.y_val.shape == (10000, 10) and split.y_test.shape == (10000, 10)
    np.testing.assert_array_equal(split.X_val, real.X_train[50000:].astype(np.float32))
    np.testing.assert_array_equal(split.y_val.argmax(axis=1), real.y_train[50000:])
    counts = split.y_train.sum(axis=0) + split.y_val.sum(axis=0)
    assert counts.tolist() == MNIST_TRAIN_COUNTS


def test_shipped_files_are_where_the_default_points(monkeypatch):
    assert data.default_data_dir() == REPO_DATA_DIR
    assert all((REPO_DATA_DIR / name).is_file() for name in MNIST_FILES)


# ----------------------------------------------------------------------------- options (small stand-in data)


def test_fake_set_loads_scaled_flat_rows(fake_dir, contents):
    mnist = load_fake(fake_dir, contents)
    images = data.parse_idx(contents["train-images-idx3-ubyte.gz"])
    assert mnist.X_train.shape == (30, 784) and mnist.X_test.shape == (12, 784)
    np.testing.assert_array_equal(mnist.X_train, images.reshape(30, 784) / 255)
    assert mnist.y_train.tolist() == [i % 10 for i in range(30)]


def test_one_hot_rows_match_labels(fake_dir, contents):
    mnist = load_fake(fake_dir, contents, one_hot=True)
    assert mnist.y_train.shape == (30, 10) and mnist.y_test.shape == (12, 10)
    np.testing.assert_array_equal(mnist.y_train.argmax(axis=1), [i % 10 for i in range(30)])
    assert (mnist.y_train.sum(axis=1) == 1).all()


def test_validation_split_takes_the_last_rows(fake_dir, contents):
    whole = load_fake(fake_dir, contents)
    split = load_fake(fake_dir, contents, validation_size=10)
    np.testing.assert_array_equal(split.X_train, whole.X_train[:20])
    np.testing.assert_array_equal(split.X_val, whole.X_train[20:])
    np.testing.assert_array_equal(split.y_val, whole.y_train[20:])
    np.testing.assert_array_equal(split.X_test, whole.X_test)


def test_float32_option(fake_dir, contents):
    mnist = load_fake(fake_dir, contents, dtype=np.float32, one_hot=True)
    assert mnist.X_train.dtype == mnist.X_test.dtype == mnist.y_test.dtype == np.float32
    assert mnist.X_train.max() <= 1.0


@pytest.mark.parametrize("size, expected", [
    (-1, "validation_size must be between 0 and 29 (there are 30 training examples), got -1"),
    (30, "validation_size must be between 0 and 29 (there are 30 training examples), got 30"),
    (0.2, "validation_size must be a whole number of examples, e.g. 10000, got 0.2"),
])
def test_bad_validation_size(fake_dir, contents, size, expected):
    with pytest.raises(ValueError) as info:
        load_fake(fake_dir, contents, validation_size=size)
    assert str(info.value) == expected


def test_integer_dtype_is_refused(fake_dir, contents):
    with pytest.raises(ValueError, match="dtype must be a floating-point type such as np.float64 or "
                                         "np.float32 .pixels are scaled to .0, 1.., got int32"):
        load_fake(fake_dir, contents, dtype=np.int32)


def test_files_must_name_the_four_mnist_files(fake_dir):
    with pytest.raises(ValueError, match=r"files must map exactly the four MNIST file names"):
        load_mnist(fake_dir, files={"train-images-idx3-ubyte.gz": "0" * 64})


def test_repr_shows_shapes_not_pixels(fake_dir, contents):
    text = repr(load_fake(fake_dir, contents, validation_size=10))
    assert text == ("MNIST(X_train=<20x784 float64>, y_train=<20 int64>, X_val=<10x784 float64>, "
                    "y_val=<10 int64>, X_test=<12x784 float64>, y_test=<12 int64>)")


# ----------------------------------------------------------------------------- where the data is found


def test_environment_variable_overrides_the_default(fake_dir, contents, monkeypatch):
    monkeypatch.setenv("NNLIB_DATA_DIR", str(fake_dir))
    assert data.default_data_dir() == fake_dir
    assert load_mnist(files=fake_hashes(contents)).X_train.shape == (30, 784)


def test_argument_overrides_the_environment_variable(fake_dir, contents, tmp_path, monkeypatch):
    monkeypatch.setenv("NNLIB_DATA_DIR", str(tmp_path / "elsewhere"))
    assert load_fake(fake_dir, contents).X_test.shape == (12, 784)


def run_python(code, cwd, **env):
    environment = {key: value for key, value in os.environ.items() if key != "NNLIB_DATA_DIR"}
    environment.update(env)
    result = subprocess.run([sys.executable, "-c", code], cwd=cwd, env=environment, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_default_is_the_repository_folder_from_any_working_directory(tmp_path):
    code = ("from nnlib.data import default_data_dir, read_idx\n"
            "folder = default_data_dir()\n"
            "print(folder, read_idx(folder / 't10k-labels-idx1-ubyte.gz').shape)")
    output = run_python(code, cwd=tmp_path, XDG_CACHE_HOME=str(tmp_path / "cache"))
    assert output == f"{REPO_DATA_DIR} (10000,)"


def test_missing_files_without_download_say_which_and_where(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(FileNotFoundError) as info:
        load_mnist(empty, download=False)
    message = str(info.value)
    assert message.startswith(f"MNIST files missing from {empty}: train-images-idx3-ubyte.gz, "
                              f"train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz.")
    assert "Put the four MNIST .gz files there (the nnlib repository ships them in data/mnist/" in message
    assert "set NNLIB_DATA_DIR" in message and "load_mnist(download=True)" in message
    assert list(empty.iterdir()) == []


def test_one_missing_file_is_named_alone(fake_dir, contents):
    (fake_dir / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(FileNotFoundError, match=r"missing from .*: t10k-labels-idx1-ubyte.gz\. Put"):
        load_fake(fake_dir, contents)


# ----------------------------------------------------------------------------- broken data sets


def test_images_and_labels_count_mismatch(fake_dir, contents):
    labels = np.arange(29, dtype=np.uint8) % 10
    write_file(fake_dir / "train-labels-idx1-ubyte.gz", idx_bytes(labels))
    contents["train-labels-idx1-ubyte.gz"] = idx_bytes(labels)
    with pytest.raises(IDXFormatError) as info:
        load_fake(fake_dir, contents)
    assert str(info.value) == (f"{fake_dir / 'train-images-idx3-ubyte.gz'} holds 30 images but "
                               f"{fake_dir / 'train-labels-idx1-ubyte.gz'} holds 29 labels; "
                               f"the pair must have one label per image")


def test_swapped_images_and_labels(fake_dir, contents):
    images, labels = "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"
    (fake_dir / images).rename(fake_dir / "tmp")
    (fake_dir / labels).rename(fake_dir / images)
    (fake_dir / "tmp").rename(fake_dir / labels)
    with pytest.raises(IDXFormatError, match=r"expected 3-D images and 1-D labels, got shape \(12,\) .* "
                                             r"\(12, 28, 28\) .*are the two files swapped\?"):
        load_mnist(fake_dir, verify=False, download=False)


def test_wrong_content_says_how_to_repair(fake_dir, contents):
    other = fake_mnist(n_train=30, n_test=12, seed=1)["train-images-idx3-ubyte.gz"]
    path = write_file(fake_dir / "train-images-idx3-ubyte.gz", other)
    with pytest.raises(DataIntegrityError) as info:
        load_fake(fake_dir, contents)
    message = str(info.value)
    expected = fake_hashes(contents)["train-images-idx3-ubyte.gz"]
    assert message.startswith(f"{path}: content does not match the pinned SHA-256 (expected {expected[:16]}..., got")
    assert "damaged or is not the official MNIST file" in message
    assert "git checkout -- data/mnist" in message and "delete the file and call load_mnist() again" in message


def test_verify_false_skips_the_content_check(fake_dir, contents):
    wrong = {name: "0" * 64 for name in contents}
    assert load_mnist(fake_dir, files=wrong, verify=False, download=False).X_train.shape == (30, 784)


def test_recompressed_file_with_same_content_is_accepted(fake_dir, contents):
    name = "train-images-idx3-ubyte.gz"
    recompressed = gzip.compress(contents[name], compresslevel=1, mtime=12345)
    assert recompressed != (fake_dir / name).read_bytes()
    (fake_dir / name).write_bytes(recompressed)
    assert load_fake(fake_dir, contents).X_train.shape == (30, 784)


def test_real_hashes_reject_the_fake_set(fake_dir):
    with pytest.raises(DataIntegrityError, match="train-images-idx3-ubyte.gz: content does not match"):
        load_mnist(fake_dir, download=False)


# ----------------------------------------------------------------------------- the verification cache


@pytest.fixture
def hash_calls(monkeypatch):
    """Count how often file content is hashed."""
    calls = []
    original = data.content_sha256

    def counting(content):
        calls.append(len(content))
        return original(content)

    monkeypatch.setattr(data, "content_sha256", counting)
    return calls


def test_second_load_does_not_hash_again(fake_dir, contents, hash_calls, tmp_path):
    load_fake(fake_dir, contents)
    assert len(hash_calls) == 4
    load_fake(fake_dir, contents)
    assert len(hash_calls) == 4
    cache = json.loads((tmp_path / "cache" / "nnlib" / "verified.json").read_text())
    assert set(cache) == {str((fake_dir / name).resolve()) for name in contents}


def test_file_with_new_mtime_is_verified_again(fake_dir, contents, hash_calls):
    load_fake(fake_dir, contents)
    path = fake_dir / "t10k-labels-idx1-ubyte.gz"
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    load_fake(fake_dir, contents)
    assert len(hash_calls) == 5


def test_modified_file_is_verified_again_and_rejected(fake_dir, contents, hash_calls):
    load_fake(fake_dir, contents)
    name = "t10k-labels-idx1-ubyte.gz"
    write_file(fake_dir / name, idx_bytes(np.zeros(12, np.uint8)))  # same size of content, new bytes
    with pytest.raises(DataIntegrityError, match=f"{name}: content does not match"):
        load_fake(fake_dir, contents)


def test_cache_keeps_one_entry_per_file(fake_dir, contents, tmp_path):
    load_fake(fake_dir, contents)
    path = fake_dir / "t10k-labels-idx1-ubyte.gz"
    os.utime(path, ns=(0, 10**18))
    load_fake(fake_dir, contents)
    cache = json.loads((tmp_path / "cache" / "nnlib" / "verified.json").read_text())
    assert len(cache) == 4 and cache[str(path.resolve())][1] == 10**18


def test_unwritable_cache_location_only_means_verifying_again(fake_dir, contents, hash_calls, tmp_path,
                                                               monkeypatch):
    blocker = write_file(tmp_path / "not-a-folder", b"")  # mkdir under a file fails, even for root
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker / "cache"))
    load_fake(fake_dir, contents)
    load_fake(fake_dir, contents)
    assert len(hash_calls) == 8


def test_corrupt_cache_file_is_ignored(fake_dir, contents, hash_calls, tmp_path):
    cache_file = tmp_path / "cache" / "nnlib" / "verified.json"
    cache_file.parent.mkdir(parents=True)
    cache_file.write_text("{not json")
    load_fake(fake_dir, contents)
    load_fake(fake_dir, contents)
    assert len(hash_calls) == 4 and len(json.loads(cache_file.read_text())) == 4


def test_cache_location_follows_xdg_and_ignores_a_relative_value(tmp_path, monkeypatch):
    assert data._cache_root() == tmp_path / "cache" / "nnlib"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert data._cache_root() == tmp_path / "home" / ".cache" / "nnlib"


def test_verify_file_checks_one_file(fake_dir, contents, hash_calls):
    name = "train-labels-idx1-ubyte.gz"
    data.verify_file(fake_dir / name, fake_hashes(contents)[name])
    with pytest.raises(DataIntegrityError):
        data.verify_file(fake_dir / "t10k-labels-idx1-ubyte.gz", fake_hashes(contents)[name])
    assert data.sha256_of_content(fake_dir / name) == fake_hashes(contents)[name]
