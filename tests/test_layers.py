"""The package's layers import only downward, and the public entry point stays light.

Every import statement is read, those inside functions included, so a lazy import cannot hide an upward one.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "ivan_core"

#: Each unit of the package with its level: a module may import from its own unit and from lower levels only.
LEVELS = {
    "ivan_core.core": 0,
    "ivan_core.data": 1,
    "ivan_core.metrics": 1,
    "ivan_core.evaluation": 2,
    "ivan_core.baselines": 3,
    "ivan_core.plots": 4,
    "ivan_core.store": 5,
    "ivan_core.tutorial": 6,
    "ivan_core.cli": 7,
    "ivan_core.__main__": 8,  # `python -m ivan_core`: the command line
    "ivan_core": 8,  # the public API (ivan_core/__init__.py) sits on top of everything
}

#: What the core may import besides the standard library (tqdm: its progress bars).
CORE_THIRD_PARTY = {"torch", "numpy", "tqdm"}

#: What ``from ivan_core import IVAN, get_task`` must not load.
HEAVY = ("scipy", "skimage", "matplotlib", "PIL", "sporco", "monai", "pandas", "sklearn")


def unit_of(module: str) -> str:
    """The unit of LEVELS that holds ``module`` (the longest matching prefix)."""
    matches = [u for u in LEVELS if module == u or module.startswith(u + ".")]
    return max(matches, key=len)


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(module: str, source: str, is_package: bool = False) -> list[tuple[int, str]]:
    """``(line, module)`` of every import in ``source`` (the text of ``module``), relative ones resolved,
    at any depth."""
    package = module if is_package else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                found.append((node.lineno, ".".join(base + ([node.module] if node.module else []))))
            else:
                found.append((node.lineno, node.module))
    return found


def upward_imports(module: str, source: str, is_package: bool = False) -> list[str]:
    """The imports of ``module`` that reach its own level or above in another unit."""
    here = unit_of(module)
    return [f"line {line}: {target} ({unit_of(target)}, level {LEVELS[unit_of(target)]})"
            for line, target in imports(module, source, is_package)
            if target.split(".")[0] == "ivan_core" and unit_of(target) != here
            and LEVELS[unit_of(target)] >= LEVELS[here]]


def path_imports(path: Path) -> list[tuple[int, str]]:
    return imports(module_name(path), path.read_text(), path.name == "__init__.py")


SOURCES = sorted(PACKAGE.rglob("*.py"))


def test_the_layer_table_covers_every_module():
    assert len(SOURCES) > 50
    for path in SOURCES:
        unit_of(module_name(path))  # raises ValueError (max of nothing) for a module outside every layer


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_go_down(path):
    module = module_name(path)
    upward = upward_imports(module, path.read_text(), path.name == "__init__.py")
    assert not upward, f"{module} ({unit_of(module)}) imports upward or sideways: {upward}"


def test_the_core_uses_torch_and_numpy_only():
    third_party = {}
    for path in SOURCES:
        if unit_of(module_name(path)) != "ivan_core.core":
            continue
        for line, target in path_imports(path):
            top = target.split(".")[0]
            if top not in sys.stdlib_module_names and top not in CORE_THIRD_PARTY | {"ivan_core"}:
                third_party.setdefault(top, []).append(f"{path.relative_to(PACKAGE)}:{line}")
    assert not third_party, f"the core imports {third_party}; it may use only {sorted(CORE_THIRD_PARTY)}"


def test_the_model_entry_point_is_light():
    code = ("import sys; from ivan_core import IVAN, get_task; "
            f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "", f"`from ivan_core import IVAN, get_task` loads {done.stdout.strip()}"


def test_the_checker_catches_hidden_and_sideways_imports():
    hidden = "import torch\n\ndef f():\n    from ivan_core.tutorial import profiles\n"
    assert upward_imports("ivan_core.core.model.network", hidden) == ["line 4: ivan_core.tutorial (ivan_core.tutorial, "
                                                                      "level 6)"]
    assert upward_imports("ivan_core.data.phantom", "from ivan_core.metrics import psnr\n")  # beside, not below
    assert upward_imports("ivan_core.evaluation.scoring", "from ..data import noise_free\n") == []
    assert upward_imports("ivan_core.core.inference", "from . import tasks\n") == []
    assert upward_imports("ivan_core.core.inference", "from ..store import load_pretrained\n")


def docstrings(source: str) -> list[tuple[int, str]]:
    """``(lines, text)`` of every module, class and function docstring in ``source``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            text = ast.get_docstring(node, clean=False)
            if text is not None:
                expr = node.body[0]
                found.append((expr.end_lineno - expr.lineno + 1, text))
    return found


def test_docstrings_are_short_and_hold_no_measured_results():
    """Measured results live in results/ and the notebooks, not in library docstrings."""
    total = doc = 0
    citing = []
    for path in SOURCES:
        source = path.read_text()
        total += len(source.splitlines())
        for lines, text in docstrings(source):
            doc += lines
            if "results/" in text:
                citing.append(str(path.relative_to(PACKAGE)))
    assert doc <= 0.25 * total, f"docstrings are {doc / total:.0%} of the package's lines; keep them under 25%"
    assert not citing, f"docstrings cite results/ files: {citing}"


#: Distribution of each third-party import name the package uses.
DISTRIBUTIONS = {"torch": "torch", "numpy": "numpy", "tqdm": "tqdm", "scipy": "scipy", "skimage": "scikit-image",
                 "sewar": "sewar", "nibabel": "nibabel", "nilearn": "nilearn", "matplotlib": "matplotlib",
                 "PIL": "pillow", "pywt": "PyWavelets", "sklearn": "scikit-learn", "monai": "monai",
                 "sporco": "sporco", "ipywidgets": "ipywidgets", "IPython": "ipykernel", "papermill": "papermill",
                 "pandas": "pandas", "joblib": "joblib"}


def test_every_import_is_a_declared_dependency_and_all_installs_every_group():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+

    project = tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text())["project"]
    name = lambda requirement: requirement.split(">")[0].split("=")[0].split("[")[0].strip()  # noqa: E731
    extras = project["optional-dependencies"]
    declared = {name(r) for r in project["dependencies"]} | {name(r) for group in extras.values() for r in group}
    used = {target.split(".")[0] for path in SOURCES for _, target in path_imports(path)}
    third_party = {top for top in used if top not in sys.stdlib_module_names and top != "ivan_core"}
    assert third_party <= set(DISTRIBUTIONS), f"add {third_party - set(DISTRIBUTIONS)} to DISTRIBUTIONS"
    assert {DISTRIBUTIONS[top] for top in third_party} <= declared
    groups = [g for g in extras if g != "all"]
    assert sorted(extras["all"]) == sorted(r for g in groups for r in extras[g])
