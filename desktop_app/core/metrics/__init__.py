"""Scores: the report types, single- and multi-label metrics, how a score was estimated."""
