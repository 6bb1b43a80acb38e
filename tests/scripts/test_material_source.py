"""Where post's media come from (issue 12): the material library (account's own first, sort
order, tags, marked used only after a successful post and never picked again, across a restart
too; two phones never get the same material) and localFolder (`@username/` subfolders,
caption.txt, sound_names.txt, confined to the media folder)."""

import random
import threading
from datetime import UTC, datetime
from io import BytesIO
from types import SimpleNamespace
from urllib.parse import urlencode

import pytest

from appliance.errors import InvalidParams
from appliance.scripts.material_source import HubMaterials, NoMaterial, caption_for
from appliance.scripts.post import Post
from appliance.services.materials import MaterialService
from appliance.storage import Store

from .phonehub import COMPLETED, FAILED, messages, run_tasks

MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64


def clock():
    return datetime(2026, 1, 1, tzinfo=UTC)


def library(state_dir):
    store = Store.open(state_dir)
    return store, MaterialService(SimpleNamespace(state_dir=state_dir), store, clock)


def add(service, body, name, **meta):
    return service.register(service.receive(BytesIO(body), 1 << 20), name, meta)


def pick(service, username=None, tags=(), count=1, kind="video", serial="S1"):
    return service.pick(username=username, serial=serial, tags=list(tags), count=count,
                        kind=kind, task_id=None)


# --- the library ------------------------------------------------------------------------------


def test_library_prefers_the_accounts_own_then_sort_order_and_tags(tmp_path):
    store, service = library(tmp_path / "state")
    try:
        plain = add(service, MP4, "sort_5_plain.mp4", tags=["dance"])
        early = add(service, MP4, "sort_1_early.mp4", tags=["food"])
        bobs = add(service, MP4, "sort_9_bob.mp4", tags=["dance"], username="@bob")
        add(service, MP4, "alice.mp4", tags=["dance"], username="alice")
        add(service, PNG, "pic.png", tags=["dance"])
        assert [m.id for m in pick(service, "@Bob", ["dance"])] == [bobs["id"]]
        service.release([bobs["id"]])
        # no account: bound materials are someone else's; sort number decides
        assert [m.id for m in pick(service)] == [early["id"]]
        service.release([early["id"]])
        assert [m.id for m in pick(service, tags=["DANCE", "nothing"])] == [plain["id"]]
        (png,) = pick(service, kind="images")
        assert png.path.suffix == ".png" and png.path.read_bytes() == PNG
    finally:
        store.close()


def test_used_only_after_success_and_never_again_across_a_restart(tmp_path):
    store, service = library(tmp_path / "state")
    try:
        first = add(service, MP4, "a.mp4", caption="my caption")
        (m,) = pick(service)
        assert m.caption == "my caption" and service.get(first["id"])["reserved"]
        with pytest.raises(NoMaterial, match="no unused material"):   # reserved: not again
            pick(service, serial="S2")
        service.release([m.id])                                        # a failed post
        (again,) = pick(service, serial="S2")
        assert again.id == m.id
        service.used([again.id])
        shown = service.get(m.id)
        assert shown["used"] and not shown["reserved"] and shown["used_by"]["serial"] == "S2"
    finally:
        store.close()
    store, service = library(tmp_path / "state")   # a restart: the mark is in the store
    try:
        with pytest.raises(NoMaterial, match="no unused material in the material library"):
            pick(service)
        assert service.list({"used": True})["total"] == 1
    finally:
        store.close()


def test_two_phones_picking_at_once_never_get_the_same_material(tmp_path):
    store, service = library(tmp_path / "state")
    try:
        for i in range(40):
            add(service, MP4, f"m{i}.mp4")
        got: dict[str, list[int]] = {"A": [], "B": [], "C": []}
        start = threading.Barrier(3)

        def worker(serial):
            start.wait()
            while True:
                try:
                    (m,) = pick(service, serial=serial)
                except NoMaterial:
                    return
                got[serial].append(m.id)

        threads = [threading.Thread(target=worker, args=(s,)) for s in got]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        every = got["A"] + got["B"] + got["C"]
        assert sorted(every) == list(range(1, 41))          # each once, none twice
    finally:
        store.close()


def test_a_reserved_material_cannot_be_deleted(tmp_path):
    store, service = library(tmp_path / "state")
    try:
        doc = add(service, MP4, "a.mp4")
        pick(service)
        with pytest.raises(InvalidParams, match="being posted"):
            service.delete(doc["id"])
        service.release([doc["id"]])
        assert service.delete(doc["id"]) == {"deleted_ids": [doc["id"]]}
    finally:
        store.close()


# --- localFolder ------------------------------------------------------------------------------


def folder_pick(source, username, count=1, kind="video", folder="batch"):
    return source.pick(source="localFolder", username=username, serial="S", tags=[],
                       material_list=[], folder=folder, count=count, kind=kind,
                       rng=random.Random(3))


def test_local_folder_uses_the_accounts_subfolder_and_its_caption_and_sounds(tmp_path):
    root = tmp_path / "media"
    (root / "batch" / "@alice").mkdir(parents=True)
    (root / "batch" / "shared.mp4").write_bytes(b"x")
    (root / "batch" / "caption.txt").write_text("shared caption\n")
    (root / "batch" / "@alice" / "hers.mp4").write_bytes(b"x")
    (root / "batch" / "@alice" / "caption.txt").write_text("\nfirst line\n\nsecond line\n")
    (root / "batch" / "@alice" / "sound_names.txt").write_text("song one\nsong two\n")
    source = HubMaterials(root)

    (hers,) = folder_pick(source, "@alice")
    assert hers.path.name == "hers.mp4" and hers.id is None
    assert hers.caption in ("first line", "second line")
    assert hers.sound_names == ["song one", "song two"]
    (shared,) = folder_pick(source, "bob")              # no @bob folder: the shared files
    assert (shared.path.name, shared.caption, shared.sound_names) == (
        "shared.mp4", "shared caption", [])
    # a folder caption is used when the task gives none; the task's own caption wins
    assert caption_for([shared], "") == "shared caption"
    assert caption_for([shared], "task caption") == "task caption"
    with pytest.raises(NoMaterial, match="holds 0 usable images"):
        folder_pick(source, None, count=2, kind="images")


def test_a_folder_with_only_account_subfolders_is_accepted_at_create(tmp_path):
    root = tmp_path / "media"
    (root / "batch" / "@alice").mkdir(parents=True)
    post = Post(root)
    config = {"material_source": "localFolder", "material_path": "batch"}
    with pytest.raises(InvalidParams, match="holds 0 usable video"):
        post.validate(config)
    (root / "batch" / "@alice" / "hers.mp4").write_bytes(b"x")
    assert post.validate(config)["material_path"] == "batch"


def test_local_folder_and_listed_paths_stay_in_the_media_folder(tmp_path):
    root = tmp_path / "media"
    (root / "batch").mkdir(parents=True)
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "x.mp4").write_bytes(b"x")
    (root / "batch" / "@eve").symlink_to(tmp_path / "outside", target_is_directory=True)
    (root / "batch" / "ok.mp4").write_bytes(b"x")
    source = HubMaterials(root)
    for folder in ("../outside", str(tmp_path / "outside"), "batch/../../outside"):
        with pytest.raises(InvalidParams, match="outside the hub's media folder"):
            folder_pick(source, None, folder=folder)
    # @eve links out of the folder: never followed, the shared files are used
    (m,) = folder_pick(source, "eve")
    assert m.path.name == "ok.mp4"
    (m,) = folder_pick(source, "../../outside")
    assert m.path.name == "ok.mp4"
    with pytest.raises(InvalidParams, match=r"material_list\[0\]"):
        source.pick(source="", username=None, serial="S", tags=[], material_list=["../outside/x.mp4"],
                    folder=None, count=1, kind="video", rng=random.Random(1))


# --- end to end: posts on simulated phones ----------------------------------------------------


def upload(hub, body, name, **params):
    status, answer = hub.handle.call("POST", "/material?" + urlencode({"name": name, **params}),
                                     raw=body)
    assert status == 200 and answer["code"] == 0, answer
    return answer["data"]


POST = {"content_type": 0, "captions": "from the library", "post_way": "addButton",
        "material_source": "materialLibrary", "materials_tags": "trending, dance",
        "upload_wait_time": 30}


def test_library_post_marks_the_material_used_and_the_next_post_fails_saying_so(phone_hub):
    hub = phone_hub(1)
    (serial,) = hub.serials
    upload(hub, MP4, "other.mp4", tags="food")
    clip = upload(hub, MP4, "sort_1_clip.mp4", tags="dance")
    (task,) = run_tasks(hub, {"serials": [serial], "script_name": "post", "script_config": POST})
    assert task["status"] == COMPLETED, (task["remark"], messages(task))
    (post,) = hub.sim(serial).app_records("post")
    assert [(m["name"], m["size"]) for m in post["media"]] == [(clip["file"], len(MP4))]
    shown = hub.ok("GET", f"/material/{clip['id']}")
    assert shown["used"] and shown["used_by"]["task_id"] == task["id"]

    (second,) = run_tasks(hub, {"serials": [serial], "script_name": "post",
                                "script_config": POST})
    assert second["status"] == FAILED
    assert "no unused material in the material library tagged dance, trending" in second["remark"]
    assert len(hub.sim(serial).app_records("post")) == 1
