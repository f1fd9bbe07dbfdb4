"""Import of agents and of a session's attendance list from Excel files.

Every row is checked first; all the errors are reported by row and column
and nothing is created unless the whole file is valid. Files are read
by service_network's spreadsheet layer, within its limits, and only HR and
network administrators may import: wizards run without access rights, so
they check the user's groups themselves."""
from decimal import Decimal, InvalidOperation

from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.pool import Pool
from trytond.pyson import PYSONEncoder
from trytond.transaction import Transaction
from trytond.wizard import (
    Button,
    StateAction,
    StateTransition,
    StateView,
    Wizard,
)

from service_network import spreadsheet
from service_network.phone import format_sn_phone, parse_sn_phone
from service_network.spreadsheet import SpreadsheetError, shorten

from .employee import LANGUAGES
from .exceptions import ImportFileError
from .protection import check_hr_user

# The message of each refusal of the spreadsheet layer
FILE_MESSAGES = {
    'empty': 'agent_hr.msg_import_format',
    'too_large': 'agent_hr.msg_import_too_large',
    'unpacked_too_large': 'agent_hr.msg_import_unpacked_too_large',
    'too_many_rows': 'agent_hr.msg_import_too_many_rows',
    'not_spreadsheet': 'agent_hr.msg_import_format',
    'corrupt': 'agent_hr.msg_import_corrupt',
    'encrypted': 'agent_hr.msg_import_encrypted',
    }
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
normalize = spreadsheet.normalize


def read_sheet(data, columns):
    """Return the positions of the known columns and the rows of the first
    sheet of an .xlsx or .xls file as (row number, {column: (header,
    value)}).

    columns maps a column name to the headers it accepts, compared as
    spreadsheet.header_key gives them; the first row holds the headers."""
    try:
        return _read_sheet(data, columns)
    except SpreadsheetError as error:
        raise ImportFileError(
            gettext(FILE_MESSAGES[error.code], **error.params)) from None


def _read_sheet(data, columns):
    _, rows = spreadsheet.read_rows(data, kinds={'xlsx', 'xls'})
    aliases = {name: {spreadsheet.header_key(a) for a in names}
        for name, names in columns.items()}
    positions = spreadsheet.map_headers(next(rows, None) or [], aliases)
    result = []
    for number, row in enumerate(rows, start=2):
        if all(spreadsheet.is_blank(v) for v in row):
            continue
        values = {}
        for name, (position, header) in positions.items():
            value = spreadsheet.cell(row, position)
            if isinstance(value, str):
                value = value.strip()
            values[name] = (header, value)
        result.append((number, values))
    return positions, result


class RowErrors(spreadsheet.RowErrors):
    """The errors of an import, by row and column, raised all at once;
    the first ones are kept, the others counted"""

    def add(self, row, column, message):
        super().add(row, column, message)

    @property
    def errors(self):
        return [gettext('agent_hr.msg_import_row_error',
                row=row, column=column, error=message)
            for row, column, message, _ in self.kept]

    def check_columns(self, positions, required, labels):
        missing = [gettext('agent_hr.msg_import_missing_column',
                column=labels[name])
            for name in required if name not in positions]
        if missing:
            raise ImportFileError(gettext('agent_hr.msg_import_errors',
                    count=len(missing), errors='\n'.join(missing)))

    def raise_if_any(self):
        if self.count:
            errors = self.errors
            if self.more:
                errors.append(gettext('agent_hr.msg_import_more_errors',
                        count=self.more))
            raise ImportFileError(gettext('agent_hr.msg_import_errors',
                    count=self.count, errors='\n'.join(errors)))


def to_text(value):
    return spreadsheet.text(value) if value is not None else None


def to_date(value):
    "Return value as a date, or raise ValueError"
    return spreadsheet.to_date(value)


class ImportStartMixin:
    __slots__ = ()
    file_ = fields.Binary("File", required=True, filename='filename',
        help="An Excel file (.xlsx or .xls) whose first row holds the "
        "column headers.")
    filename = fields.Char("File Name")


class ImportAgentsStart(ImportStartMixin, ModelView):
    "Import Agents"
    __name__ = 'agent.import.start'


class ImportAgentsDone(ModelView):
    "Agents Imported"
    __name__ = 'agent.import.done'
    agents = fields.Integer("Agents Created", readonly=True)
    assignments = fields.Integer("Assignments Created", readonly=True)
    upcoming = fields.Integer(
        "Starting Later", readonly=True,
        help="The agents whose start date is after today: they are listed "
        "under \"Upcoming\" in the agents list.")
    employees = fields.Many2Many(
        'company.employee', None, None, "Imported Agents", readonly=True,
        context={'active_test': False})


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
    done = StateView('agent.import.done',
        'agent_hr.import_done_view_form', [
            Button("Close", 'end', 'tryton-close'),
            Button("Open the Imported Agents", 'open_', 'tryton-forward',
                default=True),
            ])
    open_ = StateAction('agent_hr.act_employee_form')

    def transition_import_(self):
        check_hr_user(self)
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
                    } for party, r in zip(parties, rows, strict=True)])
        today = pool.get('ir.date').today()
        assignments = Assignment.create([{
                    'employee': employee.id, 'site': r['site'],
                    'from_date': r['hire_date'] or today,
                    } for employee, r in zip(employees, rows, strict=True)
                if r['site']])
        self.done.agents = len(employees)
        self.done.assignments = len(assignments)
        self.done.upcoming = len([e for e in employees
                if e.start_date and e.start_date > today])
        self.done.employees = employees
        return 'done'

    def default_done(self, fields):
        return {
            'agents': self.done.agents,
            'assignments': self.done.assignments,
            'upcoming': self.done.upcoming,
            'employees': [e.id for e in self.done.employees],
            }

    def do_open_(self, action):
        check_hr_user(self)
        ids = [e.id for e in self.done.employees]
        action['name'] = gettext(
            'agent_hr.msg_import_open_name', count=len(ids))
        action['pyson_domain'] = PYSONEncoder().encode([('id', 'in', ids)])
        # The agents starting later are not active yet
        action['pyson_context'] = PYSONEncoder().encode(
            {'active_test': False})
        action['domains'] = []
        return action, {}

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
                        matricule=shorten(matricule)))
            elif matricule in seen:
                errors.add(number, header, gettext(
                        'agent_hr.msg_import_duplicate',
                        value=shorten(matricule)))
            seen.add(matricule)
            row['matricule'] = matricule
            header, name = values['name']
            if not name:
                errors.add(number, header,
                    gettext('agent_hr.msg_import_required'))
            row['name'] = to_text(name)
            if values.get('grade', (None, None))[1] is not None:
                row['grade'] = to_text(values['grade'][1])
            self.check_optional(number, values, row, errors, sites)
            result.append(row)
        errors.raise_if_any()
        return result

    @staticmethod
    def check_optional(number, values, row, errors, sites):
        "Fill row with the phone, hire date, languages and site of values"
        header, phone = values.get('phone', (None, None))
        if phone is not None:
            phone = to_text(phone)
            if parse_sn_phone(phone) is None:
                errors.add(number, header, gettext(
                        'agent_hr.msg_import_phone', phone=shorten(phone)))
            row['phone'] = format_sn_phone(phone)
        header, hire_date = values.get('hire_date', (None, None))
        if hire_date is not None:
            try:
                row['hire_date'] = to_date(hire_date)
            except ValueError:
                errors.add(number, header, gettext(
                        'agent_hr.msg_import_date', value=shorten(hire_date)))
        header, languages = values.get('languages', (None, None))
        for language in filter(None, (normalize(v) for v in
                    str(languages or '').replace(';', ',')
                    .replace('/', ',').split(','))):
            if language in LANGUAGE_NAMES:
                row['languages'].append(LANGUAGE_NAMES[language])
            else:
                errors.add(number, header, gettext(
                        'agent_hr.msg_import_language',
                        value=shorten(language),
                        languages=', '.join(n for _, n in LANGUAGES)))
        header, site = values.get('site', (None, None))
        if site is not None:
            code = to_text(site).upper()
            if code not in sites:
                errors.add(number, header, gettext(
                        'agent_hr.msg_import_site', value=shorten(site)))
            row['site'] = sites.get(code)


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
    done = StateView('agent.import.done',
        'agent_hr.import_done_view_form', [
            Button("Close", 'end', 'tryton-close'),
            Button("Open the Imported Agents", 'open_', 'tryton-forward',
                default=True),
            ])
    open_ = StateAction('agent_hr.act_employee_form')

    def transition_import_(self):
        check_hr_user(self)
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
                        value=shorten(matricule), session=session.rec_name))
            header, date = values['date']
            try:
                date = to_date(date)
            except ValueError:
                errors.add(number, header, gettext(
                        'agent_hr.msg_import_date', value=shorten(date)))
                date = None
            if date and not session.start_date <= date <= session.end_date:
                errors.add(number, header, gettext(
                        'agent_hr.msg_import_date_outside', value=date,
                        session=session.rec_name))
            if enrolment and date and (enrolment, date) in presences:
                errors.add(number, header, gettext(
                        'agent_hr.msg_import_duplicate',
                        value=shorten(f'{matricule} {date}')))
            header, present = values['present']
            if normalize(to_text(present)) not in TRUE_VALUES | FALSE_VALUES:
                errors.add(number, header, gettext(
                        'agent_hr.msg_import_boolean',
                        value=shorten(present)))
            elif enrolment and date:
                presences[enrolment, date] = (
                    normalize(to_text(present)) in TRUE_VALUES)
            header, score = values.get('score', (None, None))
            score = check_score(number, header, score, errors)
            if score is not None and enrolment:
                scores[enrolment] = score
        errors.raise_if_any()
        return presences, scores


def check_score(number, header, value, errors):
    "Return the score of value out of 20, None if blank or wrong"
    if value is None:
        return None
    try:
        score = Decimal(to_text(value).replace(',', '.'))
        if not 0 <= score <= 20:
            raise InvalidOperation
    except InvalidOperation:
        errors.add(number, header, gettext(
                'agent_hr.msg_import_score', value=shorten(value)))
        return None
    return score
