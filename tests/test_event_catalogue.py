"""The event catalogue in docs/architecture.md matches the contracts and what the code publishes and handles."""
from __future__ import annotations

import importlib
import json
import re
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = REPO_ROOT / "docs" / "architecture.md"
CONTRACTS = REPO_ROOT / "contracts" / "events"
# component in the catalogue -> the module whose HANDLERS say what it consumes / whose constants it publishes
HANDLER_MODULES = {
    "leads": "leads.handlers",
    "sales": "sales.handlers",
    "service-desk": "service_desk.handlers",
    "reporting": "reporting.handlers",
    "gateway": "gateway.handlers",
}
EVENT_MODULES = {
    "leads": "leads.events", "sales": "sales.events", "service-desk": "service_desk.events", "gateway": "gateway.events",
}


def catalogue_rows() -> dict[str, dict]:
    rows = {}
    for line in CATALOGUE.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^\|\s*`([a-z_.0-9]+)`\s*\|([^|]+)\|([^|]+)\|([^|]+)\|$", line)
        if match:
            name, producer, consumers, payload = (part.strip() for part in match.groups())
            rows[name] = {
                "producer": producer,
                "consumers": {c.strip() for c in consumers.split(",") if c.strip()},
                "payload": {f.strip() for f in payload.split(",") if f.strip()},
            }
    return rows


def test_every_contract_example_has_a_catalogue_row_with_the_same_payload_fields():
    rows = catalogue_rows()
    examples = {path.name.removesuffix(".json"): path for path in CONTRACTS.glob("*.json")}
    assert set(rows) == set(examples)
    for name, path in examples.items():
        example = json.loads(path.read_text(encoding="utf-8"))
        assert example["name"] == name
        assert set(example["payload"]) == rows[name]["payload"], name


@pytest.mark.parametrize("component", sorted(HANDLER_MODULES))
def test_each_component_handles_exactly_the_events_the_catalogue_says_it_consumes(component):
    handlers = importlib.import_module(HANDLER_MODULES[component]).HANDLERS
    expected = {name for name, row in catalogue_rows().items() if component in row["consumers"]}
    assert set(handlers) == expected


@pytest.mark.parametrize("component", sorted(EVENT_MODULES))
def test_each_producer_defines_the_events_the_catalogue_says_it_publishes(component):
    module = importlib.import_module(EVENT_MODULES[component])
    defined = {value for value in vars(module).values() if isinstance(value, str) and re.match(r"^[a-z_]+\.[a-z_]+\.[a-z_]+\.v\d+$", value)}
    expected = {name for name, row in catalogue_rows().items() if row["producer"] == component}
    assert defined == expected
