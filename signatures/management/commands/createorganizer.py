from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

ORGANIZERS = "Organizers"


class Command(BaseCommand):
    help = (
        "Create an organizer (or bring an existing one back) and print a link "
        "where they choose their password."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("email")

    def handle(self, *args, email: str, **options) -> None:
        email = email.strip()
        try:
            validate_email(email)
        except ValidationError:
            raise CommandError(f"{email!r} is not an email address.") from None
        User = get_user_model()
        try:
            group = Group.objects.get(name=ORGANIZERS)
        except Group.DoesNotExist:
            raise CommandError(
                "The Organizers group is missing: run migrate first."
            ) from None
        with transaction.atomic():
            existing = (
                User.objects.filter(email__iexact=email).order_by("pk").first()
                or User.objects.filter(username__iexact=email).first()
            )
            created = existing is None
            user = existing or User(username=email.lower(), email=email)
            reactivated = not created and not user.is_active
            user.is_staff = True
            user.is_active = True
            if created:
                # No password until they choose one from the link.
                user.set_unusable_password()
            user.save()
            user.groups.add(group)
        path = reverse(
            "password_reset_confirm",
            kwargs={
                "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
                "token": default_token_generator.make_token(user),
            },
        )
        hours = settings.PASSWORD_RESET_TIMEOUT // 3600
        state = "Created" if created else "Reactivated" if reactivated else "Updated"
        self.stdout.write(
            f"{state} organizer {user.username}.\n"
            f"Send them this link to choose a password (valid {hours} hours, once):\n"
            f"{settings.SITE_URL}{path}"
        )
