"""The collector: the fleet's messages off the broker, into PostgreSQL, exactly once.

It subscribes ``signage/v1/#`` at QoS 1 in a persistent session (clean_session false: while it
is away the broker keeps what arrives for it) and reconnects on its own, with backoff.

When a message counts as received: paho is told to acknowledge by hand (``manual_ack``), and
the collector sends the PUBACK of a message only after the transaction holding its record
(or its refusal, or nothing for what it ignores) has committed, in the order received. So:

- the database down: nothing is acknowledged; the batch is retried, with backoff, until it
  commits. The broker stops sending once its window of unacknowledged messages is full and
  queues the rest in the session (the memory held here is that window, at most
  ``queue_size`` messages); nothing is lost and nothing waits in memory unbounded.
- the collector stopped or killed before a commit: the broker delivers those messages again
  when it is back; the unique keys (``ON CONFLICT DO NOTHING``) make the second copy harmless.
- a connection lost: the acknowledgements still owed on it are dropped (the broker sends those
  messages again on the next connection, and their records are already stored or will be).

A message that is not a documented one, or that claims another screen, is refused: a row in
``rejected`` (topic, reason, size, a short prefix) and a rate-limited warning; the loop goes on.
"""

from __future__ import annotations

import logging
import queue
import signal
import threading
import time
from collections import Counter
from dataclasses import dataclass
from typing import Callable

import paho.mqtt.client as mqtt
import psycopg

from signage.config.fleet_central import CollectorConfig
from signage.fleet import intake, pgschema, pgstore
from signage.fleet.messages import PREFIX

log = logging.getLogger("signage.fleet.collector")


class CollectorError(RuntimeError):
    """The collector cannot go on (a database it cannot use); the text says why."""


@dataclass(frozen=True)
class _Item:
    rec: intake.Accepted | intake.Refused | None  # None: a message it ignores, acknowledged all the same
    received: float
    mid: int
    qos: int
    gen: int  # the connection it came on


class _RateLog:
    """At most ``per_window`` warnings per window, then one line saying how many were not shown."""

    def __init__(self, clock: Callable[[], float], per_window: int = 20, window_s: float = 60.0):
        self.clock, self.per_window, self.window_s = clock, per_window, window_s
        self.start, self.shown, self.hidden = clock(), 0, 0

    def warning(self, fmt: str, *args) -> None:
        now = self.clock()
        if now - self.start >= self.window_s:
            if self.hidden:
                log.warning("%d more refused messages in the last %.0f s (not shown)", self.hidden, self.window_s)
            self.start, self.shown, self.hidden = now, 0, 0
        if self.shown < self.per_window:
            self.shown += 1
            log.warning(fmt, *args)
        else:
            self.hidden += 1


class Collector:
    """``start()``, ``stop()``; ``stats()`` counts what it did. ``connect_db(dsn)`` opens a
    psycopg connection (injectable); ``clock`` gives epoch seconds."""

    def __init__(self, cfg: CollectorConfig, password: str | None = None, *, clock: Callable[[], float] = time.time,
                 connect_db: Callable[[str], psycopg.Connection] | None = None):
        self.cfg = cfg
        self._clock = clock
        self._connect_db = connect_db or (lambda dsn: psycopg.connect(dsn, autocommit=True, connect_timeout=10))
        self._queue: queue.Queue[_Item] = queue.Queue(cfg.queue_size)
        self._stop = threading.Event()
        self._stopping = False
        self._gen = 0
        self._gen_lock = threading.Lock()
        self._counts: Counter = Counter()
        self._counts_lock = threading.Lock()
        self._refusals = _RateLog(clock)
        self.connected = threading.Event()
        self.subscribed = threading.Event()  # the session holds the subscription: nothing is missed from now
        self.db_ready = threading.Event()
        self.fatal: Exception | None = None
        self._next_purge = clock() + cfg.purge_every_s
        self._client = self._make_client(password)
        self._writer = threading.Thread(target=self._write_loop, name="fleet-collector-writer", daemon=True)

    # ---- MQTT side (paho's network thread) ----

    def _make_client(self, password: str | None) -> mqtt.Client:
        c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=self.cfg.client_id, clean_session=False,
                        protocol=mqtt.MQTTv311, manual_ack=True)
        c.username_pw_set(self.cfg.username, password)
        if self.cfg.ca_file:
            c.tls_set(ca_certs=self.cfg.ca_file)
        c.reconnect_delay_set(self.cfg.reconnect_min_s, self.cfg.reconnect_max_s)
        c.on_connect = self._on_connect
        c.on_connect_fail = lambda client, userdata: log.warning("cannot reach the broker at %s; trying again",
                                                                 self.cfg.broker)
        c.on_disconnect = self._on_disconnect
        c.on_subscribe = self._on_subscribe
        c.on_message = self._on_message
        return c

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            log.error("broker %s refused the collector (user %r): %s; trying again", self.cfg.broker,
                      self.cfg.username, reason_code)
            return
        self._count(connects=1)
        log.info("connected to %s (session %s)", self.cfg.broker,
                 "resumed" if flags.session_present else "new: subscribing")
        if flags.session_present:
            self.subscribed.set()
        else:
            client.subscribe(f"{PREFIX}/#", qos=1)
        self.connected.set()

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        with self._gen_lock:
            self._gen += 1  # what came on that connection can no longer be acknowledged
        self.connected.clear()
        if not self._stopping:
            log.warning("disconnected from %s (%s); reconnecting", self.cfg.broker, reason_code)

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties) -> None:
        if any(rc.is_failure for rc in reason_codes):
            log.error("the broker refused the subscription to %s/# (%s): check the collector's ACL", PREFIX,
                      ", ".join(str(rc) for rc in reason_codes))
        else:
            self.subscribed.set()

    def _on_message(self, client, userdata, msg: mqtt.MQTTMessage) -> None:
        try:
            topic = msg.topic
        except UnicodeDecodeError:
            topic = repr(msg._topic)
        try:
            rec = intake.classify(topic, msg.payload)
        except Exception as exc:  # never let one message stop the loop
            rec = intake.refuse(topic, msg.payload, f"not understood ({type(exc).__name__})")
        if isinstance(rec, intake.Refused):
            self._refusals.warning("refused a message on %s: %s", rec.topic, rec.reason)
        item = _Item(rec, self._clock(), msg.mid, msg.qos, self._gen)
        while not self._stopping:  # full: paho's thread waits, and so does the broker (stopping: not acked)
            try:
                self._queue.put(item, timeout=0.5)
                return
            except queue.Full:
                continue

    # ---- database side (the writer thread) ----

    def _take(self) -> list[_Item]:
        try:
            first = self._queue.get(timeout=0.2)
        except queue.Empty:
            return []
        batch = [first]
        deadline = time.monotonic() + self.cfg.batch_wait_s
        while len(batch) < self.cfg.batch_size:
            left = deadline - time.monotonic()
            try:
                batch.append(self._queue.get(timeout=left) if left > 0 else self._queue.get_nowait())
            except queue.Empty:
                break
        return batch

    def _open_db(self) -> psycopg.Connection:
        conn = self._connect_db(self.cfg.db)
        try:
            applied = pgschema.migrate(conn)
        except BaseException:
            conn.close()
            raise
        if applied:
            log.info("database schema migrated to version %d", applied[-1])
        self.db_ready.set()
        return conn

    def _write_loop(self) -> None:
        conn: psycopg.Connection | None = None
        try:
            conn = self._commit(None, [])  # the schema ready before the first message
            if conn is None:
                return
            while True:
                batch = self._take()
                if not batch:
                    if self._stop.is_set():
                        return
                    conn = self._maybe_purge(conn)
                    continue
                conn = self._commit(conn, batch)
                if conn is None:
                    return
                self._ack(batch)
        except (psycopg.Error, pgschema.SchemaError) as exc:
            self.fatal = CollectorError(f"database {pgschema.safe_dsn(self.cfg.db)}: {exc}")
            log.error("%s; the collector stops", self.fatal)
            self._stop.set()
        finally:
            if conn is not None:
                conn.close()

    def _commit(self, conn: psycopg.Connection | None, batch: list[_Item]) -> psycopg.Connection | None:
        """Write ``batch`` (trying again until it commits); the connection, or None when asked to
        stop first (the batch then stays unacknowledged, for the broker to deliver again)."""
        delay = float(self.cfg.reconnect_min_s)
        items = [(i.rec, i.received) for i in batch if i.rec is not None]
        while True:
            try:
                if conn is None:
                    conn = self._open_db()
                written = pgstore.write_batch(conn, items) if batch else None
                break
            except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
                self.db_ready.clear()
                self._count(db_errors=1)
                log.warning("database unavailable (%s): %d messages wait, unacknowledged; trying again in %.0f s",
                            str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__,
                            len(batch), delay)
                if conn is not None:
                    conn.close()
                    conn = None
                if self._stop.wait(delay):
                    if batch:
                        log.warning("stopping with %d messages not written: the broker delivers them again",
                                    len(batch))
                    return None
                delay = min(delay * 2, float(self.cfg.reconnect_max_s))
        if written is None:
            return conn
        for refused in written.refused_by_db:
            self._refusals.warning("refused a message on %s: %s", refused.topic, refused.reason)
        with self._counts_lock:
            self._counts["batches"] += 1
            self._counts["messages"] += len(batch)
            self._counts["ignored"] += len(batch) - len(items)
            self._counts["rejected"] += written.rejected
            for kind, n in written.inserted.items():
                self._counts[f"inserted_{kind}"] += n
            for kind, n in written.duplicates.items():
                self._counts[f"duplicate_{kind}"] += n
        return conn

    def _ack(self, batch: list[_Item]) -> None:
        with self._gen_lock:  # a disconnect in between makes gen differ: those acks are owed no more
            acked = 0
            for item in batch:
                if item.qos > 0 and item.gen == self._gen:
                    self._client.ack(item.mid, item.qos)
                    acked += 1
        self._count(acked=acked)

    def _maybe_purge(self, conn: psycopg.Connection | None) -> psycopg.Connection | None:
        if self._clock() < self._next_purge:
            return conn
        self._next_purge = self._clock() + self.cfg.purge_every_s
        try:
            conn = conn or self._open_db()
            deleted = pgschema.purge(conn, self.cfg.retention_days)
        except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
            log.warning("retention purge put off: database unavailable (%s)", exc)
            if conn is not None:
                conn.close()
            return None
        if any(deleted.values()):
            log.info("retention (%g days): deleted %s", self.cfg.retention_days,
                     ", ".join(f"{n} {t}" for t, n in deleted.items() if n))
        return conn

    # ---- life cycle ----

    def _count(self, **kw: int) -> None:
        with self._counts_lock:
            self._counts.update(kw)

    def stats(self) -> dict[str, int]:
        with self._counts_lock:
            return dict(self._counts)

    def start(self) -> Collector:
        self._writer.start()
        self._client.connect_async(self.cfg.broker_host, self.cfg.broker_port, keepalive=self.cfg.keepalive_s)
        self._client.loop_start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        """Disconnect, write what was received (not acknowledged now: the broker delivers it
        again, harmlessly), close the database."""
        self._stopping = True
        self._client.disconnect()
        self._client.loop_stop()
        with self._gen_lock:
            self._gen += 1
        self._stop.set()
        self._writer.join(timeout)

    def run_forever(self, stats_every_s: float = 300.0) -> int:
        """Run until SIGTERM or SIGINT (0), or until the database cannot be used (2)."""
        done = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: done.set())
        self.start()
        log.info("collecting %s/# from %s into %s", PREFIX, self.cfg.broker, pgschema.safe_dsn(self.cfg.db))
        next_stats = time.monotonic() + stats_every_s
        while not done.wait(1.0):
            if self.fatal is not None:
                break
            if time.monotonic() >= next_stats:
                next_stats += stats_every_s
                log.info("so far: %s", ", ".join(f"{k} {v}" for k, v in sorted(self.stats().items())))
        self.stop()
        return 2 if self.fatal is not None else 0

