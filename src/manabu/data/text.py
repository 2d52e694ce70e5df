"""Text to token ids: tokenizers, a ``Vocabulary`` (語彙) and padding.

Natural-language models work on integer ids, not on strings. The pipeline is

    text --tokenize--> tokens --Vocabulary.encode--> ids --pad_sequences--> (N, T) array

``char_tokenize`` splits into characters (character-level models, tiny-shakespeare),
``word_tokenize`` into words and punctuation (word2vec, dialogue). A ``Vocabulary`` maps each
token to an id: special tokens first (``<pad>`` = 0, ``<unk>``, ``<bos>``, ``<eos>``; each
can be renamed or left out), then ordinary tokens, most frequent first. It is saved as
JSON, never pickled.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import TYPE_CHECKING

import numpy as np

from manabu import atomic, backend
from manabu.tensor import unwrap

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Sequence
    from os import PathLike
    from typing import Any

__all__ = ["Vocabulary", "char_tokenize", "pad_sequences", "word_tokenize"]

_WORD = re.compile(r"\w+(?:'\w+)*|[^\w\s]")  # words (with inner apostrophes) or one symbol
_FORMAT = "manabu-vocabulary"
_SPECIAL_ROLES = ("pad", "unk", "bos", "eos")


def char_tokenize(text: str) -> list[str]:
    """Characters of ``text``: ``"to be" -> ['t', 'o', ' ', 'b', 'e']``.

    Example:
        >>> data.char_tokenize("to be")
        ['t', 'o', ' ', 'b', 'e']
    """
    return list(text)


def word_tokenize(text: str, lower: bool = False) -> list[str]:
    """Words and punctuation of ``text`` (whitespace dropped), lowercased with ``lower``:
    ``"You say goodbye, I say hello." -> ['You', 'say', 'goodbye', ',', 'I', 'say',
    'hello', '.']``. Apostrophes inside a word stay (``"don't"``).

    Args:
        text: the text to split
        lower: lowercase it first. Default: False

    Example:
        >>> data.word_tokenize("You say goodbye, I don't.", lower=True)
        ['you', 'say', 'goodbye', ',', 'i', "don't", '.']
    """
    if lower:
        text = text.lower()
    return _WORD.findall(text)


def _flatten(tokens):
    """One flat stream of tokens from tokens or from sequences (lists/tuples) of tokens."""
    for item in tokens:
        if isinstance(item, (list, tuple)):
            yield from item
        else:
            yield item


def _integer_ids(name: str, ids: Any) -> np.ndarray:
    """``ids`` as an int64 array. Integers pass; floats only when every value is whole
    (1.0, not 1.7, which int() would truncate silently to another token); bools and other
    dtypes never (True is not a token id)."""
    array = np.asarray(ids)
    kind = array.dtype.kind
    if kind in "iu":
        return array.astype(np.int64, copy=False)
    if kind == "f":
        whole = np.isfinite(array) & (array == np.round(array))
        if not whole.all():
            bad = array[~whole].reshape(-1)[0].item()
            raise ValueError(
                f"{name}: token ids must be whole numbers, got {bad!r} ({array.dtype}); "
                "ids index the vocabulary: take predictions.argmax(axis=-1) of scores or "
                "probabilities first"
            )
        return array.astype(np.int64)
    what = "bools" if kind == "b" else f"{array.dtype} values"
    raise TypeError(f"{name}: token ids must be integers, got {what}; give integer ids, "
                    "e.g. np.asarray(ids, dtype=np.int64)")


class Vocabulary:
    """A two-way map between tokens and integer ids.

    ``Vocabulary(tokens, pad="<pad>", unk="<unk>", bos="<bos>", eos="<eos>")`` gives the
    special tokens the first ids in the order pad, unk, bos, eos (a special set to None is
    left out, so by default <pad> = 0, <unk> = 1, <bos> = 2, <eos> = 3), then ``tokens`` in
    the order given (repeats ignored). ``from_tokens`` / ``from_texts`` count tokens and
    keep the frequent ones. Unknown tokens encode to <unk>; without an <unk> token they
    raise KeyError.

    (torchtext's ``Vocab`` is the nearest PyTorch relative; this one also decodes, pads
    with ``pad_sequences`` and saves itself as JSON.)

    Args:
        tokens: the ordinary tokens, strings, in id order after the specials. Default: ()
        pad: the padding token, or None for none. Default: '<pad>'
        unk: the token of unknown tokens, or None. Default: '<unk>'
        bos: the start-of-sequence token, or None. Default: '<bos>'
        eos: the end-of-sequence token, or None. Default: '<eos>'
        counts: {token: count}, kept for ``frequencies()``. Default: None (no counts)

    Example:
        >>> vocab = data.Vocabulary(["a", "b"])
        >>> len(vocab), vocab.encode(["b", "z"], add_eos=True)       # z is unknown
        (6, [5, 1, 3])
        >>> vocab.decode([2, 4, 5, 3], skip_special=True)
        ['a', 'b']
    """

    def __init__(self, tokens: Iterable[str] = (), pad: str | None = "<pad>",
                 unk: str | None = "<unk>", bos: str | None = "<bos>",
                 eos: str | None = "<eos>", counts: dict[str, int] | None = None) -> None:
        self._specials = {"pad": pad, "unk": unk, "bos": bos, "eos": eos}
        present = [(role, token) for role, token in self._specials.items() if token is not None]
        for i, (role, token) in enumerate(present):
            for other, same in present[i + 1:]:
                if token == same:  # one id for two roles: padding would read as unknown
                    raise ValueError(
                        f"Vocabulary: the special tokens must be distinct, but {role} and "
                        f"{other} are both {token!r}; give each its own token, or None to "
                        f"leave one out (e.g. {other}=None)"
                    )
        self._id_to_token = []
        self._token_to_id = {}
        for token in self._specials.values():
            if token is not None:
                self._add(token)
        for token in tokens:
            self._add(token)
        self.counts = dict(counts) if counts is not None else {}

    def _add(self, token: str) -> None:
        if not isinstance(token, str):
            raise TypeError(f"Vocabulary: tokens must be strings, got {token!r}")
        if token not in self._token_to_id:
            self._token_to_id[token] = len(self._id_to_token)
            self._id_to_token.append(token)

    # ------------------------------------------------------------------ building

    @classmethod
    def from_tokens(cls, tokens: Iterable[str] | Iterable[Sequence[str]], min_freq: int = 1,
                    max_size: int | None = None, **specials: str | None) -> Vocabulary:
        """Count ``tokens`` (a flat iterable, or an iterable of token lists) and keep each
        token seen at least ``min_freq`` times, most frequent first (ties: first seen
        first), at most ``max_size`` ids in all (specials included).

        Args:
            tokens: a flat iterable of tokens, or an iterable of token lists
            min_freq: the fewest occurrences a token needs to get an id, >= 1. Default: 1
            max_size: the most ids in all, specials included; None: no limit
            **specials: ``pad``, ``unk``, ``bos``, ``eos`` as in the constructor

        Example:
            >>> vocab = data.Vocabulary.from_tokens("abracadabra", min_freq=2,
            ...                                     bos=None, eos=None)
            >>> vocab.tokens
            ['<pad>', '<unk>', 'a', 'b', 'r']
        """
        counter = Counter(_flatten(tokens))
        if min_freq < 1:
            raise ValueError(f"Vocabulary: min_freq must be at least 1, got {min_freq}")
        ranked = sorted(counter.items(), key=lambda item: -item[1])  # stable: ties keep order
        vocab = cls((), **specials)
        taken = [token for token, count in ranked
                 if count >= min_freq and token not in vocab._token_to_id]
        if max_size is not None:
            room = max_size - len(vocab)
            if room < 0:
                raise ValueError(
                    f"Vocabulary: max_size={max_size} is smaller than the {len(vocab)} "
                    "special tokens; raise max_size or leave some specials out (e.g. eos=None)"
                )
            taken = taken[:room]
        for token in taken:
            vocab._add(token)
        vocab.counts = {token: count for token, count in counter.items() if token in vocab}
        dropped = sum(count for token, count in counter.items() if token not in vocab)
        if dropped and vocab._specials["unk"] is not None:  # they will encode to <unk>
            unk = vocab._specials["unk"]
            vocab.counts[unk] = vocab.counts.get(unk, 0) + dropped
        return vocab

    @classmethod
    def from_texts(cls, texts: str | Iterable[str],
                   tokenizer: Callable[[str], list[str]] = char_tokenize, min_freq: int = 1,
                   max_size: int | None = None, **specials: str | None) -> Vocabulary:
        """Tokenize ``texts`` (one str or an iterable of str) with ``tokenizer`` (default:
        characters; e.g. ``word_tokenize``) and build as in ``from_tokens``.

        Example:
            >>> vocab = data.Vocabulary.from_texts(["I say hello .", "you say goodbye ."],
            ...                                    tokenizer=data.word_tokenize)
            >>> vocab.tokens[4:7]
            ['say', '.', 'I']
        """
        if isinstance(texts, str):
            texts = [texts]
        streams = [tokenizer(text) for text in texts]
        return cls.from_tokens(streams, min_freq=min_freq, max_size=max_size, **specials)

    # ------------------------------------------------------------------ lookup

    def __len__(self) -> int:
        return len(self._id_to_token)

    def __contains__(self, token: object) -> bool:
        return token in self._token_to_id

    def __iter__(self) -> Iterator[str]:
        return iter(self._id_to_token)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Vocabulary):
            return NotImplemented
        return self._id_to_token == other._id_to_token and self._specials == other._specials

    __hash__ = None  # mutable-looking equality: not a dict key

    def __repr__(self) -> str:
        specials = ", ".join(f"{k}={v!r}" for k, v in self._specials.items() if v is not None)
        return f"Vocabulary(size={len(self)}, {specials})"

    @property
    def tokens(self) -> list[str]:
        """All tokens in id order (a copy)."""
        return list(self._id_to_token)

    @property
    def specials(self) -> list[str]:
        """The special tokens present, in id order."""
        return [token for token in self._specials.values() if token is not None]

    @property
    def pad_id(self) -> int | None:
        """The id of the padding token (None without one)."""
        return self._special_id("pad")

    @property
    def unk_id(self) -> int | None:
        """The id of the unknown token (None without one)."""
        return self._special_id("unk")

    @property
    def bos_id(self) -> int | None:
        """The id of the start token (None without one)."""
        return self._special_id("bos")

    @property
    def eos_id(self) -> int | None:
        """The id of the end token (None without one)."""
        return self._special_id("eos")

    def _special_id(self, role: str) -> int | None:
        token = self._specials[role]
        return None if token is None else self._token_to_id[token]

    def token_to_id(self, token: str) -> int:
        """The id of ``token``; <unk>'s id for an unknown token (KeyError without <unk>)."""
        found = self._token_to_id.get(token)
        if found is not None:
            return found
        if self._specials["unk"] is None:
            raise KeyError(
                f"Vocabulary: token {token!r} is not in the vocabulary of {len(self)} tokens "
                "and there is no <unk> token; build it with unk='<unk>' or add the token"
            )
        return self._token_to_id[self._specials["unk"]]

    def id_to_token(self, index: int) -> str:
        """The token with id ``index`` (IndexError when out of range)."""
        return self._token_at(int(_integer_ids("Vocabulary.id_to_token", index)))

    def _token_at(self, index: int) -> str:
        if not 0 <= index < len(self):
            raise IndexError(f"Vocabulary: id {index} is out of range 0..{len(self) - 1}")
        return self._id_to_token[index]

    def frequencies(self) -> np.ndarray:
        """Counts aligned with ids, int64 (V,): the tokens left out by min_freq/max_size
        count for <unk>; 0 for the other specials (the input of word2vec's UnigramSampler).

        Example:
            >>> vocab = data.Vocabulary.from_tokens("aab", min_freq=2, bos=None, eos=None)
            >>> vocab.tokens, vocab.frequencies()           # b was left out: one <unk>
            (['<pad>', '<unk>', 'a'], array([0, 1, 2]))
        """
        return np.array([self.counts.get(token, 0) for token in self._id_to_token],
                        dtype=np.int64)

    # ------------------------------------------------------------------ encode / decode

    def encode(self, tokens: Iterable[str], add_bos: bool = False,
               add_eos: bool = False) -> list[int]:
        """Token ids (a list of int) of ``tokens`` (a str is encoded character by
        character), with <bos> / <eos> around it on request.

        Args:
            tokens: the tokens, or a str (its characters)
            add_bos: put <bos>'s id first (ValueError without a bos token). Default: False
            add_eos: put <eos>'s id last (ValueError without an eos token). Default: False
        """
        ids = [self.token_to_id(token) for token in tokens]
        if add_bos:
            ids.insert(0, self._required("bos", "add_bos"))
        if add_eos:
            ids.append(self._required("eos", "add_eos"))
        return ids

    def _required(self, role: str, option: str) -> int:
        index = self._special_id(role)
        if index is None:
            raise ValueError(f"Vocabulary: {option}=True but this vocabulary has no {role} token")
        return index

    def decode(self, ids: Any, skip_special: bool = False,
               stop_at_eos: bool = False) -> list[str]:
        """Tokens (a list of str) of ``ids`` (ints in a list, an array of any shape or a
        Tensor); ``skip_special`` drops pad/unk/bos/eos, ``stop_at_eos`` ends at <eos>.

        Args:
            ids: integer ids (whole floats pass; bools and fractions raise)
            skip_special: drop the special tokens. Default: False
            stop_at_eos: stop at the first <eos>. Default: False
        """
        eos = self.eos_id
        special_ids = {self._token_to_id[token] for token in self.specials}
        tokens = []
        ids = unwrap(ids)
        if backend.is_array(ids):
            ids = backend.to_device(ids, "cpu")
        for index in _integer_ids("Vocabulary.decode", ids).reshape(-1).tolist():
            if stop_at_eos and index == eos:
                break
            if skip_special and index in special_ids:
                continue
            tokens.append(self._token_at(index))
        return tokens

    def decode_text(self, ids: Any, sep: str = "", skip_special: bool = False,
                    stop_at_eos: bool = False) -> str:
        """``decode`` joined into one string with ``sep`` ('' for characters, ' ' for
        words).

        Example:
            >>> vocab = data.Vocabulary("hi", pad=" ", unk=None, bos=None, eos=None)
            >>> vocab.decode_text(np.array([1, 2, 0]))
            'hi '
        """
        return sep.join(self.decode(ids, skip_special=skip_special, stop_at_eos=stop_at_eos))

    # ------------------------------------------------------------------ save / load (JSON)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description: tokens in id order, the specials, the counts."""
        return {
            "format": _FORMAT,
            "version": 1,
            "specials": dict(self._specials),
            "tokens": list(self._id_to_token),
            "counts": [self.counts.get(token, 0) for token in self._id_to_token],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Vocabulary:
        """The Vocabulary that ``to_dict`` described (ids unchanged)."""
        if not isinstance(data, dict) or data.get("format") != _FORMAT:
            raise ValueError("Vocabulary.from_dict: not a manabu vocabulary (format field "
                             f"should be {_FORMAT!r})")
        specials = {role: data["specials"].get(role) for role in _SPECIAL_ROLES}
        counts = {token: count for token, count in zip(data["tokens"], data["counts"]) if count}
        vocab = cls(data["tokens"], counts=counts, **specials)
        if vocab.tokens != data["tokens"]:
            raise ValueError("Vocabulary.from_dict: the specials do not come first in the "
                             "token list; the file was not written by Vocabulary.save")
        return vocab

    def save(self, path: str | PathLike[str]) -> None:
        """Write the vocabulary as JSON (atomically).

        Example:
            >>> import os, tempfile
            >>> vocab = data.Vocabulary(["a", "b"])
            >>> with tempfile.TemporaryDirectory() as folder:
            ...     vocab.save(os.path.join(folder, "vocab.json"))
            ...     again = data.Vocabulary.load(os.path.join(folder, "vocab.json"))
            >>> again == vocab
            True
        """
        atomic.write_text(path, json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n")

    @classmethod
    def load(cls, path: str | PathLike[str]) -> Vocabulary:
        """Read a vocabulary written by ``save``."""
        with open(path, encoding="utf-8") as handle:
            return cls.from_dict(json.load(handle))


def pad_sequences(seqs: Iterable[Sequence[int] | np.ndarray], pad_id: int = 0,
                  max_len: int | None = None, padding: str = "post",
                  truncating: str = "post") -> tuple[np.ndarray, np.ndarray]:
    """Sequences of ids of different lengths -> ``(ids (N, T) int64, mask (N, T) bool)``.

    T is ``max_len`` or the longest sequence. Short sequences are filled with ``pad_id``
    after the tokens (``padding="post"``) or before them ("pre"); long ones lose tokens at
    the end (``truncating="post"``) or the start ("pre"). ``mask`` is True at real tokens,
    False at padding, e.g. to average a loss over real tokens only.

    As Keras' ``pad_sequences``, except that both defaults here are "post" (Keras pads
    and truncates "pre") and a mask comes with the ids.

    Args:
        seqs: sequences of integer ids (lists or arrays)
        pad_id: the id written at padded positions. Default: 0
        max_len: the width T; None: the longest sequence. Default: None
        padding: 'post' or 'pre'. Default: 'post'
        truncating: 'post' or 'pre'. Default: 'post'

    Returns:
        ``(ids, mask)``: (N, T) int64 and (N, T) bool

    Example:
        >>> ids, mask = data.pad_sequences([[5, 6, 7], [8]])
        >>> ids.tolist(), mask.sum(axis=1).tolist()
        ([[5, 6, 7], [8, 0, 0]], [3, 1])
    """
    for name, value in (("padding", padding), ("truncating", truncating)):
        if value not in ("pre", "post"):
            raise ValueError(f"pad_sequences: {name} must be 'pre' or 'post', got {value!r}")
    pad_id = int(_integer_ids("pad_sequences: pad_id", pad_id))
    seqs = [_integer_ids(f"pad_sequences: sequence {i}", s).reshape(-1)
            for i, s in enumerate(seqs)]
    longest = max((len(s) for s in seqs), default=0)
    width = longest if max_len is None else int(max_len)
    ids = np.full((len(seqs), width), pad_id, dtype=np.int64)  # (N, T)
    mask = np.zeros((len(seqs), width), dtype=bool)  # (N, T)
    for row, seq in enumerate(seqs):
        if len(seq) > width:
            seq = seq[:width] if truncating == "post" else seq[len(seq) - width:]
        start = 0 if padding == "post" else width - len(seq)
        ids[row, start:start + len(seq)] = seq
        mask[row, start:start + len(seq)] = True
    return ids, mask
