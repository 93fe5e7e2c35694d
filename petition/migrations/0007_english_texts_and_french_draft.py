"""Existing texts become the English ones; the seed campaign gets a French
translation, kept as a draft: it is shown only once an organizer has reviewed
it and ticked French under "languages shown to the public"."""

from django.db import migrations

SLUG = "no-more-caged-families"
FIELDS = ("title", "addressees", "body", "why_important", "call_to_action")
NBSP = "\u00a0"

FRENCH = {
    "title": f"Plus jamais de familles en cage{NBSP}: abolissez l’Entente sur les tiers pays sûrs",
    "addressees": (
        "Au premier ministre Justin Trudeau et au ministre de l’Immigration, des "
        "Réfugiés et de la Citoyenneté, Ahmed Hussen"
    ),
    "body": f"""\
Arracher des enfants qui hurlent des bras de leur mère. Enfermer des bébés dans \
des cages. Des poursuites criminelles. Et maintenant, des projets de détention \
illimitée et d’expulsion massive immédiate de personnes qui fuient la violence, \
vers leur pays d’origine.

Trump redouble de cruauté envers les personnes qui demandent l’asile aux \
États-Unis — et nous ne pouvons pas rester les bras croisés à attendre la suite.

Le Canada doit agir immédiatement pour abolir l’Entente sur les tiers pays \
sûrs — une entente dépassée qui refuse l’entrée au Canada aux demandeurs \
d’asile s’ils sont d’abord arrivés aux États-Unis —, mettre fin à son système \
restrictif de quotas et abandonner la liste dite des pays sûrs, qui limite le \
nombre de demandeurs d’asile auxquels le Canada offre sa protection.

Les États-Unis ne sont pas un pays sûr. Toute personne qui arrive des \
États-Unis doit pouvoir rester ici de façon permanente.

**Laissez-les entrer.**\\
**Laissez-les rester.**
""",
    "why_important": f"""\
Nous avons lancé cette campagne en 2017, après l’investiture de Trump. Le texte \
qui suit est celui de la campagne d’origine{NBSP}:

Quelques jours à peine après son entrée en fonction, le président Trump \
commence déjà à mettre en œuvre son programme raciste et anti-immigrants. Il \
s’apprête à lancer une vaste opération pour traquer et expulser des millions \
de personnes sans papiers et de demandeurs d’asile aux États-Unis. Bon nombre \
d’entre eux sont allés aux États-Unis pour échapper à la violence, et ils \
pourraient être persécutés ou tués s’ils sont renvoyés dans leur pays d’origine.

Fait choquant{NBSP}: si un demandeur d’asile qui se trouve actuellement aux \
États-Unis se présentait à la frontière canadienne pour échapper à une \
expulsion vers un pays dangereux, le Canada le refoulerait.

Le Canada n’accepte aucun demandeur d’asile qui arrive au Canada en passant \
par les États-Unis, à cause d’une loi dépassée appelée «{NBSP}Entente sur les \
tiers pays sûrs{NBSP}». Cette loi empêche la plupart des personnes qui fuient la \
violence ou la persécution de chercher refuge au Canada si elles arrivent \
d’abord aux États-Unis, considérés comme un «{NBSP}pays sûr{NBSP}» au sens de \
la loi.[1]

Or, rester dans l’Amérique de Trump n’a rien de sûr, en particulier pour les \
personnes pauvres et racisées. Pour bien des gens, l’expulsion peut aussi \
être une condamnation à mort. L’Entente sur les tiers pays sûrs est la raison \
pour laquelle des réfugiés risquent leur vie en traversant clandestinement la \
frontière canado-américaine plutôt que de passer par les voies officielles. \
Des personnes ont perdu des doigts et des orteils à cause d’engelures — \
échappant de justesse à la mort — en traversant la frontière à pied par des \
températures hivernales sous zéro. [2]

Nous exigeons que Trudeau abroge l’Entente sur les «{NBSP}tiers pays sûrs{NBSP}» \
afin que les personnes qui fuient la violence et l’expulsion aux États-Unis \
puissent trouver sécurité et protection au Canada. Les expulsions de Trump \
pourraient commencer d’une minute à l’autre — et quand des vies sont menacées, \
les enjeux ne pourraient être plus élevés. Nous avons la responsabilité morale \
d’agir, et cela ne peut pas attendre.

Signez la pétition dès maintenant pour exiger que Trudeau annule l’Entente sur \
les «{NBSP}tiers pays sûrs{NBSP}», qui exclut les demandeurs d’asile.

Les expulsions ne sont qu’un volet des politiques d’immigration racistes de \
Trump. En une seule journée, il a lancé la construction du mur à la frontière \
entre les États-Unis et le Mexique et s’est engagé à couper les fonds des \
«{NBSP}villes sanctuaires{NBSP}», qui protègent les personnes sans papiers \
contre l’expulsion. Il a aussi triplé le nombre d’agents de l’immigration \
pour intensifier les expulsions, et il a restreint, voire carrément interdit, \
l’immigration en provenance de pays à majorité musulmane. [3]

Ce n’est qu’une partie d’une lutte plus large pour la justice migrante. Des \
deux côtés de la frontière, des personnes immigrantes se voient \
régulièrement refuser un statut, sont contraintes à des emplois précaires et \
privées d’accès à des services essentiels. Restez à l’affût de nos prochaines \
actions pour que nos communautés soient sûres pour tout le monde, quel que \
soit le statut d’immigration. Consultez notre site pour en savoir plus et vous \
joindre à notre mouvement.
""",
    "call_to_action": "Signez la pétition",
}

FRENCH_FOOTNOTES = {
    1: "Entente entre le Canada et les États-Unis sur les tiers pays sûrs",
    2: (
        "New numbers show spike in asylum seekers crossing from U.S. to Manitoba "
        "(CBC News, en anglais)."
    ),
    3: (
        "Trump moves ahead with wall, puts stamp on U.S. immigration, security "
        "policy (Reuters, en anglais)."
    ),
}


def english_from_originals(apps, schema_editor):
    for model_name, fields in [
        ("Petition", FIELDS),
        ("PetitionVersion", FIELDS),
        ("Footnote", ("text",)),
    ]:
        model = apps.get_model("petition", model_name)
        for row in model.objects.all():
            for field in fields:
                setattr(row, f"{field}_en", getattr(row, field))
            row.save(update_fields=[f"{field}_en" for field in fields])


def french_draft_of_the_seed(apps, schema_editor):
    Petition = apps.get_model("petition", "Petition")
    Footnote = apps.get_model("petition", "Footnote")
    petition = Petition.objects.filter(slug=SLUG).first()
    if petition is None:
        return
    for field, value in FRENCH.items():
        setattr(petition, f"{field}_fr", value)
    petition.save(update_fields=[f"{field}_fr" for field in FRENCH])
    for footnote in Footnote.objects.filter(petition=petition):
        footnote.text_fr = FRENCH_FOOTNOTES.get(footnote.number, "")
        footnote.save(update_fields=["text_fr"])


class Migration(migrations.Migration):
    dependencies = [("petition", "0006_texts_in_each_language")]

    operations = [
        migrations.RunPython(english_from_originals, migrations.RunPython.noop),
        migrations.RunPython(french_draft_of_the_seed, migrations.RunPython.noop),
    ]
