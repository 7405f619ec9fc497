"""The recommender's model: a linear classifier over keyword, author and embedding features, with reasons.

In the spirit of arxiv-sanity-lite (a linear SVM on tf-idf, showing the words behind it), extended with
the user's explicit "not relevant" papers as negatives, author features (people follow people), and
the stored sentence embeddings when they exist. Training sets are tiny (a tag is a handful of papers)
against a sample of background papers, so a fit takes milliseconds and scoring is one sparse/dense
matrix-vector product over the candidates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC

Vector = npt.NDArray[np.float32]

# Block weights, chosen on the first 60 files of arxiv-daily (see docs/benchmarks.md): each block's rows
# are L2-normalised, then scaled, so the weights say how much each kind of evidence counts. There, the
# embeddings at weight 1 diluted the words and authors (recall@20 0.86 vs 0.97); at 0.3 they are neutral
# on that task and still pull in papers that share meaning but not vocabulary.
TEXT_WEIGHT = 1.0
AUTHOR_WEIGHT = 1.0
EMBEDDING_WEIGHT = 0.3
SVM_C = 0.1
EXPLICIT_NEGATIVE_WEIGHT = 3.0
WORDS = r"(?u)\b[a-zA-Z][a-zA-Z0-9\-]+\b"  # words start with a letter: no bare numbers


@dataclass
class Corpus:
    """Papers as the model sees them, row-aligned: ids, text, authors and (optionally) embeddings."""

    ids: list[int]
    texts: list[str]
    authors: list[list[str]]
    embeddings: Vector | None = None


@dataclass
class Features:
    """The stacked feature matrix of a corpus and what each column means."""

    matrix: sp.csr_matrix
    text: sp.csr_matrix
    terms: npt.NDArray[np.str_]
    author_names: list[str]
    n_text: int
    n_authors: int
    embeddings: Vector | None
    row_of: dict[int, int] = field(default_factory=dict)
    unit: sp.csr_matrix | None = None  # the rows at unit length, made on first use


def _l2_rows(matrix: sp.csr_matrix) -> sp.csr_matrix:
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.csr_matrix(sp.diags(1.0 / norms) @ matrix)


@dataclass
class TextSpace:
    """A fitted tf-idf vocabulary and the rows of the texts it was fitted on (reused across requests)."""

    vectorizer: Any
    matrix: sp.csr_matrix
    terms: npt.NDArray[np.str_]

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        if not texts:
            return sp.csr_matrix((0, self.matrix.shape[1]), dtype=np.float32)
        return sp.csr_matrix(self.vectorizer.transform(list(texts)), dtype=np.float32)


def fit_text(texts: Sequence[str]) -> TextSpace:
    """tf-idf of title+abstract: uni- and bi-grams, sublinear tf, common words dropped, as arxiv-sanity."""
    n = len(texts)
    vectorizer = TfidfVectorizer(
        ngram_range=(1, 2),
        min_df=2 if n >= 50 else 1,
        max_df=0.1 if n >= 1000 else 1.0,
        max_features=50_000,
        sublinear_tf=True,
        stop_words="english",
        dtype=np.float32,
        token_pattern=WORDS,
    )
    matrix = sp.csr_matrix(vectorizer.fit_transform(list(texts)), dtype=np.float32)
    return TextSpace(vectorizer, matrix, vectorizer.get_feature_names_out())


def build_features(
    corpus: Corpus,
    *,
    text: sp.csr_matrix | None = None,
    terms: npt.NDArray[np.str_] | None = None,
    text_weight: float = TEXT_WEIGHT,
    author_weight: float = AUTHOR_WEIGHT,
    embedding_weight: float = EMBEDDING_WEIGHT,
) -> Features:
    """tf-idf rows (fitted here, or given with their ``terms``), author one-hots, embeddings; stacked."""
    n = len(corpus.ids)
    if text is None or terms is None:
        space = fit_text(corpus.texts)
        text, terms = space.matrix, space.terms
    names: dict[str, int] = {}
    rows, cols = [], []
    for row, people in enumerate(corpus.authors):
        for person in dict.fromkeys(people):
            rows.append(row)
            cols.append(names.setdefault(person, len(names)))
    authors = sp.csr_matrix(
        (np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(n, max(1, len(names))), dtype=np.float32
    )
    blocks = [text * text_weight, _l2_rows(authors) * author_weight]
    if corpus.embeddings is not None and embedding_weight > 0:
        blocks.append(sp.csr_matrix(corpus.embeddings * embedding_weight, dtype=np.float32))
    matrix = sp.csr_matrix(sp.hstack(blocks, format="csr"), dtype=np.float32)
    return Features(
        matrix=matrix,
        text=text,
        terms=terms,
        author_names=list(names),
        n_text=text.shape[1],
        n_authors=max(1, len(names)),
        embeddings=corpus.embeddings if embedding_weight > 0 else None,
        row_of={pid: i for i, pid in enumerate(corpus.ids)},
    )


def normalised(features: Features) -> sp.csr_matrix:
    """The stacked rows scaled to unit length (for cosines), computed once per feature set."""
    if features.unit is None:
        features.unit = _l2_rows(features.matrix)
    return features.unit


def without_authors(features: Features) -> Features:
    """The same features with the author block zeroed: the ablation the evaluation reports."""
    mask = np.ones(features.matrix.shape[1], dtype=np.float32)
    mask[features.n_text : features.n_text + features.n_authors] = 0
    matrix = sp.csr_matrix(features.matrix @ sp.diags(mask), dtype=np.float32)
    matrix.eliminate_zeros()
    return replace(features, matrix=matrix, unit=None)


@dataclass
class Model:
    weights: Vector
    bias: float


def fit(
    features: Features,
    positives: Sequence[int],
    negatives: Sequence[int],
    explicit_negatives: Sequence[int] = (),
    *,
    c: float = SVM_C,
) -> Model:
    """A class-balanced linear SVM: positives vs background (and, weighted up, the user's "not relevant")."""
    pos = list(dict.fromkeys(positives))
    explicit = [r for r in dict.fromkeys(explicit_negatives) if r not in set(pos)]
    background = [r for r in dict.fromkeys(negatives) if r not in set(pos) and r not in set(explicit)]
    rows = pos + explicit + background
    labels = np.array([1] * len(pos) + [0] * (len(explicit) + len(background)))
    weight = np.array([1.0] * len(pos) + [EXPLICIT_NEGATIVE_WEIGHT] * len(explicit) + [1.0] * len(background))
    # class_weight="balanced" by hand, so the explicit negatives keep their extra weight on top of it
    weight[labels == 1] *= len(rows) / (2 * max(1, len(pos)))
    weight[labels == 0] *= len(rows) / (2 * max(1, len(rows) - len(pos)))
    svm = LinearSVC(C=c, max_iter=5000, tol=1e-4)
    svm.fit(features.matrix[rows], labels, sample_weight=weight)
    return Model(np.asarray(svm.coef_[0], dtype=np.float32), float(svm.intercept_[0]))


def scores(features: Features, model: Model, rows: Sequence[int] | None = None) -> Vector:
    matrix = features.matrix if rows is None else features.matrix[list(rows)]
    return np.asarray(matrix @ model.weights + model.bias, dtype=np.float32)


@dataclass(frozen=True)
class Reason:
    """Why a paper is recommended: the saved papers it is closest to and the features that weigh most."""

    closest: list[tuple[int, float]]  # (paper id, cosine similarity), most similar first
    terms: list[str]
    authors: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {
            "closest": [{"paper_id": pid, "similarity": round(sim, 3)} for pid, sim in self.closest],
            "terms": self.terms,
            "authors": self.authors,
        }


def explain(features: Features, model: Model, row: int, positive_rows: Sequence[int], top: int = 3) -> Reason:
    """Per-feature contributions of one candidate (feature value x weight), and its nearest positives."""
    vector = features.matrix[row]
    contrib = vector.multiply(model.weights).tocsr()
    order = np.argsort(-contrib.data)
    terms: list[str] = []
    names: list[str] = []
    limit = features.n_text + features.n_authors
    for k in order:
        col, value = int(contrib.indices[k]), float(contrib.data[k])
        if value <= 0:
            break
        if col < features.n_text and len(terms) < top:
            terms.append(str(features.terms[col]))
        elif features.n_text <= col < limit and len(names) < top:
            names.append(features.author_names[col - features.n_text])
    pos = list(positive_rows)
    sims = np.zeros(len(pos), dtype=np.float32)
    if features.embeddings is not None:
        sims = features.embeddings[pos] @ features.embeddings[row]
    if not (sims > 0).any():  # no embeddings (or none stored for these papers): words decide
        sims = np.asarray((features.text[pos] @ features.text[row].T).todense()).ravel()
    best = np.argsort(-sims)[:2]
    ids = {r: pid for pid, r in features.row_of.items()}
    closest = [(ids[pos[int(i)]], float(sims[int(i)])) for i in best if sims[int(i)] > 0]
    return Reason(closest, terms, names)


def nearest_scores(features: Features, positives: Sequence[int], space: str = "embeddings") -> Vector:
    """The nearest-neighbour baseline: each row's highest cosine similarity to any positive.

    ``space``: "embeddings" (tf-idf when there are none), "tf-idf", or "all" (the model's stacked features).
    """
    if space == "embeddings" and features.embeddings is not None:
        sims = features.embeddings @ features.embeddings[list(positives)].T
    else:
        matrix = normalised(features) if space == "all" else features.text
        sims = np.asarray((matrix @ matrix[list(positives)].T).todense())
    return np.asarray(sims.max(axis=1), dtype=np.float32)
