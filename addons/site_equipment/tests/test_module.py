import datetime as dt
import io
import unittest
from decimal import Decimal

import openpyxl

from trytond.exceptions import UserError
from trytond.model.exceptions import (
    AccessError,
    SQLConstraintError,
    ValidationError,
)
from trytond.modules.company.tests import CompanyTestMixin
from trytond.pool import Pool
from trytond.pyson import PYSONDecoder
from trytond.tests import test_tryton
from trytond.tests.test_tryton import (
    activate_module,
    drop_db,
    with_transaction,
)
from trytond.transaction import Transaction


def xlsx(rows):
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    data = io.BytesIO()
    book.save(data)
    return data.getvalue()


def get_site(code):
    pool = Pool()
    Site = pool.get('network.site')
    site, = Site.search([('code', '=', code)])
    return site


def get_category(code):
    pool = Pool()
    Category = pool.get('equipment.category')
    category, = Category.search([('code', '=', code)])
    return category


def create_equipment(code, category='PC', site='ZIG', **values):
    pool = Pool()
    Equipment = pool.get('equipment.equipment')
    equipment, = Equipment.create([{
                'category': get_category(category).id,
                'site': get_site(site).id,
                'serial_number': code, 'asset_tag': f'TAG-{code}',
                **values}])
    return equipment


def read_register(rows, site='ZIG'):
    from site_equipment.import_ import RegisterReader
    return RegisterReader(get_site(site)).read(rows)


def run_import(data, site='ZIG', only_valid=False):
    "Run the import wizard; return (imported, errors)"
    pool = Pool()
    Import = pool.get('equipment.import', type='wizard')
    session_id, _, _ = Import.create()
    wizard = Import(session_id)
    wizard.start.file = data
    wizard.start.filename = 'register.xlsx'
    wizard.start.site = get_site(site)
    wizard.start.only_valid = only_valid
    wizard.transition_import_()
    return wizard.result.imported, wizard.result.errors


class SiteEquipmentTestCase(CompanyTestMixin, test_tryton.ModuleTestCase):
    "Test Site Equipment module"
    module = 'site_equipment'

    @with_transaction()
    def test_serial_unique_within_category(self):
        "A serial number is unique within a category, not across"
        create_equipment('SN1')
        create_equipment('SN1', category='PRN', asset_tag='TAG-PRN')
        with self.assertRaises(SQLConstraintError):
            create_equipment('SN1', asset_tag='TAG-OTHER')

    @with_transaction()
    def test_identifier_required(self):
        "Equipment needs a serial number or an asset tag"
        with self.assertRaises(ValidationError):
            create_equipment(None, asset_tag=None)
        equipment = create_equipment(' ab-12 ', asset_tag=' zig-1 ')
        self.assertEqual(
            (equipment.serial_number, equipment.asset_tag),
            ('AB-12', 'ZIG-1'))

    @with_transaction()
    def test_history_of_state_and_site(self):
        "Every change of state or site is kept in the history"
        pool = Pool()
        Equipment = pool.get('equipment.equipment')
        equipment = create_equipment('H1')
        Equipment.retire([equipment])
        Equipment.change_site([equipment], get_site('OSY'), reason="Loan")
        self.assertEqual(
            [(m.kind, m.to_state, m.to_site and m.to_site.code)
                for m in reversed(equipment.history)],
            [('registered', 'in_service', 'ZIG'), ('state', 'retired', None),
                ('site', None, 'OSY')])

    @with_transaction()
    def test_transfer_site_changes_on_reception(self):
        "A transfer moves equipment only when received"
        pool = Pool()
        Transfer = pool.get('equipment.transfer')
        Equipment = pool.get('equipment.equipment')
        equipment = create_equipment('T1')
        other = create_equipment('T2', site='BGN')
        transfer, = Transfer.create([{
                    'from_site': get_site('ZIG').id,
                    'to_site': get_site('OSY').id,
                    'lines': [('create', [{'equipment': equipment.id}])]}])
        Transfer.send([transfer])
        self.assertEqual(equipment.site.code, 'ZIG')
        Transfer.receive([transfer])
        self.assertEqual(equipment.site.code, 'OSY')
        self.assertIsNotNone(transfer.received_date)
        empty, = Transfer.create([{
                    'from_site': get_site('ZIG').id,
                    'to_site': get_site('OSY').id}])
        with self.assertRaises(UserError):
            Transfer.send([empty])
        with self.assertRaises(ValidationError):
            Transfer.create([{
                        'from_site': get_site('ZIG').id,
                        'to_site': get_site('OSY').id,
                        'lines': [('create', [{'equipment': other.id}])]}])
        moved = create_equipment('T3')
        late, = Transfer.create([{
                    'from_site': get_site('ZIG').id,
                    'to_site': get_site('OSY').id,
                    'lines': [('create', [{'equipment': moved.id}])]}])
        Equipment.change_site([moved], get_site('BGN'))
        with self.assertRaises(UserError):
            Transfer.send([late])

    @with_transaction()
    def test_transfer_to_receive(self):
        "A site manager's home lists the transfers sent to their sites"
        pool = Pool()
        Transfer = pool.get('equipment.transfer')
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        inbound, outbound, draft = Transfer.create([{
                    'from_site': get_site(source).id,
                    'to_site': get_site(target).id,
                    'lines': [('create', [{
                                    'equipment': create_equipment(
                                        tag, site=source).id}])]}
                for tag, source, target in [
                    ('X1', 'OSY', 'ZIG'), ('X2', 'ZIG', 'OSY'),
                    ('X3', 'OSY', 'ZIG')]])
        Transfer.send([inbound, outbound])
        manager, = User.create([{
                    'login': 'chef.zig', 'name': "Chef ZIG",
                    'groups': [('add', [ModelData.get_id(
                                    'service_network',
                                    'group_site_manager')])],
                    'sites': [('add', [get_site('ZIG').id])]}])
        with Transaction().set_user(manager.id):
            self.assertEqual(
                Transfer.search([('to_receive', '=', True)]), [inbound])
            self.assertEqual(
                Transfer.search([('to_receive', '=', False)]),
                [draft, outbound])
            self.assertTrue(Transfer(inbound.id).to_receive)
            self.assertFalse(Transfer(outbound.id).to_receive)
            Transfer.receive([inbound])
            self.assertEqual(Transfer.search([('to_receive', '=', True)]), [])
        # nobody's site: the network administrator receives nothing
        self.assertEqual(Transfer.search([('to_receive', '=', True)]), [])

    @with_transaction()
    def test_transfer_line_offers_source_equipment(self):
        "A new line of a transfer offers the equipment of the source site"
        pool = Pool()
        Line = pool.get('equipment.transfer.line')
        Equipment = pool.get('equipment.equipment')
        zig = create_equipment('L1')
        create_equipment('L2', site='BGN')
        encoded = Line.fields_get(['equipment'])['equipment']['domain']
        # As the client evaluates it on a line just added in the
        # transfer's form: the parent field is not sent to the
        # on_change_with of from_site, which stays empty
        env = {'id': -1, 'from_site': None, 'equipment': None,
            '_parent_transfer': {'id': -2,
                'from_site': get_site('ZIG').id,
                'to_site': get_site('OSY').id}}
        domain = PYSONDecoder(env).decode(encoded)
        self.assertEqual(Equipment.search(domain), [zig])
        # A line opened on its own uses its from_site
        env = {'id': 3, 'from_site': get_site('BGN').id}
        domain = PYSONDecoder(env).decode(encoded)
        self.assertEqual(
            [e.asset_tag for e in Equipment.search(domain)], ['TAG-L2'])

    @with_transaction()
    def test_theft_marks_stolen_without_repair(self):
        "A theft needs a police report and leaves no repair to do"
        pool = Pool()
        Incident = pool.get('equipment.incident')
        equipment = create_equipment('S1')
        incident, = Incident.create([{
                    'kind': 'theft', 'site': get_site('ZIG').id,
                    'description': "Laptop stolen",
                    'equipments': [('add', [equipment.id])]}])
        with self.assertRaises(UserError):
            Incident.report([incident])
        incident.police_report = 'PV 1'
        incident.save()
        Incident.report([incident])
        self.assertEqual(equipment.state, 'stolen')
        self.assertEqual(incident.maintenances, ())
        self.assertEqual(get_site('ZIG').state, 'open')
        Incident.resolve([incident])
        self.assertEqual(incident.actual_cost, 0)
        copy, = Incident.copy([incident])
        self.assertEqual(
            (copy.state, copy.actual_cost, copy.equipments),
            ('draft', None, (equipment,)))

    @with_transaction()
    def test_maintenance_outcome_required(self):
        "A corrective maintenance is done only with an outcome"
        pool = Pool()
        Maintenance = pool.get('equipment.maintenance')
        Party = pool.get('party.party')
        equipment = create_equipment('M1')
        supplier, = Party.create([{'name': "Repairer"}])
        maintenance, = Maintenance.create([{'equipment': equipment.id}])
        self.assertEqual(maintenance.site.code, 'ZIG')
        with self.assertRaises(UserError):
            Maintenance.assign([maintenance])
        maintenance.supplier = supplier
        maintenance.save()
        Maintenance.assign([maintenance])
        Maintenance.start([maintenance])
        self.assertEqual(equipment.state, 'under_repair')
        with self.assertRaises(UserError):
            Maintenance.done([maintenance])
        maintenance.outcome = 'replaced'
        maintenance.save()
        with self.assertRaises(UserError):
            Maintenance.done([maintenance])
        maintenance.outcome = 'repaired'
        maintenance.save()
        Maintenance.done([maintenance])
        self.assertEqual(equipment.state, 'in_service')
        self.assertIsNotNone(maintenance.repair_hours)

    @with_transaction()
    def test_preventive_generation(self):
        "Preventive requests follow the period of the category, one at a time"
        pool = Pool()
        Maintenance = pool.get('equipment.maintenance')
        today = dt.date.today()
        generator = create_equipment(
            'G1', category='GEN',
            purchase_date=today - dt.timedelta(days=181))
        create_equipment(
            'G2', category='GEN',
            purchase_date=today - dt.timedelta(days=10))
        create_equipment(
            'P1', purchase_date=today - dt.timedelta(days=1000))
        request, = Maintenance.generate_preventive()
        self.assertEqual(request.equipment, generator)
        self.assertEqual(request.due_date, today - dt.timedelta(days=1))
        self.assertEqual(Maintenance.generate_preventive(), [])
        # once done, the next one is due a period later
        request.supplier = request.equipment.supplier
        request.technician = None
        Maintenance.write([request], {'state': 'in_progress'})
        Maintenance.done([request])
        self.assertEqual(Maintenance.generate_preventive(), [])
        self.assertEqual(
            len(Maintenance.generate_preventive(
                    today + dt.timedelta(days=180))), 2)

    @with_transaction()
    def test_campaign_statuses(self):
        "Counts are matched by asset tag or serial number, at any site"
        pool = Pool()
        Campaign = pool.get('equipment.campaign')
        Equipment = pool.get('equipment.equipment')
        found = create_equipment('C1')
        missing = create_equipment('C2')
        elsewhere = create_equipment('C3')
        create_equipment('C4', state='retired')
        outside = create_equipment('C5', site='BGN')
        campaign, = Campaign.create([{
                    'name': "ZIG 2026", 'site': get_site('ZIG').id}])
        with self.assertRaises(UserError):
            campaign.record_count(get_site('ZIG'), ['C1'])
        Campaign.start([campaign])
        self.assertEqual(len(campaign.lines), 3)
        campaign.record_count(get_site('ZIG'), ['c1', 'TAG-C1', 'C5', ''])
        campaign.record_count(get_site('OSY'), ['TAG-C3', 'NOPE'])
        campaign = Campaign(campaign.id)
        self.assertEqual(
            (campaign.found, campaign.missing, campaign.other_site,
                campaign.unexpected), (1, 1, 1, 2))
        Campaign.close([campaign])
        found, missing, elsewhere, outside = Equipment.browse(
            [found, missing, elsewhere, outside])
        self.assertEqual(found.state, 'in_service')
        self.assertEqual(missing.state, 'missing')
        self.assertEqual(elsewhere.site.code, 'OSY')
        self.assertEqual(outside.site.code, 'ZIG')

    @with_transaction()
    def test_import_values(self):
        "Headers in French, dates and amounts in the usual forms"
        values, errors = read_register([
                ["Catégorie", "N° de série", "Date d'achat",
                    "Valeur d'achat", "Etat", "Site"],
                ["pc", "a1", "15/03/2023", "450 000 FCFA", "En panne", None],
                ["Printer", "a2", dt.datetime(2023, 3, 1), 180000.0,
                    None, "osy"],
                [None, None, None, None, None, None],
                ])
        self.assertEqual(errors, [])
        first, second = values
        self.assertEqual(first['serial_number'], 'A1')
        self.assertEqual(first['purchase_date'], dt.date(2023, 3, 15))
        self.assertEqual(first['purchase_value'], Decimal(450000))
        self.assertEqual(first['state'], 'damaged')
        self.assertEqual(first['site'], get_site('ZIG').id)
        self.assertEqual(second['category'], get_category('PRN').id)
        self.assertEqual(second['site'], get_site('OSY').id)

    @with_transaction()
    def test_import_missing_columns(self):
        "A file without the category or an identifier column is refused"
        values, errors = read_register([["Marque", "Modèle"], ["HP", "X"]])
        self.assertEqual(values, [])
        self.assertEqual(len(errors), 1)
        self.assertIn('category', errors[0])
        self.assertEqual(read_register([])[1], ['The file holds no row.'])

    @with_transaction()
    def test_import_all_or_nothing(self):
        "Nothing is imported while a row is wrong, unless asked"
        pool = Pool()
        Equipment = pool.get('equipment.equipment')
        data = xlsx([
                ["Category", "Serial Number", "Counter"],
                ["PC", "OK1", None],
                ["PC", "OK1", None],
                ["PC", "OK2", "Box 99"],
                ["XX", "OK3", None],
                ])
        imported, errors = run_import(data)
        self.assertEqual(imported, 0)
        self.assertEqual(len(errors.splitlines()), 3)
        self.assertIn('Row 3, column "Serial Number"', errors)
        self.assertIn('Row 4, column "Counter"', errors)
        self.assertEqual(Equipment.search([]), [])
        imported, errors = run_import(data, only_valid=True)
        self.assertEqual(imported, 1)
        equipment, = Equipment.search([])
        self.assertEqual(equipment.serial_number, 'OK1')

    @with_transaction()
    def test_import_unreadable(self):
        "A file that is not Excel is refused with a clear message"
        with self.assertRaises(UserError) as cm:
            run_import(b'not an excel file')
        self.assertIn('register.xlsx', str(cm.exception))

    @with_transaction()
    def test_import_many_rows(self):
        "A large register is imported in chunks"
        pool = Pool()
        Equipment = pool.get('equipment.equipment')
        rows = [["Category", "Asset Tag"]] + [
            ["Furniture", f"ZIG-FUR-{i:04}"] for i in range(1200)]
        imported, errors = run_import(xlsx(rows))
        self.assertEqual((imported, errors), (1200, None))
        self.assertEqual(Equipment.search_count([]), 1200)

    @with_transaction()
    def test_site_rules(self):
        "Site staff see and change only their sites' equipment"
        pool = Pool()
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        Equipment = pool.get('equipment.equipment')
        create_equipment('R1')
        create_equipment('R2', site='THS')
        agent, manager = User.create([{
                    'login': login, 'name': login,
                    'groups': [('add', [ModelData.get_id(
                                    'service_network', group)])],
                    'sites': [('add', [get_site('ZIG').id])]}
                for login, group in [
                    ('agent.zig', 'group_site_agent'),
                    ('chef.zig', 'group_site_manager')]])
        with Transaction().set_context(_check_access=True):
            with Transaction().set_user(agent.id):
                equipment, = Equipment.search([])
                self.assertEqual(equipment.serial_number, 'R1')
                with self.assertRaises(AccessError):
                    Equipment.write([equipment], {'brand': "HP"})
            with Transaction().set_user(manager.id):
                equipment, = Equipment.search([])
                Equipment.write([equipment], {'brand': "HP"})
                with self.assertRaises(AccessError):
                    create_equipment('R3', site='THS')


class SiteEquipmentFrenchTestCase(unittest.TestCase):
    "Import errors reach users in French"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module('site_equipment', lang='fr')

    @classmethod
    def tearDownClass(cls):
        # Leave no database behind for the scenarios that follow
        super().tearDownClass()
        drop_db()

    @with_transaction(context={'language': 'fr'})
    def test_french_import_errors(self):
        values, errors = read_register([
                ["Catégorie", "N° de série", "Date d'achat"],
                ["Ordinateur", "A1", "31/02/2023"],
                ["Photocopieuse", "A1", None],
                ])
        self.assertEqual(values, [])
        self.assertEqual(errors, [
                'Ligne 2, colonne « Date d\'achat » : « 31/02/2023 » '
                'n\'est pas une date (format attendu JJ/MM/AAAA).',
                'Ligne 3, colonne « Catégorie » : aucune catégorie '
                'd\'équipement « Photocopieuse ».',
                ])
