"""`nnlib train --validation-size N` chooses the epoch on validation images held out of the training set and
uses the test set once, at the end; `--augment` distorts the training batches; the benchmark that writes
the README's preset table reads both kinds of final line."""
import importlib.util
from pathlib import Path

import numpy as np
import pytest

from nnlib.cli import build_parser, config_from_args, main
from nnlib.presets import Augmentation, Config, build_augmentation, get_preset

from test_cli import N_TEST, small_mnist, test_digits  # noqa: F401  (fixtures: a 300 + 100 image MNIST)

BENCH = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_presets.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_presets", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(argv, capsys):
    code = main([str(part) for part in argv])
    out, err = capsys.readouterr()
    return code, out, err


TINY = ["--layers", "784,32,10", "--epochs", "4", "--batch-size", "20", "--optimizer", "adam", "--lr", "0.005",
        "--no-progress"]


def test_with_a_validation_set_the_epoch_is_chosen_on_it_and_the_test_set_is_used_once(capsys, small_mnist,
                                                                                        bench):
    code, out, err = run(["train", "--data-dir", small_mnist, *TINY, "--validation-size", "100"], capsys)
    assert code == 0, err
    assert "on 200 training images, choosing the epoch on 100 validation images" in out
    epoch_lines = [line for line in out.splitlines() if line.startswith("Epoch ")]
    assert len(epoch_lines) == 4 and all(line.endswith(" / 100") for line in epoch_lines)  # validation counts
    match = bench.FINAL_LINE.search(out)
    assert match and match["ran"] == "4" and match["epochs"] is None
    # the chosen epoch is the one with the most correct validation images (the first of equals)
    correct = [int(line.split(": ")[1].split(" / ")[0]) for line in epoch_lines]
    assert int(match["chosen"]) == int(np.argmax(correct)) + 1
    assert float(match["val"]) == pytest.approx(max(correct), abs=0.005)
    assert "chosen on validation" in bench.describe_result(match)


def test_the_saved_network_is_the_chosen_epochs(tmp_path, capsys, small_mnist, bench):
    model = tmp_path / "model.npz"
    code, out, err = run(["train", "--data-dir", small_mnist, *TINY, "--validation-size", "100",
                          "--save", model], capsys)
    assert code == 0, err
    test = bench.FINAL_LINE.search(out)["test"]
    code, out, err = run(["evaluate", model, "--data-dir", small_mnist], capsys)
    assert f"Test accuracy: {test}%" in out


def test_patience_stops_early(capsys, small_mnist, bench):
    code, out, err = run(["train", "--data-dir", small_mnist, *TINY, "--epochs", "40", "--lr", "0.02",
                          "--validation-size", "100", "--patience", "1"], capsys)
    assert code == 0, err
    match = bench.FINAL_LINE.search(out)
    assert match["early"] and int(match["ran"]) < 40 and int(match["ran"]) == int(match["chosen"]) + 1


def test_without_a_validation_set_no_epoch_is_chosen(capsys, small_mnist, bench):
    code, out, err = run(["train", "--data-dir", small_mnist, *TINY], capsys)
    assert code == 0, err
    assert "no epoch chosen" in out and "best" not in out
    match = bench.FINAL_LINE.search(out)
    assert match["epochs"] == "4" and bench.describe_result(match) == f"{match['test']}% after 4 epochs"


def test_augment_flags_reach_the_augmentation(capsys, small_mnist):
    args = build_parser().parse_args(["train", "--augment", "elastic", "--max-shift", "1.5", "--max-degrees", "5",
                                      "--max-scale", "0.05", "--elastic-alpha", "20", "--elastic-sigma", "5"])
    augmentation = build_augmentation(config_from_args(args))
    assert augmentation == Augmentation(max_shift=1.5, max_degrees=5, max_scale=0.05, alpha=20, sigma=5)
    affine = build_augmentation(Config(augment="affine"))
    assert affine.alpha == 0 and affine.max_shift > 0
    assert build_augmentation(Config()) is None
    code, out, err = run(["train", "--data-dir", small_mnist, *TINY, "--epochs", "1", "--augment", "affine"],
                         capsys)
    assert code == 0, err
    assert "affine augmentation" in out


def test_the_augmentation_sees_every_training_batch(capsys, small_mnist):
    calls = []
    original = Augmentation.__call__
    try:
        Augmentation.__call__ = lambda self, X, rng: calls.append(len(X)) or original(self, X, rng)
        run(["train", "--data-dir", small_mnist, *TINY, "--epochs", "1", "--augment", "affine"], capsys)
    finally:
        Augmentation.__call__ = original
    assert calls == [20] * 15


@pytest.mark.parametrize("flags, words", [
    (["--validation-size", "-1"], "is not a int >= 0"),
    (["--patience", "0"], "not a positive int"),
    (["--patience", "3"], "set a validation size too"),
    (["--augment", "mirror"], "invalid choice: 'mirror'"),
    (["--max-shift", "-2"], "is not a float >= 0"),
    (["--max-scale", "1.5"], "not a number in [0, 1)"),
    (["--elastic-sigma", "0"], "not a positive float"),
    (["--augment", "affine", "--input-range", "0.01,1"], "use it with the default input range 0,1"),
])
def test_bad_validation_and_augmentation_flags_are_one_line_errors(capsys, flags, words):
    code, out, err = run(["train", *flags], capsys)
    assert code == 2
    assert words in err and err.strip().count("\n") == 0


def test_validation_larger_than_the_training_set_is_a_clear_error(capsys, small_mnist):
    code, out, err = run(["train", "--data-dir", small_mnist, *TINY, "--validation-size", "300"], capsys)
    assert code == 2 and "validation_size must be between 0 and 299" in err


def test_best_preset_chooses_its_epoch_on_validation_and_augments():
    config = get_preset("best").config
    assert config.validation_size == 10000 and config.augment != "none" and config.dropout > 0
    assert config.schedule != "constant"


def test_the_preset_table_names_the_blas_kernel_its_runs_get(bench):
    # nielsen-100's result depends on the kernel's rounding (README notes): the table must say which one ran
    kernel = bench.blas_kernel(1)
    assert kernel != "unknown" and kernel.split()[0] in {"openblas", "mkl", "blis", "accelerate"}, kernel
