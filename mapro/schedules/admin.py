"""Schedules in the admin: first run, requester, start data and whether active are editable (audited)."""

from typing import Any

from django.contrib import admin

from .models import Schedule, ScheduleRun
from .services import EDITABLE, schedule_update


class ScheduleRunInline(admin.TabularInline):
    model = ScheduleRun
    extra = 0
    can_delete = False
    fields = ("occurrence_at", "status", "case", "error")
    readonly_fields = fields
    ordering = ("-occurrence_at",)
    show_change_link = False

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(Schedule)
class ScheduleAdmin(admin.ModelAdmin):
    list_display = (
        "entity",
        "procedure_code",
        "flow",
        "frequency",
        "first_run_at",
        "requester",
        "next_run_at",
        "active",
    )
    list_filter = ("entity", "frequency", "active")
    search_fields = ("procedure_code", "flow")
    fields = (
        "entity",
        "procedure_code",
        "flow",
        "start_activity",
        "frequency",
        "working_days",
        *EDITABLE,
        "next_run_at",
    )
    readonly_fields = (
        "entity",
        "procedure_code",
        "flow",
        "start_activity",
        "frequency",
        "working_days",
        "next_run_at",
    )
    autocomplete_fields = ()
    inlines = [ScheduleRunInline]

    def has_add_permission(self, request: Any) -> bool:
        return False  # made from the definitions (mapro schedules sync)

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False  # deactivate instead: its runs are the record of what was started

    def save_model(self, request: Any, obj: Schedule, form: Any, change: bool) -> None:
        changes = {field: form.cleaned_data[field] for field in form.changed_data if field in EDITABLE}
        if changes:
            actor = getattr(request.user, "person", None)
            label = None if actor is not None else f"administrador {request.user.get_username()}"
            schedule_update(schedule=obj, actor=actor, changes=changes, actor_label=label)


@admin.register(ScheduleRun)
class ScheduleRunAdmin(admin.ModelAdmin):
    list_display = ("schedule", "occurrence_at", "status", "case", "created_at")
    list_filter = ("status", "schedule__entity")
    readonly_fields = ("schedule", "occurrence_at", "status", "case", "error", "created_at")

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False
