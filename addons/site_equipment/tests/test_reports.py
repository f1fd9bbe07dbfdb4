"""The printed documents of the equipment (issue 14), in French: the slip
that travels with a transfer and the sheets of labels whose QR codes a
phone or a scanner reads back into the asset number."""
import contextlib
import datetime as dt
import io
import unittest

import pypdfium2
import zxingcpp
from pypdf import PdfReader

from trytond.model.exceptions import AccessError
from trytond.modules.company.tests import create_company, create_employee
from trytond.pool import Pool
from trytond.tests.test_tryton import (
    activate_module,
    drop_db,
    with_transaction,
)
from trytond.transaction import Transaction

from .test_module import create_equipment, get_site

FR = {'language': 'fr'}
ENGLISH = ["Transfer Slip", "Transfer No.", "Sent on", "Received by",
    "Serial Number", "Condition", "Signature", "In Service", "Printed on"]


def pdf_pages(content):
    "The text of each page of a PDF, its lines and spaces joined"
    assert content.startswith(b'%PDF')
    reader = PdfReader(io.BytesIO(content))
    return [' '.join(page.extract_text().split()) for page in reader.pages]


def pdf_page_sizes(content):
    "The size of each page in millimetres, rounded"
    reader = PdfReader(io.BytesIO(content))
    return [(round(float(p.mediabox.width) * 25.4 / 72),
            round(float(p.mediabox.height) * 25.4 / 72))
        for p in reader.pages]


def read_qr_codes(content):
    """Render each page of the PDF at 300 dpi as a printer would and
    return, per page, the (format, text) of the codes a scanner reads"""
    document = pypdfium2.PdfDocument(content)
    try:
        return [sorted((str(code.format), code.text)
                for code in zxingcpp.read_barcodes(
                    page.render(scale=300 / 72).to_pil()))
            for page in document]
    finally:
        document.close()


def execute(report, records):
    "Print report of records as the client does, naming its action"
    pool = Pool()
    ModelData = pool.get('ir.model.data')
    Report = pool.get(report, type='report')
    action = {
        'equipment.transfer.slip': 'report_transfer_slip',
        'equipment.label': 'report_equipment_label',
        }[report]
    return Report.execute([r.id for r in records], {
            'action_id': ModelData.get_id('site_equipment', action)})


def create_user(login, group, sites=()):
    pool = Pool()
    User = pool.get('res.user')
    ModelData = pool.get('ir.model.data')
    user, = User.create([{
                'login': login, 'name': login,
                'groups': [('add', [
                            ModelData.get_id('service_network', group)])],
                'sites': [('add', [get_site(s).id for s in sites])]}])
    return user


@contextlib.contextmanager
def as_user(user):
    "Run as user with the access rules and groups checked, as over RPC"
    transaction = Transaction()
    with transaction.set_user(user.id), \
            transaction.set_context(_check_access=True):
        yield


class EquipmentReportsTestCase(unittest.TestCase):
    "The transfer slip and the equipment labels"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module('site_equipment', lang='fr')

    @classmethod
    def tearDownClass(cls):
        # Leave no database behind for the scenarios that follow
        super().tearDownClass()
        drop_db()

    def sent_transfer(self):
        "A transfer of two computers from Ziguinchor to Oussouye, sent"
        pool = Pool()
        Transfer = pool.get('equipment.transfer')
        company = create_company()
        sender = create_employee(company, name="Ibrahima Diallo")
        first = create_equipment('5CD123', brand="HP",
            model="ProDesk 400 G7", asset_tag='ZIG-PC-01')
        second = create_equipment('5CD456', brand="HP",
            model="ProDesk 400 G7", asset_tag='ZIG-PC-02')
        transfer, = Transfer.create([{
                    'from_site': get_site('ZIG').id,
                    'to_site': get_site('OSY').id,
                    'reason': "Renfort pour l'ouverture d'Oussouye",
                    'sent_by': sender.id,
                    'lines': [('create', [
                                {'equipment': first.id},
                                {'equipment': second.id}])]}])
        Transfer.send([transfer])
        return transfer

    @with_transaction(context=FR)
    def test_transfer_slip(self):
        "The slip lists the equipment and both sites, dated in French"
        transfer = self.sent_transfer()
        today = dt.date.today().strftime('%d/%m/%Y')

        extension, content, _, name = execute(
            'equipment.transfer.slip', [transfer])

        self.assertEqual(extension, 'pdf')
        self.assertEqual(name, f"Bordereau de transfert-{transfer.rec_name}")
        self.assertEqual(pdf_page_sizes(content), [(210, 297)])
        text, = pdf_pages(content)
        for expected in [
                "Bordereau de transfert de matériel",
                f"Transfert n° {transfer.id} Expédié",
                "Site de départ", transfer.from_site.rec_name,
                "Site d'arrivée", transfer.to_site.rec_name,
                "Motif Renfort pour l'ouverture d'Oussouye",
                f"Expédié le {today}", "Expédié par Ibrahima Diallo",
                "Réceptionné le —", "Réceptionné par —",
                "Étiquette d'inventaire Désignation Numéro de série État Reçu",
                "1 ZIG-PC-01 Ordinateur HP ProDesk 400 G7 5CD123 En service",
                "2 ZIG-PC-02 Ordinateur HP ProDesk 400 G7 5CD456 En service",
                "Nombre d'équipements : 2",
                "Expéditeur Nom Ibrahima Diallo Date " + today,
                "Destinataire Nom", "Cachet et signature",
                "Imprimé le " + today]:
            self.assertIn(expected, text)
        for english in ENGLISH:
            self.assertNotIn(english, text)

    @with_transaction(context=FR)
    def test_transfer_slip_after_reception(self):
        "Once received, the slip shows who received it and when"
        pool = Pool()
        Transfer = pool.get('equipment.transfer')
        transfer = self.sent_transfer()
        receiver = create_employee(
            transfer.sent_by.company, name="Aminata Coly")
        transfer.received_by = receiver
        transfer.save()
        Transfer.receive([transfer])
        today = dt.date.today().strftime('%d/%m/%Y')

        _, content, _, _ = execute('equipment.transfer.slip', [transfer])

        text, = pdf_pages(content)
        for expected in [
                f"Réceptionné le {today}", "Réceptionné par Aminata Coly",
                "Destinataire Nom Aminata Coly Date " + today]:
            self.assertIn(expected, text)

    @with_transaction(context=FR)
    def test_transfer_slip_access(self):
        "The slip is printed by those who read the transfer, no one else"
        transfer = self.sent_transfer()
        allowed = [
            create_user('chef.zig', 'group_site_manager', ['ZIG']),
            create_user('agent.osy', 'group_site_agent', ['OSY']),
            create_user('finance', 'group_finance'),
            ]
        refused = [
            # the transfer is not of their sites
            create_user('agent.ths', 'group_site_agent', ['THS']),
            # HR does not read transfers
            create_user('rh', 'group_hr'),
            ]
        for user in allowed:
            with self.subTest(login=user.login), as_user(user):
                extension, _, _, _ = execute(
                    'equipment.transfer.slip', [transfer])
                self.assertEqual(extension, 'pdf')
        for user in refused:
            with self.subTest(login=user.login), as_user(user), \
                    self.assertRaises(AccessError):
                execute('equipment.transfer.slip', [transfer])

    @with_transaction(context=FR)
    def test_labels(self):
        """A label per equipment, 24 per A4 sheet, whose QR code reads as
        its asset tag (its serial number when it has none)"""
        equipments = [
            create_equipment(f'SN{i:03}', asset_tag=f'ZIG-PC-{i:02}')
            for i in range(1, 26)]
        untagged = create_equipment('SN-UNTAGGED', category='PRN',
            brand="Canon", model="i-SENSYS MF445dw", asset_tag=None,
            site='OSY')
        equipments.append(untagged)

        extension, content, _, _ = execute(
            'equipment.label', list(reversed(equipments)))

        self.assertEqual(extension, 'pdf')
        self.assertEqual(pdf_page_sizes(content), [(210, 297), (210, 297)])
        # a long code may wrap on its label
        first, second = [t.replace('- ', '-') for t in pdf_pages(content)]
        # by site then code: Oussouye's printer comes first
        codes = ['SN-UNTAGGED'] + [f'ZIG-PC-{i:02}' for i in range(1, 26)]
        for code in codes[:24]:
            self.assertIn(code, first)
        for code in codes[24:]:
            self.assertIn(code, second)
            self.assertNotIn(code, first)
        self.assertIn("Imprimante Canon i-SENSYS MF445dw", first)
        self.assertIn(untagged.site.rec_name, first)
        self.assertIn(get_site('ZIG').rec_name, second)
        self.assertEqual(read_qr_codes(content), [
                sorted(('QR Code', c) for c in codes[:24]),
                sorted(('QR Code', c) for c in codes[24:])])

    @with_transaction(context=FR)
    def test_labels_access(self):
        "Labels are printed by those who read the register, of their sites"
        zig = create_equipment('L1')
        ths = create_equipment('L2', site='THS')
        agent = create_user('agent.zig', 'group_site_agent', ['ZIG'])
        hr = create_user('rh', 'group_hr')
        with as_user(agent):
            extension, _, _, _ = execute('equipment.label', [zig])
            self.assertEqual(extension, 'pdf')
            with self.assertRaises(AccessError):
                execute('equipment.label', [zig, ths])
        with as_user(hr):
            _, content, _, _ = execute('equipment.label', [zig, ths])
            self.assertEqual(read_qr_codes(content),
                [[('QR Code', 'TAG-L1'), ('QR Code', 'TAG-L2')]])
