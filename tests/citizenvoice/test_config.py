"""The app factory in each environment, and production's refusal to start half-configured."""

from __future__ import annotations

import pytest

from citizenvoice import create_app
from config import (
    ConfigError,
    DevelopmentConfig,
    ProductionConfig,
    TestingConfig,
    config_for,
    normalise_database_url,
)

PRODUCTION_ENV = {
    "CITIZENVOICE_ENV": "production",
    "SECRET_KEY": "a-long-random-production-secret",
    "DATABASE_URL": "postgresql://citizen@db.internal:5432/citizenvoice",
    "REDIS_URL": "redis://cache.internal:6379/0",
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


@pytest.mark.parametrize("missing", ["SECRET_KEY", "DATABASE_URL", "REDIS_URL"])
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
