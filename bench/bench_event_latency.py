"""End-to-end event latency: from a lead's commit in the leads service to the reporting read model.

    .venv/bin/python bench/bench_event_latency.py --start [--samples 200] [--json out.json]
    .venv/bin/python bench/bench_event_latency.py [--gateway http://127.0.0.1:8000] [--bus-url amqp://...]

With `--start` it starts every process of the Procfile itself, as the end-to-end tests do, on scratch
PostgreSQL databases and the RabbitMQ broker (`--server`, `--amqp`), with a bus exchange of its own and
the demo users; everything is stopped and dropped at the end. Without it, it needs a running system
(`make run`, on either backend) with the demo users.

Each sample creates a lead through the gateway (its transaction has committed when the 201 arrives) and
waits until reporting has it:
- read model: polls the reporting database (`fact_leads`, only with `--start` or `--reporting-db`)
  every millisecond: the outbox relay, the bus and the reporting consumer's commit;
- dashboard: polls the channel dashboard through the gateway until it counts it: what a user sees,
  one dashboard read more.
The raw baseline is a bare publish-to-consume round trip on the same broker, measured in the same run.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from pathlib import Path

import psycopg
import requests
from kombu import Consumer, Exchange, Producer, Queue

from crm_shared.bus.connection import connect

sys.path.insert(0, str(Path(__file__).resolve().parent))
import system  # noqa: E402  (bench/system.py, beside this file)

DEMO_PASSWORD = "demo"
TIMEOUT_SECONDS = 10


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def login(gateway: str, password: str) -> requests.Session:
    session = requests.Session()
    answer = session.post(f"{gateway}/api/v1/auth/login", json={"username": "manager", "password": password}, timeout=30)
    answer.raise_for_status()
    session.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
    return session


def _create_lead(session: requests.Session, gateway: str, channel: str, number: int) -> str:
    response = session.post(f"{gateway}/api/v1/leads", timeout=30,
                            json={"company": f"Bench {channel} {number}", "contact_name": "Bench", "channel": channel})
    response.raise_for_status()
    return response.json()["id"]


def dashboard_latency(gateway: str, samples: int, session: requests.Session) -> list[float]:
    channel = f"bench-{uuid.uuid4().hex[:8]}"
    latencies = []
    for number in range(1, samples + 1):
        _create_lead(session, gateway, channel, number)
        committed = time.perf_counter()
        while True:
            rows = session.get(f"{gateway}/api/v1/dashboards/channels", timeout=30).json()["channels"]
            if any(r["channel"] == channel and r["leads_created"] >= number for r in rows):
                latencies.append(time.perf_counter() - committed)
                break
            if time.perf_counter() - committed > TIMEOUT_SECONDS:
                raise RuntimeError(f"sample {number} not on the dashboard after {TIMEOUT_SECONDS} s")
            time.sleep(0.002)
    return latencies


def read_model_latency(gateway: str, samples: int, session: requests.Session, reporting_dsn: str) -> list[float]:
    channel = f"bench-{uuid.uuid4().hex[:8]}"
    latencies = []
    with psycopg.connect(reporting_dsn, autocommit=True) as reporting:
        for number in range(1, samples + 1):
            lead_id = _create_lead(session, gateway, channel, number)
            committed = time.perf_counter()
            while not reporting.execute("SELECT 1 FROM fact_leads WHERE lead_id = %s", (lead_id,)).fetchone():
                if time.perf_counter() - committed > TIMEOUT_SECONDS:
                    raise RuntimeError(f"sample {number} not in fact_leads after {TIMEOUT_SECONDS} s")
                time.sleep(0.001)
            latencies.append(time.perf_counter() - committed)
    return latencies


def raw_bus_latency(bus_url: str, samples: int) -> list[float]:
    exchange = Exchange(f"bench-{uuid.uuid4().hex[:8]}", type="topic", durable=False, auto_delete=True)
    queue = Queue(f"{exchange.name}.q", exchange, routing_key="#", durable=False, auto_delete=True)
    latencies = []
    with connect(bus_url) as publisher_connection, connect(bus_url) as consumer_connection:
        received = []
        consumer = Consumer(consumer_connection.channel(), [queue], accept=["json"],
                            callbacks=[lambda body, message: (received.append(time.perf_counter()), message.ack())])
        consumer.consume()
        producer = Producer(publisher_connection.channel())
        for number in range(samples):
            sent = time.perf_counter()
            producer.publish({"n": number}, exchange=exchange, routing_key="bench.thing.happened.v1",
                             declare=[exchange], serializer="json")
            while len(received) <= number:
                try:
                    consumer_connection.drain_events(timeout=5)
                except TimeoutError:
                    pass
            latencies.append(received[number] - sent)
        consumer.cancel()
        queue(consumer_connection.channel()).delete()
    return latencies


def summary(samples: list[float]) -> dict:
    return {"samples": len(samples), "p50_ms": percentile(samples, 0.5) * 1000, "p99_ms": percentile(samples, 0.99) * 1000,
            "mean_ms": statistics.mean(samples) * 1000}


def measure(gateway: str, samples: int, password: str, bus_url: str | None, reporting_dsn: str | None) -> dict:
    """Every path this run can measure, each as {samples, p50_ms, p99_ms, mean_ms}."""
    results: dict = {"loadavg_before": os.getloadavg()}
    if bus_url:
        results["raw_bus"] = summary(raw_bus_latency(bus_url, samples))
    session = login(gateway, password)
    _create_lead(session, gateway, "bench-warm-up", 0)  # the first request of each worker pays for its imports
    if reporting_dsn:
        results["read_model"] = summary(read_model_latency(gateway, samples, session, reporting_dsn))
    results["dashboard"] = summary(dashboard_latency(gateway, samples, session))
    results["loadavg_after"] = os.getloadavg()
    return results


def measure_on_own_system(samples: int, server: str, amqp: str) -> dict:
    """Start every process of the Procfile on scratch databases and the broker, measure, stop and drop."""
    os.environ["CRM_TEST_DATABASE_URL"] = server
    from crm_shared import testing

    exchange = f"bench-{uuid.uuid4().hex[:8]}.crm.events"
    with tempfile.TemporaryDirectory(prefix="bench-latency-") as folder, ExitStack() as stack:
        data_dir = Path(folder)
        databases = {name: stack.enter_context(testing.scratch_database(name, data_dir, backend="postgresql"))
                     for name in system.SERVICES}
        env = system.process_env(data_dir, databases, amqp, {"CRM_DEMO": "1", "CRM_DEMO_PASSWORD": DEMO_PASSWORD,
                                                              "CRM_BUS_EXCHANGE": exchange})
        stack.callback(_delete_bus_names, amqp, exchange)
        for package, _port in system.SERVICES.values():
            system.migrate(package, env)
        names = [name for name in system.procfile_commands() if name != "ready"]
        with system.started(names, env, data_dir / "logs"):
            results = measure(env["CRM_GATEWAY_URL"], samples, DEMO_PASSWORD, amqp,
                              system.psycopg_dsn(databases["reporting"]))
        results["system"] = ("every process of the Procfile (" + ", ".join(names) + "), PostgreSQL + RabbitMQ, "
                             "2 gunicorn workers each")
    return results


def _delete_bus_names(amqp: str, exchange: str) -> None:
    with connect(amqp) as connection:
        channel = connection.default_channel
        for name in system.SERVICES:
            channel.queue_delete(f"{exchange}.{name}")
        channel.queue_delete(f"{exchange}.dead-letter")
        channel.exchange_delete(exchange)
        channel.exchange_delete(f"{exchange}.dead-letter")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--start", action="store_true", help="start the whole system here instead of using a running one")
    parser.add_argument("--server", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--amqp", default=os.environ.get("CRM_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//"))
    parser.add_argument("--gateway", default=os.environ.get("CRM_GATEWAY_URL", "http://127.0.0.1:8000"))
    parser.add_argument("--bus-url", default=os.environ.get("CRM_BUS_URL"))
    parser.add_argument("--reporting-db", help="the running system's reporting database URL, to poll the read model")
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--password", default=os.environ.get("CRM_DEMO_PASSWORD", DEMO_PASSWORD))
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    if args.start:
        results = measure_on_own_system(args.samples, args.server, args.amqp)
    else:
        reporting = system.psycopg_dsn(args.reporting_db) if args.reporting_db else None
        results = measure(args.gateway, args.samples, args.password, args.bus_url, reporting)
    print(f"| path ({args.samples} samples) | p50 ms | p99 ms | p50 ratio to raw |")
    print("|---|---|---|---|")
    raw_p50 = results["raw_bus"]["p50_ms"] if "raw_bus" in results else None
    labels = {"raw_bus": "raw publish → consume on the bus", "read_model": "lead committed → in reporting's fact_leads",
              "dashboard": "lead committed → channel dashboard counts it"}
    for key, label in labels.items():
        if key in results:
            line = results[key]
            ratio = f"{line['p50_ms'] / raw_p50:.0f}×" if raw_p50 else "n/a"
            print(f"| {label} | {line['p50_ms']:.1f} | {line['p99_ms']:.1f} | {ratio} |")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
