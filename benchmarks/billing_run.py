"""Benchmark: a billing run over 200,000 delivered cases on PostgreSQL.

    TRYTOND_DATABASE__URI=postgresql://postgres@127.0.0.1:5432/ \\
    DB_NAME=bench_billing .venv/bin/python -O benchmarks/billing_run.py

Creates the database DB_NAME (default bench_billing) with partner_billing
activated when it does not exist, inserts the cases with one INSERT ...
SELECT generate_series (12 partners, one procedure each, 46 sites), then
times the billing run of the month and the floor: one aggregate query over
the same cases. The run is rolled back so the script can be run again.
Prints seconds, peak memory and the ratio run / floor.
"""
import datetime as dt
import os
import sys
import time
from decimal import Decimal

os.environ.setdefault(
    'TRYTOND_DATABASE__URI', 'postgresql://postgres@127.0.0.1:5432/')
os.environ.setdefault('DB_NAME', 'bench_billing')

from trytond import backend  # noqa: E402
from trytond.modules.account.tests.test_module import create_chart  # noqa: E402
from trytond.modules.company.tests import create_company, set_company  # noqa: E402
from trytond.pool import Pool  # noqa: E402
from trytond.tests.test_tryton import DB_NAME, activate_module  # noqa: E402
from trytond.transaction import Transaction, TransactionError  # noqa: E402

from bench_tools import peak_mib  # noqa: E402

CASES = int(os.environ.get('BENCH_CASES', 200_000))
PARTNERS = 12
START, END = dt.date(2025, 1, 1), dt.date(2025, 1, 31)
MARKER = 'BENCH'


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


def insert_cases(cursor):
    "Insert the delivered cases with one INSERT ... SELECT"
    cursor.execute(
        "SELECT count(*) FROM case_case WHERE number LIKE %s",
        (MARKER + '-%',))
    existing, = cursor.fetchone()
    if existing >= CASES:
        return existing
    cursor.execute("SELECT id FROM network_site ORDER BY id")
    sites = [r[0] for r in cursor.fetchall()]
    cursor.execute(
        "SELECT id FROM network_procedure WHERE code LIKE %s ORDER BY id",
        (MARKER + '-%',))
    procedures = [r[0] for r in cursor.fetchall()]
    cursor.execute("SELECT id FROM party_party WHERE partner_kind IS NULL "
        "ORDER BY id LIMIT 1")
    row = cursor.fetchone()
    if row:
        citizen, = row
    else:
        cursor.execute("INSERT INTO party_party (name, active, create_uid, "
            "create_date) VALUES ('Usager', true, 0, now()) RETURNING id")
        citizen, = cursor.fetchone()
    cursor.execute("""
        INSERT INTO case_case (number, site, citizen, procedure, channel,
            state, submission_date, delivery_date, late_flagged,
            create_uid, create_date)
        SELECT %s || '-' || i, (%s::int[])[1 + i %% %s],
            %s, (%s::int[])[1 + (i / 7) %% %s], 'counter', 'delivered',
            %s::date + (i %% 28), %s::date + (i %% 28), false, 0, now()
        FROM generate_series(%s, %s) AS i""",
        (MARKER, sites, len(sites), citizen, procedures, len(procedures),
            START, START, existing + 1, CASES))
    cursor.execute("ANALYZE case_case")
    return CASES


def floor(cursor):
    "One aggregate query over the same cases"
    started = time.perf_counter()
    cursor.execute("""
        SELECT procedure, site, count(*), sum(500)
        FROM case_case
        WHERE state = 'delivered' AND delivery_date BETWEEN %s AND %s
        GROUP BY procedure, site""", (START, END))
    groups = len(cursor.fetchall())
    return time.perf_counter() - started, groups


def main():
    activate_module(['partner_billing'])
    company, count = retried(prepare)
    print(f"{count} delivered cases, {PARTNERS} partners, 46 sites")
    vacuum()
    run_seconds, floor_seconds, groups, invoices, lines, linked, \
        memory_before = retried(bill, {'company': company.id})
    print(f"billing run: {run_seconds:.2f} s, {invoices} invoices, "
        f"{lines} lines, {linked} cases linked")
    print(f"floor (one aggregate query, {groups} groups): "
        f"{floor_seconds:.3f} s")
    print(f"ratio run / floor: {run_seconds / floor_seconds:.1f}")
    print(f"peak memory: {peak_mib():.0f} MiB "
        f"(before the run: {memory_before:.0f} MiB)")
    return 0 if run_seconds < 60 and peak_mib() < 1024 else 1


def vacuum():
    """Clear the rows of the previous runs, rolled back: their dead index
    entries would slow the uniqueness checks of this one"""
    database = backend.Database(DB_NAME).connect()
    connection = database.get_connection(autocommit=True)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "VACUUM ANALYZE billing_line_case, account_invoice_line, "
                "account_invoice, case_case")
    finally:
        database.put_connection(connection)


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
    count = insert_cases(transaction.connection.cursor())
    transaction.commit()
    return company, count


def bill(transaction):
    "Time the run and the floor, then roll back"
    pool = Pool()
    Run = pool.get('billing.run')
    Company = pool.get('company.company')
    company = Company(transaction.context['company'])
    cursor = transaction.connection.cursor()
    floor_seconds, groups = floor(cursor)
    memory_before = peak_mib()
    started = time.perf_counter()
    run = Run(company=company, start_date=START, end_date=END)
    run.save()
    Run.process([run])
    run_seconds = time.perf_counter() - started
    invoices = len(run.invoices)
    lines = sum(len(invoice.lines) for invoice in run.invoices)
    cursor.execute(
        "SELECT count(*) FROM billing_line_case WHERE invoice_line IN "
        "(SELECT l.id FROM account_invoice_line l JOIN account_invoice "
        "i ON l.invoice = i.id WHERE i.billing_run = %s)", (run.id,))
    linked, = cursor.fetchone()
    transaction.rollback()
    return (run_seconds, floor_seconds, groups, invoices, lines, linked,
        memory_before)


if __name__ == '__main__':
    sys.exit(main())
