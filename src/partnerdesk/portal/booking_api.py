"""The consultation-session API: free slots, book, cancel, reschedule."""

from ninja import Router

router = Router(tags=["consultation sessions"])
