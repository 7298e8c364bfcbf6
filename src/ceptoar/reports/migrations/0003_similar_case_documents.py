"""Published cases get the two documents similar cases are compared on (their content words and their
classification, `reports.cases.similar_cases`), which publishing now writes; cases published before had
only their text in the search index. Reversing removes them."""

from django.db import migrations


def index_published_cases(apps, schema_editor):
    # The functions that publishing uses, so that these documents are exactly what publishing writes; they
    # read only fields this migration's Case has (title, body, lessons, event type, causes).
    from ceptoar.reports.cases import CLASSIFICATION_KIND, SUBJECT_KIND, classification_terms, subject_terms
    from ceptoar.search.services import index_terms

    Case = apps.get_model("reports", "Case")
    for case in Case.objects.filter(status="published").order_by("pk").iterator():
        index_terms(SUBJECT_KIND, case.pk, subject_terms(case))
        index_terms(CLASSIFICATION_KIND, case.pk, classification_terms(case))


def remove_documents(apps, schema_editor):
    from ceptoar.reports.cases import CLASSIFICATION_KIND, SUBJECT_KIND
    from ceptoar.search.services import remove_document

    Case = apps.get_model("reports", "Case")
    for case_id in Case.objects.filter(status="published").values_list("pk", flat=True):
        for kind in (SUBJECT_KIND, CLASSIFICATION_KIND):
            remove_document(kind, case_id)


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0002_analysis_partners"),
        ("search", "0001_initial"),
    ]

    operations = [migrations.RunPython(index_published_cases, remove_documents)]
