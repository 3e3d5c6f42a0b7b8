"""Entry script of the frozen app (PyInstaller): the same as the `customdb-studio` GUI script.

The frozen executable is also the runner child (`--runner-child`) and the smoke test
(`--smoke-test`): `gui_main` routes both flags before any GUI import.
"""

import sys

from app.__main__ import gui_main

if __name__ == "__main__":
    sys.exit(gui_main())
