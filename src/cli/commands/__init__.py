"""The commands, one module per group; each module exposes COMMANDS."""
