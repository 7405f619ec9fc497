"""Several nodes on one store: the shared signing key, and lock rows for jobs that run on one node at a time.

Revision ID: 0007_cluster
Revises: 0006_claims
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_cluster"
down_revision = "0006_claims"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cluster_secrets",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("value", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("name", name="pk_cluster_secrets"),
    )
    op.create_table(
        "job_locks",
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("holder", sa.String(200), nullable=False),
        sa.Column("expires_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_job_locks"),
    )


def downgrade() -> None:
    op.drop_table("job_locks")
    op.drop_table("cluster_secrets")
