from paperwire.papers.text import clean_text, split_authors


def test_collapses_whitespace_and_line_wraps() -> None:
    raw = "  Sensor simulation is pivotal for scalable validation of autonomous driving\nsystems,  yet\texisting "
    assert (
        clean_text(raw)
        == "Sensor simulation is pivotal for scalable validation of autonomous driving systems, yet existing"
    )


def test_tex_accents_and_letters_become_characters() -> None:
    assert clean_text(r"C. Bal\'azs and G\"{o}del and {\v C}ech and \o ystein and Stra\ss e") == (
        "C. Balázs and Gödel and Čech and øystein and Straße"
    )


def test_text_markup_is_removed_but_math_kept() -> None:
    raw = r"We study \emph{sparse} models with $O(n \log n)$ cost and \textbf{\textit{fast}} 50\% gains"
    assert clean_text(raw) == r"We study sparse models with $O(n \log n)$ cost and fast 50% gains"


def test_math_is_left_untouched() -> None:
    raw = r"the bound $\alpha -- \beta$ and ``quoted'' text -- here"
    assert clean_text(raw) == "the bound $\\alpha -- \\beta$ and \u201cquoted\u201d text \u2013 here"


def test_empty_and_none() -> None:
    assert clean_text(None) == ""
    assert clean_text("   \n ") == ""


def test_split_authors_keeps_order_and_drops_affiliations() -> None:
    assert split_authors("D.V. Shetty, S.J. Yennello, and G.A. Souliotis") == [
        "D.V. Shetty",
        "S.J. Yennello",
        "G.A. Souliotis",
    ]
    assert split_authors("A. One (MIT) and B. Two") == ["A. One", "B. Two"]
