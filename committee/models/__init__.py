"""The committee's deliberation (voting.py) and what follows it: publicity, awards, certificates (awards.py)."""

from .awards import *  # noqa: F403
from .voting import *  # noqa: F403
