"""Member lists (構成員名簿) as secretariats write them, for the tests of how an import file's encoding is told.

They were written before the rule that judges Shift_JIS text was tuned. TUNING was used while tuning it;
HELD_OUT was kept aside and only run once the rule was settled (test_import_text.py runs both the same way).
Each list is text; the tests save it in every encoding a secretariat's tools might use.
"""

from __future__ import annotations

HEADER = "code,name,ceptoar,unit,contact_name,contact_title,contact_role,email,phone\n"
JA_HEADER = "組織コード,名称,セプター,数え方,窓口 氏名,部署・役職,役割,電子メール,電話\n"

TUNING = {
    # Banks: kanji, hiragana, katakana, full-width brackets, ASCII addresses.
    "banks": HEADER
    + (
        "banks-9101,株式会社みらい銀行,banks,company,山田 太郎,システム部 課長,primary,yamada@mirai-bank.example.jp,03-1234-5678\n"
        "banks-9101,,banks,,佐藤 花子,システム部 主任,backup,sato@mirai-bank.example.jp,03-1234-5679\n"
        "banks-9102,ひまわり信用金庫,banks,company,鈴木 一郎,事務統括部（情報セキュリティ担当）,primary,suzuki@himawari-shinkin.example.jp,045-111-2222\n"
        "banks-9103,あおば信用組合,banks,company,高橋 美咲,リスク管理部 部長,head,takahashi@aoba-shinkumi.example.jp,022-333-4444\n"
    ),
    # Water utilities, with Japanese column names.
    "water": JA_HEADER
    + (
        "water-9201,みどり市水道局,water,water_utility,水野 花子,浄水課 課長補佐,primary,mizuno@midori-water.example.jp,048-000-0001\n"
        "water-9202,さくら町上下水道課,water,water_utility,桜井 健,施設係,primary,sakurai@sakura-town.example.lg.jp,0279-00-0002\n"
        "water-9203,北部広域水道企業団,water,water_utility,北村 誠,総務課,backup,kitamura@hokubu-suido.example.jp,011-000-0003\n"
    ),
    # Names in kanji only: read as cp932, EUC-JP bytes of kanji turn into half-width katakana that looks
    # like names.
    "kanji-only": HEADER
    + (
        "electricity-9301,東都電力,electricity,company,山田 太郎,情報部,primary,yamada@toto-denryoku.example.jp,03-0000-0001\n"
        "electricity-9302,関東送配電,electricity,company,田中 一郎,保安部,primary,tanaka@kanto-td.example.jp,03-0000-0002\n"
        "electricity-9303,北陸発電,electricity,company,中村 和夫,総務部,head,nakamura@hokuriku-hatsuden.example.jp,076-000-0003\n"
    ),
    # Shift_JIS only: NEC special characters (①, ㈱, №) and IBM extension kanji (髙, 﨑), as Windows saves them.
    "windows-extensions": HEADER
    + (
        "banks-9401,㈱髙島屋銀行,banks,company,髙橋 一郎,第①システム部,primary,takahashi@takashimaya-bank.example.jp,03-5555-0001\n"
        "banks-9402,山﨑信用金庫,banks,company,山﨑 次郎,№2センター,backup,yamazaki@yamazaki-shinkin.example.jp,06-5555-0002\n"
        "banks-9403,㈲はなまる証券,banks,company,花丸 三郎,Ⅲ課,primary,hanamaru@hanamaru.example.jp,092-555-0003\n"
    ),
    # Half-width katakana, as banks' systems still write names (ｶ) = 株式会社).
    "half-width-kana": HEADER
    + (
        "banks-9501,ｶ)ﾐﾄﾞﾘｷﾞﾝｺｳ,banks,company,ﾔﾏﾀﾞ ﾀﾛｳ,ｼｽﾃﾑﾌﾞ,primary,yamada@midori-bank.example.jp,03-6666-0001\n"
        "banks-9502,ﾋﾏﾜﾘｼﾝﾖｳｷﾝｺ,banks,company,ｽｽﾞｷ ﾊﾅｺ,ｼﾞﾑｾﾝﾀｰ,primary,suzuki@himawari.example.jp,03-6666-0002\n"
    ),
    # A one-row file: little text to judge by.
    "one-row": HEADER
    + "gas-9601,東邦瓦斯,gas,company,伊藤 誠,保安課,primary,ito@toho-gas.example.jp,052-000-0001\n",
    # European names, for Latin-1.
    "latin": HEADER
    + (
        "banks-9701,Société Générale Tokyo,banks,company,Amélie Dupré,Sécurité,primary,amelie@sg.example.fr,03-7777-0001\n"
        "banks-9702,Müller & Söhne Bank,banks,company,Jürgen Groß,IT-Abteilung,primary,juergen@mueller.example.de,03-7777-0002\n"
        "banks-9703,Banco Español,banks,company,José Peña,Informática,backup,jose@bancoes.example.es,03-7777-0003\n"
    ),
}

HELD_OUT = {
    # Gas and electricity: katakana-heavy company names, long-vowel marks and middle dots.
    "energy": HEADER
    + (
        "gas-9801,エネルギー・ソリューションズ株式会社,gas,company,小林 さくら,セキュリティ・オペレーション・センター,desk_24x7,soc@energy-sol.example.jp,03-8888-0001\n"
        "gas-9802,パシフィックガス,gas,company,渡辺 ゆうき,ネットワーク管理グループ,primary,watanabe@pacific-gas.example.jp,03-8888-0002\n"
        "electricity-9803,グリーンパワー発電,electricity,company,加藤 ひろし,運用チーム リーダー,primary,kato@greenpower.example.jp,03-8888-0003\n"
    ),
    # Family names with less common kanji (JIS level 2) and a Windows-only character.
    "rare-kanji": JA_HEADER
    + (
        "local-government-9901,霞ヶ浦町,local-government,body,渡邉 聡,総務課 情報係,primary,watanabe@kasumigaura.example.lg.jp,029-000-0001\n"
        "local-government-9902,鰺ヶ沢村,local-government,body,齋藤 瑛,企画課,primary,saito@ajigasawa.example.lg.jp,0173-00-0002\n"
        "local-government-9903,濵松市,local-government,body,嶋田 遼,デジタル推進課 ㈱委託先窓口,backup,shimada@hamamatsu.example.lg.jp,053-000-0003\n"
    ),
    # Hospitals: kanji-only again, short lines.
    "medical": HEADER
    + (
        "medical-9911,中央総合病院,medical,institution,医療 太郎,情報管理室,primary,it@chuo-hosp.example.jp,03-9999-0001\n"
        "medical-9912,東邦医科大学病院,medical,institution,石井 健一,医療情報部,primary,ishii@toho-med.example.jp,03-9999-0002\n"
    ),
    # Portuguese and Scandinavian names, for Latin-1.
    "latin-2": HEADER
    + (
        "logistics-9921,Transportes Açores,logistics,company,João Gonçalves,Operações,primary,joao@acores.example.pt,03-9990-0001\n"
        "logistics-9922,Ærø Fragt,logistics,company,Søren Ødegård,Drift,primary,soren@aero.example.dk,03-9990-0002\n"
    ),
}
