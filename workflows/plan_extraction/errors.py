"""The one error the extractor raises: a document it cannot turn into a draft."""


class PlanTextError(ValueError):
    """The document is empty, unreadable or holds no plan; the message is Chinese, for users."""
