"""Import of agents and of a session's attendance list from Excel files.

Every row is checked first; all the errors are reported by row and column
and nothing is created unless the whole file is valid."""
import datetime as dt
import io
import unicodedata
from decimal import Decimal, InvalidOperation

import openpyxl
import xlrd

from service_network.phone import format_sn_phone, parse_sn_phone
from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.pool import Pool
from trytond.transaction import Transaction
from trytond.wizard import Button, StateTransition, StateView, Wizard

from .employee import LANGUAGES
from .exceptions import ImportFileError

XLS_MAGIC = b'\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1'
LANGUAGE_NAMES = {
    'francais': 'fr', 'french': 'fr',
    'wolof': 'wo',
    'pulaar': 'ff', 'peul': 'ff', 'fulani': 'ff',
    'serer': 'srr', 'serere': 'srr', 'sereer': 'srr',
    'diola': 'dyo', 'jola': 'dyo',
    'mandinka': 'mnk', 'mandingue': 'mnk',
    'soninke': 'snk',
    'anglais': 'en', 'english': 'en',
    'arabe': 'ar', 'arabic': 'ar',
    }
TRUE_VALUES = {'oui', 'o', 'yes', 'y', 'x', '1', 'true', 'vrai', 'present'}
FALSE_VALUES = {'non', 'n', 'no', '0', 'false', 'faux', 'absent', ''}


def normalize(text):
    "Lower-case text without accents nor surrounding spaces"
    text = unicodedata.normalize('NFKD', str(text or '').strip().lower())
    return ''.join(c for c in text if not unicodedata.combining(c))


def _xls_rows(data):
    book = xlrd.open_workbook(file_contents=data)
    sheet = book.sheet_by_index(0)
    for index in range(sheet.nrows):
        row = []
        for cell in sheet.row(index):
            value = cell.value
            if cell.ctype == xlrd.XL_CELL_DATE:
                value = xlrd.xldate_as_datetime(value, book.datemode)
            elif cell.ctype == xlrd.XL_CELL_EMPTY:
                value = None
            row.append(value)
        yield row


def _xlsx_rows(data):
    book = openpyxl.load_workbook(
        io.BytesIO(data), read_only=True, data_only=True)
    yield from book.worksheets[0].iter_rows(values_only=True)


def read_sheet(data, columns):
    """Return the rows of the first sheet of an .xlsx or .xls file as
    (row number, {column: (header, value)}) for the known columns.

    columns maps a column name to the normalized headers it accepts; the
    first row holds the headers."""
    data = bytes(data or b'')
    if data.startswith(b'PK'):
        rows = _xlsx_rows(data)
    elif data.startswith(XLS_MAGIC):
        rows = _xls_rows(data)
    else:
        raise ImportFileError(gettext('agent_hr.msg_import_format'))
    try:
        headers = next(rows)
    except StopIteration:
        headers = []
    positions = {}
    for position, header in enumerate(headers):
        for name, aliases in columns.items():
            if normalize(header) in aliases:
                positions[name] = (position, str(header).strip())
    result = []
    for number, row in enumerate(rows, start=2):
        if all(v is None or str(v).strip() == '' for v in row):
            continue
        values = {}
        for name, (position, header) in positions.items():
            value = row[position] if position < len(row) else None
            if isinstance(value, str):
                value = value.strip() or None
            values[name] = (header, value)
        result.append((number, values))
    return positions, result


class RowErrors:
    "The errors of an import, by row and column, raised all at once"

    def __init__(self):
        self.errors = []

    def add(self, row, column, message):
        self.errors.append(gettext('agent_hr.msg_import_row_error',
                row=row, column=column, error=message))

    def check_columns(self, positions, required, labels):
        for name in required:
            if name not in positions:
                self.errors.append(gettext(
                        'agent_hr.msg_import_missing_column',
                        column=labels[name]))
        self.raise_if_any()

    def raise_if_any(self):
        if self.errors:
            raise ImportFileError(gettext('agent_hr.msg_import_errors',
                    count=len(self.errors),
                    errors='\n'.join(self.errors)))


def to_text(value):
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip() if value is not None else None


def to_date(value):
    "Return value as a date, or raise ValueError"
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = to_text(value)
    for pattern in ['%d/%m/%Y', '%Y-%m-%d', '%d-%m-%Y', '%d/%m/%y']:
        try:
            return dt.datetime.strptime(text, pattern).date()
        except (TypeError, ValueError):
            continue
    raise ValueError(value)


class ImportStartMixin:
    __slots__ = ()
    file_ = fields.Binary("File", required=True, filename='filename',
        help="An Excel file (.xlsx or .xls) whose first row holds the "
        "column headers.")
    filename = fields.Char("File Name")


class ImportAgentsStart(ImportStartMixin, ModelView):
    "Import Agents"
    __name__ = 'agent.import.start'


AGENT_COLUMNS = {
    'matricule': {'matricule', 'staff number', 'numero matricule'},
    'name': {'nom', 'name', 'nom complet', 'prenom et nom', 'prenom nom'},
    'grade': {'grade'},
    'phone': {'telephone', 'phone', 'tel'},
    'hire_date': {"date d'embauche", 'hire date', 'date embauche'},
    'languages': {'langues', 'languages', 'langues parlees'},
    'site': {'site', 'code site'},
    }


class ImportAgents(Wizard):
    "Import Agents"
    __name__ = 'agent.import'
    start = StateView('agent.import.start',
        'agent_hr.import_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Import", 'import_', 'tryton-ok', default=True),
            ])
    import_ = StateTransition()

    def transition_import_(self):
        pool = Pool()
        Employee = pool.get('company.employee')
        Party = pool.get('party.party')
        Assignment = pool.get('agent.assignment')
        company = Transaction().context.get('company')
        if not company:
            raise ImportFileError(gettext('agent_hr.msg_import_company'))
        rows = self.check_rows()
        parties = Party.create([{'name': r['name']} for r in rows])
        employees = Employee.create([{
                    'party': party.id, 'company': company,
                    'matricule': r['matricule'], 'grade': r['grade'],
                    'phone': r['phone'], 'languages': r['languages'],
                    'hire_date': r['hire_date'],
                    'start_date': r['hire_date'],
                    } for party, r in zip(parties, rows)])
        Assignment.create([{
                    'employee': employee.id, 'site': r['site'],
                    'from_date': r['hire_date'] or dt.date.today(),
                    } for employee, r in zip(employees, rows) if r['site']])
        return 'end'

    def check_rows(self):
        "Return the values of every row, or raise all the errors"
        pool = Pool()
        Employee = pool.get('company.employee')
        Site = pool.get('network.site')
        errors = RowErrors()
        positions, rows = read_sheet(self.start.file_, AGENT_COLUMNS)
        labels = {'matricule': 'Matricule', 'name': 'Nom'}
        errors.check_columns(positions, ['matricule', 'name'], labels)
        sites = {s.code: s.id for s in Site.search([])}
        matricules = [to_text(v['matricule'][1]) for _, v in rows]
        existing = {e.matricule for e in Employee.search([
                    ('matricule', 'in', [
                            m.upper() for m in matricules if m])])}
        seen = set()
        result = []
        for number, values in rows:
            row = {'grade': None, 'phone': None, 'hire_date': None,
                'languages': [], 'site': None}
            header, matricule = values['matricule']
            matricule = (to_text(matricule) or '').upper()
            if not matricule:
                errors.add(number, header,
                    gettext('agent_hr.msg_import_required'))
            elif matricule in existing:
                errors.add(number, header, gettext(
                        'agent_hr.msg_import_matricule_exists',
                        matricule=matricule))
            elif matricule in seen:
                errors.add(number, header, gettext(
                        'agent_hr.msg_import_duplicate', value=matricule))
            seen.add(matricule)
            row['matricule'] = matricule
            header, name = values['name']
            if not name:
                errors.add(number, header,
                    gettext('agent_hr.msg_import_required'))
            row['name'] = to_text(name)
            if values.get('grade', (None, None))[1] is not None:
                row['grade'] = to_text(values['grade'][1])
            header, phone = values.get('phone', (None, None))
            if phone is not None:
                phone = to_text(phone)
                if parse_sn_phone(phone) is None:
                    errors.add(number, header, gettext(
                            'agent_hr.msg_import_phone', phone=phone))
                row['phone'] = format_sn_phone(phone)
            header, hire_date = values.get('hire_date', (None, None))
            if hire_date is not None:
                try:
                    row['hire_date'] = to_date(hire_date)
                except ValueError:
                    errors.add(number, header, gettext(
                            'agent_hr.msg_import_date', value=hire_date))
            header, languages = values.get('languages', (None, None))
            for language in filter(None, (normalize(v) for v in
                        str(languages or '').replace(';', ',')
                        .replace('/', ',').split(','))):
                if language in LANGUAGE_NAMES:
                    row['languages'].append(LANGUAGE_NAMES[language])
                else:
                    errors.add(number, header, gettext(
                            'agent_hr.msg_import_language',
                            value=language,
                            languages=', '.join(n for _, n in LANGUAGES)))
            header, site = values.get('site', (None, None))
            if site is not None:
                code = to_text(site).upper()
                if code not in sites:
                    errors.add(number, header, gettext(
                            'agent_hr.msg_import_site', value=site))
                row['site'] = sites.get(code)
            result.append(row)
        errors.raise_if_any()
        return result


class ImportAttendanceStart(ImportStartMixin, ModelView):
    "Import Attendance"
    __name__ = 'agent.training.attendance.import.start'
    session = fields.Many2One(
        'agent.training.session', "Session", required=True,
        domain=[('state', '=', 'confirmed')])

    @classmethod
    def default_session(cls):
        context = Transaction().context
        if context.get('active_model') == 'agent.training.session':
            return context.get('active_id')


ATTENDANCE_COLUMNS = {
    'matricule': {'matricule', 'staff number'},
    'date': {'date', 'jour', 'day'},
    'present': {'present', 'presence', 'presente'},
    'score': {'note', 'score', 'note /20', 'note sur 20'},
    }


class ImportAttendance(Wizard):
    "Import Attendance"
    __name__ = 'agent.training.attendance.import'
    start = StateView('agent.training.attendance.import.start',
        'agent_hr.attendance_import_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Import", 'import_', 'tryton-ok', default=True),
            ])
    import_ = StateTransition()

    def transition_import_(self):
        pool = Pool()
        Attendance = pool.get('agent.training.attendance')
        Enrolment = pool.get('agent.training.enrolment')
        presences, scores = self.check_rows()
        existing = {(a.enrolment, a.date): a for a in Attendance.search([
                    ('enrolment.session', '=', self.start.session.id)])}
        to_save = []
        for (enrolment, date), present in presences.items():
            attendance = existing.get((enrolment, date)) or Attendance(
                enrolment=enrolment, date=date)
            attendance.present = present
            to_save.append(attendance)
        Attendance.save(to_save)
        for enrolment, score in scores.items():
            enrolment.score = score
        Enrolment.save(list(scores))
        return 'end'

    def check_rows(self):
        """Return the presences by (enrolment, date) and the scores by
        enrolment, or raise all the errors"""
        session = self.start.session
        errors = RowErrors()
        positions, rows = read_sheet(self.start.file_, ATTENDANCE_COLUMNS)
        labels = {'matricule': 'Matricule', 'date': 'Date',
            'present': 'Présent'}
        errors.check_columns(
            positions, ['matricule', 'date', 'present'], labels)
        enrolments = {e.employee.matricule: e for e in session.enrolments
            if e.employee.matricule}
        presences, scores = {}, {}
        for number, values in rows:
            header, matricule = values['matricule']
            enrolment = enrolments.get((to_text(matricule) or '').upper())
            if enrolment is None:
                errors.add(number, header, gettext(
                        'agent_hr.msg_import_not_enrolled',
                        value=matricule, session=session.rec_name))
            header, date = values['date']
            try:
                date = to_date(date)
            except ValueError:
                errors.add(number, header, gettext(
                        'agent_hr.msg_import_date', value=date))
                date = None
            if date and not session.start_date <= date <= session.end_date:
                errors.add(number, header, gettext(
                        'agent_hr.msg_import_date_outside', value=date,
                        session=session.rec_name))
            if enrolment and date and (enrolment, date) in presences:
                errors.add(number, header, gettext(
                        'agent_hr.msg_import_duplicate',
                        value=f'{matricule} {date}'))
            header, present = values['present']
            if normalize(to_text(present)) not in TRUE_VALUES | FALSE_VALUES:
                errors.add(number, header, gettext(
                        'agent_hr.msg_import_boolean', value=present))
            elif enrolment and date:
                presences[enrolment, date] = (
                    normalize(to_text(present)) in TRUE_VALUES)
            header, score = values.get('score', (None, None))
            if score is not None:
                try:
                    score = Decimal(to_text(score).replace(',', '.'))
                    if not 0 <= score <= 20:
                        raise InvalidOperation
                except InvalidOperation:
                    errors.add(number, header, gettext(
                            'agent_hr.msg_import_score', value=score))
                else:
                    if enrolment:
                        scores[enrolment] = score
        errors.raise_if_any()
        return presences, scores
