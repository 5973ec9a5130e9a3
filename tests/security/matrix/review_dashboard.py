"""The secretariat's review dashboard, its reminders and the Excel export of the scores (review/admin_dashboard.py).

Admin pages: anyone not staff is sent to the admin's login page; the world's open cycle has panels, so the
dashboard without a cycle opens it (302).
"""

from tests.security.matrix_kit import Row, secretariat_only


def _cycle(world):
    return {"cycle_pk": world["open_cycle"].pk}


ROWS = [
    Row("admin:review_dashboard", secretariat_only(302)),  # the latest cycle with panels
    Row("admin:review_dashboard", secretariat_only(), _cycle, variant="cycle"),
    Row("admin:review_dashboard", secretariat_only(404), {"cycle_pk": 999999}, variant="missing"),
    Row("admin:review_dashboard_remind", secretariat_only(302), _cycle, method="post"),  # nobody chosen: a message
    Row("admin:review_dashboard_remind", secretariat_only(405), _cycle, variant="get"),
    Row("admin:review_scores_export", secretariat_only(), _cycle),
    Row("admin:review_scores_export", secretariat_only(404), {"cycle_pk": 999999}, variant="missing"),
]
