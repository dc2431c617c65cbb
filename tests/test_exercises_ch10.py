"""Chapter 10 checkers: typical wrong batch-norm forward and backward passes get the hint that names their
mistake, unusual correct ones pass, stubs, crashes and inputs changed in place are reported, and a function
that hands the work to nnlib or to the chapter's own graph_backward is refused."""
from pathlib import Path

import nbformat
import numpy as np
import pytest

import nnlib
from exercise_catalogue import MIN_RIGHT, MIN_WRONG, assert_right, assert_wrong
from nnlib.exercises import hint
from nnlib.exercises.ch10 import check_batchnorm_backward, check_batchnorm_forward
from nnlib.gradcheck import numerical_gradient
from nnlib.layers import BatchNormState, batchnorm_backward, batchnorm_forward

CHAPTER = Path(__file__).resolve().parent.parent / "notebooks" / "10-batch-normalization.ipynb"


def chapter_functions(*cell_ids):
    """The functions the chapter's cells with these ids define, run as the notebook runs them (in __main__)."""
    cells = {cell.get("id"): cell for cell in nbformat.read(CHAPTER, as_version=4).cells}
    namespace = {"__name__": "__main__", "np": np}
    for cell_id in cell_ids:
        exec(compile(cells[cell_id].source, f"<chapter 10 cell {cell_id}>", "exec"), namespace)
    return namespace


# -- forward -----------------------------------------------------------------------------------------------

def forward(Z, gamma, beta, state, training, *, ddof=0, axis=0, eps_inside=True, use_eps=True,
            momentum_swapped=False, update_in_training=True, update_in_eval=False, batch_stats_in_eval=False,
            running_stats_in_training=False, running_ddof=None, running_std=False, affine="right"):
    """A student's batch-norm forward pass; each keyword makes one classic mistake (all off: correct)."""
    mu, var = Z.mean(axis=axis, keepdims=axis == 1), Z.var(axis=axis, ddof=ddof, keepdims=axis == 1)
    use_batch = (training and not running_stats_in_training) or (not training and batch_stats_in_eval)
    mean, variance = (mu, var) if use_batch else (state.mean, state.var)
    eps = state.eps if use_eps else 0.0
    Z_hat = (Z - mean) / (np.sqrt(variance + eps) if eps_inside else np.sqrt(variance) + eps)
    if (training and update_in_training) or (not training and update_in_eval):
        k = 1 - state.momentum if momentum_swapped else state.momentum
        batch_var = Z.var(axis=0, ddof=ddof if running_ddof is None else running_ddof)
        state.mean[...] = k * state.mean + (1 - k) * Z.mean(axis=0)
        state.var[...] = k * state.var + (1 - k) * (np.sqrt(batch_var) if running_std else batch_var)
    return {"right": gamma * Z_hat + beta, "none": Z_hat, "swapped": beta * Z_hat + gamma}[affine]


def forward_variant(name, **mistake):
    def student(*args):
        return forward(*args, **mistake)
    student.__name__ = name
    return student


def rebinding_forward(Z, gamma, beta, state, training):
    """Correct: new arrays for the running averages instead of in-place updates, and the variance as
    E[Z^2] - mu^2."""
    if training:
        mu = Z.sum(axis=0) / len(Z)
        var = (Z ** 2).sum(axis=0) / len(Z) - mu ** 2
        state.mean = state.momentum * state.mean + (1 - state.momentum) * mu
        state.var = state.momentum * state.var + (1 - state.momentum) * var
    else:
        mu, var = state.mean, state.var
    return beta + gamma * (Z - mu) / np.sqrt(var + state.eps)


def column_loop_forward(Z, gamma, beta, state, training):
    """Correct: one unit at a time, in pure Python arithmetic per column."""
    out = np.empty_like(Z)
    for j in range(Z.shape[1]):
        column = Z[:, j]
        if training:
            mu = sum(column) / len(column)
            var = sum((z - mu) ** 2 for z in column) / len(column)
            state.mean[j] = state.momentum * state.mean[j] + (1 - state.momentum) * mu
            state.var[j] = state.momentum * state.var[j] + (1 - state.momentum) * var
        else:
            mu, var = state.mean[j], state.var[j]
        out[:, j] = gamma[j] * (column - mu) / (var + state.eps) ** 0.5 + beta[j]
    return out


def einsum_forward(Z, gamma, beta, state, training):
    """Correct: statistics with einsum, the running averages moved by their difference from the batch's."""
    m = len(Z)
    if training:
        mu = np.einsum("ij->j", Z) / m
        centred = Z - mu
        var = np.einsum("ij,ij->j", centred, centred) / m
        state.mean += (1 - state.momentum) * (mu - state.mean)
        state.var += (1 - state.momentum) * (var - state.var)
    else:
        mu, var = state.mean, state.var
    scale = gamma / np.sqrt(var + state.eps)
    return Z * scale + (beta - mu * scale)


def centres_Z_in_place(Z, gamma, beta, state, training):
    mu, var = (Z.mean(axis=0), Z.var(axis=0)) if training else (state.mean, state.var)
    if training:
        state.mean[...] = state.momentum * state.mean + (1 - state.momentum) * mu
        state.var[...] = state.momentum * state.var + (1 - state.momentum) * var
    Z -= mu
    return gamma * Z / np.sqrt(var + state.eps) + beta


def returns_out_and_cache(Z, gamma, beta, state, training):
    return forward(Z, gamma, beta, state, training), (Z, gamma)


def forgets_to_return(Z, gamma, beta, state, training):
    forward(Z, gamma, beta, state, training)


def momentum_as_attribute_typo(Z, gamma, beta, state, training):
    k = state.momentun  # noqa: the typo is the point
    return forward(Z, gamma, beta, state, training) * k


FORWARD_WRONG = [
    (forward_variant("unbiased_variance", ddof=1), "divides by m (np.var's default), not m - 1"),
    (forward_variant("unbiased_running_variance", running_ddof=1), "state.var must average the same (biased"),
    (forward_variant("rows_not_columns", axis=1), "over axis=0, the examples"),
    (forward_variant("no_eps", use_eps=False), "add eps inside the square root"),
    (forward_variant("eps_outside_sqrt", eps_inside=False), "sqrt(var + eps), not sqrt(var) + eps"),
    (forward_variant("updates_in_evaluation", update_in_eval=True),
     "evaluation mode must not change the running averages"),
    (forward_variant("batch_statistics_in_evaluation", batch_stats_in_eval=True),
     "in evaluation mode normalize with state.mean and state.var"),
    (forward_variant("never_updates", update_in_training=False), "in training mode update the running averages"),
    (forward_variant("momentum_swapped", momentum_swapped=True), "the momentum weighs the OLD average"),
    (forward_variant("running_statistics_in_training", running_stats_in_training=True),
     "in training mode normalize with the batch's own mean and variance"),
    (forward_variant("averages_standard_deviations", running_std=True), "you averaged standard deviations"),
    (forward_variant("no_scale_and_shift", affine="none"), "scale and shift the normalized values"),
    (forward_variant("gamma_and_beta_swapped", affine="swapped"), "(you swapped them)"),
    (centres_Z_in_place, "instead of changing Z"),
    (returns_out_and_cache, "return only out"),
    (forgets_to_return, "returned None"),
    (momentum_as_attribute_typo, "state is a BatchNormState"),
]
FORWARD_RIGHT = [forward_variant("plain"), rebinding_forward, column_loop_forward, einsum_forward]


@pytest.mark.parametrize("wrong, phrase", FORWARD_WRONG, ids=lambda x: getattr(x, "__name__", ""))
def test_forward_mistakes_are_named(wrong, phrase):
    assert_wrong(check_batchnorm_forward, wrong, phrase)


@pytest.mark.parametrize("right", FORWARD_RIGHT, ids=lambda f: f.__name__)
def test_unusual_correct_forward_passes(right):
    result = assert_right(check_batchnorm_forward, right)
    assert result.message == "✓ batchnorm_forward: all 7 cases pass, running averages included"


def test_a_division_by_a_zero_variance_is_reported_with_the_students_line_and_the_eps_hint():
    def eps_only_where_the_variance_is_positive(Z, gamma, beta, state, training):
        mu, var = (Z.mean(axis=0), Z.var(axis=0)) if training else (state.mean, state.var)
        if training:
            state.mean[...] = state.momentum * state.mean + (1 - state.momentum) * mu
            state.var[...] = state.momentum * state.var + (1 - state.momentum) * var
        return gamma * (Z - mu) / np.sqrt(np.where(var > 0, var + state.eps, var)) + beta

    result = check_batchnorm_forward(eps_only_where_the_variance_is_positive)
    assert not result and "add eps inside the square root" in result.hint
    assert "FloatingPointError" in result.message and "of your code" in result.message
    assert "unit whose 3 values are all equal" in result.case


def test_forward_stub_is_reported_as_not_implemented():
    def todo(*args):
        raise NotImplementedError("normalize")

    result = check_batchnorm_forward(todo)
    assert not result and "is not implemented yet" in result.message and "Stuck?" not in result.message


# -- backward ----------------------------------------------------------------------------------------------

def backward(dout, Z, gamma, eps, *, mean_term=True, var_term=True, use_gamma=True, dgamma_kind="Z_hat",
             dbeta_kind="sum", ddof=0, power=1, order="right", sum_axis=0, as_list=False):
    """A student's closed-form backward pass; each keyword makes one classic mistake (all off: correct)."""
    m = len(Z)
    mu, var = Z.mean(axis=0), Z.var(axis=0, ddof=ddof)
    inv_std = (var + eps) ** (-0.5 * power)
    Z_hat = (Z - mu) * (var + eps) ** -0.5
    dZ_hat = dout * gamma if use_gamma else dout
    dZ = dZ_hat.copy()
    if mean_term:
        dZ -= dZ_hat.mean(axis=0)
    if var_term:
        dZ -= Z_hat * (dZ_hat * Z_hat).sum(axis=0) / (m - ddof)
    dgamma = {"Z_hat": (dout * Z_hat).sum(axis=sum_axis), "none": dout.sum(axis=0),
              "Z": (dout * Z).sum(axis=0)}[dgamma_kind]
    dbeta = dout.sum(axis=sum_axis) if dbeta_kind == "sum" else dout.mean(axis=0)
    grads = (inv_std * dZ, dgamma, dbeta) if order == "right" else (inv_std * dZ, dbeta, dgamma)
    return list(grads) if as_list else grads


def backward_variant(name, **mistake):
    def student(*args):
        return backward(*args, **mistake)
    student.__name__ = name
    return student


def node_by_node_backward(dout, Z, gamma, eps):
    """Correct: node by node through the computational graph, written out again (not the chapter's function)."""
    m = Z.shape[0]
    mu = np.mean(Z, axis=0)
    c = Z - mu
    v = np.mean(c * c, axis=0)
    s = np.sqrt(v + eps)
    Z_hat = c / s
    dZ_hat = dout * gamma
    dc = dZ_hat / s
    ds = -np.sum(dZ_hat * c, axis=0) / s ** 2
    dv = ds / (2 * s)
    dc = dc + 2 * c * dv / m
    dmu = -np.sum(dc, axis=0)
    return dc + dmu / m, np.sum(dout * Z_hat, axis=0), np.sum(dout, axis=0)


def jacobian_backward(dout, Z, gamma, eps):
    """Correct: the full m x m Jacobian of each column's Z_hat, multiplied out."""
    m, n = Z.shape
    dZ = np.empty_like(Z)
    Z_hat = (Z - Z.mean(axis=0)) / np.sqrt(Z.var(axis=0) + eps)
    for j in range(n):
        inv_std = 1 / np.sqrt(Z[:, j].var() + eps)
        J = inv_std * (np.eye(m) - 1 / m - np.outer(Z_hat[:, j], Z_hat[:, j]) / m)  # d Z_hat_i / d Z_k
        dZ[:, j] = J.T @ (dout[:, j] * gamma[j])
    return dZ, np.einsum("ij,ij->j", dout, Z_hat), dout.sum(axis=0)


def sums_form_backward(dout, Z, gamma, eps):
    """Correct: the closed form as printed in section 3, with sums and an explicit 1/m."""
    m = len(Z)
    std = np.sqrt(Z.var(axis=0) + eps)
    Z_hat = (Z - Z.mean(axis=0)) / std
    g = gamma * dout
    dZ = (m * g - g.sum(axis=0) - Z_hat * (g * Z_hat).sum(axis=0)) / (m * std)
    return dZ, (Z_hat * dout).sum(axis=0), dout.sum(axis=0)


def changes_dout_in_place(dout, Z, gamma, eps):
    dout *= gamma
    Z_hat = (Z - Z.mean(axis=0)) / np.sqrt(Z.var(axis=0) + eps)
    dZ = (dout - dout.mean(axis=0) - Z_hat * (dout * Z_hat).mean(axis=0)) / np.sqrt(Z.var(axis=0) + eps)
    return dZ, (dout / gamma * Z_hat).sum(axis=0), (dout / gamma).sum(axis=0)


def means_over_the_wrong_axis(dout, Z, gamma, eps):
    dZ, dgamma, dbeta = backward(dout, Z, gamma, eps)
    return dZ + (dout * gamma).mean(axis=0) - (dout * gamma).mean(axis=1, keepdims=True), dgamma, dbeta


def only_dZ(dout, Z, gamma, eps):
    return backward(dout, Z, gamma, eps)[0]


BACKWARD_WRONG = [
    (backward_variant("no_mean_path", mean_term=False), "misses the path through the mean"),
    (backward_variant("no_variance_path", var_term=False), "misses the path through the variance"),
    (backward_variant("evaluation_mode_form", mean_term=False, var_term=False),
     "treats the mean and the variance as constants"),
    (backward_variant("forgets_gamma", use_gamma=False), "dZ_hat = dout * gamma"),
    (backward_variant("dgamma_without_Z_hat", dgamma_kind="none"), "dgamma = sum over the batch of dout * Z_hat"),
    (backward_variant("dgamma_with_raw_Z", dgamma_kind="Z"), "NORMALIZED Z_hat, not by Z"),
    (backward_variant("dbeta_mean", dbeta_kind="mean"), "the SUM of dout over the batch, not its mean"),
    (backward_variant("unbiased_variance", ddof=1), "divides the variance by m (biased), so the backward pass"),
    (backward_variant("divides_by_the_variance", power=2), "divide by sqrt(var + eps) once"),
    (backward_variant("multiplies_by_the_std", power=-1), "not sqrt(var + eps)"),
    (backward_variant("dgamma_dbeta_swapped", order="swapped"), "return (dZ, dgamma, dbeta) in that order"),
    (backward_variant("sums_over_units", sum_axis=1), "sum over the batch (axis=0)"),
    (backward_variant("returns_a_list", as_list=True), "not a list"),
    (changes_dout_in_place, "instead of changing dout"),
    (means_over_the_wrong_axis, "dZ sums to 0 over the batch"),
    (only_dZ, "return the three gradients as one tuple"),
]
BACKWARD_RIGHT = [backward_variant("plain"), node_by_node_backward, jacobian_backward, sums_form_backward]


@pytest.mark.parametrize("wrong, phrase", BACKWARD_WRONG, ids=lambda x: getattr(x, "__name__", ""))
def test_backward_mistakes_are_named(wrong, phrase):
    assert_wrong(check_batchnorm_backward, wrong, phrase)


@pytest.mark.parametrize("right", BACKWARD_RIGHT, ids=lambda f: f.__name__)
def test_unusual_correct_backward_passes(right):
    result = assert_right(check_batchnorm_backward, right)
    assert result.message == "✓ batchnorm_backward: all 4 cases pass, agreeing with numerical gradients"


def test_backward_stub_and_crash_are_reported():
    def todo(*args):
        raise NotImplementedError("backward")

    assert "is not implemented yet" in check_batchnorm_backward(todo).message
    crashed = check_batchnorm_backward(lambda dout, Z, gamma, eps: (dout @ Z, gamma, gamma))
    assert not crashed and "your function raised ValueError" in crashed.message


# -- answers that already exist are refused -----------------------------------------------------------------

def test_the_chapters_own_solutions_pass():
    solutions = chapter_functions("97dda6a4", "4f0a2199")
    assert check_batchnorm_forward(solutions["my_batchnorm_forward"])
    assert check_batchnorm_backward(solutions["my_batchnorm_backward"])


def test_a_wrapper_of_nnlibs_forward_pass_is_refused():
    def wraps_the_library(Z, gamma, beta, state, training):
        out, _ = nnlib.layers.batchnorm_forward(Z, gamma, beta, state, training)
        return out

    result = check_batchnorm_forward(wraps_the_library)
    assert not result and "your function calls nnlib.layers.batchnorm_forward, nnlib's own version" in result.message
    assert "write the forward pass yourself" in result.hint
    assert result.case.startswith("training, 6 examples")
    assert "calls nnlib.layers.batchnorm_forward" in check_batchnorm_forward(through_a_network).message


def through_a_network(Z, gamma, beta, state, training):
    """A detour through a Network's own batch-norm step, which calls nnlib's batchnorm_forward."""
    net = nnlib.Network([2, Z.shape[1], 2], batch_norm=True)
    net.gammas[0], net.betas[0], net.bn_states[0] = gamma, beta, state
    out, _ = net._normalize(0, Z, training)
    return out


def test_a_wrapper_of_nnlibs_backward_pass_is_refused():
    def wraps_the_library(dout, Z, gamma, eps):
        _, cache = batchnorm_forward(Z, gamma, np.zeros_like(gamma), BatchNormState(Z.shape[1], eps=eps), True)
        return batchnorm_backward(dout, cache)

    result = check_batchnorm_backward(wraps_the_library)
    assert not result and "calls nnlib.layers.batchnorm_backward, nnlib's own version" in result.message
    assert "write the closed form yourself" in result.hint


def test_numerical_gradients_are_refused():
    def differences(dout, Z, gamma, eps):
        beta = np.zeros_like(gamma)

        def S():
            return np.sum(dout * batchnorm_forward(Z, gamma, beta, BatchNormState(len(gamma), eps=eps), True)[0])
        return numerical_gradient(S, Z), numerical_gradient(S, gamma), numerical_gradient(S, beta)

    result = check_batchnorm_backward(differences)
    assert not result and "your function calls nnlib.gradcheck.numerical_gradient" in result.message


def test_the_chapters_graph_backward_is_refused_however_it_is_called():
    chapter = chapter_functions("71efd05a")
    graph_backward = chapter["graph_backward"]

    def wraps_the_graph(dout, Z, gamma, eps):
        return graph_backward(dout, Z, gamma, eps)

    for student in (graph_backward, wraps_the_graph, lambda *args: tuple(graph_backward(*args))):
        result = check_batchnorm_backward(student)
        assert not result, result.message
        assert "your function calls graph_backward, the chapter's node-by-node version from section 3" in result.message
        assert "the exercise is to write the closed form yourself" in result.hint
    redefined = chapter_functions("71efd05a")["graph_backward"]  # the cell run again: a new function, same name
    assert redefined.__code__ is not graph_backward.__code__
    assert not check_batchnorm_backward(lambda *args: redefined(*args))


def test_a_function_of_ones_own_with_another_name_is_not_mistaken_for_the_chapters():
    assert check_batchnorm_backward(lambda *args: node_by_node_backward(*args))


# -- hints and catalogue -----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["batchnorm_forward", "batchnorm_backward"])
def test_hints_come_in_three_steps_from_a_nudge_to_the_formula(name):
    first, last = hint(name, 1), hint(name, 3)
    assert first.startswith(f"Hint 1 of 3 for {name}:") and f'hint("{name}", 2)' in first
    assert "np." not in first and "np." in last
    assert "There are only 3 hints" in hint(name, 4)


def test_catalogue_is_broad_enough():
    for wrong, right in [(FORWARD_WRONG, FORWARD_RIGHT), (BACKWARD_WRONG, BACKWARD_RIGHT)]:
        assert len(wrong) >= MIN_WRONG and len(right) >= MIN_RIGHT


def test_a_forward_pass_with_a_fixed_eps_in_evaluation_fails():
    from nnlib.exercises.ch10 import check_batchnorm_forward

    def fixed_eps(Z, gamma, beta, state, training):
        if training:
            mean, var = Z.mean(axis=0), Z.var(axis=0)
            state.mean[...] = state.momentum * state.mean + (1 - state.momentum) * mean
            state.var[...] = state.momentum * state.var + (1 - state.momentum) * var
            return gamma * (Z - mean) / np.sqrt(var + state.eps) + beta
        return gamma * (Z - state.mean) / np.sqrt(state.var + 1e-5) + beta

    result = check_batchnorm_forward(fixed_eps)
    assert not result.passed and "eps 0.5" in result.message


def test_a_home_made_numerical_gradient_around_nnlibs_forward_is_refused():
    from nnlib.exercises.ch10 import check_batchnorm_backward
    from nnlib.layers import BatchNormState, batchnorm_forward

    def finite_differences(dout, Z, gamma, eps):
        def S(Z_, gamma_, beta_):
            out, _ = batchnorm_forward(Z_, gamma_, beta_, BatchNormState(Z.shape[1], eps=eps), training=True)
            return np.sum(dout * out)
        h, beta = 1e-6, np.zeros(Z.shape[1])
        dZ = np.zeros_like(Z)
        for index in np.ndindex(Z.shape):
            up, down = Z.copy(), Z.copy()
            up[index] += h
            down[index] -= h
            dZ[index] = (S(up, gamma, beta) - S(down, gamma, beta)) / (2 * h)
        normalized = (Z - Z.mean(axis=0)) / np.sqrt(Z.var(axis=0) + eps)
        return dZ, (dout * normalized).sum(axis=0), dout.sum(axis=0)

    result = check_batchnorm_backward(finite_differences)
    assert not result.passed and "calls nnlib.layers.batchnorm_forward" in result.message
