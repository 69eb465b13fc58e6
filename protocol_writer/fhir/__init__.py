"""FHIR R4 for the record: a signed protocol's Bundle and a visit's, built entry by entry in
one way (`entries.py`) and validated before they leave the platform."""

from protocol_writer.fhir.entries import ID_SYSTEM, validate_bundle
from protocol_writer.fhir.protocol import PROTOCOL_BUNDLE, SignedContext, build_bundle
from protocol_writer.fhir.visit import visit_bundle

__all__ = [
    "ID_SYSTEM",
    "PROTOCOL_BUNDLE",
    "SignedContext",
    "build_bundle",
    "validate_bundle",
    "visit_bundle",
]
