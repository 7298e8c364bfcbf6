"""Full-text search (全文検索): one index for every kind of item (cases now, alerts and indicators later).

A SearchDocument is the searchable text of one object, named by (kind, object_id); it holds no visibility
of its own, so callers always combine search results with their own policy querysets. The database's own
full-text engine indexes `tokens` (see migrations/0001_initial.py):
- SQLite: the FTS5 table `search_document_fts`, kept in step with this table by triggers;
- PostgreSQL: the generated tsvector column `search_vector` with a GIN index.
Neither is a Django field. A later migration that makes Django rebuild this table on SQLite (most
AlterField/RemoveField operations) drops the triggers and must create them again.

SearchTerm counts, per kind, the documents holding each token: the inverse document frequency that lets
"similar documents" weigh a rare bigram (漏洩) above a common one (した).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from ceptoar.search.text import MAX_TOKEN_CHARS


class SearchDocument(models.Model):
    kind = models.CharField(_("kind"), max_length=40)
    object_id = models.BigIntegerField(_("object id"))
    normalised_text = models.TextField(_("normalised text"))
    # Space-separated index tokens in reading order; the database's full-text index is built from these.
    tokens = models.TextField(_("index tokens"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("search document")
        verbose_name_plural = _("search documents")
        constraints = [
            # object_id first: an index led by kind would tempt both planners to read every document of
            # the kind and test each against the search, instead of starting from the full-text index.
            models.UniqueConstraint(fields=["object_id", "kind"], name="search_document_unique_object"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.object_id}"


class SearchTerm(models.Model):
    kind = models.CharField(_("kind"), max_length=40)
    term = models.CharField(_("term"), max_length=MAX_TOKEN_CHARS)
    document_count = models.PositiveIntegerField(_("documents containing it"))

    class Meta:
        verbose_name = _("search term")
        verbose_name_plural = _("search terms")
        constraints = [
            models.UniqueConstraint(fields=["kind", "term"], name="search_term_unique_per_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.term}"
