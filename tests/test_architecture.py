"""What the import contracts (tests/test_import_graph.py) cannot say: no Qt binding of any make in the core (the
contracts know the installed PySide6 only), importing the core and the command line stays light (no torch until
needed), modules stay small. Each walks the core's sub-packages too."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORE = ROOT / "desktop_app" / "core"


def test_core_never_imports_qt():
    pattern = re.compile(r"^\s*(from|import)\s+(PySide6|PyQt5|PyQt6|qtpy|superqt)\b", re.M)
    offenders = [str(p.relative_to(CORE)) for p in CORE.rglob("*.py") if pattern.search(p.read_text(encoding="utf-8"))]
    assert offenders == []


def test_core_import_is_light():
    modules = [".".join(p.relative_to(CORE).with_suffix("").parts) for p in CORE.rglob("*.py")
               if p.stem not in ("__init__", "callbacks")]
    assert "artifacts.manifest" in modules and len(modules) > 40
    code = ("import sys\n" + "".join(f"import desktop_app.core.{m}\n" for m in modules) + "import desktop_app.cli\n"
            "heavy = [m for m in ('torch', 'transformers', 'peft', 'PySide6') if m in sys.modules]\n"
            "print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == ""


def test_modules_stay_small():
    sizes = {p.name: len(p.read_text().splitlines()) for p in (ROOT / "desktop_app").rglob("*.py")}
    assert max(sizes.values()) <= 450, sizes


def test_every_package_is_in_the_wheel():
    """pyproject lists the packages a wheel (and so a pip install) carries: a sub-package left out of it would be
    missing from every install but the editable one the tests run from."""
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+

    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "desktop_app").rglob("__init__.py")}
    assert found - {"desktop_app.resources"} <= listed and "desktop_app.resources" in listed, found - listed
