"""The organizers' admin for signatures, a module per concern: the list
(signatures, listing), its actions, its tools, and the moderation record.
Importing this package registers the model admins."""

from signatures.admin.moderation_actions import ModerationActionAdmin
from signatures.admin.paper import PaperBatchAdmin
from signatures.admin.signatures import SignatureAdmin

__all__ = ["ModerationActionAdmin", "PaperBatchAdmin", "SignatureAdmin"]
