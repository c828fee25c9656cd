"""Kernel's Error shape, which every dialect without one of its own answers in: {"code", "message", "details": [{"code", "message", "target"}], "inner_error"}."""

from pydantic import ValidationError

STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
    500: "internal_error",
    503: "display_unavailable",
}


class ApiError(Exception):
    """An error answered in the Error shape."""

    def __init__(self, status: int, message: str, details: list[dict] | None = None, inner: dict | None = None, headers=None,
                 code: str | None = None):
        super().__init__(message)
        self.status = status
        self._code = code  # when the status alone does not say it (503: display_unavailable or shutting_down)
        self.message = message
        self.details = details or []
        self.inner = inner
        self.headers = headers or {}

    @property
    def code(self) -> str:
        return self._code or STATUS_CODES.get(self.status, "error")

    def body(self) -> dict:
        body = {"code": self.code, "message": self.message}
        if self.details:
            body["details"] = self.details
        if self.inner:
            body["inner_error"] = self.inner
        return body


def json_path(loc: tuple) -> str:
    """('actions', 3, 'click_mouse', 'x') -> 'actions[3].click_mouse.x'."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def from_validation(exc: ValidationError, document=None) -> ApiError:
    """A 400 naming each bad field. With the document that was validated, a batch action whose parameters sit
    beside its type gets one hint saying where they belong instead of one unknown field each."""
    details = []
    for err in exc.errors(include_url=False, include_input=False):
        # Pydantic names union/function members in loc (e.g. 'function-after[...]'); keep the JSON path only.
        loc = tuple(part for part in err["loc"] if isinstance(part, int) or not ("[" in part or "-" in part))
        if "at" in err.get("ctx", {}):
            loc += (err["ctx"]["at"],)
        if err["type"] == "extra_forbidden" and (hint := parameters_beside_type(document, loc[:-1])):
            if hint not in details:
                details.append(hint)
            continue
        details.append({"code": err["type"], "message": err["msg"], "target": json_path(loc)})
    first = details[0]
    where = f"{first['target']}: " if first["target"] else ""
    return ApiError(400, f"invalid request: {where}{first['message']}", details)


def parameters_beside_type(document, loc: tuple) -> dict | None:
    """{"type": "click_mouse", "x": 1} at loc: the detail that says the parameters go inside a click_mouse field."""
    action = document
    for part in loc:
        try:
            action = action[part]
        except (KeyError, IndexError, TypeError):
            return None
    from .registry import ACTIONS  # late: the registry imports the actions and everything they use

    kind = action.get("type") if isinstance(action, dict) else None
    if not isinstance(kind, str) or kind not in ACTIONS or kind in action:
        return None
    stray = [key for key in action if key != "type"]
    if not set(stray) & set(ACTIONS[kind].params.model_fields):
        return None  # not this type's parameters: each is an unknown field
    inside = ", ".join(f'"{key}": ...' for key in stray)
    return {"code": "missing_params",
            "message": f"type {kind} needs a {kind} field holding its parameters ({', '.join(stray)}): "
                       f'{{"type": "{kind}", "{kind}": {{{inside}}}}}',
            "target": json_path(loc)}
