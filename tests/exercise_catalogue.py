"""Shared machinery of the wrong-answer tests (tests/test_exercises_ch*.py).

Each chapter's test module lists, per exercise, WRONG answers (a student's function and a phrase the
hint must contain, naming that mistake) and unusual CORRECT answers (loops, einsum, float32, equivalent
formulas) that must pass. assert_wrong and assert_right hold every entry to the same standard:
a wrong answer never prints ✓, its report names the failing case, and its hint names the mistake.
"""
import numpy as np

MIN_WRONG, MIN_RIGHT = 8, 2


def assert_wrong(check, wrong, phrase):
    result = check(wrong)
    assert not result.passed, f"{wrong.__name__} passed: {result.message}"
    assert "✓" not in result.message
    assert result.message.startswith(f"✗ {result.name} failed on case '"), result.message
    assert result.hint is not None and phrase in result.hint, f"{wrong.__name__}:\n{result.message}"
    assert "Hint: " in result.message
    return result


def assert_right(check, right):
    result = check(right)
    assert result.passed, f"{right.__name__}:\n{result.message}"
    assert result.message.startswith("✓ ")
    return result


def as_float32(fn):
    """A correct implementation fed float32 copies of its array arguments (a student's float32 pipeline)."""
    def wrapped(*args):
        return fn(*[a.astype(np.float32) if isinstance(a, np.ndarray) and a.dtype == np.float64 else a
                    for a in args])
    wrapped.__name__ = f"float32_{fn.__name__}"
    return wrapped
