"""Writing the results of ``respira spirometry interpret``: every number in fixed-point
notation with 10 decimals, correctly rounded (the same text as ``format(x, ".10f")``),
laid out in a byte canvas, with rows that need Python's formatter spliced in. See
``spirometry_csv`` for the reasoning.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from respira.batch.csv_format import DECIMALS, OUTPUT_COLUMNS
from respira.batch.csv_read import _Chunk, _Spans

_MAX_PREFIX = 512  # longer input lines are written by the Python formatter
_MAX_FAST_ABS = 1e5  # numbers from here on are formatted by Python


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
