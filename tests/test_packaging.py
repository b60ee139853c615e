"""A built wheel carries the templates, migrations and static files, and works installed.

templates/ and migrations/ live outside the package; setup.py's build hook bundles them
into complaints/bundled/. An editable install would hide a missing bundle, so this builds
a real wheel, installs it into a plain folder and runs the app from there.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ["pyproject.toml", "setup.py", "config.py", "README.md", "complaints", "templates", "migrations"]

pytestmark = pytest.mark.slow


def _copy_sources(dest: Path) -> Path:
    """The working tree's project files, without build leftovers (never build in the repo)."""
    dest.mkdir()
    skip = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "bundled", "build", "dist")
    for name in SOURCES:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=skip)
        elif src.exists():
            shutil.copy2(src, dest / name)
    return dest


def _backend_installed(src: Path) -> bool:
    """Does this venv hold every build-system requirement of pyproject.toml?"""
    from importlib.metadata import PackageNotFoundError, version

    from packaging.requirements import Requirement

    for spec in tomllib.loads((src / "pyproject.toml").read_text())["build-system"]["requires"]:
        req = Requirement(spec)
        try:
            if not req.specifier.contains(version(req.name), prereleases=True):
                return False
        except PackageNotFoundError:
            return False
    return True


def _build_wheel(src: Path, out: Path) -> Path:
    cmd = [sys.executable, "-m", "build", "--wheel", "--outdir", str(out)]
    # Build with the venv's own setuptools when it has what pyproject asks for; otherwise
    # let build make an isolated environment from the package index.
    if _backend_installed(src):
        cmd.append("--no-isolation")
    done = subprocess.run([*cmd, str(src)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    wheels = list(out.glob("complaints-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("pkg")
    return _build_wheel(_copy_sources(tmp / "src"), tmp / "dist")


def test_wheel_carries_templates_migrations_and_static(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "complaints/bundled/templates/base.html" in names
    for tpl in (ROOT / "templates").rglob("*.html"):
        assert f"complaints/bundled/templates/{tpl.relative_to(ROOT / 'templates').as_posix()}" in names
    for fixed in ("env.py", "alembic.ini", "script.py.mako"):
        assert f"complaints/bundled/migrations/{fixed}" in names
    versions = list((ROOT / "migrations" / "versions").glob("*.py"))
    assert versions
    for version in versions:
        assert f"complaints/bundled/migrations/versions/{version.name}" in names
    assert "complaints/static/app.css" in names
    assert "complaints/translations/zh/LC_MESSAGES/messages.mo" in names  # compiled by the build
    assert "config.py" in names
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)


INSTALLED_CHECK = r"""
import json, sys
from pathlib import Path

site = Path(sys.argv[1]).resolve()
import complaints, config
from complaints import create_app
from flask_migrate import upgrade

app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": "sqlite:///" + sys.argv[2]})
with app.app_context():
    upgrade()  # the bundled migrations
client = app.test_client()
login = client.get("/login")
css = client.get("/static/app.css")
print(json.dumps({
    "complaints": str(Path(complaints.__file__).resolve()),
    "config": str(Path(config.__file__).resolve()),
    "templates": str(Path(app.template_folder).resolve()),
    "migrations": str(Path(app.extensions["migrate"].directory).resolve()),
    "login_status": login.status_code,
    "login_html": login.get_data(as_text=True),
    "css_status": css.status_code,
}))
"""


def test_installed_wheel_renders_login_page(wheel, tmp_path):
    site = tmp_path / "site"
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--quiet",
         "--disable-pip-version-check", "--target", str(site), str(wheel)],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]

    elsewhere = tmp_path / "elsewhere"  # not the repo: nothing can be found beside the cwd
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items()
           if k not in {"DATABASE_URL", "COMPLAINTS_ENV", "FLASK_APP", "PYTHONHOME"}}
    env.update(PYTHONPATH=str(site), INSTANCE_PATH=str(tmp_path / "instance"), PYTHONDONTWRITEBYTECODE="1")
    done = subprocess.run(
        [sys.executable, "-c", INSTALLED_CHECK, str(site), str(tmp_path / "app.sqlite3")],
        cwd=elsewhere, env=env, capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])

    # The installed copy answered, not the editable checkout.
    site = site.resolve()
    for key in ("complaints", "config", "templates", "migrations"):
        assert Path(out[key]).is_relative_to(site), (key, out[key])
    assert Path(out["templates"]) == site / "complaints" / "bundled" / "templates"
    assert out["login_status"] == 200
    html = out["login_html"]
    assert "<form" in html and 'name="email"' in html and 'name="password"' in html
    assert out["css_status"] == 200
