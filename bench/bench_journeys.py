"""A user's journeys over 1,000,000 leads through the gateway, each beside the raw SQL of the same request.

    .venv/bin/python bench/bench_journeys.py --leads-db URL --reporting-db URL [--repeat 20] [--json out.json]

The databases are the ones bench_lead_search.py (`--keep`) and bench_reporting.py (`--keep`) load:
1,000,000 generated leads in the leads service's database, and facts of 1,000,000 leads in reporting's.
This starts the real processes of the Procfile that the journeys need, `gateway-web`, `leads-web` and
`reporting-web` (gunicorn, 2 workers each, as `make run` starts them), on those databases and a scratch
gateway database, and sends every request through the gateway over loopback HTTP with a keep-alive
session, as the browser does. The tokens are signed with a key pair in the processes' key folder, for
users the generated data knows (a rep, a sales manager of one team, an admin); the gateway verifies
them and forwards them, the services verify them again.

Journeys, each `--repeat` times after one warm-up: the lead list's first page (an admin, every lead;
a rep, their pools' and their own), search (a rotation of Chinese, English and phone fragments as a
sales manager), the public pool as a rep, two dashboards this month (an admin's acquisition, a
sales manager's sales) and an export of one month's leads to CSV. The raw SQL of a journey is the very
statements the same request sends, caught once through the Flask test client of the same service's
app on the same database, then sent again straight through psycopg on one connection `--repeat` times.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import urlencode

import psycopg
import requests
from sqlalchemy import event

sys.path.insert(0, str(Path(__file__).resolve().parent))
import system  # noqa: E402  (bench/system.py, beside this file)

PUBLIC_POOL = "00000000-0000-4000-8000-000000000002"
SEARCHES = ("锦佳", "northwind", "科技", "13812", "wang", "sterling foods")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))]


def reporting_ids() -> dict:
    """The generated reporting data's admin, sales manager of team 0 and team 0 (bench_reporting.ident)."""
    import bench_reporting

    return {"admin": bench_reporting.ident(4, 0), "manager": bench_reporting.manager_id(0),
            "team": bench_reporting.team_id(0)}


def journeys() -> list[dict]:
    """(name, service, who, path or a list of paths to rotate through)."""
    month = urlencode({"created_from": "2025-03-01T00:00:00+00:00", "created_to": "2025-04-01T00:00:00+00:00",
                       "format": "csv"})
    return [
        {"name": "lead list, first page (admin: every lead)", "service": "leads", "who": "leads-admin",
         "paths": ["/api/v1/leads?limit=50"]},
        {"name": "lead list, first page (a rep: their pools and their own)", "service": "leads", "who": "leads-rep",
         "paths": ["/api/v1/leads?limit=50"]},
        {"name": "search, " + " / ".join(SEARCHES) + " (a sales manager)", "service": "leads", "who": "leads-manager",
         "paths": ["/api/v1/leads/search?" + urlencode({"q": q}) for q in SEARCHES]},
        {"name": "public pool, first page (a rep)", "service": "leads", "who": "leads-rep",
         "paths": [f"/api/v1/leads?pool_id={PUBLIC_POOL}&status=pool&limit=50"]},
        {"name": "acquisition dashboard, this month (admin)", "service": "reporting", "who": "reporting-admin",
         "paths": ["/api/v1/dashboards/acquisition?period=this_month"]},
        {"name": "sales dashboard, this month (a sales manager's team)", "service": "reporting",
         "who": "reporting-manager", "paths": ["/api/v1/dashboards/sales?period=this_month"]},
        {"name": "export to CSV, the leads of one month (admin)", "service": "leads", "who": "leads-admin",
         "paths": ["/api/v1/leads/export?" + month], "export": True, "repeat": 5},
    ]


class CaughtSql:
    """Every statement the app sends, so the same SQL can be sent again raw."""

    def __init__(self, engine):
        self.statements: list[tuple[str, object]] = []
        event.listen(engine, "before_cursor_execute", self._catch)

    def _catch(self, _connection, _cursor, statement, parameters, _context, _executemany):
        self.statements.append((statement, parameters))

    def take(self) -> list[tuple[str, object]]:
        statements, self.statements = self.statements, []
        return statements


def replay(raw: psycopg.Connection, statements: list) -> None:
    """The statements one request sent, in one transaction rolled back after (the app's SET LOCALs hold too)."""
    savepoint = None
    for statement, parameters in statements:
        if statement.startswith("SAVEPOINT "):
            savepoint = statement.split()[1]
        try:
            cursor = raw.execute(statement, parameters)
        except psycopg.errors.QueryCanceled:
            raw.execute(f"ROLLBACK TO SAVEPOINT {savepoint}")  # a time budget ran out here as in the app
            continue
        if cursor.description:
            cursor.fetchall()
    raw.rollback()


def caught_statements(apps: dict, headers: dict, journey: dict) -> list[list]:
    """The statements of each of the journey's requests, through the test client of the service's app."""
    app, caught = apps[journey["service"]]
    client = app.test_client()
    found = []
    for path in journey["paths"]:
        caught.take()
        response = client.get(path, headers=headers[journey["who"]])
        assert response.status_code == 200, (path, response.status_code, response.get_data(as_text=True)[:500])
        response.get_data()  # an export streams: its pages are read while the body is
        found.append(caught.take())
    return found


def run(leads_db: str, reporting_db: str, server: str, repeat: int) -> dict:
    os.environ["CRM_TEST_DATABASE_URL"] = server
    os.environ.update(system.UNLIMITED)
    from crm_shared import testing

    ids = reporting_ids()
    with tempfile.TemporaryDirectory(prefix="bench-journeys-") as folder, ExitStack() as stack:
        data_dir = Path(folder)
        gateway_db = stack.enter_context(testing.scratch_database("gateway", data_dir, backend="postgresql"))
        databases = {"leads": leads_db, "reporting": reporting_db, "gateway": gateway_db}
        env = system.process_env(data_dir, databases, f"crmfs://{data_dir / 'bus'}")
        for package in ("leads", "reporting", "gateway"):
            system.migrate(package, env)
        tokens = testing.Tokens(testing.service_settings("leads", data_dir, leads_db))
        headers = {
            "leads-admin": tokens.headers("admin-1", ["admin"], "admin"),
            "leads-manager": tokens.headers("manager-1", ["sales_manager"], "manager", teams=["team-01"]),
            "leads-rep": tokens.headers("rep-005", ["sales_rep"], "rep-005", teams=["team-06"]),
            "reporting-admin": tokens.headers(ids["admin"], ["admin"], "admin"),
            "reporting-manager": tokens.headers(ids["manager"], ["sales_manager"], "manager00", teams=[ids["team"]]),
        }
        from leads import create_app as leads_app
        from reporting import create_app as reporting_app

        apps = {}
        for service, factory, url in (("leads", leads_app, leads_db), ("reporting", reporting_app, reporting_db)):
            app = factory(testing.service_settings(service, data_dir, url))
            apps[service] = (app, CaughtSql(app.extensions["crm.engine"]))
            stack.callback(app.extensions["crm.engine"].dispose)

        results = []
        names = ["leads-web", "reporting-web", "gateway-web"]
        with system.started(names, env, data_dir / "logs"), psycopg.connect(system.psycopg_dsn(leads_db)) as leads_raw, \
                psycopg.connect(system.psycopg_dsn(reporting_db)) as reporting_raw:
            raws = {"leads": leads_raw, "reporting": reporting_raw}
            gateway = env["CRM_GATEWAY_URL"]
            session = requests.Session()
            for journey in journeys():
                print(f"  {journey['name']}", flush=True)
                statements = caught_statements(apps, headers, journey)
                paths = journey["paths"]
                http_ms, sizes = [], []
                times = min(repeat, journey.get("repeat", repeat))
                for number in range(times + 1):
                    path = paths[number % len(paths)]
                    started = time.perf_counter()
                    response = session.get(gateway + path, headers=headers[journey["who"]], timeout=600)
                    body = response.content
                    elapsed = (time.perf_counter() - started) * 1000
                    assert response.status_code == 200, (path, response.status_code, body[:500])
                    if number:  # the first is the warm-up
                        http_ms.append(elapsed)
                        sizes.append(len(body))
                sql_ms = []
                raw = raws[journey["service"]]
                replay(raw, statements[0])  # warm-up
                for number in range(times):
                    started = time.perf_counter()
                    replay(raw, statements[(number + 1) % len(statements)])
                    sql_ms.append((time.perf_counter() - started) * 1000)
                line = {"name": journey["name"], "service": journey["service"], "paths": paths, "n": len(http_ms),
                        "p50_ms": percentile(http_ms, .5), "p95_ms": percentile(http_ms, .95),
                        "sql_p50_ms": percentile(sql_ms, .5), "sql_p95_ms": percentile(sql_ms, .95),
                        "statements": round(sum(len(s) for s in statements) / len(statements), 1),
                        "bytes": round(sum(sizes) / len(sizes))}
                if journey.get("export"):
                    line["rows"] = max(0, body.decode("utf-8-sig").count("\n") - 1)
                print(f"    p50 {line['p50_ms']:.1f} ms, p95 {line['p95_ms']:.1f} ms; SQL p50 {line['sql_p50_ms']:.1f}, "
                      f"p95 {line['sql_p95_ms']:.1f} ms; {line['statements']} statements", flush=True)
                results.append(line)
            session.close()
        with psycopg.connect(system.psycopg_dsn(leads_db)) as connection:
            leads = connection.execute("SELECT count(*) FROM leads").fetchone()[0]
        with psycopg.connect(system.psycopg_dsn(reporting_db)) as connection:
            facts = connection.execute("SELECT count(*) FROM fact_leads").fetchone()[0]
    return {"journeys": results, "leads": leads, "fact_leads": facts, "path": "through the gateway (gateway-web → "
            "leads-web / reporting-web, gunicorn, 2 workers each), loopback HTTP, one keep-alive session"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads-db", required=True, help="a leads database loaded by bench_lead_search.py --keep")
    parser.add_argument("--reporting-db", required=True, help="a reporting database loaded by bench_reporting.py --keep")
    parser.add_argument("--server", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    results = run(args.leads_db, args.reporting_db, args.server, args.repeat)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
