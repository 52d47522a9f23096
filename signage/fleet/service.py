"""The agent built from the configuration, for ``signage run`` (app.py): the outbox beside the
analytics database, the content store of ``admin.data_dir`` (the player follows its active
version), and the player's hooks for the reload, purge and screenshot commands.

``fleet_content(settings)`` runs before the player chooses its playlist: the content folder
exists from then on, so the player follows its active version and a version the fleet
activates plays within ``player.watch_interval_s``. ``build_agent`` never raises: an agent
that cannot start (a password file that cannot be read, a TLS file that is wrong) is logged
and the player plays on without it.
"""

from __future__ import annotations

import logging
import sqlite3
import ssl
import time
from typing import Any

from signage.analytics.dbfile import StoreError, resolve_path
from signage.content_store import ContentStore

log = logging.getLogger("signage.fleet")


def fleet_content(settings: Any) -> ContentStore | None:
    """The content store the fleet activates versions in (created when missing), or None."""
    if not settings.fleet.enabled:
        return None
    try:
        return ContentStore(settings.admin.data_dir)
    except OSError as exc:
        log.error("fleet: content folder %s cannot be used (%s): activate commands will be refused",
                  settings.admin.data_dir, exc)
        return None


def _reload(watcher: Any, active: Any) -> str:
    if not hasattr(watcher, "check"):
        raise ValueError("the player plays no playlist file (nothing to reload)")
    watcher.check()
    cur = active.current
    if watcher.last_error is not None:
        keeping = f"; still playing {cur.playlist.name!r}" if cur is not None else ""
        raise ValueError(f"playlist refused{keeping}: {watcher.last_error.format()[:300]}")
    return f"playing {cur.playlist.name!r} ({cur.path.name}, version {active.version})" if cur else "no playlist"


def _purge(analytics: Any, outbox: Any) -> str:
    from signage.analytics.store import AnalyticsStore

    now = time.time()
    store = AnalyticsStore(analytics.db_path, analytics.busy_timeout_s, analytics.synchronous)
    try:
        plays, minutes = store.purge(now, analytics.retention_days)
    finally:
        store.close()
    records = outbox.purge(now - analytics.retention_days * 86400.0)
    return (f"deleted {plays} plays, {minutes} audience minutes and {records} outbox records older than "
            f"{analytics.retention_days} days")


def _content_tls(cfg: Any) -> ssl.SSLContext | None:
    """HTTPS content is checked against the system's CAs and, when set, the broker's CA file too."""
    if not cfg.tls.ca_file:
        return None
    from signage.fleet.agent import AgentError

    ctx = ssl.create_default_context()
    try:
        ctx.load_verify_locations(cfg.tls.ca_file)
    except (OSError, ssl.SSLError) as exc:
        raise AgentError(f"fleet.tls.ca_file {cfg.tls.ca_file}: {getattr(exc, 'strerror', None) or exc}") from None
    return ctx


def build_agent(settings: Any, analytics: Any, *, store: ContentStore | None, screen: Any, watcher: Any,
                active: Any) -> Any:
    """The agent (to start), or None (disabled, or it cannot start: logged)."""
    if not settings.fleet.enabled:
        return None
    from signage.campaigns import LiveIndex
    from signage.fleet.agent import Agent, AgentError
    from signage.fleet.facts import place_of
    from signage.fleet.commands import Hooks
    from signage.fleet.outbox import Outbox, default_path
    from signage.fleet.sync import ContentSync, admin_validator
    from signage.health import status_path

    cfg = settings.fleet
    try:
        outbox = Outbox(cfg.outbox_path or default_path(str(resolve_path(analytics.db_path))), cfg.screen,
                        cfg.max_backlog, campaign_of=LiveIndex(settings))
        sync = ContentSync(store, admin_validator(store, settings), ssl_context=_content_tls(cfg)) if store else None
        hooks = Hooks(reload=lambda: _reload(watcher, active), purge=lambda: _purge(analytics, outbox),
                      screenshot=getattr(getattr(screen, "screenshots", None), "request", None))
        return Agent(cfg, outbox=outbox, analytics_db=analytics.db_path, status_file=status_path(settings), sync=sync,
                     hooks=hooks, stale_after_s=settings.health.stale_after_s, place=place_of(settings.screen, settings.sensing.expressions))
    except (AgentError, OSError, StoreError, ValueError, sqlite3.Error, ssl.SSLError) as exc:
        log.error("fleet: the agent cannot start (%s); the player plays on without it", exc)
        return None
