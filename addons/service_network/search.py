"""Search helpers shared by the addons' models."""


def search_fields(clause, field_names):
    """Return the domain applying clause's operator and operand to any of
    field_names (to all of them for a negative operator): the body of a
    search_rec_name over several fields"""
    _, operator, operand, *extra = clause
    negative = operator.startswith('!') or operator.startswith('not ')
    return ['AND' if negative else 'OR'] + [
        (name, operator, operand, *extra) for name in field_names]
