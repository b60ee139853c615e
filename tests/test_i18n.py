"""Chinese and English: the catalogue is complete, placeholders match, and the locale follows the user."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.pofile import read_po

PO = Path(__file__).resolve().parents[1] / "complaints" / "translations" / "zh" / "LC_MESSAGES" / "messages.po"


def test_every_message_is_translated_with_the_same_placeholders():
    with PO.open("rb") as f:
        catalog = read_po(f)
    untranslated, broken = [], []
    for m in catalog:
        if not m.id:
            continue
        if not m.string or m.fuzzy:
            untranslated.append(m.id)
        elif sorted(re.findall(r"%\(\w+\)", m.id)) != sorted(re.findall(r"%\(\w+\)", m.string)):
            broken.append(m.id)
    assert not untranslated and not broken, (untranslated[:10], broken[:10])


def test_the_catalogue_covers_the_code(tmp_path):
    """Every marked string of the code is in the catalogue (run pybabel extract/update after changing text)."""
    import subprocess
    import sys

    pot = tmp_path / "messages.pot"
    root = PO.parents[4]
    pybabel = Path(sys.executable).parent / "pybabel"
    subprocess.run([str(pybabel), "extract", "-F", str(root / "babel.cfg"), "-k", "_l", "-k", "lazy_gettext",  # noqa: S603
                    "-o", str(pot), "."], check=True, capture_output=True, cwd=root)
    with pot.open("rb") as f:
        wanted = {m.id for m in read_po(f) if m.id}
    with PO.open("rb") as f:
        have = {m.id for m in read_po(f) if m.id and m.string}
    assert not wanted - have, sorted(wanted - have)[:10]


def test_pages_follow_the_users_language(world, login, make_ticket):
    from complaints.extensions import db

    t = make_ticket()
    client = login(world.sup_a)
    zh = client.get(f"/tickets/{t.ref}").text
    assert "处理记录" in zh and 'lang="zh' in zh  # DEFAULT_LOCALE zh_CN
    world.sup_a.locale = "en"
    db.session.commit()
    en = client.get(f"/tickets/{t.ref}").text
    assert "History" in en and "处理记录" not in en


def test_api_errors_are_in_the_users_language(world, api, make_ticket):
    from complaints.extensions import db

    t = make_ticket()
    body = api(world.clerk_a).post(f"/tickets/{t.ref}/events", json={"event": "triage", "version": 1}).get_json()
    assert "只有" in body["error"]
    world.clerk_a.locale = "en"
    db.session.commit()
    body = api(world.clerk_a).post(f"/tickets/{t.ref}/events", json={"event": "triage", "version": 1}).get_json()
    assert body["error"].startswith("Only")
