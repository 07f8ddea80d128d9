"""The Procfile that `make run` hands to honcho: every process, on its port, running code that exists."""
from __future__ import annotations

import importlib.util
import re
import shlex
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
COMPONENTS = {
    "leads": ("leads", 8001),
    "sales": ("sales", 8002),
    "service-desk": ("service_desk", 8003),
    "reporting": ("reporting", 8004),
    "gateway": ("gateway", 8000),
}


def procfile() -> dict[str, list[str]]:
    processes = {}
    for line in (ROOT / "Procfile").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, command = line.partition(":")
            processes[name.strip()] = shlex.split(command)
    return processes


def load_announce():
    spec = importlib.util.spec_from_file_location("crm_announce", ROOT / "scripts" / "announce.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_procfile_runs_a_web_and_a_worker_of_every_component_and_the_ready_banner():
    expected = {f"{component}-{role}" for component in COMPONENTS for role in ("web", "worker")} | {"ready"}
    assert set(procfile()) == expected


@pytest.mark.parametrize("component", COMPONENTS)
def test_each_web_binds_loopback_on_its_overridable_port(component):
    package, port = COMPONENTS[component]
    command = procfile()[f"{component}-web"]
    variable = "CRM_" + component.upper().replace("-", "_") + "_PORT"
    assert command[:3] == ["exec", "gunicorn", "--no-control-socket"]
    assert command[command.index("--bind") + 1] == f"${{CRM_HOST:-127.0.0.1}}:${{{variable}:-{port}}}"
    assert command[-1] == f"{package}:create_app()"


@pytest.mark.parametrize("component", COMPONENTS)
def test_each_worker_runs_the_packages_worker_module(component):
    package, _port = COMPONENTS[component]
    assert procfile()[f"{component}-worker"] == ["exec", "python", "-m", f"{package}.worker"]


def test_the_gateway_web_runs_threaded_workers():
    command = procfile()["gateway-web"]
    assert command[command.index("--worker-class") + 1] == "gthread"
    assert command[command.index("--threads") + 1] == "32"
    assert command[command.index("--workers") + 1] == "${CRM_GATEWAY_WEB_WORKERS:-2}"


def test_the_run_script_migrates_every_component_with_the_gateway_last():
    script = (ROOT / "scripts" / "run.sh").read_text(encoding="utf-8")
    assert re.search(r"for package in leads sales service_desk reporting gateway; do", script)
    assert 'CRM_DEMO="${CRM_DEMO:-1}"' in script
    assert "honcho --procfile Procfile --app-root . start" in script


def test_the_banner_names_the_gateway_url_and_the_demo_logins(monkeypatch):
    announce = load_announce()
    monkeypatch.setenv("CRM_DEMO", "1")
    monkeypatch.setenv("CRM_DEMO_PASSWORD", "s3cret")
    text = announce.banner("http://127.0.0.1:8000")
    assert "http://127.0.0.1:8000/" in text
    for user in ("admin", "manager", "rep1", "rep2", "agent1"):
        assert user in text
    assert "s3cret" in text
    monkeypatch.setenv("CRM_DEMO", "0")
    assert "Demo logins" not in announce.banner("http://127.0.0.1:8000")


def test_the_banner_follows_overridden_ports_and_urls(monkeypatch):
    announce = load_announce()
    monkeypatch.setenv("CRM_GATEWAY_PORT", "9000")
    monkeypatch.setenv("CRM_SALES_PORT", "9002")
    monkeypatch.setenv("CRM_REPORTING_URL", "http://reports.internal:80")
    monkeypatch.delenv("CRM_SALES_URL", raising=False)
    monkeypatch.delenv("CRM_HOST", raising=False)
    urls = announce.web_urls()
    assert urls["gateway"] == "http://127.0.0.1:9000"
    assert urls["sales"] == "http://127.0.0.1:9002"
    assert urls["reporting"] == "http://reports.internal:80"
    monkeypatch.setenv("CRM_HOST", "0.0.0.0")
    assert announce.web_urls()["gateway"] == "http://127.0.0.1:9000"
    monkeypatch.setenv("CRM_HOST", "10.1.2.3")
    assert announce.web_urls()["sales"] == "http://10.1.2.3:9002"
