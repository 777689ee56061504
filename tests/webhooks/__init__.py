"""Tests of outgoing webhooks. Nothing of ours is mocked: deliveries travel over HTTP to a real
server on 127.0.0.1 (``receiver``), tasks run through django.tasks backends."""
