"""Checkers for the exercises of chapter 06 (He initialization).

    check_he_init(he_init)      he_init(n_in, n_out, rng) -> W of shape (n_in, n_out), W_ij ~ N(0, 2 / n_in)

A random initializer has no single right answer to compare with, so the checker compares statistics:
it draws large matrices (at least 20,000 weights each) from a seeded generator and checks the shape,
that the same seed gives the same matrix, the mean and the standard deviation. With a fixed seed the
verdict is deterministic; the tolerances are many standard errors wide, so a correct initializer that
draws its numbers in a different way (rng.normal, uniform with the right variance, ...) passes too.
"""
import numpy as np

from .. import initializers
from .harness import (Case, CheckResult, attempt, calls_the_answer, describe, failure, raised, register_hints,
                      watched_functions)

register_hints("he_init", [
    "two separate questions: which distribution do you draw from (and from which generator), and how wide "
    "must it be so that a ReLU layer keeps the variance of its inputs?",
    "draw standard normal numbers from the rng you are given, in the shape (n_in, n_out), and scale them: "
    "the variance must be 2 / n_in, so the standard deviation is its square root.",
    "return rng.standard_normal((n_in, n_out)) * np.sqrt(2 / n_in)",
])

STD_TOLERANCE = 0.05  # relative; the standard error of a std from >= 20,000 draws is below 0.5 %
MEAN_TOLERANCE = 6.0  # in standard errors of the mean, sigma / sqrt(N)

# args are (n_in, n_out, seed); fan-in and fan-out differ in every case, so confusing them shows.
CASES = [
    Case("784 inputs, 256 outputs (MNIST's first layer)", (784, 256, 10)),
    Case("256 inputs, 128 outputs", (256, 128, 11)),
    Case("100 inputs, 1000 outputs (more outputs than inputs)", (100, 1000, 12)),
    Case("20000 inputs, a single output unit", (20000, 1, 13)),
    Case("a single input (n_in = 1), 20000 outputs", (1, 20000, 14)),
]


def _std_mistakes(n_in, n_out):
    """(standard deviation, hint) of the typical wrong initializers for this layer."""
    return [
        (np.sqrt(1.0 / n_in), "the spread is sqrt(1 / n_in): that is the 1/sqrt(n) (LeCun) scale, which loses half "
                              "the variance at every ReLU layer. He uses sqrt(2 / n_in)"),
        (np.sqrt(2.0 / n_out), "the spread is sqrt(2 / n_out): you used the fan-out. He divides by the fan-in, "
                               "n_in, the number of inputs each unit sums over"),
        (2.0 / n_in, "the spread is 2 / n_in: that is the variance. The standard deviation is its square root, "
                     "np.sqrt(2 / n_in)"),
        (np.sqrt(2.0 / (n_in + n_out)), "the spread is sqrt(2 / (n_in + n_out)): that is Xavier initialization. "
                                        "He uses sqrt(2 / n_in)"),
        (1.0, "the spread is 1: the numbers are standard normal and still need scaling by np.sqrt(2 / n_in)"),
        (np.sqrt(2.0) / n_in, "the spread is sqrt(2) / n_in: the square root must cover the whole fraction, "
                              "np.sqrt(2 / n_in)"),
        (np.sqrt(2.0 / n_in) / np.sqrt(3.0), "the spread is sqrt(2 / n_in) / sqrt(3): a uniform distribution on "
                                             "[-a, a] has standard deviation a / sqrt(3), so for He use "
                                             "a = sqrt(6 / n_in), or draw from a normal distribution"),
    ]


def _name_std_mistake(std, n_in, n_out):
    for wrong_std, hint in _std_mistakes(n_in, n_out):
        if abs(std / wrong_std - 1.0) < STD_TOLERANCE:
            return hint
    return None


def _sign_mistake(W):
    if np.issubdtype(W.dtype, np.integer):
        return None
    if W.min() >= 0:
        return ("every weight is >= 0 (rng.random draws from [0, 1)); draw from a normal distribution centred "
                "on 0 instead: rng.standard_normal((n_in, n_out)) * np.sqrt(2 / n_in)")
    return None


def _call(he_init, n_in, n_out, seed):
    """The attempt with a freshly seeded generator, and that generator (to see whether it was used)."""
    rng = np.random.default_rng(seed)
    return attempt(he_init, (n_in, n_out, rng)), rng


def _problem(he_init, n_in, n_out, seed):
    """(problem, hint) for one case, or None when the matrix looks like He initialization."""
    outcome, rng = _call(he_init, n_in, n_out, seed)
    W, error = outcome.value, outcome.error
    if isinstance(error, NotImplementedError):
        return ("is not implemented yet",
                "replace the `raise NotImplementedError(...)` line with your code, then run this check again")
    if error is not None:
        hint = ("the shape is one tuple argument: rng.standard_normal((n_in, n_out)), with two pairs of brackets"
                if isinstance(error, TypeError) and "standard_normal" in (outcome.where or "") else None)
        return raised(outcome), hint
    if not isinstance(W, np.ndarray):
        hint = ("return a NumPy array, e.g. from rng.standard_normal((n_in, n_out))" if isinstance(W, list) else
                "your function returned None: finish it with `return W`" if W is None else None)
        return f"expected a NumPy array of shape {(n_in, n_out)}, got {describe(W)}", hint
    if W.shape != (n_in, n_out):
        hint = ("W is (n_in, n_out) in nnlib (batch first: Z = X @ W), you returned (n_out, n_in)"
                if W.shape == (n_out, n_in) else None)
        return f"expected shape {(n_in, n_out)}, got shape {W.shape}", hint
    if not np.issubdtype(W.dtype, np.floating) or not np.all(np.isfinite(W)):
        hint = ("the weights must be real numbers, not integers: draw them with rng.standard_normal, not "
                "rng.integers" if np.issubdtype(W.dtype, np.integer) else None)
        return f"expected finite floating-point weights, got dtype {W.dtype}", hint
    untouched = np.random.default_rng(seed)
    if rng.bit_generator.state == untouched.bit_generator.state:
        return ("your function never drew a number from the rng it was given",
                "your function never used the rng argument: draw the weights from it (rng.standard_normal or "
                "rng.normal), not from np.random or a generator of your own, so that a seed reproduces the network")
    again, _ = _call(he_init, n_in, n_out, seed)
    if not (isinstance(again.value, np.ndarray) and again.value.shape == W.shape and np.array_equal(again.value, W)):
        return ("two calls with identically seeded generators gave different matrices",
                "draw the numbers from the rng you are given (rng.standard_normal or rng.normal), not from "
                "np.random, so that a seed reproduces the same network")
    other, _ = _call(he_init, n_in, n_out, seed + 1000)
    if isinstance(other.value, np.ndarray) and np.array_equal(other.value, W):
        return ("generators with different seeds gave the same matrix",
                "your function ignores the rng it is given (does it make its own, e.g. "
                "np.random.default_rng(0)?): draw from the rng argument")
    return _statistics_problem(W.astype(np.float64), n_in, n_out)


def _statistics_problem(W, n_in, n_out):
    target = np.sqrt(2.0 / n_in)
    std, mean = float(W.std()), float(W.mean())
    if abs(std / target - 1.0) > STD_TOLERANCE:
        return (f"the weights' standard deviation is {std:.4g}; He initialization gives sqrt(2 / n_in) = "
                f"{target:.4g} (a tolerance of {STD_TOLERANCE:.0%})",
                _name_std_mistake(std, n_in, n_out) or _sign_mistake(W))
    standard_error = target / np.sqrt(W.size)
    if abs(mean) > MEAN_TOLERANCE * standard_error:
        return (f"the weights' mean is {mean:.3g}, too far from 0 for {W.size} draws "
                f"(allowed: within {MEAN_TOLERANCE * standard_error:.2g})",
                "draw from a distribution centred on 0: N(0, 2 / n_in), so the mean is 0")
    return None


def check_he_init(he_init):
    """Check that he_init(n_in, n_out, rng) returns W of shape (n_in, n_out) with W_ij ~ N(0, 2 / n_in):
    same seed, same matrix; mean 0 and standard deviation sqrt(2 / n_in) within a statistical tolerance.
    Calling nnlib's own initializers.he (directly or through a Network) is refused."""
    uses_answer = calls_the_answer("he_init", he_init, CASES[:1], watched_functions(initializers.he), HE_ADVICE,
                                   args_of=lambda case: (case.args[0], case.args[1],
                                                         np.random.default_rng(case.args[2])))
    if uses_answer is not None:
        return uses_answer
    for case in CASES:
        found = _problem(he_init, *case.args)
        if found is not None:
            problem, hint = found
            return failure("he_init", case, problem, hint)
    return CheckResult("he_init", True, f"✓ he_init: all {len(CASES)} cases pass")


HE_ADVICE = ("nnlib.initializers.he (imported at the top of the chapter) is the finished initializer; draw the "
             "weights from rng yourself and scale them so that their variance is 2 / n_in")
