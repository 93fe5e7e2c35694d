"""Signatures sent out as they happen: signed webhooks to an organization's
own systems, and Action Network's record-signature helper. Its own app, so
its models, migrations and admin stand apart from signing itself, which only
calls crm.events at the moment a signature changes."""
