"""Batch normalization: the forward pass by hand, running averages, and the backward pass against
numerical gradients and against a step-by-step pass through the computational graph."""
import numpy as np
import pytest

from nnlib.gradcheck import numerical_gradient, rel_error
from nnlib.layers import BatchNormState, batchnorm_backward, batchnorm_forward


def test_forward_by_hand():
    Z = np.array([[1.0, 2.0], [3.0, 6.0]])          # column means 2 and 4, variances 1 and 4
    state = BatchNormState(2, eps=1e-12)
    out, _ = batchnorm_forward(Z, np.array([2.0, 1.0]), np.array([0.5, 0.0]), state, training=True)
    np.testing.assert_allclose(out, [[2 * -1 + 0.5, -1.0], [2 * 1 + 0.5, 1.0]], rtol=1e-9)
    np.testing.assert_allclose(state.mean, [0.1 * 2, 0.1 * 4])            # 0.9 * 0 + 0.1 * batch mean
    np.testing.assert_allclose(state.var, [0.9 + 0.1 * 1, 0.9 + 0.1 * 4])  # starts at 1


def test_training_output_has_the_learned_mean_and_spread():
    rng = np.random.default_rng(0)
    Z = 5 + 3 * rng.standard_normal((500, 4))
    gamma, beta = np.array([1.0, 2.0, 0.5, 3.0]), np.array([0.0, -1.0, 4.0, 0.2])
    out, _ = batchnorm_forward(Z, gamma, beta, BatchNormState(4), training=True)
    np.testing.assert_allclose(out.mean(axis=0), beta, atol=1e-12)
    np.testing.assert_allclose(out.std(axis=0), gamma, rtol=1e-5)


def test_evaluation_uses_the_running_averages_and_changes_nothing():
    state = BatchNormState(3, eps=1e-12)
    state.mean[...], state.var[...] = [1.0, 2.0, 3.0], [4.0, 1.0, 0.25]
    Z = np.array([[1.0, 2.0, 3.0], [3.0, 3.0, 3.5]])
    out, _ = batchnorm_forward(Z, np.ones(3), np.zeros(3), state, training=False)
    np.testing.assert_allclose(out, [[0, 0, 0], [1.0, 1.0, 1.0]], atol=1e-5)
    np.testing.assert_array_equal(state.mean, [1.0, 2.0, 3.0])
    single, _ = batchnorm_forward(Z[:1], np.ones(3), np.zeros(3), state, training=False)  # m = 1 is fine here
    np.testing.assert_allclose(single, out[:1])


def test_running_averages_converge_to_the_data_statistics():
    rng = np.random.default_rng(1)
    state = BatchNormState(2, momentum=0.9)
    for _ in range(200):
        batchnorm_forward(np.array([10.0, -3.0]) + np.array([2.0, 0.5]) * rng.standard_normal((64, 2)),
                          np.ones(2), np.zeros(2), state, training=True)
    np.testing.assert_allclose(state.mean, [10.0, -3.0], atol=0.3)
    np.testing.assert_allclose(state.var, [4.0, 0.25], rtol=0.15)


def graph_backward(dout, Z, gamma, eps):
    """The backward pass taken one node of the computational graph at a time (the oracle)."""
    m = len(Z)
    mu = Z.mean(axis=0)
    centred = Z - mu
    var = (centred ** 2).mean(axis=0)
    std = np.sqrt(var + eps)
    inv_std = 1 / std
    Z_hat = centred * inv_std
    dgamma, dbeta = (dout * Z_hat).sum(axis=0), dout.sum(axis=0)
    dZ_hat = dout * gamma
    dinv_std = (dZ_hat * centred).sum(axis=0)
    dcentred = dZ_hat * inv_std
    dstd = -dinv_std / std ** 2
    dvar = dstd * 0.5 / std
    dcentred += 2 * centred * dvar / m
    dmu = -dcentred.sum(axis=0)
    return dcentred + dmu / m, dgamma, dbeta


@pytest.mark.parametrize("training", [True, False])
def test_backward_matches_numerical_gradients_below_1e_7(training):
    rng = np.random.default_rng(2)
    Z, G = 2 + 3 * rng.standard_normal((6, 5)), rng.standard_normal((6, 5))
    gamma, beta = 1 + 0.5 * rng.standard_normal(5), rng.standard_normal(5)
    state = BatchNormState(5)
    state.mean[...], state.var[...] = rng.standard_normal(5), 1 + rng.random(5)

    def loss():  # sum(G * out): its gradient with respect to out is G
        return float(np.sum(G * batchnorm_forward(Z, gamma, beta, state, training)[0]))

    dZ, dgamma, dbeta = batchnorm_backward(G, batchnorm_forward(Z, gamma, beta, state, training)[1])
    for analytic, param in ((dZ, Z), (dgamma, gamma), (dbeta, beta)):
        assert analytic.shape == param.shape
        assert rel_error(analytic, numerical_gradient(loss, param)) < 1e-7


def test_closed_form_equals_the_step_by_step_graph():
    rng = np.random.default_rng(3)
    Z, G, gamma = rng.standard_normal((8, 3)) * 4 - 1, rng.standard_normal((8, 3)), rng.random(3) + 0.5
    state = BatchNormState(3)
    closed = batchnorm_backward(G, batchnorm_forward(Z, gamma, np.zeros(3), state, True)[1])
    for ours, oracle in zip(closed, graph_backward(G, Z, gamma, state.eps)):
        np.testing.assert_allclose(ours, oracle, rtol=1e-10, atol=1e-12)


def test_gradient_of_z_sums_to_zero_over_the_batch_in_training():
    # Shifting every example of a unit by the same amount does not change Z_hat, so dZ sums to 0 per column.
    rng = np.random.default_rng(4)
    Z, G = rng.standard_normal((10, 4)), rng.standard_normal((10, 4))
    dZ, _, _ = batchnorm_backward(G, batchnorm_forward(Z, np.ones(4), np.zeros(4), BatchNormState(4), True)[1])
    np.testing.assert_allclose(dZ.sum(axis=0), 0, atol=1e-12)


def test_float32_stays_float32():
    Z = np.random.default_rng(5).standard_normal((4, 3)).astype(np.float32)
    state = BatchNormState(3, dtype=np.float32)
    out, cache = batchnorm_forward(Z, np.ones(3, np.float32), np.zeros(3, np.float32), state, True)
    dZ, dgamma, dbeta = batchnorm_backward(np.ones_like(out), cache)
    assert {a.dtype for a in (out, dZ, dgamma, dbeta, state.mean, state.var)} == {np.dtype(np.float32)}


def test_a_batch_of_one_in_training_mode_is_refused_with_the_reason():
    with pytest.raises(ValueError, match="at least 2 examples per batch.*Z - mean is 0"):
        batchnorm_forward(np.ones((1, 3)), np.ones(3), np.zeros(3), BatchNormState(3), training=True)


@pytest.mark.parametrize("kwargs, message", [({"momentum": 1.0}, "momentum must be in"),
                                             ({"momentum": -0.1}, "momentum must be in"),
                                             ({"eps": 0.0}, "eps must be > 0")])
def test_bad_state_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        BatchNormState(3, **kwargs)


# -- batch norm inside the Network ---------------------------------------------------------------------

from nnlib import SGD, Adam, Momentum, Network, RMSProp, train  # noqa: E402
from nnlib.gradcheck import check_network_gradients  # noqa: E402


def bn_case(seed=0, m=7, **kwargs):
    """A small float64 BN network with trained-looking gamma, beta and running averages, and a batch."""
    rng = np.random.default_rng(seed)
    X, Y = rng.standard_normal((m, 4)), np.eye(3)[rng.integers(0, 3, m)]
    net = Network([4, 5, 6, 3], activation="tanh", batch_norm=True, seed=seed, **kwargs)
    for array in net.gammas + net.betas:
        array += 0.3 * rng.standard_normal(array.shape)
    for _ in range(3):  # move the running averages away from (0, 1)
        net.forward(2 * rng.standard_normal((m, 4)) + 1, training=True)
    return net, X, Y


@pytest.mark.parametrize("training", [False, True])
def test_network_gradient_check_covers_gamma_and_beta_below_1e_7(training):
    net, X, Y = bn_case(weight_decay=0.01, dropout=0.3)
    running = [a.copy() for a in net.running_averages()]
    errors = check_network_gradients(net, X, Y, training=training)
    expected = {"W0", "W1", "W2", "b2", "gamma0", "beta0", "gamma1", "beta1"} | (set() if training else {"b0", "b1"})
    assert set(errors) == expected
    assert max(errors.values()) < 1e-7, errors
    assert all(np.array_equal(a, b) for a, b in zip(net.running_averages(), running))  # state restored
    assert net.dropout == 0.3


def test_a_normalized_layers_bias_has_zero_gradient_in_training():
    net, X, Y = bn_case()
    _, grads = net.loss_and_gradients(X, Y)
    assert np.abs(grads[1]).max() < 1e-12 and np.abs(grads[3]).max() < 1e-12  # b0, b1 cancel in z - mean
    assert np.abs(grads[5]).max() > 1e-3                                     # the output bias does not


def test_the_gradient_check_would_catch_a_wrong_batch_norm_backward(monkeypatch):
    import nnlib.network
    net, X, Y = bn_case()
    evaluation_form = lambda dout, cache: (dout * cache[1] * cache[2], *batchnorm_backward(dout, cache)[1:])
    monkeypatch.setattr(nnlib.network, "batchnorm_backward", evaluation_form)  # drops the mean/var terms
    assert max(check_network_gradients(net, X, Y, training=True).values()) > 1e-3


def test_parameters_gradients_and_names_line_up():
    net = Network([4, 5, 6, 3], batch_norm=True)
    names = net.parameter_names()
    assert names == ["W0", "b0", "W1", "b1", "W2", "b2", "gamma0", "beta0", "gamma1", "beta1"]
    _, grads = net.loss_and_gradients(np.ones((3, 4)) * [[1], [2], [3]], np.eye(3))
    assert [g.shape for g in grads] == [p.shape for p in net.parameters()]
    assert [p.shape for p in net.parameters()[6:]] == [(5,), (5,), (6,), (6,)]
    np.testing.assert_array_equal(net.gammas[0], 1.0)
    np.testing.assert_array_equal(net.betas[1], 0.0)
    assert len(net.weights) == len(net.biases) == 3 and net.n_parameters() == 4 * 5 + 5 + 5 * 6 + 6 + 6 * 3 + 3 + 22
    assert Network([4, 5, 3]).parameter_names() == ["W0", "b0", "W1", "b1"] and Network([4, 3]).running_averages() == []


def test_forward_normalizes_before_the_activation_and_the_hidden_activations_show_it():
    from nnlib.analysis import hidden_activations
    rng = np.random.default_rng(1)
    X = 5 + 3 * rng.standard_normal((200, 4))
    net = Network([4, 8, 3], activation="identity", output="softmax", batch_norm=True)
    net.gammas[0][...], net.betas[0][...] = 2.0, -1.0
    _, caches = net.forward(X, training=True)
    A = caches[0][1][2]
    np.testing.assert_allclose(A.mean(axis=0), -1.0, atol=1e-10)
    np.testing.assert_allclose(A.std(axis=0), 2.0, rtol=1e-4)
    evaluation = hidden_activations(net, X)[0]  # running averages after one step: not yet the batch's own
    assert not np.allclose(evaluation, A)


def test_running_averages_change_only_in_training_mode():
    net, X, Y = bn_case()
    before = [a.copy() for a in net.running_averages()]
    net.predict(X), net.compute_loss(X, Y), net.loss_and_gradients(X, Y, training=False)
    assert all(np.array_equal(a, b) for a, b in zip(net.running_averages(), before))
    net.loss_and_gradients(X, Y)
    assert not np.array_equal(net.running_averages()[0], before[0])


def test_evaluation_uses_running_averages_so_a_single_example_is_predicted_alone():
    net, X, _ = bn_case()
    np.testing.assert_allclose(net.predict_proba(X[:1]), net.predict_proba(X)[:1], rtol=1e-12)
    with pytest.raises(ValueError, match="at least 2 examples per batch, got 1"):
        net.forward(X[:1], training=True)


def blobs(m, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, m)
    return np.array([[0.0, 2.0], [2.0, -1.0], [-2.0, -1.0]])[y] + 0.5 * rng.standard_normal((m, 2)), y


@pytest.mark.parametrize("make", [lambda: SGD(0.1), lambda: Momentum(0.05), lambda: RMSProp(0.01),
                                  lambda: Adam(0.01)], ids=["sgd", "momentum", "rmsprop", "adam"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_every_optimizer_trains_gamma_and_beta_in_both_dtypes(make, dtype):
    X, y = blobs(300)
    net = Network([2, 16, 16, 3], activation="relu", init="he", batch_norm=True, dropout=0.1,
                  weight_decay=1e-4, dtype=dtype)
    history = train(net, X, y, optimizer=make(), epochs=8, batch_size=32, validation_data=blobs(200, 1))
    assert history.val_accuracy[-1] > 0.9, history.val_accuracy
    assert not np.allclose(net.gammas[0], 1.0) and not np.allclose(net.betas[1], 0.0)
    assert all(p.dtype == dtype for p in net.parameters() + net.running_averages())


def test_weight_decay_does_not_touch_gamma_and_beta():
    net, X, Y = bn_case()
    decayed, _, _ = bn_case(weight_decay=0.5)
    _, plain_grads = net.loss_and_gradients(X, Y, training=False)
    _, decayed_grads = decayed.loss_and_gradients(X, Y, training=False)
    for name, g, d, W in zip(net.parameter_names(), plain_grads, decayed_grads, net.parameters()):
        expected = g + 0.5 * W if name.startswith("W") else g
        np.testing.assert_allclose(d, expected, rtol=1e-12, err_msg=name)


def test_train_refuses_batches_of_one_and_names_the_batch_size():
    X, y = blobs(20)
    with pytest.raises(ValueError, match="batch_size=1 gives batches of 1"):
        train(Network([2, 4, 3], batch_norm=True), X, y, batch_size=1)
    with pytest.raises(ValueError, match="a training set of 1 example"):
        train(Network([2, 4, 3], batch_norm=True), X[:1], y[:1], batch_size=8)
    train(Network([2, 4, 3]), X, y, batch_size=1, epochs=1)  # without batch norm a batch of 1 is fine


def test_a_last_batch_of_one_row_joins_the_previous_batch():
    X, y = blobs(65)                                     # 65 % 32 == 1
    net = Network([2, 4, 3], batch_norm=True)
    seen = []
    original = net.loss_and_gradients
    net.loss_and_gradients = lambda X_batch, Y_batch: seen.append(len(X_batch)) or original(X_batch, Y_batch)
    train(net, X, y, batch_size=32, epochs=2)
    assert seen == [32, 33, 32, 33]                      # every row is used, no batch of 1
    seen.clear()
    plain = Network([2, 4, 3])
    original = plain.loss_and_gradients
    plain.loss_and_gradients = lambda X_batch, Y_batch: seen.append(len(X_batch)) or original(X_batch, Y_batch)
    train(plain, X, y, batch_size=32, epochs=1)
    assert seen == [32, 32, 1]                           # without batch norm nothing changes


def test_early_stopping_restores_the_running_averages_of_the_best_epoch():
    X, y = blobs(200)
    net = Network([2, 8, 3], batch_norm=True, activation="relu", init="he")
    history = train(net, X, y, optimizer=SGD(3.0), epochs=12, batch_size=16, validation_data=blobs(100, 1),
                    patience=2)
    assert history.stopped_early
    replay = Network([2, 8, 3], batch_norm=True, activation="relu", init="he")
    train(replay, X, y, optimizer=SGD(3.0), epochs=history.best_epoch + 1, batch_size=16)
    for restored, best in zip(net.parameters() + net.running_averages(),
                              replay.parameters() + replay.running_averages()):
        np.testing.assert_array_equal(restored, best)


def test_lr_range_test_leaves_the_running_averages_as_they_were():
    from nnlib.diagnostics import lr_range_test
    X, y = blobs(65)
    net = Network([2, 8, 3], batch_norm=True)
    before = [a.copy() for a in net.parameters() + net.running_averages()]
    lr_range_test(net, X, y, steps=20, batch_size=32)    # 65 rows: every third batch would be a single row
    assert all(np.array_equal(a, b) for a, b in zip(net.parameters() + net.running_averages(), before))


def test_batch_norm_must_be_a_boolean():
    with pytest.raises(ValueError, match="batch_norm must be True or False, got 'yes'"):
        Network([2, 3], batch_norm="yes")
    assert "batch_norm=True" in repr(Network([2, 3, 3], batch_norm=True)) and "batch_norm" not in repr(Network([2, 3]))


def test_input_gradients_go_through_the_batch_norm_layers():
    from nnlib.analysis import input_gradient
    net, X, _ = bn_case()
    rng = np.random.default_rng(9)
    G = rng.standard_normal((len(X), 3))

    def S():  # sum of G * z^L in evaluation mode; its gradient with respect to X is what input_gradient returns
        return float(np.sum(G * net.forward(X)[1][-1][1]))

    assert rel_error(input_gradient(net, X, G), numerical_gradient(S, X)) < 1e-7


@pytest.mark.parametrize("source, target", [(np.float64, np.float32), (np.float32, np.float64)])
def test_astype_carries_gamma_beta_and_the_running_averages(source, target):
    net, X, Y = bn_case(dtype=source)
    net.bn_states[1].momentum, net.bn_states[1].eps = 0.5, 1e-3
    copy = net.astype(target)
    assert copy.batch_norm and copy.parameter_names() == net.parameter_names()
    for original, converted in zip(net.parameters() + net.running_averages(),
                                   copy.parameters() + copy.running_averages()):
        assert converted.dtype == target and converted is not original
        np.testing.assert_array_equal(converted, original.astype(target))
    assert (copy.bn_states[1].momentum, copy.bn_states[1].eps) == (0.5, 1e-3)
    tolerance = 1e-5 if np.float32 in (source, target) else 1e-12
    np.testing.assert_allclose(copy.predict_proba(X), net.predict_proba(X), rtol=tolerance, atol=tolerance)
    copy.forward(X.astype(target), training=True)  # training the copy leaves the original's averages alone
    assert not np.array_equal(copy.running_averages()[0], net.running_averages()[0].astype(target))


def test_logits_and_hidden_activations_use_the_running_averages():
    net, X, _ = bn_case()
    _, caches = net.forward(X)
    np.testing.assert_array_equal(net.logits(X), caches[-1][1])
    hidden = net.hidden_activations(X)
    assert [A.shape for A in hidden] == [(len(X), 5), (len(X), 6)]
    Z = X @ net.weights[0] + net.biases[0]
    state = net.bn_states[0]
    expected = np.tanh(net.gammas[0] * (Z - state.mean) / np.sqrt(state.var + state.eps) + net.betas[0])
    np.testing.assert_allclose(hidden[0], expected, rtol=1e-12)


def test_normalized_values_are_each_layers_z_hat_with_the_batch_statistics_and_change_nothing():
    net = Network([4, 6, 5, 3], activation="relu", init="he", batch_norm=True, dropout=0.5, seed=2)
    X = np.random.default_rng(3).standard_normal((8, 4))
    saved = [array.copy() for array in net.running_averages()]
    rng_state = net.rng.bit_generator.state
    values = net.normalized_values(X)
    assert [Z_hat.shape for Z_hat in values] == [(8, 6), (8, 5)]
    Z1 = X @ net.weights[0] + net.biases[0]
    np.testing.assert_allclose(values[0], (Z1 - Z1.mean(axis=0)) / np.sqrt(Z1.var(axis=0) + 1e-5))
    for Z_hat in values:                                # mean 0 and variance (almost) 1 in every unit
        np.testing.assert_allclose(Z_hat.mean(axis=0), 0, atol=1e-12)
        np.testing.assert_allclose(Z_hat.var(axis=0), 1, rtol=1e-3)
    for array, original in zip(net.running_averages(), saved):
        np.testing.assert_array_equal(array, original)
    assert net.rng.bit_generator.state == rng_state
    with pytest.raises(ValueError, match="needs a network built with batch_norm=True"):
        Network([4, 6, 3]).normalized_values(X)
