#!/usr/bin/env bash
# Set everything up, create or upgrade the SQLite demo database (French,
# every addon, demo data) and serve the web ERP at http://127.0.0.1:8000
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh

export TRYTOND_CONFIG=${TRYTOND_CONFIG:-$PWD/config/trytond.conf}
export PYTHONOPTIMIZE=1
export TRYTOND_DATABASE__PATH=${TRYTOND_DATABASE__PATH:-$PWD/var/db}
export TRYTOND_WEB__ROOT=${TRYTOND_WEB__ROOT:-$PWD/var/sao}
export TRYTOND_WEB__LISTEN=${TRYTOND_WEB__LISTEN:-127.0.0.1:8000}
DB=${DB:-ess_demo}
mkdir -p var/db
.venv/bin/python scripts/demo_db.py "$DB"

echo "== Web ERP at http://127.0.0.1:8000 (database $DB); Ctrl-C to stop"
exec .venv/bin/trytond -c "$TRYTOND_CONFIG" -d "$DB"
