"""The applicant's feedback report page and PDF."""

urlpatterns = []
