"""Hostile and broken batch-norm model files (meta batch_norm: true, with gamma, beta, running_mean and
running_var per hidden layer): each gets a ValueError naming the file and what is wrong with it, before
anything large is allocated, exactly like the weights in test_hostile_model_files.py."""
import zipfile

import numpy as np
import pytest

from hostile_tools import meta_npy, npy, npy_header, raw_deflate, run_limited, write_zip, zip_bomb_member
from nnlib import Network, load_network, save_network

SIZES = [4, 2, 3]  # one hidden layer of 2 units: gamma0, beta0, running_mean0, running_var0 of shape (2,)


def bn_members(**changes):
    """The members of a valid 4-2-3 batch-normalized model file; a change of None removes that member."""
    members = {"meta.npy": meta_npy(sizes=SIZES, batch_norm=True),
               "W0.npy": npy(np.arange(8.0).reshape(4, 2) / 8), "b0.npy": npy(np.zeros(2)),
               "W1.npy": npy(np.ones((2, 3))), "b1.npy": npy(np.array([0.1, 0.2, 0.3])),
               "gamma0.npy": npy(np.array([1.5, 0.5])), "beta0.npy": npy(np.array([0.25, -0.25])),
               "running_mean0.npy": npy(np.array([0.5, 1.0])), "running_var0.npy": npy(np.array([2.0, 0.5]))}
    members.update(changes)
    return {name: data for name, data in members.items() if data is not None}


def load_error(path, message):
    with pytest.raises(ValueError, match=message) as caught:
        load_network(path)
    assert str(path) in str(caught.value)  # the message names the file
    return str(caught.value)


def test_the_hand_made_batch_norm_archive_itself_loads_and_uses_its_running_averages(tmp_path):
    """Each case below differs from this good file in one thing only."""
    net = load_network(write_zip(tmp_path / "good.npz", bn_members()))
    assert net.batch_norm and net.sizes == SIZES
    np.testing.assert_array_equal(net.gammas[0], [1.5, 0.5])
    np.testing.assert_array_equal(net.betas[0], [0.25, -0.25])
    np.testing.assert_array_equal(net.bn_states[0].mean, [0.5, 1.0])
    np.testing.assert_array_equal(net.bn_states[0].var, [2.0, 0.5])
    X = np.random.default_rng(0).standard_normal((5, 4))
    Z = X @ net.weights[0] + net.biases[0]
    A = 1 / (1 + np.exp(-(net.gammas[0] * (Z - [0.5, 1.0]) / np.sqrt(np.array([2.0, 0.5]) + 1e-5)
                          + net.betas[0])))  # evaluation mode: the stored running averages, not X's statistics
    np.testing.assert_allclose(net.hidden_activations(X)[0], A, rtol=1e-12)


# -- members ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["gamma0", "beta0", "running_mean0", "running_var0"])
def test_a_missing_batch_norm_member_is_named(tmp_path, name):
    load_error(write_zip(tmp_path / "m.npz", bn_members(**{f"{name}.npy": None})),
               rf"{name} should have shape \(2,\) for sizes \[4, 2, 3\] with batch_norm, found nothing")


@pytest.mark.parametrize("extra, message", [
    ({"gamma1.npy": npy(np.ones(3))},                     # the output layer is never normalized
     r"unexpected member 'gamma1'\.npy: a network of 2 layers holds only meta, W0\.\.W1, b0\.\.b1 and gamma, "
     r"beta, running_mean, running_var 0\.\.0 \(one of each per hidden layer\)"),
    ({"running_std0.npy": npy(np.ones(2))}, r"unexpected member 'running_std0'\.npy"),
    ({"momentum.npy": npy(np.array(0.9))}, r"unexpected member 'momentum'\.npy"),
])
def test_batch_norm_members_a_model_does_not_have_are_refused_by_name(tmp_path, extra, message):
    load_error(write_zip(tmp_path / "m.npz", {**bn_members(), **extra}), message)


@pytest.mark.parametrize("meta", [meta_npy(sizes=SIZES), meta_npy(sizes=SIZES, batch_norm=False)])
def test_batch_norm_members_in_a_file_whose_metadata_does_not_say_batch_norm_are_refused(tmp_path, meta):
    """Without the flag they would be ignored silently, and the network would compute something else."""
    load_error(write_zip(tmp_path / "m.npz", bn_members(**{"meta.npy": meta})),
               r"unexpected member 'beta0'\.npy: it holds batch-norm values, but the metadata does not say "
               r"batch_norm: true")


def test_a_network_without_hidden_layers_may_say_batch_norm_and_then_holds_no_batch_norm_members(tmp_path):
    members = {"meta.npy": meta_npy(batch_norm=True), "W0.npy": npy(np.ones((4, 3))), "b0.npy": npy(np.zeros(3))}
    assert load_network(write_zip(tmp_path / "ok.npz", members)).batch_norm
    load_error(write_zip(tmp_path / "m.npz", {**members, "gamma0.npy": npy(np.ones(3))}),
               r"unexpected member 'gamma0'\.npy: a network of 1 layers holds only meta, W0\.\.W0 and b0\.\.b0;")


# -- metadata -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("flag, shown", [("yes", "'yes'"), (1, "1"), (0, "0"), (None, "None"), ([True], r"\[True\]")])
def test_a_batch_norm_flag_that_is_not_true_or_false_is_named(tmp_path, flag, shown):
    load_error(write_zip(tmp_path / "m.npz", bn_members(**{"meta.npy": meta_npy(sizes=SIZES, batch_norm=flag)})),
               rf"metadata 'batch_norm' should be true or false, found {shown}; the file is damaged")


# -- members' headers and values ----------------------------------------------------------------------

@pytest.mark.parametrize("name, array, message", [
    ("gamma0", np.ones(3), r"gamma0 should have shape \(2,\) for sizes \[4, 2, 3\] with batch_norm, found \(3,\)"),
    ("beta0", np.zeros((1, 2)), r"beta0 should have shape \(2,\) .*, found \(1, 2\)"),
    ("running_var0", np.array(1.0), r"running_var0 should have shape \(2,\) .*, found \(\)"),
    ("gamma0", np.array([1, 2]), r"gamma0 holds int64 values; batch-norm values must be float32 or float64"),
    ("running_mean0", np.array([True, False]), r"running_mean0 holds bool values; batch-norm values must be"),
    ("beta0", np.ones(2, dtype=np.complex128), r"beta0 holds complex128 values"),
    ("running_var0", np.ones(2, dtype=np.float16), r"running_var0 holds float16 values"),
    ("gamma0", np.array([None, None]), r"gamma0 holds pickled Python objects, which nnlib never loads"),
])
def test_batch_norm_members_of_the_wrong_shape_or_kind_are_refused(tmp_path, name, array, message):
    load_error(write_zip(tmp_path / "m.npz", bn_members(**{f"{name}.npy": npy(array)})), message)


@pytest.mark.parametrize("name, value", [("gamma0", np.nan), ("beta0", np.inf), ("running_mean0", -np.inf),
                                         ("running_var0", np.nan), ("running_var0", np.inf)])
def test_nan_or_infinite_batch_norm_values_are_refused(tmp_path, name, value):
    array = np.ones(2)
    array[1] = value
    load_error(write_zip(tmp_path / "m.npz", bn_members(**{f"{name}.npy": npy(array)})),
               rf"{name} contains nan or infinite values \(first at index \(1,\)\)")


@pytest.mark.parametrize("var", [[1.0, -0.5], [-1e-300, 1.0], [-2.0, -3.0]])
def test_a_negative_running_variance_is_refused(tmp_path, var):
    """sqrt(var + eps) of a negative variance would put nan into every prediction."""
    first = int(np.argmax(np.array(var) < 0))
    load_error(write_zip(tmp_path / "m.npz", bn_members(**{"running_var0.npy": npy(np.array(var))})),
               rf"running_var0 holds a negative variance \(first at index \({first},\)\), which no training "
               rf"can produce; the file is damaged")


def test_a_zero_running_variance_is_accepted(tmp_path):
    """A unit whose Z never varied has variance 0; eps keeps sqrt(var + eps) positive."""
    net = load_network(write_zip(tmp_path / "m.npz", bn_members(**{"running_var0.npy": npy(np.zeros(2))})))
    assert np.isfinite(net.predict_proba(np.ones((2, 4)))).all()


def test_a_batch_norm_header_declaring_a_huge_shape_is_refused_before_allocating(tmp_path):
    """running_var0's header claims 10^12 float64 values (8 TB) with a few bytes behind it."""
    path = write_zip(tmp_path / "m.npz", bn_members(**{"running_var0.npy": npy_header((10**12,)) + bytes(96)}))
    result = run_limited(f"""
        from nnlib import load_network
        try:
            load_network({str(path)!r})
        except ValueError as error:
            print(error)
    """, memory_mb=600)
    assert result.returncode == 0, result.stderr
    assert "running_var0 should have shape (2,) for sizes [4, 2, 3] with batch_norm, found (1000000000000,)" \
        in result.stdout


def test_a_batch_norm_member_whose_declared_size_disagrees_with_its_header_is_refused(tmp_path):
    load_error(write_zip(tmp_path / "m.npz", bn_members(**{"gamma0.npy": npy(np.ones(2)) + bytes(1000)})),
               r"gamma0 declares 1144 bytes in the archive, but \(2,\) float64 values take 144")


def test_a_deflated_batch_norm_member_that_lies_about_its_size_is_caught(tmp_path):
    honest = npy(np.ones(2))
    member = (raw_deflate(honest + bytes(10**6)), 8, zipfile.crc32(honest + b"x"), len(honest))
    load_error(write_zip(tmp_path / "m.npz", bn_members(**{"beta0.npy": member})),
               r"beta0 is not a readable \.npy array \(Bad CRC-32 for file 'beta0\.npy'\)")


def test_a_zip_bomb_in_place_of_a_running_average_is_never_decompressed(tmp_path):
    path = write_zip(tmp_path / "bomb.npz", bn_members(**{"running_mean0.npy": zip_bomb_member(3000)}))
    result = run_limited(f"""
        import tracemalloc
        from nnlib import load_network
        tracemalloc.start()
        try:
            load_network({str(path)!r})
        except ValueError as error:
            print(error)
        print("peak", tracemalloc.get_traced_memory()[1])
    """, memory_mb=700)
    assert result.returncode == 0, result.stderr
    assert "running_mean0 should have shape (2,) for sizes [4, 2, 3] with batch_norm, found (393216000,)" \
        in result.stdout
    assert int(result.stdout.split("peak ")[1]) < 1_000_000


# -- saving -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("member", ["gammas", "betas", "mean", "var"])
def test_a_batch_normalized_network_with_nan_values_is_not_saved(tmp_path, member):
    net = Network(SIZES, batch_norm=True)
    arrays = {"gammas": net.gammas[0], "betas": net.betas[0], "mean": net.bn_states[0].mean,
              "var": net.bn_states[0].var}
    arrays[member][0] = np.nan
    name = {"gammas": "gamma0", "betas": "beta0", "mean": "running_mean0", "var": "running_var0"}[member]
    with pytest.raises(ValueError, match=rf"cannot save the network to .*m\.npz: {name} contains nan or infinite"):
        save_network(net, tmp_path / "m.npz")
    assert list(tmp_path.iterdir()) == []  # nothing written, no temporary file left


def test_a_saved_batch_normalized_network_passes_every_check_above(tmp_path):
    """save_network writes what load_network's strict reading accepts, in both dtypes."""
    for dtype in (np.float32, np.float64):
        net = Network([5, 4, 3, 2], activation="relu", batch_norm=True, dtype=dtype, seed=1)
        net.forward(np.random.default_rng(2).standard_normal((6, 5)).astype(dtype), training=True)
        loaded = load_network(save_network(net, tmp_path / f"{np.dtype(dtype).name}.npz"))
        for saved, restored in zip(net.parameters() + net.running_averages(),
                                   loaded.parameters() + loaded.running_averages()):
            np.testing.assert_array_equal(restored, saved)
            assert restored.dtype == dtype
