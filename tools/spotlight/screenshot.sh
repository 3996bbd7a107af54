#!/usr/bin/env bash
# Reproduces docs/spotlight-frozen-frame.png: starts Spotlight on a free
# port, sends it one real frozen-frame report (./sendstall), and screenshots
# that event's page in Spotlight's UI with headless Chromium.
#
# Needs: make spotlight-deps, Go, Node.js, and Debian's chromium
# (apt-get install -y chromium). Run from anywhere:
#
#   tools/spotlight/screenshot.sh [OUT.png]
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="${1:-$root/docs/spotlight-frozen-frame.png}"
bin="$here/node_modules/.bin/spotlight"
[[ -x $bin ]] || { echo "screenshot: run make spotlight-deps first" >&2; exit 1; }
command -v "${CHROMIUM:-chromium}" >/dev/null || { echo "screenshot: chromium not found (apt-get install -y chromium)" >&2; exit 1; }

log="$(mktemp)"
"$bin" server -p 0 >"$log" 2>&1 &
spotlight=$!
trap 'kill $spotlight 2>/dev/null; wait $spotlight 2>/dev/null; rm -f "$log"' EXIT

port=""
for _ in $(seq 100); do
  port="$(grep -o 'listening on [0-9]*' "$log" | grep -o '[0-9]*$' || true)"
  [[ -n $port ]] && break
  sleep 0.1
done
[[ -n $port ]] || { echo "screenshot: Spotlight did not start:" >&2; cat "$log" >&2; exit 1; }

(cd "$root" && go run ./tools/spotlight/sendstall -dsn "http://public@127.0.0.1:$port/0")
id="$(curl -sN --max-time 2 "http://127.0.0.1:$port/stream" | grep -o '"event_id":"[0-9a-f]\{32\}"' | head -1 | grep -o '[0-9a-f]\{32\}' || true)"
[[ -n $id ]] || { echo "screenshot: no event in Spotlight" >&2; exit 1; }

mkdir -p "$(dirname "$out")"
node --experimental-websocket --no-warnings "$here/screenshot.mjs" \
  "http://localhost:$port/telemetry/errors/$id" "$out" "Frozen Frame"
