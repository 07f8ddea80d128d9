"""Starting processes of the Procfile for a benchmark, exactly as `make run` and the end-to-end tests start them."""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import psycopg
import requests
from sqlalchemy.engine import make_url

REPO_ROOT = Path(__file__).resolve().parents[1]
# service name -> (python package, port variable), as tests/conftest.py has them
SERVICES = {
    "gateway": ("gateway", "CRM_GATEWAY_PORT"),
    "leads": ("leads", "CRM_LEADS_PORT"),
    "sales": ("sales", "CRM_SALES_PORT"),
    "service-desk": ("service_desk", "CRM_SERVICE_DESK_PORT"),
    "reporting": ("reporting", "CRM_REPORTING_PORT"),
}
# A benchmark asks faster than a person: the per-user limits on lead views and claims would turn it away with 429.
UNLIMITED = {"CRM_LEADS_POOL_VIEWS_PER_MINUTE": "1000000", "CRM_LEADS_CLAIMS_PER_MINUTE": "1000000",
             "CRM_SERVICE_DESK_PUBLIC_REQUESTS": "1000000"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def procfile_commands() -> dict[str, str]:
    commands = {}
    for line in (REPO_ROOT / "Procfile").read_text(encoding="utf-8").splitlines():
        found = re.match(r"^([\w-]+):\s*(.+)$", line.strip())
        if found:
            commands[found.group(1)] = found.group(2)
    return commands


def psycopg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def create_database_if_missing(url: str) -> None:
    name = make_url(url).database
    admin = psycopg_dsn(make_url(url).set(database="postgres").render_as_string(hide_password=False))
    with psycopg.connect(admin, autocommit=True) as connection:
        if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            connection.execute(f'CREATE DATABASE "{name}"')


def drop_database(url: str) -> None:
    name = make_url(url).database
    admin = psycopg_dsn(make_url(url).set(database="postgres").render_as_string(hide_password=False))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def process_env(data_dir: Path, databases: dict[str, str], bus_url: str, extra: dict[str, str] | None = None) -> dict:
    """The environment of every process: the caller's without CRM_ settings, then ours; ports chosen here."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("CRM_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONUNBUFFERED"] = "1"
    env.update({"CRM_DATA_DIR": str(data_dir), "CRM_BUS_URL": bus_url, "CRM_WEB_WORKERS": "2",
                "CRM_GATEWAY_WEB_WORKERS": "2", **UNLIMITED})
    for name, (_package, port_variable) in SERVICES.items():
        port = free_port()
        env[port_variable] = str(port)
        env[f"CRM_{name.upper().replace('-', '_')}_URL"] = f"http://127.0.0.1:{port}"
    for name, url in databases.items():
        env[f"CRM_{name.upper().replace('-', '_')}_DATABASE_URL"] = url
    env.update(extra or {})
    return env


def migrate(package: str, env: dict) -> None:
    result = subprocess.run([sys.executable, "-m", f"{package}.migrate"], env=env, cwd=REPO_ROOT,
                            capture_output=True, text=True, timeout=600)
    if result.returncode:
        raise RuntimeError(f"{package}.migrate failed:\n{result.stdout}\n{result.stderr}")


def _stop(processes: dict[str, subprocess.Popen]) -> None:
    for process in processes.values():
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    for process in processes.values():
        try:
            process.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def wait_ready(url: str, process: subprocess.Popen, name: str, log_dir: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log = (log_dir / f"{name}.log").read_text(errors="replace")[-3000:]
            raise RuntimeError(f"{name} exited with {process.returncode}:\n{log}")
        try:
            if requests.get(f"{url}/ready", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{name} was not ready at {url} after {timeout} s")


@contextmanager
def started(names: list[str], env: dict, log_dir: Path):
    """Start these Procfile processes (each in its own process group), wait for the web ones, stop them all after."""
    log_dir.mkdir(parents=True, exist_ok=True)
    commands = procfile_commands()
    processes: dict[str, subprocess.Popen] = {}
    try:
        for name in names:
            with open(log_dir / f"{name}.log", "a", encoding="utf-8") as log:
                processes[name] = subprocess.Popen(["bash", "-c", commands[name]], env=env, cwd=REPO_ROOT, stdout=log,
                                                   stderr=subprocess.STDOUT, start_new_session=True)
        for name in names:
            if name.endswith("-web"):
                service = name[:-len("-web")]
                wait_ready(env[f"CRM_{service.upper().replace('-', '_')}_URL"], processes[name], name, log_dir)
        yield processes
    finally:
        _stop(processes)
