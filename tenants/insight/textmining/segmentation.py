"""Chinese comments into terms: jieba with the domain dictionary (data/userdict.txt) and a stop-word list
(data/stopwords.txt).

- keywords: tokens of two characters or more that are not stop words, punctuation or bare numbers;
- phrases: two keywords that follow each other inside one clause (punctuation ends a clause; stop words
  between them are skipped, a negation breaks the pair), joined without a separator ("窗口" + "排队" →
  "窗口排队");
- tags: the rating's reason tags (差评原因 codes), as "tag:<code>".

jieba loads its dictionary once per process (about a second), on first use; its log lines are silenced.
"""

import logging
import re
import threading
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
TAG_PREFIX = "tag:"
MAX_TERM = 64  # CommentTerm.term's length: longer tokens (pasted garbage) are cut

# a clause ends at punctuation or whitespace; a token with neither a CJK character nor a letter/digit is
# punctuation, an emoji or noise
_CLAUSE_BREAK = re.compile(
    r"[\s\u00a0-\u00bf\u2000-\u206f\u3000-\u303f\uff00-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65!-/:-@\[-`{-~]+"
)
_WORDISH = re.compile(r"[\w\u4e00-\u9fff]")
_NUMBER = re.compile(r"^[\d.,%]+$")
# numerals with a measure word (一个多, 五个, 两周, 三趟): quantities, not topics
_QUANTITY = re.compile(
    r"^[\d零一二三四五六七八九十百千万两几半多数]+[个次趟遍天周年月日时分秒位件份张本页项名元块]*多?$"
)

# a negation between two keywords keeps them from forming a phrase
NEGATIONS = frozenset(
    (
        "不",
        "没",
        "没有",
        "不用",
        "无",
        "别",
        "未",
        "非",
        "不要",
        "不能",
        "不会",
        "不是",
        "不太",
        "不够",
        "从不",
        "从没",
        "并不",
        "毫无",
    )
)

_lock = threading.Lock()
_tokenizer = None


def _read_words(name: str) -> list[str]:
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


@cache
def stop_words() -> frozenset[str]:
    return frozenset(_read_words("stopwords.txt"))


@cache
def domain_words() -> frozenset[str]:
    """The words of the domain dictionary (kept whole by the tokenizer, kept as keywords even when numeric)."""
    return frozenset(line.split()[0] for line in _read_words("userdict.txt"))


def tokenizer():
    """The process's jieba tokenizer with the domain dictionary, loaded on first use."""
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)
                logging.getLogger("jieba").setLevel(logging.WARNING)
                made = jieba.Tokenizer()
                made.initialize()
                made.load_userdict(str(DATA / "userdict.txt"))
                _tokenizer = made
    return _tokenizer


def normalise(text: str) -> str:
    """Full-width letters and digits to half-width, Latin letters to lower case."""
    return unicodedata.normalize("NFKC", text).lower()


def tokens(text: str) -> list[list[str]]:
    """The comment's tokens, clause by clause: one pass of jieba over the whole comment; a token without a
    CJK character, letter or digit (punctuation, white space, emoji) ends a clause."""
    clauses, current = [], []
    for token in tokenizer().cut(normalise(text)):
        token = token.strip()
        if token and _WORDISH.search(token) and not _CLAUSE_BREAK.fullmatch(token):
            current.append(token)
        elif current:
            clauses.append(current)
            current = []
    if current:
        clauses.append(current)
    return clauses


def is_keyword(token: str, stop: frozenset[str] | None = None) -> bool:
    stop = stop_words() if stop is None else stop
    if len(token) < 2 or token in stop or not _WORDISH.search(token):
        return False
    if token in domain_words():
        return True
    return not (_NUMBER.match(token) or _QUANTITY.match(token))


@dataclass(frozen=True)
class Terms:
    keywords: tuple[str, ...]  # distinct, in order of first appearance
    phrases: tuple[str, ...]
    tags: tuple[str, ...]

    def rows(self) -> list[tuple[str, str]]:
        """(kind, term) pairs, each once."""
        return (
            [("keyword", t) for t in self.keywords]
            + [("phrase", t) for t in self.phrases]
            + [("tag", t) for t in self.tags]
        )


def _distinct(items) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


@lru_cache(maxsize=50_000)
def _comment_terms(comment: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(keywords, phrases) of one comment text. Cached: short comments repeat a lot (办事效率高, 排队太久)."""
    stop = stop_words()
    keywords, phrases = [], []
    for clause in tokens(comment):
        previous = None
        for token in clause:
            if is_keyword(token, stop):
                token = token[:MAX_TERM]
                keywords.append(token)
                if previous is not None and previous != token:
                    phrases.append((previous + token)[:MAX_TERM])
                previous = token
            elif token in NEGATIONS:
                previous = None  # "预约/后/不用/排队" is not "预约排队"
    return _distinct(keywords), _distinct(phrases)


def terms(comment: str, reason_tags: list[str] | tuple[str, ...] = ()) -> Terms:
    """Keywords, phrases (adjacent keyword pairs within a clause) and reason tags of one rating."""
    keywords, phrases = _comment_terms(comment.strip()) if comment and comment.strip() else ((), ())
    tags = [f"{TAG_PREFIX}{code}"[:MAX_TERM] for code in reason_tags or () if code]
    return Terms(keywords, phrases, _distinct(tags))
