"""How CSV files are parsed: the options a user can set."""

from __future__ import annotations

import codecs
from dataclasses import dataclass

from watchkeeper.errors import UsageError

# Rows per record batch unless the caller says otherwise. Profiling pays a fixed cost per
# batch and column (a few dozen NumPy calls, one merge of each sketch's state), which at
# 128 Ki rows is a fifth less of the whole than at 64 Ki; a batch of 20 columns is then
# about 20 MB of Arrow data.
BATCH_ROWS = 131_072
DEFAULT_NULL_VALUES = ("", "NA", "N/A", "NaN", "nan", "null", "NULL", "None", "#N/A")


@dataclass(frozen=True)
class CsvOptions:
    """How to parse CSV (and TSV) files.

    Args:
        header: whether the first row holds column names. ``None`` decides per file: the
            first row is data when every non-empty field in it is a number, else names.
            Files without a header get SageMaker's names ``_c0, _c1, …``.
        delimiter: the field separator (one character). ``.tsv`` files use a tab unless
            another delimiter than ``","`` is given here.
        quote_char: the character that quotes fields holding delimiters or newlines.
        encoding: any Python codec name. A UTF-8 byte-order mark is always dropped.
        null_values: field texts that mean "missing".
        column_names: names to use instead of the header (or of ``_c0…``); there must be
            exactly one per column.

    Example:
        >>> CsvOptions(header=False, delimiter=";").delimiter
        ';'
    """

    header: bool | None = None
    delimiter: str = ","
    quote_char: str = '"'
    encoding: str = "utf-8"
    null_values: tuple[str, ...] = DEFAULT_NULL_VALUES
    column_names: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if self.header not in (None, True, False):
            raise UsageError(f"CsvOptions header must be True, False or None, not {self.header!r}")
        _check_char("delimiter", self.delimiter, forbidden="\r\n")
        _check_char("quote_char", self.quote_char, forbidden="\r\n" + self.delimiter)
        try:
            codecs.lookup(self.encoding)
        except (LookupError, TypeError) as exc:
            raise UsageError(
                f"CsvOptions encoding {self.encoding!r} is not a known text encoding"
                " (e.g. 'utf-8', 'latin-1', 'cp1252', 'utf-16')"
            ) from exc
        object.__setattr__(self, "null_values", _strings("null_values", self.null_values))
        if self.column_names is not None:
            names = _strings("column_names", self.column_names)
            _check_names(names)
            object.__setattr__(self, "column_names", names)


def _check_char(option: str, value: object, *, forbidden: str) -> None:
    if not isinstance(value, str) or len(value) != 1 or value in forbidden:
        raise UsageError(
            f"CsvOptions {option} must be one character other than a newline"
            f"{' or the delimiter' if option == 'quote_char' else ''}, not {value!r}"
        )


def _strings(option: str, values: object) -> tuple[str, ...]:
    if isinstance(values, str) or not all(isinstance(v, str) for v in values):  # type: ignore[attr-defined]
        raise UsageError(f"CsvOptions {option} must be a sequence of strings, not {values!r}")
    return tuple(values)  # type: ignore[arg-type]


def _check_names(names: tuple[str, ...]) -> None:
    if not names or any(not name for name in names):
        raise UsageError("CsvOptions column_names must be non-empty names")
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise UsageError(f"CsvOptions column_names must be unique; repeated: {duplicates}")
