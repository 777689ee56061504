"""Demo knowledge base: four help center categories, twelve English articles (one a draft),
Italian and Arabic translations of the most asked ones, each linked to the portal's task
categories and the ticket request types it helps with, some views and votes, and a few
requests the articles deflected for the demo's clients (Nile Dental Clinics, Trattoria Da
Luca: Italian, so the help center shows them the Italian versions first).

Written through the services, as the agency's staff and clients would; the dates the services
stamp with "now" are moved back so the help center reads as a few months old. Loaded once:
later runs leave the data alone.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import F

from partnerdesk.accounts.models import Role, User
from partnerdesk.core import clock
from partnerdesk.core.models import Event
from partnerdesk.crm.models import ObjectType, Stage
from partnerdesk.portal.models import TaskCategory

from . import services
from .models import Article, ArticleStatus, Category, Deflection

ADMIN = "admin@demo.partnerdesk.test"
MANAGER = "manager@demo.partnerdesk.test"
AGENT = "agent@demo.partnerdesk.test"
WEB = "web@demo.partnerdesk.test"

# key, name, description
CATEGORIES = [
    ("getting-started", "Getting started", "Your portal, your requests and how we work together."),
    ("email-domains", "Email & domains", "Mailboxes, storage, DNS and connecting your domain."),
    ("hubspot", "HubSpot", "Workflows, reports, imports and day-to-day HubSpot questions."),
    ("website", "Your website", "Changes, forms and what to send us for a new website."),
]

# Each article: category key, title, tags, body, task category keys, request types as
# (ticket pipeline key, entry stage key), author, days ago, views, status, translations
# {language: (title, body)}.
ARTICLES: list[dict[str, Any]] = [
    {
        "category": "getting-started",
        "title": "How requests work: triage, queue and approval",
        "tags": "requests, queue, plan",
        "task_categories": ["other", "hubspot-administration"],
        "author": MANAGER,
        "days": 120,
        "views": 64,
        "body": (
            "Every request you send goes through four steps:\n\n"
            "1. **Triage** — we read it and ask anything we need.\n"
            "2. **Queue** — accepted requests wait in *your* queue, in the order you choose.\n"
            "3. **Working** — your plan sets how many requests we work on at once.\n"
            "4. **Approval** — when we deliver, you approve or ask for changes.\n\n"
            "Drag the requests in your queue to change their order at any time."
        ),
        "translations": {
            "it": (
                "Come funzionano le richieste: valutazione, coda e approvazione",
                "Ogni richiesta passa da quattro fasi:\n\n"
                "1. **Valutazione** — la leggiamo e ti chiediamo ciò che serve.\n"
                "2. **Coda** — le richieste accettate attendono nella *tua* coda.\n"
                "3. **Lavorazione** — il tuo piano stabilisce quante richieste seguiamo insieme.\n"
                "4. **Approvazione** — alla consegna approvi o chiedi modifiche.",
            ),
            "ar": (
                "كيف تعمل الطلبات: الفرز والطابور والموافقة",
                "يمر كل طلب بأربع مراحل:\n\n"
                "1. **الفرز** — نقرأ الطلب ونسألك عما نحتاجه.\n"
                "2. **الطابور** — تنتظر الطلبات المقبولة في طابورك بالترتيب الذي تختاره.\n"
                "3. **العمل** — تحدد خطتك عدد الطلبات التي نعمل عليها في وقت واحد.\n"
                "4. **الموافقة** — عند التسليم توافق أو تطلب تعديلات.",
            ),
        },
    },
    {
        "category": "getting-started",
        "title": "Book a consultation session",
        "tags": "consultation, meeting",
        "task_categories": ["consultation-session"],
        "author": MANAGER,
        "days": 100,
        "views": 23,
        "body": (
            "Choose the category **Consultation Session** when you start a request: you pick "
            "a 45-minute slot right after. You can reschedule from the request's page until "
            "the day before."
        ),
    },
    {
        "category": "email-domains",
        "title": "Add a mailbox for a new colleague",
        "tags": "mailbox, email, licence",
        "task_categories": ["email-domains"],
        "request_types": [("email-related-requests", "add-email-licence")],
        "author": AGENT,
        "days": 90,
        "views": 88,
        "body": (
            "Before you ask for a new mailbox, check whether you have a free licence:\n\n"
            "- Open your email admin page and look at **Licences**.\n"
            "- If one is free, create the user there; the mailbox is ready in minutes.\n"
            "- If none is free, start a request with the name and the address you want: "
            "we add a licence (it shows on your next invoice).\n"
        ),
        "translations": {
            "it": (
                "Aggiungere una casella di posta per un nuovo collega",
                "Prima di chiedere una nuova casella, controlla se hai una licenza libera:\n\n"
                "- Apri la pagina di amministrazione della posta e guarda **Licenze**.\n"
                "- Se ce n'è una libera, crea lì l'utente: la casella è pronta in pochi minuti.\n"
                "- Altrimenti apri una richiesta con il nome e l'indirizzo desiderati.",
            ),
            "ar": (
                "إضافة صندوق بريد لزميل جديد",
                "قبل طلب صندوق بريد جديد، تحقق من وجود ترخيص متاح:\n\n"
                "- افتح صفحة إدارة البريد وانظر إلى **التراخيص**.\n"
                "- إذا كان هناك ترخيص متاح، أنشئ المستخدم هناك؛ يصبح الصندوق جاهزًا خلال دقائق.\n"
                "- إذا لم يكن، افتح طلبًا باسم الزميل والعنوان المطلوب.",
            ),
        },
    },
    {
        "category": "email-domains",
        "title": "My mailbox is full: free space or upgrade storage",
        "tags": "mailbox, storage, quota",
        "task_categories": ["email-domains"],
        "request_types": [("email-related-requests", "add-extra-storage")],
        "author": AGENT,
        "days": 80,
        "views": 57,
        "body": (
            "A full mailbox stops receiving mail. To free space at once, empty **Deleted "
            "items** and **Junk**, and archive old folders. If it fills up again every month, "
            "ask for extra storage: send the mailbox address and the size you need."
        ),
        "translations": {
            "it": (
                "La casella è piena: liberare spazio o aumentare lo spazio",
                "Una casella piena non riceve più posta. Svuota **Posta eliminata** e "
                "**Indesiderata** e archivia le cartelle vecchie. Se si riempie ogni mese, "
                "chiedi spazio aggiuntivo indicando l'indirizzo e la dimensione.",
            ),
        },
    },
    {
        "category": "email-domains",
        "title": "Connect your domain: the DNS records we need",
        "tags": "domain, dns, mx",
        "task_categories": ["email-domains", "website"],
        "request_types": [("domain-related-requests", "connect-external-domain")],
        "author": "mahinaz@demo.partnerdesk.test",
        "days": 75,
        "views": 41,
        "body": (
            "To connect a domain you bought elsewhere we need access to its DNS. Either send "
            "us the registrar's login, or add these records yourself:\n\n"
            "| Type | Name | Value |\n|---|---|---|\n"
            "| MX | @ | the value on your email admin page |\n"
            "| TXT | @ | `v=spf1 include:… ~all` |\n"
            "| CNAME | www | your website's address |\n\n"
            "Changes can take up to 48 hours to spread."
        ),
    },
    {
        "category": "email-domains",
        "title": "Emails go to spam: check SPF and DKIM",
        "tags": "spam, spf, dkim, dns",
        "task_categories": ["email-domains"],
        "request_types": [("bug-investigation", "new")],
        "author": AGENT,
        "days": 40,
        "views": 19,
        "body": (
            "If your emails land in spam, your domain probably misses an **SPF** or **DKIM** "
            "record. Send yourself a test to a Gmail address and open *Show original*: both "
            "must say `PASS`. If not, start a request and we fix the records."
        ),
    },
    {
        "category": "hubspot",
        "title": "Why didn't my workflow run?",
        "tags": "workflow, automation",
        "task_categories": ["workflows-automation"],
        "author": "mahinaz@demo.partnerdesk.test",
        "days": 60,
        "views": 33,
        "body": (
            "Check three things first:\n\n"
            "1. The workflow is **on** (turned on after the record entered it? It only "
            "enrols new records unless you choose *enrol existing*).\n"
            "2. The record meets **every** enrolment trigger.\n"
            "3. Re-enrolment is allowed if the record went through it before.\n\n"
            "Open the record's *Workflow history* to see what happened."
        ),
        "translations": {
            "it": (
                "Perché il mio workflow non è partito?",
                "Controlla prima tre cose:\n\n"
                "1. Il workflow è **attivo**.\n"
                "2. Il record soddisfa **tutti** i criteri di iscrizione.\n"
                "3. La re-iscrizione è permessa se il record ci è già passato.",
            ),
        },
    },
    {
        "category": "hubspot",
        "title": "Build a report your team will read",
        "tags": "reports, dashboards",
        "task_categories": ["reports-dashboards"],
        "author": MANAGER,
        "days": 55,
        "views": 12,
        "body": (
            "Start from the question, not the chart: *how many deals did we win by source "
            "this quarter?* Pick the object (deals), the filter (closed won, this quarter), "
            "then the breakdown (original source). Add it to a dashboard your team opens on "
            "Mondays."
        ),
    },
    {
        "category": "hubspot",
        "title": "Prepare a file for an import",
        "tags": "import, csv, data",
        "task_categories": ["data-import-cleanup"],
        "author": AGENT,
        "days": 30,
        "views": 27,
        "body": (
            "Save the file as **CSV (UTF-8)**, one row per record, one column per property, "
            "with a header row. Keep an email column for contacts and a domain column for "
            "companies, so duplicates are merged instead of created."
        ),
    },
    {
        "category": "website",
        "title": "What to send us for a new website",
        "tags": "website, content",
        "task_categories": ["website"],
        "request_types": [("website-creation", "new")],
        "author": WEB,
        "days": 50,
        "views": 15,
        "body": (
            "- Your logo (SVG or a large PNG) and colours\n"
            "- The pages you want and their text\n"
            "- Photos you own the rights to\n"
            "- The domain, and who can change its DNS\n\n"
            "We send a first draft within two weeks of receiving them."
        ),
        "translations": {
            "ar": (
                "ما الذي ترسله لنا من أجل موقع جديد",
                "- شعارك (SVG أو PNG كبير) وألوانك\n"
                "- الصفحات التي تريدها ونصوصها\n"
                "- صور تملك حقوقها\n"
                "- النطاق ومن يمكنه تغيير إعدادات DNS الخاصة به",
            ),
        },
    },
    {
        "category": "website",
        "title": "Change a form on your website",
        "tags": "website, forms",
        "task_categories": ["website"],
        "author": WEB,
        "days": 20,
        "views": 9,
        "body": (
            "Forms on your website are HubSpot forms: you can change their fields yourself "
            "under *Marketing → Forms*. Changes show on the site as soon as you publish them."
        ),
    },
    {
        "category": "website",
        "title": "Website speed checklist",
        "tags": "website, performance",
        "task_categories": ["website"],
        "author": WEB,
        "days": 3,
        "views": 0,
        "status": ArticleStatus.DRAFT,
        "body": "Draft: images, caching, fonts — to be written.",
    },
]

# Deflections: (client email, article title, task category key, what they typed, days ago)
DEFLECTIONS = [
    ("client@niledental.com", "Add a mailbox for a new colleague", "email-domains",
     "New mailbox for our receptionist", 21),
    ("client@niledental.com", "My mailbox is full: free space or upgrade storage",
     "email-domains", "Mailbox full — cannot receive emails", 12),
    ("member@niledental.com", "Connect your domain: the DNS records we need", "email-domains",
     "Connect niledental.com to the new website", 6),
    ("client@trattoriadaluca.it", "Perché il mio workflow non è partito?",
     "workflows-automation", "Il workflow delle prenotazioni non parte", 9),
    ("client@trattoriadaluca.it", "Aggiungere una casella di posta per un nuovo collega",
     "email-domains", "Nuova casella per il cameriere", 2),
]  # fmt: skip


def _backdate(article: Article, when: dt.datetime) -> None:
    published = when if article.status == ArticleStatus.PUBLISHED else None
    Article.objects.filter(pk=article.pk).update(
        created_at=when, updated_at=when, published_at=published
    )
    Event.objects.filter(kind__startswith="knowledge.article_", subject_id=article.pk).update(
        occurred_at=when
    )


def _links(item: dict) -> dict[str, Any]:
    categories = {c.key: c for c in TaskCategory.objects.exclude(key="")}
    stages = {
        (s.pipeline.key, s.key): s
        for s in Stage.objects.filter(
            is_entry=True, pipeline__object_type=ObjectType.TICKET
        ).select_related("pipeline")
    }
    return {
        "task_categories": [
            categories[k] for k in item.get("task_categories", []) if k in categories
        ],
        "request_types": [stages[k] for k in item.get("request_types", []) if k in stages],
        "pipelines": list(
            dict.fromkeys(stages[k].pipeline for k in item.get("request_types", []) if k in stages)
        ),
    }


@transaction.atomic
def load() -> bool:
    """Load the knowledge base demo once; False when it is there (or the CRM demo is not)."""
    staff = {u.email: u for u in User.objects.filter(email__endswith="@demo.partnerdesk.test")}
    if MANAGER not in staff or Category.objects.filter(key="getting-started").exists():
        return False
    now = clock.now()
    categories = {}
    for order, (key, name, description) in enumerate(CATEGORIES):
        category = services.category_create(
            by=staff[MANAGER], name=name, description=description, order=order
        )
        Category.objects.filter(pk=category.pk).update(key=key)
        categories[key] = category
    articles: dict[str, Article] = {}
    for item in ARTICLES:
        author = staff.get(item["author"], staff[MANAGER])
        when = now - dt.timedelta(days=item["days"])
        article = services.article_create(
            by=author,
            title=item["title"],
            body=item["body"],
            category=categories[item["category"]],
            status=item.get("status", ArticleStatus.PUBLISHED),
            tags=item["tags"],
            **_links(item),
        )
        _backdate(article, when)
        articles[article.title] = article
        for language, (title, body) in item.get("translations", {}).items():
            translation = services.article_create(
                by=author,
                title=title,
                body=body,
                category=article.category,
                language=language,
                status=ArticleStatus.PUBLISHED,
                tags=item["tags"],
                translation_of=article,
                **_links(item),
            )
            _backdate(translation, when + dt.timedelta(days=2))
            articles[title] = translation
        Article.objects.filter(pk=article.pk).update(
            views=item["views"], helpful_yes=item["views"] // 4, helpful_no=item["views"] // 20
        )
    Article.objects.filter(language__in=["it", "ar"]).update(views=F("views") + 5)
    clients = {
        u.email: u
        for u in User.objects.filter(role=Role.CLIENT, email__in={d[0] for d in DEFLECTIONS})
    }
    task_categories = {c.key: c for c in TaskCategory.objects.exclude(key="")}
    for email, title, category_key, text, days in DEFLECTIONS:
        if email not in clients or title not in articles:
            continue
        deflection = services.deflect(
            by=clients[email],
            article=articles[title],
            task_category=task_categories.get(category_key),
            query=text,
        )
        when = now - dt.timedelta(days=days)
        Deflection.objects.filter(pk=deflection.pk).update(created_at=when)
        Event.objects.filter(
            kind="knowledge.request_deflected", data__deflection_id=deflection.pk
        ).update(occurred_at=when)
    return True


def article_count() -> int:
    return Article.objects.count()
