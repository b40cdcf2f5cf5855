"""``docshelf login``: get a token through the device authorization flow (RFC 8628).

The user approves the code in a browser where they are already logged in, so the client never sees a
password, and the token it receives is scoped and expiring.
"""

from __future__ import annotations

import time

import click

from docshelf_client.config import store_profile
from docshelf_client.http import ApiError
from docshelf_client.output import Ctx, client_command, fail

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:device_code"
#: What the client's commands need; the user sees and approves this list.
CLI_SCOPES = ["projects:write", "builds:trigger", "redirects:write", "envvars:write"]


def poll_for_token(ctx: Ctx, device_code: str, interval: float, expires_in: float) -> str:
    """Poll until approved, honouring ``interval`` and growing it on ``slow_down`` as the RFC requires."""
    deadline = time.monotonic() + expires_in
    while time.monotonic() < deadline:
        time.sleep(interval)
        try:
            answer = ctx.client.request(
                "POST", "/api/v3/device/token/", {"device_code": device_code, "grant_type": GRANT_TYPE}
            )
        except ApiError as exc:
            if exc.code == "authorization_pending":
                continue
            if exc.code == "slow_down":
                body = exc.body if isinstance(exc.body, dict) else {}
                interval = float(body.get("interval") or interval + 5)
                continue
            raise
        return str(answer["access_token"])
    fail("The device code expired before it was approved; run `docshelf login` again.", kind="expired_token")


@click.command("login")
@click.option("--scope", "scopes", multiple=True, help="Scope to request (repeat); default: the CLI's.")
@click.option("--save-as", default=None, help="Profile name to store the token under (default: --profile).")
@client_command
def login(ctx: Ctx, scopes: tuple[str, ...], save_as: str | None) -> None:
    """Log in through the browser; the token goes into a profile.

    The device flow: approve the shown code on the server's /device page.
    """
    started = ctx.client.request(
        "POST",
        "/api/v3/device/code/",
        {"client_name": "docshelf-cli", "scopes": list(scopes) or CLI_SCOPES},
    )
    uri, code = started["verification_uri"], started["user_code"]
    ctx.err.print(f"Open {uri} and enter the code: [bold]{code}[/bold]")
    ctx.err.print(f"(or open {started.get('verification_uri_complete', uri)})")
    interval, expires_in = float(started["interval"]), float(started["expires_in"])
    token = poll_for_token(ctx, started["device_code"], interval, expires_in)
    name = save_as or ctx.profile.name
    path = store_profile(name, ctx.profile.url, token, make_default=False)
    ctx.emit(
        {"profile": name, "url": ctx.profile.url, "config": str(path)},
        lambda: ctx.out.print(f"Logged in to {ctx.profile.url}; token saved in profile {name!r} ({path})."),
    )
