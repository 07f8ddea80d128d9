"""README.md stays true: its variable table matches the code, and the files and targets it names exist."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
COMPONENT_PREFIXES = ("LEADS", "SALES", "SERVICE_DESK", "REPORTING", "GATEWAY")
SKIP_PARTS = {".venv", "node_modules", "tests", "static", "__pycache__"}


def source_files():
    """Code that runs (not tests): the Python packages, the front-end sources and the run tooling."""
    folders = [ROOT / "shared" / "crm_shared", ROOT / "gateway" / "gateway", ROOT / "gateway" / "web" / "src"]
    folders += [path for path in (ROOT / "services").glob("*/*") if (path / "__init__.py").is_file()]
    for folder in folders:
        for path in folder.rglob("*"):
            if path.suffix in {".py", ".js", ".vue"} and not SKIP_PARTS.intersection(path.relative_to(ROOT).parts):
                yield path
    yield ROOT / "gateway" / "web" / "vite.config.js"
    yield from (ROOT / name for name in ("Procfile", "scripts/run.sh", "scripts/announce.py", "docker-compose.yml"))


def variables_read_by_the_code() -> set[str]:
    """Whole variable names written in the code, plus the per-component ones built from a prefix."""
    names = set()
    for path in source_files():
        if path.exists():
            names |= set(re.findall(r"\bCRM_[A-Z0-9_]*[A-Z0-9]\b", path.read_text(encoding="utf-8")))
    shared = (ROOT / "shared" / "crm_shared" / "settings.py").read_text(encoding="utf-8")
    if '{prefix}_DATABASE_URL' in shared:
        names |= {f"CRM_{c}_DATABASE_URL" for c in COMPONENT_PREFIXES}
    # Prefixes named in docstrings (`service-desk` -> `CRM_SERVICE_DESK`) are not variables.
    return names - {f"CRM_{c}" for c in COMPONENT_PREFIXES}


def variables_in_the_readme_table() -> set[str]:
    return set(re.findall(r"^\| `(CRM_[A-Z0-9_]+)` \|", README, flags=re.MULTILINE))


def test_every_variable_the_code_reads_is_in_the_readme_table():
    missing = variables_read_by_the_code() - variables_in_the_readme_table()
    assert not missing, f"add these to the table in README.md: {sorted(missing)}"


def test_the_readme_table_names_only_variables_that_something_reads():
    test_support = (ROOT / "shared" / "crm_shared" / "testing.py").read_text(encoding="utf-8")
    test_support += (ROOT / "conftest.py").read_text(encoding="utf-8")
    unknown = {name for name in variables_in_the_readme_table() - variables_read_by_the_code() if name not in test_support}
    assert not unknown, f"README.md documents variables nothing reads: {sorted(unknown)}"


def test_the_files_the_readme_links_exist():
    for target in re.findall(r"\]\(([^)#]+)\)", README):
        assert (ROOT / target).exists(), target
    for path in ("docs/architecture.md", "gateway/web/README.md", "contracts/events", "docker/postgres-init", ".ci/run"):
        assert path in README and (ROOT / path).exists(), path


def test_the_make_targets_the_readme_names_exist():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([a-z-]+):", makefile, flags=re.MULTILINE))
    for target in set(re.findall(r"`make ([a-z-]+)", README)):
        assert target in targets, target
