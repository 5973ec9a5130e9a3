"""The on-site review's services: selection applied, visits scheduled, candidates handed over."""
