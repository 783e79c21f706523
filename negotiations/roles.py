"""The two kinds of signed-in user and what each may do.

Analysts keep the record: positions, sources, rounds and packages. Editors also shape the
negotiation itself (negotiations, actors, participants, issues, the public flag) and use the
Django admin as the back office.
"""

ANALYST = "Analyst"
EDITOR = "Editor"

ANALYST_MODELS = ("position", "source", "round", "package")
EDITOR_MODELS = (
    "negotiation",
    "actor",
    "participant",
    "issue",
    "scaleoption",
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
