import pytest

from paperwire.papers.ids import InvalidArxivId, normalize_arxiv_id, parse_arxiv_id


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2401.01234", ("2401.01234", None)),
        ("2401.01234v3", ("2401.01234", 3)),
        ("arXiv:2401.01234v2", ("2401.01234", 2)),
        ("https://arxiv.org/abs/2401.01234v1", ("2401.01234", 1)),
        ("http://arxiv.org/pdf/2401.01234v4.pdf", ("2401.01234", 4)),
        ("https://export.arxiv.org/abs/0704.0001", ("0704.0001", None)),
        ("oai:arXiv.org:0704.0471", ("0704.0471", None)),
        ("hep-th/9901001", ("hep-th/9901001", None)),
        ("hep-th/9901001v2", ("hep-th/9901001", 2)),
        ("math.GT/0309136", ("math.GT/0309136", None)),
        ("oai:arXiv.org:cond-mat/0102536", ("cond-mat/0102536", None)),
        ("  2501.00001  ", ("2501.00001", None)),
    ],
)
def test_parses_every_spelling(raw: str, expected: tuple[str, int | None]) -> None:
    assert parse_arxiv_id(raw) == expected


@pytest.mark.parametrize(
    "raw", ["", "hello", "2401.123", "12345.67890", "hep-th/99", "2401.01234vx", "../etc/passwd"]
)
def test_rejects_non_ids(raw: str) -> None:
    with pytest.raises(InvalidArxivId, match="not an arXiv id"):
        normalize_arxiv_id(raw)
