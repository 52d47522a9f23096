"""Analytics: proof of play and anonymous audience aggregates in SQLite, and reports.

The player uses ``AnalyticsWriter`` (play_started / play_ended / audience / flush /
close). Only aggregates are stored (privacy invariant 4) and rows older than the
retention period are purged (invariant 6). This package imports no other layer: it
consumes ``signage.values.AudienceSnapshot`` and plain values.
"""

from signage.analytics.aggregate import AudienceAccumulator, AudienceTotals, MinuteAggregator, MinuteTotals
from signage.analytics.dbfile import StoreError
from signage.analytics.migrations import SCHEMA_VERSION
from signage.analytics.rows import OUTCOMES, Outcome, PlayRow
from signage.analytics.store import AnalyticsStore, open_store
from signage.analytics.writer import AnalyticsWriter
from signage.analytics.writer_stats import WriterStats

__all__ = [
    "OUTCOMES",
    "SCHEMA_VERSION",
    "AnalyticsStore",
    "AnalyticsWriter",
    "AudienceAccumulator",
    "AudienceTotals",
    "MinuteAggregator",
    "MinuteTotals",
    "Outcome",
    "PlayRow",
    "StoreError",
    "WriterStats",
    "open_store",
]
