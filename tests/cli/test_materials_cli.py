"""`appliance materials` against a live hub: upload (type by content, sort_N_ names, tags),
list with filters, show, tag, edit and delete, and the hub's refusals as sentences."""

import json
import stat

MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64


def test_materials_from_upload_to_delete(live_hub, tmp_path):
    cli = live_hub.cli
    (tmp_path / "sort_4_clip.mp4").write_bytes(MP4)
    (tmp_path / "photo.jpg").write_bytes(JPEG)
    (tmp_path / "notes.mp4").write_text("not a video")
    made = cli("materials", "upload", str(tmp_path / "sort_4_clip.mp4"), str(tmp_path / "photo.jpg"),
               "--tags", "dance, trending", "--username", "@alice")
    assert made.exit_code == 0, made.output
    assert "uploaded sort_4_clip.mp4 as material 1 (video, 88 bytes)" in made.output
    assert "uploaded photo.jpg as material 2 (image, 75 bytes)" in made.output
    refused = cli("materials", "upload", str(tmp_path / "notes.mp4"))
    assert refused.exit_code == 1
    assert "notes.mp4: Invalid parameter file: the content is not an MP4 video" in refused.output

    listing = cli("materials", "list").output.splitlines()
    assert listing[0].split() == ["ID", "SORT", "KIND", "STATE", "ACCOUNT", "TAGS", "NAME"]
    assert listing[1].split() == ["2", "0", "image", "unused", "@alice", "dance,trending",
                                  "photo.jpg"]
    assert listing[2].split()[:2] == ["1", "4"] and listing[-1] == "2 material(s)"
    videos = json.loads(cli("materials", "list", "--kind", "video", "--unused", "--json").output)
    assert [m["id"] for m in videos["materials"]] == [1]

    tagged = cli("materials", "tag", "1", "food", "fun,food")
    assert tagged.output.strip() == "material 1 tags: food, fun"
    assert json.loads(cli("materials", "list", "--tags", "fun", "--json").output)["total"] == 1
    edited = cli("materials", "edit", "1", "--caption", "hello", "--username", "", "--sort", "2")
    assert edited.exit_code == 0, edited.output
    shown = cli("materials", "show", "1").output
    assert "caption:    hello" in shown and "username:   -" in shown and "sort:       2" in shown
    stored = live_hub.config.state_dir / "materials" / json.loads(
        cli("materials", "show", "1", "--json").output)["file"]
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600 and stored.read_bytes() == MP4

    deleted = cli("materials", "delete", "1", "2")
    assert deleted.output.splitlines() == ["deleted material 1", "deleted material 2"]
    assert not stored.exists()
    gone = cli("materials", "show", "1")
    assert gone.exit_code == 1 and "There is no material 1" in gone.output
