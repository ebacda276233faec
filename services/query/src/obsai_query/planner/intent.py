"""Stage 1 — parse: a question becomes an `Intent`.

What is measured (the glossary's measures and the question's other content
words), what to do with it (current value, per-second rate, increase over a
window, ratio or percentage, quantiles, average, top/bottom k, count, comparison
with an earlier time, threshold, prediction, "which … is down"), how to group
("by/per/each/which X") and over which window. Label values (filters) are found
in the next stage, against the labels the catalog knows.

Misspelt words are corrected towards the words the glossary and the grounding
know ("latancy" → latency, "databse" → database) before anything is read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from obsai_query.planner.vocabulary import (
    Measure,
    Vocabulary,
    split_name,
    split_phrase,
    stem,
    words,
)
from obsai_query.time_range import parse_duration

_TOKEN = re.compile(r"[a-z0-9][a-z0-9'\-./]*[a-z0-9]|[a-z0-9]")
_QUANTILE_P = re.compile(r"\bp(\d{2,3}(?:\.\d+)?)\b")
_QUANTILE_TH = re.compile(r"\b(\d{1,2}(?:\.\d+)?)(?:st|nd|rd|th)\b")
_QUANTILE_PERCENT = re.compile(r"\b(\d{1,2}(?:\.\d+)?)\s*(?:%|percent)\s*(?:percentile|quantile)")
_NUMBER_WORDS = {
    "a": 1,
    "an": 1,
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "twelve": 12,
    "twenty": 20,
    "thirty": 30,
}
_NUMBER = r"(\d+(?:\.\d+)?|an?|one|two|three|four|five|six|ten|twelve|twenty|thirty)"
_TIME_UNIT = r"(seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?|[smhdw])"
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_TOP_N = re.compile(
    r"\b(?:top|bottom|which|what|the)\s+(\d{1,3})\b"
    r"(?!\s*(?:%|percent|[smhdw]\b|ms\b)|[\s-]*(?:sec|min|hour|day|week)[a-z]*\b)"
    r"|\b(\d{1,3})\s+(?:most|least|[a-z]+est)\b"
)
_TOP_NUMBER = re.compile(
    r"\b(?:the)\s+\d+\b(?!\s*(?:%|percent|[smhdw]\b|ms\b)|[\s-]*(?:sec|min|hour|day|week)[a-z]*\b)"
    r"|\b\d+\s+(?:most|least|[a-z]+est)\b"
)
# "slower than the average probe", "above the mean": each thing against the average of all.
_THAN_AVERAGE = re.compile(
    r"\b(?:(above|over|more|higher|greater|bigger|larger|longer|slower|worse)|"
    r"(below|under|less|lower|smaller|shorter|faster|fewer|better))\s+(?:than\s+)?"
    r"(?:the\s+|their\s+|its\s+)?(?:average|mean)\b"
)
_ASIDE = re.compile(r"\((?:[a-z]+\s+){3,}[a-z]+\)")
# "… in the kernel rather than in user space": what the share is not of, said last.
_CONTRAST = r"(?:rather\s+than|instead\s+of|as\s+opposed\s+to)"
_RATHER_THAN = re.compile(rf"\b{_CONTRAST}\b")
_THRESHOLD = re.compile(
    r"\b(above|over|more than|greater than|exceeding|exceeds|exceed|higher than|at least|"
    r"longer than|slower than|bigger than|larger than|"
    r"below|under|less than|lower than|at most|fewer than|faster than|shorter than|"
    # "at least one connection": small numbers said as words too.
    r"smaller than)\s+(-?\d+(?:\.\d+)?|zero|one|two|three|four|five|six|seven|eight|nine|ten"
    # "more than a minute": one of a unit of time, said with its article.
    r"|an?(?=\s+(?:second|minute|hour|day|week)\b(?!\s+ago\b)))"
    r"\s*(%|percent\b|[a-z]+\b)?"
)
# "at least 1", "at most 5": the bound itself is in.
_INCLUSIVE = {"at least": ">=", "at most": "<="}
_SPAN_SAID = re.compile(r"(?:over|during|within|across|in)\s+\d+[mhdw]")
_LESS = (
    "below",
    "under",
    "less than",
    "lower than",
    "at most",
    "fewer than",
    "faster than",
    "shorter than",
    "smaller than",
)
# "at least one process", "at most 3": a bound said of a number, no ranking.
_BOUND = re.compile(r"\bat\s+(?:least|most)\b")
# "don't have a TTL", "without an expiry", "have no TTL": the things lacking what a part has.
_LACKING = re.compile(
    r"\b(?:(?:don'?t|doesn'?t|do\s+not|does\s+not|never)\s+(?:have|has|carry|set)"
    r"|(?:have|has|with)\s+no|without\s+(?:a|an|any)?)\b"
)
# "at least once in the last hour", "at any point": something that happened in the window.
_ONCE = re.compile(r"\b(?:at\s+least\s+once|at\s+any\s+(?:point|time|moment)|ever)\b")
# "not returning a 200", "anything other than 200": a status code that is not the one said.
_NOT = re.compile(r"\b(?:not|isn'?t|aren'?t|don'?t|doesn'?t|other\s+than|except|besides|non)\b")
# "status code 0", "code 0": a number said as a status code.
_NAMED_CODE = re.compile(
    r"\b(?:status\s+code|status|code)\s+(\d{1,3})\b(?!\s*(?:%|percent|[smhdw]\b))"
)
# "a 2xx status": a class of status codes that names no error (4xx, 5xx do).
_CODE_CLASS = re.compile(r"(?<![\w.])([123])xx(?![\w.])")
# "the last 15 min": minutes, not a minimum.
_MINUTES = re.compile(r"\b(?:\d+(?:\.\d+)?|an?|one|few)\s*mins?\b")
# "which command takes the longest": which one ranks first by how long it takes.
_WHICH_EXTREME = re.compile(r"\b(longest|shortest)\b")
_AGO = re.compile(rf"\b{_NUMBER}\s*{_TIME_UNIT}\s+ago\b")
_THEN = re.compile(
    r"\b(?:to|than|vs\.?|versus|with|against|and)\s+(?:the\s+)?(?:same\s+time\s+)?"
    r"(yesterday|last week|last hour|a week ago|a day ago)\b"
)
_HORIZON = re.compile(
    rf"\b(?:(?:in|within|after|for the next|over the next|next)\s+{_NUMBER}"
    # "over the next hour": one of the unit, no number said.
    r"|the\s+next\s)"
    rf"\s*{_TIME_UNIT}\b"
)
# "how many days until the database reaches 1 GB": the time left before a level is reached.
_REACH = re.compile(
    r"\b(?:until|till|before)\s+(?:[a-z0-9'\-]+\s+){0,4}?(?:reaches|reach|hits|hit|gets\s+to|"
    r"exceeds|passes|crosses)\s+(\d+(?:\.\d+)?)\s*([a-z%]+\b)?"
)
# "an hour from now", "1h from now": a time ahead is a prediction, however it is asked.
_FROM_NOW = re.compile(rf"\b{_NUMBER}\s*{_TIME_UNIT}\s+from\s+now\b")
# "the last hour", "past 24 hours", "last 30m": a window; "the last scrape" is none.
_WINDOW = re.compile(
    r"\b(over|in|during|for|within|across|from)?\s*(?:the\s+)?(?:last|past|previous|prior)\s+"
    r"(?:(?:\d+(?:\.\d+)?|a|an|one|two|three|four|five|six|ten|twelve|twenty|thirty)\s*)?"
    r"(?:seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?|[smhdw])\b"
    # "over 10m": a span in Prometheus' own notation (time_range reads it so too).
    r"|\b(over|during|within|across|in)\s+\d+[mhdw]\b"
)
_GROUP = re.compile(
    r"\b(?:by|per|each|every|all(?!\s+of\b))\s+(?:the\s+)?(?:http\s+)?"
    r"([a-z][a-z_\-]*)(?=(\s+[a-z][a-z_\-]*)?)"
)
_WHICH = re.compile(r"\b(?:which|what)\s+(?:\d+\s+)?([a-z][a-z_\-]+)")
_SUPERLATIVE = re.compile(
    r"\b(?:top|bottom)?\s*(?:\d+\s+)?"
    r"(?:most|least|busiest|slowest|fastest|biggest|largest|smallest|heaviest|highest|lowest|"
    r"hottest|worst|quietest|longest|shortest)\s+([a-z][a-z_\-]+)"
)
# "top 3 redis commands by …": the ranked things are the last word before "by/in/…".
_TOP_SUBJECT = re.compile(
    r"\b(?:top|bottom)\s+(?:\d+\s+)?(?:[a-z][a-z_\-]*\s+){0,2}?([a-z][a-z_\-]+)"
    r"(?=\s+(?:by|in|with|per|for|of|on|from|that|which|using|over|above|under)\b|\s*\??$)"
    r"|\b(?:top|bottom)\s+(?:\d+\s+)?([a-z][a-z_\-]+)"
)
_SUBJECT_WITH = re.compile(
    r"(?<!across all )(?<!across )\b([a-z][a-z_\-]+s)\s+(?:(?:with|where|that|having|whose|using|"
    r"use|are|is|have|has)\b|(?:over|above|under|below|exceeding|more than|less than)\s+\d)"
)
# A participle before "by" names who did it ("used by", "sent by"), unless it orders.
_AGENT = re.compile(
    r"\b(?!(?:grouped|sorted|ranked|ordered|aggregated|partitioned|summed|averaged|"
    r"counted|bucketed|keyed|labell?ed|indexed)\b)"
    r"(?:[a-z]+ed|used|spent|sent|read|written|taken|held|made|done|seen|run|served|"
    r"handled|received|consumed|exposed|scraped)$"
)
_HAS_HOW_MUCH = re.compile(
    r"\bhow\s+(?:much|many\s+(?:[kmgt]i?b|bytes|megabytes|gigabytes))\b.*\b(?:does|do|did)\b.*\bhave\b"
)
# "how many workers can postgres run", "how many clients can connect": what is allowed, a limit.
_HOW_MANY_TIMES = re.compile(r"\bhow\s+many\s+times\b|\b\d+\s+times\b")
# Two words in a row, each caught (overlapping pairs through a lookahead).
_WORD_PAIR = re.compile(r"\b(?=([a-z]+)\s+([a-z]+)\b)")
_HOW_MANY_CAN = re.compile(r"\bhow\s+many\s+(?:[a-z0-9_\-]+\s+){1,3}?(?:can|could|may)\b")
# "total memory of the host", "the total RAM": the size of the whole, not what is used.
_TOTAL_OF = re.compile(r"\btotal\s+(?:amount\s+of\s+)?(?:the\s+)?([a-z]+)")
_UNDERSCORE = re.compile(r"(?<=[a-z])_(?=[a-z])")
# A name with its words joined by underscores: "work_mem", "node_load1".
_WRITTEN_NAME = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
_AND_GROUP = re.compile(r"\s+(?:and|&)\s+(?:by\s+)?(?:the\s+)?([a-z][a-z_\-]*)\b")
# The last word of the phrase after a participle ("most called redis command").
_NOUN_AFTER = re.compile(
    r"(?:[a-z][a-z_\-]*\s+){0,2}?([a-z][a-z_\-]+)"
    r"(?=\s+(?:by|in|with|per|for|of|on|from|that|which|over|is|are|has|have|use|uses)\b"
    r"|\s*[,;:]|\s*\??$)"
)
_HOW_MANY = re.compile(
    r"\b(?:how\s+many|(?:the\s+)?number\s+of)\s+"
    # "how many of the redis dbs": the things counted are after "of the".
    r"(?:of\s+(?:the|our|these|those|its|their)\s+)?"
    r"((?:[a-z][a-z0-9_\-]*\s+){0,1}[a-z][a-z0-9_\-]*)"
)
# "… node exporter's collectors": after a possessive, the things it has.
_OWNED = re.compile(r"'s\s+([a-z][a-z0-9_\-]*)")
_IN_UNIT = re.compile(
    # "in Mbit/s", "Mbps": bits of a data rate, in the network's decimal units.
    r"\b(?:in\s+)?(kbit|mbit|gbit|kbits|mbits|gbits|kilobits|megabits|gigabits|kbps|mbps|gbps)"
    r"(?:/s|ps)?\b"
    r"|\b(?:in|as|into)\s+(mb|mib|gb|gib|kb|kib|tb|bytes|megabytes|gigabytes|kilobytes|"
    r"ms|milliseconds|seconds|microseconds|minutes|hours|days)\b"
    # "cpu in millicores", "in mcores": a unit of CPU, as Kubernetes writes its requests.
    r"|\b(?:in\s+)?(millicores|millicore|mcores)\b"
    r"|\b(mb|mib|gb|gib|kb|kib)\s*(?:/s|per\s+second)\b"
    # "redis memory MB", "how many GB of disk", "(KB)": a unit of data or a small unit of
    # time said on its own, not after a number (that is a threshold: "over 500 MB").
    r"|(?<![\d.])(?<![\d.]\s)\b(mb|mib|gb|gib|kb|kib|tb|megabytes|gigabytes|kilobytes|"
    r"ms|milliseconds|microseconds|usec)\b"
    # "how many hours since the last save", "minutes since boot": the unit of an age.
    r"|\bhow\s+many\s+(ms|milliseconds|microseconds|minutes|hours|days)\b"
    r"|\b(minutes|hours|days)\s+(?:since|ago)\b"
)
# "A as a percentage of B", "A vs its B", "A relative to B": a ratio of two named things.
_RATIO_SPLIT = re.compile(
    r"\s(?:as\s+an?\s+(?:percentage|percent|fraction|share|ratio|proportion|%)\s+of"
    r"|(?:vs\.?|versus|compared\s+to|compared\s+with|against)\s+(?=its\b|their\b)"
    r"|relative\s+to|divided\s+by)\s*(?:the\s+|its\s+|their\s+)?"
)
# "what percentage of the host's RAM is redis using": the whole first, then who uses it.
_SHARE_USED_BY = re.compile(
    r"\b(?:percentage|percent|fraction|share|proportion|%)\s+of\s+(?:the\s+|its\s+)?"
    r"(.+?)\s+(?:is|are|does|do)\s+(.+?\s+(?:using|use|uses|used|consuming|taking|"
    r"occupying|holding))(?:\s+now)?\s*\??$"
)
# "what fraction of (all) the …": a share of a whole said next.
_SHARE_OF = r"(?:\b(?:fraction|percentage|percent|share|proportion)|%)\s+of\s+(?:the\s+|all\s+)?"
# "what percent of RAM is page cache": a part (said after "is") of a whole amount.
_PART_OF_WHOLE = re.compile(
    # "… is on the inactive list", "is in the page cache": where the part is, named.
    # "… is spent on the TCP connect": what the time goes to, a part of its own ("spent in
    # system mode" says a state of the whole's things instead).
    _SHARE_OF + r"((?:[a-z0-9'/\-]+\s+){0,3}?[a-z0-9'/\-]+)\s+is\s+"
    r"(?:spent\s+on\s+(?:the\s+)?|the\s+|(?:in|on)\s+(?:the\s+)?)?"
    r"((?:[a-z0-9'\-]+\s+){0,2}?[a-z0-9'\-]+)"
    # "… is overhead rather than data": what it is not, said after, is no part of it.
    rf"(?:\s+{_CONTRAST}\s+[a-z0-9'\-\s]+?)?\s*\??$"
)
# "what % of the heap from the OS has been released back": the part that something was done
# to (its participle, and what follows) of the whole said before.
_PART_DONE = re.compile(
    _SHARE_OF + r"((?:[a-z0-9'\-]+\s+){0,6}?[a-z0-9'\-]+)\s+(?:has|have)\s+been\s+"
    r"([a-z]+\b(?:\s+[a-z0-9'\-]+){0,4}?)\s*\??$"
)
# "how many times did … run out", "how often has it run out": times it happened, counted.
_TIMES_RAN_OUT = re.compile(
    r"\b(?:how\s+many\s+times|how\s+often)\s+(?:did|has|have|had)\b.*\b(?:run|ran)\s+out\b"
)
# "what fraction of the page faults are major faults": a kind of the things (its head noun
# the whole's) among all of them.
_KIND_OF_WHOLE = re.compile(
    _SHARE_OF + r"((?:[a-z0-9'\-]+\s+){0,5}?[a-z0-9'\-]+)\s+(?:are|is)\s+"
    r"((?:[a-z0-9'\-]+\s+){1,2}?([a-z0-9'\-]+))\s*\??$"
)
# "1m load minus 15m load": one amount less another, each said in its own words.
_MINUS = re.compile(r"(?:^|[?!.,:;]\s*)([^?!.,:;]+?)\s+minus\s+([^?!.,:;]+?)\s*\??$")
# "if every allowed connection used a full work_mem": the things, and what each would use;
# all of them together use the one times the count of the other.
_EACH_USING = re.compile(
    r"\bif\s+(?:every|each|all)\s+(?:of\s+the\s+)?([a-z0-9' ]+?)\s+"
    r"(?:used|uses|took|takes|had|has|needed|needs|were\s+using|was\s+using|using)\s+"
    r"(?:a\s+|an\s+|the\s+|its\s+|their\s+)?(?:full\s+|whole\s+)?([a-z0-9' ]+?)"
    r"(?=\s+at\s+once\b|\s+at\s+the\s+same\s+time\b|\s*[,?.;:]|\s*$)"
)
_RATIO_OF = re.compile(r"\bratio\s+of\s+(?:the\s+)?(.+?)\s+to\s+(?:the\s+|its\s+)?(.+?)\s*\??$")
# "how many times slower are the http probes than the tcp probes": A over B, as many times.
_TIMES_THAN = re.compile(
    r"\bhow\s+many\s+times\s+(?:more\s+|less\s+)?[a-z]+\s+(.+?)\s+than\s+(?:the\s+)?(.+?)\s*\??$"
)
# "which databases had rollbacks", "which disks saw errors": the things where some
# happened, not how many (an extreme or an amount said after the verb is another question).
_WHICH_HAD = re.compile(
    r"\bwhich\s+(?:[a-z0-9_\-]+\s+){1,3}?(?:had|have|has|saw|see|sees|got|get|gets|"
    r"logged|recorded|hit|hits|experienced)\s+(?:any\s+|some\s+)?"
    r"(?!(?:the|a|an|most|least|more|less|fewer|no|high|higher|highest|low|lower|lowest|"
    r"many|much|large|larger|largest|big|bigger|biggest|small|smaller|smallest|nobody|none|"
    r"nothing)\b)[a-z]"
    # "which interfaces are receiving any traffic": doing any of it now.
    r"|\bwhich\s+(?:[a-z0-9_\-]+\s+){1,4}?[a-z]+ing\s+(?:any|some)\b"
    # "which databases are being written to now": something done to them now, unranked.
    r"|\bwhich\s+(?:[a-z0-9_\-]+\s+){1,4}?(?:are|is)\s+being\s+[a-z]+(?:ed|en)\b"
    r"(?!.*\b(?:most|least|more|less|fewer|fastest|slowest|top|bottom)\b)"
)
# "commands that haven't been called at all in the last 5 min": the things where none happened.
_HAD_NONE = re.compile(
    r"\b(?:haven'?t|hasn'?t|didn'?t|weren'?t|wasn'?t|never)\s+(?:been\s+|got\s+|gotten\s+)?"
    r"[a-z]+ed(?:\s+at\s+all)?\b"
)
_RANKING_VERB = re.compile(r"(?:use|uses|using|used)\s+(?:the\s+)?(?:most|least|more|less)\b")
# "what fraction of keys have a TTL", "percentage of probes that are up": a share of the
# things in some state now, not of events.
_SHARE_OF_THINGS = re.compile(
    r"(?:\b(?:fraction|percentage|percent|share|proportion)|%)\s+of\s+(?:the\s+|all\s+)?"
    r"(?:[a-z0-9'\-]+\s+){1,4}?(?:that\s+|which\s+)?"
    # "… of all the keys live in db0": where things are is a state of them too; so is where
    # they go ("… of the requests go to /api/v1/query").
    r"(?:have|has|are|is|with|live|lives|reside|resides|sit|sits|go|goes|went)\b"
)
# "what percentage of all scraped samples come from the node exporter": the share of all of
# the things that one of them, named after "from", has.
_SHARE_FROM = re.compile(
    _SHARE_OF + r"(?:[a-z0-9'\-]+\s+){1,4}?(?:come|comes|came|coming|is|are|were|was)\s+from\s+"
)
# "what percentage of outgoing TCP segments are retransmitted", "share of requests that get
# rejected": the events that end one way (group 3) among all of them (group 1, its head
# noun group 2), a share of two counts.
_SHARE_OF_EVENTS = re.compile(
    r"\b(?:fraction|percentage|percent|share|proportion)\s+of\s+(?:the\s+|all\s+)?"
    r"((?:[a-z0-9'\-]+\s+){0,3}?([a-z0-9'\-]+))\s+(?:that\s+|which\s+)?"
    r"(?:are|is|were|was|get|gets|got)\s+(?:being\s+)?([a-z]+ed)\b"
)
_OUTCOME_RATE = re.compile(r"\b([a-z]+)\s+rates?\b")
_QUANTITY_UNIT = re.compile(r"^(?:[kmgt]i?b|bytes?|ms|us|s|sec|min|h)$")
# "rows inserted per minute", "restarts an hour": a rate in another unit of time.
_PER_TIME = re.compile(
    r"(?:\b(?:per|each|every)\s+|(?<!\bin )(?<!\bfor )(?<!\bwithin )(?<!\bnext )(?<!\bthan )"
    r"(?<!\bafter )(?<!\bhalf )(?<!\bover )\b(?:a|an)\s+|/)(minute|min|hour|hr|h|day)\b"
    r"(?!\s+(?:ago|earlier|before|back|from now)\b)"
)
_PER_TIME_SECONDS = {"minute": 60.0, "min": 60.0, "hour": 3600.0, "hr": 3600.0, "h": 3600.0}
# "load per CPU core", "per core": divided by the number of cores, unless grouped by them.
_PER_CORE = re.compile(r"\b(?:per|each|every|a)\s+(?:cpu\s+)?(?:core|cpu)\b")


@dataclass
class Threshold:
    op: str  # >, <, >= or <=
    value: float
    # How it was given: percent, bytes, seconds or plain.
    kind: str = "plain"
    text: str = ""
    factor: float = 1.0  # the unit said, in base units ("10 microseconds": 1e-6)


@dataclass
class Intent:
    question: str
    text: str = ""
    # (word, start, end) of the normalised text, stems.
    tokens: list[tuple[str, int, int]] = field(default_factory=list)
    measures: list[str] = field(default_factory=list)
    # Character spans of the text that are operations, time phrases or numbers.
    consumed: list[tuple[int, int]] = field(default_factory=list)
    qualifiers: set[str] = field(default_factory=set)
    # The qualifier the measure implies when the question says none ("usage" of memory).
    implied_qualifier: str = ""
    quantiles: list[float] = field(default_factory=list)
    average: bool = False
    total: bool = False
    per_second: bool = False
    # "per minute" (60), "per hour" (3600): a per-second rate times this.
    rate_seconds: float = 1.0
    # "X per CPU core": X divided by the number of cores (when X is not per core itself).
    per_core: tuple[int, int] | None = None
    # "what fraction of keys have an expiry": a share of things now; where what they have
    # or are is said (after "have", "are" …): "connections that are idle".
    share_of_things: bool = False
    share_state_at: int = 0
    # "… of all scraped samples come from the node exporter": where the one that has the
    # share is named (values said after it filter the part, not the whole).
    share_from_at: int = 0
    # "shared_buffers", "max_connections": names written as a config or an exporter writes
    # them, each as its words (stemmed); a metric whose name has them in order is the one.
    names_written: tuple[tuple[str, ...], ...] = ()
    # "what percentage of segments are retransmitted": the spans of the events that end so
    # (from the head noun to the state) and of all of them.
    share_of_events: tuple[tuple[int, int], tuple[int, int]] | None = None
    rate_word: bool = False
    ratio: bool = False
    percent: bool = False
    share_of_limit: bool = False
    near_limit: bool = False
    # "how many more fit before it is full", "headroom": the limit minus what is used.
    headroom: bool = False
    # "keys that don't have a TTL", "tables with no index": the rest of a whole, the whole
    # minus the part that has it.
    lacking: bool = False
    # "targets not returning a 200": (op, code, start, end) of a status code said as one
    # to compare a metric that is a status code with.
    code_said: tuple[str, int, int, int] | None = None
    # "(inserts + updates + deletes)": the spans of parts listed to be added up.
    listed_parts: list[tuple[int, int]] = field(default_factory=list)
    peak: str = ""  # max | min, over the question's window
    growth: bool = False
    top: tuple[str, int] | None = None  # (topk | bottomk, k)
    threshold: Threshold | None = None
    longer_than: float | None = None  # seconds: "take longer than 250ms"
    offset_seconds: float = 0.0
    compare_then: bool = False  # a ratio now / then, not just the earlier value
    predict_seconds: float = 0.0
    reach: Threshold | None = None  # "until it reaches 1 GB": the level reached
    had_any: bool = False  # "which X had Y": where any Y happened
    had_none: bool = False  # "any X that haven't been Y-ed in the window": where none did
    down: bool = False
    breaking: bool = False
    spike: bool = False
    success: bool = False
    uptime: bool = False
    since: bool = False  # "how long ago", "time since": the age of a point in time
    point_in_time: bool = False  # "when was it last restarted": a timestamp asked for
    changes: bool = False  # "how many times has it flipped": changes of a state
    contrast_at: int = -1  # where "rather than …" begins: what the share is not of
    than_average: str = ""  # "slower than the average probe": each compared with theirs (> or <)
    deviation: bool = False  # "how jittery", "the std dev of": how far the samples stray
    span: bool = False  # "how many minutes does the head block span": the high less the low
    count_of: str = ""  # the noun of "how many <noun>", stemmed
    count_have: bool = False
    distinct: bool = False  # "how many different commands": kinds of things, not events
    group_words: list[str] = field(default_factory=list)
    which: bool = False
    singular_subject: bool = False
    window_word: str = ""  # the preposition before "last hour" (over, in, for …)
    unit: tuple[str, float, str] | None = None  # (kind, factor, as written): "in MB"
    # "worst scrape duration per job": the extreme ("max"/"min") of each thing grouped.
    extreme_each: str = ""
    status_classes: list[str] = field(default_factory=list)
    corrections: list[tuple[str, str]] = field(default_factory=list)
    # "A as a share of B": the spans of A and of B in the text.
    ratio_of: tuple[tuple[int, int], tuple[int, int]] | None = None
    # "… of the page faults are major faults": a kind of the things among all of them.
    share_of_kind: bool = False
    part_of_whole: bool = False  # "what % of the RAM is page cache": the part, over the whole
    # "the slowest … than the fastest": each side's extreme of one measure ("max", "min").
    extremes: tuple[str, str] | None = None
    # "A minus B": the spans of A and of B in the text.
    difference_of: tuple[tuple[int, int], tuple[int, int]] | None = None
    # "if every connection used a full work_mem": the spans of what each uses and of the
    # things, to multiply.
    product_of: tuple[tuple[int, int], tuple[int, int]] | None = None

    @property
    def stems(self) -> set[str]:
        return {w for w, _, _ in self.tokens}


def _damerau(a: str, b: str, limit: int) -> int:
    """Damerau-Levenshtein (optimal string alignment) distance, capped at limit + 1."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        best = current[0]
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
            best = min(best, current[j])
        if best > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


# The comparatives of a threshold are words, not misspellings ("larger" is not "large").
_COMPARATIVES = frozenset(
    w.split()[0] for w in re.findall(r"[a-z]+ than", _THRESHOLD.pattern) if "than" in w
)


def correct_spelling(
    text: str, vocab: Vocabulary, known: Iterable[str] = ()
) -> tuple[str, list[tuple[str, str]]]:
    """The text with misspelt words replaced by the one known word they are closest to."""
    targets = set(vocab.known_words)
    targets.update(w for w in known if len(w) >= 4 and w.isalpha())
    by_first: dict[str, list[str]] = {}
    for word in targets:
        by_first.setdefault(word[0], []).append(word)
    corrections: list[tuple[str, str]] = []

    def fix(match: re.Match[str]) -> str:
        word = match.group(0)
        if (
            len(word) < 4
            or not word.isalpha()
            or word in targets
            or word in _COMPARATIVES
            or stem(word) in targets
            or stem(word) in vocab.common_words
            or stem(word) in vocab.operation_words
            or word in vocab.phrase_words
            or word in vocab.label_synonyms
            or stem(word) in vocab.label_synonyms
        ):
            return word
        best = closest(word)
        ending = ""
        single = stem(word)
        if best is None and single != word and word.startswith(single) and len(single) >= 4:
            # "databses": a plural misspelt as its singular is ("databse" → "database").
            best = closest(single)
            ending = word[len(single) :]
        if best is None:
            return word
        corrections.append((word, best[2] + ending))
        return best[2] + ending

    def closest(word: str) -> tuple[int, int, str] | None:
        limit = 1 if len(word) < 10 else 2
        best: tuple[int, int, str] | None = None
        for candidate in by_first.get(word[0], ()):
            if abs(len(candidate) - len(word)) > limit or len(candidate) < 4:
                continue
            distance = _damerau(word, candidate, limit)
            if distance > limit:
                continue
            prefix = len(_common_prefix(word, candidate))
            key = (distance, -prefix, candidate)
            if best is None or key < best:
                best = key
        return best

    return re.sub(r"[a-z]+", fix, text), corrections


def split_run_together(text: str, vocab: Vocabulary) -> str:
    """ "maxclients", "usedmemory": a qualifier run together with a measure, as config names
    write them, said as the two words ("max clients")."""
    heads = vocab.qualifier_say_words
    tails = vocab.measure_say_words

    def split(match: re.Match[str]) -> str:
        word = match.group(0)
        if len(word) < 7 or word in heads or stem(word) in tails:
            return word
        for cut in range(3, len(word) - 3):
            head, tail = word[:cut], word[cut:]
            if head in heads and stem(tail) in tails:
                return f"{head} {tail}"
        return word

    return re.sub(r"[a-z]+", split, text)


def spell_out_short_forms(text: str, vocab: Vocabulary) -> str:
    """ "conns", "cmds": a short form metric names use, said in a question for a measure
    ("which database has the most conns"), spelt out as the measure's word."""
    says = vocab.measure_say_words

    def spell(match: re.Match[str]) -> str:
        word = match.group(0)
        if word in says or stem(word) in says or word in vocab.common_words:
            return word
        full = vocab.abbreviations.get(word) or vocab.abbreviations.get(stem(word)) or ()
        if len(full) != 1 or " " in full[0] or stem(full[0]) not in says:
            return word
        plural = word != stem(word) and not full[0].endswith("s")
        return full[0] + ("s" if plural else "")

    return re.sub(r"[a-z]+", spell, text)


def _common_prefix(a: str, b: str) -> str:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return a[:n]


def _number(text: str) -> float:
    return float(text) if text[0].isdigit() else float(_NUMBER_WORDS.get(text, 1))


def _seconds(number: str, unit: str) -> float:
    return _number(number) * _UNIT_SECONDS[unit[0]] if unit else 0.0


def parse_intent(question: str, vocab: Vocabulary, known: Iterable[str] = ()) -> Intent:
    """The intent of a question; `known` adds words (metric words, label values) to spell by."""
    # "max_connections", "work_mem": a name written as it is in a config says its words.
    text = vocab.rewrite(" ".join(_UNDERSCORE.sub(" ", question.lower()).split()))
    text, corrections = correct_spelling(text, vocab, known)
    text = split_run_together(text, vocab)
    text = spell_out_short_forms(text, vocab)
    # "anonymous memory (process heaps and stacks)": an aside of words in brackets explains
    # what was said already; it names nothing more to measure. ("(sys)", "(not idle)" and
    # "(inserts + updates)" say more, and stay.)
    text = _ASIDE.sub(lambda m: " " * len(m.group(0)), text)
    intent = Intent(question=question, text=text, corrections=corrections)
    intent.names_written = tuple(split_name(n) for n in _WRITTEN_NAME.findall(question.lower()))
    # "prometheus's own endpoint": the word, not its possessive ending.
    intent.tokens = [
        (stem(m.group(0).removesuffix("'s")), m.start(), m.end() - 2 * m.group(0).endswith("'s"))
        for m in _TOKEN.finditer(text)
    ]
    _measures(intent, vocab)
    _operations(intent, vocab)
    _quantiles(intent, vocab)
    _numbers(intent, vocab)
    _bound_held(intent, vocab)
    _fastest_rate(intent, vocab)
    _times(intent, vocab)
    _grouping(intent, vocab)
    _statuses(intent, vocab)
    _ratio_of(intent, vocab)
    _per_core(intent, vocab)
    _extreme_per_group(intent, vocab)
    _listed_parts(intent, vocab)
    return intent


_PART_LIST = re.compile(r"[a-z][a-z_\-]*(?:\s*(?:\+|\bplus\b)\s*[a-z][a-z_\-]*)+")
# "(any inserts, updates or deletes)": in brackets, the parts of what was said, listed.
_BRACKETED_LIST = re.compile(
    r"\((?:any|all|the)?\s*([a-z][a-z_\-]*(?:\s*,\s*[a-z][a-z_\-]*)*\s*,?\s+(?:or|and)\s+"
    r"[a-z][a-z_\-]*)\s*\)"
)
_LIST_WORD = re.compile(r"[a-z][a-z_\-]*")


def _listed_parts(intent: Intent, vocab: Vocabulary) -> None:
    """ "rows written (inserts + updates + deletes)", "user plus system": the parts said one
    by one, each a measure of its own, to be added up."""
    lists = [(m.start(), m.group(0)) for m in _PART_LIST.finditer(intent.text)]
    lists += [(m.start(1), m.group(1)) for m in _BRACKETED_LIST.finditer(intent.text)]
    for start, listed in lists:
        spans = [
            (start + m.start(), start + m.end())
            for m in _LIST_WORD.finditer(listed)
            if m.group(0) not in ("plus", "or", "and")
        ]
        said = [intent.text[a:b] for a, b in spans]
        if len(spans) >= 2 and all(len(w) >= 4 and stem(w) not in vocab.common_words for w in said):
            intent.listed_parts = spans
            return


# "per job", "for each target": a grouping said outright ("by X" often names a ranking).
_SAID_GROUP = re.compile(r"\b(?:per|each|every)\s+[a-z]")
# What ranks things rather than saying an extreme of each: "top", "which", a number.
_RANKS = re.compile(r"\b(?:top|bottom|which|rank|ranked|ranking)\b")


def _extreme_per_group(intent: Intent, vocab: Vocabulary) -> None:
    """ "longest GC pause per job", "slowest probe duration per target in the last 5m": a
    superlative said of each of the things grouped is the extreme of each (its highest over
    the window when one is said), not a ranking of the things."""
    if _RANKS.search(intent.text) or _top_number_given(intent.text) or intent.top is None:
        return
    if vocab.says("at_once", intent.text) and not intent.which:
        # "most processes running at the same time in the last 10 min": the most at any one
        # moment, the highest over the window; the things are counted, not ranked.
        kind, _ = intent.top
        intent.top = None
        intent.peak = intent.peak or ("max" if kind == "topk" else "min")
        return
    if not intent.group_words and intent.window_word and not intent.which:
        # "worst connect time of the http probes over the past 10 min": nothing is ranked; the
        # extreme said is each series' over the window.
        kind, _ = intent.top
        intent.top = None
        intent.peak = intent.peak or ("max" if kind == "topk" else "min")
        return
    if not intent.group_words or not _SAID_GROUP.search(intent.text):
        return
    kind, _ = intent.top
    intent.top = None
    intent.extreme_each = "max" if kind == "topk" else "min"
    if intent.window_word and not intent.peak:
        intent.peak = intent.extreme_each


def _names_a_part(phrase: str, vocab: Vocabulary) -> bool:
    """ "page cache" of RAM is a part of it, another amount; "used", "free", "idle" or "up"
    say a state of the whole or of its things, a share of them (not two amounts)."""
    if any(p.search(phrase) for q in vocab.qualifiers.values() for p in q.say):
        return False
    if measures_in(phrase, vocab) == ["availability"]:
        return False
    # "on the inactive list": the words of no meaning around the part's name are no state.
    named = set(split_phrase(phrase)) - vocab.common_words
    return bool(named) and not named & set(vocab.idle_values)


def _top_number_given(text: str) -> bool:
    # "the 5 slowest", not "the 1 min load" (a number of a time is no count of things).
    return bool(_TOP_NUMBER.search(text))


def _per_core(intent: Intent, vocab: Vocabulary) -> None:
    """ "load average per CPU core": the load divided by the cores, not grouped by them —
    when the rest of the question names what is measured ("cpu usage per core" is by core)."""
    text = intent.text
    match = _PER_CORE.search(text)
    if match is None:
        return
    start, end = match.span()
    rest = text[:start] + " " * (end - start) + text[end:]
    others = [m for m in measures_in(rest, vocab) if m != "cpu"]
    if not others or "cpu" in measures_in(rest, vocab):
        return
    intent.per_core = (start, end)
    intent.consumed.append((start, end))
    intent.measures = measures_in(rest, vocab)
    core_words = set(split_phrase(text[start:end])) | {"core", "cpu"}
    intent.group_words = [g for g in intent.group_words if not set(split_phrase(g)) <= core_words]
    intent.tokens = [t for t in intent.tokens if not (start <= t[1] and t[2] <= end)]


def _ratio_of(intent: Intent, vocab: Vocabulary) -> None:
    text = intent.text
    if match := _RATIO_OF.search(text):
        intent.ratio_of = (match.span(1), match.span(2))
    elif match := _TIMES_THAN.search(text):
        intent.ratio_of = (match.span(1), match.span(2))
        intent.count_of = ""  # "how many times": a ratio, no count of times
        _extremes_compared(intent, match.group(1), match.group(2), vocab)
    elif (match := _SHARE_USED_BY.search(text)) or (
        # "what percent of RAM is page cache": the part (after "is") of the whole.
        (match := _PART_OF_WHOLE.search(text)) and _names_a_part(match.group(2), vocab)
    ):
        intent.ratio_of = (match.span(2), match.span(1))
        intent.part_of_whole = match.re is _PART_OF_WHOLE
    elif match := _PART_DONE.search(text):
        intent.ratio_of = (match.span(2), match.span(1))
        intent.part_of_whole = True
    elif (match := _KIND_OF_WHOLE.search(text)) and stem(match.group(3)) in split_phrase(
        match.group(1)
    ):
        intent.ratio_of = (match.span(2), match.span(1))
        intent.share_of_kind = True
    elif match := _RATIO_SPLIT.search(text):
        end = len(text.rstrip(" ?"))
        if match.end() < end:
            intent.ratio_of = ((0, match.start()), (match.end(), end))
    if intent.ratio_of is not None:
        intent.ratio = True
    elif match := _MINUS.search(text):
        intent.difference_of = (match.span(1), match.span(2))
    elif match := _EACH_USING.search(text):
        intent.product_of = (match.span(2), match.span(1))


def _extremes_compared(intent: Intent, first: str, second: str, vocab: Vocabulary) -> None:
    """ "how many times longer does the slowest probe take than the fastest one": the highest
    of one measure over its lowest (or the other way round), of all the things together — no
    ranking of them, no grouping by them."""
    ends = [_extreme_said(side, vocab) for side in (first, second)]
    if "" in ends or ends[0] == ends[1]:
        return
    intent.extremes = (ends[0], ends[1])
    intent.top = None
    intent.group_words = []


def _extreme_said(side: str, vocab: Vocabulary) -> str:
    """max when a side says the top of something ("the slowest"), min the bottom."""
    top, bottom = vocab.says("top", side), vocab.says("bottom", side)
    return "max" if top and not bottom else "min" if bottom and not top else ""


def side_of(intent: Intent, keep: tuple[int, int], vocab: Vocabulary) -> Intent:
    """The intent as if the question said only the words in `keep` (one side of a ratio):
    the rest of the text blanked, its measures, qualifiers and words gone."""
    start, end = keep
    text = "".join(ch if start <= i < end else " " for i, ch in enumerate(intent.text))
    return replace(
        intent,
        text=text,
        tokens=[t for t in intent.tokens if start <= t[1] and t[2] <= end],
        measures=measures_in(text, vocab),
        qualifiers={
            name
            for name, qualifier in vocab.qualifiers.items()
            if any(p.search(text) for p in qualifier.say)
        },
        consumed=[*intent.consumed, (0, start), (end, len(intent.text))],
        ratio_of=None,
    )


def measures_in(text: str, vocab: Vocabulary) -> list[str]:
    """The glossary's measures a (normalised) text names, in the order it names them."""
    spans: dict[str, list[tuple[int, int]]] = {}
    for measure in vocab.measures:
        for pattern in measure.say:
            for match in pattern.finditer(text):
                spans.setdefault(measure.name, []).append(match.span())
    found = []
    for name, own in spans.items():
        # "been up" names uptime; the "up" inside it is no question of availability.
        inside = all(
            any(
                s <= a and b <= e and (s, e) != (a, b)
                for other, theirs in spans.items()
                if other != name
                for s, e in theirs
            )
            for a, b in own
        )
        if not inside:
            found.append((min(a for a, _ in own), name))
    # "503s", "500 errors": a 4xx/5xx status code names errors.
    for match in vocab.status_code.finditer(text):
        if match.group(1)[0] in "45" and not any(n == "errors" for _, n in found):
            found.append((match.start(), "errors"))
    return [name for _, name in sorted(found)]


def _measures(intent: Intent, vocab: Vocabulary) -> None:
    text = intent.text
    intent.measures = measures_in(text, vocab)
    if _run_time_said(text, vocab) and vocab.run_time_measure not in intent.measures:
        intent.measures.append(vocab.run_time_measure)
    _targets_of_another_run(intent, vocab)
    # "sent to its clients": the clients are who it went to; no measure of connections.
    parties = _counterparts(text, vocab)
    intent.consumed += parties
    intent.measures = [
        m
        for m in intent.measures
        if len(intent.measures) == 1 or not _said_only_within(m, parties, text, vocab)
    ]
    for name, qualifier in vocab.qualifiers.items():
        if any(p.search(text) for p in qualifier.say):
            intent.qualifiers.add(name)
    # "which jobs use the most memory": "use" ranks them; no usage metric is asked for.
    if "usage" in intent.qualifiers and "usage" in vocab.qualifiers:
        said = [m for p in vocab.qualifiers["usage"].say for m in p.finditer(text)]
        if said and all(_RANKING_VERB.match(text, m.start()) for m in said):
            intent.qualifiers.discard("usage")
    if _HOW_MANY_CAN.search(text) and "limit" in vocab.qualifiers:
        intent.qualifiers.add("limit")
    # "how much memory does the machine have", "total memory": all of it, its size.
    total = _TOTAL_OF.search(text)
    # … of a measure that means what is used when said alone ("total memory", not "total
    # requests").
    total_of = total is not None and any(
        m.implies for m in vocab.measures if m.name in measures_in(total.group(1), vocab)
    )
    if (
        (_HAS_HOW_MUCH.search(text) or total_of)
        and "size" in vocab.qualifiers
        and not intent.qualifiers
    ):
        intent.qualifiers.add("size")
    # "the node's memory": what a measure means unqualified (the memory in use) — decided
    # once the values it names are known (choose.imply_qualifier).
    qualified = any(p.search(text) for q in vocab.qualifiers.values() for p in q.say)
    if not intent.qualifiers and not qualified:
        implied = {m.implies for m in vocab.measures if m.name in intent.measures and m.implies}
        if len(implied) == 1 and implied <= set(vocab.qualifiers):
            intent.implied_qualifier = next(iter(implied))


def _targets_of_another_run(intent: Intent, vocab: Vocabulary) -> None:
    """ "how many probe targets": the targets are the probes'; a measure of runs said only
    by a word for what runs are pointed at is dropped when another run is named."""
    runs = [m for m in vocab.measures if m.sampled and m.name in intent.measures]
    if len(runs) < 2:
        return

    def only_targets(measure: Measure) -> bool:
        said = [stem(m.group(0)) for p in measure.say for m in p.finditer(intent.text)]
        return bool(said) and all(w in vocab.run_target_words for w in said)

    named = [m for m in runs if not only_targets(m)]
    if named:
        dropped = {m.name for m in runs if only_targets(m)}
        intent.measures = [m for m in intent.measures if m not in dropped]


def _counterparts(text: str, vocab: Vocabulary) -> list[tuple[int, int]]:
    """Spans of the other party of a transfer: the noun after "sent to (its)", "received
    from (the)"."""
    spans: list[tuple[int, int]] = []
    for measure in vocab.measures:
        if not measure.counterpart:
            continue
        words = "|".join(re.escape(w) for w in measure.counterpart)
        after = re.compile(rf"\s+(?:{words})\s+(?:(?:the|its|their|our|a|an)\s+)?([a-z]+)")
        for pattern in measure.say:
            for said in pattern.finditer(text):
                party = after.match(text, said.end())
                # Only a party that is a measure's word ("clients") could be misread as one.
                if party and measures_in(party.group(1), vocab):
                    spans.append(party.span(1))
    return spans


def _run_time_said(text: str, vocab: Vocabulary) -> bool:
    """ "tcp probe times", "the scrape time": the time of a run of something that runs (each
    run one sample) is how long it takes — unless the times are counted ("how many times")."""
    if not vocab.run_time_words or _HOW_MANY_TIMES.search(text):
        return False
    runs = [p for m in vocab.measures if m.sampled for p in m.say]
    for match in _WORD_PAIR.finditer(text):
        if match.group(2) in vocab.run_time_words and any(
            p.fullmatch(match.group(1)) for p in runs
        ):
            return True
    return False


def _operations(intent: Intent, vocab: Vocabulary) -> None:
    text = intent.text
    no_threshold = _THRESHOLD.sub(" ", text)
    intent.average = vocab.says("average", text)
    intent.total = vocab.says("total", text)
    intent.per_second = vocab.says("per_second", text)
    if (per_time := _PER_TIME.search(text)) and not intent.per_second:
        intent.per_second = True
        intent.rate_seconds = _PER_TIME_SECONDS.get(per_time.group(1), 86400.0)
        intent.consumed.append(per_time.span())
    # "at this rate, how many … will there be": the pace a prediction goes on, not a rate asked.
    paced = text
    for a, b in vocab.where("predict", text):
        paced = paced[:a] + " " * (b - a) + paced[b:]
    intent.rate_word = vocab.says("rate", paced)
    intent.ratio = vocab.says("ratio", text)
    # "hit rate", "miss rate": the share of one outcome of two, unless asked per second.
    outcome = _OUTCOME_RATE.search(text)
    if outcome and stem(outcome.group(1)) in vocab.complements and not intent.per_second:
        intent.ratio = True
    intent.percent = vocab.says("percent", no_threshold)
    intent.share_of_limit = vocab.says("share_of_limit", no_threshold)
    if events := _SHARE_OF_EVENTS.search(text):
        intent.share_of_events = ((events.start(2), events.end(3)), events.span(1))
        intent.share_state_at = events.start(3)
    elif share_from := _SHARE_FROM.search(text):
        intent.share_from_at = share_from.end()
    elif share_of_things := _SHARE_OF_THINGS.search(text):
        intent.share_of_things = True
        intent.share_state_at = share_of_things.end()
    intent.near_limit = vocab.says("near_limit", text)
    if _TIMES_RAN_OUT.search(text):
        # "how many times did it run out of budget": the times it ran out, counted; no
        # level is near its limit now.
        intent.near_limit = intent.share_of_limit = False
    intent.headroom = vocab.says("headroom", text)
    intent.lacking = bool(_LACKING.search(text))
    intent.consumed.extend(vocab.where("headroom", text))
    intent.growth = vocab.says("growth", text)
    intent.breaking = vocab.says("breaking", text)
    intent.spike = vocab.says("spike", text)
    intent.success = vocab.says("success", text)
    intent.down = vocab.says("down", text) and not intent.breaking
    things = [w for w, _, _ in intent.tokens if w in vocab.series_words]
    if intent.down and things and "errors" in intent.measures:
        # Targets and probes that fail are down, not counting errors.
        intent.measures = [m for m in intent.measures if m != "errors"]
        if "availability" not in intent.measures:
            intent.measures.append("availability")
    if "uptime" in intent.measures and (intent.percent or intent.ratio):
        # "uptime in percent", "uptime ratio": the share of the time it was up, not how
        # long it has been running.
        intent.measures = [m for m in intent.measures if m != "uptime"]
        if "availability" not in intent.measures:
            intent.measures.append("availability")
    # "How long has it been up", "time since the last save": the age of a timestamp.
    intent.since = vocab.says("since", text)
    intent.point_in_time = vocab.says("point_in_time", text)
    if intent.since:
        # "how long ago": its words name no latency; the age is what is measured.
        since = vocab.where("since", text)
        intent.measures = [
            m for m in intent.measures if not _said_only_within(m, since, text, vocab)
        ]
    intent.uptime = "uptime" in intent.measures or intent.since
    intent.changes = vocab.says("changes", text)
    intent.deviation = vocab.says("deviation", text)
    intent.span = vocab.says("span", text)
    if vocab.says("peak", text):
        intent.peak = "max"
    elif vocab.says("minimum_over_time", _blank(_MINUTES, text)):
        intent.peak = "min"
    if not intent.peak and _throughout_window(text, vocab):
        _held_throughout(intent)
    if not intent.peak and _ONCE.search(text) and _WINDOW.search(text):
        # "failed at least once in the last 5 min": down at its lowest over the window; "ever
        # above …": at its highest.
        intent.peak = "min" if intent.down else "max"
    for name in (
        "average",
        "per_second",
        "rate",
        "ratio",
        "percent",
        "total",
        "graph",
        "changes",
        "deviation",
        "span",
    ):
        intent.consumed.extend(vocab.where(name, text))
    if vocab.says("which", text) or intent.breaking:
        intent.which = True


def _throughout_window(text: str, vocab: Vocabulary) -> bool:
    """ "for the whole of the last 5 minutes", "continuously for the past hour": a word for all
    of a time said of the window right after it (not "the whole cluster")."""
    for _start, end in vocab.where("throughout", text):
        at = re.match(r"\s*(?:of\s+)?", text[end:])
        if _WINDOW.match(text, end + (at.end() if at else 0)):
            return True
    return False


def _held_throughout(intent: Intent) -> None:
    """ "up for the whole last 10 minutes": a state held at every moment of the window — at
    its lowest over it (down throughout: at its highest). Being up for a window is no
    uptime: it says whether it was up, not for how long."""
    if "uptime" in intent.measures and not intent.since:
        intent.measures = [m for m in intent.measures if m != "uptime"]
        if "availability" not in intent.measures:
            intent.measures.append("availability")
        intent.uptime = False
    intent.peak = "max" if intent.down else "min"


def _bound_held(intent: Intent, vocab: Vocabulary) -> None:
    """ "stayed under 1 second the whole last 10 minutes": a bound held at every moment of
    the window holds for its highest value (under) or its lowest (over). A bound in seconds
    said of things that run (probes, scrapes) is on how long each run takes."""
    bound = intent.threshold
    if bound is None or not _throughout_window(intent.text, vocab):
        return
    intent.peak = "max" if bound.op in ("<", "<=") else "min"
    runs = {m.name for m in vocab.measures if m.sampled}
    timed = bound.kind == "seconds" and intent.measures and set(intent.measures) <= runs
    if timed and vocab.run_time_measure:
        intent.measures.append(vocab.run_time_measure)


def _said_only_within(
    measure: str, spans: list[tuple[int, int]], text: str, vocab: Vocabulary
) -> bool:
    """Every place the text names the measure is inside one of the spans."""
    found = [
        match.span()
        for m in vocab.measures
        if m.name == measure
        for pattern in m.say
        for match in pattern.finditer(text)
    ]
    return bool(found) and all(any(s <= a and b <= e for s, e in spans) for a, b in found)


def _quantiles(intent: Intent, vocab: Vocabulary) -> None:
    text = intent.text
    found: list[float] = []
    for match in _QUANTILE_P.finditer(text):
        value = float(match.group(1))
        found.append(value / 1000 if value > 100 else value / 100)
        intent.consumed.append(match.span())
    if "percentile" in text or "quantile" in text:
        for match in _QUANTILE_TH.finditer(text):
            found.append(float(match.group(1)) / 100)
            intent.consumed.append(match.span())
        for match in _QUANTILE_PERCENT.finditer(text):
            found.append(float(match.group(1)) / 100)
            intent.consumed.append(match.span())
    if vocab.says("median", text):
        found.append(0.5)
    intent.quantiles = sorted(dict.fromkeys(round(q, 6) for q in found if 0 < q < 1))
    if intent.quantiles and "distribution" in vocab.qualifiers:
        intent.qualifiers.add("distribution")  # "p99" asks for percentiles


def _numbers(intent: Intent, vocab: Vocabulary) -> None:
    text = intent.text
    threshold = _THRESHOLD.search(text)
    share = intent.ratio or intent.percent or "fraction" in text
    if threshold and threshold.group(2) in _NUMBER_WORDS and share:
        threshold = None  # "the fraction of the time at least one process stalls": a state
    if threshold and _SPAN_SAID.fullmatch(threshold.group(0)):
        threshold = None  # "std dev over 10m": the window, in Prometheus' notation
    if threshold:
        op = _INCLUSIVE.get(threshold.group(1)) or ("<" if threshold.group(1) in _LESS else ">")
        said = threshold.group(2)
        value = float(_NUMBER_WORDS[said]) if said in _NUMBER_WORDS else float(said)
        unit = (threshold.group(3) or "").strip()
        kind = "plain"
        factor = 1.0
        if unit in ("%", "percent"):
            kind = "percent"
        elif unit in vocab.units:
            kind, factor = vocab.units[unit]
            value *= factor
        elif unit and _QUANTITY_UNIT.match(unit):
            kind = "plain"
        intent.threshold = Threshold(op, value, kind, threshold.group(0), factor)
        if unit and kind == "plain" and not _QUANTITY_UNIT.match(unit):
            # "more than 1 commit per second": the word after the number is what is counted.
            intent.consumed.append((threshold.start(), threshold.end(2)))
        else:
            intent.consumed.append(threshold.span())
        durations = {"latency", "uptime"} & set(intent.measures)
        if threshold.group(1) == "over" and kind == "seconds" and value >= 60 and not durations:
            # "load average over 5 minutes", "errors over 10 minutes": a span of time.
            intent.threshold = None
        slower = threshold.group(1) in ("longer than", "slower than") or (
            kind == "seconds" and ("latency" in intent.measures or "take" in text)
        )
        fraction = intent.ratio or intent.percent or "what fraction" in text
        if slower and kind == "seconds" and fraction and not intent.quantiles:
            intent.longer_than = value
            intent.threshold = None

    if intent.threshold is None and (than := _THAN_AVERAGE.search(text)):
        # "which probes are slower than the average probe": no average is the answer, it is
        # what each is compared with.
        intent.than_average = ">" if than.group(1) else "<"
        intent.average = False
        intent.consumed.append(than.span())
    if (intent.ratio or intent.percent) and (other := _RATHER_THAN.search(text)):
        # "what fraction … is sys rather than user": the share is of the first; the other is
        # only the rest of the whole.
        intent.consumed.append((other.start(), len(text)))
        intent.contrast_at = other.start()
    intent.had_any = intent.threshold is None and bool(_WHICH_HAD.search(text))
    threshold_bytes = intent.threshold is not None and intent.threshold.kind == "bytes"
    if (
        threshold_bytes
        and not intent.measures
        and not intent.per_second
        and any(m.name == "size" for m in vocab.measures)
    ):
        intent.measures.append("size")  # "which databases are bigger than 7 MB": their size
    none = _HAD_NONE.search(text) if intent.threshold is None and _WINDOW.search(text) else None
    if none is not None:
        # The verb only says that what is measured happened ("commands … called").
        intent.had_none = True
        intent.consumed.append(none.span())

    unbounded = _blank(_BOUND, text)
    top_n = _TOP_N.search(unbounded)
    count = 0
    if top_n:
        count = int(next(g for g in top_n.groups() if g))
        intent.consumed.append(top_n.span())
    ends = _WHICH_EXTREME.search(unbounded) if _WHICH.search(text) else None
    if vocab.says("bottom", unbounded) or (ends and ends.group(1) == "shortest"):
        intent.top = ("bottomk", count or int(vocab.defaults.get("top_k", 5)))
    elif vocab.says("top", unbounded) or count or ends:
        intent.top = ("topk", count or int(vocab.defaults.get("top_k", 5)))
    if intent.top and not count and intent.peak and not vocab.says("top", text):
        intent.top = None
    if intent.peak and vocab.says("top", text) and intent.top and not count:
        # "highest"/"max" said of a window, not of a ranking, unless a subject is ranked.
        intent.peak = "" if _ranked_subject(text) else intent.peak
        if intent.peak:
            intent.top = None

    if match := _IN_UNIT.search(text):
        unit = next((g for g in match.groups() if g), "").lower()
        if unit in vocab.units:
            kind, factor = vocab.units[unit]
            intent.unit = (kind, factor, unit)
            intent.consumed.append(match.span())

    if (match := _HOW_MANY.search(text)) and not intent.per_second and not intent.headroom:
        noun = match.group(1).split()
        # "how many of the node exporter's collectors": whose they are, then the things.
        if owned := _OWNED.match(text[match.end() :]):
            noun = [owned.group(1)]
        while len(noun) > 1 and (
            stem(noun[-1]) in vocab.common_words or stem(noun[-1]) in vocab.operation_words
        ):
            noun.pop()
        distinct = [w for w in noun if vocab.says("distinct", w)]
        intent.distinct = bool(distinct)
        intent.count_of = " ".join(stem(w) for w in noun if w not in distinct) or stem(noun[-1])
        rest = text[match.end() :]
        intent.count_have = bool(
            re.match(
                r"\s+(?:have|has|with|that have|are(?!\s+there\b)|hold|holds|contain|contains)\b",
                rest,
            )
        )


_FASTEST = re.compile(r"\bfastest\b")


def _fastest_rate(intent: Intent, vocab: Vocabulary) -> None:
    """ "which jobs allocate memory the fastest, in bytes per second": with a rate asked,
    the fastest are those at the highest rate, not those that take the least time."""
    if not (intent.per_second and _FASTEST.search(intent.text)):
        return
    rest = _FASTEST.sub(" ", intent.text)
    if "latency" in intent.measures and "latency" not in measures_in(rest, vocab):
        intent.measures.remove("latency")
    if intent.top is not None and intent.top[0] == "bottomk" and not vocab.says("bottom", rest):
        intent.top = ("topk", intent.top[1])


def _blank(pattern: re.Pattern[str], text: str) -> str:
    """The text with the pattern's matches blanked (same length, so spans still hold)."""
    return pattern.sub(lambda m: " " * len(m.group(0)), text)


def _ranked_subject(text: str) -> bool:
    return bool(_SUPERLATIVE.search(text) or _WHICH.search(text) or _TOP_SUBJECT.search(text))


def _times(intent: Intent, vocab: Vocabulary) -> None:
    text = intent.text
    if ago := _AGO.search(text):
        intent.offset_seconds = _seconds(ago.group(1), ago.group(2))
        intent.consumed.append(ago.span())
    elif then := _THEN.search(text):
        word = then.group(1)
        intent.offset_seconds = (
            604800.0 if "week" in word else (3600.0 if "hour" in word else 86400.0)
        )
        intent.consumed.append(then.span())
    elif vocab.says("compare", text) and re.search(r"\byesterday\b", text):
        intent.offset_seconds = 86400.0
    elif intent.spike:
        intent.offset_seconds = parse_duration(str(vocab.defaults.get("spike_offset", "10m")))
    if intent.offset_seconds:
        intent.compare_then = bool(
            intent.spike
            or vocab.says("compare", text)
            or re.search(r"\b(?:now|today|change|changed|differ|difference|relative)\b", text)
        )
    if reach := _REACH.search(text):
        unit = reach.group(2) or ""
        kind, factor = vocab.units.get(unit, ("plain", 1.0))
        value = float(reach.group(1)) * factor
        intent.reach = Threshold(">=", value, kind, reach.group(0), factor)
        if (
            kind == "bytes"
            and not intent.measures
            and any(m.name == "size" for m in vocab.measures)
        ):
            intent.measures.append("size")  # "until the database reaches 1 GB": its size
        intent.consumed.append((reach.start(1), reach.end() if kind != "plain" else reach.end(1)))
    if (horizon := _FROM_NOW.search(text)) or (
        vocab.says("predict", text) and (horizon := _HORIZON.search(text))
    ):
        intent.predict_seconds = _seconds(horizon.group(1) or "1", horizon.group(2))
        intent.consumed.append(horizon.span())
    if window := _WINDOW.search(text):
        intent.window_word = window.group(1) or window.group(2) or "last"
        intent.consumed.append(window.span())
    elif day := re.search(r"\b(over|in|during|for)?\s*(?:the\s+)?(today|yesterday)\b", text):
        intent.window_word = day.group(1) or ""


def _label_noun(word: str) -> str:
    return word.strip().replace("-", "_")


def _head_noun(text: str, end: int, word: str, vocab: Vocabulary) -> str:
    """ "which postgres database", "the largest redis command": the word after the first one
    that names a kind of thing (a label's name) is the thing asked about; the first word
    only says whose it is."""
    if stem(word) in vocab.label_synonyms or word in vocab.label_synonyms:
        return word
    # "which prometheus http handler": a word or two on, before any word of no meaning.
    following = re.match(r"(?:\s+[a-z][a-z_\-]+){1,2}", text[end:])
    for noun in following.group(0).split() if following else ():
        if stem(noun) in vocab.common_words or stem(noun) in vocab.operation_words:
            break
        if noun in vocab.label_synonyms or stem(noun) in vocab.label_synonyms:
            return noun
    return word


def _grouping(intent: Intent, vocab: Vocabulary) -> None:
    text = intent.text
    unit_words = {"second", "sec", "minute", "hour", "day", "week", "cent"}
    groups: list[str] = []
    grouped_spans: list[tuple[int, int]] = []
    for match in _GROUP.finditer(text):
        phrase_words = (match.group(1) + (match.group(2) or "")).split()
        if len(phrase_words) > 1 and (
            stem(phrase_words[1]) in vocab.common_words
            or stem(phrase_words[1]) in vocab.operation_words
        ):
            phrase_words = phrase_words[:1]
        phrase = " ".join(phrase_words)
        if stem(phrase_words[0]) in unit_words:
            continue
        if (
            match.group(0).startswith("by")
            and stem(phrase_words[0]) in vocab.common_words
            and re.match(r"\s+of\b", text[match.end(1) :])
        ):
            continue  # "top databases by number of keys": ranked by it, not grouped
        before = text[: match.start()].rstrip()
        if before.endswith("across"):
            continue
        if (
            match.group(0).startswith("by")
            and _AGENT.search(before)
            and match.group(1) not in ("each", "every", "all")
        ):
            continue  # "memory used by prometheus": who uses it, not a grouping
        if match.group(0).startswith("all") and (intent.total or before.endswith(("sum of",))):
            continue  # "total size of all databases": one number
        groups.append(_label_noun(phrase))
        # The phrase's last word is the thing grouped by ("each probe target": targets).
        if len(phrase_words) > 1:
            head_end = match.end(2)
            grouped_spans.append((head_end - len(phrase_words[1]) - 1, head_end))
        else:
            grouped_spans.append(match.span(1))
        # "by status code and handler": the second grouping too.
        rest = text[match.end() + (len(match.group(2) or "") if len(phrase_words) > 1 else 0) :]
        if more := _AND_GROUP.match(rest):
            groups.append(_label_noun(more.group(1)))
    subjects: list[str] = []
    for match in _WHICH.finditer(text):
        word = match.group(1)
        if stem(word) in vocab.common_words or stem(word) in vocab.operation_words:
            continue
        # "which postgres database": the system's name, then the thing asked about.
        subjects.append(_head_noun(text, match.end(1), word, vocab))
        # "which probe target": the targets of what is measured (probes), one each, as "per
        # target" says them.
        head_at = text.find(subjects[-1], match.start(1))
        if head_at > match.start(1) and measures_in(text[match.start(1) : head_at], vocab):
            grouped_spans.append((head_at, head_at + len(subjects[-1])))
        if text[match.start() : match.start() + 5] == "which":
            intent.which = True
    for pattern in (_SUPERLATIVE, _TOP_SUBJECT, _SUBJECT_WITH):
        for match in pattern.finditer(_blank(_BOUND, text)):
            word = next(g for g in match.groups() if g)
            if pattern is _SUPERLATIVE and word in ("the", "a", "an"):
                continue  # "the worst the probe has taken": the extreme of a value, no thing
            if pattern is _SUPERLATIVE and (noun := _NOUN_AFTER.match(text[match.start(1) :])):
                # "the most called redis command", "the biggest postgres database": the last
                # word of the phrase is the thing ranked.
                word = noun.group(1)
            elif pattern is not _SUBJECT_WITH:
                word = _head_noun(
                    text, match.end(1) if match.group(1) else match.end(), word, vocab
                )
            if stem(word) not in vocab.common_words:
                subjects.append(word)
    # "which job uses the most cpu": the job is ranked; "cpu" is what it is ranked by.
    if len(subjects) > 1:
        subjects = [
            w for i, w in enumerate(subjects) if i == 0 or stem(w) not in vocab.measure_say_words
        ]
    counted = intent.count_of.split()
    for subject in subjects:
        word = _label_noun(subject)
        if word in groups or stem(word) in counted:
            continue
        groups.append(word)
    # "which service", "slowest service", "which process": one; "which services", "top
    # pods": several.
    first = next(iter(subjects), "")
    intent.singular_subject = bool(first) and stem(first) == first
    intent.group_words = groups
    # "average probe duration per target": the targets are the series asked, one each; the
    # measure of targets (scrapes) is not what is measured.
    intent.measures = [
        m
        for m in intent.measures
        if len(intent.measures) == 1 or not _said_only_within(m, grouped_spans, text, vocab)
    ]


def _statuses(intent: Intent, vocab: Vocabulary) -> None:
    text = intent.text
    for match in vocab.status_code.finditer(text):
        if match.group(1)[0] not in "123" or intent.threshold is not None:
            continue  # 4xx/5xx name errors; "over 200" is a threshold
        before = text[max(0, match.start() - 30) : match.start()]
        op = "!=" if _NOT.search(before) else "=="
        intent.code_said = (op, int(match.group(1)), match.start(), match.end())
        break
    # "(status code 0)": a number named as a status code is one, whatever its digits.
    named = _NAMED_CODE.search(text) if intent.code_said is None else None
    if named and intent.threshold is None:
        op = "!=" if _NOT.search(text[max(0, named.start() - 30) : named.start()]) else "=="
        intent.code_said = (op, int(named.group(1)), named.start(1), named.end(1))
    # "answering with a 2xx status": any code of the class, the first of it said.
    code_class = _CODE_CLASS.search(text) if intent.code_said is None else None
    if code_class and intent.threshold is None and not _NOT.search(text[: code_class.start()]):
        start, end = code_class.span()
        intent.code_said = ("class", int(code_class.group(1)) * 100, start, end)
    for name, (patterns, _pattern) in vocab.status_classes.items():
        if any(p.search(text) for p in patterns):
            intent.status_classes.append(name)
    both = {"server_error", "client_error"} <= set(intent.status_classes)
    if both and not re.search(r"\bserver\b|5xx", text):
        intent.status_classes.remove("server_error")


def search_words(question: str, vocab: Vocabulary) -> list[str]:
    """Extra catalog search texts for a question: the metric words of what it measures,
    and of the partners its ratios need (a limit for "percentage of", misses for "hits")."""
    text = vocab.rewrite(question.lower())
    text, _ = correct_spelling(text, vocab)
    named = set(measures_in(text, vocab))
    measured = sorted(
        {
            word
            for measure in vocab.measures
            if measure.name in named
            for word in measure.metric_words
        }
    )
    expansions: list[str] = []
    if measured:
        expansions.append(" ".join(measured))
    partners: set[str] = set()
    if vocab.says("share_of_limit", text) or vocab.says("percent", text):
        partners.update(vocab.pairs.get("limit", ()))
        partners.update(vocab.pairs.get("size", ()))
    asked = set(words(text))
    swapped: list[str] = []
    outcome = _OUTCOME_RATE.search(text)
    share = vocab.says("ratio", text) or vocab.says("percent", text)
    share = share or (outcome is not None and stem(outcome.group(1)) in vocab.complements)
    for word, others in vocab.complements.items():
        if word in asked and share:
            partners.update(others)
            # "cache miss ratio" also searched as "cache hit ratio": the other outcome
            # is found by the words around it, as its own metric is.
            pattern = re.compile(rf"\b{re.escape(word)}(?:e?s)?\b")
            swapped += [pattern.sub(other, text) for other in others[:1]]
    for _span, synonym_words in vocab.synonyms_in(text):
        partners.update(synonym_words)
    if partners:
        expansions.append(" ".join(sorted({*measured, *partners})))
    expansions += [t for t in swapped if t != text]
    return expansions + _part_searches(question, text, vocab)


def _part_searches(question: str, text: str, vocab: Vocabulary) -> list[str]:
    """ "(any inserts, updates or deletes)": each part listed, searched for on its own with
    the rest of the question, so that the metric of each is found."""
    listed = Intent(question=question, text=text)
    _listed_parts(listed, vocab)
    if not listed.listed_parts:
        return []
    start, end = listed.listed_parts[0][0], listed.listed_parts[-1][1]
    rest = f"{text[:start]} {text[end:]}"
    return [f"{text[a:b]} {rest}" for a, b in listed.listed_parts]
