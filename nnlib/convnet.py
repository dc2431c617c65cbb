"""A convolutional network: convolution and pooling layers in front of a fully connected Network, the head.

Rows in, as everywhere in nnlib: X is (m, C*H*W), e.g. (m, 784) for MNIST. The model views each row as an
image (C, H, W) (nnlib.convolution documents that shape), runs its feature layers, flattens what comes out to
(m, n_features) and hands it to the head, an ordinary Network. A ConvNet answers the same calls as a Network
(check_input, forward, backward, loss_and_gradients, compute_loss, parameters, predict), so train(), the
optimizers, the gradient checker and evaluation work for both with no second code path; the head's
backward pass is the MLP's own, continued into the convolutions through its input gradient.
"""
import inspect
import math
import re

import numpy as np

from .activations import ELEMENTWISE, check_activation_name
from .convolution import conv2d_backward, conv2d_forward, maxpool_backward, maxpool_forward, output_size
from .layers import activation_backward, activation_forward
from .network import Network


def _whole(name, value, minimum):
    """value as an int, or a ValueError saying that `name` must be a whole number >= minimum."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be a whole number >= {minimum}, got {value!r}")
    return int(value)


class Conv2D:
    """A convolution: `filters` filters (F) of `size` x `size` (k), each over every channel of its input, moved
    by `stride` over the input padded with `padding` zeros: K (F, C, size, size), b (F,). The number of input
    channels C is no argument: build() takes it from the input. He initialization (chapter 06) for the ReLU
    that usually follows: K ~ N(0, 2 / fan_in), fan_in = C * size^2 (the inputs of one output value); b = 0."""

    kind = "conv"

    def __init__(self, filters, size, stride=1, padding=0):
        self.filters, self.size = _whole("filters", filters, 1), _whole("filter size", size, 1)
        self.stride, self.padding = _whole("stride", stride, 1), _whole("padding", padding, 0)
        self.K = self.b = None

    def build(self, input_shape, rng, dtype):
        """Create K and b for inputs of shape (C, H, W); return the output shape (F, H_out, W_out)."""
        channels = input_shape[0]
        scale = np.sqrt(2.0 / (channels * self.size ** 2))
        self.K = (scale * rng.standard_normal((self.filters, channels, self.size, self.size))).astype(dtype)
        self.b = np.zeros(self.filters, dtype=dtype)
        return self.output_shape(input_shape)

    def values_per_example(self, input_shape):
        """How many numbers a forward pass holds per example: the im2col columns (C*size^2 per output
        position) and the output maps; what bounds the memory of a batch."""
        F, H_out, W_out = self.output_shape(input_shape)
        return (input_shape[0] * self.size ** 2 + F) * H_out * W_out

    def spec(self):
        """This layer in the notation of parse_features, e.g. conv16x5p2 (stride and padding when not 1 and 0)."""
        return (f"conv{self.filters}x{self.size}" + (f"s{self.stride}" if self.stride != 1 else "")
                + (f"p{self.padding}" if self.padding else ""))

    def output_shape(self, input_shape):
        """(F, H_out, W_out) for inputs of shape (C, H, W), by the output-size formula (nothing is computed)."""
        _, H, W = input_shape
        return (self.filters, output_size(H, self.size, self.stride, self.padding),
                output_size(W, self.size, self.stride, self.padding))

    def parameters(self):
        """[K, b]: the arrays an optimizer updates in place."""
        return [self.K, self.b]

    def forward(self, A, training):
        """conv2d_forward of A (m, C, H, W) with this layer's K and b."""
        return conv2d_forward(A, self.K, self.b, self.stride, self.padding)

    def backward(self, dout, cache, need_dX):
        """dX (None unless need_dX) and the gradients [dK, db]."""
        dX, dK, db = conv2d_backward(dout, cache, need_dX=need_dX)
        return dX, [dK, db]

    def config(self):
        """The constructor's arguments, for saving."""
        return {"kind": self.kind, "filters": self.filters, "size": self.size, "stride": self.stride,
                "padding": self.padding}


class Activation:
    """An element-wise activation (relu, sigmoid, tanh, ...) on feature maps of any shape; no parameters."""

    kind = "activation"

    def __init__(self, name="relu"):
        self.name = check_activation_name(name)

    def build(self, input_shape, rng, dtype):
        """No parameters; the shape is unchanged."""
        return self.output_shape(input_shape)

    def output_shape(self, input_shape):
        """The input's shape: an activation acts element by element."""
        return tuple(input_shape)

    def values_per_example(self, input_shape):
        """The output's size: one number per input number."""
        return math.prod(input_shape)

    def spec(self):
        """This layer in the notation of parse_features: its activation's name."""
        return self.name

    def parameters(self):
        """None: an activation learns nothing."""
        return []

    def forward(self, A, training):
        """f(A), element-wise."""
        return activation_forward(A, self.name)

    def backward(self, dout, cache, need_dX):
        """dout * f'(Z), element-wise, and no parameter gradients."""
        return activation_backward(dout, cache), []

    def config(self):
        """The constructor's arguments, for saving."""
        return {"kind": self.kind, "name": self.name}


class MaxPool2D:
    """Max-pooling over size x size windows (stride defaults to size: windows that do not overlap)."""

    kind = "maxpool"

    def __init__(self, size=2, stride=None):
        self.size = _whole("pooling size", size, 1)
        self.stride = self.size if stride is None else _whole("pooling stride", stride, 1)

    def build(self, input_shape, rng, dtype):
        """No parameters; returns the pooled shape (C, H_out, W_out)."""
        return self.output_shape(input_shape)

    def output_shape(self, input_shape):
        """(C, H_out, W_out) for inputs of shape (C, H, W), by the output-size formula (nothing is computed)."""
        C, H, W = input_shape
        return C, output_size(H, self.size, self.stride, 0), output_size(W, self.size, self.stride, 0)

    def values_per_example(self, input_shape):
        """The pooled maps' size per example."""
        return math.prod(self.output_shape(input_shape))

    def spec(self):
        """This layer in the notation of parse_features, e.g. pool2 (or pool3s2 when the stride differs)."""
        return f"pool{self.size}" + (f"s{self.stride}" if self.stride != self.size else "")

    def parameters(self):
        """None: pooling learns nothing."""
        return []

    def forward(self, A, training):
        """maxpool_forward of A (m, C, H, W)."""
        return maxpool_forward(A, self.size, self.stride)

    def backward(self, dout, cache, need_dX):
        """The gradient routed to each window's largest input, and no parameter gradients."""
        return maxpool_backward(dout, cache), []

    def config(self):
        """The constructor's arguments, for saving."""
        return {"kind": self.kind, "size": self.size, "stride": self.stride}


LAYER_KINDS = {cls.kind: cls for cls in (Conv2D, Activation, MaxPool2D)}
_SPEC = re.compile(r"^(?:conv(?P<filters>\d+)x(?P<size>\d+)(?:s(?P<stride>\d+))?(?:p(?P<padding>\d+))?"
                   r"|pool(?P<pool>\d+)(?:s(?P<pool_stride>\d+))?)$")


def parse_features(spec):
    """Feature layers from a compact text, e.g. "conv16x5p2,relu,pool2,conv32x5p2,relu,pool2":
    convF x k (F filters of k x k, then optional sN for the stride and pN for the padding), poolK (K x K
    max-pooling, optional sN), and an activation's name (relu, tanh, ...). Returns a list of new layers."""
    if not isinstance(spec, str) or not spec.strip():
        raise ValueError(f"feature layers must be a text such as 'conv16x5p2,relu,pool2', got {spec!r}")
    layers = []
    for token in (part.strip() for part in spec.split(",")):
        match = _SPEC.match(token)
        if match and match["pool"]:
            stride = match["pool_stride"]
            layers.append(MaxPool2D(int(match["pool"]), None if stride is None else int(stride)))
        elif match:
            layers.append(Conv2D(int(match["filters"]), int(match["size"]), int(match["stride"] or 1),
                                 int(match["padding"] or 0)))
        elif token in ELEMENTWISE:
            layers.append(Activation(token))
        else:
            raise ValueError(f"cannot read the feature layer {token!r}: write convFxK (e.g. conv16x5, with sN for "
                             f"a stride and pN for padding: conv16x5p2), poolK (e.g. pool2), or an activation "
                             f"({', '.join(ELEMENTWISE)})")
    return layers


def features_spec(layers):
    """The text parse_features reads back into the same layers, e.g. "conv16x5p2,relu,pool2"."""
    return ",".join(layer.spec() for layer in layers)


def layer_from_config(config):
    """The layer a config() dict describes, e.g. {'kind': 'conv', 'filters': 32, 'size': 5, ...}."""
    if not isinstance(config, dict):
        raise ValueError(f"a layer is described by a dict such as {{'kind': 'conv', 'filters': 8, 'size': 5}}, "
                         f"got {type(config).__name__}")
    arguments = dict(config)
    kind = arguments.pop("kind", None)
    if not isinstance(kind, str) or kind not in LAYER_KINDS:
        raise ValueError(f"unknown layer kind {kind!r}; choose one of {', '.join(LAYER_KINDS)}")
    cls = LAYER_KINDS[kind]
    accepted = list(inspect.signature(cls).parameters)
    unknown = [name for name in arguments if name not in accepted]
    if unknown:
        raise ValueError(f"a {kind} layer takes {', '.join(accepted)}; got the unknown setting {unknown[0]!r}")
    return cls(**arguments)


PREDICT_BUDGET = 1 << 26   # numbers held by the largest layer of one prediction chunk: 256 MB in float32


def work_per_example(features, input_shape):
    """The most numbers any one feature layer holds for one example in a forward pass (its im2col columns
    and outputs), computed from the shapes alone: what a batch's memory grows with."""
    most, shape = 0, tuple(input_shape)
    for layer in features:
        most = max(most, layer.values_per_example(shape))
        shape = layer.output_shape(shape)
    return most


class ConvNet:
    """features: a list of layers (Conv2D, Activation, MaxPool2D) applied to images of input_shape (C, H, W);
    head: the sizes of the fully connected layers after them, e.g. [128, 10]; the head's input size is
    whatever the features produce, flattened. activation, loss, output, init, dropout, weight_decay and dtype
    are those of the head Network (dropout acts on the head's hidden layers; weight_decay, the L2 strength
    lambda, decays the head's weights and the kernels K). seed: for every initial weight and dropout mask."""

    def __init__(self, features, head, input_shape=(1, 28, 28), activation="relu", loss="cross_entropy",
                 output=None, init="he", seed=0, dropout=0.0, weight_decay=0.0, dtype=np.float64):
        self.input_shape, self.dtype = tuple(int(n) for n in input_shape), np.dtype(dtype)
        if len(self.input_shape) != 3 or min(self.input_shape) < 1:
            raise ValueError(f"input_shape must be (channels, height, width), got {input_shape}")
        self.features, rng, shape = list(features), np.random.default_rng(seed), self.input_shape
        for layer in self.features:
            shape = layer.build(shape, rng, self.dtype)
        self.head = Network([int(np.prod(shape)), *head], activation=activation, loss=loss, output=output,
                            init=init, seed=int(rng.integers(2 ** 31)), dropout=dropout,
                            weight_decay=weight_decay, dtype=self.dtype)
        self.feature_shape, self.weight_decay, self.seed = shape, float(weight_decay), seed
        self.values_per_example = work_per_example(self.features, self.input_shape)

    def __repr__(self):
        shape = "x".join(map(str, self.input_shape))
        return (f"ConvNet({shape} -> {features_spec(self.features)} -> {'-'.join(map(str, self.head.sizes))}, "
                f"activation={self.head.activation!r}, output={self.output!r}, loss={self.loss!r}, "
                f"dtype={self.dtype.name})")

    @property
    def sizes(self):
        """[inputs per row (C*H*W), then the head's layer sizes after its input]: sizes[0] and sizes[-1] mean
        what they mean for a Network, the length of an input row and the number of outputs."""
        return [int(np.prod(self.input_shape)), *self.head.sizes[1:]]

    @property
    def output(self):
        """The head's output activation (softmax, sigmoid, ...)."""
        return self.head.output

    # Batch normalization (chapter 10) belongs to fully connected Networks; a ConvNet has none, and answers
    # train()'s and the diagnostics' questions about it accordingly.
    batch_norm = False

    def running_averages(self):
        """Batch normalization's running averages: none in a ConvNet (an empty list, as for a plain Network)."""
        return []

    @property
    def loss(self):
        """The head's loss (cross_entropy, quadratic, ...)."""
        return self.head.loss

    def parameters(self):
        """[K, b of each convolution in order, then the head's W0, b0, W1, b1, ...]: what an optimizer updates."""
        return self._feature_parameters() + self.head.parameters()

    def parameter_names(self):
        """A name per entry of parameters(): conv1.K, conv1.b, ..., then the head's W0, b0, ..."""
        names, convs = [], 0
        for layer in self.features:
            if layer.parameters():
                convs += 1
                names += [f"conv{convs}.K", f"conv{convs}.b"]
        return names + [f"head.{name}" for name in self.head.parameter_names()]

    def n_parameters(self):
        """Total number of learned numbers: kernels, biases and the head's weights and biases."""
        return sum(p.size for p in self.parameters())

    def check_input(self, X):
        """X as rows (m, C*H*W) of this model's dtype, or a ValueError saying what is wrong (as for a Network)."""
        return Network.check_input(self, X)

    def forward(self, X, training=False):
        """Output activations (m, sizes[-1]) and the caches backward needs: the feature layers' and the head's."""
        features, feature_caches = self._features_forward(X, training)
        a, head_caches = self.head.forward(features, training)
        return a, (feature_caches, head_caches)

    def feature_maps(self, X):
        """What every feature layer outputs for X (m, C*H*W), in evaluation mode: a list with one array
        (m, C_l, H_l, W_l) per layer of self.features, in order (a convolution's maps, the same after its
        activation, after pooling, ...), to look at what the convolutions detect."""
        A, maps = self.check_input(X).reshape(len(X), *self.input_shape), []
        for layer in self.features:
            A, _ = layer.forward(A, False)
            maps.append(A)
        return maps

    def _features_forward(self, X, training):
        A, caches = X.reshape(len(X), *self.input_shape), []
        for layer in self.features:
            A, cache = layer.forward(A, training)
            caches.append(cache)
        return A.reshape(len(A), -1), caches

    def _features_backward(self, dA, caches, input_gradient):
        """From dC/d(flattened features) back through the feature layers: their gradients, in order, and dC/dX."""
        dA, grads = dA.reshape(len(dA), *self.feature_shape), []
        for i in range(len(self.features) - 1, -1, -1):
            dA, layer_grads = self.features[i].backward(dA, caches[i], need_dX=i > 0 or input_gradient)
            grads = layer_grads + grads
        if self.weight_decay:  # d/dK of lambda/2 ||K||^2; biases are not decayed
            grads = [g + self.weight_decay * p if p.ndim == 4 else g for g, p in zip(grads, self._feature_parameters())]
        return grads, (None if dA is None else dA.reshape(len(dA), -1))

    def backward(self, delta, caches, input_gradient=False):
        """Gradients in the order of parameters() for the output error delta = dC/dZ^(L) (m, sizes[-1]);
        with input_gradient=True also dC/dX (m, sizes[0]), as (grads, dX)."""
        feature_caches, head_caches = caches
        head_grads, dF = self.head.backward(delta, head_caches, input_gradient=True)
        grads, dX = self._features_backward(dF, feature_caches, input_gradient)
        return (grads + head_grads, dX) if input_gradient else grads + head_grads

    def loss_and_gradients(self, X, Y, training=True):
        """Loss of the batch (mean over its m examples, plus the L2 terms) and its gradients, in the order of
        parameters(). X: (m, sizes[0]);  Y: (m, sizes[-1]) one-hot targets."""
        features, feature_caches = self._features_forward(X, training)
        loss, head_grads, dF = self.head.loss_and_gradients(features, Y, training, input_gradient=True)
        grads, _ = self._features_backward(dF, feature_caches, input_gradient=False)
        return loss + self._kernel_penalty(), grads + head_grads

    def compute_loss(self, X, Y):
        """The loss of (X, Y) in evaluation mode (no dropout), including the L2 terms."""
        return self.head.compute_loss(self._features_forward(X, False)[0], Y) + self._kernel_penalty()

    def _feature_parameters(self):
        return [p for layer in self.features for p in layer.parameters()]

    def _kernel_penalty(self):
        """lambda/2 times the sum of squared kernel entries (the head adds its own weights' term)."""
        kernels = [p for p in self._feature_parameters() if p.ndim == 4]
        return 0.5 * self.weight_decay * sum(float(np.sum(K * K)) for K in kernels) if self.weight_decay else 0.0

    def predict_proba(self, X, batch_size=1000):
        """Output activations for X (m, sizes[-1]), computed in chunks of at most batch_size rows, fewer if a
        chunk's largest layer would hold more than PREDICT_BUDGET numbers (convolutions of a whole data set
        at once would need gigabytes)."""
        X = self.check_input(X)
        batch_size = max(1, min(int(batch_size), PREDICT_BUDGET // max(1, self.values_per_example)))
        chunks = [self.forward(X[i:i + batch_size])[0] for i in range(0, len(X), batch_size)]
        return np.concatenate(chunks) if chunks else np.empty((0, self.sizes[-1]), self.dtype)

    def predict(self, X, batch_size=1000):
        """Predicted class per row of X: the index of the largest output, shape (m,)."""
        return self.predict_proba(X, batch_size).argmax(axis=1)
