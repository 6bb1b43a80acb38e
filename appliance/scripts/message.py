"""`message`: send a direct message to each target user. One task per target per phone (like
follow). TikMatrix's desktop client names the options `message_contents` (one per line),
`insert_emoji` and `open_user_method`; `target_users`/`target_user`, `message_order` and
`access_method` are this hub's TikMatrix-style names (list wins over string, as for follow).

Steps: cold-start the app (account switched) -> the profile of @user (deep link or search, as
follow does) -> its `Message` Button -> the chat's EditText (`Send a message...`) -> type the text
(spintax resolved; ADB keyboard, byte for byte, emoji too) -> the `Send` desc at the bottom ->
the input shows its placeholder again.
Runs on the engine worker thread of its task, through that task's ScriptContext.
"""

from __future__ import annotations

from appliance.domain.captions import spin
from appliance.scripts.anchors import is_word
from appliance.scripts.app_script import EMOJIS, AppScript, bad, option_lines
from appliance.scripts.follow import check_targets, open_profile, targets
from appliance.scripts.ui import Ui

SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {
        "target_users": {"type": "array", "maxItems": 1000, "default": [],
                         "items": {"type": "string", "minLength": 1, "maxLength": 100},
                         "description": "Usernames (with or without @); when given, "
                                        "target_user is ignored."},
        "target_user": {"type": "string", "maxLength": 100000, "default": "",
                        "description": "Usernames separated by newlines or commas."},
        "message_contents": {"type": ["string", "array"], "maxLength": 100000, "maxItems": 1000,
                             "items": {"type": "string", "minLength": 1, "maxLength": 2000},
                             "description": "Message templates, one per line (or a list, each "
                                            "kept verbatim); spintax {a|b} is resolved."},
        "message_order": {"enum": ["random", "sequential"], "default": "random"},
        "insert_emoji": {"type": "boolean", "default": False,
                         "description": "Append a random emoji to the message."},
        "access_method": {"enum": ["direct", "search"], "default": "direct",
                          "description": "direct: open the profile by deep link; search: find "
                                         "it through the app's search."},
        "message_index": {"type": "integer", "minimum": 0, "default": 0,
                          "description": "Set by the hub: this task's place in the fan-out."},
    },
    "required": ["message_contents"],
    "additionalProperties": True,
}


def templates(config: dict) -> list[str]:
    content = config["message_contents"]
    if isinstance(content, list):
        return [c for c in content if c.strip()]
    return option_lines(content)


class Message(AppScript):
    name = "message"
    schema = SCHEMA

    def check(self, config: dict) -> None:
        if not templates(config):
            raise bad("message_contents", "give at least one message (one per line)")
        check_targets(config)

    def fanout(self, config: dict) -> list[dict]:
        return [{**config, "target_users": [name], "target_user": name, "message_index": i}
                for i, name in enumerate(targets(config))]

    def text(self, ctx, index: int) -> str:
        choices = templates(ctx.config)
        if ctx.config["message_order"] == "sequential":
            text = choices[index % len(choices)]
        else:
            text = ctx.random.choice(choices)
        text = spin(text, ctx.random)
        if ctx.config["insert_emoji"]:
            text = f"{text} {ctx.random.choice(EMOJIS)}"
        return text

    def act(self, ctx, ui: Ui) -> str:
        base = int(ctx.config.get("message_index") or 0)
        sent = []
        for offset, user in enumerate(targets(ctx.config)):
            text = self.text(ctx, base + offset)
            send_message(ctx, ui, user, text)
            sent.append(f"@{user}")
        return f"messaged {', '.join(sent)}"


def send_message(ctx, ui: Ui, user: str, text: str) -> None:
    screen = open_profile(ctx, ui, user, ctx.config["access_method"])
    step = f"open the chat with @{user}"
    ui.tap_control("profile.message", step, screen)
    chat = ui.wait_for(lambda s: ui.find("dm.input", s) is not None, step, timeout=12)
    ui.tap_control("dm.input", "focus the message box", chat)
    ctx.sleep(0.3)
    ui.type_text(text)
    step = f"send the message to @{user}"
    chat = ui.wait_for(lambda s: ui.find("dm.send", s) is not None, step, timeout=8)
    ui.tap_control("dm.send", step, chat)

    def cleared(s) -> bool:
        field = ui.find("dm.input", s)
        return field is not None and is_word(field.text, "send_message", ui.locale)

    ui.wait_for(cleared, step, timeout=8)
    ctx.log(f"sent @{user}: {text!r}")
