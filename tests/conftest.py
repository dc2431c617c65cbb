"""Fixtures shared by the unit tests."""
import pytest

from mnist_fakes import fake_mnist


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    """Never write the verification cache into the real home; never pick up a user's NNLIB_DATA_DIR."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("NNLIB_DATA_DIR", raising=False)


@pytest.fixture
def contents():
    """A small generated MNIST look-alike: 30 training and 12 test images with their labels."""
    return fake_mnist(n_train=30, n_test=12)
