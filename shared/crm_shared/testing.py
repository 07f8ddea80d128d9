"""Test support for every service: backends from the environment, databases per test, tokens, contracts.

Backends: the URLs in CRM_TEST_DATABASE_URL / CRM_TEST_AMQP_URL when set; else testcontainers when a
Docker daemon answers; else the embedded backends (SQLite, the file bus). With
CRM_TEST_REQUIRE_REAL=1 a missing real backend is a failure, never a quiet fallback.
"""
from __future__ import annotations

import contextlib
import functools
import json
import os
import threading
import time
import uuid
from pathlib import Path
from typing import Hashable, Iterable, Iterator, Mapping

from alembic import command
from kombu import Connection
from sqlalchemy import create_engine, pool
from sqlalchemy.engine import make_url

from crm_shared.auth import Identity, TokenIssuer, generate_key_pair
from crm_shared.envelope import Envelope
from crm_shared.migrations import alembic_config
from crm_shared.settings import Settings, env_name

REPO_ROOT = Path(__file__).resolve().parents[2]
CONTRACTS = REPO_ROOT / "contracts" / "events"


class MissingRealBackend(RuntimeError):
    """CRM_TEST_REQUIRE_REAL=1 and a real PostgreSQL or RabbitMQ could not be found."""


def real_backends_required() -> bool:
    return os.environ.get("CRM_TEST_REQUIRE_REAL", "0") == "1"


@functools.cache
def docker_answers() -> bool:
    """Probe the Docker daemon once; without one testcontainers would fail anyway."""
    try:
        import docker

        docker.from_env(timeout=2).ping()
        return True
    except Exception:
        return False


_containers: dict[str, object] = {}


def postgres_server_url() -> str | None:
    """A PostgreSQL server URL (any database on it) or None for SQLite."""
    url = os.environ.get("CRM_TEST_DATABASE_URL")
    if url:
        return url
    if docker_answers():
        from testcontainers.postgres import PostgresContainer

        containers = _containers
        if "postgres" not in containers:
            container = PostgresContainer("postgres:15", driver="psycopg")
            container.start()
            containers["postgres"] = container
        return containers["postgres"].get_connection_url()
    if real_backends_required():
        raise MissingRealBackend("CRM_TEST_REQUIRE_REAL=1 but CRM_TEST_DATABASE_URL is not set and Docker does not answer")
    return None


def amqp_server_url() -> str | None:
    """A RabbitMQ URL or None for the embedded bus."""
    url = os.environ.get("CRM_TEST_AMQP_URL")
    if url:
        return url
    if docker_answers():
        from testcontainers.rabbitmq import RabbitMqContainer

        containers = _containers
        if "rabbitmq" not in containers:
            container = RabbitMqContainer("rabbitmq:3.13")
            container.start()
            containers["rabbitmq"] = container
        container = containers["rabbitmq"]
        host, port = container.get_container_host_ip(), container.get_exposed_port(5672)
        return f"amqp://guest:guest@{host}:{port}//"
    if real_backends_required():
        raise MissingRealBackend("CRM_TEST_REQUIRE_REAL=1 but CRM_TEST_AMQP_URL is not set and Docker does not answer")
    return None


def unique_name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


@contextlib.contextmanager
def scratch_database(service: str, folder: Path, backend: str = "auto") -> Iterator[str]:
    """A fresh, empty database for one test: PostgreSQL when available (or asked), else SQLite."""
    server = postgres_server_url() if backend in {"auto", "postgresql"} else None
    if backend == "postgresql" and server is None:
        raise MissingRealBackend("a PostgreSQL test needs CRM_TEST_DATABASE_URL (or Docker)")
    if server is None:
        yield f"sqlite:///{folder / (service.replace('-', '_') + '.db')}"
        return
    name = unique_name(f"crm_test_{service.replace('-', '_')}")
    admin_url = make_url(server).set(database="postgres")
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=pool.NullPool)
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def service_settings(service: str, data_dir: Path, database_url: str, **environ: str) -> Settings:
    """Settings for a service under test, isolated in `data_dir` (keys, embedded bus)."""
    env = {"CRM_DATA_DIR": str(data_dir), f"{env_name(service)}_DATABASE_URL": database_url, **environ}
    return Settings.from_env(service, environ=env)


def migrate(settings: Settings, service_root: Path) -> None:
    """Bring a test database to head (no bus declaration)."""
    command.upgrade(alembic_config(service_root, settings.database_url), "heads")


class Tokens:
    """Signs real tokens for tests with a key pair of their own."""

    def __init__(self, settings: Settings):
        generate_key_pair(settings.jwt_key_dir)
        self.issuer = TokenIssuer(settings.jwt_key_dir, settings.jwt_issuer, settings.jwt_audience)

    def token(self, user_id: str, roles: Iterable[str], username: str | None = None, teams: Iterable[str] = ()) -> str:
        identity = Identity(user_id, username or user_id, frozenset(roles), frozenset(teams))
        return self.issuer.issue(identity)

    def headers(self, user_id: str, roles: Iterable[str], username: str | None = None, teams: Iterable[str] = ()) -> dict:
        return {"Authorization": f"Bearer {self.token(user_id, roles, username, teams)}"}


def contract(name: str) -> Envelope:
    """The example envelope of an event from contracts/events/, as producers and consumers agree on it."""
    return Envelope.from_dict(json.loads((CONTRACTS / f"{name}.json").read_text(encoding="utf-8")))


def contract_with(name: str, /, **payload_changes) -> Envelope:
    """The contract example with a fresh id and some payload fields changed."""
    example = contract(name)
    data = example.to_dict()
    data["id"] = str(uuid.uuid4())
    data["payload"] = {**data["payload"], **payload_changes}
    return Envelope.from_dict(data)


def poll(fetch, until, timeout: float = 20.0, what: str = "the expected answer"):
    """fetch() until until(answer) holds, and that answer: for what an event makes happen in another service."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = fetch()
        if until(last):
            return last
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}; last answer: {last!r}")


def drain(connection: Connection, queue, expected: int, timeout: float = 20.0) -> list:
    """Take raw messages from `queue` (a kombu Queue) until `expected` arrived or `timeout` passed.

    Messages are not decoded, so a test can see exactly the bytes that were published.
    """
    received = []
    deadline = time.monotonic() + timeout
    bound = queue(connection.default_channel)
    bound.declare()
    while len(received) < expected and time.monotonic() < deadline:
        message = bound.get(no_ack=True)
        if message is None:
            time.sleep(0.01)
            continue
        received.append(message)
    return received


def all_at_once(app, requests: list[tuple[str, dict | None, dict]]) -> list[tuple[int, dict | None]]:
    """POST each (path, json, headers) from its own thread, released together; the (status, body) answers
    in the order they came back. For race tests: the requests reach the service at the same moment."""
    named = {index: ("POST", *request) for index, request in enumerate(requests)}
    return list(each_at_once(app, named).values())


def each_at_once(app, requests: Mapping[Hashable, tuple[str, str, dict | None, dict]]) -> dict:
    """Send each named (method, path, json, headers) from its own thread, released together by one barrier;
    {name: (status, body)}, in the order the answers came back."""
    barrier = threading.Barrier(len(requests))
    answers: dict = {}
    lock = threading.Lock()

    def send(name, method, path, body, headers):
        client = app.test_client()
        barrier.wait()
        response = client.open(path, method=method, json=body, headers=headers)
        with lock:
            answers[name] = (response.status_code, response.json)

    threads = [threading.Thread(target=send, args=(name, *request)) for name, request in requests.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(answers) == len(requests), "a request did not finish"
    return answers
