"""The collector of bench/fleet.py, in a process of its own (its CPU is the figure).

    python bench/fleet_collector.py SPEC.json

What ``signage fleet collect`` runs (``Collector.run_forever``: SIGTERM stops it), with two
additions the command has no use for: a file written when the subscription and the schema
are ready (``spec["ready"]``) and, at exit, its counters and its own CPU time
(``resource.getrusage``) as JSON (``spec["out"]``).
"""

from __future__ import annotations

import json
import logging
import resource
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from signage.config.fleet_central import CollectorConfig  # noqa: E402
from signage.fleet.collector import Collector  # noqa: E402


def main(argv: list[str]) -> int:
    spec = json.loads(Path(argv[0]).read_text())
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    collector = Collector(CollectorConfig(**spec["config"]), spec["password"])

    def ready() -> None:
        if collector.subscribed.wait(120) and collector.db_ready.wait(120):
            Path(spec["ready"]).write_text("ready\n")

    threading.Thread(target=ready, daemon=True).start()
    rc = collector.run_forever(stats_every_s=60.0)
    ru = resource.getrusage(resource.RUSAGE_SELF)
    out = {"rc": rc, "stats": collector.stats(), "cpu_s": ru.ru_utime + ru.ru_stime, "max_rss_kb": ru.ru_maxrss}
    tmp = Path(spec["out"] + ".tmp")
    tmp.write_text(json.dumps(out))
    tmp.rename(spec["out"])
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
