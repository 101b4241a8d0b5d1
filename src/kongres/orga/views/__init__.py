"""The back office's pages, one module per area (pretalx's ``orga/views/`` layout)."""
