"""Kernel's official TypeScript SDK (@onkernel/sdk from npm), unchanged, runs every computer operation against
the daemon. `make test` installs it into tests/typescript/node_modules."""

import json
import subprocess
from pathlib import Path

from tests import needs
from tests.keysyms import keysym_name

HERE = Path(__file__).parent / "typescript"


def test_every_typescript_sdk_computer_operation(daemon, recorder):
    node = needs.program("node", "nodejs")
    if not (HERE / "node_modules" / "@onkernel" / "sdk").is_dir():
        needs.missing("@onkernel/sdk is not installed: `npm ci --prefix tests/typescript` (make test runs it)")
    run = subprocess.run([node, str(HERE / "every_operation.mjs"), daemon.url], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert out["cursor"] == {"ok": True}
    assert out["clipboard"] == {"text": "ts clipboard"}
    assert out["position"] == {"x": 400, "y": 400}
    for name in ("null", "none", "region"):  # captureScreenshot(id, null) sends the JSON body null
        shot = out[f"screenshot_{name}"]
        assert shot["status"] == 200 and shot["type"] == "image/png" and shot["png"], (name, shot)
    assert out["error"]["status"] == 400 and "did you mean Return" in out["error"]["message"]

    recorder.wait_idle()
    assert 3 in recorder.buttons() and recorder.buttons().count(5) == 2
    drag = [(e.kind, e.x, e.y) for e in recorder.of_kind("button_press", "button_release") if e.button == 1][:2]
    assert drag == [("button_press", 100, 100), ("button_release", 200, 200)]
    assert "typescript ✓" in recorder.typed_text()
    assert [keysym_name(e.keysym) for e in recorder.of_kind("key_press")][-3:] == ["Control_L", "a", "Return"]
