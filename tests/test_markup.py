from petition.markup import plain_summary, render_campaign


def render(body: str, why: str = "", footnotes=(1, 2)) -> tuple[str, str, frozenset]:
    result = render_campaign(body, why, frozenset(footnotes))
    return str(result.body), str(result.why_important), result.referenced_footnotes


def test_marker_without_a_footnote_stays_plain_text():
    body, _, referenced = render("Read this [7] and that [1].")

    assert "[7]" in body
    assert 'href="#fn-7"' not in body
    assert referenced == {1}


def test_repeated_marker_gets_unique_ids_across_both_sections():
    body, why, _ = render("First [1].", "Again [1].")

    assert 'id="fnref-1"' in body
    assert 'id="fnref-1-2"' in why
    assert why.count('href="#fn-1"') == 1


def test_marker_inside_a_link_is_left_alone():
    body, _, referenced = render("[see [1] here](https://example.org)")

    assert body.count("<a ") == 1
    assert referenced == frozenset()


def test_raw_html_is_escaped_and_unsafe_links_are_not_made():
    body, _, _ = render(
        '<b onclick="x()">bold</b> [x](javascript:alert(1)) [y](https://ok.example)'
    )

    assert "<b " not in body
    assert "&lt;b onclick" in body
    assert 'href="javascript:' not in body
    assert 'href="https://ok.example"' in body


def test_summary_is_the_first_paragraph_as_plain_text():
    summary = plain_summary("Hello *brave* [world](https://x.example).\n\nSecond.")

    assert summary == "Hello brave world."


def test_long_summary_is_cut_at_a_word_boundary():
    summary = plain_summary("word " * 100, max_chars=30)

    assert summary.endswith("…")
    assert len(summary) <= 30
    assert "wor…" not in summary


def test_organizer_headings_sit_below_the_page_title_and_sections():
    body, _, _ = render("# Big\n\n## Smaller\n\nSub\n---\n\n###### Tiny")

    assert "<h1" not in body
    assert "<h2" not in body
    assert "<h3>Big</h3>" in body
    assert "<h4>Smaller</h4>" in body
    assert "<h4>Sub</h4>" in body
    assert "<h6>Tiny</h6>" in body


def test_reference_definition_cannot_hijack_a_footnote_marker():
    body, _, referenced = render("A claim.[1]\n\n[1]: https://elsewhere.example")

    assert 'href="#fn-1"' in body
    assert "elsewhere.example" not in body.split("</p>")[0]
    assert referenced == {1}


def test_marker_link_names_the_footnote_for_screen_readers():
    body, _, _ = render("A claim.[2]")

    assert 'aria-label="Footnote 2"' in body


def test_zero_padded_marker_is_not_a_footnote():
    body, _, referenced = render("Item [01] and [0].")

    assert referenced == frozenset()
    assert "[01]" in body
