"""Settings live in config/ and the README table; nothing else reads the environment.

Every environment variable the config classes read is a row of the README's configuration
table and every row is read; the app passes nlp its settings (nlp reads none); the code outside
config/ never calls ``os.environ`` / ``os.getenv``.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest

from citizenvoice import create_app
from citizenvoice.domain.analysis import DEFAULT_ROUTING_MIN_CONFIDENCE
from config import (
    BaseConfig,
    DevelopmentConfig,
    ProductionConfig,
    TestingConfig,
    config_for,
)
from nlp.segment import configure_default_segmenter, default_segmenter

ROOT = Path(__file__).resolve().parents[2]
# Enough for every class to build without generating keys into instance/.
COMPLETE_ENV = {
    "SECRET_KEY": "a-secret",
    "DATABASE_URL": "postgresql://citizen@db.internal:5432/citizenvoice",
    "REDIS_URL": "redis://cache.internal:6379/0",
    "CITIZENVOICE_PII_KEY": "a-pii-key",
    "CITIZENVOICE_AUDIT_KEY": "an-audit-key",
}


class RecordingEnviron(dict[str, str]):
    """An environment that remembers every name looked up in it, set or not."""

    def __init__(self, values: dict[str, str]) -> None:
        super().__init__(values)
        self.read: set[str] = set()

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        self.read.add(key)
        return super().get(key, default)

    def __getitem__(self, key: str) -> str:
        self.read.add(key)
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        self.read.add(str(key))
        return super().__contains__(key)


def readme_settings() -> set[str]:
    """The variable names in the first column of the README's settings table."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    names = set()
    for line in section.splitlines():
        match = re.match(r"\| `([A-Z][A-Z0-9_]+)` \|", line)
        if match:
            names.add(match.group(1))
    return names


def names_read_by_config() -> set[str]:
    """Every environment name any config class (and ``config_for``) looks up."""
    read: set[str] = set()
    for cls in (DevelopmentConfig, TestingConfig, ProductionConfig):
        env = RecordingEnviron(COMPLETE_ENV)
        cls(env).validate()
        read |= env.read
    env = RecordingEnviron(COMPLETE_ENV)
    config_for("testing", env)
    config_for(None, env)
    return read | env.read


def test_every_variable_config_reads_is_in_the_readme_table_and_back() -> None:
    documented, read = readme_settings(), names_read_by_config()
    assert read - documented == set(), "read by config/ but missing from the README table"
    assert documented - read == set(), "in the README table but never read by config/"


def test_every_citizenvoice_name_in_config_source_is_documented() -> None:
    source = (ROOT / "config" / "__init__.py").read_text(encoding="utf-8")
    in_source = set(re.findall(r"\bCITIZENVOICE_[A-Z0-9_]+\b", source))
    documented = {n for n in readme_settings() if n.startswith("CITIZENVOICE_")}
    assert in_source == documented


def _python_files() -> list[Path]:
    files = [ROOT / "worker.py", ROOT / "wsgi.py"]
    for package in ("citizenvoice", "nlp"):
        files += sorted((ROOT / package).rglob("*.py"))
    return files


def _reads_environment(tree: ast.AST) -> list[int]:
    """Line numbers of ``os.environ`` / ``os.getenv`` / ``from os import environ`` uses."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            names = [node.attr]
        elif isinstance(node, ast.ImportFrom) and node.module == "os":
            names = [alias.name for alias in node.names]
        else:
            continue
        if {"environ", "getenv"} & set(names):
            lines.append(node.lineno)
    return lines


def test_only_config_reads_the_environment() -> None:
    offenders = {
        str(path.relative_to(ROOT)): lines
        for path in _python_files()
        if (lines := _reads_environment(ast.parse(path.read_text(encoding="utf-8"))))
    }
    assert offenders == {}


def test_nlp_names_no_citizenvoice_variable() -> None:
    """nlp takes paths and values as arguments: no CITIZENVOICE_* name in its code."""
    offenders = []
    for path in sorted((ROOT / "nlp").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and re.search(r"\bCITIZENVOICE_", node.value)
            ):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []


def test_defaults_and_overrides_of_the_new_settings(tmp_path: Path) -> None:
    defaults = TestingConfig(COMPLETE_ENV)
    assert defaults.ROUTING_MIN_CONFIDENCE == DEFAULT_ROUTING_MIN_CONFIDENCE
    assert defaults.ANALYSIS_BATCH_SIZE == 500
    assert defaults.ANALYSIS_DRAIN_SECONDS == 20
    assert defaults.RELAY_INTERVAL == 60
    assert defaults.NLP_USER_DICTS == []
    assert defaults.NLP_CACHE_DIR is None
    dicts = f"{tmp_path / 'a.txt'}:{tmp_path / 'b.txt'}:"
    changed = TestingConfig(
        {
            **COMPLETE_ENV,
            "CITIZENVOICE_ROUTING_MIN_CONFIDENCE": "0.9",
            "CITIZENVOICE_ANALYSIS_BATCH_SIZE": "50",
            "CITIZENVOICE_ANALYSIS_DRAIN_SECONDS": "0",
            "CITIZENVOICE_RELAY_INTERVAL": "5",
            "CITIZENVOICE_NLP_USER_DICTS": dicts,
            "CITIZENVOICE_NLP_CACHE_DIR": str(tmp_path),
        }
    )
    assert changed.ROUTING_MIN_CONFIDENCE == 0.9
    assert changed.ANALYSIS_BATCH_SIZE == 50
    assert changed.ANALYSIS_DRAIN_SECONDS == 0
    assert changed.RELAY_INTERVAL == 5
    user_dicts, cache_dir = changed.NLP_USER_DICTS, changed.NLP_CACHE_DIR
    assert user_dicts == [str(tmp_path / "a.txt"), str(tmp_path / "b.txt")]
    assert cache_dir == str(tmp_path)


@pytest.mark.slow
def test_the_app_hands_nlp_its_dictionaries(tmp_path: Path) -> None:
    extra = tmp_path / "deploy.txt"
    extra.write_text("芙蓉星城花苑 ns\n", encoding="utf-8")
    settings: BaseConfig = TestingConfig(
        {**COMPLETE_ENV, "CITIZENVOICE_NLP_USER_DICTS": str(extra)}
    )
    try:
        create_app(settings)
        assert extra in default_segmenter().dictionaries
        assert "芙蓉星城花苑" in default_segmenter().cut("投诉芙蓉星城花苑物业")
        create_app(TestingConfig(COMPLETE_ENV))
        assert extra not in default_segmenter().dictionaries
    finally:
        configure_default_segmenter()


def test_worker_reads_the_relay_interval_from_the_app_config() -> None:
    """worker.py takes the interval from the app it builds, not from the environment at import."""
    source = (ROOT / "worker.py").read_text(encoding="utf-8")
    assert 'periodic_jobs(app.config["RELAY_INTERVAL"])' in source
    assert "environ" not in source
    assert create_app("testing").config["RELAY_INTERVAL"] == 60
