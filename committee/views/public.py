"""Public pages of the award's results: publicity (公示) and objections, winners, certificate verification."""

urlpatterns = []
