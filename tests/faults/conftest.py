"""Fixtures for the fault tests: a RabbitMQ node and a PostgreSQL cluster of their own, to kill and restart.

The shared servers (5432, 5672) serve everybody else's tests at the same time, so these tests never touch
them: they start their own on other ports in a temporary folder, restart them at will, and stop them (and
kill what is left of them, by pid) when the session ends, failed or not.
"""
from __future__ import annotations

import glob
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Callable

import pytest
from sqlalchemy import create_engine, pool

from crm_shared import testing
from crm_shared.bus.topology import Topology
from crm_shared.db import make_engine, make_session_factory
from crm_shared.uow import UnitOfWork

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
# fault_service is imported by the tests and by fault_worker.py's processes alike.
sys.path.insert(0, str(HERE))

import fault_service  # noqa: E402

RABBITMQ_BIN = Path("/usr/lib/rabbitmq/bin")
PREFERRED_PORTS = {"amqp": 5673, "rabbitmq_dist": 25673, "postgresql": 5433}


def unavailable(reason: str):
    """A missing server program fails the run where real backends are required (CI), else skips."""
    if testing.real_backends_required():
        pytest.fail(f"the fault tests cannot run: {reason}")
    pytest.skip(reason)


def free_port(preferred: int) -> int:
    """`preferred` if nothing listens there, else any free port."""
    for port in (preferred, 0):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return probe.getsockname()[1]
    raise RuntimeError("no free port")


def as_user(user: str, command: list[str]) -> list[str]:
    """Run as the server's own user when we are root (neither server runs as root); else as we are."""
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", user, "--", "env", f"HOME={pwd.getpwnam(user).pw_dir}", *command]


def kill_pid_file(path: Path, folder: Path) -> None:
    """Kill what is left of a server by the pid in its pid file, if that process is still ours (runs in `folder`)."""
    try:
        pid = int(path.read_text().split()[0])
        # PostgreSQL names its folder on the command line, RabbitMQ in its environment.
        process = Path(f"/proc/{pid}")
        described = (process / "cmdline").read_bytes() + (process / "environ").read_bytes()
        if str(folder).encode() in described:
            os.kill(pid, signal.SIGKILL)
    except (OSError, ValueError, IndexError):
        pass


class RabbitNode:
    """A RabbitMQ node of the fault tests' own: its own name, ports, database and logs."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.name = f"crm-faults-{os.getpid()}@localhost"
        self.port = free_port(PREFERRED_PORTS["amqp"])
        self.dist_port = free_port(PREFERRED_PORTS["rabbitmq_dist"])
        self.url = f"amqp://guest:guest@127.0.0.1:{self.port}//"
        self.pid_file = folder / "node.pid"

    def _program(self, name: str) -> str:
        inner = RABBITMQ_BIN / name  # the real script, not /usr/sbin's wrapper that switches user itself
        return str(inner) if inner.exists() else shutil.which(name)

    def ctl(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        command = as_user("rabbitmq", [self._program("rabbitmqctl"), "-q", "-n", self.name, *args])
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout)

    def start(self) -> None:
        (self.folder / "rabbitmq.conf").write_text(f"listeners.tcp.local = 127.0.0.1:{self.port}\n")
        (self.folder / "enabled_plugins").write_text("[].\n")  # no management plugin: fast start, no ports
        if os.geteuid() == 0:
            shutil.chown(self.folder, "rabbitmq", "rabbitmq")
            for path in self.folder.iterdir():
                shutil.chown(path, "rabbitmq", "rabbitmq")
        environment = {
            "RABBITMQ_NODENAME": self.name,
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_CONFIG_FILE": str(self.folder / "rabbitmq.conf"),
            "RABBITMQ_MNESIA_BASE": str(self.folder / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.folder / "log"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.folder / "enabled_plugins"),
            "RABBITMQ_PID_FILE": str(self.pid_file),
        }
        server = as_user("rabbitmq", ["env", *(f"{k}={v}" for k, v in environment.items()),
                                      self._program("rabbitmq-server"), "-detached"])
        subprocess.run(server, check=True, timeout=60, capture_output=True, cwd=self.folder)
        self.await_startup(timeout=120)

    def await_startup(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            # rc 69 (node not up yet) is normal for the first seconds.
            if self.ctl("await_startup", "--timeout", "10", timeout=30).returncode == 0:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"RabbitMQ node {self.name} did not start; logs in {self.folder / 'log'}")
            time.sleep(0.5)

    def stop_app(self) -> None:
        result = self.ctl("stop_app", timeout=60)
        assert result.returncode == 0, result.stderr

    def start_app(self) -> None:
        result = self.ctl("start_app", timeout=120)
        assert result.returncode == 0, result.stderr
        self.await_startup(timeout=60)

    def restart(self) -> None:
        """The broker goes away (every connection dropped) and comes back with its durable queues."""
        self.stop_app()
        self.start_app()

    def shutdown(self) -> None:
        try:
            self.ctl("stop", timeout=60)
        except subprocess.TimeoutExpired:
            pass
        kill_pid_file(self.pid_file, self.folder)


class PostgresCluster:
    """A PostgreSQL cluster of the fault tests' own, with trust authentication on 127.0.0.1."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.data = folder / "data"
        self.port = free_port(PREFERRED_PORTS["postgresql"])
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"
        versions = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name))
        pg_ctl = Path(versions[-1]) / "pg_ctl" if versions else shutil.which("pg_ctl")
        self.bin = Path(pg_ctl).parent if pg_ctl else None

    def run(self, *command: str, timeout: float = 120) -> None:
        result = subprocess.run(as_user("postgres", [str(self.bin / command[0]), *command[1:]]),
                                capture_output=True, text=True, timeout=timeout, cwd=self.folder)
        assert result.returncode == 0, f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}"

    def start(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        self.run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync")
        # fsync off: these tests restart the server, not the machine, and must be quick.
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        self.run("pg_ctl", "-D", str(self.data), "-l", str(self.folder / "server.log"), "-w", "-t", "60",
                 "-o", options, "start")

    def restart(self, mode: str = "fast") -> None:
        """`fast` rolls back open transactions and closes sessions; `immediate` is a crash (recovery at start)."""
        self.run("pg_ctl", "-D", str(self.data), "-l", str(self.folder / "server.log"), "-w", "-t", "60",
                 "-m", mode, "restart")

    def shutdown(self) -> None:
        try:
            self.run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "-t", "30", "stop", timeout=60)
        except (AssertionError, subprocess.TimeoutExpired):
            pass
        kill_pid_file(self.data / "postmaster.pid", self.folder)


def _server_folder(prefix: str) -> Path:
    # Not under pytest's tmp_path: its folders are private to root, and the servers run as their own users.
    # In memory where there is /dev/shm: the relay waits for each confirm, and RabbitMQ confirms a persistent
    # message once it is on disk, so a disk's fsync would set the pace of every test.
    memory = Path("/dev/shm")
    return Path(tempfile.mkdtemp(prefix=prefix, dir=memory if memory.is_dir() and os.access(memory, os.W_OK) else None))


@pytest.fixture(scope="session")
def faults_rabbitmq():
    if not (RABBITMQ_BIN / "rabbitmq-server").exists() and shutil.which("rabbitmq-server") is None:
        unavailable("rabbitmq-server is not installed")
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("rabbitmq")
        except KeyError:
            unavailable("there is no rabbitmq user to run a RabbitMQ node as")
    node = RabbitNode(_server_folder("crm-faults-rabbitmq-"))
    try:
        node.start()
        yield node
    finally:
        node.shutdown()
        shutil.rmtree(node.folder, ignore_errors=True)


@pytest.fixture(scope="session")
def faults_postgres():
    cluster = PostgresCluster(_server_folder("crm-faults-postgres-"))
    if cluster.bin is None or not (cluster.bin / "initdb").exists():
        unavailable("PostgreSQL's server programs (initdb, pg_ctl) are not installed")
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.shutdown()
        shutil.rmtree(cluster.folder, ignore_errors=True)


@pytest.fixture
def fault_database_url(faults_postgres: PostgresCluster):
    """A fresh database on the fault tests' PostgreSQL, dropped afterwards."""
    name = testing.unique_name("crm_faults")
    admin = create_engine(faults_postgres.url, isolation_level="AUTOCOMMIT", poolclass=pool.NullPool)
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    yield faults_postgres.url.rsplit("/", 1)[0] + f"/{name}"
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()


@pytest.fixture
def fault_engine(fault_database_url: str):
    """An engine on a fresh database with the messaging tables and the fault service's tables."""
    engine = make_engine(fault_database_url)
    fault_service.create_tables(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def uow_factory(fault_engine) -> Callable[[], UnitOfWork]:
    session_factory = make_session_factory(fault_engine)
    return lambda: UnitOfWork(session_factory)


@pytest.fixture
def fault_bus(faults_rabbitmq: RabbitNode) -> tuple[str, Topology]:
    """The fault tests' broker URL and a topology with names of the test's own."""
    return faults_rabbitmq.url, Topology(exchange_name=f"faults.{uuid.uuid4().hex[:10]}.events")


class Background:
    """Loops (`run(stop)`, like the relay's and the consumer's) run in threads; all stopped at teardown."""

    def __init__(self):
        self._running: list[tuple[threading.Thread, threading.Event]] = []

    def start(self, run: Callable[[threading.Event], None], name: str) -> threading.Event:
        stop = threading.Event()
        thread = threading.Thread(target=run, args=(stop,), name=name, daemon=True)
        thread.start()
        self._running.append((thread, stop))
        return stop

    def stop_all(self) -> None:
        for _thread, stop in self._running:
            stop.set()
        for thread, _stop in self._running:
            thread.join(30)
        self._running.clear()


@pytest.fixture
def background():
    running = Background()
    yield running
    running.stop_all()


class WorkerProcesses:
    """fault_worker.py processes, each logging to a file; whatever still runs at teardown is killed by pid."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.processes: list[subprocess.Popen] = []
        self.marker_dir = folder / "markers"
        self.marker_dir.mkdir()
        self.duplicates_log = folder / "duplicates.log"
        self.duplicates_log.touch()

    def start(self, **config) -> subprocess.Popen:
        config.setdefault("marker_dir", str(self.marker_dir))
        config.setdefault("duplicates_log", str(self.duplicates_log))
        log_path = self.folder / f"{config['role']}-{len(self.processes)}.log"
        with open(log_path, "w", encoding="utf-8") as log:
            process = subprocess.Popen(
                [sys.executable, str(HERE / "fault_worker.py"), json.dumps(config)],
                cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        process.log_path = log_path
        self.processes.append(process)
        return process

    def stop(self, process: subprocess.Popen, timeout: float = 20) -> int:
        """SIGTERM (the worker finishes its message and stops), SIGKILL if it does not within `timeout`."""
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
        return process.returncode

    def duplicates(self) -> list[str]:
        return self.duplicates_log.read_text(encoding="utf-8").split()

    def log_tail(self, process: subprocess.Popen, characters: int | None = 3000) -> str:
        """The end of a worker's log (all of it with `characters=None`)."""
        text = Path(process.log_path).read_text(encoding="utf-8", errors="replace")
        return text if characters is None else text[-characters:]

    def kill_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
                process.wait(10)


@pytest.fixture
def workers(tmp_path: Path):
    processes = WorkerProcesses(tmp_path)
    yield processes
    processes.kill_all()
