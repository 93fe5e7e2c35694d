"""What happens to signatures, one module per concern; each entry point takes
keyword arguments only and writes in one transaction.

- signing: a signature created, confirmed, its link sent again
- email: queueing the signer's emails, addresses that bounce
- moderation: organizers invalidate, restore, resend, erase, export
- self_service: a signer withdraws, erases, stops updates
- retention: unconfirmed signatures purged, closed petitions anonymised
- subject_access: everything held about one address

The public count is signatures/counts.py's; read-only queries are
SignatureQuerySet's (signatures/models.py).
"""
