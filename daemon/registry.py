"""The action registry: one entry per action type, and everything derived from the entries.

An entry ties the action's request model and its handler (actions.py) to its
wire form, which the client owns (client/api.py: the builder, the Kernel route
under /computer and the reply kind) because the client must run without the
server's packages. The batch union `ComputerAction`, `BatchRequest`, the
handlers by type, the Kernel routes, the OpenAPI document and the client's
methods all come from here: adding an action is its model, its handler, its
builder and one line below.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, create_model

from . import actions
from . import models as m
from .client.api import OPERATIONS, Operation
from .ops import metrics

Handler = Callable[..., Awaitable]


@dataclass(frozen=True)
class ActionSpec:
    wire: Operation
    params: type[BaseModel]
    run: Handler  # timed: its latency and outcome are metrics by type
    result: type[BaseModel] | None = None  # the JSON it returns, for the data-returning ones that answer JSON

    @property
    def name(self) -> str:
        return self.wire.action

    @property
    def returns_data(self) -> bool:
        """Data-returning actions (a picture or JSON) may only be the last of a batch."""
        return self.wire.reply in ("json", "image")


def _spec(name: str, params: type[BaseModel], handler: Handler, result: type[BaseModel] | None = None) -> ActionSpec:
    return ActionSpec(OPERATIONS[name], params, metrics.timed(name, handler), result)


ACTIONS: dict[str, ActionSpec] = {spec.name: spec for spec in (
    _spec("click_mouse", m.ClickMouseRequest, actions.click_mouse),
    _spec("move_mouse", m.MoveMouseRequest, actions.move_mouse),
    _spec("type_text", m.TypeTextRequest, actions.type_text),
    _spec("press_key", m.PressKeyRequest, actions.press_key),
    _spec("scroll", m.ScrollRequest, actions.scroll),
    _spec("drag_mouse", m.DragMouseRequest, actions.drag_mouse),
    _spec("set_cursor", m.SetCursorRequest, actions.set_cursor),
    _spec("sleep", m.SleepAction, actions.sleep),
    _spec("write_clipboard", m.WriteClipboardRequest, actions.write_clipboard_action),
    _spec("read_clipboard", m.NoParams, actions.read_clipboard_action, m.ClipboardText),
    _spec("screenshot", m.ScreenshotRequest, actions.screenshot),
    _spec("get_mouse_position", m.NoParams, actions.get_mouse_position, m.MousePosition),
)}
assert ACTIONS.keys() == OPERATIONS.keys(), "every operation of the client has its entry, and no more"

ComputerAction = create_model(
    "ComputerAction",
    __base__=m.OneAction,
    __doc__="One action: `type` names it and the field of the same name holds its parameters.",
    type=(Literal[tuple(ACTIONS)], ...),
    **{name: (spec.params, m.ABSENT) for name, spec in ACTIONS.items()},
)
# Actions only dialects build (Lightcone's key-down and key-up, the computer's DELETE, the resize routes and
# set_viewport): run by the worker like the others, and shown on the event stream, with no batch type or client method.
DIALECT_ACTIONS = {
    "key_down": (m.HeldKeyRequest, metrics.timed("key_down", actions.key_down)),
    "key_up": (m.HeldKeyRequest, metrics.timed("key_up", actions.key_up)),
    "release_everything": (m.NoParams, metrics.timed("release_everything", actions.release_everything)),
    "resize_screen": (m.DisplaySize, metrics.timed("resize_screen", actions.resize_screen)),
}
# Every action the worker runs, by type: its parameters' model and its handler.
PARAMS: dict[str, type[BaseModel]] = {name: spec.params for name, spec in ACTIONS.items()} | {
    name: params for name, (params, _) in DIALECT_ACTIONS.items()}
RUNNERS: dict[str, Handler] = {name: spec.run for name, spec in ACTIONS.items()} | {
    name: run for name, (_, run) in DIALECT_ACTIONS.items()}
BatchRequest = m.batch_request(ComputerAction, frozenset(name for name, spec in ACTIONS.items() if spec.returns_data))
