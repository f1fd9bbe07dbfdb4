"""Benchmark: import and match a 100,000-line partner statement against
100,000 cases on PostgreSQL.

    TRYTOND_DATABASE__URI=postgresql://postgres@127.0.0.1:5432/ \\
    DB_NAME=bench_recon .venv/bin/python -O benchmarks/reconciliation.py

Creates the database DB_NAME (default bench_recon) with
partner_reconciliation activated when it does not exist, inserts the cases
of one partner, their citizens and fees with INSERT ... SELECT
generate_series, writes the statement as an .xlsx (kept in
/tmp/recon_bench_<lines>.xlsx) with 1 % amounts differing, 1 % lines known
only by date, amount and citizen, 1 % lines unknown to the network and 1 %
cases missing. Then times, in one transaction rolled back afterwards, the
import as the wizard does it (parse, store, match) and the floor: parsing
the file alone plus a COPY of the same rows into a temporary table. Prints
seconds, peak memory and the ratio import / floor.
"""
import datetime as dt
import os
import pathlib
import sys
import time
from decimal import Decimal

os.environ.setdefault(
    'TRYTOND_DATABASE__URI', 'postgresql://postgres@127.0.0.1:5432/')
os.environ.setdefault('DB_NAME', 'bench_recon')

import openpyxl  # noqa: E402

from trytond.modules.company.tests import create_company  # noqa: E402
from trytond.pool import Pool  # noqa: E402
from trytond.tests.test_tryton import DB_NAME, activate_module  # noqa: E402
from trytond.transaction import Transaction  # noqa: E402

from bench_tools import peak_mib  # noqa: E402
from partner_reconciliation.parser import parse  # noqa: E402
from partner_reconciliation.statement_import import import_statement  # noqa: E402

CASES = int(os.environ.get('BENCH_CASES', 100_000))
START, END = dt.date(2025, 3, 1), dt.date(2025, 3, 31)
MARKER = 'RBENCH'
AMOUNT = 1000


def setup():
    "Create the company, the partner, its procedure and profile once"
    pool = Pool()
    Company = pool.get('company.company')
    Currency = pool.get('currency.currency')
    ModelData = pool.get('ir.model.data')
    Party = pool.get('party.party')
    Procedure = pool.get('network.procedure')
    Profile = pool.get('reconciliation.profile')
    companies = Company.search([])
    if companies:
        profile, = Profile.search([('name', '=', MARKER)])
        return companies[0], profile
    company = create_company(
        currency=Currency(ModelData.get_id('service_network', 'currency_xof')))
    partner, = Party.create([{
                'name': "Partenaire du banc d'essai",
                'partner_kind': 'agency',
                }])
    Procedure.create([{
                'code': MARKER, 'name': "Démarche du banc d'essai",
                'sector': ModelData.get_id(
                    'service_network', 'sector_justice'),
                'partner': partner.id, 'legal_delay': 5,
                'fees': [('create', [{
                                'label': "Frais", 'kind': 'fee',
                                'amount': Decimal(AMOUNT),
                                'beneficiary': partner.id,
                                }])],
                }])
    profile, = Profile.create([{
                'name': MARKER, 'partner': partner.id,
                'reference_column': 'Référence', 'date_column': 'Date',
                'amount_column': 'Montant', 'citizen_column': 'Usager',
                'tolerance': Decimal(0),
                }])
    return company, profile


def insert_cases(cursor, profile):
    "Insert the paid cases, one citizen and one fee each"
    cursor.execute(
        "SELECT count(*) FROM case_case WHERE number LIKE %s",
        (MARKER + '-%',))
    existing, = cursor.fetchone()
    if existing >= CASES:
        return existing
    cursor.execute("SELECT id FROM network_site ORDER BY id")
    sites = [r[0] for r in cursor.fetchall()]
    cursor.execute(
        "SELECT id FROM network_procedure WHERE code = %s", (MARKER,))
    procedure, = cursor.fetchone()
    cursor.execute("""
        INSERT INTO party_party (code, name, active, create_uid,
            create_date)
        SELECT %s || '-P' || i, 'Usager ' || i, true, 0, now()
        FROM generate_series(%s, %s) AS i""", (MARKER, existing + 1, CASES))
    cursor.execute("""
        INSERT INTO case_case (number, site, citizen, procedure, channel,
            state, submission_date, paid_at, late_flagged, create_uid,
            create_date)
        SELECT %s || '-' || i, (%s::int[])[1 + i %% %s], p.id, %s,
            'counter', 'transmitted', %s::date + (i %% 28),
            (%s::date + (i %% 28))::timestamp + interval '10 hours',
            false, 0, now()
        FROM generate_series(%s, %s) AS i
        JOIN party_party p ON p.name = 'Usager ' || i""",
        (MARKER, sites, len(sites), procedure, START, START,
            existing + 1, CASES))
    cursor.execute("""
        INSERT INTO case_fee ("case", sequence, label, kind, amount,
            beneficiary, create_uid, create_date)
        SELECT c.id, 10, 'Frais', 'fee', %s, %s, 0, now()
        FROM case_case c
        LEFT JOIN case_fee f ON f."case" = c.id
        WHERE c.number LIKE %s AND f.id IS NULL""",
        (AMOUNT, profile.partner.id, MARKER + '-%'))
    cursor.execute("ANALYZE case_case")
    cursor.execute("ANALYZE case_fee")
    cursor.execute("ANALYZE party_party")
    return CASES


def statement_file():
    """Write (once) the statement of the cases: 1 % of amounts differ, 1 %
    of lines have no known reference, 1 % are unknown and 1 % of the cases
    are left out"""
    path = pathlib.Path(f'/tmp/recon_bench_{CASES}.xlsx')
    if path.exists():
        return path
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet('Relevé')
    sheet.append(['Référence', 'Date', 'Montant', 'Usager'])
    for i in range(1, CASES + 1):
        day = START + dt.timedelta(days=i % 28)
        reference, amount = f'{MARKER}-{i}', AMOUNT
        if i % 100 == 0:
            # the case is missing; the partner has a line unknown to us
            reference, amount = f'INCONNU-{i}', 750
        elif i % 100 == 1:
            amount = AMOUNT + 500
        elif i % 100 == 2:
            reference = f'LP-{i}'
        sheet.append([reference, day, amount, f'Usager {i}'])
    book.save(path)
    return path


def floor(transaction, data, profile):
    "Parse the file alone, then COPY the same rows into a temporary table"
    started = time.perf_counter()
    parsed = parse(data, profile.layout)
    parsed_at = time.perf_counter()
    cursor = transaction.connection.cursor()
    cursor.execute("""
        CREATE TEMPORARY TABLE recon_floor (row_number integer,
            reference varchar, date date, amount numeric, citizen varchar,
            case_number varchar)""")
    with cursor.copy("COPY recon_floor FROM STDIN") as copy:
        for row in parsed.rows:
            copy.write_row(row)
    copied_at = time.perf_counter()
    return parsed_at - started, copied_at - parsed_at, len(parsed.rows)


def main():
    activate_module(['partner_reconciliation'])
    with Transaction().start(DB_NAME, 0) as transaction:
        company, profile = setup()
        count = insert_cases(transaction.connection.cursor(), profile)
        transaction.commit()
        company_id, profile_id = company.id, profile.id
    print(f"{count} cases of one partner")
    path = statement_file()
    data = path.read_bytes()
    print(f"statement: {path} ({len(data) / 2**20:.1f} MiB)")
    with Transaction().start(
            DB_NAME, 0, context={'company': company_id}) as transaction:
        pool = Pool()
        Profile = pool.get('reconciliation.profile')
        Statement = pool.get('reconciliation.statement')
        profile = Profile(profile_id)
        memory_before = peak_mib()
        started = time.perf_counter()
        statement = import_statement(
            profile, START, END, data, path.name)
        import_seconds = time.perf_counter() - started
        statement = Statement(statement.id)
        figures = (statement.line_count, statement.matched_count,
            statement.amount_differs_count, statement.unknown_count,
            statement.missing_count)
        parse_seconds, copy_seconds, rows = floor(transaction, data, profile)
        transaction.rollback()
    floor_seconds = parse_seconds + copy_seconds
    print("import (parse, store, match): "
        f"{import_seconds:.2f} s; lines {figures[0]}, matched "
        f"{figures[1]}, amount differs {figures[2]}, unknown "
        f"{figures[3]}, missing {figures[4]}")
    print(f"floor: parse {parse_seconds:.2f} s + COPY of {rows} rows "
        f"{copy_seconds:.2f} s = {floor_seconds:.2f} s")
    print(f"ratio import / floor: {import_seconds / floor_seconds:.2f}")
    print(f"peak memory: {peak_mib():.0f} MiB "
        f"(before the import: {memory_before:.0f} MiB)")
    return 0 if import_seconds < 20 and peak_mib() < 1024 else 1


if __name__ == '__main__':
    sys.exit(main())
