"""Chapter 06 checker: correct He initializers pass (however they draw their numbers), each typical mistake
fails with the hint that names it, and nothing a student's function does crashes the checker."""
import numpy as np
import pytest

from nnlib.exercises.ch06 import check_he_init
from nnlib.initializers import he, scaled_normal, xavier


def he_standard_normal(n_in, n_out, rng):
    return rng.standard_normal((n_in, n_out)) * np.sqrt(2.0 / n_in)


def he_normal(n_in, n_out, rng):
    return rng.normal(0.0, np.sqrt(2.0 / n_in), size=(n_in, n_out))


def he_uniform(n_in, n_out, rng):
    limit = np.sqrt(6.0 / n_in)  # Var(U(-l, l)) = l^2 / 3 = 2 / n_in
    return rng.uniform(-limit, limit, size=(n_in, n_out))


def he_transposed_draw(n_in, n_out, rng):
    return (rng.standard_normal((n_out, n_in)) * np.sqrt(2.0 / n_in)).T


@pytest.mark.parametrize("right", [he_standard_normal, he_normal, he_uniform, he_transposed_draw, he])
def test_correct_he_initializers_pass(right):
    result = check_he_init(right)
    assert result.passed, result.message
    assert result.message == "✓ he_init: all 5 cases pass"


def test_verdict_is_deterministic():
    assert check_he_init(he_standard_normal).message == check_he_init(he_standard_normal).message
    assert check_he_init(scaled_normal).message == check_he_init(scaled_normal).message


@pytest.mark.parametrize("wrong, hint", [
    (lambda n_in, n_out, rng: rng.standard_normal((n_in, n_out)) * np.sqrt(2.0 / n_out), "you used the fan-out"),
    (scaled_normal, "sqrt(1 / n_in)"),
    (lambda n_in, n_out, rng: rng.standard_normal((n_in, n_out)) * (2.0 / n_in), "that is the variance"),
    (lambda n_in, n_out, rng: rng.standard_normal((n_out, n_in)) * np.sqrt(2.0 / n_in), "you returned (n_out, n_in)"),
    (xavier, "that is Xavier initialization"),
    (lambda n_in, n_out, rng: rng.standard_normal((n_in, n_out)), "still need scaling"),
    (lambda n_in, n_out, rng: np.random.standard_normal((n_in, n_out)) * np.sqrt(2.0 / n_in),
     "draw the numbers from the rng you are given"),
    (lambda n_in, n_out, rng: (rng.standard_normal((n_in, n_out)) + 0.1) * np.sqrt(2.0 / n_in), "centred on 0"),
    (lambda n_in, n_out, rng: rng.random((n_in, n_out)) * np.sqrt(2.0 / n_in), "every weight is >= 0"),
    (lambda n_in, n_out, rng: (rng.standard_normal((n_in, n_out)) * np.sqrt(2.0 / n_in)).tolist(),
     "return a NumPy array"),
])
def test_typical_mistakes_get_their_hint(wrong, hint):
    result = check_he_init(wrong)
    assert not result.passed
    assert result.hint is not None and hint in result.hint, result.message
    assert "Hint: " in result.message


def test_fan_out_mistake_is_caught_on_the_first_case():
    result = check_he_init(lambda n_in, n_out, rng: rng.standard_normal((n_in, n_out)) * np.sqrt(2.0 / n_out))
    assert result.case.startswith("784 inputs, 256 outputs")
    assert "standard deviation is" in result.message and "sqrt(2 / n_in) = 0.05051" in result.message


@pytest.mark.parametrize("broken, problem", [
    (lambda n_in, n_out, rng: None, "None (did you forget `return`?)"),
    (lambda n_in, n_out, rng: [[0.0]], "got a list"),
    (lambda n_in, n_out, rng: rng.standard_normal(n_in * n_out), "expected shape (784, 256)"),
    (lambda n_in, n_out, rng: 1 / 0, "raised ZeroDivisionError"),
    (lambda n_in, n_out: np.zeros((n_in, n_out)), "raised TypeError"),
    (lambda n_in, n_out, rng: np.zeros((n_in, n_out), dtype=int), "floating-point"),
    (lambda n_in, n_out, rng: np.full((n_in, n_out), np.nan), "floating-point"),
    (lambda n_in, n_out, rng: np.zeros((n_in, n_out)), "standard deviation is 0"),
])
def test_broken_initializers_are_reported_without_crashing(broken, problem):
    result = check_he_init(broken)
    assert not result.passed and problem in result.message, result.message


def test_not_implemented_says_so():
    def stub(n_in, n_out, rng):
        raise NotImplementedError("draw W from N(0, 2 / n_in)")
    result = check_he_init(stub)
    assert not result.passed and "not implemented yet" in result.message
