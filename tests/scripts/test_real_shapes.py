"""Shapes seen in real dumps of the app that the simulator does not reproduce: all-window dumps
with the system bars, Appium page sources, a French build whose rail Buttons carry no desc, the
ellipsis character, an untranslated `Post`. Written by hand from those observations (the real
files are not ours to ship). Fast: no phone.
"""

from __future__ import annotations

from appliance.scripts.locate import locate

PKG = "com.zhiliaoapp.musically"


def node(cls, bounds, rid="", text="", desc="", pkg=PKG, clickable=False, selected=False,
         children=""):
    x1, y1, x2, y2 = bounds
    rid = f"{pkg}:id/{rid}" if rid and ":" not in rid else rid
    return (f'<node text="{text}" resource-id="{rid}" class="android.widget.{cls}" '
            f'package="{pkg}" content-desc="{desc}" clickable="{str(clickable).lower()}" '
            f'selected="{str(selected).lower()}" bounds="[{x1},{y1}][{x2},{y2}]">{children}</node>')


def dump(*nodes, height=2220):
    root = node("FrameLayout", (0, 0, 1080, height), children="".join(nodes))
    return ("<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>"
            f"<hierarchy rotation=\"0\">{root}</hierarchy>")


SYSTEM_NAV = (node("ImageView", (129, 2088, 349, 2220), "back", desc="Retour",
                   pkg="com.android.systemui", clickable=True)
              + node("ImageView", (430, 2088, 650, 2220), "home_button", desc="Accueil",
                     pkg="com.android.systemui", clickable=True))


def test_french_feed_whose_rail_buttons_have_no_desc_still_gives_like_and_the_nav():
    rail_like = node("Button", (904, 1122, 1080, 1287), "f57", clickable=True,
                     children=node("ImageView", (935, 1122, 1059, 1245), "f4u", desc="J'aime"))
    nav = "".join(node("FrameLayout", (i * 216, 1953, (i + 1) * 216, 2088), f"mk{c}", desc=label,
                       clickable=True, selected=i == 0)
                  for i, (c, label) in enumerate((("q", "Accueil"), ("p", "Ami(e)s"), ("n", ""),
                                                  ("r", "Messages"), ("s", "Profil"))))
    create = node("Button", (432, 1953, 648, 2088), "mkn", desc="Créer", clickable=True)
    xml = dump(node("View", (0, 0, 1080, 1953), "long_press_layout", desc="Vidéo", clickable=True),
               rail_like, node("ImageView", (926, 80, 1080, 234), "irz", desc="Rechercher",
                               clickable=True), nav, create, SYSTEM_NAV)
    found = locate(xml)
    assert found["screen"] == "feed"
    c = found["controls"]
    assert c["feed.like"] == [904, 1122, 1080, 1287]
    assert c["nav.friends"] == [216, 1953, 432, 2088] and c["nav.inbox"] == [648, 1953, 864, 2088]
    assert c["nav.create"] == [432, 1953, 648, 2088]
    assert c["nav.home"] == [0, 1953, 216, 2088]      # the app's tab, not the system's Home


def test_the_system_navigation_bar_is_never_the_apps_home_tab():
    found = locate(dump(node("TextView", (100, 900, 900, 1000), text="Mise à jour"), SYSTEM_NAV))
    assert found["controls"]["nav.home"] is None


def test_caption_screen_known_by_its_field_and_an_untranslated_post_button():
    xml = dump(node("Button", (17, 77, 139, 198), "b98", desc="@2131888269", clickable=True),
               node("EditText", (44, 221, 684, 620), "g19", text="Ajoute une description...",
                    clickable=True),
               node("Button", (33, 1923, 529, 2055), "fex", text="Brouillon", clickable=True),
               node("Button", (551, 1923, 1047, 2055), "qrb", text="Post", clickable=True))
    found = locate(xml)
    assert found["screen"] == "caption"
    c = found["controls"]
    assert c["post.caption"] == [44, 221, 684, 620]
    assert c["post.publish"] == [551, 1923, 1047, 2055]
    assert c["post.drafts"] == [33, 1923, 529, 2055]   # the Button beside Post, whatever its label


def test_french_comment_sheet_with_the_ellipsis_character():
    xml = dump(node("View", (0, 0, 1080, 1953), "long_press_layout", desc="Vidéo"),
               node("TextView", (397, 819, 683, 939), "tmr", text="Commentaires"),
               node("ImageView", (992, 707, 1047, 762), "b9b", desc="Fermer", clickable=True),
               node("EditText", (199, 1949, 704, 2030), "dpl", text="Ajouter un commentaire\u2026"),
               node("ImageView", (826, 1956, 925, 2055), "kfe", desc="Stickers", clickable=True),
               node("ImageView", (931, 1956, 1030, 2055), "k9m", desc="Mentionne quelqu'un",
                    clickable=True))
    found = locate(xml)
    assert found["screen"] == "comments"
    assert found["controls"]["comment.input"] == [199, 1949, 704, 2030]
    assert found["controls"]["comment.close"] == [992, 707, 1047, 762]


def test_appium_page_source_reads_like_a_uiautomator_dump():
    xml = ("<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>"
           '<hierarchy index="0" class="hierarchy" rotation="0" width="1080" height="2400">'
           f'<android.widget.FrameLayout index="0" package="{PKG}" class="android.widget.FrameLayout" '
           'bounds="[0,0][1080,2400]">'
           f'<android.widget.Button index="0" package="{PKG}" class="android.widget.Button" '
           'content-desc="Like video. 169.2K likes" resource-id="com.zhiliaoapp.musically:id/f57" '
           'clickable="true" bounds="[940,1300][1060,1480]"/>'
           f'<android.widget.Button index="1" package="{PKG}" class="android.widget.Button" '
           'content-desc="Read or add comments. 334 comments" clickable="true" '
           'bounds="[940,1510][1060,1690]"/>'
           '</android.widget.FrameLayout></hierarchy>')
    found = locate(xml)
    assert found["screen"] == "feed"
    assert found["controls"]["feed.like"] == [940, 1300, 1060, 1480]
    assert found["controls"]["feed.comment"] == [940, 1510, 1060, 1690]
