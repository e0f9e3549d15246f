"""Case services (writes). Interfaces call these and nothing else to change a case."""

from .cases import case_attachment_add, case_comment_add, case_start, case_task_complete
from .lifecycle import case_cancel, case_resume, case_suspend
from .notifications import notification_mark_read
from .routing import case_task_assign, case_task_claim, case_task_forward, case_task_release

__all__ = [
    "case_attachment_add",
    "case_cancel",
    "case_comment_add",
    "case_resume",
    "case_start",
    "case_suspend",
    "case_task_assign",
    "case_task_claim",
    "case_task_complete",
    "case_task_forward",
    "case_task_release",
    "notification_mark_read",
]
