"""The personal library on the web: pages and forms under /library, JSON under /api/library, and the
feeds anyone can read: public tags (/shared/TOKEN) and saved-search/follow feeds (/feeds/library/TOKEN).

Every library route acts on the signed-in user's own rows only; another user's tag is a 404, never a 403,
so its existence is not revealed. Services commit nothing themselves here: each route commits once.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Body, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from paperwire.db.models import Paper
from paperwire.digest.account_export import export_account, import_account
from paperwire.library import saved, tags
from paperwire.library.bibtex import bibtex_for_papers
from paperwire.library.errors import LibraryError
from paperwire.library.export import import_bibtex
from paperwire.library.feedback import rate, ratings
from paperwire.library.models import SavedSearch
from paperwire.library.notes import mark_read, notes_for, read_ids, set_note
from paperwire.library.recommend import recommend
from paperwire.search import papers_for
from paperwire.web.deps import CurrentUser, OptionalUser, RowId, SessionDep, SettingsDep, render
from paperwire.web.routes.accounts import safe_next
from paperwire.web.searching import get_search
from paperwire.web.syndication import Format, feed_response

router = APIRouter(tags=["library"])
TagName = Annotated[str, Field(min_length=1, max_length=tags.MAX_TAG)]
MAX_UPLOAD = 5_000_000
FEED_SIZE = 50


def _paper(db: Session, ref: str) -> Paper:
    return tags.resolve_paper(db, ref[:200])


def _paper_json(paper: Paper) -> dict[str, Any]:
    return {
        "id": paper.arxiv_id,
        "title": paper.title,
        "authors": paper.authors,
        "published": paper.published.isoformat() if paper.published else None,
        "categories": paper.categories,
        "abs_url": paper.abs_url,
    }


def _tag_json(info: tags.TagInfo, request: Request) -> dict[str, Any]:
    return {
        "name": info.name,
        "count": info.count,
        "public": info.public,
        "public_url": str(request.url_for("library_public_tag", token=info.public_token))
        if info.public_token
        else None,
    }


# -- JSON API -----------------------------------------------------------------------------------------


class SaveBody(BaseModel):
    arxiv_id: str = Field(min_length=1, max_length=200)
    tags: list[TagName] = Field(default_factory=lambda: [tags.DEFAULT_TAG], max_length=20)


class UnsaveBody(BaseModel):
    arxiv_id: str = Field(min_length=1, max_length=200)
    tag: TagName | None = None


class RenameBody(BaseModel):
    new_name: TagName


class MergeBody(BaseModel):
    sources: list[TagName] = Field(min_length=1, max_length=50)
    target: TagName


class PublicBody(BaseModel):
    public: bool


class NoteBody(BaseModel):
    text: str = Field(max_length=20_000)


class ReadBody(BaseModel):
    read: bool = True


class RatingBody(BaseModel):
    rating: Literal[-1, 0, 1]


class SavedSearchBody(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    query: str = Field(min_length=1, max_length=1000)
    mode: Literal["hybrid", "keyword", "semantic"] = "hybrid"


class FollowBody(BaseModel):
    kind: Literal["author", "category"]
    value: str = Field(min_length=1, max_length=512)


def _ok(**data: Any) -> dict[str, Any]:
    return {"ok": True, **data}


@router.get("/api/library", name="api_library")
def api_library(request: Request, db: SessionDep, user: CurrentUser) -> dict[str, Any]:
    """The user's tags, saved searches and follows (with their feed URLs)."""
    return _ok(
        tags=[_tag_json(t, request) for t in tags.list_tags(db, user.id)],
        saved_searches=[
            {
                "id": s.id,
                "name": s.name,
                "query": s.query,
                "mode": s.mode,
                "feed": _feed_url(request, s.feed_token),
            }
            for s in saved.saved_searches(db, user.id)
        ],
        follows=[
            {"id": f.id, "kind": f.kind, "value": f.value, "feed": _feed_url(request, f.feed_token)}
            for f in saved.follows(db, user.id)
        ],
    )


@router.get("/api/library/tags/{name}", name="api_library_tag")
def api_tag(db: SessionDep, user: CurrentUser, name: str) -> dict[str, Any]:
    tag = tags.get_tag(db, user.id, name[: tags.MAX_TAG])
    papers = tags.tag_papers(db, tag.id)
    ids = [p.id for p in papers]
    notes, read, rated = notes_for(db, user.id, ids), read_ids(db, user.id, ids), ratings(db, user.id, ids)
    return _ok(
        tag=tag.name,
        public=tag.public,
        papers=[
            {**_paper_json(p), "note": notes.get(p.id), "read": p.id in read, "rating": rated.get(p.id, 0)}
            for p in papers
        ],
    )


@router.post("/api/library/save", name="api_library_save")
def api_save(db: SessionDep, user: CurrentUser, body: SaveBody) -> dict[str, Any]:
    paper = _paper(db, body.arxiv_id)
    names = tags.save(db, user.id, paper.id, list(body.tags))
    db.commit()
    return _ok(
        id=paper.arxiv_id, tags=tags.paper_tags(db, user.id, [paper.id]).get(paper.id, []), saved_under=names
    )


@router.post("/api/library/unsave", name="api_library_unsave")
def api_unsave(db: SessionDep, user: CurrentUser, body: UnsaveBody) -> dict[str, Any]:
    paper = _paper(db, body.arxiv_id)
    removed = tags.unsave(db, user.id, paper.id, body.tag)
    db.commit()
    return _ok(id=paper.arxiv_id, removed=removed)


@router.post("/api/library/tags/{name}/rename", name="api_library_rename")
def api_rename(db: SessionDep, user: CurrentUser, name: str, body: RenameBody) -> dict[str, Any]:
    tags.rename_tag(db, user.id, name[: tags.MAX_TAG], body.new_name)
    db.commit()
    return _ok()


@router.post("/api/library/merge", name="api_library_merge")
def api_merge(db: SessionDep, user: CurrentUser, body: MergeBody) -> dict[str, Any]:
    moved = tags.merge_tags(db, user.id, list(body.sources), body.target)
    db.commit()
    return _ok(moved=moved)


@router.delete("/api/library/tags/{name}", name="api_library_delete_tag")
def api_delete_tag(db: SessionDep, user: CurrentUser, name: str) -> dict[str, Any]:
    tags.delete_tag(db, user.id, name[: tags.MAX_TAG])
    db.commit()
    return _ok()


@router.post("/api/library/tags/{name}/public", name="api_library_public")
def api_public(
    request: Request, db: SessionDep, user: CurrentUser, name: str, body: PublicBody
) -> dict[str, Any]:
    token = tags.set_public(db, user.id, name[: tags.MAX_TAG], body.public)
    db.commit()
    return _ok(
        public=body.public, url=str(request.url_for("library_public_tag", token=token)) if token else None
    )


@router.put("/api/library/notes/{arxiv_id:path}", name="api_library_note")
def api_note(db: SessionDep, user: CurrentUser, arxiv_id: str, body: NoteBody) -> dict[str, Any]:
    paper = _paper(db, arxiv_id)
    set_note(db, user.id, paper.id, body.text)
    db.commit()
    return _ok(id=paper.arxiv_id)


@router.post("/api/library/read/{arxiv_id:path}", name="api_library_read")
def api_read(db: SessionDep, user: CurrentUser, arxiv_id: str, body: ReadBody) -> dict[str, Any]:
    paper = _paper(db, arxiv_id)
    mark_read(db, user.id, paper.id, body.read)
    db.commit()
    return _ok(id=paper.arxiv_id, read=body.read)


@router.post("/api/library/feedback/{arxiv_id:path}", name="api_library_feedback")
def api_feedback(db: SessionDep, user: CurrentUser, arxiv_id: str, body: RatingBody) -> dict[str, Any]:
    paper = _paper(db, arxiv_id)
    rate(db, user.id, paper.id, body.rating)
    db.commit()
    return _ok(id=paper.arxiv_id, rating=body.rating)


@router.get("/api/library/recommendations", name="api_library_recommendations")
def api_recommendations(
    db: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
    tag: Annotated[str | None, Query(max_length=tags.MAX_TAG)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
) -> dict[str, Any]:
    """Recent papers for a tag (or the whole library), each with the saved papers and words behind it."""
    result = recommend(db, settings, user.id, tag, limit)
    return _ok(**result.as_dict())


@router.post("/api/library/searches", name="api_library_add_search")
def api_add_search(
    request: Request, db: SessionDep, user: CurrentUser, body: SavedSearchBody
) -> dict[str, Any]:
    row = saved.add_saved_search(db, user.id, body.name, body.query, body.mode)
    db.commit()
    return _ok(id=row.id, feed=_feed_url(request, row.feed_token))


@router.delete("/api/library/searches/{search_id}", name="api_library_delete_search")
def api_delete_search(db: SessionDep, user: CurrentUser, search_id: RowId) -> dict[str, Any]:
    saved.delete_saved_search(db, user.id, search_id)
    db.commit()
    return _ok()


@router.post("/api/library/follows", name="api_library_follow")
def api_follow(request: Request, db: SessionDep, user: CurrentUser, body: FollowBody) -> dict[str, Any]:
    row = saved.follow(db, user.id, body.kind, body.value)
    db.commit()
    return _ok(id=row.id, feed=_feed_url(request, row.feed_token))


@router.delete("/api/library/follows/{follow_id}", name="api_library_unfollow")
def api_unfollow(db: SessionDep, user: CurrentUser, follow_id: RowId) -> dict[str, Any]:
    saved.unfollow(db, user.id, follow_id)
    db.commit()
    return _ok()


@router.get("/api/library/export", name="api_library_export")
def api_export(db: SessionDep, user: CurrentUser) -> Response:
    data = export_account(db, user.id)
    return JSONResponse(
        data, headers={"content-disposition": 'attachment; filename="paperwire-library.json"'}
    )


@router.post("/api/library/import", name="api_library_import")
def api_import(db: SessionDep, user: CurrentUser, body: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
    report = import_account(db, user.id, body)
    db.commit()
    return _ok(**report.as_dict())


@router.get("/api/library/tags/{name}/bibtex", name="api_library_bibtex")
def api_bibtex(db: SessionDep, user: CurrentUser, name: str) -> Response:
    tag = tags.get_tag(db, user.id, name[: tags.MAX_TAG])
    text = bibtex_for_papers(tags.tag_papers(db, tag.id), keyword=tag.name)
    return Response(
        text,
        media_type="application/x-bibtex; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{_filename(tag.name)}.bib"'},
    )


def _filename(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in name)[:60] or "tag"


# -- feeds anyone with the link can read ------------------------------------------------------------


def _feed_url(request: Request, token: str, fmt: str = "atom") -> str:
    return str(request.url_for("library_feed", token=token, fmt=fmt))


@router.get("/shared/{token}.{fmt}", name="library_public_feed", include_in_schema=False)
def public_feed(request: Request, db: SessionDep, settings: SettingsDep, token: str, fmt: Format) -> Response:
    """A public tag's feed: no account needed; a private or unknown tag is 404."""
    tag = tags.public_tag(db, token[:64])
    papers = tags.tag_papers(db, tag.id)[:FEED_SIZE]
    page = str(request.url_for("library_public_tag", token=token))
    self_url = str(request.url_for("library_public_feed", token=token, fmt=fmt))
    return feed_response(
        fmt,
        base_url=settings.base_url,
        title=f"paperwire: {tag.name}",
        self_url=self_url,
        page_url=page,
        papers=[(paper, None) for paper in papers],
    )


@router.get("/shared/{token}", name="library_public_tag", include_in_schema=False)
def public_tag_page(request: Request, db: SessionDep, user: OptionalUser, token: str) -> Response:
    tag = tags.public_tag(db, token[:64])
    return render(request, "library/public.html", tag=tag, papers=tags.tag_papers(db, tag.id), token=token)


@router.get("/feeds/library/{token}.{fmt}", name="library_feed", include_in_schema=False)
def library_feed(
    request: Request, db: SessionDep, settings: SettingsDep, token: str, fmt: Format
) -> Response:
    """A saved search's or follow's feed; the unguessable token is the credential (feed readers cannot sign in)."""
    source = saved.feed_source(db, token[:64])
    if source.follow is not None:
        papers = saved.follow_papers(db, source.follow, FEED_SIZE)
    else:
        assert source.search is not None
        papers = _search_papers(request, db, source.search)
    url = _feed_url(request, token, fmt)
    return feed_response(
        fmt,
        base_url=settings.base_url,
        title=f"paperwire: {source.title}",
        self_url=url,
        page_url=url,
        papers=[(paper, None) for paper in papers],
    )


def _search_papers(request: Request, db: Session, search: SavedSearch) -> list[Paper]:
    """The saved search run by the app's search backend (the real index, or its keyword fallback)."""
    try:
        return saved.search_papers(db, get_search(request), search, FEED_SIZE)
    except ValueError as exc:  # a query the search service rejects: say so, in one line
        raise HTTPException(400, f"this saved search cannot run: {exc}") from None


# -- pages and their forms ----------------------------------------------------------------------------


def _back(next_url: str, fallback: str) -> RedirectResponse:
    return RedirectResponse(safe_next(next_url or fallback), 303)


@router.get("/library", name="library_page", include_in_schema=False)
def library_page(request: Request, db: SessionDep, user: CurrentUser) -> Response:
    return render(
        request,
        "library/index.html",
        tags=tags.list_tags(db, user.id),
        searches=saved.saved_searches(db, user.id),
        follows=saved.follows(db, user.id),
        feed_url=lambda token, fmt="atom": _feed_url(request, token, fmt),
    )


@router.get("/library/tags/{name}", name="library_tag_page", include_in_schema=False)
def tag_page(request: Request, db: SessionDep, user: CurrentUser, name: str) -> Response:
    tag = tags.get_tag(db, user.id, name[: tags.MAX_TAG])
    papers = tags.tag_papers(db, tag.id)
    ids = [p.id for p in papers]
    return render(
        request,
        "library/tag.html",
        tag=tag,
        papers=papers,
        notes=notes_for(db, user.id, ids),
        read=read_ids(db, user.id, ids),
        rated=ratings(db, user.id, ids),
        others=[t for t in tags.list_tags(db, user.id) if t.id != tag.id],
    )


@router.get("/library/recommendations", name="library_recommendations_page", include_in_schema=False)
def recommendations_page(
    request: Request,
    db: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
    tag: Annotated[str | None, Query(max_length=tags.MAX_TAG)] = None,
) -> Response:
    result = recommend(db, settings, user.id, tag or None, 30)
    return render(
        request, "library/recommendations.html", result=result, tag=tag, tags=tags.list_tags(db, user.id)
    )


@router.post("/library/save", name="library_save_form", include_in_schema=False)
def save_form(
    db: SessionDep,
    user: CurrentUser,
    arxiv_id: Annotated[str, Form(max_length=200)],
    tag: Annotated[str, Form(max_length=tags.MAX_TAG)] = tags.DEFAULT_TAG,
    remove: Annotated[bool, Form()] = False,
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Save (or, with ``remove``, unsave) a paper under a tag; the paper page's and lists' buttons post here."""
    paper = _paper(db, arxiv_id)
    if remove:
        tags.unsave(db, user.id, paper.id, tag or None)
    else:
        tags.save(db, user.id, paper.id, [tag or tags.DEFAULT_TAG])
    db.commit()
    return _back(next, f"/papers/{paper.arxiv_id}")


@router.get("/library/start", name="library_start_page", include_in_schema=False)
def start_page(
    request: Request, db: SessionDep, user: CurrentUser, q: Annotated[str, Query(max_length=500)] = ""
) -> Response:
    """Cold start: search, tick the papers that fit, save them under a tag; recommendations follow."""
    papers: list[Paper] = []
    if q.strip():
        try:
            hits = get_search(request).search(q, limit=30).hits
        except ValueError as exc:  # a filter the search cannot parse: show it, keep the page
            raise HTTPException(400, f"search failed: {exc}") from None
        papers = papers_for(db, hits)
    return render(request, "library/start.html", q=q, papers=papers)


@router.post("/library/start", name="library_start_form", include_in_schema=False)
def start_form(
    db: SessionDep,
    user: CurrentUser,
    arxiv_id: Annotated[list[str], Form(max_length=100)],
    tag: Annotated[str, Form(max_length=tags.MAX_TAG)] = tags.DEFAULT_TAG,
) -> Response:
    for ref in arxiv_id:
        tags.save(db, user.id, _paper(db, ref).id, [tag or tags.DEFAULT_TAG])
    db.commit()
    return RedirectResponse(
        f"/library/recommendations?tag={quote(tags.clean_tag_name(tag or tags.DEFAULT_TAG))}", 303
    )


@router.post("/library/paper", name="library_paper_form", include_in_schema=False)
def paper_form(
    db: SessionDep,
    user: CurrentUser,
    arxiv_id: Annotated[str, Form(max_length=200)],
    action: Annotated[Literal["note", "read", "unread", "more", "less", "clear"], Form()],
    note: Annotated[str, Form(max_length=20_000)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """A note, a read mark or a rating for one paper, from the tag and recommendation pages."""
    paper = _paper(db, arxiv_id)
    if action == "note":
        set_note(db, user.id, paper.id, note)
    elif action in ("read", "unread"):
        mark_read(db, user.id, paper.id, action == "read")
    else:
        rate(db, user.id, paper.id, {"more": 1, "less": -1, "clear": 0}[action])
    db.commit()
    return _back(next, "/library")


@router.post("/library/tags", name="library_tag_form", include_in_schema=False)
def tag_form(
    db: SessionDep,
    user: CurrentUser,
    name: Annotated[str, Form(max_length=tags.MAX_TAG)],
    action: Annotated[Literal["rename", "merge", "delete", "publish", "unpublish"], Form()],
    target: Annotated[str, Form(max_length=tags.MAX_TAG)] = "",
) -> Response:
    if action == "rename":
        tags.rename_tag(db, user.id, name, target)
    elif action == "merge":
        tags.merge_tags(db, user.id, [name], target)
    elif action == "delete":
        tags.delete_tag(db, user.id, name)
    else:
        tags.set_public(db, user.id, name, action == "publish")
    db.commit()
    if action in ("rename", "merge"):
        return RedirectResponse(f"/library/tags/{quote(tags.clean_tag_name(target))}", 303)
    if action == "delete":
        return RedirectResponse("/library", 303)
    return RedirectResponse(f"/library/tags/{quote(tags.clean_tag_name(name))}", 303)


@router.post("/library/searches", name="library_search_form", include_in_schema=False)
def search_form(
    db: SessionDep,
    user: CurrentUser,
    name: Annotated[str, Form(max_length=200)] = "",
    query: Annotated[str, Form(max_length=1000)] = "",
    mode: Annotated[Literal["hybrid", "keyword", "semantic"], Form()] = "hybrid",
    delete_id: Annotated[int | None, Form()] = None,
) -> Response:
    """Save a search (from the search page or the library page), or delete one."""
    if delete_id is not None:
        saved.delete_saved_search(db, user.id, delete_id)
    else:
        saved.add_saved_search(db, user.id, name or query, query, mode)
    db.commit()
    return RedirectResponse("/library", 303)


@router.post("/library/follows", name="library_follow_form", include_in_schema=False)
def follow_form(
    db: SessionDep,
    user: CurrentUser,
    kind: Annotated[Literal["author", "category"], Form()] = "author",
    value: Annotated[str, Form(max_length=512)] = "",
    delete_id: Annotated[int | None, Form()] = None,
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    if delete_id is not None:
        saved.unfollow(db, user.id, delete_id)
    else:
        saved.follow(db, user.id, kind, value)
    db.commit()
    return _back(next, "/library")


@router.get("/library/export.json", name="library_export_download", include_in_schema=False)
def export_download(db: SessionDep, user: CurrentUser) -> Response:
    return api_export(db, user)


@router.get("/library/tags/{name}/bibtex", name="library_bibtex_download", include_in_schema=False)
def bibtex_download(db: SessionDep, user: CurrentUser, name: str) -> Response:
    return api_bibtex(db, user, name)


@router.post("/library/import", name="library_import_form", include_in_schema=False)
def import_form(
    request: Request,
    db: SessionDep,
    user: CurrentUser,
    file: Annotated[UploadFile, File()],
    tag: Annotated[str, Form(max_length=tags.MAX_TAG)] = "imported",
) -> Response:
    """A library JSON export or a BibTeX file (by its content, not its name)."""
    raw = file.file.read(MAX_UPLOAD + 1)
    if len(raw) > MAX_UPLOAD:
        raise HTTPException(413, f"files up to {MAX_UPLOAD // 1_000_000} MB can be imported")
    text = raw.decode("utf-8", errors="replace")
    if text.lstrip().startswith("{"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise LibraryError(f"not a JSON file: {exc}") from None
        report = import_account(db, user.id, data)
    else:
        report = import_bibtex(db, user.id, text, tag)
    db.commit()
    return render(request, "library/imported.html", report=report)
