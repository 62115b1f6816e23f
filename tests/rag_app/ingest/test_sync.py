"""Folders kept in sync: after each sync the store holds exactly each folder's current files, and a
folder never touches another's."""

from __future__ import annotations

import pytest

from rag_app.ingest.pipeline import InputFile
from rag_app.ingest.sync import SyncedFolder, folder_files, plan, read_record, register
from rag_app.service import RagService
from rag_app.settings import Settings

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


def held(service: RagService) -> dict[str, str]:
    return {f["source"]: f["sha256"] for f in service.documents()}


def expected(folder, key: str) -> dict[str, str]:
    from loaders import file_sha256

    return {
        f"{key}/{p.relative_to(folder).as_posix()}": file_sha256(p)
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.name.startswith(".") and not p.name.endswith("~")
    }


def test_add_change_delete_and_rename_between_two_syncs(tmp_path, bundled_embeddings):
    folder = tmp_path / "notes"
    (folder / "garden").mkdir(parents=True)
    (folder / "koalas.txt").write_text("Koalas sleep up to twenty hours a day in eucalyptus trees.")
    (folder / "garden" / "roses.md").write_text("# Roses\n\nPrune roses in March above an outward bud.")
    (folder / "tea.txt").write_text("Green tea is brewed with water at about eighty degrees.")
    (folder / "old-name.txt").write_text("Lighthouses guide ships past the rocks at night.")
    (folder / ".draft.txt").write_text("hidden drafts are never synced")
    (folder / "tea.txt~").write_text("an editor's backup")
    service = RagService(Settings(store_dir=tmp_path / "store"), embeddings=bundled_embeddings)
    first = {o.source: o.line() for o in service.sync([folder]).outcomes}
    assert all(line.startswith("indexed") for line in first.values()) and len(first) == 4
    assert held(service) == expected(folder, "notes")  # no hidden draft, no editor's backup

    (folder / "new.txt").write_text("Otters hold hands while they sleep so they do not drift apart.")
    (folder / "koalas.txt").write_text("Koalas eat eucalyptus leaves and little else.")
    (folder / "tea.txt").unlink()
    (folder / "old-name.txt").rename(folder / "garden" / "new-name.txt")
    second = {o.source: o.line() for o in service.sync([folder]).outcomes}
    assert second["notes/new.txt"].startswith("indexed")
    assert "replaced the earlier version" in second["notes/koalas.txt"]
    assert second["notes/tea.txt"] == "removed: deleted from the folder"
    assert second["notes/old-name.txt"] == "removed: deleted from the folder"
    assert second["notes/garden/new-name.txt"].startswith("indexed")  # not skipped as its old name's twin
    assert second["notes/garden/roses.md"] == "skipped: already indexed"
    assert held(service) == expected(folder, "notes")
    hit = service.query("Why do otters hold hands?", 1).passages[0]
    assert hit.source == "notes/new.txt"


def test_two_folders_of_one_name_never_delete_each_others_files(tmp_path, bundled_embeddings):
    a, b = tmp_path / "a" / "docs", tmp_path / "b" / "docs"
    for folder, text in ((a, "Walruses haul out on sea ice."), (b, "Puffins nest in burrows on cliffs.")):
        folder.mkdir(parents=True)
        (folder / "note.txt").write_text(text)
    service = RagService(Settings(store_dir=tmp_path / "store"), embeddings=bundled_embeddings)
    service.ingest([tmp_path / "a"])  # an ordinary ingest, as docs/note.txt: no folder owns it
    (tmp_path / "a" / "docs" / "note.txt").write_text("Walruses haul out on sea ice in summer.")
    service.sync([a, b])
    assert set(held(service)) == {"docs/note.txt", "docs-2/note.txt"}
    (b / "note.txt").unlink()
    outcomes = {o.source: o.line() for o in service.sync([b]).outcomes}
    assert outcomes == {"docs-2/note.txt": "removed: deleted from the folder"}
    assert set(held(service)) == {"docs/note.txt"}
    assert read_record(tmp_path / "store") == {"docs": str(a.resolve()), "docs-2": str(b.resolve())}


def test_a_plan_removes_only_what_its_folder_owns(tmp_path):
    folder = SyncedFolder("notes", tmp_path)
    (tmp_path / "kept.txt").write_text("x")
    ledger = [
        {"source": "notes/kept.txt", "origin": "notes"},
        {"source": "notes/gone.txt", "origin": "notes"},
        {"source": "notes/manual.txt"},  # ingested by hand under a look-alike name
        {"source": "notes/other.txt", "origin": "notes-2"},
    ]
    result = plan(folder, ledger)
    assert result.gone == ["notes/gone.txt"]
    assert result.files == [InputFile(tmp_path / "kept.txt", "notes/kept.txt", origin="notes")]
    assert folder_files(folder) == result.files


def test_registering_a_missing_folder_is_refused(tmp_path):
    with pytest.raises(ValueError, match="no such folder"):
        register(tmp_path / "store", tmp_path / "nowhere")
