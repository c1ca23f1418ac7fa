"""The publishing system for 节能减排信息动态: Markdown in, an HTML archive and print editions out."""

__version__ = "0.1.0"
