"""`flask --app complaints backup` and `restore`: every row comes back, on either backend, and the
restored application carries on (new tickets get new references and ids)."""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import random
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text

from complaints import create_app
from complaints.extensions import db
from complaints.files.storage import LocalStorage
from tests.conftest import PASSWORD, _migrate, _pg_url, _reset_pg_schema, complaint_body


def _snapshot(url: str) -> dict[str, list[tuple]]:
    """Every row of every table, as the application reads them, in primary-key order."""
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url})
    out = {}
    with app.app_context():
        for table in db.metadata.sorted_tables:
            order = list(table.primary_key.columns) or list(table.columns)
            out[table.name] = [tuple(r) for r in db.session.execute(select(table).order_by(*order))]
        db.session.remove()
        db.engine.dispose()
    return out


@pytest.fixture
def filled(app, world, api, make_ticket):
    """A database with tickets in several states, history, SLA clocks, outbox mail and search terms."""
    clerk = api(world.clerk_a)
    for i in range(3):
        assert clerk.post("/tickets", json=complaint_body(description=f"第{i}次：营业员态度生硬")).status_code == 201
    from datetime import UTC, datetime

    from complaints.tickets.operations import fire_event

    now = datetime.now(UTC)
    t = make_ticket(kind="error")
    fire_event(t, world.sup_a, "triage", {"severity": "low", "category": "counter", "assignee": world.sup_a.email},
               version=t.version, now=now)
    fire_event(t, world.sup_a, "resolve", {"outcome": "已处理，感谢您的反馈。",
                                           "resolution": "已处理", "finding": "substantiated", "root_cause": "skill",
                                           "attributed_clerk": world.clerk_a.email}, version=t.version, now=now)
    make_ticket(actor=world.clerk_b, office="SH-0102")
    db.session.commit()
    return app


@pytest.fixture(params=["sqlite", "postgresql"])
def target_url(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        _migrate(url)
        yield url
        return
    if not _pg_url():
        pytest.skip("TEST_DATABASE_URL not set")
    base = _pg_url()
    name = base.rsplit("/", 1)[1] + "_restore"  # beside this run's database, as its own

    def admin(sql: str) -> None:
        engine = create_engine(base, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(sql))
        engine.dispose()

    admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    admin(f"CREATE DATABASE {name}")
    url = base.rsplit("/", 1)[0] + "/" + name
    _reset_pg_schema(url)
    _migrate(url)
    yield url
    admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")  # no scratch database left behind


def test_backup_then_restore_gives_back_every_row(filled, database_url, target_url, tmp_path):
    out = tmp_path / "b.jsonl.gz"
    result = filled.test_cli_runner().invoke(args=["backup", str(out)])
    assert result.exit_code == 0, result.output
    assert "backup written" in result.output and out.exists()
    before = _snapshot(database_url)
    assert len(before["tickets"]) == 5 and before["search_terms"] and before["ticket_events"] and before["deadlines"]

    target = create_app("testing", {"SQLALCHEMY_DATABASE_URI": target_url,
                                    "ATTACHMENTS_DIR": str(tmp_path / "restored-files")})
    with target.app_context():
        result = target.test_cli_runner().invoke(args=["restore", str(out)])
        assert result.exit_code == 0, result.output
        db.engine.dispose()
    assert _snapshot(target_url) == before

    # The restored database carries on: sign in, log a ticket, get the next reference and id.
    with target.app_context():
        client = target.test_client()
        assert client.post("/login", data={"email": "clerk.a@example.com", "password": PASSWORD}).status_code == 302
        from complaints.auth.tokens import issue_token
        from complaints.models import Ticket, User

        clerk = db.session.scalar(select(User).where(User.email == "clerk.a@example.com"))
        from datetime import UTC, datetime

        token = issue_token(clerk, datetime.now(UTC))
        db.session.commit()
        resp = client.post("/api/v1/tickets", json=complaint_body(), headers={"Authorization": f"Bearer {token}"})
        assert resp.status_code == 201, resp.get_json()
        new = db.session.scalar(select(Ticket).where(Ticket.ref == resp.get_json()["ref"]))
        assert new.id == max(t[0] for t in before["tickets"]) + 1
        assert resp.get_json()["ref"] not in {row[1] for row in before["tickets"]}
        db.session.remove()
        db.engine.dispose()


def test_restore_refuses_a_non_empty_database_a_truncated_file_and_junk(filled, tmp_path):
    out = tmp_path / "b.jsonl.gz"
    runner = filled.test_cli_runner()
    assert runner.invoke(args=["backup", str(out)]).exit_code == 0
    result = runner.invoke(args=["restore", str(out)])  # into the database it came from
    assert result.exit_code != 0 and "not empty" in result.output

    lines = gzip.open(out, "rt", encoding="utf-8").read().splitlines()
    cut = tmp_path / "cut.jsonl.gz"
    with gzip.open(cut, "wt", encoding="utf-8") as f:
        f.write("\n".join(lines[:-3]) + "\n")
    junk = tmp_path / "junk.jsonl.gz"
    junk.write_bytes(b"not a backup at all")
    empty_url = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    _migrate(empty_url)
    target = create_app("testing", {"SQLALCHEMY_DATABASE_URI": empty_url,
                                    "ATTACHMENTS_DIR": str(tmp_path / "restored-files")})
    with target.app_context():
        r = target.test_cli_runner()
        result = r.invoke(args=["restore", str(cut)])
        assert result.exit_code != 0 and "incomplete" in result.output
        result = r.invoke(args=["restore", str(junk)])
        assert result.exit_code != 0 and "not a readable backup" in result.output
        db.engine.dispose()
    assert all(not rows for rows in _snapshot(empty_url).values())  # nothing half restored


# Attachments: the files travel in the same file as the rows.

def _noise_png(side: int = 300) -> io.BytesIO:
    """A PNG that does not compress: several base64 chunks in the backup, so a cut can fall inside one."""
    from PIL import Image

    rng = random.Random(7)
    im = Image.frombytes("RGB", (side, side), bytes(rng.getrandbits(8) for _ in range(side * side * 3)))
    buf = io.BytesIO()
    im.save(buf, "PNG")
    buf.seek(0)
    return buf


@pytest.fixture
def with_photo(app, world, make_ticket):
    """A ticket with one photo attached (the stored file and its thumbnail); returns the attachment's values."""
    from complaints.files.operations import attach

    ticket = make_ticket()
    att = attach(ticket, world.clerk_a, _noise_png(), "photo.png", now=datetime.now(UTC))
    db.session.commit()
    return {"id": att.id, "key": att.storage_key, "thumb": att.thumbnail_key, "sha256": att.sha256, "size": att.size}


def _fresh_target(tmp_path: Path, name: str):
    url = f"sqlite:///{tmp_path / f'{name}.sqlite3'}"
    _migrate(url)
    files = tmp_path / f"{name}-files"
    return url, files, create_app("testing", {"SQLALCHEMY_DATABASE_URI": url, "ATTACHMENTS_DIR": str(files)})


def test_backup_and_restore_carry_the_attachment_files(app, with_photo, tmp_path):
    out = tmp_path / "b.jsonl.gz"
    result = app.test_cli_runner().invoke(args=["backup", str(out)])
    assert result.exit_code == 0, result.output
    assert "2 attachment files" in result.output  # the photo and its thumbnail
    source = LocalStorage(Path(app.config["ATTACHMENTS_DIR"]))
    thumb_bytes = b"".join(source.iter_chunks(with_photo["thumb"]))

    url, files, target = _fresh_target(tmp_path, "restored")
    with target.app_context():
        result = target.test_cli_runner().invoke(args=["restore", str(out)])
        assert result.exit_code == 0, result.output
        assert "2 attachment files" in result.output
        from complaints.models import Attachment

        att = db.session.get(Attachment, with_photo["id"])
        assert (att.storage_key, att.sha256, att.size) == (with_photo["key"], with_photo["sha256"], with_photo["size"])
        db.session.remove()
        db.engine.dispose()
    restored = LocalStorage(files)
    data = b"".join(restored.iter_chunks(with_photo["key"]))
    assert len(data) == with_photo["size"] and hashlib.sha256(data).hexdigest() == with_photo["sha256"]
    assert b"".join(restored.iter_chunks(with_photo["thumb"])) == thumb_bytes
    assert sorted(restored.keys()) == sorted([with_photo["key"], with_photo["thumb"]])

    # A second restore into the same storage (with a new, empty database) is refused: the files are there.
    url2, _, again = _fresh_target(tmp_path, "again")
    again.config["ATTACHMENTS_DIR"] = str(files)
    with again.app_context():
        result = again.test_cli_runner().invoke(args=["restore", str(out)])
        assert result.exit_code != 0 and "storage is not empty" in result.output
        db.engine.dispose()
    assert all(not rows for rows in _snapshot(url2).values())


def test_a_backup_cut_inside_file_data_is_refused_and_leaves_the_storage_empty(app, with_photo, tmp_path):
    out = tmp_path / "b.jsonl.gz"
    assert app.test_cli_runner().invoke(args=["backup", str(out)]).exit_code == 0
    lines = gzip.open(out, "rt", encoding="utf-8").read().splitlines()
    # Cut in the middle of the data of the last file: any file already put must be taken out again.
    starts = [i for i, line in enumerate(lines) if line.startswith('{"file": ')]
    ends = [i for i, line in enumerate(lines) if line.startswith('{"file_end": ')]
    assert len(starts) == 2 and len(ends) == 2
    last_start, last_end = starts[-1], ends[-1]
    if last_end - last_start < 3:  # the thumbnail fits one chunk: cut inside the photo instead
        last_start, last_end = starts[0], ends[0]
    assert last_end - last_start >= 3, "the photo should span several chunks"
    middle = (last_start + last_end) // 2
    half_line = lines[middle][: len(lines[middle]) // 2]  # and mid-line: the gzip stream ends mid-chunk
    cut = tmp_path / "cut.jsonl.gz"
    with gzip.open(cut, "wt", encoding="utf-8") as f:
        f.write("\n".join(lines[:middle]) + "\n")
    cut_mid_line = tmp_path / "cut2.jsonl.gz"
    with gzip.open(cut_mid_line, "wt", encoding="utf-8") as f:
        f.write("\n".join([*lines[:middle], half_line]))
    raw_cut = tmp_path / "cut3.jsonl.gz"  # the compressed file itself cut short (a copy that stopped)
    raw = out.read_bytes()
    raw_cut.write_bytes(raw[: len(raw) * 3 // 4])

    url, files, target = _fresh_target(tmp_path, "target")
    with target.app_context():
        r = target.test_cli_runner()
        for broken in (cut, cut_mid_line, raw_cut):
            result = r.invoke(args=["restore", str(broken)])
            assert result.exit_code != 0, (broken, result.output)
            assert "incomplete" in result.output or "not a readable backup" in result.output, result.output
            assert list(LocalStorage(files).keys()) == [], broken
        db.engine.dispose()
    assert all(not rows for rows in _snapshot(url).values())


def test_a_damaged_file_in_the_backup_is_refused(app, with_photo, tmp_path):
    out = tmp_path / "b.jsonl.gz"
    assert app.test_cli_runner().invoke(args=["backup", str(out)]).exit_code == 0
    lines = gzip.open(out, "rt", encoding="utf-8").read().splitlines()
    first_chunk = next(i for i, line in enumerate(lines) if line.startswith('{"file": ')) + 1
    data = bytearray(base64.b64decode(json.loads(lines[first_chunk])))
    data[10] ^= 0xFF
    lines[first_chunk] = json.dumps(base64.b64encode(bytes(data)).decode())
    bad = tmp_path / "bad.jsonl.gz"
    with gzip.open(bad, "wt", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    url, files, target = _fresh_target(tmp_path, "target")
    with target.app_context():
        result = target.test_cli_runner().invoke(args=["restore", str(bad)])
        assert result.exit_code != 0 and "checksum" in result.output
        db.engine.dispose()
    assert list(LocalStorage(files).keys()) == []
    assert all(not rows for rows in _snapshot(url).values())


def test_a_version_1_backup_still_restores(filled, tmp_path):
    out = tmp_path / "b.jsonl.gz"
    assert filled.test_cli_runner().invoke(args=["backup", str(out)]).exit_code == 0
    lines = [json.loads(line) for line in gzip.open(out, "rt", encoding="utf-8")]
    lines[0]["version"] = 1
    del lines[0]["files"]
    del lines[-1]["files"]
    v1 = tmp_path / "v1.jsonl.gz"
    with gzip.open(v1, "wt", encoding="utf-8") as f:
        f.writelines(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)
    url, files, target = _fresh_target(tmp_path, "target")
    with target.app_context():
        result = target.test_cli_runner().invoke(args=["restore", str(v1)])
        assert result.exit_code == 0, result.output
        db.engine.dispose()
    assert len(_snapshot(url)["tickets"]) == 5


def test_with_s3_storage_the_backup_names_the_bucket_and_copies_nothing(app, world, tmp_path, monkeypatch):
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(name, value)
    # A closed port: the backup must not talk to the bucket at all.
    app.config.update(STORAGE_URL="s3://evidence-bucket/complaints", S3_ENDPOINT_URL="http://127.0.0.1:9")
    out = tmp_path / "b.jsonl.gz"
    result = app.test_cli_runner().invoke(args=["backup", str(out)])
    assert result.exit_code == 0, result.output
    assert "attachments are in S3 bucket s3://evidence-bucket/complaints" in result.output
    assert "versioning/replication" in result.output
    lines = [json.loads(line) for line in gzip.open(out, "rt", encoding="utf-8")]
    assert lines[0]["files"] == "not copied"
    assert {"files": "not copied", "storage": "s3://evidence-bucket/complaints"} in lines
    assert not any(isinstance(line, dict) and "file" in line for line in lines)


# Writing the file: never over an existing one by accident, never readable by other users.


def test_backup_refuses_to_overwrite_a_file_without_force(filled, tmp_path):
    out = tmp_path / "b.jsonl.gz"
    runner = filled.test_cli_runner()
    assert runner.invoke(args=["backup", str(out)]).exit_code == 0
    first = out.read_bytes()
    result = runner.invoke(args=["backup", str(out)])
    assert result.exit_code != 0 and "already exists" in result.output and "--force" in result.output
    assert out.read_bytes() == first and not list(tmp_path.glob("*.part"))
    other = tmp_path / "notes.txt"
    other.write_text("not a backup")
    assert runner.invoke(args=["backup", str(other)]).exit_code != 0
    assert other.read_text() == "not a backup"
    result = runner.invoke(args=["backup", "--force", str(out)])
    assert result.exit_code == 0, result.output
    assert "backup written" in result.output and out.read_bytes() != first


def test_a_backup_file_is_readable_by_its_owner_only(filled, tmp_path):
    import os
    import stat

    out, old = tmp_path / "b.jsonl.gz", os.umask(0)  # even with a permissive umask
    try:
        runner = filled.test_cli_runner()
        assert runner.invoke(args=["backup", str(out)]).exit_code == 0
        assert stat.S_IMODE(out.stat().st_mode) == 0o600
        out.chmod(0o644)  # an older backup, world-readable: replaced, it is private
        assert runner.invoke(args=["backup", "--force", str(out)]).exit_code == 0
        assert stat.S_IMODE(out.stat().st_mode) == 0o600
        (tmp_path / "instance").mkdir()
        filled.instance_path = str(tmp_path / "instance")
        result = runner.invoke(args=["backup"])  # the default folder is private too
        assert result.exit_code == 0, result.output
        folder = tmp_path / "instance" / "backups"
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        assert [stat.S_IMODE(p.stat().st_mode) for p in folder.iterdir()] == [0o600]
    finally:
        os.umask(old)


def test_a_backup_of_an_empty_database_never_replaces_one_with_rows(filled, tmp_path):
    out = tmp_path / "b.jsonl.gz"
    assert filled.test_cli_runner().invoke(args=["backup", str(out)]).exit_code == 0
    good = out.read_bytes()
    empty_url = f"sqlite:///{tmp_path / 'empty.sqlite3'}"  # the wrong environment: a new, empty database
    _migrate(empty_url)
    wrong = create_app("testing", {"SQLALCHEMY_DATABASE_URI": empty_url,
                                   "ATTACHMENTS_DIR": str(tmp_path / "other-files")})
    with wrong.app_context():
        runner = wrong.test_cli_runner()
        result = runner.invoke(args=["backup", "--force", str(out)])
        assert result.exit_code != 0 and "empty" in result.output, result.output
        assert out.read_bytes() == good and not list(tmp_path.glob("*.part"))
        junk = tmp_path / "junk.bin"  # a file that is not a readable backup may hold something too
        junk.write_bytes(b"\x00precious")
        assert runner.invoke(args=["backup", "--force", str(junk)]).exit_code != 0
        assert junk.read_bytes() == b"\x00precious"
        # An empty database may still be backed up: to a new file, or over a backup of an empty one.
        fresh = tmp_path / "fresh.jsonl.gz"
        assert runner.invoke(args=["backup", str(fresh)]).exit_code == 0
        result = runner.invoke(args=["backup", "--force", str(fresh)])
        assert result.exit_code == 0, result.output
        db.engine.dispose()
