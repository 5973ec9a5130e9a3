"""The feedback report (反馈报告) for every applicant once the cycle is decided."""
