"""What every part of the record store shares: the database session and its errors."""

from __future__ import annotations

import hashlib

from sqlalchemy.ext.asyncio import AsyncEngine

from clinic.db import sessionmaker


class Conflict(Exception):
    """The record moved on meanwhile (e.g. someone signed a newer version): reload and retry."""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Store:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._session = sessionmaker(engine)
