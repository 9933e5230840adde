#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""make lint's link check: every relative link of every Markdown file of the tree points to a
file or directory that exists (and, with #anchor, to a heading of that file); every file of the
tree that a Markdown file names (`src/...`, `etc/...`, `tests/...`, `packaging/...`,
`systemd/...`, in code spans and in sh blocks) exists; and every path the man pages give under
SEE ALSO or FILES for hellod's own pages and files exists in the tree.
Prints one line per broken link and exits 1 when there is any."""
import os
import re
import sys

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SKIP_DIRS = {".git", "build", "node_modules", "__pycache__"}
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
# Installed paths the man pages name, and where each comes from in the tree.
INSTALLED = [
    ("/etc/hellod/hellod.conf", "etc/hellod.conf"),
    ("/etc/cron.d/", "etc/cron.d/"),
    ("/lib/systemd/system/", "systemd/"),
    ("/usr/lib/systemd/system/", "systemd/"),
    ("/usr/lib/systemd/catalog/hellod.catalog", "systemd/hellod.catalog"),
    ("/usr/share/doc/hellod/examples/", ("etc/examples/", "etc/monitoring/")),
]
OWN_PAGES = {"hellod(8)": "src/hellod/hellod.8", "hellod.conf(5)": "src/hellod/hellod.conf.5",
             "hellod-check(1)": "src/check/hellod-check.1"}


def slug(heading):
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces made dashes."""
    text = re.sub(r"[`*]", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def headings(path):
    out, fence = set(), False
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("```"):
                fence = not fence
            elif not fence and line.startswith("#"):
                out.add(slug(line.lstrip("#")))
    return out


def markdown_files():
    for root, dirs, files in os.walk(TOP):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS]
        for name in files:
            if name.endswith(".md"):
                yield os.path.join(root, name)


# A path of the tree named in a Markdown file: from a top-level directory, no placeholder.
NAMED = re.compile(r"(?<![\w./@$-])((?:\.ci|src|etc|tests|packaging|systemd)/[\w./-]*[\w/])")


def named_paths(text):
    """The tree's paths that text names: whole words, not globs or @placeholders@."""
    for m in NAMED.finditer(text):
        after = text[m.end():m.end() + 1]
        if after in ("*", "@", "<", "$", "{"):
            continue
        if any(re.fullmatch(r"[A-Z][A-Z_]+", part) for part in m.group(1).split("/")):
            continue                    # a placeholder: tests/fuzz/corpus/TARGET/
        yield m.group(1)


def check_markdown(path):
    bad, fence, shell = [], False, False
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if line.startswith("```"):
                fence = not fence
                shell = fence and line.strip() in ("```sh", "```shell", "```console")
                continue
            if fence and shell:
                for named in named_paths(line.split("#", 1)[0]):
                    if not os.path.exists(os.path.join(TOP, named)):
                        bad.append(f"{os.path.relpath(path, TOP)}:{n}: {named}: named in an sh "
                                   "block, not in the tree")
            if fence:
                continue
            for code in re.findall(r"`([^`]*)`", line):
                for named in named_paths(code):
                    if not os.path.exists(os.path.join(TOP, named)):
                        bad.append(f"{os.path.relpath(path, TOP)}:{n}: {named}: named, not in "
                                   "the tree")
            for target in LINK.findall(re.sub(r"`[^`]*`", "", line)):
                if re.match(r"^[a-z][a-z0-9+.-]*:", target):
                    continue        # http:, https:, mailto:, man:
                file, _, anchor = target.partition("#")
                dest = os.path.normpath(os.path.join(os.path.dirname(path), file)) if file \
                    else path
                if not os.path.exists(dest):
                    bad.append(f"{os.path.relpath(path, TOP)}:{n}: {target}: no such file")
                elif anchor and dest.endswith(".md") and anchor not in headings(dest):
                    bad.append(f"{os.path.relpath(path, TOP)}:{n}: {target}: no such heading")
    return bad


def in_tree(installed):
    for prefix, source in INSTALLED:
        if installed.startswith(prefix):
            rest = installed[len(prefix):]
            sources = source if isinstance(source, tuple) else (source,)
            return any(os.path.exists(os.path.join(TOP, s + rest)) for s in sources), sources
    return None, None


def check_man(path):
    bad, section = [], None
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if line.startswith(".SH"):
                section = line[3:].strip().strip('"')
                continue
            text = re.sub(r"\\f[BIRP]|\\-|\\&", lambda m: "-" if m.group() == "\\-" else "",
                          line)
            if section == "FILES":
                for p in re.findall(r"(?<![\w/.])(/(?:etc|lib|usr)/[\w./-]*\w)", text):
                    found, sources = in_tree(p)
                    if found is False:
                        bad.append(f"{os.path.relpath(path, TOP)}:{n}: {p}: not in the tree "
                                   f"(looked in {', '.join(sources)})")
            if section == "SEE ALSO":
                for page in re.findall(r"(hellod(?:\.conf|-check)?)\s*\((\d)\)", text):
                    name = f"{page[0]}({page[1]})"
                    if name in OWN_PAGES or page[0].startswith("hellod"):
                        if not os.path.exists(os.path.join(TOP, OWN_PAGES.get(name, "?"))):
                            bad.append(f"{os.path.relpath(path, TOP)}:{n}: {name}: no such "
                                       "page of hellod's")
    return bad


def main():
    bad = []
    for path in sorted(markdown_files()):
        bad += check_markdown(path)
    for page in OWN_PAGES.values():
        bad += check_man(os.path.join(TOP, page))
    for line in bad:
        print(line)
    print(f"links: {len(bad)} broken")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
