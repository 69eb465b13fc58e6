"""the patient's date of birth, for their age on the doctor's call panel

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("patients", sa.Column("birth_date", sa.Date()))


def downgrade() -> None:
    op.drop_column("patients", "birth_date")
