"""Where the top-level templates/ and migrations/ are, in a checkout or an installed wheel."""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def resource_dir(name: str) -> Path:
    """The bundled copy that a wheel carries, else the folder beside the package."""
    bundled = PACKAGE_DIR / "bundled" / name
    if bundled.is_dir():
        return bundled
    return PACKAGE_DIR.parent / name
