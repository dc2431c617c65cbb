"""The `nnlib` command: train a network on MNIST, evaluate a saved one, classify an image, list presets.

    nnlib train --preset nielsen-30 --save nielsen.npz
    nnlib train --layers 784,100,10 --activation relu --optimizer adam --lr 0.001 --epochs 5
    nnlib train --preset cnn --save cnn.npz
    nnlib evaluate nielsen.npz
    nnlib predict nielsen.npz my_digit.png
    nnlib presets
    nnlib --version

Every mistake the user can make (a bad flag, a missing or wrong file) ends with exit code 2 and one line
on stderr saying what was wrong; there is no traceback for those.
"""
import argparse
import math
import sys
import time
from importlib import metadata
from pathlib import Path

import numpy as np

from .activations import ELEMENTWISE, OUTPUT_ACTIVATIONS
from .convnet import ConvNet, features_spec, parse_features
from .data import load_mnist
from .initializers import INITIALIZERS
from .losses import LOSSES
from .metrics import accuracy, per_class_accuracy
from .optimizers import OPTIMIZERS
from .presets import (AUGMENTATIONS, MNIST_CLASSES, MNIST_IMAGE, MNIST_INPUTS, PRESETS, SCHEDULES, Config,
                      build_augmentation, build_network, build_optimizer, build_schedule, fold_input_scaling, get_preset,
                      prepare_inputs, prepare_targets, with_overrides)
from .preprocess import load_image, to_mnist_format
from .serialization import check_save_target, load_network, save_network
from .training import TrainingDiverged, train

USAGE_ERROR = 2
DISTRIBUTION = "nnlib-mnist"  # the name pip knows (pyproject.toml [project] name); the import name is nnlib


class UsageError(Exception):
    """A mistake on the command line or in a file the user named: reported in one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    """argparse, but an error is one line (what was wrong and where to look), not the whole usage text."""

    def error(self, message):
        self.exit(USAGE_ERROR, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


# -- argument types: each turns a string into a value or says what a valid one looks like ------------------

def layer_sizes(text):
    """"784,30,10" -> (784, 30, 10); at least two sizes, the first 784 and the last 10."""
    try:
        sizes = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list of whole numbers, "
                                         f"e.g. 784,30,10") from None
    if len(sizes) < 2 or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: give at least two positive sizes, e.g. 784,30,10")
    if sizes[0] != MNIST_INPUTS:
        raise argparse.ArgumentTypeError(f"the first layer must be {MNIST_INPUTS} (28x28 pixels), got {sizes[0]}")
    if sizes[-1] != MNIST_CLASSES:
        raise argparse.ArgumentTypeError(f"the last layer must be {MNIST_CLASSES} (one per digit), got {sizes[-1]}")
    return sizes


def feature_layers(text):
    """"conv16x5p2,relu,pool2" -> the same text, after checking it reads as layers; "none" -> "" (no features)."""
    if text.strip().lower() == "none":
        return ""
    try:
        layers = parse_features(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return features_spec(layers)


def number_pair(text):
    """"0.01,0.99" -> (0.01, 0.99); two finite numbers, the first the smaller."""
    try:
        low, high = (float(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not two numbers low,high, e.g. 0.01,0.99") from None
    if not (math.isfinite(low) and math.isfinite(high)):
        raise argparse.ArgumentTypeError(f"{text!r}: both numbers must be finite (not nan or inf)")
    if not low < high:
        raise argparse.ArgumentTypeError(f"{text!r}: the first number must be smaller than the second")
    return low, high


def batch_size(text):
    """A whole number >= 1, or "full" for full-batch gradient descent."""
    if text == "full":
        return text
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a batch size: give a whole number >= 1, or 'full'")
    return value


def positive(kind, allow_zero=False):
    """An argument type: text -> kind(text), rejected unless it is a finite number > 0 (>= 0 with allow_zero)."""
    def convert(text):
        try:
            value = kind(text)
        except ValueError:
            value = None
        if value is None or not math.isfinite(value) or not (value >= 0 if allow_zero else value > 0):
            raise argparse.ArgumentTypeError(f"{text!r} is not a {convert.__name__}")
        return value
    convert.__name__ = f"{'non-negative' if allow_zero else 'positive'} {kind.__name__}"
    return convert


def at_least_zero(name):
    """An argument type for the setting `name`: a finite float >= 0 (nan, inf and negatives refused)."""
    def convert(text):
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and value >= 0):
            raise argparse.ArgumentTypeError(f"{text!r}: {name} must be >= 0 and finite")
        return value
    return convert


def non_negative(kind):
    """An argument type: text -> kind(text), rejected if it is negative."""
    def convert(text):
        try:
            value = kind(text)
        except ValueError:
            value = None
        if value is None or not value >= 0:
            raise argparse.ArgumentTypeError(f"{text!r} is not a {kind.__name__} >= 0")
        return value
    convert.__name__ = f"non-negative {kind.__name__}"
    return convert


def fraction(text):
    """A probability-like number in [0, 1): dropout, momentum, Adam's betas."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 <= value < 1.0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number in [0, 1)")
    return value


def installed_version():
    """The version pip installed (the distribution's metadata), else nnlib.__version__ (e.g. run from a
    source tree that was never installed)."""
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        from . import __version__
        return __version__


# -- the parser -------------------------------------------------------------------------------------------

def build_parser():
    """The argparse parser for `nnlib` and its four commands."""
    parser = _Parser(prog="nnlib", description="Train, evaluate and use fully connected and convolutional "
                                               "networks on MNIST.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {installed_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    _add_train(commands.add_parser("train", help="train a network on MNIST (see --preset)",
                                   description="Train on the 60,000 MNIST training images (or on all but "
                                               "--validation-size of them, choosing the epoch on those); "
                                               "print the accuracy after every epoch and the test accuracy at "
                                               "the end. Flags override the preset."))
    evaluate = commands.add_parser("evaluate", help="test accuracy and per-class accuracy of a saved model")
    evaluate.add_argument("model", help="a .npz file written by `nnlib train --save`")
    evaluate.add_argument("--data-dir", help="folder with the MNIST .gz files (default: the shipped copy)")
    predict = commands.add_parser("predict", help="classify an image of a handwritten digit")
    predict.add_argument("model", help="a .npz file written by `nnlib train --save`")
    predict.add_argument("image", help="a grayscale or colour image of one digit, any size (PNG, JPEG, ...)")
    commands.add_parser("presets", help="list the presets and what each reproduces")
    return parser


def _add_train(train_parser):
    add = train_parser.add_argument
    add("--preset", choices=PRESETS, help="start from a named configuration (see `nnlib presets`)")
    net = train_parser.add_argument_group("network")
    net.add_argument("--layers", type=layer_sizes, help="layer sizes, e.g. 784,30,10 (first 784, last 10); with "
                                                        "--features the dense layers after them")
    net.add_argument("--features", type=feature_layers, metavar="SPEC",
                     help="convolution and pooling layers in front of the dense ones, e.g. "
                          "conv16x5p2,relu,pool2 (convFxK: F filters of KxK, sN stride, pN padding; poolK; an "
                          "activation); 'none' for a fully connected network")
    net.add_argument("--activation", choices=[name for name in ELEMENTWISE if name != "identity"])
    net.add_argument("--loss", choices=LOSSES)
    net.add_argument("--output", choices=OUTPUT_ACTIVATIONS, help="output activation (default: fits the loss)")
    net.add_argument("--init", choices=INITIALIZERS)
    net.add_argument("--dtype", choices=("float32", "float64"))
    net.add_argument("--batch-norm", action="store_true", default=None,
                     help="normalize every hidden layer over the batch before its activation (chapter 10)")
    opt = train_parser.add_argument_group("optimizer")
    opt.add_argument("--optimizer", choices=OPTIMIZERS)
    opt.add_argument("--lr", type=positive(float), help="learning rate")
    opt.add_argument("--momentum", type=fraction, help="beta of momentum and nesterov")
    opt.add_argument("--beta1", type=fraction, help="Adam's first-moment decay")
    opt.add_argument("--beta2", type=fraction, help="Adam's second-moment decay")
    opt.add_argument("--schedule", choices=SCHEDULES, help="learning-rate schedule over the epochs")
    opt.add_argument("--step-every", type=positive(int), help="step schedule: epochs between drops")
    opt.add_argument("--step-drop", type=positive(float), help="step schedule: factor per drop")
    opt.add_argument("--lr-min", type=at_least_zero("lr_min"), help="cosine schedule: final learning rate")
    reg = train_parser.add_argument_group("regularization")
    reg.add_argument("--weight-decay", type=at_least_zero("weight_decay"), help="L2 strength lambda")
    reg.add_argument("--dropout", type=fraction, help="probability of dropping a hidden unit")
    reg.add_argument("--augment", choices=AUGMENTATIONS,
                     help="distort every training batch: affine (shift, rotate, scale) or elastic (affine plus "
                          "an elastic distortion, Simard et al. 2003)")
    reg.add_argument("--max-shift", type=non_negative(float), help="augmentation: largest shift in pixels")
    reg.add_argument("--max-degrees", type=non_negative(float), help="augmentation: largest rotation in degrees")
    reg.add_argument("--max-scale", type=fraction, help="augmentation: scale drawn from 1 +- this")
    reg.add_argument("--elastic-alpha", type=non_negative(float), help="elastic distortion: strength (pixels)")
    reg.add_argument("--elastic-sigma", type=positive(float), help="elastic distortion: smoothing width (pixels)")
    reg.add_argument("--validation-size", type=non_negative(int),
                     help="hold out the last N training images and choose the epoch on them (0: none)")
    reg.add_argument("--patience", type=positive(int),
                     help="stop after this many epochs without a better validation accuracy")
    run = train_parser.add_argument_group("run")
    run.add_argument("--epochs", type=positive(int))
    run.add_argument("--batch-size", type=batch_size, help="examples per step, or 'full' for the whole set")
    run.add_argument("--seed", type=positive(int, allow_zero=True), help="seed for the weights, the shuffling and dropout")
    run.add_argument("--input-range", type=number_pair, help="scale pixels to low,high (default 0,1)")
    run.add_argument("--targets", type=number_pair, help="target values off,on (default 0,1: one-hot)")
    run.add_argument("--train-size", type=positive(int), help="use only the first N training images")
    run.add_argument("--data-dir", help="folder with the MNIST .gz files (default: the shipped copy)")
    run.add_argument("--save", metavar="MODEL.npz", help="write the trained network here")
    run.add_argument("--no-progress", action="store_true", help="no progress bar (default: bar in a terminal)")


CONFIG_FLAGS = ("layers", "features", "activation", "loss", "output", "init", "dtype", "optimizer", "lr", "momentum",
                "beta1", "beta2", "schedule", "step_every", "step_drop", "lr_min", "weight_decay", "dropout",
                "epochs", "batch_size", "seed", "input_range", "targets", "validation_size", "patience", "augment",
                "max_shift", "max_degrees", "max_scale", "elastic_alpha", "elastic_sigma", "batch_norm")


def config_from_args(args):
    """The preset (or the defaults) with every flag the user gave put on top."""
    base = get_preset(args.preset).config if args.preset else Config()
    try:
        return with_overrides(base, **{name: getattr(args, name) for name in CONFIG_FLAGS})
    except ValueError as error:
        raise UsageError(str(error)) from None


# -- commands ---------------------------------------------------------------------------------------------

def command_train(args):
    """Train with the configuration from --preset and the flags; print the accuracy per epoch (validation
    accuracy with a validation set, else test accuracy); report the test accuracy; save."""
    config = config_from_args(args)
    if args.save:
        check_save_target(args.save)  # before training: a network trained for nothing is a loss
    started = time.perf_counter()
    net = build_network(config)
    data = _load_data(args.data_dir, config.dtype, config.validation_size)
    X_train, y_train = data.X_train[:args.train_size], data.y_train[:args.train_size]
    # The loaded arrays are ours and already in the config's dtype: scale them in place, no second copy.
    X, Y = prepare_inputs(config, X_train, out=X_train), prepare_targets(config, y_train)
    X_test = prepare_inputs(config, data.X_test, out=data.X_test)
    validation = None
    if config.validation_size:
        validation = (prepare_inputs(config, data.X_val, out=data.X_val), data.y_val)
    print(f"Training {config.summary()}" + (f" (preset {args.preset})" if args.preset else ""))
    if validation:
        print(f"on {len(X)} training images, choosing the epoch on {len(validation[0])} validation images "
              f"(held out of the training set); testing once at the end on {len(X_test)}", flush=True)
    else:
        print(f"on {len(X)} training images, testing on {len(X_test)}", flush=True)
    history = train(net, X, Y, optimizer=build_optimizer(config), epochs=config.epochs,
                    batch_size=len(X) if config.batch_size == "full" else config.batch_size, seed=config.seed,
                    validation_data=validation, test_data=None if validation else (X_test, data.y_test),
                    # patience = epochs never stops early but still restores the best epoch's weights
                    patience=(config.patience or config.epochs) if validation else None,
                    schedule=build_schedule(config), augment=build_augmentation(config), verbose=True,
                    progress=False if args.no_progress or config.batch_size == "full" else None,
                    evaluate_train=False)  # a bar for a one-step epoch (full batch) would say nothing
    times = f"training {sum(history.epoch_time):.1f} s, total {time.perf_counter() - started:.1f} s"
    if validation:
        best = history.best_epoch
        test = accuracy(data.y_test, net.predict(X_test))
        stopped = ", stopped early" if history.stopped_early else ""
        print(f"Test accuracy {test:.2%} at epoch {best + 1} of {history.epochs}{stopped}, the epoch of the best "
              f"validation accuracy ({history.val_accuracy[best]:.2%}; its weights restored); {times}")
    else:
        print(f"Test accuracy {history.test_accuracy[-1]:.2%} after {history.epochs} epochs (no epoch chosen: "
              f"that needs --validation-size); {times}")
    if args.save:
        fold_input_scaling(net, config.input_range)
        try:
            save_network(net, args.save)
        except OSError as error:  # it was writable before training: the disk filled up, say
            raise UsageError(f"training finished but {error}") from None
        print(f"Saved the network to {args.save}")


def command_evaluate(args):
    """Test accuracy of a saved model on the 10,000 MNIST test images, overall and per digit."""
    net = _load_model(args.model)
    data = _load_data(args.data_dir, net.dtype.name)
    predicted = _finite_outputs(net, data.X_test, args.model).argmax(axis=1)
    correct = int(np.sum(predicted == data.y_test))
    print(f"{args.model}: {net!r}")
    print(f"Test accuracy: {accuracy(data.y_test, predicted):.2%} ({correct} / {len(predicted)})")
    print("digit  correct / total  accuracy")
    totals = np.bincount(data.y_test, minlength=MNIST_CLASSES)
    for digit, (total, share) in enumerate(zip(totals, per_class_accuracy(data.y_test, predicted))):
        print(f"{digit:>5}  {round(share * total):>7} / {total:<5}  {share:>8.2%}")


def command_predict(args):
    """Classify one image: preprocess it MNIST-style, print the predicted digit and the top 3 outputs."""
    net = _load_model(args.model)
    try:
        pixels = to_mnist_format(load_image(args.image))
    except ValueError as error:
        raise UsageError(f"{args.image}: {error}" if args.image not in str(error) else str(error)) from None
    outputs = _finite_outputs(net, pixels.reshape(1, -1), args.model)[0].astype(np.float64)
    top = np.argsort(-outputs, kind="stable")[:3]  # the largest output wins, whatever its sign or scale
    print(f"Predicted digit: {top[0]}")
    if net.output == "softmax":
        print("Top 3 (probabilities): " + ", ".join(f"{digit} {outputs[digit]:.1%}" for digit in top))
    else:  # sigmoid, tanh, identity, ... outputs are scores, not shares of 1: show them as they are
        print(f"Top 3 ({net.output} outputs): " + ", ".join(f"{digit} {outputs[digit]:.4g}" for digit in top))


def command_presets(args):
    """List every preset: what it reproduces, what its source reported, its configuration and command."""
    for preset in PRESETS.values():
        print(f"{preset.name}")
        print(f"    reproduces: {preset.reproduces}")
        print(f"    source reported: {preset.source_accuracy}")
        print(f"    configuration: {preset.config.summary()}")
        print(f"    run: nnlib train --preset {preset.name}")


def _finite_outputs(net, X, model):
    """The network's outputs for X, or a UsageError if any overflowed to nan or inf (absurd weights)."""
    with np.errstate(over="ignore", invalid="ignore"):
        outputs = net.predict_proba(X)
    if not np.isfinite(outputs).all():
        raise UsageError(f"{model}: the network's outputs overflow to nan or inf (its weights are far too "
                         f"large); the model is damaged or diverged: retrain it")
    return outputs


def _load_model(path):
    net = load_network(path)  # FileNotFoundError / ValueError name the file and the problem
    if isinstance(net, ConvNet) and net.input_shape != MNIST_IMAGE:
        raise UsageError(f"{path}: the network takes images of {'x'.join(map(str, net.input_shape))} "
                         f"(channels x rows x columns), but MNIST digits are {'x'.join(map(str, MNIST_IMAGE))}")
    if net.sizes[0] != MNIST_INPUTS or net.sizes[-1] != MNIST_CLASSES:
        raise UsageError(f"{path}: the network is {'-'.join(map(str, net.sizes))}, but an MNIST classifier "
                         f"takes {MNIST_INPUTS} inputs and gives {MNIST_CLASSES} outputs")
    return net


def _load_data(data_dir, dtype, validation_size=0):
    # A folder the user names holds their own files, so the shipped copy's pinned hashes do not apply.
    return load_mnist(data_dir, dtype=np.dtype(dtype), validation_size=validation_size, verify=data_dir is None,
                      download=data_dir is None)


COMMANDS = {"train": command_train, "evaluate": command_evaluate, "predict": command_predict,
            "presets": command_presets}


def main(argv=None):
    """Run the command line; returns the exit code (0 ok, 1 training diverged, 2 a usage or file error)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:  # --help (0) or a bad argument (2, already reported in one line)
        return stop.code
    if args.command is None:
        parser.print_help(sys.stderr)
        return USAGE_ERROR
    try:
        COMMANDS[args.command](args)
    except (UsageError, OSError, ValueError) as error:  # OSError: files, folders, downloads (DownloadError)
        print(f"nnlib {args.command}: error: {_one_line(error)}", file=sys.stderr)
        return USAGE_ERROR
    except MemoryError:
        print(f"nnlib {args.command}: error: not enough memory; use smaller --layers or a smaller "
              f"--train-size", file=sys.stderr)
        return USAGE_ERROR
    except TrainingDiverged as error:
        print(f"nnlib {args.command}: training diverged: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    return 0


def _one_line(error):
    """The error's text on one line (a DownloadError lists one mirror per line)."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return "; ".join(lines) or type(error).__name__
