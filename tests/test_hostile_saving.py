"""Saving a network where it can go wrong: planted symlinks, long names, folders, read-only files, a full
disk. Every failure names the target, leaves a previous model intact and leaves no temporary file behind."""
import errno
import os
import tempfile

import numpy as np
import pytest

from hostile_tools import run_limited
from nnlib import Network, load_network, save_network


def listing(folder):
    return sorted(p.name for p in folder.iterdir())


def net_with(value):
    net = Network([4, 3])
    net.weights[0][...] = value
    return net


@pytest.mark.parametrize("dangling", [False, True])
def test_a_symlink_planted_at_the_old_predictable_temporary_name_cannot_redirect_the_save(tmp_path, dangling):
    """An attacker who can write the folder plants <target>.<pid>.tmp -> a file of the victim's (or a name the
    victim would not want created). The save must neither write through it nor create what it points to."""
    victim = tmp_path / "victim.txt"
    if not dangling:
        victim.write_text("precious")
    target = tmp_path / "model.npz"
    (tmp_path / f"model.npz.{os.getpid()}.tmp").symlink_to(victim)
    save_network(net_with(1.0), target)
    if dangling:
        assert not victim.exists()
    else:
        assert victim.read_text() == "precious"
    assert load_network(target).weights[0][0, 0] == 1.0
    assert not target.is_symlink()


def test_the_temporary_file_is_created_exclusively_in_the_targets_folder(tmp_path, monkeypatch):
    made = []
    real_mkstemp = tempfile.mkstemp

    def spy(*args, **kwargs):
        made.append(kwargs.get("dir"))
        return real_mkstemp(*args, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", spy)
    save_network(net_with(1.0), tmp_path / "model.npz")
    assert made and all(str(folder) == str(tmp_path) for folder in made)
    assert listing(tmp_path) == ["model.npz"]


def test_the_data_is_fsynced_before_the_rename(tmp_path, monkeypatch):
    events = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: (events.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(os, "replace", lambda a, b: (events.append("replace"), real_replace(a, b))[1])
    save_network(net_with(1.0), tmp_path / "model.npz")
    assert events[:2] == ["fsync", "replace"]


@pytest.mark.parametrize("length", [245, 251])
def test_a_long_but_valid_target_name_works(tmp_path, length):
    target = tmp_path / ("m" * length + ".npz")          # up to 255 bytes, the usual limit for one name
    save_network(net_with(2.0), target)
    assert load_network(target).weights[0][0, 0] == 2.0
    assert listing(tmp_path) == [target.name]


def test_a_name_that_is_too_long_is_reported_with_the_target(tmp_path):
    target = tmp_path / ("m" * 300 + ".npz")
    with pytest.raises(OSError, match=r"cannot save the network to .*m{300}\.npz: .*name is too long"):
        save_network(net_with(2.0), target)
    assert listing(tmp_path) == []


def test_saving_onto_a_folder_names_the_target_and_leaves_the_folder_alone(tmp_path):
    target = tmp_path / "model.npz"
    target.mkdir()
    (target / "inside.txt").write_text("keep")
    with pytest.raises(IsADirectoryError, match=rf"cannot save the network to {target}: it is a folder; give a "
                                                rf"file name, e\.g\. {target}/model\.npz"):
        save_network(net_with(1.0), target)
    assert listing(tmp_path) == ["model.npz"] and listing(target) == ["inside.txt"]


@pytest.mark.parametrize("make_parent, message", [
    (lambda folder: None, "the folder {parent} does not exist; create it first"),
    (lambda folder: folder.write_text("a file"), "{parent} is a file, not a folder"),
])
def test_a_missing_or_file_parent_names_the_target(tmp_path, make_parent, message):
    parent = tmp_path / "sub"
    make_parent(parent)
    target = parent / "model.npz"
    with pytest.raises(OSError) as caught:
        save_network(net_with(1.0), target)
    assert str(caught.value) == f"cannot save the network to {target}: " + message.format(parent=parent)
    assert ".tmp" not in str(caught.value)


def test_a_read_only_model_file_is_not_replaced(tmp_path):
    target = save_network(net_with(1.0), tmp_path / "model.npz")
    before = target.read_bytes()
    target.chmod(0o444)
    with pytest.raises(PermissionError, match=rf"cannot save the network to {target}: the file is read-only; "
                                              r"make it writable \(chmod u\+w\) or choose another name"):
        save_network(net_with(5.0), target)
    assert target.read_bytes() == before and listing(tmp_path) == ["model.npz"]


def test_an_unwritable_folder_names_the_target_not_the_temporary_file(tmp_path, monkeypatch):
    """The tests run as root, who may write anywhere, so the folder's refusal is simulated where the system
    reports it: creating the temporary file."""
    target = save_network(net_with(1.0), tmp_path / "model.npz")
    before = target.read_bytes()

    def refuse(*args, dir=None, prefix="", suffix="", **kwargs):
        name = os.path.join(dir, prefix + "abc123" + suffix)
        raise PermissionError(errno.EACCES, "Permission denied", name)

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    with pytest.raises(PermissionError) as caught:
        save_network(net_with(5.0), target)
    assert str(caught.value) == (f"cannot save the network to {target}: Permission denied; the folder "
                                 f"{tmp_path} is not writable: choose another folder")
    assert target.read_bytes() == before


def test_a_full_disk_names_the_target_and_keeps_the_previous_model(tmp_path):
    """A real failed write: the child may write files of at most 64 KB (RLIMIT_FSIZE), so the 784-30-10
    model (190 KB) fails part-way, as on a full disk."""
    target = save_network(Network([784, 30, 10], seed=1), tmp_path / "model.npz")
    before = target.read_bytes()
    result = run_limited(f"""
        from nnlib import Network, save_network
        try:
            save_network(Network([784, 30, 10], seed=2), {str(target)!r})
        except OSError as error:
            print(error)
    """, file_size=64_000)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"cannot save the network to {target}: File too large"
    assert target.read_bytes() == before
    assert listing(tmp_path) == ["model.npz"]


@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_a_diverged_network_is_not_saved(tmp_path, value):
    target = save_network(net_with(1.0), tmp_path / "model.npz")
    before = target.read_bytes()
    with pytest.raises(ValueError, match=rf"cannot save the network to {target}: W0 contains nan or infinite "
                                         r"values \(the training diverged\); retrain with a smaller learning rate"):
        save_network(net_with(value), target)
    assert target.read_bytes() == before and listing(tmp_path) == ["model.npz"]
