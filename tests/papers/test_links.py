from paperwire.papers.links import code_links, project_page


def test_finds_repositories_on_each_host_once() -> None:
    text = (
        "Code is at https://github.com/Org/Repo. Mirror: github.com/org/repo.git; "
        "weights on https://huggingface.co/org/model-7b, data at huggingface.co/datasets/org/set), "
        "and https://gitlab.com/group/tool/."
    )
    assert code_links(text) == [
        "https://github.com/Org/Repo",
        "https://huggingface.co/org/model-7b",
        "https://huggingface.co/datasets/org/set",
        "https://gitlab.com/group/tool",
    ]


def test_ignores_non_repository_pages_and_text_without_links() -> None:
    assert code_links("see https://github.com/features/copilot and nothing else", None, "") == []
    assert code_links("We propose a new method for segmentation.") == []


def test_escaped_underscores_from_tex() -> None:
    assert code_links(r"https://github.com/a\_b/c\_d") == ["https://github.com/a_b/c_d"]


def test_project_page() -> None:
    assert project_page("More results at rdd-neurips.github.io.") == "https://rdd-neurips.github.io"
    assert project_page("Project: https://foo.github.io/bar/ now") == "https://foo.github.io/bar"
    assert project_page("no page") is None
