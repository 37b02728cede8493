"""Split and parse YAML front matter strictly (every scalar a string), and write it back."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from digest.errors import FrontMatterError

try:  # libyaml's parser is several times faster; the resolver below is the same either way
    _BaseLoader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - libyaml missing
    _BaseLoader = yaml.SafeLoader


class StringLoader(_BaseLoader):
    """A YAML loader that resolves no implicit types: `NO`, `On`, `2021-04-30` stay strings."""

    yaml_implicit_resolvers: dict = {}


class StringDumper(yaml.SafeDumper):
    """A dumper that quotes only where YAML syntax needs it, matching `StringLoader`."""

    yaml_implicit_resolvers: dict = {}


_STR_TAG = "tag:yaml.org,2002:str"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_FENCE = re.compile(r"^---[ \t]*$")
_CLOSE = re.compile(r"^(?:---|\.\.\.)[ \t]*$")

Value = str | list[str]
# YAML folds these into spaces, so a value holding one would not survive a round trip.
_BREAKS = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")


@dataclass(frozen=True)
class FrontMatter:
    """Front matter fields (strings or lists of strings) with the line of each, and the body."""

    path: str
    fields: dict[str, Value]
    lines: dict[str, int]
    item_lines: dict[str, tuple[int, ...]] = field(default_factory=dict)
    body: str = ""
    body_line: int = 0
    end_line: int = 0  # the closing fence

    def line(self, key: str) -> int:
        """The line of `key`, or of the opening fence when the key is absent."""
        return self.lines.get(key, 1)


def _guess_encoding(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or data[:200].count(b"\x00") > 2:
        return "UTF-16"
    high = [b for b in data if b >= 0x80]
    if not high:
        return "an unknown encoding"
    # cp1251 puts Cyrillic letters at 0xC0–0xFF; Latin text in cp1252 uses few of them in a row.
    cyrillic = sum(1 for b in high if b >= 0xC0)
    runs = re.findall(rb"[\xc0-\xff]{3,}", data)
    if cyrillic / len(high) > 0.8 and runs:
        return "cp1251"
    return "latin-1 (cp1252)"


def decode(data: bytes, path: str) -> str:
    """UTF-8 text (a BOM dropped, CRLF and CR made LF); a clear error for any other encoding."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        enc = _guess_encoding(data)
        raise FrontMatterError(
            path, line,
            f"not UTF-8 (byte 0x{data[exc.start]:02X}; it looks like {enc}): convert the file "
            f"to UTF-8, for example with `iconv -f {enc.split()[0]} -t utf-8`, or import it "
            f"with `digest import --encoding`",
        ) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    return text.replace("\r\n", "\n").replace("\r", "\n")


def normalise_body(body: str) -> str:
    """The body as stored: leading blank lines and trailing whitespace removed."""
    lines = body.split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    return "\n".join(lines).rstrip()


def parse(text: str, path: str) -> FrontMatter:
    """Split `text` into front matter and body and parse the front matter strictly."""
    if not text.strip():
        raise FrontMatterError(path, None, "empty file: a clipping is YAML front matter between "
                               "'---' lines, then its excerpt (see CONTRIBUTING.md)")
    lines = text.split("\n")
    if not _FENCE.match(lines[0]):
        raise FrontMatterError(path, 1, "no front matter: the first line must be '---', "
                               "followed by the fields and a closing '---'")
    end = next((i for i in range(1, len(lines)) if _CLOSE.match(lines[i])), None)
    if end is None:
        raise FrontMatterError(path, 1, "front matter opened with '---' is never closed: add a "
                               "line '---' after the last field")
    yaml_text = "\n".join(lines[1:end])
    body_lines = lines[end + 1:]
    leading = 0
    while leading < len(body_lines) and not body_lines[leading].strip():
        leading += 1
    body = normalise_body("\n".join(body_lines))
    fields, key_lines, item_lines = _parse_yaml(yaml_text, path, first_line=2)
    return FrontMatter(path, fields, key_lines, item_lines, body, end + 2 + leading, end + 1)


def _parse_yaml(text: str, path: str, first_line: int):
    try:
        node = yaml.compose(text, Loader=StringLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = first_line + mark.line if mark else None
        column = f", column {mark.column + 1}" if mark else ""
        problem = exc.problem or exc.context or "invalid YAML"
        hint = ""
        if "mapping values are not allowed" in problem:
            hint = ': a value with ": " in it must be quoted, as in title: "Border: talks"'
        elif "found character '\\t'" in problem:
            hint = ": indent with spaces, not tabs"
        opened = exc.context_mark
        if opened is not None and (exc.context or "").startswith("while parsing a flow"):
            # (YAML notices an unclosed [ or { where the next line starts: the fault is
            # where the list began)
            kind = "list" if "sequence" in exc.context else "mapping"
            close = "]" if kind == "list" else "}"
            raise FrontMatterError(path, first_line + opened.line, (
                f"invalid YAML, column {opened.column + 1}: the {kind} opened here is not "
                f"closed: end it with '{close}' on this line")) from None
        raise FrontMatterError(path, line, f"invalid YAML{column}: {problem}{hint}") from None
    except yaml.YAMLError as exc:
        raise FrontMatterError(path, first_line, f"invalid YAML: {exc}") from None
    if node is None:
        raise FrontMatterError(path, first_line - 1, "the front matter is empty: add the fields "
                               "title, date, category, countries and source")
    if not isinstance(node, yaml.MappingNode):
        raise FrontMatterError(path, first_line + node.start_mark.line,
                               "the front matter must be 'key: value' lines")
    fields: dict[str, Value] = {}
    key_lines: dict[str, int] = {}
    item_lines: dict[str, tuple[int, ...]] = {}
    for key_node, value_node in node.value:
        line = first_line + key_node.start_mark.line
        if not isinstance(key_node, yaml.ScalarNode) or key_node.tag != _STR_TAG:
            raise FrontMatterError(path, line, "a key must be a plain word such as 'title'")
        key = key_node.value
        if key in fields:
            raise FrontMatterError(path, line, f"'{key}' is given twice (first on line "
                                   f"{key_lines[key]}): keep one")
        key_lines[key] = line
        fields[key], items = _value(value_node, key, path, first_line)
        if items is not None:
            item_lines[key] = items
    return fields, key_lines, item_lines


def _value(node, key: str, path: str, first_line: int):
    line = first_line + node.start_mark.line
    if isinstance(node, yaml.ScalarNode):
        if node.tag != _STR_TAG:
            raise FrontMatterError(path, line, f"'{key}': YAML tags such as {node.tag} are not "
                                   "allowed; write the value as plain text")
        return node.value, None
    if isinstance(node, yaml.SequenceNode):
        if node.tag != _SEQ_TAG:
            raise FrontMatterError(path, line, f"'{key}': YAML tags are not allowed")
        values, lines = [], []
        for item in node.value:
            item_line = first_line + item.start_mark.line
            if not isinstance(item, yaml.ScalarNode) or item.tag != _STR_TAG:
                raise FrontMatterError(path, item_line, f"'{key}': each item must be plain "
                                       "text, not a list or a mapping")
            values.append(item.value)
            lines.append(item_line)
        return values, tuple(lines)
    raise FrontMatterError(path, line, f"'{key}' must be text or a list, not a mapping")


def read_file(path: Path | str, display: str | None = None) -> FrontMatter:
    """Read and parse one clipping file; errors name `display` (the path as the user knows it)."""
    display = display or str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise FrontMatterError(display, None, f"cannot read the file: {exc.strerror}") from None
    return parse(decode(data, display), display)


def dump(fields: dict[str, Value], body: str) -> str:
    """A clipping file: the fields as YAML front matter in the given order, then the body."""
    data = {k: v for k, v in fields.items() if v not in (None, "", [], ())}
    for key, value in data.items():
        for item in value if isinstance(value, (list, tuple)) else (value,):
            if _BREAKS.search(item):
                raise ValueError(f"'{key}' contains a line break or control character")
    text = yaml.dump(
        data, Dumper=StringDumper, sort_keys=False, allow_unicode=True,
        default_flow_style=None, width=10**9,
    )
    body = normalise_body(body)
    return f"---\n{text}---\n\n{body}\n" if body else f"---\n{text}---\n"
