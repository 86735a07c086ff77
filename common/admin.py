from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect

from common.errors import DomainError
from common.models import NumberSeries


class ServiceAdminMixin:
    """Admin pages whose saves and deletes call the domain services.

    A refusal of a business rule rolls the whole request back (the admin runs each change in a
    transaction) and comes back as an error message on the same page.
    """

    def _refused(self, request, message: str):
        self.message_user(request, message, messages.ERROR)
        return HttpResponseRedirect(request.get_full_path())

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as exc:
            return self._refused(request, exc.message)
        except ValidationError as exc:
            return self._refused(request, " ".join(exc.messages))

    def changelist_view(self, request, extra_context=None):
        # Bulk actions ("delete selected", later the lifecycle actions) call the services too.
        try:
            return super().changelist_view(request, extra_context)
        except DomainError as exc:
            return self._refused(request, exc.message)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except DomainError as exc:
            return self._refused(request, exc.message)


@admin.register(NumberSeries)
class NumberSeriesAdmin(admin.ModelAdmin):
    list_display = ["code", "description", "last_no"]
    readonly_fields = ["code", "last_no"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
