import ast
import importlib
from pathlib import Path

import pytest

from simplemon import registry
from simplemon.alerter import Alerter
from simplemon.errors import ConfigError
from simplemon.logger import ResultLogger
from simplemon.monitor import Monitor

REPO = Path(__file__).resolve().parents[2]
BASES = {"monitor": Monitor, "alerter": Alerter, "logger": ResultLogger}
FOLDERS = {"monitor": "simplemon/monitors", "alerter": "alerters", "logger": "loggers"}


@pytest.mark.parametrize("kind", ["monitor", "alerter", "logger"])
def test_every_entry_imports_and_honours_the_contract(kind):
    for name, cls in registry.known(kind):
        assert issubclass(cls, BASES[kind]), name
        assert cls.type_name == name or (name, cls.type_name) == ("host", "host")
        assert hasattr(cls, "Options"), name
        assert (cls.__doc__ or "").strip(), f"{name} needs a user-facing docstring"


@pytest.mark.parametrize("kind", ["monitor", "alerter", "logger"])
def test_every_plugin_module_is_registered(kind):
    modules = {
        target.partition(":")[0].rsplit(".", 1)[-1]
        for target in registry.TABLES[kind].values()
    }
    folder = REPO / FOLDERS[kind]
    for path in folder.glob("*.py"):
        if path.stem.startswith("_"):
            continue
        assert path.stem in modules, f"{path} is not in simplemon/registry.py"


def test_unknown_type_lists_valid_ones_sorted():
    with pytest.raises(ConfigError) as info:
        registry.load("monitor", "htpp")
    valid = ", ".join(sorted(registry.MONITORS))
    assert info.value.message == f"unknown type 'htpp'; valid monitor types: {valid}"


def test_plugin_packages_have_no_import_side_effects():
    for folder in FOLDERS.values():
        tree = ast.parse((REPO / folder / "__init__.py").read_text())
        assert all(isinstance(n, ast.Expr) for n in tree.body), folder


FORBIDDEN = {
    "socket",
    "requests",
    "smtplib",
    "sqlite3",
    "dns",
    "icmplib",
    "jinja2",
    "subprocess",
    "http",
    "urllib",
}
PURE = [
    "scheduler",
    "policy",
    "model",
    "dispatch",
    "alerting",
    "config",
    "options",
    "round",
    "depgraph",
    "ini",
]


@pytest.mark.parametrize("module", PURE)
def test_core_modules_import_no_io_libraries(module):
    path = REPO / "simplemon" / f"{module}.py"
    if not path.exists():
        pytest.skip(f"simplemon/{module}.py does not exist yet")
    tree = ast.parse(path.read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert not imported & FORBIDDEN


def test_core_never_imports_plugin_packages_by_name():
    for path in (REPO / "simplemon").glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert node.module.split(".")[0] not in ("alerters", "loggers"), path
            if isinstance(node, ast.Import):
                for alias in node.names:
                    assert alias.name.split(".")[0] not in ("alerters", "loggers"), path


def test_registry_targets_are_lazy():
    # importing the registry must not import any plugin module
    src = (REPO / "simplemon" / "registry.py").read_text()
    assert "import simplemon.monitors" not in src
    importlib.import_module("simplemon.registry")
