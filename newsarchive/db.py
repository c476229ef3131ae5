"""Query expressions shared by the apps."""

from django.db.models import IntegerField, Subquery


class SubqueryCount(Subquery):
    """Count the rows of a correlated queryset, as a column of the outer query.

    Unlike ``Count()`` it needs no GROUP BY, so a list page counts related rows only
    for the rows it shows, and the paginator's COUNT(*) leaves it out.
    """

    template = "(SELECT COUNT(*) FROM (%(subquery)s) _subquery_count)"
    output_field = IntegerField()

    def __init__(self, queryset, **extra):
        super().__init__(queryset.order_by().values("pk"), **extra)
