"""Expert and leader pages of the on-site stage: schedule and candidate hand-over."""

urlpatterns = []
