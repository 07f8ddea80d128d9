"""How fast the embedded bus is: one process publishes N messages, another consumes them.

    .venv/bin/python bench/bench_embedded_bus.py [--messages 5000] [--folder /tmp/somewhere] [--json out.json]

Prints publish and consume throughput and the publish-to-receive latency (p50, p99). The
consumer is running before the first message is published, so the latency includes the time a
message waits behind the others while the publisher is faster than the consumer.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import shutil
import socket
import statistics
import tempfile
import time
from pathlib import Path

from kombu import Consumer, Exchange, Producer, Queue

from crm_shared.bus.embedded import connection_for

EXCHANGE = Exchange("bench.events", type="topic", durable=True)
QUEUE = Queue("bench", EXCHANGE, routing_key="bench.#", durable=True)
ROUTING_KEY = "bench.thing.happened.v1"


def consume(folder: str, expected: int, report) -> None:
    """Consume `expected` messages, acking each, then send back (latencies in ns, time of the last receipt)."""
    latencies: list[int] = []
    received_at: list[int] = []
    with connection_for(folder) as connection:

        def on_message(body, message):
            now = time.time_ns()
            latencies.append(now - body["sent_ns"])
            received_at.append(now)
            message.ack()

        with Consumer(connection.channel(), [QUEUE], callbacks=[on_message], prefetch_count=50, accept=["json"]):
            report.send("ready")
            deadline = time.monotonic() + 120
            while len(latencies) < expected and time.monotonic() < deadline:
                try:
                    connection.drain_events(timeout=0.5)
                except socket.timeout:
                    pass
    report.send((latencies, received_at[-1] if received_at else 0))


def publish(folder: str, count: int) -> tuple[int, int]:
    """Publish `count` messages; returns (start, end) in ns."""
    with connection_for(folder) as connection:
        producer = Producer(connection.channel(), exchange=EXCHANGE)
        EXCHANGE(producer.channel).declare()
        started = time.time_ns()
        for sequence in range(count):
            producer.publish(
                {"sequence": sequence, "sent_ns": time.time_ns(), "padding": "x" * 200},
                routing_key=ROUTING_KEY,
                serializer="json",
            )
        return started, time.time_ns()


def percentile(values: list[int], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--folder", help="bus folder (default: a fresh temporary one)")
    parser.add_argument("--json", help="also write the figures to this file")
    arguments = parser.parse_args()
    folder = arguments.folder or tempfile.mkdtemp(prefix="bench-embedded-bus-")
    try:
        results = run(folder, arguments.messages)
    finally:
        if arguments.folder is None:
            shutil.rmtree(folder, ignore_errors=True)
    if arguments.json:
        Path(arguments.json).write_text(json.dumps(results, indent=2), encoding="utf-8")


def run(folder: str, count: int) -> dict:
    """Declare the queue, start the consumer process, publish from this one, print and return the numbers."""
    with connection_for(folder) as connection:
        QUEUE(connection.channel()).declare()

    receiver, sender = multiprocessing.Pipe(duplex=False)
    consumer = multiprocessing.get_context("spawn").Process(target=consume, args=(folder, count, sender))
    consumer.start()
    assert receiver.recv() == "ready"
    published_from, published_to = publish(folder, count)
    latencies, last_received = receiver.recv()
    consumer.join()

    publish_seconds = (published_to - published_from) / 1e9
    consume_seconds = (last_received - published_from) / 1e9
    print(f"published {count} in {publish_seconds:.2f} s: {count / publish_seconds:,.0f} msg/s")
    print(
        f"consumed {len(latencies)} in {consume_seconds:.2f} s from the first publish: "
        f"{len(latencies) / consume_seconds:,.0f} msg/s"
    )
    results = {"messages": count, "consumed": len(latencies), "publish_per_s": count / publish_seconds,
               "consume_per_s": len(latencies) / consume_seconds}
    if latencies:
        results.update(p50_ms=percentile(latencies, 0.50) / 1e6, p99_ms=percentile(latencies, 0.99) / 1e6)
        print(
            f"latency p50 {percentile(latencies, 0.50) / 1e6:.1f} ms, p99 {percentile(latencies, 0.99) / 1e6:.1f} ms, "
            f"mean {statistics.fmean(latencies) / 1e6:.1f} ms"
        )
    return results


if __name__ == "__main__":
    main()
