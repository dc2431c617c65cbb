"""Weight initializers. Each returns W of shape (n_in, n_out), drawn from a seeded numpy Generator.

Biases start at zero (b: (n_out,)); only the weights need random values to break symmetry.
"""
import numpy as np


def standard_normal(n_in, n_out, rng, dtype=np.float64):
    """W_ij ~ N(0, 1): the naive choice; variance grows with every layer (Nielsen's first network)."""
    return rng.standard_normal((n_in, n_out)).astype(dtype)


def scaled_normal(n_in, n_out, rng, dtype=np.float64):
    """W_ij ~ N(0, 1/n_in): Var(z) = n_in Var(w) E[x^2] = E[x^2], the inputs' mean square (Nielsen, chapter 3)."""
    return (rng.standard_normal((n_in, n_out)) / np.sqrt(n_in)).astype(dtype)


def xavier(n_in, n_out, rng, dtype=np.float64):
    """Glorot & Bengio (2010), normal form: W_ij ~ N(0, 2 / (n_in + n_out)), derived for tanh (slope 1 at 0)."""
    return (rng.standard_normal((n_in, n_out)) * np.sqrt(2.0 / (n_in + n_out))).astype(dtype)


def he(n_in, n_out, rng, dtype=np.float64):
    """He et al. (2015): W_ij ~ N(0, 2 / n_in). ReLU zeroes half its inputs, so the factor 2 restores
    the variance that 1/n_in would lose at each layer."""
    return (rng.standard_normal((n_in, n_out)) * np.sqrt(2.0 / n_in)).astype(dtype)


INITIALIZERS = {"standard_normal": standard_normal, "scaled_normal": scaled_normal, "xavier": xavier, "he": he}


def get_initializer(name):
    """The initializer function called `name` (a key of INITIALIZERS), or a ValueError listing the choices."""
    if name not in INITIALIZERS:
        raise ValueError(f"unknown initializer {name!r}; choose one of {', '.join(INITIALIZERS)}")
    return INITIALIZERS[name]
