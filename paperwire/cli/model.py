"""`paperwire model export|info`: prepare the embedding model ahead of time and show what is installed."""

from __future__ import annotations

import json

import click

from paperwire.cli import AppContext, pass_app
from paperwire.search import (
    DISTRIBUTION,
    MODEL_NAME,
    PACKAGE_VERSION,
    SAFETENSORS_SHA256,
    ModelUnavailable,
    cuda_available,
    existing_files,
    export_model,
    models_dir,
)


@click.group()
def model() -> None:
    """The embedding model used for semantic search (all-MiniLM-L6-v2)."""


@model.command("export")
@click.option("--force", is_flag=True, help="Export again even if an export exists.")
@pass_app
def export_command(app: AppContext, force: bool) -> None:
    """Export the ONNX models (fp32 and per-channel int8) from the pinned weights."""
    try:
        files = export_model(app.settings.data_dir) if force else existing_files(app.settings.data_dir)
        if files is None:
            files = export_model(app.settings.data_dir)
    except ModelUnavailable as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"ONNX models ready in {files.directory} (int8 sha256 {files.manifest['int8_sha256'][:12]})")


@model.command("info")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@pass_app
def info(app: AppContext, as_json: bool) -> None:
    """Which model, where its files are, and which path (CPU ONNX or CUDA) embedding would take."""
    files = existing_files(app.settings.data_dir)
    data = {
        "model": MODEL_NAME,
        "package": f"{DISTRIBUTION}=={PACKAGE_VERSION}",
        "weights_sha256": SAFETENSORS_SHA256,
        "onnx_dir": str(models_dir(app.settings.data_dir)),
        "exported": files is not None,
        "cpu_precision": app.settings.embed_precision,
        "cuda": cuda_available(),
    }
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    for key, value in data.items():
        click.echo(f"{key:>15}: {value}")
    if files is None:
        click.echo("The ONNX export is made on first use, or now with `paperwire model export`.")


COMMANDS: list[click.Command] = [model]
