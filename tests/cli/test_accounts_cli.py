"""`appliance accounts` against a live hub: CSV import (create, then update by username), export
without passwords, list --json; a bad row names its line."""

import csv
import json


def test_import_export_round_trip(live_hub, tmp_path):
    source = tmp_path / "in.csv"
    source.write_text(
        "username,device,enabled,logged_in,package_name,tags,email,password,notes\n"
        "@alice,127.0.0.1:40001,true,false,,eu;new,a@example.com,pa55,\"x, y\"\n"
        "bob,,no,,com.zhiliaoapp.musically.go,,,,\n", encoding="utf-8")
    result = live_hub.cli("accounts", "import", str(source))
    assert result.exit_code == 0, result.output
    assert "created 2, updated 0" in result.output

    source.write_text("username,enabled\nbob,yes\n", encoding="utf-8")
    result = live_hub.cli("accounts", "import", str(source))
    assert "created 0, updated 1" in result.output

    listed = json.loads(live_hub.cli("accounts", "list", "--json").output)
    assert [(a["username"], a["enabled"], a["has_password"]) for a in listed] == [
        ("alice", True, True), ("bob", True, False)]
    assert live_hub.services.store.accounts.get_by_username("alice")["password"] == "pa55"

    target = tmp_path / "out.csv"
    result = live_hub.cli("accounts", "export", str(target))
    assert result.exit_code == 0 and "exported 2" in result.output
    rows = list(csv.DictReader(target.open(encoding="utf-8")))
    assert "password" not in rows[0] and "pa55" not in target.read_text()
    assert rows[0] == {"username": "alice", "device": "127.0.0.1:40001", "enabled": "true",
                       "logged_in": "false", "package_name": "com.zhiliaoapp.musically",
                       "tags": "eu;new", "email": "a@example.com"}
    assert rows[1]["package_name"] == "com.zhiliaoapp.musically.go"


def test_bad_rows_are_refused_with_their_line(live_hub, tmp_path):
    source = tmp_path / "bad.csv"
    source.write_text("username,enabled\ncarol,maybe\n", encoding="utf-8")
    result = live_hub.cli("accounts", "import", str(source))
    assert result.exit_code == 1 and "line 2: enabled must be true or false" in result.output
    source.write_text("username,package_name\ndave,not a package\n", encoding="utf-8")
    result = live_hub.cli("accounts", "import", str(source))
    assert result.exit_code == 1 and "dave" in result.output and "package_name" in result.output
    assert json.loads(live_hub.cli("accounts", "list", "--json").output) == []
