"""The policy table (clinic/access.py): what each role may ask for, and what it must be to
the record. Every route against every role is in tests/test_roles.py; this holds the rules
themselves, so that a role added to `Role` without its rules fails here."""

from __future__ import annotations

from clinic.access import POLICY, Relation, relation
from clinic.domain import Principal, Role

# Actions on a patient's medical record: never an operator's, whatever else changes.
MEDICAL = {
    "protocol.read",
    "protocol.sign",
    "actions.read",
    "record.read",
    "prescriptions.read",
    "appointments.read",
    "appointment.book",
    "appointment.cancel",
    "appointment.move",
    "consilium.read",
    "consilium.write",
    "checkins.read",
    "checkin.write",
    "checkin.review",
    "chemotherapy.write",
    "centre.patients.read",
}


def test_every_role_has_rules() -> None:
    assert {role for role, _ in POLICY} == set(Role)


def test_operators_run_the_platform_and_read_no_medical_record() -> None:
    operators = {action: rule for (role, action), rule in POLICY.items() if role is Role.OPERATOR}
    assert set(operators.values()) == {Relation.ANY}
    assert not MEDICAL & set(operators)
    # The role alone opens nothing of a record for anyone else.
    assert all(
        rule is not Relation.ANY for (role, _), rule in POLICY.items() if role is not Role.OPERATOR
    )


def test_relations_belong_to_the_roles_that_can_have_them() -> None:
    holders = {
        Relation.OWN: {Role.PATIENT},  # the patient, or a parent acting as them
        Relation.PARTY: {Role.PATIENT, Role.DOCTOR},  # a consultation has only these two
        Relation.CENTRE: {Role.DOCTOR, Role.STAFF},
        Relation.RECORD: {Role.PATIENT, Role.DOCTOR, Role.STAFF},
        Relation.ANY: {Role.OPERATOR},
    }
    for (role, action), rule in POLICY.items():
        assert role in holders[rule], (role, action, rule)


def test_only_the_treating_doctor_signs_and_only_centre_staff_decide() -> None:
    def who(role: Role) -> Principal:
        return Principal(role, "id", "name")

    assert [r for r in Role if relation(who(r), "protocol.sign")] == [Role.DOCTOR]
    assert relation(who(Role.DOCTOR), "protocol.sign") is Relation.PARTY
    assert [r for r in Role if relation(who(r), "consilium.write")] == [Role.STAFF]
    assert relation(who(Role.PATIENT), "appointment.move") is Relation.OWN
    assert relation(who(Role.OPERATOR), "protocol.read") is None
    assert relation(who(Role.PATIENT), "no.such.action") is None
