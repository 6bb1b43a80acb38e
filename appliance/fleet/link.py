"""The fleet's one MQTT client wrapper: a paho-mqtt 2.x v5 client with its own network thread.

`Link` owns the connection (reconnects by itself, resubscribes and calls the owner's
`on_connect` on EVERY connect so the owner republishes its retained state), JSON publishing that
drops while disconnected, topic handlers, and v5 request/response (Response Topic + Correlation
Data). Threads: paho's network thread runs every handler; any thread may publish/request.
"""

from __future__ import annotations

import json
import logging
import math
import socket
import ssl
import sys
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.client import mqtt_ms_wait_for_puback
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from appliance import errors
from appliance.fleet import topics

log = logging.getLogger("appliance.fleet")

# a decoded JSON payload (None: an empty payload, i.e. a deleted retained message)
Payload = Any
Handler = Callable[[str, Payload, Properties | None], None]


class BrokerUnreachable(errors.Busy):
    """The link to the broker is down; the request was not sent."""


class HubTimeout(errors.Busy):
    """A request was sent but no answer came in time; it may have been applied."""


@dataclass(frozen=True)
class Will:
    """The message the broker publishes for us if we vanish without a DISCONNECT."""

    topic: str
    payload: Payload
    delay: int = 0  # v5 Will Delay Interval, seconds


def parse_broker_url(url: str) -> tuple[str, int, bool]:
    """(host, port, tls) of `mqtt://HOST:PORT` / `mqtts://HOST:PORT` (config normalises it)."""
    parts = urlsplit(url)
    if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
        raise errors.ConfigError(
            f"fleet_broker {url!r} is not mqtt://HOST:PORT or mqtts://HOST:PORT; fix the setting")
    tls = parts.scheme == "mqtts"
    return parts.hostname, parts.port or (8883 if tls else 1883), tls


def _props(packet_type: int) -> Properties:
    """A v5 property set (paho's constructor is not annotated)."""
    return Properties(packet_type)  # type: ignore[no-untyped-call]


def _encode(obj: Payload) -> bytes:
    """JSON; None is the empty payload (retained: deletes the topic's retained message)."""
    if obj is None:
        return b""
    return json.dumps(obj, separators=(",", ":"), default=str).encode()


def _decode(raw: bytes | bytearray) -> Payload:
    if not raw:
        return None
    return json.loads(raw.decode("utf-8"))


def _connack_message(reason: ReasonCode, user: str, url: str) -> str:
    """What a refused CONNECT means for the operator, and what to do."""
    name = str(reason)
    value = int(reason.value)
    if value in (134, 135, 4, 5):  # v5 bad user name or password / not authorized (and v3 4, 5)
        return (f"the broker {url} refused user {user!r}: {name}; check fleet_password (and the "
                "broker's password_file / acl_file for this user)")
    return f"the broker {url} refused the connection: {name}"


class Link:
    """One MQTT v5 connection to the fleet's broker (see the module docstring)."""

    def __init__(self, client_id: str, user: str, password: str, broker_url: str,
                 keepalive: int = 10, will: Will | tuple[str, Payload, int] | None = None,
                 on_connect: Callable[[], None] | None = None, ca_file: str = "",
                 session_expiry: int | None = None) -> None:
        self.client_id = client_id
        self.user = user
        self.broker_url = broker_url
        self.keepalive = int(keepalive)
        self.host, self.port, self.tls = parse_broker_url(broker_url)
        self._on_connect_cb = on_connect
        if isinstance(will, tuple):
            will = Will(*will)
        self.will = will
        # the session must outlive the will delay or the will fires at once (MQTT v5 3.1.3.2.2)
        expiry = 2 * self.keepalive if session_expiry is None else session_expiry
        if will is not None:
            expiry = max(expiry, will.delay)
        self.session_expiry = expiry

        self._lock = threading.Lock()
        self._network_thread: int | None = None   # paho's loop thread, noted by its callbacks
        self._connected = threading.Event()
        self._handlers: dict[str, Handler] = {}
        self._pending: dict[bytes, tuple[str, Future[Payload]]] = {}
        self._response_topics: set[str] = set()
        self._sub_mids: dict[int, str] = {}      # SUBSCRIBE message id -> filter, until acked
        self._early: dict[int, bool] = {}        # SUBACKs that came before their mid was noted
        self._acked: set[str] = set()            # filters the broker acknowledged since connect
        self._sub_cond = threading.Condition(self._lock)
        self.last_error = ""
        self.connects = 0

        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id,
                             protocol=MQTTProtocolVersion.MQTTv5)
        client.username_pw_set(user, password)
        client.reconnect_delay_set(1, 5)
        client.max_inflight_messages_set(100)
        client.max_queued_messages_set(1000)   # never an unbounded pile while the link is down
        if self.tls:
            client.tls_set(ca_certs=ca_file or None, cert_reqs=ssl.CERT_REQUIRED)
        elif ca_file:
            log.warning("fleet_ca_file is set but fleet_broker is not mqtts://; TLS is not used")
        if will is not None:
            props = _props(PacketTypes.WILLMESSAGE)
            if will.delay > 0:
                props.WillDelayInterval = int(will.delay)
            client.will_set(will.topic, _encode(will.payload), qos=1, retain=True, properties=props)
        client.on_connect = self._handle_connect
        client.on_disconnect = self._handle_disconnect
        client.on_message = self._handle_message
        client.on_connect_fail = self._handle_connect_fail
        client.on_subscribe = self._handle_subscribe
        self._client = client
        self._started = False

    # --- lifecycle ---

    def start(self) -> None:
        """Connect in the background (never blocks on a dead broker; paho keeps retrying)."""
        if self._started:
            return
        self._started = True
        props = _props(PacketTypes.CONNECT)
        props.SessionExpiryInterval = self.session_expiry
        self._client.connect_async(self.host, self.port, keepalive=self.keepalive,
                                   clean_start=mqtt.MQTT_CLEAN_START_FIRST_ONLY, properties=props)
        self._client.loop_start()

    def stop(self, timeout: float = 2.0) -> None:
        """Clean DISCONNECT (the broker drops the will) and stop the network thread.

        Publish what must be published (an offline status) with `publish(..., wait=...)` first.
        """
        if not self._started:
            return
        self._started = False
        try:
            props = _props(PacketTypes.DISCONNECT)
            props.SessionExpiryInterval = 0  # a clean stop ends the session: nothing to resume
            self._client.disconnect(properties=props)
        except Exception:  # a dead socket at stop is not worth a traceback
            log.debug("disconnect at stop failed", exc_info=True)
        self._client.loop_stop()
        self._connected.clear()
        self._fail_pending(BrokerUnreachable("the fleet link was stopped"))

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def wait_connected(self, timeout: float) -> bool:
        """True once connected (within `timeout` s); for start-up checks and tests."""
        return self._connected.wait(timeout)

    # --- publish / subscribe ---

    def publish(self, topic: str, obj: Payload, retain: bool = False, qos: int = 1,
                expiry: int | None = None, wait: float = 0.0) -> bool:
        """Publish `obj` as JSON. While disconnected: dropped, False (state is republished on
        the next connect; nothing stale piles up in RAM). `wait` > 0 waits that long for the
        broker's PUBACK (for a final offline status at stop)."""
        if not self.connected:
            return False
        props: Properties | None = None
        if expiry is not None:
            props = _props(PacketTypes.PUBLISH)
            props.MessageExpiryInterval = max(1, math.ceil(expiry))
        try:
            info = self._client.publish(topic, _encode(obj), qos=qos, retain=retain, properties=props)
        except (ValueError, RuntimeError) as exc:
            log.warning("publish to %s failed: %s", topic, exc)
            return False
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            return False
        if wait > 0 and qos > 0:
            try:
                info.wait_for_publish(wait)
            except (ValueError, RuntimeError):
                return False
            return info.is_published()
        return True

    def subscribe(self, filter: str, handler: Handler, qos: int = 1) -> None:
        """Call `handler(topic, payload, properties)` for messages matching `filter`.

        Registered once; the link resubscribes on every connect by itself (calling it again
        with the same filter just replaces the handler). Handlers run on paho's network thread:
        keep them short, hand slow work to a pool."""
        with self._lock:
            self._handlers[filter] = handler
        if self.connected:
            self._send_subscribe(self._client, filter)

    def wait_subscribed(self, timeout: float) -> bool:
        """True once connected and every subscribed filter is acknowledged by the broker (from
        then on nothing published to them is missed)."""
        deadline = time.monotonic() + timeout
        with self._sub_cond:
            while not (self.connected and set(self._handlers) <= self._acked):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._sub_cond.wait(min(left, 0.1))
            return True

    def _send_subscribe(self, client: mqtt.Client, filter: str) -> None:
        """SUBSCRIBE and note its message id. Never call paho holding `_lock`: paho runs our
        handlers holding its callback mutex, and they take `_lock` (a lock-order deadlock)."""
        with self._lock:
            self._acked.discard(filter)
        rc, mid = client.subscribe(filter, qos=1)
        if rc != mqtt.MQTT_ERR_SUCCESS or mid is None:
            return
        with self._sub_cond:
            early = self._early.pop(mid, None)
            if early is None:
                self._sub_mids[mid] = filter
            elif early:
                self._acked.add(filter)
                self._sub_cond.notify_all()

    def unsubscribe(self, filter: str) -> None:
        with self._lock:
            self._handlers.pop(filter, None)
        if self.connected:
            self._client.unsubscribe(filter)

    # --- request / response ---

    def request(self, topic: str, payload: Payload, response_topic: str, timeout: float) -> Payload:
        """Send a v5 request and wait for its answer (the responder's envelope, decoded).

        Raises BrokerUnreachable (50301) when the link is down and HubTimeout (50301) when no
        answer comes within `timeout` s (the request may have been applied: retry with the
        same idempotency key). A request that failed is taken out of paho's outgoing queue, so
        it is never sent later, after a reconnect (see `_withdraw`)."""
        hub = self._hub_of(topic)
        if threading.get_ident() == self._network_thread:
            # the answer would arrive on this very thread: it would wait for itself
            raise RuntimeError("Link.request called from a message handler; use a worker thread")
        if not self.connected:
            raise BrokerUnreachable(
                f"broker unreachable ({self.broker_url}): cannot reach {hub}; retry when the "
                "broker is back (the hub's own API keeps working)")
        with self._lock:
            known = response_topic in self._response_topics
            self._response_topics.add(response_topic)
        if not known:
            self.subscribe(response_topic, self._handle_response)
        corr = uuid.uuid4().bytes
        future: Future[Payload] = Future()
        with self._lock:
            self._pending[corr] = (response_topic, future)
        props = _props(PacketTypes.PUBLISH)
        props.ResponseTopic = response_topic
        props.CorrelationData = corr
        props.MessageExpiryInterval = max(1, math.ceil(timeout))
        mid: int | None = None
        answered = False
        try:
            info = self._client.publish(topic, _encode(payload), qos=1, properties=props)
            mid = info.mid
            if info.rc != mqtt.MQTT_ERR_SUCCESS:
                raise BrokerUnreachable(
                    f"broker unreachable ({self.broker_url}): the request to {hub} was not "
                    "sent; retry when the broker is back")
            try:
                result = future.result(timeout)
            except FutureTimeout:
                raise HubTimeout(
                    f"{hub} did not answer within {timeout:g}s; it may have been applied, retry "
                    "with the same Idempotency-Key") from None
            answered = True
            return result
        finally:
            with self._lock:
                self._pending.pop(corr, None)
            if not answered and mid is not None:
                self._withdraw(mid)

    def _withdraw(self, mid: int) -> None:
        """Take a failed request out of paho's outgoing queue. paho 2.2 keeps a QoS-1 message
        it could not send (publish returned MQTT_ERR_NO_CONN) or that the broker has not
        acknowledged, and sends it again after the next reconnect, however late: a request the
        caller was told failed (and may retry) would then arrive and apply a second time. paho
        has no public call to drop one message (`drop_out_messages` drops all), hence its
        internals here, under its own lock, as its PUBACK handler does."""
        client = self._client
        with client._out_message_mutex:
            message = client._out_messages.pop(mid, None)
            if message is None:
                return   # acknowledged by the broker already (or never queued)
            if message.state == mqtt_ms_wait_for_puback:
                client._inflight_messages -= 1   # it held an in-flight slot (a reconnect recounts)
        message.info._set_as_published()   # wake anyone waiting on it

    def respond(self, properties: Properties | None, obj: Payload) -> bool:
        """Answer a request: publish `obj` to its Response Topic with its Correlation Data."""
        topic = getattr(properties, "ResponseTopic", None) if properties is not None else None
        if not topic:
            log.warning("a request without a response topic was ignored")
            return False
        if not self.connected:
            return False
        props = _props(PacketTypes.PUBLISH)
        corr = getattr(properties, "CorrelationData", None)
        if corr is not None:
            props.CorrelationData = corr
        info = self._client.publish(str(topic), _encode(obj), qos=1, properties=props)
        return info.rc == mqtt.MQTT_ERR_SUCCESS

    # --- paho callbacks (network thread) ---

    def _handle_connect(self, client: mqtt.Client, userdata: object, flags: mqtt.ConnectFlags,
                        reason: ReasonCode, properties: Properties | None) -> None:
        if reason.is_failure:
            message = _connack_message(reason, self.user, self.broker_url)
            if message != self.last_error:
                log.error("%s", message)
            self.last_error = message
            return
        self.last_error = ""
        self.connects += 1
        # A request and its answer are small packets each way: without TCP_NODELAY, Nagle's
        # algorithm meets the peer's delayed ACK and every request waits ~40 ms per hop.
        sock = client.socket()
        if isinstance(sock, socket.socket):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        log.info("fleet link %s connected to %s", self.client_id, self.broker_url)
        with self._lock:
            self._acked.clear()
            self._sub_mids.clear()
            self._early.clear()
            filters = list(self._handlers)
        for f in filters:
            self._send_subscribe(client, f)
        self._connected.set()
        if self._on_connect_cb is not None:
            try:
                self._on_connect_cb()
            except Exception:
                log.exception("the fleet link's on_connect failed")

    def _handle_subscribe(self, client: mqtt.Client, userdata: object, mid: int,
                          reasons: list[ReasonCode], properties: Properties | None) -> None:
        failed = any(r.is_failure for r in reasons)
        with self._sub_cond:
            filter = self._sub_mids.pop(mid, None)
            if filter is None:
                self._early[mid] = not failed
                return
            if failed:
                log.error("the broker refused the subscription %s of user %r (%s); check its "
                          "acl_file", filter, self.user, ", ".join(str(r) for r in reasons))
                return
            self._acked.add(filter)
            self._sub_cond.notify_all()

    def _handle_connect_fail(self, client: mqtt.Client, userdata: object) -> None:
        # paho calls this inside its `except OSError:` of the failed connect: the cause is here
        exc = sys.exc_info()[1]
        if isinstance(exc, ssl.SSLError):
            message = (f"the TLS handshake with the broker {self.broker_url} failed ({exc}); check "
                       "fleet_ca_file and that the broker's certificate names this host; retrying")
        else:
            why = f" ({exc.strerror or exc})" if isinstance(exc, OSError) else ""
            message = (f"the broker {self.broker_url} is unreachable{why}; check that it runs and "
                       "its address and port; retrying every few seconds")
        if message != self.last_error:
            log.warning("%s", message)
        self.last_error = message

    def _handle_disconnect(self, client: mqtt.Client, userdata: object, flags: mqtt.DisconnectFlags,
                           reason: ReasonCode, properties: Properties | None) -> None:
        was = self._connected.is_set()
        self._connected.clear()
        if was and self._started:
            log.warning("fleet link %s lost the broker (%s); reconnecting", self.client_id, reason)
        self._fail_pending(BrokerUnreachable(
            f"broker unreachable ({self.broker_url}): the connection dropped before the answer "
            "came; it may have been applied, retry with the same Idempotency-Key"))

    def _handle_message(self, client: mqtt.Client, userdata: object, message: mqtt.MQTTMessage) -> None:
        self._network_thread = threading.get_ident()   # handlers run here: request() refuses it
        topic = message.topic
        with self._lock:
            handlers = [h for f, h in self._handlers.items() if mqtt.topic_matches_sub(f, topic)]
        if not handlers:
            return
        try:
            payload = _decode(message.payload)
        except (ValueError, UnicodeDecodeError):
            log.warning("ignored a message on %s that is not JSON", topic)
            return
        props = getattr(message, "properties", None)
        for handler in handlers:
            try:
                handler(topic, payload, props)
            except Exception:
                log.exception("the handler of %s failed", topic)

    def _handle_response(self, topic: str, payload: Payload, properties: Properties | None) -> None:
        corr = getattr(properties, "CorrelationData", None) if properties is not None else None
        if not isinstance(corr, bytes | bytearray):
            return
        with self._lock:
            entry = self._pending.get(bytes(corr))
        # only the topic the request named may answer it (the ACL lets only that hub write there)
        if entry is None or entry[0] != topic:
            return
        if not entry[1].done():
            entry[1].set_result(payload)

    def _fail_pending(self, error: errors.ApplianceError) -> None:
        with self._lock:
            pending = list(self._pending.values())
        for _, future in pending:
            if not future.done():
                future.set_exception(error)

    @staticmethod
    def _hub_of(topic: str) -> str:
        parsed = topics.parse_hub_topic(topic)
        return f"hub {parsed[0]}" if parsed else topic


def raise_for_envelope(answer: Payload) -> Payload:
    """`data` of a responder's envelope; the matching ApplianceError when its code is not 0."""
    if not isinstance(answer, dict) or "code" not in answer:
        raise errors.InternalError("a hub answered with something that is not an envelope")
    code = answer.get("code")
    if code == 0:
        return answer.get("data")
    message = str(answer.get("message") or "the hub refused the request")
    cls = _ERRORS_BY_CODE.get(code if isinstance(code, int) else -1, errors.InternalError)
    raise cls(message, answer.get("data"))


def _error_classes() -> dict[int, type[errors.ApplianceError]]:
    table: dict[int, type[errors.ApplianceError]] = {}
    for cls in (errors.InvalidParams, errors.ScriptNameMissing, errors.ScriptNotSupported,
                errors.NoMatchingAccount, errors.Unauthorized, errors.PlanForbidsApi,
                errors.NotFound, errors.MethodNotAllowed, errors.BodyTooLarge, errors.InternalError,
                errors.Busy, errors.DeviceTimeout):
        table.setdefault(cls.code, cls)
    return table


_ERRORS_BY_CODE = _error_classes()
