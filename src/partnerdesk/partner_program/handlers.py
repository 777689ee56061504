"""The partner program's reactions to other apps' events (registered when the app is ready)."""
