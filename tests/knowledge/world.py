"""The knowledge base's rows of the query-budget World (tests/budgets/world.py): a focus
category and article, and per unit a category with a published article (tagged, linked to the
World's task category), a published article more in the focus category, and a deflection by the
World's client user."""

from __future__ import annotations

from partnerdesk.knowledge import services


def setup(world) -> None:
    admin = world.admin
    world.kb_category = services.category_create(by=admin, name="KB focus category")
    world.kb_article = services.article_create(
        by=admin,
        title="KB focus article",
        body="The focus article.",
        category=world.kb_category,
        status="published",
        task_categories=[world.category],
    )


def unit(world, i: int) -> None:
    admin = world.admin
    category = services.category_create(by=admin, name=f"KB category {i:03}")
    article = services.article_create(
        by=world.agent if i % 2 else admin,
        title=f"KB article {i:03}",
        body=f"How to do thing {i}.",
        category=category,
        status="published",
        tags=[f"tag{i:03}", "budget"],
        task_categories=[world.category],
    )
    services.article_create(
        by=admin,
        title=f"KB focus {i:03}",
        body="More of the focus category.",
        category=world.kb_category,
        status="published",
    )
    services.deflect(
        by=world.client_user,
        article=article,
        task_category=world.category,
        query=f"KB query {i:03}",
    )
