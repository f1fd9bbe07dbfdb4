"""Import of an existing register from Excel (.xlsx or .xls).

Every row is checked first; errors are listed by row and column and
nothing is created unless every row is valid, or unless the user chose to
import only the valid rows. Files are read within the limits of
service_network's spreadsheet layer. Wizards run without access rights
nor record rules, so the import checks itself that the user is a network
administrator, or a site manager importing only into their sites."""
from decimal import Decimal

from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.model.exceptions import AccessError
from trytond.pool import Pool
from trytond.transaction import Transaction
from trytond.wizard import Button, StateTransition, StateView, Wizard

from service_network import spreadsheet
from service_network.protection import check_user_groups, wizard_label
from service_network.spreadsheet import SpreadsheetError, shorten
from service_network.spreadsheet_limits import first_errors

from .equipment import STATES
from .exceptions import EquipmentImportError

# field: accepted headers, compared as spreadsheet.header_key gives them
COLUMNS = {
    'category': {'categorie', 'category', 'type'},
    'brand': {'marque', 'brand'},
    'model': {'modele', 'model'},
    'serial_number': {
        'numero de serie', 'n de serie', 'no de serie', 'serie',
        'serial number', 'serial'},
    'asset_tag': {
        'etiquette', 'numero d inventaire', 'code inventaire', 'asset tag'},
    'supplier': {'fournisseur', 'supplier'},
    'purchase_date': {'date d achat', 'purchase date'},
    'purchase_value': {
        'valeur d achat', 'valeur', 'prix d achat', 'purchase value'},
    'warranty_end': {'fin de garantie', 'warranty end'},
    'site': {'site'},
    'counter': {'guichet', 'box', 'counter'},
    'state': {'etat', 'state'},
    'notes': {'observations', 'notes', 'remarques'},
    }
COLUMNS = {name: {spreadsheet.header_key(h) for h in headers}
    for name, headers in COLUMNS.items()}
STATE_NAMES = {
    'en service': 'in_service', 'en reparation': 'under_repair',
    'endommage': 'damaged', 'en panne': 'damaged', 'vole': 'stolen',
    'a investiguer': 'missing', 'manquant': 'missing',
    'reforme': 'retired', 'hors service': 'retired',
    }
CHUNK = 500  # SQLite checks unique constraints with one query per chunk
# The groups of service_network allowed to import
IMPORT_GROUPS = ['group_network_admin', 'group_site_manager']
# The message of each refusal of the spreadsheet layer
FILE_MESSAGES = {
    'empty': 'site_equipment.msg_import_unreadable',
    'too_large': 'site_equipment.msg_import_too_large',
    'unpacked_too_large': 'site_equipment.msg_import_unpacked_too_large',
    'too_many_rows': 'site_equipment.msg_import_too_many_rows',
    'not_spreadsheet': 'site_equipment.msg_import_unreadable',
    'corrupt': 'site_equipment.msg_import_unreadable',
    'encrypted': 'site_equipment.msg_import_encrypted',
    }


normalize = spreadsheet.header_key


def read_rows(data, filename=''):
    """Return the rows of the first sheet of an .xlsx or .xls file, or
    raise why the file is refused"""
    try:
        _, rows = spreadsheet.read_rows(data, kinds={'xlsx', 'xls'})
        return [list(r) for r in rows]
    except SpreadsheetError as error:
        raise EquipmentImportError(gettext(
                FILE_MESSAGES[error.code], filename=shorten(filename),
                **error.params)) from None


def check_import_user():
    "Refuse the import unless the user may import equipment at all"
    check_user_groups(IMPORT_GROUPS, wizard_label('equipment.import'))


def check_row_sites(row_sites):
    """Refuse the whole import if a row goes to a site that is not one of
    the site manager's sites; network administrators import anywhere"""
    pool = Pool()
    User = pool.get('res.user')
    ModelData = pool.get('ir.model.data')
    if Transaction().user == 0 or ModelData.get_id(
            'service_network', 'group_network_admin') in User.get_groups():
        return
    mine = set(User.get_sites())
    for number, site in row_sites:
        if site and site.id not in mine:
            raise AccessError(gettext(
                    'site_equipment.msg_import_site_not_yours',
                    row=number, site=site.rec_name))


cell_text = spreadsheet.text


class ImportStart(ModelView):
    "Import an equipment register"
    __name__ = 'equipment.import.start'
    file = fields.Binary("File", required=True, filename='filename')
    filename = fields.Char("File Name")
    site = fields.Many2One(
        'network.site', "Site", required=True,
        help="The site of the rows that have no site column.")
    only_valid = fields.Boolean(
        "Import Only Valid Rows",
        help="Import the valid rows and skip the others; by default "
        "nothing is imported while a row has an error.")


class ImportResult(ModelView):
    "Import an equipment register"
    __name__ = 'equipment.import.result'
    imported = fields.Integer("Equipment Imported", readonly=True)
    errors = fields.Text("Errors", readonly=True)


class Import(Wizard):
    "Import an equipment register from Excel"
    __name__ = 'equipment.import'
    start = StateView('equipment.import.start',
        'site_equipment.import_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Import", 'import_', 'tryton-ok', default=True),
            ])
    import_ = StateTransition()
    result = StateView('equipment.import.result',
        'site_equipment.import_result_view_form', [
            Button("Close", 'end', 'tryton-close', default=True),
            ])

    def transition_import_(self):
        check_import_user()
        rows = read_rows(self.start.file, self.start.filename)
        reader = RegisterReader(self.start.site)
        values, errors = reader.read(rows)
        check_row_sites(reader.row_sites)
        imported = 0
        if values and (not errors or self.start.only_valid):
            imported = create_equipments(values)
        self.result.imported = imported
        self.result.errors = errors_text(errors) or None
        return 'result'

    def default_result(self, fields):
        return {
            'imported': self.result.imported,
            'errors': self.result.errors,
            }


def errors_text(errors):
    "The first errors, one a line, and how many more there are"
    shown, more = first_errors(errors)
    if more:
        shown.append(gettext(
                'site_equipment.msg_import_more_errors', count=more))
    return '\n'.join(shown)


def create_equipments(values):
    pool = Pool()
    Equipment = pool.get('equipment.equipment')
    Party = pool.get('party.party')
    names = {v['supplier'] for v in values if v.get('supplier')}
    suppliers = {p.name: p for p in Party.search([('name', 'in', names)])}
    new = [Party(name=n) for n in sorted(names - set(suppliers))]
    Party.save(new)
    suppliers.update({p.name: p for p in new})
    for value in values:
        if value.get('supplier'):
            value['supplier'] = suppliers[value['supplier']].id
    for start in range(0, len(values), CHUNK):
        Equipment.create(values[start:start + CHUNK])
    return len(values)


class RegisterReader:
    "Turn the rows of a register into equipment values and errors"

    def __init__(self, site):
        pool = Pool()
        Category = pool.get('equipment.category')
        Site = pool.get('network.site')
        self.site = site
        self.categories = {}
        # Registers name categories in French or in English
        for language in ['en', 'fr']:
            with Transaction().set_context(language=language):
                for category in Category.search([]):
                    self.categories[normalize(category.code)] = category
                    self.categories[normalize(category.name)] = category
        self.sites = {normalize(s.code): s for s in Site.search([])}
        self.counters = {}
        self.states = {code: code for code, _ in STATES}
        self.states.update({normalize(n): c for c, n in STATES})
        self.states.update(STATE_NAMES)
        self.seen = {}
        # (row number, site or None) of every row, valid or not
        self.row_sites = []

    def error(self, row, column, msg_id, **kwargs):
        "The message of a cell; the values from the file cut short"
        kwargs = {k: shorten(v) if k == 'value' else v
            for k, v in kwargs.items()}
        return gettext(
            'site_equipment.msg_import_cell', row=row,
            column=shorten(column),
            error=gettext(f'site_equipment.{msg_id}', **kwargs))

    def read(self, rows):
        "Return (values of valid rows, errors of all rows)"
        rows = [(number, row) for number, row in enumerate(rows, 1)
            if any(cell_text(c) for c in row)]
        if not rows:
            return [], [gettext('site_equipment.msg_import_empty')]
        (_, header), rows = rows[0], rows[1:]
        columns = spreadsheet.map_headers(header, COLUMNS)
        missing = [n for n in ['category'] if n not in columns]
        if not {'serial_number', 'asset_tag'} & set(columns):
            missing.append('serial_number')
        if missing:
            return [], [gettext(
                        'site_equipment.msg_import_missing_column',
                        columns=', '.join(missing))]
        values, errors = [], []
        for number, row in rows:
            cells = {
                name: (spreadsheet.cell(row, index), title)
                for name, (index, title) in columns.items()}
            value, row_errors = self.read_row(number, cells)
            errors.extend(row_errors)
            if not row_errors:
                values.append(value)
        self.check_existing(values, columns, errors)
        return [v for v in values if v], errors

    def read_row(self, number, cells):
        "Return the values of the row and its errors"
        row = _Row(self, number, cells)
        category = self.read_category(row)
        site = self.read_site(row)
        for name in ['brand', 'model', 'notes', 'supplier']:
            if row.text(name):
                row.value[name] = row.text(name)
        self.read_codes(row, category)
        read_dates_and_amount(row)
        if row.text('state'):
            state = self.states.get(normalize(row.text('state')))
            if not state:
                row.fail('state', 'msg_import_unknown_state',
                    value=row.text('state'))
            row.value['state'] = state
        if row.text('counter') and site:
            counter = self.find_counter(site, row.text('counter'))
            if not counter:
                row.fail('counter', 'msg_import_unknown_counter',
                    value=row.text('counter'), site=site.rec_name)
            row.value['counter'] = counter.id if counter else None
        row.value['row'] = number
        return row.value, row.errors

    def read_category(self, row):
        category = self.categories.get(normalize(row.text('category')))
        if not row.text('category'):
            row.fail('category', 'msg_import_required')
        elif not category:
            row.fail('category', 'msg_import_unknown_category',
                value=row.text('category'))
        else:
            row.value['category'] = category.id
        return category

    def read_site(self, row):
        site = self.site
        if row.text('site'):
            site = self.sites.get(normalize(row.text('site')))
            if not site:
                row.fail('site', 'msg_import_unknown_site',
                    value=row.text('site'))
        row.value['site'] = site.id if site else None
        self.row_sites.append((row.number, site))
        return site

    def read_codes(self, row, category):
        "Read the serial number and asset tag, unique in the file"
        serial = row.text('serial_number').upper()
        tag = row.text('asset_tag').upper()
        if not serial and not tag:
            name = 'serial_number' if 'serial_number' in row.cells else (
                'asset_tag')
            row.fail(name, 'msg_import_no_identifier')
        for name, code in [('serial_number', serial), ('asset_tag', tag)]:
            if not code:
                continue
            key = (name, category.id if name == 'serial_number'
                and category else None, code)
            if key in self.seen:
                row.fail(name, 'msg_import_duplicate',
                    value=code, other=self.seen[key])
            else:
                self.seen[key] = row.number
            row.value[name] = code

    def find_counter(self, site, name):
        if site not in self.counters:
            self.counters[site] = {
                normalize(c.name): c for c in site.counters}
        return self.counters[site].get(normalize(name))

    def check_existing(self, values, columns, errors):
        "Refuse the serial numbers and asset tags already in the register"
        pool = Pool()
        Equipment = pool.get('equipment.equipment')
        codes = {v[n] for v in values
            for n in ['serial_number', 'asset_tag'] if v.get(n)}
        existing = Equipment.find_by_code(codes)
        for index, value in enumerate(values):
            for name in ['serial_number', 'asset_tag']:
                equipment = existing.get(value.get(name))
                if not equipment or getattr(equipment, name) != value[name]:
                    continue
                if (name == 'serial_number'
                        and equipment.category.id != value['category']):
                    continue
                errors.append(self.error(
                        value['row'], columns[name][1], 'msg_import_exists',
                        value=value[name], equipment=equipment.rec_name,
                        site=equipment.site.rec_name))
                values[index] = None
        for value in values:
            if value:
                del value['row']


class _Row:
    "A row being read: its cells, the values read and the errors"

    def __init__(self, reader, number, cells):
        self.reader = reader
        self.number = number
        self.cells = cells
        self.value = {}
        self.errors = []

    def text(self, name):
        return cell_text(self.cells[name][0]) if name in self.cells else ''

    def fail(self, name, msg_id, **kwargs):
        self.errors.append(self.reader.error(
                self.number, self.cells[name][1], msg_id, **kwargs))


def read_dates_and_amount(row):
    for name in ['purchase_date', 'warranty_end']:
        if row.text(name):
            date = parse_date(row.cells[name][0])
            if date is None:
                row.fail(name, 'msg_import_invalid_date',
                    value=row.text(name))
            row.value[name] = date
    if row.text('purchase_value'):
        amount = parse_amount(row.cells['purchase_value'][0])
        if amount is None or amount < 0:
            row.fail('purchase_value', 'msg_import_invalid_amount',
                value=row.text('purchase_value'))
        row.value['purchase_value'] = amount


def parse_date(value):
    "Return the date of value, None if it is not one"
    try:
        return spreadsheet.to_date(value)
    except ValueError:
        return None


def parse_amount(value):
    "Return the amount of value in whole francs, None if it is not one"
    try:
        return spreadsheet.to_amount(value).quantize(Decimal(1))
    except ValueError:
        return None
