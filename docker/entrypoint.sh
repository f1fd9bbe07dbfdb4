#!/bin/sh
# Start one process of the ERP: web (gunicorn, WEB_CONCURRENCY workers),
# worker (queue), cron, or admin (create/upgrade the database).
# VARIABLE_FILE=/run/secrets/x exports VARIABLE with the file's content, so
# that secrets (e.g. TRYTOND_DATABASE__URI_FILE) stay out of the image and
# of `docker inspect`.
set -eu

for var in $(env | sed -n 's/^\([A-Z0-9_]*\)_FILE=.*/\1/p'); do
    file=$(eval "echo \${${var}_FILE}")
    export "$var=$(cat "$file")"
    unset "${var}_FILE"
done

: "${ESS_DATABASE:=ess}"
export TRYTOND_DATABASE_NAMES="${TRYTOND_DATABASE_NAMES:-$ESS_DATABASE}"

case "${1:-web}" in
    web)
        exec gunicorn --bind "0.0.0.0:8000" \
            --workers "${WEB_CONCURRENCY}" --timeout 120 \
            --access-logfile - trytond.application:app ;;
    worker)
        exec trytond-worker -d "$ESS_DATABASE" -n "${WORKER_PROCESSES:-2}" ;;
    cron)
        exec trytond-cron -d "$ESS_DATABASE" ;;
    admin)
        # first run creates the database and activates every addon of the
        # distribution; later runs upgrade them. The first administrator's
        # password comes from the file named by TRYTONPASSFILE.
        shift
        addons=${ESS_ADDONS:-$(python - <<'PY'
from importlib.metadata import distribution
print(' '.join(sorted(
    ep.name for ep in distribution('ess-backoffice').entry_points
    if ep.group == 'trytond.modules')))
PY
)}
        # PostgreSQL's trigram and unaccent extensions, for the indexes
        # Tryton makes on names and national ids (the citizen search at
        # the counter); the database user must be allowed to create them
        case "${TRYTOND_DATABASE__URI:-}" in
            postgresql*) python - <<'PY'
import os
import psycopg
uri = os.environ['TRYTOND_DATABASE__URI'].rstrip('/') + '/'
with psycopg.connect(uri + os.environ['ESS_DATABASE'],
        autocommit=True) as connection:
    for extension in ['pg_trgm', 'unaccent']:
        connection.execute(f'CREATE EXTENSION IF NOT EXISTS {extension}')
PY
            ;;
        esac
        # shellcheck disable=SC2086
        exec trytond-admin -d "$ESS_DATABASE" -l fr --activate-dependencies \
            --email "${ESS_ADMIN_EMAIL:-admin@localhost}" -u $addons "$@" ;;
    *)
        exec "$@" ;;
esac
