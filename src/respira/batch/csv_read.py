"""Reading the CSV of ``respira spirometry interpret`` into arrays: the raw bytes split
with NumPy when the file has no quotes (the ``csv`` module otherwise), and decimal
numbers converted exactly (Clinger's fast path; ``float()`` after a strict syntax
check for the rest). See ``spirometry_csv`` for the reasoning.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from respira.batch.csv_format import CsvInputError

_POW10 = 10.0 ** np.arange(23)  # exact doubles for 10^0..10^22
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


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
