"""The structure of the seeds' CEPTOAR characteristics map as of the end of March 2009 (平成21年3月末).

Names of public bodies, dates, counts and descriptions are those of the NISC map; member operators
are generated (see `population.py`), as are all people and addresses.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

D = datetime.date

HUB = (
    "nisc",
    "内閣官房情報セキュリティセンター (NISC)",
    "National center of Incident readiness and Strategy for Cybersecurity",
)

SECTORS = [
    # code, name, English name
    ("information-communications", "情報通信", "Information and communications"),
    ("finance", "金融", "Finance"),
    ("aviation", "航空", "Aviation"),
    ("railway", "鉄道", "Railway"),
    ("electricity", "電力", "Electricity"),
    ("gas", "ガス", "Gas"),
    ("government", "政府・行政サービス", "Government and administrative services"),
    ("medical", "医療", "Medical services"),
    ("water", "水道", "Water"),
    ("logistics", "物流", "Logistics"),
]

MINISTRIES = [
    ("mic", "総務省", "Ministry of Internal Affairs and Communications"),
    ("fsa", "金融庁", "Financial Services Agency"),
    ("mlit", "国土交通省", "Ministry of Land, Infrastructure, Transport and Tourism"),
    ("meti", "経済産業省", "Ministry of Economy, Trade and Industry"),
    ("mhlw", "厚生労働省", "Ministry of Health, Labour and Welfare"),
]


@dataclass(frozen=True)
class MemberGroup:
    """A block of members counted in one unit, e.g. 317 companies (社) or 10 institutions (機関)."""

    unit: str
    count: int
    kind_words: tuple[str, ...]  # what these members are called, used to generate their names
    observers: int = 0


@dataclass(frozen=True)
class SeedCeptoar:
    code: str
    name: str
    sector: str
    ministry: str
    business_scope: str
    secretariat: str  # its name exactly as on the map
    secretariat_code: str
    established_on: datetime.date
    poc_started_on: datetime.date
    rules_enacted_on: datetime.date
    communication_means: tuple[str, ...]
    member_description: str
    features: str
    members: tuple[MemberGroup, ...]
    analysis_functions: tuple[str, ...] = ()
    information_shared: str = "障害事例情報等"
    # Sub-groups or relay hubs: (code suffix, name); members are spread over them in order.
    subgroups: tuple[tuple[str, str], ...] = ()
    subgroup_shares: tuple[int, ...] = ()
    council: str | None = None
    secretariat_is_ministry: bool = False
    name_en: str = ""

    @property
    def member_total(self) -> int:
        return sum(group.count for group in self.members)


# Set-up and POC dates: the seven existing sectors by the end of FY2006, the three new ones a year later.
FIRST_WAVE = (D(2007, 3, 31), D(2007, 4, 1))
SECOND_WAVE = (D(2008, 3, 31), D(2008, 4, 1))

FINANCE_COUNCIL = ("finance-council", "金融CEPTOAR連絡協議会", "Finance CEPTOAR liaison council")
CEPTOAR_COUNCIL = ("ceptoar-council", "CEPTOARカウンシル", "CEPTOAR Council")
# In 2009 eleven CEPTOARs were members of the CEPTOAR Council; these three sat as observers.
# The secretariats' names in English, for the registry's English pages and the English map.
SECRETARIAT_NAMES_EN = {
    "fmmc": "Foundation for MultiMedia Communications",
    "mic-terrestrial-broadcasting": "MIC Terrestrial Broadcasting Division",
    "zenginkyo-systems": "Japanese Bankers Association, Operations Systems Department",
    "jsda-it": "Japan Securities Dealers Association, IT Management Office",
    "seiho-general-affairs": "The Life Insurance Association of Japan, General Affairs Department",
    "sonpo-planning": "The General Insurance Association of Japan, Planning and Safety Group",
    "mlit-civil-aviation-security": "MLIT Civil Aviation Bureau, Aviation Security Office",
    "mlit-railway-crisis": "MLIT Railway Bureau, Crisis Management Office",
    "fepc-it": "The Federation of Electric Power Companies of Japan, IT Department",
    "jga-safety": "The Japan Gas Association, Safety Technology Group",
    "lasdec-security": "LASDEC, Local Government Security Support Office",
    "jwwa-general-affairs": "Japan Water Works Association, General Affairs Department",
    "jpfl": "Japan Federation of Logistics Associations",
}
CEPTOAR_COUNCIL_OBSERVERS = frozenset({"railway", "medical", "logistics"})

CEPTOARS: list[SeedCeptoar] = [
    SeedCeptoar(
        code="t-ceptoar",
        name="T-CEPTOAR",
        name_en="T-CEPTOAR (telecommunications)",
        sector="information-communications",
        ministry="mic",
        business_scope="電気通信",
        secretariat="財団法人マルチメディア振興センター",
        secretariat_code="fmmc",
        established_on=FIRST_WAVE[0],
        poc_started_on=FIRST_WAVE[1],
        rules_enacted_on=D(2007, 1, 1),
        communication_means=("email", "phone", "fax"),
        member_description="固定系のネットワークを構築する電気通信事業者、アクセス系の電気通信事業者、ISP事業者、携帯電話事業者等",
        features=(
            "運営委員会のもとに、業態の違いによる4つのSGを設置し、全体として密な情報共有の実現を目指す。"
            " Telecom-ISAC Japan及び社団法人電気通信事業者協会における情報共有等の先進的な取組が母体。"
            " T-PoC(T-CEPTOARのPoC)及び4つのSGの代表者によって構成される運営委員会において、情勢判断等を実施。"
        ),
        members=(
            MemberGroup(
                "company_or_body", 29, ("通信", "ネットワーク", "テレコム", "モバイル", "インターネット")
            ),
        ),
        analysis_functions=("situation_assessment",),
        subgroups=(
            ("sg1", "SG1 固定系ネットワーク"),
            ("sg2", "SG2 アクセス系"),
            ("sg3", "SG3 ISP"),
            ("sg4", "SG4 携帯電話"),
        ),
        subgroup_shares=(9, 8, 7, 5),
    ),
    SeedCeptoar(
        code="broadcasting",
        name="放送における情報共有体制",
        name_en="Broadcasting information-sharing system",
        sector="information-communications",
        ministry="mic",
        business_scope="放送",
        secretariat="総務省情報通信政策局地上放送課",
        secretariat_code="mic-terrestrial-broadcasting",
        established_on=FIRST_WAVE[0],
        poc_started_on=FIRST_WAVE[1],
        rules_enacted_on=D(2007, 3, 1),
        communication_means=("email", "phone", "fax"),
        member_description="日本放送協会及び地上系一般放送事業者",
        features="既存の災害対応時等の連絡体制を活用する体制とした。",
        members=(MemberGroup("company_or_body", 195, ("放送", "テレビ", "ラジオ", "放送局")),),
        # The existing disaster-time liaison runs through the ministry's regional bureaus (総合通信局), each
        # relaying to the broadcasters of its region. The shares are the demo's, not the map's.
        subgroups=(
            ("bureau-hokkaido", "北海道総合通信局"),
            ("bureau-tohoku", "東北総合通信局"),
            ("bureau-kanto", "関東総合通信局"),
            ("bureau-shinetsu", "信越総合通信局"),
            ("bureau-hokuriku", "北陸総合通信局"),
            ("bureau-tokai", "東海総合通信局"),
            ("bureau-kinki", "近畿総合通信局"),
            ("bureau-chugoku", "中国総合通信局"),
            ("bureau-shikoku", "四国総合通信局"),
            ("bureau-kyushu", "九州総合通信局"),
            ("bureau-okinawa", "沖縄総合通信事務所"),
        ),
        subgroup_shares=(12, 20, 42, 10, 9, 21, 28, 16, 12, 19, 6),
    ),
    SeedCeptoar(
        code="banks",
        name="銀行等CEPTOAR",
        name_en="Banks CEPTOAR",
        sector="finance",
        ministry="fsa",
        business_scope="銀行等",
        secretariat="全国銀行協会事務システム部",
        secretariat_code="zenginkyo-systems",
        established_on=FIRST_WAVE[0],
        poc_started_on=FIRST_WAVE[1],
        rules_enacted_on=D(2007, 3, 1),
        communication_means=("email", "phone"),
        member_description="銀行、信用金庫、信用組合、労金、商工中金、農協等",
        features="情報セキュリティ対策委員会及び財団法人金融情報システムセンターによる障害事例分析等を実施し、分析結果を通知する機能を有する。",
        members=(MemberGroup("company", 1738, ("銀行", "信用金庫", "信用組合", "労働金庫", "農業協同組合")),),
        analysis_functions=("failure_case_analysis",),
        council=FINANCE_COUNCIL[0],
    ),
    SeedCeptoar(
        code="securities",
        name="証券CEPTOAR",
        name_en="Securities CEPTOAR",
        sector="finance",
        ministry="fsa",
        business_scope="証券",
        secretariat="日本証券業協会IT管理室",
        secretariat_code="jsda-it",
        established_on=FIRST_WAVE[0],
        poc_started_on=FIRST_WAVE[1],
        rules_enacted_on=D(2007, 3, 1),
        communication_means=("email", "phone", "fax", "web"),
        member_description="証券会社、取引所等証券関係機関",
        features="各証券関連団体及び財団法人金融情報システムセンターによる障害事例分析等を実施する機能を有する。",
        members=(
            MemberGroup("company", 317, ("証券",)),
            MemberGroup("institution", 10, ("取引所", "清算機構", "証券保管振替機構")),
        ),
        analysis_functions=("failure_case_analysis",),
        council=FINANCE_COUNCIL[0],
    ),
    SeedCeptoar(
        code="life-insurance",
        name="生命保険CEPTOAR",
        name_en="Life insurance CEPTOAR",
        sector="finance",
        ministry="fsa",
        business_scope="生命保険",
        secretariat="社団法人生命保険協会総務部組織人事グループ",
        secretariat_code="seiho-general-affairs",
        established_on=FIRST_WAVE[0],
        poc_started_on=FIRST_WAVE[1],
        rules_enacted_on=D(2007, 3, 1),
        communication_means=("email", "phone"),
        member_description="社団法人生命保険協会の定款に定める社員および特別会員",
        features=(
            "分野内の利用システム調査を年1回実施。"
            " 社団法人生命保険協会及び財団法人金融情報システムセンターによる障害事例分析等を実施し、分析結果を通知する機能を有する。"
        ),
        members=(MemberGroup("company", 41, ("生命保険",)),),
        analysis_functions=("failure_case_analysis", "system_survey"),
        council=FINANCE_COUNCIL[0],
    ),
    SeedCeptoar(
        code="non-life-insurance",
        name="損害保険CEPTOAR",
        name_en="Non-life insurance CEPTOAR",
        sector="finance",
        ministry="fsa",
        business_scope="損害保険",
        secretariat="社団法人日本損害保険協会業務企画部企画安全グループ",
        secretariat_code="sonpo-planning",
        established_on=FIRST_WAVE[0],
        poc_started_on=FIRST_WAVE[1],
        rules_enacted_on=D(2007, 3, 1),
        communication_means=("email", "phone"),
        member_description="情報システム委員会参加会社",
        # The seed map repeats the life-insurance text for this column; kept as published.
        features=(
            "分野内の利用システム調査を年1回実施。"
            " 社団法人生命保険協会及び財団法人金融情報システムセンターによる障害事例分析等を実施し、分析結果を通知する機能を有する。"
        ),
        members=(MemberGroup("company", 28, ("損害保険", "火災海上保険"), observers=3),),
        analysis_functions=("failure_case_analysis", "system_survey"),
        council=FINANCE_COUNCIL[0],
    ),
    SeedCeptoar(
        code="aviation",
        name="航空分野におけるCEPTOAR",
        name_en="Aviation CEPTOAR",
        sector="aviation",
        ministry="mlit",
        business_scope="航空",
        secretariat="国土交通省航空局 航空安全推進課 航空保安対策室",
        secretariat_code="mlit-civil-aviation-security",
        established_on=FIRST_WAVE[0],
        poc_started_on=FIRST_WAVE[1],
        rules_enacted_on=D(2007, 3, 1),
        communication_means=("email", "phone"),
        member_description="航空運送事業者及び官庁(航空局・気象庁)",
        features="航空局による障害事例分析等を実施し、分析結果を通知する機能を有する。",
        members=(
            MemberGroup("group", 2, ("航空グループ",)),
            MemberGroup("institution", 3, ("航空局", "気象庁", "航空管制")),
        ),
        analysis_functions=("failure_case_analysis",),
    ),
    SeedCeptoar(
        code="railway",
        name="鉄道CEPTOAR",
        name_en="Railway CEPTOAR",
        sector="railway",
        ministry="mlit",
        business_scope="鉄道",
        secretariat="国土交通省鉄道局危機管理室",
        secretariat_code="mlit-railway-crisis",
        established_on=FIRST_WAVE[0],
        poc_started_on=FIRST_WAVE[1],
        rules_enacted_on=D(2007, 3, 1),
        communication_means=("email", "phone"),
        member_description="鉄道事業者22社、1団体及び官庁(鉄道局)",
        features=(
            "国土交通省鉄道局危機管理室が鉄道CEPTOARの窓口となり、現在運用されている鉄道事故等報告規則等に基づき、"
            "鉄道事故等報告を実施し、分析結果を通知する機能を有している。"
        ),
        members=(
            MemberGroup("company", 22, ("鉄道", "旅客鉄道", "電鉄")),
            MemberGroup("body", 1, ("民営鉄道協会",)),
            MemberGroup("institution", 1, ("鉄道局",)),
        ),
        analysis_functions=("failure_case_analysis",),
    ),
    SeedCeptoar(
        code="electricity",
        name="電力におけるIT障害に係る情報共有・分析機能",
        name_en="Electricity CEPTOAR",
        sector="electricity",
        ministry="meti",
        business_scope="電力",
        secretariat="電気事業連合会 情報通信部",
        secretariat_code="fepc-it",
        established_on=FIRST_WAVE[0],
        poc_started_on=FIRST_WAVE[1],
        rules_enacted_on=D(2006, 9, 1),
        communication_means=("email", "phone", "mobile", "fax", "web", "meeting"),
        member_description="一般電気事業者、日本原電(株)、電源開発(株)、電気事業連合会、電力中央研究所",
        features=(
            "12社2機関は、Face to Faceを含め、情報共有を行う。"
            "行動計画策定等を実施し、5社に留め、断続的な情報共有を共有できるような仕組みを構築し、情報共有の推進を図る。"
        ),
        members=(
            MemberGroup("company", 12, ("電力",)),
            MemberGroup("institution", 2, ("電気事業連合会", "電力研究所")),
        ),
        analysis_functions=("failure_case_analysis",),
    ),
    SeedCeptoar(
        code="gas",
        name="GAS CEPTOAR",
        name_en="GAS CEPTOAR",
        sector="gas",
        ministry="meti",
        business_scope="ガス",
        secretariat="社団法人日本ガス協会 保安技術グループ",
        secretariat_code="jga-safety",
        established_on=FIRST_WAVE[0],
        poc_started_on=FIRST_WAVE[1],
        rules_enacted_on=D(2007, 3, 1),
        communication_means=("email", "phone", "mobile", "fax"),
        member_description="政令指定都市8社、同等の事業者2社",
        features=(
            "分野内の利用システム調査を実施。"
            " リテイルレベルの向上を支援するための各事業者が情報共有を実施し、情報共有の推進を図る。"
        ),
        members=(MemberGroup("company", 10, ("ガス",)),),
        analysis_functions=("failure_case_analysis", "system_survey"),
    ),
    SeedCeptoar(
        code="local-government",
        name="自治体CEPTOAR",
        name_en="Local government CEPTOAR",
        sector="government",
        ministry="mic",
        business_scope="地方公共団体",
        secretariat="財団法人地方自治情報センター 自治体セキュリティ支援室",
        secretariat_code="lasdec-security",
        established_on=FIRST_WAVE[0],
        poc_started_on=FIRST_WAVE[1],
        rules_enacted_on=D(2007, 3, 1),
        communication_means=("email", "phone", "web"),
        member_description="都道府県及び市区町村",
        features="地方公共団体の情報セキュリティ向上を支援するための各事業者が情報共有を実施し、情報共有の推進を図る。",
        members=(MemberGroup("body", 1863, ("県", "市", "町", "村")),),
    ),
    SeedCeptoar(
        code="medical",
        name="医療CEPTOAR",
        name_en="Medical CEPTOAR",
        sector="medical",
        ministry="mhlw",
        business_scope="医療",
        secretariat="厚生労働省",
        secretariat_code="mhlw",
        secretariat_is_ministry=True,
        established_on=SECOND_WAVE[0],
        poc_started_on=SECOND_WAVE[1],
        rules_enacted_on=D(2008, 3, 1),
        communication_means=("email", "phone", "mobile", "satellite_phone", "fax"),
        member_description="医療機関、日本医師会(情報共有機能)、保健医療福祉情報システム工業会(情報分析機能)",
        features=(
            "都道府県等を通じた既存の(地震等災害時の)情報連携体制を活用し、保健医療福祉情報システム工業会を活用して"
            "会員の情報共有の調査・分析を行い、各医療機関への情報提供等を行う。"
        ),
        members=(
            MemberGroup("group", 1, ("医療機関グループ",)),
            MemberGroup("institution", 2, ("医師会", "医療情報システム工業会")),
        ),
        analysis_functions=("failure_case_analysis",),
    ),
    SeedCeptoar(
        code="water",
        name="水道CEPTOAR",
        name_en="Water CEPTOAR",
        sector="water",
        ministry="mhlw",
        business_scope="水道",
        secretariat="社団法人日本水道協会 総務部庶務課",
        secretariat_code="jwwa-general-affairs",
        established_on=SECOND_WAVE[0],
        poc_started_on=SECOND_WAVE[1],
        rules_enacted_on=D(2008, 3, 1),
        communication_means=("email", "phone", "mobile", "satellite_phone", "fax"),
        member_description="全国の会員水道事業者",
        features=(
            "日本水道協会の会長都市及び7地方支部長都市の8構成員による情報共有体制を活用して会員の情報共有の調査・分析を行い、"
            "各水道事業者への情報提供等を行う。"
        ),
        members=(MemberGroup("water_utility", 1393, ("水道局", "水道企業団", "上下水道部")),),
        analysis_functions=("failure_case_analysis",),
        subgroups=(
            ("hub-president", "会長都市 中継拠点"),
            ("hub-hokkaido", "北海道地方支部長都市 中継拠点"),
            ("hub-tohoku", "東北地方支部長都市 中継拠点"),
            ("hub-kanto", "関東地方支部長都市 中継拠点"),
            ("hub-chubu", "中部地方支部長都市 中継拠点"),
            ("hub-kansai", "関西地方支部長都市 中継拠点"),
            ("hub-chushikoku", "中国四国地方支部長都市 中継拠点"),
            ("hub-kyushu", "九州地方支部長都市 中継拠点"),
        ),
        subgroup_shares=(150, 95, 180, 330, 250, 170, 110, 108),
    ),
    SeedCeptoar(
        code="logistics",
        name="物流CEPTOAR",
        name_en="Logistics CEPTOAR",
        sector="logistics",
        ministry="mlit",
        business_scope="物流",
        secretariat="社団法人日本物流団体連合会",
        secretariat_code="jpfl",
        established_on=SECOND_WAVE[0],
        poc_started_on=SECOND_WAVE[1],
        rules_enacted_on=D(2008, 3, 1),
        communication_means=("email", "phone"),
        member_description="物流事業者",
        features="様々な物流関連の業態が存在する分野である。各分野の窓口となり、IT障害情報については必要に応じて関係者間の情報共有を図る。",
        members=(
            MemberGroup("company", 16, ("運輸", "物流", "倉庫", "海運")),
            MemberGroup("body", 6, ("トラック協会", "倉庫協会", "港運協会")),
        ),
    ),
]

# Related bodies the seeds name beside the CEPTOARs.
RELATED_BODIES = [
    ("fisc", "財団法人金融情報システムセンター", "finance"),
    ("telecom-isac", "Telecom-ISAC Japan", "information-communications"),
]

MAP_DATE = D(2009, 3, 31)

for _ceptoar in CEPTOARS:
    assert not _ceptoar.subgroup_shares or sum(_ceptoar.subgroup_shares) == _ceptoar.member_total, (
        _ceptoar.code
    )
