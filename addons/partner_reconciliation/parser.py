"""Reading of partner statements: the kind of file from its content, the
rows of the profile's sheet, every cell checked.

Pure Python, no database: the errors are codes with parameters, turned into
French messages by the caller (see ``statement_import.error_text``). The
whole file is read before anything is stored.
"""
import csv
import datetime as dt
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import openpyxl
import xlrd
from openpyxl.utils.cell import column_index_from_string
from openpyxl.utils.datetime import from_excel

ZIP_MAGIC = b'PK\x03\x04'
OLE2_MAGIC = b'\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1'
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
CURRENCY_WORDS = re.compile(r'(?i)f\s*cfa|xof|fcfa')
# The errors kept for display; the count goes on
MAX_ERRORS = 1000


class _Formula:
    "A formula cell without computed value"


FORMULA = _Formula()


class FileError(Exception):
    "The file as a whole cannot be read: code and parameters"

    def __init__(self, code, **params):
        super().__init__(code, params)
        self.code = code
        self.params = params


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
class Parsed:
    "The rows read: tuples in the order of FIELDS after the row number"
    kind: str
    rows: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    error_count: int = 0
    invalid_rows: int = 0

    @property
    def row_count(self):
        return len(self.rows) + self.invalid_rows

    def add_error(self, row, column, code, **params):
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS:
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
    if data.startswith(ZIP_MAGIC):
        try:
            names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
        except zipfile.BadZipFile:
            raise FileError('corrupt')
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
        'sheet_not_found', sheet=wanted, sheets=', '.join(names))


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
    try:
        book = openpyxl.load_workbook(
            io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exception:
        raise FileError('corrupt', error=str(exception)) from exception
    index = _pick_sheet(book.sheetnames, layout.sheet)
    sheet = book.worksheets[index]
    values = sheet.iter_rows(values_only=True)
    if not _xlsx_formulas(data):
        yield from values
        return
    # A formula saved by a program that does not compute it has no cached
    # value: read the formulas beside the values to tell it from a blank
    formula_book = openpyxl.load_workbook(
        io.BytesIO(data), read_only=True, data_only=False)
    formulas = formula_book.worksheets[index].iter_rows(values_only=True)
    for row, formula_row in zip(values, formulas):
        yield [FORMULA if value is None and isinstance(formula, str)
            and formula.startswith('=') else value
            for value, formula in zip(row, formula_row)]


def xls_rows(data, layout):
    "Yield the rows of the sheet with dates as datetimes"
    try:
        book = xlrd.open_workbook(file_contents=data, on_demand=True)
    except xlrd.XLRDError as exception:
        if 'encrypted' in str(exception).lower():
            raise FileError('encrypted') from exception
        raise FileError('corrupt', error=str(exception)) from exception
    except Exception as exception:
        raise FileError('corrupt', error=str(exception)) from exception
    index = _pick_sheet(book.sheet_names(), layout.sheet)
    sheet = book.sheet_by_index(index)
    for number in range(sheet.nrows):
        row = []
        for cell in sheet.row(number):
            if cell.ctype == xlrd.XL_CELL_DATE:
                try:
                    row.append(xlrd.xldate_as_datetime(
                            cell.value, book.datemode))
                except (ValueError, OverflowError, xlrd.XLDateError):
                    row.append(cell.value)
            elif cell.ctype in {xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK}:
                row.append(None)
            elif cell.ctype == xlrd.XL_CELL_ERROR:
                row.append(xlrd.error_text_from_code.get(
                        cell.value, '#VALUE!'))
            else:
                row.append(cell.value)
        yield row


def csv_rows(data, layout):
    text = decode_text(data)
    delimiter = layout.delimiter or ';'
    if delimiter in {'\\t', 'tab'}:
        delimiter = '\t'
    for row in csv.reader(io.StringIO(text, newline=''),
            delimiter=delimiter):
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
                'column_not_found', column=name, name=spec,
                found=', '.join(
                    _text(v) for v in header
                    if v is not None and v is not FORMULA))
    return positions


def _text(value):
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dt.datetime, dt.date)):
        return value.strftime('%d/%m/%Y')
    return str(value).strip()


def date_format_text(date_format):
    "Return the format as the French read it: jj/mm/aaaa"
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
            for date_format in [layout.date_format, '%Y-%m-%d']:
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


def parse(data, layout, limit=None):
    """Return the Parsed rows of data read with layout; limit stops after
    that many data rows (for a preview)"""
    kind = detect_kind(data)
    parsed = Parsed(kind=kind)
    rows = READERS[kind](data, layout)
    header_row = max(layout.header_row or 1, 1)
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
        check_row(number, values, positions, layout, parsed)
        if limit and parsed.row_count >= limit:
            break
    if header is None:
        raise FileError('no_header', row=header_row)
    return parsed
