"""The root configuration: the one typed tree of config.yaml, assembled from the stages' sections.

`load(path)` reads YAML, substitutes `${VAR}` / `${VAR:-default}` from the environment, and
validates with pydantic. Every failure raises `ConfigError` whose lines each name the key path,
the bad value and what was expected, so a user can fix the file without reading code.

Each stage owns its section's model (sources: crawlers/config.py, nlp: nlp/config.py, alerts:
alerts/config.py); the shared types (Strict, Elasticsearch, Topic) are the core's
(yuqing/config.py). Only the shell assembles them, so no stage imports another's config.
"""
from __future__ import annotations

import difflib
import os
import re
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import AfterValidator, BaseModel, Field, ValidationError, field_validator

from alerts.config import AlertsConfig
from crawlers.config import SourcesConfig
from nlp.config import NlpConfig
from yuqing.app.console.settings import ConsoleConfig
from yuqing.app.schedule_config import ScheduleConfig
from yuqing.config import ElasticsearchConfig, Strict, Topic, match_topics, yuqing_home
from yuqing.mentions import is_name

DEFAULT_PATH = "config.yaml"


class ConfigError(Exception):
    """A config problem a person can act on: one line per problem."""

    def __init__(self, path: str | os.PathLike, problems: list[str]):
        self.path = str(path)
        self.problems = problems
        super().__init__(f"{self.path}: " + "; ".join(problems))

    def __str__(self) -> str:
        return "\n".join(f"{self.path}: {p}" for p in self.problems)


class RetentionConfig(Strict):
    days: int = Field(365, ge=1)  # monthly post indices whose newest possible post is older go
    # `<prefix>-crawls` (source health): runs older than this are deleted; source_down looks back days
    crawl_runs_days: int = Field(90, ge=7)
    # `<prefix>-incidents`: incidents resolved longer ago than this are deleted (open ones never)
    incidents_days: int = Field(365, ge=1)
    # `<prefix>-audit`: entries older than this are deleted (who did what: staff names, PRIVACY.md)
    audit_days: int = Field(365, ge=1)


def _account_name(name: str) -> str:
    """An entry of privacy.public_accounts: a name an @mention can carry ("@" optional)."""
    name = name.strip().lstrip("@＠")
    if not is_name(name):
        raise ValueError("cannot be an @name: a name is 4-30 bytes (a CJK character counts two) of CJK "
                         "characters, letters, digits, _ or -; write it as the platform shows it after @")
    return name


class PrivacyConfig(Strict):
    """Owned by pipelines/privacy.py; see PRIVACY.md for why each switch exists."""

    pseudonymise: bool = True
    mask_pii: bool = True
    # Fields kept in the index; everything else a source yields is dropped before storage.
    # null keeps every schema field; platform, post_id, published_at, crawled_at are always kept.
    keep_fields: list[str] | None = None
    # Accounts kept by name, as author and in @mentions: the brand's own and the media accounts a
    # team must see. Every other @name in stored text is pseudonymised like an author's name.
    public_accounts: list[Annotated[str, AfterValidator(_account_name)]] = []
    # Authors with at least this many followers keep their name as author (media, celebrities: a
    # brand must be able to contact them; key voices, alerts/voices.py). null: every author is
    # pseudonymised. Their author id is pseudonymised all the same.
    public_followers: int | None = Field(None, ge=1)
    # Demo and tests only: without YUQING_PSEUDO_KEY, generate and use $YUQING_HOME/pseudo.key.
    # Otherwise a crawl or an ingest refuses to store posts without the variable.
    local_key: bool = False

    @field_validator("keep_fields")
    @classmethod
    def _known_fields(cls, v: list[str] | None) -> list[str] | None:
        from yuqing.post import Post

        for name in v or []:
            if name not in Post.model_fields:
                close = difflib.get_close_matches(name, list(Post.model_fields), n=1)
                raise ValueError(f"{name!r} is not a post field"
                                 + (f"; did you mean {close[0]!r}?" if close else f"; fields: {', '.join(Post.model_fields)}"))
        return v


class Config(Strict):
    timezone: str = "Asia/Shanghai"
    home: str | None = None  # overrides YUQING_HOME
    elasticsearch: ElasticsearchConfig = ElasticsearchConfig()
    topics: list[Topic] = []
    sources: SourcesConfig = SourcesConfig()
    nlp: NlpConfig = NlpConfig()
    alerts: AlertsConfig = AlertsConfig()
    schedule: ScheduleConfig = ScheduleConfig()
    retention: RetentionConfig = RetentionConfig()
    privacy: PrivacyConfig = PrivacyConfig()
    console: ConsoleConfig = ConsoleConfig()  # `yuqing serve` (yuqing/app/console/settings.py)
    path: str | None = Field(None, exclude=True)

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {v!r}; use an IANA name such as Asia/Shanghai")
        return v

    @property
    def home_dir(self) -> Path:
        return yuqing_home(self.home)

    def topic_names(self) -> list[str]:
        return [t.name for t in self.topics]

    def match_topics(self, text: str) -> list[str]:
        return match_topics(self.topics, text)


_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def _substitute(node: Any, where: str, problems: list[str]) -> Any:
    if isinstance(node, dict):
        return {k: _substitute(v, f"{where}.{k}" if where else str(k), problems) for k, v in node.items()}
    if isinstance(node, list):
        return [_substitute(v, f"{where}.{i}", problems) for i, v in enumerate(node)]
    if not isinstance(node, str) or "${" not in node:
        return node

    def repl(m: re.Match) -> str:
        name, default = m.group(1), m.group(2)
        value = os.environ.get(name)
        if value is None or (value == "" and default is not None):
            if default is None:
                problems.append(
                    f"{where}: environment variable {name} is not set "
                    f"(export {name}=..., or write ${{{name}:-default}} in the file)"
                )
                return ""
            return default
        return value

    out = _VAR.sub(repl, node)
    # A whole-value placeholder that resolves to "" means "not set": treat as null.
    if out == "" and _VAR.fullmatch(node):
        return None
    return out


def _model_keys(model: type[BaseModel], loc: tuple) -> list[str]:
    """The keys allowed at `loc` (for "did you mean" on an unknown key)."""
    m: Any = model
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        f = getattr(m, "model_fields", {}).get(part)
        if f is None:
            return []
        ann = f.annotation
        for cand in [ann, *getattr(ann, "__args__", ())]:
            if isinstance(cand, type) and issubclass(cand, BaseModel):
                m = cand
                break
            inner = getattr(cand, "__args__", ())
            if inner and isinstance(inner[0], type) and issubclass(inner[0], BaseModel):
                m = inner[0]
                break
        else:
            return []
    return list(getattr(m, "model_fields", {}))


def _describe(err: dict, model: type[BaseModel]) -> str:
    loc = err["loc"]
    key = ".".join(str(p) for p in loc) or "(top level)"
    if err["type"] == "extra_forbidden":
        allowed = [k for k in _model_keys(model, loc) if k != "path"]
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else (f"; allowed: {', '.join(allowed)}" if allowed else "")
        return f"{key}: unknown key{hint}"
    value = err.get("input")
    shown = repr(value) if "password" not in key else "(hidden)"  # a plaintext password is never echoed
    if len(shown) > 60:
        shown = shown[:57] + "..."
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "missing":
        return f"{key}: required key is missing"
    return f"{key}: {msg} (got {shown})"


def parse(data: Any, path: str | os.PathLike = "<config>") -> Config:
    """Validate an already-loaded mapping (tests and `config check` share this)."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(path, [f"the file must be a mapping of sections, got {type(data).__name__}"])
    problems: list[str] = []
    data = _substitute(data, "", problems)
    if problems:
        raise ConfigError(path, problems)
    try:
        cfg = Config.model_validate(data)
    except ValidationError as e:
        raise ConfigError(path, [_describe(err, Config) for err in e.errors()]) from None
    cfg.path = str(path)
    return cfg


def load(path: str | os.PathLike | None = None) -> Config:
    path = Path(path or os.environ.get("YUQING_CONFIG") or DEFAULT_PATH)
    if not path.exists():
        raise ConfigError(path, ["file not found (pass --config PATH or set YUQING_CONFIG)"])
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise ConfigError(path, [f"{where}not valid YAML ({getattr(e, 'problem', e)})"]) from None
    return parse(data, path)


def config_warnings(cfg: Config) -> list[str]:
    """What is valid but almost certainly not meant: `config check` prints these as warnings."""
    out: list[str] = []
    topics = cfg.topic_names()
    for i, p in enumerate(cfg.sources.jd_reviews.products):
        if p.topic is not None and p.topic not in topics:
            close = difflib.get_close_matches(p.topic, topics, n=1)
            out.append(f"sources.jd_reviews.products.{i}.topic: {p.topic!r} is not a topic under `topics:`, so "
                       f"product {p.id} is never crawled; "
                       + (f"did you mean {close[0]!r}?" if close else
                          f"add the topic or use one of: {', '.join(topics) or '(none configured)'}"))
    out += _aspect_warnings(cfg)
    if cfg.privacy.pseudonymise and cfg.privacy.local_key:
        out.append("privacy.local_key: true is for the demo and tests: posts are pseudonymised with a key file "
                   "generated under $YUQING_HOME; in production set YUQING_PSEUDO_KEY and remove this key")
    return out


def _aspect_warnings(cfg: Config) -> list[str]:
    """An alert measuring an aspect no dictionary names would never count anything."""
    from nlp.aspects import read_terms

    known = set(read_terms().values()) | set(cfg.nlp.aspect_terms) | {a for t in cfg.topics for a in t.aspects}
    out = []
    rules = [("alerts.rules", cfg.alerts.rules)] + [(f"alerts.topics.{t}", cfg.alerts.rules_for(t))
                                                   for t in cfg.alerts.topics]
    for where, r in rules:
        for name in ("negative_spike", "volume_spike", "negative_ratio"):
            aspect = getattr(r, name).aspect
            if aspect and aspect not in known:
                close = difflib.get_close_matches(aspect, sorted(known), n=1)
                out.append(f"{where}.{name}.aspect: {aspect!r} is not an aspect of nlp/data/aspects.tsv, "
                           "nlp.aspect_terms or topics[].aspects, so it never counts a post; "
                           + (f"did you mean {close[0]!r}?" if close else f"use one of: {', '.join(sorted(known))}"))
    return sorted(set(out))


SECRET_KEYS = re.compile(r"(password|passwd|pwd|secret|token|api_key|apikey|cookies?|pseudo_key|authorization"
                         r"|credentials?)$", re.I)
# Credentials carried inside a URL: a webhook is as good as its token (DingTalk access_token,
# WeCom key, Feishu/Slack hook paths), and user:password@host.
SECRET_IN_URL = re.compile(r"(?i)[?&](?:access_token|token|key|sign|secret)=(?!\$\{)[^&\s]+"
                           r"|/open-apis/bot/v2/hook/[\w-]+|hooks\.slack\.com/\S+|://[^/\s:@]+:(?!\$\{)[^@\s/]+@")


def secret_warnings(path: str | os.PathLike) -> list[str]:
    """Secrets should come from the environment; warn on any literal one in the file."""
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    out: list[str] = []

    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                w = f"{where}.{k}" if where else str(k)
                literal = [x for x in (v if isinstance(v, list) else [v]) if isinstance(x, str) and x
                           and not _VAR.fullmatch(x.strip())]
                if SECRET_KEYS.search(str(k)) and literal:
                    out.append(f"{w}: a secret is written in the file; use ${{ENV_VAR}} instead")
                elif isinstance(v, str) and SECRET_IN_URL.search(v):
                    out.append(f"{w}: this URL carries a credential (token, key or password); "
                               "use ${ENV_VAR} for the whole URL instead")
                if not isinstance(v, str):
                    walk(v, w)
        elif isinstance(node, list):
            for i, v in enumerate(node):
                if isinstance(v, str) and SECRET_IN_URL.search(v):
                    out.append(f"{where}.{i}: this URL carries a credential (token, key or password); "
                               "use ${ENV_VAR} for the whole URL instead")
                walk(v, f"{where}.{i}")

    walk(raw, "")
    return out

