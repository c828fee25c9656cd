"""Which routes /openapi.json documents beyond Kernel's computer routes (openapi.py derives those from the action
registry): each module that adds a route documents it here, next to the route, with the models that validate it.

    document("post", "/computers/{id}/execute", "lightcone_execute", "Run one action", body=ExecuteBody,
             reply=ActionResult, error=ActionResult)

openapi.py turns every entry into an operation: the body's and the query's schemas from their models, path
parameters from the path, the reply and the dialect's error shape. The fuzz tests send what those schemas allow.
"""

from dataclasses import dataclass, field

from pydantic import BaseModel


@dataclass(frozen=True)
class RouteDoc:
    method: str
    path: str
    operation_id: str
    summary: str
    body: type[BaseModel] | None = None  # the model that validates the JSON body
    body_required: bool = True
    query: type[BaseModel] | None = None  # the model that validates the query parameters
    reply: type[BaseModel] | dict | None = None  # a model of the JSON answer, or an OpenAPI response object
    error: type[BaseModel] | None = None  # the dialect's error answer; None: the Error shape
    error_statuses: tuple[int, ...] = (400, 401, 413, 429, 503)
    # With a dialect's own error: statuses answered in the Error shape before the dialect has the request.
    other_errors: tuple[int, ...] = ()
    path_descriptions: dict[str, str] = field(default_factory=dict)  # what a path parameter means, by name


DOCUMENTED: dict[tuple[str, str], RouteDoc] = {}


def document(method: str, path: str, operation_id: str, summary: str, **details) -> None:
    """Add a route to /openapi.json (documenting it again replaces the first)."""
    DOCUMENTED[(method.lower(), path)] = RouteDoc(method.lower(), path, operation_id, summary, **details)
