"""Lightcone's computers themselves: POST /computers (create), GET /computers (list), GET /computers/{id} and
/status, POST /computers/{id}/keepalive, DELETE /computers/{id}; each answered with Lightcone's ComputerResponse.

With --max-computers 0 (the default, right for a sidecar) create answers the daemon's own display, `local`,
whatever was asked. Above 0 it starts a computer (computers.py) of the requested `display` size (1280x800 by
default), which ends after inactivity_timeout_seconds without an action or keepalive (120 by default, unless
idle_timeout_enabled is false) and after max_lifetime_seconds in any case. `command`, an extension, is a
shell command started on it with its DISPLAY, as --computer-command is on every one. Kind "browser" also
starts a Chromium of its own there, filling its screen, before the computer is listed (lightcone_browser.py).

Beside Lightcone's fields a computer answers `display` {width, height}, its X display name `x_display`, and
`held`: the keys and buttons held down across requests (key-down, mouse-down) until their up or DELETE.
"""

from typing import Annotated

from aiohttp import web
from yarl import URL
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from xhands.input import DisplayUnavailable

from ..computer import Computer, Lifetime
from ..computers import NewComputer
from ..errors import ApiError, from_validation
from ..http.app_keys import COMPUTERS, SETTINGS
from ..http.handling import computer_of
from ..models import NoParams, SingleAction
from ..timestamps import rfc3339
from .lightcone import answers_action_result, envelope, json_body, public_url
from . import lightcone_browser

DEFAULT_SIZE = (1280, 800)
DEFAULT_INACTIVITY_S = 120  # Lightcone's, when idle_timeout_enabled
Size = Annotated[int, Field(ge=16, le=8192)]
Seconds = Annotated[int, Field(gt=0)]


class Display(BaseModel):
    model_config = ConfigDict(extra="ignore")
    width: Size = DEFAULT_SIZE[0]
    height: Size = DEFAULT_SIZE[1]
    scale: Annotated[float, Field(gt=0, allow_inf_nan=False)] | None = None


class CreateComputer(BaseModel):
    """Lightcone's ComputerCreateParams, as far as a desktop has them (persistent, stealth, proxies: ignored)."""

    model_config = ConfigDict(extra="ignore")
    kind: str = "desktop"
    display: Display = Display()
    idle_timeout_enabled: bool | None = None
    auto_kill: bool | None = None  # Lightcone's older name of idle_timeout_enabled
    inactivity_timeout_seconds: Seconds = DEFAULT_INACTIVITY_S
    max_lifetime_seconds: Seconds | None = None
    timeout_seconds: Seconds | None = None  # Lightcone's older name of max_lifetime_seconds
    command: str | None = None

    def new_computer(self, browser: str | None = None) -> NewComputer:
        """The computer asked for; a browser one starts `browser` (--browser, None: chromium on PATH)."""
        if self.kind not in ("desktop", "browser"):
            raise ApiError(400, f"kind {self.kind!r} is not available: xhands starts \"desktop\" and \"browser\" computers")
        if self.display.scale not in (None, 1):
            raise ApiError(400, "display.scale can only be 1: xhands sizes the X screen in pixels")
        idle_ends = next((flag for flag in (self.idle_timeout_enabled, self.auto_kill) if flag is not None), True)
        lifetime = Lifetime(self.inactivity_timeout_seconds if idle_ends else None,
                            self.max_lifetime_seconds or self.timeout_seconds)
        prepare = lightcone_browser.starter(browser) if self.kind == "browser" else None
        return NewComputer(self.display.width, self.display.height, lifetime, self.command, prepare)


NEVER = "9999-12-31T23:59:59Z"  # the expiry of what never ends by itself (the daemon's own display)


def screen_of(computer: Computer) -> dict | None:
    """The screen's size; None while its display cannot be reached (a listing still answers)."""
    try:
        with computer.desktop.guarded():
            width, height = computer.desktop.screen_size
    except DisplayUnavailable:
        return None
    return {"width": width, "height": height}


def response(request: web.Request, computer: Computer) -> dict:
    """Lightcone's ComputerResponse."""
    lifetime = computer.lifetime
    api = URL(public_url(request, f"/computers/{computer.id}"))  # --public-url's base, when given
    return {
        "id": computer.id, "kind": computer.kind, "status": "terminated" if computer.stopping else "running",
        "created_at": rfc3339(computer.created_at), "last_activity_at": rfc3339(computer.last_activity_at),
        "expires_at": NEVER if lifetime.max_s is None else rfc3339(computer.created_at + lifetime.max_s),
        "idle_expires_at": NEVER if lifetime.inactivity_s is None else
        rfc3339(computer.last_activity_at + lifetime.inactivity_s),
        "idle_timeout_enabled": lifetime.inactivity_s is not None, "auto_kill": lifetime.inactivity_s is not None,
        "inactivity_timeout_seconds": lifetime.inactivity_s, "max_lifetime_seconds": lifetime.max_s,
        "endpoints": {"api": str(api), "ws": str(api.with_scheme("wss" if api.scheme == "https" else "ws") / "ws"),
                      "events": str(api / "events"), "screencast": str(api / "screencast")},
        "display": screen_of(computer), "x_display": computer.desktop.display_name,
        "held": computer.desktop.held(),
    }


async def create_computer(request: web.Request) -> web.Response:
    computers = request.app[COMPUTERS]
    if request.app[SETTINGS].max_computers == 0:  # a sidecar: its display, whatever was asked
        return web.json_response(response(request, computers.local))
    try:
        asked = CreateComputer.model_validate(await json_body(request))
    except ValidationError as exc:
        raise from_validation(exc) from None
    return web.json_response(response(request, await computers.create(asked.new_computer(request.app[SETTINGS].browser))))


async def list_computers(request: web.Request) -> web.Response:
    """The SDK's `type` filter: computers here are live; there are no persistent sessions."""
    kind = request.query.get("type", "live")
    if kind not in ("live", "persistent"):
        raise ApiError(400, f"type must be live or persistent, not {kind!r}")
    computers = request.app[COMPUTERS] if kind == "live" else []
    return web.json_response([response(request, computer) for computer in computers])


async def get_computer(request: web.Request) -> web.Response:
    return web.json_response(response(request, computer_of(request)))


async def keepalive(request: web.Request) -> web.Response:
    computer = computer_of(request)
    computer.keep_alive()
    return web.json_response(response(request, computer))


async def terminate(request: web.Request) -> web.Response:
    """A computer started by create ends. The local one stays: what it holds down is released, as an action of
    its queue, so no running action is cut and the event stream shows it."""
    computer = computer_of(request)
    if computer is request.app[COMPUTERS].local:
        await computer.worker.run_actions([SingleAction("release_everything", NoParams())])
    else:
        await request.app[COMPUTERS].delete(computer.id)
    return web.json_response(envelope(None, "success"))


def add_routes(app: web.Application) -> None:
    app.router.add_post("/computers", answers_action_result(create_computer))
    app.router.add_get("/computers", list_computers)
    app.router.add_get("/computers/{id}", answers_action_result(get_computer))
    app.router.add_get("/computers/{id}/status", answers_action_result(get_computer))
    app.router.add_post("/computers/{id}/keepalive", answers_action_result(keepalive))
    app.router.add_delete("/computers/{id}", answers_action_result(terminate))
