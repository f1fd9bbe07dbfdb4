"""The lines of a case: its document checklist, its fees and the history
of its workflow."""
from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, fields, sequence_ordered

from service_network.procedure import FEE_KINDS, XOF_DIGITS
from service_network.protection import ReadonlyGuardMixin

from .exceptions import CaseError
from .workflow import STATES


class CaseDocument(
        ReadonlyGuardMixin, sequence_ordered(), ModelSQL, ModelView):
    "Document of a case's checklist"
    __name__ = 'case.document'
    case = fields.Many2One(
        'case.case', "Case", required=True, ondelete='CASCADE')
    name = fields.Char("Name", required=True)
    mandatory = fields.Boolean("Mandatory")
    provided = fields.Boolean(
        "Provided", help="Tick when the citizen has brought the document; "
        "attach a scan to the line if needed.")

    @classmethod
    def default_mandatory(cls):
        return True

    @classmethod
    def check_modification(cls, mode, documents, values=None, external=False):
        super().check_modification(
            mode, documents, values=values, external=external)
        if external:
            # The checklist follows the case's form: editable while the
            # case is a draft or waits for the citizen's documents
            for document in documents:
                if document.case.state not in {'draft', 'waiting_citizen'}:
                    raise CaseError(gettext(
                            'service_case.msg_case_document_locked',
                            case=document.case.rec_name,
                            document=document.name))

    @classmethod
    def default_provided(cls):
        return False


class CaseFee(ReadonlyGuardMixin, sequence_ordered(), ModelSQL, ModelView):
    "Fee owed for a case"
    __name__ = 'case.fee'
    case = fields.Many2One(
        'case.case', "Case", required=True, ondelete='CASCADE')
    label = fields.Char("Label", required=True)
    kind = fields.Selection(FEE_KINDS, "Kind", required=True)
    amount = fields.Numeric(
        "Amount (XOF)", digits=XOF_DIGITS, required=True,
        domain=[('amount', '>=', 0)])
    beneficiary = fields.Many2One('party.party', "Beneficiary", required=True)


class CaseHistory(ReadonlyGuardMixin, ModelSQL, ModelView):
    "Step of a case's workflow"
    __name__ = 'case.history'
    case = fields.Many2One(
        'case.case', "Case", required=True, ondelete='CASCADE')
    from_state = fields.Selection(STATES, "From", required=True)
    to_state = fields.Selection(STATES, "To", required=True)
    date = fields.DateTime("Date", required=True)
    employee = fields.Many2One('company.employee', "Employee")
    note = fields.Text("Note")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(0, ('date', 'DESC'))
        cls._order.insert(1, ('id', 'DESC'))
