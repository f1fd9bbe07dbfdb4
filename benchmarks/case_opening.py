"""Opening cases and the network dashboard on PostgreSQL (issue 3).

    .venv/bin/python -O benchmarks/case_opening.py [--cases 10000]
        [--rpc 200] [--dashboard 1000000]

Prints measured figures, never asserts:
- batch: cases opened per second (create + number + checklist + due date)
  in batches of 500 per transaction, and the same count of bare
  `party.category` creates (the floor of the ORM), with the ratio;
- rpc: median and 95th percentile of one case opened through JSON-RPC
  against trytond on 127.0.0.1;
- dashboard: the network indicators (case.kpi.site_day) over the last 30
  days after topping the database up to --dashboard cases with SQL.
The database (default bench_cases) is created when missing and reused.
"""
import argparse
import base64
import datetime as dt
import json
import os
import pathlib
import statistics
import subprocess
import time
import urllib.request

from bench_tools import (
    BIN,
    ensure_company,
    ensure_database,
    free_port,
    peak_mib,
    sql,
)

ROOT = pathlib.Path(__file__).resolve().parent.parent
CHUNK = 500
PASSWORD = 'bench-admin'


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


def batch(database, count, company, citizen, site, procedure):
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    pool = Pool(database)
    context = {'company': company}

    def timed(model, values):
        Model = pool.get(model)
        start = time.perf_counter()
        for offset in range(0, count, CHUNK):
            size = min(CHUNK, count - offset)
            with Transaction().start(database, 1, context=context):
                Model.create([values(offset + i) for i in range(size)])
        return time.perf_counter() - start

    floor = timed('party.category', lambda i: {
            'name': f"Catégorie {time.time_ns()}-{i}"})
    cases = timed('case.case', lambda i: {
            'citizen': citizen, 'site': site, 'procedure': procedure,
            'channel': 'counter'})
    return cases, floor


def rpc_latencies(database, count, citizen, site, procedure):
    port = free_port()
    env = {**os.environ, 'TRYTOND_WEB__LISTEN': f'127.0.0.1:{port}',
        'PYTHONOPTIMIZE': '1'}
    server = subprocess.Popen([BIN / 'trytond', '-d', database], env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f'http://127.0.0.1:{port}/{database}/rpc/'

    def call(method, params, auth=None):
        request = urllib.request.Request(url, data=json.dumps(
                {'id': 1, 'method': method, 'params': params}).encode(),
            headers={'Content-Type': 'application/json'})
        if auth:
            request.add_header('Authorization', 'Session '
                + base64.b64encode(auth.encode()).decode())
        with urllib.request.urlopen(request, timeout=30) as response:
            answer = json.load(response)
        if 'error' in answer:
            raise RuntimeError(answer['error'])
        return answer['result']
    try:
        for _ in range(120):
            try:
                login = call('common.db.login',
                    ['admin', {'password': PASSWORD}, 'fr'])
                break
            except OSError:
                time.sleep(0.5)
        auth = f'admin:{login[0]}:{login[1]}'
        context = call('model.res.user.get_preferences', [True, {}], auth)
        values = {'citizen': citizen, 'site': site,
            'procedure': procedure, 'channel': 'counter'}
        call('model.case.case.create', [[values], context], auth)  # warm-up
        durations = []
        for _ in range(count):
            start = time.perf_counter()
            call('model.case.case.create', [[values], context], auth)
            durations.append(time.perf_counter() - start)
        return durations
    finally:
        server.terminate()
        server.wait()


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
        FROM generate_series(1, {missing}) AS g,
            LATERAL (SELECT now() - (g % 365) * interval '1 day'
                - (g % 480) * interval '1 minute' AS d) AS t""")
    sql(database, "ANALYZE case_case")
    return time.perf_counter() - start


def dashboard(database, company):
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    pool = Pool(database)
    today = dt.date.today()
    context = {'company': company,
        'from_date': today - dt.timedelta(days=30), 'to_date': today}
    timings = []
    for _ in range(3):
        with Transaction().start(database, 1, context=context,
                readonly=True):
            SiteDay = pool.get('case.kpi.site_day')
            start = time.perf_counter()
            rows = SiteDay.search_read([], fields_names=[
                    'site', 'date', 'visitors', 'cases_opened',
                    'cases_delivered', 'on_time', 'rating',
                    'response_rate', 'complaints'])
            timings.append(time.perf_counter() - start)
    return min(timings), len(rows)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--database', default='bench_cases')
    parser.add_argument('--cases', type=int, default=10000)
    parser.add_argument('--rpc', type=int, default=200)
    parser.add_argument('--dashboard', type=int, default=1000000)
    args = parser.parse_args()
    if __debug__:
        print("warning: run with python -O (Tryton's asserts cost n²)")

    ensure_database(args.database, PASSWORD)
    company, citizen, site, procedure = setup(args.database)
    cases, floor = batch(args.database, args.cases, company, citizen, site,
        procedure)
    print(f"batch of {args.cases} cases: {cases:.1f} s, "
        f"{args.cases / cases:.0f} cases/s")
    print(f"floor, {args.cases} bare party.category creates: {floor:.1f} s,"
        f" {args.cases / floor:.0f} records/s")
    print(f"ratio case / bare create: {cases / floor:.2f}")

    durations = rpc_latencies(args.database, args.rpc, citizen, site,
        procedure)
    durations.sort()
    print(f"JSON-RPC case.case.create x{len(durations)}: median "
        f"{statistics.median(durations) * 1000:.1f} ms, p95 "
        f"{durations[int(len(durations) * .95) - 1] * 1000:.1f} ms")

    site_ids = [r[0] for r in sql(args.database,
            "SELECT id FROM network_site ORDER BY id", fetch=True)]
    loaded = top_up(args.database, args.dashboard, citizen, site_ids,
        procedure)
    total, = sql(args.database, "SELECT count(*) FROM case_case",
        fetch=True)[0]
    if loaded:
        print(f"topped up to {total} cases with SQL in {loaded:.1f} s")
    seconds, rows = dashboard(args.database, company)
    print(f"network dashboard over {total} cases (30 days, 46 sites): "
        f"{seconds:.3f} s for {rows} rows")
    peak = peak_mib()
    print(f"peak memory of this process: {peak:.0f} MiB")


if __name__ == '__main__':
    main()
