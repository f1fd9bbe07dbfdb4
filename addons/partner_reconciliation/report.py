"""The reconciliation report of a statement: counts and totals per status,
the differences and the list to chase; as a PDF (HTML rendered by
weasyprint) and as an Excel workbook (openpyxl)."""
import io
from decimal import Decimal

import openpyxl
from openpyxl.styles import Alignment, Font

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


def summary_total(rows):
    """Return the totals of the summary rows: every line of the report,
    the cases missing at the partner included"""
    return (sum(r[1] for r in rows), sum((r[2] for r in rows), Decimal(0)),
        sum((r[3] for r in rows), Decimal(0)),
        sum((r[4] for r in rows), Decimal(0)))


def resolved_lines(statement):
    """Return (line, decision) of the resolved lines, in the order of the
    file, with the decision that resolved each one (None if not found)"""
    pool = Pool()
    Line = pool.get('reconciliation.statement.line')
    Decision = pool.get('reconciliation.decision')
    lines = Line.search([
            ('statement', '=', statement.id),
            ('status', '=', 'resolved'),
            ], order=[('row_number', 'ASC NULLS LAST'),
            ('case_number', 'ASC')])
    decisions = {}
    for decision in Decision.search([
                ('statement', '=', statement.id),
                ('action', '=', 'resolve'),
                ('line', 'in', [line.id for line in lines]),
                ], order=[('date', 'ASC'), ('id', 'ASC')]):
        decisions[decision.line.id] = decision
    return [(line, decisions.get(line.id)) for line in lines]


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
        context['summary_total'] = summary_total
        context['chase_lines'] = chase_lines
        context['resolved_lines'] = resolved_lines
        context['format_xof'] = format_xof
        return context


class StatementSpreadsheet(Report):
    "Reconciliation report of a statement as an Excel workbook"
    __name__ = 'reconciliation.statement.spreadsheet'

    @classmethod
    def render(cls, report, report_context):
        book = openpyxl.Workbook()
        book.remove(book.active)
        statements = report_context['records']
        for statement in statements:
            write_statement(book, statement, len(statements) > 1)
        data = io.BytesIO()
        book.save(data)
        return data.getvalue()

    @classmethod
    def convert(cls, report, data, **kwargs):
        return 'xlsx', data


def _text(name):
    return gettext(f'partner_reconciliation.msg_report_{name}')


def append_row(sheet, values):
    """Append values to sheet, every text as text: openpyxl would write a
    partner's "=HYPERLINK(...)" as a live formula and "#N/A" as an error"""
    sheet.append(values)
    for column, value in enumerate(values, 1):
        if isinstance(value, str):
            sheet.cell(sheet.max_row, column).data_type = 's'


INVALID_SHEET_CHARS = str.maketrans({c: ' ' for c in '[]:*?/\\'})


def sheet_title(book, text):
    """Return text as a sheet name Excel accepts (31 characters, no
    []:*?/\\), made unique in book"""
    text = ' '.join(text.translate(INVALID_SHEET_CHARS).split())[:31]
    names = {n.casefold() for n in book.sheetnames}
    title, number = text, 1
    while title.casefold() in names:
        number += 1
        suffix = f' ({number})'
        title = text[:31 - len(suffix)] + suffix
    return title


def write_statement(book, statement, several=False):
    """Add the summary, the lines to chase and the resolved lines of
    statement as three sheets; named after the partner when the workbook
    holds several statements"""
    pool = Pool()
    Line = pool.get('reconciliation.statement.line')
    labels = dict(Line.fields_get(['status'])['status']['selection'])
    bold = Font(bold=True)

    def create_sheet(name):
        text = _text(name)
        if several:
            text = f'{text} {statement.partner.rec_name}'
        return book.create_sheet(sheet_title(book, text))
    sheet = create_sheet('title')
    append_row(sheet, [_text('title'), statement.rec_name])
    append_row(sheet, [_text('file'), statement.filename or ''])
    append_row(sheet, [])
    append_row(sheet, [_text(n) for n in [
                'status', 'count', 'partner_amount', 'network_amount',
                'difference']])
    for cell in sheet[sheet.max_row]:
        cell.font = bold
    rows = summary(statement)
    for row in rows:
        append_row(sheet, list(row))
    append_row(sheet, [_text('total'), *summary_total(rows)])
    for cell in sheet[sheet.max_row]:
        cell.font = bold
    sheet.column_dimensions['A'].width = 32
    chase = create_sheet('chase')
    append_row(chase, [_text(n) for n in [
                'status', 'row', 'reference', 'case_number', 'date',
                'citizen', 'partner_amount', 'network_amount',
                'difference']])
    for cell in chase[1]:
        cell.font = bold
    for line in chase_lines(statement):
        append_row(chase, [
                labels[line.status], line.row_number, line.reference,
                line.case.rec_name if line.case else line.case_number,
                line.date, line.citizen, line.amount, line.expected_amount,
                line.difference])
        chase.cell(chase.max_row, 5).number_format = 'DD/MM/YYYY'
    resolved = create_sheet('resolved')
    append_row(resolved, [_text(n) for n in [
                'row', 'reference', 'case_number', 'date', 'citizen',
                'partner_amount', 'network_amount', 'reason', 'decided_by',
                'decided_on']])
    for cell in resolved[1]:
        cell.font = bold
    for line, decision in resolved_lines(statement):
        append_row(resolved, [
                line.row_number, line.reference,
                line.case.rec_name if line.case else line.case_number,
                line.date, line.citizen, line.amount, line.expected_amount,
                line.resolution or '',
                decision.user.rec_name if decision else '',
                decision.date if decision else None])
        resolved.cell(resolved.max_row, 4).number_format = 'DD/MM/YYYY'
        resolved.cell(resolved.max_row, 10).number_format = (
            'DD/MM/YYYY HH:MM')
        resolved.cell(resolved.max_row, 8).alignment = Alignment(
            wrap_text=True)
    resolved.column_dimensions['H'].width = 48
