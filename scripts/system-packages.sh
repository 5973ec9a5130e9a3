#!/usr/bin/env bash
# Debian packages the application needs at run time (and, with --test, for the browser tests).
# As root with apt-get they are installed; otherwise the exact command to run is printed.
set -euo pipefail

packages=(fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 gettext fontconfig)
if [ "${1:-}" = "--test" ]; then
  packages+=(chromium postgresql-client)
fi
if [ "${1:-}" = "--bench" ]; then
  packages+=(wrk postgresql-client)
fi

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "Not a Debian system: install Pango, HarfBuzz subset, gettext, Noto CJK fonts and Chromium yourself." >&2
  exit 0
fi

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "These Debian packages are missing: ${missing[*]}" >&2
  echo "Install them with:  sudo apt-get install -y ${missing[*]}" >&2
  echo "(Without fonts-noto-cjk, Chinese renders as empty boxes in PDFs; without chromium the browser tests skip.)" >&2
fi
