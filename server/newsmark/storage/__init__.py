"""Durable, fast TinyDB: a Storage, a Middleware and a table class.

Stock TinyDB rewrites the whole JSON file in place on every write (slow, and a
crash mid-write corrupts it) and rebuilds the whole table in memory on every
change (``Table._update_table``), so each write costs O(N). This package keeps
TinyDB's seams and replaces the work behind them:

- :class:`AtomicJSONStorage` (a ``Storage``): the data file is TinyDB's plain
  JSON, replaced atomically (write temp, fsync, rename, fsync folder).
- :class:`JournalMiddleware` (a ``Middleware``): holds the data in memory and
  makes each change durable by appending one fsync'd line to a journal, which
  is replayed on open. When the journal outgrows the data file it is compacted
  into the data file in a background thread, so the cost is amortised and no
  request waits for it.
- :class:`JournaledTable` (a ``table_class``): applies a change to the live
  table in place, hands only the touched documents to the journal, and keeps
  field indexes (annotations by URL) up to date.

Documents in memory are never mutated in place once stored (a change stores a
new dict), so a compaction can serialise a shallow snapshot while requests go on.

Not thread-safe by itself: the caller holds one lock around every access
(see :class:`newsmark.store.Store`).
"""

from .datafile import AtomicJSONStorage, Damage, DamagedDocument, LazyDocs, dumps_docs
from .journal import JournalError, JournalMiddleware
from .table import JournaledTable

__all__ = [
    "AtomicJSONStorage",
    "Damage",
    "DamagedDocument",
    "JournalError",
    "JournalMiddleware",
    "JournaledTable",
    "LazyDocs",
    "dumps_docs",
]
