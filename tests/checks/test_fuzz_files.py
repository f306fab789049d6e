"""Fuzzing the data path: generated CSV, TSV, JSON Lines and Parquet files (plain and
compressed, well-formed and broken) go through profile → check → report, and every
one ends in a result or one of watchkeeper's own one-line errors, never anything else.

Examples per test as ``tests/fuzzing.py`` says: 40 fixed ones in the suite, 2,000
random ones with ``WATCHKEEPER_FUZZ=long`` (or ``bench/fuzz.py``).
"""

from __future__ import annotations

import bz2
import gzip
import json
import math
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import HealthCheck, event, given
from hypothesis import strategies as st

import watchkeeper
from fuzzing import fuzz_settings
from watchkeeper.baseline import Baseline
from watchkeeper.checks.pipeline import run_check
from watchkeeper.errors import WatchkeeperError

FUZZ = fuzz_settings(
    ci=40,
    long=2000,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
RULES = (
    "defaults: {max_missing: 50%}\ncolumns:\n  a: {min: 0, max: 1000000, regex: '^[0-9]+$'}\n"
    "  b: {allowed: [x, y], regex: '^[xy]$'}\n"
)


def fuzzed(content: bytes, name: str) -> object:
    """:func:`outcome_of`, with the kind of ending counted for hypothesis' statistics."""
    outcome = outcome_of(content, name)
    ending = type(outcome).__name__ if isinstance(outcome, WatchkeeperError) else "result"
    event(f"ended in: {ending}")
    return outcome


def outcome_of(content: bytes, name: str) -> object:
    """Profile, check (rules and a baseline of the data itself, then a baseline read back
    from the written files) and report ``content`` saved as ``name``; returns the check
    outcome or the project's error."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        path = root / name
        path.write_bytes(content)
        rules = root / "rules.yaml"
        rules.write_text(RULES)
        try:
            profile = watchkeeper.profile(path)
            first = run_check(
                path,
                rules=rules,
                baseline=Baseline.from_profile(profile),
                output=root / "first",
                plotly_src="plotly.js",
            )
            second = run_check(
                path, baseline=root / "first", output=root / "second", plotly_src="plotly.js"
            )
        except WatchkeeperError as error:
            assert "\n" not in str(error), str(error)
            return error
        assert first.profile.rows == second.profile.rows == profile.rows
        table = json.loads((root / "second" / "report.json").read_text())
        assert [row["feature"] for row in table] == list(profile.columns)
        return second


# -- text files ---------------------------------------------------------------------------

CELLS = st.one_of(
    st.sampled_from(
        [
            "",
            "0",
            "-0",
            "1",
            "-1.5",
            "+7",
            " 3 ",
            "1e308",
            "1e309",
            "-1e400",
            "5e-324",
            "inf",
            "-inf",
            "Infinity",
            "nan",
            "NaN",
            "NA",
            "null",
            "None",
            "true",
            "false",
            "TRUE",
            "2024-01-01",
            "2024-02-30",
            "2024-01-01T00:00:00Z",
            "12:30",
            "0x1F",
            "1,5",
            '"',
            '""',
            "'",
            "=1+1",
            "@x",
            "é",
            "日本",
            "\u2028",
            "\x00",
            "a\rb",
        ]
    ),
    st.text(max_size=8),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.floats().map(repr),
    st.integers(0, 400).map(lambda n: "9" * n),
)


@st.composite
def delimited(draw, delimiter: str) -> tuple[bytes, bool]:
    """A CSV or TSV file: a header (or not), ragged or quoted rows, any line ends; and
    whether it is legitimate: a header, rows of its width, text without NUL."""
    width = draw(st.integers(1, 4))
    ragged = draw(st.integers(0, 9)) == 0
    low, high = (max(width - 1, 0), width + 1) if ragged else (width, width)
    rows = draw(st.lists(st.lists(CELLS, min_size=low, max_size=high), min_size=1, max_size=12))
    header = draw(st.booleans())
    if header:
        rows.insert(
            0,
            draw(
                st.lists(
                    st.sampled_from(["a", "b", "", "a", "=x", "c d"]),
                    min_size=width,
                    max_size=width,
                )
            ),
        )
    end = draw(st.sampled_from(["\n", "\r\n", "\r"]))

    def field(cell: str) -> str:
        if draw(st.booleans()) or any(char in cell for char in f'{delimiter}"\r\n'):
            return '"' + cell.replace('"', '""') + '"'
        return cell

    lines = [delimiter.join(field(cell) for cell in row) for row in rows]
    text = end.join(lines)
    if draw(st.booleans()):
        text += end
    data = ("\ufeff" if draw(st.booleans()) else "").encode() + text.encode(
        "utf-8", "surrogatepass"
    )
    damaged = draw(_damaged(data))
    # NUL marks a binary file, which the readers refuse as such; an empty line is no row
    whole = damaged == data and header and not ragged and all(lines)
    return damaged, whole and "\x00" not in text


@st.composite
def _damaged(draw, data: bytes) -> bytes:
    """Usually the bytes as they are; sometimes cut short, with stray bytes, or with
    bytes overwritten."""
    kind = draw(st.sampled_from(["whole"] * 12 + ["cut", "stray", "flipped"]))
    if kind == "cut" and data:
        return data[: draw(st.integers(0, len(data) - 1))]
    if kind == "stray":
        at = draw(st.integers(0, len(data)))
        return data[:at] + draw(st.binary(min_size=1, max_size=4)) + data[at:]
    if kind == "flipped" and data:
        changed = bytearray(data)
        for at in draw(st.lists(st.integers(0, len(data) - 1), min_size=1, max_size=6)):
            changed[at] = draw(st.integers(0, 255))
        return bytes(changed)
    return data


def compressed(data: bytes, codec: str) -> bytes:
    if codec == "gz":
        return gzip.compress(data)
    if codec == "bz2":
        return bz2.compress(data)
    if codec == "zst":
        return pa.compress(data, codec="zstd", asbytes=True)  # a zstd frame, as zstd writes
    return data


@FUZZ
@given(content=delimited(","), codec=st.sampled_from(["", "gz", "bz2", "zst"]))
def test_csv_files_end_in_a_result_or_an_input_error(content, codec):
    data, legitimate = content
    name = "data.csv" + (f".{codec}" if codec else "")
    outcome = fuzzed(compressed(data, codec), name)
    assert not (legitimate and isinstance(outcome, WatchkeeperError)), str(outcome)


@FUZZ
@given(content=delimited("\t"))
def test_tsv_files_end_in_a_result_or_an_input_error(content):
    data, legitimate = content
    outcome = fuzzed(data, "data.tsv")
    assert not (legitimate and isinstance(outcome, WatchkeeperError)), str(outcome)


# -- JSON Lines ----------------------------------------------------------------------------

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),
    st.text(max_size=10),
)


def _containers(inner: st.SearchStrategy) -> st.SearchStrategy:
    return st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)


VALUES = st.recursive(SCALARS, _containers, max_leaves=8)
KEYS = st.sampled_from(["a", "b", "c", "", "a b", "é"])


def nested(depth: int, opening: str, closing: str) -> str:
    return opening * depth + "1" + closing * depth


OBJECTS = st.dictionaries(KEYS, VALUES, max_size=4).map(json.dumps)
ODD_LINES = st.one_of(
    st.tuples(KEYS, st.sampled_from([63, 64, 65, 300, 5000]), st.sampled_from(["[]", "{}"])).map(
        lambda k: (
            json.dumps({k[0]: 0})[:-1]
            + ', "deep": '
            + nested(k[1], *(("[", "]") if k[2] == "[]" else ('{"a": ', "}")))
            + "}"
        )
    ),
    VALUES.map(json.dumps),  # a line that may not be an object
    st.sampled_from(
        ["", "   ", "null", "{", "}", '{"a": 1,}', '{"a": 1, "a": 2}', '{"a": NaN}', "[]"]
    ),
    st.text(max_size=12),
)
LINES = st.one_of(OBJECTS, OBJECTS, OBJECTS, ODD_LINES)


@st.composite
def json_lines(draw) -> tuple[bytes, bool]:
    """A JSON Lines file, and whether it is legitimate: one JSON object (strict JSON, no
    repeated key) on every line that is not blank, at least one of them."""
    lines = draw(st.lists(LINES if draw(st.integers(0, 3)) else OBJECTS, max_size=10))
    end = draw(st.sampled_from(["\n", "\r\n"]))
    data = end.join(lines).encode("utf-8", "surrogatepass")
    damaged = draw(_damaged(data))
    # blank as JSON has it: spaces, tabs and line ends only (not U+0085 or U+2028)
    filled = [line for line in lines if line.strip(" \t\r\n")]
    return damaged, damaged == data and bool(filled) and all(map(_one_object, filled))


def _one_object(line: str) -> bool:
    def refuse(*_: object) -> None:
        raise ValueError("not strict JSON")

    def unique(pairs: list) -> dict:
        if len({key for key, _ in pairs}) < len(pairs):
            refuse()
        return dict(pairs)

    try:
        value = json.loads(line, parse_constant=refuse, object_pairs_hook=unique)
    except (ValueError, RecursionError):
        return False
    return isinstance(value, dict)


@FUZZ
@given(content=json_lines(), codec=st.sampled_from(["", "gz"]))
def test_json_lines_files_end_in_a_result_or_an_input_error(content, codec):
    data, legitimate = content
    name = "data.jsonl" + (f".{codec}" if codec else "")
    outcome = fuzzed(compressed(data, codec), name)
    # legitimate data is profiled and reported, whatever its values
    assert not (legitimate and isinstance(outcome, WatchkeeperError)), str(outcome)


# -- Parquet ---------------------------------------------------------------------------------


def raw_text(values: list[bytes | None]) -> pa.Array:
    """A string column over raw bytes, as a writer that does not check them makes."""
    raw = pa.array(values, pa.binary())
    return pa.Array.from_buffers(pa.string(), len(raw), raw.buffers(), null_count=raw.null_count)


def column_of(kind: str, n: int):
    maybe = lambda strategy: st.one_of(st.none(), strategy)  # noqa: E731
    if kind == "int":
        return st.lists(maybe(st.integers(-(2**63), 2**63 - 1)), min_size=n, max_size=n).map(
            lambda v: pa.array(v, pa.int64())
        )
    if kind == "float":
        return st.lists(maybe(st.floats()), min_size=n, max_size=n).map(
            lambda v: pa.array(v, pa.float64())
        )
    if kind == "text":
        return st.lists(maybe(CELLS), min_size=n, max_size=n).map(
            lambda v: pa.array(
                [
                    None
                    if x is None
                    else x.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
                    for x in v
                ],
                pa.string(),
            )
        )
    if kind == "raw":
        return st.lists(maybe(st.binary(max_size=6)), min_size=n, max_size=n).map(raw_text)
    if kind == "binary":
        return st.lists(maybe(st.binary(max_size=6)), min_size=n, max_size=n).map(
            lambda v: pa.array(v, pa.binary())
        )
    if kind == "bool":
        return st.lists(maybe(st.booleans()), min_size=n, max_size=n).map(pa.array)
    if kind == "timestamp":
        return st.lists(maybe(st.integers(-(2**62), 2**62)), min_size=n, max_size=n).map(
            lambda v: pa.array(v, pa.timestamp("us"))
        )
    if kind == "list":
        return st.lists(
            maybe(st.lists(maybe(st.integers(-5, 5)), max_size=3)), min_size=n, max_size=n
        ).map(lambda v: pa.array(v, pa.list_(pa.int64())))
    if kind == "struct":
        return st.lists(
            maybe(
                st.fixed_dictionaries(
                    {"p": maybe(st.integers(-5, 5)), "q": maybe(st.text(max_size=3))}
                )
            ),
            min_size=n,
            max_size=n,
        ).map(lambda v: pa.array(v, pa.struct([("p", pa.int64()), ("q", pa.string())])))
    return st.lists(maybe(st.sampled_from(["x", "y", "z"])), min_size=n, max_size=n).map(
        lambda v: pa.array(v, pa.string()).dictionary_encode()
    )


KINDS = [
    "int",
    "float",
    "text",
    "raw",
    "binary",
    "bool",
    "timestamp",
    "list",
    "struct",
    "dictionary",
]


@st.composite
def parquet_files(draw) -> tuple[bytes, bool]:
    """A Parquet file, and whether it is legitimate: rows, and text that is UTF-8."""
    rows = draw(st.integers(0, 12))
    kinds = draw(st.lists(st.sampled_from(KINDS), min_size=1, max_size=4))
    names = draw(
        st.lists(
            st.sampled_from(["a", "b", "", "a", "=x", "é"]),
            min_size=len(kinds),
            max_size=len(kinds),
        )
    )
    arrays = [draw(column_of(kind, rows)) for kind in kinds]
    table = pa.Table.from_arrays(arrays, names=names)
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, row_group_size=draw(st.integers(1, 13)))
    data = sink.getvalue().to_pybytes()
    damaged = draw(_damaged(data))
    text_ok = all(_utf8(array) for kind, array in zip(kinds, arrays, strict=True) if kind == "raw")
    return damaged, damaged == data and rows > 0 and text_ok


def _utf8(array: pa.Array) -> bool:
    try:
        array.validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


@FUZZ
@given(content=parquet_files())
def test_parquet_files_end_in_a_result_or_an_input_error(content):
    data, legitimate = content
    outcome = fuzzed(data, "data.parquet")
    assert not (legitimate and isinstance(outcome, WatchkeeperError)), str(outcome)


def test_the_search_covers_results_and_errors():
    """A fixed handful of the shapes above, so that both ends are known to be reached."""
    good = outcome_of(b"a,b\n1,x\n2,y\n", "data.csv")
    assert not isinstance(good, WatchkeeperError) and good.profile.rows == 2
    bad = outcome_of(b"null\n", "data.jsonl")
    assert isinstance(bad, WatchkeeperError) and "line 1 is not a JSON object" in str(bad)
    inf = outcome_of(b"a\ninf\n-inf\n", "data.csv")
    assert not isinstance(inf, WatchkeeperError) and math.isnan(inf.profile.columns["a"].mean)
