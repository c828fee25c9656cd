"""What the routes of both recording APIs answer alike: the daemon's recordings, and a recording's video."""

from aiohttp import web

from ..errors import ApiError
from ..timestamps import rfc3339
from .recorder import Recording, Recordings

RECORDINGS = web.AppKey("recordings", Recordings)  # closed first at shutdown (app.py)
RETRY_WHILE_RECORDING_S = 5
RETRY_WHILE_FINISHING_S = 1


def recordings(request: web.Request) -> Recordings:
    return request.app[RECORDINGS]


def video(recording: Recording) -> web.StreamResponse:
    """The finished file, or 202 with Retry-After until it is."""
    if recording.state in ("recording", "finishing"):
        wait = RETRY_WHILE_RECORDING_S if recording.is_recording else RETRY_WHILE_FINISHING_S
        return web.json_response({"message": f"recording {recording.id!r} is {recording.state}; retry in {wait} s"},
                                 status=202, headers={"Retry-After": str(wait)})
    if recording.state == "failed" or not recording.path.exists():
        raise ApiError(500, f"recording {recording.id!r} failed; the daemon's log says why")
    return web.FileResponse(recording.path, headers={
        "Content-Type": "video/mp4",
        "Content-Disposition": f'attachment; filename="{recording.id}.mp4"',
        "X-Recording-Started-At": rfc3339(recording.started_at),
        "X-Recording-Finished-At": rfc3339(recording.finished_at),
    })
