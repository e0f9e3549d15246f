"""
Administration (Django admin): people, roles, delegations, calendars and non-working days, and a read-only
view of the loaded procedure versions. A domain app that registers its own admin first wins.
"""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, Permission, User
from django.utils.html import format_html

from mapro.catalogue.models import ProcedureVersion
from mapro.deadlines.models import NonWorkingDay
from mapro.organization.models import Delegation, Entity, Person, Role, RoleAssignment, Unit

admin.site.site_header = "Administración de mapro"
admin.site.site_title = "mapro"
admin.site.index_title = "Personas, roles, calendarios y procedimientos"


# Django names permissions "Can add <model>" in English when it creates them (not translated, stored in the
# table): the group and user forms show them by action and model in Spanish instead.
PERMISSION_ACTIONS = {"add": "añadir", "change": "modificar", "delete": "eliminar", "view": "ver"}


def permission_label(permission: Permission) -> str:
    """ "Organización | persona | Puede añadir persona" for Django's four; a custom one keeps its name."""
    model = permission.content_type.model_class()
    action, _, _ = permission.codename.partition("_")
    if model is not None and action in PERMISSION_ACTIONS:
        name = f"Puede {PERMISSION_ACTIONS[action]} {model._meta.verbose_name}"
        return f"{model._meta.app_config.verbose_name} | {model._meta.verbose_name} | {name}"
    return str(permission)


class SpanishPermissionsField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Permission) -> str:
        return permission_label(obj)


class SpanishPermissionsMixin:
    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name in ("permissions", "user_permissions"):
            kwargs["form_class"] = SpanishPermissionsField
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class MaproGroupAdmin(SpanishPermissionsMixin, GroupAdmin):
    pass


class MaproUserAdmin(SpanishPermissionsMixin, UserAdmin):
    pass


for _model, _model_admin in ((Group, MaproGroupAdmin), (User, MaproUserAdmin)):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
    admin.site.register(_model, _model_admin)


def _register(model, model_admin) -> None:
    if not admin.site.is_registered(model):
        admin.site.register(model, model_admin)


class EntityAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "region", "workday_start", "workday_end", "filing_cutoff"]
    search_fields = ["code", "name"]


class UnitAdmin(admin.ModelAdmin):
    list_display = ["name", "acronym", "code", "entity", "parent", "head_role"]
    list_filter = ["entity"]
    search_fields = ["name", "acronym", "code"]
    raw_id_fields = ["parent", "head_role"]  # mail: the head told of overdue activities (docs/mail.md)


class RoleAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "entity"]
    list_filter = ["entity"]
    search_fields = ["name", "code"]


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    extra = 0
    autocomplete_fields = ["role"]
    fields = ["role", "unit", "starts_on", "ends_on"]


class DelegationInline(admin.TabularInline):
    model = Delegation
    fk_name = "delegate"
    extra = 0
    autocomplete_fields = ["role", "delegator"]
    fields = ["role", "delegator", "starts_on", "ends_on", "reason"]
    verbose_name = "encargatura recibida (hace las veces de)"
    verbose_name_plural = "encargaturas recibidas (hace las veces de)"


class PersonAdmin(admin.ModelAdmin):
    list_display = ["full_name", "user", "entity", "unit", "email"]
    list_filter = ["entity"]
    search_fields = ["full_name", "user__username", "email"]
    autocomplete_fields = ["user", "unit"]
    inlines = [RoleAssignmentInline, DelegationInline]


class RoleAssignmentAdmin(admin.ModelAdmin):
    list_display = ["person", "role", "starts_on", "ends_on"]
    list_filter = ["role__entity"]
    search_fields = ["person__full_name", "role__name"]
    autocomplete_fields = ["person", "role"]


class DelegationAdmin(admin.ModelAdmin):
    list_display = ["delegate", "role", "delegator", "starts_on", "ends_on", "reason"]
    list_filter = ["role__entity"]
    search_fields = ["delegate__full_name", "role__name", "reason"]
    autocomplete_fields = ["delegate", "delegator", "role"]


class NonWorkingDayAdmin(admin.ModelAdmin):
    list_display = ["date", "name", "scope", "legal_source", "entity", "region"]
    list_filter = ["scope", "entity"]
    search_fields = ["name", "legal_source"]
    date_hierarchy = "date"


class ProcedureVersionAdmin(admin.ModelAdmin):
    """Versions are loaded from the definition files (`mapro procedures load`), never edited here."""

    list_display = ["code", "name", "entity", "version", "revision", "is_current", "loaded_at"]
    list_filter = ["entity", "is_current"]
    search_fields = ["code", "name"]
    readonly_fields = [
        "code",
        "name",
        "entity",
        "version",
        "revision",
        "is_current",
        "source_path",
        "source_sha256",
        "loaded_at",
        "definition_pretty",
        "source_text",
    ]
    exclude = ["definition", "bpmn_xml"]

    @admin.display(description="cargada el", ordering="created_at")
    def loaded_at(self, obj: ProcedureVersion) -> object:
        return obj.created_at

    @admin.display(description="definición (JSON)")
    def definition_pretty(self, obj: ProcedureVersion) -> str:
        text = json.dumps(obj.definition, ensure_ascii=False, indent=2)
        return format_html('<pre style="max-height:30rem;overflow:auto;white-space:pre-wrap">{}</pre>', text)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


_register(Entity, EntityAdmin)
_register(Unit, UnitAdmin)
_register(Role, RoleAdmin)
_register(Person, PersonAdmin)
_register(RoleAssignment, RoleAssignmentAdmin)
_register(Delegation, DelegationAdmin)
_register(NonWorkingDay, NonWorkingDayAdmin)
_register(ProcedureVersion, ProcedureVersionAdmin)
