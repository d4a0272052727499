"""mkdocs hook (see mkdocs.yml): exercise pages and generated references, from lab.docs.hooks."""

from lab.docs.hooks import on_config, on_files, on_page_markdown

__all__ = ["on_config", "on_files", "on_page_markdown"]
