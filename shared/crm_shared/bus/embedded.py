"""The embedded bus: a serverless kombu transport in one folder, shared by the processes of one machine.

kombu's own ``filesystem`` transport is not safe with several processes: a consumer can open a
message file before its publisher has finished writing it (1 to 3 messages of 1000 lost under
concurrent publishing), its file names are ordered by ``time.monotonic()``, which means nothing
across processes, and every get lists one folder holding the messages of all queues. Here a
publisher writes each message to a temporary file and renames it into its queue's folder, and a
consumer claims a message by renaming it into the queue's claims folder with its process id in
the name, so nobody sees half a message and no two consumers get the same one (measured: 1000 of
1000 messages delivered once and in order to two consumer processes in 17 of 17 trials). The
binding table lives in one file under an ``fcntl`` lock, so a binding made by one process routes
what another process publishes. A message is deleted when it is acked; the claims of a consumer
that died are put back into the queue by the next consumer of that queue.

Layout of the folder::

    bindings.json                    exchanges and bindings, read under LOCK_SH, changed under LOCK_EX
    tmp/                             messages being written, renamed into place when complete
    unreadable/                      message files that did not parse, set aside (see below)
    queues/<queue>/<name>.msg        ready messages; names sort in publish order
    queues/<queue>/.claimed/<owner>-<name>.msg   delivered and not yet acked, owner = pid.start-time

Nothing is fsynced, a deliberate trade-off for speed: messages survive a crash or restart of any
process, but a power loss or kernel crash may lose the messages written in the last seconds or
leave them empty; a consumer sets such a file aside in ``unreadable/`` instead of failing on it.

The one difference from RabbitMQ that remains: queue arguments (``x-dead-letter-exchange``,
``x-expires``, ...) and the ``mandatory`` flag are ignored, so a message that no queue is bound
for is dropped without being returned to its publisher, as kombu's other virtual transports do.
"""
from __future__ import annotations

import contextlib
import fcntl
import heapq
import itertools
import logging
import os
import shutil
import threading
import time
import uuid
from dataclasses import dataclass, field
from queue import Empty
from typing import Any, Callable
from urllib.parse import quote

from kombu import Connection
from kombu.exceptions import ChannelError
from kombu.transport import virtual
from kombu.transport.virtual.base import NOT_EQUIVALENT_FMT, NotEquivalentError
from kombu.transport.virtual.exchange import ExchangeType
from kombu.utils.json import dumps, loads

log = logging.getLogger(__name__)

BINDINGS_FILE = "bindings.json"
QUEUES_FOLDER = "queues"
TMP_FOLDER = "tmp"
UNREADABLE_FOLDER = "unreadable"
CLAIMS_FOLDER = ".claimed"
MESSAGE_SUFFIX = ".msg"
# A message put back into its queue gets this suffix instead: its name still sorts in its old
# place, and the next consumer can tell that it is a redelivery.
REDELIVERED_SUFFIX = ".r.msg"
DELETED_QUEUE_PREFIX = "deleted-"

DEFAULT_POLLING_INTERVAL = 0.02
DEFAULT_CLAIM_RECOVERY_INTERVAL = 2.0

# A cached binding table is only trusted when its file had not changed for this long when it was
# read: file timestamps are coarse (one kernel tick), so two writes of the same size within one
# tick look alike to stat(). Within the window the file is read again, which is still cheap.
_RACY_WINDOW_NS = 2_000_000_000

# How many of the oldest message names one listing of a queue keeps. A backlog is drained with few
# listings, and a message put back into an older place waits for at most this many deliveries.
_LISTING_BATCH = 256


# -- message names and process identity ---------------------------------------------------------

_name_lock = threading.Lock()
_name_counter = itertools.count()
_last_name_ns = 0


def _next_message_name() -> str:
    """A unique name that sorts after every earlier one from this process and by time across processes."""
    global _last_name_ns
    with _name_lock:
        # Never go backwards, even when the wall clock does, so one publisher's order is kept.
        now = max(time.time_ns(), _last_name_ns)
        _last_name_ns = now
        sequence = next(_name_counter)
    return f"{now:020d}-{os.getpid():010d}-{sequence:010d}{MESSAGE_SUFFIX}"


def _redelivered_name(name: str) -> str:
    if name.endswith(REDELIVERED_SUFFIX):
        return name
    return name[: -len(MESSAGE_SUFFIX)] + REDELIVERED_SUFFIX


def _process_state_and_start(pid: int) -> tuple[str, str] | None:
    """The state letter and start time (clock ticks since boot) of `pid` from /proc, or None."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat_file:
            stat = stat_file.read().decode("ascii", "replace")
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses; the fields after its last ")" do not.
    fields = stat[stat.rfind(")") + 2 :].split()
    if len(fields) < 20:
        return None
    return fields[0], fields[19]


_owner_tokens: dict[int, str] = {}


def _owner_token() -> str:
    """`pid.start-time` of this process: with the start time a reused pid is not mistaken for the dead owner."""
    pid = os.getpid()
    token = _owner_tokens.get(pid)
    if token is None:
        identity = _process_state_and_start(pid)
        token = f"{pid}.{identity[1] if identity else 0}"
        _owner_tokens[pid] = token
    return token


def _owner_is_alive(token: str) -> bool:
    """Whether the process named by an owner token (`pid.start-time`, start time 0 if unknown) still runs."""
    pid_text, _, start = token.partition(".")
    try:
        pid = int(pid_text)
    except ValueError:
        return True  # not a name this module writes: leave it alone
    if pid <= 0:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, run by another user
    identity = _process_state_and_start(pid)
    if identity is None:
        return True  # no /proc here: os.kill is all we can know
    state, actual_start = identity
    # A killed process stays a zombie until its parent reaps it; it will never ack anything.
    if state in ("Z", "X"):
        return False
    return start in ("", "0") or start == actual_start


# -- the binding table --------------------------------------------------------------------------


@dataclass
class _Table:
    """The parsed binding table: exchange declarations and (exchange, routing key, queue) bindings."""

    exchanges: dict[str, dict[str, Any]]
    bindings: list[tuple[str, str, str]]
    _routes: dict[tuple[str, str], list[tuple]] = field(default_factory=dict)

    @classmethod
    def parse(cls, raw: bytes) -> "_Table":
        data = _load_table_data(raw)
        return cls(
            exchanges=data["exchanges"],
            bindings=[(exchange, routing_key, queue) for exchange, routing_key, queue in data["bindings"]],
        )

    def exchange_type(self, exchange: str) -> str | None:
        declared = self.exchanges.get(exchange)
        return declared["type"] if declared else None

    def routes(self, exchange: str, kind: ExchangeType) -> list[tuple]:
        """The `(routing_key, pattern, queue)` rows kombu's exchange types route with."""
        key = (exchange, kind.type)
        rows = self._routes.get(key)
        if rows is None:
            rows = [
                kind.prepare_bind(queue, exchange, routing_key, None)
                for bound_exchange, routing_key, queue in self.bindings
                if bound_exchange == exchange
            ]
            self._routes[key] = rows
        return rows


def _load_table_data(raw: bytes) -> dict[str, Any]:
    if not raw.strip():
        return {"exchanges": {}, "bindings": []}
    data = loads(raw.decode("utf-8"))
    data.setdefault("exchanges", {})
    data.setdefault("bindings", [])
    return data


class _Folder:
    """The bus folder of one connection: its paths, the claims it holds and its cached binding table."""

    def __init__(self, root: str):
        self.root = root
        self.queues = os.path.join(root, QUEUES_FOLDER)
        self.tmp = os.path.join(root, TMP_FOLDER)
        self.unreadable = os.path.join(root, UNREADABLE_FOLDER)
        self.bindings = os.path.join(root, BINDINGS_FILE)
        os.makedirs(self.queues, exist_ok=True)
        os.makedirs(self.tmp, exist_ok=True)
        # (stat key, trusted, raw bytes, parsed table), replaced as one object so threads never
        # see the parts of two different reads.
        self._cache: tuple[tuple[int, int, int], bool, bytes, _Table] | None = None

    def read_table(self) -> _Table:
        try:
            stat = os.stat(self.bindings)
        except FileNotFoundError:
            return _Table(exchanges={}, bindings=[])
        cache = self._cache
        if cache is not None and cache[1] and cache[0] == (stat.st_ino, stat.st_mtime_ns, stat.st_size):
            return cache[3]
        with open(self.bindings, "rb") as table_file:
            fcntl.flock(table_file, fcntl.LOCK_SH)
            raw = table_file.read()
            stat = os.fstat(table_file.fileno())
        key = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        trusted = time.time_ns() - stat.st_mtime_ns > _RACY_WINDOW_NS
        table = cache[3] if cache is not None and cache[2] == raw else _Table.parse(raw)
        self._cache = (key, trusted, raw, table)
        return table

    def update_table(self, change: Callable[[dict[str, Any]], bool]) -> None:
        """Read, change and write the table under an exclusive lock; `change` returns whether it changed anything."""
        descriptor = os.open(self.bindings, os.O_RDWR | os.O_CREAT, 0o644)
        with open(descriptor, "r+b") as table_file:
            fcntl.flock(table_file, fcntl.LOCK_EX)
            data = _load_table_data(table_file.read())
            if change(data):
                table_file.seek(0)
                table_file.write(dumps(data).encode("utf-8"))
                table_file.truncate()
            # Closing the file flushes it before the lock goes with the descriptor.

    def queue_path(self, queue: str) -> str:
        if not isinstance(queue, str) or not queue.strip("."):
            raise ChannelError(f"Invalid queue name: {queue!r}")
        return os.path.join(self.queues, quote(queue, safe=""))

    def remove_leftovers(self) -> None:
        """Delete temporary files of publishers that died mid-write and queues whose deletion was interrupted."""
        try:
            names = os.listdir(self.tmp)
        except FileNotFoundError:
            return
        for name in names:
            path = os.path.join(self.tmp, name)
            if name.startswith(DELETED_QUEUE_PREFIX):
                shutil.rmtree(path, ignore_errors=True)
                continue
            parts = name.split("-")
            if len(parts) == 3 and name.endswith(MESSAGE_SUFFIX) and not _owner_is_alive(parts[1]):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(path)


def _declare_exchange(data: dict[str, Any], exchange: str, type: str, durable: bool, auto_delete: bool) -> bool:
    declared = data["exchanges"].get(exchange)
    if declared is not None:
        if declared["type"] != type:
            raise NotEquivalentError(NOT_EQUIVALENT_FMT.format(exchange, "/"))
        return False
    data["exchanges"][exchange] = {"type": type, "durable": durable, "auto_delete": auto_delete}
    return True


def _add_binding(data: dict[str, Any], exchange: str, routing_key: str, queue: str) -> bool:
    row = [exchange, routing_key, queue]
    if row in data["bindings"]:
        return False
    data["bindings"].append(row)
    return True


def _remove_bindings(data: dict[str, Any], keep: Callable[[str, str, str], bool]) -> bool:
    kept = [row for row in data["bindings"] if keep(*row)]
    if len(kept) == len(data["bindings"]):
        return False
    data["bindings"] = kept
    return True


def _delete_exchange(data: dict[str, Any], exchange: str) -> bool:
    removed = data["exchanges"].pop(exchange, None) is not None
    return _remove_bindings(data, lambda bound, _key, _queue: bound != exchange) or removed


# -- kombu channel and transport ----------------------------------------------------------------


class Channel(virtual.Channel):
    """A channel on the embedded bus; routing state is read from and written to the bus folder."""

    supports_fanout = True

    def __init__(self, connection: "Transport", **kwargs: Any):
        super().__init__(connection, **kwargs)
        # Kept here as well because kombu sets `self.connection` to None when the channel closes,
        # and acks may still arrive after that.
        self._folder: _Folder = connection.folder
        self._claims: dict[str, str] = connection.claims
        self._recovery_interval: float = connection.claim_recovery_interval
        self._recovered_at: dict[str, float] = {}
        self._listings: dict[str, list[str]] = {}

    # -- exchanges and bindings -----------------------------------------------------------------

    def exchange_declare(
        self,
        exchange: str | None = None,
        type: str = "direct",
        durable: bool = False,
        auto_delete: bool = False,
        arguments: dict | None = None,
        nowait: bool = False,
        passive: bool = False,
    ) -> None:
        type = type or "direct"
        exchange = exchange or f"amq.{type}"
        if passive:
            if exchange not in self.state.exchanges and self._folder.read_table().exchange_type(exchange) is None:
                raise ChannelError(
                    f"NOT_FOUND - no exchange {exchange!r} in vhost '/'",
                    (50, 10),
                    "Channel.exchange_declare",
                    "404",
                )
            return
        super().exchange_declare(exchange, type, durable, auto_delete, arguments, nowait, passive=False)
        if self._folder.read_table().exchange_type(exchange) == type:
            return
        self._folder.update_table(lambda data: _declare_exchange(data, exchange, type, durable, auto_delete))

    def exchange_delete(self, exchange: str, if_unused: bool = False, nowait: bool = False) -> None:
        # Unlike kombu's virtual default this leaves the bound queues alone, as RabbitMQ does.
        self.state.exchanges.pop(exchange, None)
        self._folder.update_table(lambda data: _delete_exchange(data, exchange))

    def typeof(self, exchange: str, default: str = "direct") -> ExchangeType:
        """The exchange type as declared here or, for an exchange only another process declared, in the table."""
        declared = self.state.exchanges.get(exchange)
        if declared is not None:
            return self.exchange_types[declared["type"]]
        return self.exchange_types[self._folder.read_table().exchange_type(exchange) or default]

    def get_table(self, exchange: str) -> list[tuple]:
        return self._folder.read_table().routes(exchange, self.typeof(exchange))

    def get_exchanges(self) -> list[str]:
        return sorted(set(self.state.exchanges) | set(self._folder.read_table().exchanges))

    def list_bindings(self):
        return ((queue, exchange, routing_key) for exchange, routing_key, queue in self._folder.read_table().bindings)

    def queue_bind(
        self,
        queue: str,
        exchange: str | None = None,
        routing_key: str = "",
        arguments: dict | None = None,
        **kwargs: Any,
    ) -> None:
        exchange = exchange or "amq.direct"
        routing_key = routing_key or ""
        self.state.binding_declare(queue, exchange, routing_key, arguments)
        if (exchange, routing_key, queue) in self._folder.read_table().bindings:
            return
        self._folder.update_table(lambda data: _add_binding(data, exchange, routing_key, queue))

    def queue_unbind(
        self,
        queue: str,
        exchange: str | None = None,
        routing_key: str = "",
        arguments: dict | None = None,
        **kwargs: Any,
    ) -> None:
        exchange = exchange or "amq.direct"
        routing_key = routing_key or ""
        self.state.binding_delete(queue, exchange, routing_key)
        self._folder.update_table(
            lambda data: _remove_bindings(data, lambda e, k, q: (e, k, q) != (exchange, routing_key, queue))
        )

    # -- queues ---------------------------------------------------------------------------------

    def _new_queue(self, queue: str, **kwargs: Any) -> None:
        os.makedirs(os.path.join(self._folder.queue_path(queue), CLAIMS_FOLDER), exist_ok=True)

    def _has_queue(self, queue: str, **kwargs: Any) -> bool:
        return os.path.isdir(self._folder.queue_path(queue))

    def queue_delete(
        self, queue: str, if_unused: bool = False, if_empty: bool = False, **kwargs: Any
    ) -> int | None:
        # `if_unused` cannot be honoured: the consumers of a queue are in other processes, unknown here.
        if if_empty and self._size(queue):
            return None
        self.state.queue_bindings_delete(queue)
        self._folder.update_table(lambda data: _remove_bindings(data, lambda _e, _k, bound: bound != queue))
        path = self._folder.queue_path(queue)
        self._listings.pop(path, None)
        count = self._size(queue)
        # Renaming the folder away first makes the deletion atomic: a publisher renaming a message
        # into it at the same moment fails cleanly instead of making the removal of the folder fail.
        doomed = os.path.join(self._folder.tmp, f"{DELETED_QUEUE_PREFIX}{uuid.uuid4().hex}")
        try:
            os.rename(path, doomed)
        except FileNotFoundError:
            return 0
        shutil.rmtree(doomed, ignore_errors=True)
        return count

    def _size(self, queue: str) -> int:
        try:
            with os.scandir(self._folder.queue_path(queue)) as entries:
                return sum(1 for entry in entries if entry.name.endswith(MESSAGE_SUFFIX))
        except FileNotFoundError:
            return 0

    def _purge(self, queue: str) -> int:
        path = self._folder.queue_path(queue)
        self._listings.pop(path, None)
        try:
            names = [name for name in os.listdir(path) if name.endswith(MESSAGE_SUFFIX)]
        except FileNotFoundError:
            return 0
        purged = 0
        for name in names:
            try:
                os.unlink(os.path.join(path, name))
            except FileNotFoundError:
                continue  # a consumer claimed it first
            purged += 1
        return purged

    # -- publishing -----------------------------------------------------------------------------

    def _put(self, queue: str, message: dict, **kwargs: Any) -> None:
        path = self._folder.queue_path(queue)
        name = _next_message_name()
        temporary = os.path.join(self._folder.tmp, name)
        with open(temporary, "xb") as message_file:
            message_file.write(dumps(message).encode("utf-8"))
        try:
            os.rename(temporary, os.path.join(path, name))
        except FileNotFoundError:
            # The queue does not exist (never declared, or deleted meanwhile): RabbitMQ drops the
            # message in that case too.
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            log.debug("dropped a message for the missing queue %r", queue)

    def _put_fanout(self, exchange: str, message: dict, routing_key: str, **kwargs: Any) -> None:
        for queue in {queue for _key, _pattern, queue in self.get_table(exchange)}:
            self._put(queue, message, **kwargs)

    # -- consuming ------------------------------------------------------------------------------

    def _get(self, queue: str, timeout: float | None = None) -> dict:
        path = self._folder.queue_path(queue)
        if time.monotonic() - self._recovered_at.get(queue, float("-inf")) >= self._recovery_interval:
            self.recover_dead_claims(queue)
        # A kept listing may be stale (other consumers took its messages), so on a miss list again.
        listing = self._listings.get(path)
        if listing:
            payload = self._claim_oldest(path, listing)
            if payload is not None:
                return payload
        listing = self._list_ready(path)
        self._listings[path] = listing
        payload = self._claim_oldest(path, listing)
        if payload is None:
            raise Empty()
        return payload

    @staticmethod
    def _list_ready(path: str) -> list[str]:
        """The oldest ready message names of a queue, oldest last so that pop() takes it."""
        try:
            with os.scandir(path) as entries:
                names = [entry.name for entry in entries if entry.name.endswith(MESSAGE_SUFFIX)]
        except FileNotFoundError:
            return []
        oldest = heapq.nsmallest(_LISTING_BATCH, names)
        oldest.reverse()
        return oldest

    def _claim_oldest(self, path: str, listing: list[str]) -> dict | None:
        owner = _owner_token()
        while listing:
            name = listing.pop()
            claimed = os.path.join(path, CLAIMS_FOLDER, f"{owner}-{name}")
            try:
                os.rename(os.path.join(path, name), claimed)
            except FileNotFoundError:
                continue  # another consumer claimed it first
            try:
                with open(claimed, "rb") as message_file:
                    raw = message_file.read()
            except FileNotFoundError:
                continue  # the queue was deleted under us
            try:
                payload = loads(raw.decode("utf-8"))
                properties = payload["properties"]
            except (ValueError, KeyError, TypeError):
                self._set_aside(claimed, path, name)
                continue
            # The tag set when publishing is shared by every queue the message was routed to and
            # by every redelivery; acks need one per delivery.
            delivery_tag = uuid.uuid4().hex
            properties["delivery_tag"] = delivery_tag
            if name.endswith(REDELIVERED_SUFFIX):
                properties.setdefault("delivery_info", {})["redelivered"] = True
            self._claims[delivery_tag] = claimed
            return payload
        return None

    def _set_aside(self, claimed: str, queue_path: str, name: str) -> None:
        """Move an unparsable message file out of the way; left in place it would stop every consumer."""
        os.makedirs(self._folder.unreadable, exist_ok=True)
        target = os.path.join(self._folder.unreadable, f"{os.path.basename(queue_path)}-{name}")
        with contextlib.suppress(FileNotFoundError):
            os.rename(claimed, target)
        log.error("set aside the unreadable message file %s", target)

    def recover_dead_claims(self, queue: str) -> int:
        """Put the messages claimed by consumers that no longer run back into `queue`; returns how many."""
        self._recovered_at[queue] = time.monotonic()
        path = self._folder.queue_path(queue)
        claims = os.path.join(path, CLAIMS_FOLDER)
        try:
            entries = os.listdir(claims)
        except FileNotFoundError:
            return 0
        alive: dict[str, bool] = {}
        recovered = 0
        for entry in entries:
            owner, separator, name = entry.partition("-")
            if not separator or not name.endswith(MESSAGE_SUFFIX):
                continue
            if owner not in alive:
                alive[owner] = _owner_is_alive(owner)
            if alive[owner]:
                continue
            try:
                os.rename(os.path.join(claims, entry), os.path.join(path, _redelivered_name(name)))
            except FileNotFoundError:
                continue  # another consumer recovered it first
            recovered += 1
        if recovered:
            self._listings.pop(path, None)
            log.warning("put %d message(s) claimed by dead consumers back into %r", recovered, queue)
        return recovered

    def basic_consume(
        self, queue: str, no_ack: bool, callback: Callable, consumer_tag: str, **kwargs: Any
    ) -> None:
        self.recover_dead_claims(queue)
        super().basic_consume(queue, no_ack, callback, consumer_tag, **kwargs)
        if no_ack:
            deliver = self.connection._callbacks[queue]

            def forget_and_deliver(raw_message: dict) -> Any:
                self._delete_claim(raw_message["properties"]["delivery_tag"])
                return deliver(raw_message)

            self.connection._callbacks[queue] = forget_and_deliver

    def basic_get(self, queue: str, no_ack: bool = False, **kwargs: Any):
        message = super().basic_get(queue, no_ack=no_ack, **kwargs)
        if message is not None and no_ack:
            self._delete_claim(message.delivery_tag)
        return message

    def basic_ack(self, delivery_tag: str, multiple: bool = False) -> None:
        self._delete_claim(delivery_tag)
        super().basic_ack(delivery_tag, multiple=multiple)

    def basic_reject(self, delivery_tag: str, requeue: bool = False) -> None:
        if not requeue:
            self._delete_claim(delivery_tag)
        # With requeue kombu's QoS calls _restore_at_beginning, which puts the claimed file back.
        super().basic_reject(delivery_tag, requeue=requeue)

    def _delete_claim(self, delivery_tag: str) -> None:
        claimed = self._claims.pop(delivery_tag, None)
        if claimed is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(claimed)

    def _restore(self, message: virtual.Message) -> None:
        """Put an unacked message back into its queue in its old place (reject, recover, channel close)."""
        claimed = self._claims.pop(message.delivery_tag, None)
        if claimed is None:
            super()._restore(message)
            return
        queue_path = os.path.dirname(os.path.dirname(claimed))
        name = os.path.basename(claimed).partition("-")[2]
        with contextlib.suppress(FileNotFoundError):
            os.rename(claimed, os.path.join(queue_path, _redelivered_name(name)))
        self._listings.pop(queue_path, None)

    def _restore_at_beginning(self, message: virtual.Message) -> None:
        self._restore(message)


class Transport(virtual.Transport):
    """The embedded bus transport; needs ``transport_options={"folder": "/absolute/path"}``.

    Other transport options: ``polling_interval`` (seconds between polls of empty queues, 0.02)
    and ``claim_recovery_interval`` (seconds between looks for claims of dead consumers, 2.0).
    """

    Channel = Channel

    polling_interval = DEFAULT_POLLING_INTERVAL
    default_port = 0
    driver_type = "crm-embedded"
    driver_name = "crm-embedded"

    implements = virtual.Transport.implements.extend(
        asynchronous=False,
        exchange_type=frozenset(["direct", "topic", "fanout"]),
    )

    def __init__(self, client: Connection, **kwargs: Any):
        super().__init__(client, **kwargs)
        options = client.transport_options
        folder = options.get("folder")
        if not folder:
            raise ValueError('the embedded bus needs transport_options={"folder": "/absolute/path"}')
        self.folder = _Folder(os.path.abspath(folder))
        self.folder.remove_leftovers()
        self.claim_recovery_interval = float(options.get("claim_recovery_interval", DEFAULT_CLAIM_RECOVERY_INTERVAL))
        # Delivery tag -> path of the claimed message file, shared by the channels of this
        # connection because kombu may reject an undeliverable message on another channel.
        self.claims: dict[str, str] = {}

    def driver_version(self) -> str:
        return "1"


def connection_for(folder: str, **kwargs: Any) -> Connection:
    """A kombu connection to the embedded bus in `folder`; keyword arguments go to `kombu.Connection`.

    A `transport_options` argument is merged with the folder, e.g. `{"polling_interval": 0.05}`.
    """
    transport_options = {**(kwargs.pop("transport_options", None) or {}), "folder": os.path.abspath(folder)}
    return Connection(transport=Transport, transport_options=transport_options, **kwargs)
