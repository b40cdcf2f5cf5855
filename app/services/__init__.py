"""Business rules, callable from the API, the CLI, the workers and tests alike (never touch ``request``)."""
