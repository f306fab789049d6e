"""Bad input: every problem is one InputError line that names the file and the fault."""

from __future__ import annotations

import gzip
import os
import random
from pathlib import Path

import fsspec
import fsspec.implementations.local
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from watchkeeper.errors import InputError
from watchkeeper.io import CsvOptions, list_files, read_batches
from watchkeeper.io.csvfile import BLOCK_BYTES

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x00\x00\x00"


def failure(source: object, **kwargs: object) -> str:
    """The message of the InputError that reading the source raises; checks its shape."""
    with pytest.raises(InputError) as caught:
        for _ in read_batches(source, **kwargs):
            pass
    message = str(caught.value)
    assert "\n" not in message
    if isinstance(source, str | Path):
        assert Path(source).name.replace("*", "") in message or str(source) in message
    return message


def test_missing_file_folder_and_pattern(tmp_path):
    assert "no such file or folder" in failure(tmp_path / "nope.csv")
    assert "no such file or folder" in failure(tmp_path / "missing")
    assert "no files match" in failure(f"{tmp_path}/*.csv")


def test_missing_source_fails_when_called_not_later(tmp_path):
    with pytest.raises(InputError):
        read_batches(tmp_path / "nope.csv")
    with pytest.raises(InputError):
        list_files(tmp_path / "nope.csv")


def test_folder_without_data_files(tmp_path, write):
    write("docs/README.md", "hello")
    write("docs/_SUCCESS", "")
    assert "holds no data files" in failure(tmp_path / "docs")


def test_unknown_extension_names_the_accepted_formats(write):
    message = failure(write("data.xlsx", "a,b\n"))
    assert "data.xlsx: unknown file type" in message
    assert ".csv" in message and ".parquet" in message and "format=" in message


@pytest.mark.parametrize("name", ["e.csv", "e.tsv", "e.jsonl", "e.parquet", "e.csv.gz"])
def test_empty_file(write, name):
    assert "the file is empty (0 bytes)" in failure(write(name, b""))


def test_compressed_file_holding_nothing(write):
    assert "holds no data" in failure(write("e.csv.gz", gzip.compress(b"")))


def test_blank_lines_only(write):
    assert "only blank lines" in failure(write("blank.csv", "\n\n"))
    assert "only blank lines" in failure(write("blank.jsonl", "\n  \n"))


def test_header_only_csv_is_not_an_error(write):
    assert sum(b.num_rows for b in read_batches(write("h.csv", "a,b\n"))) == 0


def test_ragged_row_names_the_row_and_counts(write):
    message = failure(write("ragged.csv", "a,b,c\n1,2,3\n4,5,6,7\n"))
    assert message.endswith("ragged.csv: row 3 has 4 fields, expected 3: '4,5,6,7'")


def test_ragged_row_deep_in_a_large_file(write):
    rows = "".join(f"{i},{i}\n" for i in range(200_000))
    message = failure(write("deep.csv", "a,b\n" + rows + "1,2,3\n"))
    assert "deep.csv: row 200002 has 3 fields, expected 2" in message


def test_short_row(write):
    assert "row 2 has 1 fields, expected 2" in failure(write("short.csv", "a,b\n1\n"))


def test_invalid_utf8_at_the_start(write):
    message = failure(write("latin.csv", "name\nZürich\n".encode("latin-1")))
    assert "latin.csv: not valid UTF-8 (byte 0xfc at offset 6)" in message
    assert "encoding=" in message


def test_invalid_utf8_late_in_the_file(write):
    rows = "".join(f"{i},plain\n" for i in range(BLOCK_BYTES // 10))  # beyond the first block
    path = write("late.csv", ("a,b\n" + rows).encode() + "9,Zürich\n".encode("latin-1"))
    message = failure(path)
    assert "late.csv: not valid UTF-8 (in column 'b', row " in message
    assert "encoding=" in message


def test_invalid_utf8_within_the_first_block(write):
    rows = "".join(f"{i},plain\n" for i in range(10_000))
    path = write("mid.csv", ("a,b\n" + rows).encode() + "9,Zürich\n".encode("latin-1"))
    assert "mid.csv: not valid UTF-8 (in column 'b')" in failure(path)


def test_text_outside_the_encoding_asked_for_late_in_the_file(write):
    rows = "".join(f"{i},plain\n" for i in range(200_000))
    path = write("late.csv", ("a,b\n" + rows).encode() + "9,Zürich\n".encode("latin-1"))
    assert "late.csv: not valid ascii text" in failure(path, csv=CsvOptions(encoding="ascii"))


def test_text_outside_the_encoding_asked_for(write):
    message = failure(write("b.csv", b"a\n\x81\n"), csv=CsvOptions(encoding="ascii"))
    assert "b.csv: not valid ascii (byte 0x81 at offset 2)" in message


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (PNG, "this is a PNG image, not CSV text"),
        (b"PAR1\x15\x04\x15\x00", "this is a Parquet file, not CSV text; pass format='parquet'"),
        (
            gzip.compress(b"a,b\n1,2\n", mtime=0),
            "this is gzip-compressed, not CSV text; name it with a .gz",
        ),
        (random.Random(1).randbytes(5000), "holds binary data"),
    ],
    ids=["png", "parquet", "gzip", "binary"],
)
def test_binary_content_named_csv(write, content, says):
    assert says in failure(write("data.csv", content))


def test_binary_content_named_jsonl(write):
    assert "this is a PNG image, not JSON Lines text" in failure(write("pic.jsonl", PNG))


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"a,b\n1,2\n", "not a Parquet file; it holds text"),
        (PNG, "not a Parquet file; this is a PNG image"),
        (b"\x00\x01\x02" * 100, "not a Parquet file (no Parquet marker"),
    ],
)
def test_file_named_parquet_that_is_not_parquet(write, content, says):
    assert says in failure(write("data.parquet", content))


def test_truncated_parquet(tmp_path):
    pq.write_table(pa.table({"a": list(range(1000))}), tmp_path / "t.parquet")
    data = (tmp_path / "t.parquet").read_bytes()
    (tmp_path / "t.parquet").write_bytes(data[: len(data) // 2])
    assert "t.parquet: damaged or truncated Parquet file" in failure(tmp_path / "t.parquet")


def test_corrupt_gzip(write):
    message = failure(write("bad.csv.gz", b"this is not gzip at all"))
    assert "bad.csv.gz: not valid gzip data" in message


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ('{"a": 1}\n{"a": 2\n{"a": 3}\n', "line 2 is not valid JSON: Expecting ',' delimiter"),
        ('{"a": 1}\n\n{"a": 2}}\n', "line 3 is not valid JSON: Extra data"),
        ('{"a": 1}\n[1, 2]\n', "line 2 is not a JSON object (it is a list)"),
        ('{"a": 1, "a": 2}\n', "line 1 is not valid JSON: key 'a' appears twice"),
        ('[{"a": 1}, {"a": 2}]\n', "holds a JSON array, not JSON Lines"),
        ("just words\n", "line 1 is not valid JSON"),
    ],
)
def test_malformed_json_lines(write, content, says):
    assert says in failure(write("bad.jsonl", content))


def test_malformed_json_line_deep_in_the_file(write):
    good = "".join(f'{{"i": {i}}}\n' for i in range(300_000))
    message = failure(write("deep.jsonl", good + '{"i": oops}\n'))
    assert "deep.jsonl: line 300001 is not valid JSON" in message


def test_invalid_utf8_in_json_lines(write):
    assert "not valid UTF-8" in failure(write("bad.jsonl", b'{"a": "\xff"}\n'))
    good = "".join(f'{{"i": {i}}}\n' for i in range(300_000)).encode()
    assert "line 300001 is not valid UTF-8" in failure(
        write("late.jsonl", good + b'{"a": "\xff"}\n')
    )


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads any file")
def test_permission_denied(write):
    path = write("locked.csv", "a\n1\n")
    path.chmod(0)
    try:
        assert "locked.csv: permission denied" in failure(path)
    finally:
        path.chmod(0o600)


def test_permission_denied_from_storage(write, monkeypatch):
    path = write("locked.csv", "a\n1\n")

    def refuse(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied")

    # the tests run as root, who may read anything: the refusal is simulated where local
    # files are opened (natively, for speed) and where other stores are (fsspec)
    monkeypatch.setattr(pa, "OSFile", refuse)
    assert "locked.csv: permission denied; cannot read the file" in failure(path)
    monkeypatch.setattr(fsspec.implementations.local.LocalFileSystem, "_open", refuse)
    assert "locked.csv: permission denied" in failure(f"file://{path}")


def test_errors_keep_their_cause(write):
    with pytest.raises(InputError) as caught:
        list(read_batches(write("ragged.csv", "a\n1\n2,3\n")))
    assert isinstance(caught.value.__cause__, pa.ArrowInvalid)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize(
    "name", ["x.csv", "x.tsv", "x.jsonl", "x.parquet", "x.csv.gz", "x.json.bz2"]
)
def test_random_bytes_only_ever_raise_input_error(write, seed, name):
    rng = random.Random(seed)
    content = rng.randbytes(rng.randrange(1, 3000))
    failure(write(name, content))
