"""Run the core tests in a process where PySide6 cannot be imported, as on a machine without it.

The architecture promises a Qt-free core; this proves it on every CI run without a second virtual
environment: a meta-path finder refuses PySide6 and shiboken6, and pytest-qt is not loaded.
Usage: python tools/pytest_without_qt.py [pytest arguments, default tests/core]
"""

from __future__ import annotations

import importlib.abc
import sys


class _NoQt(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("PySide6", "shiboken6"):
            raise ModuleNotFoundError(f"No module named {name!r} (hidden: the core must work without Qt)")
        return None


if __name__ == "__main__":
    sys.meta_path.insert(0, _NoQt())
    import pytest

    args = sys.argv[1:] or ["tests/core"]
    sys.exit(pytest.main(["-p", "no:pytest-qt", "-p", "no:cacheprovider", "-q", *args]))
