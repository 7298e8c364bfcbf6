"""Alert bodies: Markdown in, sanitised HTML out."""

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
