"""The store's codes, codebook versions and NLP caches (store.codes, .versions, .annotations)."""

from __future__ import annotations

import pytest

from qualcode.store.codes import Code, CodeSpec

SPECS = [
    CodeSpec("identity", "Identity", color="#aa0000"),
    CodeSpec("identity/memory", "Memory", "identity", definition="Remembering the mines",
             examples=["mon père était mineur", "la fosse"]),
    CodeSpec("future", "Future"),
]


def test_sync_inserts_with_parents_then_writes_only_changes(project):
    codes = project.store.codes
    with project.store.transaction():
        first = codes.sync(SPECS)
    assert first.added == ["identity", "identity/memory", "future"] and not first.updated and first.changed
    assert list(first.ids) == ["identity", "identity/memory", "future"]
    memory = codes.by_path("identity/memory")
    assert isinstance(memory, Code)
    assert memory.parent_id == first.ids["identity"] and memory.status == "active" and memory.active
    assert memory.examples == ["mon père était mineur", "la fosse"]
    assert memory.created_at == memory.updated_at
    assert codes.get(first.ids["future"]) == codes.by_path("future")
    assert codes.by_path("nope") is None and codes.get(999) is None

    with project.store.transaction():
        again = codes.sync(SPECS)
    assert again.ids == first.ids and not again.changed

    with project.store.transaction():
        codes.set_status([first.ids["future"]], "retired")
        changed = codes.sync([SPECS[0], CodeSpec("future", "Future prospects"),
                              CodeSpec("future/jobs", "Jobs", "future")])
    assert changed.added == ["future/jobs"] and changed.updated == ["future"]
    future = codes.by_path("future")
    assert future is not None and future.label == "Future prospects" and future.status == "active"
    assert codes.by_path("future/jobs").parent_id == future.id  # type: ignore[union-attr]
    assert codes.by_path("identity/memory").label == "Memory"  # type: ignore[union-attr]  # not synced: kept


def test_reads(project):
    codes = project.store.codes
    with project.store.transaction():
        ids = codes.sync(SPECS).ids
    assert [c.path for c in codes.all()] == ["identity", "identity/memory", "future"]
    assert codes.paths() == ["future", "identity", "identity/memory"]
    assert codes.ids_by_path() == ids
    assert codes.colors() == {"identity": "#aa0000", "identity/memory": None, "future": None}
    assert [c.path for c in codes.subtree("identity")] == ["identity", "identity/memory"]
    assert codes.subtree("ident") == []
    assert [c.path for c in codes.children("identity")] == ["identity/memory"]
    assert codes.children("future") == [] and codes.children("nope") == []
    assert codes.coded_paths() == set()
    assert not codes.in_use(ids["identity"])
    usage = codes.active_with_usage(machine_coder="rules")
    assert [(u.code.path, u.people) for u in usage] == [("identity", 0), ("identity/memory", 0), ("future", 0)]


def test_paths_status_delete(project):
    codes = project.store.codes
    with project.store.transaction():
        ids = codes.sync(SPECS).ids
        # a swap within the set: no UNIQUE clash
        codes.set_paths({ids["identity"]: "future", ids["future"]: "identity"})
    assert codes.ids_by_path() == {"future": ids["identity"], "identity/memory": ids["identity/memory"],
                                   "identity": ids["future"]}
    with project.store.transaction():
        codes.set_status([ids["identity/memory"], ids["future"]], "retired")
    assert [c.path for c in codes.all() if c.status == "retired"] == ["identity/memory", "identity"]
    with project.store.transaction():
        codes.delete([ids["identity/memory"], ids["identity"]])  # the child first
    assert codes.paths() == ["identity"]


def test_codebook_versions(project):
    versions = project.store.versions
    assert versions.all() == [] and versions.last() is None
    with project.store.transaction():
        assert versions.record(version="aaa", content_hash="aaa111", title="One", source="a.yaml", content="x: 1\n")
        assert versions.record(version="bbb", content_hash="bbb222", title="Two", source=None, content="x: 2\n")
        assert not versions.record(version="aaa", content_hash="aaa111", title="One again", source="b.yaml",
                                   content="x: 3\n")
    assert [v.version for v in versions.all()] == ["aaa", "bbb"]
    last = versions.last()
    assert last is not None and last.version == "bbb" and last.source is None and last.content == "x: 2\n"
    got = versions.get("aaa")
    assert got is not None and got.title == "One" and got.content == "x: 1\n"
    assert versions.get("zzz") is None


@pytest.fixture
def doc_id(project) -> int:
    with project.store.transaction():
        return project.store.documents.insert(name="d", source_path=None, fmt="txt", encoding=None,
                                              content_hash="h", text="Bonjour.", meta={})


def test_annotation_cache(project, doc_id):
    cache = project.store.annotations
    assert cache.get(doc_id, "k1") is None
    with project.store.transaction():
        cache.put(doc_id, cache_key="k1", pipeline="p", data=b"\x00one")
    assert cache.get(doc_id, "k1") == b"\x00one"
    assert cache.get(doc_id, "k2") is None  # stale
    with project.store.transaction():
        cache.put(doc_id, cache_key="k2", pipeline="p", data=b"two")
    assert cache.get(doc_id, "k2") == b"two" and cache.get(doc_id, "k1") is None


def test_term_cache(project):
    cache = project.store.annotations
    assert cache.terms("k1") == {}
    with project.store.transaction():
        cache.put_terms("k1", {"fosse": [["fosse", "fosse"]], "mineurs": [["mineurs", "mineur"]]})
        cache.put_terms("k1", {})
    assert cache.terms("k1") == {"fosse": [["fosse", "fosse"]], "mineurs": [["mineurs", "mineur"]]}
    with project.store.transaction():
        cache.put_terms("k2", {"été": [["été", "être"]]})  # another pipeline: the old ones go
    assert cache.terms("k1") == {} and cache.terms("k2") == {"été": [["été", "être"]]}
