"""Chinese and English: the catalogue is complete, placeholders match, and the locale follows the user."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.pofile import read_po

PO = Path(__file__).resolve().parents[1] / "complaints" / "translations" / "zh" / "LC_MESSAGES" / "messages.po"


def _strings(m) -> tuple[str, ...]:  # noqa: ANN001 - a babel Message
    return m.string if isinstance(m.string, tuple) else (m.string,)


def test_every_message_is_translated_with_the_same_placeholders():
    with PO.open("rb") as f:
        catalog = read_po(f)
    untranslated, broken = [], []
    for m in catalog:
        if not m.id:
            continue
        # A plural entry (ngettext) has a tuple of ids and, in Chinese, one form.
        ids, strings = (m.id if isinstance(m.id, tuple) else (m.id,)), _strings(m)
        if not all(strings) or m.fuzzy:
            untranslated.append(ids[0])
        elif any(sorted(re.findall(r"%\(\w+\)", ids[-1])) != sorted(re.findall(r"%\(\w+\)", s_))
                 for s_ in strings):
            broken.append(ids[0])
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
        wanted = {str(m.id) for m in read_po(f) if m.id}
    with PO.open("rb") as f:
        have = {str(m.id) for m in read_po(f) if m.id and all(_strings(m))}
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
              "SHA-256", "UTF-8", "API", "SLA", "URL", "HTTPS", "TLS", "ASCII", "24x7", "zh_CN", "en", "true",
              "false", "multipart", "file", "YYYY-MM-DD", "4xx", "5xx", "MiB",
              "office", "month", "items",  # the volumes CSV's header, typed as is
              "code", "name", "parent_code",  # and the regions CSV's,
              "SH"}  # with a top region's code in its example
# SH-0101, C-2026-000123, EA123456785CN, and setting names (SMTP_HOST)
CODE = re.compile(r"^(?:[A-Z0-9]+(?:-[A-Z0-9]+)+|[A-Z]{2}\d{9}[A-Z]{2}|[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)$")


def _latin_words(text: str) -> list[str]:
    text = re.sub(r"%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[sdifr]", " ", text)
    return [w for w in re.findall(r"[A-Za-z0-9][A-Za-z0-9_.\-]*", text) if re.search("[A-Za-z]", w)]


def test_chinese_messages_hold_no_english_words():
    with PO.open("rb") as f:
        catalog = read_po(f)
    english = {}
    for m in catalog:
        if not m.id or not all(_strings(m)):
            continue
        strays = [w for s_ in _strings(m) for w in _latin_words(s_) if w not in KEPT_AS_IS and not CODE.match(w)]
        if strays:
            english[str(m.id)] = strays
    assert not english, english


def test_the_english_word_check_can_fail():
    assert _latin_words("第 %(n)d 行: bad line 不是日期") == ["bad", "line"]
    assert _latin_words("最多 %(mb)s MB，例如 SH-0101") == ["MB", "SH-0101"]
    assert CODE.match("C-2026-000123") and CODE.match("EA123456785CN") and not CODE.match("Error")
