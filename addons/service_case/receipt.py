from num2words import num2words
from trytond.report import Report


def amount_in_words(amount):
    "Return a whole XOF amount in French words: mille deux cents francs CFA"
    return num2words(int(amount), lang='fr') + ' francs CFA'


def format_xof(amount):
    "Return a whole XOF amount with thin groups: 1 200"
    return f'{int(amount or 0):,}'.replace(',', '\u00a0')


class Receipt(Report):
    "Receipt of the fees paid for a case"
    __name__ = 'case.receipt'

    @classmethod
    def get_context(cls, records, header, data):
        context = super().get_context(records, header, data)
        context['amount_in_words'] = amount_in_words
        context['format_xof'] = format_xof
        return context
