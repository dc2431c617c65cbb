"""The `nnlib` command: train a network on MNIST, evaluate a saved one, classify an image, list presets.

    nnlib train --preset nielsen-30 --save nielsen.npz
    nnlib train --layers 784,100,10 --activation relu --optimizer adam --lr 0.001 --epochs 5
    nnlib evaluate nielsen.npz
    nnlib predict nielsen.npz my_digit.png
    nnlib presets
    nnlib --version

Every mistake the user can make (a bad flag, a missing or wrong file) ends with exit code 2 and one line
on stderr saying what was wrong; there is no traceback for those.
"""
import argparse
import sys
import time
from importlib import metadata
from pathlib import Path

import numpy as np

from .activations import ELEMENTWISE, OUTPUT_ACTIVATIONS
from .data import load_mnist
from .initializers import INITIALIZERS
from .losses import LOSSES
from .metrics import accuracy, per_class_accuracy
from .optimizers import OPTIMIZERS
from .presets import (MNIST_CLASSES, MNIST_INPUTS, PRESETS, SCHEDULES, Config, build_network, build_optimizer,
                      build_schedule, fold_input_scaling, get_preset, prepare_inputs, prepare_targets,
                      with_overrides)
from .preprocess import load_image, to_mnist_format
from .serialization import load_network, save_network
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


def number_pair(text):
    """"0.01,0.99" -> (0.01, 0.99); the first number must be the smaller."""
    try:
        low, high = (float(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not two numbers low,high, e.g. 0.01,0.99") from None
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


def positive(kind):
    """An argument type: text -> kind(text), rejected unless it is > 0."""
    def convert(text):
        try:
            value = kind(text)
        except ValueError:
            value = None
        if value is None or not value > 0:
            raise argparse.ArgumentTypeError(f"{text!r} is not a positive {kind.__name__}")
        return value
    convert.__name__ = f"positive {kind.__name__}"
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
    parser = _Parser(prog="nnlib", description="Train, evaluate and use fully connected networks on MNIST.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {installed_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    _add_train(commands.add_parser("train", help="train a network on MNIST (see --preset)",
                                   description="Train on the 60,000 MNIST training images; print the test "
                                               "accuracy after every epoch. Flags override the preset."))
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
    net.add_argument("--layers", type=layer_sizes, help="layer sizes, e.g. 784,30,10 (first 784, last 10)")
    net.add_argument("--activation", choices=[name for name in ELEMENTWISE if name != "identity"])
    net.add_argument("--loss", choices=LOSSES)
    net.add_argument("--output", choices=OUTPUT_ACTIVATIONS, help="output activation (default: fits the loss)")
    net.add_argument("--init", choices=INITIALIZERS)
    net.add_argument("--dtype", choices=("float32", "float64"))
    opt = train_parser.add_argument_group("optimizer")
    opt.add_argument("--optimizer", choices=OPTIMIZERS)
    opt.add_argument("--lr", type=positive(float), help="learning rate")
    opt.add_argument("--momentum", type=fraction, help="beta of momentum and nesterov")
    opt.add_argument("--beta1", type=fraction, help="Adam's first-moment decay")
    opt.add_argument("--beta2", type=fraction, help="Adam's second-moment decay")
    opt.add_argument("--schedule", choices=SCHEDULES, help="learning-rate schedule over the epochs")
    opt.add_argument("--step-every", type=positive(int), help="step schedule: epochs between drops")
    opt.add_argument("--step-drop", type=positive(float), help="step schedule: factor per drop")
    opt.add_argument("--lr-min", type=float, help="cosine schedule: final learning rate")
    reg = train_parser.add_argument_group("regularization")
    reg.add_argument("--weight-decay", type=float, help="L2 strength lambda")
    reg.add_argument("--dropout", type=fraction, help="probability of dropping a hidden unit")
    run = train_parser.add_argument_group("run")
    run.add_argument("--epochs", type=positive(int))
    run.add_argument("--batch-size", type=batch_size, help="examples per step, or 'full' for the whole set")
    run.add_argument("--seed", type=int, help="seed for the weights, the shuffling and dropout")
    run.add_argument("--input-range", type=number_pair, help="scale pixels to low,high (default 0,1)")
    run.add_argument("--targets", type=number_pair, help="target values off,on (default 0,1: one-hot)")
    run.add_argument("--train-size", type=positive(int), help="use only the first N training images")
    run.add_argument("--data-dir", help="folder with the MNIST .gz files (default: the shipped copy)")
    run.add_argument("--save", metavar="MODEL.npz", help="write the trained network here")
    run.add_argument("--no-progress", action="store_true", help="no progress bar (default: bar in a terminal)")


CONFIG_FLAGS = ("layers", "activation", "loss", "output", "init", "dtype", "optimizer", "lr", "momentum",
                "beta1", "beta2", "schedule", "step_every", "step_drop", "lr_min", "weight_decay", "dropout",
                "epochs", "batch_size", "seed", "input_range", "targets")


def config_from_args(args):
    """The preset (or the defaults) with every flag the user gave put on top."""
    base = get_preset(args.preset).config if args.preset else Config()
    try:
        return with_overrides(base, **{name: getattr(args, name) for name in CONFIG_FLAGS})
    except ValueError as error:
        raise UsageError(str(error)) from None


# -- commands ---------------------------------------------------------------------------------------------

def command_train(args):
    """Train with the configuration from --preset and the flags; print the test accuracy per epoch; save."""
    config = config_from_args(args)
    if args.save and not Path(args.save).resolve().parent.is_dir():
        raise UsageError(f"cannot save to {args.save}: the folder {Path(args.save).parent} does not exist")
    started = time.perf_counter()
    net = build_network(config)
    data = _load_data(args.data_dir, config.dtype)
    X_train, y_train = data.X_train[:args.train_size], data.y_train[:args.train_size]
    # The loaded arrays are ours and already in the config's dtype: scale them in place, no second copy.
    X, Y = prepare_inputs(config, X_train, out=X_train), prepare_targets(config, y_train)
    X_test = prepare_inputs(config, data.X_test, out=data.X_test)
    print(f"Training {config.summary()}" + (f" (preset {args.preset})" if args.preset else ""))
    print(f"on {len(X)} training images, testing on {len(X_test)}", flush=True)
    history = train(net, X, Y, optimizer=build_optimizer(config), epochs=config.epochs,
                    batch_size=len(X) if config.batch_size == "full" else config.batch_size, seed=config.seed,
                    test_data=(X_test, data.y_test), schedule=build_schedule(config), verbose=True,
                    progress=False if args.no_progress or config.batch_size == "full" else None,
                    evaluate_train=False)  # a bar for a one-step epoch (full batch) would say nothing
    best = int(np.argmax(history.test_accuracy))
    print(f"Test accuracy {history.test_accuracy[-1]:.2%} after {history.epochs} epochs "
          f"(best {history.test_accuracy[best]:.2%} at epoch {best + 1}); training {sum(history.epoch_time):.1f} s, "
          f"total {time.perf_counter() - started:.1f} s")
    if args.save:
        fold_input_scaling(net, config.input_range)
        save_network(net, args.save)
        print(f"Saved the network to {args.save}")


def command_evaluate(args):
    """Test accuracy of a saved model on the 10,000 MNIST test images, overall and per digit."""
    net = _load_model(args.model)
    data = _load_data(args.data_dir, net.dtype.name)
    predicted = net.predict(data.X_test)
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
    outputs = net.predict_proba(pixels.reshape(1, -1))[0].astype(np.float64)
    kind = "probabilities"
    if net.output != "softmax":  # sigmoid outputs do not sum to 1: show their shares, and say so
        outputs, kind = outputs / outputs.sum(), f"{net.output} outputs scaled to sum to 1"
    top = np.argsort(outputs)[::-1][:3]
    print(f"Predicted digit: {top[0]}")
    print(f"Top 3 ({kind}): " + ", ".join(f"{digit} {outputs[digit]:.1%}" for digit in top))


def command_presets(args):
    """List every preset: what it reproduces, what its source reported, its configuration and command."""
    for preset in PRESETS.values():
        print(f"{preset.name}")
        print(f"    reproduces: {preset.reproduces}")
        print(f"    source reported: {preset.source_accuracy}")
        print(f"    configuration: {preset.config.summary()}")
        print(f"    run: nnlib train --preset {preset.name}")


def _load_model(path):
    net = load_network(path)  # FileNotFoundError / ValueError name the file and the problem
    if net.sizes[0] != MNIST_INPUTS or net.sizes[-1] != MNIST_CLASSES:
        raise UsageError(f"{path}: the network is {'-'.join(map(str, net.sizes))}, but an MNIST classifier "
                         f"takes {MNIST_INPUTS} inputs and gives {MNIST_CLASSES} outputs")
    return net


def _load_data(data_dir, dtype):
    # A folder the user names holds their own files, so the shipped copy's pinned hashes do not apply.
    return load_mnist(data_dir, dtype=np.dtype(dtype), verify=data_dir is None, download=data_dir is None)


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
    except (UsageError, FileNotFoundError, ValueError) as error:
        print(f"nnlib {args.command}: error: {error}", file=sys.stderr)
        return USAGE_ERROR
    except TrainingDiverged as error:
        print(f"nnlib {args.command}: training diverged: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    return 0
