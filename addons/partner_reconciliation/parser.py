"""Reading of partner statements: the kind of file from its content, the
rows of the profile's sheet, every cell checked.

Pure Python, no database: the errors are codes with parameters, turned into
French messages by the caller (see ``statement_import.error_text``). The
whole file is read before anything is stored, within the limits of
service_network's spreadsheet layer (size, unzipped size, rows, errors
kept, length of the values echoed).
"""
import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from openpyxl.utils.cell import get_column_letter

from service_network import spreadsheet
from service_network import spreadsheet_limits as limits
from service_network.spreadsheet import (
    EXCEL_DATES,
    EXCEL_ERRORS,
    FORMULA,
    TOTAL_HINT,
    SpreadsheetError,
    is_blank,
    normalize,
    shorten,
    total_label,
)

__all__ = ['EXCEL_DATES', 'FIELDS', 'FileError', 'Layout', 'Parsed',
    'Total', 'normalize', 'parse', 'sample', 'total_label']

FIELDS = ['reference', 'date', 'amount', 'citizen', 'case_number']
REQUIRED = {'reference', 'date', 'amount'}


class FileError(SpreadsheetError):
    """The file as a whole cannot be read: code and parameters, the codes
    of SpreadsheetError included"""


@dataclass
class Layout:
    "Where the profile finds the statement's data"
    columns: dict
    sheet: str = ''
    header_row: int = 1
    date_format: str = '%d/%m/%Y'
    decimal_separator: str = ','
    thousands_separator: str = ' '
    delimiter: str = ';'


@dataclass
class Total:
    """A totals row of the file: its amount (None if unreadable), the sum
    and count of the rows read it covers, and whether they agree"""
    row: int
    label: str
    amount: Decimal
    expected: Decimal
    count: int
    subtotal: bool

    @property
    def agrees(self):
        return self.amount is not None and self.amount == self.expected


@dataclass
class Parsed:
    "The rows read: tuples in the order of FIELDS after the row number"
    kind: str
    rows: list = field(default_factory=list)
    invalid_rows: int = 0
    totals: list = field(default_factory=list)
    # the sum and count of the rows read since the last totals row, and of
    # all of them
    section_sum: Decimal = Decimal(0)
    section_count: int = 0
    amount_total: Decimal = Decimal(0)
    # every error counted, the first ones kept as (row, column, code,
    # params)
    problems: spreadsheet.RowErrors = field(
        default_factory=spreadsheet.RowErrors)

    @property
    def row_count(self):
        return len(self.rows) + self.invalid_rows

    @property
    def errors(self):
        return self.problems.kept

    @property
    def error_count(self):
        return self.problems.count

    def add_error(self, row, column, code, **params):
        "Count the error; keep it for display among the first ones"
        self.problems.add(row, column, code, **params)


def rows_of(data, layout):
    "Return the kind of the file and its rows, as the layout reads them"
    return spreadsheet.read_rows(
        data, sheet=layout.sheet, header_row=layout.header_row,
        delimiter=layout.delimiter, formulas=True)


def column_positions(header, layout):
    """Return {field: index} from the profile's columns: a letter (A, BC)
    or the text of the header cell"""
    keys = spreadsheet.header_keys(header)
    positions = {}
    for name in FIELDS:
        spec = (layout.columns.get(name) or '').strip()
        if not spec:
            if name in REQUIRED:
                raise FileError('column_not_set', column=name)
            continue
        index = spreadsheet.column_index(spec, keys)
        if index is None:
            raise FileError(
                'column_not_found', column=name, name=shorten(spec),
                found=', '.join(
                    shorten(_text(v))
                    for v in header[:limits.limit('max_columns')]
                    if not is_blank(v) and v is not FORMULA))
        positions[name] = index
    return positions


_text = spreadsheet.text


def date_format_text(date_format):
    """Return the format as the French read it: jj/mm/aaaa; the code
    EXCEL_DATES for Excel dates"""
    if date_format == EXCEL_DATES:
        return EXCEL_DATES
    return (date_format.replace('%d', 'jj').replace('%m', 'mm')
        .replace('%Y', 'aaaa').replace('%y', 'aa'))


def to_date(value, layout):
    "Return the date of value, or raise ValueError"
    formats = [layout.date_format, '%Y-%m-%d']
    if layout.date_format == EXCEL_DATES:
        formats = ['%Y-%m-%d']
    return spreadsheet.to_date(value, formats, serials=True)


def to_amount(value, layout):
    "Return the Decimal of value, or raise ValueError"
    return spreadsheet.to_amount(
        value, layout.decimal_separator, layout.thousands_separator)


def field_value(number, name, value, layout, parsed):
    "Return the value of the field name of a row, or record its error"
    if value is FORMULA:
        parsed.add_error(number, name, 'formula')
        return None
    if isinstance(value, str) and value.strip() in EXCEL_ERRORS:
        parsed.add_error(number, name, 'cell_error', value=value.strip())
        return None
    if value is None:
        if name in REQUIRED:
            parsed.add_error(number, name, 'missing')
        return None
    if name == 'date':
        try:
            return to_date(value, layout)
        except ValueError:
            parsed.add_error(
                number, name, 'bad_date', value=_text(value),
                format=date_format_text(layout.date_format))
    elif name == 'amount':
        try:
            return to_amount(value, layout)
        except ValueError:
            parsed.add_error(number, name, 'bad_amount', value=_text(value))
    else:
        return _text(value)[:200]
    return value


def check_row(number, values, positions, layout, parsed):
    "Append the row's parsed tuple, or its errors; skip blank rows"
    cells = {name: spreadsheet.cell(values, index)
        for name, index in positions.items()}
    if all(value is None for value in cells.values()):
        return
    errors_before = parsed.error_count
    result = [number] + [
        field_value(number, name, cells.get(name), layout, parsed)
        for name in FIELDS]
    if parsed.error_count > errors_before:
        parsed.invalid_rows += 1
    else:
        parsed.rows.append(tuple(result))
        amount = result[1 + FIELDS.index('amount')]
        parsed.section_sum += amount
        parsed.section_count += 1
        parsed.amount_total += amount


def total_expected(amount, subtotal, parsed):
    """Return the sum and count of the rows a total of amount covers: the
    section above, or all the rows read"""
    if (amount is not None and parsed.section_count
            and amount == parsed.section_sum):
        return parsed.section_sum, parsed.section_count
    if not subtotal and (amount is None or amount == parsed.amount_total):
        return parsed.amount_total, len(parsed.rows)
    if subtotal:
        return parsed.section_sum, parsed.section_count
    return parsed.amount_total, len(parsed.rows)


def total_amount(values, positions, layout):
    "Return the amount of a totals row, None if blank or unreadable"
    value = spreadsheet.cell(values, positions.get('amount'))
    if value is None or value is FORMULA:
        return None
    try:
        return to_amount(value, layout)
    except ValueError:
        return None


def check_total(number, values, positions, layout, parsed):
    """Tell whether the row is a totals row: labelled "Total",
    "Sous-total"..., or without reference and whose amount is the sum of
    the rows above. Record it and its check against the rows read."""
    label = total_label(values)
    if label is None and (parsed.section_count < 2 or spreadsheet.cell(
                values, positions.get('reference')) is not None):
        return False
    amount = total_amount(values, positions, layout)
    if label is None:
        # a row whose amount is the sum of at least two rows above
        if amount is None or amount not in {
                parsed.section_sum, parsed.amount_total}:
            return False
        label = ''
    subtotal = normalize(label).startswith(('sous', 'sub'))
    expected, count = total_expected(amount, subtotal, parsed)
    total = Total(number, label, amount, expected, count, subtotal)
    parsed.totals.append(total)
    # a total without readable amount (a formula never computed) is left
    # unchecked, as the preview says
    if amount is not None and not total.agrees:
        parsed.add_error(
            number, 'amount', 'total_differs', total=amount,
            expected=expected, count=count)
        parsed.invalid_rows += 1
    if amount is not None:
        parsed.section_sum = Decimal(0)
        parsed.section_count = 0
    return True


def sample(data, layout, count=10):
    """Return the kind of file and its first count rows not blank, as
    (row number, [(column letter, text)]), to show where the header and
    the columns are"""
    kind, values_of_rows = rows_of(data, layout)
    rows = []
    for number, values in enumerate(values_of_rows, 1):
        cells = [(get_column_letter(index), shorten(_text(value)))
            for index, value in enumerate(values or [], 1)
            if _text(value)][:20]
        if cells:
            rows.append((number, cells))
        if len(rows) >= count or number >= 50:
            break
    return kind, rows


class PlainRows:
    """The fast reading of the rows every cell of which reads without
    error, none a totals row: the values of the row's columns taken at
    once, a text date or amount converted once per distinct text. Any
    other row gives None and is read by check_total and check_row, which
    write the errors; a row read here is the one they would give."""

    def __init__(self, positions, layout):
        self.layout = layout
        self.indexes = [positions.get(name) for name in FIELDS]
        present = [i for i in self.indexes if i is not None]
        self.width = max(present) + 1
        # the converted dates and amounts by text (or number): the same
        # few values come back on every row of a statement
        self.dates = {}
        self.amounts = {}

    def _text(self, value, required):
        "Return the text of a cell, or raise ValueError to bail out"
        kind = value.__class__
        if kind is str:
            text = value.strip()
            if not text:
                if required:
                    raise ValueError
                return None
            if text in EXCEL_ERRORS:
                raise ValueError
            return text[:200]
        if value is None:
            if required:
                raise ValueError
            return None
        if kind is int or kind is float:
            return _text(value)[:200]
        raise ValueError

    def _converted(self, cache, convert, kind, value):
        """convert(value, layout), once per distinct value of the file
        (a failure is not kept: each bad cell raises again)"""
        key = (kind, value)
        result = cache.get(key)
        if result is None:
            if kind is str and (not value.strip()
                    or value.strip() in EXCEL_ERRORS):
                raise ValueError
            result = cache[key] = convert(value, self.layout)
        return result

    def _date(self, value):
        kind = value.__class__
        if kind is dt.date:
            return value
        if kind is dt.datetime:
            return value.date()
        if kind is str or kind is int or kind is float:
            return self._converted(self.dates, to_date, kind, value)
        raise ValueError

    def _amount(self, value):
        kind = value.__class__
        if kind is int:
            return Decimal(value)
        if kind is str or kind is float:
            return self._converted(self.amounts, to_amount, kind, value)
        if kind is Decimal:
            return value
        raise ValueError

    def read(self, number, values):
        "Return the tuple of the row, or None to read it the slow way"
        if len(values) < self.width:
            return None
        hint = TOTAL_HINT.search
        for value in values:
            if value.__class__ is not str:
                if isinstance(value, str):
                    return None
            elif hint(value):
                return None
        reference, date, amount, citizen, case_number = self.indexes
        reference, date, amount = (
            values[reference], values[date], values[amount])
        citizen = None if citizen is None else values[citizen]
        case_number = None if case_number is None else values[case_number]
        try:
            return (number, self._text(reference, True), self._date(date),
                self._amount(amount), self._text(citizen, False),
                self._text(case_number, False))
        except ValueError:
            # a bad date or amount is not cached: the slow way reads it
            return None


def parse(data, layout, limit=None):
    """Return the Parsed rows of data read with layout; limit stops after
    that many data rows (for a preview)"""
    kind, rows = rows_of(data, layout)
    parsed = Parsed(kind=kind)
    header_row = max(layout.header_row or 1, 1)
    header = None
    plain = None
    append = parsed.rows.append
    for number, values in enumerate(rows, 1):
        if number < header_row:
            continue
        if number == header_row:
            header = list(values or [])
            if all(is_blank(v) for v in header):
                raise FileError('no_header', row=header_row)
            positions = column_positions(header, layout)
            plain = PlainRows(positions, layout)
            continue
        if values.__class__ is not list:
            values = list(values or [])
        row = plain.read(number, values)
        if row is not None:
            append(row)
            amount = row[3]
            parsed.section_sum += amount
            parsed.section_count += 1
            parsed.amount_total += amount
        elif not check_total(number, values, positions, layout, parsed):
            check_row(number, values, positions, layout, parsed)
        if limit and parsed.row_count >= limit:
            break
    if header is None:
        raise FileError('no_header', row=header_row)
    return parsed
