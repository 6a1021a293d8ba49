"""qualcode: terminal-first, scriptable qualitative interview coding."""

__version__ = "0.1.0"
