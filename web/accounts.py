"""What `telemed users` and `telemed invite` check before they write: a password asked for
even without a terminal, a login not yet taken, a phone that is a phone, the database that
`telemed serve` uses (never a new empty one made by running from another folder), and the
address it really serves on."""

from __future__ import annotations

import getpass
import os
import re
import sys
from datetime import date
from pathlib import Path

from sqlalchemy.engine import make_url

from clinic.settings import Settings

SERVING = "serving-at"  # in the data folder: the address `telemed serve` listens on
PHONE = re.compile(r"\+\d{10,15}")
RENEW = "telemed users renew {who}"


class Refused(Exception):
    """A one-line reason the command cannot go on, for the user to fix."""


def new_password() -> str:
    """From TELEMED_NEW_PASSWORD, a prompt on the terminal, or the first line of stdin."""
    password = os.environ.get("TELEMED_NEW_PASSWORD")
    if password is None and sys.stdin.isatty():
        password = getpass.getpass("Password: ")
    elif password is None:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise Refused(
                "no terminal to ask for the password on: set TELEMED_NEW_PASSWORD "
                "or give it on stdin (echo ... | telemed users add ...)"
            )
    if len(password) < 10:
        raise Refused("a password needs at least 10 characters")
    return password


def phone_number(typed: str) -> str:
    """+ and 10 to 15 digits (E.164), spaces, dashes and brackets dropped."""
    phone = re.sub(r"[\s()-]", "", typed)
    if not PHONE.fullmatch(phone):
        raise Refused(
            f"{typed!r} is not a phone number: give it with the country code, e.g. +79991234567"
        )
    return phone


def birth_date(typed: str) -> date:
    """`telemed invite --born`: a real date, not in the future."""
    try:
        born = date.fromisoformat(typed)
    except ValueError:
        raise Refused(f"{typed!r} is not a date: give the date of birth as YYYY-MM-DD") from None
    if born > date.today() or born.year < 1900:
        raise Refused(f"{typed!r} is not a date of birth")
    return born


def database(settings: Settings) -> str:
    """Where the records are, said plainly; refused when it is a file that does not exist."""
    url = make_url(settings.database_url)
    if url.get_backend_name() != "sqlite":
        return url.render_as_string(hide_password=True)
    path = Path(url.database or "")
    if not path.is_file():
        raise Refused(
            f"no database at {path}: run this where `telemed serve` runs, or set "
            "TELEMED_DATA_DIR (or TELEMED_DATABASE_URL) to the one it uses; "
            "`telemed db upgrade` makes a new one"
        )
    return str(path)


def remember_address(settings: Settings) -> None:
    """Written at start, so that a link made beside the server names its real port."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    (settings.data_dir / SERVING).write_text(settings.public_base_url + "\n")


def public_address(settings: Settings) -> str:
    """TELEMED_PUBLIC_BASE_URL when set; else where the server of this data folder listens."""
    if os.environ.get("TELEMED_PUBLIC_BASE_URL"):
        return settings.public_base_url
    try:
        return (settings.data_dir / SERVING).read_text().strip() or settings.public_base_url
    except FileNotFoundError:
        return settings.public_base_url
