#!/usr/bin/env bash
# Create .venv (Python 3.11+) and install requirements.txt when it changed since the last
# install (a hash stamp inside .venv), so repeated `make run` / `make test` start quickly.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv
STAMP="$VENV/.requirements.sha256"

pick_python() {
    local py
    for py in python3.11 python3; do
        if command -v "$py" >/dev/null 2>&1 \
            && "$py" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            echo "$py"
            return 0
        fi
    done
    echo "venv: Python 3.11 or newer is required (python3.11 or python3)" >&2
    return 1
}

if [[ ! -x "$VENV/bin/python" ]]; then
    py=$(pick_python)
    echo "venv: creating $VENV with $("$py" --version)"
    "$py" -m venv "$VENV"
    "$VENV/bin/python" -m pip install -q --upgrade pip
fi

want=$(sha256sum requirements.txt | cut -d' ' -f1)
have=$(cat "$STAMP" 2>/dev/null || true)
if [[ "$want" != "$have" ]]; then
    echo "venv: installing requirements.txt"
    "$VENV/bin/python" -m pip install -q -r requirements.txt
    echo "$want" > "$STAMP"
else
    echo "venv: requirements up to date"
fi
