"""Citizens' personal data: who reads a party, erasing and merging citizens.

A citizen is a party without a partner kind that is neither an employee
nor a company. Site staff read the citizens of their sites' cases and
complaints and those they registered; finance and HR read only the other
parties (see docs/PERSONAL_DATA.md and personal_data.xml). Erasing a
citizen (law 2008-12) keeps the figures of their cases without their
personal data; merging two citizens moves their cases and complaints.
"""
from sql import Null
from sql.conditionals import Case as SQLCase

from trytond.i18n import gettext
from trytond.model import fields
from trytond.model.exceptions import AccessError
from trytond.modules.party.exceptions import EraseError
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction, without_check_access

from .case import FINISHED_STATES

# Fields of a case that hold the citizen's personal data, cleared on
# erasure; the figures (site, procedure, dates, fees, state) stay.
CASE_PERSONAL_FIELDS = [
    'phone', 'rating_comment', 'rating_token',
    'recipient_name', 'recipient_id_number']
MASK = '****'


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


def _mask_not_null(column):
    "Mask a nullable text column, leaving it empty where it was"
    return SQLCase((column == Null, Null), else_=MASK)


class Party(metaclass=PoolMeta):
    __name__ = 'party.party'
    national_id = fields.Char(
        "National ID",
        help="The number of the citizen's national identity card (CNI).")
    cases = fields.One2Many(
        'case.case', 'citizen', "Cases", readonly=True)
    complaints = fields.One2Many(
        'case.complaint', 'citizen', "Complaints", readonly=True)
    # The record rules tell citizens from staff and companies with these
    employees = fields.One2Many(
        'company.employee', 'party', "Employees", readonly=True)
    companies = fields.One2Many(
        'company.company', 'party', "Companies", readonly=True)

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if values.get('national_id'):
            values['national_id'] = ''.join(values['national_id'].split())
        return values


class Rule(metaclass=PoolMeta):
    __name__ = 'ir.rule'

    # Site staff read the citizens they registered: the party rules compare
    # create_uid with the user
    @classmethod
    def _get_context(cls, model_name):
        context = super()._get_context(model_name)
        if model_name == 'party.party':
            context['user_id'] = Transaction().user
        return context

    @classmethod
    def _get_cache_key(cls, model_names):
        key = super()._get_cache_key(model_names)
        if 'party.party' in model_names:
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
                    ['national_id'], [None]),
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
        if source.national_id and not destination.national_id:
            destination.national_id = source.national_id
            destination.save()
        return super().transition_replace()

    @classmethod
    def fields_to_replace(cls):
        # service_network registers no replace wizard: its partners'
        # procedures and fees move here too
        return super().fields_to_replace() + [
            ('case.case', 'citizen'),
            ('case.complaint', 'citizen'),
            ('case.fee', 'beneficiary'),
            ('network.procedure', 'partner'),
            ('network.procedure.fee', 'beneficiary'),
            ]
