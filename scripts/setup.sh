#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages that building and testing framewatch
# need: cgo headers for Ebitengine (X11, GL, ALSA), Xvfb to run without a
# display, and Mesa's software GL. It installs only what is missing, so a
# second run does nothing.
set -euo pipefail

packages=(
  gcc libc6-dev pkg-config
  libgl1-mesa-dev libgl1-mesa-dri
  libxcursor-dev libxi-dev libxinerama-dev libxrandr-dev libxxf86vm-dev
  libasound2-dev
  xvfb xauth
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "setup: these packages are missing and apt-get is not available:" >&2
  echo "  ${missing[*]}" >&2
  echo "setup: install them with your system's package manager, then run make again." >&2
  exit 1
fi

if [[ $(id -u) -ne 0 ]]; then
  echo "setup: these Debian packages are missing:" >&2
  echo "  ${missing[*]}" >&2
  echo "setup: install them as root (this script does not use sudo):" >&2
  echo "  sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi

echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: done"
