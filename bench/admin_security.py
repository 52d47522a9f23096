"""What the admin service's security state costs per request, on this machine.

    .venv/bin/python bench/admin_security.py [--n 2000]

In a temporary folder, on the real SQLite files (sessions.db, audit.db) as the service
opens them: the check of a session cookie (done twice per form post: gate, then route),
one audit row, one failed attempt counted for the lock-out.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from signage.admin.auth import Credentials
from signage.admin.lockouts import Lockout
from signage.admin.service import audit_log, security_db, session_store
from signage.config import Settings


def per_call_us(fn, n: int) -> float:
    start = time.perf_counter()
    for i in range(n):
        fn(i)
    return (time.perf_counter() - start) / n * 1e6


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=2000, help="calls of each (default 2000)")
    n = p.parse_args().n
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        settings = Settings(admin={"credentials_file": str(d / "credentials.json"),
                                   "secret_key_file": str(d / "session.key"), "data_dir": str(d / "content")})
        creds = Credentials(settings.admin.credentials_file)
        creds.add_user("alice", "a long enough password")
        audit = audit_log(settings)
        sessions = session_store(settings, creds, audit)
        cookie, _ = sessions.issue("alice", "127.0.0.1")
        lockout = Lockout(security_db(settings), 900, 900)
        figures = {
            "session cookie checked": per_call_us(lambda i: sessions.verify(cookie), n),
            "audit row written": per_call_us(lambda i: audit.record("login.failed", account="x", client="192.0.2.1"), n),
            "lock-out failure counted": per_call_us(lambda i: lockout.failure(f"client:198.51.100.{i % 250}", 10**6), n),
        }
    for what, us in figures.items():
        print(f"{what:26s} {us:8.0f} us")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
