"""The life engine compiled with mypyc, used where a build of these very sources exists.

One source of the rules: ``game_server/engine/*.py`` is plain, strictly typed Python. Where a C
compiler exists, ``python -m game_server build-engine`` (run by ``make run``, ``make test`` and
the benchmarks) compiles every engine module but the package's ``__init__`` with mypyc into
``build/engine-native/<key>/``. ``install()`` (called when ``game_server`` is imported) adds an
import finder that loads those extension modules in place of the sources.

The key is a hash of the engine's sources and the interpreter's ABI, so an edited source is never
shadowed by a stale build: the finder only looks in the folder named by today's key, and without
one the plain sources run, as they do on a machine without a compiler. ``GIG_ENGINE=python``
forces the plain sources (the test that both give identical lives uses it).
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import ModuleType

PACKAGE = "game_server.engine"
ENGINE_DIR = Path(__file__).parent / "engine"
BUILD_ROOT = Path(__file__).parent.parent / "build" / "engine-native"
# mypyc puts the code the compiled modules share in one more extension, named after the group.
GROUP = f"{PACKAGE}.native"
SHARED_LIB = f"{GROUP}__mypyc"
_EXT_SUFFIX = str(sysconfig.get_config_var("EXT_SUFFIX"))


def engine_sources() -> list[Path]:
    """The modules that are compiled: all of the engine but its ``__init__`` (which stays Python
    so the package itself imports the same way in both builds)."""
    return sorted(p for p in ENGINE_DIR.glob("*.py") if p.name != "__init__.py")


def build_key(sources: Sequence[Path]) -> str:
    digest = hashlib.sha256()
    digest.update(f"{sys.implementation.cache_tag} {_EXT_SUFFIX}\n".encode())
    for path in sources:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def build_dir(sources: Sequence[Path] | None = None) -> Path:
    return BUILD_ROOT / build_key(engine_sources() if sources is None else sources)


class _NativeEngine(importlib.abc.MetaPathFinder):
    """Finds the compiled engine modules (and their shared library) in one build folder."""

    def __init__(self, folder: Path, names: frozenset[str]) -> None:
        self.folder = folder
        self.names = names

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> ModuleSpec | None:
        if fullname not in self.names:
            return None
        file = self.folder / (fullname.rpartition(".")[2] + _EXT_SUFFIX)
        loader = importlib.machinery.ExtensionFileLoader(fullname, str(file))
        return importlib.util.spec_from_file_location(fullname, file, loader=loader)


def install() -> bool:
    """Load the engine from its build where one exists for these sources; True if it will."""
    if os.environ.get("GIG_ENGINE", "").lower() == "python":
        return False
    if any(isinstance(f, _NativeEngine) for f in sys.meta_path):
        return True
    sources = engine_sources()
    folder = build_dir(sources) / "game_server" / "engine"
    names = {f"{PACKAGE}.{p.stem}" for p in sources} | {SHARED_LIB}
    if not all((folder / (n.rpartition(".")[2] + _EXT_SUFFIX)).is_file() for n in names):
        return False
    sys.meta_path.insert(0, _NativeEngine(folder, frozenset(names)))
    return True


def active() -> bool:
    """Whether the engine that is imported now is the compiled one."""
    import game_server.engine.life as life  # asked at run time: after install()

    return str(life.__file__).endswith(_EXT_SUFFIX)


def build(*, quiet: bool = True) -> Path | None:
    """Compile the engine for today's sources, unless that build exists. None where no C compiler
    (or no mypyc) is available: the plain sources then run, unchanged."""
    sources = engine_sources()
    target = build_dir(sources)
    if (target / "game_server" / "engine").is_dir():
        return target
    if shutil.which(os.environ.get("CC", "cc")) is None:
        print("engine: no C compiler, the plain Python engine runs", file=sys.stderr)
        return None
    if importlib.util.find_spec("mypyc") is None:
        print("engine: mypyc is not installed, the plain Python engine runs", file=sys.stderr)
        return None
    root = Path(__file__).parent.parent
    BUILD_ROOT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=BUILD_ROOT) as tmp:
        out = Path(tmp) / "out"
        script = (
            "import sys\n"
            "from setuptools import setup\n"
            "from mypyc.build import mypycify\n"
            "setup(name='gig-life-engine', ext_modules=mypycify(sys.argv[5:],"
            f" group_name={GROUP!r}, target_dir={str(Path(tmp) / 'c')!r}),"
            " script_args=sys.argv[1:5])\n"
        )
        rel = [str(p.relative_to(root)) for p in sources]
        args = ["build_ext", f"--build-lib={out}", f"--build-temp={Path(tmp) / 't'}", "--quiet"]
        done = subprocess.run(
            [sys.executable, "-c", script, *args, *rel],
            cwd=root,
            capture_output=quiet,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            print(done.stdout[-4000:], done.stderr[-4000:], sep="\n", file=sys.stderr)
            print("engine: the mypyc build failed, the plain Python engine runs", file=sys.stderr)
            return None
        os.replace(out, target)
    for old in BUILD_ROOT.iterdir():
        if old.is_dir() and old != target:
            shutil.rmtree(old, ignore_errors=True)
    return target
