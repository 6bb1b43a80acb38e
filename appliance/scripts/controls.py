"""Named controls (`feed.like`, `nav.create`, `gallery.first_tile`...): the data definitions of
`selectors/musically.json` plus the small structural rules data cannot say (first gallery tile,
rightmost clickable of the comment input's row, the camera's unlabeled bottom-left entry, the
caption field, the top-centre profile header). Pure; any thread.
"""

from __future__ import annotations

from collections.abc import Callable

from appliance.scripts.anchors import (
    _as_list,
    in_region,
    is_semantic,
    is_word,
    load,
    match,
    score,
    text_matches,
)
from appliance.scripts.hierarchy import Node, Screen
from appliance.scripts.popups import find_popup

Rule = Callable[[Screen, "str | None"], list[Node]]
RULES: dict[str, Rule] = {}


def rule(fn: Rule) -> Rule:
    RULES[fn.__name__] = fn
    return fn


def definitions(name: str, app: str = "musically") -> list[dict]:
    controls = load(app)["controls"]
    if name not in controls:
        raise KeyError(f"no control named {name!r}")
    return _as_list(controls[name])


def control_names(app: str = "musically") -> list[str]:
    return list(load(app)["controls"])


def find(name: str, screen: Screen, locale: str | None = None,
         screen_name: str | None = None) -> Node | None:
    """The node of control `name` on this dump, or None. Definitions restricted to some
    screens apply only there (`screen_name` defaults to the dump's classified name)."""
    return find_definition(definitions(name), screen, locale,
                           screen_name if screen_name is not None else screen.name)


def find_definition(defs: dict | list, screen: Screen, locale: str | None,
                    screen_name: str | None = None) -> Node | None:
    for d in _as_list(defs):
        if "screens" in d and screen_name not in d["screens"]:
            continue
        if not is_semantic(d):
            continue            # ids alone never decide
        if "rule" in d:
            found = RULES[d["rule"]](screen, locale)
            found = sorted(found, key=lambda n: -score(n, d))
        else:
            found = match(screen, d, locale)
        if found:
            return found[0]
    return None


# --- structural rules ---------------------------------------------------------------------------


def _unlabeled(node: Node) -> bool:
    return not node.text.strip() and not node.desc.strip()


@rule
def only_button_in_nav_row(screen: Screen, locale) -> list[Node]:
    row = [n for n in screen.nodes if in_region(screen, n, "nav_row")]
    tabs = ["home", "friends", "inbox", "profile"]
    if sum(1 for n in row if is_word(n.desc, tabs, locale)) < 2:
        return []           # no nav row here (a Next button at the bottom is not Create)
    buttons = [n for n in row if n.kind == "Button"]
    return buttons if len(buttons) == 1 else []


@rule
def comment_send(screen: Screen, locale) -> list[Node]:
    """The rightmost clickable of the comment input's row that is not a known tool (Mention,
    Stickers, Emoji): the send button's desc is unresolved (`@2131888096`) in real builds."""
    field = find_definition(definitions("comment.input"), screen, locale, "comments")
    if field is None:
        return []
    _x1, y1, x2, y2 = field.bounds
    tools = ["mention_someone", "stickers", "emoji", "mention"]
    # the row's container: the input's nearest ancestor spanning most of the width (nodes of
    # the screen below the sheet, like the nav row, are not inside it)
    box = next((a for a in screen.ancestors(field) if a.width >= 0.8 * screen.size[0]
                and a.height < 0.9 * screen.size[1]), None)
    inside = {n.index for n in screen.descendants(box)} if box is not None else None
    row = [n for n in screen.nodes if n.clickable and n.index != field.index
           and (n.index in inside if inside is not None else n.index > field.index)
           and y1 <= n.center[1] <= y2 and n.bounds[0] >= x2 - 5
           and not is_word(n.desc, tools, locale) and not is_word(n.text, tools, locale)]
    return sorted(row, key=lambda n: -n.bounds[2])[:1]


@rule
def like_by_icon(screen: Screen, locale) -> list[Node]:
    """The right rail's Button holding the ImageView whose desc is `Like` (`J'aime`): real
    builds name that child even where the container's own desc is empty."""
    out = []
    for n in screen.nodes:
        if n.kind == "Button" and in_region(screen, n, "right_rail") and any(
                c.kind == "ImageView" and text_matches(c.desc, {"exact": "like"}, locale)
                for c in screen.descendants(n)):
            out.append(n)
    return out[:1]


@rule
def drafts_beside_post(screen: Screen, locale) -> list[Node]:
    """The Button left of Post in the same bottom row (its label is Drafts in every language)."""
    post = find_definition(definitions("post.publish"), screen, locale, "caption")
    if post is None:
        return []
    y = post.center[1]
    row = [n for n in screen.nodes if n.kind == "Button" and n.index != post.index
           and n.bounds[1] <= y <= n.bounds[3] and n.bounds[2] <= post.bounds[0] + 5]
    return sorted(row, key=lambda n: -n.bounds[2])[:1]


@rule
def caption_field(screen: Screen, locale) -> list[Node]:
    """The EditText whose text is the caption placeholder, else the first EditText."""
    edits = [n for n in screen.nodes if n.kind == "EditText"]
    placeholder = [n for n in edits if text_matches(n.text, {"exact": "caption_placeholder"}, locale)]
    return placeholder or edits[:1]


def gallery_tiles(screen: Screen) -> list[Node]:
    """The gallery grid's tiles in reading order (newest media first): clickable, unlabeled,
    about square. The camera's nodes below the gallery are not square tiles."""
    w, _h = screen.size
    tiles = [n for n in screen.nodes if n.clickable and _unlabeled(n)
             and 0.15 * w <= n.width <= 0.5 * w
             and abs(n.width - n.height) <= 0.15 * max(n.width, n.height)
             and 0.1 <= screen.fraction(n)[1] <= 0.93]
    return sorted(tiles, key=lambda n: (n.bounds[1], n.bounds[0]))


@rule
def gallery_first_tile(screen: Screen, locale) -> list[Node]:
    """The grid's first tile (newest media), topmost then leftmost."""
    return gallery_tiles(screen)[:1]


@rule
def camera_gallery_entry(screen: Screen, locale) -> list[Node]:
    """The camera's gallery entry: the clickable without text or desc at the bottom-left
    (never the centre shutter, which takes a photo)."""
    out = []
    for n in screen.nodes:
        fx, fy = screen.fraction(n)
        if n.clickable and _unlabeled(n) and fx <= 0.3 and fy >= 0.75 and n.width > 0:
            out.append(n)
    return sorted(out, key=lambda n: -(n.width * n.height))[:1]


@rule
def profile_header(screen: Screen, locale) -> list[Node]:
    """The username at the top centre of a profile (y <= 10 %, 28-72 % of the width); not a
    word of the app and not the body @handle."""
    known = ["profile", "back", "profile_menu", "search", "for_you", "following_tab"]
    return [n for n in screen.nodes if n.text.strip() and not is_word(n.text, known, locale)
            and in_region(screen, n, "header_centre")]


@rule
def search_first_video(screen: Screen, locale) -> list[Node]:
    """The first video result: a clickable, tall, text-less container below the tabs."""
    w, h = screen.size
    tiles = [n for n in screen.nodes if n.clickable and not n.text and n.height >= 0.12 * h
             and n.width < 0.9 * w and 0.15 <= screen.fraction(n)[1] <= 0.95]
    return sorted(tiles, key=lambda n: (n.bounds[1], n.bounds[0]))[:1]


@rule
def popup_dismiss(screen: Screen, locale) -> list[Node]:
    popup = find_popup(screen, locale)
    return [popup.node] if popup is not None and popup.node is not None else []
