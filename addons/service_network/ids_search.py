"""Answer the client's search with the ids alone.

`ModelSQL.search` selects every eager column of the records found and
fills the transaction's cache with them, for the code that goes on to
read those records. The client's `search` (each list opened or refreshed
in sao) only returns their ids: the site's 435 open cases cost 7 to 8 ms
that way, 1.7 to 2.3 ms when the same query selects the ids alone.

`IdsSearchMixin` decorates the model's `search` RPC: without `count`, the
search builds its query as usual (`query=True`: the domain, the record
rules, the order, the limit and the access checks are those of
`ModelSQL.search`) and the ids are read from it, in its order. The search
made by the server's own code is unchanged.
"""
import copy
import functools

from trytond.transaction import Transaction


def search_ids(func):
    "Decorate the bound search func to return the ids of its query"
    @functools.wraps(func)
    def wrapper(domain, offset=0, limit=None, order=None, count=False):
        if count:
            return func(domain, offset, limit, order, count=True)
        query = func(domain, offset, limit, order, query=True)
        cursor = Transaction().connection.cursor()
        cursor.execute(*query)
        return [id_ for id_, in cursor]
    return wrapper


class IdsSearchMixin:
    "The search RPC answers the ids without reading the records"
    __slots__ = ()

    @classmethod
    def __setup__(cls):
        super().__setup__()
        rpc = copy.copy(cls.__rpc__['search'])
        decorator = rpc.decorator
        if decorator:
            rpc.decorator = lambda func: decorator(search_ids(func))
        else:
            rpc.decorator = search_ids
        cls.__rpc__['search'] = rpc
