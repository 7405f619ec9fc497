"""Find code repositories and project pages mentioned in abstracts and comments."""

from __future__ import annotations

import re

# Starts at the host (scheme and www. are implied): a leading optional group would make the regex
# engine try every position of a long abstract.
CODE = re.compile(
    r"(github\.com|gitlab\.com|huggingface\.co)/"
    r"((?:datasets/|spaces/)?[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)",
    re.IGNORECASE,
)
PROJECT = re.compile(r"(?:https?://)?([A-Za-z0-9-]+\.github\.io(?:/[A-Za-z0-9_.~/-]*)?)", re.IGNORECASE)
HOSTS = ("github.com", "gitlab.com", "huggingface.co")
NOT_REPOS = {"github.com": {"features", "about", "orgs", "sponsors", "topics", "marketplace"}}


def _clean(path: str) -> str:
    path = path.rstrip(".,;:)]}'\"")
    return path.removesuffix(".git")


def code_links(*texts: str | None) -> list[str]:
    """Canonical https URLs of repositories (GitHub, GitLab, Hugging Face), first mention first."""
    found: list[str] = []
    for text in texts:
        # The cheap substring test skips the regex for the nine in ten abstracts that link nothing.
        if not text:
            continue
        low = text.lower()
        if not any(host in low for host in HOSTS):
            continue
        for host, path in CODE.findall(text.replace("\\_", "_")):
            host = host.lower()
            path = _clean(path)
            if path.split("/")[0].lower() in NOT_REPOS.get(host, set()) or path.count("/") < 1:
                continue
            url = f"https://{host}/{path}"
            if url.lower() not in (f.lower() for f in found):
                found.append(url)
    return found


def project_page(*texts: str | None) -> str | None:
    for text in texts:
        if text and ".github.io" in text.lower():
            match = PROJECT.search(text)
            if match:
                return "https://" + _clean(match.group(1)).rstrip("/")
    return None
