from django.urls import path

from .views import expert, feedback, leader, onsite

app_name = "review"

urlpatterns = [
    path("review/", expert.dashboard, name="dashboard"),
    path("review/invitations/<int:pk>/", expert.seat_reply, name="seat-reply"),
    path("review/pledge/<int:cycle_pk>/", expert.pledge, name="pledge"),
    path("review/dossiers/<int:pk>/", expert.dossier, name="dossier"),
    path("review/dossiers/<int:pk>/score/<str:stage>/", expert.score, name="score"),
    path("review/dossiers/<int:pk>/score/<str:stage>/items/<str:code>/", expert.score_item, name="score-item"),
    path("review/dossiers/<int:pk>/panel-scores/<str:stage>/", expert.panel_scores, name="panel-scores"),
    # Each area's pages are declared beside its views.
    *leader.urlpatterns,
    *onsite.urlpatterns,
    *feedback.urlpatterns,
]
