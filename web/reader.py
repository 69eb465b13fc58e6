"""What a patient reads of a signed protocol: written for them, in the clinic's time zone."""

from __future__ import annotations

from aiohttp import web

from clinic.domain import Principal, Role
from clinic.tables import ProtocolRow
from protocol_writer.protocol import Protocol
from protocol_writer.render import render_for_patient
from web.platform import PLATFORM


def protocol_html(request: web.Request, who: Principal, row: ProtocolRow) -> str:
    """The stored rendering for the record's professionals; a patient (or their parent)
    gets the findings without the recogniser's transcript, times in the clinic's zone."""
    if who.role is not Role.PATIENT:
        return row.html
    protocol = Protocol.from_dict({**row.data, "consultation_id": row.consultation_id})
    return render_for_patient(protocol, request.app[PLATFORM].settings.timezone)
