"""What the box tells people who watch it: log lines, Prometheus metrics and the live event stream. Each is fed by
the domain events (emulator.events) and costs the request path no more than a subscriber's call."""
