"""Reading and writing the CSV files of ``respira spirometry interpret``.

The science (``respira.science.spirometry``) does no I/O; this module turns a CSV of
spirometry records into arrays, calls :func:`interpret_arrays` on blocks of rows, and
writes the input columns unchanged followed by the results.

Speed without giving up exactness (a million rows in a few seconds):

* **Reading.** A file without quote characters is split with NumPy on the raw bytes
  (newlines, then commas). Numbers of the form ``[+-]digits[.digits]`` with at most
  17 significant digits and a value below 2^53 in the mantissa are converted as
  ``mantissa / 10^decimals`` — one correctly rounded division of two exactly
  representable doubles, which gives the same double as Python's ``float()``
  (Clinger's fast path). Anything else (exponents, spaces, long mantissas) goes
  through ``float()`` after a strict syntax check; ``nan``/``inf`` and text are
  errors. Files with quotes are read with the :mod:`csv` module instead.
* **Writing.** Every number is written in fixed-point notation with 10 decimal places,
  correctly rounded from the float64 result — the same text as Python's
  ``format(x, ".10f")`` (round-half-even on the exact binary value). 10 decimals keep
  the 1e-9 agreement with the GLI worked examples through a CSV round trip. The
  digits are made with integer arithmetic on ``rint(x·10^10)``; the only inexact
  step, the product x·10^10, is off by at most half an ulp, so the few values whose
  fraction lies within one ulp of a rounding tie (and values of 10^5 or more) are
  formatted by Python instead. Rows are laid out in a byte canvas whose slot widths
  are fitted to each block's data, and the NUL padding is squeezed out at the end.
  Rows with an error message, or whose numbers needed Python, are written by a plain
  Python formatter and spliced in; both writers give identical text.
* Output goes to a temporary file beside the target, renamed into place at the end:
  an interrupted run leaves no half-written output.
"""

from __future__ import annotations

import csv
import io
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from respira.science.spirometry import PARAMETERS, equations_version, requires_ethnicity
from respira.science.spirometry.interpretation import (
    BDR_RULES,
    PATTERNS,
    SEVERITIES,
    BatchInterpretation,
    interpret_arrays,
)

__all__ = [
    "CHUNK_ROWS",
    "OUTPUT_COLUMNS",
    "REQUIRED_COLUMNS",
    "CsvInputError",
    "CsvSummary",
    "format_fixed",
    "interpret_csv",
    "parse_decimal_fields",
]

REQUIRED_COLUMNS: Final = ("id", "sex", "age", "height_cm", "fev1", "fvc")
OPTIONAL_COLUMNS: Final = ("ethnicity", "fev1_post", "fvc_post", "fef2575", "fef75")
#: CSV column → argument of interpret_arrays (also the field name in messages).
NUMERIC_COLUMNS: Final = {
    "age": "age",
    "height_cm": "height_cm",
    "fev1": "fev1_pre_l",
    "fvc": "fvc_pre_l",
    "fev1_post": "fev1_post_l",
    "fvc_post": "fvc_post_l",
    "fef2575": "fef2575_pre_l_s",
    "fef75": "fef75_pre_l_s",
}
OUTPUT_COLUMNS: Final = (
    *(f"{p}_{f}" for p in PARAMETERS for f in ("pred", "lln", "uln", "z", "pctpred")),
    "pattern",
    "severity",
    "bdr",
    "bdr_fev1_pct_pred_change",
    "bdr_fvc_pct_pred_change",
    "bdr_2005",
    "error",
)
CHUNK_ROWS: Final = 65536
DECIMALS: Final = 10

_MAX_PREFIX = 512  # longer input lines are written by the Python formatter
_MAX_FAST_ABS = 1e5  # numbers from here on are formatted by Python
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_POW10 = 10.0 ** np.arange(23)  # exact doubles for 10^0..10^22


class CsvInputError(Exception):
    """The file cannot be processed at all (unreadable, no header, missing column)."""


@dataclass
class CsvSummary:
    rows: int = 0
    rows_with_errors: int = 0
    first_errors: list[tuple[int, str]] = field(default_factory=list)  # (line, message)
    equations_version: str = ""


# --------------------------------------------------------------------------- bytes


class _Buffer:
    """Bytes kept 8-byte aligned with spare zeros after the end, for word gathers."""

    _SPARE = 48

    def __init__(self, data: bytes | NDArray[np.uint8]) -> None:
        size = len(data)
        padded = np.zeros(-(-(size + self._SPARE) // 8) * 8, dtype=np.uint8)
        padded[:size] = np.frombuffer(data, dtype=np.uint8) if isinstance(data, bytes) else data
        self.size = size
        self.raw = padded[:size]
        self.words = padded.view(np.uint64)

    def text(self, start: int, end: int) -> str:
        return bytes(self.raw[start:end]).decode("utf-8", "replace")

    def gather(
        self, start: NDArray[np.int64], length: NDArray[np.int64], n_words: int
    ) -> NDArray[np.uint64]:
        """(rows, n_words) little-endian words holding bytes [start, start+length) of
        each row (at most 8·n_words of them), zero beyond: two aligned loads and a
        funnel shift per word instead of a byte-by-byte fancy gather."""
        rows = start.size
        out = np.empty((rows, n_words), dtype=np.uint64)
        base = start >> 3
        last = self.words.size - 1
        # Words past the buffer only ever hold masked-off bytes: clamp their index.
        clamp = rows > 0 and int(base.max()) + n_words + 1 > last
        shift = ((start & 7) << 3).astype(np.uint64)
        back = np.uint64(64) - shift  # a shift by 64 gives 0 in NumPy
        low = self.words[np.minimum(base, last)]
        for k in range(n_words):
            index = base + (k + 1)
            high = self.words[np.minimum(index, last) if clamp else index]
            word = low >> shift
            word |= high << back
            keep = np.clip(length - 8 * k, 0, 8).astype(np.uint64)
            word &= (np.uint64(1) << (keep << np.uint64(3))) - np.uint64(1)  # 8 → all ones
            out[:, k] = word
            low = high
        return out


# --------------------------------------------------------------------------- reading


@dataclass
class _Spans:
    """Byte ranges [start, end) of one field per row, in ``buf``."""

    buf: _Buffer
    start: NDArray[np.int64]
    end: NDArray[np.int64]

    def text(self, i: int) -> str:
        return self.buf.text(int(self.start[i]), int(self.end[i]))


@dataclass
class _Chunk:
    rows: int
    line_numbers: NDArray[np.int64]
    prefix: _Spans
    fields: dict[str, _Spans]
    shape_error: dict[int, str]  # row in chunk → message (wrong number of fields)
    # Rows with the wrong number of fields: their input fitted to the header (padded
    # with empty fields, or cut after the last header column) so results line up.
    fitted: dict[int, bytes] = field(default_factory=dict)


class _Source:
    """A CSV file split into a header and rows, served in chunks."""

    header: list[str]
    header_raw: bytes
    rows: int

    def chunks(self, size: int, columns: list[str]) -> Iterator[_Chunk]:
        raise NotImplementedError


def _header_names(text: str) -> list[str]:
    return [name.strip() for name in text.split(",")]


class _FastSource(_Source):
    """Unquoted CSV: split on bytes with NumPy."""

    def __init__(self, data: bytes) -> None:
        self._buffer = _Buffer(data)
        buf = self._buffer.raw
        newlines = np.flatnonzero(buf == 10)
        starts = np.concatenate(([0], newlines + 1))
        ends = np.concatenate((newlines, [buf.size]))
        if starts[-1] == buf.size:  # the file ends with a newline: no last line
            starts, ends = starts[:-1], ends[:-1]
        carriage = ends > starts
        carriage[carriage] = buf[ends[carriage] - 1] == 13
        ends = ends - carriage
        self.header_raw = bytes(buf[starts[0] : ends[0]])
        self.header = _header_names(self.header_raw.decode("utf-8"))
        numbers = np.arange(1, starts.size + 1)
        keep = ends > starts  # blank lines are not records
        keep[0] = False
        self._starts = starts[keep].astype(np.int64)
        self._ends = ends[keep].astype(np.int64)
        self._line_numbers = numbers[keep].astype(np.int64)
        self.rows = int(self._starts.size)

    def chunks(self, size: int, columns: list[str]) -> Iterator[_Chunk]:
        buf = self._buffer.raw
        width = len(self.header)
        wanted = {name: self.header.index(name) for name in columns}
        for a in range(0, self.rows, size):
            b = min(a + size, self.rows)
            starts = self._starts[a:b]
            ends = self._ends[a:b]
            lo, hi = int(starts[0]), int(ends[-1])
            commas = np.flatnonzero(buf[lo:hi] == 44).astype(np.int64) + lo
            first = np.searchsorted(commas, starts)
            count = np.searchsorted(commas, ends) - first
            good = count == width - 1
            shape_error: dict[int, str] = {}
            fitted: dict[int, bytes] = {}
            if not good.all():
                for i in np.flatnonzero(~good).tolist():
                    found = int(count[i]) + 1
                    line = bytes(buf[starts[i] : ends[i]])
                    message = f"row has {found} fields, the header has {width}"
                    if found < width:
                        fitted[i] = line + b"," * (width - found)
                    else:
                        cut = int(commas[first[i] + width - 1]) - int(starts[i])
                        fitted[i] = line[:cut]
                        extra = line[cut + 1 :].decode("utf-8", "replace")
                        message += f"; extra fields left out: {extra!r}"
                    shape_error[i] = message
            n = b - a
            g = np.flatnonzero(good) if shape_error else slice(None)
            fields: dict[str, _Spans] = {}
            for name, j in wanted.items():
                f_start = np.zeros(n, dtype=np.int64)
                f_end = np.zeros(n, dtype=np.int64)
                f_start[g] = starts[g] if j == 0 else commas[first[g] + (j - 1)] + 1
                f_end[g] = ends[g] if j == width - 1 else commas[first[g] + j]
                fields[name] = _Spans(self._buffer, f_start, f_end)
            prefix = _Spans(self._buffer, starts, ends)
            yield _Chunk(n, self._line_numbers[a:b], prefix, fields, shape_error, fitted)


class _SlowSource(_Source):
    """Quoted CSV: read with the csv module, then laid out like the fast source."""

    def __init__(self, text: str) -> None:
        reader = csv.reader(io.StringIO(text, newline=""))
        try:
            header = next(reader)
        except StopIteration:
            raise CsvInputError("the file is empty (no header row)") from None
        self.header = [name.strip() for name in header]
        self.header_raw = _csv_line(header).encode("utf-8")
        rows: list[list[str]] = []
        lines: list[int] = []
        for row in reader:
            if row:
                rows.append(row)
                lines.append(reader.line_num)
        self._rows = rows
        self._lines = np.array(lines, dtype=np.int64)
        self.rows = len(rows)

    @staticmethod
    def _pack(values: list[str]) -> _Spans:
        encoded = [v.encode("utf-8") for v in values]
        lengths = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded))
        ends = np.cumsum(lengths)
        return _Spans(_Buffer(b"".join(encoded)), ends - lengths, ends)

    def chunks(self, size: int, columns: list[str]) -> Iterator[_Chunk]:
        width = len(self.header)
        wanted = {name: self.header.index(name) for name in columns}
        for a in range(0, self.rows, size):
            rows = self._rows[a : a + size]
            shape_error: dict[int, str] = {}
            fitted: dict[int, bytes] = {}
            for i, row in enumerate(rows):
                if len(row) == width:
                    continue
                message = f"row has {len(row)} fields, the header has {width}"
                if len(row) > width:
                    message += f"; extra fields left out: {','.join(row[width:])!r}"
                shape_error[i] = message
                fitted[i] = _csv_line((row + [""] * width)[:width]).encode("utf-8")
            fields = {
                name: self._pack([row[j] if len(row) == width else "" for row in rows])
                for name, j in wanted.items()
            }
            prefix = self._pack([_csv_line(row) for row in rows])
            yield _Chunk(len(rows), self._lines[a : a + size], prefix, fields, shape_error, fitted)


def _csv_line(row: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(row)
    return out.getvalue()


def _open_source(data: bytes) -> _Source:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if not data or data.isspace():
        raise CsvInputError("the file is empty (no header row)")
    if b"\0" in data:
        raise CsvInputError("the file contains NUL bytes: it is not a text CSV file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CsvInputError(f"the file is not UTF-8 text ({exc})") from None
    lone_cr = b"\r" in data and data.count(b"\r") != data.count(b"\r\n")
    if b'"' in data or lone_cr:
        return _SlowSource(text)
    return _FastSource(data)


_ONES: Final = np.uint64(0x0101010101010101)


def parse_decimal_fields(
    buf: _Buffer, start: NDArray[np.int64], end: NDArray[np.int64]
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Numbers from byte ranges: (values, bad). Empty fields are NaN and not bad.

    The result equals ``float(text)`` for every accepted text (see the module
    docstring); text that is not a finite decimal number is ``bad``.
    """
    n = start.size
    values = np.full(n, np.nan)
    bad = np.zeros(n, dtype=np.bool_)
    length = end - start
    present = length > 0
    if not present.any():
        return values, bad
    n_words = 1 if int(length.max()) <= 8 else 2
    width = 8 * n_words
    words = buf.gather(start, length, n_words)
    g = words.view(np.uint8).reshape(n, width)
    value = g - np.uint8(48)
    digit = value < 10
    dot = g == 46
    sign = (g[:, 0] == 45) | (g[:, 0] == 43)
    other = (g != 0) & ~digit & ~dot
    other[:, 0] &= ~sign
    # Per-row counts from the 0/1 bytes viewed as words: popcount of each word.
    digit_w = digit.view(np.uint64)
    dot_w = dot.view(np.uint64)
    other_w = other.view(np.uint64)
    n_digits = np.bitwise_count(digit_w).sum(axis=1, dtype=np.int64)
    n_dots = np.bitwise_count(dot_w).sum(axis=1, dtype=np.int64)
    clean = (other_w == 0).all(axis=1)
    ok = present & (length <= width) & clean & (n_dots <= 1) & (n_digits >= 1)
    ok &= n_digits <= 17
    # Digits after the dot: the bytes above the dot's byte, word by word.
    decimals = np.zeros(n, dtype=np.int64)
    dot_seen = np.zeros(n, dtype=np.bool_)
    for k in range(n_words):
        d = dot_w[:, k]
        above = ~((d << np.uint64(8)) - np.uint64(1))  # no dot here: 0
        above[dot_seen] = np.uint64(0xFFFFFFFFFFFFFFFF)
        decimals += np.bitwise_count(digit_w[:, k] & above).astype(np.int64)
        dot_seen |= d != 0
    mantissa = np.zeros(n, dtype=np.int64)
    step = np.empty(n, dtype=np.int64)
    for j in range(width):
        np.multiply(mantissa, 10, out=step)
        step += value[:, j]
        np.copyto(mantissa, step, where=digit[:, j])
    ok &= mantissa <= 2**53
    decimals[~ok] = 0
    fast = mantissa.astype(np.float64)
    fast /= _POW10[decimals]
    np.negative(fast, out=fast, where=g[:, 0] == 45)
    values[ok] = fast[ok]
    for i in np.flatnonzero(present & ~ok).tolist():
        text = buf.text(int(start[i]), int(end[i])).strip()
        if _NUMBER.fullmatch(text):
            number = float(text)
            if np.isfinite(number):
                values[i] = number
                continue
        bad[i] = True
    return values, bad


def _text_fields(spans: _Spans, *, width_cap: int = 32) -> NDArray[Any]:
    """Byte ranges as an array of str (exact; non-ASCII or long text decoded by Python)."""
    n = spans.start.size
    length = spans.end - spans.start
    width = max(1, min(int(length.max(initial=1)), width_cap))
    n_words = -(-width // 8)
    g = spans.buf.gather(spans.start, length, n_words).view(np.uint8).reshape(n, 8 * n_words)
    points = g[:, :width].astype(np.uint32)
    text: NDArray[Any] = points.view(f"<U{width}").reshape(n)
    special = (g >= 128).any(axis=1) | (length > width)
    if special.any():
        text = text.astype(object)
        for i in np.flatnonzero(special).tolist():
            text[i] = spans.text(i)
    return text


# --------------------------------------------------------------------------- writing


def format_fixed(value: float) -> str:
    """One number as written to the CSV ("" for NaN); the reference for the fast path."""
    return "" if value != value else format(value, f".{DECIMALS}f")


def _quote(text: str) -> str:
    if any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _digit_table(width: int, count: int, dtype: type[np.unsignedinteger[Any]]) -> NDArray[Any]:
    """Zero-padded decimal text of 0..count−1 as little-endian integers (for word writes)."""
    text = b"".join(f"{i:0{width}d}".encode() for i in range(count))
    return np.frombuffer(text, dtype=np.uint8).reshape(count, width).view(dtype).ravel()


_DIGITS4 = _digit_table(4, 10_000, np.uint32).astype(np.uint64)
_DIGITS2 = _digit_table(2, 100, np.uint16)
_SCALE = 10.0**DECIMALS
_INT_SCALE = 10**DECIMALS


def _integer_part_table(negative: bool) -> NDArray[np.uint64]:
    """0..99999 right-aligned in 6 bytes (NUL padded), "-" before the first digit.

    As little-endian words: byte k of the word is byte k of the text slot.
    """
    value = np.arange(100_000, dtype=np.int64)
    n_digits = np.ones_like(value)
    for j in range(1, 5):
        n_digits += value >= 10**j
    raw = np.zeros((value.size, 8), dtype=np.uint8)
    for j in range(5):  # j = 0: units, in byte 5
        digit = (value // 10**j) % 10 + 48
        raw[:, 5 - j] = np.where(j < n_digits, digit, 0)
    if negative:
        raw[np.arange(value.size), 5 - n_digits] = 45
    return raw.view(np.uint64).ravel()


_POSITIVE_INT = _integer_part_table(negative=False)
_NEGATIVE_INT = _integer_part_table(negative=True)


def _veltkamp(a: Any) -> tuple[Any, Any]:
    """Split a double into two halves of 26 bits each (exact: a = hi + lo)."""
    c = 134217729.0 * a  # 2^27 + 1
    hi = c - (c - a)
    return hi, a - hi


_SCALE_HI, _SCALE_LO = _veltkamp(_SCALE)


@dataclass
class _Number:
    """A numeric column split into what its text is made of."""

    valid: NDArray[np.bool_]
    negative: NDArray[np.bool_]
    whole: NDArray[np.int64]  # integer part
    frac: NDArray[np.int64]  # the 10 decimal digits as an integer
    slow: NDArray[np.bool_]  # needs Python formatting (|x| ≥ 10^5)


def _prepare_number(x: NDArray[np.float64]) -> _Number:
    """Round |x|·10^10 to an integer exactly as ``format(x, ".10f")`` does.

    y = fl(x·10^10) is within half an ulp of t = x·10^10, so rint(y) is right unless
    y's fraction lies within an ulp of one half. For those few values the rounding
    error e = t − y is computed exactly (Dekker's product without FMA) and decides:
    t's fraction f + e against 0.5, ties to even.
    """
    valid = ~np.isnan(x)
    safe = np.where(valid, x, 0.0)
    small = np.abs(safe) < _MAX_FAST_ABS
    with np.errstate(over="ignore"):
        y = safe * _SCALE
    y[~small] = 0.0
    rounded = np.rint(y)
    floor = np.floor(y)
    fraction = y - floor
    near = np.flatnonzero(np.abs(fraction - 0.5) <= np.abs(np.spacing(y)))
    if near.size:
        xs, ys, fl = safe[near], y[near], floor[near]
        hi, lo = _veltkamp(xs)
        error = ((hi * _SCALE_HI - ys) + hi * _SCALE_LO + lo * _SCALE_HI) + lo * _SCALE_LO
        gap = 0.5 - fraction[near]  # exact (Sterbenz)
        even = np.where(np.fmod(fl, 2.0) == 0.0, fl, fl + 1.0)
        rounded[near] = np.where(error > gap, fl + 1.0, np.where(error < gap, fl, even))
    scaled = np.abs(rounded).astype(np.int64)
    whole = scaled // _INT_SCALE
    frac = scaled - whole * _INT_SCALE
    slow = valid & (~small | (whole >= 100_000))  # e.g. 99999.99999999999 → 100000.0…
    return _Number(valid, np.signbit(safe) & valid, whole, frac, slow)


class _Canvas:
    """Rows of output bytes, written left to right in 1/2/4/8-byte words per row.

    Unwritten bytes stay NUL and are squeezed out at the end. A word may spill zero
    bytes past its field; the next field, written later, overwrites them.
    """

    def __init__(self) -> None:
        self._memory = np.zeros(0, dtype=np.uint8)
        self.rows = 0
        self.width = 0
        self.data = self._memory.reshape(0, 0)

    def reset(self, rows: int, width: int) -> None:
        self.rows = rows
        self.width = -(-(width + 8) // 8) * 8  # room for the last word's spill
        size = rows * self.width
        if self._memory.size < size:
            self._memory = np.zeros(size, dtype=np.uint8)
        self.data = self._memory[:size].reshape(rows, self.width)
        self.data.fill(0)

    def put(self, offset: int, values: NDArray[Any]) -> None:
        view = np.ndarray(
            (self.rows,),
            dtype=values.dtype,
            buffer=self._memory,
            offset=offset,
            strides=(self.width,),
        )
        view[...] = values

    def packed(self, used: int) -> NDArray[np.uint8]:
        part = self.data[:, :used]
        result: NDArray[np.uint8] = part[part != 0]
        return result


def _number_layout(num: _Number, rows: NDArray[np.bool_]) -> tuple[int, int]:
    shown = rows & num.valid
    sign_width = int(bool((num.negative & shown).any()))
    int_digits = len(str(int(num.whole[shown].max(initial=0))))
    return sign_width, int_digits


def _put_number(canvas: _Canvas, offset: int, num: _Number, layout: tuple[int, int]) -> int:
    """Write ",[-]int.dddddddddd" at ``offset``; return the offset after the slot.

    The slot is as wide as this block's widest value (a sign column only if a value
    is negative); narrower values leave NULs that the canvas squeezes out.
    """
    sign_width, int_digits = layout
    head_len = 1 + sign_width + int_digits + 1  # ",", sign, integer digits, "."
    whole = np.minimum(num.whole, 99_999)
    field = np.where(num.negative, _NEGATIVE_INT[whole], _POSITIVE_INT[whole])
    field >>= np.uint64(8 * (6 - sign_width - int_digits))  # keep the slot's last bytes
    head = field << np.uint64(8)
    head |= np.uint64(44 | (46 << (8 * (head_len - 1))))
    head[~num.valid] = 44  # an empty field: just the comma
    canvas.put(offset, head)
    frac = num.frac
    high = frac // 100
    first = high // 10_000
    word = _DIGITS4[first]
    word |= _DIGITS4[high - first * 10_000] << np.uint64(32)
    word[~num.valid] = 0
    canvas.put(offset + head_len, word)
    last = _DIGITS2[frac - high * 100]
    last[~num.valid] = 0
    canvas.put(offset + head_len + 8, last)
    return offset + head_len + DECIMALS


def _label_words(labels: tuple[str, ...]) -> tuple[int, NDArray[np.uint64]]:
    width = 1 + max(len(label) for label in labels)
    words = -(-width // 8)
    table = np.zeros((len(labels) + 1, words * 8), dtype=np.uint8)
    table[:, 0] = 44
    for k, label in enumerate(labels):
        table[k, 1 : 1 + len(label)] = np.frombuffer(label.encode(), dtype=np.uint8)
    return width, table.view(np.uint64)  # the last row (code −1) is the empty field


def _put_label(
    canvas: _Canvas, offset: int, codes: NDArray[np.int8], labels: tuple[str, ...]
) -> int:
    """Write "," + label (code −1: just the comma); return the offset after the slot."""
    width, table = _label_words(labels)
    index = codes.astype(np.intp)
    for w in range(table.shape[1]):
        canvas.put(offset + 8 * w, table[:, w].take(index))
    return offset + width


_BOOL_LABELS: Final = ("false", "true")
_RENDER_ROWS: Final = 8192  # rows per canvas: its bytes stay in cache while written


def _python_row(prefix: bytes, out: dict[str, Any], i: int, error: str) -> bytes:
    """One output line written field by field in Python (rows the canvas cannot do)."""
    fields = []
    for name in OUTPUT_COLUMNS:
        if name == "error":
            fields.append(_quote(error))
            continue
        column = out[name]
        if isinstance(column, tuple):
            codes, labels = column
            code = int(codes[i])
            fields.append("" if code < 0 else labels[code])
        else:
            fields.append(format_fixed(float(column[i])))
    return prefix + b"," + ",".join(fields).encode("utf-8") + b"\n"


def _render(chunk: _Chunk, out: dict[str, Any], errors: NDArray[Any], canvas: _Canvas) -> list[Any]:
    """The output lines of one chunk, as byte pieces in order."""
    n = chunk.rows
    prefix_len = chunk.prefix.end - chunk.prefix.start
    slow = np.asarray(errors != "", dtype=np.bool_) | (prefix_len > _MAX_PREFIX)
    numbers: dict[str, _Number] = {}
    for name in OUTPUT_COLUMNS[:-1]:
        column = out[name]
        if not isinstance(column, tuple):
            numbers[name] = _prepare_number(column)
            slow |= numbers[name].slow
    pieces: list[Any] = []
    for a in range(0, n, _RENDER_ROWS):
        b = min(a + _RENDER_ROWS, n)
        part = slice(a, b)
        block_slow = slow[part]
        fast = ~block_slow
        prefix_width = -(-int(prefix_len[part][fast].max(initial=0)) // 8) * 8
        parts = {name: _slice_number(num, part) for name, num in numbers.items()}
        layouts = {name: _number_layout(num, fast) for name, num in parts.items()}
        width = prefix_width + 1 + 1  # the error column's comma, the newline
        for name in OUTPUT_COLUMNS[:-1]:
            column = out[name]
            if isinstance(column, tuple):
                width += _label_words(column[1])[0]
            else:
                sign_width, int_digits = layouts[name]
                width += 2 + sign_width + int_digits + DECIMALS
        canvas.reset(b - a, width)
        _put_prefix(canvas, chunk.prefix, part, prefix_width)
        offset = prefix_width
        for name in OUTPUT_COLUMNS[:-1]:
            column = out[name]
            if isinstance(column, tuple):
                offset = _put_label(canvas, offset, column[0][part], column[1])
            else:
                offset = _put_number(canvas, offset, parts[name], layouts[name])
        canvas.put(offset, np.full(b - a, 44, dtype=np.uint8))  # the empty error
        canvas.put(offset + 1, np.full(b - a, 10, dtype=np.uint8))
        used = offset + 2
        if not block_slow.any():
            pieces.append(canvas.packed(used))
            continue
        canvas.data[block_slow] = 0
        row_bytes = np.count_nonzero(canvas.data[:, :used], axis=1)
        offsets = np.concatenate(([0], np.cumsum(row_bytes)))
        packed = canvas.packed(used).tobytes()
        last = 0
        for i in np.flatnonzero(block_slow).tolist():
            pieces.append(packed[offsets[last] : offsets[i]])
            row = a + i
            line = chunk.fitted.get(row)
            if line is None:
                start, end = int(chunk.prefix.start[row]), int(chunk.prefix.end[row])
                line = bytes(chunk.prefix.buf.raw[start:end])
            pieces.append(_python_row(line, out, row, str(errors[row])))
            last = i + 1
        pieces.append(packed[offsets[last] :])
    return pieces


def _slice_number(num: _Number, part: slice) -> _Number:
    return _Number(
        num.valid[part], num.negative[part], num.whole[part], num.frac[part], num.slow[part]
    )


def _put_prefix(canvas: _Canvas, spans: _Spans, part: slice, width: int) -> None:
    """Copy each row's input line (up to ``width`` bytes) to the start of the canvas."""
    if width == 0:
        return
    start = spans.start[part]
    length = np.minimum(spans.end[part] - start, width)
    words = spans.buf.gather(start, length, width // 8)
    for w in range(width // 8):
        canvas.put(8 * w, words[:, w])


# --------------------------------------------------------------------------- the command


def _columns_of(result: BatchInterpretation, n: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    nan = np.full(n, np.nan)
    for p in PARAMETERS:
        r = result.results.get(p)
        for f in ("pred", "lln", "uln", "z", "pctpred"):
            out[f"{p}_{f}"] = nan if r is None else getattr(r, f)
    out["pattern"] = (result.pattern_code, PATTERNS)
    out["severity"] = (result.severity_code, SEVERITIES)
    out["bdr"] = (result.bdr_code, _BOOL_LABELS)
    out["bdr_fev1_pct_pred_change"] = result.bdr_fev1_pct_pred_change
    out["bdr_fvc_pct_pred_change"] = result.bdr_fvc_pct_pred_change
    out["bdr_2005"] = (result.bdr_2005_code, _BOOL_LABELS)
    return out


def _blank(out: dict[str, Any], rows: NDArray[np.bool_]) -> None:
    """Clear every computed field of ``rows`` (records that could not be read)."""
    for name, column in out.items():
        if isinstance(column, tuple):
            codes = column[0].copy()
            codes[rows] = -1
            out[name] = (codes, column[1])
        else:
            column = column.copy()
            column[rows] = np.nan
            out[name] = column


def _interpret_chunk(
    chunk: _Chunk, equations: str, rule: str, canvas: _Canvas
) -> tuple[list[Any], NDArray[Any]]:
    n = chunk.rows
    problems: dict[int, list[str]] = {}
    for i, message in chunk.shape_error.items():
        problems.setdefault(i, []).append(message)
    numeric: dict[str, NDArray[np.float64] | None] = {}
    for column, argument in NUMERIC_COLUMNS.items():
        if column not in chunk.fields:
            numeric[argument] = None
            continue
        spans = chunk.fields[column]
        values, bad = parse_decimal_fields(spans.buf, spans.start, spans.end)
        for i in np.flatnonzero(bad).tolist():
            problems.setdefault(i, []).append(f"{column} {spans.text(i)!r} is not a number")
        numeric[argument] = values
    sex = _text_fields(chunk.fields["sex"])
    ethnicity = _text_fields(chunk.fields["ethnicity"]) if "ethnicity" in chunk.fields else None
    unreadable = np.zeros(n, dtype=np.bool_)
    unreadable[list(problems)] = True
    if problems:
        # Unreadable records are computed as empty and reported by what broke them.
        for column_values in numeric.values():
            if column_values is not None:
                column_values[unreadable] = np.nan
    result = interpret_arrays(
        equations,
        sex=sex,
        age=numeric["age"],  # type: ignore[arg-type]
        height_cm=numeric["height_cm"],  # type: ignore[arg-type]
        ethnicity=ethnicity,
        fev1_pre_l=numeric["fev1_pre_l"],  # type: ignore[arg-type]
        fvc_pre_l=numeric["fvc_pre_l"],  # type: ignore[arg-type]
        fev1_post_l=numeric["fev1_post_l"],
        fvc_post_l=numeric["fvc_post_l"],
        fef2575_pre_l_s=numeric["fef2575_pre_l_s"],
        fef75_pre_l_s=numeric["fef75_pre_l_s"],
        bdr_rule=rule,
        field_names={argument: column for column, argument in NUMERIC_COLUMNS.items()},
    )
    out = _columns_of(result, n)
    errors = result.error
    if problems:
        _blank(out, unreadable)
        for i, messages in problems.items():
            errors[i] = "; ".join(messages)
    return _render(chunk, out, errors, canvas), errors


def interpret_csv(
    input_path: str | os.PathLike[str],
    output_path: str | os.PathLike[str],
    *,
    equations: str = "gli-global",
    rule: str = "2022",
    progress: Callable[[int, int], None] | None = None,
) -> CsvSummary:
    """Interpret every record of ``input_path`` and write ``output_path``.

    Raises :class:`CsvInputError` for a file that cannot be processed at all; bad
    records are written with their reason in the ``error`` column. ``progress`` is
    called with (rows done, rows in all) after each block.
    """
    if rule not in BDR_RULES:
        raise CsvInputError(f"--rule must be one of {', '.join(BDR_RULES)}, not {rule!r}")
    version = equations_version(equations)
    try:
        data = Path(input_path).read_bytes()
    except OSError as exc:
        raise CsvInputError(f"cannot read {input_path}: {exc.strerror or exc}") from None
    source = _open_source(data)
    header = source.header
    required = list(REQUIRED_COLUMNS) + (["ethnicity"] if requires_ethnicity(equations) else [])
    missing = [name for name in required if name not in header]
    if missing:
        raise CsvInputError(
            f"missing required column(s): {', '.join(missing)} "
            f"(the header has: {', '.join(header)})"
        )
    duplicated = sorted({name for name in header if header.count(name) > 1})
    if duplicated:
        raise CsvInputError(f"duplicated column(s) in the header: {', '.join(duplicated)}")
    clashing = [name for name in OUTPUT_COLUMNS if name in header]
    if clashing:
        raise CsvInputError(
            f"the input already has output column(s) {', '.join(clashing)}; rename them"
        )
    wanted: list[str] = [
        name for name in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS) if name in header and name != "id"
    ]
    summary = CsvSummary(equations_version=version)
    target = Path(output_path)
    handle, temp_name = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=".tmp", dir=target.parent or Path(".")
    )
    try:
        with os.fdopen(handle, "wb") as sink:
            sink.write(source.header_raw + b"," + ",".join(OUTPUT_COLUMNS).encode() + b"\n")
            done = 0
            canvas = _Canvas()
            for chunk in source.chunks(CHUNK_ROWS, wanted):
                pieces, errors = _interpret_chunk(chunk, equations, rule, canvas)
                for piece in pieces:
                    sink.write(piece)
                for i in np.flatnonzero(errors != "").tolist():
                    summary.rows_with_errors += 1
                    if len(summary.first_errors) < 5:
                        line = int(chunk.line_numbers[i])
                        summary.first_errors.append((line, str(errors[i])))
                done += chunk.rows
                if progress is not None:
                    progress(done, source.rows)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temp_name, 0o666 & ~umask)  # mkstemp makes 0600; give the usual mode
        os.replace(temp_name, target)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    summary.rows = source.rows
    return summary
