"""Build hook: ship the top-level templates/ and migrations/ inside the wheel.

They live outside the package (project layout), so a non-editable install would
otherwise lose them; complaints.paths looks for this bundled copy first.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
BUNDLED = ("templates", "migrations")


class BuildWithBundled(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        dest = Path(self.build_lib) / "complaints" / "bundled"
        for name in BUNDLED:
            src = ROOT / name
            if src.is_dir():
                shutil.copytree(
                    src, dest / name, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
                )


setup(cmdclass={"build_py": BuildWithBundled})
