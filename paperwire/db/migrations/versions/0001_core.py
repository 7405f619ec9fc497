"""Core tables: papers, authors, daily entries, ingestion runs, harvest state; and users.

Revision ID: 0001_core
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_core"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("password_hash", sa.String(255)),
        sa.Column("display_name", sa.String(255)),
        sa.Column("role", sa.String(16), nullable=False, server_default="user"),
        sa.Column("email_verified", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("disabled", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created_at", sa.DateTime, nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("email", name="uq_users_email"),
    )
    op.create_table(
        "papers",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("arxiv_id", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("abstract", sa.Text, nullable=False),
        sa.Column("authors", sa.JSON, nullable=False),
        sa.Column("categories", sa.JSON, nullable=False),
        sa.Column("primary_category", sa.String(64)),
        sa.Column("published", sa.Date),
        sa.Column("updated", sa.Date),
        sa.Column("doi", sa.String(255)),
        sa.Column("journal_ref", sa.Text),
        sa.Column("comments", sa.Text),
        sa.Column("license", sa.String(255)),
        sa.Column("abs_url", sa.String(255), nullable=False),
        sa.Column("pdf_url", sa.String(255), nullable=False),
        sa.Column("code_urls", sa.JSON, nullable=False),
        sa.Column("project_page", sa.String(1024)),
        sa.Column("github_stars", sa.Integer),
        sa.Column("ai_summary", sa.Text),
        sa.Column("ai_keywords", sa.JSON),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("change_seq", sa.BigInteger, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("id", name="pk_papers"),
        sa.UniqueConstraint("arxiv_id", name="uq_papers_arxiv_id"),
    )
    op.create_index("ix_papers_primary_category", "papers", ["primary_category"])
    op.create_index("ix_papers_published", "papers", ["published"])
    op.create_index("ix_papers_change_seq", "papers", ["change_seq"])
    op.create_table(
        "authors",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(512), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_authors"),
        sa.UniqueConstraint("name", name="uq_authors_name"),
    )
    op.create_table(
        "paper_authors",
        sa.Column("paper_id", sa.Integer, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("author_id", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("paper_id", "position", name="pk_paper_authors"),
        sa.ForeignKeyConstraint(
            ["paper_id"], ["papers.id"], name="fk_paper_authors_paper_id_papers", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["author_id"], ["authors.id"], name="fk_paper_authors_author_id_authors"),
    )
    op.create_index("ix_paper_authors_author_id", "paper_authors", ["author_id"])
    op.create_table(
        "daily_entries",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("paper_id", sa.Integer, nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("submitter", sa.String(255)),
        sa.Column("submitted_by_user_id", sa.Integer),
        sa.Column("upvotes", sa.Integer, nullable=False, server_default="0"),
        sa.Column("num_comments", sa.Integer, nullable=False, server_default="0"),
        sa.Column("hidden", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("id", name="pk_daily_entries"),
        sa.UniqueConstraint("paper_id", "day", name="uq_daily_entries_paper_id"),
        sa.ForeignKeyConstraint(
            ["paper_id"], ["papers.id"], name="fk_daily_entries_paper_id_papers", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by_user_id"],
            ["users.id"],
            name="fk_daily_entries_submitted_by_user_id_users",
            ondelete="SET NULL",
        ),
    )
    op.create_index("ix_daily_entries_day_upvotes", "daily_entries", ["day", "upvotes"])
    op.create_table(
        "ingest_runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("target", sa.Text, nullable=False),
        sa.Column("started_at", sa.DateTime, nullable=False),
        sa.Column("finished_at", sa.DateTime),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("counts", sa.JSON, nullable=False),
        sa.Column("errors", sa.JSON, nullable=False),
        sa.Column("cursor", sa.JSON),
        sa.PrimaryKeyConstraint("id", name="pk_ingest_runs"),
    )
    op.create_table(
        "harvest_state",
        sa.Column("key", sa.String(512), nullable=False),
        sa.Column("last_datestamp", sa.String(32)),
        sa.Column("updated_at", sa.DateTime, nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("key", name="pk_harvest_state"),
    )


def downgrade() -> None:
    for table in (
        "harvest_state",
        "ingest_runs",
        "daily_entries",
        "paper_authors",
        "authors",
        "papers",
        "users",
    ):
        op.drop_table(table)
