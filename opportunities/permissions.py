"""Who is who (SPEC §5): sales managers and the salesperson behind a user."""

MANAGERS_GROUP = "Sales managers"
VIEW_ALL = "opportunities.view_all_opportunities"
CHANGE_ALL = "opportunities.change_all_opportunities"


def is_manager(user) -> bool:
    """Managers see everything (superusers hold every permission)."""
    return bool(user and user.is_authenticated and user.is_active and user.has_perm(VIEW_ALL))


def can_change_all(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.has_perm(CHANGE_ALL))


def salesperson_of(user):
    """The salesperson linked to a user, or None (cached by Django on the user object)."""
    if user is None or not user.is_authenticated:
        return None
    return getattr(user, "salesperson", None)
