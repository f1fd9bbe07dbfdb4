from decimal import Decimal

from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, ModelSQL, ModelView, Unique, fields, sequence_ordered)

from .exceptions import ProcedureValidationError
from .search import search_fields

XOF_DIGITS = (16, 0)


class Procedure(DeactivableMixin, ModelSQL, ModelView):
    "Administrative procedure offered at the counters"
    __name__ = 'network.procedure'
    code = fields.Char("Code", required=True)
    name = fields.Char("Name", required=True)
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

    def get_rec_name(self, name):
        return f'[{self.code}] {self.name}'

    @classmethod
    def search_rec_name(cls, name, clause):
        return search_fields(clause, ['code', 'name'])

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
    kind = fields.Selection([
            ('stamp', "Stamp"),
            ('fee', "Fee"),
            ('tax', "Tax"),
            ('service', "Network Service Fee"),
            ], "Kind", required=True)
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
        return self.kind != 'service'

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
