"""Cases propose first the agents qualified for their procedure at their
site (needs service_case)."""
from trytond.pool import PoolMeta
from trytond.pyson import Eval


class Case(metaclass=PoolMeta):
    __name__ = 'case.case'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        # The client sends this context and order when it searches the
        # agent of a case (completion and search window): see the
        # qualified field of company.employee
        cls.assignee.search_context = {
            **cls.assignee.search_context,
            'qualified_for_procedure': Eval('procedure'),
            'qualified_at_site': Eval('site'),
            }
        cls.assignee.search_order = [
            ('qualified', 'DESC'), ('party.name', 'ASC'), ('id', 'ASC')]
        cls.assignee.depends |= {'procedure', 'site'}
