"""The committee (评委会), its voting sessions and ballots, the ranking and the proposed list."""
