"""A small labelled set of failure cases on several subjects, for the similar-cases measure
(tests/reports/test_similar_cases.py). Written before any score was looked at; the last cases (HELD_OUT)
were kept aside and only run once the threshold was chosen on the others.

Each case: topic, title, what happened, affected service (name, impact), countermeasures, event type, causes.
Cases of the same topic are the relevant ones for each other; "login" and "phishing" share stolen credentials,
so a phishing case in an unauthorised-login case's list counts as related in the lenient figure only.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CorpusCase:
    key: str
    topic: str
    title: str
    description: str
    service: tuple[str, str]
    countermeasures: str
    event_type: str
    causes: tuple[str, ...]


# Topics close enough that listing one beside the other is fair (for the lenient precision only).
RELATED_TOPICS = {("login", "phishing"), ("phishing", "login")}

DEVELOPMENT = [
    CorpusCase(
        "login-vpn",
        "login",
        "退職者のVPNアカウントへの不正ログイン",
        "退職した職員のVPNアカウントが削除されずに残っており、推測されやすいパスワードが使われていた。"
        "深夜に海外のIPアドレスからこのアカウントで不正ログインされ、ファイルサーバの共有フォルダが閲覧された。"
        "認証ログの定期確認で、業務時間外のログインに気付いた。",
        ("リモートアクセス", "調査のため全職員のVPN接続を1日停止した。"),
        "退職時のアカウント削除を人事手続に組み込み、VPNに多要素認証を導入した。",
        "intrusion",
        ("intentional.impersonation",),
    ),
    CorpusCase(
        "login-list",
        "login",
        "インターネットバンキングへのパスワードリスト攻撃",
        "他社サービスから流出したIDとパスワードの組合せを使ったログイン試行が一晩に約2万件あり、"
        "そのうち37件のお客さまの口座に不正ログインされた。振込は行われていない。"
        "ログイン失敗の急増を監視センターが検知し、該当するIPアドレスからのアクセスを遮断した。",
        ("インターネットバンキング", "不正ログインされたお客さまのパスワードを初期化した。"),
        "ログイン試行回数の制限を強化し、ワンタイムパスワードを必須とした。",
        "intrusion",
        ("intentional.impersonation",),
    ),
    CorpusCase(
        "phishing-vendor",
        "phishing",
        "取引先を装ったフィッシングメールによるID・パスワードの詐取",
        "取引先の担当者を装ったメールが職員宛てに届き、本文のURLから偽のログインページに誘導された。"
        "職員3名がIDとパスワードを入力してしまった。同じ文面のメールが他の部署にも届いていた。",
        ("メール", "該当職員のパスワードを変更した。"),
        "不審なメールの報告窓口を周知し、フィッシング訓練を年2回行うこととした。",
        "intrusion",
        ("intentional.suspicious_mail",),
    ),
    CorpusCase(
        "phishing-sms",
        "phishing",
        "宅配業者を装ったSMSによる偽サイトへの誘導",
        "宅配業者の不在通知を装ったSMSが、業務用スマートフォンに相次いで届いた。"
        "記載されたリンクを開いた職員の端末に不審なアプリのインストールを求める画面が表示された。"
        "アプリはインストールされておらず、被害は確認されていない。",
        ("業務用スマートフォン", "影響なし"),
        "業務用端末でのアプリのインストールを管理者の許可制とし、注意喚起を行った。",
        "precursor",
        ("intentional.suspicious_mail",),
    ),
    CorpusCase(
        "ransom-hospital",
        "ransomware",
        "ランサムウェア感染による電子カルテシステムの停止",
        "VPN装置の脆弱性を突かれて院内ネットワークに侵入され、電子カルテのサーバがランサムウェアに感染した。"
        "サーバ上のファイルが暗号化され、身代金を要求する脅迫文が表示された。"
        "外来診療を紙カルテに切り替え、救急の受入れを一時制限した。",
        ("電子カルテ", "2週間にわたり紙の運用となった。"),
        "オフラインのバックアップから復旧し、VPN装置を更新した。",
        "malware",
        ("intentional.vulnerability_exploited",),
    ),
    CorpusCase(
        "ransom-factory",
        "ransomware",
        "ランサムウェアによる生産管理サーバの暗号化",
        "生産管理サーバのファイルが一斉に暗号化され、拡張子が書き換えられた。"
        "リモートデスクトップの管理者アカウントから侵入され、ランサムウェアが実行されたとみられる。"
        "犯行グループのサイトに窃取したデータを公開すると予告された。",
        ("生産管理システム", "3日間、出荷計画を手作業で作成した。"),
        "リモートデスクトップを外部から使えないようにし、バックアップを別のネットワークに保管した。",
        "malware",
        ("intentional.other",),
    ),
    CorpusCase(
        "storage-disk",
        "storage",
        "ストレージ装置のディスク障害によるデータの消失",
        "ファイルサーバのストレージ装置でディスクが2本続けて故障し、RAIDの再構築ができずに一部のデータが失われた。"
        "1本目の故障の警告メールが、宛先の設定誤りで担当者に届いていなかった。",
        ("ファイル共有", "前日夜のバックアップから復元し、当日の更新分は再作成した。"),
        "警告メールの宛先を見直し、ディスクの予防交換を保守契約に加えた。",
        "destruction",
        ("accidental.hardware_failure",),
    ),
    CorpusCase(
        "storage-controller",
        "storage",
        "RAIDコントローラの故障による基幹システムの停止",
        "基幹システムのデータベースを置いたストレージ装置でRAIDコントローラが故障し、データベースが停止した。"
        "保守業者が交換部品を持参して交換するまで約6時間かかった。データの破損はなかった。",
        ("基幹システム", "窓口の照会業務が約6時間できなかった。"),
        "コントローラを二重化した装置へ更新し、保守部品を拠点に置くこととした。",
        "unavailability",
        ("accidental.hardware_failure",),
    ),
    CorpusCase(
        "quake-line",
        "earthquake",
        "地震による通信回線の断で遠隔監視ができなくなった事例",
        "震度6弱の地震で通信事業者の中継局が被災し、浄水場と本庁を結ぶ回線が断となった。"
        "遠隔監視システムで浄水場の状況を確認できなくなったため、職員が現地に駆け付けて手動で監視した。",
        ("遠隔監視", "約14時間、現地での監視となった。"),
        "別の通信事業者の回線と衛星回線を予備として追加した。",
        "unavailability",
        ("environmental.natural_disaster", "accidental.spillover"),
    ),
    CorpusCase(
        "quake-dc",
        "earthquake",
        "地震に伴う停電でデータセンターの空調が停止",
        "地震の後に広域で停電が発生し、データセンターは非常用発電機で稼働を続けたが、空調の一部が再起動しなかった。"
        "サーバ室の温度が上がったため、重要度の低いサーバを順に停止した。",
        ("情報系システム", "半日、社内向けの一部の業務を止めた。"),
        "停電からの復電時に空調が自動で再起動するよう設定を改め、地震を想定した訓練を行った。",
        "unavailability",
        ("environmental.natural_disaster", "environmental.power_outage"),
    ),
    CorpusCase(
        "ddos-web",
        "ddos",
        "DDoS攻撃による公式Webサイトの閲覧不能",
        "公式Webサイトに国外の多数のIPアドレスから大量の通信が集中し、約4時間閲覧できなくなった。"
        "攻撃を予告する書込みがSNSにあった。",
        ("公式Webサイト", "お知らせの掲載ができなかった。"),
        "DDoS対策サービスを契約し、上流でのフィルタリングを通信事業者に依頼できるようにした。",
        "unavailability",
        ("intentional.dos",),
    ),
    CorpusCase(
        "ddos-dns",
        "ddos",
        "DNSサーバへの大量の問合せによる名前解決の遅延",
        "権威DNSサーバに存在しないサブドメインへの問合せが大量に送られ、名前解決の応答が遅れた。"
        "この影響でメールの配送とWebサイトの表示が遅延した。",
        ("DNS", "約2時間、名前解決が不安定になった。"),
        "DNSサービスを分散型のサービスに移し、問合せの流量制限を設定した。",
        "unavailability",
        ("intentional.dos",),
    ),
    CorpusCase(
        "login-cloud",
        "login",
        "窃取された管理者の認証情報によるクラウド管理画面への不正ログイン",
        "クラウドサービスの管理画面に、窃取された管理者のIDとパスワードで第三者が不正ログインし、"
        "暗号資産の採掘に使われる仮想サーバが多数作成された。利用料金の急増で気付いた。"
        "管理者のパスワードは他のサービスと同じものが使われていた。",
        ("クラウド基盤", "作成された仮想サーバを削除した。業務への影響はなかった。"),
        "管理者アカウントに多要素認証を必須とし、パスワードの使い回しを禁止した。",
        "intrusion",
        ("intentional.impersonation", "intentional.information_theft"),
    ),
    CorpusCase(
        "lonely-billing",
        "billing",
        "料金計算プログラムの設定誤りによる過大請求",
        "料金改定に合わせて料金計算プログラムの単価表を更新した際、一部の契約種別に旧単価が二重に加算された。"
        "お客さまからの問合せで判明し、約1,200件の請求書を再発行した。",
        ("料金請求", "約1,200件の請求額が誤っていた。"),
        "単価表の更新時に二人で確認する手順とし、試算結果を前月と比較する検査を加えた。",
        "other",
        ("accidental.operator_error",),
    ),
]

HELD_OUT = [
    CorpusCase(
        "held-login-mail",
        "login",
        "職員のメールアカウントへの不正ログインと迷惑メールの大量送信",
        "職員のメールアカウントに第三者が不正ログインし、そのアカウントから数万通の迷惑メールが送信された。"
        "職員は私用のサービスと同じパスワードを使っていた。送信数の急増を検知してアカウントを停止した。",
        ("メール", "送信元が迷惑メール送信者として登録され、半日メールを送れなかった。"),
        "全職員のパスワードを変更させ、メールの認証に多要素認証を導入した。",
        "intrusion",
        ("intentional.impersonation",),
    ),
    CorpusCase(
        "held-phishing-bank",
        "phishing",
        "当行を装ったフィッシングサイトの開設",
        "当行のログインページを模したフィッシングサイトが開設され、お客さまにIDとパスワードの入力を求めるメールが"
        "大量に送られていた。お客さまからの問合せで判明した。",
        ("インターネットバンキング", "入力してしまったお客さまの口座を一時停止した。"),
        "サイトの閉鎖を依頼し、ホームページで注意喚起を行った。",
        "precursor",
        ("intentional.suspicious_mail", "intentional.impersonation"),
    ),
    CorpusCase(
        "held-ransom-files",
        "ransomware",
        "ランサムウェアによるファイルサーバの暗号化と身代金の要求",
        "ファイルサーバ上のファイルが暗号化され、各フォルダに身代金を要求する脅迫文が置かれた。"
        "保守用のVPN装置から侵入されたとみられる。",
        ("ファイル共有", "約1週間、共有フォルダが使えなかった。"),
        "バックアップから復元し、VPN装置の修正版を適用した。",
        "malware",
        ("intentional.vulnerability_exploited",),
    ),
    CorpusCase(
        "held-storage-nas",
        "storage",
        "NAS装置の故障による共有ファイルの一部消失",
        "部門で使っていたNAS装置が故障して起動しなくなり、ディスクのデータの一部が読み出せなかった。"
        "装置は保守期限が切れていた。",
        ("ファイル共有", "1か月分の更新データが失われた。"),
        "保守期限の切れた装置を洗い出し、全社のファイルサーバに移行した。",
        "destruction",
        ("accidental.hardware_failure",),
    ),
    CorpusCase(
        "held-quake-fuel",
        "earthquake",
        "地震後の長時間停電による非常用発電機の燃料不足",
        "大きな地震の後、地域の停電が3日間続き、非常用発電機の燃料が不足した。"
        "道路が寸断されて燃料の補給が遅れ、監視システムを一時停止した。",
        ("監視システム", "約8時間、現地での目視点検に切り替えた。"),
        "燃料の優先供給協定を結び、備蓄量を72時間分に増やした。",
        "unavailability",
        ("environmental.natural_disaster", "environmental.power_outage"),
    ),
    CorpusCase(
        "held-ddos-booking",
        "ddos",
        "DDoS攻撃によるオンライン予約システムの停止",
        "オンライン予約システムに大量の通信が送り付けられ、予約の受付が約3時間停止した。"
        "通信元は国外の多数のIPアドレスで、攻撃は断続的に2日間続いた。",
        ("オンライン予約", "電話での受付に切り替えた。"),
        "DDoS対策サービスを導入し、通信事業者との連絡手順を定めた。",
        "unavailability",
        ("intentional.dos",),
    ),
    CorpusCase(
        "held-lonely-pandemic",
        "pandemic",
        "感染症の流行による運転要員の不足",
        "感染症の流行で運転員の3割が同時に出勤できなくなり、交代勤務の体制を維持するのが難しくなった。"
        "他の事業所から応援を受けて運転を続けた。",
        ("運転業務", "定期点検の一部を延期した。"),
        "要員が不足したときの応援体制と優先業務を事業継続計画に定めた。",
        "other",
        ("environmental.pandemic",),
    ),
]
