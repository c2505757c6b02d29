"""The engine is pure: no I/O, no clock, no global randomness, no server frameworks."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

import game_server.engine

ENGINE_DIR = Path(game_server.engine.__file__).parent
ENGINE_FILES = sorted(ENGINE_DIR.glob("*.py"))

FORBIDDEN = (
    "asyncio",
    "redis",
    "sqlmodel",
    "fastapi",
    "sqlalchemy",
    "starlette",
    "time",
    "random",
    "datetime",
    "os",
    "socket",
    "threading",
    "secrets",
    "uuid",
)


def _forbidden(module: str) -> bool:
    return any(module == name or module.startswith(name + ".") for name in FORBIDDEN)


def _imported_modules(tree: ast.AST) -> list[str]:
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append(node.module)
            # `from os import path` imports os; `from importlib import x` may name a module too
            found.extend(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def test_the_engine_has_modules() -> None:
    names = {p.name for p in ENGINE_FILES}
    assert {"life.py", "policy.py", "rng.py", "state.py"} <= names


@pytest.mark.parametrize("path", ENGINE_FILES, ids=lambda p: p.name)
def test_engine_module_imports_nothing_impure(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    bad = [m for m in _imported_modules(tree) if _forbidden(m)]
    assert bad == [], f"{path.name} imports {bad}"


@pytest.mark.parametrize("path", ENGINE_FILES, ids=lambda p: p.name)
def test_engine_module_does_not_import_dynamically(path: Path) -> None:
    # __import__("time") or importlib.import_module("random") would dodge the check above.
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    attrs = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    assert "__import__" not in names
    assert "import_module" not in names | attrs
    assert not any(m.startswith("importlib") for m in _imported_modules(tree))


def test_the_import_checker_catches_forbidden_imports() -> None:
    # The checker itself must be able to fail.
    source = "import os.path\nfrom time import monotonic\nimport random as r\nfrom math import pi\n"
    bad = [m for m in _imported_modules(ast.parse(source)) if _forbidden(m)]
    assert bad == ["os.path", "time", "time.monotonic", "random"]
    assert not _forbidden("osmium")
    assert not _forbidden("timeit_like")


_PROBE = """
import json, sys
import game_server.content  # the schema (pydantic) and loader the engine reads: allowed
before = set(sys.modules)
import game_server.engine
new = sorted(set(sys.modules) - before)
print(json.dumps({"new": new, "all": sorted(sys.modules)}))
"""


def test_importing_the_engine_loads_no_impure_module() -> None:
    result = subprocess.run(
        [sys.executable, "-c", _PROBE],
        capture_output=True,
        text=True,
        check=True,
        cwd=ENGINE_DIR.parents[1],
    )
    report = json.loads(result.stdout)
    assert "game_server.engine.life" in report["new"]  # the probe did import the engine
    bad_new = [m for m in report["new"] if _forbidden(m)]
    assert bad_new == [], f"importing game_server.engine loaded {bad_new}"
    # The server frameworks are not loaded at all, not even by the content layer.
    servers = ("asyncio", "redis", "sqlmodel", "fastapi", "sqlalchemy", "starlette")
    loaded = [m for m in report["all"] if m.split(".")[0] in servers]
    assert loaded == [], f"the engine and content layer loaded {loaded}"
