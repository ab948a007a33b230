"""Servers: `keywarden sandbox` over HTTP and the local stand-ins for chat webhooks."""
