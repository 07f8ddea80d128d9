"""Fixtures of the gateway tests: a migrated database, settings, users, tokens, fake services on real ports."""
from __future__ import annotations

import dataclasses
import json
import queue
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable

import pytest
import requests
from argon2 import PasswordHasher
from flask import Flask, Response, request
from werkzeug.serving import make_server

# Run from the repository root, pytest names this file "gateway.tests.conftest" and first turns
# the folder gateway/ (it has no __init__.py) into a namespace package called "gateway", hiding
# the real package gateway/gateway/. Drop that stand-in so the imports below find the real one.
if getattr(sys.modules.get("gateway"), "__file__", "") is None:
    del sys.modules["gateway"]

from crm_shared.db import make_engine, make_session_factory
from crm_shared.testing import Tokens, migrate, scratch_database
from gateway import accounts, create_app
from gateway.config import GATEWAY_ROOT, GatewaySettings
from gateway.passwords import Passwords
from gateway.uow import GatewayUnitOfWork

# Cheap parameters: the tests hash many passwords; production keeps argon2's defaults.
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def wait_for(check: Callable[[], Any], timeout: float = 5.0, interval: float = 0.02, what: str = "condition"):
    """Poll `check` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


@pytest.fixture
def poll():
    return wait_for


# -- database and settings -----------------------------------------------------------------------


@pytest.fixture
def database_url(tmp_path):
    with scratch_database("gateway", tmp_path) as url:
        yield url


@pytest.fixture
def migrated(tmp_path, database_url) -> str:
    settings = GatewaySettings.from_env({"CRM_DATA_DIR": str(tmp_path), "CRM_GATEWAY_DATABASE_URL": database_url})
    migrate(settings.common, GATEWAY_ROOT)
    return database_url


@pytest.fixture
def dead_url() -> str:
    """A local address where nothing listens: connections are refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def make_settings(tmp_path, migrated, dead_url):
    """Settings for a gateway under test; every service is down unless its URL is given."""

    def make(**environ: str) -> GatewaySettings:
        env = {
            "CRM_DATA_DIR": str(tmp_path),
            "CRM_GATEWAY_DATABASE_URL": migrated,
            "CRM_LEADS_URL": dead_url,
            "CRM_SALES_URL": dead_url,
            "CRM_SERVICE_DESK_URL": dead_url,
            "CRM_REPORTING_URL": dead_url,
            "CRM_LIVE_POLL_SECONDS": "0.05",
            **environ,
        }
        return GatewaySettings.from_env(env)

    return make


@pytest.fixture
def settings(make_settings) -> GatewaySettings:
    return make_settings()


@pytest.fixture
def tokens(settings) -> Tokens:
    """Signs tokens for any identity with a key pair in the gateway's key folder (also used by logins)."""
    return Tokens(settings.common)


@pytest.fixture
def make_gateway(tokens, make_settings):
    """Build a gateway app (fast password hashing); the key pair of `tokens` is in place."""
    apps = []

    def make(changes: dict | None = None, **environ: str) -> Flask:
        app = create_app(dataclasses.replace(make_settings(**environ), **(changes or {})))
        app.extensions["crm.passwords"] = Passwords(FAST_HASHER)
        app.config["TESTING"] = True
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.extensions["crm.live"].close()
        app.extensions["crm.upstream"].close()
        app.extensions["crm.executor"].shutdown(wait=False)
        app.extensions["crm.engine"].dispose()


@pytest.fixture
def app(make_gateway) -> Flask:
    return make_gateway()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def uow_factory(settings):
    engine = make_engine(settings.common.database_url)
    session_factory = make_session_factory(engine)
    yield lambda: GatewayUnitOfWork(session_factory)
    engine.dispose()


@pytest.fixture
def add_user(uow_factory):
    """Create a user with the fast hasher: add_user("rep1", roles=["sales_rep"], password="...")."""

    def add(username: str, roles=("sales_rep",), password: str = "correct horse", **fields):
        return accounts.create_user(
            uow_factory,
            Passwords(FAST_HASHER),
            username=username,
            password=password,
            display_name=fields.pop("display_name", username.title()),
            roles=roles,
            **fields,
        )

    return add


@pytest.fixture
def bearer():
    """Headers carrying a token: bearer(token)."""
    return lambda token: {"Authorization": f"Bearer {token}"}


@pytest.fixture
def login(client):
    """Log in through the API and return the access token."""

    def log_in(username: str, password: str = "correct horse") -> str:
        response = client.post("/api/v1/auth/login", json={"username": username, "password": password})
        assert response.status_code == 200, response.get_json()
        return response.get_json()["access_token"]

    return log_in


# -- real HTTP servers ---------------------------------------------------------------------------


@pytest.fixture
def serve():
    """Run a WSGI app on a free local port in a thread; returns its base URL."""
    servers = []

    def start(wsgi_app) -> str:
        server = make_server("127.0.0.1", 0, wsgi_app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        servers.append(server)
        return f"http://127.0.0.1:{server.port}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


class FakeService:
    """A stand-in for a CRM service: records every call; answers what it was told, else echoes the call."""

    def __init__(self, name: str):
        self.name = name
        self.calls: list[dict] = []
        self.answers: dict[tuple[str, str], dict] = {}
        self.app = Flask(f"fake-{name}")
        self.app.add_url_rule(
            "/", "root", self._handle, defaults={"path": ""}, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]
        )
        self.app.add_url_rule("/<path:path>", "any", self._handle, methods=["GET", "POST", "PUT", "PATCH", "DELETE"])

    def answer(self, method: str, path: str, status: int = 200, body: Any = None, headers=None, delay: float = 0,
               raw: str | None = None, content_type: str = "application/json") -> None:
        self.answers[(method, path)] = {
            "status": status, "body": body, "headers": headers or {}, "delay": delay, "raw": raw,
            "content_type": content_type,
        }

    def _handle(self, path: str):
        call = {
            "method": request.method,
            "path": request.path,
            "query": request.query_string.decode(),
            "args": request.args.to_dict(),
            "body": request.get_data(as_text=True),
            "headers": {name: value for name, value in request.headers.items()},
        }
        self.calls.append(call)
        answer = self.answers.get((request.method, request.path))
        if answer is None:
            return Response(json.dumps({"echo": call}), status=200, mimetype="application/json")
        if answer["delay"]:
            time.sleep(answer["delay"])
        text = answer["raw"] if answer["raw"] is not None else json.dumps(answer["body"])
        return Response(text, status=answer["status"], headers=answer["headers"], content_type=answer["content_type"])


@pytest.fixture
def fake_service(serve):
    """Start a fake service: fake = fake_service("leads"); fake.url is its base URL."""

    def start(name: str) -> FakeService:
        fake = FakeService(name)
        fake.url = serve(fake.app)
        return fake

    return start


class SseReader:
    """Reads a server-sent-events stream in a thread; messages and comments arrive on a queue."""

    def __init__(self, url: str, headers: dict[str, str]):
        self.response = requests.get(url, headers={"Accept": "text/event-stream", **headers}, stream=True, timeout=(2, 30))
        self.items: queue.Queue = queue.Queue()
        if self.response.status_code == 200:
            threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        fields: dict[str, str] = {}
        try:
            for line in self.response.iter_lines(chunk_size=1, decode_unicode=True):
                if line == "":
                    if fields.get("data") is not None:
                        self.items.put(("event", dict(fields)))
                    fields = {}
                elif line.startswith(":"):
                    self.items.put(("comment", line[1:].strip()))
                else:
                    name, _, value = line.partition(":")
                    value = value[1:] if value.startswith(" ") else value
                    fields[name] = value
        except Exception:
            pass
        self.items.put(("closed", None))

    def next_item(self, timeout: float = 5.0):
        try:
            return self.items.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"nothing arrived on the stream within {timeout}s") from None

    def wait_for_comment(self, text: str, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            kind, value = self.next_item(max(deadline - time.monotonic(), 0.01))
            if kind == "comment" and value == text:
                return
            assert kind != "closed", f"the stream closed before the comment {text!r}"

    def events(self, count: int, timeout: float = 5.0) -> list[dict]:
        """The next `count` events (comments skipped), each {"id","event","data"}."""
        found = []
        deadline = time.monotonic() + timeout
        while len(found) < count:
            kind, value = self.next_item(max(deadline - time.monotonic(), 0.01))
            assert kind != "closed", f"the stream closed after {found}"
            if kind == "event":
                found.append(value)
        return found

    def close(self) -> None:
        # Shut the socket first: closing the response alone waits for the reading thread's
        # current read, which lasts until the server's next keepalive. http.client keeps the
        # socket only inside its file object.
        stream_file = getattr(getattr(self.response.raw, "_fp", None), "fp", None)
        sock = getattr(getattr(stream_file, "raw", None), "_sock", None)
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.response.close()


@pytest.fixture
def sse():
    readers = []

    def open_stream(url: str, headers: dict[str, str]) -> SseReader:
        reader = SseReader(url, headers)
        readers.append(reader)
        return reader

    yield open_stream
    for reader in readers:
        reader.close()


@pytest.fixture
def web_build(tmp_path) -> Path:
    """A stand-in for the built web app: index.html and one hashed asset."""
    folder = tmp_path / "app"
    (folder / "assets").mkdir(parents=True)
    (folder / "index.html").write_text("<!doctype html><title>CRM</title><div id=app></div>", encoding="utf-8")
    (folder / "assets" / "index-abc123.js").write_text("console.log('crm')", encoding="utf-8")
    (folder / "favicon.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>", encoding="utf-8")
    return folder
