"""organisations and actions

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "organisations",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "consilium_decisions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("patient_id", sa.String(length=36), nullable=False),
        sa.Column("organisation_id", sa.String(length=36), nullable=True),
        sa.Column("decided_on", sa.String(length=10), nullable=False),
        sa.Column("decision", sa.Text(), nullable=False),
        sa.Column("entered_by", sa.String(length=36), nullable=False),
        sa.Column("invitation_id", sa.String(length=36), nullable=True),
        sa.Column("external_id", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name="fk_consilium_organisation"
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("organisation_id", "external_id", name="uq_consilium_external"),
    )
    with op.batch_alter_table("consilium_decisions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_consilium_decisions_patient_id"), ["patient_id"], unique=False
        )

    op.create_table(
        "guardianships",
        sa.Column("guardian_id", sa.String(length=36), nullable=False),
        sa.Column("child_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["child_id"], ["patients.id"], name="fk_guardianships_child"),
        sa.ForeignKeyConstraint(["guardian_id"], ["patients.id"], name="fk_guardianships_guardian"),
        sa.PrimaryKeyConstraint("guardian_id", "child_id"),
    )
    op.create_table(
        "prescriptions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("patient_id", sa.String(length=36), nullable=False),
        sa.Column("medicine", sa.String(length=200), nullable=False),
        sa.Column("medicine_key", sa.String(length=200), nullable=False),
        sa.Column("dose", sa.String(length=100), nullable=True),
        sa.Column("oncology", sa.Boolean(), nullable=False),
        sa.Column("prescriber_id", sa.String(length=36), nullable=True),
        sa.Column("organisation_id", sa.String(length=36), nullable=True),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("prior_id", sa.String(length=36), nullable=True),
        sa.Column("consultation_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name="fk_prescriptions_organisation"
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
        ),
        sa.ForeignKeyConstraint(
            ["prescriber_id"], ["doctors.id"], name="fk_prescriptions_prescriber"
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("consultation_id", "medicine_key", name="uq_prescriptions_renewal"),
    )
    with op.batch_alter_table("prescriptions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_prescriptions_patient_id"), ["patient_id"], unique=False
        )
        batch_op.create_index(
            "ix_prescriptions_patient_medicine", ["patient_id", "medicine_key"], unique=False
        )

    op.create_table(
        "slots",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organisation_id", sa.String(length=36), nullable=False),
        sa.Column("doctor_name", sa.String(length=200), nullable=False),
        sa.Column("specialty", sa.String(length=64), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("room", sa.String(length=100), nullable=False),
        sa.Column("patient_id", sa.String(length=36), nullable=True),
        sa.Column("consultation_id", sa.String(length=36), nullable=True),
        sa.Column("booked_by", sa.String(length=36), nullable=True),
        sa.Column("booked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
        ),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"], name="fk_slots_patient"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("slots", schema=None) as batch_op:
        batch_op.create_index(
            "ix_slots_organisation_start", ["organisation_id", "starts_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_slots_patient_id"), ["patient_id"], unique=False)

    with op.batch_alter_table("doctors", schema=None) as batch_op:
        batch_op.add_column(sa.Column("organisation_id", sa.String(length=36), nullable=True))
        batch_op.create_foreign_key(
            "fk_doctors_organisation", "organisations", ["organisation_id"], ["id"]
        )

    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("polyclinic_id", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("oncology_centre_id", sa.String(length=36), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_patients_oncology_centre_id"), ["oncology_centre_id"], unique=False
        )
        batch_op.create_foreign_key(
            "fk_patients_polyclinic", "organisations", ["polyclinic_id"], ["id"]
        )
        batch_op.create_foreign_key(
            "fk_patients_oncology_centre", "organisations", ["oncology_centre_id"], ["id"]
        )

    with op.batch_alter_table("sms_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("patient_id", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("idempotency_key", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("attempts", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("last_error", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("operator_ref", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_sms_messages_operator_ref"), ["operator_ref"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_sms_messages_patient_id"), ["patient_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_sms_messages_status"), ["status"], unique=False)
        batch_op.create_unique_constraint("uq_sms_idempotency_key", ["idempotency_key"])


def downgrade() -> None:
    with op.batch_alter_table("sms_messages", schema=None) as batch_op:
        batch_op.drop_constraint("uq_sms_idempotency_key", type_="unique")
        batch_op.drop_index(batch_op.f("ix_sms_messages_status"))
        batch_op.drop_index(batch_op.f("ix_sms_messages_patient_id"))
        batch_op.drop_index(batch_op.f("ix_sms_messages_operator_ref"))
        batch_op.drop_column("delivered_at")
        batch_op.drop_column("sent_at")
        batch_op.drop_column("operator_ref")
        batch_op.drop_column("last_error")
        batch_op.drop_column("next_attempt_at")
        batch_op.drop_column("attempts")
        batch_op.drop_column("idempotency_key")
        batch_op.drop_column("patient_id")

    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.drop_constraint("fk_patients_oncology_centre", type_="foreignkey")
        batch_op.drop_constraint("fk_patients_polyclinic", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_patients_oncology_centre_id"))
        batch_op.drop_column("oncology_centre_id")
        batch_op.drop_column("polyclinic_id")

    with op.batch_alter_table("doctors", schema=None) as batch_op:
        batch_op.drop_constraint("fk_doctors_organisation", type_="foreignkey")
        batch_op.drop_column("organisation_id")

    with op.batch_alter_table("slots", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_slots_patient_id"))
        batch_op.drop_index("ix_slots_organisation_start")

    op.drop_table("slots")
    with op.batch_alter_table("prescriptions", schema=None) as batch_op:
        batch_op.drop_index("ix_prescriptions_patient_medicine")
        batch_op.drop_index(batch_op.f("ix_prescriptions_patient_id"))

    op.drop_table("prescriptions")
    op.drop_table("guardianships")
    with op.batch_alter_table("consilium_decisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consilium_decisions_patient_id"))

    op.drop_table("consilium_decisions")
    op.drop_table("organisations")
