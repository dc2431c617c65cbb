"""Training speed and memory of nnlib on full MNIST, printed as Markdown tables (a benchmark, not a test).

    .venv/bin/python benchmarks/bench_training.py              # everything, about 2-3 minutes on 2 cores
    .venv/bin/python benchmarks/bench_training.py adam memory  # only some parts: adam nielsen loop memory

BLAS threads are pinned with threadpoolctl. Each epoch is timed twice: wall clock and this process's CPU
time. With one BLAS thread the CPU time is the work itself, so it stays meaningful when other programs share
the machine (wall time does not); we quote medians over several epochs. Two-thread timings on small VMs
stall now and then, so the 1-thread median is the headline.
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
    """Train epoch by epoch (a new shuffle each epoch); returns lists of wall and CPU seconds per epoch."""
    walls, cpus = [], []
    with threadpool_limits(threads, user_api="blas"):
        for epoch in range(epochs):
            wall, cpu = time.perf_counter(), time.process_time()
            train(net, X, y, optimizer=optimizer, epochs=1, batch_size=batch_size, seed=epoch,
                  progress=False, evaluate_train=False)
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
    return walls, cpus


def matmul_epoch(sizes, n, batch_size, dtype, threads, repeats=3):
    """The matrix products of one training epoch and nothing else: per batch, Z = A @ W for each layer,
    then dW = A.T @ dZ for each layer and dA = dZ @ W.T for all but the first. Median (wall, CPU) seconds."""
    rng = np.random.default_rng(0)
    weights = [rng.standard_normal((a, b)).astype(dtype) for a, b in zip(sizes[:-1], sizes[1:])]
    batches = [min(batch_size, n - start) for start in range(0, n, batch_size)]
    acts = {m: [rng.standard_normal((m, s)).astype(dtype) for s in sizes] for m in set(batches)}
    walls, cpus = [], []
    with threadpool_limits(threads, user_api="blas"):
        for _ in range(repeats):
            wall, cpu = time.perf_counter(), time.process_time()
            for m in batches:
                a = acts[m]
                for l, W in enumerate(weights):
                    a[l] @ W                                # forward
                for l in range(len(weights) - 1, -1, -1):
                    a[l].T @ a[l + 1]                       # dW = A_prev.T @ dZ
                    if l > 0:
                        a[l + 1] @ weights[l].T             # dA_prev = dZ @ W.T
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def row(*cells):
    print("| " + " | ".join(str(cell) for cell in cells) + " |")


def bench_adam(data, epochs=10):
    """784-128-64-10 ReLU, softmax + cross-entropy, He init, Adam 1e-3, batch 128, float32."""
    sizes, batch = [784, 128, 64, 10], 128
    X, y = data.X_train, data.y_train

    def fresh():
        return Network(sizes, activation="relu", init="he", dtype=np.float32), Adam(1e-3)

    net, adam = fresh()
    walls1, cpus1 = timed_epochs(net, X, y, adam, batch, epochs, threads=1)
    test_acc = float(np.mean(net.predict(data.X_test) == data.y_test))
    net2, adam2 = fresh()
    walls2, _ = timed_epochs(net2, X, y, adam2, batch, 3, threads=2)
    mm_wall1, mm_cpu1 = matmul_epoch(sizes, len(X), batch, np.float32, threads=1)
    mm_wall2, _ = matmul_epoch(sizes, len(X), batch, np.float32, threads=2)
    print(f"\n### 784-128-64-10 ReLU/softmax, He, Adam 1e-3, batch 128, float32, {len(X)} images\n")
    row("BLAS threads", "epoch wall (median)", "epoch CPU (median)", "matmuls alone, wall", "matmuls alone, CPU",
        "epoch / matmuls")
    row(*["---"] * 6)
    e1, c1 = statistics.median(walls1), statistics.median(cpus1)
    row(1, f"{e1:.2f} s", f"{c1:.2f} s", f"{mm_wall1:.2f} s", f"{mm_cpu1:.2f} s",
        f"{c1 / mm_cpu1:.2f} (CPU), {e1 / mm_wall1:.2f} (wall)")
    e2 = statistics.median(walls2)
    row(2, f"{e2:.2f} s", "-", f"{mm_wall2:.2f} s", "-", f"{e2 / mm_wall2:.2f} (wall)")
    print(f"\nTest accuracy after {epochs} epochs: {test_acc:.2%} (target >= 97.5%). "
          f"1-thread epoch walls: {', '.join(f'{t:.2f}' for t in walls1)} s")


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
    walls, cpus = timed_epochs(net, X, y, SGD(3.0), 10, epochs, threads=1)
    test_acc = float(np.mean(net.predict(data.X_test) == data.y_test))
    bare = Network([784, 30, 10], activation="sigmoid", loss="quadratic", init="standard_normal")
    Y, rng, bare_walls, bare_cpus = to_one_hot(y), np.random.default_rng(0), [], []
    with threadpool_limits(1, user_api="blas"):
        for _ in range(3):
            wall, cpu = time.perf_counter(), time.process_time()
            bare_nielsen_epoch(bare, X, Y, 3.0, 10, rng)
            bare_walls.append(time.perf_counter() - wall)
            bare_cpus.append(time.process_time() - cpu)
    e, c = statistics.median(walls), statistics.median(cpus)
    bw, bc = statistics.median(bare_walls), statistics.median(bare_cpus)
    print(f"\n### Nielsen 784-30-10 sigmoid/quadratic, SGD eta=3, batch 10, float64, 1 BLAS thread\n")
    row("", "epoch wall (median)", "epoch CPU (median)")
    row(*["---"] * 3)
    row("nnlib train", f"{e:.2f} s", f"{c:.2f} s")
    row("bare inline NumPy loop", f"{bw:.2f} s", f"{bc:.2f} s")
    row("ratio nnlib / bare", f"{e / bw:.2f}", f"{c / bc:.2f}")
    print(f"\nTest accuracy after {epochs} epochs: {test_acc:.2%} (target >= 95%)")


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
