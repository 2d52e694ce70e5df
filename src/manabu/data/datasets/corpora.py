"""Generated toy corpora: a word2vec corpus with planted synonyms, and dialogues for HRED.

Both are tiny and structured on purpose, so that a model trained for seconds shows the
effect a lesson is about:
- ``toy_corpus``: sentences from templates in which two words always share the same
  contexts ("the king rules the land ." / "the queen rules the land ."), so word2vec
  (分散表現, distributional hypothesis) must give them similar vectors.
- ``toy_dialogues``: multi-turn conversations whose replies recall facts said several turns
  earlier, so a hierarchical model (HRED) that keeps a context vector of the whole dialogue
  beats one that reads only the last utterance.
"""

from __future__ import annotations

import numpy as np

from manabu.data.text import Vocabulary

__all__ = ["TOY_SYNONYMS", "toy_corpus", "toy_dialogues"]

# (template, synonym pair): "{}" is filled with one of the pair, at random.
_CORPUS_TEMPLATES = (
    ("the {} rules the land .", ("king", "queen")),
    ("a {} chases the red ball .", ("cat", "dog")),
    ("i drink hot {} every morning .", ("tea", "coffee")),
    ("we drive our {} to town .", ("car", "truck")),
    ("she reads a long {} at night .", ("book", "novel")),
)

TOY_SYNONYMS = tuple(pair for _, pair in _CORPUS_TEMPLATES)


def toy_corpus(n_sentences: int = 1000, seed: int = 0) -> tuple[np.ndarray, Vocabulary]:
    """``(ids, vocab)``: a corpus of templated sentences for word2vec.

    ids: (L,) int64, the sentences one after another (each ends with "."); vocab: a
    Vocabulary without special tokens, most frequent word first, with the counts
    (``vocab.frequencies()``) for negative sampling. Each sentence picks one of the
    templates and one word of its synonym pair (``TOY_SYNONYMS``: king/queen, cat/dog,
    tea/coffee, car/truck, book/novel), so the two words of a pair share every context.

    Args:
        n_sentences: how many sentences. Default: 1000
        seed: the seed of the choices. Default: 0

    Example:
        >>> ids, vocab = data.toy_corpus(n_sentences=3)
        >>> ids.dtype, vocab.decode_text(ids, sep=" ").count(" . ")
        (dtype('int64'), 2)
    """
    rng = np.random.default_rng(seed)
    which = rng.integers(0, len(_CORPUS_TEMPLATES), size=n_sentences)
    side = rng.integers(0, 2, size=n_sentences)
    words = []
    for template_index, pick in zip(which.tolist(), side.tolist()):
        template, pair = _CORPUS_TEMPLATES[template_index]
        words.extend(template.format(pair[pick]).split())
    vocab = Vocabulary.from_tokens(words, pad=None, unk=None, bos=None, eos=None)
    ids = np.array(vocab.encode(words), dtype=np.int64)  # (L,)
    return ids, vocab


# --------------------------------------------------------------------------- dialogues

_NAMES = ("alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi")
_CITIES = ("tokyo", "osaka", "paris", "london", "berlin", "rome", "cairo", "lima")
_FOODS = ("sushi", "ramen", "pizza", "pasta", "curry", "bread", "apples", "cheese")

_INTRODUCTIONS = (
    "hello , i am {name} from {city} and i like {food} .",
    "hi , my name is {name} . i live in {city} and i love {food} .",
    "good morning ! i like {food} , i am {name} and i live in {city} .",
)

_QUESTIONS = (
    ("what is your name ?", "my name is {name} ."),
    ("where do you live ?", "i live in {city} ."),
    ("what food do you like ?", "i like {food} ."),
    ("do you like {other} ?", None),  # yes or no: depends on the food said at the start
)


def _reply(question_index: int, facts: dict[str, str], other: str | None) -> str:
    """The answer to question ``question_index`` given the facts of turn 0."""
    answer = _QUESTIONS[question_index][1]
    if answer is not None:
        return answer.format(**facts)
    if other == facts["food"]:
        return f"yes , i like {other} ."
    return f"no , i like {facts['food']} ."


def _dialogue(rng: np.random.Generator, turns: int) -> list[str]:
    """One dialogue as a list of utterance strings."""
    facts = {
        "name": _NAMES[rng.integers(len(_NAMES))],
        "city": _CITIES[rng.integers(len(_CITIES))],
        "food": _FOODS[rng.integers(len(_FOODS))],
    }
    utterances = [_INTRODUCTIONS[rng.integers(len(_INTRODUCTIONS))].format(**facts)]
    question, other = 0, None
    for turn in range(1, turns):
        if turn % 2 == 1:  # the listener asks
            question = int(rng.integers(len(_QUESTIONS)))
            other = facts["food"] if rng.random() < 0.5 else _FOODS[rng.integers(len(_FOODS))]
            utterances.append(_QUESTIONS[question][0].format(other=other))
        else:  # the speaker answers from what was said at turn 0
            utterances.append(_reply(question, facts, other))
    return utterances


def _dialogue_words() -> list[str]:
    """Every word any dialogue can use, sorted (the vocabulary is fixed by the templates)."""
    texts = list(_INTRODUCTIONS) + [q for q, _ in _QUESTIONS]
    texts += [a for _, a in _QUESTIONS if a is not None] + ["yes , no ,"]
    words = {w for text in texts for w in text.split() if not w.startswith("{")}
    return sorted(words | set(_NAMES) | set(_CITIES) | set(_FOODS))


def toy_dialogues(n: int = 1000, turns: int = 3,
                  seed: int = 0) -> tuple[list[list[list[str]]], Vocabulary]:
    """``(dialogues, vocab)``: ``n`` generated conversations of ``turns`` utterances.

    dialogues[i][k] is utterance k of dialogue i as a list of word tokens. Turn 0
    introduces a speaker (name, city, favourite food); odd turns ask about one of them
    ("where do you live ?", "do you like pizza ?"), even turns answer from turn 0
    ("i live in paris .", "no , i like sushi ."). The same question gets different
    answers in different dialogues, so a reply is determined only by the context (turn 0
    and the question), not by the previous utterance alone: the setting of HRED
    (階層型エンコーダ・デコーダ). vocab: the words, with <pad> = 0, <unk>, <bos>, <eos>,
    the same for every n and seed; encode an utterance with
    ``vocab.encode(tokens, add_bos=True, add_eos=True)``.

    Args:
        n: how many dialogues. Default: 1000
        turns: utterances per dialogue, >= 3. Default: 3
        seed: the seed of the choices. Default: 0

    Example:
        >>> dialogues, vocab = data.toy_dialogues(n=2, turns=3)
        >>> len(dialogues), len(dialogues[0]), vocab.pad_id
        (2, 3, 0)
    """
    if turns < 3:
        raise ValueError(f"toy_dialogues: turns must be at least 3 (ask, then answer), got {turns}")
    rng = np.random.default_rng(seed)
    dialogues = [[text.split() for text in _dialogue(rng, turns)] for _ in range(n)]
    return dialogues, Vocabulary(_dialogue_words())
