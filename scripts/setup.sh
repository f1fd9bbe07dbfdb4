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

# The product's requirements; the test command asks for
# requirements-dev.txt (the same plus pytest, Playwright, ruff...)
REQUIREMENTS=${REQUIREMENTS:-requirements.txt}
# Reinstall only when the requirements or the entry points changed
stamp=.venv/.ess-$(basename "$REQUIREMENTS" .txt)
wanted=$(cat "$REQUIREMENTS" requirements.txt pyproject.toml \
    | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
    echo "== Installing the Python requirements ($REQUIREMENTS)"
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -r "$REQUIREMENTS"
    # pip compiles the bytecode of the default level only: the servers
    # run optimised (PYTHONOPTIMIZE=1, as the image), and where bytecode
    # is not written (PYTHONDONTWRITEBYTECODE) every server process
    # compiled trytond and its libraries again (2 s of CPU at each start)
    .venv/bin/python -O -m compileall -q -j 0 .venv/lib >/dev/null || true
    echo "$wanted" > "$stamp"
fi
# Our modules' bytecode, both levels (only the files changed since)
.venv/bin/python -m compileall -q -j 0 addons >/dev/null || true
.venv/bin/python -O -m compileall -q -j 0 addons >/dev/null || true

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

# Our additions to the client (web/custom.js: the database named by the
# address when the server hides its list)
cp web/custom.js var/sao/custom.js

# Receipts and reports are printed to PDF by WeasyPrint, which needs Pango,
# HarfBuzz and a font: install Debian's packages when they are missing
missing=()
libraries=$(ldconfig -p 2>/dev/null || true)
for library in libpango-1.0-0:libpango-1.0.so.0 \
        libpangoft2-1.0-0:libpangoft2-1.0.so.0 \
        libharfbuzz-subset0:libharfbuzz-subset.so.0; do
    [[ $libraries == *"${library#*:}"* ]] || missing+=("${library%%:*}")
done
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] \
    || missing+=(fonts-dejavu-core)
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "== Installing Debian's ${missing[*]} (PDF printing)"
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
            apt-get install -y -qq "${missing[@]}") >/dev/null \
            || echo "!! ${missing[*]} could not be installed: PDF printing fails"
    else
        echo "!! PDF printing needs ${missing[*]}: install them as root"
    fi
fi
