#!/usr/bin/env bash
# Set up everything the product needs, reusing what is already there:
# the virtual environment with the pinned requirements (.venv) and the sao
# web client with its own JavaScript dependencies (var/sao).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    echo "== Creating the virtual environment (.venv)"
    "$PYTHON" -m venv .venv
fi

# Reinstall only when the requirements or the entry points changed
stamp=.venv/.ess-requirements
wanted=$(cat requirements.txt pyproject.toml | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
    echo "== Installing the Python requirements"
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -r requirements.txt
    echo "$wanted" > "$stamp"
fi

SAO_VERSION=8.0
if [ ! -f var/sao/index.html ] || [ ! -f var/sao/node_modules/jquery/dist/jquery.js ]; then
    echo "== Installing the sao web client (tryton-sao@$SAO_VERSION)"
    rm -rf var/sao && mkdir -p var/sao
    tmp=$(mktemp -d)
    (cd "$tmp" && npm pack --silent "tryton-sao@$SAO_VERSION" >/dev/null)
    tar -xzf "$tmp"/tryton-sao-*.tgz -C var/sao --strip-components 1
    rm -rf "$tmp"
    # index.html loads its libraries from node_modules/ inside the sao folder
    (cd var/sao && npm install --omit=dev --ignore-scripts --no-audit --legacy-peer-deps \
        --no-fund --no-package-lock --silent)
fi
