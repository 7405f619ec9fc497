"""Saved searches against a period's papers: AND of words, phrases, exclusions, filters."""

from __future__ import annotations

import datetime as dt

from paperwire.digest.matching import MatchDoc, PaperMatcher, category_matches


def doc(
    pid: int,
    title: str,
    abstract: str = "",
    authors: tuple[str, ...] = ("A. Author",),
    cats: tuple[str, ...] = ("cs.CL",),
    code: bool = False,
) -> MatchDoc:
    return MatchDoc(
        pid, f"2606.{pid:05d}", title, abstract, authors, cats, code, dt.date(2026, 6, pid % 28 + 1)
    )


MATCHER = PaperMatcher(
    [
        doc(
            1,
            "Large Language Models for Code",
            "We train a language model on code.",
            ("Ada Lovelace",),
            code=True,
        ),
        doc(2, "Diffusion Models for Video", "Video diffusion at scale.", cats=("cs.CV",)),
        doc(
            3,
            "Image Diffusion without Video",
            "A model of language and images.",
            ("Alan Turing", "Ada Lovelace"),
        ),
        doc(4, "Robots Learn to Walk", "Reinforcement learning for legged robots.", cats=("cs.RO", "cs.LG")),
    ]
)


def test_words_are_and_ed_case_insensitively() -> None:
    assert MATCHER.search("diffusion") == [2, 3]
    assert MATCHER.search("DIFFUSION video") == [2, 3]
    assert MATCHER.search("diffusion walk") == []


def test_phrases_and_exclusions() -> None:
    assert MATCHER.search('"language model"') == [1]
    assert MATCHER.search("language model") == [1, 3]
    assert MATCHER.search("diffusion -video") == []
    assert MATCHER.search('diffusion -"video diffusion"') == [3]


def test_filters() -> None:
    assert MATCHER.search("author:lovelace") == [1, 3]
    assert MATCHER.search("cat:cs.LG") == [4]
    assert MATCHER.search("model has:code") == [1]
    assert MATCHER.search("after:2026-06-03 before:2026-06-04 diffusion") == [2, 3]
    assert MATCHER.search("after:not-a-date") == []  # an unusable saved search matches nothing
    assert MATCHER.search("") == []


def test_followed_authors_and_categories() -> None:
    assert MATCHER.by_followed_author("ada  LOVELACE") == [1, 3]
    assert MATCHER.by_followed_author("Ada") == []
    assert MATCHER.in_category("cs") == [1, 2, 3, 4]
    assert MATCHER.in_category("cs.RO") == [4]
    assert category_matches("cs", ["cs.CL"]) and not category_matches("c", ["cs.CL"])
