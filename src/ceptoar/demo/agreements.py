"""The demo's sharing agreements (情報共有協定): the finance liaison council's agreement among the four finance
CEPTOARs, and FISC's analysis agreement with each of them.

Made through the same services as the pages (`agreements.services.lifecycle`: proposed by one party, accepted
by every other), so their history reads as it would on a real instance. The parties without a demo login
accept through synthetic secretariat accounts that cannot log in (as the demo's reports are written).
"""

from __future__ import annotations

import datetime

from ceptoar.accounts.models import Role, RoleGrant, User
from ceptoar.agreements.categories import CATEGORY_VALUES
from ceptoar.agreements.models import Agreement, FlowKind, OriginatorDisclosure
from ceptoar.agreements.services import lifecycle
from ceptoar.agreements.services.lifecycle import AgreementSpec, TermSpec
from ceptoar.registry.models import Organisation
from ceptoar.sharing.models import Tlp

FINANCE_CEPTOARS = ("banks", "securities", "life-insurance", "non-life-insurance")
FINANCE_COUNCIL = "finance-council"
FISC = "fisc"
LIAISON_CODE = "finance-liaison"
LIAISON_FROM = datetime.date(2024, 4, 1)
ANALYSIS_FROM = datetime.date(2025, 4, 1)

# Who acts for each party when the demo agreements are made: the demo logins where there is one.
_SIGNATORIES = {
    "banks": "demo-secretariat",
    "securities": "demo-securities",
    "fisc": "demo-fisc",
}

_LIAISON_TEXT = (
    "第1条 (目的) 本協定は、金融CEPTOAR連絡協議会の構成CEPTOAR (銀行等・証券・生命保険・損害保険) が、"
    "IT障害及びサイバー攻撃に関する注意喚起と情勢の概要を相互に共有するための事項を定める。\n"
    "第2条 (共有する情報) 各CEPTOARは、他の各CEPTOARに対し、注意喚起及び情勢の概要を、すべての分類について、"
    "TLP:AMBER までの区分で提供する。\n"
    "第3条 (構成員への提供) 提供を受けたCEPTOARは、付された区分の範囲で自らの構成員へ提供することができる。\n"
    "第4条 (提供元の表示) 提供元の名称は表示する。\n"
    "第5条 (取扱い) 各CEPTOARは、提供を受けた情報を自らの情報取扱いルールに従って取り扱う。\n"
)


def _analysis_text(ceptoar_name: str) -> str:
    return (
        f"第1条 (目的) 本協定は、{ceptoar_name}と財団法人金融情報システムセンター (FISC) との間で、"
        "障害事例の分析のための情報の提供と、分析結果の還元について定める。\n"
        f"第2条 (分析のための提供) {ceptoar_name}は、構成員の障害報告を、提供元を匿名化したうえで、"
        "TLP:AMBER までの区分で FISC に提供する。FISC はこれを第三者へ提供しない。\n"
        f"第3条 (分析結果の還元) FISC は、注意喚起及び障害事例を、TLP:AMBER までの区分で{ceptoar_name}に提供する。"
        f"{ceptoar_name}はこれを自らの構成員へ提供することができる。\n"
    )


def _signatory(code: str) -> User:
    """An account authorised to act for the organisation `code`: its demo login, or a synthetic secretariat
    account that cannot log in (the same name the demo's reports use)."""
    username = _SIGNATORIES.get(code, f"demo-secretariat-{code}")
    user = User.objects.filter(username=username).first()
    if user is not None:
        return user
    organisation = Organisation.objects.get(code=code)
    user = User.objects.create_user(
        username=username, organisation=organisation, display_name=username, is_demo=True
    )
    user.set_unusable_password()  # the demo's agreements need signatories; nobody logs in as them
    user.save(update_fields=["password"])
    RoleGrant.objects.create(user=user, role=Role.SECRETARIAT)
    return user


def _make(spec: AgreementSpec) -> Agreement:
    """Proposed by the first party, accepted by every other: in force, with its whole history."""
    proposer, *others = spec.parties
    agreement = lifecycle.do_propose(_signatory(proposer), spec)
    for code in others:
        agreement = lifecycle.do_accept(agreement, _signatory(code), Organisation.objects.get(code=code))
    return agreement


def liaison_spec() -> AgreementSpec:
    terms = [
        TermSpec(
            source=source,
            receiver=receiver,
            kinds=[FlowKind.ALERT, FlowKind.SITUATION],
            categories=list(CATEGORY_VALUES),
            highest_tlp=Tlp.AMBER,
            may_relay=True,
            originator=OriginatorDisclosure.NAMED,
        )
        for source in FINANCE_CEPTOARS
        for receiver in FINANCE_CEPTOARS
        if source != receiver
    ]
    return AgreementSpec(
        code=LIAISON_CODE,
        title="金融CEPTOAR連絡協議会 情報共有協定",
        text=_LIAISON_TEXT,
        # The council proposes; it binds itself and its four CEPTOARs (it names no direction of its own).
        parties=[FINANCE_COUNCIL, *FINANCE_CEPTOARS],
        terms=terms,
        valid_from=LIAISON_FROM,
        proposed_by=FINANCE_COUNCIL,
    )


def analysis_spec(ceptoar: Organisation) -> AgreementSpec:
    return AgreementSpec(
        code=f"fisc-analysis-{ceptoar.code}",
        title=f"{ceptoar.name}・FISC 障害分析協定",
        text=_analysis_text(ceptoar.name),
        parties=[ceptoar.code, FISC],
        terms=[
            TermSpec(
                source=ceptoar.code,
                receiver=FISC,
                kinds=[FlowKind.REPORT_FOR_ANALYSIS],
                categories=list(CATEGORY_VALUES),
                highest_tlp=Tlp.AMBER,
                may_relay=False,
                originator=OriginatorDisclosure.ANONYMISED,
            ),
            TermSpec(
                source=FISC,
                receiver=ceptoar.code,
                kinds=[FlowKind.ALERT, FlowKind.CASE],
                categories=list(CATEGORY_VALUES),
                highest_tlp=Tlp.AMBER,
                may_relay=True,
                originator=OriginatorDisclosure.NAMED,
            ),
        ],
        valid_from=ANALYSIS_FROM,
    )


def load_demo_agreements() -> list[Agreement]:
    """Make the demo's agreements, all in force; nothing if they exist already. Call inside the demo load's
    transaction (after its users exist)."""
    if Agreement.objects.filter(code=LIAISON_CODE).exists():
        return []
    made = [_make(liaison_spec())]
    for code in FINANCE_CEPTOARS:
        made.append(_make(analysis_spec(Organisation.objects.get(code=code))))
    return made
