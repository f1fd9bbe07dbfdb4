"""Load realistic demo data into a freshly created database.

    python scripts/demo_data.py DATABASE ADMIN_PASSWORD [ADDON,...]

Sites, geography, partners and the procedure catalogue come with the
addons' data; this adds the company, its SYSCOHADA chart, counters, public
holidays and one user per role, and prints their passwords. Then, for each
activated addon, `scripts/demo/<addon>.py` (when it exists) loads that
addon's demo data with its `load(company)` function, in the order of their
`ORDER` (default 100).

With a list of addons, only their demo scripts run, on a database that
already holds the rest (an addon activated by an upgrade of the demo).
"""
import datetime as dt
import importlib.util
import os
import pathlib
import sys

from proteus import Model, Wizard
from proteus import config as pconfig

COMPANY_NINEA = '30672212G2'
PASSWORD = 'Senegal-2026'
COUNTERS = [
    ('Guichet 1', 'A'),
    ('Guichet 2', 'J'),
    ('Guichet 3', 'C'),
    ('Guichet 4', 'U'),
    ('Guichet 5', 'P'),
    ('Guichet 6', 'E'),
    ]
# what the demo prints of each role
ROLES = {
    'group_network_admin': "administration du réseau",
    'group_site_manager': "chef de site",
    'group_site_agent': "agent de guichet",
    'group_finance': "finance",
    'group_hr': "ressources humaines",
    }
# login, name, groups, sites
USERS = [
    ('reseau', 'Awa Ndiaye', ['group_network_admin'], []),
    ('chef.zig', 'Moussa Diatta', ['group_site_manager'], ['ZIG']),
    ('agent.zig', 'Fatou Sané', ['group_site_agent'], ['ZIG']),
    ('agent.ths', 'Ibrahima Fall', ['group_site_agent'], ['THS']),
    ('chef.dkr', 'Aminata Diop', ['group_site_manager'], ['DKR']),
    ('finance', 'Cheikh Sarr', ['group_finance'], []),
    ('rh', 'Mariama Ba', ['group_hr'], []),
    ]


def demo_ninea(seed):
    "A NINEA valid for stdnum.sn.ninea (the demo does not know real ones)"
    from stdnum.sn import ninea
    for digit in range(10):
        code = f'{seed:08d}{digit}2G2'
        if ninea.is_valid(code):
            return code
    return demo_ninea(seed + 1)


def ref(xml_id):
    ModelData = Model.get('ir.model.data')
    return ModelData.get_id(xml_id, pconfig.get_config().context)


def setup_company():
    Party = Model.get('party.party')
    Currency = Model.get('currency.currency')
    User = Model.get('res.user')
    Lang = Model.get('ir.lang')

    french, = Lang.find([('code', '=', 'fr')])
    admin = User(1)
    admin.language = french
    admin.save()

    party = Party(ref('service_network.party_senegal_numerique'))
    party.partner_kind = None
    party.identifiers.new(type='sn_ninea', code=COMPANY_NINEA)
    party.save()

    company_config = Wizard('company.company.config')
    company_config.execute('company')
    company = company_config.form
    company.party = party
    company.currency = Currency(ref('service_network.currency_xof'))
    company.timezone = 'Africa/Dakar'
    company_config.execute('add')
    pconfig.get_config()._context = User.get_preferences(True, {})
    Company = Model.get('company.company')
    company, = Company.find()
    return company


def setup_chart(company):
    AccountTemplate = Model.get('account.account.template')
    Account = Model.get('account.account')
    template = AccountTemplate(
        ref('account_syscohada.root_2016_fr'))
    create_chart = Wizard('account.create_chart')
    create_chart.execute('account')
    create_chart.form.account_template = template
    create_chart.form.company = company
    create_chart.execute('create_account')
    receivable, = Account.find([
            ('type.receivable', '=', True), ('party_required', '=', True),
            ('company', '=', company.id), ('closed', '!=', True),
            ], limit=1)
    payable, = Account.find([
            ('type.payable', '=', True), ('party_required', '=', True),
            ('company', '=', company.id), ('closed', '!=', True),
            ], limit=1)
    create_chart.form.account_receivable = receivable
    create_chart.form.account_payable = payable
    create_chart.execute('create_properties')


def setup_fiscal_years(company):
    """Create last year's, this year's and next year's fiscal years with
    their monthly periods and their own numbering of moves and invoices
    (the prefix holds the document's year, so a renewed year numbers
    FC2028-1 without editing its sequences)"""
    FiscalYear = Model.get('account.fiscalyear')
    Sequence = Model.get('ir.sequence.strict')
    SequenceType = Model.get('ir.sequence.type')
    move_type = SequenceType(ref('account.sequence_type_account_move'))
    invoice_type = SequenceType(
        ref('account_invoice.sequence_type_account_invoice'))

    def sequence(name, type_, prefix):
        sequence = Sequence(
            name=name, sequence_type=type_, company=company, prefix=prefix)
        sequence.save()
        return sequence

    this_year = dt.date.today().year
    fiscal_years = []
    for year in [this_year - 1, this_year, this_year + 1]:
        fiscal_year = FiscalYear(name=str(year), company=company)
        fiscal_year.start_date = dt.date(year, 1, 1)
        fiscal_year.end_date = dt.date(year, 12, 31)
        fiscal_year.move_sequence = sequence(
            f"Pièces {year}", move_type, '${year}-')
        numbering, = fiscal_year.invoice_sequences
        numbering.out_invoice_sequence = sequence(
            f"Factures client {year}", invoice_type, 'FC${year}-')
        numbering.out_credit_note_sequence = sequence(
            f"Avoirs client {year}", invoice_type, 'AC${year}-')
        numbering.in_invoice_sequence = sequence(
            f"Factures fournisseur {year}", invoice_type, 'FF${year}-')
        numbering.in_credit_note_sequence = sequence(
            f"Avoirs fournisseur {year}", invoice_type, 'AF${year}-')
        fiscal_year.save()
        fiscal_years.append(fiscal_year)
    FiscalYear.click(fiscal_years, 'create_period')


def setup_network():
    Site = Model.get('network.site')
    Sector = Model.get('network.sector')
    Party = Model.get('party.party')
    sectors = {s.code: s for s in Sector.find([])}
    for code in ['ZIG', 'DKR', 'THS', 'STL', 'KLK', 'LGA', 'FTK']:
        site, = Site.find([('code', '=', code)])
        for name, sector in COUNTERS:
            site.counters.new(name=name, sector=sectors[sector])
        site.phone = '33 991 11 20' if code == 'ZIG' else None
        site.save()
    this_year = dt.date.today().year
    for year in [this_year, this_year + 1]:
        load = Wizard('network.holiday.load')
        load.form.year = year
        load.execute('load')
    contacts = {
        'service_network.party_justice': (
            'Direction des Affaires criminelles et des Grâces',
            '33 849 70 00'),
        'service_network.party_laposte': (
            'Direction commerciale', '33 839 34 34'),
        }
    partners = Party.find([('partner_kind', '!=', None)])
    for seed, party in enumerate(partners, start=4100123):
        if not party.identifiers:
            party.identifiers.new(type='sn_ninea', code=demo_ninea(seed))
    for xml_id, (name, phone) in contacts.items():
        party, = [p for p in partners if p.id == ref(xml_id)]
        party.partner_contact_name = name
        party.partner_contact_phone = phone
    Party.save(partners)


def setup_users(company):
    User = Model.get('res.user')
    Group = Model.get('res.group')
    Employee = Model.get('company.employee')
    Party = Model.get('party.party')
    Site = Model.get('network.site')
    Lang = Model.get('ir.lang')
    french, = Lang.find([('code', '=', 'fr')])
    print("\nDemo users (login / password):")
    print(f"  admin / {sys.argv[2]}  (administrateur, tous les rôles)")
    for login, name, groups, site_codes in USERS:
        employee = Employee(party=Party(name=name), company=company)
        employee.party.save()
        employee.save()
        user = User(login=login, name=name, password=PASSWORD)
        user.language = french
        for group in groups:
            user.groups.append(Group(ref(f'service_network.{group}')))
        user.companies.append(company)
        user.company = company
        user.employees.append(employee)
        user.employee = employee
        for code in site_codes:
            site, = Site.find([('code', '=', code)])
            user.sites.append(site)
        user.save()
        print(f"  {login} / {PASSWORD}  ({name}, "
            f"{', '.join(ROLES[g] for g in groups)}"
            + (f", {', '.join(site_codes)}" if site_codes else '') + ")")


def addon_demos(only=None):
    """Yield the load functions of the activated addons' demo scripts (of
    the addons in only, if given)"""
    Module = Model.get('ir.module')
    activated = {m.name for m in Module.find([('state', '=', 'activated')])}
    folder = pathlib.Path(__file__).parent / 'demo'
    for path in sorted(folder.glob('*.py')):
        addon = path.stem
        if addon not in activated or (only is not None and addon not in only):
            continue
        spec = importlib.util.spec_from_file_location(f'demo_{addon}', path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        yield getattr(module, 'ORDER', 100), addon, module.load


def main(database, only=None):
    pconfig.set_trytond(database, config_file=os.environ['TRYTOND_CONFIG'])
    if only is None:
        company = setup_company()
        setup_chart(company)
        setup_fiscal_years(company)
        setup_network()
        setup_users(company)
    else:
        User = Model.get('res.user')
        pconfig.get_config()._context = User.get_preferences(True, {})
        Company = Model.get('company.company')
        company, = Company.find()
    for _, addon, load in sorted(addon_demos(only)):
        print(f"== Demo data of {addon}")
        load(company)
    print()


if __name__ == '__main__':
    main(sys.argv[1],
        sys.argv[3].split(',') if len(sys.argv) > 3 else None)
