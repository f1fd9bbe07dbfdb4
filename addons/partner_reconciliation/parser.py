"""Reading of partner statements: the kind of file from its content, the
rows of the profile's sheet, every cell checked.

Pure Python, no database: the errors are codes with parameters, turned into
French messages by the caller (see ``statement_import.error_text``). The
whole file is read before anything is stored, within the limits of
service_network's spreadsheet_limits (size, unzipped size, rows, errors
kept, length of the values echoed).
"""
import datetime as dt
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from openpyxl.utils.cell import (
    column_index_from_string, get_column_letter)
from openpyxl.utils.datetime import from_excel

from service_network import spreadsheet_limits as limits
from service_network.spreadsheet_limits import (
    OLE2_MAGIC, ZIP_MAGIC, SpreadsheetError, shorten)
# An encrypted .xlsx is an OLE2 compound file holding these streams
ENCRYPTION_STREAMS = [
    'EncryptionInfo'.encode('utf-16-le'),
    'EncryptedPackage'.encode('utf-16-le')]
FIELDS = ['reference', 'date', 'amount', 'citizen', 'case_number']
REQUIRED = {'reference', 'date', 'amount'}
# Column letters; two at most, or a three-letter header reads as one
LETTERS = re.compile(r'^[A-Za-z]{1,2}$')
# Excel's serial numbers of 1900-01-01 and 9999-12-31
SERIAL_MIN, SERIAL_MAX = 1, 2958465
EXCEL_ERRORS = {
    '#NULL!', '#DIV/0!', '#VALUE!', '#REF!', '#NAME?', '#NUM!', '#N/A'}
# The date format of partners whose dates are all Excel dates: date cells
# or serial numbers, no text date but yyyy-mm-dd
EXCEL_DATES = 'excel'
CURRENCY_WORDS = re.compile(r'(?i)f\s*cfa|xof|fcfa')
# The label of a totals row, compared without accents or case; the hint
# is a cheap test first, as it runs on every cell
TOTAL_HINT = re.compile(r'(?i)tot')
TOTAL_LABEL = re.compile(
    r'^(sous[\s-]?totale?s?|sub-?totals?|totale?s?|totaux|montant total'
    r'|grand total)(\s*:|\s|$)')


class _Formula:
    "A formula cell without computed value"


FORMULA = _Formula()


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
    errors: list = field(default_factory=list)
    error_count: int = 0
    invalid_rows: int = 0
    totals: list = field(default_factory=list)
    # the sum and count of the rows read since the last totals row, and of
    # all of them
    section_sum: Decimal = Decimal(0)
    section_count: int = 0
    amount_total: Decimal = Decimal(0)

    @property
    def row_count(self):
        return len(self.rows) + self.invalid_rows

    def add_error(self, row, column, code, **params):
        "Count the error; keep it for display among the first ones"
        self.error_count += 1
        if len(self.errors) < limits.limit('max_errors'):
            if 'value' in params:
                params['value'] = shorten(params['value'])
            self.errors.append((row, column, code, params))


def normalize(text):
    "Return text without accents, case or repeated spaces, to compare"
    text = unicodedata.normalize('NFKD', str(text))
    text = ''.join(c for c in text if not unicodedata.combining(c))
    return ' '.join(text.casefold().split())


def detect_kind(data):
    "Return 'xlsx', 'xls' or 'csv' from the content of the file"
    if not data:
        raise FileError('empty')
    limits.check_size(data)
    if data.startswith(ZIP_MAGIC):
        limits.check_xlsx(data)
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
        if 'xl/workbook.xml' not in names:
            raise FileError('not_spreadsheet')
        return 'xlsx'
    if data.startswith(OLE2_MAGIC):
        if any(name in data for name in ENCRYPTION_STREAMS):
            raise FileError('encrypted')
        return 'xls'
    sample = data[:65536]
    if b'\x00' in sample:
        raise FileError('not_spreadsheet')
    controls = sum(1 for b in sample if b < 32 and b not in b'\t\r\n\x0c')
    if controls > len(sample) // 100:
        raise FileError('not_spreadsheet')
    return 'csv'


def decode_text(data):
    for encoding in ['utf-8-sig', 'cp1252']:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FileError('not_spreadsheet')


def _pick_sheet(names, wanted):
    "Return the index of the wanted sheet: empty is the first, N the Nth"
    wanted = (wanted or '').strip()
    if not wanted:
        return 0
    if wanted.isdigit() and 1 <= int(wanted) <= len(names):
        return int(wanted) - 1
    for index, name in enumerate(names):
        if normalize(name) == normalize(wanted):
            return index
    raise FileError(
        'sheet_not_found', sheet=shorten(wanted),
        sheets=shorten(', '.join(names)))


def _xlsx_formulas(data):
    """Tell whether a sheet of the workbook holds formulas, by scanning its
    XML without parsing it"""
    archive = zipfile.ZipFile(io.BytesIO(data))
    for name in archive.namelist():
        if not name.startswith('xl/worksheets/'):
            continue
        with archive.open(name) as sheet:
            tail = b''
            while chunk := sheet.read(1 << 20):
                block = tail + chunk
                if b'<f>' in block or b'<f ' in block:
                    return True
                tail = chunk[-4:]
    return False


def xlsx_rows(data, layout):
    "Yield the rows of the sheet as lists of values (FORMULA if no value)"
    book = limits.open_xlsx(data)
    index = _pick_sheet(book.sheetnames, layout.sheet)
    max_row = limits.last_row(max(layout.header_row or 1, 1))
    values = limits.xlsx_rows(book.worksheets[index], max_row)
    if not _xlsx_formulas(data):
        yield from values
        return
    # A formula saved by a program that does not compute it has no cached
    # value: read the formulas beside the values to tell it from a blank
    formula_book = limits.open_xlsx(data, data_only=False)
    formulas = limits.xlsx_rows(formula_book.worksheets[index], max_row)
    for row, formula_row in zip(values, formulas):
        yield [FORMULA if value is None and isinstance(formula, str)
            and formula.startswith('=') else value
            for value, formula in zip(row, formula_row)]


def xls_rows(data, layout):
    "Yield the rows of the sheet with dates as datetimes"
    book = limits.open_xls(data)
    index = _pick_sheet(book.sheet_names(), layout.sheet)
    yield from limits.xls_rows(
        book, index, limits.last_row(max(layout.header_row or 1, 1)))


def csv_rows(data, layout):
    text = decode_text(data)
    delimiter = layout.delimiter or ';'
    if delimiter in {'\\t', 'tab'}:
        delimiter = '\t'
    for row in limits.csv_rows(text, delimiter):
        yield [value if value.strip() else None for value in row]


READERS = {'xlsx': xlsx_rows, 'xls': xls_rows, 'csv': csv_rows}


def column_positions(header, layout):
    """Return {field: index} from the profile's columns: a letter (A, BC)
    or the text of the header cell"""
    names = {}
    for index, value in enumerate(header):
        if value is not None and value is not FORMULA:
            names.setdefault(normalize(_text(value)), index)
    positions = {}
    for name in FIELDS:
        spec = (layout.columns.get(name) or '').strip()
        if not spec:
            if name in REQUIRED:
                raise FileError('column_not_set', column=name)
            continue
        if normalize(spec) in names:
            positions[name] = names[normalize(spec)]
        elif LETTERS.match(spec):
            positions[name] = column_index_from_string(spec.upper()) - 1
        else:
            raise FileError(
                'column_not_found', column=name, name=shorten(spec),
                found=', '.join(
                    shorten(_text(v))
                    for v in header[:limits.limit('max_columns')]
                    if v is not None and v is not FORMULA))
    return positions


def _text(value):
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dt.datetime, dt.date)):
        return value.strftime('%d/%m/%Y')
    return str(value).strip()


def date_format_text(date_format):
    """Return the format as the French read it: jj/mm/aaaa; the code
    EXCEL_DATES for Excel dates"""
    if date_format == EXCEL_DATES:
        return EXCEL_DATES
    return (date_format.replace('%d', 'jj').replace('%m', 'mm')
        .replace('%Y', 'aaaa').replace('%y', 'aa'))


def to_date(value, layout):
    "Return the date of value, or raise ValueError"
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r'\d{4,7}(\.\d+)?', text):
            value = float(text)
        else:
            formats = [layout.date_format, '%Y-%m-%d']
            if layout.date_format == EXCEL_DATES:
                formats = ['%Y-%m-%d']
            for date_format in formats:
                try:
                    return dt.datetime.strptime(text, date_format).date()
                except ValueError:
                    continue
            raise ValueError
    if isinstance(value, (int, float)):
        if not SERIAL_MIN <= value <= SERIAL_MAX:
            raise ValueError
        return from_excel(value).date()
    raise ValueError


def to_amount(value, layout):
    "Return the Decimal of value, or raise ValueError"
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if value.is_integer():
            return Decimal(int(value))
        return Decimal(repr(value)).quantize(Decimal('0.01'))
    if isinstance(value, Decimal):
        return value
    if not isinstance(value, str):
        raise ValueError
    text = CURRENCY_WORDS.sub('', value)
    for space in [' ', '\u00a0', '\u202f', "'"]:
        text = text.replace(space, '')
    thousands = (layout.thousands_separator or '').strip()
    if thousands and thousands != layout.decimal_separator:
        text = text.replace(thousands, '')
    if layout.decimal_separator and layout.decimal_separator != '.':
        if '.' in text and layout.decimal_separator in text:
            raise ValueError
        text = text.replace(layout.decimal_separator, '.')
    try:
        amount = Decimal(text)
    except InvalidOperation as exception:
        raise ValueError from exception
    if not amount.is_finite():
        raise ValueError
    return amount


def check_row(number, values, positions, layout, parsed):
    "Append the row's parsed tuple, or its errors; skip blank rows"
    cells = {}
    for name, index in positions.items():
        value = values[index] if index < len(values) else None
        if isinstance(value, str) and not value.strip():
            value = None
        cells[name] = value
    if all(value is None for value in cells.values()):
        return
    errors_before = parsed.error_count
    result = [number]
    for name in FIELDS:
        value = cells.get(name)
        if value is FORMULA:
            parsed.add_error(number, name, 'formula')
            result.append(None)
            continue
        if isinstance(value, str) and value.strip() in EXCEL_ERRORS:
            parsed.add_error(number, name, 'cell_error', value=value.strip())
            result.append(None)
            continue
        if value is None:
            if name in REQUIRED:
                parsed.add_error(number, name, 'missing')
            result.append(None)
            continue
        if name == 'date':
            try:
                value = to_date(value, layout)
            except (ValueError, OverflowError):
                parsed.add_error(
                    number, name, 'bad_date', value=_text(value),
                    format=date_format_text(layout.date_format))
        elif name == 'amount':
            try:
                value = to_amount(value, layout)
            except ValueError:
                parsed.add_error(
                    number, name, 'bad_amount', value=_text(value))
        else:
            value = _text(value)[:200]
        result.append(value)
    if parsed.error_count > errors_before:
        parsed.invalid_rows += 1
    else:
        parsed.rows.append(tuple(result))
        amount = result[1 + FIELDS.index('amount')]
        parsed.section_sum += amount
        parsed.section_count += 1
        parsed.amount_total += amount


def total_label(values):
    "Return the text of the cell labelling values as a totals row, if any"
    for value in values:
        # the cheap test first: it runs on every cell of every row
        if (isinstance(value, str) and TOTAL_HINT.search(value)
                and TOTAL_LABEL.match(normalize(value))):
            return value.strip()
    return None


def check_total(number, values, positions, layout, parsed):
    """Tell whether the row is a totals row: labelled "Total",
    "Sous-total"..., or without reference and whose amount is the sum of
    the rows above. Record it and its check against the rows read."""
    def cell(name):
        index = positions.get(name)
        if index is None or index >= len(values):
            return None
        value = values[index]
        if isinstance(value, str) and not value.strip():
            return None
        return value
    label = total_label(values)
    if label is None and (
            parsed.section_count < 2 or cell('reference') is not None):
        return False
    value = cell('amount')
    try:
        amount = (to_amount(value, layout)
            if value is not None and value is not FORMULA else None)
    except ValueError:
        amount = None
    if label is None:
        # a row whose amount is the sum of at least two rows above
        if amount is None or amount not in {
                parsed.section_sum, parsed.amount_total}:
            return False
        label = ''
    subtotal = normalize(label).startswith(('sous', 'sub'))
    if (amount is not None and parsed.section_count
            and amount == parsed.section_sum):
        expected, count = parsed.section_sum, parsed.section_count
    elif not subtotal and (amount is None or amount == parsed.amount_total):
        expected, count = parsed.amount_total, len(parsed.rows)
    elif subtotal:
        expected, count = parsed.section_sum, parsed.section_count
    else:
        expected, count = parsed.amount_total, len(parsed.rows)
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
    kind = detect_kind(data)
    rows = []
    for number, values in enumerate(READERS[kind](data, layout), 1):
        cells = [(get_column_letter(index), shorten(_text(value)))
            for index, value in enumerate(values or [], 1)
            if value is not None and value is not FORMULA
            and _text(value)][:20]
        if cells:
            rows.append((number, cells))
        if len(rows) >= count or number >= 50:
            break
    return kind, rows


def parse(data, layout, limit=None):
    """Return the Parsed rows of data read with layout; limit stops after
    that many data rows (for a preview)"""
    kind = detect_kind(data)
    parsed = Parsed(kind=kind)
    header_row = max(layout.header_row or 1, 1)
    rows = limits.bounded(READERS[kind](data, layout), header_row)
    header = None
    for number, values in enumerate(rows, 1):
        if number < header_row:
            continue
        if number == header_row:
            header = list(values or [])
            if all(v is None or (isinstance(v, str) and not v.strip())
                    for v in header):
                raise FileError('no_header', row=header_row)
            positions = column_positions(header, layout)
            continue
        values = list(values or [])
        if not check_total(number, values, positions, layout, parsed):
            check_row(number, values, positions, layout, parsed)
        if limit and parsed.row_count >= limit:
            break
    if header is None:
        raise FileError('no_header', row=header_row)
    return parsed
