"""Block Kit builders: pure functions of domain objects, no I/O."""
