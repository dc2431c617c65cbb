"""The network the chapters share: chapter 07 trains it and saves it, chapter 08 looks inside it.

Its configuration lives here, once, so that chapter 08 can train exactly the same network when chapter 07
has not been run on this machine (every chapter runs on its own, in any order).
"""
import hashlib
import os
from pathlib import Path

from .presets import Config, train_config
from .serialization import load_network, save_network

#: Chapter 07's final network: 784-128-64-10 ReLU/softmax, He init, Adam with cosine decay, float32.
CHAPTER_07 = Config(layers=(784, 128, 64, 10), activation="relu", loss="cross_entropy", init="he",
                    optimizer="adam", lr=2e-3, schedule="cosine", epochs=10, batch_size=128, seed=0,
                    dtype="float32")

#: The training images chapter 07 trains on: the first 50,000 (the last 10,000 are its validation set).
CHAPTER_07_VALIDATION_SIZE = 10000


def cache_dir():
    """Where trained chapter networks are kept: $NNLIB_CACHE_DIR if set, else build/models/ in the repository
    checkout nnlib runs from, else ~/.cache/nnlib (an installed package)."""
    if os.environ.get("NNLIB_CACHE_DIR"):
        return Path(os.environ["NNLIB_CACHE_DIR"])
    checkout = Path(__file__).resolve().parents[1]
    if (checkout / "pyproject.toml").is_file():
        return checkout / "build" / "models"
    return Path.home() / ".cache" / "nnlib"


def model_path(config=CHAPTER_07):
    """The cache file for a network trained with config: its name carries a digest of the whole
    configuration, so a changed configuration never loads a network trained with the old one."""
    digest = hashlib.sha256(repr(config).encode()).hexdigest()[:12]
    return cache_dir() / f"chapter07-{digest}.npz"


def save_chapter_07(net, config=CHAPTER_07):
    """Save chapter 07's trained network to model_path(config), creating the folder. Returns the path."""
    path = model_path(config)
    path.parent.mkdir(parents=True, exist_ok=True)
    return save_network(net, path)


def load_or_train_chapter_07(X_train, y_train, config=CHAPTER_07):
    """Chapter 07's network: loaded from model_path(config) if chapter 07 saved it, else trained here with
    train_config(config, X_train, y_train), exactly as chapter 07 trains it (and then saved).

    X_train: (50000, 784), y_train: (50000,), the training split of load_mnist(validation_size=10000).
    Returns (net, how): how says which of the two happened."""
    path = model_path(config)
    if path.is_file():
        return load_network(path), f"loaded chapter 07's network from {path.name}"
    net, _ = train_config(config, X_train, y_train, progress=False, evaluate_train=False)
    save_chapter_07(net, config)
    return net, f"no saved network found: trained chapter 07's network here ({config.summary()})"
