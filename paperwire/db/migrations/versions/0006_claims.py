"""Quantitative claims extracted from abstracts, and which abstract each paper's claims come from.

Revision ID: 0006_claims
Revises: 0005_status
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_claims"
down_revision = "0005_status"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "paper_claims",
        sa.Column("paper_id", sa.Integer, nullable=False),
        sa.Column("position", sa.SmallInteger, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("start", sa.Integer, nullable=False),
        sa.Column("stop", sa.Integer, nullable=False),
        sa.Column("value", sa.Float),
        sa.Column("value_min", sa.Float),
        sa.Column("value_max", sa.Float),
        sa.Column("unit", sa.String(16), nullable=False),
        sa.Column("unit_text", sa.String(64)),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("direction", sa.String(16), nullable=False),
        sa.Column("factor", sa.Float),
        sa.Column("percent", sa.Float),
        sa.PrimaryKeyConstraint("paper_id", "position", name="pk_paper_claims"),
        sa.ForeignKeyConstraint(
            ["paper_id"], ["papers.id"], name="fk_paper_claims_paper_id_papers", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_paper_claims_kind_factor", "paper_claims", ["kind", "factor"])
    op.create_index("ix_paper_claims_kind_percent", "paper_claims", ["kind", "percent"])
    op.create_table(
        "paper_claim_extractions",
        sa.Column("paper_id", sa.Integer, nullable=False),
        sa.Column("abstract_hash", sa.BigInteger, nullable=False),
        sa.Column("extractor_version", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("paper_id", name="pk_paper_claim_extractions"),
        sa.ForeignKeyConstraint(
            ["paper_id"], ["papers.id"], name="fk_paper_claim_extractions_paper_id_papers", ondelete="CASCADE"
        ),
    )


def downgrade() -> None:
    op.drop_table("paper_claim_extractions")
    op.drop_table("paper_claims")
