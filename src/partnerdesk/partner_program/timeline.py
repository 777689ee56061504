"""Sentences for the partner program's timeline entries."""
