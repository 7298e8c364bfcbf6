"""The proposal of an agreement: what it is (code, title, text, version, dates, the version it replaces), its
parties, and its directions (one form per direction, in a formset).

The rules are the service's (`lifecycle.do_propose`): the forms check only what a field can check alone, and
the service's refusal comes back onto the field it names, a direction's onto that direction's field
(`show_propose_refusal`).
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ceptoar.agreements.access import agreements_visible_to, organisations_represented_by
from ceptoar.agreements.categories import CATEGORY_LABELS, CATEGORY_VALUES
from ceptoar.agreements.forms.lookups import organisation_field, party_candidates
from ceptoar.agreements.models import (
    FINAL_STATUSES,
    Agreement,
    FlowKind,
    OriginatorDisclosure,
)
from ceptoar.agreements.services.lifecycle import AgreementSpec, TermSpec
from ceptoar.registry.forms.fields import OrganisationChoiceField, OrganisationMultipleChoiceField
from ceptoar.sharing.models import Tlp
from ceptoar.utilities.refusals import show_refusal

# The keys under which `do_propose` refuses a direction, and the direction form's field for each.
TERM_KEYS = {
    "terms": None,
    "terms.source": "source",
    "terms.receiver": "receiver",
    "terms.kinds": "kinds",
    "terms.categories": "categories",
    "terms.highest_tlp": "highest_tlp",
    "terms.originator": "originator",
}


class ProposalForm(forms.Form):
    code = forms.SlugField(
        label=_("Agreement code"),
        max_length=Agreement._meta.get_field("code").max_length,
        help_text=_("Short, unique, lower case: e.g. finance-liaison-2027. A new version needs a new code."),
    )
    title = forms.CharField(label=_("Title"), max_length=Agreement._meta.get_field("title").max_length)
    text = forms.CharField(
        label=_("Agreed text"),
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("The text the parties agree to (or its summary and where the signed copy is kept)."),
    )
    version = forms.IntegerField(label=_("Version"), min_value=1, initial=1)
    valid_from = forms.DateField(
        label=_("Valid from"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        initial=timezone.localdate,
    )
    valid_to = forms.DateField(
        label=_("Valid to"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Empty: until it is revoked or superseded. Nothing flows under it after this day."),
    )
    supersedes = forms.ChoiceField(
        label=_("Replaces"),
        required=False,
        help_text=_("The agreement this is a new version of: it ends when this one comes into force."),
    )
    parties = OrganisationMultipleChoiceField(
        label=_("Parties"),
        queryset=party_candidates(),
        to_field_name="code",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("There is no organisation with the code “%(value)s”.")},
        help_text=_("Every party must accept before anything flows. Yours accepts when you propose."),
    )
    proposed_by = OrganisationChoiceField(
        label=_("Proposed for"),
        queryset=None,
        to_field_name="code",
        empty_label=None,
        error_messages={"invalid_choice": _("You do not act for “%(value)s”.")},
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["proposed_by"].queryset = organisations_represented_by(user).order_by("code")
        live = agreements_visible_to(user).exclude(status__in=FINAL_STATUSES).order_by("code")
        self.fields["supersedes"].choices = [("", gettext("Nothing: a new agreement"))] + [
            (agreement.code, f"{agreement.code} — {agreement}") for agreement in live
        ]

    def clean(self):
        data = super().clean()
        if data.get("valid_to") and data.get("valid_from") and data["valid_to"] < data["valid_from"]:
            self.add_error("valid_to", gettext("The end date is before the start date."))
        return data


class DirectionForm(forms.Form):
    """What may flow one way. Kinds and categories may be left empty here: the service says why that is
    wrong, on these fields."""

    source = organisation_field(_("Sending party"), empty_label=_("Choose"))
    receiver = organisation_field(_("Receiving party"), empty_label=_("Choose"))
    kinds = forms.MultipleChoiceField(
        label=_("Kinds"), required=False, choices=FlowKind.choices, widget=forms.CheckboxSelectMultiple
    )
    categories = forms.MultipleChoiceField(
        label=_("Categories"),
        required=False,
        choices=[(value, CATEGORY_LABELS[value]) for value in CATEGORY_VALUES],
        widget=forms.CheckboxSelectMultiple,
    )
    highest_tlp = forms.ChoiceField(label=_("Highest TLP"), choices=Tlp.choices, initial=Tlp.GREEN)
    may_relay = forms.BooleanField(label=_("The receiver may relay to its members"), required=False)
    originator = forms.ChoiceField(
        label=_("Originator"),
        choices=OriginatorDisclosure.choices,
        initial=OriginatorDisclosure.ANONYMISED,
        widget=forms.RadioSelect,
    )

    def has_changed(self) -> bool:
        # A spare direction left blank (no organisation, kind or category chosen) is no direction, whatever
        # its TLP and originator choices say: it is skipped, not refused.
        return any(
            self.data.get(self.add_prefix(name)) for name in ("source", "receiver", "kinds", "categories")
        )

    def term_spec(self) -> TermSpec:
        data = self.cleaned_data
        return TermSpec(
            source=data["source"].code,
            receiver=data["receiver"].code,
            kinds=list(data["kinds"]),
            categories=list(data["categories"]),
            highest_tlp=data["highest_tlp"],
            may_relay=data["may_relay"],
            originator=data["originator"],
        )


class BaseDirectionFormSet(forms.BaseFormSet):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The service's refusals of the directions as a whole (a direction given twice, one already covered).
        self.refusals: list[str] = []

    def filled(self) -> list[DirectionForm]:
        """The directions given, in order (the blank spare forms left out): the service numbers them so."""
        return [form for form in self.forms if form.has_changed()]

    def term_specs(self) -> list[TermSpec]:
        return [form.term_spec() for form in self.filled()]


# Two blank directions to begin with (A → B and B → A); "add a direction" posts the form back with one more.
DirectionFormSet = forms.formset_factory(DirectionForm, formset=BaseDirectionFormSet, extra=2, max_num=50)


def direction_formset(data=None, *, spare: int = 0) -> BaseDirectionFormSet:
    """The directions' formset; with `spare`, that many blank directions more than were posted."""
    if data is None:
        return DirectionFormSet(prefix="directions")
    if spare:
        data = data.copy()
        total = int(data.get("directions-TOTAL_FORMS") or 0)
        data["directions-TOTAL_FORMS"] = str(min(total + spare, 50))
    return DirectionFormSet(data, prefix="directions")


def agreement_spec(form: ProposalForm, formset: BaseDirectionFormSet) -> AgreementSpec:
    data = form.cleaned_data
    return AgreementSpec(
        code=data["code"],
        title=data["title"],
        text=data["text"],
        parties=[organisation.code for organisation in data["parties"]],
        terms=formset.term_specs(),
        valid_from=data["valid_from"],
        valid_to=data.get("valid_to"),
        version=data["version"],
        supersedes=data.get("supersedes") or "",
        proposed_by=data["proposed_by"].code,
    )


def show_propose_refusal(form: ProposalForm, formset: BaseDirectionFormSet, error: ValidationError) -> None:
    """`do_propose`'s refusal on the fields it names: the agreement's on the form, each direction's on the
    field of the direction it names (by its number, as the service counts them), the rest above the
    directions."""
    by_key: dict[str, list[str]] = {key: [] for key in TERM_KEYS}
    show_refusal(form, error, elsewhere=by_key)
    filled = formset.filled()
    for key, texts in by_key.items():
        for text in texts:
            placed = False
            for number, direction in enumerate(filled, 1):
                # The service prefixes each direction's message with the direction it means.
                prefix = gettext("Direction %(number)d (%(source)s → %(receiver)s)") % {
                    "number": number,
                    "source": direction.cleaned_data["source"].code,
                    "receiver": direction.cleaned_data["receiver"].code,
                }
                if TERM_KEYS[key] and text.startswith(prefix + ": "):
                    direction.add_error(TERM_KEYS[key], text.removeprefix(prefix + ": "))
                    placed = True
                    break
            if not placed:
                formset.refusals.append(text)
