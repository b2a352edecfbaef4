"""The app factory in each environment, and production's refusal to start half-configured."""

from __future__ import annotations

import pytest

from citizenvoice import create_app
from config import (
    PRODUCTION_REQUIRED,
    ConfigError,
    DevelopmentConfig,
    ProductionConfig,
    TestingConfig,
    config_for,
    default_audit_anchor,
    instance_key,
    normalise_database_url,
)

PRODUCTION_ENV = {
    "CITIZENVOICE_ENV": "production",
    "SECRET_KEY": "a-long-random-production-secret",
    "DATABASE_URL": "postgresql://citizen@db.internal:5432/citizenvoice",
    "REDIS_URL": "redis://cache.internal:6379/0",
    "CITIZENVOICE_PII_KEY": "a-long-random-contact-data-key",
    "CITIZENVOICE_AUDIT_KEY": "a-long-random-audit-chain-key",
}


def test_environment_variable_picks_the_config_class():
    assert isinstance(config_for(environ={"CITIZENVOICE_ENV": "development"}), DevelopmentConfig)
    assert isinstance(config_for(environ={"CITIZENVOICE_ENV": "testing"}), TestingConfig)
    assert isinstance(config_for(environ=PRODUCTION_ENV), ProductionConfig)
    assert isinstance(config_for(environ={}), DevelopmentConfig)


def test_unknown_environment_name_is_refused_by_name():
    with pytest.raises(ConfigError, match="staging"):
        config_for(environ={"CITIZENVOICE_ENV": "staging"})


def test_development_is_the_embedded_default_without_redis_or_postgres():
    config = DevelopmentConfig({})
    assert config.SQLALCHEMY_DATABASE_URI.startswith("sqlite:///")
    assert config.ANALYSIS_IN_PROCESS is True
    assert config.RATELIMIT_STORAGE_URI == "memory://"
    app = create_app(config)
    assert app.config["ENV_NAME"] == "development"


def test_testing_uses_real_postgres_and_redis():
    config = TestingConfig({})
    assert config.SQLALCHEMY_DATABASE_URI.startswith("postgresql+psycopg://")
    assert config.REDIS_URL.startswith("redis://")
    assert config.RATELIMIT_STORAGE_URI == config.REDIS_URL
    assert create_app(config).testing


@pytest.mark.parametrize(
    "missing",
    ["SECRET_KEY", "DATABASE_URL", "REDIS_URL", "CITIZENVOICE_PII_KEY", "CITIZENVOICE_AUDIT_KEY"],
)
def test_production_refuses_to_start_without_each_required_setting(missing, monkeypatch):
    for name, value in PRODUCTION_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv(missing)
    with pytest.raises(ConfigError, match=missing):
        create_app()


def test_production_with_its_settings_builds_a_secure_app():
    config = config_for(environ=PRODUCTION_ENV)
    assert (
        config.SQLALCHEMY_DATABASE_URI
        == "postgresql+psycopg://citizen@db.internal:5432/citizenvoice"
    )
    assert config.SESSION_COOKIE_SECURE is True
    assert PRODUCTION_ENV["REDIS_URL"] == config.RATELIMIT_STORAGE_URI
    assert config.ANALYSIS_IN_PROCESS is False
    app = create_app(config)
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_plain_postgresql_urls_get_the_psycopg_driver():
    assert normalise_database_url("postgresql://u@h:5432/d") == "postgresql+psycopg://u@h:5432/d"
    assert normalise_database_url("postgres://u@h/d") == "postgresql+psycopg://u@h/d"
    assert normalise_database_url("sqlite:///x.db") == "sqlite:///x.db"


def test_production_requires_exactly_the_five_secrets_and_addresses():
    assert set(PRODUCTION_REQUIRED) == {
        "SECRET_KEY",
        "DATABASE_URL",
        "REDIS_URL",
        "CITIZENVOICE_PII_KEY",
        "CITIZENVOICE_AUDIT_KEY",
    }
    config = config_for(environ=PRODUCTION_ENV)
    # No fallback to SECRET_KEY: each key is the one set for it.
    assert PRODUCTION_ENV["CITIZENVOICE_PII_KEY"] == config.PII_KEY
    assert PRODUCTION_ENV["CITIZENVOICE_AUDIT_KEY"] == config.AUDIT_KEY


def test_development_keys_are_random_per_installation_and_kept(tmp_path):
    first = instance_key("pii.key", tmp_path)
    assert first == instance_key("pii.key", tmp_path)  # kept across restarts
    assert len(first) >= 32 and first != instance_key("pii.key", tmp_path / "other")
    assert (tmp_path / "pii.key").stat().st_mode & 0o077 == 0  # owner only
    config = DevelopmentConfig({})
    assert config.PII_KEY and config.AUDIT_KEY and config.PII_KEY != config.AUDIT_KEY
    assert len({config.PII_KEY, config.AUDIT_KEY, config.SECRET_KEY}) == 3
    assert config.SECRET_KEY != "dev-only-not-secret-change-me"  # the old public default


def test_generated_keys_stay_out_of_git():
    import subprocess

    from config import INSTANCE_DIR

    if not (INSTANCE_DIR.parent / ".git").exists():
        pytest.skip("not a git checkout")
    DevelopmentConfig({})
    for name in ("pii.key", "audit.key", "secret.key"):
        checked = subprocess.run(
            ["git", "check-ignore", "-q", str(INSTANCE_DIR / name)],
            cwd=INSTANCE_DIR.parent,
            check=False,
        )
        assert checked.returncode == 0, f"instance/{name} is not ignored by git"


def test_the_audit_anchor_is_named_after_the_database(tmp_path):
    one = default_audit_anchor(f"sqlite:///{tmp_path / 'a' / 'cv.sqlite3'}")
    two = default_audit_anchor(f"sqlite:///{tmp_path / 'b' / 'cv.sqlite3'}")
    assert one != two and "/instance/cv-" in one and one.endswith(".audit-anchor")
    pg = default_audit_anchor("postgresql+psycopg://u:secret@h:5432/citizenvoice")
    assert "/instance/citizenvoice-" in pg and "secret" not in pg
    explicit = DevelopmentConfig({"CITIZENVOICE_AUDIT_ANCHOR": str(tmp_path / "x.anchor")})
    assert str(tmp_path / "x.anchor") == explicit.AUDIT_ANCHOR
