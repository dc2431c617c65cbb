"""The machinery behind every exercise checker: run a student's function on cases, compare with a
reference implementation, and explain a failure specifically.

A checker never crashes on what the student's function does. Whatever it returns (None, a string, bytes,
a list, a tuple of the wrong length, an array of the wrong shape or dtype) is described in words; an
exception raised inside the student's code is reported as that exception, with the student's line; an
input array the function changed in place is reported too, because the caller still needs it.

A checker can also refuse a function that hands the work to an answer that already exists: nnlib's own version
of the exercise, or a function the chapter defined before it (watched_functions, library_calls, calls_the_answer,
and check_function's forbidden=).
"""
import copy
import os
import sys
import threading
import traceback
from dataclasses import dataclass

import numpy as np

_LIBRARY_DIRS = tuple(os.path.dirname(os.path.abspath(module.__file__)) for module in (np,)) + (
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))),  # nnlib itself
    os.path.dirname(os.path.abspath(copy.__file__)),              # the standard library
)
_EXERCISES_DIR = os.path.dirname(os.path.abspath(__file__))
SWITCHED_OFF = ("sys.setprofile (or threading.setprofile), which switches off the checker's watch on what your "
                "function calls")


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
    hint: str | None = None  # the diagnosis of the likely mistake, when one was recognised

    def __bool__(self):
        return self.passed

    def __repr__(self):
        return self.message

    def __str__(self):
        return self.message


# -- step-by-step hints ------------------------------------------------------------------------

HINTS = {}  # exercise name -> list of hints, from a nudge to the formula


def register_hints(name, steps):
    """Record the hints of one exercise, in the order a student should read them."""
    HINTS[name] = list(steps)


class Hint(str):
    """A hint shown in a notebook as plain text (its repr is the text itself)."""

    def __repr__(self):
        return str(self)


def hint(name, step=1):
    """Hint number `step` (1 = a nudge, the last = the formula) for the exercise called `name`,
    the name its checker prints, e.g. hint("softmax", 2)."""
    from . import load_all_chapters

    load_all_chapters()
    if name not in HINTS:
        raise KeyError(f"there is no exercise called {name!r}; the exercises are: {', '.join(sorted(HINTS))}")
    steps = HINTS[name]
    if not isinstance(step, int) or step < 1:
        raise ValueError(f'hints are numbered from 1: hint("{name}", 1), ... hint("{name}", {len(steps)})')
    shown = min(step, len(steps))
    text = f"Hint {shown} of {len(steps)} for {name}: {steps[shown - 1]}"
    if shown < len(steps):
        text += f'\n(More: hint("{name}", {shown + 1}).)'
    elif step > len(steps):
        text = f"(There are only {len(steps)} hints for {name}; this is the last.)\n" + text
    return Hint(text)


def stuck_line(name):
    """The report's last line: how to ask for the hints of exercise `name` (None if it has none)."""
    if name not in HINTS:
        return None
    return (f'  Stuck? hint("{name}", 1) gives a nudge, up to hint("{name}", {len(HINTS[name])}) for the formula '
            f'(from nnlib.exercises import hint).')


# -- calling the student's function --------------------------------------------------------------

@dataclass
class Attempt:
    """What one call of the student's function did: its value, or the exception and where it came from."""

    value: object = None
    error: BaseException | None = None
    where: str | None = None  # "line 3 of your code: `return e / e.sum(axis=1)`"


def attempt(fn, args, strict_floats=True):
    """Call fn(*args). With strict_floats, NumPy's overflow, invalid and divide-by-zero warnings become
    FloatingPointError, so that e^1000 = inf is reported by name instead of printing a warning."""
    try:
        if strict_floats:
            with np.errstate(over="raise", invalid="raise", divide="raise"):
                return Attempt(fn(*args))
        with np.errstate(all="ignore"):
            return Attempt(fn(*args))
    except Exception as error:  # the student's bug, reported instead of a traceback
        return Attempt(error=error, where=student_line(error))


def student_line(error):
    """'line N of your code: `...`' for the innermost frame of the traceback outside NumPy, nnlib and
    the standard library, i.e. the student's line that raised (or called what raised); None if none."""
    frames = [frame for frame in traceback.extract_tb(error.__traceback__)
              if not _in_libraries(frame.filename)
              and not frame.filename.endswith(".pyx")]  # NumPy's compiled modules
    if not frames:
        return None
    frame = frames[-1]
    code = f": `{frame.line.strip()}`" if frame.line else ""
    return f"line {frame.lineno} of your code{code}"


def raised(outcome):
    """The report line for an exception: its type, its message and the student's line."""
    message = str(outcome.error)
    text = f"your function raised {type(outcome.error).__name__}" + (f": {message}" if message else "")
    if outcome.where:
        text += f"\n  at {outcome.where}"
    return text


def changed_inputs(before, after, names=None, allowed=()):
    """The names (or 'argument i') of array arguments the call changed, ignoring the indices in allowed."""
    changed = []
    for index, (old, new) in enumerate(zip(before, after)):
        if index in allowed:
            continue
        if _differs(old, new):
            changed.append(names[index] if names and index < len(names) else f"argument {index + 1}")
    return changed


def _differs(old, new):
    if isinstance(old, np.ndarray):
        return not (isinstance(new, np.ndarray) and old.shape == new.shape and old.dtype == new.dtype
                    and np.array_equal(old, new, equal_nan=np.issubdtype(old.dtype, np.inexact)))
    if isinstance(old, (list, tuple)):
        return (not isinstance(new, type(old)) or len(old) != len(new)
                or any(_differs(o, n) for o, n in zip(old, new)))
    return False  # numbers, strings and generators: not the caller's data


def mutation_report(changed):
    """(problem, hint) for a function that changed the named inputs in place."""
    what, name = " and ".join(changed), changed[0] if changed[0].isidentifier() else "x"
    return (f"your function changed its input {what} in place; the caller still needs it unchanged",
            f"compute into a new array instead of changing {what}: e.g. write `{name} = {name} - c` rather than "
            f"`{name} -= c`, and copy an array (`{name}.copy()`) before assigning into it")



# -- the library's own answer, which a student's function must not call ----------------------------

def watched_functions(*functions):
    """{code object: name} for the functions (or classes: their step / __call__ / forward methods) a student's
    function must not call, named as a learner would write them, e.g. "nnlib.layers.dense_forward".
    Watching code objects catches every way of reaching a function: an import under another name, a call through
    its module, a wrapper defined in the notebook."""
    watched = {}
    for function in functions:
        targets = ([getattr(function, method) for method in ("step", "__call__", "forward", "__init__")
                    if method in vars(function)] if isinstance(function, type) else [function])
        for target in targets:
            code = getattr(target, "__code__", None)
            if code is not None:
                watched[code] = f"{function.__module__}.{function.__qualname__}".replace("__main__.", "")
    return watched


def check_function(name, student_fn, cases, reference, diagnose=None, rtol=1e-6, atol=1e-8,
                   arg_names=None, strict_floats=True, forbidden=None, forbidden_advice=None):
    """Run student_fn and reference on every case; stop at the first disagreement.

    forbidden: {code object: name} from watched_functions(...), the finished versions the student's function
    must not call (nnlib's own, or one the chapter printed); a reference from nnlib itself is always among them.

    diagnose(args, got, expected, error) may return a hint naming the likely mistake (or None); args are
    unchanged copies of the case's inputs, got is what the student returned (None after an exception),
    error the exception raised, if any. Every call gets its own deep copies of the arguments; an argument
    the student's function changed is reported by its name in arg_names.
    """
    watched = {**forbidden} if forbidden else {}
    if not reference.__module__.startswith(__package__):  # the reference is nnlib's own finished function
        watched.update(watched_functions(reference))
    watched = {code: f"{function_name}, which already does the exercise" for code, function_name in watched.items()}
    uses_answer = calls_the_answer(name, student_fn, cases, watched, forbidden_advice)
    if uses_answer is not None:
        return uses_answer
    for case in cases:
        expected = reference(*copy.deepcopy(case.args))
        args, pristine = copy.deepcopy(case.args), copy.deepcopy(case.args)
        outcome = attempt(student_fn, args, strict_floats)
        if isinstance(outcome.error, NotImplementedError):
            return not_implemented(name, case)
        if outcome.error is not None:
            return failure(name, case, raised(outcome),
                           _hint(diagnose, pristine, None, expected, outcome.error))
        changed = changed_inputs(pristine, args, arg_names)
        if changed:
            problem, advice = mutation_report(changed)
            return failure(name, case, problem, advice)
        problem = compare(outcome.value, expected, rtol, atol)
        if problem:
            return failure(name, case, problem, _hint(diagnose, pristine, outcome.value, expected, None))
    return passed(name, len(cases))


def passed(name, n_cases, extra=""):
    """The one-line report of a checker whose every case passed."""
    return CheckResult(name, True, f"✓ {name}: all {n_cases} cases pass{extra}")


def not_implemented(name, case):
    """The report for a stub that still raises NotImplementedError."""
    return failure(name, case, "is not implemented yet",
                   "replace the `raise NotImplementedError(...)` line with your code, then run this check again")


def _hint(diagnose, args, got, expected, error):
    found = None
    if error is None and got is None:
        return ("your function returned None: finish it with a `return` line that hands back the result "
                "(computing it into a variable is not enough)")
    if diagnose is not None:
        try:
            found = diagnose(args, got, expected, error)
        except Exception:  # a diagnosis that trips over odd output must not hide the report
            found = None
    if found is None and error is None and got is None:
        found = ("your function returned None: finish it with a `return` line that hands back the result "
                 "(computing it into a variable is not enough)")
    if found is None and error is not None and isinstance(error, FloatingPointError):
        found = (f"NumPy reported '{error}': some step produced inf or nan. Look at the line above; very large "
                 f"or very small inputs are the usual cause")
    return found


def failure(name, case, problem, hint=None):
    """The standard report for a failed case, for checkers that cannot compare with a reference directly."""
    lines = [f"✗ {name} failed on case '{case.description}':", f"  {problem}"]
    if hint:
        lines.append(f"  Hint: {hint}")
    stuck = stuck_line(name)
    if stuck and problem != "is not implemented yet":
        lines.append(stuck)
    return CheckResult(name, False, "\n".join(lines), case.description, hint)


# -- refusing the answers that already exist -----------------------------------------------------

def library_calls(student_fn, args, watched, chapter=None, switches=None):
    """The names of the forbidden functions that student_fn(*args) called, in the order of their first call
    (the one the student called comes before those it calls in turn); empty if none.

    watched: {function or code object: name}, nnlib's own versions, matched by code object, so that every way
    of reaching them counts: `from nnlib.layers import ...`, a call through the module, an alias, a lambda or
    a class that wraps them, a Network whose methods call them.
    chapter: {function name: description}, functions the chapter's notebook defines before the exercise (e.g.
    {"graph_backward": "graph_backward, section 3's node-by-node version"}), matched by the function's name
    among functions defined outside nnlib, NumPy and the standard library: running the cell again makes a new
    function with a new code object, and an alias (`f = graph_backward`) keeps the name.

    switches: {function or code object: name}, functions that count only when called from outside NumPy and
    nnlib, e.g. np.errstate's __enter__, which NumPy and the checker use themselves (a student's
    `with np.errstate(...)` or `@np.errstate(...)` counts, NumPy's internal use does not).

    Also counted: a function of the checker modules themselves (nnlib/exercises/ch*.py, e.g. a reference the
    checker compares with) called from outside them, and switching the watch off (SWITCHED_OFF).

    Runs the call under sys.setprofile, and threading.setprofile for threads it starts, which see every
    Python function call however the function was imported; a profiler active before is restored after."""
    by_code = {getattr(function, "__code__", function): name for function, name in watched.items()}
    by_name = chapter or {}
    by_switch = {getattr(function, "__code__", function): name for function, name in (switches or {}).items()}
    # A function decorated with a switch (@np.errstate(...)) is the switch's wrapper itself, called by the checker.
    called = [by_switch[student_fn.__code__]] if getattr(student_fn, "__code__", None) in by_switch else []

    def watch(frame, event, arg):
        if event != "call":
            return
        code = frame.f_code
        name = by_code.get(code)
        if name is None and code.co_name in by_name and not _in_libraries(code.co_filename):
            name = by_name[code.co_name]
        if name is None and code in by_switch and _switched_by_student(frame.f_back):
            name = by_switch[code]
        if name is None and _is_checker_code(code.co_filename) and frame.f_back is not None \
                and not _in_exercises(frame.f_back.f_code.co_filename):
            name = f"nnlib.exercises.{os.path.basename(code.co_filename)[:-3]}.{code.co_name}, the checker's own code"
        if name is not None and name not in called:
            called.append(name)

    previous, previous_threads = sys.getprofile(), getattr(threading, "getprofile", lambda: None)()
    sys.setprofile(watch)
    threading.setprofile(watch)
    try:
        attempt(student_fn, copy.deepcopy(args))  # what it returns or raises is the comparison's business
        if sys.getprofile() is not watch and SWITCHED_OFF not in called:
            called.append(SWITCHED_OFF)
    finally:
        sys.setprofile(previous)
        threading.setprofile(previous_threads)
    return called


def _switched_by_student(caller):
    """True unless the caller's code is NumPy's or nnlib's (the top of the stack counts as the student's)."""
    return caller is None or not os.path.abspath(caller.f_code.co_filename).startswith(_LIBRARY_DIRS[:2])


def _in_exercises(filename):
    return os.path.abspath(filename).startswith(_EXERCISES_DIR)


def _is_checker_code(filename):
    path = os.path.abspath(filename)
    return _in_exercises(path) and os.path.basename(path) not in ("harness.py", "__init__.py")


def _in_libraries(filename):
    return os.path.abspath(filename).startswith(_LIBRARY_DIRS)


def calls_the_answer(name, student_fn, cases, watched, advice=None, chapter=None, args_of=lambda case: case.args):
    """The failure report of exercise `name` for the first case in which student_fn calls one of the functions
    in watched or chapter (see library_calls; their names are what the report says, e.g.
    "nnlib.layers.batchnorm_forward, nnlib's own version"), or None if it calls none of them.
    advice: the report's hint, what to write instead."""
    for case in cases:
        called = library_calls(student_fn, args_of(case), watched, chapter)
        if called:
            also = f"; it also calls {', '.join(called[1:])}" if len(called) > 1 else ""
            return failure(name, case, f"your function calls {called[0]}{also}",
                           advice or "write it yourself from the formula: calling a finished version proves "
                                     "nothing (the checker compares with it)")
    return None


# -- comparing and describing ------------------------------------------------------------------

def is_number(value):
    """True for a single real number (Python or NumPy, or a 0-d array), False for bools and the rest."""
    return (isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))) \
        or (isinstance(value, np.ndarray) and value.ndim == 0 and _numeric(value))


def _numeric(array):
    return np.issubdtype(array.dtype, np.number) and not np.issubdtype(array.dtype, np.complexfloating)


def compare(got, expected, rtol=1e-6, atol=1e-8):
    """A sentence describing how got differs from expected, or None when they agree. Never raises.
    Tuples are compared item by item (e.g. the (dX, dW, db) of a backward pass)."""
    try:
        return _compare(got, expected, rtol, atol)
    except Exception as error:  # a value so odd that comparing it fails: still a sentence, not a crash
        return f"expected {describe(expected)}, got {describe(got)} (they cannot be compared: {error})"


def _compare(got, expected, rtol, atol):
    if isinstance(expected, tuple):
        if not isinstance(got, tuple) or len(got) != len(expected):
            return f"expected a tuple of {len(expected)} items, got {describe(got)}"
        for i, (g, e) in enumerate(zip(got, expected)):
            problem = _compare(g, e, rtol, atol)
            if problem:
                return f"item {i} of the returned tuple: {problem}"
        return None
    if isinstance(expected, (int, np.integer)) and not isinstance(expected, bool):
        if not isinstance(got, (int, np.integer)) or isinstance(got, bool) or got != expected:
            return f"expected the integer {expected}, got {describe(got)}"
        return None
    if is_number(expected):
        if not is_number(got):
            return f"expected a single number, got {describe(got)}"
        if not np.isclose(float(got), float(expected), rtol=rtol, atol=atol):
            return f"expected {float(expected):.6g}, got {float(got):.6g}"
        return None
    if not isinstance(got, np.ndarray):
        return f"expected {describe(expected)}\n  got      {describe(got)}"
    if not _numeric(got):
        return f"expected numbers, got an array of dtype {got.dtype}: {abbreviate(got)}"
    if got.shape != expected.shape:
        return f"expected shape {expected.shape}, got shape {got.shape}\n    got {abbreviate(got)}"
    if np.issubdtype(expected.dtype, np.integer) and not np.issubdtype(got.dtype, np.integer):
        return f"expected integers (dtype {expected.dtype}), got dtype {got.dtype}"
    if not np.allclose(got, expected, rtol=rtol, atol=atol, equal_nan=False):
        note = ""
        if np.issubdtype(expected.dtype, np.floating) and not np.issubdtype(got.dtype, np.floating):
            note = "\n    (your array has an integer dtype: its fractions were cut off)"
        return (f"values differ:\n    expected {abbreviate(expected)}\n    got      {abbreviate(got)}"
                f"\n    {_first_difference(got, expected, rtol, atol)}"
                f"\n    (largest difference {_largest_difference(got, expected)}){note}")
    return None


def _first_difference(got, expected, rtol, atol):
    """Where the arrays first differ, in reading order: the first few values are often equal borders."""
    with np.errstate(invalid="ignore", over="ignore"):
        close = np.isclose(got, expected, rtol=rtol, atol=atol, equal_nan=False)
    index = tuple(int(i) for i in np.argwhere(~close)[0])
    return (f"first difference at index {list(index)}: expected {_one_value(expected[index])}, "
            f"got {_one_value(got[index])}")


def _one_value(value):
    return f"{value:.4g}" if np.issubdtype(np.asarray(value).dtype, np.floating) else str(value)


def _largest_difference(got, expected):
    with np.errstate(invalid="ignore", over="ignore"):
        difference = np.abs(got.astype(np.float64) - expected.astype(np.float64))
    return "nan" if np.isnan(difference).any() else f"{difference.max():.3g}"


def describe(value, limit=40):
    """A few words naming a value, e.g. 'an array of shape (2, 3), dtype float64: [...]'."""
    if isinstance(value, np.ndarray):
        return f"an array of {abbreviate(value)}"
    if value is None:
        return "None (your function ended without a `return` statement, or returned nothing)"
    if isinstance(value, (bool, np.bool_)):
        return f"the boolean {value}"
    if is_number(value):
        shown = f"{value:.6g}" if isinstance(value, (float, np.floating)) else str(value)
        return f"the number {shown} ({type(value).__name__})"
    if isinstance(value, (str, bytes)):
        text = repr(value)
        text = text if len(text) <= limit else text[:limit] + "..."
        return f"{'the string' if isinstance(value, str) else 'the bytes'} {text}"
    if isinstance(value, (list, tuple)):
        kinds = ", ".join(_kind(item) for item in value[:4]) + (", ..." if len(value) > 4 else "")
        return f"a {type(value).__name__} of {len(value)} item{'s' if len(value) != 1 else ''} ({kinds})"
    return f"a {type(value).__name__}"


def _kind(item):
    if isinstance(item, np.ndarray):
        return f"array {item.shape}"
    if is_number(item):
        return repr(item) if len(repr(item)) < 12 else type(item).__name__
    return type(item).__name__


def abbreviate(array, limit=6):
    """A short one-line rendering of an array: shape, dtype and its first few values."""
    array = np.asarray(array)
    flat = array.ravel()
    if np.issubdtype(flat.dtype, np.floating):
        shown = ", ".join(f"{v:.4g}" for v in flat[:limit])
    else:
        shown = ", ".join(str(v)[:12] for v in flat[:limit])
    more = ", ..." if flat.size > limit else ""
    return f"shape {array.shape}, dtype {array.dtype}: [{shown}{more}]"
