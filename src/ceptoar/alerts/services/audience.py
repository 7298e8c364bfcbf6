"""An alert's audience: named by codes and user names (`AudienceSpec`), written as `Audience` rows."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from ceptoar.accounts.models import User
from ceptoar.registry.models import Organisation, OrganisationKind, Sector
from ceptoar.sharing.models import Audience, Tlp


@dataclass
class AudienceSpec:
    """An audience as people name it: by codes and user names."""

    community: bool = False
    sectors: list[str] = field(default_factory=list)
    ceptoars: list[str] = field(default_factory=list)
    subgroups: list[str] = field(default_factory=list)
    organisations: list[str] = field(default_factory=list)
    people: list[str] = field(default_factory=list)

    def is_empty(self) -> bool:
        return not (
            self.community
            or self.sectors
            or self.ceptoars
            or self.subgroups
            or self.organisations
            or self.people
        )


def _resolve(model, codes: list[str], field_name: str, lookup: str = "code", **filters) -> list:
    codes = list(dict.fromkeys(c.strip() for c in codes if c and c.strip()))
    found = {getattr(obj, lookup): obj for obj in model.objects.filter(**{f"{lookup}__in": codes}, **filters)}
    unknown = [c for c in codes if c not in found]
    if unknown:
        raise ValidationError(
            {
                "audience": _("The audience names %(field)s that do not exist: %(codes)s")
                % {"field": field_name, "codes": ", ".join(unknown)}
            }
        )
    return [found[c] for c in codes]


def build_audience(spec: AudienceSpec, tlp: str) -> Audience:
    """Create the Audience rows for `spec`, or raise ValidationError naming what does not exist."""
    if tlp == Tlp.RED and (
        spec.community or spec.sectors or spec.ceptoars or spec.subgroups or spec.organisations
    ):
        raise ValidationError({"audience": _("TLP:RED goes to named people only; remove the organisations.")})
    if tlp == Tlp.RED and not spec.people:
        raise ValidationError({"audience": _("TLP:RED needs at least one named person.")})
    if spec.is_empty():
        raise ValidationError({"audience": _("Choose who the alert is for.")})
    sectors = _resolve(Sector, spec.sectors, "sectors")
    ceptoars = _resolve(Organisation, spec.ceptoars, "CEPTOARs", kind=OrganisationKind.CEPTOAR)
    subgroups = _resolve(Organisation, spec.subgroups, "sub-groups", kind=OrganisationKind.SUBGROUP)
    organisations = _resolve(Organisation, spec.organisations, "organisations")
    people = _resolve(User, spec.people, "people", lookup="username", is_active=True)
    audience = Audience.objects.create(community=spec.community)
    for relation, chosen in (
        (audience.sectors, sectors),
        (audience.ceptoars, ceptoars),
        (audience.subgroups, subgroups),
        (audience.organisations, organisations),
        (audience.people, people),
    ):
        if chosen:
            relation.add(*chosen)
    return audience
