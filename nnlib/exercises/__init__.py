"""Exercise checkers for the notebook series, one module per chapter (ch01.py ... ch08.py).

Checking. `check_<name>(your_function)` runs your implementation on several cases, edge cases included,
and reports either one line, e.g. `✓ softmax: all 8 cases pass`, or the first failing case: what your
function returned against what was expected (shape, dtype, the first few values), and, when the mistake
is one we recognise, a hint that names it. An exception inside your function is reported with your line;
an input your function changed in place is reported too.

Hints when you are stuck. Every exercise has hints in steps, from a nudge to the formula; ask for them
one at a time, by the name the checker prints:

    from nnlib.exercises import hint
    hint("softmax", 1)      # a nudge: what to think about
    hint("softmax", 2)      # more concrete
    hint("softmax", 3)      # the last step: the formula

`hint` with a name that does not exist lists the exercises that do.
"""
import importlib

from .harness import Case, CheckResult, check_function, hint

CHAPTER_MODULES = ("ch01", "ch02", "ch03", "ch04", "ch05", "ch06", "ch07", "ch08")


def load_all_chapters():
    """Import every chapter's checkers, so that each has registered its hints."""
    for module in CHAPTER_MODULES:
        importlib.import_module(f"{__name__}.{module}")


__all__ = ["Case", "CheckResult", "check_function", "hint", "load_all_chapters"]
