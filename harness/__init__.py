"""What drives the platform from outside, never part of it at run time: a scripted party
(`client.py`, real aiortc peers) and throwaway PostgreSQL and Redis servers (`servers.py`),
for the tests, the benches, `telemed simulate` and `telemed cluster`."""
