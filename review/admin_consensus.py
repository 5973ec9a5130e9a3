"""Admin pages of panel consensuses and their reports."""
