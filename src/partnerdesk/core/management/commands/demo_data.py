from django.core.management.base import BaseCommand

from partnerdesk.automation import engine
from partnerdesk.core.models import Event
from partnerdesk.crm import demo
from partnerdesk.knowledge import demo as knowledge_demo
from partnerdesk.partner_program import demo as partner_demo
from partnerdesk.portal import demo as portal_demo
from partnerdesk.satisfaction import demo as satisfaction_demo
from partnerdesk.tickets import demo as ticket_demo


class Command(BaseCommand):
    help = "Load the demo agency (only the first time; later runs leave the data alone)."

    def handle(self, *args, **options):
        if demo.load():
            # Run the default workflows over the demo's history now (they open the tickets of
            # the won deals), so the demo shows their runs; the worker skips processed events.
            for event_id in (
                Event.objects.filter(processed_at__isnull=True)
                .order_by("pk")
                .values_list("pk", flat=True)
            ):
                engine.process_event(event_id)
            ticket_demo.load()
            self.stdout.write(
                self.style.SUCCESS(f"Demo data loaded: {demo.company_count()} companies.")
            )
        else:
            self.stdout.write("Demo data already present; left as it is.")
        # Separately, so a demo loaded before the client portal existed gets its tasks too.
        if portal_demo.load():
            self.stdout.write(f"Client tasks loaded: {portal_demo.task_count()}.")
        # Likewise for the partner program (HubSpot accounts, points, tiers, the dashboard).
        if partner_demo.load():
            self.stdout.write(f"Partner program loaded: {partner_demo.account_count()} accounts.")
        # And the knowledge base (help center articles, translations, deflections).
        if knowledge_demo.load():
            self.stdout.write(f"Knowledge base loaded: {knowledge_demo.article_count()} articles.")
        # And the satisfaction surveys of the completed tasks and closed tickets.
        if satisfaction_demo.load():
            self.stdout.write(f"Satisfaction surveys loaded: {satisfaction_demo.survey_count()}.")
        self.stdout.write(f"Demo logins (password: {demo.DEMO_PASSWORD}):")
        for label, email in demo.logins():
            self.stdout.write(f"  {label:<40} {email}")
