"""Whether the menu offers the supervision report page to the signed-in person."""

from django import template

from mapro.organization.models import Person
from mapro.reports.supervision import supervision_named

register = template.Library()


@register.simple_tag
def supervision_in_menu(person: Person | None) -> bool:
    return person is not None and supervision_named(person=person)
