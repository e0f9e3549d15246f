"""`{% routing_panel task as panel %}`: the routing panel of a task for the signed-in person."""

from django import template

from ..selectors_routing import RoutingPanel
from ..selectors_routing import routing_panel as panel_for

register = template.Library()


@register.simple_tag(takes_context=True)
def routing_panel(context, task) -> RoutingPanel:
    return panel_for(task=task, person=context["request"].person)


@register.filter
def branches_with_reason(decision) -> list:
    """The branches of a decision that ask for a reason (`Branch.reason`)."""
    return [branch for branch in decision.branches if branch.reason] if decision else []
