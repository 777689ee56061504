"""Tenancy in one place: staff see all, a client user only their company, others nothing."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from partnerdesk.accounts.models import User
from partnerdesk.core.models import Event
from partnerdesk.core.tenancy import get_object_for_user_or_404, scope_for_user
from partnerdesk.crm import services
from partnerdesk.crm.models import Company, Contact, Deal, LineItem, Pipeline, Product

pytestmark = pytest.mark.django_db


@pytest.fixture
def contacts(admin, company, other_company):
    return (
        services.contact_create(by=admin, first_name="Mine", company=company),
        services.contact_create(by=admin, first_name="Theirs", company=other_company),
        services.contact_create(by=admin, first_name="Nobody's"),
    )


@pytest.mark.parametrize("who", ["admin", "manager", "agent"])
def test_staff_see_everything(who, request, deal, other_deal, contacts):
    user = request.getfixturevalue(who)
    assert Company.objects.for_user(user).count() == Company.objects.count()
    assert Deal.objects.for_user(user).count() == Deal.objects.count()
    assert Contact.objects.for_user(user).count() == 3


def test_client_sees_only_own_company(client_user, company, deal, other_deal, contacts):
    assert list(Company.objects.for_user(client_user)) == [company]
    assert list(Deal.objects.for_user(client_user)) == [deal]
    assert [c.first_name for c in Contact.objects.for_user(client_user)] == ["Mine"]
    assert set(LineItem.objects.for_user(client_user)) == set(deal.line_items.all())
    assert set(Event.objects.for_user(client_user).values_list("company_id", flat=True)) == {
        company.pk
    }
    colleagues = User.objects.for_user(client_user)
    assert set(colleagues.values_list("company_id", flat=True)) == {company.pk}


def test_client_sees_nothing_of_models_without_a_tenant_path(client_user):
    assert not Pipeline.objects.for_user(client_user).exists()
    assert not Product.objects.for_user(client_user).exists()


def test_anonymous_and_inactive_see_nothing(client_user, agent, deal):
    assert not Deal.objects.for_user(AnonymousUser()).exists()
    assert not Deal.objects.for_user(None).exists()
    agent.is_active = False
    client_user.is_active = False
    assert not Deal.objects.for_user(agent).exists()
    assert not Deal.objects.for_user(client_user).exists()


def test_get_object_same_404_for_missing_and_not_yours(client_user, deal, other_deal):
    assert get_object_for_user_or_404(Deal, client_user, pk=deal.pk) == deal
    for pk in (other_deal.pk, 10**12, "abc"):
        with pytest.raises(Http404):
            get_object_for_user_or_404(Deal, client_user, pk=pk)


def test_scope_for_user_accepts_model_or_queryset(client_user, deal, other_deal):
    assert list(scope_for_user(Deal, client_user)) == [deal]
    assert list(scope_for_user(Deal.objects.filter(name="Other mailboxes"), client_user)) == []


def test_scope_for_user_refuses_untenanted_querysets(client_user):
    from django.contrib.contenttypes.models import ContentType

    with pytest.raises(TypeError):
        scope_for_user(ContentType, client_user)
