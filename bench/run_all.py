"""Every benchmark in one run, each figure beside raw baselines measured in the same run, written to docs/performance.md.

    make bench                                   # the full run: 1,000,000 leads
    .venv/bin/python bench/run_all.py --quick    # small scales, a few minutes
    .venv/bin/python bench/run_all.py [--rebuild] [--only baselines,search,...] [--doc PATH] [--doc-only var/bench/latest.json]

Describes the machine, measures the raw baselines (bench/baselines.py: PostgreSQL COPY and executemany,
RabbitMQ confirmed publish and consume, a bare Flask endpoint under gunicorn), then runs each benchmark
of bench/ as its own process with `--json`, notes the load average before and after each, and writes
the generated part of docs/performance.md (between its markers; the hand-written history and analysis
after it is kept as it is). The results also go to var/bench/<time>/results.json and var/bench/latest.json,
the logs of each part beside them.

The 1,000,000-lead databases (`bench_lead_search_1m`, `bench_reporting_1m`; `_quick` in quick mode) are
loaded once and kept: later runs reuse them, `--rebuild` drops and loads them again. The runner needs
PostgreSQL and RabbitMQ running (`--server`, `--amqp`); it starts every process it measures itself.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import psycopg

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
sys.path.insert(0, str(BENCH_DIR))
import performance_doc  # noqa: E402
import system  # noqa: E402

DOC = REPO_ROOT / "docs" / "performance.md"
RESULTS_DIR = REPO_ROOT / "var" / "bench"

# Scales: (quick, full).
SCALES = {
    "baseline_rows": (20_000, 100_000), "baseline_messages": (2_000, 20_000), "baseline_seconds": (5, 10),
    "bus_messages": (1_000, 5_000), "import_rows": (10_000, 100_000),
    "claim_rows": (400, 2_000), "claim_race": (50, 200), "claim_clients": (10, 20),
    "search_leads": (50_000, 1_000_000), "search_repeat": (1, 3),
    "projection_events": (2_000, 20_000), "handle_events": (500, 5_000),
    "reporting_leads": (50_000, 1_000_000), "archive_rows": (200_000, 10_000_000), "reporting_repeat": (5, 30),
    "section_seconds": (30, 150), "latency_samples": (30, 200), "journey_repeat": (5, 20),
}
PARTS = ("baselines", "embedded_bus", "import", "claims", "search", "reporting", "latency", "journeys")


def scale(name: str, quick: bool) -> int:
    return SCALES[name][0 if quick else 1]


def database_url(server: str, name: str) -> str:
    return server.rsplit("/", 1)[0] + "/" + name


def commands(args: argparse.Namespace, leads_db: str, reporting_db: str) -> dict[str, list[str]]:
    """The command line of each part, without --json."""
    q = args.quick
    return {
        "baselines": ["baselines.py", "--server", args.server, "--amqp", args.amqp,
                      "--rows", str(scale("baseline_rows", q)), "--messages", str(scale("baseline_messages", q)),
                      "--seconds", str(scale("baseline_seconds", q))],
        "embedded_bus": ["bench_embedded_bus.py", "--messages", str(scale("bus_messages", q))],
        "import": ["bench_lead_import.py", "--rows", str(scale("import_rows", q)), "--server", args.server],
        "claims": ["bench_lead_claims.py", "--rows", str(scale("claim_rows", q)), "--race", str(scale("claim_race", q)),
                   "--clients", str(scale("claim_clients", q)), "--server", args.server],
        "search": ["bench_lead_search.py", "--rows", str(scale("search_leads", q)), "--repeat", str(scale("search_repeat", q)),
                   "--server", args.server, "--keep", leads_db],
        "reporting": ["bench_reporting.py", "--server", args.server, "--amqp", args.amqp, "--keep", reporting_db,
                      "--events", str(scale("projection_events", q)), "--handle-events", str(scale("handle_events", q)),
                      "--leads", str(scale("reporting_leads", q)), "--archive", str(scale("archive_rows", q)),
                      "--repeat", str(scale("reporting_repeat", q)), "--section-seconds", str(scale("section_seconds", q))],
        "latency": ["bench_event_latency.py", "--start", "--server", args.server, "--amqp", args.amqp,
                    "--samples", str(scale("latency_samples", q))],
        "journeys": ["bench_journeys.py", "--leads-db", leads_db, "--reporting-db", reporting_db, "--server", args.server,
                     "--repeat", str(scale("journey_repeat", q))],
    }


def describe_machine(server: str) -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor() or "unknown")
    memory_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                     if line.startswith("MemTotal:"))
    with psycopg.connect(system.psycopg_dsn(server)) as connection:
        postgres = connection.execute("SHOW server_version").fetchone()[0]
        settings = {name: connection.execute(f"SHOW {name}").fetchone()[0]
                    for name in ("shared_buffers", "work_mem", "max_connections", "synchronous_commit")}
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(memory_kb / 1024 / 1024, 1),
            "kernel": platform.release(), "python": platform.python_version(), "postgresql": postgres,
            "postgresql_settings": settings, "uptime": _uptime()}


def _uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def commit() -> dict:
    def git(*arguments: str) -> str:
        return subprocess.run(["git", *arguments], cwd=REPO_ROOT, capture_output=True, text=True).stdout.strip()

    changed = [line for line in git("status", "--porcelain").splitlines() if line.strip()]
    return {"commit": git("rev-parse", "--short", "HEAD"), "subject": git("log", "-1", "--format=%s"),
            "uncommitted_files": len(changed)}


def run_part(name: str, command: list[str], folder: Path) -> dict:
    """One benchmark as its own process; its figures from --json, its output in <name>.log."""
    output = folder / f"{name}.json"
    log = folder / f"{name}.log"
    line = [sys.executable, str(BENCH_DIR / command[0]), *command[1:], "--json", str(output)]
    print(f"== {name}: {' '.join(command)}  (load average {_loadavg()})", flush=True)
    started = time.perf_counter()
    before, uptime_before = os.getloadavg(), _uptime()
    with open(log, "w", encoding="utf-8") as stream:
        returncode = subprocess.run(line, cwd=REPO_ROOT, stdout=stream, stderr=subprocess.STDOUT).returncode
    part = {"command": " ".join(["bench/" + command[0], *command[1:]]), "returncode": returncode,
            "seconds": time.perf_counter() - started, "loadavg_before": before, "loadavg_after": os.getloadavg(),
            "uptime_before": uptime_before, "uptime_after": _uptime(), "log": str(log.relative_to(REPO_ROOT))}
    if output.exists():
        part["figures"] = json.loads(output.read_text(encoding="utf-8"))
    if returncode:
        part["log_tail"] = log.read_text(encoding="utf-8", errors="replace").splitlines()[-15:]
    state = "done" if returncode == 0 else f"FAILED (exit {returncode}), see {part['log']}"
    print(f"   {state} in {part['seconds']:.0f} s", flush=True)
    return part


def _loadavg() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small scales (minutes) instead of 1,000,000 leads")
    parser.add_argument("--rebuild", action="store_true", help="drop the kept bench databases and load them again")
    parser.add_argument("--only", default=",".join(PARTS), help="comma-separated parts: " + ", ".join(PARTS))
    parser.add_argument("--server", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--amqp", default=os.environ.get("CRM_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//"))
    parser.add_argument("--doc", help=f"the document to write the generated part of (default: {DOC.relative_to(REPO_ROOT)} "
                                      "after a run of every part; a run of some parts writes none unless given)")
    parser.add_argument("--doc-only", metavar="RESULTS_JSON", help="write the document from saved results, run nothing")
    args = parser.parse_args()
    if args.doc_only:
        results = json.loads(Path(args.doc_only).read_text(encoding="utf-8"))
        doc = Path(args.doc) if args.doc else DOC
        performance_doc.write(doc, results)
        print(f"wrote {doc} from {args.doc_only}")
        return
    only = [part for part in PARTS if part in args.only.split(",")]
    unknown = set(args.only.split(",")) - set(PARTS)
    if unknown:
        parser.error(f"unknown parts: {', '.join(sorted(unknown))}")
    suffix = "quick" if args.quick else "1m"
    leads_db = database_url(args.server, f"bench_lead_search_{suffix}")
    reporting_db = database_url(args.server, f"bench_reporting_{suffix}")
    if args.rebuild:
        for url in (leads_db, reporting_db):
            system.drop_database(url)

    stamp = datetime.now(timezone.utc)
    folder = RESULTS_DIR / stamp.strftime("%Y%m%dT%H%M%SZ")
    folder.mkdir(parents=True, exist_ok=True)
    results = {"started_at": stamp.isoformat(timespec="seconds"), "mode": "quick" if args.quick else "full",
               "command": "bench/run_all.py " + " ".join(sys.argv[1:]), "machine": describe_machine(args.server),
               "git": commit(), "loadavg_before": os.getloadavg(), "parts": {}}
    lines = commands(args, leads_db, reporting_db)
    started = time.perf_counter()
    for name in only:
        results["parts"][name] = run_part(name, lines[name], folder)
        _save(results, folder)
    results.update(seconds=time.perf_counter() - started, loadavg_after=os.getloadavg(), uptime_after=_uptime(),
                   finished_at=datetime.now(timezone.utc).isoformat(timespec="seconds"))
    _save(results, folder)
    # A run of some parts only would replace the page's figures of every part with its few.
    doc = Path(args.doc) if args.doc else DOC if only == list(PARTS) else None
    if doc:
        performance_doc.write(doc, results)
    failed = [name for name, part in results["parts"].items() if part["returncode"]]
    print((f"wrote {doc}; " if doc else "wrote no page (some parts only; --doc names one); ")
          + f"results in {folder.relative_to(REPO_ROOT)}; {time.perf_counter() - started:.0f} s"
          + (f"; FAILED: {', '.join(failed)}" if failed else ""))
    sys.exit(1 if failed else 0)


def _save(results: dict, folder: Path) -> None:
    text = json.dumps(results, indent=2, ensure_ascii=False, default=str)
    (folder / "results.json").write_text(text, encoding="utf-8")
    (RESULTS_DIR / "latest.json").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
