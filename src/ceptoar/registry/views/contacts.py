"""Adding, changing and deactivating points of contact on the site.

Member POCs keep their own organisation's contacts here (they are not Django staff), and the
secretariat keeps its members'. Who may is `access.can_edit_contacts`; what is valid is
`services.contacts.save_contact` / `deactivate_contact`.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from ceptoar.accounts import access
from ceptoar.registry import queries
from ceptoar.registry.forms.contacts import ChannelFormSet, ContactForm, channel_initial, show_refusal
from ceptoar.registry.models import Contact, Organisation
from ceptoar.registry.services import contacts


def _require_editor(request, organisation: Organisation) -> None:
    if not access.can_edit_contacts(request.user, organisation):
        raise PermissionDenied(_("You may not change the contacts of this organisation."))


def _active_contact(pk: int) -> Contact:
    # Deactivated contacts are kept for the record only; they are not edited.
    return get_object_or_404(Contact.objects.select_related("organisation"), pk=pk, is_active=True)


def _back_to(contact: Contact):
    detail = reverse("registry:organisation_detail", args=[contact.organisation.code])
    return redirect(f"{detail}#contact-{contact.pk}")


def _edit(request, organisation: Organisation, contact: Contact | None):
    status = 200
    if request.method == "POST":
        form = ContactForm(request.POST, instance=contact or Contact(organisation=organisation))
        formset = ChannelFormSet(request.POST, initial=channel_initial(contact), prefix="channels")
        if form.is_valid() and formset.is_valid():
            try:
                saved = contacts.save_contact(
                    organisation, contact, form.contact_fields(), formset.channels(), by_user=request.user
                )
            except contacts.ContactChangeRefused as refusal:
                show_refusal(form, formset, refusal)
            else:
                messages.success(
                    request,
                    _("%(name)s: saved and marked as verified on %(date)s.")
                    % {"name": saved.name, "date": saved.last_verified_on.isoformat()},
                )
                return _back_to(saved)
        elif formset.is_valid():
            # The contact fields are wrong too; say now what is wrong with the channels as well.
            formset.show_channel_errors(contacts.check_channels(formset.channels()))
        status = 400
    else:
        initial = {} if contact else {"position": queries.next_contact_position(organisation)}
        form = ContactForm(instance=contact, initial=initial)
        formset = ChannelFormSet(initial=channel_initial(contact), prefix="channels")
    context = {"organisation": organisation, "contact": contact, "form": form, "formset": formset}
    return render(request, "registry/contact_form.html", context, status=status)


def contact_add(request, code):
    organisation = get_object_or_404(Organisation, code=code)
    _require_editor(request, organisation)
    return _edit(request, organisation, None)


def contact_edit(request, pk):
    contact = _active_contact(pk)
    _require_editor(request, contact.organisation)
    return _edit(request, contact.organisation, contact)


def contact_deactivate(request, pk):
    contact = _active_contact(pk)
    _require_editor(request, contact.organisation)
    refusal = None
    if request.method == "POST":
        try:
            contacts.deactivate_contact(contact, by_user=request.user)
        except contacts.ContactChangeRefused as error:
            refusal = error
        else:
            messages.success(
                request, _("%(name)s is no longer an active point of contact.") % {"name": contact.name}
            )
            return redirect(
                reverse("registry:organisation_detail", args=[contact.organisation.code]) + "#contacts"
            )
    context = {"organisation": contact.organisation, "contact": contact, "refusal": refusal}
    return render(request, "registry/contact_confirm_delete.html", context, status=409 if refusal else 200)
