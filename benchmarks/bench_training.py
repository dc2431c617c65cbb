"""Training speed and memory of nnlib on full MNIST, printed as Markdown tables (a benchmark, not a test).

    .venv/bin/python benchmarks/bench_training.py              # everything, about 45 s on 2 cores
    .venv/bin/python benchmarks/bench_training.py adam memory  # only some parts: adam nielsen loop memory

BLAS threads are pinned with threadpoolctl. An epoch of nnlib is timed as train() times it (History.epoch_time:
the pass over the 60,000 images, without the input checks done once per train() call or the evaluation after
each epoch); the references beside it are timed the same way, one pass each. We quote medians over several
epochs. Two-thread timings on small VMs stall now and then, so the 1-thread median is the headline.
"""
import argparse
import statistics
import subprocess
import sys
import time

import numpy as np
from threadpoolctl import threadpool_limits

from nnlib import SGD, Adam, Network, load_mnist, train
from nnlib.activations import sigmoid, sigmoid_prime
from nnlib.data import to_one_hot


def timed_epochs(net, X, y, optimizer, batch_size, epochs, threads):
    """One train() call of `epochs` epochs with BLAS pinned to `threads`: seconds per epoch (History.epoch_time)."""
    with threadpool_limits(threads, user_api="blas"):
        history = train(net, X, y, optimizer=optimizer, epochs=epochs, batch_size=batch_size, progress=False,
                        evaluate_train=False)
    return history.epoch_time


def timed_calls(function, repeats, threads):
    """Wall seconds of each of `repeats` calls of function(), with BLAS pinned to `threads`."""
    seconds = []
    with threadpool_limits(threads, user_api="blas"):
        for _ in range(repeats):
            started = time.perf_counter()
            function()
            seconds.append(time.perf_counter() - started)
    return seconds


def matmul_epoch(sizes, n, batch_size, dtype, threads, repeats=3):
    """The matrix products of one training epoch and nothing else: per batch, Z = A @ W for each layer,
    then dW = A.T @ dZ for each layer and dA = dZ @ W.T for all but the first. Median wall seconds."""
    rng = np.random.default_rng(0)
    weights = [rng.standard_normal((a, b)).astype(dtype) for a, b in zip(sizes[:-1], sizes[1:])]
    batches = [min(batch_size, n - start) for start in range(0, n, batch_size)]
    acts = {m: [rng.standard_normal((m, s)).astype(dtype) for s in sizes] for m in set(batches)}

    def products():
        for m in batches:
            a = acts[m]
            for l, W in enumerate(weights):
                a[l] @ W                                # forward
            for l in range(len(weights) - 1, -1, -1):
                a[l].T @ a[l + 1]                       # dW = A_prev.T @ dZ
                if l > 0:
                    a[l + 1] @ weights[l].T             # dA_prev = dZ @ W.T

    return statistics.median(timed_calls(products, repeats, threads))


def adam_updates_epoch(sizes, n, batch_size, dtype, threads, repeats=3):
    """nnlib's Adam updates of one epoch and nothing else: one step per batch on a network's parameters, with
    fixed random gradients. Median wall seconds. With the matrix products, a floor for an nnlib Adam epoch."""
    rng = np.random.default_rng(0)
    params = Network(sizes, dtype=dtype).parameters()
    grads = [rng.standard_normal(p.shape).astype(dtype) for p in params]
    adam, steps = Adam(1e-3), len(range(0, n, batch_size))

    def updates():
        for _ in range(steps):
            adam.step(params, grads)

    return statistics.median(timed_calls(updates, repeats, threads))


def reference_adam_epoch(params, moments, t, X, Y, batch_size, rng, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """A clean vectorized NumPy reference for the Adam benchmark, written inline with no nnlib calls:
    784-128-64-10 ReLU, softmax + cross-entropy, Adam as in Kingma & Ba's Algorithm 1. params is
    [W1, b1, W2, b2, W3, b3], moments a list of (m, v) pairs; returns the step count t."""
    W1, b1, W2, b2, W3, b3 = params
    order = rng.permutation(len(X))
    for start in range(0, len(X), batch_size):
        index = order[start:start + batch_size]
        x, y = X[index], Y[index]
        z1 = x @ W1 + b1
        a1 = np.maximum(z1, 0)
        z2 = a1 @ W2 + b2
        a2 = np.maximum(z2, 0)
        z3 = a2 @ W3 + b3
        e = np.exp(z3 - z3.max(axis=1, keepdims=True))
        d3 = (e / e.sum(axis=1, keepdims=True) - y) / len(x)
        d2 = (d3 @ W3.T) * (z2 > 0)
        d1 = (d2 @ W2.T) * (z1 > 0)
        grads = [x.T @ d1, d1.sum(axis=0), a1.T @ d2, d2.sum(axis=0), a2.T @ d3, d3.sum(axis=0)]
        t += 1
        for p, g, (m, v) in zip(params, grads, moments):
            m[...] = beta1 * m + (1 - beta1) * g
            v[...] = beta2 * v + (1 - beta2) * g * g
            p -= lr * (m / (1 - beta1 ** t)) / (np.sqrt(v / (1 - beta2 ** t)) + eps)
    return t


def row(*cells):
    print("| " + " | ".join(str(cell) for cell in cells) + " |")


def bench_adam(data, epochs=10):
    """784-128-64-10 ReLU, softmax + cross-entropy, He init, Adam 1e-3, batch 128, float32."""
    sizes, batch = [784, 128, 64, 10], 128
    X, y = data.X_train, data.y_train

    def fresh():
        return Network(sizes, activation="relu", init="he", dtype=np.float32), Adam(1e-3)

    net, adam = fresh()
    epochs1 = timed_epochs(net, X, y, adam, batch, epochs, threads=1)
    test_acc = float(np.mean(net.predict(data.X_test) == data.y_test))
    net2, adam2 = fresh()
    epochs2 = timed_epochs(net2, X, y, adam2, batch, 3, threads=2)
    params = [p.copy() for p in fresh()[0].parameters()]
    moments, Y, rng, steps = [(np.zeros_like(p), np.zeros_like(p)) for p in params], to_one_hot(y, 10, np.float32), \
        np.random.default_rng(0), [0]

    def reference():
        steps[0] = reference_adam_epoch(params, moments, steps[0], X, Y, batch, rng)

    reference1 = statistics.median(timed_calls(reference, 3, threads=1))
    matmuls = {threads: matmul_epoch(sizes, len(X), batch, np.float32, threads) for threads in (1, 2)}
    updates = adam_updates_epoch(sizes, len(X), batch, np.float32, threads=1)
    e1, e2 = statistics.median(epochs1), statistics.median(epochs2)
    print(f"\n### 784-128-64-10 ReLU/softmax, He, Adam 1e-3, batch 128, float32, {len(X)} images\n")
    row("one epoch of", "BLAS threads", "seconds (median)", "/ matmuls alone")
    row(*["---"] * 4)
    row("nnlib `train`", 1, f"{e1:.2f} s", f"{e1 / matmuls[1]:.2f}")
    row("clean NumPy reference, inline", 1, f"{reference1:.2f} s", f"{reference1 / matmuls[1]:.2f}")
    row("matmuls alone", 1, f"{matmuls[1]:.2f} s", "1.00")
    row("Adam updates alone", 1, f"{updates:.2f} s", f"{updates / matmuls[1]:.2f}")
    row("matmuls + Adam updates", 1, f"{matmuls[1] + updates:.2f} s", f"{(matmuls[1] + updates) / matmuls[1]:.2f}")
    row("nnlib `train`", 2, f"{e2:.2f} s", f"{e2 / matmuls[2]:.2f}")
    row("matmuls alone", 2, f"{matmuls[2]:.2f} s", "1.00")
    print(f"\nnnlib / reference (1 thread): {e1 / reference1:.2f}. Test accuracy after {epochs} epochs: "
          f"{test_acc:.2%} (target >= 97.5%). 1-thread epochs: {', '.join(f'{t:.2f}' for t in epochs1)} s")


class PerExampleNetwork:
    """Nielsen's network.py, chapter 1, for comparison: column vectors, and backprop one example at a time
    inside each mini-batch (the sum over the batch is a Python loop). Weights are copied from an nnlib
    Network so that both start from the same point; nnlib's sigmoid and sigmoid_prime are reused."""

    def __init__(self, net):
        self.weights = [W.T.copy() for W in net.weights]        # Nielsen: w is (n_out, n_in)
        self.biases = [b.reshape(-1, 1).copy() for b in net.biases]

    def update_mini_batch(self, X, Y, eta):
        nabla_b = [np.zeros_like(b) for b in self.biases]
        nabla_w = [np.zeros_like(w) for w in self.weights]
        for x, y in zip(X, Y):
            delta_b, delta_w = self.backprop(x.reshape(-1, 1), y.reshape(-1, 1))
            nabla_b = [nb + dnb for nb, dnb in zip(nabla_b, delta_b)]
            nabla_w = [nw + dnw for nw, dnw in zip(nabla_w, delta_w)]
        self.weights = [w - (eta / len(X)) * nw for w, nw in zip(self.weights, nabla_w)]
        self.biases = [b - (eta / len(X)) * nb for b, nb in zip(self.biases, nabla_b)]

    def backprop(self, x, y):
        activation, activations, zs = x, [x], []
        for b, w in zip(self.biases, self.weights):
            z = w @ activation + b
            zs.append(z)
            activation = sigmoid(z)
            activations.append(activation)
        delta = (activations[-1] - y) * sigmoid_prime(zs[-1])
        nabla_b, nabla_w = [delta], [delta @ activations[-2].T]
        for l in range(2, len(self.weights) + 1):
            delta = (self.weights[-l + 1].T @ delta) * sigmoid_prime(zs[-l])
            nabla_b.insert(0, delta)
            nabla_w.insert(0, delta @ activations[-l - 1].T)
        return nabla_b, nabla_w


def bare_nielsen_epoch(net, X, Y, eta, batch_size, rng):
    """The vectorized mini-batch step written inline in plain NumPy (no nnlib calls): the floor for nnlib."""
    (W1, W2), (b1, b2) = net.weights, net.biases
    order = rng.permutation(len(X))
    for start in range(0, len(X), batch_size):
        index = order[start:start + batch_size]
        x, y = X[index], Y[index]
        a1 = 1 / (1 + np.exp(-(x @ W1 + b1)))
        a2 = 1 / (1 + np.exp(-(a1 @ W2 + b2)))
        d2 = (a2 - y) * a2 * (1 - a2) / len(x)
        d1 = (d2 @ W2.T) * a1 * (1 - a1)
        W2 -= eta * (a1.T @ d2); b2 -= eta * d2.sum(0)
        W1 -= eta * (x.T @ d1); b1 -= eta * d1.sum(0)


def bench_nielsen(data, epochs=30):
    """Nielsen's 784-30-10 sigmoid, quadratic cost, SGD eta=3, batch 10, float64."""
    X, y = data.X_train, data.y_train
    net = Network([784, 30, 10], activation="sigmoid", loss="quadratic", init="standard_normal")
    seconds = timed_epochs(net, X, y, SGD(3.0), 10, epochs, threads=1)
    test_acc = float(np.mean(net.predict(data.X_test) == data.y_test))
    bare = Network([784, 30, 10], activation="sigmoid", loss="quadratic", init="standard_normal")
    Y, rng = to_one_hot(y), np.random.default_rng(0)
    bare_seconds = timed_calls(lambda: bare_nielsen_epoch(bare, X, Y, 3.0, 10, rng), 3, threads=1)
    e, b = statistics.median(seconds), statistics.median(bare_seconds)
    print(f"\n### Nielsen 784-30-10 sigmoid/quadratic, SGD eta=3, batch 10, float64, 1 BLAS thread\n")
    row("one epoch of", "seconds (median)")
    row(*["---"] * 2)
    row("nnlib `train`", f"{e:.2f} s")
    row("bare inline NumPy loop", f"{b:.2f} s")
    print(f"\nnnlib / bare: {e / b:.2f}. Test accuracy after {epochs} epochs: {test_acc:.2%} (target >= 95%)")


def bench_loop(data, n=6000):
    """Vectorized mini-batch (nnlib) against Nielsen's per-example loop, same network and batches."""
    X, Y = data.X_train[:n], to_one_hot(data.y_train[:n])
    net = Network([784, 30, 10], activation="sigmoid", loss="quadratic", init="standard_normal")
    classic = PerExampleNetwork(net)
    timings = {}
    with threadpool_limits(1, user_api="blas"):
        for name, step in (("per-example loop (Nielsen's network.py)", classic.update_mini_batch),
                           ("vectorized mini-batch (nnlib)", None)):
            wall, cpu = time.perf_counter(), time.process_time()
            if step is None:
                train(net, X, Y, optimizer=SGD(3.0), epochs=1, batch_size=10, progress=False, evaluate_train=False)
            else:
                for start in range(0, n, 10):
                    step(X[start:start + 10], Y[start:start + 10], 3.0)
            timings[name] = (time.perf_counter() - wall, time.process_time() - cpu)
    print(f"\n### Per-example loop against vectorized mini-batches: 784-30-10, batch 10, {n} images, 1 thread\n")
    row("method", "wall", "CPU", "CPU per 60,000 images")
    row(*["---"] * 4)
    for name, (wall, cpu) in timings.items():
        row(name, f"{wall:.2f} s", f"{cpu:.2f} s", f"{cpu * 60000 / n:.1f} s")
    (loop_wall, loop_cpu), (vec_wall, vec_cpu) = timings.values()
    print(f"\nSpeed-up of the vectorized mini-batch: {loop_cpu / vec_cpu:.1f}x (CPU), {loop_wall / vec_wall:.1f}x (wall)")


MEMORY_CHILD = """
import resource, numpy as np
from nnlib import Adam, Network, load_mnist, train
data = load_mnist(dtype=np.float32)
net = Network([784, 128, 64, 10], activation="relu", init="he", dtype=np.float32)
train(net, data.X_train, data.y_train, optimizer=Adam(1e-3), epochs=1, batch_size=128,
      test_data=(data.X_test, data.y_test), progress=False)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def bench_memory():
    """Peak resident memory of a fresh process that loads MNIST in float32 and trains one epoch."""
    result = subprocess.run([sys.executable, "-c", MEMORY_CHILD], capture_output=True, text=True, check=True)
    peak_mb = int(result.stdout.split()[-1]) / 1024  # ru_maxrss is in KiB on Linux
    print(f"\n### Peak memory\n\nLoading full MNIST (float32) and training 784-128-64-10 for one epoch: "
          f"peak RSS {peak_mb:.0f} MB (limit 500 MB)")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    everything = ["adam", "nielsen", "loop", "memory"]
    parser.add_argument("parts", nargs="*", metavar="PART", help=f"any of {', '.join(everything)} (default: all)")
    parts = parser.parse_args().parts or everything
    unknown = set(parts) - set(everything)
    if unknown:
        parser.error(f"unknown part(s) {', '.join(sorted(unknown))}; choose from {', '.join(everything)}")
    load = " ".join(open("/proc/loadavg").read().split()[:3]) if sys.platform == "linux" else "n/a"
    print(f"NumPy {np.__version__}, load average at start: {load}")
    if "memory" in parts:  # first: a forked child's ru_maxrss starts at the parent's peak (Linux keeps it
        bench_memory()     # across exec), so the parent must not hold the data sets yet
    data32 = load_mnist(dtype=np.float32) if "adam" in parts else None
    data64 = load_mnist() if {"nielsen", "loop"} & set(parts) else None
    if "adam" in parts:
        bench_adam(data32)
    if "nielsen" in parts:
        bench_nielsen(data64)
    if "loop" in parts:
        bench_loop(data64)


if __name__ == "__main__":
    main()
