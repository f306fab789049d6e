"""Wording shared by the readers' error messages."""

from __future__ import annotations


def first_line(exc: BaseException) -> str:
    """An exception's message cut to its first line (messages to users are one line of
    plain text: control characters a library copied from the input are escaped).

    >>> first_line(ValueError("bad value 'a\\x00b'\\nsecond line"))
    "bad value 'a\\\\x00b'"
    """
    text = str(exc).strip() or type(exc).__name__
    return "".join(_plain(character) for character in text.splitlines()[0])


def _plain(character: str) -> str:
    code = ord(character)
    return repr(character)[1:-1] if code < 32 or 127 <= code < 160 else character


def excerpt(text: str, limit: int = 60) -> str:
    """A short, quoted, single-line excerpt of file content for a message."""
    flat = text.replace("\r", "\\r").replace("\n", "\\n")
    return repr(flat if len(flat) <= limit else flat[:limit] + "…")


def encoding_hint() -> str:
    """What to do about text that does not decode."""
    return "pass CsvOptions(encoding=...) with the file's real encoding, e.g. 'latin-1' or 'cp1252'"
