"""Cross-service fixtures: the whole system started as real processes, on real or embedded backends."""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from crm_shared import testing
from crm_shared.bus.connection import connect
from crm_shared.bus.topology import Topology

REPO_ROOT = Path(__file__).resolve().parents[1]
PROCFILE = REPO_ROOT / "Procfile"
# service name -> (python package, port variable)
SERVICES = {
    "gateway": ("gateway", "CRM_GATEWAY_PORT"),
    "leads": ("leads", "CRM_LEADS_PORT"),
    "sales": ("sales", "CRM_SALES_PORT"),
    "service-desk": ("service_desk", "CRM_SERVICE_DESK_PORT"),
    "reporting": ("reporting", "CRM_REPORTING_PORT"),
}
DEMO_PASSWORD = "demo"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def procfile_commands() -> dict[str, str]:
    """The process table `make run` starts, so the tests start exactly the same processes."""
    commands = {}
    for line in PROCFILE.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^([\w-]+):\s*(.+)$", line.strip())
        if match:
            commands[match.group(1)] = match.group(2)
    return commands


@dataclass
class RunningSystem:
    gateway_url: str
    env: dict[str, str]
    log_dir: Path
    bus_url: str
    topology: Topology
    backend: str
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    process_env: dict[str, str] = field(default_factory=dict)

    def start(self, name: str, instance: int = 1) -> subprocess.Popen:
        """Start one process of the Procfile, logging to its own file; instance 2, 3... runs one more beside it."""
        key = name if instance == 1 else f"{name}.{instance}"
        with open(self.log_dir / f"{key}.log", "a", encoding="utf-8") as log:
            process = subprocess.Popen(
                ["bash", "-c", procfile_commands()[name]], env=self.process_env, cwd=REPO_ROOT,
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        self.processes[key] = process
        return process

    def stop(self, name: str) -> None:
        _stop({name: self.processes[name]})

    def wait_ready(self, service: str) -> None:
        port = self.env[SERVICES[service][1]]
        _wait_ready(f"http://127.0.0.1:{port}", self.processes[f"{service}-web"], f"{service}-web", self.log_dir)

    def login(self, username: str, password: str = DEMO_PASSWORD) -> dict[str, str]:
        """Log in through the gateway and return the Authorization header."""
        response = requests.post(
            f"{self.gateway_url}/api/v1/auth/login", json={"username": username, "password": password}, timeout=10
        )
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    def logs(self, name: str) -> str:
        path = self.log_dir / f"{name}.log"
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""


def _python_env(extra: dict[str, str]) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("CRM_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONUNBUFFERED"] = "1"
    # Every public request of the whole test session comes from 127.0.0.1 through the gateway: the flood
    # limit is tested on its own (services/service-desk/tests), not by the number of tests that post.
    env["CRM_SERVICE_DESK_PUBLIC_REQUESTS"] = "1000"
    env.update(extra)
    return env


def _wait_ready(url: str, process: subprocess.Popen, name: str, log_dir: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}:\n{(log_dir / f'{name}.log').read_text()[-4000:]}")
        try:
            if requests.get(f"{url}/ready", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{name} was not ready at {url} after {timeout}s")


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


@pytest.fixture(scope="session")
def running_system(tmp_path_factory):
    """All five components (web and worker each) started from the Procfile, as `make run` starts them."""
    data_dir = tmp_path_factory.mktemp("system")
    log_dir = data_dir / "logs"
    log_dir.mkdir()
    run_id = uuid.uuid4().hex[:8]
    amqp = testing.amqp_server_url()
    bus_url = amqp or f"crmfs://{data_dir / 'bus'}"
    topology = Topology(exchange_name=f"e2e-{run_id}.crm.events", queue_prefix="")
    ports = {name: free_port() for name in SERVICES}
    env = {
        "CRM_DATA_DIR": str(data_dir),
        "CRM_BUS_URL": bus_url,
        "CRM_BUS_EXCHANGE": topology.exchange_name,
        "CRM_DEMO": "1",
        "CRM_DEMO_PASSWORD": DEMO_PASSWORD,
        "CRM_WEB_WORKERS": "2",
        "CRM_GATEWAY_WEB_WORKERS": "2",
        # The concurrency tests race thousands of claims a minute per rep, far past a person's pace; the limits
        # themselves are proved in services/leads/tests/api/test_request_limits.py.
        "CRM_LEADS_CLAIMS_PER_MINUTE": "1000000",
        "CRM_LEADS_POOL_VIEWS_PER_MINUTE": "1000000",
    }
    for name, (_package, port_variable) in SERVICES.items():
        env[port_variable] = str(ports[name])
        env[f"CRM_{name.upper().replace('-', '_')}_URL"] = f"http://127.0.0.1:{ports[name]}"
    with ExitStack() as stack:
        for name in SERVICES:
            url = stack.enter_context(testing.scratch_database(name, data_dir))
            env[f"CRM_{name.upper().replace('-', '_')}_DATABASE_URL"] = url
        process_env = _python_env(env)
        for name, (package, _port) in SERVICES.items():
            result = subprocess.run(
                [sys.executable, "-m", f"{package}.migrate"], env=process_env, cwd=REPO_ROOT,
                capture_output=True, text=True, timeout=120,
            )
            assert result.returncode == 0, f"{package}.migrate failed:\n{result.stdout}\n{result.stderr}"
        system = RunningSystem(
            gateway_url=f"http://127.0.0.1:{ports['gateway']}",
            env=env,
            log_dir=log_dir,
            bus_url=bus_url,
            topology=topology,
            backend="real" if amqp else "embedded",
            process_env=process_env,
        )
        if amqp:
            stack.callback(_delete_bus_names, bus_url, topology)
        stack.callback(_stop, system.processes)
        for name in procfile_commands():
            system.start(name)
        for name in SERVICES:
            system.wait_ready(name)
        yield system


def _delete_bus_names(bus_url: str, topology: Topology) -> None:
    with connect(bus_url) as connection:
        channel = connection.default_channel
        for name in SERVICES:
            channel.queue_delete(f"{topology.queue_prefix}{topology.exchange_name}.{name}")
        channel.queue_delete(topology.dead_letter_queue.name)
        channel.exchange_delete(topology.exchange_name)
        channel.exchange_delete(topology.dead_letter_exchange.name)
