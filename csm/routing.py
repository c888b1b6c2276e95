"""WebSocket routes. Scanning adds its live scan-session stream here."""

websocket_urlpatterns: list = []
