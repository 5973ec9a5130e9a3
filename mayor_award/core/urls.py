from django.contrib.auth.views import LoginView
from django.urls import path

from .forms import LoginForm
from .views import accounts, public

urlpatterns = [
    path("", public.home, name="home"),
    # Before django.contrib.auth.urls (included after the core's), which has the same address and name.
    path("accounts/login/", LoginView.as_view(authentication_form=LoginForm), name="login"),
    path("accounts/workspace/", accounts.after_login, name="after-login"),
    path("notices/", public.notice_list, name="notice-list"),
    path("notices/feed/", public.NoticeFeed(), name="notice-feed"),
    path("notices/<int:pk>/", public.notice_detail, name="notice-detail"),
    path("notices/<int:notice_pk>/attachments/<int:pk>/", public.notice_attachment, name="notice-attachment"),
]
