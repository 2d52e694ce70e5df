"""CharTokenizer: characters to ids and back, for character-level language models
(文字レベル言語モデル) such as the GPT on tiny-shakespeare.

The vocabulary is the sorted set of a text's characters (65 for tiny-shakespeare), with no
special tokens, so id i is the i-th character in code-point order. Encoding a million
characters takes one vectorised lookup, not a Python loop. Saved as JSON (the
``Vocabulary`` format), never pickled.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import numpy as np

from manabu import atomic, backend
from manabu.data.text import Vocabulary, _integer_ids
from manabu.tensor import unwrap

if TYPE_CHECKING:
    from os import PathLike
    from typing import Any

__all__ = ["CharTokenizer"]

_KIND = "char-tokenizer"
_SHOWN_MISSING, _SHOWN_KNOWN = 10, 100  # the most characters an error message lists


def _code_points(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)  # one per character


class CharTokenizer:
    """A character-level tokenizer: ``encode(text)`` -> ids, ``decode(ids)`` -> text.

    Args:
        characters: the distinct characters, in id order (a str or an iterable of
            one-character strings); ``from_text`` builds them from a corpus

    Example:
        >>> tokenizer = data.CharTokenizer.from_text("hello world")
        >>> len(tokenizer), tokenizer.characters
        (8, ' dehlorw')
        >>> ids = tokenizer.encode("hold")
        >>> ids.tolist(), tokenizer.decode(ids)
        ([3, 5, 4, 1], 'hold')
    """

    def __init__(self, characters: str | list[str]) -> None:
        characters = list(characters)
        bad = [c for c in characters if not (isinstance(c, str) and len(c) == 1)]
        if bad or not characters or len(set(characters)) != len(characters):
            raise ValueError("CharTokenizer: characters must be distinct one-character strings, "
                             f"at least one; got {characters[:10]!r}...")
        self.vocabulary = Vocabulary(characters, pad=None, unk=None, bos=None, eos=None)
        self.characters = "".join(characters)
        points = _code_points(self.characters)
        self._order = np.argsort(points)  # ids sorted by code point, for the lookup
        self._sorted_points = points[self._order]
        self._chars = np.array(characters)  # (V,) for decoding by indexing

    @classmethod
    def from_text(cls, text: str) -> CharTokenizer:
        """The tokenizer of ``text``'s distinct characters, sorted (nanoGPT's char-level
        preparation: id order = code-point order).

        Args:
            text: the corpus
        """
        if not isinstance(text, str) or not text:
            raise ValueError("CharTokenizer.from_text: give a non-empty str")
        return cls(sorted(set(text)))

    def __len__(self) -> int:
        return len(self.characters)

    @property
    def vocab_size(self) -> int:
        """The number of characters, V (the model's vocab_size)."""
        return len(self.characters)

    def encode(self, text: str) -> np.ndarray:
        """The ids (L,) int64 of ``text``'s characters; ValueError naming the characters that
        are not in the vocabulary.

        Args:
            text: the text to encode
        """
        if not isinstance(text, str):
            raise TypeError(f"CharTokenizer.encode: expected a str, got {type(text).__name__}")
        points = _code_points(text)
        at = np.minimum(np.searchsorted(self._sorted_points, points), len(self) - 1)
        unknown = self._sorted_points[at] != points
        if unknown.any():
            raise ValueError(self._missing_message(points[unknown], int(unknown.argmax())))
        return self._order[at].astype(np.int64)

    def _missing_message(self, missing_points: np.ndarray, first: int) -> str:
        missing = sorted({chr(p) for p in missing_points.tolist()})
        shown = ", ".join(repr(c) for c in missing[:_SHOWN_MISSING])
        if len(missing) > _SHOWN_MISSING:
            shown += ", ..."
        known = repr(self.characters[:_SHOWN_KNOWN])
        if len(self) > _SHOWN_KNOWN:
            known += "..."
        return (f"CharTokenizer.encode: characters not in the vocabulary: {shown} "
                f"({len(missing)} distinct, the first at index {first} of the text); the "
                f"tokenizer knows {len(self)} characters: {known}. Build it from a text "
                "that holds them (CharTokenizer.from_text) or remove them from the input")

    def decode(self, ids: Any) -> str:
        """The text of ``ids``: a list, an array of any shape (flattened) or a Tensor.

        Args:
            ids: integer ids in [0, V) (whole floats pass; bools and fractions raise)

        Example:
            >>> tokenizer = data.CharTokenizer("ab")
            >>> tokenizer.decode(np.array([[0, 1], [1, 1]])), tokenizer.decode([])
            ('abbb', '')
        """
        ids = unwrap(ids)
        if backend.is_array(ids):
            ids = backend.to_device(ids, "cpu")  # a CuPy array: the lookup runs on the host
        ids = _integer_ids("CharTokenizer.decode", ids).reshape(-1)
        if ids.size and (ids.min() < 0 or ids.max() >= len(self)):
            raise ValueError(f"CharTokenizer.decode: ids must be in [0, {len(self)}), got "
                             f"values in [{ids.min()}, {ids.max()}]")
        return "".join(self._chars[ids].tolist())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CharTokenizer) and other.characters == self.characters

    def __repr__(self) -> str:
        return f"CharTokenizer({len(self)} characters)"

    def to_dict(self) -> dict[str, Any]:
        """The Vocabulary's JSON description, marked as a character tokenizer."""
        return {**self.vocabulary.to_dict(), "kind": _KIND}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CharTokenizer:
        """The tokenizer that ``to_dict`` described (ValueError for anything else).

        Args:
            data: what ``to_dict`` returned, e.g. read from JSON
        """
        if not isinstance(data, dict) or data.get("kind") != _KIND:
            raise ValueError("CharTokenizer.from_dict: not a manabu character tokenizer "
                             f"(its 'kind' should be {_KIND!r})")
        if not isinstance(data.get("tokens"), list) or not isinstance(data.get("specials"), dict):
            raise ValueError("CharTokenizer.from_dict: 'tokens' should be a list of characters "
                             "and 'specials' a dict")
        tokenizer = cls(data["tokens"])  # distinct single characters, checked before
        vocabulary = Vocabulary.from_dict(data)  # the format, the specials
        if vocabulary.specials:
            raise ValueError("CharTokenizer.from_dict: a character tokenizer has no special "
                             f"tokens, this one has {vocabulary.specials}")
        return tokenizer

    def save(self, path: str | PathLike[str]) -> None:
        """Write the tokenizer as JSON, atomically.

        Args:
            path: the file to write

        Example:
            >>> import os, tempfile
            >>> tokenizer = data.CharTokenizer.from_text("abc")
            >>> with tempfile.TemporaryDirectory() as folder:
            ...     tokenizer.save(os.path.join(folder, "tokenizer.json"))
            ...     again = data.CharTokenizer.load(os.path.join(folder, "tokenizer.json"))
            >>> again == tokenizer
            True
        """
        atomic.write_text(path, json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n")

    @classmethod
    def load(cls, path: str | PathLike[str]) -> CharTokenizer:
        """Read a tokenizer written by ``save``; ValueError naming the file if it is not one.

        Args:
            path: the JSON file
        """
        try:
            with open(path, encoding="utf-8") as handle:
                return cls.from_dict(json.load(handle))
        except (ValueError, KeyError, TypeError) as error:  # JSON or content errors
            raise ValueError(f"{path} is not a character tokenizer written by "
                             f"CharTokenizer.save: {error}") from None
