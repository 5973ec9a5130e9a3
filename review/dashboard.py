"""The secretariat's review dashboard (评审进度): progress, late experts, calibration data."""
