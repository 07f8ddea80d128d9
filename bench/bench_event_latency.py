"""End-to-end event latency: from a lead's commit in the leads service to the reporting dashboard.

    .venv/bin/python bench/bench_event_latency.py [--gateway http://127.0.0.1:8000] [--samples 200]

Needs a running system (`make run`, on either backend) with the demo users. Each sample creates a
lead through the gateway (its transaction has committed when the 201 arrives) and polls the channel
dashboard until it counts it; the time between is the latency a user sees, including the outbox
relay, the bus, the reporting consumer's commit and one dashboard read. The raw baseline is a bare
publish-to-consume round trip on the same bus, measured in the same run.
"""
from __future__ import annotations

import argparse
import os
import statistics
import time
import uuid

import requests
from kombu import Consumer, Exchange, Producer, Queue

from crm_shared.bus.connection import connect


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def dashboard_latency(gateway: str, samples: int, password: str) -> list[float]:
    session = requests.Session()
    token = session.post(f"{gateway}/api/v1/auth/login", json={"username": "manager", "password": password}).json()
    session.headers["Authorization"] = f"Bearer {token['access_token']}"
    channel = f"bench-{uuid.uuid4().hex[:8]}"
    latencies = []
    for number in range(1, samples + 1):
        response = session.post(
            f"{gateway}/api/v1/leads", json={"company": f"Bench {number}", "contact_name": "Bench", "channel": channel}
        )
        response.raise_for_status()
        committed = time.perf_counter()
        while True:
            rows = session.get(f"{gateway}/api/v1/dashboards/channels").json()["channels"]
            if any(r["channel"] == channel and r["leads_created"] >= number for r in rows):
                latencies.append(time.perf_counter() - committed)
                break
            if time.perf_counter() - committed > 10:
                raise RuntimeError(f"sample {number} not on the dashboard after 10 s")
            time.sleep(0.002)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gateway", default=os.environ.get("CRM_GATEWAY_URL", "http://127.0.0.1:8000"))
    parser.add_argument("--bus-url", default=os.environ.get("CRM_BUS_URL"))
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--password", default=os.environ.get("CRM_DEMO_PASSWORD", "demo"))
    args = parser.parse_args()
    rows = []
    if args.bus_url:
        raw = raw_bus_latency(args.bus_url, args.samples)
        rows.append(("raw publish → consume on the bus", raw))
    end_to_end = dashboard_latency(args.gateway, args.samples, args.password)
    rows.append(("lead committed → channel dashboard counts it", end_to_end))
    print(f"| path ({args.samples} samples) | p50 ms | p99 ms | p50 ratio to raw |")
    print("|---|---|---|---|")
    raw_p50 = percentile(rows[0][1], 0.5) if args.bus_url else None
    for label, samples in rows:
        p50, p99 = percentile(samples, 0.5), percentile(samples, 0.99)
        ratio = f"{p50 / raw_p50:.0f}×" if raw_p50 else "n/a"
        print(f"| {label} | {p50 * 1000:.1f} | {p99 * 1000:.1f} | {ratio} |")
    print(f"mean end to end: {statistics.mean(end_to_end) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
