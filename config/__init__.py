"""Configuration classes, one per environment, read from the environment only.

``CITIZENVOICE_ENV`` (development / testing / production) picks the class. Development is the
embedded default: a SQLite file under ``instance/`` and analysis in-process, no Redis needed.
Testing talks to real PostgreSQL and Redis (``DATABASE_URL`` / ``REDIS_URL``, local defaults).
Production refuses to start without ``SECRET_KEY``, ``DATABASE_URL``, ``REDIS_URL``,
``CITIZENVOICE_PII_KEY`` and ``CITIZENVOICE_AUDIT_KEY``; development generates its keys
(``SECRET_KEY`` included) into ``instance/`` on first run, never a key anyone else can know;
testing uses fixed ones.

Settings are read when a config object is built (not at import), so a process or a test that
changes the environment gets what it set.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = [
    "PRODUCTION_REQUIRED",
    "BaseConfig",
    "ConfigError",
    "DevelopmentConfig",
    "ProductionConfig",
    "TestingConfig",
    "config_for",
    "default_audit_anchor",
    "instance_key",
    "normalise_database_url",
    "postgresql_engine_options",
]

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = PROJECT_ROOT / "instance"

# A request body over this is refused with 413 before any view runs: the longest valid
# message is 2,000 characters (6 kB of UTF-8), so 64 KiB leaves room for every field.
MAX_BODY_BYTES = 64 * 1024


class ConfigError(RuntimeError):
    """Raised when an environment is missing settings it cannot run without."""


def normalise_database_url(url: str) -> str:
    """Accept the plain ``postgresql://user@host:port/db`` form and pick the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class BaseConfig:
    """Settings shared by every environment; subclasses override in ``__init__``."""

    ENV_NAME = "base"

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        self.environ = env
        self.SECRET_KEY: str | None = env.get("SECRET_KEY")
        # The key of contact data (phone encryption and matching); never SECRET_KEY.
        self.PII_KEY: str | None = env.get("CITIZENVOICE_PII_KEY") or None
        # The HMAC key of the audit chain; never stored in the database (README, "Audit log").
        self.AUDIT_KEY: str | None = env.get("CITIZENVOICE_AUDIT_KEY") or None
        self.SQLALCHEMY_DATABASE_URI: str | None = (
            normalise_database_url(env["DATABASE_URL"]) if env.get("DATABASE_URL") else None
        )
        # hide_parameters: an error's message and traceback never carry the statement's
        # values (a resident's phone or ID number in a comment, a tracking code) into a log.
        self.SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = {
            "pool_pre_ping": True,
            "hide_parameters": True,
        }
        # PostgreSQL outages end in a 503 within seconds, never a hang (docs/health.md): a new
        # connection gives up after DB_CONNECT_TIMEOUT, a pooled one is pinged with the same
        # bound, a request waits at most DB_POOL_TIMEOUT for a free connection, and the server
        # ends any statement running longer than DB_STATEMENT_TIMEOUT.
        self.DB_CONNECT_TIMEOUT = _positive_number(env, "CITIZENVOICE_DB_CONNECT_TIMEOUT", "2")
        self.DB_POOL_TIMEOUT = _positive_number(env, "CITIZENVOICE_DB_POOL_TIMEOUT", "3")
        self.DB_STATEMENT_TIMEOUT = _positive_number(env, "CITIZENVOICE_DB_STATEMENT_TIMEOUT", "30")
        # PostgreSQL connections each process keeps (pool size) and may open beyond them in a
        # burst (overflow); SQLAlchemy's own defaults. A sync gunicorn process serves one
        # request at a time and holds one connection, a worker one or two: under load 4 web
        # processes and 2 workers held 6 (docs/load.md). Raise the pool to the thread count
        # with threaded gunicorn workers; keep processes x (pool + overflow) under PostgreSQL's
        # max_connections.
        self.DB_POOL_SIZE = int(env.get("CITIZENVOICE_DB_POOL_SIZE", "5"))
        self.DB_MAX_OVERFLOW = int(env.get("CITIZENVOICE_DB_MAX_OVERFLOW", "10"))
        self.REDIS_URL: str | None = env.get("REDIS_URL") or None
        self.MAX_CONTENT_LENGTH = MAX_BODY_BYTES
        self.WTF_CSRF_TIME_LIMIT = 4 * 3600  # residents may take a while to write
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = False
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.BOOTSTRAP_SERVE_LOCAL = True
        # Submissions per client IP, Flask-Limiter syntax.
        self.SUBMISSION_RATE_LIMIT = env.get("CITIZENVOICE_SUBMISSION_LIMIT", "10/minute;200/day")
        # Tracking-code lookups (API and tracking page) per client IP, Flask-Limiter syntax:
        # enough for a resident reloading a page, too few to try codes in bulk.
        self.LOOKUP_RATE_LIMIT = env.get("CITIZENVOICE_LOOKUP_LIMIT", "120/minute")
        # Survey invitation codes tried per client IP (Flask-Limiter syntax); only unknown or
        # used codes count, so a service centre helping many residents is never slowed down.
        self.SURVEY_RATE_LIMIT = env.get("CITIZENVOICE_SURVEY_LIMIT", "20/minute")
        # The HMAC key of survey invitation codes; unset, one is derived from the PII key.
        self.SURVEY_KEY: str | None = env.get("CITIZENVOICE_SURVEY_KEY") or None
        # Grade bands of the survey score (docs/surveys.md, "Grade bands"): label:threshold,
        # highest first, the last 0; a value that cannot be used stops the start.
        from citizenvoice.domain.survey_grades import DEFAULT_GRADE_BANDS, parse_grade_bands

        try:
            self.SURVEY_GRADE_BANDS = parse_grade_bands(
                env.get("CITIZENVOICE_SURVEY_GRADE_BANDS", DEFAULT_GRADE_BANDS)
            )
        except ValueError as exc:
            raise ConfigError(f"CITIZENVOICE_SURVEY_GRADE_BANDS: {exc}") from exc
        # Open311: reads per API key (or client address without one), posts per API key.
        self.OPEN311_READ_LIMIT = env.get("CITIZENVOICE_OPEN311_READ_LIMIT", "300/minute")
        self.OPEN311_POST_LIMIT = env.get("CITIZENVOICE_OPEN311_POST_LIMIT", "60/minute;5000/day")
        # Where residents reach the site (https://12345.example.gov.cn), for absolute links in
        # API answers. Never taken from the request's Host header, which the client chooses;
        # unset, the API answers relative paths.
        self.PUBLIC_BASE_URL: str | None = _base_url(env.get("PUBLIC_BASE_URL", ""))
        self.RATELIMIT_STORAGE_URI = self.REDIS_URL or "memory://"
        self.RATELIMIT_HEADERS_ENABLED = True
        # A Redis outage must not turn submissions into 500s: the limiter falls back to
        # per-process memory and the submission is saved (the outbox relays it later).
        self.RATELIMIT_SWALLOW_ERRORS = True
        self.RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
        # Without socket timeouts the limiter waits forever on a Redis that accepts and never
        # answers, and every rate-limited request (submissions) with it: half a second, as
        # the web process's own Redis connections (jobs.connections.web_redis).
        self.RATELIMIT_STORAGE_OPTIONS = {"socket_timeout": 0.5, "socket_connect_timeout": 0.5}
        # Reverse proxies in front of the app (nginx, a load balancer): how many to trust for
        # the client address (X-Forwarded-For). 0 = none: rate limits then key on the socket peer.
        self.PROXY_COUNT = int(env.get("CITIZENVOICE_PROXY_COUNT", "0"))
        # Run analysis in the web process after commit (embedded default) instead of in RQ.
        self.ANALYSIS_IN_PROCESS = not self.REDIS_URL
        self.DATA_DIR: str | None = env.get("CITIZENVOICE_DATA_DIR") or _shared_data_dir()
        # Retrained models (python -m nlp train ...); the committed defaults when unset.
        self.NLP_MODEL_DIR: str | None = env.get("CITIZENVOICE_NLP_MODEL_DIR") or None
        # The model registry's files (`flask models retrain`): <dir>/<kind>/<version>/.
        self.MODEL_REGISTRY_DIR: str = env.get("CITIZENVOICE_MODEL_REGISTRY_DIR") or str(
            INSTANCE_DIR / "models"
        )
        # Deployment dictionaries for the segmenter, added after the government dictionary
        # (os.pathsep-separated paths); nlp/ reads no environment, the app passes them in.
        self.NLP_USER_DICTS: list[str] = _path_list(env.get("CITIZENVOICE_NLP_USER_DICTS", ""))
        # Where jieba caches its prefix dictionary; unset = the system temp directory.
        self.NLP_CACHE_DIR: str | None = env.get("CITIZENVOICE_NLP_CACHE_DIR") or None
        # Calibrated confidence at or above which the classifier routes a 不确定 case itself.
        # The default is the domain's rule (imported here, not at module import, because
        # citizenvoice imports config while it initialises).
        from citizenvoice.domain.analysis import DEFAULT_ROUTING_MIN_CONFIDENCE

        self.ROUTING_MIN_CONFIDENCE = float(
            env.get("CITIZENVOICE_ROUTING_MIN_CONFIDENCE", str(DEFAULT_ROUTING_MIN_CONFIDENCE))
        )
        # How many pending submissions one analysis job takes along (one transaction, one model
        # pass). 500 rather than 200: fewer statements and model passes per message, about 5%
        # less worker CPU per message on a backlog (docs: pipeline performance); 500 messages
        # of at most 2,000 characters are still a second or two of the 60 s job timeout.
        self.ANALYSIS_BATCH_SIZE = int(env.get("CITIZENVOICE_ANALYSIS_BATCH_SIZE", "500"))
        # After its own batch, an analysis job on PostgreSQL drains the backlog for at most this
        # many seconds: a third of the 60 s job timeout, so a drain never makes a job time out.
        # 0 turns draining off.
        self.ANALYSIS_DRAIN_SECONDS = float(env.get("CITIZENVOICE_ANALYSIS_DRAIN_SECONDS", "20"))
        # Seconds between outbox relays of `worker.py --cron`: a minute catches anything the
        # web could not queue within a minute of Redis coming back.
        self.RELAY_INTERVAL = int(env.get("CITIZENVOICE_RELAY_INTERVAL", "60"))
        # RQ worker liveness: a killed worker's job is recovered within about
        # job timeout + 60 s + maintenance interval (see README, "Reliability").
        self.WORKER_TTL = int(env.get("CITIZENVOICE_WORKER_TTL", "30"))
        self.WORKER_MAINTENANCE_INTERVAL = int(env.get("CITIZENVOICE_WORKER_MAINTENANCE", "15"))
        # How many real messages `flask seed` turns into demo submissions when DATA_DIR exists.
        self.SEED_MESSAGE_COUNT = int(env.get("CITIZENVOICE_SEED_MESSAGES", "900"))
        # The append-only anchor file of the audit chain (count and head HMAC of each append).
        self.AUDIT_ANCHOR: str = env.get("CITIZENVOICE_AUDIT_ANCHOR") or ""
        # Messages to residents (README, "Notifications"): the SMS channel (file:///PATH or
        # aliyun://KEY:SECRET@host?sign=..&template=..) and the e-mail relay (smtp://host:port).
        # Unset in production: notifications are off, and the app says so once at start.
        self.NOTIFY_SMS_URL: str | None = env.get("CITIZENVOICE_SMS_URL") or None
        self.NOTIFY_SMTP_URL: str | None = env.get("CITIZENVOICE_SMTP_URL") or None
        self.NOTIFY_MAIL_FROM = env.get("CITIZENVOICE_MAIL_FROM", "noreply@localhost")
        # Local (Beijing) hours without messages, start-end; "off" sends at any hour.
        self.NOTIFY_QUIET_HOURS = env.get("CITIZENVOICE_QUIET_HOURS", "22-8")
        from citizenvoice.domain.notifications import parse_quiet_hours

        try:
            parse_quiet_hours(self.NOTIFY_QUIET_HOURS)
        except ValueError as exc:
            raise ConfigError(str(exc)) from exc
        # Send from the web process right after commit (embedded default, like analysis).
        self.NOTIFY_IN_PROCESS = not self.REDIS_URL
        # Where `flask opendata build` and its nightly job write the open-data files; the
        # /open/data/ pages serve them from here, never generated per request.
        self.OPEN_DATA_DIR: str = env.get("CITIZENVOICE_OPEN_DATA_DIR") or str(
            INSTANCE_DIR / "opendata"
        )
        # Seconds the public portal keeps an aggregate (overview, department page) per process:
        # the figures move by the hour, and a burst of visitors must not rerun the GROUP BYs.
        self.PORTAL_CACHE_SECONDS = int(env.get("CITIZENVOICE_PORTAL_CACHE_SECONDS", "300"))
        # Residents' photos (docs/photos.md): the folder of the filesystem storage, the most
        # pixels an upload may declare (decoding is refused above it: a 20,000 x 20,000 PNG of
        # a few KB would need 1.2 GB), and the hours an upload may wait for its case before it
        # can no longer be attached and `flask media prune` deletes it.
        self.MEDIA_DIR: str = env.get("CITIZENVOICE_MEDIA_DIR") or str(INSTANCE_DIR / "media")
        # "filesystem" (MEDIA_DIR) or s3://KEY:SECRET@host:port/bucket?region=..&secure=0|1.
        self.MEDIA_STORAGE: str = env.get("CITIZENVOICE_MEDIA_STORAGE") or "filesystem"
        self.MEDIA_MAX_PIXELS = int(env.get("CITIZENVOICE_MEDIA_MAX_PIXELS", "40000000"))
        self.MEDIA_UNATTACHED_HOURS = _positive_number(
            env, "CITIZENVOICE_MEDIA_UNATTACHED_HOURS", "24"
        )

    def finish(self) -> None:
        """Fill settings that depend on others (the anchor file is named after the database).

        The pool sizes apply to PostgreSQL only: SQLite's pools take no size.
        """
        if not self.AUDIT_ANCHOR:
            self.AUDIT_ANCHOR = default_audit_anchor(self.SQLALCHEMY_DATABASE_URI)
        if (self.SQLALCHEMY_DATABASE_URI or "").startswith("postgresql"):
            self.SQLALCHEMY_ENGINE_OPTIONS.update(
                pool_size=self.DB_POOL_SIZE, max_overflow=self.DB_MAX_OVERFLOW
            )
            self.SQLALCHEMY_ENGINE_OPTIONS.update(postgresql_engine_options(self))

    def validate(self) -> None:
        """Raise ConfigError when a required setting is missing."""
        if not self.SECRET_KEY:
            raise ConfigError("SECRET_KEY is not set")
        if not self.SQLALCHEMY_DATABASE_URI:
            raise ConfigError("DATABASE_URL is not set")


def postgresql_engine_options(settings: BaseConfig) -> dict[str, Any]:
    """Pool and connection options that bound every wait on PostgreSQL (see BaseConfig).

    libpq's ``connect_timeout`` counts whole seconds (psycopg raises anything under 2 to 2);
    ``statement_timeout`` is set per connection through the startup ``options``.
    """
    statement_ms = int(settings.DB_STATEMENT_TIMEOUT * 1000)
    return {
        "pool_timeout": settings.DB_POOL_TIMEOUT,
        "connect_args": {
            "connect_timeout": max(2, round(settings.DB_CONNECT_TIMEOUT)),
            "options": f"-c statement_timeout={statement_ms}",
        },
    }


def _positive_number(env: Mapping[str, str], name: str, default: str) -> float:
    """A setting in seconds that must be a number above zero."""
    raw = env.get(name, default)
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds: {raw!r}") from None
    if not value > 0 or value == float("inf"):
        raise ConfigError(f"{name} must be a number of seconds above 0: {raw!r}")
    return value


def default_audit_anchor(database_uri: str | None) -> str:
    """``instance/<database name>-<8 hex>.audit-anchor``: one anchor per database.

    The hex digits come from the database's address (host, port, name or SQLite path; never
    the password), so two databases with the same name never share an anchor.
    """
    import hashlib

    from sqlalchemy.engine import make_url

    name, address = "citizenvoice", ""
    if database_uri:
        url = make_url(database_uri)
        database = url.database or ""
        # A SQLite URL names a file: its stem is the database's name.
        is_sqlite = url.get_backend_name() == "sqlite"
        name = Path(database).stem if is_sqlite else database
        address = (
            str(Path(database).resolve()) if is_sqlite else f"{url.host}:{url.port}/{database}"
        )
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", name).strip(".") or "citizenvoice"
    digest = hashlib.sha256(address.encode("utf-8")).hexdigest()[:8]
    return str(INSTANCE_DIR / f"{safe}-{digest}.audit-anchor")


def instance_key(name: str, instance_dir: Path | None = None) -> str:
    """A random key kept in ``instance/<name>``, made on first use (development only).

    Created with O_EXCL so two processes starting at once agree on one key, and readable by
    the owner only. ``instance/`` is in .gitignore, so the key never reaches the repository.
    """
    folder = instance_dir or INSTANCE_DIR
    path = folder / name
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        pass
    folder.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()  # another process made it first
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(key + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return key


def _base_url(raw: str) -> str | None:
    """``PUBLIC_BASE_URL`` without its trailing slash; None when unset; an error when not a URL."""
    value = raw.strip().rstrip("/")
    if not value:
        return None
    scheme, _, rest = value.partition("://")
    if scheme not in ("http", "https") or not rest or any(c in rest for c in "?#@ "):
        raise ConfigError(f"PUBLIC_BASE_URL must be an http(s) address like https://host: {raw!r}")
    return value


def _path_list(raw: str) -> list[str]:
    """An ``os.pathsep``-separated list of paths (``a.txt:b.txt`` on Linux), blanks dropped."""
    return [part.strip() for part in raw.split(os.pathsep) if part.strip()]


def _shared_data_dir() -> str | None:
    beside_repo = PROJECT_ROOT.parent / "shared" / "data"
    return str(beside_repo) if beside_repo.is_dir() else None


class DevelopmentConfig(BaseConfig):
    """The embedded default: SQLite file, in-process analysis, no Redis or PostgreSQL needed."""

    ENV_NAME = "development"

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        super().__init__(environ)
        # Random per installation too: a public default would let anyone forge a session.
        self.SECRET_KEY = self.SECRET_KEY or instance_key("secret.key")
        self.SQLALCHEMY_DATABASE_URI = (
            self.SQLALCHEMY_DATABASE_URI or f"sqlite:///{INSTANCE_DIR / 'citizenvoice.sqlite3'}"
        )
        # Random keys of this installation, not a default anyone can read in the source: a
        # copied development database cannot be decrypted or its audit chain re-signed.
        self.PII_KEY = self.PII_KEY or instance_key("pii.key")
        self.AUDIT_KEY = self.AUDIT_KEY or instance_key("audit.key")
        # Development sends to a file: residents' messages can be read without a provider.
        self.NOTIFY_SMS_URL = self.NOTIFY_SMS_URL or f"file://{INSTANCE_DIR / 'sms.jsonl'}"
        self.finish()


class TestingConfig(BaseConfig):
    """Real PostgreSQL and Redis over the network, with local defaults."""

    ENV_NAME = "testing"
    __test__ = False  # not a pytest test class, despite the name

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        super().__init__(environ)
        self.TESTING = True
        self.SECRET_KEY = self.SECRET_KEY or "testing-secret-key-not-for-production"
        self.SQLALCHEMY_DATABASE_URI = self.SQLALCHEMY_DATABASE_URI or normalise_database_url(
            "postgresql://postgres@127.0.0.1:5432/citizenvoice_test"
        )
        self.REDIS_URL = self.REDIS_URL or "redis://127.0.0.1:6379/15"
        self.RATELIMIT_STORAGE_URI = self.REDIS_URL
        self.ANALYSIS_IN_PROCESS = False
        self.NOTIFY_IN_PROCESS = False
        self.PORTAL_CACHE_SECONDS = 0  # each test sees the rows it just made
        # Fixed keys: every test process (parallel runs included) reads the same data.
        self.PII_KEY = self.PII_KEY or "testing-pii-key-not-for-production"
        self.AUDIT_KEY = self.AUDIT_KEY or "testing-audit-key-not-for-production"
        self.finish()


# Exactly what production needs from the environment; every other setting has a default.
PRODUCTION_REQUIRED = (
    "SECRET_KEY",
    "DATABASE_URL",
    "REDIS_URL",
    "CITIZENVOICE_PII_KEY",
    "CITIZENVOICE_AUDIT_KEY",
)


class ProductionConfig(BaseConfig):
    """PostgreSQL + Redis; refuses to start without its secrets and service addresses."""

    ENV_NAME = "production"

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        super().__init__(environ)
        self.SESSION_COOKIE_SECURE = True
        self.REMEMBER_COOKIE_SECURE = True
        self.PREFERRED_URL_SCHEME = "https"
        self.ANALYSIS_IN_PROCESS = False
        self.NOTIFY_IN_PROCESS = False
        self.finish()

    def validate(self) -> None:
        """Refuse to start unless every one of PRODUCTION_REQUIRED is set (no fallbacks)."""
        missing = [n for n in PRODUCTION_REQUIRED if not self.environ.get(n)]
        if missing:
            raise ConfigError("production needs these environment variables: " + ", ".join(missing))


_CONFIGS: dict[str, type[BaseConfig]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_for(name: str | None = None, environ: Mapping[str, str] | None = None) -> BaseConfig:
    """Build and validate the config for ``name`` or ``CITIZENVOICE_ENV`` (default development)."""
    env = os.environ if environ is None else environ
    chosen = (name or env.get("CITIZENVOICE_ENV") or "development").strip().lower()
    if chosen not in _CONFIGS:
        raise ConfigError(
            f"CITIZENVOICE_ENV={chosen!r} is not one of {', '.join(sorted(_CONFIGS))}"
        )
    config = _CONFIGS[chosen](env)
    config.validate()
    return config
