"""Waits until every web process answers /health, prints where to go and who to log in as, then idles.

It runs as the `ready` process of the Procfile, so it must not exit: honcho stops everything when one
process ends. It uses only the standard library.
"""
from __future__ import annotations

import os
import signal
import sys
import time
import urllib.error
import urllib.request

DEMO_USERS = ("admin", "manager", "rep1", "rep2", "agent1")


def web_urls() -> dict[str, str]:
    """Where each web process answers: on CRM_HOST (loopback when it is a wildcard) and its port."""
    host = os.environ.get("CRM_HOST") or "127.0.0.1"
    host = "127.0.0.1" if host in {"0.0.0.0", "::", "[::]"} else host
    urls = {"gateway": f"http://{host}:{os.environ.get('CRM_GATEWAY_PORT', '8000')}"}
    for service, port in (("leads", 8001), ("sales", 8002), ("service-desk", 8003), ("reporting", 8004)):
        prefix = "CRM_" + service.upper().replace("-", "_")
        urls[service] = os.environ.get(f"{prefix}_URL") or f"http://{host}:{os.environ.get(f'{prefix}_PORT', port)}"
    return urls


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url.rstrip("/") + "/health", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def wait_for(urls: dict[str, str], warn_after: float = 60.0) -> None:
    """Poll until all answer; say which are still missing every `warn_after` seconds."""
    started = next_warning = time.monotonic()
    next_warning += warn_after
    waiting = dict(urls)
    while waiting:
        waiting = {name: url for name, url in waiting.items() if not answers(url)}
        if waiting and time.monotonic() >= next_warning:
            elapsed = int(time.monotonic() - started)
            print(f"still waiting after {elapsed}s for: {', '.join(sorted(waiting))}", flush=True)
            next_warning += warn_after
        if waiting:
            time.sleep(0.5)


def banner(gateway_url: str) -> str:
    lines = ["", "=" * 64, f"  The CRM is up: {gateway_url}/"]
    if os.environ.get("CRM_DEMO", "0").lower() in {"1", "true", "yes"}:
        password = os.environ.get("CRM_DEMO_PASSWORD") or "demo"
        lines.append(f"  Demo logins: {', '.join(DEMO_USERS)}  (password: {password})")
    lines += ["  Ctrl-C stops every process.", "=" * 64, ""]
    return "\n".join(lines)


def main() -> None:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGINT, lambda *_: sys.exit(0))
    urls = web_urls()
    wait_for(urls)
    print(banner(urls["gateway"]), flush=True)
    while True:
        signal.pause()


if __name__ == "__main__":
    main()
