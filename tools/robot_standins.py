"""Local stand-ins for DingTalk custom robots, WeCom group robots, Feishu custom bots and an SMS gateway
that enforce the vendors' documented rules and answer as the vendors do: HTTP 200 with a code in the
body (Feishu's and the SMS gateway's rules: standin_feishu_sms.py).

DingTalk (`POST /robot/send?access_token=T[&timestamp=MS&sign=S]`):
- a robot with a secret needs a valid signature (HMAC-SHA256 of "<ms>\\n<secret>", base64, URL-encoded)
  and a timestamp within one hour; a robot with a keyword needs it in the message: else 310000;
- body over 20,000 bytes: 460101;
- over 20 messages in any 60 s: 130101, and the robot refuses everything for 10 minutes;
- unknown token: 300001.
WeCom (`POST /cgi-bin/webhook/send?key=K`):
- `text.content` over 2,048 bytes or `markdown.content` over 4,096 bytes (UTF-8): 40058;
- over 20 messages in any 60 s: 45009; unknown key: 93000.
A malformed body: 40035 (DingTalk) / 40008 (WeCom). Every accepted message is kept with its arrival
time, and every refusal with its code, for the checks of tests and benchmarks.
"""

from __future__ import annotations

import threading
import time
import urllib.parse
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson

from tools.robot_bodies import dingtalk_signed, dingtalk_text, feishu_text, json_object, wecom_text
from tools.standin_feishu_sms import FeishuAndSms

DINGTALK_MAX_BODY = 20_000
WECOM_MAX_TEXT, WECOM_MAX_MARKDOWN = 2_048, 4_096
PER_MINUTE = 20
DINGTALK_THROTTLE_SECONDS = 600.0


@dataclass(frozen=True)
class Received:
    vendor: str
    robot: str
    at: float  # time.time() on arrival
    body: dict[str, Any]
    size: int


@dataclass
class RobotStandins(FeishuAndSms):
    """One HTTP server for every vendor. Register robots first: `dingtalk(token, secret, keyword)`,
    `wecom(key)`, `feishu(token, secret, keyword)`, `sms_gateway(key)`; `remove(robot)` makes one answer
    as a deleted robot does."""

    clock: Any = time.time
    # The vendors' limits; a test may lower one to see how a refusal is handled.
    dingtalk_max_body: int = DINGTALK_MAX_BODY
    wecom_max_markdown: int = WECOM_MAX_MARKDOWN
    accepted: list[Received] = field(default_factory=list)
    refused: list[tuple[str, str, int, float]] = field(default_factory=list)  # vendor, robot, errcode, at
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""
    _dingtalk: dict[str, tuple[str, str]] = field(default_factory=dict)  # token -> (secret, keyword)
    _wecom: set[str] = field(default_factory=set)
    _feishu: dict[str, tuple[str, str]] = field(default_factory=dict)  # token -> (secret, keyword)
    _sms_keys: set[str] = field(default_factory=set)
    _recent: dict[str, deque[float]] = field(default_factory=lambda: defaultdict(deque))
    _throttled_until: dict[str, float] = field(default_factory=dict)
    _down_until: dict[str, float] = field(default_factory=dict)
    _server: ThreadingHTTPServer | None = None

    def dingtalk(self, token: str, secret: str = "", keyword: str = "") -> str:
        self._dingtalk[token] = (secret, keyword)
        return f"{self.url}/robot/send?access_token={token}"

    def wecom(self, key: str) -> str:
        self._wecom.add(key)
        return f"{self.url}/cgi-bin/webhook/send?key={key}"

    def remove(self, robot: str) -> None:
        self._dingtalk.pop(robot, None)
        self._wecom.discard(robot)
        self._feishu.pop(robot, None)

    def start(self, port: int = 0) -> RobotStandins:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("content-length", 0)))
                parsed = urllib.parse.urlsplit(self.path)
                query = {k: v[0] for k, v in urllib.parse.parse_qs(parsed.query).items()}
                if owner.out_now(query.get("access_token") or query.get("key") or parsed.path.rsplit("/", 1)[-1]):
                    self.send_response(502)  # the vendor's gateway is down: nothing was taken
                    self.send_header("content-length", "0")
                    self.end_headers()
                    return
                answer: dict[str, Any] | None = None
                if parsed.path == "/robot/send":
                    code, message = owner.answer_dingtalk(query, raw)
                    answer = {"errcode": code, "errmsg": message}
                elif parsed.path == "/cgi-bin/webhook/send":
                    code, message = owner.answer_wecom(query, raw)
                    answer = {"errcode": code, "errmsg": message}
                elif parsed.path.startswith("/open-apis/bot/v2/hook/"):
                    answer = owner.answer_feishu(parsed.path.rsplit("/", 1)[-1], raw)
                elif parsed.path == "/sms/send":
                    answer = owner.answer_sms(self.headers.get("authorization", ""), raw)
                if answer is None:
                    self.send_response(404)
                    self.send_header("content-length", "0")
                    self.end_headers()
                    return
                body = orjson.dumps(answer)
                self.send_response(200)  # like the vendors: errors travel in the body
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 256

        self._server = Server(("127.0.0.1", port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    # -- the vendors' rules ------------------------------------------------------------------------

    def answer_dingtalk(self, query: dict[str, str], raw: bytes) -> tuple[int, str]:
        token = query.get("access_token", "")
        with self.lock:
            now = self.clock()
            if token not in self._dingtalk:
                return self._refuse("dingtalk", token, 300001, "token is not exist", now)
            secret, keyword = self._dingtalk[token]
            if self._throttled_until.get(token, 0.0) > now:
                return self._refuse("dingtalk", token, 130101, "send too fast, exceed 20 times per minute", now)
            if secret and not dingtalk_signed(secret, query, now):
                return self._refuse("dingtalk", token, 310000, "sign not match", now)
            if len(raw) > self.dingtalk_max_body:
                return self._refuse("dingtalk", token, 460101, "message too long, exceed 20000 bytes", now)
            body = json_object(raw)
            text = dingtalk_text(body)
            if text is None:
                return self._refuse("dingtalk", token, 40035, "缺少参数 json", now)
            if keyword and keyword not in text:
                return self._refuse("dingtalk", token, 310000, "keywords not in content", now)
            if not self._take(token, now):
                self._throttled_until[token] = now + DINGTALK_THROTTLE_SECONDS
                return self._refuse("dingtalk", token, 130101, "send too fast, exceed 20 times per minute", now)
            self._accept("dingtalk", token, now, body or {}, len(raw))
            return 0, "ok"

    def answer_wecom(self, query: dict[str, str], raw: bytes) -> tuple[int, str]:
        key = query.get("key", "")
        with self.lock:
            now = self.clock()
            if key not in self._wecom:
                return self._refuse("wecom", key, 93000, "invalid webhook url", now)
            body = json_object(raw)
            kind = body.get("msgtype") if body else None
            content = (body or {}).get(str(kind), {}).get("content") if kind in ("text", "markdown") else None
            if not isinstance(content, str):
                return self._refuse("wecom", key, 40008, "invalid message type", now)
            limit = WECOM_MAX_TEXT if kind == "text" else self.wecom_max_markdown
            if len(content.encode()) > limit:
                return self._refuse("wecom", key, 40058, f"content exceed max length {limit}", now)
            if not self._take(key, now):
                return self._refuse("wecom", key, 45009, "api freq out of limit", now)
            self._accept("wecom", key, now, body or {}, len(raw))
            return 0, "ok"

    def sent_before(self, robot: str, ages: list[float]) -> None:
        """Messages this robot took `ages` seconds ago (from other senders), counted in its minute."""
        with self.lock:
            now = self.clock()
            self._recent[robot].extend(sorted(now - a for a in ages))

    def outage(self, robot: str, seconds: float) -> None:
        """The vendor's gateway answers 502 for this robot for a while (nothing taken, nothing counted)."""
        with self.lock:
            self._down_until[robot] = self.clock() + seconds

    def out_now(self, robot: str) -> bool:
        with self.lock:
            if self.clock() < self._down_until.get(robot, 0.0):
                self.refused.append(("gateway", robot, 502, self.clock()))
                return True
            return False

    def throttle(self, robot: str, seconds: float) -> None:
        """As after someone else's burst: DingTalk refuses everything from this robot for a while."""
        with self.lock:
            self._throttled_until[robot] = self.clock() + seconds

    def _take(self, robot: str, now: float) -> bool:
        recent = self._recent[robot]
        while recent and recent[0] <= now - 60.0:
            recent.popleft()
        if len(recent) >= PER_MINUTE:
            return False
        recent.append(now)
        return True

    def _accept(self, vendor: str, robot: str, now: float, body: dict[str, Any], size: int) -> None:
        self.accepted.append(Received(vendor, robot, now, body, size))

    def _refuse(self, vendor: str, robot: str, code: int, message: str, now: float) -> tuple[int, str]:
        self.refused.append((vendor, robot, code, now))
        return code, message

    # -- what the checks read ----------------------------------------------------------------------

    def most_in_a_minute(self) -> dict[str, int]:
        """Per robot, the most accepted messages in any 60 s window."""
        with self.lock:
            times: dict[str, list[float]] = defaultdict(list)
            for r in self.accepted:
                times[r.robot].append(r.at)
        out = {}
        for robot, ts in times.items():
            ts.sort()
            best, lo = 0, 0
            for hi, t in enumerate(ts):
                while t - ts[lo] >= 60.0:
                    lo += 1
                best = max(best, hi - lo + 1)
            out[robot] = best
        return out

    def texts(self, robot: str | None = None) -> list[str]:
        with self.lock:
            return [text_of(r) for r in self.accepted if robot is None or r.robot == robot]


def text_of(received: Received) -> str:
    """What the group (or phone) shows of an accepted message."""
    if received.vendor == "feishu":
        return feishu_text(received.body) or ""
    if received.vendor == "sms":
        return str(received.body.get("text", ""))
    return dingtalk_text(received.body) or wecom_text(received.body) or ""
