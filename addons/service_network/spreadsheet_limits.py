"""Bounds on the spreadsheets users upload, shared by every importer.

A spreadsheet is untrusted input: a 0.3 MB .xlsx can unzip to gigabytes,
a sheet can claim or hold millions of empty rows, and a cell can hold
megabytes that an error message would echo. Every importer reads its
files through the layer of ``spreadsheet``, which calls these
functions, so that the limits are written once:

- the size of the uploaded file,
- the size of an .xlsx once unzipped (checked before it is opened),
- the rows read after the header (whatever the sheet's dimension claims),
- the columns kept in a row,
- the length of a value echoed in a message and the number of messages.

The limits are read from the trytond configuration, section
``[ess_import]``, with the defaults of ``DEFAULTS``.

Pure Python, no database: refusals are ``SpreadsheetError`` codes with
parameters, turned into French messages by each importer, and the raw
messages of calamine, openpyxl, xlrd and csv never reach users.
"""
import csv
import datetime as dt
import io
import math
import zipfile

import openpyxl
import xlrd

from trytond import config

SECTION = 'ess_import'
MB = 1024 * 1024
DEFAULTS = {
    'max_file_size': 10 * MB,
    'max_unpacked_size': 100 * MB,
    'max_rows': 200_000,
    'max_columns': 256,
    'max_value_length': 60,
    'max_errors': 200,
    }
ZIP_MAGIC = b'PK\x03\x04'
OLE2_MAGIC = b'\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1'


class SpreadsheetError(Exception):
    """The file as a whole is refused: code and parameters

    too_large (size, limit in MB), unpacked_too_large (size, limit in
    MB), too_many_rows (limit), not_spreadsheet, corrupt, encrypted,
    csv_malformed (line)
    """

    def __init__(self, code, **params):
        super().__init__(code, params)
        self.code = code
        self.params = params


def limit(name):
    "The value of the limit name from the configuration"
    return config.getint(SECTION, name, default=DEFAULTS[name])


def _megabytes(size):
    return math.ceil(size / MB)


def check_size(data):
    "Refuse data larger than the upload limit"
    maximum = limit('max_file_size')
    if len(data) > maximum:
        raise SpreadsheetError(
            'too_large', size=_megabytes(len(data)),
            limit=_megabytes(maximum))


def check_xlsx(data):
    """Refuse an .xlsx that is not a zip or whose members unzip to more
    than the limit: zipfile never inflates a member past the size its
    directory declares, so the sum of the declared sizes bounds what
    openpyxl can read"""
    check_size(data)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError,
            EOFError) as exception:
        raise SpreadsheetError('corrupt') from exception
    maximum = limit('max_unpacked_size')
    if unpacked > maximum:
        raise SpreadsheetError(
            'unpacked_too_large', size=_megabytes(unpacked),
            limit=_megabytes(maximum))


def open_xlsx(data, data_only=True):
    "Return the read-only workbook of data once it passed the checks"
    check_xlsx(data)
    try:
        return openpyxl.load_workbook(
            io.BytesIO(data), read_only=True, data_only=data_only)
    except Exception as exception:
        # openpyxl raises anything from KeyError to XML errors
        raise SpreadsheetError('corrupt') from exception


def xlsx_rows(sheet, max_row):
    """Yield the values of the rows of a read-only sheet up to max_row,
    then one more if the sheet goes further (see bounded)

    The dimension the file declares is ignored: a sheet claiming a million
    rows would otherwise be padded with them, and one with a single cell
    at row 10,000,000 is read only up to the limit."""
    sheet.reset_dimensions()
    max_columns = limit('max_columns')
    try:
        for row in sheet.iter_rows(max_row=max_row + 1, values_only=True):
            yield row[:max_columns] if len(row) > max_columns else row
    except zipfile.BadZipFile as exception:
        # a member longer than its directory says fails its CRC
        raise SpreadsheetError('corrupt') from exception
    except Exception as exception:
        raise SpreadsheetError('corrupt') from exception


def open_xls(data):
    "Return the xlrd book of data, its sheets loaded on demand"
    check_size(data)
    try:
        # ragged rows: a cell far down and right does not pad every row
        return xlrd.open_workbook(
            file_contents=data, on_demand=True, ragged_rows=True)
    except xlrd.XLRDError as exception:
        if 'encrypted' in str(exception).lower():
            raise SpreadsheetError('encrypted') from exception
        raise SpreadsheetError('corrupt') from exception
    except Exception as exception:
        raise SpreadsheetError('corrupt') from exception


def _xls_value(cell, datemode):
    if cell.ctype == xlrd.XL_CELL_DATE:
        try:
            return xlrd.xldate_as_datetime(cell.value, datemode)
        except (ValueError, OverflowError, xlrd.XLDateError):
            return cell.value
    if cell.ctype in {xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK}:
        return None
    if cell.ctype == xlrd.XL_CELL_ERROR:
        return xlrd.error_text_from_code.get(cell.value, '#VALUE!')
    return cell.value


def xls_rows(book, index, max_row):
    """Yield the values of the rows of the index-th sheet of book up to
    max_row, then one more if the sheet goes further, with dates as
    datetimes, blanks as None and error cells as their text (#N/A)"""
    max_columns = limit('max_columns')
    try:
        sheet = book.sheet_by_index(index)
    except Exception as exception:
        raise SpreadsheetError('corrupt') from exception
    for number in range(min(sheet.nrows, max_row + 1)):
        yield [_xls_value(cell, book.datemode)
            for cell in sheet.row_slice(number, 0, max_columns)]


def last_row(header_row=1):
    "The last row read of a sheet whose header is on header_row"
    return header_row + limit('max_rows')


def bounded(rows, header_row=1):
    """Yield the rows up to the last row read; refuse the file if it goes
    further, blank rows or not: the readers stop one row past the limit,
    so millions of empty rows are never walked, and no row is dropped
    unseen"""
    last = last_row(header_row)
    for number, row in enumerate(rows, 1):
        if number > last:
            raise SpreadsheetError('too_many_rows', limit=limit('max_rows'))
        yield row


def csv_rows(text, delimiter):
    "Yield the rows of the CSV text, a csv.Error refused with its line"
    reader = csv.reader(io.StringIO(text, newline=''), delimiter=delimiter)
    try:
        yield from reader
    except csv.Error as exception:
        raise SpreadsheetError(
            'csv_malformed', line=reader.line_num) from exception


def shorten(value):
    "Return the text of value cut to the length echoed in messages"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, (dt.datetime, dt.date)):
        value = value.strftime('%d/%m/%Y')
    text = '' if value is None else str(value)
    maximum = limit('max_value_length')
    if len(text) > maximum:
        text = text[:maximum - 1] + '…'
    return text


def first_errors(errors):
    "Return the errors kept for display and how many more there are"
    maximum = limit('max_errors')
    return list(errors[:maximum]), max(len(errors) - maximum, 0)
