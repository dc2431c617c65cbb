"""Checkers for the exercises of chapter 04 (stochastic gradient descent).

    check_sgd_step(fn)       fn(params, grads, lr) updates every array in params in place: p <- p - lr * g
    check_make_batches(fn)   fn(n, batch_size, rng) -> list of index arrays: a shuffled split of range(n)

Each runs the student's function on several cases, compares with nnlib's own behaviour and names the
likely mistake. The checks look at what matters: for sgd_step, the arrays the caller passed in (an
optimizer must change the network's own arrays); for make_batches, the batches themselves.
"""
import dataclasses
import re

import numpy as np

from ..optimizers import SGD
from .harness import Case, check_function


def _reworded(result, replacements):
    """The harness speaks of 'items of the returned tuple'; say 'params[i]' or 'batch i' instead."""
    message = result.message
    for pattern, replacement in replacements:
        message = re.sub(pattern, replacement, message)
    return dataclasses.replace(result, message=message)


# -- sgd_step ----------------------------------------------------------------------------------

def check_sgd_step(student_fn):
    """Every p in params becomes p - lr * g, in place (the caller's arrays change)."""
    returned = {}

    def params_after_student_step(params, grads, lr):
        returned["value"] = student_fn(params, grads, lr)
        return tuple(params)

    def diagnose(args, got, expected):
        return _diagnose_sgd_step(args, got, expected, returned.get("value"))

    result = check_function("sgd_step", params_after_student_step, _sgd_cases(), _reference_sgd_step, diagnose)
    return _reworded(result, [(r"item (\d+) of the returned tuple", r"params[\1] after your step")])


def _reference_sgd_step(params, grads, lr):
    SGD(lr).step(params, grads)
    return tuple(params)


def _sgd_cases():
    rng = np.random.default_rng(5)

    def params_and_grads(*shapes):
        return [rng.normal(size=s) for s in shapes], [rng.normal(size=s) for s in shapes]

    return [
        Case("one weight matrix (2, 3), lr = 0.5", (*params_and_grads((2, 3)), 0.5)),
        Case("a 4-3-2 network [W0, b0, W1, b1], lr = 3.0", (*params_and_grads((4, 3), (3,), (3, 2), (2,)), 3.0)),
        Case("a single bias of one unit (1,), lr = 0.01", (*params_and_grads((1,)), 0.01)),
        Case("large gradients (1e6), lr = 1e-4", ([np.ones((3, 3))], [np.full((3, 3), 1e6)], 1e-4)),
    ]


def _diagnose_sgd_step(args, got, expected, returned):
    params, grads, lr = args
    if not isinstance(got, tuple) or len(got) != len(params):
        return None
    if all(np.array_equal(g, p) for g, p in zip(got, params)):
        if _matches(returned, expected):
            return ("you returned the new arrays, but the caller's arrays did not change: update in place "
                    "with p -= lr * g (p = p - lr * g only rebinds the name p to a new array)")
        return ("the parameters did not change: update each array in place, p -= lr * g "
                "(p = p - lr * g only rebinds the name p to a new array)")
    minus_g = tuple(p - g for p, g in zip(params, grads))
    plus_lr_g = tuple(p + lr * g for p, g in zip(params, grads))
    if _matches(got, plus_lr_g):
        return "you added the gradient: descent steps against it, p -= lr * g"
    if lr != 1 and _matches(got, minus_g):
        return "the learning rate is missing: the step is lr * g, not g"
    changed = [not np.array_equal(g, p) for g, p in zip(got, params)]
    if not all(changed):
        return "only some parameters changed: loop over all pairs, for p, g in zip(params, grads)"
    return None


def _matches(got, expected):
    return (isinstance(got, (tuple, list)) and len(got) == len(expected)
            and all(isinstance(g, np.ndarray) and g.shape == e.shape and np.allclose(g, e)
                    for g, e in zip(got, expected)))


# -- make_batches ------------------------------------------------------------------------------

def check_make_batches(student_fn):
    """The batches of order = rng.permutation(n), cut into consecutive slices of batch_size
    (the last one shorter when batch_size does not divide n)."""

    returned = {}

    def batches_as_tuple(n, batch_size, rng):
        batches = student_fn(n, batch_size, rng)
        returned["count"] = len(batches) if isinstance(batches, (list, tuple)) else None
        return tuple(batches) if isinstance(batches, list) else batches

    result = check_function("make_batches", batches_as_tuple, _batch_cases(), _reference_make_batches,
                            _diagnose_make_batches)
    return _reworded(result, [(r"(?m)expected a tuple of (\d+) items, got a tuple$",
                               rf"expected \1 batches, got {returned.get('count')}"),
                              (r"expected a tuple of (\d+) items, got (.*)", r"expected a list of \1 batches, got \2"),
                              (r"item (\d+) of the returned tuple", r"batch \1")])


def _reference_make_batches(n, batch_size, rng):
    order = rng.permutation(n)
    return tuple(order[start:start + batch_size] for start in range(0, n, batch_size))


def _batch_cases():
    return [
        Case("n = 60, batch_size = 16 (a last batch of 12)", (60, 16, np.random.default_rng(0))),
        Case("n = 50, batch_size = 10 (divides evenly)", (50, 10, np.random.default_rng(1))),
        Case("n = 7, batch_size = 1 (one example per step)", (7, 1, np.random.default_rng(2))),
        Case("n = 5, batch_size = 32 (one batch, smaller than batch_size)", (5, 32, np.random.default_rng(3))),
    ]


def _diagnose_make_batches(args, got, expected):
    n, batch_size, _ = args
    if got is None:
        return "return the list of batches: return [order[i:i + batch_size] for i in range(0, n, batch_size)]"
    if not isinstance(got, tuple) or not all(isinstance(batch, np.ndarray) for batch in got):
        return "return a list of NumPy index arrays, one per batch"
    sizes = [len(batch) for batch in got]
    every_index = np.concatenate(got) if got else np.array([], dtype=int)
    if len(every_index) < n and sizes and set(sizes) == {batch_size} and n % batch_size:
        return (f"the last, partial batch of {n % batch_size} examples is missing: range(0, n, batch_size) "
                f"and slicing keep it")
    if len(np.unique(every_index)) < len(every_index):
        return "some examples appear twice: shuffle once with rng.permutation(n), then slice (no sampling with replacement)"
    if not np.array_equal(np.sort(every_index), np.arange(n)):
        return f"the batches together must hold every index 0..{n - 1} exactly once"
    if any(size > batch_size for size in sizes) or sizes[:-1] != [batch_size] * (len(sizes) - 1):
        return f"every batch but the last must hold exactly batch_size = {batch_size} indices"
    if n > 1 and np.array_equal(every_index, np.arange(n)):
        return "the examples are not shuffled: start from order = rng.permutation(n)"
    return ("a valid shuffled split, but not the one rng.permutation(n) gives: call rng.permutation(n) "
            "exactly once, so that the same seed gives the same batches")
