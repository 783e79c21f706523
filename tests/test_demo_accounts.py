"""`manage.py demoaccounts`, which `make run` runs for a first look at the workspace."""

from django.contrib.auth import get_user_model
from django.core.management import call_command


def test_a_database_started_afresh_leaves_only_the_new_passwords_on_file(
    db, settings, tmp_path, capsys
):
    settings.DEBUG = True
    settings.VAR_DIR = tmp_path
    credentials = tmp_path / "demo-accounts.txt"
    call_command("demoaccounts")
    first = credentials.read_text()
    assert [line.split(" / ")[0] for line in first.splitlines()] == ["analyst", "editor"]

    call_command("demoaccounts")  # the accounts exist: nothing changes
    assert credentials.read_text() == first
    assert "Demo accounts 'analyst' and 'editor' exist (see " in capsys.readouterr().out

    get_user_model().objects.all().delete()  # as after removing the database file
    call_command("demoaccounts")
    lines = credentials.read_text().splitlines()
    assert [line.split(" / ")[0] for line in lines] == ["analyst", "editor"]
    for line in lines:
        username, rest = line.split(" / ", 1)
        password = rest.split("  (", 1)[0]
        assert get_user_model().objects.get(username=username).check_password(password)
    assert credentials.stat().st_mode & 0o777 == 0o600
