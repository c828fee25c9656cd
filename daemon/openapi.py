"""The OpenAPI 3.1 document, generated from the same models that validate requests."""

from pydantic.json_schema import models_json_schema

from . import models as m

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
JSON_REPLIES = {
    "get_mouse_position": {"x": {"type": "integer"}, "y": {"type": "integer"}},
    "read_clipboard": {"text": {"type": "string"}},
}


def _error_responses(*statuses: int) -> dict:
    ref = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    return {str(status): {"description": "Error", **ref} for status in statuses}


def _operation(name: str, schema_ref: str | None, reply: dict) -> dict:
    operation = {
        "operationId": name,
        "responses": {"200": reply, **_error_responses(400, 401, 413, 429, 500, 503)},
    }
    if schema_ref:
        operation["requestBody"] = {
            "required": False,
            "content": {"application/json": {"schema": {"$ref": schema_ref}}},
        }
    return {"post": operation}


def openapi_document(routes: dict, prefix: str) -> dict:
    models = [(model, "validation") for model in {*m.PARAMS.values(), m.BatchRequest}]
    refs, defs = models_json_schema(models, ref_template="#/components/schemas/{model}")
    defs = defs["$defs"]
    defs.update(Error=ERROR_SCHEMA, ErrorDetail=ERROR_DETAIL_SCHEMA)
    paths = {}
    for path, route in routes.items():
        model = m.PARAMS[route.action]
        if route.reply == "json":
            schema = {"type": "object", "properties": JSON_REPLIES[route.action]}
            reply = {"description": "Result", "content": {"application/json": {"schema": schema}}}
        else:
            reply = REPLIES[route.reply]
        schema_ref = None if model is m.NoParams else refs[(model, "validation")]["$ref"]
        paths[f"{prefix}/{path}"] = _operation(route.action, schema_ref, reply)
    batch_reply = {
        "description": "One result per executed action",
        "content": {"application/json": {"schema": {"type": "object", "properties": {"results": {"type": "array", "items": {"type": "object"}}}}}},
    }
    paths[f"{prefix}/batch"] = _operation("batch", refs[(m.BatchRequest, "validation")]["$ref"], batch_reply)
    paths["/health"] = {"get": {"operationId": "health", "security": [], "responses": {"200": {"description": "Display reachable"}, "503": {"description": "Display unavailable"}}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "xhands", "version": "0.1.0", "description": "Kernel computer controls API on a local X11 display"},
        "paths": paths,
        "components": {
            "schemas": defs,
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearerAuth": []}],
    }
