"""The nnlib command line: argument parsing, one-line errors with exit code 2, and a tiny end-to-end run
(train on a few hundred real MNIST images, save, evaluate, predict on an upscaled PNG of a test digit)."""
import gzip
import re
import struct
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from nnlib import Network, load_network, save_network
from nnlib.cli import build_parser, config_from_args, main
from nnlib.data import REPO_DATA_DIR, read_idx
from nnlib.presets import PRESETS

N_TRAIN, N_TEST = 300, 100


def write_idx(path, array):
    """Write a uint8 array as a gzip-compressed IDX file (type 0x08), the format MNIST ships in."""
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    with gzip.open(path, "wb", compresslevel=1) as handle:
        handle.write(header + array.astype(np.uint8).tobytes())


@pytest.fixture(scope="module")
def test_digits():
    images = read_idx(REPO_DATA_DIR / "t10k-images-idx3-ubyte.gz")
    labels = read_idx(REPO_DATA_DIR / "t10k-labels-idx1-ubyte.gz")
    return images[:N_TRAIN + N_TEST], labels[:N_TRAIN + N_TEST]


@pytest.fixture(scope="module")
def small_mnist(tmp_path_factory, test_digits):
    """A data folder in MNIST's file layout: 300 'training' and 100 'test' images from the real test set."""
    folder = tmp_path_factory.mktemp("mnist")
    images, labels = test_digits
    for prefix, part in (("train", slice(0, N_TRAIN)), ("t10k", slice(N_TRAIN, None))):
        write_idx(folder / f"{prefix}-images-idx3-ubyte.gz", images[part])
        write_idx(folder / f"{prefix}-labels-idx1-ubyte.gz", labels[part])
    return folder


@pytest.fixture(scope="module")
def digit_png(tmp_path_factory, test_digits):
    """A test digit as a person would draw it: dark ink on white paper, upscaled to 100x100."""
    images, labels = test_digits
    path = tmp_path_factory.mktemp("png") / "digit.png"
    Image.fromarray(255 - images[N_TRAIN]).resize((100, 100), Image.Resampling.BILINEAR).save(path)
    return path


def run(argv, capsys):
    code = main([str(part) for part in argv])
    out, err = capsys.readouterr()
    return code, out, err


def assert_usage_error(argv, capsys, *fragments):
    code, out, err = run(argv, capsys)
    assert code == 2, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1, err          # one readable line ...
    assert "Traceback" not in err        # ... and no traceback
    for fragment in fragments:
        assert fragment in err, err
    return err


def parse_train(*flags):
    return build_parser().parse_args(["train", *flags])


# -- parsing ----------------------------------------------------------------------------------------------

def test_flags_become_a_configuration():
    args = parse_train("--layers", "784,50,20,10", "--activation", "tanh", "--optimizer", "adam", "--lr", "0.01",
                       "--beta1", "0.8", "--beta2", "0.99", "--dropout", "0.3", "--weight-decay", "1e-4",
                       "--schedule", "cosine", "--epochs", "7", "--batch-size", "64", "--seed", "5",
                       "--dtype", "float64", "--targets", "0.1,0.9", "--input-range", "0.01,1")
    config = config_from_args(args)
    assert config.layers == (784, 50, 20, 10) and config.activation == "tanh"
    assert (config.optimizer, config.lr, config.beta1, config.beta2) == ("adam", 0.01, 0.8, 0.99)
    assert (config.dropout, config.weight_decay, config.schedule) == (0.3, 1e-4, "cosine")
    assert (config.epochs, config.batch_size, config.seed, config.dtype) == (7, 64, 5, "float64")
    assert config.targets == (0.1, 0.9) and config.input_range == (0.01, 1.0)


def test_explicit_flags_override_the_preset_and_the_rest_comes_from_it():
    config = config_from_args(parse_train("--preset", "nielsen-30", "--epochs", "2", "--lr", "0.5"))
    preset = PRESETS["nielsen-30"].config
    assert (config.epochs, config.lr) == (2, 0.5)
    assert (config.layers, config.loss, config.batch_size, config.init) == \
           (preset.layers, preset.loss, preset.batch_size, preset.init)


def test_full_batch_is_spelled_full():
    assert config_from_args(parse_train("--batch-size", "full")).batch_size == "full"


@pytest.mark.parametrize("flags, fragment", [
    (["--layers", "784,abc"], "'784,abc' is not a comma-separated list"),
    (["--layers", "100,30,10"], "first layer must be 784"),
    (["--layers", "784,30,9"], "last layer must be 10"),
    (["--layers", "784"], "at least two"),
    (["--activation", "swish"], "invalid choice: 'swish'"),
    (["--optimizer", "adagrad"], "invalid choice: 'adagrad'"),
    (["--preset", "lenet"], "invalid choice: 'lenet'"),
    (["--lr", "-1"], "not a positive float"),
    (["--epochs", "0"], "not a positive int"),
    (["--batch-size", "lots"], "not a batch size"),
    (["--dropout", "1.5"], "not a number in [0, 1)"),
    (["--targets", "0.9,0.1"], "must be smaller"),
    (["--no-such-flag"], "unrecognized arguments"),
    (["--weight-decay", "-1"], "weight_decay must be >= 0"),       # found when the network is built
    (["--loss", "cross_entropy", "--output", "sigmoid"], "expects a softmax output"),
    (["--schedule", "cosine", "--lr-min", "-0.1"], "lr_min must be >= 0"),
])
def test_bad_train_arguments_are_one_line_and_exit_2(flags, fragment, capsys):
    err = assert_usage_error(["train", *flags], capsys, fragment, "error:")
    assert err.startswith("nnlib")


def test_cannot_save_into_a_missing_folder(tmp_path, capsys):
    assert_usage_error(["train", "--save", tmp_path / "no" / "model.npz"], capsys, "does not exist")


def test_help_exits_0(capsys):
    code, out, err = run(["train", "--help"], capsys)
    assert code == 0 and "--preset" in out and "--batch-size" in out


def test_no_command_prints_help_and_exits_2(capsys):
    code, out, err = run([], capsys)
    assert code == 2 and "train" in err


# -- errors with files ------------------------------------------------------------------------------------

def test_missing_model_file(tmp_path, capsys):
    assert_usage_error(["evaluate", tmp_path / "missing.npz"], capsys, "no such model file")


def test_a_file_that_is_not_a_model(tmp_path, capsys):
    path = tmp_path / "notes.npz"
    path.write_text("not a model")
    assert_usage_error(["evaluate", path], capsys, "nnlib model file")


def test_an_npz_that_is_not_an_nnlib_model(tmp_path, capsys):
    path = tmp_path / "other.npz"
    np.savez(path, weights=np.zeros(3))
    assert_usage_error(["predict", path, path], capsys, "not an nnlib model file")


def test_a_model_with_the_wrong_input_size(tmp_path, capsys, digit_png):
    path = save_network(Network([100, 30, 10]), tmp_path / "small.npz")
    assert_usage_error(["predict", path, digit_png], capsys, "100-30-10", "784 inputs")


def test_missing_image_and_non_image(tmp_path, capsys):
    model = save_network(Network([784, 10, 10]), tmp_path / "model.npz")
    assert_usage_error(["predict", model, tmp_path / "missing.png"], capsys, "no such image file")
    text = tmp_path / "digit.png"
    text.write_text("this is not a picture")
    assert_usage_error(["predict", model, text], capsys, "not an image file")


def test_blank_image(tmp_path, capsys):
    model = save_network(Network([784, 10, 10]), tmp_path / "model.npz")
    blank = tmp_path / "blank.png"
    Image.new("L", (50, 50), 255).save(blank)
    assert_usage_error(["predict", model, blank], capsys, "blank")


def test_python_dash_m_reports_errors_without_a_traceback(tmp_path):
    result = subprocess.run([sys.executable, "-m", "nnlib", "train", "--layers", "784,abc"],
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "784,abc" in result.stderr


# -- end to end on a few hundred images -------------------------------------------------------------------

def test_train_save_evaluate_predict(tmp_path, capsys, small_mnist, digit_png):
    model = tmp_path / "model.npz"
    code, out, err = run(["train", "--data-dir", small_mnist, "--layers", "784,32,10", "--epochs", "2",
                          "--batch-size", "20", "--optimizer", "adam", "--lr", "0.005", "--no-progress",
                          "--save", model], capsys)
    assert code == 0, err
    assert "Epoch 1: " in out and f" / {N_TEST}\n" in out and "Epoch 2: " in out and "Epoch 0: " not in out
    # without --validation-size no epoch is chosen: the test accuracy is the last epoch's
    assert re.search(r"Test accuracy [\d.]+% after 2 epochs \(no epoch chosen: that needs --validation-size\)",
                     out), out
    final = float(out.split("Test accuracy ")[1].split("%")[0]) / 100
    assert final > 0.5  # 2 epochs on 300 images: far above the 10% of guessing
    assert model.is_file()

    code, out, err = run(["evaluate", model, "--data-dir", small_mnist], capsys)
    assert code == 0, err
    assert f"Test accuracy: {final:.2%}" in out                   # the saved network is the trained one
    rows = [line.split() for line in out.splitlines()[3:]]
    assert [int(row[0]) for row in rows] == list(range(10))
    assert sum(int(row[3]) for row in rows) == N_TEST             # per-class totals add up

    code, out, err = run(["predict", model, digit_png], capsys)
    assert code == 0, err
    digit = int(out.split("Predicted digit: ")[1].split()[0])
    top = out.split("Top 3 (probabilities): ")[1].strip().split(", ")
    assert len(top) == 3 and int(top[0].split()[0]) == digit
    shares = [float(item.split()[1].rstrip("%")) for item in top]
    assert shares == sorted(shares, reverse=True) and 0 < sum(shares) <= 100.05


def test_input_scaling_is_folded_into_the_saved_network(tmp_path, capsys, small_mnist):
    """A network trained on pixels scaled to 0.01..1 (Rashid) is saved so that it takes plain [0, 1] pixels:
    evaluate must report exactly the accuracy seen at the end of training."""
    model = tmp_path / "rashid.npz"
    code, out, err = run(["train", "--preset", "rashid", "--data-dir", small_mnist, "--epochs", "1",
                          "--layers", "784,16,10", "--no-progress", "--save", model], capsys)
    assert code == 0, err
    assert "/quadratic" in out and "batch 1," in out
    trained = out.split("Test accuracy ")[1].split("%")[0]
    code, out, err = run(["evaluate", model, "--data-dir", small_mnist], capsys)
    assert f"Test accuracy: {trained}%" in out


def test_a_convolutional_network_trains_saves_evaluates_and_predicts(tmp_path, capsys, small_mnist, digit_png):
    model = tmp_path / "cnn.npz"
    code, out, err = run(["train", "--data-dir", small_mnist, "--features", "conv4x3p1,relu,pool2",
                          "--layers", "784,16,10", "--epochs", "2", "--batch-size", "20", "--lr", "0.005",
                          "--validation-size", "100", "--no-progress", "--save", model], capsys)
    assert code == 0, err
    assert "Training 784-[conv4x3p1,relu,pool2]-16-10 relu/cross_entropy" in out
    assert "on 200 training images, choosing the epoch on 100 validation images" in out
    tested = out.split("Test accuracy ")[1].split("%")[0]
    assert float(tested) > 30
    code, out, err = run(["evaluate", model, "--data-dir", small_mnist], capsys)
    assert code == 0, err
    assert f"Test accuracy: {tested}%" in out and "ConvNet(1x28x28 -> conv4x3p1,relu,pool2 -> 784-16-10" in out
    code, out, err = run(["predict", model, digit_png], capsys)
    assert code == 0, err
    assert "Predicted digit: " in out and "Top 3 (probabilities): " in out


def test_feature_flags_are_read_and_checked():
    assert parse_train("--features", "conv16x5p2, relu,pool2").features == "conv16x5p2,relu,pool2"
    assert config_from_args(parse_train("--preset", "cnn", "--features", "none")).features == ""
    assert config_from_args(parse_train("--preset", "cnn")).features == "conv16x5p2,relu,pool2,conv32x5p2,relu,pool2"


@pytest.mark.parametrize("flags, fragment", [
    (["--features", "conv16"], "cannot read the feature layer 'conv16': write convFxK"),
    (["--features", "conv0x3"], "filters must be a whole number >= 1, got 0"),
    (["--preset", "cnn", "--input-range", "0.1,1"], "use it with the default input range 0,1"),
    (["--features", "conv8x29"], "the feature layers do not fit a 28x28 image"),
])
def test_bad_feature_flags_are_one_line_and_exit_2(flags, fragment, capsys):
    assert_usage_error(["train", *flags], capsys, fragment)


def test_a_convnet_for_other_images_is_refused_by_name(tmp_path, capsys):
    from nnlib.convnet import ConvNet, parse_features
    path = save_network(ConvNet(parse_features("conv2x3,relu"), [10], input_shape=(4, 14, 14)), tmp_path / "m.npz")
    assert_usage_error(["evaluate", path], capsys, "takes images of 4x14x14", "MNIST digits are 1x28x28")


def test_presets_command_lists_every_preset(capsys):
    code, out, err = run(["presets"], capsys)
    assert code == 0
    for name, preset in PRESETS.items():
        assert f"nnlib train --preset {name}" in out
        assert preset.source_accuracy in out


# -- batch normalization -------------------------------------------------------------------------------

def test_batch_norm_flag_reaches_the_network_and_the_summary():
    config = config_from_args(parse_train("--batch-norm", "--layers", "784,20,10"))
    assert config.batch_norm and "batch norm" in config.summary()
    assert not config_from_args(parse_train()).batch_norm
    from nnlib.presets import build_network
    assert build_network(config).batch_norm and len(build_network(config).gammas) == 1


def test_batch_norm_with_batches_of_one_is_a_one_line_error(capsys):
    assert_usage_error(["train", "--batch-norm", "--batch-size", "1"], capsys, "batch norm", "batch size 1")
    assert_usage_error(["train", "--preset", "rashid", "--batch-norm"], capsys, "batch size 1")


def test_train_save_evaluate_with_batch_norm(tmp_path, capsys, small_mnist):
    model = tmp_path / "bn.npz"
    code, out, err = run(["train", "--data-dir", small_mnist, "--layers", "784,32,32,10", "--batch-norm",
                          "--epochs", "2", "--batch-size", "23", "--optimizer", "adam", "--lr", "0.01",
                          "--no-progress", "--save", model], capsys)   # 300 = 13 * 23 + 1: a last row of one
    assert code == 0, err
    assert "batch norm" in out
    final = out.split("Test accuracy ")[1].split("%")[0]
    assert float(final) > 50
    net = load_network(model)
    assert net.batch_norm and not np.allclose(net.bn_states[0].mean, 0)
    code, out, err = run(["evaluate", model, "--data-dir", small_mnist], capsys)
    assert code == 0, err
    assert f"Test accuracy: {final}%" in out and "batch_norm=True" in out
