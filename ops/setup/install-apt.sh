#!/usr/bin/env bash
# Installs the Debian packages listed in hardware/apt-packages.txt that are not installed yet.
# Runs apt-get update once, and only when something is missing. Uses sudo when not root.
set -euo pipefail
list="${1:-hardware/apt-packages.txt}"
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

missing=(); optional=()
while read -r line; do
  pkg="${line%%#*}"; pkg="${pkg//[[:space:]]/}"
  [ -n "$pkg" ] || continue
  if [ "${pkg:0:1}" = "?" ]; then pkg="${pkg:1}"; installed "$pkg" || optional+=("$pkg"); continue; fi
  installed "$pkg" || missing+=("$pkg")
done < "$list"

[ ${#missing[@]} -eq 0 ] && [ ${#optional[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null; then
  echo "setup: these packages are missing and apt-get is not available: ${missing[*]}" >&2
  exit 1
fi
echo "setup: installing Debian packages: ${missing[*]} ${optional[*]}" >&2
as_root apt-get update -qq
for pkg in "${optional[@]}"; do
  if apt-cache show "$pkg" >/dev/null 2>&1; then missing+=("$pkg"); else echo "setup: $pkg is not offered here; skipped" >&2; fi
done
[ ${#missing[@]} -eq 0 ] || as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
