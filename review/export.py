"""Excel export of every score of a cycle (评分汇总表)."""
