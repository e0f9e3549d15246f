"""In-app notifications: the person marks what they have read."""

from django.utils import timezone

from mapro.core.errors import NotFoundError
from mapro.organization.models import Person

from ..models import Notification


def notification_mark_read(*, notification_id: int, person: Person) -> Notification:
    """Idempotent: marking an already read notification keeps its first reading time."""
    notification = Notification.objects.filter(pk=notification_id, person=person).first()
    if notification is None:
        raise NotFoundError("La notificación no existe.")
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at", "updated_at"])
    return notification
