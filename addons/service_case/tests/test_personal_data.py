"""Citizens' personal data, tried as each role with the access checks on:
who reads, searches and changes citizens, their phones and addresses,
their cases' phones and ratings, the scans attached to their cases and the
receipt; erasing and merging citizens (law 2008-12).

Every refusal is followed by a check that nothing was written."""
import contextlib
import unittest

from trytond.exceptions import UserError
from trytond.i18n import gettext
from trytond.model.exceptions import AccessError
from trytond.modules.company.tests import create_company
from trytond.pool import Pool
from trytond.tests.test_tryton import (
    activate_module,
    drop_db,
    with_transaction,
)
from trytond.transaction import Transaction, check_access


def ref(xml_id, module='service_network'):
    return Pool().get('ir.model.data').get_id(module, xml_id)


def clear_cache():
    "Forget the records read: the wizards write in SQL"
    for cache in Transaction().cache.values():
        cache.clear()


@contextlib.contextmanager
def as_user(user):
    "Run as user, through the access checks as an RPC call does"
    with Transaction().set_user(user.id), check_access():
        yield


class PersonalDataTestCase(unittest.TestCase):
    "Test the personal data of citizens"

    @classmethod
    def setUpClass(cls):
        activate_module(['service_case'])

    @classmethod
    def tearDownClass(cls):
        # the next test class activates its own modules
        drop_db()

    def setup_network(self):
        """Users of each role; Awa came to Ziguinchor, Moussa only to Thiès;
        a partner administration and an employee's party"""
        pool = Pool()
        Party = pool.get('party.party')
        Case = pool.get('case.case')
        User = pool.get('res.user')
        Employee = pool.get('company.employee')
        ModelAccess = pool.get('ir.model.access')
        company = create_company()
        # finance reads every case for the amounts (partner_reconciliation)
        ModelAccess.create([{
                    'model': 'case.case', 'group': ref('group_finance'),
                    'perm_read': True, 'perm_write': False,
                    'perm_create': False, 'perm_delete': False,
                    }])
        staff = Party.create([{'name': "Fatou Sané"}])
        Employee.create([{'party': staff[0].id, 'company': company.id}])
        users = {}
        for login, group, sites in [
                ('reseau', 'group_network_admin', []),
                ('agent.zig', 'group_site_agent', ['site_zig']),
                ('chef.zig', 'group_site_manager', ['site_zig']),
                ('agent.ths', 'group_site_agent', ['site_ths']),
                ('finance', 'group_finance', []),
                ('rh', 'group_hr', []),
                ]:
            users[login], = User.create([{
                        'name': login, 'login': login,
                        'groups': [('add', [ref(group)])],
                        'sites': [('add', [ref(s) for s in sites])],
                        }])
        awa, moussa, justice = Party.create([{
                    'name': "Awa Diatta", 'national_id': '1751199001234',
                    'contact_mechanisms': [('create', [{
                                    'type': 'mobile',
                                    'value': '+221 77 123 45 67'}])],
                    'addresses': [('create', [{'street': "Lyndiane"}])],
                    }, {
                    'name': "Moussa Fall", 'national_id': '1751199005678',
                    'contact_mechanisms': [('create', [{
                                    'type': 'mobile',
                                    'value': '+221 76 555 44 33'}])],
                    'addresses': [('create', [{'street': "Randoulène"}])],
                    }, {
                    'name': "Ministère de la Justice",
                    'partner_kind': 'ministry',
                    }])
        awa_case, moussa_case = Case.create([{
                    'site': ref('site_zig'), 'citizen': awa.id,
                    'procedure': ref('procedure_criminal_record'),
                    'phone': '77 123 45 67',
                    }, {
                    'site': ref('site_ths'), 'citizen': moussa.id,
                    'procedure': ref('procedure_criminal_record'),
                    'phone': '76 555 44 33',
                    }])
        return {
            'users': users, 'awa': awa, 'moussa': moussa,
            'justice': justice, 'staff': staff[0],
            'awa_case': awa_case, 'moussa_case': moussa_case,
            }

    def assertDeleteRefused(self, Model, records):
        "Deleting records is refused and they are all still there"
        ids = [r.id for r in records]
        with self.assertRaises(AccessError):
            Model.delete(Model.browse(ids))
        # a delete refused in a request is rolled back with it; in this
        # transaction, forget that the records were about to be deleted
        Transaction().delete_records[Model.__name__].difference_update(ids)
        with Transaction().set_user(0), \
                Transaction().set_context(active_test=False):
            self.assertEqual(
                len(Model.search([('id', 'in', ids)])), len(ids))

    def assertUnchanged(self, party, name):
        pool = Pool()
        Party = pool.get('party.party')
        self.assertEqual(Party(party.id).name, name)

    @with_transaction()
    def test_site_staff_read_citizens_of_their_sites(self):
        "Site staff read the citizens of their sites and those they register"
        pool = Pool()
        Party = pool.get('party.party')
        ContactMechanism = pool.get('party.contact_mechanism')
        Address = pool.get('party.address')
        net = self.setup_network()
        awa, moussa = net['awa'], net['moussa']
        users = net['users']
        awa_phones = {c.id for c in awa.contact_mechanisms}
        moussa_phones = ContactMechanism.browse(
            [c.id for c in moussa.contact_mechanisms])

        for login in ['agent.zig', 'chef.zig']:
            with self.subTest(login=login), as_user(users[login]):
                found = Party.search([])
                self.assertIn(awa, found)
                self.assertIn(net['justice'], found)
                self.assertIn(net['staff'], found)
                self.assertNotIn(moussa, found)
                self.assertEqual(
                    Party.search_count([('name', 'ilike', '%Moussa%')]), 0)
                self.assertEqual(
                    Party.search_count(
                        [('national_id', '=', '1751199005678')]), 0)
                with self.assertRaises(AccessError):
                    Party.read([moussa.id], ['name'])
                self.assertEqual(
                    Party.read([awa.id], ['national_id'])[0]['national_id'],
                    '1751199001234')
                # phones and addresses follow their party
                phones = set(map(int, ContactMechanism.search([])))
                self.assertLessEqual(
                    awa_phones, phones)
                self.assertFalse(
                    set(map(int, moussa_phones)) & phones)
                with self.assertRaises(AccessError):
                    ContactMechanism.read(
                        list(map(int, moussa_phones)), ['value'])
                self.assertEqual(Address.search([('party', '=', moussa.id)]),
                    [])
                with self.assertRaises(AccessError):
                    Party.write([Party(moussa.id)], {'name': "Renamed"})
                with self.assertRaises(AccessError):
                    ContactMechanism.write(
                        moussa_phones,
                        {'value': '+221 77 000 00 00'})
                # nobody but the network administration deletes a party
                self.assertDeleteRefused(Party, [awa])
            self.assertUnchanged(moussa, "Moussa Fall")
            self.assertEqual(
                [c.value_compact for c in Party(moussa.id).contact_mechanisms],
                ['+221765554433'])
            self.assertUnchanged(awa, "Awa Diatta")

        with as_user(users['agent.zig']):
            newcomer, = Party.create([{'name': "Binta Coly"}])
            Party.write([newcomer], {'name': "Binta Coly Badji"})
            self.assertEqual(Party.search([('id', '=', newcomer.id)]),
                [newcomer])
        with as_user(users['agent.ths']):
            self.assertEqual(
                Party.read([moussa.id], ['name'])[0]['name'], "Moussa Fall")
            self.assertEqual(Party.search([('id', '=', newcomer.id)]), [])
            with self.assertRaises(AccessError):
                Party.read([awa.id], ['name'])

    @with_transaction()
    def test_citizen_of_complaint(self):
        "A citizen who only complained is read by the staff of that site"
        pool = Pool()
        Party = pool.get('party.party')
        Complaint = pool.get('case.complaint')
        net = self.setup_network()
        aissatou, = Party.create([{'name': "Aïssatou Ba"}])
        Complaint.create([{
                    'site': ref('site_ths'), 'citizen': aissatou.id,
                    'description': "Attente trop longue",
                    }])
        with as_user(net['users']['agent.ths']):
            self.assertEqual(Party.search([('id', '=', aissatou.id)]),
                [aissatou])
        with as_user(net['users']['agent.zig']):
            self.assertEqual(Party.search([('id', '=', aissatou.id)]), [])

    @with_transaction()
    def test_finance_hr_see_no_citizen(self):
        "Finance and HR read partners and employees, never a citizen"
        pool = Pool()
        Party = pool.get('party.party')
        ContactMechanism = pool.get('party.contact_mechanism')
        Address = pool.get('party.address')
        net = self.setup_network()
        awa, moussa = net['awa'], net['moussa']
        citizens = [awa.id, moussa.id]
        awa_phones = ContactMechanism.browse(
            [c.id for c in awa.contact_mechanisms])

        for login in ['finance', 'rh']:
            with self.subTest(login=login), as_user(net['users'][login]):
                found = Party.search([])
                self.assertIn(net['justice'], found)
                self.assertIn(net['staff'], found)
                self.assertFalse(set(citizens) & set(map(int, found)))
                self.assertEqual(
                    Party.search_count([('name', 'ilike', '%Diatta%')]), 0)
                with self.assertRaises(AccessError):
                    Party.read([awa.id], ['name'])
                phones = ContactMechanism.search_read(
                    [], fields_names=['value', 'party'])
                self.assertFalse(
                    {p['party'] for p in phones} & set(citizens))
                self.assertEqual(
                    Address.search([('party', 'in', citizens)]), [])
                with self.assertRaises(AccessError):
                    Party.write([Party(awa.id)], {'name': "Renamed"})
                self.assertDeleteRefused(Party, [awa])
                self.assertDeleteRefused(ContactMechanism, awa_phones)
                # the parties they handle stay theirs
                party, = Party.create([{'name': f"Fournisseur {login}"}])
                Party.write([party], {'name': f"Fournisseur {login} SA"})
                Party.write([Party(net['staff'].id)], {'name': "Fatou Sané"})
            self.assertUnchanged(awa, "Awa Diatta")
            self.assertEqual(len(Party(awa.id).contact_mechanisms), 1)

    @with_transaction()
    def test_network_admin_sees_every_party(self):
        "The network administration reads and changes every party"
        pool = Pool()
        Party = pool.get('party.party')
        net = self.setup_network()
        with as_user(net['users']['reseau']):
            found = Party.search([])
            self.assertIn(net['awa'], found)
            self.assertIn(net['moussa'], found)
            Party.write([Party(net['moussa'].id)], {'name': "Moussa Fall"})

    @with_transaction()
    def test_case_personal_fields(self):
        "Finance reads the cases' figures, not whom they are for"
        pool = Pool()
        Case = pool.get('case.case')
        net = self.setup_network()
        case = net['awa_case']
        Case.write([case], {
                'state': 'delivered', 'rating': 2,
                'rating_comment': "Awa: trop d'attente",
                'rating_token': 'secret-token-0001'})
        users = net['users']

        with as_user(users['finance']):
            self.assertEqual(
                Case.read([case.id], ['number', 'site', 'total_fee'])[0][
                    'number'], case.number)
            for field in ['phone', 'citizen', 'rating_comment',
                    'rating_token']:
                with self.subTest(field=field), \
                        self.assertRaises(AccessError):
                    Case.read([case.id], [field])
            with self.assertRaises(AccessError):
                Case.search([('phone', 'like', '%77%')])
            with self.assertRaises(AccessError):
                Case.search([('rating_token', 'like', 'secret%')])
            # the form and the list show no personal field
            for view_type in ['form', 'tree']:
                fields = Case.fields_view_get(view_type=view_type)['fields']
                for field in ['phone', 'citizen', 'rating_comment',
                        'rating_token']:
                    self.assertNotIn(field, fields)
        for login in ['agent.zig', 'chef.zig']:
            with self.subTest(login=login), as_user(users[login]):
                values, = Case.read(
                    [case.id], ['phone', 'citizen', 'rating_comment'])
                self.assertEqual(values['rating_comment'],
                    "Awa: trop d'attente")
                with self.assertRaises(AccessError):
                    Case.read([case.id], ['rating_token'])
                with self.assertRaises(AccessError):
                    Case.search_count(
                        [('rating_token', '=', 'secret-token-0001')])
        with as_user(users['reseau']):
            self.assertEqual(
                Case.read([case.id], ['rating_token'])[0]['rating_token'],
                'secret-token-0001')

    @with_transaction()
    def test_attachments_and_notes(self):
        "Scans and notes of cases are for the staff of the case's site"
        pool = Pool()
        Attachment = pool.get('ir.attachment')
        Note = pool.get('ir.note')
        net = self.setup_network()
        case, awa = net['awa_case'], net['awa']
        document = case.documents[0]
        scan, doc_scan, party_scan, contract = Attachment.create([{
                    'name': 'cni-scan.pdf', 'resource': str(case),
                    'data': b'%PDF scan',
                    }, {
                    'name': 'extrait.pdf', 'resource': str(document),
                    'data': b'%PDF extrait',
                    }, {
                    'name': 'photo.jpg', 'resource': str(awa),
                    'data': b'jpeg',
                    }, {
                    'name': 'convention.pdf',
                    'resource': str(net['justice']),
                    'data': b'%PDF convention',
                    }])
        note, = Note.create([{
                    'resource': str(case),
                    'message': "Awa rappellera demain au 77 123 45 67"}])
        personal = {scan.id, doc_scan.id, party_scan.id}
        users = net['users']

        for login in ['finance', 'rh']:
            with self.subTest(login=login), as_user(users[login]):
                found = set(map(int, Attachment.search([])))
                self.assertFalse(found & personal)
                if login == 'finance':
                    self.assertIn(contract.id, found)
                self.assertEqual(
                    Attachment.search_count([('name', '=', 'cni-scan.pdf')]),
                    0)
                for attachment in [scan, doc_scan, party_scan]:
                    with self.assertRaises(AccessError):
                        Attachment.read([attachment.id], ['name', 'data'])
                self.assertEqual(Note.search([]), [])
                with self.assertRaises(AccessError):
                    Note.read([note.id], ['message'])
                self.assertDeleteRefused(Attachment, [scan])
        self.assertEqual(Attachment(scan.id).name, 'cni-scan.pdf')

        with as_user(users['agent.zig']):
            found = set(map(int, Attachment.search([])))
            self.assertLessEqual(personal, found)
            self.assertEqual(Note.search([]), [note])
        with as_user(users['agent.ths']):
            found = set(map(int, Attachment.search([])))
            self.assertFalse(found & personal)
            with self.assertRaises(AccessError):
                Attachment.read([scan.id], ['data'])
        with as_user(users['reseau']):
            found = set(map(int, Attachment.search([])))
            self.assertLessEqual(personal, found)

    @with_transaction()
    def test_receipt_for_site_staff(self):
        "Only the staff of the case's site and the network print a receipt"
        pool = Pool()
        Receipt = pool.get('case.receipt', type='report')
        net = self.setup_network()
        case = net['awa_case']
        users = net['users']
        for login in ['finance', 'rh', 'agent.ths']:
            with self.subTest(login=login), as_user(users[login]), \
                    self.assertRaises(AccessError) as cm:
                Receipt.execute([case.id], {})
            if login == 'finance':
                self.assertEqual(cm.exception.message, gettext(
                        'service_case.msg_receipt_access'))
        for login in ['agent.zig', 'reseau']:
            with self.subTest(login=login), as_user(users[login]):
                extension, content, _, _ = Receipt.execute([case.id], {})
                self.assertEqual(extension, 'pdf')

    def erase(self, party):
        pool = Pool()
        Erase = pool.get('party.erase', type='wizard')
        session_id, _, _ = Erase.create()
        erase = Erase(session_id)
        erase.ask.party = party
        erase.transition_erase()

    def replace(self, source, destination):
        pool = Pool()
        Replace = pool.get('party.replace', type='wizard')
        session_id, _, _ = Replace.create()
        replace = Replace(session_id)
        replace.ask.source = source
        replace.ask.destination = destination
        with Transaction().set_context(_skip_warnings=True):
            replace.transition_replace()

    @with_transaction()
    def test_erase_citizen(self):
        "Erasing a citizen keeps the figures of their cases, not their data"
        pool = Pool()
        Party = pool.get('party.party')
        ContactMechanism = pool.get('party.contact_mechanism')
        Address = pool.get('party.address')
        Case = pool.get('case.case')
        Complaint = pool.get('case.complaint')
        Attachment = pool.get('ir.attachment')
        net = self.setup_network()
        awa, case = net['awa'], net['awa_case']
        complaint, = Complaint.create([{
                    'site': ref('site_zig'), 'citizen': awa.id,
                    'case': case.id, 'channel': 'counter',
                    'description': "Awa Diatta attend depuis 3 heures",
                    }])
        Attachment.create([{
                    'name': 'cni-scan.pdf', 'resource': str(case),
                    'data': b'%PDF scan',
                    }])
        Party.write([awa], {'active': False})

        # a case in progress still needs its citizen
        with self.assertRaises(UserError) as cm:
            self.erase(awa)
        self.assertIn(case.rec_name, cm.exception.message)
        self.assertEqual(Party(awa.id).name, "Awa Diatta")

        Case.write([case], {
                'state': 'delivered', 'rating': 4,
                'rating_comment': "Merci à Awa", 'rating_token': 'tok-1'})
        Complaint.write([complaint], {
                'state': 'closed', 'answer': "Madame Diatta, ..."})
        documents = [d.name for d in case.documents]
        fees = [(f.label, f.amount) for f in case.fees]
        for login in ['agent.zig', 'chef.zig', 'finance', 'rh']:
            with self.subTest(login=login), as_user(net['users'][login]), \
                    self.assertRaises(AccessError):
                self.erase(awa)
            self.assertEqual(Party(awa.id).name, "Awa Diatta")
            self.assertEqual(Case(case.id).phone, '+221 77 123 45 67')

        with Transaction().set_user(net['users']['reseau'].id):
            self.erase(awa)
        clear_cache()

        awa = Party(awa.id)
        self.assertIsNone(awa.name)
        self.assertIsNone(awa.national_id)
        with Transaction().set_context(active_test=False):
            phones = ContactMechanism.search([('party', '=', awa.id)])
            addresses = Address.search([('party', '=', awa.id)])
        self.assertEqual(
            [(c.type, c.value, c.active) for c in phones],
            [('other', '****', False)])
        self.assertFalse(addresses[0].street)
        case = Case(case.id)
        self.assertIsNone(case.phone)
        self.assertIsNone(case.rating_comment)
        self.assertIsNone(case.rating_token)
        self.assertEqual(case.rating, 4)
        self.assertEqual(case.state, 'delivered')
        self.assertEqual(case.site.id, ref('site_zig'))
        self.assertEqual(case.procedure.id, ref('procedure_criminal_record'))
        self.assertEqual([d.name for d in case.documents], documents)
        self.assertEqual([(f.label, f.amount) for f in case.fees], fees)
        self.assertEqual(
            Attachment.search([('resource', '=', str(case))]), [])
        complaint = Complaint(complaint.id)
        self.assertEqual(complaint.description, '****')
        self.assertEqual(complaint.answer, '****')
        self.assertEqual(complaint.state, 'closed')
        for notification in case.notifications:
            self.assertEqual(notification.recipient, '****')

    @with_transaction()
    def test_replace_duplicate_citizen(self):
        "Merging a duplicate citizen moves their cases and complaints"
        pool = Pool()
        Party = pool.get('party.party')
        Case = pool.get('case.case')
        Complaint = pool.get('case.complaint')
        net = self.setup_network()
        awa, case = net['awa'], net['awa_case']
        duplicate, = Party.create([{'name': "Awa Diatta"}])
        duplicate_case, = Case.create([{
                'site': ref('site_zig'), 'citizen': duplicate.id,
                'procedure': ref('procedure_criminal_record'),
                }])
        complaint, = Complaint.create([{
                    'site': ref('site_zig'), 'citizen': duplicate.id,
                    'description': "Attente",
                    }])
        for login in ['agent.zig', 'chef.zig', 'finance']:
            with self.subTest(login=login), as_user(net['users'][login]), \
                    self.assertRaises(AccessError):
                self.replace(duplicate, awa)
            self.assertTrue(Party(duplicate.id).active)
            self.assertEqual(Case(duplicate_case.id).citizen, duplicate)

        with Transaction().set_user(net['users']['reseau'].id):
            self.replace(duplicate, awa)
        clear_cache()

        self.assertFalse(Party(duplicate.id).active)
        self.assertEqual(Party(duplicate.id).replaced_by, awa)
        self.assertEqual(Case(duplicate_case.id).citizen, awa)
        self.assertEqual(Case(case.id).citizen, awa)
        self.assertEqual(Complaint(complaint.id).citizen, awa)
        self.assertEqual(
            Case.search([('citizen', '=', awa.id)], order=[('id', 'ASC')]),
            sorted([case, duplicate_case], key=lambda c: c.id))
