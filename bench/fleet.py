"""The fleet under load: N simulated kiosks through a real Mosquitto into a real PostgreSQL.

    .venv/bin/python bench/fleet.py [--kiosks 100] [--minutes 10] [--outage 30] [--workers 4] [--speed 1]

- Mosquitto and PostgreSQL on free loopback ports (tests/fleet/engines.py: one broker user
  per screen, their password file hashed in one ``mosquitto_passwd -U`` call, the ACLs of
  docs/fleet.md); PostgreSQL with ``track_commit_timestamp`` on, so a row's commit time is
  known exactly.
- The collector in a process of its own (bench/fleet_collector.py: ``Collector.run_forever``,
  what ``signage fleet collect`` runs, with the production defaults).
- ``--workers`` processes of simulated kiosks (bench/fleet_kiosks.py), each kiosk a paho
  client as the agent makes it, publishing at real rates: a Play every 10-30 s, a Minute
  every 60 s, Health every 10 s. ``--speed`` divides every interval (and the outage); the
  headline runs are real time.
- In the middle, the broker stops (SIGTERM: it saves its persistence) for ``--outage``
  seconds and starts again on the same port with the same data.
- At the end: every record acknowledged to its kiosk, the collector given time to drain, the
  rows counted against what was published.

Printed: messages per second, end-to-end delay (record made on the kiosk -> its row
committed) p50/p99 overall and for records made before, during and after the outage,
records lost, duplicated and unexpected, the collector's duplicate deliveries absorbed, the
CPU of the collector, the broker, PostgreSQL and the simulated kiosks, the load average at
start and end. Counts are the verdict; times are reported, never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
for p in (ROOT, ROOT / "tests" / "fleet", BENCH):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

import engines  # noqa: E402  (tests/fleet/engines.py)
import fleet_stats  # noqa: E402

SITE = "bench"
CLK_TCK = os.sysconf("SC_CLK_TCK")


@dataclass
class Options:
    kiosks: int = 100
    minutes: float = 10.0
    outage: float = 30.0  # seconds of the schedule (divided by speed); 0: none
    workers: int = 4
    speed: float = 1.0
    seed: int = 16
    drain_s: float = 300.0  # the longest wait for acknowledgements, then for rows
    kiosk_reconnect_max_s: int = 8  # the agent's default (fleet.reconnect_max_s)
    collector: dict | None = None  # CollectorConfig fields over the defaults
    quiet: bool = False


def proc_cpu(pid: int) -> float:
    """utime + stime of a live process, seconds (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def postgres_cpu(pg: engines.Postgres) -> float:
    """The postmaster's and its live children's CPU seconds (the collector's backend lives all run)."""
    try:
        pid = int((pg.data / "postmaster.pid").read_text().split()[0])
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except (OSError, ValueError, IndexError):
        return 0.0
    return proc_cpu(pid) + sum(proc_cpu(int(c)) for c in children)


def _say(opts: Options, text: str) -> None:
    if not opts.quiet:
        print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


def _write_spec(path: Path, spec: dict) -> Path:
    path.write_text(json.dumps(spec))
    os.chmod(path, 0o600)
    return path


def _wait(cond, timeout: float, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = cond()
        if got:
            return got
        time.sleep(interval)
    return cond()


def _rows(dsn: str) -> list[tuple]:
    import psycopg

    sql = ("SELECT %s, screen, key, extract(epoch FROM pg_xact_commit_timestamp(xmin))::float8, "
           "extract(epoch FROM received_at)::float8 FROM {}")
    with psycopg.connect(dsn) as conn:
        return [*conn.execute(sql.format("plays"), ("play",)).fetchall(),
                *conn.execute(sql.format("audience_minutes"), ("minute",)).fetchall()]


def _count(dsn: str) -> int:
    import psycopg

    with psycopg.connect(dsn) as conn:
        return conn.execute("SELECT (SELECT count(*) FROM plays) + (SELECT count(*) FROM audience_minutes)").fetchone()[0]


def run(opts: Options) -> dict:
    """One run; the figures as a dict (``report`` prints them)."""
    for why in (engines.missing_mosquitto(), engines.missing_postgres()):
        if why:
            raise engines.EngineError(why)
    load_start = os.getloadavg()
    work = Path(tempfile.mkdtemp(prefix="signage-fleet-bench-"))
    screens = [f"k{i:04d}" for i in range(opts.kiosks)]
    pg = broker = None
    procs: list[subprocess.Popen] = []
    logs: list = []
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    try:
        pg = engines.Postgres()
        with open(pg.data / "postgresql.auto.conf", "a") as f:
            f.write("track_commit_timestamp = on\n")
        pg.start()
        dsn = pg.create_database("fleet_bench")
        broker = engines.Mosquitto(screens)
        broker.start()
        _say(opts, f"broker {broker.address} ({opts.kiosks} screen users), PostgreSQL {pg.port}")

        cfg = {"broker": broker.address, "db": dsn, **(opts.collector or {})}
        col_spec = _write_spec(work / "collector.json", {"config": cfg, "password": broker.password("collector"),
                                                         "ready": str(work / "collector.ready"),
                                                         "out": str(work / "collector.out")})
        col_log = open(work / "collector.log", "wb")
        logs.append(col_log)
        collector = subprocess.Popen([sys.executable, str(BENCH / "fleet_collector.py"), str(col_spec)], env=env,
                                     stdout=col_log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        procs.append(collector)
        col_started = time.time()
        if not _wait(lambda: (work / "collector.ready").exists() or collector.poll() is not None, 180):
            raise engines.EngineError("the collector was not ready in 180 s")
        if collector.poll() is not None:
            raise engines.EngineError(f"the collector exited:\n{(work / 'collector.log').read_text()[-2000:]}")

        duration = opts.minutes * 60.0 / opts.speed
        begin = time.time() + 3.0 + opts.kiosks / 200.0  # the clients connect first
        stop = begin + duration
        workers = []
        n = max(1, min(opts.workers, opts.kiosks))
        for w in range(n):
            mine = screens[w::n]
            spec = {"host": broker.host, "port": broker.port, "site": SITE, "screens": mine,
                    "passwords": {s: broker.password(s) for s in mine}, "speed": opts.speed,
                    "seed": opts.seed * 1000 + w, "begin": begin, "stop": stop, "drain_s": opts.drain_s,
                    "reconnect_max_s": opts.kiosk_reconnect_max_s, "out": str(work / f"kiosks-{w}.out")}
            path = _write_spec(work / f"kiosks-{w}.json", spec)
            log = open(work / f"kiosks-{w}.log", "wb")
            logs.append(log)
            p = subprocess.Popen([sys.executable, str(BENCH / "fleet_kiosks.py"), str(path)], env=env, stdout=log,
                                 stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
            procs.append(p)
            workers.append(p)
        _say(opts, f"{opts.kiosks} kiosks in {n} processes, {duration:.0f} s from {time.strftime('%H:%M:%S', time.localtime(begin))}")

        broker_cpu = 0.0
        down = up = None
        outage_s = opts.outage / opts.speed
        if outage_s > 0:
            time.sleep(max(0.0, begin + duration / 2 - outage_s / 2 - time.time()))
            broker_cpu += proc_cpu(broker._proc.pid)
            down = time.time()
            broker.stop()
            _say(opts, f"broker stopped for {outage_s:.0f} s")
            time.sleep(max(0.0, down + outage_s - time.time()))
            broker.start()
            up = time.time()
            _say(opts, "broker back")
        for p in workers:
            left = stop + opts.drain_s + 120 - time.time()
            try:
                p.wait(max(1.0, left))
            except subprocess.TimeoutExpired:
                p.kill()
        results = []
        for w, p in enumerate(workers):
            out = work / f"kiosks-{w}.out"
            if not out.exists():
                raise engines.EngineError(f"kiosk worker {w} exited {p.returncode} without results:\n"
                                          f"{(work / f'kiosks-{w}.log').read_text()[-2000:]}")
            results.append(json.loads(out.read_text()))
        published = [r for res in results for r in res["records"]]
        acked_at = time.time()
        _say(opts, f"kiosks done: {len(published)} records, {sum(r['unacked'] for r in results)} unacknowledged")
        drained = _wait(lambda: _count(dsn) >= len(published), opts.drain_s, 0.5)
        drained_at = time.time()
        pg_cpu = postgres_cpu(pg)
        broker_cpu += proc_cpu(broker._proc.pid)
        collector.send_signal(signal.SIGTERM)
        collector.wait(120)
        col_stopped = time.time()
        col = json.loads((work / "collector.out").read_text()) if (work / "collector.out").exists() else {}
        t = fleet_stats.tally(published, _rows(dsn), down, up)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        for f in logs:
            f.close()
        if broker is not None:
            broker.close()
        if pg is not None:
            pg.close()
        shutil.rmtree(work, ignore_errors=True)
    stats = col.get("stats", {})
    health = sum(r["health_sent"] for r in results)
    states = sum(r["states"] for r in results)
    sent = len(published) + health + states
    return {
        "options": asdict(opts), "duration_s": duration, "outage_s": outage_s,
        "drained": bool(drained), "drain_after_kiosks_s": drained_at - acked_at,
        "kiosk": {"published": sent, "records": len(published), "health": health, "states": states,
                  "health_dropped": sum(r["health_dropped"] for r in results),
                  "failed_acks": sum(r["failed_acks"] for r in results),
                  "connects": sum(r["connects"] for r in results),
                  "disconnects": sum(r["disconnects"] for r in results),
                  "per_s": sent / duration, "cpu_s": sum(r["cpu_s"] for r in results)},
        "collector": {"stats": stats, "rc": col.get("rc"), "cpu_s": col.get("cpu_s"),
                      "wall_s": col_stopped - col_started, "max_rss_kb": col.get("max_rss_kb"),
                      "per_s": stats.get("messages", 0) / max(1e-9, drained_at - begin)},
        "broker_cpu_s": broker_cpu, "postgres_cpu_s": pg_cpu,
        "load_start": load_start, "load_end": os.getloadavg(), **t,
    }


def _ms(v: float | None) -> str:
    return "-" if v is None else f"{v * 1000:.0f} ms"


def report(r: dict) -> str:
    o, k, c = r["options"], r["kiosk"], r["collector"]
    cs = c["stats"]
    lines = [
        f"{o['kiosks']} kiosks, {o['minutes']:g} min at speed {o['speed']:g} ({r['duration_s']:.0f} s), "
        f"broker outage {r['outage_s']:.0f} s, {o['workers']} kiosk processes, reconnect ceilings: kiosks "
        f"{o['kiosk_reconnect_max_s']} s, collector {(o['collector'] or {}).get('reconnect_max_s', 'default')}",
        f"load average at start {r['load_start'][0]:.2f}, at end {r['load_end'][0]:.2f} (1 min)",
        f"published: {k['published']} messages, {k['per_s']:.1f}/s ({r['published'].get('play', 0)} plays, "
        f"{r['published'].get('minute', 0)} minutes, {k['health']} health, {k['states']} states; "
        f"{k['health_dropped']} health not sent while disconnected, QoS 0)",
        f"collector: {cs.get('messages', 0)} messages in {cs.get('batches', 0)} transactions, {c['per_s']:.1f}/s; "
        f"{cs.get('connects', 0)} connections; duplicate deliveries absorbed: {cs.get('duplicate_play', 0)} plays, "
        f"{cs.get('duplicate_minute', 0)} minutes; rejected {cs.get('rejected', 0)}",
        f"rows: {r['rows']}; lost {r['lost']}, duplicated {r['duplicated']}, unexpected {r['unexpected']}, "
        f"unacknowledged on kiosks {r['unacked']}" + (f" (lost e.g. {r['lost_keys']})" if r["lost"] else ""),
        "delay, made on the kiosk -> row committed:",
    ]
    for w in ("all", "before", "during", "after"):
        d = r["delay"][w]
        lines.append(f"  {w:<7} n={d['n']:<6} p50 {_ms(d['p50']):>9}  p99 {_ms(d['p99']):>9}  max {_ms(d['max']):>9}")
    for kind, d in r["delay_by_kind"].items():
        lines.append(f"  {kind:<7} n={d['n']:<6} p50 {_ms(d['p50']):>9}  p99 {_ms(d['p99']):>9}  max {_ms(d['max']):>9}")
    p = r["puback"]
    lines.append(f"PUBACK to the kiosk: p50 {_ms(p['p50'])}, p99 {_ms(p['p99'])}, max {_ms(p['max'])}")
    cpu, wall = c["cpu_s"] or 0.0, c["wall_s"]
    lines.append(f"CPU: collector {cpu:.1f} s ({100 * cpu / wall:.1f} % of a core over {wall:.0f} s, "
                 f"max RSS {(c['max_rss_kb'] or 0) / 1024:.0f} MB), broker {r['broker_cpu_s']:.1f} s, "
                 f"PostgreSQL {r['postgres_cpu_s']:.1f} s, simulated kiosks {k['cpu_s']:.1f} s")
    lines.append(f"kiosk connections {k['connects']} (disconnections {k['disconnects']}); rows in "
                 f"{r['drain_after_kiosks_s']:.1f} s after the last PUBACK" + ("" if r["drained"] else " (NOT DRAINED)"))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kiosks", type=int, default=100)
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--outage", type=float, default=30.0, help="seconds the broker is down in the middle (0: none)")
    ap.add_argument("--workers", type=int, default=4, help="processes of simulated kiosks")
    ap.add_argument("--speed", type=float, default=1.0, help="every interval divided by this (1: real time)")
    ap.add_argument("--seed", type=int, default=16)
    ap.add_argument("--drain", type=float, default=300.0, help="the longest wait for the last rows, seconds")
    ap.add_argument("--collector-reconnect-max", type=int, default=None, metavar="S",
                    help="the collector's reconnect back-off ceiling (default: the collector's, 5 s)")
    ap.add_argument("--kiosk-reconnect-max", type=int, default=8, metavar="S",
                    help="the kiosks' reconnect back-off ceiling (default: the agent's, %(default)s s)")
    ap.add_argument("--json", type=Path, help="write the figures there too")
    a = ap.parse_args(argv)
    for name in ("kiosks", "workers"):
        if getattr(a, name) < 1:
            ap.error(f"--{name}: at least 1")
    for name in ("minutes", "speed"):
        if getattr(a, name) <= 0:
            ap.error(f"--{name}: more than 0")
    if a.outage < 0 or a.outage >= a.minutes * 60:
        ap.error("--outage: 0 or more seconds, less than the run")
    if a.kiosk_reconnect_max < 1 or (a.collector_reconnect_max is not None and a.collector_reconnect_max < 1):
        ap.error("a reconnect ceiling: at least 1 s")
    if a.kiosks > 9999:
        ap.error("--kiosks: at most 9999")
    collector = {"reconnect_max_s": a.collector_reconnect_max} if a.collector_reconnect_max else None
    opts = Options(kiosks=a.kiosks, minutes=a.minutes, outage=a.outage, workers=a.workers, speed=a.speed,
                   seed=a.seed, drain_s=a.drain, collector=collector,
                   kiosk_reconnect_max_s=a.kiosk_reconnect_max)
    try:
        r = run(opts)
    except engines.EngineError as exc:
        print(f"bench/fleet.py: {exc}", file=sys.stderr)
        return 2
    print(report(r))
    if a.json:
        a.json.write_text(json.dumps(r, indent=1, default=str))
    return 0 if r["lost"] == 0 and r["duplicated"] == 0 and r["unexpected"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
