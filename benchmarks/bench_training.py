"""Training speed and memory of nnlib on full MNIST, printed as Markdown tables (a benchmark, not a test).

    .venv/bin/python benchmarks/bench_training.py                  # everything, a few minutes on 2 cores
    .venv/bin/python benchmarks/bench_training.py adam             # only some parts: adam nielsen loop memory
    .venv/bin/python benchmarks/bench_training.py adam --coretype Haswell   # also under a named kernel

Every measurement runs in child processes, once per BLAS set-up: the environment as it is, the CPU's
native OpenBLAS kernel (OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed, in the children only), and any
kernel named with --coretype. Each child reports the kernel it really ran (threadpoolctl). Seconds depend on
the machine, so the tables lead with ratios taken in the same child: nnlib's epoch against the epoch's
matrix products alone, against a clean NumPy reference written inline, and against the same network in
PyTorch on the CPU (when torch is importable; it is never required).

BLAS threads are pinned with threadpoolctl. An epoch of nnlib is timed as train() times it
(History.epoch_time: the pass over the 60,000 images, without the input checks done once per train() call or
the evaluation after each epoch); the references beside it are timed the same way, one pass each. The
measurements alternate, one epoch of each in turn, so that each round's timings share the machine's load of
the moment; each ratio is the median over the rounds of that round's ratio, and seconds are medians too.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

from nnlib import SGD, Adam, Network, load_mnist, train
from nnlib.activations import sigmoid, sigmoid_prime
from nnlib.data import to_one_hot


def timed_epochs(net, X, y, optimizer, batch_size, epochs, threads, seed=0):
    """One train() call of `epochs` epochs with BLAS pinned to `threads`: seconds per epoch (History.epoch_time)."""
    with threadpool_limits(threads, user_api="blas"):
        history = train(net, X, y, optimizer=optimizer, epochs=epochs, batch_size=batch_size, seed=seed,
                        progress=False, evaluate_train=False)
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


class TorchAdam:
    """The same network, loss and Adam in PyTorch on the CPU, trained one epoch per call of epoch() and timed
    like nnlib. initial: nnlib parameters [W1, b1, W2, b2, ...] to start from (default: PyTorch's own
    initialization); the batches follow np.random.default_rng(seed) exactly as nnlib's train() does, so with
    the same start both take the same steps (tests/test_benchmarks.py checks it)."""

    def __init__(self, X, y, sizes, batch_size, threads, initial=None, seed=0):
        import torch
        self.torch, self.threads, self.batch_size = torch, threads, batch_size
        torch.manual_seed(0)
        linears = [torch.nn.Linear(n_in, n_out) for n_in, n_out in zip(sizes[:-1], sizes[1:])]
        if initial is not None:
            with torch.no_grad():
                for layer, W, b in zip(linears, initial[::2], initial[1::2]):
                    layer.weight.copy_(torch.from_numpy(W.T))      # PyTorch stores W as (n_out, n_in)
                    layer.bias.copy_(torch.from_numpy(b))
        layers = [part for linear in linears for part in (linear, torch.nn.ReLU())][:-1]  # logits out
        self.model = torch.nn.Sequential(*layers)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=1e-3)
        self.loss_function = torch.nn.CrossEntropyLoss()          # softmax + cross-entropy, mean over the batch
        self.X, self.y = torch.from_numpy(X), torch.from_numpy(np.asarray(y, dtype=np.int64))
        self.rng = np.random.default_rng(seed)

    def epoch(self):
        """Train one epoch; its wall seconds."""
        self.torch.set_num_threads(self.threads)
        started = time.perf_counter()
        order = self.torch.from_numpy(self.rng.permutation(len(self.X)))
        for start in range(0, len(self.X), self.batch_size):
            index = order[start:start + self.batch_size]
            self.optimizer.zero_grad(set_to_none=True)
            self.loss_function(self.model(self.X[index]), self.y[index]).backward()
            self.optimizer.step()
        return time.perf_counter() - started


def torch_importable():
    try:
        import torch  # noqa: F401  (an optional comparison, never a dependency)
    except ImportError:
        return False
    return True


def torch_adam_epochs(X, y, sizes, batch_size, epochs, threads, initial=None, seed=0):
    """`epochs` epochs of TorchAdam: (seconds per epoch, model), or (None, None) when torch is not importable."""
    if not torch_importable():
        return None, None
    trainer = TorchAdam(X, y, sizes, batch_size, threads, initial, seed)
    return [trainer.epoch() for _ in range(epochs)], trainer.model


def torch_version():
    try:
        import torch
    except ImportError:
        return None
    return torch.__version__


def blas_kernel():
    """The BLAS library and kernel NumPy runs, as threadpoolctl reports it, e.g. 'openblas Haswell'."""
    np.ones((64, 64)) @ np.ones((64, 64))  # make sure the library is loaded
    for library in threadpool_info():
        if library.get("user_api") == "blas":
            return f"{library.get('internal_api')} {library.get('architecture') or ''}".strip()
    return "unknown"


def measure_adam(data, full, rounds=10):
    """784-128-64-10 ReLU, softmax + cross-entropy, He init, Adam 1e-3, batch 128, float32, 1 BLAS thread.

    The load on a shared machine changes within seconds, so the measurements alternate: each of `rounds`
    rounds times one nnlib epoch, one epoch of the clean reference, one of PyTorch (when importable) and the
    matmuls of one epoch, in turn. Each ratio is the median over the rounds of that round's ratio; seconds
    are medians too. full: also 2 threads and the test accuracy after the rounds' epochs."""
    sizes, batch = [784, 128, 64, 10], 128
    X, y = data.X_train, data.y_train
    net, adam = Network(sizes, activation="relu", init="he", dtype=np.float32), Adam(1e-3)
    params = [p.copy() for p in net.parameters()]
    moments, Y, rng, steps = [(np.zeros_like(p), np.zeros_like(p)) for p in params], to_one_hot(y, 10, np.float32), \
        np.random.default_rng(0), [0]

    def reference():
        steps[0] = reference_adam_epoch(params, moments, steps[0], X, Y, batch, rng)

    pytorch = TorchAdam(X, y, sizes, batch, threads=1) if torch_importable() else None
    times = {"nnlib": [], "reference": [], "torch": [], "matmuls": []}
    for round_ in range(rounds):
        times["nnlib"] += timed_epochs(net, X, y, adam, batch, 1, threads=1, seed=round_)
        times["reference"] += timed_calls(reference, 1, threads=1)
        if pytorch:
            times["torch"].append(pytorch.epoch())
        times["matmuls"].append(matmul_epoch(sizes, len(X), batch, np.float32, 1, repeats=1))
    nnlib = times["nnlib"]
    result = {
        "nnlib": statistics.median(nnlib), "nnlib_epochs": nnlib,
        **{name: statistics.median(times[name]) if times[name] else None for name in ("reference", "torch", "matmuls")},
        **{f"nnlib/{name}": statistics.median(a / b for a, b in zip(nnlib, times[name])) if times[name] else None
           for name in ("reference", "torch", "matmuls")},
        "updates": adam_updates_epoch(sizes, len(X), batch, np.float32, threads=1),
    }
    if full:
        result["accuracy"] = float(np.mean(net.predict(data.X_test) == data.y_test))
        net2 = Network(sizes, activation="relu", init="he", dtype=np.float32)
        result["nnlib_2threads"] = statistics.median(timed_epochs(net2, X, y, Adam(1e-3), batch, 3, threads=2))
        result["matmuls_2threads"] = matmul_epoch(sizes, len(X), batch, np.float32, 2)
    return result


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




def measure_nielsen(data, full, epochs=30):
    """Nielsen's 784-30-10 sigmoid, quadratic cost, SGD eta=3, batch 10, float64, 1 BLAS thread: seconds per
    epoch (medians) of nnlib and of the bare inline loop; full: also the test accuracy after `epochs` epochs."""
    X, y = data.X_train, data.y_train
    net = Network([784, 30, 10], activation="sigmoid", loss="quadratic", init="standard_normal")
    seconds = timed_epochs(net, X, y, SGD(3.0), 10, epochs if full else 3, threads=1)
    bare = Network([784, 30, 10], activation="sigmoid", loss="quadratic", init="standard_normal")
    Y, rng = to_one_hot(y), np.random.default_rng(0)
    bare_seconds = timed_calls(lambda: bare_nielsen_epoch(bare, X, Y, 3.0, 10, rng), 3, threads=1)
    result = {"nnlib": statistics.median(seconds), "bare": statistics.median(bare_seconds)}
    if full:
        result["accuracy"] = float(np.mean(net.predict(data.X_test) == data.y_test))
    return result


def measure_loop(data, n=6000):
    """Vectorized mini-batch (nnlib) against Nielsen's per-example loop, same network and batches, 1 thread:
    CPU seconds of each for n images."""
    X, Y = data.X_train[:n], to_one_hot(data.y_train[:n])
    net = Network([784, 30, 10], activation="sigmoid", loss="quadratic", init="standard_normal")
    classic = PerExampleNetwork(net)
    with threadpool_limits(1, user_api="blas"):
        started = time.process_time()
        for start in range(0, n, 10):
            classic.update_mini_batch(X[start:start + 10], Y[start:start + 10], 3.0)
        loop = time.process_time() - started
        started = time.process_time()
        train(net, X, Y, optimizer=SGD(3.0), epochs=1, batch_size=10, progress=False, evaluate_train=False)
        vectorized = time.process_time() - started
    return {"n": n, "loop": loop, "vectorized": vectorized}


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
          f"peak RSS {peak_mb:.0f} MB")


# -- one child process per BLAS set-up -------------------------------------------------------------------

NATIVE_UNSET = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def setups(coretypes):
    """(name, environment) for every BLAS set-up to measure: as it is, the native kernel, named kernels."""
    native = {k: v for k, v in os.environ.items() if k not in NATIVE_UNSET}
    found = [("environment as it is", dict(os.environ)), ("native kernel (OPENBLAS_CORETYPE unset)", native)]
    return found + [(f"OPENBLAS_CORETYPE={name}", {**native, "OPENBLAS_CORETYPE": name}) for name in coretypes]


def child(parts, full):
    """Run in a child process: measure `parts` and print one JSON object."""
    data32 = load_mnist(dtype=np.float32) if "adam" in parts else None
    data64 = load_mnist() if {"nielsen", "loop"} & set(parts) else None
    result = {"kernel": blas_kernel()}
    if "adam" in parts:
        result["adam"] = measure_adam(data32, full)
    if "nielsen" in parts:
        result["nielsen"] = measure_nielsen(data64, full)
    if "loop" in parts and full:
        result["loop"] = measure_loop(data64)
    print(json.dumps(result))


def run_child(parts, full, environment):
    command = [sys.executable, __file__, "--child", *parts] + (["--full"] if full else [])
    completed = subprocess.run(command, env=environment, capture_output=True, text=True)
    if completed.returncode != 0:
        sys.exit(f"benchmark child failed:\n{completed.stderr}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def seconds(value):
    return "n/a" if value is None else f"{value:.2f} s"


def ratio(a, b):
    return "n/a" if a is None or b is None else f"{a / b:.2f}"


def ratio_of(value):
    return "n/a" if value is None else f"{value:.2f}"


def print_adam(results):
    print("\n### 784-128-64-10 ReLU/softmax, He, Adam 1e-3, batch 128, float32, 60,000 images, 1 BLAS thread\n")
    row("BLAS set-up", "kernel", "nnlib epoch", "matmuls alone", "clean NumPy", "PyTorch CPU",
        "nnlib / matmuls", "nnlib / clean NumPy", "nnlib / PyTorch")
    row(*["---"] * 9)
    for name, result in results:
        a = result["adam"]
        row(name, result["kernel"], seconds(a["nnlib"]), seconds(a["matmuls"]), seconds(a["reference"]),
            seconds(a["torch"]), *(ratio_of(a[f"nnlib/{name}"]) for name in ("matmuls", "reference", "torch")))
    first = results[0][1]["adam"]
    print(f"\nPyTorch: {torch_version() or 'not installed, so no PyTorch ratio (pip install torch to add it)'}. "
          f"Adam's updates alone take {first['updates'] / first['matmuls']:.2f}x the matmuls "
          f"({seconds(first['updates'])}). With 2 BLAS threads (environment as it is) an nnlib epoch takes "
          f"{seconds(first['nnlib_2threads'])}, {ratio(first['nnlib_2threads'], first['matmuls_2threads'])}x its "
          f"matmuls. Test accuracy after {len(first['nnlib_epochs'])} epochs: {first['accuracy']:.2%}. "
          f"1-thread epochs: {', '.join(f'{t:.2f}' for t in first['nnlib_epochs'])} s. Each ratio is the median "
          f"over {len(first['nnlib_epochs'])} rounds of that round's ratio (the four measurements alternate).")


def print_nielsen(results):
    print("\n### Nielsen 784-30-10 sigmoid/quadratic, SGD eta=3, batch 10, float64, 1 BLAS thread\n")
    row("BLAS set-up", "kernel", "nnlib epoch", "bare inline NumPy loop", "nnlib / bare")
    row(*["---"] * 5)
    for name, result in results:
        n = result["nielsen"]
        row(name, result["kernel"], seconds(n["nnlib"]), seconds(n["bare"]), ratio(n["nnlib"], n["bare"]))
    print(f"\nTest accuracy after 30 epochs: {results[0][1]['nielsen']['accuracy']:.2%}")


def print_loop(result):
    loop = result["loop"]
    print(f"\n### Per-example loop against vectorized mini-batches: 784-30-10, batch 10, {loop['n']} images, "
          f"1 thread\n")
    row("method", "CPU", "CPU per 60,000 images")
    row(*["---"] * 3)
    for name, key in (("per-example loop (Nielsen's network.py)", "loop"), ("vectorized mini-batch (nnlib)",
                                                                             "vectorized")):
        row(name, seconds(loop[key]), f"{loop[key] * 60000 / loop['n']:.1f} s")
    print(f"\nSpeed-up of the vectorized mini-batch: {loop['loop'] / loop['vectorized']:.1f}x (CPU)")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    everything = ["adam", "nielsen", "loop", "memory"]
    parser.add_argument("parts", nargs="*", metavar="PART", help=f"any of {', '.join(everything)} (default: all)")
    parser.add_argument("--coretype", action="append", default=[], metavar="KERNEL",
                        help="also measure under OPENBLAS_CORETYPE=KERNEL (repeatable), e.g. Haswell")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--full", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    parts = args.parts or everything
    unknown = set(parts) - set(everything)
    if unknown:
        parser.error(f"unknown part(s) {', '.join(sorted(unknown))}; choose from {', '.join(everything)}")
    if args.child:
        return child(parts, args.full)
    load = " ".join(open("/proc/loadavg").read().split()[:3]) if sys.platform == "linux" else "n/a"
    print(f"NumPy {np.__version__}, load average at start: {load}")
    if "memory" in parts:
        bench_memory()
    measured = [p for p in parts if p != "memory"]
    if not measured:
        return
    results = [(name, run_child(measured, full=i == 0, environment=environment))
               for i, (name, environment) in enumerate(setups(args.coretype))]
    if "adam" in parts:
        print_adam(results)
    if "nielsen" in parts:
        print_nielsen(results)
    if "loop" in parts:
        print_loop(results[0][1])


if __name__ == "__main__":
    main()
