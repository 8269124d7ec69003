"""Running Beacon in production: /healthz and /metrics (server.py), Prometheus metrics and the
one-line hooks other modules call (metrics.py), log format (logs.py), `python -m app doctor`
(doctor.py)."""
