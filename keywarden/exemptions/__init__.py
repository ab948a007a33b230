"""Managing exemptions: the central list security administrators keep (see lambdas/exemptions.py)."""
