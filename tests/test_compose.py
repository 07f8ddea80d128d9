"""docker-compose.yml, read as data (no Docker engine needed): every process, its wiring and its image."""
from __future__ import annotations

import ast
import json
import re
import shlex
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
SERVICES = COMPOSE["services"]

# component -> (Python package, folder, web port)
COMPONENTS = {
    "leads": ("leads", "services/leads", 8001),
    "sales": ("sales", "services/sales", 8002),
    "service-desk": ("service_desk", "services/service-desk", 8003),
    "reporting": ("reporting", "services/reporting", 8004),
    "gateway": ("gateway", "gateway", 8000),
}
PROCESSES = [(component, role) for component in COMPONENTS for role in ("migrate", "web", "worker")]
APP_CONTAINERS = [f"{component}-{role}" for component, role in PROCESSES]


def env_prefix(component: str) -> str:
    return "CRM_" + component.upper().replace("-", "_")


def command_of(name: str) -> list[str]:
    command = SERVICES[name]["command"]
    return shlex.split(command) if isinstance(command, str) else list(command)


def depends_on(name: str) -> dict[str, str]:
    declared = SERVICES[name].get("depends_on", {})
    if isinstance(declared, list):
        return {other: "service_started" for other in declared}
    return {other: spec.get("condition", "service_started") for other, spec in declared.items()}


def package_folder(package: str) -> Path | None:
    """Where a top-level package of this repository lives (shared/, services/*/ or gateway/)."""
    for base in [ROOT / "shared", ROOT / "gateway", *sorted((ROOT / "services").iterdir())]:
        if (base / package / "__init__.py").is_file():
            return base / package
    return None


def module_file(module: str) -> Path | None:
    """The file of a dotted module inside this repository, or None."""
    first, *rest = module.split(".")
    folder = package_folder(first)
    if folder is None:
        return None
    path = folder.joinpath(*rest)
    for candidate in (path.with_suffix(".py"), path / "__init__.py"):
        if rest and candidate.is_file():
            return candidate
    return folder / "__init__.py" if not rest else None


def defines(path: Path, function: str) -> bool:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return any(isinstance(node, ast.FunctionDef) and node.name == function for node in tree.body)


def assert_names_real_code(command: list[str]) -> None:
    """`python -m pkg.mod` must name a module here; gunicorn's `pkg:create_app()` a package defining it."""
    if command[:2] == ["python", "-m"]:
        assert module_file(command[2]) is not None, f"{command[2]} is not a module of this repository"
    elif command[0] == "gunicorn":
        app = command[-1]
        match = re.fullmatch(r"([\w.]+):(\w+)\(\)", app)
        assert match, f"gunicorn app {app!r} is not of the form pkg:factory()"
        path = module_file(match.group(1))
        assert path is not None, f"{match.group(1)} is not a module of this repository"
        assert defines(path, match.group(2)), f"{path.relative_to(ROOT)} defines no {match.group(2)}()"
    else:
        pytest.fail(f"unexpected command {command}")


def test_every_component_has_a_migrate_job_a_web_and_a_worker_with_the_right_commands():
    for component, (package, _folder, port) in COMPONENTS.items():
        assert command_of(f"{component}-migrate") == ["python", "-m", f"{package}.migrate"]
        assert command_of(f"{component}-worker") == ["python", "-m", f"{package}.worker"]
        web = command_of(f"{component}-web")
        assert web[0] == "gunicorn" and web[-1] == f"{package}:create_app()"
        assert "--no-control-socket" in web
        assert web[web.index("-b") + 1] == f"0.0.0.0:{port}"


def test_the_gateway_web_runs_threaded_workers():
    web = command_of("gateway-web")
    assert web[web.index("--worker-class") + 1] == "gthread"
    assert web[web.index("--threads") + 1] == "32"


@pytest.mark.parametrize("container", APP_CONTAINERS)
def test_every_command_names_a_module_that_exists_in_the_repository(container):
    assert_names_real_code(command_of(container))


@pytest.mark.parametrize("component,role", PROCESSES)
def test_every_process_has_its_own_database_and_the_rabbitmq_bus(component, role):
    environment = SERVICES[f"{component}-{role}"]["environment"]
    package = COMPONENTS[component][0]
    assert environment[f"{env_prefix(component)}_DATABASE_URL"] == (
        f"postgresql+psycopg://crm:crm@postgres:5432/crm_{package}"
    )
    assert environment["CRM_BUS_URL"] == "amqp://guest:guest@rabbitmq:5672//"


def test_every_database_named_is_created_by_the_postgres_init_script():
    init_sql = (ROOT / "docker/postgres-init/01-databases.sql").read_text(encoding="utf-8")
    mount = f"./docker/postgres-init:/docker-entrypoint-initdb.d:ro"
    assert mount in SERVICES["postgres"]["volumes"]
    for package, _folder, _port in COMPONENTS.values():
        assert f"CREATE DATABASE crm_{package};" in init_sql


def test_the_gateway_finds_each_service_at_its_web_container():
    environment = SERVICES["gateway-web"]["environment"]
    for component, (_package, _folder, port) in COMPONENTS.items():
        if component != "gateway":
            assert environment[f"{env_prefix(component)}_URL"] == f"http://{component}-web:{port}"


def test_every_process_shares_the_jwt_key_volume_and_only_the_gateway_may_write_it():
    for container in APP_CONTAINERS:
        key_dir = SERVICES[container]["environment"]["CRM_JWT_KEY_DIR"]
        mounts = [volume for volume in SERVICES[container]["volumes"] if volume.split(":")[1] == key_dir]
        assert len(mounts) == 1 and mounts[0].startswith("jwt-keys:"), container
        read_only = mounts[0].endswith(":ro")
        assert read_only == (not container.startswith("gateway-")), container
    assert "jwt-keys" in COMPOSE["volumes"]


def test_the_servers_and_every_web_have_a_health_check():
    assert "pg_isready" in SERVICES["postgres"]["healthcheck"]["test"]
    assert SERVICES["rabbitmq"]["healthcheck"]["test"][1:3] == ["rabbitmq-diagnostics", "-q"]
    assert "ping" in SERVICES["rabbitmq"]["healthcheck"]["test"]
    assert SERVICES["rabbitmq"]["image"] == "rabbitmq:3.13-management"
    assert SERVICES["postgres"]["image"] == "postgres:15"
    for component, (_package, _folder, port) in COMPONENTS.items():
        test = SERVICES[f"{component}-web"]["healthcheck"]["test"]
        assert test[:3] == ["CMD", "python", "-c"]
        assert f"http://127.0.0.1:{port}/health" in test[3]
        compile(test[3], "healthcheck", "exec")


def test_migrate_jobs_wait_for_healthy_backends_and_run_once():
    for component in COMPONENTS:
        job = f"{component}-migrate"
        assert depends_on(job) == {"postgres": "service_healthy", "rabbitmq": "service_healthy"}
        assert SERVICES[job]["restart"] == "no"
        assert "healthcheck" not in SERVICES[job]


def test_webs_and_workers_start_after_their_migrate_job_succeeded():
    for component in COMPONENTS:
        for role in ("web", "worker"):
            conditions = depends_on(f"{component}-{role}")
            assert conditions[f"{component}-migrate"] == "service_completed_successfully"
            assert SERVICES[f"{component}-{role}"]["restart"] == "unless-stopped"
        assert depends_on(f"{component}-worker")["rabbitmq"] == "service_healthy"
        # The key pair exists before any web verifies a token.
        assert depends_on(f"{component}-web")["gateway-migrate"] == "service_completed_successfully"


def test_the_gateway_web_waits_for_every_service_web_to_be_healthy():
    conditions = depends_on("gateway-web")
    for component in COMPONENTS:
        if component != "gateway":
            assert conditions[f"{component}-web"] == "service_healthy"


def test_only_the_gateway_publishes_a_port_and_no_container_has_a_fixed_name():
    published = {name for name, service in SERVICES.items() if service.get("ports")}
    assert published == {"gateway-web"}
    assert SERVICES["gateway-web"]["ports"] == ["${CRM_GATEWAY_PORT:-8000}:8000"]
    assert not [name for name, service in SERVICES.items() if "container_name" in service]


@pytest.mark.parametrize("component", COMPONENTS)
def test_each_image_is_built_from_the_repository_root_with_its_own_dockerfile(component):
    _package, folder, _port = COMPONENTS[component]
    builds = {json.dumps(SERVICES[f"{component}-{role}"]["build"], sort_keys=True) for role in ("migrate", "web", "worker")}
    assert builds == {json.dumps({"context": ".", "dockerfile": f"{folder}/Dockerfile"}, sort_keys=True)}
    images = {SERVICES[f"{component}-{role}"]["image"] for role in ("migrate", "web", "worker")}
    assert len(images) == 1


def dockerfile_instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", path.read_text(encoding="utf-8"))
    instructions = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            instructions.append((keyword.upper(), rest.strip()))
    return instructions


@pytest.mark.parametrize("component", COMPONENTS)
def test_each_dockerfile_exists_copies_what_is_there_and_starts_real_code(component):
    package, folder, port = COMPONENTS[component]
    dockerfile = ROOT / folder / "Dockerfile"
    assert dockerfile.is_file(), f"{folder}/Dockerfile is missing"
    instructions = dockerfile_instructions(dockerfile)
    copies = [arguments.split() for keyword, arguments in instructions if keyword == "COPY"]
    for arguments in copies:
        sources = [a for a in arguments[:-1] if not a.startswith("--")]
        if any(a.startswith("--from") for a in arguments):
            continue
        for source in sources:
            assert (ROOT / source).exists(), f"{folder}/Dockerfile copies {source}, which the build context lacks"
    copied = {source.rstrip("/") for arguments in copies for source in arguments[:-1]}
    assert {"constraints.txt", "shared"} <= copied
    assert any(source == folder or source.startswith(folder + "/") for source in copied)
    runs = " ".join(arguments for keyword, arguments in instructions if keyword == "RUN")
    assert re.search(r"(-c|--constraint)[ =]\S*constraints\.txt", runs), "pip must install with constraints.txt"
    command = json.loads(next(arguments for keyword, arguments in reversed(instructions) if keyword == "CMD"))
    assert command[-1] == f"{package}:create_app()"
    assert_names_real_code(command)
    assert f"0.0.0.0:{port}" in command


def test_the_build_context_leaves_out_local_environments_but_nothing_an_image_copies():
    ignored = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert {".venv", "**/node_modules", "var", ".git"} <= set(ignored)
    for _package, folder, _port in COMPONENTS.values():
        for keyword, arguments in dockerfile_instructions(ROOT / folder / "Dockerfile"):
            if keyword != "COPY" or "--from" in arguments:
                continue
            for source in arguments.split()[:-1]:
                assert not [p for p in ignored if source == p or source.startswith(p + "/")], source
