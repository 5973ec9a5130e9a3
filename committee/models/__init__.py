"""The committee's deliberation (voting.py) and what follows it: publicity, awards, certificates (awards.py)."""

from .voting import *  # noqa: F403
