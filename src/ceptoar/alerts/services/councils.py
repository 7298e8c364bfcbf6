"""Posting to a council: the CEPTOAR Council (セプターカウンシル) and the finance liaison council
(金融CEPTOAR連絡協議会) as sharing spaces (DESIGN.md §2.3).

A post to a council names the council alone as its audience (`organisations: [council]`). It is delivered
to the council and to every CEPTOAR holding a seat (`alerts.hops.council_recipients`), and seen by exactly
them (`sharing.policy`): whoever may see it is delivered it, acknowledges it and is escalated to.

Who may post:
- the council's own secretariat and coordinators (`accounts.access.acts_for_council`), in its name, to its
  seats at any marking the policy allows;
- a CEPTOAR holding a member seat, at any marking the policy allows;
- a CEPTOAR holding an observer seat, only at TLP:CLEAR or TLP:GREEN: observers receive every post, but
  what they bring in is for the whole table without the council's rules to bind it;
- nobody else (the hub, ministries, CEPTOARs without a seat): they reach the seats through their own
  channels, not by speaking in the council.

A council post is not relayed onward: it is for the seats' secretariats, under the council's own rules, not
for their members. It is marked "no onward relay" when written; a seat whose members need to know writes
its own alert to them, in its own name and under its own rules.
"""

from __future__ import annotations

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext as _

from ceptoar.alerts.hops import councils_named, is_council_post
from ceptoar.alerts.models import Alert
from ceptoar.registry.models import CouncilSeat, Organisation, OrganisationKind, SeatKind
from ceptoar.sharing.models import TLP_RANK, Audience, Tlp

# The highest marking an observer seat may post at.
OBSERVER_HIGHEST_TLP = Tlp.GREEN
OBSERVER_TLPS = tuple(tlp for tlp in Tlp if TLP_RANK[tlp] <= TLP_RANK[OBSERVER_HIGHEST_TLP])


def _names_more_than(audience: Audience, council: Organisation) -> bool:
    """Whether the audience names anything beside this one council."""
    return (
        audience.community
        or audience.sectors.exists()
        or audience.ceptoars.exists()
        or audience.subgroups.exists()
        or audience.people.exists()
        or audience.organisations.exclude(pk=council.pk).exists()
    )


def _refuse(message: str, key: str = "audience") -> ValidationError:
    return ValidationError({key: [message]})


def check_council_post(sender: Organisation, tlp: str, audience: Audience) -> bool:
    """Whether an original alert of `sender` marked `tlp` for `audience` is a post to a council; raise
    ValidationError (key `audience`, or `tlp` for an observer's marking) naming why when it may not be."""
    councils = list(councils_named(audience)[:2])
    if sender.kind == OrganisationKind.COUNCIL:
        if councils != [sender] or _names_more_than(audience, sender):
            raise _refuse(
                _("A council posts to its own seats: name %(code)s alone as the audience.")
                % {"code": sender.code}
            )
        return True
    if not councils:
        return False
    council = councils[0]
    if len(councils) > 1 or _names_more_than(audience, council):
        raise _refuse(
            _(
                "A post to a council goes to that council alone: name %(code)s and nothing else, and send to "
                "anyone else in a separate alert."
            )
            % {"code": council.code}
        )
    seat = CouncilSeat.objects.filter(council=council, ceptoar=sender).first()
    if seat is None:
        raise _refuse(
            _(
                "%(sender)s holds no seat on %(council)s: only the CEPTOARs seated on it and its secretariat "
                "may post to it."
            )
            % {"sender": sender.name, "council": council.name}
        )
    rank = TLP_RANK.get(tlp)  # an unknown marking is the alert's own field error (`full_clean`)
    if seat.kind == SeatKind.OBSERVER and rank is not None and rank > TLP_RANK[OBSERVER_HIGHEST_TLP]:
        raise _refuse(
            _(
                "%(sender)s holds an observer seat on %(council)s: an observer may post to it only at "
                "TLP:CLEAR or TLP:GREEN, not %(tlp)s."
            )
            % {"sender": sender.name, "council": council.name, "tlp": Tlp(tlp).label},
            key="tlp",
        )
    return True


def check_relay(parent: Alert) -> None:
    """Refuse, naming why, the relay of a council post (see the module's note)."""
    if is_council_post(parent):
        raise ValidationError(
            {
                NON_FIELD_ERRORS: [
                    _(
                        "A council post is for the seats' CEPTOARs and is not relayed to their members; "
                        "write your own alert to your members if they need to know."
                    )
                ]
            }
        )
