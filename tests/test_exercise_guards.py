"""The shared guard of every checker: a student's function that calls the finished answer is refused."""
import numpy as np

from nnlib.activations import sigmoid, sigmoid_prime
from nnlib.exercises.harness import Case, calls_the_answer, check_function, library_calls, watched_functions


def honest_prime(z):
    s = sigmoid(z)
    return s * (1 - s)


CASES = [Case("z = [-1, 0, 1]", (np.array([-1.0, 0.0, 1.0]),))]


def test_calling_an_nnlib_reference_is_refused_however_it_is_reached():
    import nnlib.activations as module
    for cheat in (sigmoid_prime, lambda z: sigmoid_prime(z), lambda z: module.sigmoid_prime(z) + 0):
        result = check_function("sigmoid_prime", cheat, CASES, sigmoid_prime)
        assert not result.passed
        assert "calls nnlib.activations.sigmoid_prime" in result.message


def test_an_honest_solution_passes_and_may_call_other_library_functions():
    assert check_function("sigmoid_prime", honest_prime, CASES, sigmoid_prime).passed


def test_forbidden_functions_include_ones_defined_in_the_notebook():
    def graph_backward(z):  # a finished version printed by the chapter, same signature as the exercise
        return honest_prime(z)

    forbidden = watched_functions(graph_backward)
    result = check_function("sigmoid_prime", lambda z: graph_backward(z) * 1, CASES, honest_prime, forbidden=forbidden,
                            forbidden_advice="derive it yourself")
    assert not result.passed and "graph_backward" in result.message and "derive it yourself" in result.message


def test_classes_are_watched_through_their_methods():
    from nnlib.optimizers import Adam

    watched = watched_functions(Adam)
    params, grads = [np.ones(3)], [np.ones(3)]
    assert library_calls(lambda: Adam().step(params, grads), (), watched) == ["nnlib.optimizers.Adam"]
    assert library_calls(lambda: None, (), watched) == []


def test_no_report_when_nothing_watched_is_called():
    assert calls_the_answer("sigmoid_prime", honest_prime, CASES, watched_functions(sigmoid_prime)) is None


# -- ways around the watch ------------------------------------------------------------------------

def test_calls_in_every_case_are_seen_not_only_the_first():
    from nnlib.activations import sigmoid as nnlib_sigmoid
    from nnlib.exercises.ch02 import check_sigmoid

    def honest_first_case_only(z):
        z = np.asarray(z, dtype=float)
        if z.shape == (5,):                       # the first case, done by hand
            e = np.exp(-np.abs(z))
            return np.where(z >= 0, 1 / (1 + e), e / (1 + e))
        return nnlib_sigmoid(z)

    result = check_sigmoid(honest_first_case_only)
    assert not result.passed and "calls nnlib.activations.sigmoid" in result.message


def test_switching_the_watch_off_is_refused():
    import sys
    from nnlib.activations import sigmoid as nnlib_sigmoid
    from nnlib.exercises.ch02 import check_sigmoid

    def hides_its_call(z):
        sys.setprofile(None)
        return nnlib_sigmoid(z)

    result = check_sigmoid(hides_its_call)
    assert not result.passed and "switches off the checker's watch" in result.message
    assert sys.getprofile() is None


def test_a_call_from_a_worker_thread_is_seen():
    from concurrent.futures import ThreadPoolExecutor
    from nnlib.activations import sigmoid as nnlib_sigmoid
    from nnlib.exercises.ch02 import check_sigmoid

    def in_a_thread(z):
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(nnlib_sigmoid, z).result()

    result = check_sigmoid(in_a_thread)
    assert not result.passed and "calls nnlib.activations.sigmoid" in result.message


def test_the_checkers_own_reference_is_refused():
    from nnlib.exercises import ch11

    result = ch11.check_output_size(lambda n, k, stride, padding, dilation:
                                    ch11.reference_output_size(n, k, stride, padding, dilation))
    assert not result.passed and "ch11.reference_output_size, the checker's own code" in result.message


def test_a_value_mismatch_names_the_first_entry_that_differs():
    # Images start with border zeros, so the first values shown can agree where the arrays do not.
    from nnlib.exercises.harness import compare
    expected = np.zeros((2, 5, 5))
    expected[1, 3, 4] = 0.8062
    message = compare(np.zeros((2, 5, 5)), expected, 1e-6, 1e-9)
    assert "first difference at index [1, 3, 4]: expected 0.8062, got 0" in message
    assert compare(expected.astype(np.int64), expected.astype(np.int64), 0, 0) is None
