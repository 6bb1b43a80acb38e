"""`appliance db backup` without a running hub (security review): the copy holds the accounts'
passwords, so it is 0600 in a 0700 folder."""

import json
from pathlib import Path

from appliance.storage import Store


def test_backup_from_the_store_directly_is_private(cli):
    with Store.open(cli.state_dir):
        pass
    answer = cli("db", "backup", "--json")
    assert answer.exit_code == 0, answer.output
    written = Path(json.loads(answer.output)["path"])
    assert written.stat().st_mode & 0o777 == 0o600
    assert written.parent.stat().st_mode & 0o777 == 0o700
