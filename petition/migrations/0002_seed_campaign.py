"""Load the first campaign, as its authors wrote it.

The source text has no links for its footnotes or for "Visit to learn more";
the text is kept and organizers add the addresses in the admin.
"""

from django.db import migrations
from django.utils import timezone

SLUG = "no-more-caged-families"

BODY = """\
Ripping screaming children from their mother’s arms. Locking babies in cages. \
Criminal prosecutions. And now, plans for indefinite detention and the immediate \
mass deportation of people fleeing violence, back to their home countries.

Trump’s doubled down on his cruelty towards people seeking asylum in the US — \
and we can’t just sit back to find out what might come next.

Canada needs to act immediately to scrap the Safe Third Country Agreement — an \
outdated agreement that refuses asylum seekers entry into Canada if they arrived \
in the US first — as well as an end to Canada’s restrictive quota system, and \
the so-called safe country list that limits the number of asylum seekers Canada \
offers protection to.

The United States isn’t safe. Everyone arriving from the US must be able to \
stay here permanently.

**Let them in.**\\
**Let them stay.**
"""

WHY_IMPORTANT = """\
We launched this campaign in 2017 after Trump's inauguration. The following \
text is from this original campaign:

After just days in office, President Trump is already beginning to implement \
his racist, anti-immigrant agenda. He’s about to launch a major effort to hunt \
down and deport millions of undocumented people and asylum seekers in the US. \
Many went to the US to escape violence, and they could be persecuted or killed \
if they’re sent back to their countries of origin.

Shockingly, if an asylum seeker currently in the US showed up at the Canadian \
border trying to escape deportation to an unsafe country -- Canada would turn \
them away.

Canada doesn’t accept any asylum seekers who come to Canada via the US, because \
of an outdated law called the “Safe Third Country Agreement”. This law prevents \
most people fleeing violence or persecution from seeking refuge in Canada if \
they land in the US -- deemed a “safe country” under the law -- first.[1]

Except remaining in Trump’s America is unsafe -- particularly for poor and \
racialized people. For many people, deportation may also be a death sentence. \
The Safe Third Country Agreement is the reason refugees put their lives at risk \
trying to cross the US-Canada border secretly rather than going through \
official channels. Some people have lost fingers and toes to frostbite - just \
narrowly escaping death - by making this trek across the border in subzero \
winter temperatures. [2]

We demand that Trudeau repeal the “Safe Third Country” agreement in order to \
allow people fleeing violence and deportation in the US to seek safety and \
protection in Canada. Trump’s deportations could start any minute -- and with \
real people’s lives on the line, the stakes couldn’t be higher. It’s our \
ethical responsibility to act, and it cannot wait.

Sign the petition now to demand that Trudeau rescind the exclusionary “Safe \
Third Country” agreement.

Deportations are just one part of Trump’s racist immigration policies. In one \
day alone, he started the construction of US-Mexican border wall and committed \
to defund ‘Sanctuary Cities’ which protect undocumented people from \
deportation. He also tripled the number of immigration enforcement officers in \
an effort to ramp up deportations, and has either restricted or outright \
banned immigration from Muslim-majority countries. [3]

This is just a part of the larger fight for migrant justice. Immigrants on both \
sides of the border are routinely denied immigration status, forced into \
precarious work, and denied access to essential services. Stay tuned for \
upcoming actions to make our communities safe for all people, regardless of \
immigration status. Visit to learn more and join our movement.
"""

FOOTNOTES = [
    (1, "Canada-US Safe Third Country Agreement"),
    (2, "New numbers show spike in asylum seekers crossing from U.S. to Manitoba (CBC News)."),
    (3, "Trump moves ahead with wall, puts stamp on U.S. immigration, security policy (Reuters)."),
]


def load_campaign(apps, schema_editor):
    Petition = apps.get_model("petition", "Petition")
    Footnote = apps.get_model("petition", "Footnote")
    if Petition.objects.filter(slug=SLUG).exists():
        return
    petition = Petition.objects.create(
        slug=SLUG,
        title="No more caged families: Scrap the Safe Third Country Agreement",
        addressees=(
            "Prime Minister Justin Trudeau and Minister of Immigration, "
            "Refugees and Citizenship Ahmed Hussen"
        ),
        body=BODY,
        why_important=WHY_IMPORTANT,
        call_to_action="Sign the petition",
        goal=1000,
        is_open=True,
        published_at=timezone.now(),
    )
    Footnote.objects.bulk_create(
        Footnote(petition=petition, number=number, text=text, url="")
        for number, text in FOOTNOTES
    )


class Migration(migrations.Migration):
    dependencies = [("petition", "0001_initial")]

    # Unapplying keeps the campaign: by then it may carry signatures.
    operations = [migrations.RunPython(load_campaign, migrations.RunPython.noop)]
