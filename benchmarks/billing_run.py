"""Benchmark: the monthly billing run over 200,000 delivered cases on
PostgreSQL, against its floor.

    .venv/bin/python -O benchmarks/billing_run.py [options]

Options:
    --database NAME  the PostgreSQL database (default: $DB_NAME, else
                     bench_billing); created with partner_billing
                     activated when missing, updated (trytond-admin
                     --all) when the addons changed since
    --cases N        cases of the full month (default: $BENCH_CASES, else
                     200000); the half month has N // 2
    --repeat K       measure K times (default 3), each time the half month
                     then the full one; the median of each is judged (on
                     two cores a run of 2 s varies by 10 % from one moment
                     to the next), all are printed
    --no-growth      skip the half-size run (no growth check)
    --explain        print EXPLAIN ANALYZE of the floor's statements
    --profile        print the 30 functions of the full run that take the
                     most time (cProfile, cumulative)

The server is TRYTOND_DATABASE__URI (default
postgresql://postgres@127.0.0.1:5432/).

The database holds 12 partners with one procedure each and an agreement
billing 500 F CFA per delivered case, 46 sites. The cases are inserted
once with one INSERT ... SELECT generate_series: N delivered in January
2025 (the full month) and N // 2 in February 2025 (the half month), so
that both runs start from the same tables. Each run is rolled back: the
script can be run again.

The floor, measured in the same transaction right after the run, is what
the run cannot avoid: one aggregate query over the month's cases (the
invoice lines' quantities) plus one plain INSERT ... SELECT of the same
link rows (billing.line.case) into a table of the same shape (columns,
defaults, constraints, indexes and foreign keys copied from it).

Prints the machine and its load, the cores used by the full run, each
floor with its ratio, the growth check (full month / half month, limit
2.2) and the peak memory, for each measure, then the medians of the
measures. Exits 1 when the median full run is over 2 s
or the growth check of the medians fails.
"""
import argparse
import cProfile
import datetime as dt
import os
import pstats
import statistics
import sys
import time
from decimal import Decimal


def arguments():
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        '--database', default=os.environ.get('DB_NAME', 'bench_billing'))
    parser.add_argument(
        '--cases', type=int,
        default=int(os.environ.get('BENCH_CASES', 200_000)))
    parser.add_argument('--repeat', type=int, default=3)
    parser.add_argument('--no-growth', action='store_true')
    parser.add_argument('--explain', action='store_true')
    parser.add_argument('--profile', action='store_true')
    return parser.parse_args()


ARGS = arguments()
os.environ.setdefault(
    'TRYTOND_DATABASE__URI', 'postgresql://postgres@127.0.0.1:5432/')
# trytond's test tools read the database name when imported
os.environ['DB_NAME'] = ARGS.database

from trytond import backend  # noqa: E402
from trytond.modules.account.tests.test_module import create_chart  # noqa: E402
from trytond.modules.company.tests import create_company, set_company  # noqa: E402
from trytond.pool import Pool  # noqa: E402
from trytond.tests.test_tryton import DB_NAME  # noqa: E402
from trytond.transaction import Transaction, TransactionError  # noqa: E402

from bench_tools import (  # noqa: E402
    Cores,
    activate_as_production,
    growth,
    machine,
    peak_mib,
    ratio,
    settle,
    update_if_changed,
)

PARTNERS = 12
MARKER = 'BENCH'
# (first day, last day, cases): the full month, then the half one
FULL = (dt.date(2025, 1, 1), dt.date(2025, 1, 31), ARGS.cases)
HALF = (dt.date(2025, 2, 1), dt.date(2025, 2, 28), ARGS.cases // 2)
TARGET = 2.0


def setup():
    "Create the company, chart, partners, procedures and agreements once"
    pool = Pool()
    Company = pool.get('company.company')
    Configuration = pool.get('billing.configuration')
    Currency = pool.get('currency.currency')
    ModelData = pool.get('ir.model.data')
    Party = pool.get('party.party')
    Procedure = pool.get('network.procedure')
    Agreement = pool.get('billing.agreement')
    Account = pool.get('account.account')
    companies = Company.search([])
    if companies:
        return companies[0]
    company = create_company(
        currency=Currency(ModelData.get_id('service_network', 'currency_xof')))
    with set_company(company):
        create_chart(company)
        revenue, = Account.search([
                ('type.revenue', '=', True), ('closed', '!=', True),
                ('company', '=', company.id),
                ], limit=1)
        Configuration.write([Configuration(1)], {
                'revenue_account': revenue.id})
        sector = ModelData.get_id('service_network', 'sector_justice')
        partners = Party.create([{
                    'name': f"Partenaire {i:02d}", 'partner_kind': 'agency',
                    'addresses': [('create', [{'city': "Dakar"}])],
                    } for i in range(PARTNERS)])
        Procedure.create([{
                    'code': f'{MARKER}-{i:02d}', 'name': f"Démarche {i:02d}",
                    'sector': sector, 'partner': p.id, 'legal_delay': 5,
                    } for i, p in enumerate(partners)])
        agreements = Agreement.create([{
                    'company': company.id, 'partner': p.id,
                    'start_date': dt.date(2024, 1, 1),
                    'lines': [('create', [{
                                    'basis': 'delivered',
                                    'amount': Decimal(500),
                                    }])],
                    } for p in partners])
        Agreement.activate(agreements)
    return company


def insert_cases(cursor, start, end, cases):
    """Have exactly cases delivered cases of the benchmark's procedures in
    the month from start to end, inserted with one INSERT ... SELECT"""
    cursor.execute(
        "SELECT id FROM network_procedure WHERE code LIKE %s ORDER BY id",
        (MARKER + '-%',))
    procedures = [r[0] for r in cursor.fetchall()]
    month = "procedure = ANY(%s) AND delivery_date BETWEEN %s AND %s"
    cursor.execute(
        "SELECT count(*) FROM case_case WHERE state = 'delivered' AND "
        + month, (procedures, start, end))
    existing, = cursor.fetchone()
    if existing == cases:
        return False
    cursor.execute("DELETE FROM case_case WHERE " + month,
        (procedures, start, end))
    cursor.execute("SELECT id FROM network_site ORDER BY id")
    sites = [r[0] for r in cursor.fetchall()]
    cursor.execute("SELECT id FROM party_party WHERE partner_kind IS NULL "
        "ORDER BY id LIMIT 1")
    row = cursor.fetchone()
    if row:
        citizen, = row
    else:
        cursor.execute("INSERT INTO party_party (name, active, create_uid, "
            "create_date) VALUES ('Usager', true, 0, now()) RETURNING id")
        citizen, = cursor.fetchone()
    days = (end - start).days + 1
    cursor.execute("""
        INSERT INTO case_case (number, site, citizen, procedure, channel,
            state, submission_date, delivery_date, late_flagged,
            create_uid, create_date)
        SELECT %s || '-' || i, (%s::int[])[1 + i %% %s],
            %s, (%s::int[])[1 + (i / 7) %% %s], 'counter', 'delivered',
            %s::date + (i %% %s), %s::date + (i %% %s), false, 0, now()
        FROM generate_series(1, %s::integer) AS i""",
        (f'{MARKER}{start:%y%m}', sites, len(sites), citizen, procedures,
            len(procedures), start, days, start, days, cases))
    return True


def retried(func, context=None):
    """Run func in a transaction, started again with the tables locked
    when it asks for it, as trytond's dispatcher does"""
    extras = {}
    while True:
        try:
            with Transaction().start(
                    DB_NAME, 0, context=context, **extras) as transaction:
                return func(transaction)
        except TransactionError as error:
            error.fix(extras)


def prepare(transaction):
    company = setup()
    cursor = transaction.connection.cursor()
    inserted = [insert_cases(cursor, *month) for month in [FULL, HALF]]
    if any(inserted):
        cursor.execute("ANALYZE case_case")
    transaction.commit()
    return company


def autocommit(statement):
    database = backend.Database(DB_NAME).connect()
    connection = database.get_connection(autocommit=True)
    try:
        with connection.cursor() as cursor:
            cursor.execute(statement)
            return cursor.fetchall() if cursor.description else None
    finally:
        database.put_connection(connection)


def vacuum():
    """Clear the rows of the previous runs, rolled back: their dead index
    entries would slow the uniqueness checks of this one"""
    autocommit("VACUUM ANALYZE billing_line_case, account_invoice_line, "
        "account_invoice, case_case")


def floor(cursor, start, end, link_ids, explain=False):
    """Time the floor of a run from start to end whose links are
    link_ids (the run's billing.line.case ids): (seconds of the aggregate,
    seconds of the INSERT)"""
    aggregate = ("""
        SELECT procedure, site, count(*), sum(500)
        FROM case_case
        WHERE state = 'delivered' AND delivery_date BETWEEN %s AND %s
        GROUP BY procedure, site""", (start, end))
    # The same table shape: LIKE copies all but the foreign keys
    cursor.execute("CREATE TABLE bench_floor_link (LIKE billing_line_case "
        "INCLUDING ALL)")
    cursor.execute("SELECT conname, pg_get_constraintdef(oid) "
        "FROM pg_constraint WHERE conrelid = 'billing_line_case'::regclass "
        "AND contype = 'f'")
    for name, definition in cursor.fetchall():
        cursor.execute(
            f'ALTER TABLE bench_floor_link ADD CONSTRAINT "floor_{name}" '
            + definition)
    cursor.execute("CREATE TEMPORARY TABLE bench_floor_ids "
        "(id integer PRIMARY KEY) ON COMMIT DROP")
    cursor.execute("INSERT INTO bench_floor_ids SELECT unnest(%s::int[])",
        (link_ids,))
    cursor.execute("ANALYZE bench_floor_ids")
    insert = ("""
        INSERT INTO bench_floor_link ("case", basis, invoice_line,
            amount, create_uid, create_date)
        SELECT l."case", l.basis, l.invoice_line, l.amount,
            l.create_uid, l.create_date
        FROM billing_line_case AS l JOIN bench_floor_ids AS i
            ON i.id = l.id""", ())
    if explain:
        for query, params in [aggregate, insert]:
            cursor.execute("SAVEPOINT explain")
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query, params)
            print('\n'.join(r[0] for r in cursor.fetchall()))
            cursor.execute("ROLLBACK TO SAVEPOINT explain")
    started = time.perf_counter()
    cursor.execute(*aggregate)
    cursor.fetchall()
    aggregated = time.perf_counter()
    cursor.execute(*insert)
    inserted = time.perf_counter()
    return aggregated - started, inserted - aggregated


def bill(transaction, start, end, with_floor):
    "Time the run of start to end (and its floor), then roll back"
    pool = Pool()
    Run = pool.get('billing.run')
    Company = pool.get('company.company')
    company = Company(transaction.context['company'])
    cursor = transaction.connection.cursor()
    memory_before = peak_mib()
    profiler = cProfile.Profile() if ARGS.profile and with_floor else None
    with Cores() as cores:
        if profiler:
            profiler.enable()
        run = Run(company=company, start_date=start, end_date=end)
        run.save()
        Run.process([run])
        if profiler:
            profiler.disable()
    if profiler:
        pstats.Stats(profiler).sort_stats('cumulative').print_stats(30)
    invoices = len(run.invoices)
    lines = sum(len(invoice.lines) for invoice in run.invoices)
    # Counted with the statistics of the rows just written: without them
    # the planner takes the links for empty and loops over them
    cursor.execute("ANALYZE billing_line_case")
    cursor.execute(
        "SELECT l.id FROM billing_line_case l WHERE l.invoice_line = ANY(%s)",
        ([line.id for invoice in run.invoices for line in invoice.lines],))
    link_ids = [r[0] for r in cursor.fetchall()]
    floors = (floor(cursor, start, end, link_ids, explain=ARGS.explain)
        if with_floor else None)
    transaction.rollback()
    return {
        'cores': cores, 'invoices': invoices, 'lines': lines,
        'links': len(link_ids), 'floors': floors,
        'memory_before': memory_before,
        }


def measure(month, with_floor):
    vacuum()
    start, end, _ = month
    return retried(
        lambda transaction: bill(transaction, start, end, with_floor),
        {'company': COMPANY.id})


def main():
    global COMPANY
    print(machine())
    existed = update_if_changed(DB_NAME, 'partner_billing')
    activate_as_production('partner_billing')
    if not existed:
        settle(DB_NAME)
    COMPANY = retried(prepare)
    print(f"{PARTNERS} partners, 46 sites; full month {FULL[2]} delivered "
        f"cases, half month {HALF[2]}")
    print("indexes of billing_line_case: " + ', '.join(
            r[0] for r in autocommit("SELECT indexname FROM pg_indexes "
                "WHERE tablename = 'billing_line_case' ORDER BY 1")))
    ok = True
    fulls, halves = [], []
    for attempt in range(1, ARGS.repeat + 1):
        print(f"-- measure {attempt}/{ARGS.repeat}")
        half = None if ARGS.no_growth else measure(HALF, False)
        full = measure(FULL, True)
        fulls.append(full['cores'].seconds)
        if half:
            halves.append(half['cores'].seconds)
        cores = full['cores']
        aggregate, insert = full['floors']
        print(f"full run: {cores.seconds:.2f} s, {full['invoices']} "
            f"invoices, {full['lines']} lines, {full['links']} cases linked")
        print(cores)
        print(f"floor: aggregate {aggregate:.3f} s + INSERT of the "
            f"{full['links']} links {insert:.3f} s = "
            f"{aggregate + insert:.3f} s")
        ratio("run against the floor (aggregate + INSERT)", cores.seconds,
            aggregate + insert)
        ratio("run against the INSERT alone", cores.seconds, insert)
        ratio("run against the target", cores.seconds, TARGET,
            against='the target')
        if half:
            print(f"half run: {half['cores'].seconds:.2f} s, "
                f"{half['lines']} lines, {half['links']} cases linked")
        print(f"peak memory: {peak_mib():.0f} MiB (before the full run: "
            f"{full['memory_before']:.0f} MiB)")
    full, half = statistics.median(fulls), (
        statistics.median(halves) if halves else None)
    print(f"-- the median of {len(fulls)}: full run {full:.2f} s (runs: "
        + ', '.join(f'{s:.2f}' for s in fulls) + ' s)'
        + (f", half run {half:.2f} s (runs: "
            + ', '.join(f'{s:.2f}' for s in halves) + ' s)'
            if halves else ''))
    ratio("median full run against the target", full, TARGET,
        against='the target')
    ok &= full <= TARGET
    if halves:
        ok &= growth("billing run (medians)", half, full)
    print(machine())
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
