"""Admin inlines that read each row's related objects with the rows, not once a row.

Django's autocomplete widget reads the object it shows again, one query a row, and a
tabular inline names each row (``__str__``) through its foreign keys, more queries a
row: an article's change page with 34 actor links ran 78 queries. ``RowObjectsInline``
reads the rows with their autocomplete fields' objects (``select_related``) and its
widgets show those objects, so the page's queries do not grow with its rows.
"""

from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import FieldDoesNotExist
from django.forms.models import BaseInlineFormSet


class AutocompleteSelectOfRow(AutocompleteSelect):
    """An autocomplete widget that shows ``row_object`` when it is the value, unread."""

    row_object = None

    def optgroups(self, name, value, attr=None):
        chosen = self.row_object
        selected = [str(item) for item in value if str(item) not in self.choices.field.empty_values]
        if chosen is None or selected != [str(getattr(chosen, self.field.target_field.attname))]:
            # A new row, or a value the editor changed in a form sent back with errors.
            return super().optgroups(name, value, attr)
        options = []
        if not self.is_required:
            options.append(self.create_option(name, "", "", False, 0))
        label = self.choices.field.label_from_instance(chosen)
        options.append(self.create_option(name, selected[0], label, True, len(options)))
        return [(None, options, 0)]


class RowObjectsFormSet(BaseInlineFormSet):
    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        if self.instance.pk is not None:
            # Django gives the row its parent's id only: a row named after its parent
            # (a role after its person) would read the parent again.
            setattr(form.instance, self.fk.name, self.instance)
        for name, field in form.fields.items():
            widget = getattr(field.widget, "widget", field.widget)  # under the "+" wrapper
            if not isinstance(widget, AutocompleteSelectOfRow):
                continue
            model_field = form.instance._meta.get_field(name)
            if model_field.is_cached(form.instance):
                widget.row_object = getattr(form.instance, name)
        return form


class RowObjectsInline:
    """Mix into an inline whose ``autocomplete_fields`` are foreign keys: the rows are
    read with them, and with the objects of the foreign keys it shows read-only."""

    formset = RowObjectsFormSet

    def get_queryset(self, request):
        shown = [*self.get_autocomplete_fields(request), *self.get_readonly_fields(request)]
        related = []
        for name in dict.fromkeys(shown):
            try:
                field = self.model._meta.get_field(name)
            except FieldDoesNotExist:  # a method of the inline
                continue
            if field.many_to_one or field.one_to_one:
                related.append(name)
        return super().get_queryset(request).select_related(*related)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = AutocompleteSelectOfRow(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
