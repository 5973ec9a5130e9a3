"""The panel leader's pages: the panel's scores, consensus and reports."""

urlpatterns = []
