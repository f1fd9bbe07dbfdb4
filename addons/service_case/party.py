"""Citizens' identity and personal data: the counter's citizen form, who
reads a party, erasing and merging citizens.

A citizen is a party without a partner kind that is neither an employee
nor a company. The counter types a citizen's names, birth date and place,
national ID number (NIN) and phone once, on the citizen form; a NIN is
unique and a likely duplicate is signalled before it is saved. Site staff
read the citizens of their sites' cases and complaints and those they
registered; finance and HR read only the other parties (see
docs/PERSONAL_DATA.md and personal_data.xml). Erasing a citizen (law
2008-12) keeps the figures of their cases without their personal data;
merging two citizens moves their cases, complaints and tickets.
"""
import phonenumbers
from sql import Null, Union
from sql.conditionals import Case as SQLCase
from sql.conditionals import Coalesce

from trytond.i18n import gettext
from trytond.model import Index, Unique, fields
from trytond.model.exceptions import AccessError, ValidationError
from trytond.modules.party.exceptions import (
    EraseError,
    InvalidIdentifierCode,
    SimilarityWarning,
)
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Bool, Eval
from trytond.tools import escape_wildcard
from trytond.transaction import Transaction, check_access, without_check_access

from service_network.phone import (
    check_sn_phone,
    format_sn_phone,
    parse_sn_phone,
)

from .case import FINISHED_STATES
from .identity import compact_nin, full_name, identity_from_text, nin_error

# Fields of a case that hold the citizen's personal data, cleared on
# erasure; the figures (site, procedure, dates, fees, state) stay.
CASE_PERSONAL_FIELDS = [
    'phone', 'rating_comment', 'rating_token',
    'recipient_name', 'recipient_id_number']
# The citizen's own fields, cleared on erasure with Tryton's name
CITIZEN_PERSONAL_FIELDS = [
    'first_name', 'last_name', 'birth_date', 'birth_place', 'national_id',
    'preferred_language']
MASK = '****'
# The contact mechanisms that hold the citizen's phone, the mobile first
PHONE_TYPES = ['mobile', 'phone']
# The languages spoken at the counters (ISO 639 codes)
LANGUAGES = [
    (None, ""),
    ('fr', "French"),
    ('wo', "Wolof"),
    ('ff', "Pulaar"),
    ('srr', "Serer"),
    ('mnk', "Mandinka"),
    ('dyo', "Jola"),
    ('snk', "Soninke"),
    ('ar', "Arabic"),
    ('en', "English"),
    ('other', "Other"),
    ]


def check_network_admin(action):
    """Refuse action unless the user is a network administrator: erasing
    and merging citizens are the network administration's, whatever the
    groups of the wizard's action say"""
    pool = Pool()
    ModelData = pool.get('ir.model.data')
    User = pool.get('res.user')
    if not Transaction().user:
        return
    group = ModelData.get_id('service_network', 'group_network_admin')
    if group not in User.get_groups():
        raise AccessError(gettext(
                'service_case.msg_party_network_admin_only', action=action))


# The models whose record rules compare a record's user with the current
# user: citizens registered by the user, the user's own counter desk and
# the checklist ticked on it
USER_RULE_MODELS = {'party.party', 'case.desk', 'case.desk.document'}


# typed numbers at least this long are NINs (13 digits), phones (9) or
# identifiers, searched without the names and codes of the parties
LONG_NUMBER = 9


def _is_long_number(text):
    "Whether text, without wildcards and separators, is a long number"
    digits = compact_nin(text.replace('%', '').replace('+', ''))
    return digits.isdigit() and len(digits) >= LONG_NUMBER


def _mask_not_null(column):
    "Mask a nullable text column, leaving it empty where it was"
    return SQLCase((column == Null, Null), else_=MASK)


def phone_type(value):
    "The contact mechanism type of a Senegal number: mobile or phone"
    number = parse_sn_phone(value)
    if number is not None and phonenumbers.number_type(number) in {
            phonenumbers.PhoneNumberType.MOBILE,
            phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}:
        return 'mobile'
    return 'phone'


class Party(metaclass=PoolMeta):
    __name__ = 'party.party'
    first_name = fields.Char(
        "First Names", help="The citizen's first names, as on the identity "
        "card.")
    last_name = fields.Char(
        "Last Name", help="The citizen's last name, as on the identity card.")
    birth_date = fields.Date("Birth Date")
    birth_place = fields.Char(
        "Birth Place", help="The town or village of birth as on the identity "
        "card, with the country if abroad.")
    national_id = fields.Char(
        "National ID Number",
        help="The citizen's national identification number (NIN): 13 digits "
        "printed on the back of the ECOWAS identity card, above the "
        "machine-readable lines.")
    citizen_phone = fields.Function(fields.Char(
            "Phone",
            help="The citizen's phone, where they are told that a document "
            "is ready: a Senegal number."),
        'get_citizen_phone', setter='set_citizen_phone',
        searcher='search_citizen_phone')
    preferred_language = fields.Selection(
        LANGUAGES, "Preferred Language", sort=False,
        help="The language the citizen prefers to be served in.")
    cases = fields.One2Many(
        'case.case', 'citizen', "Cases", readonly=True)
    tickets = fields.One2Many(
        'case.ticket', 'party', "Queue Tickets", readonly=True)
    ratings = fields.One2Many(
        'case.case', 'citizen', "Ratings", readonly=True,
        filter=[('rating', '!=', None)])
    complaints = fields.One2Many(
        'case.complaint', 'citizen', "Complaints", readonly=True)
    # The record rules tell citizens from staff and companies with these
    employees = fields.One2Many(
        'company.employee', 'party', "Employees", readonly=True)
    companies = fields.One2Many(
        'company.company', 'party', "Companies", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('national_id_unique', Unique(t, t.national_id),
                'service_case.msg_party_national_id_unique'),
            ]
        # the counter finds a citizen by the NIN (sao's completion searches
        # '%text%', and a Char's column is searched as COALESCE(column,
        # '')): a trigram index on PostgreSQL with pg_trgm, as Tryton makes
        # for the name, which search_rec_name's union uses
        cls._sql_indexes.add(Index(t, (
                    Index.Unaccent(Coalesce(t.national_id, '')),
                    Index.Similarity(cardinality='high'))))
        # The name of a citizen follows their first and last names
        readonly = Bool(Eval('first_name')) | Bool(Eval('last_name'))
        if cls.name.states.get('readonly'):
            readonly |= cls.name.states['readonly']
        cls.name.states = {**cls.name.states, 'readonly': readonly}

    @classmethod
    def view_attributes(cls):
        # a citizen being created has no history yet
        return super().view_attributes() + [
            ('//notebook[page[@name="tickets"]]', 'states', {
                    'invisible': Eval('id', -1) < 0,
                    }),
            ]

    @classmethod
    def default_get(
            cls, fields_names=None, with_rec_name=True, with_default=True):
        values = super().default_get(
            fields_names=fields_names, with_rec_name=with_rec_name,
            with_default=with_default)
        # On the citizen form, what the agent typed in a citizen field
        # fills the names, the phone or the NIN
        text = Transaction().context.get('default_rec_name')
        if text and fields_names and 'first_name' in fields_names:
            identity = identity_from_text(text)
            values.update(identity)
            values['name'] = full_name(
                identity.get('first_name'), identity.get('last_name'))
        return values

    @fields.depends('first_name', 'last_name', 'name')
    def on_change_first_name(self):
        self.name = full_name(self.first_name, self.last_name) or self.name

    @fields.depends(methods=['on_change_first_name'])
    def on_change_last_name(self):
        self.on_change_first_name()

    @fields.depends('citizen_phone')
    def on_change_citizen_phone(self):
        self.citizen_phone = format_sn_phone(self.citizen_phone)

    @classmethod
    def search_rec_name(cls, name, clause):
        pool = Pool()
        FieldAccess = pool.get('ir.model.field.access')
        domain = super().search_rec_name(name, clause)
        _, operator, operand, *extra = clause
        if (isinstance(operand, str) and domain and domain[0] == 'OR'
                and _is_long_number(operand)):
            # a NIN or a phone number typed: no name holds one, and no
            # party code is that long; their trigram indexes match most
            # digits and cost more than the whole search
            domain = [c for c in domain
                if c == 'OR' or c[0] not in {'name', 'code'}]
        # who may not read the NIN may not search by it
        if FieldAccess.check(
                cls.__name__, ['national_id'], raise_exception=False):
            if isinstance(operand, str):
                operand = compact_nin(operand)
            domain.append(('national_id', operator, operand, *extra))
        return cls._union_rec_name(domain)

    @classmethod
    def _union_rec_name(cls, domain):
        """The ids matching any clause of the 'OR' domain, as one union of
        a query per clause: each clause uses its own index (the name's and
        the NIN's trigrams, the contact mechanisms' and the identifiers'),
        where the 'OR' of columns and of sub-queries scans every party"""
        if not domain or domain[0] != 'OR':
            return domain
        with without_check_access(), Transaction().set_context(
                active_test=False):
            queries = [cls.search([clause], order=[], query=True)
                for clause in domain[1:]]
        return [('id', 'in',
                Union(*queries) if len(queries) > 1 else queries[0])]

    def citizen_name(self):
        """The name of the citizen, also before it is computed from the
        first and last names (messages of the checks)"""
        return full_name(self.first_name, self.last_name) or self.rec_name

    def phone_mechanism(self):
        "The contact mechanism of the citizen's phone, the mobile first"
        mechanisms = [m for m in self.contact_mechanisms
            if m.type in PHONE_TYPES]
        mechanisms.sort(key=lambda m: PHONE_TYPES.index(m.type))
        return mechanisms[0] if mechanisms else None

    def get_citizen_phone(self, name):
        mechanism = self.phone_mechanism()
        return mechanism.value if mechanism else None

    @classmethod
    def set_citizen_phone(cls, parties, name, value):
        pool = Pool()
        ContactMechanism = pool.get('party.contact_mechanism')
        field = cls.__names__(name)['field']
        to_save, to_delete = [], []
        for party in parties:
            check_sn_phone(value, field, party.citizen_name())
            mechanism = party.phone_mechanism()
            if not value:
                if mechanism:
                    to_delete.append(mechanism)
                continue
            if mechanism is None:
                mechanism = ContactMechanism(party=party)
            mechanism.type = phone_type(value)
            mechanism.value = format_sn_phone(value)
            to_save.append(mechanism)
        ContactMechanism.save(to_save)
        ContactMechanism.delete(to_delete)

    @classmethod
    def search_citizen_phone(cls, name, clause):
        _, operator, value, *extra = clause
        if value is None and operator in {'=', '!='}:
            where = 'not where' if operator == '=' else 'where'
            return [('contact_mechanisms', where, [
                        ('type', 'in', PHONE_TYPES)])]
        return [('contact_mechanisms', 'where', [
                    ('type', 'in', PHONE_TYPES),
                    ['OR',
                        ('value', operator, value, *extra),
                        ('value_compact', operator, value, *extra),
                        ],
                    ])]

    @classmethod
    def copy(cls, parties, default=None):
        default = default.copy() if default is not None else {}
        # a NIN is one person's
        default.setdefault('national_id', None)
        return super().copy(parties, default=default)

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if values.get('national_id'):
            values['national_id'] = compact_nin(values['national_id'])
        for name in ['first_name', 'last_name', 'birth_place']:
            if values.get(name):
                values[name] = ' '.join(values[name].split())
        if values.get('citizen_phone'):
            values['citizen_phone'] = format_sn_phone(
                values['citizen_phone'])
        return values

    def compute_fields(self, field_names=None):
        values = super().compute_fields(field_names=field_names)
        if field_names is None or {'first_name', 'last_name'} & field_names:
            name = full_name(self.first_name, self.last_name)
            if name and name != self.name:
                values['name'] = name
        return values

    @classmethod
    def validate_fields(cls, parties, field_names):
        super().validate_fields(parties, field_names)
        if field_names is None or 'national_id' in field_names:
            cls.check_national_id(parties)
        if field_names is None or 'birth_date' in field_names:
            cls.check_birth_date(parties)

    @classmethod
    def check_national_id(cls, parties):
        for party in parties:
            if not party.national_id:
                continue
            error = nin_error(party.national_id)
            if error:
                raise InvalidIdentifierCode(gettext(
                        f'service_case.msg_party_national_id_{error}',
                        number=party.national_id,
                        party=party.citizen_name()))

    @classmethod
    def check_birth_date(cls, parties):
        pool = Pool()
        Lang = pool.get('ir.lang')
        Date = pool.get('ir.date')
        lang = Lang.get()
        today = Date.today()
        for party in parties:
            if party.birth_date and party.birth_date > today:
                raise ValidationError(gettext(
                        'service_case.msg_party_birth_date_future',
                        party=party.citizen_name(),
                        date=lang.strftime(party.birth_date)))

    @classmethod
    def check_modification(cls, mode, parties, values=None, external=False):
        super().check_modification(
            mode, parties, values=values, external=external)
        # A person at the counter is told; code creating parties is not
        if mode == 'create' and external:
            cls.check_duplicates(parties)

    @classmethod
    def check_duplicates(cls, parties):
        """Warn when a citizen the user can read has the same name and birth
        date, or the same name and phone, as one being created"""
        pool = Pool()
        Warning = pool.get('res.user.warning')
        Lang = pool.get('ir.lang')
        FieldAccess = pool.get('ir.model.field.access')
        lang = Lang.get()
        # the warning shows of the others only what the user may read
        with check_access():
            shown = [name for name in ['birth_date', 'national_id']
                if FieldAccess.check(
                    cls.__name__, [name], raise_exception=False)]
        for party in parties:
            name = full_name(party.first_name, party.last_name) or party.name
            if not name or party.partner_kind:
                continue
            phone = party.citizen_phone
            for kind, criterion in [
                    ('birth_date', party.birth_date
                        and ('birth_date', '=', party.birth_date)),
                    ('phone', phone
                        and ('citizen_phone', '=', phone)),
                    ]:
                if not criterion:
                    continue
                with check_access():
                    duplicates = cls.search([
                            ('id', '!=', party.id),
                            ('partner_kind', '=', None),
                            ('name', 'ilike', escape_wildcard(name)),
                            criterion,
                            ], order=[('id', 'ASC')], limit=5)
                if not duplicates:
                    continue
                # not keyed on the new party: its id changes when the
                # agent confirms and the client sends the creation again
                key = Warning.format(f'citizen_duplicate_{kind}', duplicates)
                if Warning.check(key):
                    raise SimilarityWarning(key, gettext(
                            f'service_case.msg_party_duplicate_{kind}',
                            party=name,
                            citizens=', '.join(
                                d.duplicate_description(lang, shown)
                                for d in duplicates)))

    def duplicate_description(self, lang, shown):
        """How a warning tells this citizen apart: name, birth date, phone
        and NIN (the fields of shown among these two)"""
        details = [
            lang.strftime(self.birth_date)
            if self.birth_date and 'birth_date' in shown else '',
            self.citizen_phone or '',
            self.national_id if 'national_id' in shown else '']
        details = ', '.join(d for d in details if d)
        return f'{self.rec_name} ({details})' if details else self.rec_name


class Rule(metaclass=PoolMeta):
    __name__ = 'ir.rule'

    # Site staff read the citizens they registered (create_uid) and work at
    # their own desk (user): these rules compare with the current user
    @classmethod
    def _get_context(cls, model_name):
        context = super()._get_context(model_name)
        if model_name in USER_RULE_MODELS:
            context['user_id'] = Transaction().user
        return context

    @classmethod
    def _get_cache_key(cls, model_names):
        key = super()._get_cache_key(model_names)
        if USER_RULE_MODELS.intersection(model_names):
            key = (*key, Transaction().user)
        return key


class Erase(metaclass=PoolMeta):
    __name__ = 'party.erase'

    def transition_erase(self):
        check_network_admin(gettext('service_case.msg_party_erase_action'))
        return super().transition_erase()

    def check_erase(self, party):
        pool = Pool()
        Case = pool.get('case.case')
        Complaint = pool.get('case.complaint')
        super().check_erase(party)
        # A case in progress still needs the citizen's phone and documents
        with without_check_access():
            cases = Case.search([
                    ('citizen', '=', party.id),
                    ('state', 'not in', FINISHED_STATES),
                    ], limit=1)
            complaints = Complaint.search([
                    ('citizen', '=', party.id),
                    ('state', 'in', ['draft', 'open']),
                    ], limit=1)
        if cases:
            case, = cases
            raise EraseError(gettext(
                    'service_case.msg_erase_party_open_case',
                    party=party.rec_name, case=case.rec_name))
        if complaints:
            complaint, = complaints
            raise EraseError(gettext(
                    'service_case.msg_erase_party_open_complaint',
                    party=party.rec_name, complaint=complaint.rec_name))

    def to_erase(self, party_id):
        pool = Pool()
        Party = pool.get('party.party')
        Case = pool.get('case.case')
        Document = pool.get('case.document')
        Complaint = pool.get('case.complaint')
        Notification = pool.get('case.notification')
        to_erase = super().to_erase(party_id)
        case_columns = [f for f in CASE_PERSONAL_FIELDS if f in Case._fields]
        to_erase.extend([
                (Party, [('id', '=', party_id)], False,
                    CITIZEN_PERSONAL_FIELDS,
                    [None] * len(CITIZEN_PERSONAL_FIELDS)),
                # the scans attached to the cases and their documents go;
                # the documents' names stay on the checklist
                (Case, [('citizen', '=', party_id)], True,
                    case_columns, [None] * len(case_columns)),
                (Document, [('case.citizen', '=', party_id)], True, [], []),
                (Complaint, [('citizen', '=', party_id)], True,
                    ['description', 'answer'], [MASK, _mask_not_null]),
                (Notification, [('case.citizen', '=', party_id)], False,
                    ['recipient', 'text', 'last_error'],
                    [MASK, MASK, _mask_not_null]),
                ])
        return to_erase


class Replace(metaclass=PoolMeta):
    __name__ = 'party.replace'

    def transition_replace(self):
        check_network_admin(gettext('service_case.msg_party_replace_action'))
        source, destination = self.ask.source, self.ask.destination
        # the kept citizen takes what only the duplicate knew of them; a
        # NIN is unique: the duplicate gives it up first
        taken = {name: getattr(source, name)
            for name in CITIZEN_PERSONAL_FIELDS
            if getattr(source, name) and not getattr(destination, name)}
        if taken.get('national_id'):
            source.national_id = None
            source.save()
        if taken:
            for name, value in taken.items():
                setattr(destination, name, value)
            destination.save()
        return super().transition_replace()

    @classmethod
    def fields_to_replace(cls):
        # service_network registers no replace wizard: its partners'
        # procedures and fees move here too
        return super().fields_to_replace() + [
            ('case.case', 'citizen'),
            ('case.complaint', 'citizen'),
            ('case.ticket', 'party'),
            ('case.fee', 'beneficiary'),
            ('network.procedure', 'partner'),
            ('network.procedure.fee', 'beneficiary'),
            ]
