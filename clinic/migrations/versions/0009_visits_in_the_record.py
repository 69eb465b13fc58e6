"""visits in the record

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.alter_column("protocol_id", existing_type=sa.VARCHAR(length=36), nullable=True)

    with op.batch_alter_table("record_documents", schema=None) as batch_op:
        batch_op.alter_column("protocol_id", existing_type=sa.VARCHAR(length=36), nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("record_documents", schema=None) as batch_op:
        batch_op.alter_column("protocol_id", existing_type=sa.VARCHAR(length=36), nullable=False)

    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.alter_column("protocol_id", existing_type=sa.VARCHAR(length=36), nullable=False)
