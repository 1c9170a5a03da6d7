"""PyInstaller's entry script: the frozen app starts here (a script, so desktop_app keeps its relative imports)."""

import sys

from desktop_app.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
