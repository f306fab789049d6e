"""Opening text files (CSV, JSON Lines) and checking that they are text at all.

Before a parser sees a file, its first bytes are looked at once: an empty file, a
binary file under a text name (a PNG, a Parquet or gzip file without its extension) or
text in another encoding each get a message that says what the file is, instead of
whatever the parser would make of it.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

import pyarrow as pa

from watchkeeper.errors import InputError
from watchkeeper.io.files import ByteCounter, CountingFile, DataFile, open_binary
from watchkeeper.io.messages import first_line

HEAD_BYTES = 64 * 1024
UTF8_BOM = b"\xef\xbb\xbf"

_MAGIC = (
    (b"PAR1", "a Parquet file", "pass format='parquet' or name it .parquet"),
    (b"\x1f\x8b", "gzip-compressed", "name it with a .gz ending so it is decompressed"),
    (b"BZh", "bzip2-compressed", "name it with a .bz2 ending so it is decompressed"),
    (b"\x28\xb5\x2f\xfd", "zstd-compressed", "name it with a .zst ending so it is decompressed"),
    (b"PK\x03\x04", "a ZIP archive (an Excel workbook?)", "export it as CSV first"),
    (b"\x89PNG", "a PNG image", "point watchkeeper at the data files only"),
    (b"\xff\xd8\xff", "a JPEG image", "point watchkeeper at the data files only"),
    (b"%PDF", "a PDF document", "point watchkeeper at the data files only"),
)


@dataclass(frozen=True)
class Head:
    """The decoded start of a text file and how many leading bytes (a BOM) to skip."""

    text: str
    skip: int
    complete: bool  # the text is the whole file


def is_utf8(encoding: str) -> bool:
    """Whether text in this encoding can go to the Arrow parsers without transcoding."""
    return codecs.lookup(encoding).name in ("utf-8", "utf-8-sig")


def text_stream(
    binary: CountingFile, file: DataFile, *, skip: int = 0, encoding: str = "utf-8"
) -> pa.NativeFile:
    """An Arrow input stream of the file's UTF-8 text: decompressed, BOM skipped, transcoded."""
    stream: pa.NativeFile = (
        binary if isinstance(binary, pa.NativeFile) else pa.PythonFile(binary, mode="r")
    )
    if file.compression:
        stream = pa.CompressedInputStream(stream, file.compression)
    if skip:
        stream.read(skip)
    if not is_utf8(encoding):
        stream = pa.transcoding_input_stream(stream, encoding, "utf-8")
    return stream


def read_head(file: DataFile, counter: ByteCounter, *, encoding: str, what: str, hint: str) -> Head:
    """Check that the file holds text in the encoding and return its start.

    Raises InputError for an empty file, binary content or undecodable text; ``what``
    names the format ("CSV") and ``hint`` says how to fix an encoding problem.
    """
    if file.size == 0:
        raise InputError(f"{file.path}: the file is empty (0 bytes)")
    with open_binary(file, counter) as binary:
        data = read_block(file, text_stream(binary, file), HEAD_BYTES)
    return decode_head(file, data, encoding=encoding, what=what, hint=hint)


def read_block(file: DataFile, stream: pa.NativeFile, size: int) -> bytes:
    """Read ``size`` (decompressed) bytes, fewer only at the end of the stream.

    Failures of the codec or the storage become InputError.
    """
    parts: list[bytes] = []
    wanted = size
    try:
        while wanted > 0 and (part := stream.read(wanted)):
            parts.append(part)
            wanted -= len(part)
    except (OSError, pa.ArrowException) as exc:
        if file.compression:
            raise InputError(
                f"{file.path}: not valid {file.compression} data ({first_line(exc)});"
                " is the file really compressed?"
            ) from exc
        raise InputError(f"{file.path}: cannot read: {first_line(exc)}") from exc
    return b"".join(parts)


def decode_head(file: DataFile, data: bytes, *, encoding: str, what: str, hint: str) -> Head:
    """Decode the first bytes of a text file, or raise InputError saying what it is instead."""
    if not data:
        raise InputError(f"{file.path}: holds no data once decompressed")
    skip = len(UTF8_BOM) if data.startswith(UTF8_BOM) and _bom_is_utf8(encoding) else 0
    body = data[skip:]
    complete = len(data) < HEAD_BYTES
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        text = decoder.decode(body, final=complete)
    except UnicodeDecodeError as exc:
        if b"\x00" in body or _magic(body):
            raise InputError(binary_message(file, body, what)) from exc
        raise InputError(
            f"{file.path}: not valid {_label(encoding)} (byte 0x{body[exc.start]:02x}"
            f" at offset {exc.start + skip}); {hint}"
        ) from exc
    if "\x00" in text:
        raise InputError(binary_message(file, body, what))
    return Head(text, skip, complete)


def binary_message(file: DataFile, data: bytes, what: str) -> str:
    """Say what a binary file that was expected to be text looks like."""
    found = _magic(data)
    if found:
        kind, advice = found
        return f"{file.path}: this is {kind}, not {what} text; {advice}"
    return f"{file.path}: holds binary data, not {what} text; is it the right file?"


def magic_kind(data: bytes) -> str | None:
    """What well-known binary format the bytes start with ("a PNG image"), if any."""
    found = _magic(data)
    return found[0] if found else None


def _magic(data: bytes) -> tuple[str, str] | None:
    for prefix, kind, advice in _MAGIC:
        if data.startswith(prefix):
            return kind, advice
    return None


def _bom_is_utf8(encoding: str) -> bool:
    # In UTF-16/32 the BOM is how the codec learns the byte order: leave it to the codec.
    return not codecs.lookup(encoding).name.startswith(("utf-16", "utf-32"))


def _label(encoding: str) -> str:
    name = codecs.lookup(encoding).name
    return "UTF-8" if name in ("utf-8", "utf-8-sig") else name
