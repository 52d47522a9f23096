"""Fixtures of the fleet's tests: a real Mosquitto and a real PostgreSQL (engines.py).

- ``postgres``: one server for the session; ``pg_dsn``: a fresh, empty database per test.
- ``broker``: a fresh broker per test (it starts in milliseconds; a test's persistent sessions
  and queued messages must not leak into the next), users ``SCREENS`` + collector + central.
- ``broker_factory(screens)``: another broker, with other screen ids.
Each skips, with the reason, only when the engine's binaries are missing.
"""

from __future__ import annotations

import pytest

from .engines import Mosquitto, Postgres, missing_mosquitto, missing_postgres

SITE = "shop-1"
SCREENS = ("kiosk-1", "kiosk-2", "kiosk-3")


@pytest.fixture(scope="session")
def postgres():
    why = missing_postgres()
    if why:
        pytest.skip(f"PostgreSQL: {why}")
    pg = Postgres()
    try:
        pg.start()
        yield pg
    finally:
        pg.close()


@pytest.fixture
def pg_dsn(postgres) -> str:
    dsn = postgres.create_database()
    yield dsn
    postgres.drop_database(dsn.split("dbname=")[1].split()[0])


@pytest.fixture
def broker_factory():
    why = missing_mosquitto()
    if why:
        pytest.skip(f"Mosquitto: {why}")
    made: list[Mosquitto] = []

    def make(screens=SCREENS, **kw) -> Mosquitto:
        b = Mosquitto(screens, **kw)
        made.append(b)
        return b.start()

    yield make
    for b in made:
        b.close()


@pytest.fixture
def broker(broker_factory) -> Mosquitto:
    return broker_factory()
