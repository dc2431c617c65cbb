"""The benchmark's inline references compute what nnlib computes, so timing them against nnlib is fair."""
import importlib.util
from pathlib import Path

import numpy as np
import pytest

from nnlib import SGD, Adam, Network, to_one_hot, train

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_training.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_training", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def data(m=300, n=784, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((m, n)), rng.integers(0, 10, m)


def test_the_clean_adam_reference_takes_the_same_steps_as_nnlib(bench):
    X, y = data()
    net = Network([784, 128, 64, 10], activation="relu", init="he")
    params = [p.copy() for p in net.parameters()]
    moments = [(np.zeros_like(p), np.zeros_like(p)) for p in params]
    train(net, X, y, optimizer=Adam(1e-3), epochs=2, batch_size=32, seed=7, progress=False, evaluate_train=False)
    rng = np.random.default_rng(7)
    steps = bench.reference_adam_epoch(params, moments, 0, X, to_one_hot(y), 32, rng)
    steps = bench.reference_adam_epoch(params, moments, steps, X, to_one_hot(y), 32, rng)
    assert steps == 2 * 10
    for ours, reference in zip(net.parameters(), params):
        np.testing.assert_allclose(ours, reference, rtol=1e-7, atol=1e-10)
    assert not np.allclose(params[0], Network([784, 128, 64, 10], activation="relu", init="he").weights[0])


def test_the_bare_nielsen_loop_takes_the_same_steps_as_nnlib(bench):
    X, y = data()
    net = Network([784, 30, 10], activation="sigmoid", loss="quadratic", init="standard_normal")
    bare = Network([784, 30, 10], activation="sigmoid", loss="quadratic", init="standard_normal")
    train(net, X, y, optimizer=SGD(3.0), epochs=1, batch_size=10, seed=3, progress=False, evaluate_train=False)
    bench.bare_nielsen_epoch(bare, X, to_one_hot(y), 3.0, 10, np.random.default_rng(3))
    for ours, reference in zip(net.parameters(), bare.parameters()):
        np.testing.assert_allclose(ours, reference, rtol=1e-9, atol=1e-12)



def test_the_pytorch_reference_takes_the_same_steps_as_nnlib(bench):
    torch = pytest.importorskip("torch")  # an optional comparison: torch is never a dependency
    X, y = data()
    X = X.astype(np.float32)
    net = Network([784, 128, 64, 10], activation="relu", init="he", dtype=np.float32)
    initial = [p.copy() for p in net.parameters()]
    train(net, X, y, optimizer=Adam(1e-3), epochs=2, batch_size=32, seed=7, progress=False, evaluate_train=False)
    _, model = bench.torch_adam_epochs(X, y, [784, 128, 64, 10], 32, 2, threads=1, initial=initial, seed=7)
    linears = [layer for layer in model if isinstance(layer, torch.nn.Linear)]
    theirs = [t for layer in linears for t in (layer.weight.detach().numpy().T, layer.bias.detach().numpy())]
    for ours, reference in zip(net.parameters(), theirs):
        np.testing.assert_allclose(ours, reference, rtol=1e-3, atol=2e-5)
    assert not np.allclose(initial[0], net.weights[0])


def test_the_pytorch_cnn_reference_computes_what_the_nnlib_convnet_computes():
    torch = pytest.importorskip("torch")  # an optional comparison: torch is never a dependency
    spec = importlib.util.spec_from_file_location("bench_cnn", SCRIPT.parent / "bench_cnn.py")
    bench_cnn = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench_cnn)
    net = bench_cnn.nnlib_model()
    model = bench_cnn.torch_model(net).eval()        # evaluation mode: no dropout on either side
    X = np.random.default_rng(0).random((5, 784), dtype=np.float32)
    with torch.no_grad():
        logits = model(torch.from_numpy(X.reshape(-1, 1, 28, 28))).numpy()
    np.testing.assert_allclose(torch.softmax(torch.from_numpy(logits), 1).numpy(), net.predict_proba(X),
                               rtol=1e-4, atol=1e-6)
