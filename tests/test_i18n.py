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


# Words a Chinese message may keep in Latin letters: file formats and product names, codes, and the
# literal values an API client types. Anything else is English left inside Chinese.
KEPT_AS_IS = {"EMS", "SMS", "JPEG", "PNG", "WebP", "HEIC", "PDF", "CSV", "XLSX", "JSON", "ISO", "MB", "KB", "NUL",
              "SHA-256", "UTF-8", "API", "SLA", "URL", "HTTPS", "24x7", "zh_CN", "en", "true", "false", "multipart",
              "file", "YYYY-MM-DD"}
CODE = re.compile(r"^(?:[A-Z0-9]+(?:-[A-Z0-9]+)+|[A-Z]{2}\d{9}[A-Z]{2})$")  # SH-0101, C-2026-000123, EA123456785CN


def _latin_words(text: str) -> list[str]:
    text = re.sub(r"%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[sdifr]", " ", text)
    return [w for w in re.findall(r"[A-Za-z0-9][A-Za-z0-9_.\-]*", text) if re.search("[A-Za-z]", w)]


def test_chinese_messages_hold_no_english_words():
    with PO.open("rb") as f:
        catalog = read_po(f)
    english = {}
    for m in catalog:
        if not m.id or not m.string:
            continue
        strays = [w for w in _latin_words(m.string) if w not in KEPT_AS_IS and not CODE.match(w)]
        if strays:
            english[m.id] = strays
    assert not english, english


def test_the_english_word_check_can_fail():
    assert _latin_words("第 %(n)d 行: bad line 不是日期") == ["bad", "line"]
    assert _latin_words("最多 %(mb)s MB，例如 SH-0101") == ["MB", "SH-0101"]
    assert CODE.match("C-2026-000123") and CODE.match("EA123456785CN") and not CODE.match("Error")
