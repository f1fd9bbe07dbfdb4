import datetime as dt
import unittest
import warnings
from decimal import Decimal
from unittest import mock

from trytond.exceptions import UserError
from trytond.i18n import gettext
from trytond.model.exceptions import AccessError, ValidationError
from trytond.modules.company.tests import (
    CompanyTestMixin,
)
from trytond.modules.party.tests import (
    PartyCheckEraseMixin,
    PartyCheckReplaceMixin,
)
from trytond.pool import Pool
from trytond.pyson import PYSONDecoder
from trytond.tests import test_tryton
from trytond.tests.test_tryton import (
    activate_module,
    drop_db,
    with_transaction,
)
from trytond.transaction import Transaction, check_access


def site_values(code='TST', department='ZIG', **values):
    "Values of a site in the department of the seeded site `department`"
    pool = Pool()
    Site = pool.get('network.site')
    model, = Site.search([('code', '=', department)])
    return {
        'code': code, 'name': f"Site {code}",
        'region': model.region.id, 'department': model.department.id,
        **values}


def create_site_manager(site):
    "Create the user managing site"
    pool = Pool()
    User = pool.get('res.user')
    ModelData = pool.get('ir.model.data')
    manager, = User.create([{
                'login': f'chef.{site.code.lower()}',
                'name': f"Chef {site.code}",
                'groups': [('add', [ModelData.get_id(
                                'service_network', 'group_site_manager')])],
                'sites': [('add', [site.id])]}])
    return manager


def create_procedure(**values):
    pool = Pool()
    Procedure = pool.get('network.procedure')
    Party = pool.get('party.party')
    Sector = pool.get('network.sector')
    partner, = Party.create([{'name': "Partner", 'partner_kind': 'agency'}])
    sector, = Sector.search([('code', '=', 'J')])
    procedure, = Procedure.create([{
                'code': 'TEST', 'name': "Test", 'sector': sector.id,
                'partner': partner.id, 'legal_delay': 5, **values}])
    return procedure


class ServiceNetworkTestCase(
        PartyCheckEraseMixin, PartyCheckReplaceMixin, CompanyTestMixin,
        test_tryton.ModuleTestCase):
    "Test Service Network module"
    module = 'service_network'

    @with_transaction()
    def test_geography_loaded(self):
        "14 regions and 46 departments, each with its site"
        pool = Pool()
        Subdivision = pool.get('country.subdivision')
        Site = pool.get('network.site')
        regions = Subdivision.search([
                ('country.code', '=', 'SN'), ('type', '=', 'region')])
        departments = Subdivision.search([
                ('country.code', '=', 'SN'), ('type', '=', 'department')])
        self.assertEqual(len(regions), 14)
        self.assertEqual(len(departments), 46)
        self.assertTrue(all(d.parent in regions for d in departments))
        sites = Site.search([])
        self.assertEqual(len(sites), 46)
        self.assertEqual({s.department for s in sites}, set(departments))
        zig, = Site.search([('code', '=', 'ZIG')])
        self.assertEqual(zig.region.code, 'SN-ZG')
        self.assertEqual(zig.opening_days, ('0', '1', '2', '3', '4'))
        self.assertEqual(
            (zig.opening_time, zig.closing_time),
            (dt.time(8), dt.time(17)))

    @with_transaction()
    def test_site_code_unique(self):
        "A site code that already exists is refused"
        pool = Pool()
        Site = pool.get('network.site')
        with self.assertRaises(ValidationError) as cm:
            Site.create([site_values(code='zig')])
        self.assertIn('code', str(cm.exception))

    @with_transaction()
    def test_site_department_in_region(self):
        "A department outside the region is refused"
        pool = Pool()
        Site = pool.get('network.site')
        thies, = Site.search([('code', '=', 'THS')])
        values = site_values()
        values['region'] = thies.region.id
        with self.assertRaises(ValidationError) as cm:
            Site.create([values])
        self.assertIn('Ziguinchor', str(cm.exception))
        self.assertIn('Thiès', str(cm.exception))

    @with_transaction()
    def test_site_phone(self):
        "Site phones are Senegal numbers, stored in international format"
        pool = Pool()
        Site = pool.get('network.site')
        site, = Site.create([site_values(phone='339911120')])
        self.assertEqual(site.phone, '+221 33 991 11 20')
        for wrong in ['12345', '+33 1 45 67 89 00']:
            with self.assertRaises(ValidationError) as cm:
                Site.write([site], {'phone': wrong})
            self.assertIn('Phone', str(cm.exception))

    @with_transaction()
    def test_site_closure_history(self):
        "Closing for works needs a reason; reopening keeps the history"
        pool = Pool()
        Site = pool.get('network.site')
        site, = Site.search([('code', '=', 'ZIG')])
        with self.assertRaises(UserError):
            Site.close_for_works([site])
        Site.write([site], {
                'closure_reason': "Rehabilitation after vandalism",
                'closure_planned_end': dt.date(2026, 12, 1)})
        Site.close_for_works([site])
        self.assertEqual(site.state, 'works')
        closure, = site.closures
        self.assertEqual(closure.kind, 'works')
        self.assertIsNone(closure.end_date)
        Site.reopen([site])
        self.assertEqual(site.state, 'open')
        self.assertIsNotNone(site.closures[0].end_date)
        self.assertIsNone(site.closure_reason)

    @with_transaction()
    def test_site_opening_hours(self):
        "Closing time must follow opening time"
        pool = Pool()
        Site = pool.get('network.site')
        with self.assertRaises(ValidationError):
            Site.create([site_values(
                        opening_time=dt.time(17), closing_time=dt.time(8))])

    @with_transaction()
    def test_procedure_catalogue_seeded(self):
        "The seeded catalogue carries the figures of the referential"
        pool = Pool()
        Procedure = pool.get('network.procedure')
        record, = Procedure.search([('code', '=', 'CJ-B3')])
        self.assertEqual(record.legal_delay, 1)
        self.assertEqual(record.total_fee, Decimal(400))
        self.assertEqual(
            sorted((f.kind, f.amount) for f in record.fees),
            [('fee', Decimal(200)), ('stamp', Decimal(200))])
        self.assertEqual(record.delivered_validity, 3)
        simple, = Procedure.search([('code', '=', 'URB-AC-S')])
        complex_, = Procedure.search([('code', '=', 'URB-AC-C')])
        self.assertEqual((simple.legal_delay, complex_.legal_delay), (28, 40))
        self.assertEqual(len(Procedure.search([])), 6)

    def test_json_answers_one_chunk(self):
        "JSON-RPC answers: the C encoder's text, as one chunk, compressed once"
        import gzip
        import json

        import trytond.protocols.jsonrpc as jsonrpc
        from trytond.protocols.wrappers import GzipStream

        from .. import json_answers
        self.assertIsInstance(jsonrpc.encoder, json_answers.OneChunkEncoder)
        answer = {'id': 1, 'result': [{
                    'id': i, 'name': "Aïssatou Ndèye",
                    'amount': Decimal('1.50'),
                    'date': dt.date(2026, 2, 6),
                    'at': dt.datetime(2026, 2, 6, 10, 0, 1, 5),
                    'data': b'\x00\x01', 'rate': 0.1, 'none': None,
                    } for i in range(100)]}
        python = ''.join(
            jsonrpc.JSONEncoder(separators=(',', ':')).iterencode(answer))
        chunks = list(jsonrpc.encoder.iterencode(answer))
        self.assertEqual(chunks, [python])
        # over the size streamed gzipped by trytond, read back the same
        with self.assertRaises(OverflowError):
            jsonrpc.dumps(answer)
        self.assertEqual(jsonrpc.dumps({'id': 1, 'result': 'ok'}),
            '{"id":1,"result":"ok"}')
        compressed = b''.join(GzipStream(jsonrpc.encoder.iterencode(answer)))
        self.assertEqual(
            json.loads(gzip.decompress(compressed),
                object_hook=jsonrpc.JSONDecoder()),
            answer)

    @with_transaction()
    def test_batch_pyson_evaluated_once_per_input(self):
        """A batch's validation evaluates a field's PYSON once per distinct
        value it reads, and still refuses the record whose own value makes
        it wrong"""
        from trytond.model import modelstorage

        from .. import pyson_memo
        pool = Pool()
        Country = pool.get('country.country')
        Subdivision = pool.get('country.subdivision')
        self.assertIs(modelstorage._record_eval_pyson,
            pyson_memo.record_eval_pyson)
        senegal, = Country.search([('code', '=', 'SN')])
        other, = Country.create([{'name': "Autre pays", 'code': 'XX'}])
        dakar, = Subdivision.search([
                ('country', '=', senegal.id), ('type', '=', 'region'),
                ('name', '=', 'Dakar')])
        elsewhere, = Subdivision.create([{'country': other.id,
                    'name': "Ailleurs", 'code': 'XX-AA', 'type': 'region'}])

        def values(country, parent, n):
            return {'country': country.id, 'parent': parent.id,
                'type': 'department', 'name': f"D{n}", 'code': f'XX-D{n}'}
        evaluated = []
        tryton_eval = pyson_memo._tryton_eval

        def counting(*args, **kwargs):
            evaluated.append(1)
            return tryton_eval(*args, **kwargs)
        with mock.patch.object(pyson_memo, '_tryton_eval', counting):
            # alone: every PYSON of the record evaluated, as by Tryton
            Subdivision.create([values(senegal, dakar, 0)])
            alone, evaluated[:] = len(evaluated), []
            created = Subdivision.create(
                [values(senegal, dakar, n) for n in range(1, 7)]
                + [values(other, elsewhere, n) for n in range(7, 13)])
        self.assertEqual(len(created), 12)
        # twelve records of two countries: at most one evaluation of each
        # PYSON per country, instead of twelve
        self.assertGreater(alone, 0)
        self.assertLessEqual(len(evaluated), 2 * alone)
        # a department of the other country under a region of Senegal, in
        # the middle of right ones, is refused; so is it alone (Tryton
        # checks a batch against one OR of its domains: under Dakar, the
        # parent of right ones, the wrong one would pass, as without this)
        thies, = Subdivision.search([
                ('country', '=', senegal.id), ('type', '=', 'region'),
                ('name', '=', 'Thiès')])
        for batch in [
                [values(senegal, dakar, 20), values(other, thies, 21),
                    values(senegal, dakar, 22)],
                [values(other, thies, 23)]]:
            with self.assertRaises(ValidationError):
                Subdivision.create(batch)

    @with_transaction()
    def test_rows_read_with_one_description(self):
        "Reads zip the rows with the column names read once per result"
        import trytond.model.modelsql
        import trytond.tools

        from .. import row_dicts
        self.assertIs(trytond.model.modelsql.cursor_dict,
            row_dicts.cursor_dict)
        self.assertIs(trytond.tools.cursor_dict, row_dicts.cursor_dict)

        cursor = Transaction().connection.cursor()
        descriptions = []

        class Counting:
            arraysize = 2

            def __getattr__(self, name):
                return getattr(cursor, name)

            @property
            def description(self):
                descriptions.append(1)
                return cursor.description
        cursor.execute('SELECT code, legal_delay FROM network_procedure '
            'ORDER BY code')
        rows = list(row_dicts.cursor_dict(Counting()))
        self.assertEqual(len(descriptions), 1)
        self.assertEqual(len(rows), 6)
        self.assertEqual(rows[0], {'code': 'CJ-B3', 'legal_delay': 1})
        # and the ORM reads through it as before
        Procedure = Pool().get('network.procedure')
        procedures = Procedure.search([], order=[('code', 'ASC')])
        self.assertEqual(
            sorted(p['code'] for p in Procedure.read(
                    [p.id for p in procedures], ['code'])),
            sorted(r['code'] for r in rows))

    @with_transaction()
    def test_audit_trail_saved_without_reading_it_back(self):
        "A write and a button leave their logs, saved without validation"
        pool = Pool()
        Log = pool.get('ir.model.log')
        Site = pool.get('network.site')
        site, = Site.search([('code', '=', 'ZIG')])
        with check_access():
            Site.write([site], {'phone': '+221 33 991 11 22'})
        Site.log([site], 'button', 'close')
        # validating the logs computed their action (the field labels)
        with mock.patch.object(
                Log, 'get_action', side_effect=AssertionError):
            Transaction()._store_log_records()
        logs = Log.search_read([('resource', '=', str(site))],
            fields_names=['event', 'target', 'user'], order=[('id', 'ASC')])
        self.assertEqual([(log['event'], log['target']) for log in logs],
            [('write', 'phone'), ('button', 'close')])
        self.assertEqual({log['user'] for log in logs}, {Transaction().user})

    @with_transaction()
    def test_views_cached_once_for_all(self):
        """A form with lists of its own (the site's counters and closures)
        is cached, and the view built for one agent's employee serves the
        others"""
        pool = Pool()
        Site = pool.get('network.site')
        cache = Site._fields_view_get_cache
        cache.clear()
        with Transaction().set_context(employee=1):
            first = Site.fields_view_get(view_type='form')
        self.assertIn('views', first['fields']['counters'])
        hits, misses = cache.hit, cache.miss
        for employee in [1, 2]:
            # as sao sends the context of the preferences back
            with Transaction().set_context({'employee': employee,
                        'employee.rec_name': f"Agent {employee}",
                        'company.rec_name': "Sénégal Numérique SA"}):
                again = Site.fields_view_get(view_type='form')
            self.assertEqual(again['arch'], first['arch'])
        self.assertEqual((cache.hit, cache.miss), (hits + 2, misses))
        # the language still tells views apart
        with Transaction().set_context(employee=2, language='fr'):
            Site.fields_view_get(view_type='form')
        self.assertGreater(cache.miss, misses)

    @with_transaction()
    def test_button_groups_and_triggers_cached_for_every_agent(self):
        """The groups of a button and the triggers of a model found for one
        agent's employee serve the others: 184 agents outgrew the caches
        when each filled them for itself"""
        pool = Pool()
        Button = pool.get('ir.model.button')
        Trigger = pool.get('ir.trigger')
        Button._groups_cache.clear()
        Trigger._get_triggers_cache.clear()
        with Transaction().set_context(employee=1):
            groups = Button.get_groups('network.site', 'close')
            Trigger.get_triggers('network.site', 'write')
        hits = Button._groups_cache.hit, Trigger._get_triggers_cache.hit
        misses = Button._groups_cache.miss, Trigger._get_triggers_cache.miss
        for employee in [1, 2, 3]:
            with Transaction().set_context({'employee': employee,
                        'employee.rec_name': f"Agent {employee}",
                        'company.rec_name': "Sénégal Numérique SA"}):
                self.assertEqual(
                    Button.get_groups('network.site', 'close'), groups)
                Trigger.get_triggers('network.site', 'write')
        self.assertEqual(
            (Button._groups_cache.miss, Trigger._get_triggers_cache.miss),
            misses)
        self.assertEqual(
            (Button._groups_cache.hit, Trigger._get_triggers_cache.hit),
            (hits[0] + 3, hits[1] + 3))

    @with_transaction()
    def test_procedure_search_words(self):
        """Procedures are found by the beginning of any word of their code,
        name or keywords, whatever the case and accents, every word typed
        counting"""
        pool = Pool()
        Procedure = pool.get('network.procedure')

        def codes(text, operator='ilike'):
            return sorted(p.code for p in Procedure.search(
                    [('rec_name', operator, text)]))

        permits = ['URB-AC-C', 'URB-AC-S']
        self.assertEqual(codes('%permis%'), permits)
        self.assertEqual(codes('PERMIS'), permits)
        self.assertEqual(codes('%permis de construire%'), permits)
        self.assertEqual(codes('batir'), permits)
        self.assertEqual(codes('procédure simple'), ['URB-AC-S'])
        self.assertEqual(codes('procedure simple'), ['URB-AC-S'])
        self.assertEqual(codes('%casier%'), ['CJ-B3'])
        self.assertEqual(codes('Casier judiciaire'), ['CJ-B3'])
        self.assertEqual(codes('judiciaire casier'), ['CJ-B3'])
        self.assertEqual(codes('cj-b3'), ['CJ-B3'])
        self.assertEqual(codes('%naiss%'), ['EC-NAIS'])
        self.assertEqual(codes('etat civil'), ['EC-NAIS'])
        self.assertEqual(codes('teledac'), permits)
        # a word must begin a word: « mis » is in « permis » but begins none
        self.assertEqual(codes('mis'), [])
        self.assertEqual(codes('permis naissance'), [])
        self.assertEqual(len(codes('%')), 6)
        # other operators keep their meaning, on the keywords too
        self.assertEqual(codes('CJ-B3', '='), ['CJ-B3'])
        self.assertEqual(
            codes('%permis%', 'not ilike'),
            ['CJ-B3', 'EC-NAIS', 'ENT-CREA', 'POS-MDT'])
        # the many2one of a case searches the same way
        procedure = create_procedure(
            code='VISA', name="Légalisation de signature",
            keywords="signature légalisée, mairie")
        self.assertEqual(codes('legalisee'), ['VISA'])
        self.assertEqual(
            Procedure.search([('rec_name', 'ilike', '%MAIRIE%')]),
            [procedure])

    @with_transaction()
    def test_procedure_legal_delay(self):
        "A legal delay of zero or less is refused"
        for delay in [0, -3]:
            with self.assertRaises(ValidationError) as cm:
                create_procedure(code=f'D{delay}', legal_delay=delay)
            self.assertIn('Legal Delay', str(cm.exception))

    @with_transaction()
    def test_fee_negative(self):
        "A negative fee is refused"
        pool = Pool()
        Fee = pool.get('network.procedure.fee')
        procedure = create_procedure()
        with self.assertRaises(ValidationError) as cm:
            Fee.create([{
                        'procedure': procedure.id, 'label': "Stamp",
                        'kind': 'stamp', 'amount': Decimal(-200),
                        'beneficiary': procedure.partner.id}])
        self.assertIn('Amount', str(cm.exception))

    @with_transaction()
    def test_procedure_code_unique(self):
        "Procedure codes are unique"
        create_procedure()
        with self.assertRaises(ValidationError):
            create_procedure()

    @with_transaction()
    def test_ninea(self):
        "NINEA identifiers are validated with stdnum.sn.ninea"
        pool = Pool()
        Party = pool.get('party.party')
        party, = Party.create([{
                    'name': "Société test", 'partner_kind': 'private',
                    'identifiers': [('create', [{
                                    'type': 'sn_ninea',
                                    'code': '30672212G2'}])]}])
        self.assertEqual(party.tax_identifier.type, 'sn_ninea')
        with self.assertRaises(ValidationError) as cm:
            Party.create([{
                        'name': "Bad", 'identifiers': [('create', [{
                                        'type': 'sn_ninea',
                                        'code': '30672213G2'}])]}])
        self.assertIn('NINEA', str(cm.exception))

    @with_transaction()
    def test_identifier_types_translated_once(self):
        """The identifier types offered at every keystroke of a citizen's
        search are translated once, and follow the configuration"""
        pool = Pool()
        Configuration = pool.get('party.configuration')
        Party = pool.get('party.party')
        Configuration._identifier_types_cache.clear()
        types = Configuration(1).get_identifier_types()
        self.assertIn('sn_ninea', dict(types))
        self.assertGreater(len(types), 100)
        with mock.patch.object(Configuration, 'fields_get') as fields_get:
            self.assertEqual(Configuration(1).get_identifier_types(), types)
            Party.autocomplete("1 751 1985 01234")
            fields_get.assert_not_called()
        Configuration.write([Configuration(1)], {
                'identifier_types': ['sn_ninea']})
        self.assertEqual(Configuration(1).get_identifier_types(),
            [('sn_ninea', "NINEA (Senegal)")])

    @with_transaction()
    def test_partner_contact_phone(self):
        "The partner contact phone must be a Senegal number"
        pool = Pool()
        Party = pool.get('party.party')
        party, = Party.create([{
                    'name': "La Poste", 'partner_kind': 'post',
                    'partner_contact_phone': '77 123 45 67'}])
        self.assertEqual(party.partner_contact_phone, '+221 77 123 45 67')
        self.assertTrue(party.is_partner)
        self.assertIn(party, Party.search([('is_partner', '=', True)]))
        with self.assertRaises(ValidationError):
            Party.write([party], {'partner_contact_phone': '0612345678'})

    @with_transaction()
    def test_add_working_days(self):
        "Working days skip weekends and Senegal's public holidays"
        pool = Pool()
        Holiday = pool.get('network.holiday')
        # Friday 3 April 2026 + 1: Saturday 4 April is Independence Day,
        # Easter Monday 6 April is a holiday: Tuesday 7 April
        self.assertEqual(
            Holiday.add_working_days(dt.date(2026, 4, 3), 1),
            dt.date(2026, 4, 7))
        self.assertEqual(
            Holiday.add_working_days(dt.date(2026, 11, 20), 3),
            dt.date(2026, 11, 25))
        self.assertEqual(
            Holiday.count_working_days(
                dt.date(2026, 4, 3), dt.date(2026, 4, 10)), 4)
        self.assertFalse(Holiday.is_working_day(dt.date(2026, 5, 1)))
        # 23:30 UTC on Friday is still Friday in Dakar (UTC+0)
        self.assertEqual(
            Holiday.add_working_days(dt.datetime(2026, 11, 20, 23, 30), 1),
            dt.date(2026, 11, 23))

    @with_transaction()
    def test_names_read_from_their_columns(self):
        """Sites, procedures and counters are named from their columns, as
        the instance methods named them"""
        pool = Pool()
        Site = pool.get('network.site')
        Procedure = pool.get('network.procedure')
        Counter = pool.get('network.counter')
        Sector = pool.get('network.sector')
        sites = Site.search([], limit=3)
        procedures = Procedure.search([], limit=3)
        sector, = Sector.search([], limit=1)
        counters = Counter.create([
                {'site': s.id, 'name': "Guichet 1", 'sector': sector.id}
                for s in sites])
        self.assertTrue(sites and procedures)
        with warnings.catch_warnings():
            # each named in one query for all (trytond's grouped_slice
            # without a size warns, and slices one by one)
            warnings.simplefilter('error', DeprecationWarning)
            for Model, records in [(Site, sites), (Procedure, procedures),
                    (Counter, counters)]:
                self.assertEqual(
                    set(Model.get_rec_name(records, 'rec_name')),
                    {r.id for r in records})
        for site in Site.browse(sites):
            self.assertEqual(site.rec_name, f'[{site.code}] {site.name}')
        for procedure in Procedure.browse(procedures):
            self.assertEqual(
                procedure.rec_name, f'[{procedure.code}] {procedure.name}')
        for counter in Counter.browse(counters):
            self.assertEqual(counter.rec_name, f'{counter.site.code} - '
                f'{counter.name} ({counter.sector.name})')
        # the sector's name in the reader's language
        Sector.write([sector], {'name': "Justice"})
        with Transaction().set_context(language='fr'):
            Sector.write([sector], {'name': "Justice (fr)"})
            self.assertEqual([c.rec_name for c in Counter.browse(counters)],
                [f'{c.site.code} - Guichet 1 (Justice (fr))'
                    for c in counters])
        self.assertEqual([c.rec_name for c in Counter.browse(counters)],
            [f'{c.site.code} - Guichet 1 (Justice)' for c in counters])

    @with_transaction()
    def test_party_named_from_its_columns(self):
        "A party is named by its name, else by its code in brackets"
        Party = Pool().get('party.party')
        named, unnamed = Party.create([{'name': "Awa Diatta"}, {}])
        named, unnamed = Party.browse([named, unnamed])
        # in one query for all (trytond's grouped_slice without a size
        # warns, and slices one by one)
        with warnings.catch_warnings():
            warnings.simplefilter('error', DeprecationWarning)
            self.assertEqual(Party.get_rec_name([named, unnamed], 'rec_name'),
                {named.id: "Awa Diatta", unnamed.id: f'[{unnamed.code}]'})
        self.assertEqual(named.rec_name, "Awa Diatta")
        self.assertTrue(unnamed.code)
        self.assertEqual(unnamed.rec_name, f'[{unnamed.code}]')
        self.assertEqual(
            Party.read([named.id, unnamed.id], ['rec_name']),
            [{'id': named.id, 'rec_name': "Awa Diatta"},
                {'id': unnamed.id, 'rec_name': f'[{unnamed.code}]'}])

    @with_transaction()
    def test_rule_cache_holds_the_network(self):
        "The rules' cache holds the keys of every agent of the network"
        from service_network.user import RULE_CACHE_SIZE
        Rule = Pool().get('ir.rule')
        self.assertGreaterEqual(
            Rule._domain_get_cache.size_limit, RULE_CACHE_SIZE)

    def test_working_days_counted_without_walking_the_days(self):
        """The working days between two dates, counted by weeks, are those
        of a walk day by day, both ways, holidays on weekdays and on
        weekends alike"""
        import random

        from service_network.calendar import WEEKEND, working_days

        def walked(start, end, closed):
            sign = 1
            if end < start:
                start, end, sign = end, start, -1
            count, date = 0, start
            while date < end:
                date += dt.timedelta(days=1)
                if date.weekday() not in WEEKEND and date not in closed:
                    count += 1
            return sign * count

        draw = random.Random(18)
        origin = dt.date(2025, 1, 1)
        for _ in range(2000):
            start = origin + dt.timedelta(days=draw.randrange(900))
            end = origin + dt.timedelta(days=draw.randrange(900))
            closed = {origin + dt.timedelta(days=draw.randrange(900))
                for _ in range(draw.randrange(30))}
            self.assertEqual(working_days(start, end, closed),
                walked(start, end, closed), msg=(start, end))

    @with_transaction()
    def test_holiday_table_overrides_library(self):
        "A loaded year follows the table: moved and added holidays"
        pool = Pool()
        Holiday = pool.get('network.holiday')
        Holiday.load_years([2026])
        self.assertTrue(Holiday.search([('year', '=', 2026)]))
        # Eid al-Fitr is estimated on Friday 20 March 2026: moved to Monday
        eid, = Holiday.search([('date', '=', dt.date(2026, 3, 20))])
        self.assertTrue(eid.estimated)
        Holiday.write([eid], {'date': dt.date(2026, 3, 23)})
        Holiday.confirm_date([eid])
        self.assertFalse(eid.estimated)
        self.assertTrue(Holiday.is_working_day(dt.date(2026, 3, 20)))
        self.assertFalse(Holiday.is_working_day(dt.date(2026, 3, 23)))
        # A manual holiday in a year not loaded yet loads the year first
        Holiday.create([{'date': dt.date(2027, 6, 15), 'name': "Tabaski"}])
        self.assertIn(2027, Holiday.loaded_years([2027]))
        self.assertFalse(Holiday.is_working_day(dt.date(2027, 6, 15)))
        # Easter Monday 2027 came from the official calendar
        easter, = Holiday.search([('date', '=', dt.date(2027, 3, 29))])
        self.assertEqual(easter.origin, 'library')
        self.assertFalse(Holiday.is_working_day(dt.date(2027, 3, 29)))
        # A deactivated holiday is worked
        Holiday.write([easter], {'active': False})
        self.assertTrue(Holiday.is_working_day(dt.date(2027, 3, 29)))
        with self.assertRaises(ValidationError):
            Holiday.create([{'date': dt.date(2026, 11, 21), 'name': "Sat"}])

    @with_transaction()
    def test_holiday_confirm_date(self):
        "An estimated date is confirmed by a button; past ones are not to do"
        pool = Pool()
        Holiday = pool.get('network.holiday')
        Button = pool.get('ir.model.button')
        self.assertTrue(Holiday.estimated.readonly)
        button, = Button.search([
                ('model', '=', 'network.holiday'),
                ('name', '=', 'confirm_date')])
        self.assertEqual(
            [g.name for g in button.groups], ["Network Administration"])
        # Last year's estimates stay as they are: the day is past
        Holiday.load_years([2025, 2027])
        past = Holiday.search([
                ('year', '=', 2025), ('estimated', '=', True)])
        self.assertTrue(past)
        estimated = Holiday.search([
                ('year', '=', 2027), ('estimated', '=', True)])
        self.assertGreaterEqual(len(estimated), 2)
        first, second = estimated[:2]
        # Unticking the box is refused to users: the button is the way
        with check_access(), self.assertRaises(AccessError):
            Holiday.write([first], {'estimated': False})
        self.assertTrue(first.estimated)
        with check_access():
            Holiday.confirm_date([first])
        self.assertFalse(first.estimated)
        self.assertTrue(second.estimated)
        # The "To Confirm" tab leaves out the dates already past
        ActionDomain = pool.get('ir.action.act_window.domain')
        tab, = ActionDomain.search([('name', '=', "To Confirm"),
                ('act_window.res_model', '=', 'network.holiday')])
        domain = PYSONDecoder().decode(tab.domain)
        self.assertIn(('estimated', '=', True), [tuple(c) for c in domain])
        dates = {h.date for h in Holiday.search(domain)}
        self.assertTrue(dates)
        self.assertTrue(all(d >= dt.date.today() for d in dates))
        self.assertIn(second.date, dates)
        self.assertNotIn(first.date, dates)
        self.assertFalse(dates & {h.date for h in past})

    @with_transaction()
    def test_site_rules(self):
        "Site managers change only their own sites' counters"
        pool = Pool()
        Site = pool.get('network.site')
        Counter = pool.get('network.counter')
        Sector = pool.get('network.sector')
        zig, = Site.search([('code', '=', 'ZIG')])
        ths, = Site.search([('code', '=', 'THS')])
        sector, = Sector.search([('code', '=', 'J')])
        manager = create_site_manager(zig)
        with Transaction().set_user(manager.id), \
                Transaction().set_context(_check_access=True):
            counter, = Counter.create([{
                        'site': zig.id, 'name': "Box 1",
                        'sector': sector.id}])
            Site.write([Site(zig.id)], {'phone': '33 991 11 20'})
            with self.assertRaises(AccessError):
                Counter.create([{
                            'site': ths.id, 'name': "Box 1",
                            'sector': sector.id}])
            with self.assertRaises(AccessError):
                Site.write([Site(ths.id)], {'phone': '33 951 11 20'})
            # every site stays readable
            self.assertEqual(len(Site.search([])), 46)

    @with_transaction()
    def test_rule_check_reads_ids_only(self):
        """A user's writes are checked against the record rules from the
        records' ids, and refused with trytond's message naming the rule"""
        pool = Pool()
        Site = pool.get('network.site')
        Counter = pool.get('network.counter')
        Sector = pool.get('network.sector')
        Rule = pool.get('ir.rule')
        zig, = Site.search([('code', '=', 'ZIG')])
        ths, = Site.search([('code', '=', 'THS')])
        sector, = Sector.search([('code', '=', 'J')])
        ours, theirs = Counter.create([
                {'site': zig.id, 'name': "Box 1", 'sector': sector.id},
                {'site': ths.id, 'name': "Box 1", 'sector': sector.id}])
        manager = create_site_manager(zig)
        with Transaction().set_user(manager.id), check_access(), \
                mock.patch.object(
                    Counter, 'search', wraps=Counter.search) as search:
            Rule.check('network.counter', [ours.id], 'write')
            self.assertEqual(
                [c.kwargs.get('query') for c in search.call_args_list],
                [True])
            with self.assertRaises(AccessError) as cm:
                Rule.check('network.counter', [ours.id, theirs.id], 'write')
        self.assertIn(str(theirs.id), str(cm.exception))
        self.assertIn("Site managers change their own sites' counters",
            str(cm.exception))

    @with_transaction()
    def test_home_actions_at_login(self):
        "A user starts on the home pages of their groups unless they chose"
        pool = Pool()
        User = pool.get('res.user')
        Action = pool.get('ir.action')
        ModelData = pool.get('ir.model.data')

        def group(name):
            return ModelData.get_id('service_network', name)

        def home(name):
            return Action.get_action_id(
                ModelData.get_id('service_network', name))

        manager, agent, both, chooser, nobody = User.create([{
                    'login': 'manager', 'name': "Manager",
                    'groups': [('add', [group('group_site_manager')])],
                    }, {
                    'login': 'agent', 'name': "Agent",
                    'groups': [('add', [group('group_site_agent')])],
                    }, {
                    'login': 'both', 'name': "Both",
                    'groups': [('add', [
                                group('group_site_agent'),
                                group('group_site_manager')])],
                    }, {
                    'login': 'chooser', 'name': "Chooser",
                    'groups': [('add', [group('group_site_manager')])],
                    'actions': [('add', [home('act_home_site_agent')])],
                    }, {
                    'login': 'nobody', 'name': "Nobody",
                    }])

        def login_actions(user):
            with Transaction().set_user(user.id):
                return User.get_preferences()['actions']

        self.assertEqual(
            login_actions(manager), [home('act_home_site_manager')])
        self.assertEqual(login_actions(agent), [home('act_home_site_agent')])
        # one tab per home page, in the order of the home actions
        self.assertEqual(login_actions(both), [
                home('act_home_site_manager'), home('act_home_site_agent')])
        # the user's own choice wins
        self.assertEqual(
            login_actions(chooser), [home('act_home_site_agent')])
        self.assertEqual(login_actions(nobody), [])

        # saving the preferences form, which shows the home pages, does not
        # make them the user's own choice
        with Transaction().set_user(both.id):
            User.set_preferences({'actions': [('add', login_actions(both))]})
        self.assertEqual(User(both.id).actions, ())
        with Transaction().set_user(manager.id):
            User.set_preferences(
                {'actions': [('add', [home('act_home_site_agent')])]})
        self.assertEqual(
            login_actions(manager), [home('act_home_site_agent')])

    @with_transaction()
    def test_home_action_of_other_group_skipped(self):
        "A home action reserved to other groups is not opened at login"
        pool = Pool()
        User = pool.get('res.user')
        HomeAction = pool.get('res.group.home_action')
        ModelData = pool.get('ir.model.data')
        Action = pool.get('ir.action')
        agent_group = ModelData.get_id('service_network', 'group_site_agent')
        manager_home = Action.get_action_id(ModelData.get_id(
                'service_network', 'act_home_site_manager'))
        # misconfigured: the agents' home is the managers' board
        HomeAction.create([{'group': agent_group, 'action': manager_home}])
        agent, = User.create([{
                    'login': 'agent', 'name': "Agent",
                    'groups': [('add', [agent_group])]}])
        actions = HomeAction.login_actions(agent)
        self.assertNotIn(manager_home, actions)
        self.assertEqual(len(actions), 1)


class ServiceNetworkFrenchTestCase(unittest.TestCase):
    "Messages reach users in French"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module('service_network', lang='fr')

    @classmethod
    def tearDownClass(cls):
        # the next test creates its own database under the same name
        drop_db()
        super().tearDownClass()

    @with_transaction(context={'language': 'fr'})
    def test_french_site_code_unique(self):
        pool = Pool()
        Site = pool.get('network.site')
        with self.assertRaises(ValidationError) as cm:
            Site.create([site_values(code='ZIG')])
        self.assertIn('Le code de site est déjà utilisé', str(cm.exception))

    @with_transaction(context={'language': 'fr'})
    def test_french_tryton_corrections(self):
        "Every list's « Créé le » column, not Tryton's « Crée le »"
        pool = Pool()
        Site = pool.get('network.site')
        self.assertEqual(gettext('ir.msg_created_at'), "Créé le")
        self.assertEqual(gettext('ir.msg_edited_at'), "Modifié le")
        fields = Site.fields_get(['create_date', 'write_date'])
        self.assertEqual(fields['create_date']['string'], "Créé le")
        self.assertEqual(fields['write_date']['string'], "Modifié le")

    @with_transaction(context={'language': 'fr'})
    def test_french_legal_delay(self):
        with self.assertRaises(ValidationError) as cm:
            create_procedure(legal_delay=0)
        self.assertIn('Délai légal', str(cm.exception))
        self.assertIn('jour ouvré', str(cm.exception))
