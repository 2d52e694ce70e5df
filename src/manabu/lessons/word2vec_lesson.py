"""word2vec: 分散表現 (distributed representations) of Shakespeare's words, learned by CBOW.

The distributional hypothesis (分布仮説): words used in the same contexts mean similar
things. CBOW (continuous bag-of-words) learns a vector per word by predicting each word
from the mean of its neighbours' vectors (2 words on each side), with negative sampling
(負例サンプリング): the true word against 5 words drawn from the unigram distribution^0.75,

    L = -log sigmoid(h . w_target) - sum_k log sigmoid(-h . w_neg_k),  h = mean(contexts)

Corpus: tiny-shakespeare as lowercase words (punctuation dropped), 203,836 words; the 3,322
words seen at least 5 times get a vector, the rest share <unk>. 50 dimensions, Adam (lr
0.005), batches of 256. After training, words are compared by the cosine of their vectors
(``most_similar``) and the 60 most frequent words are projected on their first two
principal components (PCA, 主成分分析) in the figure.

Expect (full run: 3 epochs over the corpus, about 6 s): the loss (6 ln 2 = 4.16 at the
start) falls to 2.03, and the nearest neighbours (cosine) are

    father  -> brother 0.87, uncle, mother, son, husband
    york    -> aumerle 0.87, hereford, surrey, norfolk, lancaster, buckingham
    romeo   -> juliet 0.92, nurse, mercutio
    king    -> prince 0.69, percy, ..., bolingbroke
    he      -> she 0.83, who, ...

(families, the nobles of the history plays, the Romeo and Juliet cast): nothing but the
contexts told the model so. In the figure the possessives (my, thy, his, your, our, her)
gather in one corner, the subject pronouns (i, you, he, we, they) in another, the
prepositions (of, from, with, in, on, at) in a third. Abstract words fare worse (love ->
pity, study, trust): 200,000 words are little for word2vec.

Quick mode (tests: the first 60,000 words, 2 epochs, 2 s): the loss falls to 2.54; "he"
-> it, they, she, ...; "king" -> richard, ii, iii, iv, bolingbroke, edward (the titles of
the history plays).
"""

import os

import numpy as np

import manabu
from manabu import optim, plot
from manabu.data.datasets.shakespeare import load_tiny_shakespeare
from manabu.data.text import Vocabulary, word_tokenize
from manabu.models.word2vec import CBOW, UnigramSampler, contexts_targets, most_similar

__all__ = ["load_words", "pca_2d", "run", "train_cbow"]

QUERIES = ("father", "king", "york", "romeo", "he", "love")
FULL = {"words": None, "epochs": 3}
QUICK = {"words": 60_000, "epochs": 2}
DIM, WINDOW, NEGATIVES, BATCH, LR = 50, 2, 5, 256, 0.005


def load_words(limit=None, root=None):
    """Lowercase words of tiny-shakespeare (tokens starting with a letter), at most
    ``limit``; returns (ids, vocabulary of the words seen 5 times or more, + <unk>)."""
    text = load_tiny_shakespeare(root)
    words = [w for w in word_tokenize(text, lower=True) if w[0].isalpha()]
    words = words[:limit] if limit else words
    vocab = Vocabulary.from_tokens(words, min_freq=5, pad=None, bos=None, eos=None)
    return np.array(vocab.encode(words), dtype=np.int64), vocab


def train_cbow(ids, vocab, epochs, seed=0):
    """CBOW with negative sampling; returns the model and the mean loss of each epoch."""
    manabu.manual_seed(seed)
    model = CBOW(len(vocab), DIM, window=WINDOW)
    contexts, targets = contexts_targets(ids, WINDOW)  # (N, 2 WINDOW), (N,)
    sampler = UnigramSampler(vocab.frequencies(), k=NEGATIVES,
                             generator=np.random.default_rng(seed))
    optimizer = optim.Adam(model.parameters(), lr=LR)
    rng = np.random.default_rng(seed)
    losses = []
    for _ in range(epochs):
        order = rng.permutation(len(targets))
        total = 0.0
        batches = 0
        for start in range(0, len(order), BATCH):
            batch = order[start:start + BATCH]
            loss = model(contexts[batch], targets[batch], sampler.sample(targets[batch]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += float(loss.item())
            batches += 1
        losses.append(total / batches)
    return model, losses


def pca_2d(vectors):
    """The rows of ``vectors`` (n, D) on their first two principal components, (n, 2)."""
    centred = vectors - vectors.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)  # rows of vt: principal axes
    return centred @ vt[:2].T  # (n, 2)


def run(quick=False, out="lessons-output", root=None):
    cfg = QUICK if quick else FULL
    ids, vocab = load_words(cfg["words"], root)
    print(f"{len(ids):,} words, vocabulary of {len(vocab):,} (seen >= 5 times, + <unk>); "
          f"CBOW, {DIM} dimensions, window {WINDOW}, {NEGATIVES} negatives, "
          f"{cfg['epochs']} epochs")
    model, losses = train_cbow(ids, vocab, cfg["epochs"])
    start = (1 + NEGATIVES) * np.log(2)  # every score 0: sigmoid = 1/2 for all 1 + k words
    print(f"loss per epoch: {start:.2f} (start) -> " + ", ".join(f"{v:.3f}" for v in losses))
    vectors = model.word_vectors
    neighbours = {}
    for word in QUERIES:
        if word in vocab:
            neighbours[word] = most_similar(word, vocab, vectors, top=10)
            shown = ", ".join(f"{w} {c:.2f}" for w, c in neighbours[word][:6])
            print(f"  {word:7s} -> {shown}")

    frequent = [t for t in vocab.tokens if t not in vocab.specials][:60]  # by frequency
    index = [vocab.token_to_id(t) for t in frequent]
    points = pca_2d(np.asarray(vectors)[index].astype(np.float64))
    path = _figure(points, frequent, os.path.join(out, "word2vec_pca.png"))
    print(f"figure: {path}")
    return {
        "words": int(len(ids)),
        "vocabulary": len(vocab),
        "loss_start": float(start),
        "losses": [float(v) for v in losses],
        "neighbours": {w: [t for t, _ in n] for w, n in neighbours.items()},
        "figure": path,
    }


def _figure(points, labels, path):
    plt = plot.pyplot()
    fig, ax = plt.subplots(figsize=(8, 7))
    ax.scatter(points[:, 0], points[:, 1], s=8)
    for (x, y), label in zip(points, labels):
        ax.annotate(label, (x, y), fontsize=8, xytext=(2, 2), textcoords="offset points")
    ax.set_xlabel("principal component 1")
    ax.set_ylabel("principal component 2")
    ax.set_title("word2vec (CBOW) on tiny-shakespeare: the 60 most frequent words")
    ax.grid(alpha=0.3)
    return plot.save_figure(fig, path)
