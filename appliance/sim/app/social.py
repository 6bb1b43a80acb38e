"""Social screens of the simulated app: a user's Followers/Following lists (scrolling rows of
display name, handle and a Follow button), the DM chat (`Send a message...`, a `Send` button once
text is typed), and the own account's Edit profile (Name, Username, Bio, Links; Change photo ->
Upload photo -> a photo picker -> Save), each field edited on its own screen with `Save`.

Built afresh per look by `App.window()` under `AndroidUi`'s lock; changes go through actions.py.
"""

from __future__ import annotations

from functools import partial

from .base import BUTTON, FRAME, IMAGE, LINEAR, RECYCLER, TEXT, Screen, TextField, back_button, edit_node
from .render import BLOCK, Node
from .state import Media

ROW_H, LIST_TOP = 180, 380
VISIBLE = (2400 - LIST_TOP) // ROW_H  # rows on screen at once
LIST_CAP = 60  # a list shows at most this many people (the rest is not modelled)
_SYLLABLES = ["ka", "lo", "mi", "ra", "zu", "te", "no", "vi", "sa", "be", "do", "ly", "xo", "ju"]
EDIT_FIELDS = (("name", "Name", ""), ("username", "Username", ""), ("bio", "Bio", "Add a bio"),
               ("link", "Links", "Add link"))


def people(world, username: str, kind: str) -> list[str]:
    """The usernames in @username's `kind` list ("followers" or "following"), newest first:
    made up from the world's seed (the same on every look), at most LIST_CAP of them."""
    user = world.user(username)
    total = min(user.followers if kind == "followers" else user.following, LIST_CAP)
    rng = world._rng(f"{kind}:{username}")
    names: list[str] = []
    while len(names) < total:
        name = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3)))
        name = f"{name}{rng.choice(['', '_', '.'])}{rng.randint(1, 999)}"
        if name != username and name not in names:
            names.append(name)
    for name in names:
        world.user(name)
    return names


class FollowListScreen(Screen):
    """@username's Following / Followers tabs; a swipe up scrolls the rows."""

    activity = "com.ss.android.ugc.aweme.following.ui.FollowRelationTabActivity"

    def __init__(self, username: str, kind: str):
        self.username, self.kind, self.first = username, kind, 0

    def _names(self, app) -> list[str]:
        return people(app.world, self.username, self.kind)

    def on_swipe(self, app, dx: int, dy: int) -> None:
        if abs(dy) < 150 or abs(dy) < abs(dx):
            return
        last = max(0, len(self._names(app)) - VISIBLE + 1)
        step = max(1, abs(dy) // ROW_H)
        self.first = min(last, self.first + step) if dy < 0 else max(0, self.first - step)

    def _tab(self, kind: str) -> None:
        self.kind, self.first = kind, 0

    def build(self, app) -> Node:
        r, k, t = app.r, app.k, app.t
        user = app.world.user(self.username)
        root = Node(FRAME, r(0, 0, 1080, 2400), color="white")
        root.add(back_button(app),
                 Node(TEXT, r(300, 100, 780, 210), k("follow_list_title"), text=user.nickname))
        for i, (kind, label, n) in enumerate((("following", "Following (tab)", user.following),
                                              ("followers", "Followers", user.followers))):
            x = 60 + i * 480
            root.add(Node(TEXT, r(x, 240, x + 480, 340), k("follow_list_tab"),
                          text=f"{t(label)} {app.n(n)}", selected=kind == self.kind,
                          on_tap=partial(self._tab, kind)))
        listing = Node(RECYCLER, r(0, LIST_TOP, 1080, 2400), k("follow_list"), scrollable=True)
        following = app.account.following
        for i, name in enumerate(self._names(app)[self.first:self.first + VISIBLE + 1]):
            y = LIST_TOP + i * ROW_H
            other = app.world.user(name)
            label = "Following (button)" if name in following else "Follow"
            row = Node(LINEAR, r(0, y, 1080, y + ROW_H), k("follow_row"),
                       on_tap=partial(app.open_user, name))
            row.add(Node(IMAGE, r(40, y + 25, 170, y + 155), color="grey"),
                    Node(TEXT, r(200, y + 25, 760, y + 90), k("follow_row_name"),
                         text=other.nickname),
                    Node(TEXT, r(200, y + 95, 760, y + 155), k("follow_row_handle"), text=name),
                    Node(BUTTON, r(800, y + 45, 1040, y + 135), k("follow_row_button"),
                         text=t(label), color="light" if name in following else "red",
                         on_tap=partial(app.set_follow, name, True, "list")))
            listing.add(row)
        return root.add(listing)


class ChatScreen(Screen):
    """The DM conversation with @username: sent messages above, the input row at the bottom."""

    activity = "com.ss.android.ugc.aweme.im.sdk.chat.ChatRoomActivity"
    keyboard_covers = False

    def __init__(self, username: str):
        self.username = username
        self.input = TextField("Send a message...", multiline=True)

    def _send(self, app) -> None:
        if self.input.value:
            app.send_message(self.username, self.input.value)
            self.input.value = ""

    def build(self, app) -> Node:
        r, k, t = app.r, app.k, app.t
        user = app.world.user(self.username)
        root = Node(FRAME, r(0, 0, 1080, 2400), color="white")
        root.add(back_button(app),
                 Node(TEXT, r(300, 100, 780, 210), k("chat_header"), text=user.nickname))
        listing = Node(RECYCLER, r(0, 240, 1080, 2220), k("chat_list"), scrollable=True)
        sent = app.chats.get((app.current, self.username), [])[-8:]
        for i, text in enumerate(sent):
            y = 260 + i * 220
            listing.add(Node(TEXT, r(400, y, 1040, y + 200), k("chat_bubble"), text=text,
                             color="blue"))
        root.add(listing, edit_node(app, self.input, "chat_input", (40, 2250, 880, 2370)))
        if self.input.value:
            root.add(Node(IMAGE, r(900, 2250, 1040, 2370), k("chat_send"), desc=t("Send"),
                          color="red", on_tap=lambda: self._send(app)))
        return root


class EditProfileScreen(Screen):
    """Edit profile: the photo, then one row per field (label left, value or hint right)."""

    activity = "com.ss.android.ugc.aweme.profile.ui.ProfileEditActivity"

    def __init__(self):
        self.sheet = False  # the Change photo sheet is up

    def on_back(self, app) -> bool:
        if self.sheet:
            self.sheet = False
            return True
        return False

    def _upload(self, app) -> None:
        self.sheet = False
        app.push(PhotoPickScreen())
        if "image" not in app.media_kinds():
            app.ask_media_permission()

    def build(self, app) -> Node:
        r, k, t = app.r, app.k, app.t
        fields = app.profile_of(app.current)
        root = Node(FRAME, r(0, 0, 1080, 2400), color="white")
        root.add(back_button(app),
                 Node(TEXT, r(300, 100, 780, 210), k("edit_title"), text=t("Edit profile")),
                 Node(IMAGE, r(440, 260, 640, 460), color="grey" if not fields["avatar"] else "teal"),
                 Node(TEXT, r(340, 480, 740, 550), k("edit_photo"), text=t("Change photo"),
                      on_tap=lambda: setattr(self, "sheet", True)))

        def edit(key: str) -> None:
            app.push(EditFieldScreen(key, fields[key]))

        for i, (key, label, hint) in enumerate(EDIT_FIELDS):
            y = 640 + i * 150
            value = fields[key] or (t(hint) if hint else "")
            root.add(Node(LINEAR, r(0, y, 1080, y + 150), k("edit_row"),
                          on_tap=partial(edit, key)).add(
                Node(TEXT, r(40, y + 40, 360, y + 110), k("edit_row_label"), text=t(label)),
                Node(TEXT, r(380, y + 40, 1000, y + 110), k("edit_row_value"), text=value)))
        if self.sheet:
            scrim = Node(FRAME, r(0, 0, 1080, 2400), on_tap=lambda: setattr(self, "sheet", False))
            sheet = Node(FRAME, r(0, 1800, 1080, 2400), color="light", on_tap=BLOCK)
            for i, (label, action) in enumerate((("Take photo", lambda: None),
                                                 ("Upload photo", lambda: self._upload(app)),
                                                 ("Cancel", lambda: setattr(self, "sheet", False)))):
                y = 1840 + i * 170
                sheet.add(Node(TEXT, r(40, y, 1040, y + 150), text=t(label), on_tap=action))
            root.add(scrim.add(sheet))
        return root


class EditFieldScreen(Screen):
    """One profile field: its label as the title, `Save` top right, the field focused."""

    activity = "com.ss.android.ugc.aweme.profile.ui.ProfileEditFieldActivity"

    def __init__(self, key: str, value: str):
        self.key = key
        self.field = TextField({k_: lab for k_, lab, _ in EDIT_FIELDS}[key], value=value,
                               multiline=key == "bio")
        self.initial_focus = self.field

    def _save(self, app) -> None:
        app.edit_profile(self.key, self.field.value)
        app.pop()

    def build(self, app) -> Node:
        r, k, t = app.r, app.k, app.t
        label = {k_: lab for k_, lab, _ in EDIT_FIELDS}[self.key]
        root = Node(FRAME, r(0, 0, 1080, 2400), color="white")
        root.add(Node(TEXT, r(20, 100, 260, 210), k("edit_cancel"), text=t("Cancel"),
                      on_tap=app.pop),
                 Node(TEXT, r(300, 100, 780, 210), k("edit_title"), text=t(label)),
                 Node(TEXT, r(840, 100, 1060, 210), k("edit_save"), text=t("Save"),
                      on_tap=lambda: self._save(app)),
                 edit_node(app, self.field, "edit_field", (40, 260, 1040, 420)))
        return root


class PhotoPickScreen(Screen):
    """The photo picker of Change photo: images newest first in square unlabeled tiles; a tap
    shows the photo with `Save`."""

    activity = "com.ss.android.ugc.aweme.mediachoose.MediaChooseActivity"

    def __init__(self):
        self.chosen: Media | None = None

    def on_back(self, app) -> bool:
        if self.chosen is not None:
            self.chosen = None
            return True
        return False

    def _save(self, app) -> None:
        if self.chosen is None:  # Save is shown only with a photo chosen
            return
        app.edit_profile("avatar", self.chosen.path)
        app.pop()

    def build(self, app) -> Node:
        r, k, t = app.r, app.k, app.t
        root = Node(FRAME, r(0, 0, 1080, 2400), color="black")
        if self.chosen is not None:
            return root.add(
                Node(TEXT, r(20, 100, 260, 210), text=t("Cancel"),
                     on_tap=lambda: setattr(self, "chosen", None)),
                Node(IMAGE, r(0, 400, 1080, 1480), color="teal"),
                Node(TEXT, r(840, 100, 1060, 210), k("edit_save"), text=t("Save"),
                     on_tap=lambda: self._save(app)))
        root.add(back_button(app), Node(TEXT, r(300, 100, 780, 210), text=t("Recents")))
        images = [m for m in app.gallery_items() if m.kind == "image"] \
            if "image" in app.media_kinds() else []
        grid = Node(RECYCLER, r(0, 340, 1080, 2400), scrollable=True)
        for i, media in enumerate(images[:15]):
            x, y = (i % 3) * 360, 340 + (i // 3) * 360
            grid.add(Node(FRAME, r(x + 3, y + 3, x + 357, y + 357), color="teal",
                          on_tap=partial(setattr, self, "chosen", media)).add(
                Node(IMAGE, r(x + 3, y + 3, x + 357, y + 357), color="teal")))
        if not images:
            grid.add(Node(TEXT, r(40, 400, 1040, 500),
                          text=t("Allow access to your photos and videos")))
        return root.add(grid)


__all__ = [
    "VISIBLE",
    "ChatScreen",
    "EditFieldScreen",
    "EditProfileScreen",
    "FollowListScreen",
    "PhotoPickScreen",
    "people",
]
