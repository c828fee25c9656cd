"""Kernel's recording API (its browser images' /recording/* routes), with the same routes per computer
(/computers/{id}/recording/..., beside Lightcone's routes), and the timeline of what ran while it recorded:
GET /recording/timeline?id=. Each computer has recordings of its own, under ids of its own: the routes of
/computers/{id} see that computer's, the routes without one the daemon's own display's (computer `local`).

Names, statuses and limits are Kernel's: an id is letters, digits and hyphens ("default" when left out);
start answers 201, or 409 while that id records; mark 201 with its offset, 404 for no such recording, 409
once it has stopped; download 202 with Retry-After until the file is finished, 404 once deleted; delete 400
while it records. Starting an id again needs its recording deleted first (Kernel answers that case 400;
here it is 409, a conflict with the recording that exists).
"""

from pathlib import Path
from typing import Annotated

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import ApiError, from_validation
from ..http.app_keys import SETTINGS
from ..http.handling import computer_of
from ..http.bodies import parse
from . import h264_stream, replays
from .download import RECORDINGS, recordings, video
from .recorder import DEFAULT_FRAMERATE, DEFAULT_ID, DEFAULT_MAX_FILE_MB, MB, Limits, Recordings

PREFIXES = ("", "/computers/{id}")
RecordingId = Annotated[str, Field(pattern=r"^[a-zA-Z0-9-]+$", max_length=100,
                                   description='Letters, digits and hyphens; "default" when left out')]


class StartRecording(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    id: RecordingId = DEFAULT_ID
    framerate: int = Field(DEFAULT_FRAMERATE, ge=1, le=20, description="Frames a second at most; a still screen adds none")
    maxDurationInSeconds: int | None = Field(None, ge=1, description="Ends the recording after this long")
    maxFileSizeInMB: int = Field(DEFAULT_MAX_FILE_MB, ge=10, le=10000, description="Ends the recording at this size")
    recordAudio: bool = Field(False, description="Accepted for Kernel's clients: xhands records no audio")


class StopRecording(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    id: RecordingId = DEFAULT_ID
    forceStop: bool = Field(False, description="Drop the frames still waiting for the encoder and close the file at once")


class MarkRecording(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    id: RecordingId = DEFAULT_ID
    name: str = Field(min_length=1, max_length=200, description="The chapter's title")


class RecordingRef(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    id: RecordingId = DEFAULT_ID


def query_id(request: web.Request) -> str:
    try:
        return RecordingRef.model_validate({key: value for key, value in request.query.items() if key == "id"}).id
    except ValidationError as exc:
        raise from_validation(exc) from None


async def start(request: web.Request) -> web.Response:
    body = await parse(request, StartRecording)
    if body.recordAudio:
        raise ApiError(400, "recordAudio: xhands records the screen only, no audio")
    limits = Limits(body.framerate, body.maxDurationInSeconds, body.maxFileSizeInMB * MB)
    recordings(request).start(body.id, limits, computer_of(request))
    return web.Response(status=201)


async def stop(request: web.Request) -> web.Response:
    body = await parse(request, StopRecording)
    recording = recordings(request).of(computer_of(request)).get(body.id)
    if recording is None:
        raise ApiError(400, f"no recording {body.id!r} to stop")
    await recording.stop(force=body.forceStop)
    return web.Response(status=200)


async def mark(request: web.Request) -> web.Response:
    body = await parse(request, MarkRecording)
    recording = recordings(request).get(computer_of(request), body.id)
    if not recording.is_recording:
        raise ApiError(409, f"recording {body.id!r} is not recording any more")
    return web.json_response({"name": body.name, "offset_ms": recording.mark(body.name)}, status=201)


async def download(request: web.Request) -> web.StreamResponse:
    return video(recordings(request).get(computer_of(request), query_id(request)))


async def list_recordings(request: web.Request) -> web.Response:
    return web.json_response([recording.info() for recording in recordings(request).of(computer_of(request)).values()])


async def delete(request: web.Request) -> web.Response:
    body = await parse(request, RecordingRef)
    recordings(request).delete(computer_of(request), body.id)
    return web.Response(status=200)


async def timeline(request: web.Request) -> web.Response:
    """The actions and marks of a recording at their offsets in the video, with each batch's request_id."""
    recording = recordings(request).get(computer_of(request), query_id(request))
    finished = recording.finished_at
    return web.json_response({
        **recording.info(),
        "duration_ms": recording.offset_ms(finished) if finished else None,
        "stop_reason": recording.stop_reason,
        "timeline": recording.timeline(),
    })


ROUTES = (
    ("POST", "start", start), ("POST", "stop", stop), ("POST", "mark", mark), ("GET", "download", download),
    ("GET", "list", list_recordings), ("POST", "delete", delete), ("GET", "timeline", timeline),
)


def add_routes(app: web.Application) -> None:
    """Add it after the screencast's: recordings are viewers of its frames."""
    settings = app[SETTINGS]
    directory = Path(settings.recordings_dir) if settings.recordings_dir else None
    app[RECORDINGS] = Recordings(directory, settings.max_recordings_mb * MB, settings.keep_recordings)
    for prefix in PREFIXES:
        for method, name, handler in ROUTES:
            app.router.add_route(method, f"{prefix}/recording/{name}", handler)
    h264_stream.add_routes(app)
    replays.add_routes(app)
