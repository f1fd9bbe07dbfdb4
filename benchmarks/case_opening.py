"""Opening cases and the network dashboard on PostgreSQL (issues 3, 18).

    .venv/bin/python -O benchmarks/case_opening.py [--database bench_cases]
        [--cases 10000] [--runs 3] [--rpc 200] [--dashboard 1000000]
        [--tickets 1500000] [--skip batch,rpc,dashboard]

Prints measured figures against floors run in the same process, never
asserts; every part prints its floors and ratios, the cores it used and
the load average (bench_tools.Cores), and the first line is machine().

- batch: --cases cases opened (create + number + checklist + due date) in
  transactions of 500, chunk after chunk interleaved with the same chunk
  of two floors, so that a change of load hits the three alike (the
  half run of the growth check interleaves them too):
  (a) `res.user.warning` created through the ORM (three fields, no
  translation: the ORM's own cost), (b) plain SQL writing what a case
  physically writes (the case row and its checklist rows, `unnest`
  arrays). Growth check: --cases against --cases / 2 cases. Both sizes
  are run --runs times in turn (default 3) and the median of each is
  kept, every run printed. The cases and rows written are deleted
  afterwards, so that runs do not pile up.
- rpc: median and 95th percentile of one case opened through JSON-RPC
  against gunicorn (one worker, as docker/entrypoint.sh serves trytond) on
  127.0.0.1, over one kept connection, against a floor called in turn
  with it: one `res.user.warning` created (the ORM's create through
  JSON-RPC).
- dashboard: the network indicators (case.kpi.site_day, the last 30 days,
  46 sites) after topping the database up with SQL to --dashboard cases
  and --tickets queue tickets spread over a year (created once, reused).
  Floor: the count of the rows the report reads (tickets, cases opened,
  cases delivered of the period) in SQL. Growth check: the same report
  over half the cases and tickets, copies kept in the schema `half`
  (rebuilt when the sizes or the indexes change) and read through the
  search_path.

The database (default bench_cases) is created when missing and reused.
A run with the defaults takes about 5 minutes on a quiet machine once
the database is filled (the first fill adds 5 to 10 minutes).
"""
import argparse
import base64
import datetime as dt
import http.client
import json
import os
import pathlib
import signal
import statistics
import subprocess
import time

from bench_tools import (
    Cores,
    ensure_company,
    ensure_database,
    free_port,
    growth,
    gunicorn_command,
    machine,
    peak_mib,
    ratio,
    server_env,
    sql,
)

ROOT = pathlib.Path(__file__).resolve().parent.parent
CHUNK = 500
PASSWORD = 'bench-admin'
DAYS = 30


def setup(database):
    "Return (company id, citizen id, site id, procedure id)"
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    pool = Pool(database)
    pool.init()
    with Transaction().start(database, 0) as transaction:
        Party = pool.get('party.party')
        Site = pool.get('network.site')
        Procedure = pool.get('network.procedure')
        company = ensure_company(pool)
        citizens = Party.search([('name', '=', "Awa Diallo (bench)")])
        if not citizens:
            citizens = Party.create([{'name': "Awa Diallo (bench)"}])
        site, = Site.search([('code', '=', 'ZIG')])
        procedure, = Procedure.search([('code', '=', 'CJ-B3')])
        transaction.commit()
        return company.id, citizens[0].id, site.id, procedure.id


def last_ids(database):
    return {table: sql(database, f"SELECT coalesce(max(id), 0) FROM {table}",
            fetch=True)[0][0]
        for table in ['case_case', 'res_user_warning']}


def clean_up(database, before):
    "Delete what the batch and rpc parts wrote (the checklists cascade)"
    for table, last in before.items():
        sql(database, f"DELETE FROM {table} WHERE id > {last}")


def sql_case_chunk(cursor, size, citizen, site, procedure, due_date):
    """What a case physically writes, in plain SQL: the case rows, then
    their checklist rows"""
    stamp = time.time_ns()
    cursor.execute(
        "INSERT INTO case_case (number, site, citizen, procedure, channel, "
        "state, due_date, late_flagged, create_uid, create_date) "
        "SELECT n, %s, %s, %s, 'counter', 'draft', %s, false, 1, "
        "now() AT TIME ZONE 'UTC' FROM unnest(%s::varchar[]) AS n "
        "RETURNING id",
        (site, citizen, procedure, due_date,
            [f'SQL-{stamp}-{i}' for i in range(size)]))
    ids = [r[0] for r in cursor.fetchall()]
    cursor.execute(
        'INSERT INTO case_document ("case", sequence, name, mandatory, '
        "provided, create_uid, create_date) "
        "SELECT c, d.sequence, d.name, coalesce(d.mandatory, false), false, "
        "1, now() AT TIME ZONE 'UTC' "
        "FROM unnest(%s::integer[]) AS c, network_procedure_document AS d "
        "WHERE d.procedure = %s ORDER BY c, d.sequence NULLS FIRST, d.id",
        (ids, procedure))


def batch(database, count, company, citizen, site, procedure, floors=True):
    """Return {name: seconds} of count cases opened in chunks and, if
    floors, of the same chunks of the two floors"""
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    pool = Pool(database)
    context = {'company': company}
    Case = pool.get('case.case')
    Warning_ = pool.get('res.user.warning')
    due_date = dt.date.today() + dt.timedelta(days=5)
    seconds = {'cases': 0, 'warning': 0, 'sql': 0}

    def timed(name, function, size):
        start = time.perf_counter()
        with Transaction().start(database, 1, context=context):
            function(size)
        seconds[name] += time.perf_counter() - start

    def warnings(size):
        Warning_.create([{'user': 1, 'name': f'bench {i}'}
                for i in range(size)])

    def plain_sql(size):
        sql_case_chunk(Transaction().connection.cursor(), size, citizen,
            site, procedure, due_date)

    def cases(size):
        Case.create([{
                    'citizen': citizen, 'site': site,
                    'procedure': procedure, 'channel': 'counter',
                    } for i in range(size)])

    for offset in range(0, count, CHUNK):
        size = min(CHUNK, count - offset)
        if floors:
            timed('warning', warnings, size)
            timed('sql', plain_sql, size)
        timed('cases', cases, size)
    return seconds


def part_batch(args, ids):
    print(f"\n# batch: {args.cases} cases in transactions of {CHUNK}")
    before = last_ids(args.database)
    try:
        # warm-up: the caches of the pool and of the records, and the pages
        # of the tables' indexes a chunk writes to
        batch(args.database, CHUNK, *ids)
        fulls, halves = [], []
        with Cores() as used:
            for _ in range(args.runs):
                fulls.append(batch(args.database, args.cases, *ids))
                # the same interleaving as the full run: like against like
                halves.append(batch(args.database, args.cases // 2, *ids))
    finally:
        clean_up(args.database, before)
    # the median run of each, every run printed: on two cores a run of
    # two seconds varies by 10 % from one moment to the next
    full, half = ({name: statistics.median(run[name] for run in runs)
            for name in runs[0]} for runs in [fulls, halves])
    if args.runs > 1:
        print(f"the median of {args.runs} runs: cases "
            + ', '.join(f"{run['cases']:.2f}" for run in fulls)
            + " s; half the cases "
            + ', '.join(f"{run['cases']:.2f}" for run in halves) + " s")
    n = args.cases
    print(f"cases: {full['cases']:.2f} s, {n / full['cases']:.0f} cases/s")
    print(f"floor res.user.warning (ORM, no translation): "
        f"{full['warning']:.2f} s, {n / full['warning']:.0f} records/s")
    print(f"floor plain SQL (case + checklist rows): {full['sql']:.2f} s, "
        f"{n / full['sql']:.0f} cases/s")
    ratio("cases against res.user.warning", full['cases'], full['warning'])
    ratio("cases against plain SQL", full['cases'], full['sql'])
    growth(f"{n} cases against {n // 2}", half['cases'], full['cases'])
    print(used)


def rpc_latencies(database, count, citizen, site, procedure):
    """Return {name: [seconds]} of count calls of the case and its floors,
    made to gunicorn with one worker as docker/entrypoint.sh serves
    trytond (not trytond's development server), over one HTTP connection
    kept as a browser keeps it (opened again when gunicorn's sync worker
    closes it)"""
    port = free_port()
    server = subprocess.Popen(gunicorn_command(port),
        env=server_env(database), cwd=ROOT, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, start_new_session=True)
    connection = http.client.HTTPConnection('127.0.0.1', port, timeout=30)
    path = f'/{database}/rpc/'

    def call(method, params, auth=None):
        body = json.dumps({'id': 1, 'method': method, 'params': params})
        headers = {'Content-Type': 'application/json'}
        if auth:
            headers['Authorization'] = 'Session ' + base64.b64encode(
                auth.encode()).decode()
        try:
            connection.request('POST', path, body, headers)
            response = connection.getresponse()
            answer = json.loads(response.read())
        except (OSError, http.client.HTTPException):
            connection.close()
            raise
        if 'error' in answer:
            raise RuntimeError(answer['error'])
        return answer['result']
    try:
        for _ in range(240):
            try:
                login = call('common.db.login',
                    ['admin', {'password': PASSWORD}, 'fr'])
                break
            except (OSError, http.client.HTTPException):
                if server.poll() is not None:
                    raise RuntimeError("gunicorn stopped") from None
                time.sleep(0.5)
        auth = f'admin:{login[0]}:{login[1]}'
        context = call('model.res.user.get_preferences', [True, {}], auth)
        values = {'citizen': citizen, 'site': site,
            'procedure': procedure, 'channel': 'counter'}
        calls = {
            'case': lambda: call(
                'model.case.case.create', [[values], context], auth),
            'warning': lambda: call('model.res.user.warning.create',
                [[{'user': 1, 'name': 'bench rpc'}], context], auth),
            }
        for function in calls.values():  # warm-up
            for _ in range(3):
                function()
        durations = {name: [] for name in calls}
        for _ in range(count):
            for name, function in calls.items():
                start = time.perf_counter()
                function()
                durations[name].append(time.perf_counter() - start)
        return durations
    finally:
        connection.close()
        os.killpg(server.pid, signal.SIGTERM)
        server.wait()


def part_rpc(args, ids):
    print(f"\n# rpc: {args.rpc} cases opened through JSON-RPC, one a call")
    _, citizen, site, procedure = ids
    before = last_ids(args.database)
    try:
        with Cores() as used:
            durations = rpc_latencies(args.database, args.rpc, citizen,
                site, procedure)
    finally:
        clean_up(args.database, before)
    medians = {}
    for name, values in durations.items():
        values.sort()
        medians[name] = statistics.median(values)
        print(f"{name}: median {medians[name] * 1000:.1f} ms, p95 "
            f"{values[int(len(values) * .95) - 1] * 1000:.1f} ms")
    ratio("case.case.create against res.user.warning.create (median)",
        medians['case'], medians['warning'])
    print(used)


def top_up(database, total, citizen, site_ids, procedure):
    "Add cases with SQL until there are total, spread over 46 sites, a year"
    current, = sql(database, "SELECT count(*) FROM case_case",
        fetch=True)[0]
    missing = total - current
    if missing <= 0:
        return 0
    sites = ','.join(map(str, site_ids))
    start = time.perf_counter()
    sql(database, f"""
        INSERT INTO case_case (number, site, citizen, procedure, channel,
            state, submission_date, due_date, delivery_date, late_flagged,
            rating, create_date, create_uid)
        SELECT 'BENCH-' || g, (ARRAY[{sites}])[1 + g % {len(site_ids)}],
            {citizen}, {procedure}, 'counter',
            CASE WHEN g % 10 < 8 THEN 'delivered' ELSE 'submitted' END,
            d::date, d::date + 3,
            CASE WHEN g % 10 < 8 THEN d::date + 1 + g % 5 END,
            false, CASE WHEN g % 3 = 0 THEN 1 + g % 5 END, d, 0
        FROM generate_series({current + 1}, {total}) AS g,
            LATERAL (SELECT now() - (g % 365) * interval '1 day'
                - (g % 480) * interval '1 minute' AS d) AS t""")
    return time.perf_counter() - start


def top_up_tickets(database, total, site_ids, sector_ids):
    """Add queue tickets with SQL until there are total, spread over the
    sites and sectors, a year, 8:00 to 17:00; nine in ten called, some
    within minutes, some after an hour"""
    current, = sql(database, "SELECT count(*) FROM case_ticket",
        fetch=True)[0]
    if total <= current:
        return 0
    sites = ','.join(map(str, site_ids))
    sectors = ','.join(map(str, sector_ids))
    start = time.perf_counter()
    sql(database, f"""
        INSERT INTO case_ticket (site, sector, date, number, arrived_at,
            called_at, done_at, recalls, state, outcome, create_date,
            create_uid)
        SELECT (ARRAY[{sites}])[1 + g % {len(site_ids)}],
            (ARRAY[{sectors}])[1 + (g / {len(site_ids)}) % {len(sector_ids)}],
            d::date, 'B' || g, d,
            CASE WHEN g % 10 < 9 THEN d + (g % 67) * interval '1 minute' END,
            CASE WHEN g % 10 < 9 THEN d + (g % 67 + 9) * interval '1 minute'
                END,
            0, CASE WHEN g % 10 < 9 THEN 'done' ELSE 'absent' END,
            CASE WHEN g % 10 < 9 THEN 'information' END, d, 0
        FROM generate_series({current + 1}, {total}) AS g,
            LATERAL (SELECT date_trunc('day', now())
                - (g % 365) * interval '1 day' + interval '8 hours'
                + (g % 540) * interval '1 minute' AS d) AS t""")
    return time.perf_counter() - start


HALF_TABLES = ['case_case', 'case_ticket']


def index_count(database, schema, table):
    return sql(database, "SELECT count(*) FROM pg_indexes "
        f"WHERE schemaname = '{schema}' AND tablename = '{table}'",
        fetch=True)[0][0]


def ensure_half(database):
    """Keep in the schema half a copy of every other row of the tables the
    dashboard reads most, with the same indexes; return the seconds spent
    copying (0 when the copies were up to date)"""
    start = time.perf_counter()
    sql(database, "CREATE SCHEMA IF NOT EXISTS half")
    copied = False
    for table in HALF_TABLES:
        full, = sql(database, f"SELECT count(*) FROM public.{table}",
            fetch=True)[0]
        exists = sql(database, "SELECT 1 FROM pg_tables WHERE schemaname = "
            f"'half' AND tablename = '{table}'", fetch=True)
        if exists:
            half, = sql(database, f"SELECT count(*) FROM half.{table}",
                fetch=True)[0]
            if (abs(half - full / 2) <= full * .001 + 1
                    and index_count(database, 'half', table)
                    == index_count(database, 'public', table)):
                continue
        sql(database, f"DROP TABLE IF EXISTS half.{table}")
        sql(database, f"CREATE TABLE half.{table} "
            f"(LIKE public.{table} INCLUDING DEFAULTS INCLUDING INDEXES)")
        sql(database, f"INSERT INTO half.{table} "
            f"SELECT * FROM public.{table} WHERE id % 2 = 0")
        sql(database, f"VACUUM ANALYZE half.{table}")
        copied = True
    return time.perf_counter() - start if copied else 0


def dashboard(database, company, schema='public'):
    "Return the best of 3 of the report (seconds) and its row count"
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    pool = Pool(database)
    today = dt.date.today()
    context = {'company': company,
        'from_date': today - dt.timedelta(days=DAYS), 'to_date': today}
    timings = []
    for _ in range(3):
        with Transaction().start(database, 1, context=context,
                readonly=True) as transaction:
            transaction.connection.cursor().execute(
                f'SET LOCAL search_path TO {schema}, public')
            SiteDay = pool.get('case.kpi.site_day')
            start = time.perf_counter()
            rows = SiteDay.search_read([], fields_names=[
                    'site', 'date', 'visitors', 'waiting_time',
                    'cases_opened', 'cases_delivered', 'on_time', 'rating',
                    'response_rate', 'complaints'])
            timings.append(time.perf_counter() - start)
    return min(timings), len(rows)


def dashboard_floor(database, schema='public'):
    """The best of 3 of counting the rows the report reads, in SQL: the
    tickets, the cases opened and the cases delivered of the period"""
    start_day = dt.date.today() - dt.timedelta(days=DAYS)
    timings = []
    for _ in range(3):
        start = time.perf_counter()
        sql(database, f"""SET search_path TO {schema}, public;
            SELECT (SELECT count(*) FROM case_ticket
                    WHERE date >= '{start_day}'),
                (SELECT count(*) FROM case_case
                    WHERE create_date >= '{start_day}'),
                (SELECT count(*) FROM case_case
                    WHERE delivery_date >= '{start_day}')""")
        timings.append(time.perf_counter() - start)
    return min(timings)


def part_dashboard(args, ids):
    company, citizen, _, procedure = ids
    print(f"\n# dashboard: {DAYS} days over {args.dashboard} cases and "
        f"{args.tickets} tickets")
    site_ids = [r[0] for r in sql(args.database,
            "SELECT id FROM network_site ORDER BY id", fetch=True)]
    sector_ids = [r[0] for r in sql(args.database,
            "SELECT id FROM network_sector ORDER BY id", fetch=True)]
    loaded = top_up(args.database, args.dashboard, citizen, site_ids,
        procedure)
    loaded += top_up_tickets(args.database, args.tickets, site_ids,
        sector_ids)
    if loaded:
        sql(args.database, "VACUUM ANALYZE case_case")
        sql(args.database, "VACUUM ANALYZE case_ticket")
        print(f"topped up with SQL in {loaded:.1f} s")
    copied = ensure_half(args.database)
    if copied:
        print(f"half-size copies (schema half) made in {copied:.1f} s")
    cases, = sql(args.database, "SELECT count(*) FROM case_case",
        fetch=True)[0]
    tickets, = sql(args.database, "SELECT count(*) FROM case_ticket",
        fetch=True)[0]
    with Cores() as used:
        seconds, rows = dashboard(args.database, company)
        floor = dashboard_floor(args.database)
        half_seconds, _ = dashboard(args.database, company, 'half')
    print(f"network dashboard over {cases} cases and {tickets} tickets: "
        f"{seconds:.3f} s for {rows} rows")
    ratio("dashboard against counting its rows in SQL", seconds, floor)
    growth("dashboard, all cases and tickets against half of them",
        half_seconds, seconds)
    print(used)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--database', default='bench_cases')
    parser.add_argument('--cases', type=int, default=10000)
    parser.add_argument('--rpc', type=int, default=200)
    parser.add_argument('--runs', type=int, default=3,
        help="batch: runs of each size, the median kept")
    parser.add_argument('--dashboard', type=int, default=1000000)
    parser.add_argument('--tickets', type=int, default=1500000)
    parser.add_argument('--skip', default='',
        help="parts to skip, comma-separated: batch, rpc, dashboard")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(',')))
    if __debug__:
        print("warning: run with python -O (Tryton's asserts cost n²)")

    ensure_database(args.database, PASSWORD)
    ids = setup(args.database)
    print(machine())
    if 'batch' not in skip:
        part_batch(args, ids)
    if 'rpc' not in skip:
        part_rpc(args, ids)
    if 'dashboard' not in skip:
        part_dashboard(args, ids)
    print(f"\npeak memory of this process: {peak_mib():.0f} MiB")
    print(machine())


if __name__ == '__main__':
    main()
