"""Partner statements are bounded, reserved to finance, and exported as
text (issue 13): hostile files are refused in French before they cost
memory or CPU or are stored, and a partner's text never becomes a live
formula in the Excel report."""
import csv
import io
import math
import time
import unittest
import zipfile

import openpyxl

from trytond.exceptions import UserError
from trytond.model.exceptions import AccessError
from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import (
    activate_module,
    drop_db,
    with_transaction,
)
from trytond.transaction import Transaction

from partner_reconciliation.parser import Layout, parse
from partner_reconciliation.statement_import import import_statement
from partner_reconciliation.tests import test_module as base

MB = 1024 * 1024
FR = {'language': 'fr'}
HEADER = base.HEADER
ROW = ['R1', '02/03/2026', '200', 'Awa', None]


def csv_bytes(rows):
    text = io.StringIO()
    csv.writer(text, delimiter=';').writerows(rows)
    return text.getvalue().encode('utf-8')


def user(login, group):
    pool = Pool()
    User = pool.get('res.user')
    ModelData = pool.get('ir.model.data')
    record, = User.create([{
                'login': login, 'name': login,
                'groups': [('add', [
                            ModelData.get_id('service_network', group)])],
                }])
    return record


class StatementImportLimitsTestCase(unittest.TestCase):
    "Limits and rights of the statement import, text in the Excel report"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module(['partner_reconciliation'], lang='fr')

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        drop_db()

    def assertRefused(self, profile, data, *texts):
        "The file is refused with texts in its message; nothing is stored"
        before = base.statement_count()
        with self.assertRaises(UserError) as cm:
            import_statement(
                profile, base.START, base.END, data, 'releve.csv')
        for text in texts:
            self.assertIn(text, cm.exception.message)
        self.assertEqual(base.statement_count(), before)
        return cm.exception.message

    @with_transaction(context=FR)
    def test_oversize_csv(self):
        "A CSV over 10 MB is refused before it is parsed or stored"
        company = create_company()
        with set_company(company):
            profile = base.create_profile()
            rows = [HEADER] + [
                [f'R{i}', '02/03/2026', '200', 'Awa Diatta', None]
                for i in range(320_000)]
            data = csv_bytes(rows)
            self.assertGreater(len(data), 10 * MB)
            self.assertRefused(
                profile, data, "Le fichier « releve.csv » pèse "
                f"{math.ceil(len(data) / MB)} Mo, plus que la limite de "
                "10 Mo")

    @with_transaction(context=FR)
    def test_too_many_rows(self):
        "Empty lines count: a file goes no further than the row limit"
        company = create_company()
        with set_company(company):
            profile = base.create_profile()
            data = csv_bytes([HEADER, ROW]) + b';;;;\r\n' * 300_000
            start = time.monotonic()
            self.assertRefused(
                profile, data, "a plus de 200000 lignes après l'en-tête")
            self.assertLess(time.monotonic() - start, 5)

    @with_transaction(context=FR)
    def test_zip_bomb(self):
        "A small workbook that unzips past the limit is refused unopened"
        company = create_company()
        with set_company(company):
            profile = base.create_profile()
            out = io.BytesIO()
            source = zipfile.ZipFile(io.BytesIO(base.xlsx([HEADER, ROW])))
            with zipfile.ZipFile(out, 'w', zipfile.ZIP_DEFLATED) as bomb:
                for info in source.infolist():
                    bomb.writestr(info.filename, source.read(info.filename))
                with bomb.open('xl/media/padding.bin', 'w') as member:
                    for _ in range(120):
                        member.write(b'\0' * MB)
            self.assertLess(len(out.getvalue()), MB)
            self.assertRefused(
                profile, out.getvalue(), "Une fois décompressé",
                "plus que la limite de 100 Mo")

    @with_transaction(context=FR)
    def test_million_empty_rows_in_xlsx(self):
        """A sheet whose last cell is at row 1,048,576 is refused without
        walking the rows between"""
        company = create_company()
        with set_company(company):
            profile = base.create_profile()
            book = openpyxl.Workbook()
            book.active.append(HEADER)
            book.active.append(ROW)
            book.active.cell(row=1048576, column=1, value='R2')
            data = io.BytesIO()
            book.save(data)
            start = time.monotonic()
            self.assertRefused(
                profile, data.getvalue(), "a plus de 200000 lignes")
            self.assertLess(time.monotonic() - start, 5)

    @with_transaction(context=FR)
    def test_library_errors_in_french(self):
        "csv.Error and damaged workbooks are named in French"
        company = create_company()
        with set_company(company):
            profile = base.create_profile()
            long_field = b'R1;"' + b'x' * 200_000 + b'"\r\n'
            message = self.assertRefused(
                profile, csv_bytes([HEADER, ROW]) + long_field,
                "Le fichier CSV « releve.csv » est mal formé à la ligne 3")
            self.assertNotIn('field larger', message)
            message = self.assertRefused(
                profile, b'PK\x03\x04' + b'\0' * 100,
                "Le classeur « releve.csv » est endommagé")
            self.assertNotIn('zip', message)

    @with_transaction(context=FR)
    def test_errors_bounded(self):
        "200 errors are kept, their values cut to 60 characters"
        layout = Layout(columns={
                'reference': 'A', 'date': 'B', 'amount': 'C'})
        parsed = parse(csv_bytes([['Ref', 'Date', 'Montant']] + [
                    [f'R{i}', '02/03/2026', '9' * 1000 + 'F']
                    for i in range(500)]), layout)
        self.assertEqual(parsed.error_count, 500)
        self.assertEqual(len(parsed.errors), 200)
        value = parsed.errors[0][3]['value']
        self.assertEqual(value, '9' * 59 + '…')

    @with_transaction(context=FR)
    def test_finance_only(self):
        """Only finance and network administrators import statements,
        whatever the context says"""
        pool = Pool()
        Import = pool.get('reconciliation.statement.import', type='wizard')
        company = create_company()
        agent = user('agent.zig', 'group_site_agent')
        hr = user('rh', 'group_hr')
        finance = user('finance', 'group_finance')
        with set_company(company):
            profile = base.create_profile()
            session_id, _, _ = Import.create()
            wizard = Import(session_id)
            wizard.start.profile = profile
            wizard.start.start_date = base.START
            wizard.start.end_date = base.END
            wizard.start.file = csv_bytes([HEADER, ROW])
            wizard.start.filename = 'releve.csv'
            for intruder in [agent, hr]:
                with Transaction().set_user(intruder.id), \
                        Transaction().set_context(action_id=1):
                    for step in [
                            lambda: wizard.default_preview([]),
                            wizard.transition_import_all,
                            wizard.transition_import_valid]:
                        with self.assertRaises(AccessError):
                            step()
                self.assertEqual(base.statement_count(), (0, 0))
            with Transaction().set_user(finance.id):
                self.assertEqual(wizard.default_preview([])['valid_count'], 1)
                self.assertEqual(wizard.transition_import_all(), 'open_')
            self.assertEqual(base.statement_count(), (1, 1))

    @with_transaction(context=FR)
    def test_report_writes_text_as_text(self):
        "A partner's formula is written as text in the Excel report"
        pool = Pool()
        Report = pool.get(
            'reconciliation.statement.spreadsheet', type='report')
        company = create_company()
        formula = '=HYPERLINK("http://evil","x")'
        with set_company(company):
            profile = base.create_profile()
            statement = import_statement(
                profile, base.START, base.END,
                csv_bytes([HEADER, [formula, '02/03/2026', '200', '=1+1',
                            '@SUM(A1)']]), '=cmd|"/c calc"!A1')
            _, content, _, _ = Report.execute([statement.id], {})
        book = openpyxl.load_workbook(io.BytesIO(content))
        cells = [cell for sheet in book.worksheets
            for row in sheet.iter_rows() for cell in row
            if isinstance(cell.value, str)
            and cell.value.startswith(('=', '@'))]
        self.assertEqual(
            {c.value for c in cells},
            {formula, '=1+1', '@SUM(A1)', '=cmd|"/c calc"!A1'})
        self.assertEqual({c.data_type for c in cells}, {'s'})
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            for name in archive.namelist():
                if name.startswith('xl/worksheets/'):
                    self.assertNotIn(b'<f>', archive.read(name))
