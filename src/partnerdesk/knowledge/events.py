"""The event kinds the knowledge base records (each one a timeline entry and an automation and
webhook input). Article events have the article as subject and no company; a deflection has
the article as subject and the client's company, so it is on that company's record too."""

from enum import StrEnum


class KnowledgeEvent(StrEnum):
    ARTICLE_CREATED = "knowledge.article_created"  # {"title", "language", "status"}
    ARTICLE_UPDATED = "knowledge.article_updated"  # {"title", "changes"}
    ARTICLE_PUBLISHED = "knowledge.article_published"  # {"title", "language"}
    ARTICLE_UNPUBLISHED = "knowledge.article_unpublished"  # {"title", "language"}
    ARTICLE_DELETED = "knowledge.article_deleted"  # {"title", "language"}
    # {"name", "created"?, "deleted"?, "changes"?}
    CATEGORY_SAVED = "knowledge.category_saved"
    # A client found the answer in the article and did not submit their request:
    # {"deflection_id", "article", "task_category", "query"}
    REQUEST_DEFLECTED = "knowledge.request_deflected"
