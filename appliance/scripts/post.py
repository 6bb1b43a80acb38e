"""`post`: publish a video or photos from the hub's media folder with a (spintax) caption.

Steps: post_media.py picks the files and media.py pushes them (md5 checked), touches and indexes
them so the first file is the newest -> cold-start the app (account switched) -> post_flow.py picks
them in the gallery, types the caption and posts (or saves a draft) -> the pushed files are deleted
(even when the task was stopped). Media paths are confined to the media folder at validation
(40001, post_media.py).
Runs on the engine worker thread of its task, through that task's ScriptContext.
"""

from __future__ import annotations

from pathlib import Path

from appliance.scripts.app_script import AppScript, bad
from appliance.scripts.material_source import MAX_IMAGES, MaterialSource
from appliance.scripts.post_flow import publish
from appliance.scripts.post_media import PostMedia

SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "post script_config",
    "type": "object",
    "properties": {
        "content_type": {"enum": [0, 1, "video", "images"], "default": 0,
                         "description": "0 or \"video\": one video; 1 or \"images\": photos."},
        "image_count": {"type": "integer", "minimum": 0, "maximum": MAX_IMAGES, "default": 0,
                        "description": "Photos per post (images); 0: every listed file."},
        "captions": {"type": "string", "maxLength": 4000, "default": "",
                     "description": "Caption; spintax {a|b|c} (nested) picks one variant per "
                                    "task, ### is a line break, Title##Description fills the "
                                    "title field and the description."},
        # TikMatrix docs/api/post-script.md: post_way share|addButton|useSound, default share;
        # "draft" is this hub's extension (the Create button's path, saved to Drafts).
        "post_way": {"enum": ["share", "addButton", "useSound", "draft"], "default": "share",
                     "description": "share: the file is shared into the app (one file; photos "
                                    "go through the Create button); addButton: Create (+) -> "
                                    "gallery; useSound: a sound's page (sound_name, a name or "
                                    "a TikTok link) -> Use this sound -> gallery; draft: as "
                                    "addButton, saved to Drafts."},
        "material_list": {"type": "array", "maxItems": 100, "default": [],
                          "items": {"type": "string", "minLength": 1, "maxLength": 1024},
                          "description": "Files in the hub's media folder (relative to it). A "
                                         "TikMatrix PC path such as C:/Videos/a.mp4 names "
                                         "the file a.mp4 of the media folder."},
        "material_source": {"enum": ["", "materialList", "localFolder", "materialLibrary"],
                            "default": "materialLibrary",
                            "description": "materialLibrary (TikMatrix's default): unused "
                                           "materials of the library (materials_tags); a "
                                           "non-empty material_list is used instead, as "
                                           "TikMatrix does. localFolder: files of "
                                           "material_path. \"\" and materialList: material_list."},
        "material_path": {"type": "string", "maxLength": 1024, "default": "",
                          "description": "A folder inside the media folder (localFolder); a "
                                         "PC path such as C:/Videos/reels names its folder "
                                         "reels."},
        "materials_tags": {"type": ["string", "array"], "maxLength": 4000, "maxItems": 50,
                           "items": {"type": "string", "maxLength": 64}, "default": "",
                           "description": "materialLibrary: materials with any of these tags "
                                          "(comma-separated); none: any material."},
        "upload_wait_time": {"type": "number", "minimum": 1, "maximum": 3600, "default": 30,
                             "description": "Seconds to wait for the upload to finish."},
        "sound_wait_time": {"type": "number", "minimum": 0, "maximum": 600, "default": 10,
                            "description": "Seconds to wait in the sound picker (add_sound)."},
        "add_sound": {"enum": ["-1", "0", "1", "custom", -1, 0, 1], "default": "-1",
                      "description": "-1: leave the sound as it is; 0: add none; 1: add a sound "
                                     "(sound_name, else the first suggested); custom: search "
                                     "custom_sound_keyword and add the first result."},
        "sound_name": {"type": "string", "maxLength": 2000, "default": "",
                       "description": "A sound's name or TikTok link (useSound; add_sound 1)."},
        "custom_sound_keyword": {"type": "string", "maxLength": 200, "default": "",
                                 "description": "What to search (add_sound custom)."},
        "origin_sound_volume": {"type": "integer", "minimum": 0, "maximum": 100, "default": 50,
                                "description": "Original sound volume when a sound is added."},
        "add_sound_volume": {"type": "integer", "minimum": 0, "maximum": 100, "default": 50,
                             "description": "Added sound volume when a sound is added."},
        "add_product_link": {"enum": [0, 1, False, True], "default": 0,
                             "description": "1: add a product link on the post screen."},
        "placement": {"enum": ["reel", "story"], "default": "reel",
                      "description": "reel: a post; story: published with Your Story."},
    },
    "additionalProperties": True,
}


def check_options(config: dict) -> None:
    """The options that need another one (40001 naming the missing field)."""
    if config["post_way"] == "useSound" and not config["sound_name"].strip():
        raise bad("sound_name", "post_way useSound needs a sound name or a TikTok sound link")
    if str(config["add_sound"]) == "custom" and not config["custom_sound_keyword"].strip():
        raise bad("custom_sound_keyword", "add_sound custom needs a keyword to search")


class Post(AppScript):
    name = "post"
    schema = SCHEMA

    def __init__(self, media_root: Path | None = None, materials: MaterialSource | None = None):
        self.media = PostMedia(media_root, materials)   # checking, picking, pushing the files

    def check(self, config: dict) -> None:
        """Validation (request thread, and again at run time)."""
        check_options(config)
        self.media.check(config)

    def run(self, ctx) -> str | None:
        with self.media.staged(ctx, self.app_package(ctx)) as staged:
            return self.drive(ctx, lambda ui: publish(ctx, ui, staged.names, staged.pushed))
