"""queue presence: when a waiting patient went away, and whether the patient joined the call

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN: a batch copy of the table could lose its partial unique indexes.
    op.add_column("consultations", sa.Column("away_since", sa.DateTime(timezone=True)))
    op.add_column("consultations", sa.Column("patient_connected_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    op.drop_column("consultations", "patient_connected_at")
    op.drop_column("consultations", "away_since")
