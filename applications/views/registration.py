"""Public pages: an organisation registers with its first user; invited colleagues join."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from mayor_award.core.models import User

from .. import services
from ..forms import InvitationAcceptForm, OrganisationRegistrationForm
from ..models import Invitation
from ..selectors import organisation_for_user


class EmailConfirmationTokenGenerator(PasswordResetTokenGenerator):
    """A one-time link: it stops working once the account is active."""

    key_salt = "applications.views.registration.EmailConfirmationTokenGenerator"

    def _make_hash_value(self, user, timestamp):
        return f"{user.pk}{user.is_active}{timestamp}{user.email}"


email_confirmation_token = EmailConfirmationTokenGenerator()


def send_confirmation(request, user):
    link = request.build_absolute_uri(
        reverse(
            "applications:confirm-email",
            kwargs={
                "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
                "token": email_confirmation_token.make_token(user),
            },
        )
    )
    body = render_to_string("applications/email/confirm_email.txt", {"user": user, "link": link})
    send_mail(
        _("Confirm your e-mail address: Luohe Mayor's Quality Award"), body, settings.DEFAULT_FROM_EMAIL, [user.email]
    )


@login_not_required
@require_http_methods(["GET", "POST"])
def register(request):
    if request.user.is_authenticated:  # already somebody: applicants go to their portal, others home
        return redirect("applications:dashboard" if organisation_for_user(request.user) else "home")
    form = OrganisationRegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.organisation_register(
                organisation=form.save(commit=False), user=form.build_user(), password=form.cleaned_data["password1"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            send_confirmation(request, user)
            return render(request, "applications/registration/check_email.html", {"email": user.email})
    return render(request, "applications/registration/register.html", {"form": form})


@login_not_required
def confirm_email(request, uidb64, token):
    try:
        user = User.objects.get(pk=force_str(urlsafe_base64_decode(uidb64)))
    except (User.DoesNotExist, ValueError, TypeError, OverflowError):
        user = None
    if user is None or not email_confirmation_token.check_token(user, token):
        return render(request, "applications/registration/confirm_failed.html", status=400)
    services.user_confirm_email(user=user)
    messages.success(request, _("Your e-mail address is confirmed. Please log in."))
    return redirect("login")


@login_not_required
@require_http_methods(["GET", "POST"])
def accept_invitation(request, token):
    invitation = get_object_or_404(Invitation.objects.select_related("organisation"), token=token)
    if invitation.accepted_at is not None:
        raise Http404
    form = InvitationAcceptForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = User(username=form.cleaned_data["username"], name=form.cleaned_data["name"])
        try:
            services.invitation_accept(invitation=invitation, user=user, password=form.cleaned_data["password1"])
        except services.DossierError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Welcome! You can now log in."))
            return redirect("login")
    return render(request, "applications/registration/accept_invitation.html", {"form": form, "invitation": invitation})
