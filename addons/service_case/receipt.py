from num2words import num2words
from trytond.pool import Pool
from trytond.report import Report

from service_network.calendar import TIMEZONE


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
    def get_context(cls, records, header, data):
        context = super().get_context(records, header, data)
        context['amount_in_words'] = amount_in_words
        context['format_xof'] = format_xof
        context['format_dakar'] = cls.format_dakar
        return context

    @classmethod
    def format_dakar(cls, value):
        "Return a stored (UTC) date-time as the date and minute in Dakar"
        pool = Pool()
        Lang = pool.get('ir.lang')
        lang = Lang.get()
        return cls.format_datetime(
            value, lang, format=lang.date + ' %H:%M', timezone=TIMEZONE)
