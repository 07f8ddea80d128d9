"""Claims per second through the gateway with 20 concurrent reps, checked for lost and doubled claims.

    .venv/bin/python bench/bench_lead_claims.py [--rows 2000] [--race 200] [--clients 20] [--teams 4] \
        [--server postgresql+psycopg://postgres@127.0.0.1:5432/postgres] [--json out.json]

Starts the real processes of the Procfile that a claim needs, `leads-web` and `gateway-web` (gunicorn,
2 workers each, exactly as `make run` starts them), on two scratch PostgreSQL databases migrated with
the real migrations; no worker runs, so every event the claims emit stays in the leads outbox to be
counted. Seeds `--rows` pool leads in the default lead pool and `--clients` sales reps in the gateway
(in `--teams` teams), each of whom logs in through `POST /api/v1/auth/login`.

Then `--clients` threads, one rep and one keep-alive HTTP session each, claim through the gateway
(`POST /api/v1/leads/{id}/claim`) in two phases:

- race: every rep walks the same `--race` leads in the same order, so up to 20 claims of one lead
  arrive together; one must win (200), the others must hear 409 `lead_already_claimed`;
- spread: the other leads, split between the reps, no two reps on one lead;

and, to see what the gateway adds, the spread once more on leads of its own sent straight to leads-web.

Afterwards the leads database is checked: each lead was won at most once, by the rep whose claim got
the 200 and who owns it now; every raced lead has an owner (no lost claim); the ownership history
has exactly one `claimed` row and the outbox exactly one `leads.lead.claimed.v1` per 200; no answer
was anything but 200 or 409. The raw baseline, in the same run on the same database: the bare
`UPDATE leads SET owner_id = .., status = 'claimed', version = version + 1 WHERE id = .. AND status =
'pool'` through psycopg on fresh pool leads of the same kind, one transaction per claim, in a loop on
one connection and from `--clients` threads (each its own connection) with the same race and spread.
The processes are stopped and the databases dropped at the end.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from contextlib import ExitStack
from datetime import datetime, timezone
from pathlib import Path

import psycopg
import requests
from sqlalchemy.engine import make_url

from crm_shared import testing
from crm_shared.auth import SALES_REP
from crm_shared.db import make_engine, make_session_factory

REPO_ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "bench-password"
CLAIMED_EVENT = "leads.lead.claimed.v1"
DEFAULT_LEAD_POOL_ID = "00000000-0000-4000-8000-000000000001"
IDLE_SECONDS = 1.0  # below gunicorn's keep-alive timeout (2 s)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def procfile_command(name: str) -> str:
    for line in (REPO_ROOT / "Procfile").read_text(encoding="utf-8").splitlines():
        found = re.match(rf"^{re.escape(name)}:\s*(.+)$", line.strip())
        if found:
            return found.group(1)
    raise KeyError(name)


def psycopg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def migrate(package: str, env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "-m", f"{package}.migrate"], env=env, cwd=REPO_ROOT, check=True,
                   capture_output=True, timeout=180)


def seed_reps(gateway_url_db: str, env: dict[str, str], clients: int, teams: int) -> list[tuple[str, str]]:
    """Sales reps in the gateway database, in `teams` teams: (username, user id)."""
    from gateway import accounts
    from gateway.passwords import Passwords
    from gateway.uow import GatewayUnitOfWork

    engine = make_engine(gateway_url_db)
    factory = make_session_factory(engine)
    reps = []
    for number in range(clients):
        team = (f"bench-team-{number % teams + 1}",) if teams else ()
        user = accounts.create_user(lambda: GatewayUnitOfWork(factory), Passwords(), username=f"bench-rep-{number:02d}",
                                    password=PASSWORD, display_name=f"Bench Rep {number}", roles=(SALES_REP,),
                                    team_names=team)
        reps.append((user.username, user.id))
    engine.dispose()
    return reps


def seed_leads(dsn: str, count: int, tag: str) -> list[str]:
    """`count` pool leads in the default lead pool, as a lead import leaves them; their ids in order."""
    from leads.db_search import searchable

    rng = random.Random(tag)
    now = datetime.now(timezone.utc)
    ids = []
    with psycopg.connect(dsn) as connection, connection.cursor() as cursor:
        with cursor.copy("COPY leads (id, company, contact_name, phone, email, channel, status, created_at, version, "
                         "pool_id, tags, entered_pool_at, search_text, search_grams) FROM STDIN") as copy:
            for n in range(count):
                lead_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
                company, contact = f"{tag} 锦佳信息技术有限公司 {n}", "王芳"
                phone, email = f"139{rng.randrange(10 ** 8):08d}", f"{tag}{n}@example.cn"
                search = searchable({"company": company, "contact_name": contact, "phone": phone, "email": email})
                copy.write_row((lead_id, company, contact, phone, email, "web", "pool", now, 1, DEFAULT_LEAD_POOL_ID,
                                "[]", now, search["search_text"], search["search_grams"]))
                ids.append(lead_id)
        connection.commit()
        connection.execute("ANALYZE leads")
        connection.commit()
    return ids


def start(name: str, env: dict[str, str], log_dir: Path) -> subprocess.Popen:
    with open(log_dir / f"{name}.log", "a", encoding="utf-8") as log:
        return subprocess.Popen(["bash", "-c", procfile_command(name)], env=env, cwd=REPO_ROOT, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def wait_ready(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited with {process.returncode}")
        try:
            if requests.get(f"{url}/ready", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} was not ready after {timeout} s")


# --- the load -------------------------------------------------------------------------------------

class Results:
    def __init__(self):
        self.lock = threading.Lock()
        self.wins: list[tuple[str, str]] = []  # (lead id, rep user id) of every 200
        self.statuses: Counter = Counter()
        self.codes: Counter = Counter()
        self.latencies: list[float] = []

    def add(self, lead_id: str, user_id: str, status: int, code: str | None, elapsed: float) -> None:
        with self.lock:
            self.statuses[status] += 1
            if code:
                self.codes[code] += 1
            if status == 200:
                self.wins.append((lead_id, user_id))
            self.latencies.append(elapsed)


def run_phase(plans: list[list[str]], claim) -> tuple[float, Results]:
    """Each plan is one client's leads in order; `claim(client, lead_id, results)` sends one claim."""
    results = Results()
    barrier = threading.Barrier(len(plans) + 1)

    def client(number: int, lead_ids: list[str]) -> None:
        barrier.wait()
        for lead_id in lead_ids:
            claim(number, lead_id, results)

    threads = [threading.Thread(target=client, args=(n, plan)) for n, plan in enumerate(plans)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, results


def race_plans(lead_ids: list[str], clients: int) -> list[list[str]]:
    """Every client walks the same leads in the same order, starting a few leads apart."""
    return [lead_ids[n % 3:] + lead_ids[:n % 3] for n in range(clients)]


def spread_plans(lead_ids: list[str], clients: int) -> list[list[str]]:
    return [lead_ids[n::clients] for n in range(clients)]


def through_gateway(gateway: str, tokens: list[tuple[str, str]]):
    sessions = []
    for user_id, token in tokens:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token}"
        sessions.append((session, user_id))
    last_used = [0.0] * len(sessions)

    def claim(number: int, lead_id: str, results: Results) -> None:
        session, user_id = sessions[number]
        if time.monotonic() - last_used[number] > IDLE_SECONDS:
            # gunicorn closes a keep-alive connection idle for 2 s; a POST sent on it as it closes is reset, and
            # requests does not retry a POST. Between phases a session idles longer, so it starts afresh.
            session.close()
        started = time.perf_counter()
        try:
            response = session.post(f"{gateway}/api/v1/leads/{lead_id}/claim", timeout=60)
        except requests.ConnectionError as error:
            results.add(lead_id, user_id, 0, f"connection error: {error}", time.perf_counter() - started)
            return
        finally:
            last_used[number] = time.monotonic()
        elapsed = time.perf_counter() - started
        code = None if response.status_code == 200 else response.json().get("code")
        results.add(lead_id, user_id, response.status_code, code, elapsed)

    return claim, lambda: [session.close() for session, _ in sessions]


def bare_updates(dsn: str, user_ids: list[str]):
    connections = [psycopg.connect(dsn, autocommit=True) for _ in user_ids]

    def claim(number: int, lead_id: str, results: Results) -> None:
        started = time.perf_counter()
        cursor = connections[number].execute(
            "UPDATE leads SET owner_id = %s, status = 'claimed', claimed_at = now(), version = version + 1 "
            "WHERE id = %s AND status = 'pool'", (user_ids[number], lead_id))
        elapsed = time.perf_counter() - started
        won = cursor.rowcount == 1
        results.add(lead_id, user_ids[number], 200 if won else 409, None if won else "lead_already_claimed", elapsed)

    return claim, lambda: [connection.close() for connection in connections]


# --- the checks -----------------------------------------------------------------------------------

def verify(dsn: str, lead_ids: list[str], raced: list[str], results: list[Results], history: bool) -> list[str]:
    """What went wrong, if anything: doubled, lost or unrecorded claims."""
    problems = []
    wins = [win for result in results for win in result.wins]
    won = Counter(lead_id for lead_id, _ in wins)
    doubled = [lead_id for lead_id, times in won.items() if times > 1]
    if doubled:
        problems.append(f"{len(doubled)} leads won by two claims, e.g. {doubled[:3]}")
    others = sum(count for result in results for status, count in result.statuses.items() if status not in (200, 409))
    if others:
        problems.append(f"{others} answers other than 200 and 409: {[dict(r.statuses) for r in results]}")
    with psycopg.connect(dsn) as connection:
        owners = dict(connection.execute(
            "SELECT id, owner_id FROM leads WHERE id = ANY(%s) AND status = 'claimed'", (lead_ids,)).fetchall())
        expected = dict(wins)
        if owners != expected:
            wrong = [lead_id for lead_id in set(owners) | set(expected) if owners.get(lead_id) != expected.get(lead_id)]
            problems.append(f"{len(wrong)} leads whose owner is not the rep who got the 200, e.g. {wrong[:3]}")
        lost = [lead_id for lead_id in raced if lead_id not in owners]
        if lost:
            problems.append(f"{len(lost)} raced leads nobody got (lost claims), e.g. {lost[:3]}")
        if history:
            rows = connection.execute(
                "SELECT lead_id, to_owner_id FROM lead_ownership_history "
                "WHERE reason = 'claimed' AND lead_id = ANY(%s)",
                (lead_ids,)).fetchall()
            if Counter(rows) != Counter(wins):
                problems.append(f"ownership history has {len(rows)} claim rows for {len(wins)} claims won")
            ours = set(lead_ids)
            payloads = [json.loads(body)["payload"] for (body,) in connection.execute(
                "SELECT body FROM outbox WHERE name = %s", (CLAIMED_EVENT,)).fetchall()]
            events = Counter((p["lead_id"], p["owner_id"]) for p in payloads if p["lead_id"] in ours)
            if events != Counter(wins):
                problems.append(f"the outbox has {sum(events.values())} {CLAIMED_EVENT} for {len(wins)} claims won")
    return problems


def summary(label: str, elapsed: float, result: Results) -> dict:
    won = result.statuses[200]
    latencies = sorted(result.latencies)
    p = lambda fraction: latencies[min(len(latencies) - 1, int(fraction * len(latencies)))] * 1000  # noqa: E731
    line = {"label": label, "seconds": elapsed, "attempts": len(latencies), "won": won,
            "refused": result.statuses[409], "claims_per_s": won / elapsed, "attempts_per_s": len(latencies) / elapsed,
            "p50_ms": p(0.5), "p95_ms": p(0.95), "p99_ms": p(0.99)}
    print(f"  {label:44} {elapsed:6.2f} s  {won:5} won  {line['refused']:6} × 409  "
          f"{line['claims_per_s']:7.0f} claims/s  {line['attempts_per_s']:7.0f} requests/s  "
          f"p50 {line['p50_ms']:6.1f} ms  p95 {line['p95_ms']:6.1f} ms  p99 {line['p99_ms']:6.1f} ms")
    return line


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2000, help="pool leads claimed through the gateway")
    parser.add_argument("--race", type=int, default=200, help="of those, the leads every rep races for")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--teams", type=int, default=4, help="teams the reps are in (0: none)")
    parser.add_argument("--server", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    os.environ["CRM_TEST_DATABASE_URL"] = args.server
    with tempfile.TemporaryDirectory() as folder, ExitStack() as stack:
        data_dir = Path(folder)
        leads_db = stack.enter_context(testing.scratch_database("leads", data_dir, backend="postgresql"))
        gateway_db = stack.enter_context(testing.scratch_database("gateway", data_dir, backend="postgresql"))
        ports = {"gateway": free_port(), "leads": free_port()}
        env = {key: value for key, value in os.environ.items() if not key.startswith("CRM_")}
        env.update({
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}", "PYTHONUNBUFFERED": "1",
            "CRM_DATA_DIR": str(data_dir), "CRM_BUS_URL": f"crmfs://{data_dir / 'bus'}",
            "CRM_LEADS_DATABASE_URL": leads_db, "CRM_GATEWAY_DATABASE_URL": gateway_db,
            "CRM_LEADS_PORT": str(ports["leads"]), "CRM_GATEWAY_PORT": str(ports["gateway"]),
            "CRM_LEADS_URL": f"http://127.0.0.1:{ports['leads']}", "CRM_WEB_WORKERS": "2",
            "CRM_GATEWAY_WEB_WORKERS": "2",
            # 20 reps claim far faster than people do: the per-user limits on claims and lead views would answer 429.
            "CRM_LEADS_CLAIMS_PER_MINUTE": "1000000", "CRM_LEADS_POOL_VIEWS_PER_MINUTE": "1000000",
        })
        for package in ("leads", "gateway"):
            migrate(package, env)
        os.environ.update({key: value for key, value in env.items() if key.startswith("CRM_")})
        reps = seed_reps(gateway_db, env, args.clients, args.teams)
        dsn = psycopg_dsn(leads_db)
        lead_ids = seed_leads(dsn, args.rows, "gateway")
        baseline_ids = seed_leads(dsn, args.rows, "baseline")
        single_ids = seed_leads(dsn, args.rows - args.race, "single")
        direct_ids = seed_leads(dsn, args.rows - args.race, "direct")
        print(f"{args.rows:,} pool leads for the gateway, {args.rows - args.race:,} straight to leads-web, "
              f"{args.rows:,} + {args.rows - args.race:,} for the baseline; "
              f"{args.clients} reps in {args.teams} teams")

        (data_dir / "logs").mkdir()
        processes = [start(name, env, data_dir / "logs") for name in ("leads-web", "gateway-web")]
        stack.callback(stop, processes)
        wait_ready(env["CRM_LEADS_URL"], processes[0])
        gateway = f"http://127.0.0.1:{ports['gateway']}"
        wait_ready(gateway, processes[1])
        tokens = []
        for username, user_id in reps:
            answer = requests.post(f"{gateway}/api/v1/auth/login", json={"username": username, "password": PASSWORD},
                                   timeout=30)
            answer.raise_for_status()
            tokens.append((user_id, answer.json()["access_token"]))
        user_ids = [user_id for user_id, _ in tokens]

        raced, spread = lead_ids[:args.race], lead_ids[args.race:]
        lines, gateway_results = [], []
        print("through the gateway (leads-web and gateway-web, 2 gunicorn workers each):")
        claim, close = through_gateway(gateway, tokens)
        direct_claim, direct_close = through_gateway(env["CRM_LEADS_URL"], tokens)
        # A few claims first, so every worker has its connections and imports before the clock starts.
        warm_up = spread[-args.clients:]
        spread = spread[:-args.clients]
        for number, lead_id in enumerate(warm_up):
            gateway_results.append(Results())
            claim(number, lead_id, gateway_results[-1])
        elapsed, race = run_phase(race_plans(raced, args.clients), claim)
        gateway_results.append(race)
        lines.append(summary(f"race: {args.clients} reps on the same {len(raced)} leads", elapsed, race))
        elapsed, spread_result = run_phase(spread_plans(spread, args.clients), claim)
        gateway_results.append(spread_result)
        lines.append(summary(f"spread: {args.clients} reps, {len(spread)} leads", elapsed, spread_result))
        close()
        # Where the time goes: the same spread straight to leads-web, without the gateway in front.
        elapsed, direct = run_phase(spread_plans(direct_ids, args.clients), direct_claim)
        direct_line = summary(f"spread, straight to leads-web: {len(direct_ids)} leads", elapsed, direct)
        direct_close()

        print("raw baseline (bare UPDATE ... WHERE status = 'pool' through psycopg, same database):")
        baseline_results = []
        claim, close = bare_updates(dsn, user_ids)
        elapsed, single = run_phase([single_ids], claim)
        baseline_results.append(single)
        lines.append(summary(f"one connection, a loop over {len(single_ids)} leads", elapsed, single))
        elapsed, race = run_phase(race_plans(baseline_ids[:args.race], args.clients), claim)
        baseline_results.append(race)
        lines.append(summary(f"race: {args.clients} threads on the same {args.race} leads", elapsed, race))
        elapsed, spread_result = run_phase(spread_plans(baseline_ids[args.race:], args.clients), claim)
        baseline_results.append(spread_result)
        lines.append(summary(f"spread: {args.clients} threads, {args.rows - args.race} leads", elapsed, spread_result))
        close()

        gateway_rate = lines[1]["claims_per_s"]
        print(f"ratio, spread phase: gateway / bare UPDATE from {args.clients} threads "
              f"{gateway_rate / lines[4]['claims_per_s']:.3f}, "
              f"/ one connection {gateway_rate / lines[2]['claims_per_s']:.3f}")
        print(f"ratio, spread phase: gateway / straight to leads-web {gateway_rate / direct_line['claims_per_s']:.3f}")
        print(f"ratio, race phase: gateway / bare UPDATE from {args.clients} threads "
              f"{lines[0]['claims_per_s'] / lines[3]['claims_per_s']:.3f}")
        print(f"refusal codes through the gateway: {dict(sum((r.codes for r in gateway_results), Counter()))}")

        problems = verify(dsn, lead_ids, raced, gateway_results, history=True)
        problems += [f"straight to leads-web: {p}" for p in verify(dsn, direct_ids, [], [direct], history=True)]
        problems += [f"baseline: {p}" for p in verify(dsn, baseline_ids + single_ids, baseline_ids[:args.race],
                                                       baseline_results, history=False)]
        won = sum(r.statuses[200] for r in gateway_results)
        print(f"checked: {won} claims won through the gateway = {won} owners = {won} ownership history rows = "
              f"{won} {CLAIMED_EVENT} in the outbox; every raced lead has one owner" if not problems else "")
        for problem in problems:
            print("PROBLEM:", problem)
        if args.json:
            figures = {"gateway_race": lines[0], "gateway_spread": lines[1], "direct_spread": direct_line,
                       "bare_one_connection": lines[2], "bare_race": lines[3], "bare_spread": lines[4],
                       "clients": args.clients, "rows": args.rows, "race": args.race, "problems": problems}
            Path(args.json).write_text(json.dumps(figures, indent=2), encoding="utf-8")
        if problems:
            sys.exit(1)


if __name__ == "__main__":
    main()
