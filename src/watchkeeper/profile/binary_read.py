"""Reading the binary profile file (its layout: :mod:`watchkeeper.profile.binary`).

Reading is as strict as reading JSON: every count, bound and sketch byte is checked (the
same checks, in :mod:`watchkeeper.profile.validation`) before anything is used, over all
columns at once where NumPy can, and a file that fails is refused with a
:class:`FormatError` naming the source and the field.
"""

from __future__ import annotations

import json
import math
import struct
from functools import partial
from itertools import accumulate, pairwise
from typing import Any

import datasketches
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from watchkeeper.errors import FormatError
from watchkeeper.io.arrays import mask
from watchkeeper.profile.binary import (
    CODEC_RAW,
    CODEC_ZSTD,
    EXACT,
    FLOAT_FIELDS,
    FLOAT_INDEX,
    FROM_BOTH,
    HEADER,
    INT_FIELDS,
    INT_INDEX,
    MAGIC,
    SECTIONS,
    SKETCH,
    STORED,
    TYPE_KEYS,
    VERSION,
    derived_from,
    unshuffled,
)
from watchkeeper.profile.binary_checks import (
    MAX_HASHES,
    MAX_ITEMS,
    counts_look_right,
    holds_nan,
    is_utf8,
    plain_types,
)
from watchkeeper.profile.column import ColumnProfile
from watchkeeper.profile.dataset import DatasetProfile
from watchkeeper.profile.distinct import DistinctSketch, HashedLater
from watchkeeper.profile.frequent import CategoryCounts
from watchkeeper.profile.kll import KLLSketch, UnpackedLater, capacities
from watchkeeper.profile.moments import Moments
from watchkeeper.profile.parts import PARTS, parts_from_json
from watchkeeper.profile.types import FRACTIONAL
from watchkeeper.profile.validation import (
    CATEGORY_CAP,
    FREQUENT_HEADER,
    KLL_K,
    LG_MAP_SIZE,
    MAX_COLUMNS,
    MAX_COUNT,
    MAX_ITEM_BYTES,
    MAX_KLL_LEVELS,
    MAX_NAME_LENGTH,
    MAX_TEXT_LENGTH,
    MAX_THETA,
    Invalid,
    arrow_types,
    column_path,
    count,
    fail,
    frequent_header,
    metadata,
    reason,
    shown,
    text,
    theta_header,
)

# Bounds of what a reader unpacks, whatever the header claims.
MAX_BODY = 1 << 32
MAX_EXPANSION = 1024
MAX_LEVEL = 1 << 17  # items in one KLL level: level 0's capacity for the largest k is 65538
LEVEL_HIGH = np.array([MAX_LEVEL, MAX_COUNT, 1])  # a level's items, compactions, offset


def profile_from_binary(data: bytes, source: str = "profile") -> DatasetProfile:
    """Read and check a binary profile file; ``source`` names it in error messages."""
    try:
        return _Reader(_sections(data)).profile()
    except Invalid as exc:
        raise FormatError(f"{source}: {exc.path}: {exc.problem}") from None
    except (ArithmeticError, LookupError, TypeError, ValueError) as exc:  # a check missed
        raise FormatError(f"{source}: corrupt profile ({type(exc).__name__}: {exc})") from None


def _sections(data: bytes) -> dict[str, memoryview]:
    if len(data) < HEADER.size:
        fail("header", f"a binary profile has at least {HEADER.size} bytes, got {len(data)}")
    magic, version, codec, size = HEADER.unpack_from(data)
    if magic != MAGIC:
        fail("header", "not a watchkeeper binary profile")
    if version > VERSION:
        fail(
            "header",
            f"binary profile version {version} was written by a newer watchkeeper "
            f"(this one reads up to version {VERSION}); upgrade watchkeeper",
        )
    if version < 1 or codec not in (CODEC_RAW, CODEC_ZSTD):
        fail("header", f"invalid binary profile version {version} or codec {codec}")
    packed = memoryview(data)[HEADER.size :]
    if codec == CODEC_RAW:
        if size != len(packed):
            fail("header", f"body of {size} bytes announced, {len(packed)} found (truncated?)")
        body = packed
    else:
        if size > min(MAX_BODY, MAX_EXPANSION * len(packed) + (1 << 20)):
            fail("header", f"body of {size} bytes announced, too large for its compressed size")
        try:
            # an Arrow buffer, not bytes: a copy of the whole body spared
            body = memoryview(pa.Codec("zstd").decompress(packed, size))
        except (OSError, ValueError, pa.ArrowException) as exc:
            fail("body", f"is not valid zstd data (truncated or corrupt: {reason(exc)})")
        if len(body) != size:
            fail("body", f"holds {len(body)} bytes, the header says {size}")
    held = struct.unpack_from("<I", body)[0] if len(body) >= 4 else 0
    if held not in (len(SECTIONS), len(SECTIONS) + 1):  # + text and embedding parts
        fail("body", f"must hold {len(SECTIONS)} sections (or one more)")
    table = 4 + 8 * held
    if len(body) < table:
        fail("body", "ends inside its table of sections")
    sizes = struct.unpack_from(f"<{held}Q", body, 4)
    if table + sum(sizes) != len(body):
        fail("body", f"sections add up to {table + sum(sizes)} bytes, the body has {len(body)}")
    ends = np.cumsum((table, *sizes)).tolist()
    # sections are views: nothing is copied until it is read
    return {name: body[ends[i] : ends[i + 1]] for i, name in enumerate((*SECTIONS, PARTS)[:held])}


def _array(data: memoryview, name: str, dtype: str, width: int = 1) -> np.ndarray:
    if len(data) % (8 * width):
        fail(name, f"must hold whole rows of {width} 8-byte numbers, has {len(data)} bytes")
    values = np.frombuffer(data, dtype=dtype)
    return values.reshape(-1, width) if width > 1 else values


class _Reader:
    """One file's sections, checked part by part, all columns at once where it can."""

    def __init__(self, sections: dict[str, memoryview]) -> None:
        self.sections = sections
        self.names: list[str] = []

    def profile(self) -> DatasetProfile:
        meta = self._meta()
        self.names = names = meta["names"]
        ints = _array(self.sections["ints"], "ints", "<i8", len(INT_FIELDS))
        floats = _array(self.sections["floats"], "floats", "<f8", len(FLOAT_FIELDS))
        if len(ints) != len(names) or len(floats) != len(names):
            fail("columns", f"ints and floats must hold one row per column ({len(names)})")
        self._check_counts(ints, floats)
        kll = self._kll(ints, floats)
        categories, values = self._categories(ints)
        distinct = self._distinct(ints, kll, values)
        profile = DatasetProfile(meta["metadata"])
        profile.rows = meta["rows"]
        columns = profile.columns
        integral, fractional, boolean, string = TYPE_KEYS
        for index, (row, real) in enumerate(zip(ints.tolist(), floats.tolist(), strict=True)):
            low, high = (real[5], real[6]) if row[7] else (math.inf, -math.inf)
            columns[names[index]] = ColumnProfile.assembled(
                (row[0], row[1], row[6]),
                {integral: row[2], fractional: row[3], boolean: row[4], string: row[5]},
                meta["arrow_types"][index],
                Moments.stored(row[7], *real[:5], low, high),
                kll[index],
                distinct[index],
                categories[index],
            )
        if PARTS in self.sections:
            parts_from_json(profile, bytes(self.sections[PARTS]))
        return profile

    def _meta(self) -> dict[str, Any]:
        try:
            meta = json.loads(bytes(self.sections["meta"]))
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            fail("meta", f"is not valid JSON ({reason(exc)})")
        if not isinstance(meta, dict) or set(meta) != {"rows", "metadata", "names", "arrow_types"}:
            fail("meta", "must be an object of rows, metadata, names and arrow_types")
        count(meta["rows"], "rows")
        meta["metadata"] = metadata(meta["metadata"])
        names, types = meta["names"], meta["arrow_types"]
        if not isinstance(names, list) or not isinstance(types, list) or len(names) != len(types):
            fail("columns", "names and arrow_types must be lists of one entry per column")
        if len(names) > MAX_COLUMNS:
            fail("columns", f"at most {MAX_COLUMNS:,} columns, got {len(names):,}")
        # each check runs entry by entry (to name the culprit) only when one fails
        if not all(isinstance(name, str) and len(name) <= MAX_NAME_LENGTH for name in names):
            for index, name in enumerate(names):
                text(name, f"{column_path(name, index)}.name", MAX_NAME_LENGTH)
        if len(set(names)) != len(names):
            twice = next(name for i, name in enumerate(names) if name in names[:i])
            fail("columns", f"column {shown(twice)} appears twice")
        if not plain_types(types):
            meta["arrow_types"] = [
                arrow_types(kinds, f"{column_path(names[i], i)}.arrow_types")
                for i, kinds in enumerate(types)
            ]
        return meta

    def _fail_first(self, bad: np.ndarray, field: str, problem: str, owner=None) -> None:
        """Fail naming the first column where ``bad`` holds (``owner``: the column of each
        entry of ``bad``, when it is not one entry per column)."""
        if bad.any():
            first = int(np.argmax(bad))
            index = first if owner is None else int(owner[first])
            fail(f"{column_path(self.names[index], index)}.{field}", problem)

    def _check_counts(self, ints: np.ndarray, floats: np.ndarray) -> None:
        if counts_look_right(ints, floats):
            return
        check, field = self._fail_first, ints.T
        number = {name: field[i] for i, name in enumerate(INT_FIELDS)}
        for name in INT_FIELDS[:11]:
            values = number[name]
            check((values < 0) | (values > MAX_COUNT), name, f"must be from 0 to {MAX_COUNT}")
        present = number["count"] - number["null_count"]
        check(present < 0, "null_count", "is more than count")
        typed = ints[:, 2:6].sum(axis=1)
        check(typed > present, "type_counts", "add up to more than the present values")
        check(
            number["integral_valued"] > number[FRACTIONAL],
            "integral_valued",
            f"more than the {FRACTIONAL} values counted",
        )
        n = number["moments.n"]
        check(n > present, "moments.n", "is more than the present values")
        real = floats.T
        check(real[2] < 0, "moments.m2", "must not be negative")
        check(real[4] < 0, "moments.m4", "must not be negative")
        with np.errstate(invalid="ignore"):
            unordered = np.isnan(real[5]) | np.isnan(real[6]) | (real[5] > real[6])
        check((n > 0) & unordered, "moments", "min must be a number at most max")
        k, c = number["kll.k"], real[FLOAT_INDEX["kll.c"]]
        check((k < KLL_K[0]) | (k > KLL_K[1]), "kll.k", f"must be from {KLL_K[0]} to {KLL_K[1]}")
        with np.errstate(invalid="ignore"):
            check(~((c > 0) & (c <= 1)), "kll.c", "must be in (0, 1]")
        depth = number["kll.levels"]
        check(
            (depth < 1) | (depth > MAX_KLL_LEVELS),
            "kll.levels",
            f"must be a list of 1 to {MAX_KLL_LEVELS} levels",
        )
        cap, lg = number["categories.cap"], number["categories.lg_max_map_size"]
        low, high = CATEGORY_CAP
        check((cap < low) | (cap > high), "categories.cap", f"must be from {low} to {high}")
        low, high = LG_MAP_SIZE
        check(
            (lg < low) | (lg > high), "categories.lg_max_map_size", f"must be from {low} to {high}"
        )
        form, entries = number["categories.form"], number["categories.entries"]
        check((form != EXACT) & (form != SKETCH), "categories", "neither exact nor a sketch")
        check(
            (form == EXACT) & ((entries < 0) | (entries > cap)),
            "categories.exact",
            "holds more values than cap",
        )
        head = number["categories.header"]
        too_big = (entries < 0) | (entries > MAX_ITEMS) | (head < 0)
        too_big |= head > FREQUENT_HEADER + 8 * MAX_ITEMS
        check((form == SKETCH) & too_big, "categories.sketch", "sizes out of range")
        check((form == EXACT) & (head != 0), "categories.exact", "has a sketch header")
        source, head = number["distinct.source"], number["distinct.header"]
        held = number["distinct.hashes"]
        check((source < STORED) | (source > FROM_BOTH), "distinct", "unknown source of hashes")
        stored = source == STORED
        check(
            stored & ~np.isin(head, (8, 16, 24)),
            "distinct",
            "theta sketch header must have 8, 16 or 24 bytes",
        )
        check(~stored & ((head != 0) | (held != 0)), "distinct", "hashed again, yet stored")
        check((held < 0) | (held > MAX_HASHES), "distinct", f"more than {MAX_HASHES} hashes")

    def _kll(self, ints: np.ndarray, floats: np.ndarray) -> list[KLLSketch]:
        depth = ints[:, INT_INDEX["kll.levels"]]
        table = _array(self.sections["levels"], "levels", "<i8", 3)
        if len(table) != int(depth.sum()):
            fail("levels", f"must hold {int(depth.sum())} KLL levels, got {len(table)}")
        sizes, compactions, offsets = table.T
        owner = np.repeat(np.arange(len(depth)), depth)
        check = self._fail_first
        if ((table < 0) | (table > LEVEL_HIGH)).any():  # then name the first culprit
            problem = "a level of impossible size"
            check((sizes < 0) | (sizes > MAX_LEVEL), "kll.levels", problem, owner)
            problem = f"must be from 0 to {MAX_COUNT}"
            check((compactions < 0) | (compactions > MAX_COUNT), "kll.compactions", problem, owner)
            check((offsets < 0) | (offsets > 1), "kll.offsets", "must be 0 or 1", owner)
        data = self.sections["items"]
        if len(data) != 8 * int(sizes.sum()):
            fail("items", f"must hold {int(sizes.sum())} KLL items, has {len(data)} bytes")
        if holds_nan(data):  # then the owner of each item, to name the culprit
            items = unshuffled(data, "<f8")
            problem = "holds NaN, which a sketch never keeps"
            check(np.isnan(items), "kll.levels", problem, np.repeat(owner, sizes))
        unpack = _Unpacked(data)
        # Each term is exact in a float64 and their sum is exact up to 2**53: so is the check.
        heights = np.arange(len(table)) - np.repeat(np.cumsum(depth) - depth, depth)
        weight = np.bincount(owner, sizes * np.exp2(heights), minlength=len(depth))
        check(weight > MAX_COUNT, "kll.levels", f"weigh more than {MAX_COUNT} values")
        bounds = list(accumulate(sizes.tolist(), initial=0))
        k_all, c_all = (
            ints[:, INT_INDEX["kll.k"]].tolist(),
            floats[:, FLOAT_INDEX["kll.c"]].tolist(),
        )
        error_weights = ints[:, INT_INDEX["kll.error_weight"]].tolist()
        compacted, parities = compactions.tolist(), offsets.tolist()
        sketches, first = [], 0
        for index, levels in enumerate(depth.tolist()):
            k, c, last = k_all[index], c_all[index], first + levels
            capacity = sum(capacities(k, c, levels))
            retained = bounds[last] - bounds[first]
            if retained > capacity:
                allowed = f"more than k={k}, c={c} allow ({capacity})"
                fail(
                    f"{column_path(self.names[index], index)}.kll.levels",
                    f"hold {retained} items, {allowed}",
                )
            sketches.append(
                UnpackedLater(
                    k,
                    c,
                    unpack,
                    bounds[first : last + 1],
                    compacted[first:last],
                    parities[first:last],
                    error_weights[index],
                )
            )
            first = last
        return sketches

    def _categories(self, ints: np.ndarray) -> tuple[list[CategoryCounts], list[pa.Array]]:
        """Each column's category counts, and the values an exact one counts: checked
        here, all columns at once, and turned into Python objects when first used."""
        form = ints[:, INT_INDEX["categories.form"]]
        entries = ints[:, INT_INDEX["categories.entries"]]
        sizes = _array(self.sections["text_sizes"], "text_sizes", "<i8")
        if len(sizes) != int(entries.sum()):
            fail("text_sizes", f"must hold {int(entries.sum())} sizes, got {len(sizes)}")
        owner = np.repeat(np.arange(len(entries)), entries)
        self._fail_first(sizes < 0, "categories", "a value of negative size", owner)
        strings = self._strings(sizes, owner)
        exact = np.repeat(form == EXACT, entries)
        # a value of at most MAX_TEXT_LENGTH bytes has at most as many characters
        if (exact & (sizes > MAX_TEXT_LENGTH)).any():
            longest = int(pc.max(pc.utf8_length(strings.filter(pa.array(exact)))).as_py())
            if longest > MAX_TEXT_LENGTH:
                too_long = exact & (sizes > MAX_TEXT_LENGTH)
                limit = f"values have at most {MAX_TEXT_LENGTH} characters"
                self._fail_first(too_long, "categories.exact", limit, owner)
        self._fail_first(
            ~exact & (sizes > MAX_ITEM_BYTES),
            "categories.sketch",
            "frequent-items sketch item is too long or not UTF-8 text",
            owner,
        )
        self._check_order(strings, owner, exact)
        exact_counts = _array(self.sections["counts"], "counts", "<i8")
        exact_owner = owner[exact]
        if len(exact_counts) != int(exact.sum()):
            fail("counts", f"must hold {int(exact.sum())} counts, got {len(exact_counts)}")
        self._fail_first(
            (exact_counts < 0) | (exact_counts > MAX_COUNT),
            "categories.exact",
            f"counts must be from 0 to {MAX_COUNT}",
            exact_owner,
        )
        heads = self.sections["frequent_heads"]
        head_sizes = ints[:, INT_INDEX["categories.header"]]
        if len(heads) != int(head_sizes.sum()):
            fail("frequent_heads", f"must hold {int(head_sizes.sum())} bytes, has {len(heads)}")
        present = (ints[:, 0] - ints[:, 1]).tolist()
        caps = ints[:, INT_INDEX["categories.cap"]].tolist()
        lgs = ints[:, INT_INDEX["categories.lg_max_map_size"]].tolist()
        bounds = list(accumulate(entries.tolist(), initial=0))
        counted = np.zeros(len(entries) + 1, dtype=np.int64)
        np.cumsum(np.bincount(exact_owner, minlength=len(entries)), out=counted[1:])
        self._exact_totals(ints, exact_counts, counted)
        raw = np.frombuffer(self.sections["texts"], dtype=np.uint8)
        ends = np.cumsum(sizes)
        found: list[CategoryCounts] = []
        values: list[pa.Array] = []
        at_head, none = 0, strings.slice(0, 0)
        for index, kind in enumerate(form.tolist()):
            first, last = bounds[index], bounds[index + 1]
            if kind == EXACT and first == last:  # a numeric column: nothing to build later
                values.append(none)
                found.append(CategoryCounts(caps[index], lgs[index]))
                continue
            own = strings.slice(first, last - first)
            if kind == EXACT:
                seen = exact_counts[counted[index] : counted[index + 1]]
                values.append(own)
                found.append(
                    CategoryCounts.later(caps[index], lgs[index], exact=partial(_exact, own, seen))
                )
                continue
            path = f"{column_path(self.names[index], index)}.categories"
            head = bytes(heads[at_head : at_head + int(head_sizes[index])])
            at_head += len(head)
            total, active, start = frequent_header(head, f"{path}.sketch", lgs[index])
            if active != last - first or len(head) != start:
                fail(f"{path}.sketch", "frequent-items sketch ends inside an item")
            if total > present[index]:
                fail(path, f"count {total} values, more than the {present[index]} present values")
            begin = int(ends[first - 1]) if first else 0
            texts = raw[begin : int(ends[last - 1])] if last > first else raw[:0]
            build = partial(_frequent, head, sizes[first:last], texts)
            values.append(none)
            found.append(CategoryCounts.later(caps[index], lgs[index], sketch=build))
        return found, values

    def _check_order(self, strings: pa.Array, owner: np.ndarray, exact: np.ndarray) -> None:
        """Each column's exact values in strictly increasing order (of their UTF-8 bytes,
        which is the order of their characters), as written: so no value appears twice."""
        if len(strings) < 2:
            return
        pairs = exact[1:] & (owner[1:] == owner[:-1])
        if not pairs.any():
            return
        later, earlier = strings.slice(1), strings.slice(0, len(strings) - 1)
        if not (mask(pc.less_equal(later, earlier)) & pairs).any():
            return
        same = mask(pc.equal(later, earlier)) & pairs
        self._fail_first(same, "categories.exact", "a value appears twice", owner[1:])
        before = mask(pc.less(later, earlier)) & pairs
        self._fail_first(before, "categories.exact", "values are not in sorted order", owner[1:])

    def _hashes(self, differences: np.ndarray, bounds: np.ndarray, thetas: list[int]) -> np.ndarray:
        """The stored theta sketches' hashes, from each column's differences between them
        (its first hash as it is), checked to be ordered, distinct and below theta."""
        problem = "theta sketch hashes are not ordered, distinct and below theta"
        if (differences.view(np.int64) <= 0).any():
            owner = np.repeat(np.arange(len(thetas)), np.diff(bounds))
            self._fail_first(differences.view(np.int64) <= 0, "distinct", problem, owner)
        # the running sum, less the sum before each column, gives the hashes back (column
        # by column, in place, the last first so that the sum before each column is still
        # there: a second array of them would cost more in fresh pages than it saves)
        hashes = np.cumsum(differences, dtype=np.uint64)
        edges = bounds.tolist()
        for first, last in reversed(list(pairwise(edges))):
            if first and last > first:
                hashes[first:last] -= hashes[first - 1]
        # Differences from 1 to 2**63 - 1 added to a hash below 2**63 cannot wrap around
        # 2**64: if every hash is below 2**63, none wrapped, each column's hashes increase,
        # and its last one below theta puts them all below theta.
        if (hashes.view(np.int64) < 0).any():
            owner = np.repeat(np.arange(len(thetas)), np.diff(bounds))
            self._fail_first(hashes.view(np.int64) < 0, "distinct", problem, owner)
        filled = bounds[1:] > bounds[:-1]
        above = np.zeros(len(thetas), dtype=bool)
        above[filled] = hashes[bounds[1:][filled] - 1] >= np.array(thetas, np.uint64)[filled]
        self._fail_first(above, "distinct", problem)
        return hashes

    def _exact_totals(self, ints: np.ndarray, counts: np.ndarray, counted: np.ndarray) -> None:
        """Exact counts adding up to at most each column's present values (``counted``:
        where each column's counts start and end)."""
        present = ints[:, 0] - ints[:, 1]
        starts, filled = counted[:-1], np.flatnonzero(counted[1:] > counted[:-1])
        if not len(filled):
            return
        totals = np.add.reduceat(counts, starts[filled])
        # counts are at most 2**53 each, so a sum in int64 can only wrap past 2**62
        if np.add.reduceat(counts, starts[filled], dtype=np.float64).max() < 2.0**62:
            over = filled[totals > present[filled]]
        else:
            over = [
                i
                for i in filled.tolist()
                if sum(counts[counted[i] : counted[i + 1]].tolist()) > present[i]
            ]
        for index in over[:1]:
            total = sum(counts[counted[index] : counted[index + 1]].tolist())
            path = f"{column_path(self.names[index], index)}.categories"
            fail(path, f"count {total} values, more than the {present[index]} present values")

    def _strings(self, sizes: np.ndarray, owner: np.ndarray) -> pa.Array:
        """The category values and frequent items as one Arrow array, its text checked."""
        blob = self.sections["texts"]
        ends = np.cumsum(sizes)
        if (int(ends[-1]) if len(ends) else 0) != len(blob):
            fail("texts", f"must hold {int(sizes.sum())} bytes, has {len(blob)}")
        offsets = pa.py_buffer(np.append(0, ends).astype(np.int64))
        strings = pa.LargeStringArray.from_buffers(len(sizes), offsets, pa.py_buffer(blob))
        try:
            strings.validate(full=True)
        except pa.ArrowInvalid:
            # the culprit is the first value that does not decode on its own
            spans = zip(ends.tolist(), sizes.tolist(), strict=True)
            bad = [not is_utf8(bytes(blob[end - size : end])) for end, size in spans]
            self._fail_first(np.array(bad), "categories", "a value is not UTF-8 text", owner)
            fail("texts", "are not UTF-8 text")
        return strings

    def _distinct(
        self, ints: np.ndarray, kll: list[KLLSketch], values: list[pa.Array]
    ) -> list[DistinctSketch]:
        source = ints[:, INT_INDEX["distinct.source"]].tolist()
        head_sizes = ints[:, INT_INDEX["distinct.header"]].tolist()
        held = ints[:, INT_INDEX["distinct.hashes"]]
        heads, data = self.sections["theta_heads"], self.sections["hashes"]
        if len(heads) != sum(head_sizes) or len(data) != 8 * int(held.sum()):
            fail("distinct", "stored theta sketches do not fill their sections")
        thetas, at = [MAX_THETA] * len(source), 0
        for index, kind in enumerate(source):
            if kind != STORED:
                continue
            head = bytes(heads[at : at + head_sizes[index]])
            at += head_sizes[index]
            path = f"{column_path(self.names[index], index)}.distinct"
            longs, announced, theta = theta_header(head, path)
            if len(head) != 8 * longs or announced != held[index]:
                size = len(head) + 8 * int(held[index])
                fail(path, f"theta sketch of {announced} hashes has {size} bytes")
            thetas[index] = theta
        bounds = np.zeros(len(held) + 1, dtype=np.int64)
        np.cumsum(held, out=bounds[1:])
        hashes = self._hashes(unshuffled(data, "<u8"), bounds, thetas)
        derived = [i for i, kind in enumerate(source) if kind != STORED]

        def inputs() -> tuple[list[np.ndarray], list[pa.Array]]:
            pairs = [derived_from(source[i], kll[i].levels, values[i]) for i in derived]
            return [pair[0] for pair in pairs], [pair[1] for pair in pairs]

        later = HashedLater(inputs)
        sketches: list[DistinctSketch] = [None] * len(source)  # type: ignore[list-item]
        for position, index in enumerate(derived):
            sketches[index] = later.sketch(position)
        edges = bounds.tolist()
        for index, kind in enumerate(source):
            if kind == STORED:
                first, last = edges[index], edges[index + 1]
                sketches[index] = DistinctSketch(hashes=hashes[first:last], theta=thetas[index])
        return sketches


class _Unpacked:
    """The KLL items of a file, unshuffled the first time a sketch needs them."""

    __slots__ = ("_data", "_items")

    def __init__(self, data: memoryview) -> None:
        self._data, self._items = data, None

    def __call__(self) -> np.ndarray:
        items = self._items  # the data is kept: another thread may be unshuffling it too
        if items is None:
            items = self._items = unshuffled(self._data, "<f8")
        return items


def _frequent_bytes(head: bytes, sizes: np.ndarray, texts: np.ndarray) -> tuple[bytes, np.ndarray]:
    """A frequent-items sketch in DataSketches' layout (header, weights, then each item
    as [u32 size][bytes]) from its parts, and where each item's bytes start."""
    items = len(sizes)
    out = np.empty(len(head) + 4 * items + len(texts), dtype=np.uint8)
    out[: len(head)] = np.frombuffer(head, dtype=np.uint8)
    prefixes = len(head) + 4 * np.arange(items) + np.cumsum(sizes) - sizes
    is_size = np.zeros(len(out), dtype=bool)
    spots = (prefixes[:, None] + np.arange(4)).ravel()
    is_size[spots] = True
    is_size[: len(head)] = True
    out[spots] = sizes.astype("<u4").view(np.uint8)
    out[~is_size] = texts
    return out.tobytes(), prefixes + 4


def _exact(values: pa.Array, counts: np.ndarray) -> dict[str, int]:
    return dict(zip(values.to_pylist(), counts.tolist(), strict=True))


def _frequent(
    head: bytes, sizes: np.ndarray, texts: np.ndarray
) -> datasketches.frequent_strings_sketch:
    return datasketches.frequent_strings_sketch.deserialize(_frequent_bytes(head, sizes, texts)[0])
