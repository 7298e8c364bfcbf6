"""Alert bodies: Markdown in, sanitised HTML out."""

import re

from ceptoar.alerts.rendering import render_markdown


def test_markdown_renders_the_usual_structure():
    html = render_markdown(
        "# 概要\n\n- **至急** 対応\n- `CVE-2026-0001`\n\n| 項目 | 値 |\n|---|---|\n| a | b |"
    )
    assert "<h1>概要</h1>" in html
    assert "<strong>至急</strong>" in html
    assert "<code>CVE-2026-0001</code>" in html
    assert "<table>" in html and "<td>b</td>" in html


def test_raw_html_and_scripts_never_reach_the_reader():
    html = render_markdown(
        '<script>alert(1)</script>\n\n<img src=x onerror="alert(2)">\n\n<iframe src="//x"></iframe>'
    )
    assert "<script" not in html and "<img" not in html and "<iframe" not in html
    assert "onerror" not in html or "&lt;img" in html  # shown as text at most, never as markup


def test_dangerous_links_lose_their_target_and_safe_ones_get_rel():
    html = render_markdown(
        "[click](javascript:alert(1)) [data](data:text/html,x) [nisc](https://www.example.jp/a)"
    )
    # Shown as text at most, never as a link.
    assert 'href="javascript' not in html and 'href="data' not in html
    assert html.count("<a ") == 1
    assert 'href="https://www.example.jp/a"' in html
    assert 'rel="noopener noreferrer nofollow"' in html


def test_empty_body_is_empty():
    assert render_markdown("").strip() == ""


# -- e-mail ------------------------------------------------------------------------------------------


def test_the_plain_text_of_a_body_has_no_markdown_syntax():
    from ceptoar.alerts.rendering import markdown_as_text

    text = markdown_as_text(
        "# 概要\n\n### 詳細\n\n**至急** _対応_ ~~旧版~~\n\n- [注意喚起](https://www.example.jp/a)\n"
        "- <https://www.example.jp/b>\n  - [連絡](mailto:soc@example.jp)\n\n3. 三\n4. 四\n\n"
        "```\nblock 1 * 2\n```\n\n---\n\n| 項目 | 値 |\n|---|---|\n| a | b |\n"
    )
    assert text.splitlines()[:4] == ["【概要】", "", "■ 詳細", ""]
    assert "至急 対応 旧版" in text
    assert "・注意喚起 (https://www.example.jp/a)" in text
    assert "・https://www.example.jp/b" in text and "　・連絡 (soc@example.jp)" in text
    assert "3. 三\n4. 四" in text
    assert "    block 1 * 2" in text  # code stays as written, indented
    assert "項目 | 値\na | b" in text
    for syntax in ("#", "**", "_対応_", "~~", "](", "<https", "```", "---"):
        assert syntax not in text, syntax


def test_the_e_mail_html_of_a_body_links_nowhere_and_loads_nothing():
    from ceptoar.alerts.rendering import markdown_as_email_html

    html = markdown_as_email_html(
        "[注意喚起](https://www.example.jp/a) ![図](https://tracker.example/p.png) "
        "[x](javascript:alert(1)) <https://www.example.jp/b>\n\n<img src=https://tracker.example/q.png>"
    )
    assert "<a" not in html and "<img" not in html
    assert not re.search(r"<[^>]*\s(src|href)=", html)  # no attribute that loads or links
    assert "&lt;img src=" in html  # what the author typed is shown as text
    assert "注意喚起 (https://www.example.jp/a)" in html and "図 (https://tracker.example/p.png)" in html
    assert 'style="' in html  # each element styled inline


def test_the_last_pass_keeps_only_links_to_the_installation():
    from ceptoar.alerts.rendering import inert_email_html

    html = inert_email_html(
        '<p style="color:#000;position:fixed;background-image:url(https://t.example/x)">'
        '<a href="https://portal.example.jp/alerts/1/">own</a> <a href="https://evil.example/">other</a>'
        '<img src="https://t.example/p.png"><script>x()</script><link rel="stylesheet" href="https://t.example/s.css"></p>',
        "https://portal.example.jp/",
    )
    assert html.count("href=") == 1 and 'href="https://portal.example.jp/alerts/1/"' in html
    assert "evil.example" not in html and "t.example" not in html and "<script" not in html
    assert 'style="color:#000"' in html  # allowed properties stay, the others go


def test_long_lines_are_folded_under_the_mail_limit_without_changing_what_shows():
    from ceptoar.alerts.rendering import fold_html, fold_text

    sentence = "不審な通信を確認しました。"
    text = fold_text(sentence * 100)
    assert all(len(line.encode()) <= 998 for line in text.split("\n"))
    assert text.replace("\n", "") == sentence * 100
    assert all(line.endswith("。") for line in text.split("\n"))  # after punctuation
    html = f"<p><strong>{sentence * 100}</strong> &amp; {'x' * 2000}</p>"
    folded = fold_html(html)
    assert all(len(line.encode()) <= 998 for line in folded.split("\n"))
    assert folded.replace("<!--\n-->", "") == html
    assert fold_html("<p>短い</p>") == "<p>短い</p>"


def test_long_ascii_lines_are_folded_near_the_limit_at_a_space():
    from ceptoar.alerts.rendering import fold_text

    words = " ".join(["advisory"] * 300)  # 2,699 bytes
    lines = fold_text(words).split("\n")
    assert len(lines) == 3 and all(800 < len(line) <= 998 for line in lines[:-1])
    assert " ".join(lines) == words
