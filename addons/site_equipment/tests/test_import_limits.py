"""The equipment import is bounded and stays within the user's sites
(issue 13): hostile registers are refused in French before they cost
memory or CPU, and a site manager imports only into their own sites."""
import io
import time
import unittest
import zipfile

import openpyxl

from trytond.exceptions import UserError
from trytond.model.exceptions import AccessError
from trytond.pool import Pool
from trytond.tests.test_tryton import (
    activate_module,
    drop_db,
    with_transaction,
)
from trytond.transaction import Transaction

SHEET = 'xl/worksheets/sheet1.xml'
MB = 1024 * 1024
HEADER = ['Catégorie', 'N° de série', 'Site']
FR = {'language': 'fr'}


def xlsx(rows, last=None):
    "The .xlsx of rows, and of the last cell far down if given"
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    if last:
        book.active.cell(row=1048576, column=1, value=last)
    data = io.BytesIO()
    book.save(data)
    return data.getvalue()


def rezip(data, change=None, extra=0):
    """Return the .xlsx data with its sheet changed by change, then padded
    with extra spaces (valid XML after the root element)"""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, \
            zipfile.ZipFile(out, 'w', zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename != SHEET:
                target.writestr(info.filename, content)
                continue
            with target.open(SHEET, 'w') as member:
                member.write(change(content) if change else content)
                for _ in range(extra // MB):
                    member.write(b' ' * MB)
    return out.getvalue()


def get_site(code):
    pool = Pool()
    Site = pool.get('network.site')
    site, = Site.search([('code', '=', code)])
    return site


def user(login, group, sites=()):
    pool = Pool()
    User = pool.get('res.user')
    ModelData = pool.get('ir.model.data')
    record, = User.create([{
                'login': login, 'name': login,
                'groups': [('add', [
                            ModelData.get_id('service_network', group)])],
                'sites': [('add', [get_site(s).id for s in sites])],
                }])
    return record


def run_import(data, site='ZIG', user_id=None, only_valid=False):
    """Run the import's transition, as user_id if given, with a forged
    action_id: the wizard must check the user itself; return (imported,
    errors)"""
    pool = Pool()
    Import = pool.get('equipment.import', type='wizard')
    session_id, _, _ = Import.create()
    with Transaction().set_user(user_id or Transaction().user), \
            Transaction().set_context(action_id=1):
        wizard = Import(session_id)
        wizard.start.file = data
        wizard.start.filename = 'registre.xlsx'
        wizard.start.site = get_site(site)
        wizard.start.only_valid = only_valid
        wizard.transition_import_()
    return wizard.result.imported, wizard.result.errors


def equipment_count():
    return Pool().get('equipment.equipment').search_count([])


class EquipmentImportLimitsTestCase(unittest.TestCase):
    "Limits and rights of the equipment import"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module(['site_equipment'], lang='fr')

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        drop_db()

    def assertRefused(self, data, *texts, error=UserError, **kwargs):
        "The import is refused with texts in its message; nothing stored"
        with self.assertRaises(error) as cm:
            run_import(data, **kwargs)
        for text in texts:
            self.assertIn(text, cm.exception.message)
        self.assertEqual(equipment_count(), 0)
        return cm.exception.message

    @with_transaction(context=FR)
    def test_zip_bomb(self):
        "A small .xlsx that unzips past the limit is refused unopened"
        bomb = rezip(xlsx([HEADER, ['PC', 'SN1', 'ZIG']]), extra=120 * MB)
        self.assertLess(len(bomb), MB)
        self.assertRefused(
            bomb, "Une fois décompressé, le fichier « registre.xlsx »",
            "plus que la limite de 100 Mo")

    @with_transaction(context=FR)
    def test_ten_million_empty_rows(self):
        "A cell at row 10,000,000 is refused without walking the rows"
        data = rezip(
            xlsx([HEADER, ['PC', 'SN1', 'ZIG']], last='PC'),
            change=lambda content: content.replace(b'1048576', b'10000000'))
        start = time.monotonic()
        self.assertRefused(
            data, "La feuille de « registre.xlsx » a plus de 200000 lignes")
        self.assertLess(time.monotonic() - start, 5)

    @with_transaction(context=FR)
    def test_dimension_claims_a_million_rows(self):
        "The dimension a file declares is not trusted: its rows are read"
        data = rezip(
            xlsx([HEADER, ['PC', 'SN1', 'ZIG'], ['PC', 'SN2', 'ZIG']]),
            change=lambda content: content.replace(
                b'<dimension ref="A1:C3"/>',
                b'<dimension ref="A1:XFD1048576"/>'))
        start = time.monotonic()
        self.assertEqual(run_import(data), (2, None))
        self.assertLess(time.monotonic() - start, 5)

    @with_transaction(context=FR)
    def test_oversize_and_damaged_files(self):
        "Oversize or damaged files are refused in French"
        self.assertRefused(
            b'PK\x03\x04' + b'\0' * (11 * MB - 4),
            "Le fichier « registre.xlsx » pèse 11 Mo, plus que la limite "
            "de 10 Mo")
        for data in [b'PK\x03\x04 garbage', b'not a spreadsheet',
                b'\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1' + b'\0' * 600]:
            self.assertRefused(
                data, "Le fichier « registre.xlsx » est illisible")

    @with_transaction(context=FR)
    def test_errors_bounded(self):
        "The first 200 errors are listed, values cut, the rest counted"
        rows = [HEADER] + [
            ['Z' * 5000, f'SN{i}', 'ZIG'] for i in range(250)]
        imported, errors = run_import(xlsx(rows))
        self.assertEqual(imported, 0)
        lines = errors.splitlines()
        self.assertEqual(len(lines), 201)
        self.assertEqual(lines[-1], "... et 50 autres erreurs.")
        self.assertNotIn('Z' * 60, errors)
        self.assertIn('Z' * 59 + '…', errors)
        self.assertEqual(equipment_count(), 0)

    @with_transaction(context=FR)
    def test_site_manager_imports_into_own_sites(self):
        """A Ziguinchor manager cannot import into Thiès, not even by the
        default site; network administrators import anywhere"""
        zig = user('chef.zig', 'group_site_manager', ['ZIG'])
        agent = user('agent.zig', 'group_site_agent', ['ZIG'])
        admin = user('admin.reseau', 'group_network_admin')
        ths = get_site('THS').rec_name
        thies = xlsx([HEADER, ['PC', 'SN1', 'ZIG'], ['PC', 'SN2', 'THS']])
        message = self.assertRefused(
            thies, f"Ligne 3 : le site « {ths} » n'est pas l'un de vos "
            "sites ; rien n'a été importé.", error=AccessError,
            user_id=zig.id)
        self.assertRefused(
            thies, error=AccessError, user_id=zig.id, only_valid=True)
        self.assertRefused(
            xlsx([['Catégorie', 'N° de série'], ['PC', 'SN3']]),
            "Ligne 2", ths, error=AccessError, user_id=zig.id, site='THS')
        self.assertRefused(
            xlsx([HEADER, ['PC', 'SN1', 'ZIG']]), error=AccessError,
            user_id=agent.id)
        self.assertNotIn('SN1', message)
        self.assertEqual(run_import(
                xlsx([HEADER, ['PC', 'SN1', 'ZIG']]), user_id=zig.id),
            (1, None))
        self.assertEqual(run_import(
                xlsx([HEADER, ['PC', 'SN2', 'THS']]), user_id=admin.id),
            (1, None))
