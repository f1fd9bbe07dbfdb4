"""Suppliers of equipment and repairs are companies, not citizens: the
staff who read the register read them (the citizens' rules of
service_case would hide every party with no partner kind)."""
from trytond.model import fields
from trytond.pool import PoolMeta


class Party(metaclass=PoolMeta):
    __name__ = 'party.party'
    equipment_supplied = fields.One2Many(
        'equipment.equipment', 'supplier', "Equipment Supplied",
        readonly=True)
    maintenances_supplied = fields.One2Many(
        'equipment.maintenance', 'supplier', "Repairs Supplied",
        readonly=True)
