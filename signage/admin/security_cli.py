"""``signage admin audit`` and ``signage admin sessions``, and what the user and token
commands must do to the security state (end sessions, write the audit log).

    signage admin audit [--since ISO|7d] [--account NAME] [--limit N] [--json]
    signage admin sessions [--end NAME]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import sqlite3
import sys
import time

from signage.admin.audit import AuditLog, format_rows
from signage.admin.auth import Credentials
from signage.admin.securedb import db_beside
from signage.config import Settings

__all__ = ["add_security_arguments", "run_security", "SECURITY_COMMANDS", "user_changed", "cli_event"]

SECURITY_COMMANDS = ("audit", "sessions")
MAX_LIMIT = 1_000_000
CLI = "cli"  # the client address of what the command line does

log = logging.getLogger("signage.admin")


def _limit(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= n <= MAX_LIMIT:
        raise argparse.ArgumentTypeError(f"{text!r}: between 1 and {MAX_LIMIT}")
    return n


def add_security_arguments(sub) -> None:
    a = sub.add_parser("audit", help="the audit log: logins, failures, lock-outs, refusals, uploads, activations",
                       description="Prints the audit log, newest last (times in UTC).")
    a.add_argument("--since", metavar="WHEN", help="ISO date or time (UTC unless it says), or back from now: 7d, 12h, 30m")
    a.add_argument("--account", metavar="NAME", help="only this account (a user, token:NAME, or a name tried)")
    a.add_argument("--limit", type=_limit, default=100, metavar="N", help="the newest N events (default 100)")
    a.add_argument("--json", action="store_true", help="one JSON object per line")
    s = sub.add_parser("sessions", help="the sessions logged in now; --end NAME ends a user's sessions")
    s.add_argument("--end", metavar="NAME", help="end every session of this user (at once)")


def _session_store(settings: Settings, audit: AuditLog):
    from signage.admin.service import session_store  # the service's pieces, only when needed

    return session_store(settings, Credentials(settings.admin.credentials_file), audit)


def _when(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ")


def _audit(args: argparse.Namespace, settings: Settings) -> int:
    from signage.analytics.periods import parse_when  # slow to import: only for this command

    since = None
    if args.since is not None:
        try:
            since = parse_when(args.since, time.time(), dt.timezone.utc)
        except (ValueError, OverflowError, OSError) as exc:
            print(f"signage admin audit: --since: {exc}", file=sys.stderr)
            return 2
    if not db_beside(settings.admin.credentials_file, "audit.db").exists():
        print("(no audit log yet)")
        return 0
    rows = _cli_audit(settings).read(since=since, account=args.account, limit=args.limit)
    if args.json:
        for r in rows:
            print(json.dumps(r.to_json(), ensure_ascii=False))
    else:
        print(format_rows(rows) if rows else "(no event)")
    return 0


def _sessions(args: argparse.Namespace, settings: Settings) -> int:
    store = _session_store(settings, _cli_audit(settings))
    if args.end is not None:
        n = store.end_user(args.end, "ended by an operator")
        print(f"{n} session{'s' if n != 1 else ''} of {args.end} ended")
        return 0
    rows = store.active()
    if not rows:
        print("(no session)")
        return 0
    table = [("user", "since", "last seen", "address")] + [
        (r.user, _when(r.created), _when(r.last_seen), r.address or "-") for r in rows]
    widths = [max(len(line[i]) for line in table) for i in range(4)]
    print("\n".join("  ".join(c.ljust(w) for c, w in zip(line, widths)).rstrip() for line in table))
    return 0


def run_security(args: argparse.Namespace, settings: Settings) -> int:
    try:
        return _audit(args, settings) if args.admin_command == "audit" else _sessions(args, settings)
    except (sqlite3.Error, OSError) as exc:
        print(f"signage admin {args.admin_command}: cannot read the security database: {exc}", file=sys.stderr)
        return 1


# ------------------------------------------------------------------- hooks of the user and token commands


class _CliAudit(AuditLog):
    def record(self, event: str, **kw) -> bool:
        kw["client"] = CLI
        return super().record(event, **kw)


def _cli_audit(settings: Settings) -> AuditLog:
    return _CliAudit(db_beside(settings.admin.credentials_file, "audit.db"), settings.admin.audit_retention_days)


def cli_event(settings: Settings, event: str, account: str) -> None:
    """An audit row for what the command line did (a token made or revoked ...)."""
    _cli_audit(settings).record(event, account=account, outcome="ok")


def user_changed(settings: Settings, name: str, event: str) -> None:
    """After ``user add`` (a new password) or ``user remove``: that user's sessions end now
    (in the database, not only at their next request), and the audit log says so. A
    database that cannot be written is a warning: the credentials file has changed anyway,
    and every request checks it."""
    audit = _cli_audit(settings)
    audit.record(event, account=name, outcome="ok")
    reason = "user removed" if event == "user.removed" else "password changed"
    try:
        n = _session_store(settings, audit).end_user(name, reason)
    except (sqlite3.Error, OSError) as exc:
        print(f"signage admin: warning: sessions not ended in the database ({exc}); they end at their next request",
              file=sys.stderr)
        return
    if n:
        print(f"{n} session{'s' if n != 1 else ''} of {name} ended")
