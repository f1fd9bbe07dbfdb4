import os
import re
import unicodedata
from decimal import Decimal

from lxml import etree

from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin,
    ModelSQL,
    ModelView,
    Unique,
    fields,
    sequence_ordered,
)
from trytond.pool import Pool
from trytond.transaction import Transaction

from .exceptions import ProcedureValidationError
from .rec_names import column_names
from .search import search_fields

XOF_DIGITS = (16, 0)
# The kinds of fee component, from the catalogue to the fees of each case
FEE_KINDS = [
    ('stamp', "Stamp"),
    ('fee', "Fee"),
    ('tax', "Tax"),
    ('service', "Network Service Fee"),
    ]
# The kinds the network collects on behalf of others (a third-party debt,
# never revenue): everything but its own service fee
ON_BEHALF_KINDS = ['stamp', 'fee', 'tax']
# The words of a search: letters and digits, the rest separates them (the
# wildcards % and _ too)
WORD = re.compile(r'[^\W_]+')


def fold(text):
    "Return text in lower case without its accents: « Bâtir » -> « batir »"
    text = unicodedata.normalize('NFKD', text or '').casefold()
    return ''.join(c for c in text if not unicodedata.combining(c))


def search_words(text):
    "Return the folded words of a searched text"
    return WORD.findall(fold(text))


class Procedure(DeactivableMixin, ModelSQL, ModelView):
    "Administrative procedure offered at the counters"
    __name__ = 'network.procedure'
    code = fields.Char("Code", required=True)
    name = fields.Char("Name", required=True)
    keywords = fields.Char(
        "Keywords",
        help="Other words the procedure is found by, as the citizens say "
        "them: \"permis, construire\" for a building authorisation.")
    sector = fields.Many2One('network.sector', "Sector", required=True)
    partner = fields.Many2One(
        'party.party', "Partner Administration", required=True,
        domain=[('partner_kind', '!=', None)],
        help="The administration that owns the procedure.")
    authority = fields.Char(
        "Competent Authority",
        help="Who issues the document, e.g. the court of the place of "
        "birth.")
    description = fields.Text("Description")
    documents = fields.One2Many(
        'network.procedure.document', 'procedure', "Required Documents")
    fees = fields.One2Many('network.procedure.fee', 'procedure', "Fees")
    total_fee = fields.Function(
        fields.Numeric("Total Fees (XOF)", digits=XOF_DIGITS),
        'get_total_fee')
    legal_delay = fields.Integer(
        "Legal Delay (working days)", required=True,
        help="Working days between submission and delivery.")
    delivered_document = fields.Char("Document Delivered")
    delivered_validity = fields.Integer(
        "Validity of Document (months)",
        help="Leave empty when the document does not expire.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints = [
            ('code_unique', Unique(t, t.code),
                'service_network.msg_procedure_code_unique'),
            ]
        cls._order[0:0] = [('sector', 'ASC'), ('name', 'ASC')]

    @classmethod
    def __register__(cls, module):
        table_h = cls.__table_handler__(module)
        keywords_added = not table_h.column_exist('keywords')
        super().__register__(module)
        if keywords_added:
            cls._load_catalogue_keywords(module)

    @classmethod
    def _load_catalogue_keywords(cls, module):
        """Give the procedures of the catalogue (procedure_data.xml, not
        updated once loaded) the keywords added to it"""
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        path = os.path.join(os.path.dirname(__file__), 'procedure_data.xml')
        tree = etree.parse(path)
        table = cls.__table__()
        data = ModelData.__table__()
        cursor = Transaction().connection.cursor()
        for record in tree.xpath(
                '//record[@model="network.procedure"]'
                '[field[@name="keywords"]]'):
            keywords = record.xpath('field[@name="keywords"]')[0].text
            cursor.execute(*data.select(data.db_id,
                    where=(data.module == module)
                    & (data.fs_id == record.get('id'))
                    & (data.model == cls.__name__)))
            for db_id, in cursor.fetchall():
                cursor.execute(*table.update(
                        [table.keywords], [keywords],
                        where=(table.id == db_id)
                        & (table.keywords == None)))  # noqa: E711

    @classmethod
    def get_rec_name(cls, procedures, name):
        return column_names(cls, procedures, ['code', 'name'],
            lambda code, name: f'[{code}] {name}')

    @classmethod
    def search_rec_name(cls, name, clause):
        """Find the procedures with a word starting with each word typed in
        their code, name or keywords, whatever their case and accents:
        « permis » finds the building authorisation, « casier judiciaire »
        and « CASIER » the criminal record extract, « etat civ » the civil
        status procedures"""
        _, operator, operand, *extra = clause
        if operator != 'ilike' or not isinstance(operand, str):
            return search_fields(clause, ['code', 'name', 'keywords'])
        words = search_words(operand)
        if not words:
            return [('id', '!=', None)]
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.select(
                table.id, table.code, table.name, table.keywords))
        ids = []
        for id_, *texts in cursor:
            known = search_words(' '.join(filter(None, texts)))
            if all(any(k.startswith(w) for k in known) for w in words):
                ids.append(id_)
        return [('id', 'in', ids)]

    def get_total_fee(self, name):
        return sum((f.amount for f in self.fees), Decimal(0))

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if values.get('code'):
            values['code'] = values['code'].strip().upper()
        return values

    @classmethod
    def validate_fields(cls, procedures, field_names):
        super().validate_fields(procedures, field_names)
        for procedure in procedures:
            if field_names is None or 'legal_delay' in field_names:
                if procedure.legal_delay is None or procedure.legal_delay <= 0:
                    raise ProcedureValidationError(gettext(
                            'service_network.msg_procedure_legal_delay',
                            procedure=procedure.rec_name,
                            field=cls.__names__('legal_delay')['field']))
            if (field_names is None
                    or 'delivered_validity' in field_names):
                if (procedure.delivered_validity is not None
                        and procedure.delivered_validity <= 0):
                    raise ProcedureValidationError(gettext(
                            'service_network.msg_positive_months',
                            record=procedure.rec_name,
                            field=cls.__names__(
                                'delivered_validity')['field']))


class ProcedureDocument(sequence_ordered(), ModelSQL, ModelView):
    "Document the citizen must bring for a procedure"
    __name__ = 'network.procedure.document'
    procedure = fields.Many2One(
        'network.procedure', "Procedure", required=True, ondelete='CASCADE')
    name = fields.Char("Name", required=True)
    mandatory = fields.Boolean("Mandatory")
    validity = fields.Integer(
        "Validity (months)",
        help="How recent the document must be; empty when it does not "
        "matter.")

    @classmethod
    def default_mandatory(cls):
        return True

    @classmethod
    def get_rec_name(cls, documents, name):
        # the counter's desk names its checklist's requirements at every
        # read
        return column_names(cls, documents, ['name'], lambda name: name)

    @classmethod
    def validate_fields(cls, documents, field_names):
        super().validate_fields(documents, field_names)
        if field_names and 'validity' not in field_names:
            return
        for document in documents:
            if document.validity is not None and document.validity <= 0:
                raise ProcedureValidationError(gettext(
                        'service_network.msg_positive_months',
                        record=document.name,
                        field=cls.__names__('validity')['field']))


class ProcedureFee(sequence_ordered(), ModelSQL, ModelView):
    "Fee component of a procedure, owed to a beneficiary"
    __name__ = 'network.procedure.fee'
    procedure = fields.Many2One(
        'network.procedure', "Procedure", required=True, ondelete='CASCADE')
    label = fields.Char("Label", required=True)
    kind = fields.Selection(FEE_KINDS, "Kind", required=True)
    amount = fields.Numeric(
        "Amount (XOF)", digits=XOF_DIGITS, required=True)
    beneficiary = fields.Many2One(
        'party.party', "Beneficiary", required=True,
        help="Who the collected amount is owed to.")
    collected_on_behalf = fields.Function(
        fields.Boolean("Collected on Behalf"),
        'on_change_with_collected_on_behalf')

    @classmethod
    def default_kind(cls):
        return 'fee'

    @fields.depends('kind')
    def on_change_with_collected_on_behalf(self, name=None):
        "Stamps, fees and taxes belong to others, not to the network"
        return self.kind in ON_BEHALF_KINDS

    @classmethod
    def validate_fields(cls, fees, field_names):
        super().validate_fields(fees, field_names)
        if field_names and 'amount' not in field_names:
            return
        for fee in fees:
            if fee.amount is not None and fee.amount < 0:
                raise ProcedureValidationError(gettext(
                        'service_network.msg_fee_negative',
                        fee=fee.label,
                        field=cls.__names__('amount')['field']))
