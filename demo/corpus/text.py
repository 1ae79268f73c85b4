"""Made-up news text: Zipf-distributed words, sentences, articles, quotes and briefing bodies."""
import itertools
import re

from .plan import COMMON_WORD, SELECTIVE_WORD

CONTENT_WORDS = (
    "government minister pipeline officials agreement border gas talks election president parliament "
    "energy trade oil ministry transit tariffs region security troops deal sanctions cabinet exports "
    "opposition court budget protest reform capital embassy station market corridor summit treaty "
    "railway province governor council investment refinery ceasefire delegation villages harvest "
    "journalists farmers prices currency inflation bank loan grid electricity reservoir drought "
    "mountain river port shipping containers customs inspectors negotiators diplomats envoy "
    "spokesman statement interview agency report survey census figures estimate contract tender "
    "consortium operator license permit regulator audit committee hearing verdict appeal lawyers "
    "prosecutors police arrest detention release amnesty minority language schools university "
    "hospital clinic vaccine doctors nurses teachers wages pensions taxes subsidy tariff quota"
).split()
VERBS = (
    "said announced signed rejected approved delayed reported confirmed denied warned expects plans "
    "launched suspended criticised welcomed questioned raised cut extended proposed blocked opened"
).split()
JOINERS = ["the", "of", "and", "in", "to", "on", "for", "with", "after", "before", "by", "from"]
SYLLABLES = "ka ri sa to ne vi lo ma de ru an el ost ar in um ba go ze li pa tu".split()
BOILERPLATE = ["Advertisement", "Share", "Related", "Read more"]
WORD_SPAN = re.compile(r"\S+")


class Words:
    """Zipf-distributed words: a few very common ones and a long tail of rare made-up names."""

    def __init__(self, rng, tail=6000):
        made_up = set()
        while len(made_up) < tail:
            made_up.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
        self.vocabulary = [COMMON_WORD] + [w for w in CONTENT_WORDS if w != COMMON_WORD] + sorted(made_up)
        weights = [1 / (rank + 1) ** 1.05 for rank in range(len(self.vocabulary))]
        self.cumulative = list(itertools.accumulate(weights))

    def pick(self, rng, count):
        return rng.choices(self.vocabulary, cum_weights=self.cumulative, k=count)


def sentence(rng, words, length):
    chosen = words.pick(rng, length)
    out = []
    for index, word in enumerate(chosen):
        if index == 1:
            out.append(rng.choice(VERBS))
        elif index and rng.random() < 0.3:
            out.append(rng.choice(JOINERS))
        out.append(word)
    if len(out) > 8 and rng.random() < 0.4:
        out[len(out) // 2] += ","
    out[0] = out[0].capitalize()
    return " ".join(out) + "."


def headline(rng, words, length):
    return " ".join(word.capitalize() for word in words.pick(rng, length))


def article_lines(rng, words, passages, planted):
    """About ``passages`` lines of an article: headline, paragraphs, subheads, a caption printed twice, chrome."""
    lines = [headline(rng, words, rng.randint(5, 9))]
    # A caption printed twice is one passage: count passages, not lines.
    for _ in range(passages - 1):
        roll = rng.random()
        if roll < 0.06:
            lines.append(headline(rng, words, rng.randint(2, 5)))
        elif roll < 0.08:
            caption = sentence(rng, words, rng.randint(6, 10))
            lines.extend([caption, caption])
        elif roll < 0.10:
            lines.append(rng.choice(BOILERPLATE))
        else:
            text = " ".join(sentence(rng, words, rng.randint(8, 22)) for _ in range(rng.randint(1, 3)))
            if planted():
                text = text[:-1] + f" near the {SELECTIVE_WORD} marshes."
            lines.append(text)
    return lines


def quote_in(rng, text):
    """Exact words of ``text`` (4 to 12 words) and where they are."""
    spans = [match.span() for match in WORD_SPAN.finditer(text)]
    length = min(len(spans), rng.randint(4, 12))
    first = rng.randrange(0, len(spans) - length + 1)
    start, end = spans[first][0], spans[first + length - 1][1]
    return text[start:end], start, end


def briefing_body(rng, words, labels):
    """Markdown paragraphs of claims, each citation used once and now and then twice."""
    paragraphs, pending = [], list(labels)
    if rng.random() < 0.3:
        paragraphs.append("## " + headline(rng, words, rng.randint(2, 4)))
    while pending:
        claims = []
        for _ in range(rng.randint(1, 3)):
            if not pending:
                break
            claim = sentence(rng, words, rng.randint(8, 18))
            claims.append(f"{claim}[^{pending.pop(0)}]")
        if labels and rng.random() < 0.1:
            claims.append(sentence(rng, words, 8) + f"[^{rng.choice(labels)}]")
        paragraphs.append(" ".join(claims))
    if rng.random() < 0.3:
        paragraphs.append("\n".join(f"- {sentence(rng, words, rng.randint(4, 8))}" for _ in range(3)))
    return "\n\n".join(paragraphs) + "\n"
