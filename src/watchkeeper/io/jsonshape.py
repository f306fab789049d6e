"""The shape of JSON Lines text, measured over arrays of bytes before a parser sees it.

pyarrow's JSON reader ends the whole process, instead of raising, on two inputs: a
chunk whose first value is ``null``, and values nested some ten thousand levels deep
(its parser recurses); it also spends time by the square of the depth of nested
arrays. So every chunk is measured first, with NumPy, in windows of ``WINDOW`` bytes,
so that memory stays bounded however long a line is:

* every line that is not blank must hold one JSON object, ``{`` first and ``}`` last
  (:func:`chunk_shape` finds the first line that does not);
* a line with more than ``MAX_NESTING`` opening brackets is measured exactly (brackets
  inside strings do not count), and a line that nests deeper than ``MAX_NESTING`` is
  split into its top-level members (:func:`members`) without any recursive parser.

>>> shape = chunk_shape(b'{"a": 1}\\n\\n null\\n')
>>> shape.not_object
2
>>> deep = b'{"k": ' + b"[" * 100 + b"]" * 100 + b', "n": 1}'
>>> [(key, len(value)) for key, value in members(deep)]
[(b'"k"', 200), (b'"n"', 1)]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise

import numpy as np

from watchkeeper.io.jsontext import MAX_NESTING

WINDOW = 1 << 20

_NEWLINE, _QUOTE, _BACKSLASH = 10, 34, 92
_SPACE = b" \t\r"
_FEW = 16  # pieces searched one by one
_OPEN, _CLOSE = b"{", b"}"
_BLANK = np.zeros(256, dtype=bool)
_BLANK[[9, 13, 32]] = True  # JSON whitespace within a line
# +1 opens a level, -1 closes one, 2 separates members (counted only when asked for)
_STEPS = np.zeros(256, dtype=np.int8)
_STEPS[[ord("{"), ord("[")]] = 1
_STEPS[[ord("}"), ord("]")]] = -1
_STEPS_AND_SEPARATORS = _STEPS.copy()
_STEPS_AND_SEPARATORS[[ord(":"), ord(",")]] = 2


@dataclass
class ChunkShape:
    """What :func:`chunk_shape` found: the index of the first non-blank line that is not
    one object (None if every line is), and ``(index, start, stop)`` of each line that
    nests deeper than ``MAX_NESTING``."""

    not_object: int | None = None
    deep: list[tuple[int, int, int]] = field(default_factory=list)


@dataclass
class _OpenLine:
    """A line that runs on past the end of a window."""

    start: int = 0
    first: int = -1  # first byte that is not whitespace, -1 while none
    last: int = -1
    opens: int = 0


def chunk_shape(data: bytes) -> ChunkShape:
    """Check the lines of ``data`` (whole lines of JSON text) before a parser meets them.

    Lines are numbered from 0 within ``data``. Stops at the first line that is not an
    object: what follows it is never parsed.
    """
    view = np.frombuffer(data, dtype=np.uint8)
    shape = ChunkShape()
    pending = _OpenLine()
    index = 0
    for low in range(0, len(view), WINDOW):
        window = view[low : low + WINDOW]
        breaks = np.flatnonzero(window == _NEWLINE)
        starts = np.concatenate(([0], breaks + 1))
        stops = np.concatenate((breaks, [len(window)]))
        first, last = _ends(window, starts, stops)
        opens = _counts(_brackets(window)[0], starts, stops)
        # the window's first piece continues the line the last window left open
        continued = pending.start < low
        if pending.first >= 0:
            first[0] = pending.first
        if last[0] < 0:
            last[0] = pending.last
        opens[0] += pending.opens
        ended = len(breaks) if low + len(window) < len(view) else len(breaks) + 1
        filled = first[:ended] >= 0
        bad = np.flatnonzero(filled & ((first[:ended] != 123) | (last[:ended] != 125)))
        until = int(bad[0]) if bad.size else ended
        suspects = np.flatnonzero(opens[:until] > MAX_NESTING)
        if suspects.size:
            depths = _window_depths(window, starts)
            for piece in suspects.tolist():
                if piece == 0 and continued:  # measured whole: its start is in an earlier window
                    depth = _deepest(view, pending.start, low + int(stops[0]))
                else:
                    depth = int(depths[piece])
                if depth > MAX_NESTING:
                    line_start = pending.start if piece == 0 else low + int(starts[piece])
                    shape.deep.append((index + piece, line_start, low + int(stops[piece])))
        if bad.size:
            shape.not_object = index + int(bad[0])
            return shape
        index += ended
        if ended == len(breaks):
            line_start = pending.start if len(breaks) == 0 else low + int(starts[-1])
            pending = _OpenLine(line_start, int(first[-1]), int(last[-1]), int(opens[-1]))
    return shape


def _ends(window: np.ndarray, starts: np.ndarray, stops: np.ndarray) -> tuple[np.ndarray, ...]:
    """The first and last byte of each piece that is not whitespace (-1 for none).

    Lines nearly always start with ``{`` and end with ``}``: only the pieces that do
    not are searched, one by one when they are few, else all at once.
    """
    filled = stops > starts
    first = np.full(len(starts), -1, dtype=np.int64)
    last = np.full(len(starts), -1, dtype=np.int64)
    first[filled] = window[starts[filled]]
    last[filled] = window[stops[filled] - 1]
    unsure = np.flatnonzero(filled & (_BLANK[np.maximum(first, 0)] | _BLANK[np.maximum(last, 0)]))
    if len(unsure) <= _FEW:
        for piece in unsure.tolist():
            text = window[starts[piece] : stops[piece]].tobytes().strip(_SPACE)
            first[piece], last[piece] = (text[0], text[-1]) if text else (-1, -1)
        return first, last
    blank = (window == 32) | (window == 9) | (window == 13) | (window == _NEWLINE)
    solid = np.flatnonzero(~blank)
    low = np.searchsorted(solid, starts[unsure])
    high = np.searchsorted(solid, stops[unsure])
    some = high > low
    found_first = np.full(len(low), -1, dtype=np.int64)
    found_last = np.full(len(low), -1, dtype=np.int64)
    found_first[some] = window[solid[low[some]]]
    found_last[some] = window[solid[high[some] - 1]]
    first[unsure], last[unsure] = found_first, found_last
    return first, last


def _counts(flags: np.ndarray, starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """How many flags are set in each piece."""
    counts = np.add.reduceat(flags, np.minimum(starts, len(flags) - 1), dtype=np.int64)
    counts[stops <= starts] = 0
    return counts


def _deepest(view: np.ndarray, start: int, stop: int) -> int:
    """How deeply one line nests."""
    return _measure(view, start, stop).deepest


def _measure(view: np.ndarray, start: int, stop: int, separators: bool = False) -> _Nesting:
    """One line's nesting, fed to :class:`_Nesting` window by window."""
    nesting = _Nesting(separators)
    for low in range(start, stop, WINDOW):
        nesting.add(view[low : min(low + WINDOW, stop)], low)
    return nesting


def _window_depths(window: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """How deeply each piece of one window nests (pieces begin at ``starts``), all at once.

    Pieces are lines, or the ends of lines that began in an earlier window: each is
    measured from its own start in the window. Counts before a position come from
    running sums over the window's bytes (comparisons and sums, no searching).
    """
    slashes = window == _BACKSLASH
    previous = np.concatenate(([False], slashes[:-1]))
    quotes = np.flatnonzero(window == _QUOTE)
    quotes = quotes[~_escaped(slashes, previous, quotes, 0)]
    opening, closing = _brackets(window)
    marks = np.flatnonzero(opening | closing)
    deepest = np.zeros(len(starts), dtype=np.int64)
    if not len(marks):
        return deepest
    piece = np.cumsum(window == _NEWLINE, dtype=np.int32)[marks]
    # a bracket is outside strings when an even number of quotes precede it in its line
    is_quote = np.zeros(len(window) + 1, dtype=bool)
    is_quote[quotes + 1] = True
    quotes_before = np.cumsum(is_quote, dtype=np.int32)  # at each position, quotes before it
    before = quotes_before[marks] - quotes_before[starts][piece]
    outside = before % 2 == 0
    marks, piece = marks[outside], piece[outside]
    if not len(marks):
        return deepest
    moves = np.where(opening[marks], 1, -1)
    levels = np.cumsum(moves)
    groups = np.flatnonzero(np.concatenate(([True], piece[1:] != piece[:-1])))
    sizes = np.diff(np.concatenate((groups, [len(marks)])))
    levels -= np.repeat(levels[groups] - moves[groups], sizes)
    deepest[piece[groups]] = np.maximum.reduceat(levels, groups)
    return deepest


def _brackets(window: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Masks of opening and closing brackets (comparisons beat a lookup table here)."""
    return (window == 123) | (window == 91), (window == 125) | (window == 93)


def _escaped(slashes: np.ndarray, previous: np.ndarray, quotes: np.ndarray, carried: int):
    """Which quotes an odd run of backslashes escapes; ``previous`` says whether the byte
    before each is a backslash, ``carried`` how many ended the window before."""
    escaped = np.zeros(len(quotes), dtype=bool)
    after = previous[quotes]
    if not after.any():
        return escaped
    run_starts = np.flatnonzero(slashes & ~previous)
    candidates = quotes[after]
    at = np.searchsorted(run_starts, candidates - 1, side="right") - 1
    inside = at >= 0
    begun = run_starts[np.maximum(at, 0)] if len(run_starts) else np.zeros(len(at), np.int64)
    # a run that began in an earlier window counts the backslashes carried over
    lengths = np.where(inside, candidates - begun, candidates + carried)
    escaped[after] = lengths % 2 == 1
    return escaped


class _Nesting:
    """The nesting of one line, outside strings, fed window by window.

    A quote ends or starts a string unless an odd number of backslashes precede it;
    the run of backslashes, the string state and the depth carry over from window to
    window. With ``separators``, the positions of ``:`` and ``,`` at depth 1 and of
    every return to depth 0 are kept too (for :func:`members`).
    """

    def __init__(self, separators: bool = False) -> None:
        self.depth = self.deepest = self.lowest = 0
        self.in_string = False
        self.backslashes = 0  # the length of the run of backslashes that ended the window
        self.keep = separators
        self.separators: list[np.ndarray] = []
        self.closed: list[np.ndarray] = []

    def add(self, window: np.ndarray, low: int) -> None:
        slashes = window == _BACKSLASH
        previous = np.concatenate(([self.backslashes > 0], slashes[:-1]))
        quotes = np.flatnonzero(window == _QUOTE)
        quotes = quotes[~_escaped(slashes, previous, quotes, self.backslashes)]
        self._carry_backslashes(slashes)
        kinds = (_STEPS_AND_SEPARATORS if self.keep else _STEPS)[window]
        marks = np.flatnonzero(kinds)
        before = np.searchsorted(quotes, marks) + int(self.in_string)
        marks = marks[before % 2 == 0]
        self.in_string = (len(quotes) + int(self.in_string)) % 2 == 1
        if not len(marks):
            return
        kinds = kinds[marks].astype(np.int64)
        moves = np.where(kinds == 2, 0, kinds)
        levels = self.depth + np.cumsum(moves)
        self.deepest = max(self.deepest, int(levels.max()))
        self.lowest = min(self.lowest, int(levels.min()))
        self.depth = int(levels[-1])
        if self.keep:
            self.separators.append(low + marks[(kinds == 2) & (levels == 1)])
            self.closed.append(low + marks[(moves == -1) & (levels == 0)])

    def _carry_backslashes(self, slashes: np.ndarray) -> None:
        if slashes.all():
            self.backslashes += len(slashes)
        else:
            self.backslashes = int(np.argmax(~slashes[::-1]))


def members(line: bytes) -> list[tuple[bytes, bytes]] | None:
    """The ``(key, value)`` texts of a one-object line, as written, found without a
    recursive parser; None when the brackets or separators do not make one object.

    Keys keep their quotes (decode them with ``json.loads``); values are stripped of
    the whitespace around them and are not checked further.
    """
    view = np.frombuffer(line, dtype=np.uint8)
    start = len(line) - len(line.lstrip(_SPACE + b"\n"))
    stop = len(line.rstrip(_SPACE + b"\n"))
    if line[start : start + 1] != _OPEN or line[stop - 1 : stop] != _CLOSE or stop - start < 2:
        return None
    nesting = _measure(view, start, stop, separators=True)
    closed = np.concatenate(nesting.closed) if nesting.closed else np.empty(0, np.int64)
    if nesting.lowest < 0 or nesting.depth != 0 or nesting.in_string:
        return None
    if len(closed) != 1 or int(closed[0]) != stop - 1:
        return None  # more than one value on the line
    cuts = np.concatenate(nesting.separators) if nesting.separators else np.empty(0, np.int64)
    if not len(cuts):
        return [] if not line[start + 1 : stop - 1].strip() else None
    marks = view[cuts]
    if len(cuts) % 2 == 0 or (marks[0::2] != ord(":")).any() or (marks[1::2] != ord(",")).any():
        return None
    bounds = [start, *cuts.tolist(), stop - 1]
    pieces = [line[a + 1 : b].strip(_SPACE + b"\n") for a, b in pairwise(bounds)]
    if not all(pieces):
        return None
    return list(zip(pieces[0::2], pieces[1::2], strict=True))
