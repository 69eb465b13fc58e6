"""The platform's clock: always aware, always UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo


def now() -> datetime:
    return datetime.now(UTC)


def aware(value: datetime) -> datetime:
    """SQLite hands back naive datetimes even for timezone=True columns; they are UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def age(born: date, zone: str, on: datetime | None = None) -> int:
    """Full years on the clinic's calendar day (a birthday counts from its morning there)."""
    today = (on or now()).astimezone(ZoneInfo(zone)).date()
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))
