r"""Party names folded to the forms they are compared in.

One name becomes a :class:`NameForm`: its tokens (the *strict key*, :func:`normalize_name`), the same with
the spaces removed (the *equivalence key*: two names with the same one are the same name), and the tokens
that carry identity (for fuzzy comparison). The folding, in order:

1. Unicode NFKC (full-width letters, ligatures, mathematical letters -> plain letters).
2. Look-alike letters: inside a word that mixes Latin with Cyrillic or Greek letters, each look-alike is
   replaced by the Latin letter it imitates (`Hu\u0430wei` with a Cyrillic `\u0430`). A word wholly in another script
   is transliterated by sound (anyascii: Cyrillic `Romashka` -> `romashka`); when every letter of it also looks like a
   Latin one, the shape reading is offered as a second variant (`SMIC` spelt in Cyrillic look-alikes -> `smic`).
3. Diacritics and other scripts to ASCII (anyascii: `Müller` -> `muller`, `ß` -> `ss`). Han characters
   are kept as they are, after traditional -> simplified folding (OpenCC: `華為` -> `华为`), because
   transliterating them merges different names that sound alike (华为 and 华威 are both `huawei`); their
   pinyin is kept beside, for review-level matching against Latin-script names.
4. Case folded; apostrophes inside words dropped (`Xi'an` -> `xian`); every other non-alphanumeric is a
   separator. Runs of single letters are one token (`S.M.I.C.`, `S M I C` -> `smic`; `S&C` -> `sc`, so
   `S&C Electronics` is never `L&N Electronics`).
5. Unambiguous abbreviations and plurals to one spelling (`Tech.`, `Technologies` -> `technology`; `Intl`
   -> `international`, `Mfg` -> `manufacturing`); joining words (`and`, `&`, `the`, `of`) dropped.
6. Legal forms (`Co., Ltd.`, `GmbH`, `S.A.`, 有限公司, 股份有限公司, `youxian gongsi`, ...) dropped from the end
   of the name, those that precede names (`OOO`, `PJSC`, `PT`, `AB`) from its start, and all ignored anywhere
   when names are compared token by token.

7. Words run together keep their capitals (`KingsemiJapanK.K.`): a second reading splits there; dotted
   initials glued to the last word (`...JAPANK.K.`) are read apart.

Nothing here merges two names that differ in a letter, a digit or a word that carries identity. Beyond that,
:func:`analyse` adds *guessed* readings of known disguises (``NameForm.guess``: digits for the letters they look
like, a Cyrillic transcription of a foreign name), which the index lets raise a possible match only.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from anyascii import anyascii

from compliance.screening.orgtypes import (
    ABBREVIATIONS,
    BRANCH_WORDS,
    CONFUSABLES,
    GENERIC_WORDS,
    HAN_BRANCH_WORDS,
    HAN_LEGAL_FORMS,
    HAN_PLACES,
    LEGAL_FORMS,
    PLACES,
    PREFIX_LEGAL_FORMS,
    STOPWORDS,
)

__all__ = ["NameForm", "analyse", "has_han", "normalize_name", "to_simplified"]

_HAN_RANGES = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ebef"
_HAN_CHAR = re.compile(f"[{_HAN_RANGES}]")
_TOKEN = re.compile(f"[a-z0-9]+|[{_HAN_RANGES}]+")
_APOSTROPHE = re.compile(r"(?<=[a-z0-9])['\u2019\u02bc`\u00b4](?=[a-z0-9])")
_WORD = re.compile(r"[^\W_]+")
_LONGEST_FORM = max(len(f) for f in LEGAL_FORMS)
_FORM_WORDS = frozenset(w for f in LEGAL_FORMS for w in f)
_FORM_LAST = frozenset(f[-1] for f in LEGAL_FORMS) | STOPWORDS  # a name can only end in a form on these
_FORM_FIRST = frozenset(f[0] for f in PREFIX_LEGAL_FORMS) | STOPWORDS
_BRANCH_LAST = frozenset(b[-1] for b in BRANCH_WORDS)


def _load_t2s() -> object:
    # opencc-python-reimplemented (a pure wheel) and the official OpenCC binding share the module name and
    # the class; they differ in how the configuration is named.
    from opencc import OpenCC

    try:
        return OpenCC("t2s")
    except Exception:  # pragma: no cover - only with the official binding installed instead
        return OpenCC("t2s.json")


# Built once at import (it reads its dictionaries then), so converting is pure.
_T2S = _load_t2s()


def to_simplified(text: str) -> str:
    """Traditional Chinese characters to simplified (`華為技術` -> `华为技术`); other text unchanged."""
    converted = _T2S.convert(text)  # type: ignore[attr-defined]
    return str(converted)


def has_han(text: str) -> bool:
    return _HAN_CHAR.search(text) is not None


@dataclass(slots=True)
class NameForm:
    """One reading of a name. ``compact`` equal means the same name; ``core`` is what fuzzy matching weighs.

    Not frozen (a frozen dataclass pays ``object.__setattr__`` per field, and one is built per listed name);
    nothing changes one once built."""

    tokens: tuple[str, ...]  # the strict key's tokens: folded, canonical spellings, legal forms off the ends
    key: str  # " ".join(tokens): what normalize_name returns
    compact: str  # "".join(tokens): the equivalence key (spacing does not matter)
    core: tuple[str, ...]  # tokens without legal forms anywhere: what token-by-token comparison weighs
    han: bool  # has tokens in Han characters
    pinyin: str  # Han tokens transliterated (toneless pinyin), compact; "" when there are none
    # For a branch or office (`... Shenzhen Branch`, `...深圳分公司`): the keys the company may have (with and
    # without the places before the branch word).
    principal: tuple[str, ...] = ()
    # Not "" for a reading guessed from a known disguise (digits for letters, a Cyrillic transcription of a
    # foreign name): what was guessed. Such a reading can raise a possible match, never an exact one, and
    # listed names are not indexed under one.
    guess: str = ""

    @property
    def empty(self) -> bool:
        return not self.compact


def _is_latin_letter(ch: str) -> bool:
    return ch.isascii() or unicodedata.name(ch, "").startswith("LATIN")


def _fold_word(word: str) -> tuple[str, str | None]:
    """(reading, shape reading or None) of one word without Han characters."""
    if word.isascii():
        return word, None
    letters = [ch for ch in word if ch.isalpha()]
    latin = any(_is_latin_letter(ch) for ch in letters)
    lookalike = [ch in CONFUSABLES for ch in letters if not _is_latin_letter(ch)]
    if latin and any(lookalike):
        # A word mixing scripts: read look-alikes by shape (the homoglyph evasion).
        return anyascii("".join(CONFUSABLES.get(ch, ch) for ch in word)), None
    reading = anyascii(word)
    if lookalike and all(lookalike):
        shape = anyascii("".join(CONFUSABLES.get(ch, ch) for ch in word))
        return reading, (shape if shape.casefold() != reading.casefold() else None)
    return reading, None


def _fold(text: str) -> tuple[str, str | None]:
    """The text in ASCII and Han characters only; the second value is the shape reading, if it differs."""
    out: list[str] = []
    alt: list[str] = []
    differs = False
    pos = 0
    for m in _WORD.finditer(text):
        gap = text[pos : m.start()]
        out.append(gap)
        alt.append(gap)
        pos = m.end()
        word = m.group()
        # Han characters stand apart from the letters around them (`华为Huawei` is two words).
        for piece in re.split(f"([{_HAN_RANGES}]+)", word):
            if not piece:
                continue
            if _HAN_CHAR.match(piece):
                simplified = f" {to_simplified(piece)} "
                out.append(simplified)
                alt.append(simplified)
                continue
            reading, shape = _fold_word(piece)
            out.append(reading)
            alt.append(shape if shape is not None else reading)
            differs = differs or shape is not None
    tail = text[pos:]
    out.append(tail)
    alt.append(tail)
    # Separators (punctuation in other scripts) become ASCII too; Han characters only come from words.
    main = anyascii("".join(out)) if not has_han("".join(out)) else _ascii_keep_han("".join(out))
    if not differs:
        return main, None
    other = "".join(alt)
    return main, (anyascii(other) if not has_han(other) else _ascii_keep_han(other))


def _ascii_keep_han(text: str) -> str:
    return "".join(
        piece if _HAN_CHAR.match(piece) else anyascii(piece) for piece in re.split(f"([{_HAN_RANGES}]+)", text)
    )


def _strip_han_form(token: str) -> str:
    """`华为技术有限公司` -> `华为技术`; a token that is only a legal form is returned as it is."""
    if token.endswith(HAN_BRANCH_WORDS):
        return token  # `...深圳分公司` ends in 公司 but is a branch, read by _principal
    changed = True
    while changed and token not in HAN_LEGAL_FORMS:
        changed = False
        for form in HAN_LEGAL_FORMS:
            if token.endswith(form) and len(token) > len(form):
                token = token[: -len(form)]
                changed = True
                break
    return token


def _join_single_letters(raw: list[str]) -> list[str]:
    out: list[str] = []
    run: list[str] = []
    for tok in raw:
        if len(tok) == 1 and "a" <= tok <= "z":
            run.append(tok)
            continue
        if run:
            out.append("".join(run))
            run = []
        out.append(tok)
    if run:
        out.append("".join(run))
    return out


def _is_form(tokens: list[str], start: int, n: int) -> bool:
    return tuple(tokens[start : start + n]) in LEGAL_FORMS


def _strip_ends(tokens: list[str]) -> list[str]:
    """Legal forms off the end and the forms that precede names off the start (and joining words off both),
    repeatedly: `co ltd`, `ooo romashka`, `the boeing company`."""
    lo, hi = 0, len(tokens)
    if not tokens or (tokens[-1] not in _FORM_LAST and tokens[0] not in _FORM_FIRST):
        return tokens
    changed = True
    while changed and lo < hi:
        changed = False
        for n in range(min(_LONGEST_FORM, hi - lo), 0, -1):
            if tuple(tokens[hi - n : hi]) in LEGAL_FORMS or (n == 1 and tokens[hi - 1] in STOPWORDS):
                hi -= n
                changed = True
                break
        if lo >= hi:
            break
        for n in range(min(_LONGEST_FORM, hi - lo), 0, -1):
            if tuple(tokens[lo : lo + n]) in PREFIX_LEGAL_FORMS or (n == 1 and tokens[lo] in STOPWORDS):
                # A form before a name is dropped only when a distinctive word remains (`ab volvo` -> `volvo`):
                # `A.B. Trading` must not become `trading`, which a licence for another "Trading" would cover.
                if (n == 1 and tokens[lo] in STOPWORDS) or any(t not in GENERIC_WORDS for t in tokens[lo + n : hi]):
                    lo += n
                    changed = True
                break
    return tokens[lo:hi]


def _without_forms(tokens: list[str]) -> list[str]:
    """Tokens with every legal-form sequence removed, wherever it stands (`huawei co ltd shenzhen branch`)."""
    out: list[str] = []
    i = 0
    while i < len(tokens):
        if tokens[i] in _FORM_WORDS:
            n = next((n for n in range(min(_LONGEST_FORM, len(tokens) - i), 0, -1) if _is_form(tokens, i, n)), 0)
            if n:
                i += n
                continue
        out.append(tokens[i])
        i += 1
    return out


def _pinyin(tokens: tuple[str, ...]) -> str:
    return "".join(anyascii(ch).lower() for tok in tokens if _HAN_CHAR.match(tok) for ch in tok)


def _principal(words: list[str]) -> tuple[str, ...]:
    """The keys of the company a branch or office belongs to; () when the name is not a branch's."""
    last = words[-1] if words else ""
    if not last or (last.isascii() and last not in _BRANCH_LAST):
        return ()
    heads: list[list[str]] = []
    if not last.isascii():
        bw = next((b for b in HAN_BRANCH_WORDS if last.endswith(b) and len(last) > len(b)), None)
        if bw is None:
            return ()
        head = last[: -len(bw)]
        place = next((p for p in HAN_PLACES if head.endswith(p) and len(head) > len(p)), None)
        for h in (head, head[: -len(place)]) if place else (head,):
            rest = [*words[:-1], _strip_han_form(h)]
            heads.append([w for w in rest if w not in HAN_LEGAL_FORMS])
    else:
        n = next((n for n in (2, 1) if tuple(words[-n:]) in BRANCH_WORDS and len(words) > n), 0)
        if not n:
            return ()
        rest = words[:-n]
        heads.append(rest)
        while len(rest) > 1 and rest[-1] in PLACES:
            rest = rest[:-1]
            heads.append(rest)
    keys = ("".join(_strip_ends(h)) for h in heads)
    return tuple(dict.fromkeys(k for k in keys if k))


# Dotted initials glued to the word before them at the end of a name (`...JAPANK.K.`, `FOOS.A.`): a legal form
# run together with the name, read apart.
_GLUED_INITIALS = re.compile(r"(?<=[a-z0-9]{2})(?=(?:[a-z]\.){2,}\s*$)")


def _form(folded: str) -> NameForm:
    text = folded.casefold()
    if "." in text:
        text = _GLUED_INITIALS.sub(" ", text)
    if "'" in text or "\u2019" in text or "`" in text or "\u00b4" in text or "\u02bc" in text:
        text = _APOSTROPHE.sub("", text)
    raw = _TOKEN.findall(text)
    if any(len(t) == 1 for t in raw):
        raw = _join_single_letters(raw)
    han = not text.isascii() and any(_HAN_CHAR.match(t) for t in raw)
    words: list[str]
    if not han:
        words = [ABBREVIATIONS.get(t, t) for t in raw if t not in STOPWORDS]
    else:
        words = []
        for tok in raw:
            if _HAN_CHAR.match(tok):
                words.append(_strip_han_form(tok))
            elif tok not in STOPWORDS:
                words.append(ABBREVIATIONS.get(tok, tok))
        # Han legal forms standing alone (`(北京)股份有限公司` gives a token `股份有限公司`) are legal forms too.
        words = [w for w in words if w not in HAN_LEGAL_FORMS] or words
    stripped = _strip_ends(words) or words
    core = _without_forms(stripped) if _FORM_WORDS.intersection(stripped) else stripped
    tokens = tuple(stripped)
    return NameForm(
        tokens,
        " ".join(tokens),
        "".join(tokens),
        tuple(core or stripped),
        han,
        _pinyin(tokens) if han else "",
        _principal(words),
    )


# Digits written for the letters they look like, inside a word of letters (`Huawe1`, `H0nor`, `5MIC`).
_LEET = str.maketrans("013457", "oieast")
_LEET_WORD = re.compile(r"(?=[a-z0-9]*[a-z][a-z0-9]*[a-z])(?=[a-z0-9]*[013457])[a-z0-9]+")
# A foreign (e.g. Chinese) name written in Cyrillic is transcribed by sound, not letter by letter: Huawei is
# "Khu-a-vei" in Cyrillic, whose letter-by-letter reading is "khuavey". Read the letters that transcribe H, W, a
# final I and E (kha, ve, short i, e; escapes, since the letters look like Latin ones).
_CYRILLIC_FOREIGN = str.maketrans(
    {
        "\u0445": "h",
        "\u0425": "H",
        "\u0432": "w",
        "\u0412": "W",
        "\u0439": "i",
        "\u0419": "I",
        "\u044d": "e",
        "\u042d": "E",
    }
)
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")


def _guesses(text: str, readings: tuple[NameForm, ...]) -> tuple[NameForm, ...]:
    """Readings of the known disguises, when they differ from the readings already made."""
    out: list[NameForm] = []
    seen = {r.compact for r in readings}
    for reading in readings:  # folded already: full-width digits and look-alike letters are plain here
        folded = _LEET_WORD.sub(lambda m: m.group().translate(_LEET), reading.key)
        if folded != reading.key:
            out.extend(_guessed(_form(folded), "digits taken for the letters they look like", seen))
    if _CYRILLIC.search(text):
        foreign = _ascii_keep_han(text.translate(_CYRILLIC_FOREIGN))  # wholly: no mixed-script word is left
        for form in analyse(foreign, guesses=False):
            out.extend(_guessed(form, "Cyrillic letters taken as a transcription of a foreign name", seen))
    return tuple(out)


def _guessed(form: NameForm, what: str, seen: set[str]) -> list[NameForm]:
    if not form.compact or form.compact in seen:
        return []
    seen.add(form.compact)
    form.guess = what
    return [form]


# Words run together keep their capitals (`KingsemiJapanK.K.`, `SMICCo.,Ltd.`): a capital after a small letter,
# or before a capital followed by a small one, starts a word.
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def analyse(name: str, *, guesses: bool = True) -> tuple[NameForm, ...]:
    """The readings of ``name``: one, or two when a word could be a homoglyph disguise or a foreign word; with
    ``guesses``, then the readings of known disguises (``NameForm.guess``)."""
    text = unicodedata.normalize("NFKC", name)
    if text.isascii():
        readings: tuple[NameForm, ...] = (_form(text),)
    else:
        main, shape = _fold(text)
        first = _form(main)
        second = _form(shape) if shape is not None else first
        readings = (first,) if second.compact == first.compact else (first, second)
    if _CAMEL.search(text):
        # The same letters, so the same name: only where legal forms end can differ (`...JapanK.K.`).
        split = analyse(_CAMEL.sub(" ", text), guesses=False)
        readings += tuple(r for r in split if r.compact not in {k.compact for k in readings})
    return readings + _guesses(text, readings) if guesses else readings


def normalize_name(name: str) -> str:
    """The strict key of a name: equal keys are the same name written differently (case, punctuation, legal
    form, spacing inside single letters, look-alike letters, full-width forms, diacritics, abbreviations).

    Licence party matching relies on it never merging distinct names: `S&C Electronics` and `L&N Electronics`
    differ, `S.M.I.C.` is `smic`.
    """
    return analyse(name)[0].key
