"""one open consultation per patient, one active per doctor

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

OPEN = "status IN ('waiting', 'active')"
ACTIVE = "status = 'active'"


def upgrade() -> None:
    # Duplicates left by the race these indexes close would stop the migration. They are
    # resolved, never deleted: a patient's extra waiting places are cancelled (the newest
    # open one stays), and a doctor's older parallel calls are marked ended.
    op.execute(
        sa.text("""
        UPDATE consultations SET status = 'cancelled'
        WHERE status = 'waiting' AND EXISTS (
            SELECT 1 FROM consultations other
            WHERE other.patient_id = consultations.patient_id
              AND other.id <> consultations.id
              AND (other.status = 'active'
                   OR (other.status = 'waiting' AND (other.queued_at > consultations.queued_at
                       OR (other.queued_at = consultations.queued_at
                           AND other.id > consultations.id)))))
    """)
    )
    for column in ("patient_id", "doctor_id"):
        op.execute(
            sa.text(f"""
            UPDATE consultations SET status = 'ended', ended_at = started_at
            WHERE status = 'active' AND EXISTS (
                SELECT 1 FROM consultations other
                WHERE other.{column} = consultations.{column}
                  AND other.status = 'active'
                  AND (other.started_at > consultations.started_at
                       OR (other.started_at = consultations.started_at
                           AND other.id > consultations.id)))
        """)
        )
    op.create_index(
        "uq_consultations_open_per_patient",
        "consultations",
        ["patient_id"],
        unique=True,
        sqlite_where=sa.text(OPEN),
        postgresql_where=sa.text(OPEN),
    )
    op.create_index(
        "uq_consultations_active_per_doctor",
        "consultations",
        ["doctor_id"],
        unique=True,
        sqlite_where=sa.text(ACTIVE),
        postgresql_where=sa.text(ACTIVE),
    )


def downgrade() -> None:
    op.drop_index("uq_consultations_active_per_doctor", table_name="consultations")
    op.drop_index("uq_consultations_open_per_patient", table_name="consultations")
