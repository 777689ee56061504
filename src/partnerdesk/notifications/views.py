from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from partnerdesk.core.converters import parse_id

from . import services
from .models import Kind, Notification
from .unread import unread_for

PANEL_SIZE = 8  # the latest notifications the bell's panel shows


@login_required
@require_GET
def notification_list(request):
    qs = Notification.objects.filter(user=request.user, in_app=True)
    if request.GET.get("unread") == "1":
        qs = qs.filter(read_at__isnull=True)
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "notifications/list.html",
        {"page": page, "unread_only": request.GET.get("unread") == "1"},
    )


@login_required
@require_GET
def unread_badge(request):
    """The nav badge; htmx polls it so the count updates without a reload."""
    return render(request, "notifications/_badge.html", {"unread": unread_for(request.user)})


def _panel(request):
    items = Notification.objects.filter(user=request.user, in_app=True)[:PANEL_SIZE]
    return render(
        request,
        "notifications/_panel.html",
        {"items": items, "unread": unread_for(request.user)},
    )


@login_required
@require_GET
def panel(request):
    """The bell's panel: the latest notifications and "Mark all read" (loaded when it opens)."""
    return _panel(request)


@login_required
@require_POST
def mark_read(request):
    posted = request.POST.getlist("id")
    # No id at all means "mark all"; ids that are all invalid mean nothing.
    ids = [i for i in (parse_id(v) for v in posted) if i] if posted else None
    services.mark_read(user=request.user, notification_ids=ids)
    if request.htmx and request.POST.get("panel"):
        request.user.unread_notifications = services.unread_count(request.user)
        return _panel(request)  # "Mark all read" in the bell's panel: the panel, redrawn
    target = Notification.objects.filter(
        user=request.user, pk=parse_id(request.POST.get("open"))
    ).first()
    if target and target.url.startswith("/"):
        return redirect(target.url)
    return redirect("notifications:list")


class PreferencesForm(forms.Form):
    def __init__(self, *args, current: dict, **kwargs):
        super().__init__(*args, **kwargs)
        for kind, label in Kind.choices:
            in_app, email = current.get(kind, (True, True))
            self.fields[f"{kind}__in_app"] = forms.BooleanField(
                required=False, initial=in_app, label=label
            )
            self.fields[f"{kind}__email"] = forms.BooleanField(
                required=False, initial=email, label=label
            )

    def values(self) -> dict:
        return {
            kind: (self.cleaned_data[f"{kind}__in_app"], self.cleaned_data[f"{kind}__email"])
            for kind in Kind.values
        }

    def rows(self):
        return [
            (label, self[f"{kind}__in_app"], self[f"{kind}__email"]) for kind, label in Kind.choices
        ]


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request):
    form = PreferencesForm(request.POST or None, current=services.preferences_for(request.user))
    if request.method == "POST" and form.is_valid():
        services.set_preferences(user=request.user, values=form.values())
        messages.success(request, _("Notification preferences saved."))
        return redirect("notifications:preferences")
    return render(request, "notifications/preferences.html", {"form": form})
