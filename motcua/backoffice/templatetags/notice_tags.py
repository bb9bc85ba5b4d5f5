"""The unread-notice count shown in the officers' navigation."""

from typing import Any

from django import template

from motcua.dossiers.services.escalation import count_unread

register = template.Library()


@register.simple_tag
def unread_notices(user: Any) -> int:
    """How many of ``user``'s notices are unread (one query; none for an anonymous visitor)."""
    return count_unread(user)
