"""The model registry: which model version of each kind the analysis uses, and changing it.

Versions are rows of ``model_version`` with their files under ``MODEL_REGISTRY_DIR``. The
champion of a kind is its row with status ``champion``; without one the shipped model is the
champion. ``champion_dirs`` is the one indexed query the analysis jobs make per batch to pick up
a promotion without a restart. Promotion follows ``domain.model_registry.promotion_refusal``
unless forced with a reason; every promotion and rollback is written to the audit chain.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

import nlp
from citizenvoice.domain.model_registry import KINDS, promotion_refusal
from citizenvoice.extensions import db
from citizenvoice.models import ModelVersion
from citizenvoice.models.base import utcnow
from citizenvoice.services.audit import record

__all__ = [
    "CHECKSUM_FILE",
    "RegistryError",
    "champion_dirs",
    "champion_figures",
    "file_checksums",
    "latest_challenger",
    "list_versions",
    "promote",
    "rollback",
    "shipped_version",
]

CHECKSUM_FILE = "SHA256SUMS"


class RegistryError(ValueError):
    """A registry request that cannot be carried out; the message is for staff (Chinese)."""


def file_checksums(directory: Path) -> dict[str, str]:
    """SHA-256 of every file in ``directory`` except the checksum file itself, by name."""
    return {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(directory.iterdir())
        if path.is_file() and path.name != CHECKSUM_FILE
    }


def champion_dirs() -> dict[str, str]:
    """{kind: dir} of the champion rows (a kind without one uses the shipped model)."""
    query = select(ModelVersion.kind, ModelVersion.dir).where(ModelVersion.status == "champion")
    return {str(kind): str(directory) for kind, directory in db.session.execute(query)}


def _shipped_card(kind: str) -> dict[str, Any]:
    path = nlp.shipped_model_dir(kind) / "card.json"
    card: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return card


def shipped_version(kind: str) -> str:
    """The version name inside the shipped model of ``kind``."""
    return str(_shipped_card(kind)["version"])


def _shipped_entry(kind: str, is_champion: bool) -> dict[str, Any]:
    card = _shipped_card(kind)
    dev = card.get("dev_metrics", {})
    return {
        "kind": kind,
        "version": str(card["version"]),
        "status": "champion" if is_champion else "retired",
        "dir": str(nlp.shipped_model_dir(kind)),
        "metrics": {"dev": {k: dev[k] for k in ("macro_f1", "accuracy", "n") if k in dev}},
        "shipped": True,
        "created_at": None,
        "promoted_at": None,
        "reason": None,
    }


def _entry(row: ModelVersion) -> dict[str, Any]:
    return {
        "kind": row.kind,
        "version": row.version,
        "status": row.status,
        "dir": row.dir,
        "metrics": row.metrics,
        "shipped": False,
        "created_at": row.created_at.isoformat(),
        "promoted_at": row.promoted_at.isoformat() if row.promoted_at else None,
        "reason": row.reason,
    }


def list_versions(kind: str | None = None) -> list[dict[str, Any]]:
    """Every version, the shipped ones included, oldest first per kind.

    A version that is or was in shadow carries a ``shadow`` object (model_shadow figures).
    """
    kinds = [kind] if kind else list(KINDS)
    rows = db.session.scalars(
        select(ModelVersion)
        .where(ModelVersion.kind.in_(kinds))
        .order_by(ModelVersion.kind, ModelVersion.created_at, ModelVersion.id)
    ).all()
    champions = {row.kind for row in rows if row.status == "champion"}
    out: list[dict[str, Any]] = []
    for name in kinds:
        out.append(_shipped_entry(name, name not in champions))
        out += [_entry(row) for row in rows if row.kind == name]
    from citizenvoice.services.model_shadow import shadow_summary  # it imports this module

    shadows = shadow_summary()
    for entry in out:
        if entry["version"] in shadows:
            entry["shadow"] = shadows[entry["version"]]
    return out


def _champion(kind: str) -> ModelVersion | None:
    return db.session.scalars(
        select(ModelVersion).where(ModelVersion.kind == kind, ModelVersion.status == "champion")
    ).first()


def champion_figures(row: ModelVersion, champion: ModelVersion | None) -> dict[str, Any]:
    """The champion's dev and newest-slice figures, measured as ``row``'s were.

    When the champion is the one ``row`` was trained against, the figures measured then; else
    the champion's own dev figure and its score on ``row``'s newest slice, measured now.
    """
    name = champion.version if champion else shipped_version(row.kind)
    baseline = row.metrics.get("baseline") or {}
    if baseline.get("version") == name:
        return {"dev": baseline.get("dev"), "newest": baseline.get("newest")}
    from citizenvoice.services.model_retrain import newest_slice_figures

    directory = Path(champion.dir) if champion else None
    if champion is not None:
        dev = champion.metrics.get("dev")
    else:
        dev = _shipped_entry(row.kind, True)["metrics"]["dev"]
    return {"dev": dev, "newest": newest_slice_figures(row, directory)}


@dataclass(frozen=True)
class Change:
    """What a promotion or rollback did: the new champion (None: shipped), the one before."""

    kind: str
    champion: str
    previous: str


def _find(version: str) -> ModelVersion:
    if len(version) > 64 or "\x00" in version:  # no such name can exist; never query with it
        raise RegistryError(f"没有版本 {version[:80]!r}。")
    row = db.session.scalars(select(ModelVersion).where(ModelVersion.version == version)).first()
    if row is None:
        raise RegistryError(f"没有版本 {version[:80]!r}。")
    return row


def latest_challenger(kind: str) -> str:
    """The newest challenger's version of ``kind``."""
    row = db.session.scalars(
        select(ModelVersion)
        .where(ModelVersion.kind == kind, ModelVersion.status == "challenger")
        .order_by(ModelVersion.created_at.desc(), ModelVersion.id.desc())
    ).first()
    if row is None:
        raise RegistryError(f"{kind} 没有待晋升的候选模型。")
    return row.version


def _check_files(row: ModelVersion) -> None:
    directory = Path(row.dir)
    if not directory.is_dir() or file_checksums(directory) != row.checksums:
        raise RegistryError(f"版本 {row.version} 的模型文件缺失或校验和不符，拒绝晋升。")


def _retire(old: ModelVersion, now: Any, **values: Any) -> None:
    """Retire the champion ``old``; if another transaction already did, refuse (try again)."""
    retired: Any = db.session.execute(
        update(ModelVersion)
        .where(ModelVersion.id == old.id, ModelVersion.status == "champion")
        .values(status="retired", retired_at=now, **values)
    )
    if retired.rowcount != 1:
        db.session.rollback()
        raise RegistryError("另一项晋升或回退正在同时进行，请稍后重试。")


def _make_champion(row: ModelVersion, old: ModelVersion | None, now: Any) -> None:
    """Swap champions in one flush; the unique index lets only one concurrent swap win."""
    if old is not None:
        _retire(old, now)
    row.status = "champion"
    try:
        db.session.flush()
    except IntegrityError as exc:
        db.session.rollback()
        raise RegistryError("另一项晋升或回退正在同时进行，请稍后重试。") from exc


def promote(version: str, *, force: bool = False, reason: str = "", actor: str = "cli") -> Change:
    """Make ``version`` the champion of its kind, by the promotion rule unless ``force``.

    ``force`` needs a ``reason``; it and any rule the challenger failed go to the audit chain.
    The caller commits.
    """
    row = _find(version)
    if row.status == "champion":
        raise RegistryError(f"版本 {row.version} 已是现任模型。")
    if force and not reason.strip():
        raise RegistryError("强制晋升必须用 --reason 说明理由。")
    _check_files(row)
    old = _champion(row.kind)
    previous = old.version if old else shipped_version(row.kind)
    refusal = promotion_refusal(row.metrics, champion_figures(row, old), previous)
    if refusal and not force:
        raise RegistryError(f"拒绝晋升 {row.version}：{refusal}")
    now = utcnow()
    _make_champion(row, old, now)
    row.promoted_at, row.retired_at, row.rolled_back_at = now, None, None
    row.reason = reason.strip() or None
    details = {"kind": row.kind, "previous": previous, "forced": bool(force and refusal)}
    if reason.strip():
        details["reason"] = reason.strip()
    if refusal:
        details["rule"] = refusal
    record(actor, "model_promote", "model_version", row.version, details)
    return Change(row.kind, row.version, previous)


def rollback(kind: str, *, actor: str = "cli", reason: str = "") -> Change:
    """Back to the champion before the current one (the shipped model if none). Caller commits."""
    if kind not in KINDS:
        raise RegistryError(f"未知的模型类型 {kind[:40]!r}，应为 category 或 sentiment。")
    current = _champion(kind)
    if current is None:
        raise RegistryError(f"{kind} 当前使用随附模型，没有可回退的版本。")
    before = db.session.scalars(
        select(ModelVersion)
        .where(
            ModelVersion.kind == kind,
            ModelVersion.status == "retired",
            ModelVersion.rolled_back_at.is_(None),
            ModelVersion.promoted_at.is_not(None),
            ModelVersion.promoted_at < current.promoted_at,
        )
        .order_by(ModelVersion.promoted_at.desc())
    ).first()
    now = utcnow()
    _retire(current, now, rolled_back_at=now)
    if before is not None:
        before.retired_at = None
        _make_champion(before, None, now)
    champion = before.version if before else shipped_version(kind)
    details = {"kind": kind, "previous": current.version, "champion": champion}
    if reason.strip():
        details["reason"] = reason.strip()
    record(actor, "model_rollback", "model_version", current.version, details)
    return Change(kind, champion, current.version)
