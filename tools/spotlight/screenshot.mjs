// Takes a screenshot of a page with headless Chromium once the page shows a
// given text. Chromium's own --screenshot fires before Spotlight's UI has
// drawn anything (the UI renders after its event stream connects, and that
// stream never finishes loading, so --virtual-time-budget never ends), so
// this drives Chromium over the DevTools protocol instead.
//
//   node --experimental-websocket screenshot.mjs URL OUT.png "text to wait for"
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const [url, out, waitFor] = process.argv.slice(2);
if (!url || !out) {
  console.error("usage: screenshot.mjs URL OUT.png [TEXT]");
  process.exit(2);
}
const chromium = process.env.CHROMIUM || "chromium";
const profile = mkdtempSync(join(tmpdir(), "chromium-"));
const browser = spawn(chromium, [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
  `--user-data-dir=${profile}`, "--window-size=1400,900", "--hide-scrollbars",
  "--remote-debugging-port=0", "about:blank",
], { stdio: ["ignore", "ignore", "pipe"] });

const exited = new Promise((resolve) => browser.on("exit", resolve));
let closing = false;
const cleanUp = async () => {
  closing = true;
  browser.kill();
  await exited;
  try {
    rmSync(profile, { recursive: true, force: true });
  } catch {
    // Chromium's helpers may still be writing; a temp directory is left.
  }
};
const fail = async (msg) => {
  console.error(`screenshot: ${msg}`);
  await cleanUp();
  process.exit(1);
};
setTimeout(() => fail("timed out"), 40000).unref();

const wsURL = await new Promise((resolve) => {
  let buf = "";
  browser.stderr.on("data", (d) => {
    buf += d;
    const m = buf.match(/DevTools listening on (ws:\/\/\S+)/);
    if (m) resolve(m[1]);
  });
  exited.then((code) => closing || fail(`chromium exited (${code}): ${buf}`));
});

const ws = new WebSocket(wsURL);
await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = reject; });
let nextId = 1;
const pending = new Map();
ws.onmessage = (m) => {
  const msg = JSON.parse(m.data);
  const p = pending.get(msg.id);
  if (!p) return;
  pending.delete(msg.id);
  msg.error ? p.reject(new Error(JSON.stringify(msg.error))) : p.resolve(msg.result);
};
const send = (method, params = {}, sessionId) => new Promise((resolve, reject) => {
  const id = nextId++;
  pending.set(id, { resolve, reject });
  ws.send(JSON.stringify({ id, method, params, sessionId }));
});

const { targetId } = await send("Target.createTarget", { url: "about:blank" });
const { sessionId } = await send("Target.attachToTarget", { targetId, flatten: true });
await send("Emulation.setDeviceMetricsOverride", { width: 1400, height: 900, deviceScaleFactor: 1, mobile: false }, sessionId);
await send("Page.enable", {}, sessionId);
await send("Page.navigate", { url }, sessionId);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
for (let i = 0; ; i++) {
  const { result } = await send("Runtime.evaluate", {
    expression: `document.body ? document.body.innerText : ""`, returnByValue: true,
  }, sessionId);
  if (!waitFor || String(result.value).includes(waitFor)) break;
  if (i > 100) fail(`the page never showed ${JSON.stringify(waitFor)}; it shows:\n${result.value}`);
  await sleep(200);
}
await sleep(800); // let fonts and late layout settle
const { data } = await send("Page.captureScreenshot", { format: "png" }, sessionId);
writeFileSync(out, Buffer.from(data, "base64"));
console.log(`screenshot: wrote ${out}`);
await send("Browser.close").catch(() => {});
await cleanUp();
process.exit(0);
