"""The nnlib command on hostile and broken input: every error is one line on stderr and exit code 2, never a
traceback; --save is checked before training; predictions are never NaN or silently reordered."""
import functools
import gzip
import json
import struct
import sys
import tempfile

import numpy as np
import pytest
from PIL import Image

import nnlib.cli
from hostile_tools import run_limited
from nnlib import Network, save_network
from nnlib.cli import main
from nnlib.data import REPO_DATA_DIR, load_mnist, read_idx

DEAD_MIRROR = "http://127.0.0.1:9/"   # the discard port: connection refused, at once


def write_idx(path, array):
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    with gzip.open(path, "wb", compresslevel=1) as handle:
        handle.write(header + array.astype(np.uint8).tobytes())


@pytest.fixture(scope="module")
def tiny_mnist(tmp_path_factory):
    """A data folder in MNIST's layout: 60 'training' and 20 'test' images from the real test set."""
    folder = tmp_path_factory.mktemp("mnist")
    images = read_idx(REPO_DATA_DIR / "t10k-images-idx3-ubyte.gz")[:80]
    labels = read_idx(REPO_DATA_DIR / "t10k-labels-idx1-ubyte.gz")[:80]
    for prefix, part in (("train", slice(0, 60)), ("t10k", slice(60, None))):
        write_idx(folder / f"{prefix}-images-idx3-ubyte.gz", images[part])
        write_idx(folder / f"{prefix}-labels-idx1-ubyte.gz", labels[part])
    return folder


@pytest.fixture(scope="module")
def digit_png(tmp_path_factory):
    """Test digit 0 of MNIST as dark ink on white paper, 84x84."""
    image = read_idx(REPO_DATA_DIR / "t10k-images-idx3-ubyte.gz")[0]
    path = tmp_path_factory.mktemp("png") / "digit.png"
    Image.fromarray(255 - image).resize((84, 84), Image.Resampling.BILINEAR).save(path)
    return path


def run(argv, capsys):
    code = main([str(part) for part in argv])
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(argv, capsys, *fragments):
    code, out, err = run(argv, capsys)
    assert code == 2, (out, err)
    # "downloading URL" lines are progress, printed before an offline download fails; the error is one line
    lines = [line for line in err.strip().splitlines() if not line.startswith("downloading ")]
    assert len(lines) == 1 and "Traceback" not in err, err
    for fragment in fragments:
        assert fragment in err, err
    return out, err


def train_flags(data, *extra):
    return ["train", "--data-dir", data, "--layers", "784,16,10", "--epochs", "1", "--batch-size", "20",
            "--no-progress", *extra]


# -- --save is checked before training ------------------------------------------------------------------

def existing_model(tmp_path):
    path = save_network(Network([784, 10, 10], seed=5), tmp_path / "model.npz")
    return path, path.read_bytes()


@pytest.mark.parametrize("case", ["folder", "read-only file", "parent is a file", "unwritable folder"])
def test_an_unwritable_save_target_is_refused_before_training(tmp_path, capsys, tiny_mnist, monkeypatch, case):
    target, before = existing_model(tmp_path)
    message = {"folder": f"cannot save the network to {tmp_path}: it is a folder",
               "read-only file": f"cannot save the network to {target}: the file is read-only",
               "parent is a file": f"cannot save the network to {target}/m.npz: {target} is a file, not a folder",
               "unwritable folder": f"cannot save the network to {target}: Permission denied; the folder "
                                    f"{tmp_path} is not writable"}[case]
    save = {"folder": tmp_path, "parent is a file": target / "m.npz"}.get(case, target)
    if case == "read-only file":
        target.chmod(0o444)
    if case == "unwritable folder":   # as root every folder is writable: simulate the refusal where it happens
        def refuse(*args, dir=None, **kwargs):
            raise PermissionError(13, "Permission denied", f"{dir}/.nnlib-xyz.tmp")
        monkeypatch.setattr(tempfile, "mkstemp", refuse)
    out, err = one_line_error(train_flags(tiny_mnist, "--save", save), capsys, message)
    assert "Training" not in out                     # refused before a single epoch was spent
    assert target.read_bytes() == before


def test_a_save_that_fails_after_training_is_one_line_and_keeps_the_old_model(tmp_path, tiny_mnist):
    """A real failed write after training (files capped at 64 KB in the child: the model needs 50 KB of
    weights plus the zip, so the pre-training check passes and the final write fails, like a full disk)."""
    target = save_network(Network([784, 10], seed=3), tmp_path / "model.npz")
    before = target.read_bytes()
    result = run_limited(f"""
        import sys
        from nnlib.cli import main
        sys.exit(main({[str(part) for part in train_flags(tiny_mnist, "--layers", "784,30,10", "--save", target)]!r}))
    """, file_size=64_000)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip() == (f"nnlib train: error: training finished but cannot save the network to "
                                     f"{target}: File too large")
    assert "Test accuracy" in result.stdout
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.npz"]


# -- data folders and downloads -----------------------------------------------------------------------------

def offline(monkeypatch):
    monkeypatch.setattr(nnlib.cli, "load_mnist", functools.partial(load_mnist, mirrors=(DEAD_MIRROR,)))


@pytest.mark.parametrize("command", ["train", "evaluate"])
def test_offline_without_data_is_one_line(tmp_path, capsys, monkeypatch, command):
    monkeypatch.setenv("NNLIB_DATA_DIR", str(tmp_path / "empty"))
    offline(monkeypatch)
    model, _ = existing_model(tmp_path)
    argv = ["train", "--epochs", "1"] if command == "train" else ["evaluate", model]
    one_line_error(argv, capsys, "could not download train-images-idx3-ubyte.gz; tried:; "
                                 f"{DEAD_MIRROR}train-images-idx3-ubyte.gz: could not connect",
                   f"copy the MNIST .gz files", str(tmp_path / "empty"))


@pytest.mark.parametrize("command", ["train", "evaluate"])
def test_a_data_folder_that_is_a_file_is_one_line(tmp_path, capsys, monkeypatch, command):
    data = tmp_path / "data"
    data.write_text("not a folder")
    monkeypatch.setenv("NNLIB_DATA_DIR", str(data))
    offline(monkeypatch)
    model, _ = existing_model(tmp_path)
    argv = ["train", "--epochs", "1"] if command == "train" else ["evaluate", model]
    one_line_error(argv, capsys, f"the MNIST data folder {data} (from $NNLIB_DATA_DIR) is a file, not a folder")


@pytest.mark.parametrize("command", ["train", "evaluate"])
def test_an_unwritable_data_folder_is_one_line(tmp_path, capsys, monkeypatch, command):
    data = tmp_path / "data"
    monkeypatch.setenv("NNLIB_DATA_DIR", str(data))
    offline(monkeypatch)
    model, _ = existing_model(tmp_path)

    def refuse(*args, dir=None, **kwargs):   # root writes anywhere: simulate the folder's refusal
        raise PermissionError(13, "Permission denied", f"{dir}/.part")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    argv = ["train", "--epochs", "1"] if command == "train" else ["evaluate", model]
    one_line_error(argv, capsys, f"cannot write into the data folder {data} (Permission denied)")


def test_a_data_dir_flag_naming_a_file_is_one_line(tmp_path, capsys):
    data = tmp_path / "data.gz"
    data.write_bytes(b"\x1f\x8b")
    one_line_error(train_flags(data), capsys, f"the MNIST data folder {data} is a file, not a folder")


def test_a_data_file_that_is_a_folder_is_one_line(tmp_path, capsys, tiny_mnist):
    data = tmp_path / "data"
    data.mkdir()
    for path in tiny_mnist.iterdir():
        (data / path.name).write_bytes(path.read_bytes())
    (data / "t10k-labels-idx1-ubyte.gz").unlink()
    (data / "t10k-labels-idx1-ubyte.gz").mkdir()
    one_line_error(train_flags(data), capsys, f"{data / 't10k-labels-idx1-ubyte.gz'}: cannot read this data file "
                                              f"(Is a directory)")


# -- flags: nan, inf and negative values name the flag ------------------------------------------------------

@pytest.mark.parametrize("flag, value", [
    ("--lr", "inf"), ("--step-drop", "inf"), ("--weight-decay", "nan"),
    ("--weight-decay", "inf"), ("--lr-min", "nan"), ("--lr-min", "inf"), ("--seed", "-1"),
    ("--input-range", "-inf,inf"), ("--input-range", "nan,1"), ("--targets", "0,inf"),
])
def test_nan_inf_and_negative_values_name_the_flag(tmp_path, capsys, flag, value):
    _, err = one_line_error(["train", "--data-dir", tmp_path / "none", f"{flag}={value}"], capsys,
                            f"argument {flag}: '{value}'")
    assert "finite" in err or "non-negative" in err or "positive" in err


def test_a_network_too_large_for_memory_is_one_line(tmp_path):
    result = run_limited(f"""
        import sys
        from nnlib.cli import main
        sys.exit(main(["train", "--data-dir", {str(tmp_path)!r}, "--layers", "784,100000000,10"]))
    """, memory_mb=1500)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip() == ("nnlib train: error: not enough memory; use smaller --layers or a smaller "
                                     "--train-size")


# -- predict: outputs that are not probabilities ------------------------------------------------------------

def model_with_outputs(tmp_path, output, biases, loss="quadratic", weights=0.0):
    """A 784-10 network whose outputs are f(biases) for any image (zero weights): known scores."""
    net = Network([784, 10], loss=loss, output=output)
    net.weights[0][...] = weights
    net.biases[0][...] = biases
    return save_network(net, tmp_path / f"{output}.npz")


@pytest.mark.parametrize("output, biases, expected", [
    # tanh outputs summing to a negative number: dividing by the sum reversed the ranking
    ("tanh", [-0.9, -0.8, -0.7, -0.6, -0.5, -0.4, -0.3, -0.2, -0.1, 0.3], "Top 3 (tanh outputs): 9 0.2913, 8 -0.09967, 7 -0.1974"),
    # identity outputs summing to 0: the division gave nan and inf
    ("identity", [-4.5, -3.5, -2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5, 4.5], "Top 3 (identity outputs): 9 4.5, 8 3.5, 7 2.5"),
    # sigmoid outputs that are all 0 (saturated): the division gave 0/0
    ("sigmoid", [-800.0] * 10, "Top 3 (sigmoid outputs): 0 0, 1 0, 2 0"),
])
def test_predict_ranks_scores_as_they_are(tmp_path, capsys, digit_png, output, biases, expected):
    model = model_with_outputs(tmp_path, output, biases)
    code, out, err = run(["predict", model, digit_png], capsys)
    assert code == 0, err
    assert out.splitlines() == [f"Predicted digit: {expected.split(': ')[1][0]}", expected]
    assert "nan" not in out and "inf" not in out


def test_outputs_that_overflow_are_an_error_not_nan(tmp_path, capsys, digit_png, tiny_mnist):
    model = model_with_outputs(tmp_path, "identity", 0.0, weights=1e308)
    one_line_error(["predict", model, digit_png], capsys, f"{model}: the network's outputs overflow to nan or inf")
    one_line_error(["evaluate", model, "--data-dir", tiny_mnist], capsys, "outputs overflow to nan or inf")


def write_model_with_nan(path):
    meta = {"format": "nnlib-network", "version": 1, "dtype": "float64", "sizes": [784, 10], "activation": "sigmoid",
            "loss": "cross_entropy", "output": "softmax", "init": "scaled_normal", "seed": 0, "dropout": 0.0,
            "weight_decay": 0.0}
    W = np.zeros((784, 10))
    W[3, 9] = np.nan
    with open(path, "wb") as handle:
        np.savez(handle, meta=np.array(json.dumps(meta)), W0=W, b0=np.zeros(10))
    return path


@pytest.mark.parametrize("command", ["predict", "evaluate"])
def test_a_model_with_nan_weights_is_refused(tmp_path, capsys, digit_png, tiny_mnist, command):
    model = write_model_with_nan(tmp_path / "nan.npz")
    argv = ["predict", model, digit_png] if command == "predict" else ["evaluate", model, "--data-dir", tiny_mnist]
    one_line_error(argv, capsys, f"{model}: W0 contains nan or infinite values (first at index (3, 9))")


# -- predict: files that are not what they seem -------------------------------------------------------------

def test_a_folder_given_as_the_model_or_the_image(tmp_path, capsys, digit_png):
    one_line_error(["predict", tmp_path, digit_png], capsys, f"{tmp_path}: is a folder, not a model file")
    model, _ = existing_model(tmp_path)
    one_line_error(["predict", model, tmp_path], capsys, f"{tmp_path}: is a folder, not an image file")


def test_a_decompression_bomb_image_is_one_line(tmp_path, capsys):
    model, _ = existing_model(tmp_path)
    bomb = tmp_path / "bomb.png"
    Image.new("1", (16384, 16384)).save(bomb)           # 268 million pixels in a 40 KB file
    assert bomb.stat().st_size < 100_000
    one_line_error(["predict", model, bomb], capsys, f"{bomb}: refused as a possible decompression bomb",
                   "268435456 pixels")


@pytest.mark.parametrize("suffix", [".png", ".jpg"])
def test_predict_honours_exif_orientation(tmp_path, capsys, digit_png, suffix):
    """The same digit stored rotated by 90 degrees with EXIF Orientation 6 ('rotate 90 clockwise to view'):
    predict must see the upright digit, so its output equals that of the upright file."""
    model = save_network(Network([784, 30, 10], seed=7), tmp_path / "model.npz")
    upright = Image.open(digit_png).convert("L")
    stored = upright.transpose(Image.Transpose.ROTATE_90)   # what a camera held sideways writes
    exif = Image.Exif()
    exif[0x0112] = 6
    tagged, untagged = tmp_path / f"tagged{suffix}", tmp_path / f"untagged{suffix}"
    stored.save(tagged, exif=exif.tobytes())
    stored.save(untagged)
    # The upright reference: for PNG the original pixels; for JPEG the stored file's decoded pixels turned
    # upright by hand (JPEG is lossy, so the reference must start from the same compressed data).
    reference = tmp_path / "upright.png"
    (upright if suffix == ".png" else Image.open(untagged).transpose(Image.Transpose.ROTATE_270)).save(reference)
    outputs = {name: run(["predict", model, path], capsys)[1]
               for name, path in (("tagged", tagged), ("untagged", untagged), ("upright", reference))}
    assert outputs["untagged"] != outputs["upright"]      # the network can tell the orientations apart ...
    assert outputs["tagged"] == outputs["upright"]        # ... and sees the tagged file upright


def test_errors_never_print_a_traceback_through_python_dash_m(tmp_path):
    data = tmp_path / "data"
    data.write_text("a file")
    import subprocess
    result = subprocess.run([sys.executable, "-m", "nnlib", "train", "--data-dir", str(data)], capture_output=True,
                            text=True)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip() == f"nnlib train: error: the MNIST data folder {data} is a file, not a folder; " \
                                    f"point data_dir at a folder for the MNIST files"
