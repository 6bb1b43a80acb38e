"""The simulated app's social screens driven through `AndroidUi` alone, by words and positions as a
script must: a profile's Message -> DM chat, Followers/Following lists that scroll, and the own
profile's Edit profile (Name, Username, Bio, Links, Change photo), in en and fr, builds 1-3."""

from __future__ import annotations

import pytest

from appliance.sim.app import ids as app_ids
from appliance.sim.app.social import people

from .test_app import OBFUSCATED, SEMANTIC, Phone, box

WORDS = {"en": {"message": "Message", "send": "Send", "placeholder": "Send a message...",
                "followers": "Followers", "edit": "Edit profile", "bio": "Bio", "save": "Save",
                "name": "Name", "username": "Username", "links": "Links",
                "photo": "Change photo", "upload": "Upload photo"},
         "fr": {"message": "Message", "send": "Envoyer", "placeholder": "Envoyer un message...",
                "followers": "Abonnés", "edit": "Modifier le profil", "bio": "Bio",
                "save": "Enregistrer", "name": "Nom", "username": "Nom d'utilisateur",
                "links": "Liens", "photo": "Changer de photo", "upload": "Importer une photo"}}


def ids_are_obfuscated(phone: Phone) -> None:
    for rid in phone.local_ids():
        assert rid in SEMANTIC or OBFUSCATED.fullmatch(rid) or rid == "text1", rid


@pytest.mark.parametrize("build,locale", [(1, "en"), (2, "fr"), (3, "en")])
def test_message_from_a_profile_lands_in_the_chat(build, locale):
    w = WORDS[locale]
    phone = Phone(app_build=build, locale=locale)
    phone.launch()
    phone.ui.view_intent("https://www.tiktok.com/@dm_target")
    phone.tap(text=w["message"], cls="Button")
    field = phone.node(cls="EditText", text=w["placeholder"])
    assert not phone.nodes(desc=w["send"])  # no Send before text is typed
    phone.tap_node(field)
    phone.type_unicode("salut 👋\nline two")
    ids_are_obfuscated(phone)
    phone.tap(desc=w["send"])
    assert [(r["username"], r["text"]) for r in phone.ui.records("message")] == [
        ("dm_target", "salut 👋\nline two")]
    assert phone.nodes(text="salut 👋\nline two")
    assert phone.node(cls="EditText").get("text") == w["placeholder"]


def test_followers_list_scrolls_through_the_whole_list():
    phone = Phone()
    phone.launch()
    phone.ui.view_intent("https://www.tiktok.com/@list_owner")
    phone.tap(text="Followers")
    expected = people(phone.ui.app.world, "list_owner", "followers")
    seen: list[str] = []
    for _ in range(20):
        rows = [n for n in phone.nodes(cls="LinearLayout") if n.get("clickable") == "true"]
        for row in rows:
            texts = [c.get("text") for c in row.iter("node") if c.get("text")]
            if texts[1] not in seen:
                seen.append(texts[1])
        before = list(seen)
        phone.ui.swipe(540, 1800, 540, 600)
        rows = [n for n in phone.nodes(cls="LinearLayout") if n.get("clickable") == "true"]
        if all([c.get("text") for c in r.iter("node") if c.get("text")][1] in before
               for r in rows):
            break
    assert seen == expected and expected
    ids_are_obfuscated(phone)


@pytest.mark.parametrize("build,locale", [(1, "en"), (3, "fr")])
def test_edit_profile_fields_and_photo(build, locale):
    w = WORDS[locale]
    phone = Phone(app_build=build, locale=locale)
    phone.launch()
    phone.tap(desc="Profile" if locale == "en" else "Profil")
    phone.tap(text=w["edit"])
    for label, value in ((w["name"], "Alice Ünï"), (w["bio"], "line 1\nline 2 ✨"),
                         (w["links"], "https://example.org/a"), (w["username"], "alice_new")):
        row_label = phone.node(text=label)
        phone.tap_node(row_label)
        phone.ui.broadcast("ADB_CLEAR_TEXT", {})
        phone.type_unicode(value)
        phone.tap(text=w["save"])
        assert phone.nodes(text=w["edit"]), f"back on Edit profile after {label}"
    edits = {r["field"]: r["value"] for r in phone.ui.records("edit_profile")}
    assert edits == {"name": "Alice Ünï", "bio": "line 1\nline 2 ✨",
                     "link": "https://example.org/a", "username": "alice_new"}
    phone.ui.media_scan("/sdcard/DCIM/hub-1/face.jpg", 2048)
    phone.ui.grant("READ_MEDIA_IMAGES")
    phone.tap(text=w["photo"])
    phone.tap(text=w["upload"])
    tile = [n for n in phone.nodes(cls="FrameLayout") if n.get("clickable") == "true"
            and not n.get("text") and not n.get("content-desc") and box(n)[1] >= 340]
    phone.tap_node(tile[0])
    phone.tap(text=w["save"])
    assert phone.ui.records("edit_profile")[-1]["value"] == "/sdcard/DCIM/hub-1/face.jpg"
    phone.back()
    assert phone.nodes(text="alice_new") and phone.nodes(text="Alice Ünï")
    assert phone.nodes(text="line 1\nline 2 ✨")
    ids_are_obfuscated(phone)


def test_social_ids_change_per_build_and_keep_the_old_screens_ids():
    one, two = app_ids.table(1), app_ids.table(2)
    for key in app_ids.SOCIAL_KEYS:
        assert OBFUSCATED.fullmatch(one[key]) and one[key] != two[key]
    assert len(set(one.values())) == len(one)
