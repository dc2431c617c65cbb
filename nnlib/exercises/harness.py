"""The machinery behind every exercise checker: run a student's function on cases, compare with a
reference implementation, and explain a failure specifically. A checker never crashes on what the
student's function does: an exception, a wrong return type or a wrong shape is reported in words."""
import copy
from dataclasses import dataclass

import numpy as np


@dataclass
class Case:
    """One input to try: a short description for the report, and the positional arguments."""

    description: str
    args: tuple


@dataclass
class CheckResult:
    """What a checker found. Shown in a notebook as its message; true when every case passed."""

    name: str
    passed: bool
    message: str
    case: str | None = None  # description of the first failing case
    hint: str | None = None  # the likely mistake, when one was recognised

    def __bool__(self):
        return self.passed

    def __repr__(self):
        return self.message

    def __str__(self):
        return self.message


def check_function(name, student_fn, cases, reference, diagnose=None, rtol=1e-6, atol=1e-8):
    """Run student_fn and reference on every case; stop at the first disagreement.

    diagnose(args, got, expected) may return a hint naming the likely mistake (or None).
    Both functions get their own deep copies of the arguments, so an in-place change cannot leak.
    """
    for case in cases:
        expected = reference(*copy.deepcopy(case.args))
        try:
            got = student_fn(*copy.deepcopy(case.args))
        except NotImplementedError:
            return _fail(name, case, "is not implemented yet",
                         "replace the `raise NotImplementedError(...)` line with your code, then run this check again")
        except Exception as error:  # the student's bug, reported instead of a traceback
            return _fail(name, case, f"raised {type(error).__name__}: {error}", _hint(diagnose, case, None, expected))
        problem = compare(got, expected, rtol, atol)
        if problem:
            return _fail(name, case, problem, _hint(diagnose, case, got, expected))
    return CheckResult(name, True, f"✓ {name}: all {len(cases)} cases pass")


def _hint(diagnose, case, got, expected):
    if diagnose is None:
        return None
    try:
        return diagnose(case.args, got, expected)
    except Exception:  # a diagnosis that trips over odd output must not hide the report
        return None


def _fail(name, case, problem, hint):
    lines = [f"✗ {name} failed on case '{case.description}':", f"  {problem}"]
    if hint:
        lines.append(f"  Hint: {hint}")
    return CheckResult(name, False, "\n".join(lines), case.description, hint)


def compare(got, expected, rtol=1e-6, atol=1e-8):
    """A sentence describing how got differs from expected, or None when they agree.
    Tuples are compared item by item (e.g. the (dX, dW, db) of a backward pass)."""
    if isinstance(expected, tuple):
        if not isinstance(got, tuple) or len(got) != len(expected):
            return f"expected a tuple of {len(expected)} items, got {describe(got)}"
        for i, (g, e) in enumerate(zip(got, expected)):
            problem = compare(g, e, rtol, atol)
            if problem:
                return f"item {i} of the returned tuple: {problem}"
        return None
    if np.isscalar(expected):
        if not (np.isscalar(got) or (isinstance(got, np.ndarray) and got.ndim == 0)):
            return f"expected a single number, got {describe(got)}"
        if not np.isclose(float(got), float(expected), rtol=rtol, atol=atol):
            return f"expected {float(expected):.6g}, got {float(got):.6g}"
        return None
    if not isinstance(got, np.ndarray):
        return f"expected a NumPy array of shape {expected.shape}, got {describe(got)}"
    if got.shape != expected.shape:
        return f"expected shape {expected.shape}, got shape {got.shape}"
    if np.issubdtype(expected.dtype, np.integer) and not np.issubdtype(got.dtype, np.integer):
        return f"expected integers (dtype {expected.dtype}), got dtype {got.dtype}"
    if not np.allclose(got, expected, rtol=rtol, atol=atol, equal_nan=False):
        return (f"values differ:\n    expected {abbreviate(expected)}\n    got      {abbreviate(got)}"
                f"\n    (largest difference {_largest_difference(got, expected)})")
    return None


def _largest_difference(got, expected):
    with np.errstate(invalid="ignore"):
        difference = np.abs(got.astype(np.float64) - expected.astype(np.float64))
    return "nan" if np.isnan(difference).any() else f"{difference.max():.3g}"


def describe(value):
    """A few words naming what a student's function returned, e.g. 'an array of shape (2, 3)'."""
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    if value is None:
        return "None (did you forget `return`?)"
    return f"a {type(value).__name__}"


def abbreviate(array, limit=6):
    """A short one-line rendering of an array: shape and its first few values."""
    flat = np.asarray(array).ravel()
    shown = ", ".join(f"{v:.4g}" if np.issubdtype(flat.dtype, np.floating) else str(v) for v in flat[:limit])
    more = ", ..." if flat.size > limit else ""
    return f"shape {np.shape(array)}: [{shown}{more}]"
