"""Admin pages of the committee, voting sessions, ranking and the proposed list."""
