"""Email digests: subscriptions, the outbox, and the record of papers sent to each subscriber.

Revision ID: 0003_digest
Revises: 0002_web
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_digest"
down_revision = "0002_web"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "digest_subscriptions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("user_id", sa.Integer),
        sa.Column("cadence", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("include_trending", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("include_recommendations", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("queries", sa.JSON, nullable=False),
        sa.Column("authors", sa.JSON, nullable=False),
        sa.Column("categories", sa.JSON, nullable=False),
        sa.Column("confirm_nonce", sa.String(64)),
        sa.Column("confirm_sent_at", sa.DateTime),
        sa.Column("confirmed_at", sa.DateTime),
        sa.Column("unsubscribed_at", sa.DateTime),
        sa.Column("hard_failures", sa.Integer, nullable=False, server_default="0"),
        sa.Column("paused_reason", sa.Text),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("id", name="pk_digest_subscriptions"),
        sa.UniqueConstraint("email", name="uq_digest_subscriptions_email"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_digest_subscriptions_user_id_users", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_digest_subscriptions_user_id", "digest_subscriptions", ["user_id"])
    op.create_table(
        "digest_outbox",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("subscription_id", sa.Integer, nullable=False),
        sa.Column("period_key", sa.String(32), nullable=False),
        sa.Column("period_start", sa.Date, nullable=False),
        sa.Column("period_end", sa.Date, nullable=False),
        sa.Column("items", sa.JSON, nullable=False),
        sa.Column("message_id", sa.String(255), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.DateTime, nullable=False),
        sa.Column("last_error", sa.Text),
        sa.Column("claimed_by", sa.String(128)),
        sa.Column("claimed_at", sa.DateTime),
        sa.Column("lease_until", sa.DateTime),
        sa.Column("delivering_since", sa.DateTime),
        sa.Column("sent_at", sa.DateTime),
        sa.Column("created_at", sa.DateTime, nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("id", name="pk_digest_outbox"),
        sa.UniqueConstraint("subscription_id", "period_key", name="uq_digest_outbox_subscription_id"),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["digest_subscriptions.id"],
            name="fk_digest_outbox_subscription_id_digest_subscriptions",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_digest_outbox_period_key_state", "digest_outbox", ["period_key", "state"])
    op.create_table(
        "digest_sent_papers",
        sa.Column("subscription_id", sa.Integer, nullable=False),
        sa.Column("paper_id", sa.Integer, nullable=False),
        sa.Column("outbox_id", sa.Integer),
        sa.Column("created_at", sa.DateTime, nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("subscription_id", "paper_id", name="pk_digest_sent_papers"),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["digest_subscriptions.id"],
            name="fk_digest_sent_papers_subscription_id_digest_subscriptions",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["paper_id"], ["papers.id"], name="fk_digest_sent_papers_paper_id_papers", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["outbox_id"],
            ["digest_outbox.id"],
            name="fk_digest_sent_papers_outbox_id_digest_outbox",
            ondelete="SET NULL",
        ),
    )
    op.create_index("ix_digest_sent_papers_paper_id", "digest_sent_papers", ["paper_id"])
    op.create_index("ix_digest_sent_papers_outbox_id", "digest_sent_papers", ["outbox_id"])


def downgrade() -> None:
    op.drop_table("digest_sent_papers")
    op.drop_table("digest_outbox")
    op.drop_table("digest_subscriptions")
