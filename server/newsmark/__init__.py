"""newsmark: code news articles as actor / claim / figure, kept in a durable local store."""

__version__ = "0.1.0"
