"""Config models for the `alerts:` section.

Rules are configured once under `alerts.rules` and may be tuned per topic under
`alerts.topics.<name>.<rule>`: a topic override only names the keys it changes, and is merged
over the defaults at load time so a typo fails `yuqing config check`, not the 3 a.m. evaluation.
Channels (`alerts.channels`) belong to the delivery half (alerts/channels, alerts/outbox).
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal

from pydantic import Field, model_validator

from alerts.channels.config import ChannelConfig, DeliveryConfig, check_unique
from yuqing.config import Strict
from yuqing.times import Duration, format_duration


class RuleBase(Strict):
    enabled: bool = True
    window: Duration = timedelta(minutes=15)
    # Severity grows with value / threshold: below warning_at it is "info".
    warning_at: float = Field(1.5, ge=1)
    critical_at: float = Field(3.0, ge=1)
    # Quiet this long → recovery notice; unset: `alerts.recover_after`. A rule over a short window
    # is quiet as soon as the event has left it, so it need not wait as long as one over an hour.
    recover_after: Duration | None = None

    @model_validator(mode="after")
    def _order(self):
        if self.critical_at < self.warning_at:
            raise ValueError(f"critical_at ({self.critical_at}) must be >= warning_at ({self.warning_at})")
        if self.window <= timedelta(0):
            raise ValueError("window must be positive")
        return self


Emotion = Literal["乐", "好", "怒", "哀", "惧", "恶", "惊"]  # DUTIR's classes, as nlp/emotions.py stores them


class Measured(RuleBase):
    """What a spike counts can be narrowed to posts negative about one aspect (`aspect: 售后`,
    nlp/aspects.py) or to posts expressing one emotion (`emotion: 怒`, an anger surge)."""

    aspect: str | None = Field(None, min_length=1, max_length=32)
    emotion: Emotion | None = None

    def match(self) -> dict[str, str]:
        """The post filter these keys add (yuqing/post_queries.py `match`)."""
        m = {}
        if self.aspect:
            m["negative_aspects"] = self.aspect
        if self.emotion:
            m["emotions"] = self.emotion
        return m


class SpikeRule(Measured):
    """Current window against a seasonal baseline (same time of day on past days + recent windows)."""

    min_count: int = Field(10, ge=1)  # absolute floor: 0 → 3 at night is not an event
    multiple: float = Field(3.0, ge=1)  # current must be >= multiple x baseline
    margin: float = Field(4.0, ge=0)  # and >= baseline + margin x robust spread (MAD, Poisson floor)
    history_days: int = Field(7, ge=0, le=60)
    recent_windows: int = Field(8, ge=0, le=200)
    slow_windows: list[Duration] = [timedelta(hours=2)]  # also catch build-ups slower than `window`
    # "weighted": each post counts 1 + engagement / engagement_unit + author followers / followers_unit,
    # so ten posts by big accounts weigh more than ten by nobody; min_count still counts posts.
    measure: Literal["count", "weighted"] = "count"
    engagement_unit: int = Field(100, ge=1)
    followers_unit: int = Field(10_000, ge=1)


class SurpriseRule(RuleBase):
    """Negative posts in `window` against a Poisson expectation from the same time of day on past
    days (alerts/rules/surprise.py). Fires at warning: a count this unlikely is worth a person's look."""

    min_surprise: float = Field(4.5, gt=0)  # fire when P(count >= observed | expected) <= 10^-min_surprise
    min_count: int = Field(4, ge=1)  # and at least this many negative posts: 0 → 3 at night is not an event
    multiple: float = Field(3.0, ge=1)  # and at least this multiple of the expected count
    rate_floor: float = Field(0.3, gt=0)  # expected negative posts per window never below this
    band: Duration = timedelta(hours=1)  # the stretch of each past day the expectation is read from
    history_days: int = Field(7, ge=1, le=60)
    min_history_days: int = Field(3, ge=1)  # past days with posts before the rule judges at all
    warning_at: float = Field(1.0, ge=1)  # severity by surprise / min_surprise
    critical_at: float = Field(2.0, ge=1)
    recover_after: Duration | None = timedelta(minutes=15)

    @model_validator(mode="after")
    def _history(self):
        if self.min_history_days > self.history_days:
            raise ValueError(f"min_history_days ({self.min_history_days}) must be <= history_days "
                             f"({self.history_days})")
        if self.band < self.window:
            raise ValueError(f"band ({format_duration(self.band)}) must be at least the window "
                             f"({format_duration(self.window)})")
        return self


class VolumeSpikeRule(SpikeRule):
    min_count: int = Field(50, ge=1)


class RatioRule(RuleBase):
    window: Duration = timedelta(hours=1)
    warning_at: float = Field(1.2, ge=1)  # a share of 60 % against 50 %
    critical_at: float = Field(1.6, ge=1)  # 80 %
    threshold: float = Field(0.5, gt=0, le=1)  # the share that fires
    min_volume: int = Field(30, ge=1)  # posts in the window before a share means anything
    # Whose share: negative posts (the default), posts expressing anger (怒) or disgust (恶), or
    # posts negative about `aspect` (measure: aspect, aspect: 质量).
    measure: Literal["negative", "anger", "disgust", "aspect"] = "negative"
    aspect: str | None = Field(None, min_length=1, max_length=32)

    @model_validator(mode="after")
    def _aspect(self):
        if self.measure == "aspect" and not self.aspect:
            raise ValueError("measure: aspect needs the aspect to measure, e.g. aspect: 售后")
        if self.aspect and self.measure != "aspect":
            raise ValueError(f"aspect: {self.aspect} is only read with measure: aspect (measure is {self.measure})")
        return self

    def match(self) -> dict[str, str]:
        """The filter of the share's numerator (empty for `negative`, which uses the label)."""
        return {"anger": {"emotions": "怒"}, "disgust": {"emotions": "恶"},
                "aspect": {"negative_aspects": self.aspect or ""}}.get(self.measure, {})


DEFAULT_TERMS = ["投诉", "维权", "曝光", "假货", "召回", "315", "退款", "欺诈", "爆炸", "起火", "中毒"]


class KeywordRule(RuleBase):
    terms: list[str] = Field(default_factory=lambda: list(DEFAULT_TERMS), min_length=1)
    min_count: int = Field(3, ge=1)  # negative posts naming any term within the window


class InfluencerRule(RuleBase):
    window: Duration = timedelta(hours=1)
    min_followers: int = Field(100_000, ge=1)
    min_engagement: int = Field(1_000, ge=1)  # likes + comments + reposts gathered within the window


class SourceDownRule(RuleBase):
    """A source whose last `runs` crawl runs yielded nothing while failures dominated
    (alerts/rules/source_down.py); judged per source, so it has no per-topic overrides."""

    window: Duration = timedelta(days=2)  # runs finished longer ago than this do not count
    runs: int = Field(3, ge=1)  # consecutive runs
    warning_at: float = Field(1.0, ge=1)  # severity by failed runs / runs: warning from the start
    critical_at: float = Field(3.0, ge=1)
    recover_after: Duration | None = timedelta(0)  # the first run that yields again ends it


class Rules(Strict):
    negative_spike: SpikeRule = SpikeRule()
    negative_surprise: SurpriseRule = SurpriseRule()
    negative_ratio: RatioRule = RatioRule()
    volume_spike: VolumeSpikeRule = VolumeSpikeRule()
    keyword: KeywordRule = KeywordRule()
    influencer: InfluencerRule = InfluencerRule()
    source_down: SourceDownRule = SourceDownRule()


RULE_NAMES = list(Rules.model_fields)
SOURCE_RULES = ("source_down",)  # judged per crawl source, not per topic


class PlaybookStep(Strict):
    """One step of a playbook: what to do, due this long after the incident opened, and who."""

    do: str = Field(min_length=1, max_length=300)
    due: Duration
    who: str | None = Field(None, max_length=200)
    on_response: bool = False  # marked done by itself when a response is recorded (`incidents respond`)


class Playbook(Strict):
    """What to do for a new incident of one rule and severity (alerts/incidents.py attaches it)."""

    steps: list[PlaybookStep] = []
    replies: list[str] = []  # reply templates; `{topic}` is replaced by the incident's topic


class IncidentsConfig(Strict):
    """Incidents (alerts/incidents.py): how alerts group, and where people open them."""

    enabled: bool = True
    grace: Duration = timedelta(hours=2)  # a new alert this soon after resolving reopens the incident
    console_url: str = Field("http://127.0.0.1:8765", pattern=r"^https?://")  # alerts link <url>/incidents/<id>
    skip_rules: list[str] = ["source_down"]  # rules whose alerts open no incident (crawler health)
    effect_window: Duration = timedelta(hours=6)  # effect report: this long before and after a response
    # Each alerts cycle tells the channels, once, about every playbook step past due (alerts/overdue.py).
    remind_overdue: bool = True


Severities = Literal["info", "warning", "critical"]


class AlertsConfig(Strict):
    enabled: bool = True
    interval: Duration = timedelta(seconds=30)  # how often `yuqing run` evaluates every rule
    realert: Duration = timedelta(hours=1)  # a rule still firing reminds people after this long
    escalate_factor: float = Field(2.0, gt=1)  # during cooldown, re-notify when value/threshold grows this much
    recover_after: Duration = timedelta(minutes=30)  # quiet this long → one recovery notice
    dedup: bool = True  # near-duplicates (posts with dup_of) count once
    kibana_url: str | None = "http://127.0.0.1:5601"
    kibana_data_view: str | None = None  # Kibana data view id for Discover links
    top_posts: int = Field(5, ge=0, le=50)
    top_events: int = Field(3, ge=0, le=10)  # events named in a message ("主要事件", alerts/events.py); 0: none
    rules: Rules = Rules()
    # rule -> rules whose active episode (told at the same or a higher severity) holds back its
    # messages for the same topic (alerts/noise.py hold_back); {} tells every rule on its own
    inhibit: dict[str, list[str]] = {"negative_spike": ["negative_surprise"]}
    topics: dict[str, dict[str, dict[str, Any]]] = {}  # topic -> rule -> overridden keys
    # Delivery (alerts/outbox.py, alerts/channels/): where alerts go and how hard the outbox tries.
    channels: list[ChannelConfig] = []
    delivery: DeliveryConfig = DeliveryConfig()
    # Incidents and playbooks (alerts/incidents.py): playbooks[rule][severity] is attached at open.
    incidents: IncidentsConfig = IncidentsConfig()
    playbooks: dict[str, dict[Severities, Playbook]] = {}

    @model_validator(mode="after")
    def _check(self):
        check_unique(self.channels)
        if self.interval <= timedelta(0):
            raise ValueError("interval must be positive")
        for topic, rules in self.topics.items():
            for name, keys in rules.items():
                if name not in RULE_NAMES:
                    raise ValueError(f"topics.{topic}.{name}: unknown rule; known: {', '.join(RULE_NAMES)}")
                if name in SOURCE_RULES:
                    raise ValueError(f"topics.{topic}.{name}: judged per source, not per topic; "
                                     f"set it under alerts.rules.{name}")
                if not isinstance(keys, dict):
                    raise ValueError(f"topics.{topic}.{name}: expected a mapping of rule keys")
                self.rules_for(topic)  # validates the merged rule now
        held = [(f"inhibit.{r}", [r, *srcs]) for r, srcs in self.inhibit.items()]
        for key, names in (("playbooks", list(self.playbooks)), ("incidents.skip_rules", self.incidents.skip_rules),
                           *held):
            for name in names:
                if name not in RULE_NAMES:
                    raise ValueError(f"{key}.{name}: unknown rule; known: {', '.join(RULE_NAMES)}")
        return self

    def rules_for(self, topic: str) -> Rules:
        """The rules for one topic: defaults with that topic's overrides merged in."""
        over = self.topics.get(topic)
        if not over:
            return self.rules
        merged = self.rules.model_dump()
        for name, keys in over.items():
            merged[name] = {**merged[name], **keys}
        try:
            return Rules.model_validate(merged)
        except Exception as e:
            raise ValueError(f"topics.{topic}: {e}") from None
