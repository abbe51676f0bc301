def billing(request) -> dict:
    """The billing banner's state for base.html (filled by the Stripe/dunning work)."""
    return {}
