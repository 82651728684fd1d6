"""fusiontrack: the lumbar fusion pathway, validated outcome measures and registry analytics."""

__version__ = "0.1.0"
