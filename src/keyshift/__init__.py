"""keyshift: from hardcoded AWS keys to ECS task roles."""

__version__ = "0.1.0"
