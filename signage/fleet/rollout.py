"""Rollouts: a content version activated on a group of screens, and the report of who has it.

``start`` resolves the group (queries.group_screens), records the rollout and one target per
screen (tables of pgschema migration 2), then publishes one ``Command`` (action "activate",
the version's manifest, the content base URL) per screen on ``signage/v1/<site>/<screen>/cmd``
at QoS 1, as the broker user allowed to write commands ("central"). The command's id is
``r<rollout>-<screen>``; the kiosk answers with an ``Ack`` of that id, which the collector
writes to ``acks``. The report joins them: per screen "ok" or "failed" with the Ack's result,
"failed" when the command could not be published, else "pending".

A manifest lists a stored version's files by sha256 (everything but the store's own
``.signage/`` folder); kiosks fetch each from ``<base_url>/<sha256>``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
import ssl
import threading
from dataclasses import dataclass
from pathlib import Path

import paho.mqtt.client as mqtt

from signage.config.fleet_admin import FleetAdminConfig
from signage.config.fleet_central import split_address
from signage.content_store import PLAYLIST_NAME, Version
from signage.fleet import messages as m
from signage.fleet import queries

SENT, UNSENT = "sent", "not published"


class RolloutError(RuntimeError):
    """A rollout that could not start (no screens, no broker, a version too large); nothing was sent."""


# ---------------------------------------------------------------------------- pure parts


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def manifest_for(version: Version) -> m.Manifest:
    """The manifest of a stored version: every file under its folder but ``.signage/``."""
    root = version.path
    files = []
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root)
        if not p.is_file() or rel.parts[0].startswith("."):
            continue
        files.append(m.FileRef(path=rel.as_posix(), sha256=file_sha256(p), size=p.stat().st_size))
    try:
        return m.Manifest(version=version.id, playlist=PLAYLIST_NAME, files=files)
    except ValueError as exc:
        raise RolloutError(f"version {version.id} cannot be sent to screens: {exc}") from None


def command_id(rollout_id: int, screen: str) -> str:
    return f"r{rollout_id}-{screen}"


def command(cid: str, manifest: m.Manifest, base_url: str | None, ts: float) -> bytes:
    """The activate command, encoded (RolloutError when it exceeds messages.MAX_PAYLOAD)."""
    try:
        return m.encode(m.Command(id=cid, ts=ts, action="activate", manifest=manifest, base_url=base_url or None))
    except m.MessageError as exc:
        raise RolloutError(f"the activate command of {manifest.version} is too large: {exc}") from None


def target_state(sent: str, ack_ok: bool | None) -> str:
    """"ok" / "failed" by the screen's Ack; "failed" when never published; else "pending"."""
    if ack_ok is not None:
        return "ok" if ack_ok else "failed"
    return "failed" if sent == UNSENT else "pending"


# ---------------------------------------------------------------------------- the broker


class Publisher:
    """One paho connection, as ``cfg.username``: ``publish(topic, payload)`` at QoS 1, waiting
    for the broker's PUBACK; ``close()``."""

    def __init__(self, cfg: FleetAdminConfig):
        self.cfg = cfg
        host, port = split_address(cfg.broker)
        password = _password(cfg.password_file)
        c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"signage-admin-{secrets.token_hex(4)}",
                        clean_session=True, protocol=mqtt.MQTTv311)
        c.username_pw_set(cfg.username, password)
        if cfg.ca_file:
            try:
                c.tls_set(ca_certs=cfg.ca_file)
            except (OSError, ssl.SSLError, ValueError) as exc:
                raise RolloutError(f"fleet_admin.ca_file {cfg.ca_file}: {getattr(exc, 'strerror', None) or exc}") from None
        done, result = threading.Event(), []
        c.on_connect = lambda client, ud, flags, rc, props: (result.append(rc), done.set())
        try:
            c.connect(host, port, keepalive=30)
        except OSError as exc:
            raise RolloutError(f"the broker {cfg.broker} cannot be reached ({exc.strerror or exc}): nothing was sent") from None
        c.loop_start()
        if not done.wait(cfg.publish_timeout_s) or result[0].is_failure:
            c.loop_stop()
            why = f"refused user {cfg.username!r}: {result[0]}" if result else "did not answer"
            raise RolloutError(f"the broker {cfg.broker} {why}: nothing was sent")
        self._client = c

    def publish(self, topic: str, payload: bytes) -> str | None:
        """None once the broker has the message, else why not."""
        try:
            info = self._client.publish(topic, payload, qos=1)
            info.wait_for_publish(self.cfg.publish_timeout_s)
        except (RuntimeError, ValueError) as exc:
            return f"not published: {exc}"
        if not info.is_published():
            return f"not published: the broker did not acknowledge it within {self.cfg.publish_timeout_s:g} s"
        return None

    def close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()


def _password(path: str) -> str | None:
    if not path:
        return None
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise RolloutError(f"fleet_admin.password_file {path}: cannot be read "
                           f"({getattr(exc, 'strerror', None) or exc})") from None
    if not lines or not lines[0]:
        raise RolloutError(f"fleet_admin.password_file {path}: empty")
    return lines[0]


# ---------------------------------------------------------------------------- rollouts


def start(conn, cfg: FleetAdminConfig, version: Version, group: str, by: str, now: dt.datetime,
          publisher_factory=Publisher) -> int:
    """Record and publish a rollout of ``version`` to ``group``; its id. RolloutError (nothing
    recorded, nothing sent) when the group is empty, the version unsendable or the broker away."""
    targets = queries.group_screens(conn, group)
    if not targets:
        raise RolloutError(f"no screens in group {group!r}: nothing was sent")
    manifest = manifest_for(version)
    command(command_id(0, max((s for s, _ in targets), key=len)), manifest, cfg.content_base_url, now.timestamp())
    publisher = publisher_factory(cfg)
    try:
        with conn.transaction():
            rid = conn.execute("INSERT INTO rollouts (version, grp, manifest, base_url, created, created_by) "
                               "VALUES (%s, %s, %s, %s, %s, %s) RETURNING id",
                               (version.id, group, json.dumps(manifest.model_dump()), cfg.content_base_url or None,
                                now, by)).fetchone()[0]
            for screen_id, site in targets:
                conn.execute("INSERT INTO rollout_targets (rollout, screen, site, command_id, state) "
                             "VALUES (%s, %s, %s, %s, 'publishing')", (rid, screen_id, site, command_id(rid, screen_id)))
        for screen_id, site in targets:
            cid = command_id(rid, screen_id)
            why = publisher.publish(m.topic(site, screen_id, "cmd"), command(cid, manifest, cfg.content_base_url,
                                                                              now.timestamp()))
            conn.execute("UPDATE rollout_targets SET state = %s, result = %s WHERE rollout = %s AND screen = %s",
                         (UNSENT if why else SENT, why or "", rid, screen_id))
    finally:
        publisher.close()
    return rid


@dataclass
class Target:
    screen: str
    site: str
    command_id: str
    state: str  # "ok", "failed", "pending"
    result: str
    ack_ts: dt.datetime | None


@dataclass
class Report:
    id: int
    version: str
    group: str
    created: dt.datetime
    created_by: str
    files: int
    targets: list[Target]

    def count(self, state: str) -> int:
        return sum(1 for t in self.targets if t.state == state)


def report(conn, rollout_id: int) -> Report | None:
    """Who has the version (ok), who failed and why, who has not answered yet (pending)."""
    row = conn.execute("SELECT id, version, grp, created, created_by, jsonb_array_length(manifest->'files') "
                       "FROM rollouts WHERE id = %s", (rollout_id,)).fetchone()
    if row is None:
        return None
    rows = conn.execute(
        "SELECT t.screen, t.site, t.command_id, t.state, t.result, a.ok, a.result, a.ts FROM rollout_targets t "
        "LEFT JOIN acks a ON a.command_id = t.command_id AND a.screen = t.screen "
        "WHERE t.rollout = %s ORDER BY t.screen", (rollout_id,)).fetchall()
    targets = [Target(screen=s, site=site, command_id=cid, state=target_state(sent, ok),
                      result=ack_result if ok is not None else sent_result, ack_ts=ts)
               for s, site, cid, sent, sent_result, ok, ack_result, ts in rows]
    return Report(id=row[0], version=row[1], group=row[2], created=row[3], created_by=row[4], files=row[5],
                  targets=targets)


def recent(conn, limit: int = 20) -> list[dict]:
    """The latest rollouts, newest first, with their counts of ok / failed / all."""
    cur = conn.execute(
        """SELECT r.id, r.version, r.grp, r.created, count(t.screen) AS screens,
            count(*) FILTER (WHERE a.ok) AS ok,
            count(*) FILTER (WHERE a.ok = false OR (a.ok IS NULL AND t.state = %s)) AS failed
        FROM rollouts r JOIN rollout_targets t ON t.rollout = r.id
        LEFT JOIN acks a ON a.command_id = t.command_id AND a.screen = t.screen
        GROUP BY r.id ORDER BY r.id DESC LIMIT %s""", (UNSENT, limit))
    names = [c.name for c in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]
