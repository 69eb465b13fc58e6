"""The web shell: the aiohttp application, its HTTP routes and the `telemed` command."""
