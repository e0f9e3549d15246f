"""Links inside flash confirmations: the case number links to the case (format_html escapes the rest)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString


def case_link(number: str) -> SafeString:
    return format_html('<a href="{}">{}</a>', reverse("web:case", args=[number]), number)
