"""Build hook: compile the translation catalogues, and ship templates/ and migrations/ in the wheel.

templates/ and migrations/ live outside the package (project layout), so a non-editable
install would otherwise lose them; complaints.paths looks for this bundled copy first.
The compiled catalogues (.mo) are build products, not sources: every build makes them.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
BUNDLED = ("templates", "migrations")


def compile_catalogues(target: Path) -> None:
    """messages.po -> messages.mo for every language under ``target``/complaints/translations."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in (ROOT / "complaints" / "translations").glob("*/LC_MESSAGES/messages.po"):
        out = target / po.relative_to(ROOT).with_suffix(".mo")
        out.parent.mkdir(parents=True, exist_ok=True)
        with po.open("rb") as f:
            catalog = read_po(f)
        with out.open("wb") as f:
            write_mo(f, catalog)


class BuildWithBundled(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            compile_catalogues(ROOT)  # the editable install reads the source tree
            return
        compile_catalogues(Path(self.build_lib))
        dest = Path(self.build_lib) / "complaints" / "bundled"
        for name in BUNDLED:
            src = ROOT / name
            if src.is_dir():
                shutil.copytree(
                    src, dest / name, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
                )


setup(cmdclass={"build_py": BuildWithBundled})
