"""Template filters of the knowledge base: ``{{ article.body|excerpt }}`` (plain text)."""

from django import template

from ..markdown import plain_text

register = template.Library()


@register.filter
def excerpt(body: str, limit: int = 160) -> str:
    """A Markdown body as one line of plain text, cut at ``limit`` characters."""
    return plain_text(body, int(limit))
