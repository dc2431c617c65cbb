"""A fully connected network of any depth, built from the forward/backward pairs in layers.py.

Shapes (batch first, as everywhere in nnlib): X is (m, sizes[0]); weights[l] is (sizes[l], sizes[l+1]);
biases[l] is (sizes[l+1],); the output is (m, sizes[-1]). The parameters are plain NumPy arrays in
the lists `weights` and `biases`, to be read, plotted and changed by hand.
"""
from copy import deepcopy
from typing import NamedTuple

import numpy as np

from .activations import ELEMENTWISE, OUTPUT_ACTIVATIONS, check_activation_name, softmax
from .initializers import get_initializer
from .layers import (BatchNormState, activation_backward, activation_forward, batchnorm_backward,
                     batchnorm_forward, dense_backward, dense_forward, dropout_backward, dropout_forward)
from .losses import DEFAULT_OUTPUT, check_pairing, loss_value, output_delta


class LayerCache(NamedTuple):
    """What forward keeps of one layer for backward: each step's own cache, by name."""
    dense: tuple          # (A^(l-1), W^(l)): dense_forward's cache
    activation: object    # activation_forward's cache; on the output layer, Z^(L) itself
    dropout_mask: object  # the mask of inverted dropout, or None
    batch_norm: object    # batchnorm_forward's cache, or None


class Network:
    """sizes=[784, 30, 10] makes a 784-30-10 network.

    activation: hidden-layer activation (sigmoid, tanh, relu, leaky_relu, identity).
    loss: quadratic, cross_entropy or binary_cross_entropy; output: the output activation
    (defaults: sigmoid for quadratic, softmax for cross_entropy, sigmoid for binary_cross_entropy).
    init: standard_normal, scaled_normal, xavier or he.  seed: for the initial weights and dropout masks.
    dropout: probability of dropping each hidden unit while training.  weight_decay: L2 strength lambda,
    adding lambda/2 * sum ||W||^2 to the batch-mean loss (Nielsen writes lambda/2n with n the training-set
    size; our lambda is his lambda/n).  dtype: float64 (default) or float32 for speed.
    batch_norm: normalize every hidden layer's Z^(l) over the batch before its activation (chapter 10), with a
    learned scale gamma^(l) (starts at 1) and shift beta^(l) (starts at 0) after parameters() = [W0, b0, ...];
    evaluation mode (predict, compute_loss) uses running averages that only training-mode passes update.
    """

    def __init__(self, sizes, activation="sigmoid", loss="cross_entropy", output=None, init="scaled_normal",
                 seed=0, dropout=0.0, weight_decay=0.0, dtype=np.float64, batch_norm=False):
        self.sizes = check_sizes(sizes)
        self.activation = check_activation_name(activation)
        self.output = check_activation_name(output or DEFAULT_OUTPUT.get(loss, "softmax"), OUTPUT_ACTIVATIONS)
        check_pairing(loss, self.output)
        if not (_is_real(dropout) and 0.0 <= dropout < 1.0):
            raise ValueError(f"dropout is the probability of dropping a unit and must be in [0, 1), got {dropout!r}")
        if not (_is_real(weight_decay) and 0 <= weight_decay < np.inf):
            raise ValueError(f"weight_decay must be >= 0 and finite, got {weight_decay!r}")
        self.loss, self.init, self.seed = loss, init, seed
        self.dropout, self.weight_decay, self.dtype = float(dropout), float(weight_decay), np.dtype(dtype)
        if self.dtype not in (np.float32, np.float64):
            raise ValueError(f"dtype must be float32 or float64, got {self.dtype}")
        rng = np.random.default_rng(seed)
        initializer = get_initializer(init)
        self.weights = [initializer(n_in, n_out, rng, self.dtype)
                        for n_in, n_out in zip(self.sizes[:-1], self.sizes[1:])]
        self.biases = [np.zeros(n_out, dtype=self.dtype) for n_out in self.sizes[1:]]
        self.rng = rng  # continues the same stream for dropout masks
        self._init_batch_norm(batch_norm)

    def __repr__(self):
        return (f"Network({'-'.join(map(str, self.sizes))}, activation={self.activation!r}, "
                f"output={self.output!r}, loss={self.loss!r}, dtype={self.dtype.name}"
                + (", batch_norm=True" if self.batch_norm else "") + ")")

    def astype(self, dtype):
        """A copy of this network with every weight and bias converted to dtype (float32 or float64), same
        settings. E.g. a float32 network in float64 for a numerical gradient check, whose centred differences
        need the extra digits. With batch_norm, gamma, beta and the running averages (with their momentum
        and eps) are converted too, so the copy computes the same function in both modes."""
        copy = Network(self.sizes, activation=self.activation, loss=self.loss, output=self.output,
                       init=self.init, seed=self.seed, dropout=self.dropout, weight_decay=self.weight_decay,
                       dtype=dtype, batch_norm=self.batch_norm)
        copy.weights = [W.astype(copy.dtype) for W in self.weights]
        copy.biases = [b.astype(copy.dtype) for b in self.biases]
        copy.gammas = [gamma.astype(copy.dtype) for gamma in self.gammas]
        copy.betas = [beta.astype(copy.dtype) for beta in self.betas]
        for state, original in zip(copy.bn_states, self.bn_states):
            state.mean, state.var = original.mean.astype(copy.dtype), original.var.astype(copy.dtype)
            state.momentum, state.eps = original.momentum, original.eps
        return copy

    @property
    def n_layers(self):
        """Number of weight layers (a 784-30-10 network has 2)."""
        return len(self.weights)

    def parameters(self):
        """[W0, b0, W1, b1, ...]: the arrays an optimizer updates in place; with batch_norm followed by
        [gamma0, beta0, gamma1, beta1, ...], one pair per hidden layer."""
        return ([p for pair in zip(self.weights, self.biases) for p in pair]
                + [p for pair in zip(self.gammas, self.betas) for p in pair])

    def parameter_names(self):
        """A name per entry of parameters(): W0, b0, W1, b1, ... (layer index from 0, as in weights)."""
        return [f"{kind}{l}" for l in range(self.n_layers) for kind in ("W", "b")]

    def n_parameters(self):
        """Total number of weights and biases: sum over layers of n_in * n_out + n_out (plus 2 n per hidden
        layer of n units for gamma and beta with batch_norm)."""
        return sum(p.size for p in self.parameters())

    # -- forward and backward ----------------------------------------------------------------

    def forward(self, X, training=False):
        """Z^(l) = A^(l-1) W^(l) + b^(l) and A^(l) = f(Z^(l)) for l = 1..L, starting from A^(0) = X.

        X: (m, sizes[0]). Returns the output A^(L): (m, sizes[-1]), and one cache per layer for backward.
        training=True applies dropout to the hidden layers (only if the network was built with dropout > 0).
        With batch_norm a hidden layer computes A^(l) = f(gamma^(l) * Z_hat^(l) + beta^(l)), Z_hat^(l) being
        Z^(l) normalized per unit: with the batch's own mean and variance when training (which also moves
        the running averages), with the running averages in evaluation mode (training=False)."""
        A, caches = X, []
        for l, (W, b) in enumerate(zip(self.weights, self.biases)):
            Z, dense_cache = dense_forward(A, W, b)              # Z = A W + b
            Z, bn_cache = self._normalize(l, Z, training)        # unchanged unless batch_norm (hidden layers)
            A, activation_cache = self._activate(l, Z)           # A = f(Z)
            A, dropout_mask = self._dropout(l, A, training)      # unchanged unless training with dropout
            caches.append(LayerCache(dense_cache, activation_cache, dropout_mask, bn_cache))
        return A, caches

    def _activate(self, l, Z):
        """A = f(Z) for layer l (0-based): the hidden activation, or the output activation on the last layer.
        Returns A and what backward needs: (name, Z, A) for a hidden layer, Z itself for the output layer."""
        if l < self.n_layers - 1:
            return activation_forward(Z, self.activation)
        if self.output == "softmax":
            return softmax(Z), Z
        return ELEMENTWISE[self.output][0](Z), Z

    def _dropout(self, l, A, training):
        """Inverted dropout on hidden layer l while training; (A, None) everywhere else."""
        if not training or self.dropout == 0 or l == self.n_layers - 1:
            return A, None
        return dropout_forward(A, self.dropout, self.rng)

    def backward(self, delta, caches, input_gradient=False):
        """Backpropagate the output error delta = dC/dZ^(L), shape (m, sizes[-1]), through every layer.

        Returns the gradients in the order of parameters(): [dC/dW^(1), dC/db^(1), dC/dW^(2), ...], with
        dC/dW^(l) = A^(l-1)^T delta^(l) (BP3), dC/db^(l) = delta^(l) summed over the batch (BP4) and
        delta^(l-1) = (delta^(l) W^(l)^T) * f'(Z^(l-1)) (BP2). With batch_norm, BP2 continues through the
        normalization (batchnorm_backward), and dC/dgamma^(l), dC/dbeta^(l) follow the weights and biases.
        input_gradient=True also returns dC/dX = delta^(1) W^(1)^T, shape (m, sizes[0]), as (grads, dX): what
        saliency maps, and layers in front of this network (a ConvNet's convolutions), need."""
        grads = [None] * len(self.parameters())
        for l in range(self.n_layers - 1, -1, -1):
            dA, grads[2 * l], grads[2 * l + 1] = dense_backward(delta, caches[l].dense,
                                                                need_dX=l > 0 or input_gradient)
            if l > 0:
                below = caches[l - 1]  # the layer whose output A this layer read
                if below.dropout_mask is not None:
                    dA = dropout_backward(dA, below.dropout_mask)
                delta = activation_backward(dA, below.activation)
                delta = self._normalize_backward(l - 1, delta, below.batch_norm, grads)
        if self.weight_decay:
            for l, W in enumerate(self.weights):
                grads[2 * l] += self.weight_decay * W
        return (grads, dA) if input_gradient else grads

    def loss_and_gradients(self, X, Y, training=True, input_gradient=False):
        """Loss of the batch (mean over its m examples, plus the L2 term) and its gradients.

        X: (m, sizes[0]);  Y: (m, sizes[-1]) one-hot targets.  Returns (loss, [dW0, db0, ...]), and with
        input_gradient=True also dC/dX (m, sizes[0]) as a third value (see backward)."""
        a, caches = self.forward(X, training=training)
        Y = self.check_targets(Y, a)
        z = caches[-1].activation  # the output layer's cache is Z^(L) itself
        loss = loss_value(self.loss, self.output, z, a, Y) + self.l2_penalty()
        gradients = self.backward(output_delta(self.loss, self.output, z, a, Y), caches, input_gradient=input_gradient)
        return (loss, *gradients) if input_gradient else (loss, gradients)

    def compute_loss(self, X, Y):
        """The loss of (X, Y) in evaluation mode (no dropout), including the L2 term."""
        a, caches = self.forward(X)
        Y = self.check_targets(Y, a)
        return loss_value(self.loss, self.output, caches[-1].activation, a, Y) + self.l2_penalty()

    def l2_penalty(self):
        """lambda/2 * sum of squared weights (biases are not decayed)."""
        if not self.weight_decay:
            return 0.0
        return 0.5 * self.weight_decay * sum(float(np.sum(W * W)) for W in self.weights)

    def check_targets(self, Y, a):
        """Y as an array of a's dtype (float32 targets keep a float32 network in float32), after checking
        it has a's shape (m, sizes[-1]). Labels of shape (m,) would broadcast against a silently (or fail
        deep inside NumPy), so they get a pointer to to_one_hot."""
        if len(a) == 0:
            raise ValueError("the batch is empty: X has 0 examples; pass at least one row")
        if np.shape(Y) != a.shape:
            hint = (f"; turn labels into one-hot rows with nnlib.to_one_hot(y, {a.shape[1]})"
                    if np.ndim(Y) == 1 else "")
            raise ValueError(f"Y must have shape {a.shape} (one target row per example, one column per "
                             f"output), got shape {np.shape(Y)}{hint}")
        return np.asarray(Y, dtype=a.dtype)

    # -- using a trained network -------------------------------------------------------------

    def predict_proba(self, X, batch_size=10000):
        """Output activations for X: (m, sizes[-1]). With softmax these are class probabilities.
        Evaluated in chunks of batch_size rows so that large inputs do not need large hidden-layer buffers."""
        if isinstance(batch_size, (bool, np.bool_)) or not isinstance(batch_size, (int, np.integer)) \
                or batch_size < 1:
            raise ValueError(f"batch_size is the number of rows evaluated at a time and must be a whole number "
                             f">= 1, got {batch_size!r}")
        X = self.check_input(X)
        chunks = [self.forward(X[i:i + batch_size])[0] for i in range(0, len(X), batch_size)]
        return np.concatenate(chunks) if chunks else np.empty((0, self.sizes[-1]), self.dtype)

    def logits(self, X):
        """The output layer's pre-activations Z^(L) = A^(L-1) W^(L) + b^(L), before softmax or sigmoid.

        X: (m, sizes[0])  ->  (m, sizes[-1]). Evaluation mode (no dropout). Softmax turns these scores
        into probabilities, so the largest logit is the predicted class."""
        _, caches = self.forward(self.check_input(X))
        return caches[-1].activation  # the output layer's cache is Z^(L) itself

    def hidden_activations(self, X):
        """The activations A^(1), ..., A^(L-1) of every hidden layer, A^(l) = f(Z^(l)), in evaluation mode.

        X: (m, sizes[0])  ->  a list of L-1 arrays; entry l-1 is A^(l), of shape (m, sizes[l])."""
        _, caches = self.forward(self.check_input(X))
        return [cache.activation[2] for cache in caches[:-1]]  # a hidden activation's cache is (name, Z, A)

    def predict(self, X, batch_size=10000):
        """Predicted class per row of X: the index of the largest output, shape (m,)."""
        return self.predict_proba(X, batch_size).argmax(axis=1)

    def check_input(self, X):
        """X as a 2-D array of this network's dtype, or a ValueError that says what is wrong with it."""
        X = np.asarray(X)
        expected = self.sizes[0]
        if X.ndim == 1 and X.size == expected:
            raise ValueError(f"X is a single example of shape {X.shape}; pass a batch of shape (m, {expected}), "
                             f"e.g. X.reshape(1, -1)")
        if X.ndim == 3 and X.shape[1] * X.shape[2] == expected:
            raise ValueError(f"X has shape {X.shape} (images as 2-D arrays); flatten them to "
                             f"(m, {expected}) with X.reshape(len(X), -1)")
        if X.ndim != 2:
            raise ValueError(f"X must be 2-D with shape (m, {expected}), got shape {X.shape}")
        if X.shape[1] != expected:
            hint = " (did you keep the label column?)" if X.shape[1] == expected + 1 else ""
            raise ValueError(f"X has {X.shape[1]} features per row but the first layer expects "
                             f"{expected}{hint}")
        if not np.issubdtype(X.dtype, np.number) or np.issubdtype(X.dtype, np.complexfloating):
            raise ValueError(f"X must hold real numbers, got dtype {X.dtype}")
        X = X.astype(self.dtype, copy=False)
        if not np.isfinite(X).all():
            bad = np.argwhere(~np.isfinite(X))[0]
            raise ValueError(f"X contains nan or infinite values (first at row {bad[0]}, column {bad[1]}); "
                             f"clean or impute the data first")
        return X

    # -- batch normalization (chapter 10) ------------------------------------------------------

    def _init_batch_norm(self, batch_norm):
        """gamma^(l) = 1, beta^(l) = 0 and running averages (mean 0, var 1) for every hidden layer l."""
        if not isinstance(batch_norm, (bool, np.bool_)):
            raise ValueError(f"batch_norm must be True or False, got {batch_norm!r}")
        self.batch_norm = bool(batch_norm)
        hidden = self.sizes[1:-1] if self.batch_norm else []
        self.gammas = [np.ones(n, dtype=self.dtype) for n in hidden]
        self.betas = [np.zeros(n, dtype=self.dtype) for n in hidden]
        self.bn_states = [BatchNormState(n, dtype=self.dtype) for n in hidden]

    def _normalize(self, l, Z, training):
        """Z -> gamma * Z_hat + beta for hidden layer l (0-based), and the cache batchnorm_backward needs;
        (Z, None) without batch_norm and on the output layer, which is never normalized."""
        if not self.batch_norm or l == self.n_layers - 1:
            return Z, None
        return batchnorm_forward(Z, self.gammas[l], self.betas[l], self.bn_states[l], training)

    def _normalize_backward(self, l, delta, bn_cache, grads):
        """The error at hidden layer l's batch-norm output -> delta = dC/dZ at its input (the dense layer's
        output); stores dC/dgamma and dC/dbeta of layer l in grads. Unchanged (nothing stored) without it."""
        if bn_cache is None:
            return delta
        first = 2 * self.n_layers + 2 * l  # gammas and betas follow [W0, b0, ...] in parameters()
        delta, grads[first], grads[first + 1] = batchnorm_backward(delta, bn_cache)
        return delta

    def normalized_values(self, X):
        """Z_hat^(l) = (Z^(l) - mu) / sqrt(var + eps) of every hidden layer, with mu and var the batch X's own
        statistics, as in a training step: the normalized values before gamma^(l) and beta^(l).

        X: (m, sizes[0]), m >= 2  ->  a list of L-1 arrays; entry l-1 is Z_hat^(l), of shape (m, sizes[l]).
        The pass runs on a copy of the network, so its running averages (and the dropout masks' random
        stream) stay as they were. Needs a network built with batch_norm=True."""
        if not self.batch_norm:
            raise ValueError("normalized_values needs a network built with batch_norm=True: without batch "
                             "normalization there is no Z_hat (hidden_activations gives the layers' outputs)")
        _, caches = deepcopy(self).forward(self.check_input(X), training=True)
        return [cache.batch_norm[0] for cache in caches[:-1]]  # batchnorm_forward's cache starts with Z_hat

    def running_averages(self):
        """[mean0, var0, mean1, var1, ...]: the batch-norm running averages (state, not parameters: no
        optimizer touches them), one pair per hidden layer; [] without batch_norm."""
        return [array for state in self.bn_states for array in (state.mean, state.var)]

    def parameter_names(self):
        """Names of parameters() in order: ['W0', 'b0', 'W1', 'b1', ..., 'gamma0', 'beta0', ...]."""
        return ([f"{kind}{l}" for l in range(self.n_layers) for kind in ("W", "b")]
                + [f"{kind}{l}" for l in range(len(self.gammas)) for kind in ("gamma", "beta")])


def check_sizes(sizes):
    """sizes as a list of Python ints, or a ValueError: at least two layers, each a positive whole number
    (30.0 is accepted as 30; 30.7, True and "30" are refused)."""
    try:
        sizes = list(sizes)
    except TypeError:
        raise ValueError(f"sizes must be a list of layer sizes, e.g. [784, 30, 10], got {sizes!r}") from None
    for n in sizes:
        whole = isinstance(n, (int, np.integer)) or isinstance(n, (float, np.floating)) and float(n).is_integer()
        if isinstance(n, (bool, np.bool_)) or not whole:
            raise ValueError(f"layer sizes must be whole numbers of units, got {n!r} in {sizes}")
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError(f"sizes needs at least an input and an output layer of positive sizes, got {sizes}")
    return [int(n) for n in sizes]


def _is_real(value):
    """A real number that is not a bool (True is not a dropout rate)."""
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))
