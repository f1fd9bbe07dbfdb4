"""The reading of the spreadsheets users upload, shared by every importer.

An importer hands the bytes of the file to ``read_rows``, which tells the
kind of file from its content (.xlsx, .xls or, if allowed, .csv with its
encoding), refuses it within the bounds of ``spreadsheet_limits`` and
yields its rows. The helpers then find the columns by header (French
aliases compared without case, accents or punctuation) or by letter, read
dates and amounts the French way (jj/mm/aaaa, "1 234 567,50 FCFA", Excel
serial dates), recognise totals rows, and ``RowErrors`` collects the
errors of the rows, each naming its row, column and value.

Pure Python, no database: refusals of the whole file are
``SpreadsheetError`` codes with parameters, and the messages are written by
each importer with its own ``ir.message``.
"""
import contextlib
import datetime as dt
import functools
import io
import re
import unicodedata
import zipfile
from decimal import Decimal, InvalidOperation

from openpyxl.utils.cell import column_index_from_string
from openpyxl.utils.datetime import from_excel
from python_calamine import CalamineWorkbook

from . import spreadsheet_limits as limits
from .spreadsheet_limits import (
    OLE2_MAGIC,
    ZIP_MAGIC,
    SpreadsheetError,
    shorten,
)

__all__ = [
    'EXCEL_DATES', 'EXCEL_ERRORS', 'FORMULA', 'FRENCH_DATES',
    'SpreadsheetError', 'RowErrors', 'column_index', 'detect_kind',
    'header_key', 'is_blank', 'map_headers', 'normalize', 'read_rows',
    'shorten', 'text', 'to_amount', 'to_date', 'total_label']

# An encrypted .xlsx is an OLE2 compound file holding these streams
ENCRYPTION_STREAMS = [
    'EncryptionInfo'.encode('utf-16-le'),
    'EncryptedPackage'.encode('utf-16-le')]
KINDS = ('xlsx', 'xls', 'csv')
# Column letters; two at most, or a three-letter header reads as one
LETTERS = re.compile(r'^[A-Za-z]{1,2}$')
# Excel's serial numbers of 1900-01-01 and 9999-12-31
SERIAL_MIN, SERIAL_MAX = 1, 2958465
SERIAL_TEXT = re.compile(r'\d{4,7}(\.\d+)?')
EXCEL_ERRORS = {
    '#NULL!', '#DIV/0!', '#VALUE!', '#REF!', '#NAME?', '#NUM!', '#N/A'}
# The date formats read when the importer sets none, the French first
FRENCH_DATES = ('%d/%m/%Y', '%Y-%m-%d', '%d-%m-%Y', '%d/%m/%y')
# The date format of files whose dates are all Excel dates: date cells or
# serial numbers, no text date but yyyy-mm-dd
EXCEL_DATES = 'excel'
CURRENCY_WORDS = re.compile(r'(?i)f\s*cfa|xof|fcfa')
SPACES = [' ', '\u00a0', '\u202f', "'"]
# The label of a totals row, compared without accents or case; the hint
# is a cheap test first, as it runs on every cell
TOTAL_HINT = re.compile(r'(?i)tot')
TOTAL_LABEL = re.compile(
    r'^(sous[\s-]?totale?s?|sub-?totals?|totale?s?|totaux|montant total'
    r'|grand total)(\s*:|\s|$)')


class _Formula:
    "A formula cell without computed value"


FORMULA = _Formula()


# Texts

def normalize(value):
    "Return value without accents, case or repeated spaces, to compare"
    value = str(value or '')
    if value.isascii():
        # nothing to decompose
        return ' '.join(value.casefold().split())
    value = unicodedata.normalize('NFKD', value)
    value = ''.join(c for c in value if not unicodedata.combining(c))
    return ' '.join(value.casefold().split())


def header_key(value):
    """Return value normalized without punctuation either, to compare
    headers and codes: 'N° de série' → 'n de serie'"""
    return ' '.join(re.sub(r'[\W_]+', ' ', normalize(value)).split())


def text(value):
    """Return the text of a cell: '' for blanks, 12 for 12.0, dates as
    jj/mm/aaaa"""
    if value is None or value is FORMULA:
        return ''
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dt.datetime, dt.date)):
        return value.strftime('%d/%m/%Y')
    return str(value).strip()


def is_blank(value):
    return value is None or (isinstance(value, str) and not value.strip())


# Files

def detect_kind(data, kinds=KINDS):
    """Return 'xlsx', 'xls' or 'csv' from the content of the file, or
    refuse it; kinds are those the importer accepts"""
    if not data:
        raise SpreadsheetError('empty')
    limits.check_size(data)
    if data.startswith(ZIP_MAGIC):
        limits.check_xlsx(data)
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
        if 'xl/workbook.xml' not in names:
            raise SpreadsheetError('not_spreadsheet')
        return 'xlsx'
    if data.startswith(OLE2_MAGIC):
        if any(name in data for name in ENCRYPTION_STREAMS):
            raise SpreadsheetError('encrypted')
        return 'xls'
    if 'csv' not in kinds or not _looks_like_text(data[:65536]):
        raise SpreadsheetError('not_spreadsheet')
    return 'csv'


def _looks_like_text(sample):
    if b'\x00' in sample:
        return False
    controls = sum(1 for b in sample if b < 32 and b not in b'\t\r\n\x0c')
    return controls <= len(sample) // 100


def decode_text(data):
    "Return the text of a CSV file in UTF-8 (with or without BOM) or cp1252"
    for encoding in ['utf-8-sig', 'cp1252']:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise SpreadsheetError('not_spreadsheet')


def pick_sheet(names, wanted):
    "Return the index of the wanted sheet: empty is the first, N the Nth"
    wanted = (wanted or '').strip()
    if not wanted:
        return 0
    if wanted.isdigit() and 1 <= int(wanted) <= len(names):
        return int(wanted) - 1
    for index, name in enumerate(names):
        if normalize(name) == normalize(wanted):
            return index
    raise SpreadsheetError(
        'sheet_not_found', sheet=shorten(wanted),
        sheets=shorten(', '.join(names)))


def _any_sheet(data, test):
    """Tell whether test(sheet) holds for a worksheet of the .xlsx, each
    read as a file of XML without parsing it; a damaged archive is refused
    as a corrupt file (a member longer than its directory says fails its
    CRC)"""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for name in archive.namelist():
                if (name.startswith('xl/worksheets/')
                        and name.endswith('.xml')):
                    with archive.open(name) as sheet:
                        if test(sheet):
                            return True
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError,
            OSError, NotImplementedError) as exception:
        raise SpreadsheetError('corrupt') from exception
    return False


def _xlsx_formulas(data):
    "Tell whether a sheet of the workbook holds formulas"
    return _any_sheet(data, _holds_formula)


def _holds_formula(sheet):
    tail = b''
    while chunk := sheet.read(1 << 20):
        block = tail + chunk
        if b'<f>' in block or b'<f ' in block:
            return True
        tail = chunk[-4:]
    return False


# The references of cells far down (7 digits) or right (3 letters), then
# the row and column of every cell, the reference of a cell, and one of
# two letters or more
FAR_CELL = re.compile(rb'<c r="(?:[A-Z]{3}\d|[A-Z]{1,2}\d{7})')
CELL_ROW = re.compile(rb'<c r="[A-Z]{1,2}(\d+)"')
CELL_COLUMN = re.compile(rb'<c r="([A-Z]{1,2})\d')
CELL_REFERENCE = re.compile(rb'<c r="[A-Z]{1,2}(\d{1,6})"')
WIDE_CELL = re.compile(rb'<c r="[A-Z]{2}')
# The most cells a sheet read by calamine may span: it holds the whole
# rectangle from the first cell to the last in memory
CALAMINE_CELLS = 4_000_000


def _plain_sheets(data, max_row):
    """Tell whether every sheet of the .xlsx is plain enough for calamine:
    every cell has its reference first, none lies past max_row or the
    column limit nor makes the rectangle of cells larger than
    CALAMINE_CELLS, and there is neither formula nor error cell (whose
    text calamine does not give). Otherwise openpyxl streams the sheet
    within the limits."""
    return not _any_sheet(
        data, lambda sheet: not _plain_sheet(sheet, max_row))


def _last_row(block, rows):
    """Return the largest row number of the cells of block and rows (the
    largest before it), None if a cell lies far down or right. The row of
    the block's last cell is taken, then one search tells that no cell
    goes further, so that the numbers are not all read; cells out of order
    have them all read."""
    start = block.rfind(b'<c r="')
    last = CELL_REFERENCE.match(block, start) if start >= 0 else None
    if last:
        rows = max(rows, int(last.group(1)))
    if not _beyond(rows).search(block):
        return rows
    if FAR_CELL.search(block):
        return None
    return max(rows, max(map(int, CELL_ROW.findall(block)), default=0))


@functools.lru_cache(maxsize=64)
def _beyond(row):
    """Return the regular expression of the references of the cells past
    row, or of seven digits (far down)"""
    digits = str(row)
    size = len(digits)
    # the numbers of more digits, then those of as many and larger, digit
    # after digit
    greater = [r'\d{7}']
    if size < 6:
        greater.append(r'\d{%d,6}"' % (size + 1))
    for index, digit in enumerate(digits):
        if digit != '9':
            rest = size - index - 1
            greater.append(f'{digits[:index]}[{int(digit) + 1}-9]'
                + (r'\d{%d}' % rest if rest else '') + '"')
    return re.compile(
        rb'<c r="[A-Z]{1,2}(?:' + '|'.join(greater).encode() + rb')')


def _last_column(block):
    "Return the largest column index of the cells of block, 0 if none"
    return max((column_index_from_string(c.decode())
            for c in set(CELL_COLUMN.findall(block))), default=0)


def _plain_sheet(sheet, max_row):
    """Tell whether the worksheet (a file of XML) is plain; it is read by
    blocks of 1 MB with a few passes of C code on each (counts and regular
    expressions), never cell by cell in Python"""
    rows = 0
    columns = None
    tail = b''
    while chunk := sheet.read(1 << 20):
        block = tail + chunk
        cut = block.rfind(b'>') + 1
        block, tail = block[:cut], block[cut:]
        cells = block.count(b'<c ') + block.count(b'<c>')
        if (cells != block.count(b'<c r="') or b'<f' in block
                or b't="e"' in block):
            return False
        rows = _last_row(block, rows)
        if rows is None:
            return False
        if WIDE_CELL.search(block):
            if FAR_CELL.search(block):
                return False
            columns = max(columns or 0, _last_column(block))
    if rows > max_row:
        return False
    if columns is None:
        # every column is a single letter, Z at most: the last one is
        # only looked for when that bound is not enough
        if (rows * 26 <= CALAMINE_CELLS
                and 26 <= limits.limit('max_columns')):
            return True
        columns = 0
        sheet.seek(0)
        tail = b''
        while chunk := sheet.read(1 << 20):
            block = tail + chunk
            cut = block.rfind(b'>') + 1
            block, tail = block[:cut], block[cut:]
            columns = max(columns, _last_column(block))
    if columns > limits.limit('max_columns'):
        return False
    return rows * columns <= CALAMINE_CELLS


def _calamine_rows(data, sheet, max_row):
    """Yield the rows of the sheet read by calamine, blanks as None, up to
    max_row then one more if the sheet goes further"""
    with _calamine_errors():
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    try:
        index = pick_sheet(book.sheet_names, sheet)
        with _calamine_errors():
            rows = iter(book.get_sheet_by_index(index).iter_rows())
        for _number in range(1, max_row + 2):
            try:
                row = next(rows, None)
            except (KeyboardInterrupt, SystemExit, GeneratorExit):
                raise
            except BaseException as exception:
                # what calamine raises, a Rust panic included
                raise SpreadsheetError('corrupt') from exception
            if row is None:
                break
            if '' in row:
                # the cells calamine holds blank are ''
                row = [None if value == '' else value for value in row]
            yield row
    finally:
        book.close()


@contextlib.contextmanager
def _calamine_errors():
    """Turn what calamine raises, a Rust panic included (a BaseException),
    into the refusal of a corrupt file"""
    try:
        yield
    except (KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except BaseException as exception:
        raise SpreadsheetError('corrupt') from exception


def _xlsx_rows(data, sheet, max_row, formulas):
    if _plain_sheets(data, max_row):
        yield from _calamine_rows(data, sheet, max_row)
    else:
        yield from _openpyxl_rows(data, sheet, max_row, formulas)


def _openpyxl_rows(data, sheet, max_row, formulas):
    "Yield the rows of the sheet as lists of values (FORMULA if no value)"
    book = limits.open_xlsx(data)
    try:
        index = pick_sheet(book.sheetnames, sheet)
        values = limits.xlsx_rows(book.worksheets[index], max_row)
        if not formulas or not _xlsx_formulas(data):
            yield from values
            return
        # A formula saved by a program that does not compute it has no
        # cached value: read the formulas beside the values to tell it
        # from a blank
        formula_book = limits.open_xlsx(data, data_only=False)
        try:
            rows = limits.xlsx_rows(formula_book.worksheets[index], max_row)
            for row, formula_row in zip(values, rows, strict=False):
                yield [FORMULA if value is None and isinstance(formula, str)
                    and formula.startswith('=') else value
                    for value, formula in zip(row, formula_row, strict=False)]
        finally:
            formula_book.close()
    finally:
        book.close()


def _xls_rows(data, sheet, max_row, formulas):
    "Yield the rows of the sheet with dates as datetimes"
    book = limits.open_xls(data)
    try:
        index = pick_sheet(book.sheet_names(), sheet)
        yield from limits.xls_rows(book, index, max_row)
    finally:
        book.release_resources()


def _csv_rows(data, delimiter):
    "Yield the rows of the CSV file, blank values as None"
    delimiter = delimiter or ';'
    if delimiter in {'\\t', 'tab'}:
        delimiter = '\t'
    for row in limits.csv_rows(decode_text(data), delimiter):
        yield [value if value.strip() else None for value in row]


def read_rows(data, sheet='', header_row=1, delimiter=';', kinds=KINDS,
        formulas=False):
    """Return the kind of the file and an iterator on its rows (lists of
    values), refused past the row limit after header_row

    sheet is the name or number of the sheet, the first if empty;
    delimiter is the CSV's; formulas tells uncomputed formulas (FORMULA)
    from blanks in an .xlsx."""
    data = bytes(data or b'')
    kind = detect_kind(data, kinds)
    header_row = max(header_row or 1, 1)
    if kind == 'csv':
        rows = _csv_rows(data, delimiter)
    else:
        reader = _xlsx_rows if kind == 'xlsx' else _xls_rows
        rows = reader(data, sheet, limits.last_row(header_row), formulas)
    return kind, limits.bounded(rows, header_row)


# Columns

def map_headers(header, aliases):
    """Return {name: (index, header text)} of the columns of header whose
    key is one of the aliases of name (written as header_key gives them);
    the first matching column wins"""
    positions = {}
    for index, title in enumerate(header):
        key = header_key(text(title))
        for name, keys in aliases.items():
            if key in keys and name not in positions:
                positions[name] = (index, shorten(text(title)))
    return positions


def header_keys(header):
    "Return {header key: index} of the headers of a row, the first kept"
    keys = {}
    for index, value in enumerate(header):
        if not is_blank(value) and value is not FORMULA:
            keys.setdefault(header_key(text(value)), index)
    return keys


def column_index(spec, keys):
    """Return the index of the column spec names: the text of its header
    (keys of header_keys) or its letter (A, BC); None if neither"""
    spec = (spec or '').strip()
    if header_key(spec) in keys:
        return keys[header_key(spec)]
    if LETTERS.match(spec):
        return column_index_from_string(spec.upper()) - 1
    return None


def cell(values, index):
    "Return the value at index of a row, None if blank or missing"
    if index is None or index >= len(values):
        return None
    value = values[index]
    return None if is_blank(value) else value


# Values

def to_date(value, formats=FRENCH_DATES, serials=False):
    """Return the date of value, or raise ValueError; serials reads numbers
    (and texts of 4 to 7 digits) as Excel serial dates"""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if value is None or isinstance(value, bool):
        raise ValueError(value)
    if serials and (isinstance(value, (int, float))
            or SERIAL_TEXT.fullmatch(str(value).strip())):
        return _serial_date(float(value))
    for date_format in formats:
        try:
            return dt.datetime.strptime(text(value), date_format).date()
        except ValueError:
            continue
    raise ValueError(value)


def _serial_date(serial):
    if not SERIAL_MIN <= serial <= SERIAL_MAX:
        raise ValueError(serial)
    try:
        return from_excel(serial).date()
    except OverflowError as exception:
        raise ValueError(serial) from exception


def to_amount(value, decimal=',', thousands=' '):
    """Return the Decimal of value, or raise ValueError: numbers as they
    are (floats to the cent), texts the French way: '1 234 567,50 FCFA'"""
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if value.is_integer():
            return Decimal(int(value))
        return Decimal(repr(value)).quantize(Decimal('0.01'))
    if isinstance(value, Decimal):
        return value
    if not isinstance(value, str):
        raise ValueError(value)
    return _text_amount(value, decimal, thousands)


def _text_amount(value, decimal, thousands):
    amount = CURRENCY_WORDS.sub('', value)
    for space in SPACES:
        amount = amount.replace(space, '')
    thousands = (thousands or '').strip()
    if thousands and thousands != decimal:
        amount = amount.replace(thousands, '')
    if decimal and decimal != '.':
        if '.' in amount and decimal in amount:
            raise ValueError(value)
        amount = amount.replace(decimal, '.')
    try:
        amount = Decimal(amount)
    except InvalidOperation as exception:
        raise ValueError(value) from exception
    if not amount.is_finite():
        raise ValueError(value)
    return amount


def total_label(values):
    "Return the text of the cell labelling values as a totals row, if any"
    for value in values:
        # the cheap test first: it runs on every cell of every row
        if (isinstance(value, str) and TOTAL_HINT.search(value)
                and TOTAL_LABEL.match(normalize(value))):
            return value.strip()
    return None


# Errors

class RowErrors:
    """The errors of the rows of a file: every one counted, the first
    max_errors kept as (row, column, code, params), the value of params
    cut to the length echoed in messages"""

    def __init__(self):
        self.kept = []
        self.count = 0

    def add(self, row, column, code, **params):
        self.count += 1
        if len(self.kept) < limits.limit('max_errors'):
            if 'value' in params:
                params['value'] = shorten(params['value'])
            self.kept.append((row, column, code, params))

    @property
    def more(self):
        "The number of errors counted but not kept"
        return self.count - len(self.kept)

    def __bool__(self):
        return bool(self.count)
