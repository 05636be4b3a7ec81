"""A monitor.ini section of an alerter or logger type that [reporting] does not list:
loaded by nothing, so it must be warned about, not silently unused."""

from pathlib import Path

from simplemon.config import load_config

MONITORS = "[a]\ntype = null\n"
MAIL = (
    "[mail]\ntype = email\nhost = 127.0.0.1\n"
    "from = a@example.test\nto = b@example.test\n"
)
LOG = "[file]\ntype = logfile\nfilename = out.log\n"


def write(tmp_path: Path, main: str) -> Path:
    (tmp_path / "monitors.ini").write_text(MONITORS, encoding="utf-8")
    path = tmp_path / "monitor.ini"
    path.write_text(main, encoding="utf-8")
    return path


def unlisted(tmp_path: Path, main: str) -> list[str]:
    config = load_config(write(tmp_path, main), environ={})
    return [w for w in config.warnings if "does not list it" in w]


def test_an_alerter_with_no_reporting_section_is_warned_about(tmp_path):
    assert unlisted(tmp_path, "[monitor]\ninterval = 30\n" + MAIL) == [
        f"{tmp_path / 'monitor.ini'}: [mail] type = email looks like an alerter, "
        "but [reporting] alerters does not list it; it is not used"
    ]


def test_an_alerter_and_a_logger_left_out_of_empty_lists_are_warned_about(tmp_path):
    main = "[monitor]\ninterval = 30\n[reporting]\nalerters =\nloggers =\n" + MAIL + LOG
    assert unlisted(tmp_path, main) == [
        f"{tmp_path / 'monitor.ini'}: [mail] type = email looks like an alerter, "
        "but [reporting] alerters does not list it; it is not used",
        f"{tmp_path / 'monitor.ini'}: [file] type = logfile looks like a logger, "
        "but [reporting] loggers does not list it; it is not used",
    ]


def test_listed_sections_are_not_warned_about(tmp_path):
    main = (
        "[monitor]\ninterval = 30\n[reporting]\nalerters = mail\nloggers = file\n"
        + MAIL
        + LOG
    )
    config = load_config(write(tmp_path, main), environ={})
    assert [a.name for a in config.alerters] == ["mail"]
    assert not unlisted(tmp_path, main)


def test_sections_of_other_types_stay_as_they_were(tmp_path):
    main = (
        "[monitor]\ninterval = 30\n[reporting]\n"
        "[notes]\nowner = ops\n"  # no type at all
        "[web]\ntype = tcp\nhost = 127.0.0.1\nport = 1\n"  # a monitor type
        "[odd]\ntype = pagerduty\n"  # no type we know
    )
    config = load_config(write(tmp_path, main), environ={})
    assert config.warnings == ()


def test_a_type_given_by_default_to_every_section_is_not_warned_about(tmp_path):
    main = (
        "[DEFAULT]\ntype = email\n[monitor]\ninterval = 30\n"
        "[reporting]\nalerters = mail\n" + MAIL.replace("type = email\n", "")
    ) + "[spare]\nnote = x\n"
    config = load_config(write(tmp_path, main), environ={})
    assert [a.type_name for a in config.alerters] == ["email"]
    assert not unlisted(tmp_path, main)


def test_the_check_imports_no_plugin_module(tmp_path):
    import subprocess
    import sys

    main = write(tmp_path, "[monitor]\ninterval = 30\n" + MAIL + LOG)
    code = (
        "import sys\n"
        "from simplemon.config import load_config\n"
        f"config = load_config({str(main)!r}, environ={{}})\n"
        "assert len(config.warnings) == 2, config.warnings\n"
        "print(sorted(m for m in sys.modules if m.startswith(('alerters', 'loggers'))))"
    )
    repo = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=repo,
        check=True,
    )
    assert result.stdout.strip() == "[]"
