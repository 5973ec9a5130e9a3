"""The secretariat's review dashboard and score export, inside the admin."""
