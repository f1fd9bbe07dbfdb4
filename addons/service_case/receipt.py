import datetime as dt

from num2words import num2words

from trytond.i18n import gettext
from trytond.model.exceptions import AccessError
from trytond.pool import Pool
from trytond.report import Report
from trytond.transaction import Transaction

from service_network.calendar import TIMEZONE
from service_network.qr import qr_element

from .waiting_room import public_base

# The receipt shows the citizen's name and phone: only the staff of the
# case's site (the case rules) and the network administration print it
RECEIPT_GROUPS = [
    'group_site_agent', 'group_site_manager', 'group_network_admin']
# The receipt is a French document given to the citizen: its dates are
# written the French way (dd/mm/yyyy), whatever the language of the agent
RECEIPT_LANGUAGE = 'fr'
DATE_FORMAT = '%d/%m/%Y'


def amount_in_words(amount):
    "Return a whole XOF amount in French words: mille deux cents francs CFA"
    return num2words(int(amount), lang='fr') + ' francs CFA'


def format_xof(amount):
    "Return a whole XOF amount with French digit groups: 1 200"
    return f'{int(amount or 0):,}'.replace(',', '\u00a0')


class Receipt(Report):
    """Receipt of a case's filing and fees, given to the citizen: an HTML
    template rendered to PDF by weasyprint"""
    __name__ = 'case.receipt'

    @classmethod
    def execute(cls, ids, data):
        # Reports check the read access of the model and the record rules,
        # not the field access: finance reads cases but not their citizens
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        User = pool.get('res.user')
        if Transaction().user:
            groups = {ModelData.get_id('service_network', g)
                for g in RECEIPT_GROUPS}
            if not groups & set(User.get_groups()):
                raise AccessError(gettext('service_case.msg_receipt_access'))
        return super().execute(ids, data)

    @classmethod
    def get_context(cls, records, header, data):
        context = super().get_context(records, header, data)
        context['receipt_language'] = RECEIPT_LANGUAGE
        context['amount_in_words'] = amount_in_words
        context['format_xof'] = format_xof
        context['format_day'] = format_day
        context['format_dakar'] = format_dakar
        context['tracking_url'] = tracking_url
        context['tracking_form_url'] = tracking_form_url
        context['qr_code'] = qr_element
        return context


def tracking_url(case):
    """The address of the case's tracking page, from the receipt's QR code
    (None without the configured public address)"""
    base = public_base()
    if not base or not case.tracking_code:
        return None
    database = Transaction().database.name
    return f'{base}/{database}/suivi/{case.number}/{case.tracking_code}'


def tracking_form_url():
    base = public_base()
    return f'{base}/{Transaction().database.name}/suivi' if base else None


def format_day(value):
    "Return a date as the citizens read it, whatever the user's language"
    return value.strftime(DATE_FORMAT) if value else ''


def format_dakar(value):
    "Return a stored (UTC) date-time as the day and minute in Dakar"
    if not value:
        return ''
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(TIMEZONE).strftime(DATE_FORMAT + ' %H:%M')
