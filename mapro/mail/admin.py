"""Mails in the admin: failures first in mind (filter by state, the last error, a retry action)."""

from django.contrib import admin, messages

from .models import MailPreference, OutboundEmail
from .services import emails_retry


@admin.register(OutboundEmail)
class OutboundEmailAdmin(admin.ModelAdmin):
    list_display = ["key", "subject", "recipients", "status", "attempts", "next_attempt_at", "last_error"]
    list_filter = ["status"]
    search_fields = ["key", "subject", "to"]
    date_hierarchy = "created_at"
    actions = ["retry"]
    # Every field, read-only; the two timestamps (English names from the shared base model) relabelled.
    readonly_fields = [
        {"created_at": "created", "updated_at": "updated"}.get(f.name, f.name)
        for f in OutboundEmail._meta.fields
    ]

    @admin.display(description="creado el", ordering="created_at")
    def created(self, obj: OutboundEmail) -> object:
        return obj.created_at

    @admin.display(description="modificado el", ordering="updated_at")
    def updated(self, obj: OutboundEmail) -> object:
        return obj.updated_at

    @admin.display(description="destinatarios")
    def recipients(self, obj: OutboundEmail) -> str:
        return ", ".join(obj.to) or "— nadie —"

    @admin.action(description="Reintentar los correos fallidos seleccionados")
    def retry(self, request, queryset) -> None:
        count = emails_retry(ids=queryset.values_list("pk", flat=True))
        messages.success(request, f"{count} correo(s) vuelven a la cola de envío.")

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(MailPreference)
class MailPreferenceAdmin(admin.ModelAdmin):
    list_display = ["person", "mode"]
    list_filter = ["mode"]
    search_fields = ["person__full_name", "person__email"]
    raw_id_fields = ["person"]
