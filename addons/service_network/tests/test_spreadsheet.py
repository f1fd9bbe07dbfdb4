"""The spreadsheet layer every importer reads its files with
(spreadsheet.py): kinds, French dates and amounts, headers, and the same
rows whether calamine or openpyxl reads an .xlsx."""
import datetime as dt
import io
import unittest
import zipfile
from decimal import Decimal

import openpyxl
import xlwt

from service_network import spreadsheet
from service_network.spreadsheet import SpreadsheetError


def xlsx(rows, extra=None):
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    if extra:
        extra(book.active)
    data = io.BytesIO()
    book.save(data)
    return data.getvalue()


def xls(rows):
    book = xlwt.Workbook()
    sheet = book.add_sheet('Feuille')
    for number, row in enumerate(rows):
        for column, value in enumerate(row):
            sheet.write(number, column, value)
    data = io.BytesIO()
    book.save(data)
    return data.getvalue()


ROWS = [
    ['Référence', 'Date', 'Montant', 'Usager'],
    ['R1', dt.datetime(2026, 3, 2), 1500, 'Awa Diatta'],
    ['R2', '03/03/2026', '1 234 567,50 FCFA', None],
    [None, None, None, None],
    ['R3', 46085, 12.5, 'Moussa Ndiaye'],
    ]


class SpreadsheetTestCase(unittest.TestCase):
    "Reading of uploaded spreadsheets"

    def rows(self, data, **kwargs):
        kind, rows = spreadsheet.read_rows(data, **kwargs)
        return kind, list(rows)

    def test_kinds(self):
        "The kind comes from the content, whatever the file is named"
        self.assertEqual(self.rows(xlsx(ROWS))[0], 'xlsx')
        self.assertEqual(self.rows(xls([['a', 'b']]))[0], 'xls')
        kind, rows = self.rows('a;b\r\nÉté;2\r\n'.encode('cp1252'))
        self.assertEqual(kind, 'csv')
        self.assertEqual(rows, [['a', 'b'], ['Été', '2']])
        for data, code in [
                (b'', 'empty'),
                (b'%PDF\x00\x01', 'not_spreadsheet'),
                ]:
            with self.assertRaises(SpreadsheetError) as cm:
                self.rows(data)
            self.assertEqual(cm.exception.code, code)
        with self.assertRaises(SpreadsheetError) as cm:
            self.rows(b'a;b\r\n', kinds={'xlsx', 'xls'})
        self.assertEqual(cm.exception.code, 'not_spreadsheet')

    def test_calamine_as_openpyxl(self):
        """calamine gives the rows openpyxl gives, blanks as None (its rows
        are padded to the width of the sheet)"""
        data = xlsx(ROWS)
        self.assertTrue(spreadsheet._plain_sheets(data, 1000))
        _, rows = self.rows(data)
        expected = list(spreadsheet._openpyxl_rows(data, '', 1000, False))
        self.assertEqual(len(rows), len(expected))
        def texts(row):
            texts = [spreadsheet.text(v) for v in row]
            while texts and not texts[-1]:
                texts.pop()
            return texts
        for row, other in zip(rows, expected, strict=True):
            self.assertEqual(texts(row), texts(other))
        self.assertEqual(rows[3], [None, None, None, None])

    def test_unusual_sheets_with_openpyxl(self):
        """Formulas, error cells, far cells and wide sheets are left to
        openpyxl, which reads them within the limits"""
        def formula(sheet):
            sheet['E2'] = '=C2*2'

        def error(sheet):
            sheet['E2'] = '#N/A'

        def far(sheet):
            sheet['A1048576'] = 'x'

        def wide(sheet):
            sheet['XFD2'] = 'x'

        for extra in [formula, error, far, wide]:
            with self.subTest(extra=extra.__name__):
                self.assertFalse(spreadsheet._plain_sheets(
                        xlsx(ROWS, extra), 200_001))
        _, rows = self.rows(xlsx(ROWS, error))
        self.assertEqual(rows[1][4], '#N/A')
        with self.assertRaises(SpreadsheetError) as cm:
            self.rows(xlsx(ROWS, far))
        self.assertEqual(cm.exception.code, 'too_many_rows')

    def test_extent_of_plain_sheets(self):
        """The extent of the cells decides, wherever they are: past the
        last row, out of order, or a rectangle of cells too large for
        calamine"""
        def cell(reference):
            def extra(sheet):
                sheet[reference] = 'x'
            return extra

        for reference, max_row, plain in [
                ('A5000', 1000, False),
                ('A5000', 200_001, True),
                ('A300000', 200_001, False),
                ('Z150000', 200_001, True),
                # 28 columns of 150,000 rows: 4.2 million cells
                ('AB150000', 200_001, False),
                ('AB100', 1000, True),
                ('IW2', 1000, False),
                ('AAA2', 1000, False),
                ]:
            with self.subTest(reference=reference, max_row=max_row):
                self.assertEqual(spreadsheet._plain_sheets(
                        xlsx(ROWS, cell(reference)), max_row), plain)

        # a row far down written before the first one
        data = io.BytesIO()
        with zipfile.ZipFile(io.BytesIO(xlsx(ROWS))) as source, \
                zipfile.ZipFile(data, 'w') as archive:
            for info in source.infolist():
                content = source.read(info.filename)
                if info.filename == 'xl/worksheets/sheet1.xml':
                    content = content.replace(b'<sheetData>',
                        b'<sheetData><row r="5000"><c r="A5000" '
                        b't="inlineStr"><is><t>x</t></is></c></row>')
                archive.writestr(info, content)
        self.assertFalse(spreadsheet._plain_sheets(data.getvalue(), 1000))
        self.assertTrue(spreadsheet._plain_sheets(data.getvalue(), 5000))

    def test_damaged_xlsx(self):
        "A workbook calamine cannot read is refused as corrupt"
        data = io.BytesIO()
        with zipfile.ZipFile(data, 'w') as archive:
            archive.writestr('xl/workbook.xml', b'<workbook><sheets>')
            archive.writestr('xl/worksheets/sheet1.xml', b'<worksheet/>')
        with self.assertRaises(SpreadsheetError) as cm:
            self.rows(data.getvalue())
        self.assertEqual(cm.exception.code, 'corrupt')

    def test_dates(self):
        "Dates the French way, ISO, and Excel serials when asked"
        to_date = spreadsheet.to_date
        self.assertEqual(to_date('02/03/2026'), dt.date(2026, 3, 2))
        self.assertEqual(to_date(' 2026-03-02 '), dt.date(2026, 3, 2))
        self.assertEqual(to_date(dt.datetime(2026, 3, 2, 10)),
            dt.date(2026, 3, 2))
        self.assertEqual(to_date(46083, serials=True), dt.date(2026, 3, 2))
        self.assertEqual(to_date('46083', serials=True),
            dt.date(2026, 3, 2))
        for value in ['31/02/2026', 46083, True, None, 'demain']:
            with self.subTest(value=value), self.assertRaises(ValueError):
                to_date(value)
        with self.assertRaises(ValueError):
            to_date(99_999_999, serials=True)

    def test_amounts(self):
        "Amounts the French way, with spaces and currency"
        to_amount = spreadsheet.to_amount
        for value, expected in [
                ('1 234 567,50', Decimal('1234567.50')),
                ('1\u202f234 FCFA', Decimal(1234)),
                ('12 000 F CFA', Decimal(12000)),
                ('750 XOF', Decimal(750)),
                (1500.0, Decimal(1500)),
                (12.5, Decimal('12.50')),
                ]:
            with self.subTest(value=value):
                self.assertEqual(to_amount(value), expected)
        for value in ['1.234,50', 'douze', 'NaN', True]:
            with self.subTest(value=value), self.assertRaises(ValueError):
                to_amount(value)
        self.assertEqual(
            to_amount('1,234.50', decimal='.', thousands=','),
            Decimal('1234.50'))

    def test_headers(self):
        "Headers without case, accents or punctuation; letters too"
        aliases = {'serial': {'n de serie', 'numero de serie'},
            'date': {'date d achat'}}
        self.assertEqual(spreadsheet.map_headers(
                ['N° de série', "Date d'achat", 'Numéro de série'],
                aliases),
            {'serial': (0, 'N° de série'), 'date': (1, "Date d'achat")})
        keys = spreadsheet.header_keys(['Référence', None, 'Montant (FCFA)'])
        self.assertEqual(spreadsheet.column_index('reference', keys), 0)
        self.assertEqual(spreadsheet.column_index('montant fcfa', keys), 2)
        self.assertEqual(spreadsheet.column_index('D', keys), 3)
        self.assertIsNone(spreadsheet.column_index('Usager', keys))

    def test_totals_and_errors(self):
        "Totals rows are recognised; errors are counted, the first kept"
        self.assertEqual(
            spreadsheet.total_label([None, 'Sous-total :', 3]),
            'Sous-total :')
        self.assertIsNone(spreadsheet.total_label(['Totalement', 3]))
        errors = spreadsheet.RowErrors()
        for row in range(300):
            errors.add(row, 'amount', 'bad_amount', value='x' * 100)
        self.assertEqual(errors.count, 300)
        self.assertEqual(len(errors.kept), 200)
        self.assertEqual(errors.more, 100)
        self.assertEqual(len(errors.kept[0][3]['value']), 60)
