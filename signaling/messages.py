"""The error a socket.io handler answers with. The payload schemas themselves are in
clinic/messages/socket.py, beside the HTTP bodies."""

from __future__ import annotations


class BadMessage(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
