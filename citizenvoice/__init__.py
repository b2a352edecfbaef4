"""CitizenVoice (市民之声): the application factory.

``create_app`` is a list of named register steps; read it top to bottom to see what a running
site is made of.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from config import BaseConfig, ConfigError, config_for

__all__ = ["create_app"]

_PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(
    config: str | BaseConfig | None = None, overrides: Mapping[str, Any] | None = None
) -> Flask:
    """Build the Flask app for an environment name, a config object, or CITIZENVOICE_ENV."""
    app = Flask(
        __name__,
        template_folder=str(_PROJECT_ROOT / "templates"),
        instance_path=str(_PROJECT_ROOT / "instance"),
    )
    settings = config if isinstance(config, BaseConfig) else config_for(config)
    app.config.from_object(settings)
    app.config["ENV_NAME"] = settings.ENV_NAME
    if overrides:
        app.config.update(overrides)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]  # readable Chinese in JSON
    register_log_redaction(app)

    if app.config.get("PROXY_COUNT"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        count = int(app.config["PROXY_COUNT"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)  # type: ignore[method-assign]
    check_media_storage(app)
    register_input_cleaning(app)
    register_extensions(app)
    register_nlp_settings(app)
    register_background_work(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_security_headers(app)
    register_commands(app)
    return app


def check_media_storage(app: Flask) -> None:
    """Refuse to start with a malformed CITIZENVOICE_MEDIA_STORAGE (not at the first upload).

    Building the storage sends no request, so a storage that is down does not stop the app.
    """
    from citizenvoice.services.media_storage import storage_from_setting

    storage_from_setting(app.config)


def register_input_cleaning(app: Flask) -> None:
    """Strip control characters from every input before any view or extension reads it."""
    from citizenvoice.blueprints.inputs import init_app as init_inputs

    init_inputs(app)


def register_log_redaction(app: Flask) -> None:
    """No log line of this process carries a tracking code, phone or ID number (see module)."""
    from citizenvoice.log_redaction import install_log_redaction

    install_log_redaction()


def register_nlp_settings(app: Flask) -> None:
    """Hand the configured segmenter dictionaries and cache folder to nlp.

    nlp reads no environment variable; its process-wide segmenter takes them from here, before
    the first analysis builds it.
    """
    from nlp import configure_default_segmenter

    cache_dir = app.config.get("NLP_CACHE_DIR")
    configure_default_segmenter(
        [Path(p) for p in app.config.get("NLP_USER_DICTS", [])],
        Path(cache_dir) if cache_dir else None,
    )


def register_extensions(app: Flask) -> None:
    """Bind the extension singletons and the personal-data protector to this app."""
    from citizenvoice import models  # noqa: F401  (registers the tables with the metadata)
    from citizenvoice.database import init_app as init_database
    from citizenvoice.extensions import bootstrap, csrf, db, limiter, login_manager, migrate
    from citizenvoice.services.audit import init_app as init_audit
    from citizenvoice.services.pii import PiiProtector

    db.init_app(app)
    init_database(app)
    migrate.init_app(app, db, directory=str(_PROJECT_ROOT / "migrations"))
    csrf.init_app(app)
    bootstrap.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    if not app.config.get("PII_KEY"):
        # Never derived from SECRET_KEY: that one is often public (a default, a sample .env).
        raise ConfigError("CITIZENVOICE_PII_KEY is not set")
    app.extensions["citizenvoice.pii"] = PiiProtector(app.config["PII_KEY"])
    init_audit(app)


def register_background_work(app: Flask) -> None:
    """Analysis on a background thread (embedded default) or through Redis and RQ."""
    from citizenvoice.jobs import init_app as init_jobs

    init_jobs(app)


def register_blueprints(app: Flask) -> None:
    """Mount the resident site and the JSON API."""
    from citizenvoice.blueprints.api import api_blueprint, api_docs_blueprint
    from citizenvoice.blueprints.auth import auth_blueprint
    from citizenvoice.blueprints.health import health_blueprint
    from citizenvoice.blueprints.office import office_blueprint
    from citizenvoice.blueprints.open import open_blueprint
    from citizenvoice.blueprints.open311 import open311_blueprint
    from citizenvoice.blueprints.public import public_blueprint
    from citizenvoice.blueprints.surveys import survey_api_blueprint, survey_blueprint
    from citizenvoice.blueprints.workspace import workspace_blueprint
    from citizenvoice.extensions import csrf

    # Probes for load balancers and supervisors: no cookie, no CSRF, no rate limit.
    csrf.exempt(health_blueprint)
    app.register_blueprint(health_blueprint)
    app.register_blueprint(public_blueprint)
    app.register_blueprint(auth_blueprint)
    app.register_blueprint(office_blueprint, url_prefix="/office")
    app.register_blueprint(workspace_blueprint, url_prefix="/workspace")
    app.register_blueprint(open_blueprint, url_prefix="/open")
    # The API authenticates nothing by cookie, so cross-site request forgery does not apply.
    csrf.exempt(api_blueprint)
    app.register_blueprint(api_blueprint, url_prefix="/api/v1")
    csrf.exempt(survey_api_blueprint)
    app.register_blueprint(survey_api_blueprint, url_prefix="/api/v1")
    app.register_blueprint(survey_blueprint)
    app.register_blueprint(api_docs_blueprint)
    csrf.exempt(open311_blueprint)
    app.register_blueprint(open311_blueprint, url_prefix="/open311")
    # One display rule for every page: Beijing time, whatever the server's zone (domain.localtime).
    from citizenvoice.domain.localtime import local_time

    app.add_template_filter(local_time, "local_time")


def register_errorhandlers(app: Flask) -> None:
    """JSON errors under /api, friendly Chinese pages elsewhere."""
    from citizenvoice.blueprints.errors import init_app as init_errors

    init_errors(app)


def register_security_headers(app: Flask) -> None:
    """Add CSP and the other security headers to every response, errors included."""
    from citizenvoice.blueprints.security import init_app as init_security

    init_security(app)


def register_commands(app: Flask) -> None:
    """Register the flask CLI commands (seed, ...)."""
    from citizenvoice.cli import init_app as init_cli

    init_cli(app)
