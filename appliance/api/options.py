"""OPTIONS answered in the envelope: falcon's default responder sets the Allow header only.

A response middleware registered in create_app; it runs on waitress worker threads and holds no
state. OPTIONS meets the request gates like any method (they run before the responder), and an
unknown route is the router's 404.
"""

from __future__ import annotations

from appliance.api import envelope


class OptionsAnswer:
    def process_response(self, req, resp, resource, req_succeeded: bool) -> None:
        if req.method != "OPTIONS" or not req_succeeded or resource is None:
            return
        allow = [method.strip() for method in (resp.get_header("Allow") or "").split(",")]
        envelope.ok(resp, {"allow": [method for method in allow if method]})
