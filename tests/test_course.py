"""nnlib.course: chapter 07's configuration in one place, its cache file, and load-or-train for chapter 08."""
from dataclasses import replace

import numpy as np

from nnlib import course
from nnlib.presets import train_config


def small_data(n=300, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((n, 784)), rng.integers(0, 10, n)


def test_model_path_changes_with_the_configuration(tmp_path, monkeypatch):
    monkeypatch.setenv("NNLIB_CACHE_DIR", str(tmp_path))
    path = course.model_path()
    assert path.parent == tmp_path and path.suffix == ".npz"
    assert course.model_path(replace(course.CHAPTER_07, lr=1e-3)) != path
    assert course.model_path(replace(course.CHAPTER_07)) == path


def test_train_config_uses_the_configs_optimizer_schedule_and_epochs():
    config = replace(course.CHAPTER_07, epochs=2, layers=(784, 16, 10))
    X, y = small_data()
    net, history = train_config(config, X, y, progress=False, evaluate_train=False)
    assert net.sizes == [784, 16, 10] and net.dtype == np.float32 and history.epochs == 2
    assert history.lr == [config.lr, config.lr / 2]          # cosine decay over 2 epochs: lr, then lr / 2


def test_load_or_train_trains_saves_and_then_loads_the_same_network(tmp_path, monkeypatch):
    monkeypatch.setenv("NNLIB_CACHE_DIR", str(tmp_path))
    config = replace(course.CHAPTER_07, epochs=1, layers=(784, 16, 10))
    X, y = small_data()
    trained, how = course.load_or_train_chapter_07(X, y, config)
    assert how.startswith("no saved network found") and course.model_path(config).is_file()
    loaded, how = course.load_or_train_chapter_07(X, y, config)
    assert how.startswith("loaded")
    for a, b in zip(trained.parameters(), loaded.parameters()):
        np.testing.assert_array_equal(a, b)
    again, _ = train_config(config, X, y, progress=False, evaluate_train=False)   # same config, same network
    for a, b in zip(again.parameters(), loaded.parameters()):
        np.testing.assert_array_equal(a, b)


def test_save_chapter_07_creates_the_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("NNLIB_CACHE_DIR", str(tmp_path / "new" / "folder"))
    config = replace(course.CHAPTER_07, layers=(784, 4, 10))
    from nnlib.presets import build_network
    path = course.save_chapter_07(build_network(config), config)
    assert path.is_file() and path == course.model_path(config)
