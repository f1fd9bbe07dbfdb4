"""Cache every view once, for all the agents.

trytond 8.0 caches what `fields_view_get` builds (the view's architecture
and its fields) but:

- a form with a One2Many or Many2Many shown through its own list (a site's
  counters, a case's checklist, the counter desk) was never cached: its
  fields embed the sub-views, which come out of the same cache as
  read-only mappings (`MappingProxyType`), and `trytond.cache.immutable`,
  run on every value stored, cannot copy such a mapping: the store failed
  silently and each opening of the form rebuilt it (parsing the XML,
  `fields_get`, the sub-views; 128 ms under the load of the morning);
- the caches of `fields_view_get`, `view_toolbar_get` and
  `ir.ui.view.view_get` are keyed on the whole context, which holds the
  agent's `employee` (a context field of the company module): each of the
  184 agents rebuilt each screen for itself. No view depends on the
  employee (they depend on the groups, kept in the key, and the language,
  kept in the context); `employee` is left out of those three keys, with
  the names the preferences give the client beside it
  (`employee.rec_name`, `company.rec_name`), which sao sends back in every
  call's context: with them each agent still missed the cache.

The same keys are left out of the caches trytond consults on every button,
write and wizard, whose answers depend on records and the language, never
on the employee: the groups, rules and resets of a button
(`ir.model.button`), the triggers of a model (`ir.trigger`), the wizards'
names and models (`ir.action.wizard`), the names of models and fields
(`ir.model`). With the employee in their keys each agent filled them for
itself, and 184 agents outgrew their 1,024 entries: every click searched
the button's groups again.
"""
from types import MappingProxyType

import trytond.cache
from trytond.ir.action import ActionWizard
from trytond.ir.model import Model, ModelButton, ModelField
from trytond.ir.trigger import Trigger
from trytond.ir.ui.view import View
from trytond.model import ModelView

# The context keys that vary from agent to agent but not their views
IGNORED = {'employee', 'employee.rec_name', 'company.rec_name'}

_immutable = trytond.cache.immutable


def immutable(o):
    "trytond's immutable, keeping a value already made immutable as is"
    if isinstance(o, MappingProxyType):
        return o
    return _immutable(o)


def install():
    trytond.cache.immutable = immutable
    for cache in [ModelView._fields_view_get_cache,
            ModelView._view_toolbar_get_cache, View._view_get_cache,
            ModelButton._rules_cache, ModelButton._reset_cache,
            ModelButton._groups_cache, Trigger._get_triggers_cache,
            ActionWizard._get_name_cache, ActionWizard._get_models_cache,
            Model._get_names_cache, ModelField._get_name_cache]:
        cache.context_ignored_keys.update(IGNORED)
