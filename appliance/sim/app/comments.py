"""The comment sheet over a video: title with U+200E, the list (newest first), and the input row
whose send button (unresolved desc) appears only while the field holds text.

A pure builder called by `FeedScreen.build` under `AndroidUi`'s lock; the video stays below.
"""

from __future__ import annotations

from . import ids
from .base import FRAME, IMAGE, LINEAR, RECYCLER, TEXT, edit_node
from .render import BLOCK, Node
from .state import nickname
from .strings import LRM

SEND_DESC = "@2131888096"


def comment_sheet(app, screen, vid, video) -> Node:
    """The sheet and, above it, a transparent area whose tap closes it."""
    r, k, t = app.r, app.k, app.t
    outside = Node(FRAME, r(0, 0, 1080, 800), on_tap=lambda: screen._close(app))
    sheet = Node(FRAME, r(0, 800, 1080, 2400), k("comment_sheet"), color="white", on_tap=BLOCK)
    sheet.add(Node(TEXT, r(300, 820, 780, 900), k("comment_title"),
                   text=t(LRM + "{n} comments", n=app.n(video.comments))),
              Node(IMAGE, r(980, 820, 1060, 900), k("comment_close"), desc=t("Close"),
                   on_tap=lambda: screen._close(app)))
    listing = Node(RECYCLER, r(0, 920, 1080, 2230), k("comment_list"), scrollable=True)
    for i, (who, text) in enumerate(app.world.comments(video)[:8]):
        y = 920 + i * 160
        listing.add(Node(LINEAR, r(0, y, 1080, y + 160), k("comment_item")).add(
            Node(IMAGE, r(30, y + 10, 120, y + 100), color="grey"),
            Node(TEXT, r(140, y + 10, 1040, y + 55), ids.TITLE, text=nickname(who)),
            Node(TEXT, r(140, y + 55, 1040, y + 115), k("comment_text"), text=text),
            Node(TEXT, r(140, y + 115, 300, y + 155), k("comment_reply"), text=t("Reply"),
                 on_tap=lambda: None)))
    sheet.add(listing)
    field = screen.comment

    def mention():
        field.value += "@"
        app.focus = field

    sheet.add(edit_node(app, field, "comment_input", (40, 2250, 700, 2370)),
              Node(IMAGE, r(720, 2270, 800, 2350), k("comment_mention"),
                   desc=t("Mention someone"), on_tap=mention),
              Node(IMAGE, r(810, 2270, 890, 2350), k("comment_stickers"), desc=t("Stickers"),
                   on_tap=lambda: None))
    if field.value:
        sheet.add(Node(IMAGE, r(900, 2250, 1040, 2370), k("comment_send"), desc=SEND_DESC,
                       color="red", on_tap=lambda: screen._send(app, vid)))
    return Node(FRAME, r(0, 0, 1080, 2400)).add(outside, sheet)
