"""Custom domains: which host names a project may take, and which project a request's host names.

Read the Docs' rules: a domain belongs to one project (unique, compared lowercase); it is a plain
host name (no scheme, port, path, wildcard or IP literal; internationalised names kept in their IDNA
form); and it may not be one of Docshelf's own hosts. That last rule is the security one: a domain
equal to (or under) the app origin's host would put a project's pages where sessions and the API
live, and one under the docs domain or the previews' domain would take a host Docshelf already
answers for another project. At most one domain per project is canonical (the project's docs URLs
point there, its default host redirects there); like Read the Docs, a second is refused rather than
silently moved.

The host lookup (:func:`project_slug_for_host`) runs on requests, so it is one indexed SELECT, skipped
for the app's and the docs origin's own hosts; nothing is cached between requests, so adding or
removing a domain changes what the docs server answers at the next request, in every process.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import idna
from flask import current_app
from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from app.errors import NotFound, ValidationError
from app.extensions import db
from app.models import Domain, Project
from app.models.domain import MAX_DOMAIN_LENGTH
from app.services import audit, projects
from app.urls import docs_domain, external_docs_domain

#: More than any real project needs; keeps a runaway script from filling the table.
MAX_DOMAINS_PER_PROJECT = 50
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_SCHEME = re.compile(r"^https?://", re.IGNORECASE)


def domains_query(project: Project) -> Select[Domain]:
    return (
        select(Domain)
        .where(Domain.project_id == project.id)
        .options(joinedload(Domain.project, innerjoin=True))
        .order_by(Domain.id)
    )


def normalize(value: str) -> str:
    """The stored form of a domain as a person writes it, or :class:`ValueError` saying what is wrong.

    ``Docs.Example.com.``, ``https://docs.example.com/`` → ``docs.example.com``; ``bücher.example`` →
    ``xn--bcher-kva.example``.
    """
    name = _SCHEME.sub("", value.strip())
    if name.endswith("/") and "/" not in name[:-1]:
        name = name[:-1]  # a pasted URL's root
    name = name.rstrip(".")
    if not name:
        raise ValueError("This field may not be blank.")
    if "*" in name:
        raise ValueError("Wildcard domains are not supported; add each host name.")
    if any(c in name for c in "/:@?#[]\\ "):
        raise ValueError("Give a host name only (like docs.example.com): no port, path or credentials.")
    try:
        ipaddress.ip_address(name)
    except ValueError:
        pass
    else:
        raise ValueError("An IP address cannot be a custom domain; use a host name.")
    try:
        ascii_name = idna.encode(name, uts46=True).decode("ascii")
    except idna.IDNAError as exc:
        raise ValueError(f"{value!r} is not a valid domain name ({exc}).") from None
    labels = ascii_name.split(".")
    if len(labels) < 2 or len(ascii_name) > MAX_DOMAIN_LENGTH or not all(_LABEL.match(x) for x in labels):
        raise ValueError(f"{value!r} is not a valid domain name.")
    if labels[-1].isdigit():
        raise ValueError("An IP address cannot be a custom domain; use a host name.")
    return ascii_name


def _hostname(url: str | None) -> str | None:
    return (urlsplit(url).hostname or "").lower() or None if url else None


def reserved_hosts(extra: Iterable[str] = ()) -> list[str]:
    """Docshelf's own hosts: a custom domain may be none of them nor under any of them."""
    config = current_app.config
    hosts = [docs_domain(), external_docs_domain(), _hostname(config.get("PUBLIC_URL")),
             _hostname(config.get("DOCS_URL")), *(host_name(h) for h in extra if h)]
    return [h for h in dict.fromkeys(hosts) if h]


def _reserved(name: str, app_hosts: Iterable[str]) -> str | None:
    for host in reserved_hosts(app_hosts):
        if name == host or name.endswith("." + host):
            return host
    return None


def domain_errors(value: str, app_hosts: Iterable[str] = ()) -> tuple[str | None, list[str]]:
    """(the stored form, []) for an acceptable name, else (None, what is wrong); the project aside."""
    try:
        name = normalize(value)
    except ValueError as exc:
        return None, [str(exc)]
    host = _reserved(name, app_hosts)
    if host is not None:
        message = f"{name} is one of Docshelf's own hosts (or under {host}) and cannot be a custom domain."
        return None, [message]
    return name, []


def get_domain(project: Project, value: str) -> Domain:
    try:
        name = normalize(value)
    except ValueError:
        name = value.lower()
    domain = db.session.scalars(domains_query(project).where(Domain.domain == name)).first()
    if domain is None:
        raise NotFound("No Domain matches the given query.")
    return domain


def create_domain(project: Project, data: dict[str, Any], app_hosts: Iterable[str] = ()) -> Domain:
    """Add a domain to ``project``; ``app_hosts`` are hosts the caller knows to be the app's (the API
    request's own host), refused with the configured ones."""
    name, errors = domain_errors(str(data.get("domain", "")), app_hosts)
    if name is None:
        raise _invalid("domain", errors[0])
    with projects.locked(project):
        _check_unique(name)
        in_project = Domain.project_id == project.id
        count = db.session.scalar(select(func.count(Domain.id)).where(in_project)) or 0
        if count >= MAX_DOMAINS_PER_PROJECT:
            raise _invalid("domain", f"A project can have at most {MAX_DOMAINS_PER_PROJECT} domains.")
        canonical = bool(data.get("canonical", False))
        if canonical:
            _check_one_canonical(project, None)
        https = bool(data.get("https", True))
        domain = Domain(project=project, domain=name, canonical=canonical, https=https)
        try:
            with db.session.begin_nested():
                db.session.add(domain)
        except IntegrityError:  # taken by another project between the check and the insert
            raise _taken(name) from None
        # Audited: a domain decides where a project's pages (and its readers' docs cookies) live.
        audit.record("domain.added", project=project.slug, target=name, details={"canonical": canonical})
    return domain


def update_domain(domain: Domain, data: dict[str, Any]) -> Domain:
    """``canonical`` and ``https`` change; the name is the resource's key (delete and add another)."""
    with projects.locked(domain.project):
        if data.get("canonical") and not domain.canonical:
            _check_one_canonical(domain.project, domain)
        changes = {key: bool(data[key]) for key in ("canonical", "https") if key in data}
        for key, value in changes.items():
            setattr(domain, key, value)
        audit.record("domain.changed", project=domain.project.slug, target=domain.domain, details=changes)
    return domain


def delete_domain(domain: Domain) -> None:
    audit.record("domain.removed", project=domain.project.slug, target=domain.domain)
    db.session.delete(domain)
    db.session.commit()


def _check_unique(name: str) -> None:
    if db.session.scalar(select(Domain.id).where(Domain.domain == name)) is not None:
        raise _taken(name)


def _check_one_canonical(project: Project, keep: Domain | None) -> None:
    stmt = select(Domain.domain).where(Domain.project_id == project.id, Domain.canonical.is_(True))
    if keep is not None:
        stmt = stmt.where(Domain.id != keep.id)
    current = db.session.scalar(stmt)
    if current is not None:
        raise _invalid("canonical", f"Only one domain can be canonical at a time: {current} is; "
                                    "set its canonical to false first.")


def _taken(name: str) -> ValidationError:
    return _invalid("domain", f"{name} is already a domain of a project.")


def _invalid(field: str, message: str) -> ValidationError:
    return ValidationError(f"{field}: {message}", errors={field: [message]})


# --- serving: the project a request's host names ---------------------------------------------------


def host_name(host: str) -> str:
    """A ``Host`` header's name: lowercase, without port or trailing dot (``[v6]`` literals kept)."""
    name = host.strip().lower()
    if not name.endswith("]"):
        name = name.rsplit(":", 1)[0]
    return name.rstrip(".")


def project_slug_for_host(host: str) -> str | None:
    """The slug of the project whose custom domain ``host`` is, else None. The app's and the docs
    origin's own hosts never look anything up (and never match: such domains are refused, and even
    one stored before a setting changed loses to the app)."""
    name = host_name(host)
    if not name or name.endswith("]") or name.rsplit(".", 1)[-1].isdigit() or name in reserved_hosts():
        return None  # not a name a domain can have (an IP literal: a health check), or one of ours
    return db.session.scalar(
        select(Project.slug).join(Domain, Domain.project_id == Project.id).where(Domain.domain == name))
