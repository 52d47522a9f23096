"""The commands a kiosk takes from the fleet (``.../cmd``), each answered with an ``Ack``.

- ``activate``: content sync of the command's manifest (``sync.py``), then the content store's
  atomic activation; the player's watcher takes the new playlist at its next look;
- ``reload``: the player looks at its playlist now (``hooks.reload``);
- ``purge``: the analytics retention purge now (``hooks.purge``), and the outbox's records older
  than the retention period;
- ``screenshot``: what the screen shows, with the notice (``hooks.screenshot``: PNG bytes of the
  last presented frame, never a camera frame), published on ``.../screenshot/<command id>``.

A command that is not valid, or that fails, is answered ``ok = false`` with the reason; nothing
here raises. The same command id again (QoS 1 may deliver twice) gets the first answer again,
without being run twice.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from signage.analytics.dbfile import StoreError as AnalyticsStoreError
from signage.fleet.messages import Ack, Command, MessageError, is_png, parse
from signage.fleet.sync import ContentSync, SyncError

log = logging.getLogger("signage.fleet")


@dataclass
class Hooks:
    """What the player lends the agent; None: the command is answered "not available here"."""

    reload: Callable[[], str] | None = None
    purge: Callable[[], str] | None = None
    screenshot: Callable[[], bytes] | None = None


def command_id(payload: bytes) -> str:
    """The id of a command that did not parse, for its Ack (``invalid`` when there is none)."""
    try:
        raw = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return "invalid"
    cid = raw.get("id") if isinstance(raw, dict) else None
    return cid if isinstance(cid, str) and 1 <= len(cid) <= 128 else "invalid"


@dataclass
class Commands:
    """Runs commands. ``publish_screenshot(command id, png)`` returns the topic it went on;
    ``on_activated()`` is told when a version was activated (the State changes)."""

    screen: str
    hooks: Hooks
    sync: ContentSync | None
    base_url: str
    publish_screenshot: Callable[[str, bytes], str]
    on_activated: Callable[[], None]
    clock: Callable[[], float]
    remember: int = 200
    _done: OrderedDict[str, Ack] = field(default_factory=OrderedDict)

    def _ack(self, cid: str, ok: bool, result: str) -> Ack:
        return Ack(id=cid, screen=self.screen, ts=self.clock(), ok=ok, result=result[:500])

    def refuse(self, payload: bytes, reason: str) -> Ack:
        """The answer to a command that is not run (``reason``)."""
        return self._ack(command_id(payload), False, reason)

    def handle(self, payload: bytes) -> Ack:
        """Run one command (raw payload); its Ack."""
        try:
            cmd = parse("cmd", payload)
        except MessageError as exc:
            log.warning("fleet: command refused: %s", exc)
            return self.refuse(payload, f"invalid command: {exc}")
        assert isinstance(cmd, Command)
        if cmd.id in self._done:
            return self._done[cmd.id]
        try:
            ok, result = getattr(self, f"_{cmd.action}")(cmd)
        except (OSError, ValueError, sqlite3.Error, AnalyticsStoreError) as exc:  # said in the Ack and the log
            ok, result = False, f"{cmd.action} failed: {exc}"
        except Exception as exc:  # noqa: BLE001 - a command never stops the agent
            log.exception("fleet: command %s (%s) failed", cmd.id, cmd.action)
            ok, result = False, f"{cmd.action} failed: {type(exc).__name__}: {exc}"
        ack = self._ack(cmd.id, ok, result)
        (log.info if ok else log.warning)("fleet: command %s (%s): %s", cmd.id, cmd.action, result)
        self._done[cmd.id] = ack
        while len(self._done) > self.remember:
            self._done.popitem(last=False)
        return ack

    def _activate(self, cmd: Command) -> tuple[bool, str]:
        if cmd.manifest is None:
            return False, "activate needs a manifest"
        base_url = cmd.base_url or self.base_url
        if not base_url:
            return False, "activate needs a base_url (in the command, or fleet.content_base_url)"
        if self.sync is None:
            return False, "no content store on this kiosk (admin.data_dir)"
        try:
            version, fetched = self.sync.activate(cmd.manifest, base_url, by=f"fleet:{cmd.id}")
        except SyncError as exc:
            return False, f"not activated, the active version stays: {exc}"
        self.on_activated()
        return True, (f"activated {cmd.manifest.version} as {version.id}: {len(cmd.manifest.files)} files, "
                      f"{fetched} downloaded")

    def _reload(self, cmd: Command) -> tuple[bool, str]:
        if self.hooks.reload is None:
            return False, "reload is not available on this kiosk"
        return True, self.hooks.reload()

    def _purge(self, cmd: Command) -> tuple[bool, str]:
        if self.hooks.purge is None:
            return False, "purge is not available on this kiosk"
        return True, self.hooks.purge()

    def _screenshot(self, cmd: Command) -> tuple[bool, str]:
        if self.hooks.screenshot is None:
            return False, "no screen to take a screenshot of (the player's render loop is not running here)"
        png = self.hooks.screenshot()
        if not is_png(png):
            return False, f"the screenshot is not a PNG of at most the allowed size ({len(png)} bytes)"
        where = self.publish_screenshot(cmd.id, png)
        return True, f"{len(png)} bytes on {where}"
