"""Deeply nested values as JSON text, without recursion.

``json.dumps`` and pyarrow's conversion of Python objects recurse once per level of
nesting: a value nested a few thousand levels deep raises RecursionError, and one nested
twenty thousand levels deep ends the process inside pyarrow. watchkeeper reads a value
nested more than ``MAX_NESTING`` levels deep as text, its JSON, and these functions
measure and write such values with a stack of their own.

>>> deep = [[[1]]]
>>> nesting(deep, limit=2), json_text({"b": deep, "a": None})
(3, '{"a": null, "b": [[[1]]]}')
"""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa

MAX_NESTING = 64

_CONTAINERS = (dict, list, tuple)


def nesting(value: Any, limit: int = MAX_NESTING) -> int:
    """How many levels of dicts and lists ``value`` nests, counted up to ``limit + 1``."""
    if not isinstance(value, _CONTAINERS):
        return 0
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if deepest > limit:
            return deepest
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, depth + 1) for child in children if isinstance(child, _CONTAINERS))
    return deepest


def type_nesting(kind: pa.DataType) -> int:
    """How many levels of nested Arrow types (structs, lists, maps) ``kind`` has."""
    deepest = 0
    stack = [(kind, 0)]
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((item.field(i).type, depth + 1) for i in range(item.num_fields))
    return deepest


def shallow(value: Any) -> Any:
    """``value`` itself, or its JSON text when it nests more than ``MAX_NESTING`` levels."""
    return json_text(value) if nesting(value) > MAX_NESTING else value


class _Literal(str):
    """Text to write as it is (brackets, separators, keys)."""


def json_text(value: Any) -> str:
    """The text ``json.dumps(value, default=str, sort_keys=True)`` gives, at any depth."""
    out: list[str] = []
    todo: list[Any] = [value]
    while todo:
        item = todo.pop()
        if isinstance(item, _Literal):
            out.append(item)
        elif isinstance(item, dict):
            todo.extend(reversed(_object_parts(item)))
        elif isinstance(item, list | tuple):
            todo.extend(reversed(_array_parts(item)))
        else:
            out.append(json.dumps(item, default=str))
    return "".join(out)


def _object_parts(item: dict) -> list[Any]:
    # each key as json.dumps spells it (numbers, booleans and None become strings)
    keys = [(json.dumps({key: 0}, default=str)[1:-4], key) for key in item]
    try:
        keys.sort(key=lambda pair: pair[1])
    except TypeError:  # keys of several types, which json.dumps refuses to sort
        keys.sort(key=lambda pair: pair[0])
    parts: list[Any] = [_Literal("{")]
    for position, (key_text, key) in enumerate(keys):
        parts += [_Literal(f"{', ' if position else ''}{key_text}: "), item[key]]
    return [*parts, _Literal("}")]


def _array_parts(item: list | tuple) -> list[Any]:
    parts: list[Any] = [_Literal("[")]
    for position, child in enumerate(item):
        parts += [_Literal(", "), child] if position else [child]
    return [*parts, _Literal("]")]
