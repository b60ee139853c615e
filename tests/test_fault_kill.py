"""kill -9 in the middle of a load: a gunicorn worker and the scheduler die, nothing is lost or doubled.

Real processes on loopback: gunicorn with two workers on the test database, the scheduler
process (`flask --app complaints scheduler`, every job each second, mail leases of two
seconds), a real SMTP server, and eight client threads logging tickets through the API.
Mid-load one worker is killed with SIGKILL, and the scheduler is killed while it is in the
middle of sending an email; a new scheduler is started. Afterwards every ticket whose
creation was answered 201 exists exactly once, and every reminder email was received
exactly once. Bounded: the load runs for a few seconds, every wait has a time limit.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from complaints.extensions import db
from complaints.models import OutboxMessage, Reminder, Ticket
from tests.conftest import StallingHandler, complaint_body, free_port, log_overdue

pytest.importorskip("gunicorn")
OVERDUE = 10  # tickets whose reminders are all due when the scheduler starts
CLIENTS = 8
LOAD_SECONDS = 6.0
RETRIES = 5  # a request left unanswered by the kill is sent again with its Idempotency-Key


def _children(pid: int) -> list[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return [int(p) for p in text.split()]


def _wait(predicate, seconds: float, what: str) -> None:  # noqa: ANN001
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what} after {seconds:.0f} s")
        time.sleep(0.1)


def _get(port: int, path: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", path)
        return conn.getresponse().status
    except (OSError, http.client.HTTPException):
        return 0
    finally:
        conn.close()  # also when the server is still starting: no socket left for the GC to warn about


@pytest.fixture
def overdue(world) -> list[str]:
    return log_overdue(world, OVERDUE)


def test_killing_a_worker_and_the_scheduler_mid_load_loses_and_doubles_nothing(
        app, database_url, world, overdue, token_for, tmp_path):
    from aiosmtpd.controller import Controller

    headers = {**token_for(world.clerk_a), "Content-Type": "application/json"}
    db.session.remove()
    smtp = StallingHandler()
    smtp_port = free_port()
    controller = Controller(smtp, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "COMPLAINTS_ENV": "development",
           "INSTANCE_PATH": str(tmp_path), "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp_port),
           "SMTP_STARTTLS": "0", "SMTP_USER": "", "DIGEST_HOUR": "0", "SCHEDULER_EVERY": "1",
           "MAIL_LEASE_SECONDS": "2", "RATELIMIT_STORAGE_URI": "memory://"}
    logs = tmp_path / "logs"
    logs.mkdir()
    procs: list[subprocess.Popen] = []
    files = []

    def start(name: str, args: list[str]) -> subprocess.Popen:
        out = (logs / f"{name}.log").open("w")
        files.append(out)
        p = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT)  # noqa: S603
        procs.append(p)
        return p

    scheduler_cmd = [sys.executable, "-m", "flask", "--app", "complaints", "scheduler"]
    results: list[tuple[int, str, str | None]] = []  # (status, marker, ref) of every attempt
    retried: dict[str, tuple[int, str | None]] = {}  # marker -> the answer to its retry
    try:
        master = start("gunicorn", [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}",
                                    "--timeout", "30", "complaints:create_app()"])
        _wait(lambda: _get(port, "/healthz") == 200, 60, "gunicorn to answer /healthz")
        _wait(lambda: len(_children(master.pid)) == 2, 30, "two gunicorn workers")
        first_scheduler = start("scheduler-1", scheduler_cmd)

        stop = threading.Event()
        lock = threading.Lock()

        def post(body: str, marker: str) -> tuple[int, str | None]:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            try:
                conn.request("POST", "/api/v1/tickets", body=body, headers={**headers, "Idempotency-Key": marker})
                resp = conn.getresponse()
                status, payload = resp.status, resp.read()
            except (OSError, http.client.HTTPException):
                return 0, None  # the worker died under this request: no answer
            finally:
                conn.close()
            return status, json.loads(payload)["ref"] if status in (200, 201) else None

        def client(n: int) -> None:
            i = 0
            while not stop.is_set():
                i += 1
                marker = f"load-{n}-{i}"
                body = json.dumps(complaint_body(description=f"营业员态度生硬 {marker}"))
                status, ref = post(body, marker)
                with lock:
                    results.append((status, marker, ref))
                for _attempt in range(RETRIES):  # unanswered: the same request again, with the same key
                    if status != 0:
                        break
                    time.sleep(0.2)
                    status, ref = post(body, marker)
                    with lock:
                        results.append((status, marker, ref))
                        if status:
                            retried[marker] = (status, ref)

        threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(CLIENTS)]
        started = time.monotonic()
        for t in threads:
            t.start()
        time.sleep(LOAD_SECONDS / 3)  # the load is under way (not a deadline)
        victim = _children(master.pid)[0]
        os.kill(victim, signal.SIGKILL)
        assert smtp.data_started.wait(60), "the scheduler never reached DATA"
        os.kill(first_scheduler.pid, signal.SIGKILL)
        first_scheduler.wait(10)
        smtp.released.set()
        start("scheduler-2", scheduler_cmd)
        time.sleep(max(0.0, LOAD_SECONDS - (time.monotonic() - started)))
        stop.set()
        for t in threads:
            t.join(60)
        assert first_scheduler.returncode == -signal.SIGKILL
        _wait(lambda: victim not in _children(master.pid) and len(_children(master.pid)) == 2, 30,
              "gunicorn to replace the killed worker")

        def all_mail_sent() -> bool:
            db.session.remove()
            pending = db.session.scalar(select(func.count()).select_from(OutboxMessage)
                                        .where(OutboxMessage.status != "sent"))
            total = db.session.scalar(select(func.count()).select_from(OutboxMessage))
            return total == 2 * OVERDUE + 2 and pending == 0

        _wait(all_mail_sent, 90, "the new scheduler to send every email")
        _wait(lambda: len(smtp.messages) >= 2 * OVERDUE + 2, 30, "the SMTP server to receive them")
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
        controller.stop()
        for f in files:
            f.close()

    db.session.remove()
    created = [(marker, ref) for status, marker, ref in results if status in (200, 201)]
    answers = Counter(status for status, _m, _r in results)
    assert len(created) > 20, answers
    cut = {marker for status, marker, _r in results if status == 0}
    assert cut <= set(retried), answers  # each request the kill cut off was sent again, and answered
    # Every answered ticket exists, once; nothing exists twice: a request cut off by the kill may have
    # landed, and its retry (the same key) got that ticket back instead of logging another.
    rows = db.session.execute(select(Ticket.ref, Ticket.description).where(Ticket.description.like("%load-%"))).all()
    markers = Counter(desc.rsplit(" ", 1)[1] for _ref, desc in rows)
    assert max(markers.values()) == 1
    by_ref = {ref: desc.rsplit(" ", 1)[1] for ref, desc in rows}
    assert all(by_ref.get(ref) == marker for marker, ref in created)
    answered = {marker for _s, marker, _r in results if _s}
    assert answered == {marker for _s, marker, _r in results}  # every request was answered in the end
    assert set(markers) == answered  # and exactly the answered ones exist
    assert set(answers) <= {201, 200, 0}, answers  # a dead worker drops a connection; nothing answers 5xx
    # Every reminder decided once, every email received once.
    assert db.session.scalar(select(func.count()).select_from(Reminder)) == OVERDUE * 3
    keys = set(db.session.scalars(select(OutboxMessage.key)))
    received = Counter(m.msg["X-Complaints-Key"] for m in smtp.messages)
    assert set(received) == keys and max(received.values()) == 1, received.most_common(3)

