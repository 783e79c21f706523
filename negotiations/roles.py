"""The two kinds of signed-in user and what each may do.

Analysts keep the record: positions, sources and rounds. Editors also shape the negotiation
itself (negotiations, actors, participants, issues and their options, packages, the public flag)
and use the Django admin as the back office.
"""

ANALYST = "Analyst"
EDITOR = "Editor"

ANALYST_MODELS = ("position", "source", "round")
EDITOR_MODELS = (
    "negotiation",
    "actor",
    "participant",
    "issue",
    "scaleoption",
    "package",
    *ANALYST_MODELS,
)
ACTIONS = ("add", "change", "delete", "view")


def permission_codenames(group: str) -> set[str]:
    viewable = {f"view_{model}" for model in EDITOR_MODELS}
    if group == ANALYST:
        return viewable | {f"{action}_{model}" for model in ANALYST_MODELS for action in ACTIONS}
    if group == EDITOR:
        return {f"{action}_{model}" for model in EDITOR_MODELS for action in ACTIONS}
    raise ValueError(f"Unknown group {group!r}")


def ensure_groups(group_model, permission_model) -> None:
    """Create or update the Analyst and Editor groups (the models are passed in, so that the
    data migration can use its historical ones)."""
    for name in (ANALYST, EDITOR):
        group, _ = group_model.objects.get_or_create(name=name)
        group.permissions.set(
            permission_model.objects.filter(
                content_type__app_label="negotiations", codename__in=permission_codenames(name)
            )
        )
