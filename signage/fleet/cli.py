"""``signage fleet collect | migrate | purge | export``: the fleet's central side (docs/fleet.md).

Imports of paho and psycopg wait until a command runs: ``signage --help`` stays quick.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from pydantic import ValidationError

from signage.config.fleet_central import CollectorConfig

log = logging.getLogger("signage.fleet")

_OPTIONS = {  # option -> CollectorConfig field, for messages
    "--broker": "broker", "--db": "db", "--user": "username", "--password-file": "password_file",
    "--ca-file": "ca_file", "--client-id": "client_id", "--batch-size": "batch_size",
    "--retention-days": "retention_days",
}


def add_fleet_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="fleet_command", required=True, metavar="{collect,migrate,purge,export}")
    d = CollectorConfig()

    c = sub.add_parser("collect", help="subscribe to the fleet's broker and write its records to PostgreSQL",
                       description="Subscribe to signage/v1/# on the broker (QoS 1, a persistent session) and write "
                       "plays, audience minutes, acks, screens' state and health to PostgreSQL exactly once; "
                       "refused messages are logged in the table 'rejected'. Runs until SIGTERM or SIGINT. "
                       "Exit 2: an option or the database cannot be used.")
    c.add_argument("--broker", default=d.broker, metavar="HOST:PORT", help=f"default {d.broker}")
    c.add_argument("--db", default=d.db, metavar="DSN", help=f"a libpq connection string or URL (default {d.db!r})")
    c.add_argument("--user", default=d.username, help=f"the broker user (default {d.username})")
    c.add_argument("--password-file", default="", metavar="FILE", help="a file holding the broker password")
    c.add_argument("--ca-file", default="", metavar="FILE", help="TLS to the broker, trusting this CA")
    c.add_argument("--client-id", default=d.client_id, help="the persistent session's id (default %(default)s)")
    c.add_argument("--batch-size", type=int, default=d.batch_size, metavar="N", help="records per transaction")
    c.add_argument("--retention-days", type=float, default=d.retention_days, metavar="DAYS",
                   help="records older are deleted, hourly (default %(default)s)")
    c.set_defaults(func=cmd_collect)

    m = sub.add_parser("migrate", help="create or upgrade the fleet's tables in PostgreSQL, then exit")
    m.add_argument("--db", default=d.db, metavar="DSN")
    m.set_defaults(func=cmd_migrate)

    pu = sub.add_parser("purge", help="delete plays, minutes, acks and rejections older than DAYS, then exit")
    pu.add_argument("--db", default=d.db, metavar="DSN")
    pu.add_argument("--older-than", type=float, required=True, metavar="DAYS")
    pu.set_defaults(func=cmd_purge)

    e = sub.add_parser("export", help="the fleet's ad log (per play, hour or day) from PostgreSQL, as buyers ingest it",
                       description="The ad log of docs/exports.md, in exactly the columns of `signage report --format "
                       "adlog`, for every screen of the fleet: one row per play, or the proof of play per hour or "
                       "day x creative x campaign line. Exit 2: an option or the database cannot be used.")
    e.add_argument("--db", default=None, metavar="DSN",
                   help=f"default: [fleet_admin] db of the configuration, else {d.db!r}")
    e.add_argument("--per", choices=("play", "hour", "day"), default="play", help="default %(default)s")
    e.add_argument("--since", default="7d", help="a duration back from now (7d, 12h) or an ISO date or time "
                   "(default %(default)s)")
    e.add_argument("--until", default="", help="as --since (default: now)")
    e.add_argument("--tz", default="", metavar="ZONE", help="the zone of --per's hours and days (default: each "
                   "screen's own, UTC for a screen without one) and of --since/--until written without offset "
                   "(default UTC)")
    e.add_argument("--format", choices=("csv", "jsonl"), default="csv", help="default %(default)s")
    e.add_argument("--site", default="", metavar="SITE", help="only the plays of this site (its fleet id)")
    e.add_argument("--campaign", default="", metavar="ID", help="only the plays of this campaign id")
    e.add_argument("--playlist", action="append", default=[], metavar="FILE",
                   help="campaign ids for plays a kiosk sent without one, from these playlist files (repeatable; "
                   "default: the admin's content folder)")
    e.add_argument("--out", default="", metavar="FILE", help="default: standard output")
    e.set_defaults(func=cmd_export)


def _fail(msg: str) -> int:
    print(f"signage fleet: {msg}", file=sys.stderr)
    return 2


def _config(args: argparse.Namespace) -> CollectorConfig:
    values = {field: getattr(args, opt[2:].replace("-", "_")) for opt, field in _OPTIONS.items()}
    return CollectorConfig(**values)


def _explain(exc: ValidationError) -> str:
    by_field = {v: k for k, v in _OPTIONS.items()}
    lines = []
    for e in exc.errors():
        field = str(e["loc"][0]) if e["loc"] else ""
        lines.append(f"{by_field.get(field, field or 'options')}: {e['msg']}")
    return "; ".join(lines)


def _password(path: str) -> str | None:
    if not path:
        return None
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"--password-file {path}: cannot be read ({getattr(exc, 'strerror', None) or exc})") from None
    lines = text.splitlines()
    if not lines or not lines[0]:
        raise ValueError(f"--password-file {path}: empty")
    return lines[0]


def _connect(dsn: str):
    import psycopg

    return psycopg.connect(dsn, autocommit=True, connect_timeout=10)


def cmd_collect(args: argparse.Namespace, settings=None) -> int:
    try:
        cfg = _config(args)
        password = _password(cfg.password_file)
    except ValidationError as exc:
        return _fail(_explain(exc))
    except ValueError as exc:
        return _fail(str(exc))
    import ssl

    from signage.fleet.collector import Collector

    try:
        collector = Collector(cfg, password)
    except (OSError, ssl.SSLError, ValueError) as exc:  # tls_set reading the CA file
        return _fail(f"--ca-file {cfg.ca_file}: {getattr(exc, 'strerror', None) or exc}")
    return collector.run_forever()


def _with_db(dsn: str, job) -> int:
    import psycopg

    from signage.fleet import pgschema

    try:
        with _connect(dsn) as conn:
            return job(conn)
    except (psycopg.Error, pgschema.SchemaError, ValueError) as exc:
        return _fail(f"database {pgschema.safe_dsn(dsn)}: {' '.join(str(exc).split()) or type(exc).__name__}")


def cmd_migrate(args: argparse.Namespace, settings=None) -> int:
    from signage.fleet import pgschema

    def job(conn) -> int:
        applied = pgschema.migrate(conn)
        print(f"schema version {pgschema.current_version(conn)}"
              + (f" (applied {', '.join(map(str, applied))})" if applied else " (up to date)"))
        return 0

    return _with_db(args.db, job)


def cmd_purge(args: argparse.Namespace, settings=None) -> int:
    from signage.fleet import pgschema

    if args.older_than < 0:
        return _fail("--older-than: must be 0 or more days")

    def job(conn) -> int:
        pgschema.migrate(conn)
        deleted = pgschema.purge(conn, args.older_than)
        print(", ".join(f"{table}: {n} deleted" for table, n in deleted.items()))
        return 0

    return _with_db(args.db, job)


def cmd_export(args: argparse.Namespace, settings=None) -> int:
    import datetime as dt

    from signage.fleet import adlog_export, queries

    try:
        zone = adlog_export.asked_zone(args.tz)
    except ValueError as exc:
        return _fail(f"--tz {exc}")
    try:
        start, end = queries.parse_period(args.since, args.until, dt.datetime.now(dt.timezone.utc), zone)
    except queries.QueryError as exc:
        return _fail(f"--since/--until: {exc}")
    campaigns = None
    if settings is not None or args.playlist:
        from signage.campaigns import build_index, index_for
        from signage.config import Settings

        if args.playlist:
            campaigns, problems = build_index([Path(p) for p in args.playlist])
        else:
            campaigns, problems = index_for((), settings or Settings())
        for line in problems:
            print(f"signage fleet export: campaign ids: {line}", file=sys.stderr)

    def job(conn) -> int:
        from signage.analytics import adlog
        from signage.fleet import pgschema

        pgschema.migrate(conn)
        only = adlog_export.Only(site=args.site or None, campaign=args.campaign or None)
        if args.per == "play":
            rows, columns = adlog_export.play_rows(conn, start, end, campaigns, only), adlog.PLAY_COLUMNS
        else:
            rows = adlog_export.aggregate_rows(conn, start, end, args.per, zone, campaigns, only)
            columns = adlog.AGGREGATE_COLUMNS
        counted = _count(rows)
        pieces = adlog.iter_csv(counted, columns) if args.format == "csv" else adlog.iter_jsonl(counted, columns)
        if not args.out:
            for piece in pieces:
                sys.stdout.write(piece)
            return 0
        tmp = Path(args.out).with_name(f".{Path(args.out).name}.part")
        try:
            with open(tmp, "w", encoding="utf-8", newline="") as f:
                for piece in pieces:
                    f.write(piece)
            tmp.replace(args.out)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            return _fail(f"--out {args.out}: cannot write it: {exc.strerror or exc}")
        print(f"signage fleet export: {counted.n} rows written to {args.out}", file=sys.stderr)
        return 0

    fleet_admin = getattr(settings, "fleet_admin", None)
    return _with_db(args.db or (fleet_admin.db if fleet_admin is not None else "") or CollectorConfig().db, job)


class _count:
    """Rows passed through, counted."""

    def __init__(self, rows) -> None:
        self.rows, self.n = rows, 0

    def __iter__(self):
        for r in self.rows:
            self.n += 1
            yield r
