"""One poller thread per web process: reads new live events and hands each to the streams allowed to see it."""
from __future__ import annotations

import logging
import queue
import threading
import time
from typing import Callable

from sqlalchemy import Engine

from crm_shared.auth import Identity
from crm_shared.errors import APIError
from gateway.live import store
from gateway.live.store import LiveEvent
from gateway.live.visibility import may_see

log = logging.getLogger(__name__)

BACKLOG_LIMIT = 1000


class PositionTracker:
    """Which positions have been handed out: every one up to `floor`, and those in `seen` above it.

    On PostgreSQL two transactions can commit their rows out of position order, so a poll may see
    position 11 before 10 exists. The tracker keeps reading from the lowest missing position for
    `gap_seconds`; after that the gap is taken to be a rolled-back insert and skipped.
    """

    def __init__(self, floor: int, gap_seconds: float = 5.0, clock: Callable[[], float] = time.monotonic):
        self.floor = floor
        self.seen: set[int] = set()
        self.gap_seconds = gap_seconds
        self.clock = clock
        self._gap_since: float | None = None

    def delivered(self, position: int) -> bool:
        return position <= self.floor or position in self.seen

    def accept(self, positions: list[int]) -> list[int]:
        """Mark `positions` as handed out; returns those not handed out before, in order."""
        fresh = sorted(p for p in set(positions) if not self.delivered(p))
        self.seen.update(fresh)
        self._advance()
        return fresh

    def _advance(self) -> None:
        while True:
            while self.floor + 1 in self.seen:
                self.floor += 1
                self.seen.discard(self.floor)
                self._gap_since = None
            if not self.seen:
                self._gap_since = None
                return
            now = self.clock()
            if self._gap_since is None:
                self._gap_since = now
                return
            if now - self._gap_since < self.gap_seconds:
                return
            self.floor = min(self.seen) - 1
            self._gap_since = None


class Subscription:
    """One open stream: the events its viewer may see, queued until the stream writes them."""

    def __init__(self, viewer: Identity, maxsize: int = 1000):
        self.viewer = viewer
        self._queue: queue.Queue[LiveEvent | None] = queue.Queue(maxsize=maxsize)
        self.closed = False
        self.overflowed = False

    def offer(self, event: LiveEvent) -> None:
        if self.closed or not may_see(self.viewer, event.name, event.payload, event.owner_team_ids):
            return
        try:
            self._queue.put_nowait(event)
        except queue.Full:
            # A client this far behind is dropped; it reconnects with Last-Event-ID and catches up.
            self.overflowed = True
            self.close()

    def close(self) -> None:
        self.closed = True
        try:
            self._queue.put_nowait(None)
        except queue.Full:
            pass

    def next(self, timeout: float) -> LiveEvent | None:
        """The next event, or None after `timeout` seconds or once the subscription is closed."""
        if self.closed and self._queue.empty():
            return None
        try:
            return self._queue.get(timeout=max(timeout, 0))
        except queue.Empty:
            return None


class LiveBusy(APIError):
    def __init__(self):
        super().__init__(503, "live_busy", "Too many live connections on this server right now; retrying shortly.")


class Broadcaster:
    """Polls live_events every `poll_seconds` while this process has streams, and fans the rows out."""

    def __init__(self, engine: Engine, poll_seconds: float = 0.2, max_clients: int = 24, gap_seconds: float = 5.0):
        self.engine = engine
        self.poll_seconds = poll_seconds
        self.max_clients = max_clients
        self.gap_seconds = gap_seconds
        self._lock = threading.Lock()
        self._subscribers: set[Subscription] = set()
        self._tracker: PositionTracker | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    @property
    def client_count(self) -> int:
        with self._lock:
            return len(self._subscribers)

    def _start(self) -> None:
        # Called under the lock. Polling starts on the first stream, not at import or app creation:
        # gunicorn forks its workers after loading the app, and a thread started before the fork
        # would not exist in them. A process without streams does not poll; when its first stream
        # opens, the stream starts from the newest row (earlier rows come only via Last-Event-ID).
        if not self._subscribers:
            with self.engine.connect() as connection:
                self._tracker = PositionTracker(store.latest_position(connection), self.gap_seconds)
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="live-poller", daemon=True)
            self._thread.start()

    def subscribe(self, viewer: Identity, last_event_id: str | None = None) -> tuple[Subscription, list[LiveEvent]]:
        """A new subscription, and the events after `last_event_id` it missed that it may see."""
        with self._lock:
            if self._stop.is_set():
                raise LiveBusy()
            if len(self._subscribers) >= self.max_clients:
                raise LiveBusy()
            self._start()
            subscription = Subscription(viewer)
            self._subscribers.add(subscription)
            tracker = self._tracker
            floor, seen = tracker.floor, set(tracker.seen)
        if not last_event_id:
            return subscription, []
        try:
            backlog = self._backlog(viewer, last_event_id, floor, seen)
        except Exception:
            self.unsubscribe(subscription)
            raise
        return subscription, backlog

    def _backlog(self, viewer: Identity, last_event_id: str, floor: int, seen: set[int]) -> list[LiveEvent]:
        # Only what the poller had already handed out when the subscription began: anything later
        # reaches the subscription's queue, so no event arrives twice.
        with self.engine.connect() as connection:
            after = store.position_of(connection, last_event_id)
            if after is None:
                return []  # pruned or unknown: the page reloads its data on reconnect anyway
            events = store.read_after(connection, after, limit=BACKLOG_LIMIT)
        return [
            event
            for event in events
            if (event.position <= floor or event.position in seen)
            and may_see(viewer, event.name, event.payload, event.owner_team_ids)
        ]

    def unsubscribe(self, subscription: Subscription) -> None:
        subscription.close()
        with self._lock:
            self._subscribers.discard(subscription)

    def poll_once(self) -> int:
        """Read the rows after the last handed-out position and offer them; returns how many were new."""
        with self._lock:
            if not self._subscribers or self._tracker is None:
                return 0
            floor = self._tracker.floor
        with self.engine.connect() as connection:
            events = store.read_after(connection, floor)
        with self._lock:
            fresh = set(self._tracker.accept([event.position for event in events]))
            new_events = [event for event in events if event.position in fresh]
            for subscription in list(self._subscribers):
                for event in new_events:
                    subscription.offer(event)
                if subscription.overflowed:
                    self._subscribers.discard(subscription)
        return len(new_events)

    def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                self.poll_once()
                failures = 0
            except Exception:
                failures += 1
                log.exception("live poller failed (attempt %d); retrying", failures)
            self._stop.wait(self.poll_seconds if failures == 0 else min(0.5 * failures, 5.0))

    def close(self) -> None:
        """Stop polling and end every open stream."""
        self._stop.set()
        with self._lock:
            subscribers, self._subscribers = list(self._subscribers), set()
        for subscription in subscribers:
            subscription.close()
        if self._thread is not None:
            self._thread.join(timeout=5)
