"""The embedded PostgreSQL helpers: private data directories, no widened parent folders."""

from __future__ import annotations

import stat
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from billing.core.embedded import (
    EmbeddedPostgresError,
    ensure_traversable,
    make_data_dir,
    repair_data_dir_mode,
    start_embedded_postgres,
)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


class TestRepairDataDirMode:
    def test_an_opened_data_directory_is_closed_again_with_one_notice(self, tmp_path: Path) -> None:
        data = tmp_path / "pg"
        data.mkdir(mode=0o755)
        data.chmod(0o755)
        (data / "PG_VERSION").write_text("16\n")
        notices: list[str] = []
        repair_data_dir_mode(data, notify=notices.append)
        assert mode(data) == 0o700
        assert notices == [f"repaired the mode of {data} from 0755 to 0700 (PostgreSQL needs it)"]

    def test_a_private_data_directory_is_left_alone(self, tmp_path: Path) -> None:
        data = tmp_path / "pg"
        data.mkdir(mode=0o750)
        data.chmod(0o750)
        (data / "PG_VERSION").write_text("16\n")
        notices: list[str] = []
        repair_data_dir_mode(data, notify=notices.append)
        assert mode(data) == 0o750
        assert notices == []

    def test_a_folder_that_is_no_data_directory_is_never_touched(self, tmp_path: Path) -> None:
        folder = tmp_path / "other"
        folder.mkdir()
        folder.chmod(0o755)
        repair_data_dir_mode(folder)
        assert mode(folder) == 0o755


class TestParentFolders:
    def test_a_closed_folder_the_project_does_not_own_is_explained_not_opened(
        self, tmp_path: Path
    ) -> None:
        closed = tmp_path / "home"
        (closed / "project").mkdir(parents=True)
        closed.chmod(0o700)
        with pytest.raises(EmbeddedPostgresError, match=r"cannot enter .*home \(mode 0700\)"):
            ensure_traversable(closed / "project" / "pg", owned=())
        assert mode(closed) == 0o700

    def test_owned_folders_only_gain_traversal(self) -> None:
        # Under /tmp itself: pytest's tmp_path sits in a private folder of the test runner.
        with tempfile.TemporaryDirectory(dir="/tmp") as scratch:
            owned = Path(scratch) / "runtime"
            (owned / "socket").mkdir(parents=True)
            owned.chmod(0o700)
            ensure_traversable(owned / "socket" / "x", owned=(Path(scratch),))
            assert mode(owned) == 0o711

    def test_a_data_directory_inside_another_is_refused_before_starting(
        self, tmp_path: Path
    ) -> None:
        outer = tmp_path / ".data"
        outer.mkdir(mode=0o700)
        (outer / "PG_VERSION").write_text("16\n")
        with pytest.raises(EmbeddedPostgresError, match="inside the PostgreSQL data directory"):
            start_embedded_postgres(outer / "test-pg")
        assert mode(outer) == 0o700
        assert not (outer / "test-pg").exists()


def _make_when_all_ready(data: Path, start: threading.Barrier) -> None:
    start.wait()
    make_data_dir(data)


class TestDataDirCreation:
    def test_processes_starting_together_all_get_the_data_directory(self, tmp_path: Path) -> None:
        # Test workers start the embedded server at the same moment: each finds the folders
        # missing, and all but the first find them made by the time they create them.
        rounds, racers = 30, 8
        with ThreadPoolExecutor(max_workers=racers) as pool:
            for round_ in range(rounds):
                data = tmp_path / f"round-{round_}" / ".test-data" / "pg"
                start = threading.Barrier(racers)
                racing = [pool.submit(_make_when_all_ready, data, start) for _ in range(racers)]
                for racer in racing:
                    racer.result()  # raises what the racer raised
                assert mode(data) == 0o700

    def test_an_existing_data_directory_keeps_its_contents(self, tmp_path: Path) -> None:
        data = tmp_path / "pg"
        make_data_dir(data)
        (data / "PG_VERSION").write_text("16\n")
        make_data_dir(data)
        assert (data / "PG_VERSION").read_text() == "16\n"
