from tests.docgen import BLOCK, all_pages, expected_pages, render


def test_every_plugin_has_a_docs_page_with_its_option_table():
    for path, _ in expected_pages().items():
        assert path.exists(), f"missing docs page {path}"
        assert BLOCK.search(path.read_text(encoding="utf-8")), (
            f"{path} has no <!-- options:begin --> … <!-- options:end --> block"
        )


def test_option_tables_in_docs_match_the_code():
    stale = []
    for path, cls in all_pages().items():
        if not path.exists():
            continue
        text = path.read_text(encoding="utf-8")
        if render(text, cls) != text:
            stale.append(str(path))
    assert stale == [], "run `python -m tests.docgen` to refresh: " + ", ".join(stale)
