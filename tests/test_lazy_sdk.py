"""The provider SDKs loaded as far as a program uses them: the same names bound to the same objects as a plain import,
only the modules asked for imported, and a package shipped as is wherever a star-import's names are not known."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from engine.lazy_sdk import Finder

PACKAGES = ("pulumi_aws.ec2", "pulumi_aws.iam", "pulumi_kubernetes.core.v1", "pulumi_vsphere", "pulumi_random")

_NAMES = """
import importlib, json, sys
{prelude}
out = {{}}
for name in {packages!r}:
    package = importlib.import_module(name)
    names = {names} or [n for n in dir(package) if not n.startswith("__")]
    out[name] = {{n: [type(v).__name__, getattr(v, "__module__", None), getattr(v, "__qualname__", None),
                     getattr(v, "__name__", None)] for n in names for v in [getattr(package, n)]}}
print(json.dumps(out))
"""


def _names(prelude: str, names: str = "None") -> dict:
    code = _NAMES.format(prelude=prelude, packages=PACKAGES, names=names)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def test_every_name_a_plain_import_binds_is_the_same_object_when_loaded_lazily():
    shipped = _names("")
    names = "sorted(asked[name])"
    prelude = "from engine import lazy_sdk; lazy_sdk.install(); asked = json.load(sys.stdin)"
    lazy = subprocess.run([sys.executable, "-c", _NAMES.format(prelude=prelude, packages=PACKAGES, names=names)],
                          input=json.dumps(shipped), capture_output=True, text=True, check=True)
    assert json.loads(lazy.stdout) == shipped


def test_only_the_modules_asked_for_are_imported_and_a_plain_import_stays_whole():
    code = ("import sys; {prelude}; import pulumi_aws; pulumi_aws.ec2.Vpc; pulumi_aws.ec2.get_vpc; "
            "print(sorted(m for m in sys.modules if m.startswith('pulumi_aws.ec2.')))")
    lazy = subprocess.run([sys.executable, "-c", code.format(prelude="from engine import lazy_sdk; lazy_sdk.install()")],
                          capture_output=True, text=True, check=True).stdout
    plain = subprocess.run([sys.executable, "-c", code.format(prelude="pass")],
                           capture_output=True, text=True, check=True).stdout
    assert json.loads(lazy.replace("'", '"')) == ["pulumi_aws.ec2._enums", "pulumi_aws.ec2._inputs",
                                                  "pulumi_aws.ec2.get_vpc", "pulumi_aws.ec2.outputs",
                                                  "pulumi_aws.ec2.vpc"]
    assert "pulumi_aws.ec2.ami" in plain, "a plain import after a lazy one must still load the package whole"


def _package(tmp_path, init: str, **modules: str):
    root = tmp_path / "fake_sdk"
    root.mkdir()
    (root / "__init__.py").write_text(textwrap.dedent(init))
    for name, source in modules.items():
        (root / f"{name}.py").write_text(textwrap.dedent(source))
    return root


@pytest.fixture
def load(tmp_path, monkeypatch):
    """Import the fake package of `tmp_path` through the finder; returns it and the submodules it imported."""
    def imported():
        monkeypatch.syspath_prepend(str(tmp_path))
        monkeypatch.setattr(sys, "meta_path", [Finder(frozenset({"fake_sdk"})), *sys.meta_path])
        for name in [m for m in sys.modules if m.split(".")[0] == "fake_sdk"]:
            monkeypatch.delitem(sys.modules, name)
        import fake_sdk
        return fake_sdk, lambda: sorted(m for m in sys.modules if m.startswith("fake_sdk."))
    yield imported
    for name in [m for m in sys.modules if m.split(".")[0] == "fake_sdk"]:
        del sys.modules[name]


def test_a_star_imported_name_loads_its_module_when_first_asked(tmp_path, load):
    _package(tmp_path, "from .one import *\nfrom .two import *\n",
             one="__all__ = ['One', 'two_too']\nclass One: pass\ntwo_too = 1\n",
             two="__all__ = ['Two', 'two_too']\nclass Two: pass\ntwo_too = 2\n")
    package, loaded = load()
    assert loaded() == []
    assert package.One.__module__ == "fake_sdk.one" and loaded() == ["fake_sdk.one"]
    assert package.two_too == 2, "the later star-import binds a name both export"
    with pytest.raises(AttributeError, match="no attribute 'Three'"):
        _ = package.Three


def test_a_module_without_a_literal_all_leaves_the_package_as_shipped(tmp_path, load):
    _package(tmp_path, "from .one import *\nfrom .two import *\n",
             one="__all__ = ['One']\nclass One: pass\n", two="class Two: pass\n")
    package, loaded = load()
    assert loaded() == ["fake_sdk.one", "fake_sdk.two"] and package.Two.__module__ == "fake_sdk.two"


def test_a_package_rebinding_a_star_imported_name_is_loaded_as_shipped(tmp_path, load):
    _package(tmp_path, "from .one import *\nOne = 'the package'\n", one="__all__ = ['One']\nclass One: pass\n")
    package, loaded = load()
    assert package.One == "the package" and loaded() == ["fake_sdk.one"]


def test_a_submodule_another_imports_first_binds_the_names_its_star_import_would(tmp_path, load):
    _package(tmp_path, "from .one import *\nfrom .get_two import *\n",
             one="__all__ = ['One']\nfrom .get_two import get_two\nclass One: pass\n",
             get_two="__all__ = ['get_two']\ndef get_two(): return 2\n")
    package, loaded = load()
    assert package.One.__module__ == "fake_sdk.one" and loaded() == ["fake_sdk.get_two", "fake_sdk.one"]
    assert callable(package.get_two), "the function the star-import binds, not the submodule of the same name"


def test_a_package_setting_its_own_class_is_loaded_as_shipped(tmp_path, load):
    _package(tmp_path, "import sys, types\nfrom .one import *\nclass Own(types.ModuleType): pass\n"
                       "sys.modules[__name__].__class__ = Own\n", one="__all__ = ['One']\nclass One: pass\n")
    package, loaded = load()
    assert type(package).__name__ == "Own" and loaded() == ["fake_sdk.one"]


_RENDER = """
import sys
from pathlib import Path
from blueprints.catalog import Catalog
from blueprints.sites import load_sites
from tests.golden import cases, drift, path_of, render
catalog = Catalog()
entry, target = next((e, t) for e, t in cases(catalog) if e.ref == sys.argv[2] and t == sys.argv[3])
recorded = path_of(entry, target).read_text()
print(drift(recorded, render(Path(sys.argv[1]), entry, target, catalog, load_sites()), entry.ref) or "same")
print(sorted(m for m in sys.modules if m.startswith(("pulumi_aws.ec2.ami", "pulumi_vsphere.alarm"))))
"""


@pytest.mark.parametrize("ref,target", [("data-platform@1.1.0", "aws"), ("data-platform@1.1.0", "vsphere")])
def test_a_program_run_on_lazily_loaded_sdks_renders_as_recorded(repo, ref, target):
    done = subprocess.run([sys.executable, "-c", _RENDER, str(repo), ref, target], capture_output=True, text=True,
                          check=True)
    assert done.stdout.splitlines() == ["same", "[]"], done.stdout[-3000:]
