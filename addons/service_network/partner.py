import datetime as dt

from trytond.cache import Cache
from trytond.model import fields
from trytond.pool import PoolMeta
from trytond.pyson import Bool, Eval
from trytond.transaction import Transaction

from .phone import check_sn_phone, format_sn_phone
from .rec_names import column_names

NINEA = ('sn_ninea', "NINEA (Senegal)")


class Configuration(metaclass=PoolMeta):
    __name__ = 'party.configuration'
    # The identifier types offered, with their labels: party's autocomplete
    # of a citizen asks for them at every keystroke (to propose EU VAT
    # numbers), and each time trytond read the configuration twice and
    # translated the ~175 types of the selection (3 ms of the 5 ms of a
    # NIN typed at the counter). Per language; emptied when the
    # configuration changes, kept an hour for the labels' translations.
    _identifier_types_cache = Cache(
        'party.configuration.get_identifier_types', context=False,
        duration=dt.timedelta(hours=1))

    @classmethod
    def __setup__(cls):
        super().__setup__()
        # party calls the type sn_nimea, which stdnum does not know, so it
        # was never validated; sn_ninea is found as stdnum.sn.ninea.
        selection = [s for s in cls.identifier_types.selection
            if s[0] != 'sn_nimea']
        if NINEA not in selection:
            selection.append(NINEA)
        cls.identifier_types.selection = selection

    def get_identifier_types(self):
        language = Transaction().language
        types = self._identifier_types_cache.get(language)
        if types is None:
            types = super().get_identifier_types()
            self._identifier_types_cache.set(language, types)
        return list(types)

    @classmethod
    def on_modification(cls, mode, configurations, field_names=None):
        super().on_modification(
            mode, configurations, field_names=field_names)
        cls._identifier_types_cache.clear()


class Party(metaclass=PoolMeta):
    __name__ = 'party.party'
    partner_kind = fields.Selection([
            (None, ""),
            ('ministry', "Ministry"),
            ('agency', "Agency"),
            ('post', "La Poste"),
            ('commune', "Commune"),
            ('private', "Private"),
            ], "Partner Kind",
        help="Set for the partner administrations that own procedures.")
    is_partner = fields.Function(
        fields.Boolean("Partner Administration"), 'get_is_partner',
        searcher='search_is_partner')
    partner_contact_name = fields.Char(
        "Contact", states={'invisible': ~Bool(Eval('partner_kind'))})
    partner_contact_phone = fields.Char(
        "Contact Phone", states={'invisible': ~Bool(Eval('partner_kind'))})
    partner_contact_email = fields.Char(
        "Contact Email", states={'invisible': ~Bool(Eval('partner_kind'))})
    transmission = fields.Selection([
            ('manual', "Manual"),
            ], "Transmission",
        states={
            'invisible': ~Bool(Eval('partner_kind')),
            },
        help="How cases reach the partner: by hand, or through a "
        "connector.")
    procedures = fields.One2Many(
        'network.procedure', 'partner', "Procedures", readonly=True,
        states={'invisible': ~Bool(Eval('partner_kind'))})

    @classmethod
    def tax_identifier_types(cls):
        return super().tax_identifier_types() + [NINEA[0]]

    @classmethod
    def default_transmission(cls):
        return 'manual'

    def get_is_partner(self, name):
        return bool(self.partner_kind)

    @classmethod
    def get_rec_name(cls, parties, name):
        # party's name, else its code in brackets, from the two columns:
        # the cases and desks of the counter name their citizen in every
        # read, where loading the whole party cost more than the read
        return column_names(cls, parties, ['name', 'code'],
            lambda name, code: name or f'[{code}]')

    @classmethod
    def search_is_partner(cls, name, clause):
        _, operator, value = clause
        if (operator == '=') == bool(value):
            return [('partner_kind', '!=', None)]
        return [('partner_kind', '=', None)]

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if values.get('partner_contact_phone'):
            values['partner_contact_phone'] = format_sn_phone(
                values['partner_contact_phone'])
        return values

    @classmethod
    def validate_fields(cls, parties, field_names):
        super().validate_fields(parties, field_names)
        if field_names and 'partner_contact_phone' not in field_names:
            return
        field = cls.__names__('partner_contact_phone')['field']
        for party in parties:
            check_sn_phone(party.partner_contact_phone, field, party.rec_name)
