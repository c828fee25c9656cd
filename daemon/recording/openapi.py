"""The recording routes in the OpenAPI document, from the models that validate their bodies."""

from .replays import PATH as REPLAYS, StartReplay
from .routes import PREFIXES, MarkRecording, RecordingRef, StartRecording, StopRecording

ERROR = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
RECORDING_ID = {"name": "id", "in": "query", "required": False, "description": 'The recording; "default" when left out',
                "schema": RecordingRef.model_json_schema()["properties"]["id"]}
COMPUTER_ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"},
               "description": "Computer id, as in Lightcone's API: its recordings, under ids of its own"}
RECORDER_INFO = {"type": "object", "required": ["id", "isRecording"], "properties": {
    "id": {"type": "string"}, "isRecording": {"type": "boolean"},
    "started_at": {"type": ["string", "null"], "format": "date-time"},
    "finished_at": {"type": ["string", "null"], "format": "date-time"}}}
TIMELINE_ENTRY = {"type": "object", "required": ["offset_ms", "kind", "name"], "properties": {
    "offset_ms": {"type": "integer", "description": "From the start of the video"},
    "kind": {"enum": ["action", "mark"]},
    "name": {"type": "string", "description": "A batch's action types (`type_text (12 chars)`), or the mark's name"},
    "request_id": {"type": ["string", "null"], "description": "The X-Request-Id of the request that ran the batch"},
    "batch": {"type": "integer"},
    "actions": {"type": "array", "items": {"type": "object", "properties": {
        "type": {"type": "string"}, "params": {"type": "object"}, "status": {"type": ["string", "null"]},
        "duration_ms": {"type": ["number", "null"]}}}}}}
TIMELINE = {"type": "object", "properties": {
    **RECORDER_INFO["properties"], "duration_ms": {"type": ["integer", "null"]},
    "stop_reason": {"type": ["string", "null"], "description": "stopped, maxDurationInSeconds, maxFileSizeInMB, "
                    "max-recordings-mb, shutdown or failed"},
    "timeline": {"type": "array", "items": TIMELINE_ENTRY}}}


def _errors(*statuses: int) -> dict:
    return {str(status): {"description": "Error", **ERROR} for status in statuses}


def _json(description: str, schema: dict) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _post(operation_id: str, model, responses: dict, required: bool = False) -> dict:
    return {"post": {"operationId": operation_id, "responses": responses, "requestBody": {
        "required": required, "content": {"application/json": {"schema": model.model_json_schema()}}}}}


def _get(operation_id: str, responses: dict, with_id: bool = True) -> dict:
    return {"get": {"operationId": operation_id, "responses": responses,
                    "parameters": [RECORDING_ID] if with_id else []}}


OPERATIONS = {
    "start": _post("startRecording", StartRecording, {
        "201": {"description": "Recording started"}, **_errors(400, 401, 409, 429, 507)}),
    "stop": _post("stopRecording", StopRecording, {
        "200": {"description": "Recording stopped and its file finished"}, **_errors(400, 401)}),
    "mark": _post("markRecording", MarkRecording, {
        "201": _json("Marker recorded", {"type": "object", "required": ["name", "offset_ms"], "properties": {
            "name": {"type": "string"}, "offset_ms": {"type": "integer"}}}),
        **_errors(400, 401, 404, 409)}, required=True),
    "download": _get("downloadRecording", {
        "200": {"description": "The recording: H.264 in MP4 with faststart, its actions and marks as chapters",
                "headers": {name: {"schema": {"type": "string"}, "description": "RFC 3339"}
                            for name in ("X-Recording-Started-At", "X-Recording-Finished-At")},
                "content": {"video/mp4": {"schema": {"type": "string", "format": "binary"}}}},
        "202": {"description": "Still recording, or its file is being finished; try again later",
                "headers": {"Retry-After": {"schema": {"type": "integer", "minimum": 1}}}},
        **_errors(400, 401, 404, 500)}),
    "list": _get("listRecorders", {"200": _json("The computer's recordings", {"type": "array", "items": RECORDER_INFO}),
                                   **_errors(401)}, with_id=False),
    "delete": _post("deleteRecording", RecordingRef, {
        "200": {"description": "Recording and its file deleted"}, **_errors(400, 401, 404, 409)}),
    "timeline": _get("recordingTimeline", {
        "200": _json("The action batches and marks at their offsets in the video", TIMELINE), **_errors(400, 401, 404)}),
}


BROWSER_ID = {**COMPUTER_ID, "description": "Browser id, as in Kernel's API: a computer's id names its recordings; "
              "any other, the daemon's own display's"}
REPLAY_ID = {"name": "replay_id", "in": "path", "required": True, "schema": {"type": "string"}}
REPLAY = {"type": "object", "required": ["replay_id"], "properties": {
    "replay_id": {"type": "string"}, "replay_view_url": {
        "type": "string", "description": "/view?recording=ID (&computer=ID for a computer other than local)"},
    "started_at": {"type": ["string", "null"], "format": "date-time"},
    "finished_at": {"type": ["string", "null"], "format": "date-time"}}}
DOWNLOAD = OPERATIONS["download"]["get"]["responses"]
REPLAY_PATHS = {
    REPLAYS: {
        "post": {**_post("startReplay", StartReplay, {"200": _json("Recording started", REPLAY),
                                                      **_errors(400, 401, 429, 507)})["post"], "parameters": [BROWSER_ID]},
        "get": {"operationId": "listReplays", "parameters": [BROWSER_ID],
                "responses": {"200": _json("The computer's recordings", {"type": "array", "items": REPLAY}), **_errors(401)}},
    },
    REPLAYS + "/{replay_id}": {"get": {"operationId": "downloadReplay", "parameters": [BROWSER_ID, REPLAY_ID],
                                       "responses": DOWNLOAD}},
    REPLAYS + "/{replay_id}/stop": {"post": {"operationId": "stopReplay", "parameters": [BROWSER_ID, REPLAY_ID],
                                             "responses": {"200": {"description": "Stopped and its file finished"},
                                                           **_errors(401, 404)}}},
}


def recording_paths() -> dict:
    paths = {}
    for prefix in PREFIXES:
        for name, operation in OPERATIONS.items():
            [(method, body)] = operation.items()
            if prefix:  # a computer's: an unknown one is a 404
                body = {**body, "operationId": "computer_" + body["operationId"],
                        "parameters": [COMPUTER_ID, *body.get("parameters", [])],
                        "responses": {**_errors(404), **body["responses"]}}
            paths[f"{prefix}/recording/{name}"] = {method: body}
    return {**paths, **REPLAY_PATHS}
