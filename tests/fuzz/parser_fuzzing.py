"""What the parser fuzzers share: the example budget, hostile values, mutations of real
documents, and the one property every parser keeps.

The property: whatever the input, a parser answers with a result or with one of
watchkeeper's own errors, whose message is one line naming the file (or field) — never
another exception, never a hang.

Examples per test: ``WATCHKEEPER_FUZZ`` picks the settings profile, ``ci`` by default
(a fixed, small set of examples so the suite stays fast and repeatable), ``long`` for
thousands of fresh examples per parser, or a number of examples::

    WATCHKEEPER_FUZZ=long pytest tests/fuzz
    WATCHKEEPER_FUZZ=5000 pytest tests/fuzz/test_fuzz_rules.py
"""

from __future__ import annotations

import copy
import json
import math
import signal
from collections.abc import Callable, Iterable
from typing import Any

from hypothesis import HealthCheck, event
from hypothesis import strategies as st

from fuzzing import fuzz_settings
from watchkeeper.errors import WatchkeeperError

_QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]
FUZZ = fuzz_settings(ci=100, long=2_000, suppress_health_check=_QUIET)

# Generous for inputs of a few kilobytes, even on a loaded machine: only a loop without
# bound (or one bounded by a number read from the input) comes near it.
SECONDS_PER_EXAMPLE = 20
MAX_MESSAGE = 600


class TooSlow(BaseException):
    """A parser ran past the per-example time limit (a BaseException, so that a parser's
    own ``except Exception`` cannot swallow it)."""


def _too_slow(signum: int, frame: Any) -> None:
    raise TooSlow(f"no answer within {SECONDS_PER_EXAMPLE} s")


def holds(
    parse: Callable[..., Any], *args: Any, names: Iterable[str] = (), **options: Any
) -> Any:
    """``parse(*args, **options)``: its result, or the watchkeeper error it raised.

    The error's message must be one plain line that mentions one of ``names`` (when
    given). Any other exception, or no answer within the time limit, fails the test.
    """
    previous = signal.signal(signal.SIGALRM, _too_slow)
    signal.setitimer(signal.ITIMER_REAL, SECONDS_PER_EXAMPLE)
    try:
        answer = parse(*args, **options)
    except WatchkeeperError as exc:
        assert_one_line(str(exc), names)
        answer = exc
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    event(f"{getattr(parse, '__name__', 'parse')}: {type(answer).__name__}")
    return answer


def assert_one_line(message: str, names: Iterable[str] = ()) -> None:
    assert message.strip(), "an empty error message"
    assert "\n" not in message and "\r" not in message, f"a message of several lines: {message!r}"
    assert len(message) <= MAX_MESSAGE, f"a message of {len(message)} characters"
    names = list(names)
    assert not names or any(name in message for name in names), (
        f"the message names none of {names}: {message!r}"
    )


# -- hostile values -------------------------------------------------------------------

# Replaced by text nested far deeper than any recursive reader can follow.
DEEP = "deep-nesting-marker"
DEPTH = 5_000
HUGE = 10**400

nasty = st.one_of(
    st.sampled_from(
        [
            None, True, False, 0, -1, 1, 2**63, -(2**63) - 1, HUGE, -HUGE,
            1e308, -1e308, 5e-324, math.nan, math.inf, -math.inf, 0.5, -0.0,
            "", "NaN", "Infinity", "-Infinity", "1e999", "0x10", " 1", "1\n", "\n",
            "a\nb", "\x00", "é", "😀", "\ud800", "x" * 10_000, "[/x]",
            [], {}, [[]], {"": None}, DEEP,
        ]
    ),
    st.integers(),
    st.floats(),
    st.text(max_size=20),
    st.lists(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=5)),
             max_size=4),
    st.dictionaries(st.text(max_size=5), st.one_of(st.none(), st.integers(), st.text(max_size=5)),
                    max_size=3),
)  # fmt: skip


def _places(holder: list[Any]) -> list[tuple[Any, Any]]:
    """Every (container, key) of a document held as ``holder[0]``; long lists of scalars
    contribute their ends only, so that mutations mostly change the structure."""
    places: list[tuple[Any, Any]] = [(holder, 0)]
    stack = [holder[0]]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            keys: list[Any] = list(node)
        elif isinstance(node, list):
            keys = list(range(len(node)))
            if len(keys) > 4 and not any(isinstance(v, dict | list) for v in node):
                keys = keys[:2] + keys[-1:]
        else:
            continue
        for key in keys:
            places.append((node, key))
            stack.append(node[key])
    return places


@st.composite
def mutated(draw: st.DrawFn, document: Any, most: int = 3) -> Any:
    """``document`` with one to ``most`` changes: a value replaced by a hostile one, a key
    removed, a list grown or an item repeated, a value wrapped in another level."""
    holder = [copy.deepcopy(document)]
    for _ in range(draw(st.integers(1, most))):
        container, key = draw(st.sampled_from(_places(holder)))
        change = draw(st.sampled_from(["replace", "replace", "delete", "grow", "repeat", "wrap"]))
        # a copy: the strategy's own lists and objects must not change between examples
        hostile = copy.deepcopy(draw(nasty))
        value = container[key]
        if change == "delete" and container is not holder:
            del container[key]
        elif change == "grow" and isinstance(value, list):
            value.append(hostile if draw(st.booleans()) or not value else copy.deepcopy(value[0]))
        elif change == "repeat" and isinstance(container, list) and container is not holder:
            container.insert(key, copy.deepcopy(value))
        elif change == "wrap":
            container[key] = [value] if draw(st.booleans()) else {"value": value}
        else:
            container[key] = hostile
    return holder[0]


def json_bytes(document: Any, ascii_only: bool = True) -> bytes:
    """The document as JSON (NaN and infinities as Python writes them), the deep marker
    expanded; with ``ascii_only`` off, a lone surrogate becomes invalid UTF-8."""
    text = json.dumps(document, ensure_ascii=ascii_only)
    text = text.replace(f'"{DEEP}"', "[" * DEPTH + "]" * DEPTH)
    return text.encode("utf-8", "surrogatepass")


def spoiled(original: bytes) -> st.SearchStrategy[bytes]:
    """Bytes near ``original``: cut short, a few bytes replaced, or unrelated bytes."""
    return st.one_of(
        st.binary(max_size=300),
        st.integers(0, len(original)).map(lambda n: original[:n]),
        st.tuples(st.integers(0, max(len(original) - 1, 0)), st.binary(min_size=1, max_size=4))
        .map(lambda cut: original[: cut[0]] + cut[1] + original[cut[0] + 1 :]),
        st.text(alphabet='{}[]",:0123456789.eE-+ nultrfasNIiy\n\\', max_size=120)
        .map(str.encode),
    )  # fmt: skip
