#!/usr/bin/env python3
"""check.py - the manual pages against the programs.

Every program `make install` ships (PROGS in the Makefile) must have its
page, man/PROG.8, a --help and a --version.  Every page in man/ must render with `man -l` and pass `groff -ww -z` with
no warning.  Then, both ways (what the program accepts is in its page, and
what the page documents the program accepts):
  - the options of every program but sysplex (tcpip-stack, client-agent,
    sysplex-httpd): their --help (made from the option table getopt_long uses, lib/opt.c)
    against the page's `Fl`;
  - the commands of sysplex (`sysplex --help`) against the `.It Cm` of
    sysplex(8), and the options of sysplex and of every command (`sysplex
    COMMAND --help`) against its `Fl`, each command's under its own item;
  - the statements of the PROFILE parser (its table, stmt_defs in
    vipa/profile.c) against the `Ic` of sysplex-profile(5);
  - the globals of the Lua API (sysplex/prelude.lua, `args` from lua.c)
    against the `Fn`/`Va` items of sysplex-lua(7);
and one way, the operator command words of the stack (displays, actions
and verbs, tcpip-stack/ctl.c) must appear in tcpip-stack(8), those of the
console (its TAB completion words and verbs, sysplex/console.c) in
sysplex(8).  An option must also be described in the OPTIONS section (or,
for a sysplex command, in the command's item), not only named somewhere.
Run from the top of the tree: BIN=bin python3 tests/man/check.py
"""
import os
import re
import subprocess
import sys

BIN = os.environ.get("BIN", "bin")
MAN = "man"
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL " + msg)


def run(argv):
    p = subprocess.run(argv, capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def source(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def page_source(page):
    """A page's source without its comment lines."""
    return "".join(l for l in source(os.path.join(MAN, page)).splitlines(True)
                   if not l.startswith('.\\"'))


def rendered(page):
    env = dict(os.environ, MANWIDTH="80", MAN_KEEP_FORMATTING="0")
    p = subprocess.run(["man", "-l", os.path.join(MAN, page)], capture_output=True,
                       text=True, env=env)
    if p.returncode != 0 or not p.stdout.strip():
        fail("%s: man -l failed (exit %d): %s" % (page, p.returncode, p.stderr.strip()))
    # Overstrike (bold/underline) and the hyphen man may turn - into.
    text = re.sub(r".\x08", "", p.stdout).replace("\u2010", "-").replace("\u2212", "-")
    return text


def help_options(text):
    """The options of a --help text: the lines of its Options: part."""
    opts, part = set(), None
    for line in text.splitlines():
        if re.match(r"^[A-Z][a-z ]*:$", line):
            part = line
            continue
        if part != "Options:":
            continue
        m = re.match(r"^\s+(-\w)?(?:, )?\s*(--[\w-]+)?", line)
        if m:
            opts.update(o for o in m.groups() if o)
    return opts


def page_options(src):
    """The options a page documents: the arguments of its Fl macros
    (`Fl \\-name` is --name; `Fl Mv` is -M and -v)."""
    opts = set()
    for m in re.finditer(r"\bFl ((?:\\-)?[\w-]+)", src):
        w = m.group(1)
        if w.startswith("\\-"):
            opts.add("--" + w[2:])
        else:
            opts.update("-" + c for c in w)
    return opts


def options_items(src):
    """The .It lines of a page's OPTIONS section."""
    sec = re.search(r"^\.Sh OPTIONS\n(.*?)(?=^\.Sh |\Z)", src, re.M | re.S)
    return "".join(re.findall(r"^\.It .*\n", sec.group(1), re.M)) if sec else ""


def compare(what, program, page, in_prog, in_page):
    for o in sorted(in_prog - in_page):
        fail("%s %s accepts %s, %s does not document it" % (program, what, o, page))
    for o in sorted(in_page - in_prog):
        fail("%s documents %s %s, which %s does not accept" % (page, what, o, program))


def check_render():
    for page in sorted(os.listdir(MAN)):
        rc, out, err = run(["groff", "-mandoc", "-ww", "-z", os.path.join(MAN, page)])
        if rc != 0 or out or err:
            fail("%s: groff -ww -z: exit %d: %s%s" % (page, rc, out, err))
        rendered(page)


def check_daemon(prog):
    rc, out, err = run([os.path.join(BIN, prog), "--help"])
    if rc != 0 or not out.startswith("usage: " + prog):
        fail("%s --help: exit %d, no usage line" % (prog, rc))
    for part in ("Options:", "Exit status:"):
        if "\n" + part + "\n" not in out:
            fail("%s --help has no %s part" % (prog, part))
    opts = help_options(out)
    if len(opts) < 4:
        fail("%s --help: only %d options found" % (prog, len(opts)))
    src = page_source(prog + ".8")
    compare("option", prog, prog + ".8", opts, page_options(src))
    for o in sorted(opts - page_options(options_items(src))):
        fail("%s accepts %s, the OPTIONS of %s.8 do not describe it" % (prog, o, prog))
    check_version(prog)


def check_version(prog):
    rc, out, err = run([os.path.join(BIN, prog), "--version"])
    if rc != 0 or not re.match(r"^%s \(sysplex\) \d+\.\d+\S*\n$" % re.escape(prog), out):
        fail("%s --version: exit %d, %r" % (prog, rc, out))


def check_sysplex():
    prog = os.path.join(BIN, "sysplex")
    src = page_source("sysplex.8")
    rc, out, err = run([prog, "--help"])
    if rc != 0 or not out.startswith("usage: sysplex"):
        fail("sysplex --help: exit %d, no usage line" % rc)
    for part in ("Commands:", "Options:", "Exit status:"):
        if "\n" + part + "\n" not in out:
            fail("sysplex --help has no %s part" % part)
    cmds = re.findall(r"^  ([a-z][\w-]*)", out.split("\nCommands:\n")[1].split("\n\n")[0], re.M)
    if len(cmds) < 10:
        fail("sysplex --help: only %d commands found" % len(cmds))
    compare("command", "sysplex", "sysplex.8", set(cmds), set(re.findall(r"^\.It Cm ([\w-]+)", src, re.M)))
    # Each command's item in the page, up to the next command's.
    items = dict(re.findall(r"^\.It Cm ([\w-]+)(.*?)(?=^\.It Cm |^\.Sh |\Z)", src, re.M | re.S))
    all_opts = help_options(out)
    for o in sorted(all_opts - page_options(options_items(src))):
        fail("sysplex accepts %s, the OPTIONS of sysplex.8 do not describe it" % o)
    for c in cmds:
        rc, cout, err = run([prog, c, "--help"])
        if rc != 0 or not cout.startswith("usage: sysplex [--instance NAME] " + c):
            fail("sysplex %s --help: exit %d, no usage line" % (c, rc))
            continue
        copts = help_options(cout) - {"-h", "--help"}
        all_opts |= copts
        if c in items:
            for o in sorted(copts - page_options(items[c])):
                fail("sysplex %s accepts %s, its item in sysplex.8 does not document it" % (c, o))
    compare("option", "sysplex", "sysplex.8", all_opts, page_options(src))
    check_version("sysplex")


def check_profile():
    table = source("vipa/profile.c").split("} stmt_defs[] = {")[1].split("\n};")[0]
    stmts = {k.upper() for k in re.findall(r'\{ "([A-Za-z0-9]+)", ST_', table)}
    if len(stmts) < 30:
        fail("vipa/profile.c: only %d statements found in stmt_defs" % len(stmts))
    page = {w.upper() for w in re.findall(r"\bIc ([A-Za-z0-9]+)", page_source("sysplex-profile.5"))}
    compare("statement", "the PROFILE parser", "sysplex-profile.5", stmts, page)


def check_lua():
    pre = source("sysplex/prelude.lua")
    glob = set(re.findall(r"^function ([a-z_]+)\(", pre, re.M))
    glob |= set(re.findall(r"^([a-z_]+) = ", pre, re.M))
    glob |= set(re.findall(r'lua_setglobal\(L, "([a-z_]+)"\)', source("sysplex/lua.c")))
    if len(glob) < 25:
        fail("sysplex/prelude.lua: only %d globals found" % len(glob))
    src = page_source("sysplex-lua.7")
    page = set()
    for line in re.findall(r"^\.It (.*)$", src, re.M):
        page |= set(re.findall(r"\b(?:Fn|Va) ([a-z_]+)\b(?!:)", line))
    compare("Lua global", "sysplex run", "sysplex-lua.7", glob, page)


def table_words(path, names):
    """The strings of the C arrays `names` in the file at path."""
    src, words = source(path), set()
    for name in names:
        block = src.split("const " + name + "[] = {")[1].split("};")[0]
        words |= set(re.findall(r'"([^"]+)"', block))
    return words


def check_words(what, words, page):
    if len(words) < 10:
        fail("only %d %s found in the tables" % (len(words), what))
    text = rendered(page)
    for w in sorted(words):
        pat = r"(?<![A-Z0-9$])" + re.escape(w) + (r"(?![A-Z0-9])" if w[-1].isalnum() else "")
        if not re.search(pat, text):
            fail("%s %s is not in %s" % (what, w, page))


def check_console_words():
    stack = table_words("tcpip-stack/ctl.c", ("actions", "verbs"))
    stack |= set(re.findall(r'\{ (?:NETSTAT|SYSPLEX), "([A-Z0-9]+)"', source("tcpip-stack/ctl.c")))
    check_words("operator command word of the stack", stack, "tcpip-stack.8")
    check_words("console word", table_words("sysplex/console.c", ("words", "console_verbs")),
                "sysplex.8")


def installed_programs():
    """The programs `make install` ships: the Makefile's PROGS."""
    m = re.search(r"^PROGS = (.*)$", source("Makefile"), re.M)
    progs = [os.path.basename(w) for w in m.group(1).split()] if m else []
    if len(progs) < 4:
        fail("Makefile: only %d programs found in PROGS" % len(progs))
    return progs


check_render()
for prog in installed_programs():
    if not os.path.exists(os.path.join(MAN, prog + ".8")):
        fail("%s is installed (PROGS in the Makefile) but has no manual page man/%s.8" % (prog, prog))
    elif prog != "sysplex":
        check_daemon(prog)
check_sysplex()
check_profile()
check_lua()
check_console_words()
if failures:
    print("%d manual page check(s) failed" % len(failures))
    sys.exit(1)
print("manual pages: every option, command, statement and Lua global documented, and only those")
