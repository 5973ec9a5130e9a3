"""The committee members' pages: candidates, reports and the ballot (during deliberation only)."""

urlpatterns = []
