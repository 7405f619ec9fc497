"""The web shell: server-rendered pages, the JSON API and feeds over the feed/accounts/search services."""
