"""Indexes for the status report: newest paper and list day per source, papers without an abstract.

Revision ID: 0005_status
Revises: 0004_library
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_status"
down_revision = "0004_library"
branch_labels = None
depends_on = None

MISSING = sa.text("abstract = ''")


def upgrade() -> None:
    op.create_index("ix_papers_source_published", "papers", ["source", "published"])
    op.create_index(
        "ix_papers_missing_abstract", "papers", ["id"], sqlite_where=MISSING, postgresql_where=MISSING
    )
    op.create_index("ix_daily_entries_source_day", "daily_entries", ["source", "day"])


def downgrade() -> None:
    op.drop_index("ix_daily_entries_source_day", "daily_entries")
    op.drop_index("ix_papers_missing_abstract", "papers")
    op.drop_index("ix_papers_source_published", "papers")
