"""Personal library: tags and their papers, notes, read marks, ratings, saved searches, follows.

Revision ID: 0004_library
Revises: 0003_digest
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_library"
down_revision = "0003_digest"
branch_labels = None
depends_on = None


def _user_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["user_id"], ["users.id"], name=f"fk_{table}_user_id_users", ondelete="CASCADE"
    )


def _paper_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["paper_id"], ["papers.id"], name=f"fk_{table}_paper_id_papers", ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "library_tags",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("public", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("public_token", sa.String(64)),
        sa.Column("created_at", sa.DateTime, nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("id", name="pk_library_tags"),
        sa.UniqueConstraint("user_id", "name", name="uq_library_tags_user_id_name"),
        sa.UniqueConstraint("public_token", name="uq_library_tags_public_token"),
        _user_fk("library_tags"),
    )
    op.create_index("ix_library_tags_user_id", "library_tags", ["user_id"])
    op.create_table(
        "library_items",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("tag_id", sa.Integer, nullable=False),
        sa.Column("paper_id", sa.Integer, nullable=False),
        sa.Column("added_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_library_items"),
        sa.UniqueConstraint("tag_id", "paper_id", name="uq_library_items_tag_id_paper_id"),
        _user_fk("library_items"),
        _paper_fk("library_items"),
        sa.ForeignKeyConstraint(
            ["tag_id"], ["library_tags.id"], name="fk_library_items_tag_id_library_tags", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_library_items_user_id", "library_items", ["user_id"])
    op.create_index("ix_library_items_paper_id", "library_items", ["paper_id"])
    op.create_table(
        "library_notes",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("paper_id", sa.Integer, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_library_notes"),
        sa.UniqueConstraint("user_id", "paper_id", name="uq_library_notes_user_id_paper_id"),
        _user_fk("library_notes"),
        _paper_fk("library_notes"),
    )
    op.create_table(
        "library_reads",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("paper_id", sa.Integer, nullable=False),
        sa.Column("read_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_library_reads"),
        sa.UniqueConstraint("user_id", "paper_id", name="uq_library_reads_user_id_paper_id"),
        _user_fk("library_reads"),
        _paper_fk("library_reads"),
    )
    op.create_table(
        "library_feedback",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("paper_id", sa.Integer, nullable=False),
        sa.Column("rating", sa.SmallInteger, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_library_feedback"),
        sa.UniqueConstraint("user_id", "paper_id", name="uq_library_feedback_user_id_paper_id"),
        sa.CheckConstraint("rating IN (-1, 1)", name="ck_library_feedback_rating"),
        _user_fk("library_feedback"),
        _paper_fk("library_feedback"),
    )
    op.create_table(
        "library_saved_searches",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("query", sa.Text, nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("feed_token", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_library_saved_searches"),
        sa.UniqueConstraint("user_id", "name", name="uq_library_saved_searches_user_id_name"),
        sa.UniqueConstraint("feed_token", name="uq_library_saved_searches_feed_token"),
        _user_fk("library_saved_searches"),
    )
    op.create_table(
        "library_follows",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("value", sa.String(512), nullable=False),
        sa.Column("feed_token", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_library_follows"),
        sa.UniqueConstraint("user_id", "kind", "value", name="uq_library_follows_user_id_kind_value"),
        sa.UniqueConstraint("feed_token", name="uq_library_follows_feed_token"),
        sa.CheckConstraint("kind IN ('author', 'category')", name="ck_library_follows_kind"),
        _user_fk("library_follows"),
    )


def downgrade() -> None:
    for table in (
        "library_follows",
        "library_saved_searches",
        "library_feedback",
        "library_reads",
        "library_notes",
        "library_items",
        "library_tags",
    ):
        op.drop_table(table)
