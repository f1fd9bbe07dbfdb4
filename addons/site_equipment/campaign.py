"""Inventory campaigns: the expected list is frozen at the start, agents
record the asset tags or serial numbers they count, closing the campaign
updates the register."""
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Workflow, fields
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import without_check_access
from trytond.wizard import Button, StateTransition, StateView, Wizard

from service_network.protection import ReadonlyGuardMixin, check_user_sites

from .equipment import PRESENT_STATES, now
from .exceptions import CampaignError

LINE_STATUSES = [
    ('missing', "Not Found"),
    ('found', "Found"),
    ('other_site', "Found at Another Site"),
    ('unexpected', "Found but Not Expected"),
    ]


class Campaign(ReadonlyGuardMixin, Workflow, ModelSQL, ModelView):
    "Inventory campaign"
    __name__ = 'equipment.campaign'
    _states = {'readonly': Eval('state') != 'draft'}

    name = fields.Char("Name", required=True, states=_states)
    site = fields.Many2One(
        'network.site', "Site", states=_states,
        help="Leave empty for a campaign over every site.")
    date = fields.Date("Start Date", required=True, states=_states)
    end_date = fields.Date("End Date", readonly=True)
    lines = fields.One2Many(
        'equipment.campaign.line', 'campaign', "Lines", readonly=True)
    found = fields.Function(fields.Integer("Found"), 'get_counts')
    missing = fields.Function(fields.Integer("Not Found"), 'get_counts')
    other_site = fields.Function(
        fields.Integer("Found at Another Site"), 'get_counts')
    unexpected = fields.Function(
        fields.Integer("Found but Not Expected"), 'get_counts')
    state = fields.Selection([
            ('draft', "Draft"),
            ('running', "Running"),
            ('done', "Done"),
            ('cancelled', "Cancelled"),
            ], "State", required=True, readonly=True, sort=False)

    del _states

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('date', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {
            ('draft', 'running'),
            ('running', 'done'),
            ('draft', 'cancelled'),
            ('running', 'cancelled'),
            }
        cls._buttons.update({
                'start': {
                    'invisible': Eval('state') != 'draft',
                    'depends': ['state'],
                    },
                'count': {
                    'invisible': Eval('state') != 'running',
                    'depends': ['state'],
                    },
                'close': {
                    'invisible': Eval('state') != 'running',
                    'depends': ['state'],
                    },
                'cancel': {
                    'invisible': ~Eval('state').in_(['draft', 'running']),
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'draft'

    @classmethod
    def default_date(cls):
        return Pool().get('ir.date').today()

    @classmethod
    def copy(cls, campaigns, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('state', 'draft')
        for name in ['lines', 'end_date']:
            default.setdefault(name, None)
        return super().copy(campaigns, default=default)

    @classmethod
    def get_counts(cls, campaigns, names):
        result = {n: {c.id: 0 for c in campaigns} for n in names}
        for campaign in campaigns:
            for line in campaign.lines:
                if line.status in result:
                    result[line.status][campaign.id] += 1
        return result

    @classmethod
    @ModelView.button
    @Workflow.transition('running')
    def start(cls, campaigns):
        "Freeze the list of equipment expected at each site"
        pool = Pool()
        Equipment = pool.get('equipment.equipment')
        Line = pool.get('equipment.campaign.line')
        lines = []
        for campaign in campaigns:
            domain = [('state', 'in', PRESENT_STATES)]
            if campaign.site:
                domain.append(('site', '=', campaign.site.id))
            lines.extend(Line(
                    campaign=campaign, equipment=e, expected_site=e.site,
                    status='missing') for e in Equipment.search(domain))
        Line.save(lines)

    @classmethod
    @ModelView.button_action('site_equipment.wizard_campaign_count')
    def count(cls, campaigns):
        pass

    def record_count(self, site, codes):
        "Record the asset tags or serial numbers counted at site"
        pool = Pool()
        Equipment = pool.get('equipment.equipment')
        Line = pool.get('equipment.campaign.line')
        if self.state != 'running':
            raise CampaignError(gettext(
                    'site_equipment.msg_campaign_not_running',
                    campaign=self.rec_name))
        codes = list(dict.fromkeys(
                c.strip().upper() for c in codes if c and c.strip()))
        equipments = Equipment.find_by_code(codes)
        lines = {line.equipment: line for line in self.lines
            if line.equipment}
        lines.update({line.code: line for line in self.lines
                if not line.equipment})
        changed = {}
        for code in codes:
            equipment = equipments.get(code)
            line = lines.get(equipment or code)
            if not line:
                line = Line(
                    campaign=self, equipment=equipment, code=code,
                    expected_site=None)
                lines[equipment or code] = line
            line.code = code
            line.counted_site = site
            line.counted_at = now()
            if not line.expected_site:
                line.status = 'unexpected'
            elif line.expected_site == site:
                line.status = 'found'
            else:
                line.status = 'other_site'
            changed[equipment or code] = line
        changed = list(changed.values())
        Line.save(changed)
        return changed

    @classmethod
    @ModelView.button
    @Workflow.transition('done')
    def close(cls, campaigns):
        "Update the register with what was counted"
        pool = Pool()
        Equipment = pool.get('equipment.equipment')
        for campaign in campaigns:
            missing = [line.equipment for line in campaign.lines
                if line.status == 'missing']
            Equipment.change_state(
                missing, 'missing', origin=campaign,
                reason=campaign.name)
            counted = [line for line in campaign.lines
                if line.equipment and line.counted_site]
            for site in {line.counted_site for line in counted}:
                Equipment.change_site(
                    [line.equipment for line in counted
                        if line.counted_site == site],
                    site, origin=campaign, reason=campaign.name)
            Equipment.change_state(
                [line.equipment for line in counted
                    if line.equipment.state in {'missing', 'stolen'}],
                'in_service', origin=campaign, reason=campaign.name)
        cls.write(campaigns, {'end_date': Pool().get('ir.date').today()})

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel(cls, campaigns):
        pass


class CampaignLine(ReadonlyGuardMixin, ModelSQL, ModelView):
    "Equipment expected or counted by an inventory campaign"
    __name__ = 'equipment.campaign.line'
    campaign = fields.Many2One(
        'equipment.campaign', "Campaign", required=True, ondelete='CASCADE')
    equipment = fields.Many2One(
        'equipment.equipment', "Equipment", readonly=True)
    category = fields.Function(
        fields.Many2One('equipment.category', "Category"),
        'on_change_with_category')
    code = fields.Char(
        "Code Counted", readonly=True,
        help="The asset tag or serial number scanned.")
    expected_site = fields.Many2One(
        'network.site', "Expected at", readonly=True)
    counted_site = fields.Many2One(
        'network.site', "Counted at", readonly=True)
    counted_at = fields.DateTime("Counted on", readonly=True)
    status = fields.Selection(
        LINE_STATUSES, "Status", required=True, readonly=True, sort=False)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t,
                (t.campaign, Index.Equality()), (t.status, Index.Equality())))
        cls._order = [('expected_site', 'ASC NULLS LAST'), ('id', 'ASC')]

    @classmethod
    def default_status(cls):
        return 'missing'

    @fields.depends('equipment')
    def on_change_with_category(self, name=None):
        return self.equipment.category if self.equipment else None


class CampaignCountStart(ModelView):
    "Count equipment for an inventory campaign"
    __name__ = 'equipment.campaign.count.start'
    site = fields.Many2One('network.site', "Site", required=True,
        help="Where the equipment is counted.")
    codes = fields.Text(
        "Codes", required=True,
        help="The asset tags or serial numbers scanned, one per line.")


class CampaignCount(Wizard):
    "Count equipment for an inventory campaign"
    __name__ = 'equipment.campaign.count'
    start = StateView('equipment.campaign.count.start',
        'site_equipment.campaign_count_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Record", 'count_', 'tryton-ok', default=True),
            ])
    count_ = StateTransition()

    def default_start(self, fields):
        campaign = self.record
        if campaign and campaign.site:
            return {'site': campaign.site.id}
        return {}

    def transition_count_(self):
        # Wizards run without record rules: the counting site must be one
        # of the user's, whatever the form says
        check_user_sites(
            {s.id for s in [self.start.site, self.record.site] if s},
            self.record.rec_name)
        # Equipment counted here may be registered at a site the agent
        # cannot read: the look-up covers the whole network
        with without_check_access():
            self.record.record_count(
                self.start.site, self.start.codes.splitlines())
        return 'end'
