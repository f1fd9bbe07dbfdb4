#!/usr/bin/env bash
# Set everything up and run the whole test suite with pytest: every addon's
# ModuleTestCase and unit tests, every scenario (tests/scenario_*.rst,
# bridged by tests/test_scenarios.py) and the repository tests.
# Extra arguments go to pytest. Runs on SQLite unless
# TRYTOND_DATABASE__URI points elsewhere (see .ci/run for PostgreSQL).
set -euo pipefail
cd "$(dirname "$0")/.."
REQUIREMENTS=requirements-dev.txt ./scripts/setup.sh

# The browser tests drive Debian's Chromium, the production tests put
# Debian's HAProxy in front of two web servers: install them when missing
# (the browser tests skip themselves where Chromium cannot be installed)
missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v chromedriver >/dev/null || missing+=(chromium-driver)
[ -x /usr/sbin/haproxy ] || command -v haproxy >/dev/null || missing+=(haproxy)
if [ ${#missing[@]} -gt 0 ] && [ "$(id -u)" = 0 ] \
        && command -v apt-get >/dev/null; then
    echo "== Installing Debian's ${missing[*]}"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq "${missing[@]}") >/dev/null \
        || echo "!! ${missing[*]} could not be installed: browser tests skip"
fi

# assert statements must run in tests
unset PYTHONOPTIMIZE
export TRYTOND_DATABASE__URI=${TRYTOND_DATABASE__URI:-sqlite://}
export TRYTOND_DATABASE__LANGUAGE=en
case "$TRYTOND_DATABASE__URI" in
    sqlite*) export DB_NAME=${DB_NAME:-:memory:}; backend=sqlite ;;
    *) export DB_NAME=${DB_NAME:-test_ess}; backend=postgresql ;;
esac
# Databases with the modules activated are cached between tests; the cache
# is dropped whenever an addon changes. On SQLite they are files; on
# PostgreSQL template databases named after DB_NAME and the addons'
# fingerprint (tests/module_databases.py), copied in a fraction of a
# second where pg_restore took seconds, and commits do not wait for the
# disk (a crash loses only a test database).
fingerprint=$(find addons -type f \( -name '*.py' -o -name '*.xml' \
    -o -name '*.cfg' -o -name '*.po' \) -print0 | sort -z \
    | xargs -0 cat | sha256sum | cut -d' ' -f1)
export ESS_ADDONS_FINGERPRINT=$fingerprint
if [ $backend = postgresql ]; then
    export DB_CACHE=${DB_CACHE:-postgresql://}
    export PGOPTIONS="${PGOPTIONS:-} -c synchronous_commit=off"
else
    export DB_CACHE=${DB_CACHE:-$PWD/var/db-cache/$backend}
fi
if [[ $DB_CACHE != postgresql://* ]]; then
    if [ "$(cat "$DB_CACHE/.fingerprint" 2>/dev/null)" != "$fingerprint" ]
    then
        rm -rf "$DB_CACHE"
    fi
    mkdir -p "$DB_CACHE" && echo "$fingerprint" > "$DB_CACHE/.fingerprint"
fi

exec .venv/bin/python -m pytest "$@"
