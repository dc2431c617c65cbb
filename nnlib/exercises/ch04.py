"""Checkers for the exercises of chapter 04 (stochastic gradient descent).

    check_sgd_step(fn)       fn(params, grads, lr) updates every array in params in place: p <- p - lr * g
    check_make_batches(fn)   fn(n, batch_size, rng) -> list of index arrays: a shuffled split of range(n)
    check_training_loop(fn)  fn(net, X, Y, epochs, batch_size, lr, rng): the capstone, a complete mini-batch
                             SGD loop, run with two settings (300 and 5,000 MNIST training images) and
                             judged on validation images

Each runs the student's function on several cases, compares with nnlib's own behaviour and names the
likely mistake. The checks look at what matters: for sgd_step, the very arrays the caller passed in (an
optimizer must change the network's own arrays); for make_batches, the batches and whether they come from
the rng it was given; for the training loop, every step it takes. Hints: hint("sgd_step", 1), ...
"""
import copy
import dataclasses
import re

import numpy as np

from ..data import load_mnist, to_one_hot
from ..network import Network
from ..optimizers import SGD
from ..training import _run_epoch, shuffled_batches, train
from .harness import (Case, CheckResult, attempt, calls_the_answer, changed_inputs, check_function, describe, failure,
                      mutation_report, not_implemented, passed, raised, register_hints, watched_functions)


def _reworded(result, replacements):
    """The harness speaks of 'items of the returned tuple'; say 'batch i' instead."""
    message = result.message
    for pattern, replacement in replacements:
        message = re.sub(pattern, replacement, message)
    return dataclasses.replace(result, message=message)


# -- sgd_step ----------------------------------------------------------------------------------

register_hints("sgd_step", [
    "params and grads are lists of arrays that belong together pair by pair; each parameter moves a little "
    "against its own gradient. The network keeps references to exactly these arrays.",
    "loop over the pairs with zip. An assignment p = ... only gives the name p a new array; an in-place "
    "operator (-=) or slice assignment (p[...] = ...) changes the array the network holds.",
    "for p, g in zip(params, grads): p -= lr * g",
])

SGD_MISTAKES = [
    (lambda p, g, lr: p + lr * g, "you added the gradient: descent steps against it, p -= lr * g"),
    (lambda p, g, lr: p - g, "the learning rate is missing: the step is lr * g, not g"),
    (lambda p, g, lr: p - lr * p, "you subtracted lr * p: the step uses the gradient, p -= lr * g"),
    (lambda p, g, lr: p - 2 * lr * g, "the step was applied twice: one call must move each parameter once"),
    (lambda p, g, lr: p - g / lr, "divide nothing: the step is lr TIMES the gradient, p -= lr * g"),
    (lambda p, g, lr: -lr * g, "the parameter became -lr * g: subtract from it, p -= lr * g (not p = -lr * g)"),
]


def _sgd_cases():
    rng = np.random.default_rng(5)

    def params_and_grads(*shapes):
        return [rng.normal(size=s) for s in shapes], [rng.normal(size=s) for s in shapes]

    return [
        Case("a 4-3-2 network [W0, b0, W1, b1], lr = 3.0", (*params_and_grads((4, 3), (3,), (3, 2), (2,)), 3.0)),
        Case("one weight matrix (2, 3), lr = 0.5", (*params_and_grads((2, 3)), 0.5)),
        Case("a single bias of one unit (1,), lr = 0.01", (*params_and_grads((1,)), 0.01)),
        Case("large gradients (1e6), lr = 1e-4", ([np.ones((3, 3))], [np.full((3, 3), 1e6)], 1e-4)),
    ]


def _answers(*functions):
    return {code: f"{name}, which already does the exercise" for code, name in watched_functions(*functions).items()}


SGD_ANSWERS = _answers(SGD)
BATCH_ANSWERS = _answers(shuffled_batches)
TRAINING_ANSWERS = _answers(train, _run_epoch)


def check_sgd_step(student_fn):
    """Every p in params becomes p - lr * g, in place: the check looks at the very arrays it passed in."""
    name, cases = "sgd_step", _sgd_cases()
    refused = calls_the_answer(name, student_fn, cases, SGD_ANSWERS,
                               "write the update yourself from the rule p <- p - lr * g: calling nnlib's SGD "
                               "proves nothing (the checker compares with it)")
    if refused is not None:
        return refused
    for case in cases:
        params, grads, lr = copy.deepcopy(case.args)
        originals, before, grads_before = list(params), copy.deepcopy(params), copy.deepcopy(grads)
        expected = [p - lr * g for p, g in zip(before, grads)]
        outcome = attempt(student_fn, (params, grads, lr))
        if isinstance(outcome.error, NotImplementedError):
            return not_implemented(name, case)
        if outcome.error is not None:
            hint = ("p -= lr * g on an array needs the gradient of the same shape: pair each parameter with its "
                    "own gradient, for p, g in zip(params, grads)"
                    if isinstance(outcome.error, ValueError) and "broadcast" in str(outcome.error) else None)
            return failure(name, case, raised(outcome), hint)
        if changed_inputs([grads_before], [grads]):
            problem, advice = mutation_report(["grads"])
            return failure(name, case, problem, "only the parameters change; " + advice)
        for i, (array, want) in enumerate(zip(originals, expected)):
            if not np.allclose(array, want, rtol=1e-9, atol=1e-12):
                problem = (f"params[{i}] (the caller's own array) after your step:\n"
                           f"    expected {describe(want)}\n    got      {describe(array)}")
                return failure(name, case, problem, _diagnose_sgd(originals, before, grads, lr, params,
                                                                  outcome.value, expected))
    return passed(name, len(cases))


def _diagnose_sgd(originals, before, grads, lr, params, returned, expected):
    unchanged = [np.array_equal(a, b) for a, b in zip(originals, before)]
    if all(unchanged):
        if isinstance(params, list) and len(params) == len(expected) and \
                all(isinstance(p, np.ndarray) and np.allclose(p, e) for p, e in zip(params, expected)):
            return ("you put new arrays into the list (params[i] = ...), but the network still holds the old "
                    "arrays, which did not change: update each array itself, p -= lr * g")
        if isinstance(returned, (list, tuple)) and len(returned) == len(expected) and \
                all(isinstance(p, np.ndarray) and np.allclose(p, e) for p, e in zip(returned, expected)):
            return ("you returned the new arrays, but the caller's arrays did not change: update in place "
                    "with p -= lr * g (p = p - lr * g only rebinds the name p to a new array)")
        return ("the parameters did not change: update each array in place, p -= lr * g "
                "(p = p - lr * g only rebinds the name p to a new array), and let your loop reach every "
                "parameter: for p, g in zip(params, grads)")
    if any(unchanged):
        return ("only some parameters changed: loop over all pairs, for p, g in zip(params, grads) "
                f"(params[{unchanged.index(True)}] did not move)")
    for mistake, hint in SGD_MISTAKES:
        if all(np.allclose(a, mistake(b, g, lr)) for a, b, g in zip(originals, before, grads)):
            return hint
    return None


# -- make_batches ------------------------------------------------------------------------------

register_hints("make_batches", [
    "first decide the order of the examples for this epoch (a shuffle of 0..n-1, drawn from rng), then cut "
    "that order into pieces.",
    "rng.permutation(n) gives every index exactly once, in random order; slices order[start:start + "
    "batch_size] for start = 0, batch_size, 2 batch_size, ... cut it, and the last slice is simply shorter.",
    "order = rng.permutation(n); return [order[i:i + batch_size] for i in range(0, n, batch_size)]",
])


def check_make_batches(student_fn):
    """The batches of order = rng.permutation(n), cut into consecutive slices of batch_size
    (the last one shorter when batch_size does not divide n)."""

    returned = {}

    def batches_as_tuple(n, batch_size, rng):
        batches = student_fn(n, batch_size, rng)
        returned["count"] = len(batches) if isinstance(batches, (list, tuple)) else None
        return tuple(batches) if isinstance(batches, list) else batches

    def diagnose(args, got, expected, error):
        return diagnose_make_batches(args, got, expected, error, student_fn)

    result = check_function("make_batches", batches_as_tuple, _batch_cases(), _reference_make_batches, diagnose,
                            arg_names=["n", "batch_size", "rng"], forbidden=BATCH_ANSWERS,
                            forbidden_advice="write the shuffle and the slicing yourself: nnlib's shuffled_batches "
                                             "is the finished version the checker compares with")
    return _reworded(result, [(r"(?m)expected a tuple of (\d+) items, got a tuple of (\d+) items?.*$",
                               r"expected a list of \1 batches, got \2"),
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


def _rng_problem(student_fn, n, batch_size):
    """How the student's batches depend on the generator: a hint when they ignore it, else None."""
    runs = [attempt(student_fn, (n, batch_size, np.random.default_rng(seed))) for seed in (7, 7, 8)]
    if any(run.error is not None for run in runs):
        return None
    flat = [np.concatenate([np.asarray(b) for b in run.value]) for run in runs]
    if not np.array_equal(flat[0], flat[1]):
        return ("two calls with identically seeded generators gave different batches: draw the shuffle from the "
                "rng you are given (rng.permutation(n)), not from np.random, so a seed reproduces the epoch")
    if np.array_equal(flat[0], flat[2]):
        return ("generators with different seeds gave the same batches: your function ignores the rng it is "
                "given (does it create its own, e.g. np.random.default_rng(0)?). Use rng.permutation(n)")
    return None


def diagnose_make_batches(args, got, expected, error=None, student_fn=None):
    """Name the likely mistake in a list of batches (or the exception), or None."""
    n, batch_size, _ = args
    if error is not None:
        if "reshape" in str(error):
            return ("reshape needs batch_size to divide n; cut with slices instead, order[i:i + batch_size], "
                    "so the last batch may be shorter")
        return None
    if got is not None and not isinstance(got, (tuple, list)):
        return "return a list of batches: use [ ... ] (a list comprehension), not ( ... ) (a generator)"
    if not isinstance(got, tuple) or not all(isinstance(batch, np.ndarray) for batch in got):
        return "return a list of NumPy index arrays, one per batch (slices of rng.permutation(n) are arrays)"
    sizes = [len(batch) for batch in got]
    every_index = np.concatenate(got) if got else np.array([], dtype=int)
    if len(every_index) < n and sizes and set(sizes) == {batch_size} and n % batch_size:
        return (f"the last, partial batch of {n % batch_size} examples is missing: range(0, n, batch_size) "
                f"and slicing keep it")
    if sizes and set(sizes[:-1] or [0]) <= {batch_size - 1} and len(every_index) < n:
        return "every batch is one index short: a slice order[i:i + batch_size] already ends before i + batch_size"
    if len(np.unique(every_index)) < len(every_index):
        return ("some examples appear twice: shuffle once with rng.permutation(n), then slice "
                "(rng.integers or rng.choice with replacement can draw an index twice)")
    if not np.array_equal(np.sort(every_index), np.arange(n)):
        return f"the batches together must hold every index 0..{n - 1} exactly once"
    if any(size > batch_size for size in sizes) or sizes[:-1] != [batch_size] * (len(sizes) - 1):
        return (f"every batch but the last must hold exactly batch_size = {batch_size} indices "
                f"(np.array_split makes batches of nearly equal size instead)")
    if n > 1 and np.array_equal(every_index, np.arange(n)):
        return "the examples are not shuffled: start from order = rng.permutation(n)"
    if student_fn is not None:
        found = _rng_problem(student_fn, n, batch_size)
        if found:
            return found
    return ("a valid shuffled split, but not the one rng.permutation(n) gives: call rng.permutation(n) "
            "exactly once, before cutting, so that the same seed gives the same batches")


# -- the capstone: a complete training loop ----------------------------------------------------

register_hints("training_loop", [
    "an epoch is one pass over all the training examples in a new random order; one step is: take a batch, "
    "compute the gradients on it, move every parameter a little. Your make_batches and sgd_step already do "
    "two of these.",
    "loop over the epochs; in each, cut a fresh shuffle of range(len(X)) into batches; for each batch of "
    "indices, loss, grads = net.loss_and_gradients(X[batch], Y[batch]), then update net.parameters() in place.",
    "for epoch in range(epochs): for batch in my_make_batches(len(X), batch_size, rng): "
    "_, grads = net.loss_and_gradients(X[batch], Y[batch]); my_sgd_step(net.parameters(), grads, lr)",
])

TRAINING_SETTINGS = dict(epochs=3, batch_size=16, lr=3.0)
TRAINING_EXAMPLES = 5000
# A second, small run with other settings on other images: a loop that hard-codes 3 epochs, batches of 16 or
# lr = 3, or that trains on the notebook's X_small instead of its argument X, fails here.
OTHER_SETTINGS = dict(epochs=2, batch_size=7, lr=0.5)
OTHER_EXAMPLES = slice(5000, 5300)
ACCURACY_BOUND = 0.87  # measured: a correct loop reaches 0.887-0.920 (seeds 0-5, two valid shuffles, any BLAS kernel)
_DATA = {}


def training_data():
    """5,000 MNIST training images with one-hot targets, 300 other training images for the second run, and
    the 10,000 validation images (cached)."""
    if not _DATA:
        mnist = load_mnist(validation_size=10000)
        X, y = mnist.X_train[:TRAINING_EXAMPLES], mnist.y_train[:TRAINING_EXAMPLES]
        X_other, y_other = mnist.X_train[OTHER_EXAMPLES], mnist.y_train[OTHER_EXAMPLES]
        _DATA.update(X=X, Y=to_one_hot(y, 10), X_other=X_other, Y_other=to_one_hot(y_other, 10),
                     X_val=mnist.X_val, y_val=mnist.y_val)
    return _DATA


def training_network(seed=0):
    """Chapter 04's 784-30-10 sigmoid network with the quadratic cost."""
    return Network([784, 30, 10], activation="sigmoid", loss="quadratic", init="scaled_normal", seed=seed)


class StepRecorder:
    """Wraps net.backward to record every batch (as indices into X) and to check, at each call, that the
    parameters moved by exactly -lr times the previous call's gradients; wraps net.loss_and_gradients to
    check that each batch's targets belong to its images. A loop that calls net.forward and net.backward
    itself is recorded just the same."""

    def __init__(self, net, X, Y, lr):
        self.net, self.lr = net, lr
        self.backward, self.loss_and_gradients = net.backward, net.loss_and_gradients
        self.index = {row.tobytes(): i for i, row in enumerate(X)}
        self.labels = Y.argmax(axis=1)
        self.batches, self.mismatched, self.foreign, self.bad_step, self.last = [], False, False, None, None
        net.backward, net.loss_and_gradients = self.record_backward, self.record_loss_and_gradients

    def rows(self, X_batch):
        """The index in X of every row of X_batch (-1 for a row not in X)."""
        return np.array([self.index.get(np.asarray(row).tobytes(), -1) for row in X_batch])

    def record_loss_and_gradients(self, X_batch, Y_batch, *args, **kwargs):
        """net.loss_and_gradients, noting whether Y_batch's labels belong to X_batch's images."""
        rows = self.rows(X_batch)
        if (rows < 0).any():
            self.foreign = True
        elif not np.array_equal(self.labels[rows], np.asarray(Y_batch).argmax(axis=1)):
            self.mismatched = True
        return self.loss_and_gradients(X_batch, Y_batch, *args, **kwargs)

    def record_backward(self, delta, caches, **options):
        """net.backward, recording the batch and checking the step taken since the previous batch."""
        self.batches.append(self.rows(caches[0][0][0]))
        params = self.net.parameters()
        if self.last is not None and self.bad_step is None:
            before, grads = self.last
            for p, b, g in zip(params, before, grads):
                if p.shape != b.shape or not np.allclose(p, b - self.lr * g, rtol=1e-7, atol=1e-10):
                    self.bad_step = (len(self.batches) - 1, [q.copy() for q in params], before, grads)
                    break
        result = self.backward(delta, caches, **options)  # options: input_gradient, passed on as given
        grads = result[0] if options.get("input_gradient") else result
        self.last = ([p.copy() for p in params], [g.copy() for g in grads])
        return result


def _run_training(student_fn, seed, settings=TRAINING_SETTINGS, images=("X", "Y")):
    data = training_data()
    net, X, Y = training_network(seed), data[images[0]].copy(), data[images[1]].copy()
    recorder = StepRecorder(net, X, Y, settings["lr"])
    s = settings
    outcome = attempt(student_fn, (net, X, Y, s["epochs"], s["batch_size"], s["lr"], np.random.default_rng(seed)),
                      strict_floats=False)
    mutated = changed_inputs([data[images[0]], data[images[1]]], [X, Y], ["X", "Y"])
    return net, recorder, outcome, mutated


def _step_hint(bad_step, lr):
    _, after, before, grads = bad_step
    candidates = [
        (lambda b, g: b + lr * g, "the step went uphill: subtract the gradient, p -= lr * g"),
        (lambda b, g: b - g, "the learning rate is missing from the step: p -= lr * g"),
        (lambda b, g: b, "the parameters did not change between two batches: update the network's own arrays "
                         "in place after every batch (p -= lr * g on the arrays of net.parameters())"),
    ]
    for step, hint in candidates:
        if all(a.shape == b.shape and np.allclose(a, step(b, g)) for a, b, g in zip(after, before, grads)):
            return hint
    used = _learning_rate_used(after, before, grads)
    if used is not None:
        return (f"the step used a learning rate of {used:.3g}, not the lr = {lr:g} your function was given: "
                f"p -= lr * g with the argument lr")
    return "after each batch, move every parameter by exactly -lr times its gradient, once: p -= lr * g"


def _learning_rate_used(after, before, grads):
    """The c with after = before - c * grads in every array, if there is one (c != 0), else None."""
    if any(a.shape != b.shape for a, b in zip(after, before)):
        return None
    moved = np.concatenate([(b - a).ravel() for a, b in zip(after, before)])
    g = np.concatenate([g.ravel() for g in grads])
    if not g.any():
        return None
    c = float(moved @ g / (g @ g))
    return c if c and np.allclose(moved, c * g) else None


def _loop_problem(recorder, n, epochs, batch_size):
    """(problem, hint) from the batches the loop computed gradients on, or None when they are right."""
    batches = recorder.batches
    per_epoch = -(-n // batch_size)
    if not batches:
        return ("your loop never computed a gradient of the network it was given",
                "train the network you were given (net), not a new one: call net.loss_and_gradients(X[batch], "
                "Y[batch]) for every batch of every epoch and update net.parameters() in place")
    if recorder.foreign:
        return ("some batches held images that are not in the X your function was given",
                "train on the arguments X and Y (X[batch], Y[batch]), not on notebook variables such as X_small: "
                "the checker passes its own images")
    if recorder.mismatched:
        return ("some batches pair images with the labels of other images",
                "index X and Y with the same batch of indices, X[batch] and Y[batch]; shuffling X and Y "
                "separately (or shuffling only one of them) breaks the pairs")
    sizes = [len(b) for b in batches]
    if max(sizes) > batch_size:
        return (f"a batch held {max(sizes)} examples, more than batch_size = {batch_size}",
                "cut each epoch's shuffled indices into slices of batch_size: order[i:i + batch_size]")
    if len(batches) == per_epoch and epochs > 1:
        return (f"your loop made {len(batches)} steps, one epoch's worth; {epochs} epochs need {epochs * per_epoch}",
                "wrap the pass over the batches in a loop over the epochs: for epoch in range(epochs)")
    if len(batches) == epochs:
        return (f"your loop made {len(batches)} steps, one per epoch; each epoch has {per_epoch} batches",
                "inside each epoch, take a step for every batch, not only the first")
    if len(batches) == epochs * (n // batch_size) and n % batch_size:
        return (f"your loop made {len(batches)} steps; with the last, shorter batch of every epoch it is "
                f"{epochs * per_epoch}", "keep the last partial batch: range(0, n, batch_size) and slicing do")
    if len(batches) != epochs * per_epoch:
        return (f"your loop made {len(batches)} steps; {epochs} epochs of {per_epoch} batches are {epochs * per_epoch}",
                f"each epoch cuts range({n}) into {per_epoch} batches of batch_size (the last one shorter)")
    for epoch in range(epochs):
        rows = np.concatenate(batches[epoch * per_epoch:(epoch + 1) * per_epoch])
        if not np.array_equal(np.sort(rows), np.arange(n)):
            return (f"epoch {epoch + 1} did not use every training example exactly once",
                    "shuffle the indices with rng.permutation(n) and slice them; sampling with replacement "
                    "repeats some examples and skips others")
        if np.array_equal(rows, np.arange(n)):
            return (f"epoch {epoch + 1} visited the examples in their original order",
                    "shuffle at the start of every epoch: order = rng.permutation(len(X))")
        if epoch and np.array_equal(rows, np.concatenate(batches[:per_epoch])):
            return ("every epoch visited the examples in the same order",
                    "draw a new shuffle at the start of every epoch, not once before the loop")
    return None


def _calls_train(student_fn, case):
    """The refusal report if student_fn, run for one epoch on 48 images, calls nnlib's train(), else None."""
    data = training_data()
    args = (training_network(0), data["X"][:48].copy(), data["Y"][:48].copy(), 1, 16, TRAINING_SETTINGS["lr"],
            np.random.default_rng(0))
    small = Case(case.description, args)
    return calls_the_answer("training_loop", student_fn, [small], TRAINING_ANSWERS,
                            "write the loop yourself, with your my_make_batches and my_sgd_step: nnlib's train() "
                            "is the finished loop this exercise builds")


def _run_problem(name, case, settings, net, recorder, outcome, mutated):
    """The failure report for one training run (error, changed inputs, wrong batches, a wrong step), or None."""
    if isinstance(outcome.error, NotImplementedError):
        return not_implemented(name, case)
    if outcome.error is not None:
        return failure(name, case, raised(outcome), None)
    if mutated:
        return failure(name, case, mutation_report(mutated)[0], "shuffle indices, not the data: order = "
                       "rng.permutation(len(X)); rng.shuffle(X) reorders the caller's own array (and a separate "
                       "rng.shuffle(Y) breaks the pairs of images and labels)")
    n = len(recorder.labels)
    found = _loop_problem(recorder, n, settings["epochs"], settings["batch_size"])
    if found:
        return failure(name, case, *found)
    lr = settings["lr"]
    if recorder.bad_step is None and recorder.last is not None:  # the last step: no later batch checked it
        before, grads = recorder.last
        params = net.parameters()
        if any(p.shape != b.shape or not np.allclose(p, b - lr * g, rtol=1e-7, atol=1e-10)
               for p, b, g in zip(params, before, grads)):
            recorder.bad_step = (len(recorder.batches), [p.copy() for p in params], before, grads)
    if recorder.bad_step is not None:
        step = recorder.bad_step[0]
        where = (f"after the last batch ({step})" if step == len(recorder.batches)
                 else f"between batch {step} and batch {step + 1}")
        return failure(name, case, f"{where} the parameters did not move by -lr * gradient",
                       _step_hint(recorder.bad_step, lr))
    return None


def check_training_loop(student_fn):
    """Run train_loop(net, X, Y, epochs=2, batch_size=7, lr=0.5, rng) on 300 MNIST training images, then
    train_loop(net, X, Y, epochs=3, batch_size=16, lr=3.0, rng) on 5,000 others, with chapter 04's 784-30-10
    network; check every step each takes (batches, in-place SGD updates, the use of rng) and that the second
    trained network classifies more than 87 % of the 10,000 validation images correctly."""
    name = "training_loop"
    s = TRAINING_SETTINGS
    case = Case(f"{s['epochs']} epochs, batch_size {s['batch_size']}, lr {s['lr']} on {TRAINING_EXAMPLES:,} "
                f"MNIST images, seed 0", ())
    refused = _calls_train(student_fn, case)
    if refused is not None:
        return refused
    o = OTHER_SETTINGS
    small_case = Case(f"{o['epochs']} epochs, batch_size {o['batch_size']}, lr {o['lr']} on 300 other MNIST "
                      f"images, seed 3", ())
    for this_case, seed, settings, images in [(small_case, 3, OTHER_SETTINGS, ("X_other", "Y_other")),
                                              (case, 0, TRAINING_SETTINGS, ("X", "Y"))]:
        net, recorder, outcome, mutated = _run_training(student_fn, seed, settings, images)
        found = _run_problem(name, this_case, settings, net, recorder, outcome, mutated)
        if found is not None:
            return found
    again = _run_training(student_fn, seed=0)[1]
    other = _run_training(student_fn, seed=1)[1]
    first = np.concatenate(recorder.batches)
    if not np.array_equal(first, np.concatenate(again.batches)):
        return failure(name, case, "two runs with identically seeded generators used different batches",
                       "draw every shuffle from the rng you are given (rng.permutation), not from np.random, so "
                       "that a seed reproduces the training run")
    if np.array_equal(first, np.concatenate(other.batches)):
        return failure(name, case, "runs with differently seeded generators used the same batches",
                       "your loop ignores the rng it is given (does it make its own generator?): shuffle with "
                       "rng.permutation(len(X))")
    data = training_data()
    accuracy = float(np.mean(net.predict(data["X_val"]) == data["y_val"]))
    if not accuracy > ACCURACY_BOUND:
        return failure(name, case, f"validation accuracy {accuracy:.1%}; a correct loop reaches more than "
                                   f"{ACCURACY_BOUND:.0%}", "check that the network you were given is the one you train")
    return CheckResult(
        name, True, f"✓ {name}: every step checked, and the trained network classifies more than "
                    f"{ACCURACY_BOUND:.0%} of the validation images correctly")
