"""``paperwire serve`` (the web app under uvicorn) and ``paperwire users`` (admin bootstrap)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import click
from sqlalchemy.orm import Session

from paperwire.accounts.models import User
from paperwire.accounts.service import (
    AccountError,
    create_user,
    find_user,
    normalize_email,
    set_disabled,
    set_role,
)
from paperwire.accounts.sessions import create_api_token
from paperwire.cli import AppContext, pass_app
from paperwire.db.migrate import upgrade


@click.command()
@click.option("--host", help="Address to listen on [env PAPERWIRE_HOST; 127.0.0.1].")
@click.option("--port", type=click.IntRange(1, 65535), help="Port to listen on [env PAPERWIRE_PORT; 8000].")
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=None,
    help="Worker processes [default: PAPERWIRE_WEB_WORKERS, else one per CPU core, at most 8].",
)
@click.option("--reload", is_flag=True, help="Restart when the code changes (development).")
@pass_app
def serve(app: AppContext, host: str | None, port: int | None, workers: int | None, reload: bool) -> None:
    """Run the web app: daily papers, search, paper pages, accounts, JSON API and feeds.

    Unless PAPERWIRE_INDEX_FOLLOW=false, it also keeps this node's search indexes caught up with the
    store (`paperwire index --follow`, at low priority in a process of its own).
    """
    import uvicorn
    from threadpoolctl import threadpool_limits

    host, port = host or app.settings.host, port or app.settings.port
    try:  # uvicorn would report a taken port only after the banner, as a raw errno
        with socket.create_server((host, port)):
            pass
    except OSError as exc:
        raise click.ClickException(
            f"cannot listen on {host}:{port} ({exc.strerror or exc}): choose another port with --port or PAPERWIRE_PORT"
        ) from None

    upgrade(app.engine)
    app.settings.secret()
    follower = _start_follower(app) if app.settings.index_follow else None
    # Workers and --reload re-import the app in other processes, which read the settings from the environment.
    os.environ["PAPERWIRE_DATA_DIR"] = str(app.settings.data_dir)
    # Each request thread would otherwise start BLAS and ONNX Runtime thread pools of their own, which
    # fight over the cores: measured on 2 cores, one thread each made paper pages 7.6x and search 1.6x faster.
    for name in ("PAPERWIRE_EMBED_THREADS", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
        os.environ.setdefault(name, "1")  # for worker processes, which import numpy afresh
    threadpool_limits(1)  # this process has numpy loaded already
    # glibc gives each of a worker's ~40 threads a malloc arena of its own, which fragment and keep
    # growing; two arenas held a worker's growth after the first minute of a soak to ~2 % (from ~6 %).
    os.environ.setdefault("MALLOC_ARENA_MAX", "2")
    if app.settings.database_url:
        os.environ["PAPERWIRE_DATABASE_URL"] = app.settings.database_url
    # Prometheus multiprocess mode: every worker counts into files here, and a scrape of any worker sums
    # them. Set before a worker imports prometheus_client, and emptied on each start.
    metrics_dir = app.settings.data_dir / "metrics"
    metrics_dir.mkdir(parents=True, exist_ok=True)
    for stale in metrics_dir.glob("*.db"):
        stale.unlink()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
    click.echo(f"paperwire on http://{host}:{port}/papers (Ctrl+C stops)")
    try:
        uvicorn.run(
            "paperwire.web.main:app",
            host=host,
            port=port,
            workers=None if reload else (workers or app.settings.web_workers),
            reload=reload,
            log_level="warning",
            access_log=False,  # not shown at log level warning anyway; skips the per-request logging call
            proxy_headers=app.settings.trust_proxy_headers,
            # A worker importing the app on a busy 2-core machine can take several seconds; uvicorn's default
            # 5 s health check would kill and respawn it forever.
            timeout_worker_healthcheck=60,
        )
    finally:
        if follower is not None:
            follower.terminate()
            follower.wait(30)


def _start_follower(app: AppContext) -> subprocess.Popen[bytes]:
    """``paperwire index --follow`` for this node's data directory and store, in a process of its own
    (at low priority: it embeds new papers while the web workers serve); it ends when this process does."""
    env = dict(os.environ, PAPERWIRE_DATA_DIR=str(app.settings.data_dir))
    if app.settings.database_url:
        env["PAPERWIRE_DATABASE_URL"] = app.settings.database_url
    return subprocess.Popen([sys.executable, "-m", "paperwire", "index", "--follow"], env=env)


@click.group()
def users() -> None:
    """Manage accounts: create (e.g. the first admin), promote, disable, make API tokens."""


@users.command("create")
@click.argument("email")
@click.option(
    "--password", prompt=True, hide_input=True, confirmation_prompt=True, help="At least 8 characters."
)
@click.option("--name", "display_name", help="Display name.")
@click.option("--admin", is_flag=True, help="Give the admin role.")
@pass_app
def users_create(app: AppContext, email: str, password: str, display_name: str | None, admin: bool) -> None:
    """Create a verified account (no confirmation email), for example the first administrator."""
    upgrade(app.engine)
    with Session(app.engine, expire_on_commit=False) as db:
        try:
            user = create_user(
                db,
                email,
                password,
                display_name=display_name,
                role="admin" if admin else "user",
                verified=True,
            )
        except AccountError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"created {user.role} {user.email}")


def _user_id(db: Session, email: str) -> int:
    try:
        user = find_user(db, normalize_email(email))
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    if user is None:
        raise click.ClickException(f"no account with email {email}")
    return user.id


@users.command("role")
@click.argument("email")
@click.argument("role", type=click.Choice(["user", "admin"]))
@pass_app
def users_role(app: AppContext, email: str, role: str) -> None:
    """Make an account a user or an admin."""
    upgrade(app.engine)
    with Session(app.engine) as db:
        set_role(db, _user_id(db, email), role)
    click.echo(f"{email} is now {role}")


@users.command("disable")
@click.argument("email")
@click.option("--enable", is_flag=True, help="Re-enable instead.")
@pass_app
def users_disable(app: AppContext, email: str, enable: bool) -> None:
    """Disable an account (signs it out everywhere), or --enable it again."""
    upgrade(app.engine)
    with Session(app.engine) as db:
        set_disabled(db, _user_id(db, email), not enable)
    click.echo(f"{email} is {'enabled' if enable else 'disabled'}")


@users.command("token")
@click.argument("email")
@click.option("--name", default="cli", show_default=True, help="What the token is for (shown on /account).")
@pass_app
def users_token(app: AppContext, email: str, name: str) -> None:
    """Print a new API token (pw_...) for the account, for scripts: `Authorization: Bearer TOKEN`."""
    upgrade(app.engine)
    with Session(app.engine) as db, db.begin():
        user = db.get(User, _user_id(db, email))
        assert user is not None
        issued = create_api_token(db, user, name)
    click.echo(issued.token)


COMMANDS: list[click.Command] = [serve, users]
