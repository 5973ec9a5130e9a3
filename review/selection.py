"""Selection for the on-site review (现场评审入围) by the cycle's rule, as pure functions."""
