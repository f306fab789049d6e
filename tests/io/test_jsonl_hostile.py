"""JSON Lines that crash or stall a JSON parser: non-object lines, values nested
thousands of levels deep, lines without end. Each is read or refused with one line,
and the measurements that guard the parser agree with a byte-by-byte reference."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from watchkeeper.errors import InputError
from watchkeeper.io import jsonl, jsonshape, read_batches
from watchkeeper.io.jsonl import CHUNK_BYTES


def failure(path) -> str:
    with pytest.raises(InputError) as caught:
        for _ in read_batches(path):
            pass
    message = str(caught.value)
    assert "\n" not in message and str(path) in message
    return message


def lines(records: list[dict]) -> str:
    return "".join(json.dumps(record) + "\n" for record in records)


def nested(depth: int, inner: str = "1", opening: str = '{"a":', closing: str = "}") -> str:
    return opening * depth + inner + closing * depth


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ('null\n{"a": 1}\n', "line 1 is not a JSON object (it is null)"),
        ('\n\n  null  \n{"a": 1}\n', "line 3 is not a JSON object (it is null)"),
        ('{"a": 1}\nnull\n', "line 2 is not a JSON object (it is null)"),
        ('{"a": 1}\n7\n', "line 2 is not a JSON object (it is a number)"),
        ('{"a": 1}\n"text"\n', "line 2 is not a JSON object (it is a string)"),
        ('{"a": 1}\ntrue\n', "line 2 is not a JSON object (it is a boolean)"),
        ('{"a": 1} null\n', "line 1 is not valid JSON: Extra data"),
        ('null {"a": 1}\n', "line 1 is not valid JSON: Extra data"),
        ("\ufeffnull\n", "line 1 is not a JSON object (it is null)"),
    ],
)
def test_a_line_that_is_not_an_object_is_named(write, content, says):
    assert says in failure(write("bad.jsonl", content))


def test_null_opening_a_later_chunk_is_named(write):
    # each chunk is parsed on its own: a chunk that starts with null is the crash case
    good = "".join(f'{{"i": {i}}}\n' for i in range(CHUNK_BYTES // 9))
    count = good.count("\n")
    message = failure(write("late.jsonl", good + "null\n" + '{"i": 0}\n'))
    assert f"line {count + 1} is not a JSON object (it is null)" in message


def test_a_non_object_line_deeper_than_any_parser_goes_is_named(write):
    content = '{"a": 1}\n' + "[" * 200_000 + "]" * 200_000 + "\n"
    message = failure(write("bad.jsonl", content))
    assert "line 2 is not a JSON object (it starts '[[[[" in message


def test_values_nested_1500_levels_deep_are_read_as_their_text(write):
    deep = nested(1500)
    path = write("deep.jsonl", f'{{"id": 1, "doc": {deep}}}\n{{"id": 2, "doc": {{"b": 2}}}}\n')
    table = pa.Table.from_batches(read_batches(path))
    assert table.column("id").to_pylist() == [1, 2]
    assert table.column("doc").to_pylist() == [deep, '{"b": 2}']


@pytest.mark.parametrize(("opening", "closing"), [('{"a":', "}"), ("[", "]"), ('[{"k": [', "]}]")])
def test_nesting_that_would_crash_the_parser_costs_time_by_its_bytes(write, opening, closing):
    # 100,000 levels end a native parser's stack; nested arrays cost it time by depth²
    deep = nested(100_000, "0", opening, closing)
    path = write("deep.jsonl", f'{{"doc": {deep}, "n": 3}}\n{{"doc": null, "n": 4}}\n')
    started = time.perf_counter()
    table = pa.Table.from_batches(read_batches(path))
    assert time.perf_counter() - started < 20  # about 0.1 s; generous for a busy machine
    assert table.column("doc").to_pylist() == [deep, None]
    assert table.column("n").to_pylist() == [3, 4]


def test_nesting_up_to_the_limit_keeps_its_structure(write):
    value = json.loads(nested(jsonshape.MAX_NESTING - 1))
    path = write("ok.jsonl", json.dumps({"doc": value}) + "\n")
    assert pa.Table.from_batches(read_batches(path)).to_pylist() == [{"doc": value}]


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ('{"doc": ' + "[" * 100 + "]" * 99 + "}", "its brackets or quotes do not match"),
        ('{"doc": ' + "[" * 100 + "]" * 100 + ', "doc": 1}', "key 'doc' appears twice"),
        ('{"doc": ' + "[" * 100 + "]" * 100 + ", 7: 1}", "a key is not a string"),
        ('{"doc": ' + "[" * 100 + "]" * 100 + ', "n": 1 2}', "line 1 is not valid JSON"),
        ('{"doc": ' + "[" * 100 + "]" * 100 + '}{"b": 1}', "its brackets or quotes do not match"),
    ],
)
def test_a_broken_deep_line_is_named(write, line, says):
    message = failure(write("bad.jsonl", line + "\n"))
    assert "bad.jsonl: line 1" in message and says in message


def test_a_line_without_end_stops_at_the_limit(write, monkeypatch):
    monkeypatch.setattr(jsonl, "MAX_LINE_BYTES", 5 << 20)
    path = write("long.jsonl", '{"a": 1}\n{"s": "' + "x" * (8 << 20))
    assert "long.jsonl: line 2 is longer than 5 MB" in failure(path)


# -- the measurements against a byte-by-byte reference ---------------------------------


def reference_depth(line: bytes) -> int:
    """Deepest bracket level outside strings; a quote counts unless an odd run of
    backslashes precedes it (inside strings or not, as the vectorised measure does)."""
    depth = deepest = run = 0
    in_string = False
    for byte in line:
        if byte == ord('"') and run % 2 == 0:
            in_string = not in_string
        run = run + 1 if byte == ord("\\") else 0
        if not in_string and byte in b"{[":
            depth += 1
            deepest = max(deepest, depth)
        elif not in_string and byte in b"}]":
            depth -= 1
    return deepest


def reference_shape(data: bytes, limit: int) -> tuple[int | None, list[tuple[int, int, int]]]:
    not_object, deep, position = None, [], 0
    for index, line in enumerate(data.split(b"\n")):
        text = line.strip(b" \t\r")
        if text and not (text.startswith(b"{") and text.endswith(b"}")):
            not_object = index
            break
        if reference_depth(line) > limit:
            deep.append((index, position, position + len(line)))
        position += len(line) + 1
    return not_object, deep


@contextmanager
def measured_in(window: int, limit: int) -> Iterator[None]:
    """Tiny windows and limits, so that few bytes cross every boundary."""
    original = jsonshape.WINDOW, jsonshape.MAX_NESTING
    jsonshape.WINDOW, jsonshape.MAX_NESTING = window, limit
    try:
        yield
    finally:
        jsonshape.WINDOW, jsonshape.MAX_NESTING = original


json_bytes = st.lists(
    st.sampled_from([b"{", b"}", b"[", b"]", b'"', b"\\", b" ", b"a", b":", b",", b"\r"]),
    max_size=60,
).map(b"".join)
object_lines = json_bytes.map(lambda inner: b"{" + inner + b"}")


@settings(max_examples=300, deadline=None)
@given(
    lines=st.lists(st.one_of(object_lines, json_bytes), max_size=6),
    window=st.sampled_from([1, 2, 3, 7, 64]),
    limit=st.integers(0, 4),
)
def test_shape_agrees_with_the_reference(lines, window, limit):
    data = b"\n".join(lines)
    with measured_in(window, limit):
        shape = jsonshape.chunk_shape(data)
    assert (shape.not_object, shape.deep) == reference_shape(data, limit)


values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(record=st.dictionaries(st.text(max_size=4), values, max_size=5), window=st.integers(1, 9))
def test_members_split_an_object_as_json_does(record, window):
    with measured_in(window, jsonshape.MAX_NESTING):
        found = jsonshape.members(b"  " + json.dumps(record).encode() + b" \r")
    assert found is not None
    assert {json.loads(key): json.loads(value) for key, value in found} == record


def test_lists_that_start_with_null_are_read_as_their_text(write):
    # the JSON parser builds such lists with offsets past their values
    path = write(
        "lists.jsonl", '{"a": [null, 1], "b": 1}\n{"a": [2], "b": 2}\n{"a": null, "b": 3}\n'
    )
    table = pa.Table.from_batches(read_batches(path))
    assert table.to_pylist() == [
        {"a": "[null, 1]", "b": 1},
        {"a": "[2]", "b": 2},
        {"a": None, "b": 3},
    ]
    table.validate(full=True)


def test_numbers_beyond_a_double_name_their_line(write):
    path = write("big.jsonl", '{"a": 1}\n\n{"a": 1e999}\n')
    assert "big.jsonl: line 3 holds a number beyond a double's range: '1e999'" in failure(path)
    digits = "7" * 5000  # more digits than Python converts to an integer by default
    path = write("long.jsonl", f'{{"a": "x"}}\n{{"a": {digits}}}\n')
    assert "long.jsonl: line 2 holds a number beyond a double's range: '7777" in failure(path)


def test_nan_and_infinity_are_read_as_the_parser_reads_them_when_types_mix(write):
    path = write("nan.jsonl", '{"a": 1, "b": NaN}\n{"a": "x", "b": -Infinity}\n')
    table = pa.Table.from_batches(read_batches(path))
    assert table.column("a").to_pylist() == ["1", "x"]
    assert str(table.column("b").to_pylist()) == "[nan, -inf]"


def test_keys_that_look_like_parser_paths_are_read(write):
    # the parser names conflicts by paths such as /a/)/[], which keys can imitate
    records = [{"a": {")": [True]}, "a/)": 1}, {"a": {")": [1]}, "a/)": "x"}]
    path = write("paths.jsonl", lines(records))
    table = pa.Table.from_batches(read_batches(path))
    assert table.to_pylist() == [
        {"a": '{")": [true]}', "a/)": "1"},
        {"a": '{")": [1]}', "a/)": "x"},
    ]
