from trytond.model import fields
from trytond.pool import PoolMeta


class Party(metaclass=PoolMeta):
    __name__ = 'party.party'
    national_id = fields.Char(
        "National ID",
        help="The number of the citizen's national identity card (CNI).")
    cases = fields.One2Many(
        'case.case', 'citizen', "Cases", readonly=True)

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if values.get('national_id'):
            values['national_id'] = ''.join(values['national_id'].split())
        return values
