"""An inbox's owner and a stranger typing the same address, and what the
owner's signature holds as they signed it."""

from petition.public import public_stats
from signatures.models import Signature

# The owner's address as they typed it, then the way a stranger might type
# the same inbox: case, dots, +tags, googlemail, an IDN domain in either form.
VARIANTS = [
    ("jane.doe@gmail.com", "JANE.DOE@GMAIL.COM"),
    ("jane.doe@gmail.com", "j.a.n.e.d.o.e@gmail.com"),
    ("jane.doe@gmail.com", "janedoe+petition@googlemail.com"),
    ("Jane.Doe@GoogleMail.com", "jane.doe@gmail.com"),
    ("marie@bücher.de", "MARIE@xn--bcher-kva.de"),
    ("marie@xn--bcher-kva.de", "marie@BÜCHER.de"),
]

OWNER = {"full_name": "Jane Owner", "postal_code": "K1A 0B1"}
STRANGER = {
    "full_name": "Someone Else",
    "postal_code": "H2X 1Y4",
    "wants_updates": "on",
    "show_name_publicly": "on",
}


def as_signed_by_the_owner(signature: Signature, email: str) -> None:
    assert signature.full_name == "Jane Owner"
    assert signature.email == email
    assert (signature.postal_code, signature.province) == ("K1A 0B1", "ON")
    assert signature.wants_updates is False
    assert signature.show_name_publicly is False
    assert signature.language == "en"


def public_count(petition) -> int:
    return public_stats(petition).count
