"""Training configurations: one dataclass holding every choice `nnlib train` makes, and named presets that
reproduce networks from well-known tutorials.

A Config is complete: build_network, build_optimizer and build_schedule turn it into the objects that
nnlib.train takes, and prepare_inputs / prepare_targets apply its input scaling and target values.
"""
from dataclasses import dataclass, field, fields, replace

import numpy as np

from .augment import Augmentation
from .convnet import ConvNet, parse_features
from .network import Network
from .training import train
from .optimizers import make_optimizer
from .schedules import constant, cosine_decay, step_decay

MNIST_INPUTS, MNIST_CLASSES = 784, 10
MNIST_IMAGE = (1, 28, 28)   # channels, rows, columns: how a convolutional network sees a row of 784 pixels
SCHEDULES = ("constant", "step", "cosine")
AUGMENTATIONS = ("none", "affine", "elastic")  # elastic = the affine distortions plus an elastic one


@dataclass(frozen=True)
class Config:
    """Everything one training run needs. batch_size="full" means full-batch gradient descent (one step per
    epoch over the whole training set). input_range=(lo, hi) maps pixels x in [0, 1] to lo + (hi - lo) x;
    targets=(off, on) are the target values for the wrong and the right class (one-hot is (0, 1)).
    validation_size=N holds out the last N training images: the epoch is then chosen on them (the best
    validation accuracy; patience stops early) and the test set is used once, at the end. augment: none,
    affine (random shifts up to max_shift pixels, rotations up to max_degrees, scaling by 1 ± max_scale) or
    elastic (those plus an elastic distortion of strength elastic_alpha and width elastic_sigma).
    features: convolution and pooling layers in front of the dense ones, in the notation of
    nnlib.convnet.parse_features ("conv16x5p2,relu,pool2,..."); empty for a fully connected network. With
    features, layers is still (784, ..., 10): the input's size, then the sizes of the dense layers after the
    features (the first dense layer's input is whatever the features produce)."""

    layers: tuple = (784, 128, 64, 10)
    features: str = ""
    activation: str = "relu"
    loss: str = "cross_entropy"
    output: str | None = None
    init: str = "he"
    optimizer: str = "adam"
    lr: float = 1e-3
    momentum: float = 0.9          # beta of momentum / nesterov
    beta1: float = 0.9             # Adam
    beta2: float = 0.999           # Adam
    weight_decay: float = 0.0
    dropout: float = 0.0
    schedule: str = "constant"
    step_every: int = 10           # step schedule: multiply lr by step_drop every step_every epochs
    step_drop: float = 0.5
    lr_min: float = 0.0            # cosine schedule: final learning rate
    epochs: int = 10
    batch_size: int | str = 128
    seed: int = 0
    dtype: str = "float32"
    input_range: tuple = (0.0, 1.0)
    targets: tuple = (0.0, 1.0)
    batch_norm: bool = False       # normalize each hidden layer over the batch (chapter 10)
    validation_size: int = 0       # hold out the last N training images to choose the epoch on
    patience: int | None = None    # stop after this many epochs without a better validation accuracy
    augment: str = "none"
    max_shift: float = 2.0         # pixels
    max_degrees: float = 10.0
    max_scale: float = 0.1
    elastic_alpha: float = 34.0    # Simard et al. (2003) use alpha 34, sigma 4 for MNIST
    elastic_sigma: float = 4.0

    def __post_init__(self):
        check_config(self)

    def __repr__(self):
        # The dataclass repr, without `features` while it is empty: a fully connected configuration reads
        # (and names chapter 07's cached network, nnlib.course.model_path) exactly as before features existed.
        shown = [f for f in fields(self) if f.name != "features" or self.features]
        return f"{type(self).__qualname__}({', '.join(f'{f.name}={getattr(self, f.name)!r}' for f in shown)})"

    def summary(self):
        """One line naming the network and the optimizer, e.g. for the top of a training log."""
        batch = "full batch" if self.batch_size == "full" else f"batch {self.batch_size}"
        extras = [f"{name} {getattr(self, name):g}" for name in ("dropout", "weight_decay") if getattr(self, name)]
        if self.schedule != "constant":
            extras.append(f"{self.schedule} schedule")
        if self.batch_norm:
            extras.append("batch norm")
        if self.augment != "none":
            extras.append(f"{self.augment} augmentation")
        if self.validation_size:
            extras.append(f"epoch chosen on {self.validation_size} validation images")
        layers = "-".join(map(str, self.layers))
        if self.features:
            layers = f"{self.layers[0]}-[{self.features}]-{'-'.join(map(str, self.layers[1:]))}"
        return (f"{layers} {self.activation}/{self.loss}, init {self.init}, "
                f"{self.optimizer} lr {self.lr:g}, {batch}, {self.epochs} epochs, {self.dtype}"
                + "".join(f", {extra}" for extra in extras))


def check_config(config):
    """Raise ValueError, saying what to change, for a configuration nnlib.train would reject or that cannot
    be an MNIST classifier. Names and architecture are checked again when the Network is built."""
    layers = config.layers
    if len(layers) < 2 or any(not isinstance(n, (int, np.integer)) or n < 1 for n in layers):
        raise ValueError(f"layers must be at least two positive whole numbers, e.g. 784,30,10; got {layers}")
    if layers[0] != MNIST_INPUTS:
        raise ValueError(f"the first layer must be {MNIST_INPUTS} (28x28 MNIST pixels), got {layers[0]}")
    if layers[-1] != MNIST_CLASSES:
        raise ValueError(f"the last layer must be {MNIST_CLASSES} (one output per digit), got {layers[-1]}")
    positive = {"lr": config.lr, "epochs": config.epochs, "step_every": config.step_every}
    for name, value in positive.items():
        if not value > 0:
            raise ValueError(f"{name} must be positive, got {value}")
    if config.lr_min < 0:
        raise ValueError(f"lr_min must be >= 0, got {config.lr_min}")
    if config.batch_size != "full" and not (isinstance(config.batch_size, (int, np.integer))
                                          and config.batch_size >= 1):
        raise ValueError(f"batch size must be >= 1 (or 'full'), got {config.batch_size}")
    if config.schedule not in SCHEDULES:
        raise ValueError(f"unknown schedule {config.schedule!r}; choose one of {', '.join(SCHEDULES)}")
    if config.dtype not in ("float32", "float64"):
        raise ValueError(f"dtype must be float32 or float64, got {config.dtype!r}")
    if config.batch_norm and config.batch_size == 1:
        raise ValueError("batch norm needs batches of at least 2 examples (it normalizes over the batch), "
                         "got batch size 1: use a larger batch size or leave out batch norm")
    for name in ("input_range", "targets"):
        low, high = getattr(config, name)
        if not low < high:
            raise ValueError(f"{name} must be two increasing numbers low,high; got {low},{high}")
    if not (isinstance(config.validation_size, (int, np.integer)) and config.validation_size >= 0):
        raise ValueError(f"validation_size is a number of training images (0 for none), got {config.validation_size}")
    if config.patience is not None:
        if not (isinstance(config.patience, (int, np.integer)) and config.patience >= 1):
            raise ValueError(f"patience must be a whole number of epochs >= 1, got {config.patience}")
        if not config.validation_size:
            raise ValueError("early stopping (patience) watches the validation accuracy: set a validation size "
                             "too, e.g. --validation-size 10000")
    if config.augment not in AUGMENTATIONS:
        raise ValueError(f"unknown augmentation {config.augment!r}; choose one of {', '.join(AUGMENTATIONS)}")
    if config.augment != "none" and tuple(config.input_range) != (0.0, 1.0):
        raise ValueError("augmentation fills the pixels it moves in with 0, the background of [0, 1] pixels: "
                         "use it with the default input range 0,1")
    build_augmentation(config)  # its own checks of the strengths
    if config.features:
        check_features(config)


def check_features(config):
    """Raise ValueError unless config.features is a readable list of layers whose windows fit a 28x28 image,
    used with [0, 1] pixels (padding adds zeros, the background, so the input range cannot be folded away)."""
    if not isinstance(config.features, str):
        raise ValueError(f"features must be a text such as 'conv16x5p2,relu,pool2', got {config.features!r}")
    shape = MNIST_IMAGE
    for layer in parse_features(config.features):
        try:
            shape = layer.output_shape(shape)
        except ValueError as error:
            raise ValueError(f"the feature layers do not fit a 28x28 image: at {layer.spec()} the maps are "
                             f"{shape[1]}x{shape[2]}: {error}") from None
    if tuple(config.input_range) != (0.0, 1.0):
        raise ValueError("a convolutional network pads its images with 0, the background of [0, 1] pixels: use it "
                         "with the default input range 0,1")


def build_network(config):
    """The Network the config describes: sizes config.layers, its activation, loss, init, dropout, dtype and
    batch norm; with config.features a ConvNet: those feature layers on 1x28x28 images, then dense layers of
    config.layers[1:]."""
    settings = dict(activation=config.activation, loss=config.loss, output=config.output, init=config.init,
                    seed=config.seed, dropout=config.dropout, weight_decay=config.weight_decay,
                    dtype=np.dtype(config.dtype))
    if config.features:
        if config.batch_norm:
            raise ValueError("batch norm (--batch-norm) is for fully connected networks; a ConvNet (--features) "
                             "has none: leave one of them out")
        return ConvNet(parse_features(config.features), list(config.layers[1:]), input_shape=MNIST_IMAGE, **settings)
    return Network(list(config.layers), batch_norm=config.batch_norm, **settings)


def build_optimizer(config):
    """The optimizer by name with lr and its own hyperparameters (momentum beta, Adam beta1/beta2)."""
    hyperparameters = {"momentum": {"beta": config.momentum}, "nesterov": {"beta": config.momentum},
                       "adam": {"beta1": config.beta1, "beta2": config.beta2}}.get(config.optimizer, {})
    return make_optimizer(config.optimizer, lr=config.lr, **hyperparameters)


def build_schedule(config):
    """The learning rate per epoch: constant, step decay or cosine decay from config.lr."""
    if config.schedule == "step":
        return step_decay(config.lr, drop=config.step_drop, every=config.step_every)
    if config.schedule == "cosine":
        return cosine_decay(config.lr, config.epochs, lr_min=config.lr_min)
    return constant(config.lr)


def train_config(config, X, y, **train_options):
    """Build the network the config describes and train it on (X, y) with the config's optimizer, schedule,
    epochs, batch size, shuffling seed and augmentation.  X: (m, 784) pixels in [0, 1];  y: labels (m,).

    train_options go to nnlib.train (validation_data, test_data, progress, ...). Returns (net, history)."""
    net = build_network(config)
    batch_size = len(X) if config.batch_size == "full" else config.batch_size
    history = train(net, prepare_inputs(config, X), prepare_targets(config, y), optimizer=build_optimizer(config),
                    epochs=config.epochs, batch_size=batch_size, seed=config.seed,
                    schedule=build_schedule(config), augment=build_augmentation(config), **train_options)
    return net, history


def build_augmentation(config):
    """None for augment="none"; else the nnlib.augment.Augmentation (X, rng) -> X that train applies to
    every batch: random affine moves, plus an elastic distortion for augment="elastic"."""
    if config.augment == "none":
        return None
    return Augmentation(max_shift=config.max_shift, max_degrees=config.max_degrees, max_scale=config.max_scale,
                        alpha=config.elastic_alpha if config.augment == "elastic" else 0.0,
                        sigma=config.elastic_sigma)


def prepare_inputs(config, X, out=None):
    """Pixels in [0, 1] -> lo + (hi - lo) x, in the config's dtype (a no-op for the default (0, 1)).
    out=X scales in place: for the full training set that saves a copy of it (376 MB in float64)."""
    low, high = config.input_range
    X = np.asarray(X, dtype=config.dtype)
    if (low, high) == (0.0, 1.0):
        return X
    scaled = np.multiply(X, X.dtype.type(high - low), out=out)
    scaled += X.dtype.type(low)
    return scaled


def prepare_targets(config, labels):
    """Labels (m,) -> target rows (m, 10) holding `off` everywhere and `on` at the label."""
    off, on = config.targets
    Y = np.full((len(labels), MNIST_CLASSES), off, dtype=config.dtype)
    Y[np.arange(len(labels)), labels] = on
    return Y


def fold_input_scaling(net, input_range):
    """Absorb x' = lo + (hi - lo) x into the first layer, so the network takes plain [0, 1] pixels:
    x' W + b = x ((hi - lo) W) + (b + lo * sum_i W_i), an exact rewrite of the same function.
    Done before saving, so that a saved model needs no knowledge of its training-time scaling. The default
    range (0, 1) needs nothing, which is also all a ConvNet accepts (check_features)."""
    low, high = input_range
    if (low, high) == (0.0, 1.0):
        return
    W, b = net.weights[0], net.biases[0]
    b += (low * W.sum(axis=0)).astype(b.dtype)
    W *= W.dtype.type(high - low)


@dataclass(frozen=True)
class Preset:
    name: str
    reproduces: str            # whose network, and how nnlib's version differs
    source_accuracy: str       # what the source reported, in its own terms
    config: Config = field(default_factory=Config)
    short: str = ""            # a few words for a table column


def _nielsen(hidden):
    return Config(layers=(784, hidden, 10), activation="sigmoid", loss="quadratic", init="standard_normal",
                  optimizer="sgd", lr=3.0, batch_size=10, epochs=30, dtype="float64")


PRESETS = {preset.name: preset for preset in (
    Preset("nielsen-30",
           "Nielsen, Neural Networks and Deep Learning, ch. 1 (network.py): 784-30-10 sigmoid, quadratic cost, "
           "SGD eta=3, mini-batch 10, 30 epochs, N(0,1) weights (nnlib starts biases at 0, Nielsen at N(0,1))",
           "95.42% at its best epoch (book, ch. 1)", _nielsen(30),
           short="Nielsen, NNDL ch. 1: 784-30-10 sigmoid, SGD"),
    Preset("nielsen-70",
           "Nielsen's ch. 1 network with 70 hidden neurons, all else as nielsen-30. The book reports 30 and 100 "
           "hidden neurons only; 70 sits between them",
           "none for 70 (book: 95.42% with 30, 96.59% with 100)", _nielsen(70),
           short="Nielsen ch. 1 setup with 70 hidden"),
    Preset("nielsen-100",
           "Nielsen's ch. 1 network with 100 hidden neurons, all else as nielsen-30",
           "96.59% (book, ch. 1)", _nielsen(100),
           short="Nielsen, NNDL ch. 1: 784-100-10"),
    Preset("rashid",
           "Rashid, Make Your Own Neural Network: 784-100-10 sigmoid, per-example SGD lr 0.1, inputs scaled to "
           "0.01..1.0, targets 0.01/0.99, weights N(0, 1/n_in), 5 epochs. His update W += lr (t-o) o(1-o) h^T is "
           "exactly SGD on 1/2 ||a-y||^2, nnlib's quadratic loss at batch 1, so lr 0.1 is the same step "
           "(nnlib adds biases, which Rashid's network lacks)",
           "about 97% with lr 0.1 after 5 epochs (book's epoch experiments)",
           Config(layers=(784, 100, 10), activation="sigmoid", loss="quadratic", init="scaled_normal",
                  optimizer="sgd", lr=0.1, batch_size=1, epochs=5, dtype="float64",
                  input_range=(0.01, 1.0), targets=(0.01, 0.99)),
           short="Rashid, Make Your Own Neural Network: 784-100-10, per-example SGD"),
    Preset("kaggle-10",
           "Samson Zhang's Kaggle notebook 'Simple MNIST NN from scratch': 784-10-10 ReLU/softmax, full-batch "
           "gradient descent lr 0.1, 500 iterations. He init here (the notebook draws weights and biases "
           "uniformly from [-0.5, 0.5]); trained on all 60,000 images (the notebook on Kaggle's 41,000)",
           "about 85% on its training set after 500 iterations (notebook output)",
           Config(layers=(784, 10, 10), activation="relu", init="he", optimizer="sgd", lr=0.1, batch_size="full",
                  epochs=500, dtype="float32"),
           short="Kaggle 'Simple MNIST NN from scratch': 784-10-10, full batch"),
    Preset("fullbatch-128-64",
           "784-128-64-10 ReLU/softmax, He init, full-batch gradient descent lr 0.1, 500 iterations",
           "about 94% (a common full-batch tutorial result)",
           Config(layers=(784, 128, 64, 10), optimizer="sgd", lr=0.1, batch_size="full", epochs=500),
           short="784-128-64-10 ReLU, full-batch GD"),
    Preset("adam-128-64",
           "784-128-64-10 ReLU/softmax, He init, Adam lr 0.001 with cosine decay to 0, mini-batches of 128, "
           "20 epochs, float32. With a constant lr 0.001 it stalls near 97.7% (10 or 20 epochs); the decay "
           "lets the last epochs settle",
           "about 98% (a common Adam tutorial result)",
           Config(layers=(784, 128, 64, 10), optimizer="adam", lr=1e-3, batch_size=128, epochs=20,
                  schedule="cosine"),
           short="784-128-64-10 ReLU, Adam, mini-batches"),
    Preset("best",
           "the most accurate MLP found that trains in about 5 minutes of one core: 784-800-800-10 ReLU/softmax, "
           "He init, dropout 0.3, Adam lr 0.001 with cosine decay to 0, batch 128, 30 epochs, float32, every "
           "batch randomly shifted (up to 2 pixels), rotated (up to 10 degrees), scaled (up to 10%) and elastically "
           "distorted (alpha 20, sigma 5). The last 10,000 training images are held out: the epoch with the best "
           "validation accuracy is kept and the test set is used once, at the end. Chosen by validation accuracy "
           "alone among these variants (30 epochs each): affine augmentation alone with lr 0.001 or 0.002, "
           "affine plus Simard's elastic alpha 34, sigma 4, and this one, which did best on validation",
           "dropout MLPs: about 98.8-99.0% without augmentation (Srivastava et al. 2014); 99.3% with elastic "
           "distortions (Simard et al. 2003)",
           Config(layers=(784, 800, 800, 10), optimizer="adam", lr=1e-3, batch_size=128, epochs=30,
                  dropout=0.3, schedule="cosine", augment="elastic", elastic_alpha=20.0, elastic_sigma=5.0,
                  validation_size=10000),
           short="best MLP in about 5 minutes: dropout, augmentation, cosine decay"),
    Preset("cnn",
           "a small convolutional network (chapter 11) in the LeNet style: two 5x5 convolutions with 'same' "
           "padding (16 and 32 filters), each followed by ReLU and 2x2 max-pooling, then dense 1568-128 ReLU with "
           "dropout 0.3 and a softmax output of 10; He init, Adam lr 0.001 with cosine decay to 0, batch 64, 12 "
           "epochs, float32, no augmentation. The last 10,000 training images are held out: the epoch with the "
           "best validation accuracy is kept and the test set is used once, at the end",
           "LeNet-5: 0.95% test error, i.e. 99.05%, without distortions (LeCun et al. 1998); aimed at >= 99.3%",
           Config(layers=(784, 128, 10), features="conv16x5p2,relu,pool2,conv32x5p2,relu,pool2", optimizer="adam",
                  lr=1e-3, batch_size=64, epochs=12, dropout=0.3, schedule="cosine", validation_size=10000),
           short="CNN: conv-pool-conv-pool-dense, dropout, Adam"),
)}


def get_preset(name):
    """The Preset called name, or a ValueError listing the names there are."""
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)} (see `nnlib presets`)")
    return PRESETS[name]


def with_overrides(config, **overrides):
    """config with the given fields replaced; None values mean 'not given' and keep the config's value."""
    names = {f.name for f in fields(Config)}
    unknown = set(overrides) - names
    if unknown:
        raise ValueError(f"unknown configuration fields: {', '.join(sorted(unknown))}")
    return replace(config, **{key: value for key, value in overrides.items() if value is not None})
