"""Sign up, confirm email, sign in / out, password reset, and the account page with API tokens."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from paperwire.accounts.models import User
from paperwire.accounts.ratelimit import consume, reset
from paperwire.accounts.service import (
    AccountError,
    EmailTaken,
    authenticate,
    check_reset_token,
    create_user,
    delete_unverified,
    find_user,
    normalize_email,
    request_password_reset,
    reset_password,
    send_account_exists,
    send_verification,
    verify_email,
)
from paperwire.accounts.sessions import (
    create_api_token,
    end_session,
    list_api_tokens,
    revoke_api_token,
    start_session,
)
from paperwire.config import Settings
from paperwire.mail.smtp import MailError, PermanentMailError
from paperwire.web.deps import (
    SESSION_COOKIE,
    CurrentUser,
    OptionalUser,
    RowId,
    SessionDep,
    SettingsDep,
    render,
    session_signer,
    session_token,
)
from paperwire.web.errors import status_for

router = APIRouter(include_in_schema=False)

SIGNIN_WINDOW = dt.timedelta(minutes=15)
SIGNUP_WINDOW = dt.timedelta(hours=1)
FLASHES = {
    "verified": "Your email is confirmed. Sign in to continue.",
    "reset": "Your password was changed. Sign in with the new one.",
    "signed-out": "You are signed out.",
    "need-verify": "Confirm your email address first: we mailed you a link.",
    "vote": "Sign in to upvote: votes belong to accounts, one per paper each.",
}

Email = Annotated[str, Form(max_length=320)]
Password = Annotated[str, Form(max_length=1024)]
Next = Annotated[str, Form(max_length=2000)]


def client_ip(request: Request, settings: Settings) -> str:
    if settings.trust_proxy_headers:
        forwarded = request.headers.get("x-forwarded-for", "").split(",")[0].strip()
        if forwarded:
            return forwarded[:64]
    return request.client.host if request.client else "unknown"


def safe_next(target: str | None) -> str:
    """Only same-site paths: ``next`` must never send a user to another host after sign-in."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/papers"
    return target


def set_session_cookie(response: Response, settings: Settings, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        session_signer(settings).sign(token).decode(),
        max_age=30 * 24 * 3600,
        httponly=True,
        samesite="lax",
        secure=settings.base_url.startswith("https://"),
        path="/",
    )


@router.get("/signup", name="signup_form")
def signup_form(request: Request, user: OptionalUser) -> Response:
    return render(request, "accounts/signup.html", email="", display_name="")


def _count_mail_request(request: Request, db: Session, settings: Settings, what: str) -> None:
    """Sign-ups, confirmation resends and reset requests share one per-address limit: each sends a mail."""
    ip_key = f"signup:ip:{client_ip(request, settings)}"
    consume(db, ip_key, settings.signup_limit_per_ip, SIGNUP_WINDOW, what)


@router.post("/signup", name="signup")
def signup(
    request: Request,
    db: SessionDep,
    settings: SettingsDep,
    email: Email = "",
    password: Password = "",
    display_name: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    _count_mail_request(request, db, settings, "sign-ups from your address")
    try:
        user = create_user(db, email, password, display_name=display_name)
    except EmailTaken:
        # The same answer as a new sign-up, so the form never tells who has an account; the owner is mailed.
        db.rollback()
        address = normalize_email(email)
        existing = find_user(db, address)
        if existing is None:  # deleted meanwhile
            return render(request, "accounts/check_email.html", email=address)
        return _mail_verification(request, db, settings, existing, new=False)
    except AccountError as exc:
        return render(
            request,
            "accounts/signup.html",
            status_for(exc),
            error=str(exc),
            email=email[:320],
            display_name=display_name,
        )
    return _mail_verification(request, db, settings, user, new=True)


def _mail_verification(request: Request, db: Session, settings: Settings, user: User, new: bool) -> Response:
    """A refused address (permanent SMTP error) is the user's input: 400, and a new account is undone.

    For an address that already has an account (``new`` false) its owner gets a note instead (or a new
    confirmation link while unconfirmed); the page is the same either way.
    """
    try:
        if new:
            send_verification(settings, user)
        else:
            send_account_exists(settings, user)
    except PermanentMailError as exc:
        if new:
            delete_unverified(db, user.id)
        return render(
            request,
            "accounts/check_email.html",
            400,
            email=user.email,
            error=f"the mail server refused this address ({exc}); check it and sign up again",
        )
    except (MailError, ValueError) as exc:
        return render(
            request,
            "accounts/check_email.html",
            503,
            email=user.email,
            error=f"we could not send the confirmation email ({exc}); ask for it again later",
        )
    return render(request, "accounts/check_email.html", email=user.email)


@router.get("/verify", name="verify")
def verify(
    request: Request,
    db: SessionDep,
    settings: SettingsDep,
    token: Annotated[str, Query(max_length=4096)] = "",
) -> Response:
    try:
        verify_email(db, settings, token)
    except AccountError as exc:
        return render(request, "accounts/resend.html", 400, error=str(exc))
    return RedirectResponse("/signin?done=verified", 303)


@router.get("/verify/resend", name="resend_form")
def resend_form(request: Request, user: OptionalUser) -> Response:
    return render(request, "accounts/resend.html")


@router.post("/verify/resend", name="resend")
def resend(request: Request, db: SessionDep, settings: SettingsDep, email: Email = "") -> Response:
    _count_mail_request(request, db, settings, "emails requested from your address")
    try:
        user = find_user(db, normalize_email(email))
    except AccountError as exc:
        return render(request, "accounts/resend.html", 400, error=str(exc))
    if user is not None and not user.email_verified and not user.disabled:
        return _mail_verification(request, db, settings, user, new=False)
    return render(request, "accounts/check_email.html", email=email[:320])


@router.get("/signin", name="signin_form")
def signin_form(
    request: Request,
    user: OptionalUser,
    next: Annotated[str, Query(max_length=2000)] = "/papers",
    done: Annotated[str, Query(max_length=40)] = "",
) -> Response:
    return render(request, "accounts/signin.html", next=safe_next(next), flash=FLASHES.get(done), email="")


@router.post("/signin", name="signin")
def signin(
    request: Request,
    db: SessionDep,
    settings: SettingsDep,
    email: Email = "",
    password: Password = "",
    next: Next = "/papers",
) -> Response:
    ip_key = f"signin:ip:{client_ip(request, settings)}"
    account_key = f"signin:account:{email.strip().lower()[:320]}"
    # Counted before the password is checked, so parallel guesses cannot outrun the count.
    consume(db, ip_key, settings.signin_limit_per_ip, SIGNIN_WINDOW, "sign-in attempts from your address")
    consume(
        db, account_key, settings.signin_limit_per_account, SIGNIN_WINDOW, "sign-in attempts for this account"
    )
    try:
        user = authenticate(db, email, password)
    except AccountError as exc:
        return render(
            request,
            "accounts/signin.html",
            status_for(exc),
            error=str(exc),
            next=safe_next(next),
            email=email[:320],
        )
    reset(db, account_key)
    _end_current_session(request, db)
    token = start_session(db, user)
    db.commit()
    response = RedirectResponse(safe_next(next), 303)
    set_session_cookie(response, settings, token)
    return response


def _end_current_session(request: Request, db: Session) -> None:
    old = session_token(request)
    if old is not None:
        end_session(db, old)


@router.post("/signout", name="signout")
def signout(request: Request, db: SessionDep) -> Response:
    _end_current_session(request, db)
    db.commit()
    response = RedirectResponse("/signin?done=signed-out", 303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/forgot", name="forgot_form")
def forgot_form(request: Request, user: OptionalUser) -> Response:
    return render(request, "accounts/forgot.html")


@router.post("/forgot", name="forgot")
def forgot(request: Request, db: SessionDep, settings: SettingsDep, email: Email = "") -> Response:
    _count_mail_request(request, db, settings, "emails requested from your address")
    try:
        request_password_reset(db, settings, email)
    except PermanentMailError as exc:
        return render(
            request, "accounts/forgot.html", 400, error=f"the mail server refused this address ({exc})"
        )
    except (MailError, ValueError) as exc:
        return render(
            request, "accounts/forgot.html", 503, error=f"we could not send the email ({exc}); try later"
        )
    return render(request, "accounts/forgot.html", sent=True)


@router.get("/reset", name="reset_form")
def reset_form(
    request: Request,
    db: SessionDep,
    settings: SettingsDep,
    user: OptionalUser,
    token: Annotated[str, Query(max_length=4096)] = "",
) -> Response:
    try:
        check_reset_token(db, settings, token)
    except AccountError as exc:
        return render(request, "accounts/forgot.html", 400, error=str(exc))
    return render(request, "accounts/reset.html", token=token)


@router.post("/reset", name="reset_password")
def reset_submit(
    request: Request,
    db: SessionDep,
    settings: SettingsDep,
    token: Annotated[str, Form(max_length=4096)] = "",
    password: Password = "",
) -> Response:
    try:
        reset_password(db, settings, token, password)
    except AccountError as exc:
        return render(request, "accounts/reset.html", 400, error=str(exc), token=token)
    response = RedirectResponse("/signin?done=reset", 303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/account", name="account_page")
def account_page(request: Request, db: SessionDep, user: CurrentUser) -> Response:
    return render(request, "accounts/account.html", tokens=list_api_tokens(db, user.id))


@router.post("/account/tokens", name="create_token")
def create_token(
    request: Request, db: SessionDep, user: CurrentUser, name: Annotated[str, Form(max_length=100)] = ""
) -> Response:
    issued = create_api_token(db, user, name or "API token")
    db.commit()
    return render(request, "accounts/account.html", tokens=list_api_tokens(db, user.id), issued=issued)


@router.post("/account/tokens/{token_id}/revoke", name="revoke_token")
def revoke_token(db: SessionDep, user: CurrentUser, token_id: RowId) -> Response:
    revoke_api_token(db, user.id, token_id)
    db.commit()
    return RedirectResponse("/account", 303)
