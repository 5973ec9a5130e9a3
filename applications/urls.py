from django.urls import path

from .views import portal, registration

app_name = "applications"

urlpatterns = [
    path("register/", registration.register, name="register"),
    path("register/confirm/<uidb64>/<token>/", registration.confirm_email, name="confirm-email"),
    path("invitations/<uuid:token>/", registration.accept_invitation, name="accept-invitation"),
    path("portal/", portal.dashboard, name="dashboard"),
    path("portal/invite/", portal.invite, name="invite"),
    path("portal/dossiers/start/", portal.dossier_start, name="dossier-start"),
    path("portal/dossiers/<int:pk>/", portal.dossier_detail, name="dossier"),
    path("portal/dossiers/<int:pk>/sections/<str:key>/", portal.section_edit, name="section"),
    path("portal/dossiers/<int:pk>/attachments/", portal.attachments, name="attachments"),
    path(
        "portal/dossiers/<int:pk>/attachments/<int:attachment_pk>/delete/",
        portal.attachment_delete,
        name="attachment-delete",
    ),
    path("portal/dossiers/<int:dossier_pk>/files/<int:pk>/", portal.attachment_download, name="attachment"),
    path("portal/dossiers/<int:pk>/submit/", portal.submit, name="submit"),
    path("portal/dossiers/<int:pk>/withdraw/", portal.withdraw, name="withdraw"),
    path("portal/dossiers/<int:pk>/receipt/", portal.receipt, name="receipt"),
]
