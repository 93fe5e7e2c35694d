from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PetitionConfig(AppConfig):
    name = "petition"
    verbose_name = _("Campaigns")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from petition.models import Footnote, Petition
        from petition.public import petition_saved

        for model in (Petition, Footnote):
            post_save.connect(petition_saved, sender=model)
            post_delete.connect(petition_saved, sender=model)
