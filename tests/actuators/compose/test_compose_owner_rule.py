"""The pure rule of Compose ownership (reconciler/actuators/compose/owner.py): a container
is this state's when it was made from the directory of the entry's desired files or of the
files this state last applied it from; evaluated on the two-checkouts and shared-state
scenarios of docs/compose.md ("Ownership")."""

from __future__ import annotations

from reconciler.actuators.compose.cli import PsRow
from reconciler.actuators.compose.owner import entry_dir, foreign_origin, origin, recorded_dirs


def row(working_dir: str = "", files: tuple[str, ...] = ()) -> PsRow:
    return PsRow("c1", "p-web-1", "p", "web", "h", "running", "Up", config_files=files,
                 working_dir=working_dir)


def test_origin_is_the_working_dir_else_the_first_absolute_file() -> None:
    assert origin(row("/src/a/")) == "/src/a"
    assert origin(row(files=("/src/b/compose.yaml", "/x/o.yaml"))) == "/src/b"
    assert origin(row(files=("compose.yaml",))) == ""  # relative, no working dir: unknown
    assert origin(row()) == ""


def test_entry_dir_and_recorded_dirs() -> None:
    assert entry_dir(["/src/a/sub/../compose.yaml"]) == "/src/a"
    assert entry_dir([]) is None
    assert recorded_dirs({"working_dir": "/src/a", "files": ["/src/a/deploy/c.yaml"]}) == \
        {"/src/a", "/src/a/deploy"}
    assert recorded_dirs({"files": "not a list"}) == set()


def test_two_checkouts_with_their_own_state() -> None:
    first = [row("/src/one")]
    # the second never recorded the entry: only its own directory is known
    assert foreign_origin(first, {"/src/two"}) == {"state_id": "", "dir": "/src/one"}
    # after the second took over with --adopt, the first's record names its own directory
    assert foreign_origin([row("/src/two")], {"/src/one"} | recorded_dirs(
        {"working_dir": "/src/one"})) == {"state_id": "", "dir": "/src/two"}


def test_shared_state_record_names_the_directory_applied_from() -> None:
    record = recorded_dirs({"working_dir": "/src/one", "files": ["/src/one/compose.yaml"]})
    assert foreign_origin([row("/src/one")], {"/src/two"} | record) is None


def test_state_loss_in_the_same_checkout_and_old_compose_are_ours() -> None:
    assert foreign_origin([row("/src/one")], {"/src/one"}) is None
    assert foreign_origin([row()], {"/src/two"}) is None  # no origin label: as before


def test_another_spelling_of_the_same_directory_is_ours() -> None:
    spellings = {"/tmp/link": "/real/one"}
    assert foreign_origin([row("/tmp/link")], {"/real/one"}, spellings) is None
    assert foreign_origin([row("/tmp/link")], {"/real/two"}, spellings) == \
        {"state_id": "", "dir": "/tmp/link"}


def test_any_foreign_replica_makes_the_service_foreign() -> None:
    assert foreign_origin([row("/src/one"), row("/src/two")], {"/src/one"}) == \
        {"state_id": "", "dir": "/src/two"}
