"""Exercise checkers for the notebook series, one module per chapter (ch01.py ... ch11.py).

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

CHAPTER_MODULES = ("ch01", "ch02", "ch03", "ch04", "ch05", "ch06", "ch07", "ch08", "ch09", "ch10", "ch11")

# Exercise name (as its checker prints it) -> the library code that answers it, as "module:qualified.name".
# The student edition must show none of these before or at the exercise (tests/test_student_edition.py).
REFERENCE_IMPLEMENTATIONS = {
    "one_hot": ["nnlib.data:to_one_hot"],
    "parse_idx_header": ["nnlib.data:parse_idx", "nnlib.data:_parse_magic"],
    "sigmoid": ["nnlib.activations:sigmoid"],
    "dense_forward": ["nnlib.layers:dense_forward"],
    "sigmoid_prime": ["nnlib.activations:sigmoid_prime"],
    "dense_backward": ["nnlib.layers:dense_backward"],
    "backprop": ["nnlib.network:Network.backward"],
    "sgd_step": ["nnlib.optimizers:SGD.step"],
    "make_batches": ["nnlib.training:shuffled_batches", "nnlib.training:_run_epoch"],
    "training_loop": ["nnlib.training:_run_epoch"],
    "softmax": ["nnlib.activations:softmax"],
    "weighted_cross_entropy_delta": ["nnlib.losses:output_delta"],
    "he_init": ["nnlib.initializers:he"],
    "adam_step": ["nnlib.optimizers:Adam.step"],
    "momentum_step": ["nnlib.optimizers:Momentum.step"],
    "fgsm": ["nnlib.analysis:fgsm"],
    "pca": ["nnlib.analysis:pca"],
    "output_size": [],  # the exercise is a dilated window, which nnlib's output_size does not handle
    "conv2d": ["nnlib.convolution:conv2d_forward_naive"],
    "maxpool_backward": ["nnlib.convolution:maxpool_backward_naive"],
    "dropout_forward": ["nnlib.layers:dropout_forward"],
    "dropout_backward": ["nnlib.layers:dropout_backward"],
    "shift_batch": ["nnlib.analysis:shift_images"],
    "batchnorm_forward": ["nnlib.layers:batchnorm_forward"],
    "batchnorm_backward": ["nnlib.layers:batchnorm_backward"],
}


def reference_object(spec):
    """The function or method named by "module:qualified.name"."""
    module_name, qualified = spec.split(":")
    obj = importlib.import_module(module_name)
    for part in qualified.split("."):
        obj = getattr(obj, part)
    return obj


def load_all_chapters():
    """Import every chapter's checkers, so that each has registered its hints."""
    for module in CHAPTER_MODULES:
        importlib.import_module(f"{__name__}.{module}")


__all__ = ["Case", "CheckResult", "check_function", "hint", "load_all_chapters", "REFERENCE_IMPLEMENTATIONS",
           "reference_object"]
