"""The raw baselines every figure is read against, measured in the same run: PostgreSQL, RabbitMQ, a bare Flask app.

    .venv/bin/python bench/baselines.py [--rows 100000] [--messages 20000] [--seconds 10] [--json out.json]

- PostgreSQL: `--rows` rows of a 10-column leads-like table (uuid key, texts, a timestamp) into a scratch
  table of a scratch database, by COPY and by psycopg `executemany`, each in one transaction.
- RabbitMQ: `--messages` persistent JSON messages of about 300 bytes published with kombu to a durable
  queue with publisher confirms (the outbox relay's settings: a confirm per message), then consumed
  with acks (prefetch 100).
- A bare Flask endpoint (`bench/bare_flask.py`, one JSON answer) under gunicorn with 2 sync workers,
  as the services run, loaded for `--seconds` from loopback by wrk (Debian's `wrk`: 2 threads, 8
  connections) when it is installed, else by a Python client (8 threads, keep-alive sessions);
  requests/s and latency p50 / p99.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

import psycopg
import requests
from kombu import Connection, Consumer, Exchange, Producer, Queue

sys.path.insert(0, str(Path(__file__).resolve().parent))
import system  # noqa: E402  (bench/system.py, beside this file)

BENCH_DIR = Path(__file__).resolve().parent


def postgresql(server: str, rows: int) -> dict:
    url = server.rsplit("/", 1)[0] + f"/bench_baseline_{uuid.uuid4().hex[:8]}"
    system.create_database_if_missing(url)
    now = datetime.now(timezone.utc)
    data = [(uuid.uuid4(), f"上海锦佳信息技术有限公司 {n}", "王芳", f"139{n:08d}", f"user{n}@example.cn", "web", "pool",
             None, now, "Met at the Canton fair") for n in range(rows)]
    table = ("CREATE TABLE baseline_leads (id uuid PRIMARY KEY, company text, contact_name text, phone text, "
             "email text, channel text, status text, owner_id text, created_at timestamptz, notes text)")
    columns = "id, company, contact_name, phone, email, channel, status, owner_id, created_at, notes"
    try:
        with psycopg.connect(system.psycopg_dsn(url)) as connection:
            connection.execute(table)
            connection.commit()
            started = time.perf_counter()
            with connection.cursor() as cursor, cursor.copy(f"COPY baseline_leads ({columns}) FROM STDIN") as copy:
                for row in data:
                    copy.write_row(row)
            connection.commit()
            copy_seconds = time.perf_counter() - started
            connection.execute("TRUNCATE baseline_leads")
            connection.commit()
            started = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.executemany(f"INSERT INTO baseline_leads ({columns}) VALUES "
                                   "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)", data)
            connection.commit()
            executemany_seconds = time.perf_counter() - started
    finally:
        system.drop_database(url)
    return {"rows": rows, "copy_rows_per_s": rows / copy_seconds, "executemany_rows_per_s": rows / executemany_seconds}


def rabbitmq(amqp: str, messages: int) -> dict:
    name = f"bench-baseline-{uuid.uuid4().hex[:8]}"
    exchange = Exchange(name, type="topic", durable=True)
    queue = Queue(name, exchange, routing_key="#", durable=True)
    body = {"id": "", "name": "bench.thing.happened.v1", "payload": {"padding": "x" * 220}}
    with Connection(amqp, transport_options={"confirm_publish": True}) as connection:
        channel = connection.channel()
        queue(channel).declare()
        producer = Producer(channel, exchange=exchange)
        started = time.perf_counter()
        for number in range(messages):
            body["id"] = str(number)
            producer.publish(body, routing_key="bench.thing.happened.v1", serializer="json", delivery_mode=2)
        publish_seconds = time.perf_counter() - started
        version = connection.connection.server_properties.get("version")
        version = version.decode() if isinstance(version, bytes) else version
    received = [0]

    def on_message(message) -> None:
        message.ack()
        received[0] += 1

    with Connection(amqp) as connection:
        channel = connection.channel()
        started = time.perf_counter()
        with Consumer(channel, [queue], on_message=on_message, prefetch_count=100, accept=["json"]):
            deadline = time.monotonic() + 300
            while received[0] < messages and time.monotonic() < deadline:
                try:
                    connection.drain_events(timeout=1)
                except TimeoutError:
                    pass
        consume_seconds = time.perf_counter() - started
        queue(channel).delete()
        exchange(channel).delete()
    return {"messages": messages, "publish_confirmed_per_s": messages / publish_seconds,
            "consume_per_s": received[0] / consume_seconds, "server_version": version}


def _wrk(url: str, seconds: int) -> dict:
    output = subprocess.run(["wrk", "-t2", "-c8", f"-d{seconds}s", "--latency", url], capture_output=True, text=True,
                            check=True, timeout=seconds + 60).stdout
    units = {"us": 0.001, "ms": 1.0, "s": 1000.0}

    def latency(label: str) -> float:
        value, unit = re.search(rf"^\s*{label}\s+([\d.]+)(us|ms|s)\s*$", output, re.M).groups()
        return float(value) * units[unit]

    return {"client": "wrk (2 threads, 8 connections)", "requests_per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
            "p50_ms": latency("50%"), "p99_ms": latency("99%"),
            "errors": "Non-2xx" in output or "Socket errors" in output}


def _python_client(url: str, seconds: int) -> dict:
    latencies: list[float] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client() -> None:
        session, mine = requests.Session(), []
        while time.monotonic() < stop_at:
            started = time.perf_counter()
            session.get(url).raise_for_status()
            mine.append((time.perf_counter() - started) * 1000)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    latencies.sort()
    return {"client": "Python requests (8 threads, keep-alive)", "requests_per_s": len(latencies) / seconds,
            "p50_ms": latencies[len(latencies) // 2], "p99_ms": latencies[int(len(latencies) * 0.99)], "errors": False}


def bare_flask(seconds: int) -> dict:
    port = system.free_port()
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    server = subprocess.Popen(["gunicorn", "--no-control-socket", "--workers", "2", "--bind", f"127.0.0.1:{port}",
                               "--chdir", str(BENCH_DIR), "bare_flask:create_app()"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}/ping"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(url, timeout=1).raise_for_status()
                break
            except requests.RequestException:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.1)
        return _wrk(url, seconds) if shutil.which("wrk") else _python_client(url, seconds)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(15)


def measure(server: str, amqp: str, rows: int, messages: int, seconds: int) -> dict:
    results = {"loadavg_before": os.getloadavg()}
    results["postgresql"] = postgresql(server, rows)
    results["rabbitmq"] = rabbitmq(amqp, messages)
    results["flask"] = bare_flask(seconds)
    results["loadavg_after"] = os.getloadavg()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--amqp", default=os.environ.get("CRM_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//"))
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    results = measure(args.server, args.amqp, args.rows, args.messages, args.seconds)
    print(json.dumps(results, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
