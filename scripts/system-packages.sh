#!/usr/bin/env bash
# Install the Debian packages CSM needs, when they are missing.
# Usage: scripts/system-packages.sh [--browser]
# Each entry is "command:package": the package is only installed when the command is absent.
# When packages cannot be installed (no apt-get, no root/sudo, no network) this warns and
# carries on: the step that needs the tool then fails with its own message, and the browser
# tests skip without Chromium.
set -euo pipefail

wanted=("tesseract:tesseract-ocr" "msgfmt:gettext")
if [[ "${1:-}" == "--browser" ]]; then
    wanted+=("chromium:chromium")
fi

# A Python 3.11+ with venv/ensurepip is needed to create .venv (python3-venv on Debian).
python_ok() {
    local py
    for py in python3.11 python3; do
        if command -v "$py" >/dev/null 2>&1 \
            && "$py" -c 'import sys, ensurepip, venv; sys.exit(sys.version_info < (3, 11))' \
               2>/dev/null; then
            return 0
        fi
    done
    return 1
}

missing=()
for entry in "${wanted[@]}"; do
    command -v "${entry%%:*}" >/dev/null 2>&1 || missing+=("${entry#*:}")
done
python_ok || missing+=("python3" "python3-venv")

if [[ ${#missing[@]} -eq 0 ]]; then
    echo "system packages: all present"
    exit 0
fi

echo "system packages: missing ${missing[*]}"
if ! command -v apt-get >/dev/null 2>&1; then
    echo "system packages: apt-get is not available; install ${missing[*]} by hand" >&2
    exit 0
fi
if [[ $(id -u) -eq 0 ]]; then
    SUDO=()
elif command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
    [[ -t 0 ]] || SUDO=(sudo -n)
else
    echo "system packages: not root and no sudo; install ${missing[*]} by hand" >&2
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
if ! { "${SUDO[@]}" apt-get update -qq \
        && "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"; }; then
    echo "system packages: apt-get failed; install ${missing[*]} by hand" >&2
fi
