"""Live events for the browsers: recorded by the gateway worker, polled and fanned out by each web process."""
