"""afterview command line: parse, call the engine, render."""
