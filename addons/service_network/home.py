"""A home page per role, opened at login.

Each role's addon declares the board its people start from (what they do
first: invoices to post, certifications expiring, dead messages...) as a
`res.group.home_action` of the role's group. A user who did not choose
their own login actions in the preferences gets the home pages of their
groups, so a new finance or HR account starts on its page without any
per-user set-up.

The panels of a board come from the addons that own their models: an addon
extends another's board with an inherited view, as it extends a form.
"""
from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, fields, sequence_ordered
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Bool, Eval, If
from trytond.transaction import Transaction, without_check_access

from .exceptions import ViewValidationError

# Tryton opens at most this many actions at login (res.user.actions size)
MAX_LOGIN_ACTIONS = 5


class GroupHomeAction(sequence_ordered(), ModelSQL, ModelView):
    "Home page of a group"
    __name__ = 'res.group.home_action'
    group = fields.Many2One(
        'res.group', "Group", required=True, ondelete='CASCADE')
    action = fields.Many2One(
        'ir.action', "Action", required=True, ondelete='CASCADE',
        help="The board or list opened at login for the group's users.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.append(('id', 'ASC'))

    @classmethod
    def login_actions(cls, user, actions=()):
        """Return the ids of actions followed by the home actions of user's
        groups that user may open, without repeats, at most
        MAX_LOGIN_ACTIONS"""
        result = list(actions)
        group_ids = {g.id for g in user.groups}
        with without_check_access():
            homes = cls.search([('group', 'in', list(group_ids))])
            for home in homes:
                action = home.action
                if action.id in result:
                    continue
                # an action reserved to other groups would fail at login
                if action.groups and not (
                        {g.id for g in action.groups} & group_ids):
                    continue
                result.append(action.id)
        return result[:MAX_LOGIN_ACTIONS]


class User(metaclass=PoolMeta):
    __name__ = 'res.user'

    @classmethod
    def _get_preferences(cls, user, context_only=False):
        pool = Pool()
        HomeAction = pool.get('res.group.home_action')
        preferences = super()._get_preferences(
            user, context_only=context_only)
        # the user's own choice wins; the administrator's configuration
        # wizard, added by Tryton, stays first
        if 'actions' in preferences and not user.actions:
            preferences['actions'] = HomeAction.login_actions(
                user, preferences['actions'])
        return preferences

    @classmethod
    def set_preferences(cls, values):
        pool = Pool()
        HomeAction = pool.get('res.group.home_action')
        user = cls(Transaction().user)
        # the preferences form sends back the home pages it was shown
        homes = None
        if 'actions' in values and not user.actions:
            homes = set(HomeAction.login_actions(user))
        super().set_preferences(values)
        if homes is not None:
            user = cls(user.id)
            if {a.id for a in user.actions} == homes:
                # shown, not chosen: they stay the groups' and follow them
                cls.write([user], {'actions': [('remove', list(homes))]})


class View(metaclass=PoolMeta):
    __name__ = 'ir.ui.view'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        # Tryton applies the extensions of a board (view_get looks for the
        # inherited views without model) but requires a model on every view
        # that is not itself a board, so no addon could add a panel
        cls.model.states = {
            **cls.model.states,
            'required': If(Bool(Eval('inherit')),
                False, Eval('type') != 'board'),
            }

    @classmethod
    def validate_fields(cls, views, field_names):
        super().validate_fields(views, field_names)
        cls.check_model(views, field_names)

    @classmethod
    def check_model(cls, views, field_names=None):
        "Check that only boards and their extensions have no model"
        if field_names and not (field_names & {'model', 'inherit', 'type'}):
            return
        for view in views:
            if not view.model and view.real_type != 'board':
                raise ViewValidationError(gettext(
                        'service_network.msg_view_model_required',
                        view=view.rec_name))
