"""Admin pages of the on-site selection, visits and candidates."""
