"""Kernel's SDK's replays (`client.browsers.replays`): the same recordings under /browsers/{id}/replays, so code
written against Kernel's cloud API records this display by changing only its base URL.

POST /browsers/{id}/replays starts one under a new id and answers it with `replay_view_url`, this daemon's
replay page for it (/view?recording=ID, and &computer=ID for a computer other than the daemon's own display);
GET lists them; GET .../replays/{replay_id} downloads the MP4 (202 until it is finished); POST
.../replays/{replay_id}/stop stops it. The browser id names a computer when one has that id; any other is
the daemon's own display, as on Kernel's other /browsers/{id} routes.
"""

import uuid

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from ..errors import ApiError
from ..http.bodies import parse
from ..computers import LOCAL
from ..http.handling import computer_of
from .download import recordings, video
from ..timestamps import rfc3339
from .recorder import DEFAULT_FRAMERATE, DEFAULT_MAX_FILE_MB, MB, Limits, Recording

PATH = "/browsers/{id}/replays"


class StartReplay(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    framerate: int = Field(DEFAULT_FRAMERATE, ge=1, le=20, description="Frames a second at most")
    max_duration_in_seconds: int | None = Field(None, ge=1, description="Ends the recording after this long")
    record_audio: bool = Field(False, description="Accepted for Kernel's SDK: xhands records no audio")


def replay(request: web.Request, recording: Recording) -> dict:
    """Kernel's ReplayInfo."""
    where = {} if recording.computer_id == LOCAL else {"computer": recording.computer_id}
    view = request.url.with_path("/view").with_query({"recording": recording.id, **where})
    return {"replay_id": recording.id, "started_at": rfc3339(recording.started_at),
            "finished_at": rfc3339(recording.finished_at), "replay_view_url": str(view)}


async def start(request: web.Request) -> web.Response:
    body = await parse(request, StartReplay)
    if body.record_audio:
        raise ApiError(400, "record_audio: xhands records the screen only, no audio")
    limits = Limits(body.framerate, body.max_duration_in_seconds, DEFAULT_MAX_FILE_MB * MB)
    recording = recordings(request).start(uuid.uuid4().hex, limits, computer_of(request))
    return web.json_response(replay(request, recording))


async def list_replays(request: web.Request) -> web.Response:
    mine = recordings(request).of(computer_of(request)).values()
    return web.json_response([replay(request, recording) for recording in mine])


async def download(request: web.Request) -> web.StreamResponse:
    return video(recordings(request).get(computer_of(request), request.match_info["replay_id"]))


async def stop(request: web.Request) -> web.Response:
    await recordings(request).get(computer_of(request), request.match_info["replay_id"]).stop()
    return web.Response(status=200)


def add_routes(app: web.Application) -> None:
    app.router.add_post(PATH, start)
    app.router.add_get(PATH, list_replays)
    app.router.add_get(PATH + "/{replay_id}", download)
    app.router.add_post(PATH + "/{replay_id}/stop", stop)
