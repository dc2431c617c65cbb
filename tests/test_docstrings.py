"""Every public module, function, class and method in nnlib carries a docstring (the math and shapes live there)."""
import importlib
import inspect
import pkgutil

import pytest

import nnlib

MODULES = ["nnlib"] + [info.name for info in pkgutil.walk_packages(nnlib.__path__, prefix="nnlib.")
                       if not info.name.rsplit(".", 1)[-1].startswith("_")]
# An optimizer's step is exactly the update rule its class docstring states (and notebooks 04 and 07 print
# these sources as they are), so the class docstring documents it.
DOCUMENTED_BY_CLASS = {f"nnlib.optimizers.{name}.step" for name in ("SGD", "Momentum", "RMSProp", "Adam")}


def public_objects(module):
    """(qualified name, object) for the public functions, classes and class members defined in module."""
    for name, obj in vars(module).items():
        if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
            continue
        if inspect.isfunction(obj) or inspect.isclass(obj):
            yield f"{module.__name__}.{name}", obj
        if inspect.isclass(obj):
            for attr, member in vars(obj).items():
                if not attr.startswith("_") and (inspect.isfunction(member) or isinstance(member, property)):
                    yield f"{module.__name__}.{name}.{attr}", member


def test_the_walk_finds_the_core_api():
    names = {name for module in MODULES for name, _ in public_objects(importlib.import_module(module))}
    for expected in ("nnlib.activations.softmax", "nnlib.network.Network.backward", "nnlib.optimizers.Adam.step",
                     "nnlib.training.History.epochs", "nnlib.serialization.load_network"):
        assert expected in names


@pytest.mark.parametrize("module_name", MODULES)
def test_every_public_name_has_a_docstring(module_name):
    module = importlib.import_module(module_name)
    missing = [] if (module.__doc__ or "").strip() else [module_name]
    missing += [name for name, obj in public_objects(module)
                if not (inspect.getdoc(obj) or "").strip() and name not in DOCUMENTED_BY_CLASS]
    assert missing == [], f"add docstrings (the math and the shapes) to: {', '.join(missing)}"
