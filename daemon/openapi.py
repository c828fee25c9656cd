"""The OpenAPI 3.1 document, generated from the same models that validate requests, with the daemon's limits."""

import re
from importlib.metadata import version

from pydantic.json_schema import models_json_schema

from . import models as m
from .apidoc import DOCUMENTED, RouteDoc
from .dialects.kernel import PREFIXES, ROUTES
from .models import DisplaySize
from .recording.openapi import recording_paths
from .registry import ACTIONS, ActionSpec, BatchRequest
from .streams.screencast import BOUNDARY, ScreencastQuery

ERROR_SCHEMA = {
    "type": "object",
    "required": ["code", "message"],
    "properties": {
        "code": {"type": "string"},
        "message": {"type": "string"},
        "details": {"type": "array", "items": {"$ref": "#/components/schemas/ErrorDetail"}},
        "inner_error": {"$ref": "#/components/schemas/ErrorDetail"},
    },
}
ERROR_DETAIL_SCHEMA = {
    "type": "object",
    "properties": {"code": {"type": "string"}, "message": {"type": "string"}, "target": {"type": "string"}},
}
REPLIES = {
    "empty": {"description": "Done"},
    "ok": {
        "description": "Done",
        "content": {"application/json": {"schema": {"type": "object", "properties": {"ok": {"type": "boolean"}}}}},
    },
    "image": {
        "description": "The picture: PNG unless `format` asks for jpeg or webp",
        "content": {mime: {"schema": {"type": "string", "format": "binary"}} for mime in ("image/png", "image/jpeg", "image/webp")},
    },
}
BATCH_REPLY = {
    "description": "One result per executed action",
    "content": {"application/json": {"schema": {"type": "object", "properties": {"results": {"type": "array", "items": {"type": "object"}}}}}},
}
BROWSER_ID = {
    "name": "id",
    "in": "path",
    "required": True,
    "description": "Browser id, as in Kernel's API: the computer of that id when there is one (Lightcone's "
                   "POST /computers), else the daemon's own display",
    "schema": {"type": "string"},
}
COMPUTER_ID = {**BROWSER_ID, "description": "Computer id, as in Lightcone's API: `local` (the daemon's own display) or "
               "one POST /computers made; any other is a 404"}


def _error_responses(*statuses: int) -> dict:
    ref = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    return {str(status): {"description": "Error", **ref} for status in statuses}


def _reply(spec: ActionSpec, refs: dict) -> dict:
    if spec.wire.reply != "json":
        return REPLIES[spec.wire.reply]
    schema = {"$ref": refs[(spec.result, "serialization")]["$ref"]}
    return {"description": "Result", "content": {"application/json": {"schema": schema}}}


def _computer_routes(refs: dict) -> list[tuple[str, str, type, dict]]:
    """(path after the prefix, action, request model, answer) of every computer route."""
    routes = [(path, spec.name, spec.params, _reply(spec, refs)) for path, spec in ROUTES.items()]
    return [("batch", "batch", BatchRequest, BATCH_REPLY), *routes]


def _operation(operation_id: str, model: type, refs: dict, reply: dict, browser_form: bool) -> dict:
    operation = {
        "operationId": operation_id,
        "responses": {"200": reply, **_error_responses(400, 401, 404, 413, 429, 500, 503)},
    }
    if browser_form:
        operation["parameters"] = [BROWSER_ID]
    if model is not m.NoParams:
        # Required where the model has a required field: screenshot's body may be left out, click_mouse's not.
        required = any(field.is_required() for field in model.model_fields.values())
        schema = {"$ref": refs[(model, "validation")]["$ref"]}
        operation["requestBody"] = {"required": required, "content": {"application/json": {"schema": schema}}}
    return {"post": operation}


def apply_limits(node, limits: dict[str, int]) -> None:
    """Put the configured value where models.WithinLimit marked a limit (it wrote the default there)."""
    if isinstance(node, dict):
        if name := node.pop(m.LIMIT_MARK, None):
            node["maxLength" if "maxLength" in node else "maxItems"] = limits[name]
        for child in node.values():
            apply_limits(child, limits)
    elif isinstance(node, list):
        for child in node:
            apply_limits(child, limits)


def _get(operation_id: str, description: str, content_type: str, schema: dict) -> dict:
    ok = {"description": description, "content": {content_type: {"schema": schema}}}
    return {"get": {"operationId": operation_id, "responses": {"200": ok, **_error_responses(401)}}}


OTHER_ROUTES = {
    "/health": {"get": {"operationId": "health", "security": [], "responses": {
        "200": {"description": "Display reachable"}, "503": {"description": "Display unavailable"}}}},
    "/metrics": _get("metrics", "Prometheus text exposition", "text/plain", {"type": "string"}),
    "/openapi.json": _get("openapi", "This document", "application/json", {"type": "object"}),
    "/view": {"get": {"operationId": "view", "security": [], "responses": {"200": {
        "description": "The live view page: the screen, the pointer and the actions; it asks for the token itself. "
                       "With ?recording=ID it plays that recording beside its timeline of actions",
        "content": {"text/html": {"schema": {"type": "string"}}}}}}},
}


EVENTS_DESCRIPTION = (
    "Server-Sent Events: `action_request` when an action is queued and `action_response` when it has ended, each "
    "with an `id:` to resume from; `gap` when events were dropped before this viewer read them (docs/watching.md: Events)")
RESUME_PARAMETERS = [
    {"name": "Last-Event-ID", "in": "header", "required": False, "schema": {"type": "integer", "minimum": 0},
     "description": "Send the events after this one that the daemon still keeps (0: all of them)"},
    {"name": "last_event_id", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 0},
     "description": "The same, for clients that cannot set the header"},
]


def _events_operation(operation_id: str, with_id: bool) -> dict:
    operation = _get(operation_id, EVENTS_DESCRIPTION, "text/event-stream", {"type": "string"})
    operation["get"]["parameters"] = [*([COMPUTER_ID] if with_id else []), *RESUME_PARAMETERS]
    operation["get"]["responses"].update(_error_responses(400, *([404] if with_id else [])))
    return operation


SCREENCAST_DESCRIPTION = (
    "Server-Sent Events: unnamed events with a JPEG frame, `{image_data, metadata: {timestamp, viewport}}`, sent when "
    "the screen changed; `cursor_position` `{x, y}` when the pointer moved; `cursor_update` (base64 PNG, width, height, "
    "hotspot) when its shape changed (docs/watching.md: Screencast)")
H264_DESCRIPTION = (
    "Server-Sent Events, as Lightcone's desktop sessions: `h264` events `{nalu_data, keyframe, timestamp, viewport}` "
    "whose nalu_data is one frame's H.264 NAL units in Annex-B, base64, starting with a keyframe with its SPS and PPS; "
    "`cursor_position` and `cursor_update` as the JPEG screencast's. With format=jpeg, the JPEG screencast "
    "(docs/watching.md: Screencast)")
FORMAT_PARAMETER = {"name": "format", "in": "query", "required": False, "description": "h264 (the default) or jpeg",
                    "schema": {"enum": ["h264", "jpeg"], "default": "h264"}}
MJPEG_DESCRIPTION = "JPEG frames, each a part of multipart/x-mixed-replace, with the pointer drawn in (docs/watching.md: Screencast)"


def _query_parameters(model: type) -> list[dict]:
    properties = model.model_json_schema()["properties"]
    return [{"name": name, "in": "query", "required": False, "description": schema.pop("description", ""),
             "schema": _given(schema)} for name, schema in properties.items()]


def _given(schema: dict) -> dict:
    """A query parameter's schema: a parameter left out is the model's None, but it is never sent as null."""
    branches = [branch for branch in schema.get("anyOf", []) if branch.get("type") != "null"]
    if len(branches) == 1:
        schema = {**{k: v for k, v in schema.items() if k not in ("anyOf", "default")}, **branches[0]}
    return {key: value for key, value in schema.items() if key != "title"}


def _screencast_operation(operation_id: str, description: str, content_type: str, with_id: bool) -> dict:
    operation = _get(operation_id, description, content_type, {"type": "string"})
    operation["get"]["parameters"] = [*([COMPUTER_ID] if with_id else []), *_query_parameters(ScreencastQuery)]
    operation["get"]["responses"].update(_error_responses(400, *([404] if with_id else [])))
    return operation


def _resize_operation(refs: dict, browser_form: bool) -> dict:
    """PATCH .../display: the new size in, the size the screen now has out; 409 where the X server cannot resize."""
    size = {"$ref": refs[(DisplaySize, "validation")]["$ref"]}
    reply = {"description": "The screen's new size", "content": {"application/json": {"schema": size}}}
    operation = _operation("browser_resize_display" if browser_form else "resize_display", DisplaySize, refs, reply, browser_form)
    operation["post"]["responses"].update(_error_responses(409))
    return {"patch": operation["post"]}


PATH_PARAMETER = re.compile(r"{(\w+)}")
ID_MEANINGS = {"id": "Computer id, as in Lightcone's API"}


def _models_of(doc: RouteDoc) -> list[tuple[type, str]]:
    models = [(doc.body, "validation")] if doc.body else []
    models += [(model, "serialization") for model in (doc.reply, doc.error) if isinstance(model, type)]
    return models


def _documented_operation(doc: RouteDoc, refs: dict) -> dict:
    """The operation of a route documented with apidoc.document."""
    def answer(model, description: str) -> dict:
        return {"description": description, "content": {"application/json": {"schema": {"$ref": refs[(model, "serialization")]["$ref"]}}}}

    if isinstance(doc.reply, dict):
        reply = doc.reply
    else:
        reply = answer(doc.reply, "Done") if doc.reply else {"description": "Done"}
    errors = {str(status): answer(doc.error, "Error") for status in doc.error_statuses} if doc.error else \
        _error_responses(*doc.error_statuses)
    errors.update(_error_responses(*doc.other_errors))
    operation = {"operationId": doc.operation_id, "summary": doc.summary, "responses": {"200": reply, **errors}}
    parameters = [{"name": name, "in": "path", "required": True, "schema": {"type": "string"},
                   "description": doc.path_descriptions.get(name, ID_MEANINGS.get(name, ""))}
                  for name in PATH_PARAMETER.findall(doc.path)]
    parameters += _query_parameters(doc.query) if doc.query else []
    if parameters:
        operation["parameters"] = parameters
    if doc.body:
        schema = {"$ref": refs[(doc.body, "validation")]["$ref"]}
        operation["requestBody"] = {"required": doc.body_required, "content": {"application/json": {"schema": schema}}}
    return operation


def openapi_document(limits: dict[str, int]) -> dict:
    """`limits`: the configured values of the limits models.WithinLimit checks (max_text, max_path)."""
    requests = [(model, "validation") for model in {*(spec.params for spec in ACTIONS.values()), BatchRequest, DisplaySize}]
    results = [(spec.result, "serialization") for spec in ACTIONS.values() if spec.result]
    results += list(dict.fromkeys(model for doc in DOCUMENTED.values() for model in _models_of(doc)))
    refs, defs = models_json_schema(requests + results, ref_template="#/components/schemas/{model}")
    defs = defs["$defs"]
    apply_limits(defs, limits)
    defs.update(Error=ERROR_SCHEMA, ErrorDetail=ERROR_DETAIL_SCHEMA)
    paths = {}
    for prefix in PREFIXES:
        browser_form = "{id}" in prefix
        for path, action, model, reply in _computer_routes(refs):
            operation_id = f"browser_{action}" if browser_form else action
            paths[f"{prefix}/{path}"] = _operation(operation_id, model, refs, reply, browser_form)
        paths[f"{prefix}/display"] = _resize_operation(refs, browser_form)
    paths.update(OTHER_ROUTES)
    paths["/computer/events"] = _events_operation("events", with_id=False)
    paths["/computers/{id}/events"] = _events_operation("computer_events", with_id=True)
    paths["/computer/screencast"] = _screencast_operation("screencast", SCREENCAST_DESCRIPTION, "text/event-stream", False)
    paths["/computers/{id}/screencast"] = _screencast_operation("computer_screencast", H264_DESCRIPTION,
                                                                "text/event-stream", True)
    paths["/computers/{id}/screencast"]["get"]["parameters"].append(FORMAT_PARAMETER)
    paths["/computer/screencast.mjpeg"] = _screencast_operation(
        "screencast_mjpeg", MJPEG_DESCRIPTION, f"multipart/x-mixed-replace; boundary={BOUNDARY}", False)
    for (method, path), doc in DOCUMENTED.items():
        paths.setdefault(path, {})[method] = _documented_operation(doc, refs)
    paths.update(recording_paths())
    return {
        "openapi": "3.1.0",
        "info": {"title": "xhands", "version": version("xhands"), "description": (
            "Kernel's computer controls, Tzafon Lightcone's computers API, the agents' computer tools and MCP, on a local X11 display")},
        "paths": paths,
        "components": {
            "schemas": defs,
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearerAuth": []}],
    }
