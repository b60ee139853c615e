"""When the database is away, requests get 503 with a message (no trace), and the app recovers by itself."""

from __future__ import annotations

import socket
import threading

import pytest

from complaints import create_app
from complaints.extensions import db
from tests.conftest import free_port


class Gate:
    """A TCP proxy to PostgreSQL that can be shut (connections refused) and opened again."""

    def __init__(self, target_port: int) -> None:
        self.port, self.target = free_port(), target_port
        self.open = True
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", self.port))
        self.sock.listen(16)
        self.conns: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            if not self.open:
                client.close()
                continue
            upstream = socket.create_connection(("127.0.0.1", self.target))
            self.conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(a: socket.socket, b: socket.socket) -> None:
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass
        finally:
            for s in (a, b):
                try:
                    s.close()
                except OSError:
                    pass

    def shut(self) -> None:
        self.open = False
        for c in self.conns:  # drop what is connected, as a restarting server does
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.conns.clear()

    def close(self) -> None:
        self.sock.close()


def test_health_answers(client):
    assert client.get("/healthz").get_json() == {"status": "ok", "database": "up", "ratelimit_store": "up"}


@pytest.mark.postgres
def test_database_gone_gives_503_then_recovers(database_url, world, token_for):
    if not database_url.startswith("postgresql"):
        pytest.skip("a TCP gate in front of PostgreSQL; SQLite is a file")
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    gate = Gate(url.port or 5432)
    try:
        app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url.set(port=gate.port).render_as_string(False)})
        headers = token_for(world.sup_a)
        client = app.test_client()
        assert client.get("/api/v1/tickets", headers=headers).status_code == 200
        web = app.test_client()
        assert web.post("/login", data={"email": world.sup_a.email, "password": "correct-horse-1"}).status_code == 302
        gate.shut()
        page = web.get("/tickets")
        assert page.status_code == 503 and 'role="alert"' in page.get_data(as_text=True)
        assert page.headers["Retry-After"] == "5"
        for path in ("/api/v1/tickets", "/healthz", "/login"):
            resp = client.get(path, headers=headers if "api" in path else {})
            if path == "/login":
                assert resp.status_code == 200  # needs no database
                continue
            assert resp.status_code == 503, (path, resp.status_code)
        api = client.get("/api/v1/tickets", headers=headers)
        assert "数据库" in api.get_json()["error"] and "Traceback" not in api.get_data(as_text=True)
        gate.open = True  # the database is back: no restart needed
        assert client.get("/api/v1/tickets", headers=headers).status_code == 200
        assert client.get("/healthz").status_code == 200
        with app.app_context():
            db.engine.dispose()
    finally:
        gate.close()
