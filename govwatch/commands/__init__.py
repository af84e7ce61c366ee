"""One module per CLI command group. Each defines ``register(subparsers)``, which only builds the
argument parser (no heavy imports, so ``govwatch --help`` stays fast), and sets ``func`` to a
callable ``(args) -> int`` that does the work."""
