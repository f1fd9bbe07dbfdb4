"""The agent imports are bounded and reserved to HR (issue 13): hostile
files are refused in French before they cost memory or CPU, and the wizards
check the user's groups themselves."""
import io
import struct
import time
import unittest
import zipfile

import openpyxl

from trytond.exceptions import UserError
from trytond.model.exceptions import AccessError
from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import (
    activate_module,
    drop_db,
    with_transaction,
)
from trytond.transaction import Transaction

from agent_hr.tests import test_module as base

SHEET = 'xl/worksheets/sheet1.xml'
MB = 1024 * 1024
HEADER = ['Matricule', 'Nom', 'Téléphone']
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


def rezip(data, name, extra=0, change=None):
    """Return the zip data with its member name changed by change, then
    padded with extra spaces (valid XML after the root element); also
    return the size of the member before the padding"""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, \
            zipfile.ZipFile(out, 'w', zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename != name:
                target.writestr(info.filename, content)
                continue
            content = change(content) if change else content
            size = len(content)
            with target.open(name, 'w') as member:
                member.write(content)
                for _ in range(extra // MB):
                    member.write(b' ' * MB)
    return out.getvalue(), size


def declare_size(data, name, size):
    "Return the zip data whose central directory claims name has size"
    data = bytearray(data)
    position = 0
    while True:
        position = data.index(b'PK\x01\x02', position)
        length, = struct.unpack_from('<H', data, position + 28)
        if data[position + 46:position + 46 + length] == name.encode():
            break
        position += 4
    struct.pack_into('<I', data, position + 24, size)
    return bytes(data)


def user(login, group, sites=()):
    pool = Pool()
    User = pool.get('res.user')
    ModelData = pool.get('ir.model.data')
    Site = pool.get('network.site')
    record, = User.create([{
                'login': login, 'name': login,
                'groups': [('add', [
                            ModelData.get_id('service_network', group)])],
                'sites': [('add', [s.id for s in Site.search(
                                [('code', 'in', list(sites))])])],
                }])
    return record


def import_agents(data, company, user_id=None):
    """Run the agent import's transition, as user_id if given, with a
    forged action_id: the wizard must check the user itself"""
    pool = Pool()
    Import = pool.get('agent.import', type='wizard')
    session_id, _, _ = Import.create()
    with Transaction().set_user(user_id or Transaction().user), \
            Transaction().set_context(company=company.id, action_id=1):
        wizard = Import(session_id)
        wizard.start.file_ = data
        wizard.transition_import_()


def agent_count():
    pool = Pool()
    Employee = pool.get('company.employee')
    return Employee.search_count([('matricule', '!=', None)])


class AgentImportLimitsTestCase(unittest.TestCase):
    "Limits and rights of the agent imports"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module(['agent_hr'], lang='fr')

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        drop_db()

    def assertRefused(self, data, company, *texts):
        "The import is refused with texts in its message; nothing stored"
        with self.assertRaises(UserError) as cm:
            import_agents(data, company)
        for text in texts:
            self.assertIn(text, cm.exception.message)
        self.assertEqual(agent_count(), 0)
        return cm.exception.message

    @with_transaction(context=FR)
    def test_zip_bomb(self):
        "A small .xlsx that unzips past the limit is refused unopened"
        company = create_company()
        with set_company(company):
            bomb, _ = rezip(
                xlsx([HEADER, ['M1', 'Awa', None]]), SHEET, extra=120 * MB)
            self.assertLess(len(bomb), MB)
            with zipfile.ZipFile(io.BytesIO(bomb)) as archive:
                self.assertGreater(
                    sum(i.file_size for i in archive.infolist()), 120 * MB)
            self.assertRefused(
                bomb, company, "Une fois décompressé",
                "plus que la limite de 100 Mo")

    @with_transaction(context=FR)
    def test_zip_lying_on_sizes(self):
        """A member larger than its declared size is never inflated past
        it: the file is damaged, not read"""
        company = create_company()
        with set_company(company):
            padded, size = rezip(
                xlsx([HEADER, ['M1', 'Awa', None]]), SHEET, extra=110 * MB)
            liar = declare_size(padded, SHEET, size)
            message = self.assertRefused(liar, company, "endommagé")
            self.assertNotIn('CRC', message)

    @with_transaction(context=FR)
    def test_ten_million_empty_rows(self):
        "A cell at row 10,000,000 is refused without walking the rows"
        company = create_company()
        with set_company(company):
            data, _ = rezip(
                xlsx([HEADER, ['M1', 'Awa', None]], last='M2'), SHEET,
                change=lambda content: content.replace(
                    b'1048576', b'10000000'))
            self.assertIn(b'<row r="10000000">', zipfile.ZipFile(
                    io.BytesIO(data)).read(SHEET))
            start = time.monotonic()
            self.assertRefused(
                data, company, "plus de 200000 lignes",
                "lignes vides comprises")
            self.assertLess(time.monotonic() - start, 5)

    @with_transaction(context=FR)
    def test_dimension_claims_a_million_rows(self):
        "The dimension a file declares is not trusted: its rows are read"
        company = create_company()
        with set_company(company):
            data, _ = rezip(
                xlsx([HEADER, ['M1', 'Awa', None], ['M2', 'Bob', None]]),
                SHEET, change=lambda content: content.replace(
                    b'<dimension ref="A1:C3"/>',
                    b'<dimension ref="A1:XFD1048576"/>'))
            self.assertIn(b'XFD1048576', zipfile.ZipFile(
                    io.BytesIO(data)).read(SHEET))
            start = time.monotonic()
            import_agents(data, company)
            self.assertLess(time.monotonic() - start, 5)
            self.assertEqual(agent_count(), 2)

    @with_transaction(context=FR)
    def test_oversize_file(self):
        "A file over 10 MB is refused before it is read"
        company = create_company()
        with set_company(company):
            self.assertRefused(
                b'PK\x03\x04' + b'\0' * (11 * MB - 4), company,
                "pèse 11 Mo, plus que la limite de 10 Mo")

    @with_transaction(context=FR)
    def test_library_errors_in_french(self):
        "Damaged files are named in French, not by zipfile or xlrd"
        company = create_company()
        with set_company(company):
            for data in [
                    b'PK\x03\x04 not a zip at all',
                    b'\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1' + b'\0' * 600,
                    xlsx([HEADER])[:300]]:
                message = self.assertRefused(
                    data, company, "Le fichier Excel est endommagé")
                self.assertNotIn('zip', message)
                self.assertNotIn('OLE2', message)

    @with_transaction(context=FR)
    def test_errors_bounded(self):
        "The first 200 errors are listed, values cut, the rest counted"
        company = create_company()
        with set_company(company):
            rows = [HEADER] + [
                [f'M{i}', 'Awa', '7' * 5000] for i in range(300)]
            message = self.assertRefused(
                xlsx(rows), company, "300 erreurs",
                "... et 100 autres erreurs.")
            lines = message.splitlines()
            self.assertEqual(
                len([line for line in lines if line.startswith('Ligne')]),
                200)
            self.assertNotIn('7' * 60, message)
            self.assertIn('7' * 59 + '…', message)
            self.assertLess(len(message), 200 * 200)

    @with_transaction(context=FR)
    def test_hr_only(self):
        """Only HR and network administrators import, whatever the
        context says"""
        pool = Pool()
        Attendance = pool.get('agent.training.attendance')
        AttendanceImport = pool.get(
            'agent.training.attendance.import', type='wizard')
        company = create_company()
        agent = user('agent.zig', 'group_site_agent', ['ZIG'])
        manager = user('chef.ths', 'group_site_manager', ['THS'])
        hr = user('rh', 'group_hr')
        data = xlsx([HEADER, ['M1', 'Awa', None]])
        with set_company(company):
            for intruder in [agent, manager]:
                with self.assertRaises(AccessError):
                    import_agents(data, company, intruder.id)
                self.assertEqual(agent_count(), 0)
            session = base.create_session(base.create_training())
            session_id, _, _ = AttendanceImport.create()
            with Transaction().set_user(agent.id):
                wizard = AttendanceImport(session_id)
                wizard.start.session = session
                wizard.start.file_ = xlsx([['Matricule', 'Date', 'Présent']])
                with self.assertRaises(AccessError):
                    wizard.transition_import_()
            self.assertEqual(Attendance.search_count([]), 0)
            import_agents(data, company, hr.id)
            self.assertEqual(agent_count(), 1)
