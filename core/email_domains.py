"""Email providers whose addresses take a "+tag", for config/settings.py's
EMAIL_CANONICAL_PROVIDERS, with the page that says so for each."""

# Every signature from one address counts once. At these providers a "+tag"
# in the local part (jane+news@) reaches the same inbox as the bare address,
# so it is folded away. Folding is safe even where a provider's page is
# vague about delivering tags: none of them allows "+" in a mailbox's own
# name, so folding never merges two people.
PLUS_TAG_DOMAINS = (
    # Gmail: https://support.google.com/mail/answer/7436150 (dots) and
    # https://support.google.com/a/users/answer/9282734 (+tags).
    "gmail.com",
    # Outlook.com, Hotmail, Live, MSN: plus addressing as in Exchange Online,
    # which runs them: https://learn.microsoft.com/en-us/exchange/recipients-in-exchange-online/plus-addressing-in-exchange-online
    # (the consumer domains: https://support.microsoft.com/en-us/office/add-or-remove-an-email-alias-in-outlook-com-459b1989-356d-40fa-a689-8f285b13f1f2).
    "outlook.com",
    "hotmail.com",
    "live.com",
    "msn.com",
    "hotmail.ca",
    "live.ca",
    "outlook.fr",
    "hotmail.fr",
    "live.fr",
    "hotmail.co.uk",
    "live.co.uk",
    # iCloud, under its three domains: https://support.apple.com/en-us/118230.
    # Apple's pages do not describe +tags; iCloud is reported to deliver
    # them to the bare address (RFC 5233 subaddressing), and folding is safe
    # either way (above).
    "icloud.com",
    "me.com",
    "mac.com",
    # Proton "+aliases", at every Proton domain:
    # https://proton.me/support/creating-aliases and
    # https://proton.me/support/addresses-and-aliases
    "proton.me",
    "protonmail.com",
    "pm.me",
    "protonmail.ch",
    # Fastmail: https://www.fastmail.help/hc/en-us/articles/360060591053
    # (its subdomain addressing, tag@jane.fastmail.com, is not folded).
    "fastmail.com",
    "fastmail.fm",
    "fastmail.net",
    "fastmail.org",
    "fastmail.us",
    "fastmail.co.uk",
    "fastmail.com.au",
    "fastmail.de",
    "fastmail.in",
    "fastmail.jp",
    "fastmail.se",
    "fastmail.to",
    "sent.com",
)
