"""How complete and fresh the store is: per-source runs, day counts, gaps, index lag, the outbox."""

from paperwire.status.report import (
    Day,
    Gap,
    Month,
    SourceStatus,
    StatusReport,
    find_gaps,
    status_report,
    store_history,
)

__all__ = [
    "Day",
    "Gap",
    "Month",
    "SourceStatus",
    "StatusReport",
    "find_gaps",
    "status_report",
    "store_history",
]
