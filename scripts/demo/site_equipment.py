"""Demo data of site_equipment: the equipment of four sites, a breakdown
being repaired and the preventive maintenance of a generator; at
Ziguinchor, a broken biometric kit reported and a scanner sent from Dakar
that the site manager has to receive."""
import datetime as dt
from decimal import Decimal

from proteus import Model

ORDER = 100
SITES = ['ZIG', 'DKR', 'THS', 'STL']
# category code, brand, model, purchase value (XOF), pieces per site
KIT = [
    ('PC', 'HP', 'ProDesk 400 G7', 450_000, 3),
    ('PRN', 'Canon', 'i-SENSYS MF445dw', 180_000, 1),
    ('SCN', 'Epson', 'WorkForce DS-530', 250_000, 1),
    ('BIO', 'Zetes', 'Kit biométrique', 900_000, 1),
    ('GEN', 'SDMO', 'T12K', 6_500_000, 1),
    ]


def load(company):
    Category = Model.get('equipment.category')
    Equipment = Model.get('equipment.equipment')
    Site = Model.get('network.site')
    Party = Model.get('party.party')
    Incident = Model.get('equipment.incident')
    Maintenance = Model.get('equipment.maintenance')
    Transfer = Model.get('equipment.transfer')

    categories = {c.code: c for c in Category.find([])}
    supplier = Party(name="Casamance Informatique SARL")
    supplier.save()
    today = dt.date.today()
    bought = today - dt.timedelta(days=400)
    equipments = []
    for site_code in SITES:
        site, = Site.find([('code', '=', site_code)])
        counters = list(site.counters)
        for code, brand, model, value, count in KIT:
            for number in range(1, count + 1):
                equipment = Equipment(
                    category=categories[code], site=site, brand=brand,
                    model=model, supplier=supplier,
                    serial_number=f'{site_code}{code}{number:03}',
                    asset_tag=f'{site_code}-{code}-{number:02}',
                    purchase_date=bought,
                    purchase_value=Decimal(value),
                    warranty_end=bought + dt.timedelta(days=730))
                if code == 'PC' and number <= len(counters):
                    equipment.counter = counters[number - 1]
                equipments.append(equipment)
    Equipment.save(equipments)

    printer, = Equipment.find([('asset_tag', '=', 'THS-PRN-01')])
    incident = Incident(kind='breakdown', site=printer.site)
    incident.description = "L'imprimante n'entraîne plus le papier."
    incident.equipments.append(printer)
    incident.estimated_cost = Decimal(60_000)
    incident.save()
    incident.click('report')
    repair, = incident.maintenances
    repair.supplier = supplier
    repair.click('assign')

    generator, = Equipment.find([('asset_tag', '=', 'ZIG-GEN-01')])
    preventive = Maintenance(
        kind='preventive', equipment=generator,
        due_date=bought + dt.timedelta(days=180),
        description="Vidange, filtres, contrôle des batteries.")
    preventive.save()

    kit, = Equipment.find([('asset_tag', '=', 'ZIG-BIO-01')])
    incident = Incident(kind='breakdown', site=kit.site)
    incident.description = (
        "Le lecteur d'empreintes ne reconnaît plus les doigts.")
    incident.equipments.append(kit)
    incident.estimated_cost = Decimal(120_000)
    incident.save()
    incident.click('report')

    scanner, = Equipment.find([('asset_tag', '=', 'DKR-SCN-01')])
    transfer = Transfer(
        from_site=scanner.site, to_site=kit.site,
        reason="Remplacement du scanner en panne de Ziguinchor")
    transfer.lines.new(equipment=scanner)
    transfer.save()
    transfer.click('send')
