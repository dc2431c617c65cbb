"""The chapter 04 checkers accept correct code and name the typical mistakes, without ever crashing."""
import numpy as np
import pytest

from nnlib.exercises.ch04 import check_make_batches, check_sgd_step


# -- sgd_step ----------------------------------------------------------------------------------

def good_sgd_step(params, grads, lr):
    for p, g in zip(params, grads):
        p -= lr * g


def test_sgd_step_correct_passes():
    result = check_sgd_step(good_sgd_step)
    assert result.passed and str(result) == "✓ sgd_step: all 4 cases pass"


def test_sgd_step_slice_assignment_also_passes():
    def with_slices(params, grads, lr):
        for p, g in zip(params, grads):
            p[...] = p - lr * g
        return params
    assert check_sgd_step(with_slices).passed


def returns_new_arrays(params, grads, lr):
    return [p - lr * g for p, g in zip(params, grads)]


def rebinds(params, grads, lr):
    for p, g in zip(params, grads):
        p = p - lr * g  # noqa: F841  (the mistake under test)


def adds(params, grads, lr):
    for p, g in zip(params, grads):
        p += lr * g


def forgets_lr(params, grads, lr):
    for p, g in zip(params, grads):
        p -= g


def only_first(params, grads, lr):
    params[0] -= lr * grads[0]


@pytest.mark.parametrize("wrong, hint", [
    (returns_new_arrays, "you returned the new arrays"),
    (rebinds, "the parameters did not change"),
    (adds, "you added the gradient"),
    (forgets_lr, "the learning rate is missing"),
    (only_first, "only some parameters changed"),
])
def test_sgd_step_mistakes_are_named(wrong, hint):
    result = check_sgd_step(wrong)
    assert not result.passed
    assert result.hint is not None and hint in result.hint, result.message


def test_sgd_step_exceptions_are_reported():
    def raises(params, grads, lr):
        return params + grads * lr  # list * float: TypeError
    message = str(check_sgd_step(raises))
    assert message.startswith("✗ sgd_step") and "raised TypeError" in message


# -- make_batches ------------------------------------------------------------------------------

def good_make_batches(n, batch_size, rng):
    order = rng.permutation(n)
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


def test_make_batches_correct_passes():
    result = check_make_batches(good_make_batches)
    assert result.passed and str(result) == "✓ make_batches: all 4 cases pass"


def drops_last(n, batch_size, rng):
    order = rng.permutation(n)
    return [order[i:i + batch_size] for i in range(0, n - batch_size + 1, batch_size)]


def no_shuffle(n, batch_size, rng):
    order = np.arange(n)
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


def with_replacement(n, batch_size, rng):
    order = rng.integers(0, n, size=n)
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


def other_shuffle(n, batch_size, rng):
    order = rng.choice(n, size=n, replace=False)[::-1]
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


def uneven(n, batch_size, rng):
    return list(np.array_split(rng.permutation(n), max(1, n // batch_size)))


@pytest.mark.parametrize("wrong, hint", [
    (drops_last, "the last, partial batch of 12 examples is missing"),
    (no_shuffle, "not shuffled"),
    (with_replacement, "appear twice"),
    (other_shuffle, "not the one rng.permutation(n) gives"),
    (uneven, "every batch but the last"),
    (lambda n, batch_size, rng: None, "return the list of batches"),
    (lambda n, batch_size, rng: [list(b) for b in good_make_batches(n, batch_size, rng)], "NumPy index arrays"),
])
def test_make_batches_mistakes_are_named(wrong, hint):
    result = check_make_batches(wrong)
    assert not result.passed
    assert result.hint is not None and hint in result.hint, result.message


def test_make_batches_exceptions_are_reported():
    def raises(n, batch_size, rng):
        return rng.permutation(n).reshape(-1, batch_size)  # 60 is not a multiple of 16
    message = str(check_make_batches(raises))
    assert "raised ValueError" in message


def test_messages_speak_of_params_and_batches_not_tuples():
    assert "params[0] after your step" in str(check_sgd_step(adds))
    assert "expected 4 batches, got 3" in str(check_make_batches(drops_last))
    assert "batch 0: values differ" in str(check_make_batches(no_shuffle))
    assert "got None (did you forget `return`?)" in str(check_make_batches(lambda n, batch_size, rng: None))
