"""Chapter 06 checker: typical wrong initializers get the hint that names their mistake (including ones
that ignore the rng they are given), unusual correct ones pass."""
import numpy as np
import pytest

from exercise_catalogue import MIN_RIGHT, MIN_WRONG, assert_right, assert_wrong
from nnlib.exercises.ch06 import check_he_init


def he_right(n_in, n_out, rng):
    return rng.standard_normal((n_in, n_out)) * np.sqrt(2.0 / n_in)


def he_normal_scale(n_in, n_out, rng):
    return rng.normal(0.0, np.sqrt(2.0 / n_in), size=(n_in, n_out))


def he_uniform(n_in, n_out, rng):
    limit = np.sqrt(6.0 / n_in)
    return rng.uniform(-limit, limit, size=(n_in, n_out))


def he_float32(n_in, n_out, rng):
    return (rng.standard_normal((n_in, n_out), dtype=np.float32) * np.float32(np.sqrt(2.0 / n_in)))


def lecun(n_in, n_out, rng):
    return rng.standard_normal((n_in, n_out)) / np.sqrt(n_in)


def fan_out(n_in, n_out, rng):
    return rng.standard_normal((n_in, n_out)) * np.sqrt(2.0 / n_out)


def variance_as_std(n_in, n_out, rng):
    return rng.standard_normal((n_in, n_out)) * (2.0 / n_in)


def xavier(n_in, n_out, rng):
    return rng.standard_normal((n_in, n_out)) * np.sqrt(2.0 / (n_in + n_out))


def unscaled(n_in, n_out, rng):
    return rng.standard_normal((n_in, n_out))


def uniform_zero_one(n_in, n_out, rng):
    return rng.random((n_in, n_out)) * np.sqrt(2.0 / n_in)


def global_numpy(n_in, n_out, rng):
    return np.random.randn(n_in, n_out) * np.sqrt(2.0 / n_in)


def own_generator(n_in, n_out, rng):
    return np.random.default_rng(0).standard_normal((n_in, n_out)) * np.sqrt(2.0 / n_in)


def seeded_from_rng_every_call(n_in, n_out, rng):
    rng.random()  # touches rng, but the matrix comes from a fixed seed
    return np.random.default_rng(123).standard_normal((n_in, n_out)) * np.sqrt(2.0 / n_in)


def transposed(n_in, n_out, rng):
    return rng.standard_normal((n_out, n_in)) * np.sqrt(2.0 / n_in)


def sqrt_only_numerator(n_in, n_out, rng):
    return rng.standard_normal((n_in, n_out)) * np.sqrt(2.0) / n_in


def uniform_wrong_range(n_in, n_out, rng):
    limit = np.sqrt(2.0 / n_in)
    return rng.uniform(-limit, limit, size=(n_in, n_out))


def integers(n_in, n_out, rng):
    return rng.integers(-1, 2, size=(n_in, n_out))


def shifted_mean(n_in, n_out, rng):
    return rng.normal(0.1, np.sqrt(2.0 / n_in), size=(n_in, n_out))


def two_arguments(n_in, n_out, rng):
    return rng.standard_normal(n_in, n_out) * np.sqrt(2.0 / n_in)


def as_list(n_in, n_out, rng):
    return he_right(n_in, n_out, rng).tolist()


HE_WRONG = [
    (lecun, "LeCun"),
    (fan_out, "you used the fan-out"),
    (variance_as_std, "that is the variance"),
    (xavier, "Xavier"),
    (unscaled, "still need scaling"),
    (uniform_zero_one, "every weight is >= 0"),
    (global_numpy, "never used the rng argument"),
    (own_generator, "never used the rng argument"),
    (seeded_from_rng_every_call, "ignores the rng"),
    (transposed, "you returned (n_out, n_in)"),
    (sqrt_only_numerator, "the whole fraction"),
    (uniform_wrong_range, "a = sqrt(6 / n_in)"),
    (integers, "not integers"),
    (shifted_mean, "the mean is 0"),
    (two_arguments, "two pairs of brackets"),
    (as_list, "return a NumPy array"),
]
HE_RIGHT = [he_right, he_normal_scale, he_uniform, he_float32]


@pytest.mark.parametrize("wrong, phrase", HE_WRONG, ids=lambda x: getattr(x, "__name__", ""))
def test_he_init_mistakes_are_named(wrong, phrase):
    assert_wrong(check_he_init, wrong, phrase)


@pytest.mark.parametrize("right", HE_RIGHT, ids=lambda f: f.__name__)
def test_unusual_correct_he_init_passes(right):
    assert_right(check_he_init, right)


def test_catalogue_is_broad_enough():
    assert len(HE_WRONG) >= MIN_WRONG and len(HE_RIGHT) >= MIN_RIGHT


def test_calling_nnlibs_he_initializer_is_refused():
    from nnlib import Network, initializers

    def through_a_network(n_in, n_out, rng):
        return Network([n_in, n_out], init="he", seed=int(rng.integers(1000))).weights[0]

    for cheat in (lambda n_in, n_out, rng: initializers.he(n_in, n_out, rng), through_a_network):
        result = check_he_init(cheat)
        assert not result.passed
        assert "calls nnlib.initializers.he" in result.message and "variance is 2 / n_in" in result.message
