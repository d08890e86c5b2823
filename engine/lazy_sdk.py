"""Provider SDK packages loaded as far as a program uses them, not whole.

A generated Pulumi SDK package's `__init__.py` star-imports every module it holds: the first `aws.ec2.Vpc` builds
the classes of all 180 EC2 modules, each with hundreds of typed properties, which is most of what a one-stack
command spends. The offline engine's finder loads such a package from the same `__init__.py` less its star-imports;
a name one of them would have bound is bound when its module is imported, by whatever imports it first, or when the
name is first asked for: the same objects from the same modules, only the modules a program reaches. What a
star-import binds is its module's `__all__`, read from the module's source. A package is loaded as shipped when one
of its star-imported modules has no `__all__` written as a list of names, when it binds a star-imported name itself
or sets its own module's class. Bytecode of the shortened `__init__.py` is never written, so a plain import (the real
CLI's `pulumi up`, any process that did not install the finder) loads the packages as shipped.
"""

from __future__ import annotations

import ast
import importlib
import importlib.abc
import importlib.machinery
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

PACKAGES = frozenset({"pulumi_aws", "pulumi_kubernetes", "pulumi_vsphere", "pulumi_random", "pulumiverse_time"})
"""The provider SDKs the components use (pulumi's generated layout)."""

_ALL = re.compile(r"^__all__ = \[([^\]]*)\]", re.MULTILINE)
_NAMES = re.compile(r"\s*(?:'(\w+)'\s*,\s*)*(?:'(\w+)'\s*)?")
_NAME = re.compile(r"'(\w+)'")


def _star_module(node: ast.stmt) -> str | None:
    """`X` of a `from .X import *` statement, else None."""
    if (isinstance(node, ast.ImportFrom) and node.level == 1 and node.module
            and len(node.names) == 1 and node.names[0].name == "*"):
        return node.module
    return None


def _exports(folder: Path, module: str) -> list[str] | None:
    """The names `from .module import *` binds: its `__all__`, a list of quoted names as the SDK generators write
    it, or None when the source has none such."""
    try:
        found = _ALL.search((folder / f"{module}.py").read_text(encoding="utf-8"))
    except OSError:
        return None
    if found is None or not _NAMES.fullmatch(found.group(1)):
        return None
    return _NAME.findall(found.group(1))


class _Package(importlib.machinery.SourceFileLoader):
    """Executes a package's `__init__.py` without its star-imports; `_StarPackage` binds their names."""

    def exec_module(self, module: ModuleType) -> None:
        tree = ast.parse(self.get_data(self.path), self.path)
        stars = {node: _star_module(node) for node in tree.body}
        eager = [node for node, star in stars.items() if star is None]
        where: dict[str, tuple[str, bool]] = {}
        for star in filter(None, stars.values()):
            names = _exports(Path(self.path).parent, star)
            if names is None:
                return super().exec_module(module)
            # In order, as the imports bind them: the submodule itself, then its names; a later star-import wins.
            where.update({star: (star, False), **dict.fromkeys(names, (star, True))})
        bound = _bound(eager)
        if not where or "__class__" in bound or where.keys() & bound:
            # Nothing to defer, or the package rebinds a star-imported name or its own class: as shipped.
            return super().exec_module(module)
        tree.body = eager
        module.__dict__[_STARS] = where
        exec(compile(tree, self.path, "exec", dont_inherit=True), module.__dict__)  # noqa: S102
        module.__class__ = _StarPackage


def _bound(statements: list[ast.stmt]) -> set[str]:
    """Every name the statements could bind, at any depth (more than they do is safe here); `__class__` when they
    set an object's class, as a package replacing its own module's does."""
    names = set()
    for node in (n for statement in statements for n in ast.walk(statement)):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store) and node.attr == "__class__":
            names.add("__class__")
        elif isinstance(node, ast.alias):
            names.add(node.asname or node.name.partition(".")[0])
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
    return names


_STARS = "__star_imports__"
"""A lazy package's own record: name -> (the submodule whose star-import binds it, whether it is an export)."""


class _StarPackage(ModuleType):
    """A package whose star-imported names are bound when their submodule is imported, by whoever imports it first,
    as the package's `from .x import *` would have bound them; a name not bound yet imports its submodule."""

    def __setattr__(self, name: str, value: Any) -> None:
        super().__setattr__(name, value)
        if isinstance(value, ModuleType) and value.__name__ == f"{self.__name__}.{name}":
            self._bind(name, value)  # the import system binds a submodule it has just imported

    def __getattr__(self, name: str) -> Any:
        stars = self.__dict__[_STARS]
        if name in stars:
            submodule = stars[name][0]
            self._bind(submodule, importlib.import_module(f"{self.__name__}.{submodule}"))
            if name in self.__dict__:
                return self.__dict__[name]
        raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")

    def _bind(self, submodule: str, module: ModuleType) -> None:
        bind = super().__setattr__
        for name, (source, exported) in self.__dict__[_STARS].items():
            if source == submodule:
                bind(name, getattr(module, name) if exported else module)
        if self.__dict__[_STARS].get(submodule, (submodule,))[0] != submodule:
            self.__dict__.pop(submodule, None)  # a later star-import binds this name: resolved when asked


class Finder(importlib.abc.MetaPathFinder):
    """Finds the packages of the distributions named (top-level names) as the path finder does, to be loaded by
    `_Package`."""

    def __init__(self, packages: frozenset[str]):
        self.packages = packages

    def find_spec(self, fullname: str, path, target=None):
        if fullname.partition(".")[0] not in self.packages:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.submodule_search_locations is None or spec.origin is None:
            return spec
        spec.loader = _Package(fullname, spec.origin)
        return spec


_FINDER = Finder(PACKAGES)


def install() -> None:
    """Load the provider SDKs lazily from now on in this process (packages imported before stay as they are)."""
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)
