"""Suite-wide hooks: a tally of the marked tests at the end, and no quiet skips when real backends are required."""
from __future__ import annotations

import os
from collections import Counter

import pytest

# Fixtures every service's tests share (settings, app, client, tokens, the consumer path).
pytest_plugins = ["crm_shared.pytest_service"]

TRACKED_MARKERS = ("integration", "e2e", "browser", "faults")
_markers: dict[str, frozenset[str]] = {}
_outcomes: dict[str, tuple[frozenset[str], str]] = {}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Real markers only: report.keywords also holds folder names, and tests/integration/ is one.
    for item in items:
        _markers[item.nodeid] = frozenset(m.name for m in item.iter_markers() if m.name in TRACKED_MARKERS)


def _outcome(report: pytest.TestReport) -> str | None:
    if hasattr(report, "wasxfail"):
        return "xfailed" if report.skipped else "xpassed"
    if report.skipped:
        return "skipped"
    if report.failed:
        return "failed" if report.when == "call" else "error"
    return "passed" if report.when == "call" else None


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    outcome = _outcome(report)
    if outcome is None:
        return
    markers = _markers.get(report.nodeid, frozenset())
    _, previous = _outcomes.get(report.nodeid, (markers, "passed"))
    # The worst phase wins: a test that passed its call and failed its teardown is an error.
    if previous in {"failed", "error", "skipped"} and outcome == "passed":
        return
    _outcomes[report.nodeid] = (markers, outcome)


def _skipped_marked_tests() -> list[str]:
    return sorted(nodeid for nodeid, (markers, outcome) in _outcomes.items() if markers and outcome == "skipped")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """With CRM_TEST_REQUIRE_REAL=1 a skipped integration, e2e or browser test fails the run."""
    if os.environ.get("CRM_TEST_REQUIRE_REAL") == "1" and exitstatus == 0 and _skipped_marked_tests():
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    """One line per marker, so a run shows whether its integration, e2e and browser tests really ran."""
    if not _outcomes:
        return
    terminalreporter.section("tests by marker")
    for marker in TRACKED_MARKERS:
        counts = Counter(outcome for markers, outcome in _outcomes.values() if marker in markers)
        tally = ", ".join(f"{counts[o]} {o}" for o in ("passed", "failed", "error", "skipped", "xfailed", "xpassed") if counts[o] or o in {"passed", "skipped"})
        terminalreporter.write_line(f"{marker}: {tally}")
    skipped = _skipped_marked_tests()
    if skipped and os.environ.get("CRM_TEST_REQUIRE_REAL") == "1":
        terminalreporter.write_line("CRM_TEST_REQUIRE_REAL=1, yet these marked tests were skipped (the run fails):", red=True)
        for nodeid in skipped:
            terminalreporter.write_line(f"  {nodeid}", red=True)
