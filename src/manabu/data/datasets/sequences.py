"""Generated sequence tasks for RNNs and Seq2Seq: no download, the same seed gives the same set.

- ``binary_addition``: the notes' RNN exercise (2進数の足し算): add two numbers bit by bit,
  least significant bit first, the carry kept in the hidden state.
- ``sin_cos``: the notes' framework exercise: a Seq2Seq model reads a window of sin and
  writes the same window of cos.
- ``addition_strings``: "16+75" -> "91" as character sequences ("Deep Learning from Scratch
  2", chapter 7): a Seq2Seq model learns addition from text.
- ``date_formats``: dates written in many human formats -> ISO "2026-11-23" (the book's
  date-conversion task for Attention).

Character tasks return id arrays padded with spaces, plus the character ``Vocabulary`` (the
space is the pad token, id 0; "_" is the decoder's start token, <bos>); turn a row back into
text with ``vocab.decode_text(row)``.
"""

from __future__ import annotations

import datetime
import functools
from typing import TYPE_CHECKING

import numpy as np

from manabu import backend
from manabu.data.text import Vocabulary

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = [
    "addition_strings", "binary_addition", "bits_to_int", "date_formats", "int_to_bits",
    "shift_right", "sin_cos",
]

# --------------------------------------------------------------------------- binary addition


def int_to_bits(values: ArrayLike, bits: int = 8) -> np.ndarray:
    """Integers (...) -> bits (..., bits) int64, least significant bit first (LSB-first).

    Example:
        >>> data.datasets.int_to_bits(6, bits=4).tolist()
        [0, 1, 1, 0]
    """
    values = np.asarray(values, dtype=np.int64)
    return (values[..., None] >> np.arange(bits)) & 1


def bits_to_int(bits: ArrayLike) -> np.ndarray:
    """Bits (..., bits), LSB first, -> integers (...) int64. Values are rounded (>= 0.5 is
    a 1), so a network's sigmoid outputs decode directly; a trailing axis of size 1, as
    in ``binary_addition``'s y (n, bits, 1), is dropped first.

    Example:
        >>> data.datasets.bits_to_int([[0.1, 0.9, 0.7, 0.2]]).tolist()    # LSB first: 6
        [6]
    """
    bits = np.asarray(bits)
    if bits.ndim >= 2 and bits.shape[-1] == 1:
        bits = bits[..., 0]  # (..., bits, 1) -> (..., bits)
    ones = (bits >= 0.5).astype(np.int64)
    return (ones << np.arange(bits.shape[-1])).sum(axis=-1)


def binary_addition(n: int = 1000, bits: int = 8,
                    seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``(x, y)`` for learning a + b with an RNN, one bit per time step (LSB first).

    x: (n, bits, 2) default float dtype: x[i, t] = (bit t of a_i, bit t of b_i).
    y: (n, bits, 1): y[i, t, 0] = bit t of a_i + b_i.
    a and b are drawn uniformly below 2**(bits - 1), so that the sum fits in ``bits`` bits
    (the notes' ``largest_number / 2``). Decode with ``bits_to_int(x[..., 0])`` etc.

    Args:
        n: how many pairs. Default: 1000
        bits: time steps (bits per number), >= 2. Default: 8
        seed: the seed of the draws. Default: 0

    Example:
        >>> x, y = data.binary_addition(n=5)
        >>> a, b = data.datasets.bits_to_int(x[..., 0]), data.datasets.bits_to_int(x[..., 1])
        >>> x.shape, y.shape, bool((a + b == data.datasets.bits_to_int(y)).all())
        ((5, 8, 2), (5, 8, 1), True)
    """
    if bits < 2:
        raise ValueError(f"binary_addition: bits must be at least 2, got {bits}")
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 2 ** (bits - 1), size=n)
    b = rng.integers(0, 2 ** (bits - 1), size=n)
    x = np.stack([int_to_bits(a, bits), int_to_bits(b, bits)], axis=-1)  # (n, bits, 2)
    y = int_to_bits(a + b, bits)[..., None]  # (n, bits, 1)
    dtype = backend.get_default_dtype()
    return x.astype(dtype), y.astype(dtype)


# --------------------------------------------------------------------------- sin -> cos


def sin_cos(n: int = 100, length: int = 24, step: float = 6 * np.pi / 99,
            seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``(x, y)``: windows of sin (input) and of cos at the same points (target).

    x: (n, length, 1) = sin(theta_i + step * t), y: (n, length, 1) = cos(same), default
    float dtype, with each window's start theta_i uniform in [0, 2 pi). The defaults are
    the notes' Seq2Seq exercise: 100 points over [-3 pi, 3 pi] (step 6 pi / 99) and windows
    of 24 steps. ``shift_right(y)`` gives the decoder's teacher-forcing input.

    Args:
        n: how many windows. Default: 100
        length: steps per window. Default: 24
        step: the angle between two steps. Default: 6 pi / 99
        seed: the seed of the window starts. Default: 0

    Example:
        >>> x, y = data.sin_cos(n=4)
        >>> x.shape, bool(np.allclose(x ** 2 + y ** 2, 1.0, atol=1e-6))
        ((4, 24, 1), True)
    """
    rng = np.random.default_rng(seed)
    start = rng.uniform(0.0, 2 * np.pi, size=(n, 1))
    theta = start + step * np.arange(length)  # (n, length)
    dtype = backend.get_default_dtype()
    x = np.sin(theta)[..., None].astype(dtype)  # (n, length, 1)
    y = np.cos(theta)[..., None].astype(dtype)  # (n, length, 1)
    return x, y


def shift_right(y: ArrayLike, fill: float = 0) -> np.ndarray:
    """The decoder input for teacher forcing (教師強制): ``y`` moved one step later along
    axis 1, with ``fill`` at step 0 (the notes' ``dx[i, 1:] = seq_out[i:i + T - 1]``).
    y: (N, T, ...) -> (N, T, ...).

    Example:
        >>> data.datasets.shift_right(np.array([[1, 2, 3]])).tolist()
        [[0, 1, 2]]
    """
    y = np.asarray(y)
    shifted = np.empty_like(y)
    shifted[:, 0] = fill
    shifted[:, 1:] = y[:, :-1]
    return shifted


# --------------------------------------------------------------------------- addition strings

_ADDITION_CHARS = "0123456789+"


def _random_operands(rng: np.random.Generator, n: int, max_digits: int) -> np.ndarray:
    """n numbers whose digit count is uniform in 1..max_digits (so short sums are as
    common as long ones), each uniform among the numbers of that length."""
    digits = rng.integers(1, max_digits + 1, size=n)
    low = np.where(digits == 1, 0, 10 ** (digits - 1))
    return low + (rng.random(n) * (10 ** digits - low)).astype(np.int64)


def addition_strings(n: int = 50000, max_digits: int = 3, reverse: bool = False,
                     seed: int = 0) -> tuple[np.ndarray, np.ndarray, Vocabulary]:
    """Addition as text: ``(questions, answers, vocab)``.

    questions: (n, 2 * max_digits + 1) int64, e.g. "16+75  " (spaces pad to the width);
    answers: (n, max_digits + 2) int64, e.g. "_91  ": "_" starts the decoder (teacher
    forcing: decoder input ``answers[:, :-1]``, target ``answers[:, 1:]``). ``reverse``
    flips each question ("  57+61"), the book's trick that shortens the path from the
    last digits read to the first digits written. vocab: the 13 characters, " " = pad (0),
    "_" = bos (1).

    Args:
        n: how many sums. Default: 50000
        max_digits: the most digits of an operand, >= 1. Default: 3
        reverse: flip the questions. Default: False
        seed: the seed of the operands. Default: 0

    Example:
        >>> questions, answers, vocab = data.addition_strings(n=2)
        >>> questions.shape, answers.shape, len(vocab)
        ((2, 7), (2, 5), 13)
        >>> q, a = vocab.decode_text(questions[0]), vocab.decode_text(answers[0])
        >>> sum(int(term) for term in q.split("+")) == int(a[1:])      # "_" starts a
        True
    """
    if max_digits < 1:
        raise ValueError(f"addition_strings: max_digits must be at least 1, got {max_digits}")
    rng = np.random.default_rng(seed)
    a = _random_operands(rng, n, max_digits)
    b = _random_operands(rng, n, max_digits)
    vocab = Vocabulary(_ADDITION_CHARS, pad=" ", unk=None, bos="_", eos=None)
    q_width = 2 * max_digits + 1
    a_width = max_digits + 1
    questions = [f"{x}+{y}".ljust(q_width) for x, y in zip(a.tolist(), b.tolist())]
    answers = ["_" + str(s).ljust(a_width) for s in (a + b).tolist()]
    x = _encode_all(vocab, questions)  # (n, 2 d + 1)
    t = _encode_all(vocab, answers)  # (n, d + 2)
    if reverse:
        x = x[:, ::-1].copy()
    return x, t, vocab


def _encode_all(vocab: Vocabulary, texts: list[str]) -> np.ndarray:
    """Equal-length strings -> (len(texts), width) int64 ids."""
    lookup = {token: index for index, token in enumerate(vocab.tokens)}
    flat = [lookup[char] for text in texts for char in text]
    width = len(texts[0]) if texts else 0
    return np.array(flat, dtype=np.int64).reshape(len(texts), width)  # (n, width)


# --------------------------------------------------------------------------- date formats

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _month(d: datetime.date) -> str:
    return _MONTHS[d.month - 1]


def _weekday(d: datetime.date) -> str:
    return _WEEKDAYS[d.weekday()]  # fixed English names: strftime would follow the locale


# Each format writes a date; none is ambiguous (only one writes a two-digit year, and the
# position of the four-digit year tells day-month from month-day).
DATE_FORMATS = (
    lambda d: f"{_month(d)} {d.day}, {d.year}",  # November 23, 2026
    lambda d: f"{d.day:02d}/{d.month:02d}/{d.year % 100:02d}",  # 23/11/26
    lambda d: f"{_weekday(d)[:3]}, {_month(d)[:3]} {d.day} {d.year}",  # Mon, Nov 23 2026
    lambda d: f"{d.year}年{d.month}月{d.day}日",  # 2026年11月23日
    lambda d: f"{d.month}/{d.day}/{d.year}",  # 11/23/2026
    lambda d: f"{d.day} {_month(d)} {d.year}",  # 23 November 2026
    lambda d: f"{_weekday(d)}, {_month(d)} {d.day}, {d.year}",  # Monday, November 23, 2026
    lambda d: f"{d.year}.{d.month:02d}.{d.day:02d}",  # 2026.11.23
    lambda d: f"{d.day}.{d.month}.{d.year}",  # 23.11.2026
    lambda d: f"{_month(d)[:3]} {d.day}, {d.year}",  # Nov 23, 2026
    lambda d: f"{d.year}/{d.month}/{d.day}",  # 2026/11/23
    lambda d: f"{_month(d).upper()} {d.day}, {d.year}",  # NOVEMBER 23, 2026
    lambda d: f"{d.day} {_month(d)[:3].lower()} {d.year}",  # 23 nov 2026
    lambda d: f"{d.day:02d}-{_month(d)[:3].upper()}-{d.year}",  # 23-NOV-2026
)


@functools.lru_cache(maxsize=1)
def _date_layout() -> tuple[int, Vocabulary]:
    """(question width, vocabulary): the longest text any format writes and every
    character it can use, from every day of a leap year (all months and weekdays)."""
    first = datetime.date(2000, 1, 1).toordinal()
    texts = [fmt(datetime.date.fromordinal(first + i)) for i in range(366)
             for fmt in DATE_FORMATS]
    chars = set("".join(texts)) | set("0123456789-")
    vocab = Vocabulary(sorted(chars - {" ", "_"}), pad=" ", unk=None, bos="_", eos=None)
    return max(len(text) for text in texts), vocab


def date_formats(n: int = 10000, start: str = "1970-01-01", end: str = "2049-12-31",
                 seed: int = 0) -> tuple[np.ndarray, np.ndarray, Vocabulary]:
    """Human-written dates -> ISO 8601: ``(questions, answers, vocab)``.

    Dates are uniform between ``start`` and ``end`` (ISO strings, both included; at most
    100 years apart, so a two-digit year has one reading), each written in one of the
    ``DATE_FORMATS`` chosen at random: "November 23, 2026", "23/11/26", "Mon, Nov 23 2026",
    "2026年11月23日", ... questions: (n, 29) int64, padded with spaces; answers: (n, 11)
    int64, "_2026-11-23" ("_" starts the decoder). vocab: characters, " " = pad (0),
    "_" = bos (1); the same for every n and seed.

    Args:
        n: how many dates. Default: 10000
        start: the first date, ISO 8601. Default: '1970-01-01'
        end: the last date, ISO 8601. Default: '2049-12-31'
        seed: the seed of the dates and formats. Default: 0

    Example:
        >>> questions, answers, vocab = data.date_formats(n=3)
        >>> questions.shape, answers.shape, vocab.decode_text(answers[0])[0]
        ((3, 29), (3, 11), '_')
    """
    first = datetime.date.fromisoformat(start)
    last = datetime.date.fromisoformat(end)
    if last < first or last.year - first.year >= 100 or first.year < 1000:
        raise ValueError(
            f"date_formats: need 1000 <= start <= end, at most 100 years apart, got "
            f"start={start}, end={end}"
        )
    width, vocab = _date_layout()
    rng = np.random.default_rng(seed)
    days = rng.integers(first.toordinal(), last.toordinal() + 1, size=n)
    kinds = rng.integers(0, len(DATE_FORMATS), size=n)
    dates = [datetime.date.fromordinal(day) for day in days.tolist()]
    questions = [DATE_FORMATS[k](d).ljust(width) for k, d in zip(kinds.tolist(), dates)]
    answers = ["_" + d.isoformat() for d in dates]
    return _encode_all(vocab, questions), _encode_all(vocab, answers), vocab
