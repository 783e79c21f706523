"""What CSV files look like: the columns of positions.csv (which the importer reads back) and the
neutralising of text that a spreadsheet would run as a formula.

A text cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return is a formula to Excel,
LibreOffice and Google Sheets. Exports put a single quote in front of such text, which
spreadsheets show as plain text. So does text whose leading quotes are followed by one of those
characters (`'=1+1`), so that the rule can be undone exactly: the importer removes one leading
quote where the exporter added one, and export → import → export gives the same file. Other text
that starts with a quote (`'All' has no number`) is left as it is.
"""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"

# The columns of positions.csv, in order. "Read on import" says which ones the importer uses;
# the others describe the row for people and are checked against the database on import.
POSITION_COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", "the position's stable identifier (UUID); blank on import for a new position"),
    ("negotiation", "negotiation slug"),
    ("actor", "actor slug (the actor must take part in the negotiation)"),
    ("actor_name", "actor's name, for readers"),
    ("role", "actor's role in the negotiation, for readers"),
    ("issue", "issue slug"),
    ("issue_title", "issue title, for readers"),
    ("issue_kind", "quantity, yes_no, scale or text, for readers"),
    ("unit", "the quantity's unit, for readers"),
    ("stance", "demand, offer, proposal or rejection"),
    ("value_min", "quantity: a number, or the lower end of a range"),
    ("value_max", "quantity: a number, or the upper end of a range"),
    ("value_bool", "yes/no issues: true or false"),
    ("value_option", "scale issues: the option's key"),
    ("summary", "the position in one line"),
    ("stated_on", "when the actor held it, YYYY-MM-DD"),
    ("source", "source slug; a new slug creates the source from the source_ columns"),
    ("source_outlet", "outlet"),
    ("source_headline", "headline"),
    ("source_url", "http(s) address, may be blank"),
    ("source_published_on", "YYYY-MM-DD"),
    ("source_grade", "A to F"),
    ("attribution", "who in the source"),
    ("credibility", "1 to 6"),
    ("status", "reported, confirmed, denied or retracted"),
    ("status_source", "source slug of the confirmation, denial or retraction"),
    ("status_attribution", "who confirmed, denied or retracted it"),
    ("status_changed_on", "YYYY-MM-DD"),
    ("conditions", "conditions attached, in words"),
    ("vague", "true if the wording was left deliberately vague"),
    ("package", "package slug"),
    ("recorded_at", "when it was recorded, UTC; kept on import for new positions"),
    ("as_of", "the date of the export: the state of the data it shows (ignored on import)"),
)
POSITION_HEADER = tuple(name for name, _ in POSITION_COLUMNS)

# Columns whose cells are free text and so are neutralised on export.
POSITION_TEXT_COLUMNS = frozenset(
    {
        "negotiation",
        "actor",
        "actor_name",
        "issue",
        "issue_title",
        "unit",
        "value_option",
        "summary",
        "source",
        "source_outlet",
        "source_headline",
        "source_url",
        "attribution",
        "status_source",
        "status_attribution",
        "conditions",
        "package",
    }
)


def neutralise(text: str) -> str:
    """Make a text cell safe to open in a spreadsheet.

    >>> neutralise("=HYPERLINK(\\"http://x\\")")
    '\\'=HYPERLINK("http://x")'
    >>> neutralise("'=1+1")
    "''=1+1"
    >>> neutralise("'All' has no number")
    "'All' has no number"
    >>> neutralise("Hamas offers 9")
    'Hamas offers 9'
    """
    if text.lstrip(QUOTE).startswith(FORMULA_STARTS):
        return QUOTE + text
    return text


def restore(text: str) -> str:
    """Undo `neutralise`: remove the one quote it adds.

    >>> restore(neutralise("-5 days")) == "-5 days"
    True
    >>> restore(neutralise("'=1+1")) == "'=1+1"
    True
    >>> restore("'All' has no number")
    "'All' has no number"
    """
    if text.startswith(QUOTE) and text[1:].lstrip(QUOTE).startswith(FORMULA_STARTS):
        return text[1:]
    return text
