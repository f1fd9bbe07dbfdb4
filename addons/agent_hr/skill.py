"""The procedures an agent is qualified to handle."""
from trytond.model import ModelSQL, ModelView, Unique, fields

LEVELS = [
    ('basic', "Basic"),
    ('confirmed', "Confirmed"),
    ('expert', "Expert"),
    ]


class Skill(ModelSQL, ModelView):
    "Procedure an agent is qualified to handle"
    __name__ = 'agent.skill'
    employee = fields.Many2One(
        'company.employee', "Agent", required=True, ondelete='CASCADE')
    procedure = fields.Many2One(
        'network.procedure', "Procedure", required=True, ondelete='CASCADE')
    level = fields.Selection(LEVELS, "Level", required=True, sort=False)
    training = fields.Many2One(
        'agent.training', "Training", ondelete='SET NULL',
        help="The training that qualified the agent.")
    date = fields.Date("Qualified on")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints = [
            ('employee_procedure_unique', Unique(t, t.employee, t.procedure),
                'agent_hr.msg_skill_unique'),
            ]

    @classmethod
    def default_level(cls):
        return 'basic'

    def get_rec_name(self, name):
        return f'{self.employee.rec_name} - {self.procedure.rec_name}'
