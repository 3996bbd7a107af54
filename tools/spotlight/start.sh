#!/usr/bin/env bash
# Starts Spotlight, Sentry's local development UI, so that a developer can
# watch framewatch's reports in a browser. It prints the UI's address and
# the SENTRY_DSN to export for the game. Ctrl+C stops it.
#
#   SPOTLIGHT_PORT=0 tools/spotlight/start.sh   # any free port (default 8969)
#
# Spotlight listens on every network interface: run it on a machine and
# network you trust, for local development only.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bin="$here/node_modules/.bin/spotlight"
if [[ ! -x $bin ]]; then
  echo "spotlight: not installed; run: make spotlight-deps" >&2
  exit 1
fi
port="${SPOTLIGHT_PORT:-8969}"

"$bin" server -p "$port" 2>&1 | while IFS= read -r line; do
  printf '%s\n' "$line"
  if [[ $line =~ listening\ on\ ([0-9]+) ]]; then
    p="${BASH_REMATCH[1]}"
    printf '\n  Spotlight UI: http://localhost:%s\n' "$p"
    printf '  Point the game at it, in the shell that runs the game:\n'
    printf '    export SENTRY_DSN=http://public@127.0.0.1:%s/0\n\n' "$p"
  fi
done
