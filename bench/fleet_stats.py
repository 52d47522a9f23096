"""bench/fleet.py's arithmetic: what was published against what PostgreSQL holds. Pure.

A published record is ``(key, kind, screen, made, acked)`` (epoch seconds; ``acked`` None when
its PUBACK never came); a row is ``(kind, screen, key, committed, received)``. Lost: published,
no row. Duplicated: more than one row for a key (the unique keys make it impossible; counted
all the same). Unexpected: a row no kiosk published. Delay: the row's commit time (PostgreSQL's
commit timestamp) less the time the record was made, in three windows: records made before
the broker stopped, while it was down, and after it was back.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (0..100) by the nearest rank; None for no values."""
    if not values:
        return None
    s = sorted(values)
    rank = max(1, math.ceil(q / 100.0 * len(s)))
    return s[min(rank, len(s)) - 1]


def summary(values: Sequence[float]) -> dict:
    return {"n": len(values), "p50": percentile(values, 50), "p99": percentile(values, 99),
            "max": max(values) if values else None}


def window(made: float, down: float | None, up: float | None) -> str:
    if down is None or up is None or made < down:
        return "before"
    return "during" if made < up else "after"


def tally(published: Iterable[Sequence], rows: Iterable[Sequence], down: float | None, up: float | None) -> dict:
    """Lost, duplicated, unexpected and delays (overall, per window, per kind)."""
    pub = {(r[2], r[0]): r for r in published}  # (screen, key) -> record
    seen: Counter = Counter()
    committed: dict[tuple[str, str], float] = {}
    for kind, screen, key, commit, _received in rows:
        seen[(screen, key)] += 1
        committed.setdefault((screen, key), commit)
    lost = [k for k in pub if k not in seen]
    unexpected = [k for k in seen if k not in pub]
    duplicated = sum(n - 1 for n in seen.values() if n > 1)
    delays: dict[str, list[float]] = {"all": [], "before": [], "during": [], "after": []}
    by_kind: dict[str, list[float]] = {}
    ack: list[float] = []
    for k, (key, kind, screen, made, acked) in pub.items():
        if acked is not None:
            ack.append(acked - made)
        if k not in committed:
            continue
        d = committed[k] - made
        delays["all"].append(d)
        delays[window(made, down, up)].append(d)
        by_kind.setdefault(kind, []).append(d)
    return {
        "published": Counter(r[1] for r in pub.values()), "rows": sum(seen.values()),
        "lost": len(lost), "lost_keys": sorted(lost)[:10], "duplicated": duplicated, "unexpected": len(unexpected),
        "unacked": sum(1 for r in pub.values() if r[4] is None),
        "delay": {w: summary(v) for w, v in delays.items()},
        "delay_by_kind": {kind: summary(v) for kind, v in sorted(by_kind.items())},
        "puback": summary(ack),
    }
