// Every computer operation of Kernel's official TypeScript SDK, unchanged, against the daemon at argv[2].
// Prints one JSON object with what the calls returned; tests/test_kernel_sdk_typescript.py checks it and the X events.
import Kernel from '@onkernel/sdk';

const computer = new Kernel({ baseURL: process.argv[2], apiKey: 'unused' }).browsers.computer;
const id = 'any-browser-id';
const out = {};

await computer.moveMouse(id, { x: 300, y: 300, smooth: false });
await computer.clickMouse(id, { x: 310, y: 320, button: 'right' });
await computer.dragMouse(id, { path: [[100, 100], [200, 200]], smooth: false, steps_per_segment: 2, step_delay_ms: 1 });
await computer.scroll(id, { x: 400, y: 400, delta_y: 2 });
await computer.typeText(id, { text: 'typescript ✓' });
await computer.pressKey(id, { keys: ['Ctrl+a', 'Return'] });
out.cursor = await computer.setCursorVisibility(id, { hidden: true });
await computer.setCursorVisibility(id, { hidden: false });
await computer.writeClipboard(id, { text: 'ts clipboard' });
out.clipboard = await computer.readClipboard(id);
out.position = await computer.getMousePosition(id);
for (const [name, body] of [['null', null], ['none', undefined], ['region', { region: { x: 0, y: 0, width: 64, height: 48 } }]]) {
  const response = await computer.captureScreenshot(id, body);
  const bytes = new Uint8Array(await response.arrayBuffer());
  out[`screenshot_${name}`] = { status: response.status, type: response.headers.get('content-type'), bytes: bytes.length,
                               png: bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47 };
}
await computer.batch(id, { actions: [{ type: 'click_mouse', click_mouse: { x: 5, y: 5 } }, { type: 'sleep', sleep: { duration_ms: 1 } }] });
try {
  await computer.pressKey(id, { keys: ['Retrun'] });
} catch (error) {
  out.error = { status: error.status, code: error.error?.code, message: error.error?.message };
}
console.log(JSON.stringify(out));
