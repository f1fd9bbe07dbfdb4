#!/usr/bin/env bash
# Set everything up, create or upgrade the SQLite demo database (French,
# every addon, demo data) and serve the web ERP at http://127.0.0.1:8000,
# with the partners' simulators the demo's connector endpoints call
# (scripts/partner_stubs.py: La Poste on 127.0.0.1:8091, X-Road on 8092,
# or ESS_LAPOSTE_PORT / ESS_XROAD_PORT), the SMS gateway simulator that
# writes the citizens' SMS to var/log/sms.log (127.0.0.1:8093 or
# ESS_SMS_PORT; their links open http://$TRYTOND_WEB__LISTEN, or
# ESS_PUBLIC_URL) and, once the web ERP answers, the scheduler
# (trytond-cron: the SMS every minute, connector outbox, La Poste tracking,
# reminders). Ctrl-C (or SIGTERM) stops them all.
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

pids=()
stop() {
    trap - EXIT INT TERM
    for pid in "${pids[@]}"; do
        # the scheduler leads its own process group (its worker process)
        kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null \
            || true
    done
    wait 2>/dev/null || true
}
trap stop EXIT
trap 'exit 130' INT TERM

# The partners' simulators; a port already taken stops the demo with the
# simulator's own message
exec 3< <(exec .venv/bin/python scripts/partner_stubs.py 2>&1)
pids+=($!)
ready=
while IFS= read -r line <&3; do
    echo "$line"
    if [[ $line == "== Partner simulators ready"* ]]; then
        ready=1
        break
    fi
done
[ -n "$ready" ] || exit 1

echo "== Web ERP at http://$TRYTOND_WEB__LISTEN/#$DB (database $DB); Ctrl-C to stop"
.venv/bin/trytond -c "$TRYTOND_CONFIG" -d "$DB" &
pids+=($!)
web=$!

# The scheduler starts once the web ERP answers, so that it does not slow
# its start; one process, at low priority
(
    host=${TRYTOND_WEB__LISTEN%:*}
    port=${TRYTOND_WEB__LISTEN##*:}
    until (exec 4<>"/dev/tcp/$host/$port") 2>/dev/null; do
        kill -0 "$web" 2>/dev/null || exit 0
        sleep 1
    done
    exec setsid nice -n 10 .venv/bin/trytond-cron -c "$TRYTOND_CONFIG" \
        -d "$DB" -n 1
) &
pids+=($!)

# Stop everything when the web ERP stops
wait "$web"
