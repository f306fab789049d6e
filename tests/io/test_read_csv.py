"""CSV and TSV: headers, names, quoting, encodings, compression, types and the fallback."""

from __future__ import annotations

import bz2
import csv
import gzip
import io
import random
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from watchkeeper.errors import InputError, UsageError
from watchkeeper.io import CsvOptions, csvfile, read_batches


def read_table(source: object, **kwargs: object) -> pa.Table:
    batches = list(read_batches(source, **kwargs))
    return pa.Table.from_batches(batches)


def test_headerless_numeric_csv_gets_sagemaker_names_and_values(write):
    path = write("train.csv", "1,2.5,3\n4,5.5,6\n")
    table = read_table(path)
    assert table.column_names == ["_c0", "_c1", "_c2"]
    assert table.to_pydict() == {"_c0": [1, 4], "_c1": [2.5, 5.5], "_c2": [3, 6]}


def test_text_first_row_is_a_header(write):
    table = read_table(write("a.csv", "age,city\n31,Oslo\n"))
    assert table.to_pydict() == {"age": [31], "city": ["Oslo"]}


def test_first_row_with_a_text_field_among_numbers_is_a_header(write):
    table = read_table(write("a.csv", "1,label\n2,x\n"))
    assert table.column_names == ["1", "label"]
    assert table.num_rows == 1


def test_missing_value_in_a_numeric_first_row_does_not_make_it_a_header(write):
    table = read_table(write("a.csv", "1,,3\n4,5,6\n"))
    assert table.column_names == ["_c0", "_c1", "_c2"]
    assert table.column("_c1").to_pylist() == [None, 5]


def test_header_option_overrides_detection(write):
    numbers = write("n.csv", "1,2\n3,4\n")
    assert read_table(numbers, csv=CsvOptions(header=True)).to_pydict() == {"1": [3], "2": [4]}
    words = write("w.csv", "x,y\nz,w\n")
    table = read_table(words, csv=CsvOptions(header=False))
    assert table.to_pydict() == {"_c0": ["x", "z"], "_c1": ["y", "w"]}


def test_empty_and_duplicate_header_names_become_unique(write):
    table = read_table(write("a.csv", "name,,name,b,name\n1,2,3,4,5\n"))
    assert table.column_names == ["name", "_c1", "name_1", "b", "name_2"]
    assert table.to_pylist() == [{"name": 1, "_c1": 2, "name_1": 3, "b": 4, "name_2": 5}]


def test_column_names_option_renames_by_position(write):
    with_header = write("h.csv", "a,b\n1,2\n")
    table = read_table(with_header, csv=CsvOptions(column_names=("x", "y")))
    assert table.to_pydict() == {"x": [1], "y": [2]}
    headerless = write("n.csv", "1,2\n3,4\n")
    table = read_table(headerless, csv=CsvOptions(column_names=("x", "y")))
    assert table.to_pydict() == {"x": [1, 3], "y": [2, 4]}


def test_column_names_of_the_wrong_length_name_the_file(write):
    path = write("short.csv", "a,b,c\n1,2,3\n")
    with pytest.raises(InputError, match=r"short\.csv: has 3 columns but 2 column_names"):
        list(read_batches(path, csv=CsvOptions(column_names=("x", "y"))))


def test_delimiter_and_quoted_fields_with_delimiters_and_newlines(write):
    path = write("a.csv", 'id;text\n1;"a;b"\n2;"line one\nline two"\n3;"say ""hi"""\n')
    table = read_table(path, csv=CsvOptions(delimiter=";"))
    assert table.to_pydict() == {
        "id": [1, 2, 3],
        "text": ["a;b", "line one\nline two", 'say "hi"'],
    }


def test_quote_char_option(write):
    table = read_table(write("a.csv", "a,b\n'x,y',2\n"), csv=CsvOptions(quote_char="'"))
    assert table.to_pydict() == {"a": ["x,y"], "b": [2]}


def test_utf8_bom_is_stripped(write):
    table = read_table(write("bom.csv", b"\xef\xbb\xbfid,name\n1,\xc3\xa9\n"))
    assert table.column_names == ["id", "name"]
    assert table.to_pydict() == {"id": [1], "name": ["é"]}


def test_bom_is_stripped_when_another_encoding_is_asked_for(write):
    path = write("bom.csv", b"\xef\xbb\xbfid,name\n1,x\n")
    table = read_table(path, csv=CsvOptions(encoding="latin-1"))
    assert table.column_names == ["id", "name"]


def test_other_encodings_are_transcoded(write):
    latin = write("latin.csv", "city,n\nZürich,1\nSão Paulo,2\n".encode("latin-1"))
    table = read_table(latin, csv=CsvOptions(encoding="latin-1"))
    assert table.column("city").to_pylist() == ["Zürich", "São Paulo"]
    utf16 = write("wide.csv", "city,n\nZürich,1\n".encode("utf-16"))
    table = read_table(utf16, csv=CsvOptions(encoding="utf-16"))
    assert table.to_pydict() == {"city": ["Zürich"], "n": [1]}


def test_tsv_uses_tabs_and_keeps_commas_in_fields(write):
    table = read_table(write("a.tsv", "name\tnote\nx\thello, world\n"))
    assert table.to_pydict() == {"name": ["x"], "note": ["hello, world"]}


def test_tsv_format_option_on_another_extension(write):
    table = read_table(write("a.csv", "a\tb\n1\t2\n"), format="tsv")
    assert table.to_pydict() == {"a": [1], "b": [2]}


@pytest.mark.parametrize(
    ("suffix", "compress"),
    [(".gz", gzip.compress), (".bz2", bz2.compress), (".zst", None)],
)
def test_compressed_csv(write, suffix, compress):
    content = b"a,b\n1,x\n2,y\n"
    if compress is None:
        buffer = pa.BufferOutputStream()
        with pa.CompressedOutputStream(buffer, "zstd") as stream:
            stream.write(content)
        data = buffer.getvalue().to_pybytes()
    else:
        data = compress(content)
    table = read_table(write(f"a.csv{suffix}", data))
    assert table.to_pydict() == {"a": [1, 2], "b": ["x", "y"]}


def test_null_values(write):
    path = write("a.csv", "a,b,c\n1,NA,x\n,N/A,null\n3,NaN,None\n4,#N/A,\n")
    table = read_table(path)
    assert table.to_pydict() == {
        "a": [1, None, 3, 4],
        "b": [None, None, None, None],
        "c": ["x", None, None, None],
    }


def test_null_values_option(write):
    path = write("a.csv", "a,b\n-,x\n2,NA\n")
    table = read_table(path, csv=CsvOptions(null_values=("-",)))
    assert table.to_pydict() == {"a": [None, 2], "b": ["x", "NA"]}


def test_only_lowercase_true_false_are_booleans(write):
    path = write("a.csv", "flag,bit,word\ntrue,1,True\nfalse,0,FALSE\n")
    table = read_table(path)
    assert table.schema.field("flag").type == pa.bool_()
    assert table.column("flag").to_pylist() == [True, False]
    assert table.column("bit").to_pylist() == [1, 0]
    assert table.column("word").to_pylist() == ["True", "FALSE"]


def test_timestamps_are_inferred(write):
    table = read_table(write("a.csv", "at,n\n2024-01-02 03:04:05,1\n2024-02-03T00:00:00,2\n"))
    assert pa.types.is_timestamp(table.schema.field("at").type)


def test_header_only_csv_yields_an_empty_batch_with_the_columns(write):
    batches = list(read_batches(write("a.csv", "id,name,score\n")))
    assert len(batches) == 1
    assert batches[0].num_rows == 0
    assert batches[0].schema.names == ["id", "name", "score"]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("a,b", {"a": [], "b": []}),
        ("1,2", {"_c0": [1], "_c1": [2]}),
        ("a,b\n1,2", {"a": [1], "b": [2]}),
    ],
)
def test_last_line_without_line_end(write, content, expected):
    assert read_table(write("a.csv", content)).to_pydict() == expected


def test_rows_longer_than_a_block(write):
    big = "x" * (3 << 20)
    body = "".join(f"{i},short\n" for i in range(100_000))
    table = read_table(write("a.csv", f'id,text\n{body}1,{big}\n2,"{big}\n{big}"\n'))
    assert table.column("text").to_pylist()[-3:] == ["short", big, f"{big}\n{big}"]
    assert table.num_rows == 100_002


def test_header_longer_than_a_block(write):
    name = "n" * (2 << 20)
    assert read_table(write("a.csv", f"{name},b\n1,2\n")).to_pydict() == {name: [1], "b": [2]}


def test_conflicting_later_values_fall_back_to_text_with_all_values_intact(write):
    rows = 200_000
    lines = [str(i) for i in range(rows)] + ["abc"]
    path = write("late.csv", "n,m\n" + "".join(f"{n},{i % 7}\n" for i, n in enumerate(lines)))
    batches = list(read_batches(path))
    values = [v for b in batches for v in pc.cast(b.column("n"), pa.string()).to_pylist()]
    assert values == lines
    assert batches[-1].schema.field("n").type == pa.string()
    assert batches[-1].column("n").to_pylist()[-1] == "abc"
    assert all(b.schema.field("m").type == pa.int64() for b in batches)
    assert sum(b.num_rows for b in batches) == rows + 1


def test_fallback_repeats_for_each_conflicting_column(write, monkeypatch):
    # small pieces and blocks, so that the conflict comes after the types were inferred
    monkeypatch.setattr(csvfile, "CHUNK_BYTES", 1 << 20)
    monkeypatch.setattr(csvfile, "BLOCK_BYTES", 1 << 20)
    rows = 150_000
    body = "".join(
        f"{i},{i}.5,{i % 2 == 0}\n".replace("True", "true").replace("False", "false")
        for i in range(rows)
    )
    path = write("late.csv", "a,b,c\n" + body + "3.5,x,maybe\n")
    batches = list(read_batches(path))
    last = batches[-1]
    assert [last.schema.field(n).type for n in "abc"] == [pa.string()] * 3
    assert last.to_pylist()[-1] == {"a": "3.5", "b": "x", "c": "maybe"}
    first = [v for b in batches for v in pc.cast(b.column("a"), pa.string()).to_pylist()]
    assert first == [str(i) for i in range(rows)] + ["3.5"]


def test_no_batch_exceeds_batch_rows(write):
    path = write("a.csv", "a,b\n" + "".join(f"{i},{i * 2}\n" for i in range(10_000)))
    batches = list(read_batches(path, batch_rows=999))
    assert max(b.num_rows for b in batches) <= 999
    assert pa.Table.from_batches(batches).column("a").to_pylist() == list(range(10_000))


def test_progress_reports_bytes_up_to_the_file_size(write):
    path = write("a.csv", "a,b\n" + "".join(f"{i},{i}\n" for i in range(300_000)))
    calls: list[tuple[int, int]] = []
    for _ in read_batches(path, progress=lambda done, total: calls.append((done, total))):
        pass
    size = Path(path).stat().st_size
    assert len(calls) > 1
    assert all(total == size for _, total in calls)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)
    assert calls[-1] == (size, size)


@pytest.mark.parametrize(
    "options",
    [
        {"delimiter": ",,"},
        {"delimiter": "\n"},
        {"quote_char": ","},
        {"encoding": "no-such-codec"},
        {"header": "yes"},
        {"column_names": ("a", "a")},
        {"null_values": "NA"},
    ],
)
def test_invalid_csv_options_are_usage_errors(options):
    with pytest.raises(UsageError):
        CsvOptions(**options)


def test_pieces_cut_only_at_row_ends_outside_quotes(write, monkeypatch):
    monkeypatch.setattr(csvfile, "CHUNK_BYTES", 4096)  # many pieces
    rng = random.Random(3)
    rows = []
    for i in range(3000):
        text = rng.choice(["plain", 'with "quotes"', "multi\nline", 'both "x"\nand\ny', "a,b"])
        rows.append([str(i), text, f"{rng.random():.6f}"])
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([["id", "text", "score"], *rows])
    table = read_table(write("q.csv", buffer.getvalue()))
    assert table.column("id").to_pylist() == list(range(3000))
    assert table.column("text").to_pylist() == [row[1] for row in rows]
    assert table.column("score").to_pylist() == [float(row[2]) for row in rows]


def test_quotes_are_counted_across_the_counting_windows():
    rng = np.random.default_rng(5)
    piece = rng.choice(np.frombuffer(b'ab,"\n', np.uint8), size=(3 << 20) + 7)
    assert csvfile._count(piece, ord('"')) == int(np.count_nonzero(piece == ord('"')))
    assert csvfile._count(piece[:0], ord('"')) == 0
