"""Every import has a declared distribution, and requirements.lock agrees with pyproject.toml.

The product's imports must come from `[project] dependencies` (a distribution that only
arrives through another one can vanish with its next release); the tests' and
benchmarks' may also come from the `test` extra. The lock is what the container image
installs: each declared dependency pinned, within its range, with hashes.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from functools import cache
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = ["activities", "workflows", "retake", "worker.py", "starter.py"]
SUITE = ["tests", "benchmarks"]
LOCK = ROOT / "requirements.lock"


def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def declared(group: str | None = None) -> dict[str, Requirement]:
    project = pyproject()["project"]
    found = [Requirement(r) for r in project["dependencies"]]
    if group:
        found += [Requirement(r) for r in project["optional-dependencies"][group]]
    return {canonicalize_name(r.name): r for r in found}


def python_files(roots: list[str]) -> list[Path]:
    files = []
    for root in roots:
        path = ROOT / root
        files += [path] if path.is_file() else sorted(path.rglob("*.py"))
    return [f for f in files if ".venv" not in f.parts]


def imported_modules(path: Path) -> set[str]:
    """Absolute imports anywhere in the file (inside functions too), dotted names."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


@cache
def module_owners() -> dict[str, set[str]]:
    """Dotted package or module name (up to two levels) -> the distributions that install it."""
    owners: dict[str, set[str]] = {}
    for dist in metadata.distributions():
        name = canonicalize_name(dist.metadata["Name"])
        for file in dist.files or []:
            parts = file.parts
            if not parts or parts[0].endswith((".dist-info", ".data")) or parts[0] == "..":
                continue
            stems = [p.removesuffix(".py") for p in parts if not p.endswith(".pyc")][:2]
            for depth in range(1, len(stems) + 1):
                if stems[:depth] and all(s.isidentifier() for s in stems[:depth]):
                    owners.setdefault(".".join(stems[:depth]), set()).add(name)
    return owners


def is_local(module: str, path: Path) -> bool:
    top = module.split(".")[0]
    return any((base / top).exists() or (base / f"{top}.py").exists()
               for base in (ROOT, path.parent))


def distributions_of(module: str) -> set[str]:
    """The distributions owning the longest known prefix: google.auth -> google-auth."""
    parts = module.split(".")
    for depth in (2, 1):
        owners = module_owners().get(".".join(parts[:depth]))
        if owners:
            return owners
    return set()


def undeclared(roots: list[str], allowed: set[str]) -> list[str]:
    problems = []
    for path in python_files(roots):
        for module in sorted(imported_modules(path)):
            top = module.split(".")[0]
            if top in sys.stdlib_module_names or is_local(module, path):
                continue
            owners = distributions_of(module)
            if not owners:
                if "." in module:  # `from pkg import name`: a name, not a module
                    continue
                problems.append(f"{path.relative_to(ROOT)}: {module} (no installed distribution)")
            elif not owners & allowed:
                problems.append(f"{path.relative_to(ROOT)}: {module} comes from "
                                f"{'/'.join(sorted(owners))}, not declared")
    return problems


def test_every_product_import_is_a_declared_runtime_dependency() -> None:
    assert undeclared(PRODUCT, set(declared())) == []


def test_every_test_and_benchmark_import_is_declared() -> None:
    assert undeclared(SUITE, set(declared("test"))) == []


def test_google_auth_and_httpx2_are_found_and_declared() -> None:
    """The walk itself: the two imports the issue names resolve to their distributions."""
    assert distributions_of("google.auth.exceptions") == {"google-auth"}
    assert distributions_of("httpx2") == {"httpx2"}
    assert {"google-auth", "httpx2"} <= set(declared())


def test_every_runtime_dependency_has_an_upper_bound() -> None:
    unbounded = [str(r) for r in declared().values()
                 if not any(s.operator in ("<", "<=", "==", "~=") for s in r.specifier)]
    assert unbounded == []


def test_pillow_floor_is_past_the_known_decoder_advisories() -> None:
    assert not declared()["pillow"].specifier.contains("12.2.0")
    assert declared()["pillow"].specifier.contains("12.3.0")


def locked() -> dict[str, tuple[Version, int]]:
    """requirements.lock: name -> (pinned version, number of hashes)."""
    pins: dict[str, tuple[Version, int]] = {}
    current = None
    for line in LOCK.read_text().splitlines():
        pin = re.match(r"^([A-Za-z0-9._-]+)==([^\s\\;]+)", line)
        if pin:
            current = canonicalize_name(pin[1])
            pins[current] = (Version(pin[2]), 0)
        elif current and line.strip().startswith("--hash=sha256:"):
            version, hashes = pins[current]
            pins[current] = (version, hashes + 1)
        elif line.strip() and not line.lstrip().startswith(("#", "--hash")):
            raise AssertionError(f"requirements.lock: unexpected line {line!r}")
    return pins


def test_the_lock_pins_every_runtime_dependency_within_its_range_with_hashes() -> None:
    pins = locked()
    problems = []
    for name, requirement in declared().items():
        if name not in pins:
            problems.append(f"{name} is declared but not locked")
        elif not requirement.specifier.contains(pins[name][0], prereleases=True):
            problems.append(f"{name}=={pins[name][0]} is outside {requirement.specifier}")
    problems += [f"{name} has no hash" for name, (_, hashes) in pins.items() if hashes == 0]
    assert problems == [], (
        "requirements.lock disagrees with pyproject.toml; regenerate it with the command "
        "at its top: " + "; ".join(problems))


def test_the_lock_was_made_from_this_pyproject() -> None:
    """Packages locked for the project itself are exactly its dependencies (and the build
    backend): a dependency dropped from pyproject.toml leaves the lock too."""
    text = LOCK.read_text()
    direct = set()
    for block in re.split(r"\n(?=[A-Za-z0-9])", text):
        pin = re.match(r"^([A-Za-z0-9._-]+)==", block)
        if pin and re.search(r"#\s+(via\s+)?retake \(pyproject\.toml\)", block):
            direct.add(canonicalize_name(pin[1]))
    assert direct == set(declared())
    assert "setuptools" in locked()  # the image builds Retake from the lock alone
