"""``flask models``: retrain, list, promote, roll back, shadow runs (docs/models.md).

Errors meant for office staff are in Chinese on stderr with exit code 1; ``list --json`` prints
only the JSON array on stdout.
"""

from __future__ import annotations

import json
import sys
import time

import click
from flask.cli import with_appcontext

from citizenvoice.domain.model_registry import KINDS
from citizenvoice.extensions import db
from citizenvoice.services.model_registry import (
    RegistryError,
    latest_challenger,
    list_versions,
    promote,
    rollback,
)

__all__ = ["models_group"]

_KIND = click.Choice(KINDS)


def _fail(message: str) -> None:
    db.session.rollback()
    click.echo(message, err=True)
    sys.exit(1)


@click.group("models")
def models_group() -> None:
    """The model registry: retrain, list, promote, roll back."""


@models_group.command("retrain")
@click.option("--kind", type=_KIND, required=True)
@click.option(
    "--shipped-limit",
    type=click.IntRange(50, None),
    default=None,
    hidden=True,
    help="Train on an even sample of this many shipped rows (tests and trials).",
)
@with_appcontext
def models_retrain_command(kind: str, shipped_limit: int | None) -> None:
    """Train a challenger on the shipped corpora plus the product's labels."""
    from citizenvoice.services.model_retrain import retrain

    started = time.perf_counter()
    try:
        row = retrain(kind, shipped_limit=shipped_limit)
    except RegistryError as exc:
        _fail(str(exc))
        return
    except FileNotFoundError:
        _fail("找不到训练所需的随附语料，请用 CITIZENVOICE_DATA_DIR 指向共享数据目录。")
        return
    m = row.metrics
    base = m.get("baseline") or {}
    base_dev, base_newest = (base.get("dev") or {}), (base.get("newest") or {})
    click.echo(
        f"{row.version}: challenger in {row.dir} "
        f"({time.perf_counter() - started:.0f} s, {m.get('n_product_train')} product labels "
        f"trained on, {m.get('n_product_newest')} held out)"
    )
    click.echo(
        f"dev macro-F1 {m['dev'].get('macro_f1')} (champion {base_dev.get('macro_f1')}); "
        f"newest slice {m['newest'].get('score')} (champion {base_newest.get('score')})"
    )


@models_group.command("list")
@click.option("--kind", type=_KIND, default=None)
@click.option("--json", "as_json", is_flag=True, help="Print only a JSON array on stdout.")
@with_appcontext
def models_list_command(kind: str | None, as_json: bool) -> None:
    """Every model version with its status and figures, the shipped ones included."""
    versions = list_versions(kind)
    db.session.rollback()
    if as_json:
        click.echo(json.dumps(versions, ensure_ascii=False))
        return
    for v in versions:
        dev = (v["metrics"].get("dev") or {}).get("macro_f1")
        newest = (v["metrics"].get("newest") or {}).get("score")
        shipped = " (shipped)" if v["shipped"] else ""
        shadow = v.get("shadow")
        in_shadow = (
            f" shadow(n={shadow['n']} agreement={shadow['agreement']}"
            f"{' active' if shadow['active'] else ''})"
            if shadow
            else ""
        )
        click.echo(
            f"{v['kind']:<9} {v['version']:<28} {v['status']:<10} dev={dev} "
            f"newest={newest}{shipped}{in_shadow}  {v['dir']}"
        )


@models_group.command("promote")
@click.argument("version", required=False)
@click.option("--latest", is_flag=True, help="Promote the newest challenger of --kind.")
@click.option("--kind", type=_KIND, default=None)
@click.option("--force", is_flag=True, help="Promote although the rule refuses (needs --reason).")
@click.option("--reason", default="", help="Why; recorded in the audit chain.")
@with_appcontext
def models_promote_command(
    version: str | None, latest: bool, kind: str | None, force: bool, reason: str
) -> None:
    """Make a version the champion (by the promotion rule unless --force --reason)."""
    try:
        if latest == bool(version):
            raise RegistryError("请给出一个版本号，或使用 --latest --kind 类型（二者选一）。")
        if latest:
            if kind is None:
                raise RegistryError("--latest 需要同时给出 --kind category 或 --kind sentiment。")
            version = latest_challenger(kind)
        assert version is not None
        change = promote(version, force=force, reason=reason)
        db.session.commit()
    except RegistryError as exc:
        _fail(str(exc))
        return
    click.echo(f"{change.kind}: {change.champion} is the champion (was {change.previous})")


@models_group.command("rollback")
@click.option("--kind", type=_KIND, required=True)
@click.option("--reason", default="", help="Why; recorded in the audit chain.")
@with_appcontext
def models_rollback_command(kind: str, reason: str) -> None:
    """Back to the previous champion of KIND, or the shipped model."""
    try:
        change = rollback(kind, reason=reason)
        db.session.commit()
    except RegistryError as exc:
        _fail(str(exc))
        return
    click.echo(f"{change.kind}: {change.champion} is the champion (was {change.previous})")


@models_group.command("shadow")
@click.argument("version", required=False)
@click.option("--days", type=int, default=7, show_default=True, help="How long (1-90 days).")
@click.option("--stop", is_flag=True, help="End the shadow of --kind.")
@click.option("--kind", type=_KIND, default=None)
@with_appcontext
def models_shadow_command(version: str | None, days: int, stop: bool, kind: str | None) -> None:
    """Let a challenger also score new messages for --days days (or --stop --kind KIND)."""
    from citizenvoice.services.model_shadow import start_shadow, stop_shadow

    try:
        if stop:
            if kind is None or version:
                raise RegistryError("停止影子运行请使用 --stop --kind 类型（不要给版本号）。")
            ended = stop_shadow(kind)
            db.session.commit()
            click.echo(f"{kind}: shadow of {ended} stopped")
            return
        if not version:
            raise RegistryError("请给出要影子运行的候选版本号，或使用 --stop --kind 类型。")
        shadow = start_shadow(version, days)
        db.session.commit()
    except RegistryError as exc:
        _fail(str(exc))
        return
    click.echo(f"{shadow.kind}: {shadow.version} in shadow until {shadow.until.isoformat()}")
