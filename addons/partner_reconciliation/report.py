"""The reconciliation report of a statement: counts and totals per status,
the differences and the list to chase; as a PDF (HTML rendered by
weasyprint) and as an Excel workbook (openpyxl)."""
import io
from decimal import Decimal

import openpyxl
from openpyxl.styles import Font

from trytond.i18n import gettext
from trytond.pool import Pool
from trytond.report import Report

from service_case.receipt import format_xof

from .statement import OPEN_STATUSES, STATUSES


def summary(statement):
    """Return the rows (status label, count, partner amount, network
    amount, difference) of each status, then the totals"""
    pool = Pool()
    Statement = pool.get('reconciliation.statement')
    Line = pool.get('reconciliation.statement.line')
    labels = dict(Line.fields_get(['status'])['status']['selection'])
    figures = Statement.figures([statement.id])[statement.id]
    rows = []
    for status, _ in STATUSES:
        count, amount, expected = figures.get(
            status, (0, Decimal(0), Decimal(0)))
        if status == 'duplicate':
            # the case is already counted on the line it duplicates
            expected = Decimal(0)
        rows.append((labels[status], count, amount, expected,
                amount - expected))
    return rows


def chase_lines(statement):
    "Return the lines still to chase, in the order of the file"
    pool = Pool()
    Line = pool.get('reconciliation.statement.line')
    return Line.search([
            ('statement', '=', statement.id),
            ('status', 'in', OPEN_STATUSES),
            ], order=[('status', 'ASC'), ('row_number', 'ASC NULLS LAST'),
            ('case_number', 'ASC')])


class StatementReport(Report):
    """Reconciliation report of a statement, rendered to PDF by
    weasyprint"""
    __name__ = 'reconciliation.statement.report'

    @classmethod
    def get_context(cls, records, header, data):
        context = super().get_context(records, header, data)
        context['summary'] = summary
        context['chase_lines'] = chase_lines
        context['format_xof'] = format_xof
        return context


class StatementSpreadsheet(Report):
    "Reconciliation report of a statement as an Excel workbook"
    __name__ = 'reconciliation.statement.spreadsheet'

    @classmethod
    def render(cls, report, report_context):
        book = openpyxl.Workbook()
        book.remove(book.active)
        for statement in report_context['records']:
            write_statement(book, statement)
        data = io.BytesIO()
        book.save(data)
        return data.getvalue()

    @classmethod
    def convert(cls, report, data, **kwargs):
        return 'xlsx', data


def _text(name):
    return gettext(f'partner_reconciliation.msg_report_{name}')


def write_statement(book, statement):
    "Add the summary and the lines to chase of statement as two sheets"
    pool = Pool()
    Line = pool.get('reconciliation.statement.line')
    labels = dict(Line.fields_get(['status'])['status']['selection'])
    bold = Font(bold=True)
    sheet = book.create_sheet(f'{_text("title")} {statement.id}'[:31])
    sheet.append([_text('title'), statement.rec_name])
    sheet.append([_text('file'), statement.filename or ''])
    sheet.append([])
    sheet.append([_text(n) for n in [
                'status', 'count', 'partner_amount', 'network_amount',
                'difference']])
    for cell in sheet[sheet.max_row]:
        cell.font = bold
    rows = summary(statement)
    for row in rows:
        sheet.append(list(row))
    sheet.append([_text('total'),
            sum(r[1] for r in rows if r[0] != labels['missing']),
            sum(r[2] for r in rows), sum(r[3] for r in rows),
            sum(r[4] for r in rows)])
    for cell in sheet[sheet.max_row]:
        cell.font = bold
    sheet.column_dimensions['A'].width = 32
    chase = book.create_sheet(f'{_text("chase")} {statement.id}'[:31])
    chase.append([_text(n) for n in [
                'status', 'row', 'reference', 'case_number', 'date',
                'citizen', 'partner_amount', 'network_amount',
                'difference']])
    for cell in chase[1]:
        cell.font = bold
    for line in chase_lines(statement):
        chase.append([
                labels[line.status], line.row_number, line.reference,
                line.case.rec_name if line.case else line.case_number,
                line.date, line.citizen, line.amount, line.expected_amount,
                line.difference])
        chase.cell(chase.max_row, 5).number_format = 'DD/MM/YYYY'
