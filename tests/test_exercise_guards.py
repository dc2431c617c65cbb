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
