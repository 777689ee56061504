"""Settings → Customer emails (admins): per ticket pipeline, which status emails go to the
ticket's contact (opened, waiting on them, resolved) and their text per language, with a
preview. The texts are checked when saved or previewed (``notices.check_texts``)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from partnerdesk.core.access import admin_required
from partnerdesk.core.errors import DomainError
from partnerdesk.core.forms import DomainErrorFormMixin
from partnerdesk.crm.models import ObjectType, Pipeline

from . import notices
from .models import CustomerNotice, NoticeEvent

VARIABLES = " ".join(f"{{{{ {name} }}}}" for name in notices.CONTEXT_NAMES)


class NoticeForm(DomainErrorFormMixin, forms.Form):
    enabled = forms.BooleanField(required=False, label=gettext_lazy("Send this email"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for code, name in notices.languages():
            self.fields[f"subject_{code}"] = forms.CharField(
                required=False,
                max_length=notices.SUBJECT_MAX,
                label=_("Subject (%(language)s)") % {"language": name},
                widget=forms.TextInput(attrs={"dir": "auto"}),
            )
            self.fields[f"body_{code}"] = forms.CharField(
                required=False,
                max_length=notices.BODY_MAX,
                label=_("Text (%(language)s)") % {"language": name},
                widget=forms.Textarea(attrs={"rows": 9, "dir": "auto"}),
                help_text=_("Empty: the built-in text in this language."),
            )

    def texts(self) -> dict[str, dict[str, str]]:
        data = self.cleaned_data
        return {
            code: {"subject": data.get(f"subject_{code}", ""), "body": data.get(f"body_{code}", "")}
            for code, _name in notices.languages()
        }


def _ticket_pipeline(pk) -> Pipeline:
    return get_object_or_404(Pipeline, pk=pk, object_type=ObjectType.TICKET)


@admin_required
@require_GET
def notice_list(request):
    pipelines = Pipeline.objects.filter(object_type=ObjectType.TICKET).prefetch_related(
        Prefetch("customer_notices", queryset=CustomerNotice.objects.all(), to_attr="notices")
    )
    rows = []
    for pipeline in pipelines:
        found = {n.event: n for n in pipeline.notices}
        rows.append(
            {
                "pipeline": pipeline,
                "events": [
                    {"event": value, "label": label, "notice": found.get(value)}
                    for value, label in NoticeEvent.choices
                ],
            }
        )
    return render(
        request,
        "tickets/notices/notice_list.html",
        {"rows": rows, "events": NoticeEvent.choices},
    )


@admin_required
@require_http_methods(["GET", "POST"])
def notice_edit(request, pipeline_pk, event):
    pipeline = _ticket_pipeline(pipeline_pk)
    if event not in NoticeEvent.values:
        raise Http404("Not found.")
    notice = notices.notice_for(pipeline, event)
    initial = {"enabled": notice.enabled if notice else False}
    for code, _name in notices.languages():
        text = notices.texts_for(notice, event, code)
        initial[f"subject_{code}"], initial[f"body_{code}"] = text["subject"], text["body"]
    form = NoticeForm(request.POST or None, initial=initial)
    previews = []
    if request.method == "POST" and form.is_valid():
        try:
            if request.POST.get("action") == "preview":
                draft = CustomerNotice(pipeline=pipeline, event=event)
                draft.texts = notices.check_texts(form.texts(), event)
                previews = _previews(draft, event)
            else:
                notices.customer_notice_save(
                    pipeline=pipeline,
                    event=event,
                    by=request.user,
                    enabled=form.cleaned_data["enabled"],
                    texts=form.texts(),
                )
                messages.success(request, _("Customer email saved."))
                return redirect("ticket_notices:list")
        except DomainError as exc:
            form.add_domain_error(exc)
    return render(
        request,
        "tickets/notices/notice_form.html",
        {
            "pipeline": pipeline,
            "event": event,
            "event_label": NoticeEvent(event).label,
            "form": form,
            "previews": previews,
            "variables": VARIABLES,
        },
        status=400 if form.errors else 200,
    )


def _previews(notice: CustomerNotice, event: str) -> list[dict]:
    """The email in each language, rendered with sample values."""
    found = []
    for code, name in notices.languages():
        subject, text, _html = notices.render_notice(
            notice=notice, event=event, language=code, context=notices.sample_context()
        )
        found.append({"language": name, "code": code, "subject": subject, "text": text})
    return found
