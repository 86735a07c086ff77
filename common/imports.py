"""Import and export in the admin (django-import-export), with every write going through the services.

A file is checked in full first (a dry run in a transaction that is rolled back) and shows each
invalid row with its line number; it can be imported only when no row is invalid. The import
itself runs in one transaction again and is rolled back whole if any row fails after all (the
data may have changed since the preview): a file with errors changes nothing.
"""

from decimal import Decimal

import tablib
from django.contrib import messages
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from import_export import resources, widgets
from import_export.admin import ExportMixin, ImportExportMixin
from import_export.formats import base_formats
from import_export.forms import SelectableFieldsExportForm

from common.errors import DomainError
from common.spreadsheet import cell_text, neutralise

# More rows than this belong in a migration script, not in an upload in a browser.
MAX_IMPORT_ROWS = 10_000


# --- formats: exported text never runs as a spreadsheet formula --------------------------------


def _neutralised(dataset: tablib.Dataset) -> tablib.Dataset:
    safe = tablib.Dataset(headers=dataset.headers, title=dataset.title)
    for row in dataset:
        safe.append([neutralise(value) if isinstance(value, str) else value for value in row])
    return safe


class CSV(base_formats.CSV):
    def export_data(self, dataset, **kwargs):
        return super().export_data(_neutralised(dataset), **kwargs)


class XLSX(base_formats.XLSX):
    # openpyxl writes a text starting with "=" as a formula: neutralising matters here too.
    def export_data(self, dataset, **kwargs):
        return super().export_data(_neutralised(dataset), **kwargs)


FORMATS = [CSV, XLSX]


# --- widgets ------------------------------------------------------------------------------------


class CodeWidget(widgets.ForeignKeyWidget):
    """A reference to another record by its code or number; an unknown one is an error of the row."""

    def clean(self, value, row=None, **kwargs):
        code = cell_text(value)
        if not code:
            return None
        try:
            return self.get_queryset(code, row, **kwargs).get(**{self.field: code})
        except self.model.DoesNotExist:
            raise ValueError(
                _("%(model)s %(code)s does not exist.")
                % {"model": capfirst(self.model._meta.verbose_name), "code": code}
            ) from None


class DecimalCell(widgets.DecimalWidget):
    def clean(self, value, row=None, **kwargs):
        try:
            return super().clean(value, row, **kwargs)
        except (ArithmeticError, ValueError):
            raise ValueError(_("Enter a number, such as 1250.50.")) from None


class IntegerCell(widgets.IntegerWidget):
    def clean(self, value, row=None, **kwargs):
        text = cell_text(value)
        if not text:
            return None
        try:
            number = Decimal(text)
        except ArithmeticError:
            number = None
        if number is None or not number.is_finite() or number != number.to_integral_value() or abs(number) > 10**9:
            raise ValueError(_("Enter a whole number."))
        return int(number)


class BooleanCell(widgets.BooleanWidget):
    """1/0, true/false or yes/no; an empty cell is "no"."""

    TRUE_TEXT = {"1", "true", "yes", "y", "x"}
    FALSE_TEXT = {"", "0", "false", "no", "n"}

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, bool):
            return value
        text = cell_text(value).lower()
        if text in self.TRUE_TEXT:
            return True
        if text in self.FALSE_TEXT:
            return False
        raise ValueError(_("Enter 1 or 0 (or yes or no)."))


# --- resources ----------------------------------------------------------------------------------


class ServiceResource(resources.ModelResource):
    """Rows are validated and written by the domain services, never saved directly.

    Subclasses implement :meth:`write`, which receives the values of the columns present in the
    file. A refusal of a business rule becomes an error of the row, like a field error.
    """

    class Meta:
        clean_model_instances = False  # the services validate, with the same messages as forms
        skip_unchanged = True
        report_skipped = True
        use_transactions = True
        skip_diff = False

    WIDGETS_MAP = {
        **resources.ModelResource.WIDGETS_MAP,
        "DecimalField": DecimalCell,
        "IntegerField": IntegerCell,
        "PositiveIntegerField": IntegerCell,
        "BooleanField": BooleanCell,
    }

    def write(self, instance, values: dict, *, is_create: bool, user):
        raise NotImplementedError

    def before_import(self, dataset, **kwargs):
        if len(dataset) > MAX_IMPORT_ROWS:
            raise ValidationError(
                _("The file has %(count)s rows; import at most %(max)s rows at a time.")
                % {"count": len(dataset), "max": MAX_IMPORT_ROWS}
            )

    def get_or_init_instance(self, instance_loader, row):
        # An unknown code in a key column is an error of the row, shown with its line number.
        try:
            return super().get_or_init_instance(instance_loader, row)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None

    def save_instance(self, instance, is_create, row, **kwargs):
        id_fields = set(self.get_import_id_fields())
        values = {
            field.attribute: getattr(instance, field.attribute)
            for name, field in self.fields.items()
            if field.attribute
            and field.column_name in row
            and not field.readonly
            and (is_create or name not in id_fields)
        }
        for name, value in values.items():
            # An empty cell of a field that has a default means the default (0 %, not blocked).
            model_field = instance._meta.get_field(name)
            if value is None and not model_field.null and model_field.has_default():
                values[name] = model_field.get_default()
        try:
            saved = self.write(instance, values, is_create=is_create, user=kwargs.get("user"))
        except DomainError as exc:
            raise ValidationError(exc.message, code=exc.code) from None
        instance.pk = saved.pk


# --- admin --------------------------------------------------------------------------------------


class ExportForm(SelectableFieldsExportForm):
    """Column choices labelled with the translated field names instead of the column names."""

    def _get_field_label(self, resource, field_name):
        label = getattr(resource, "labels", {}).get(field_name)
        if label is None:
            try:
                label = resource._meta.model._meta.get_field(field_name).verbose_name
            except FieldDoesNotExist:
                return super()._get_field_label(resource, field_name)
        return capfirst(label)


class _Formats:
    formats = FORMATS
    export_form_class = ExportForm


class ImportExportAdminMixin(_Formats, ImportExportMixin):
    """Import (validated in full, all or nothing) and export as CSV and XLSX."""

    def process_dataset(self, dataset, form, request, **kwargs):
        # The confirmed import: any invalid row rolls the whole file back (the library's
        # default would skip invalid rows and import the rest).
        return super().process_dataset(dataset, form, request, rollback_on_validation_errors=True, **kwargs)

    def process_result(self, result, request):
        if result.has_errors() or result.has_validation_errors():
            rows = sorted({row.number for row in result.invalid_rows} | {number for number, _e in result.row_errors()})
            self.message_user(
                request,
                _("Nothing was imported: the file has errors in rows %(rows)s. Upload it again to see them.")
                % {"rows": ", ".join(str(number) for number in rows) or "-"},
                messages.ERROR,
            )
            info = self.opts.app_label, self.opts.model_name
            return HttpResponseRedirect(reverse("admin:{}_{}_import".format(*info), current_app=self.admin_site.name))
        return super().process_result(result, request)


class ExportAdminMixin(_Formats, ExportMixin):
    """Export only (records written through the lifecycle, never imported)."""
