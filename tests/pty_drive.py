#!/usr/bin/env python3
"""Run a command with a new pseudo-terminal as its controlling terminal and
answer its passphrase prompts, the way a person at a terminal would.

Programs such as age and fuin read passphrases from /dev/tty, not from
standard input, so a pipe cannot feed them: the command must run in its own
session whose controlling terminal is a pty we hold the master side of.

usage: pty_drive.py [--in FILE] [--out FILE] [--err FILE] [--timeout SECS]
                    [--transcript FILE] [--answer REGEX TEXT]... -- CMD [ARG]...

  --answer REGEX TEXT  wait until terminal output (after the previous answer)
                       matches REGEX, then type TEXT and a newline; repeat
                       the option to answer successive prompts in order
  --in/--out/--err     connect the command's stdin/stdout/stderr to FILE
                       instead of the terminal (--out/--err truncate FILE)
  --transcript FILE    save everything the command wrote to the terminal
  --timeout SECS       give up after SECS seconds in total (default 60)

Exit status: the command's exit status (128+N if it died of signal N);
124 on timeout (the command is killed); 125 if the command ended before
all prompts were seen; 126/127 if it could not be executed.
"""

import errno
import os
import pty
import re
import select
import signal
import sys
import termios
import time


def usage(msg):
    sys.stderr.write("pty_drive.py: %s\n" % msg)
    sys.stderr.write(__doc__.split("\n\n")[2] + "\n")
    sys.exit(2)


def parse(argv):
    opts = {"in": None, "out": None, "err": None, "transcript": None,
            "timeout": 60.0, "answers": []}
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--":
            cmd = argv[i + 1:]
            if not cmd:
                usage("no command given")
            return opts, cmd
        if a in ("--in", "--out", "--err", "--transcript", "--timeout"):
            if i + 1 >= len(argv):
                usage("%s needs a value" % a)
            v = argv[i + 1]
            opts[a[2:]] = float(v) if a == "--timeout" else v
            i += 2
        elif a == "--answer":
            if i + 2 >= len(argv):
                usage("--answer needs REGEX and TEXT")
            opts["answers"].append((re.compile(argv[i + 1].encode()),
                                    argv[i + 2].encode()))
            i += 3
        else:
            usage("unknown option %r" % a)
    usage("missing -- before the command")
    return None  # not reached


def child(opts, cmd):
    # pty.fork() already made us a session leader with the pty slave as
    # controlling terminal on fds 0, 1 and 2; redirect only what was asked.
    try:
        for name, fd, flags in (("in", 0, os.O_RDONLY),
                                ("out", 1, os.O_WRONLY | os.O_CREAT | os.O_TRUNC),
                                ("err", 2, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)):
            if opts[name] is not None:
                f = os.open(opts[name], flags, 0o644)
                os.dup2(f, fd)
                os.close(f)
        os.execvp(cmd[0], cmd)
    except OSError as e:
        os.write(2, ("pty_drive.py: %s: %s\n" % (cmd[0], e.strerror)).encode())
        os._exit(127 if e.errno == errno.ENOENT else 126)


def echo_off(master):
    try:
        return not (termios.tcgetattr(master)[3] & termios.ECHO)
    except termios.error:
        return False


def read_some(master, transcript, wait):
    """Append what the terminal says within `wait` seconds; return the number
    of bytes read, or -1 if no slave side is open right now (EIO)."""
    r, _, _ = select.select([master], [], [], max(wait, 0))
    if not r:
        return 0
    try:
        data = os.read(master, 65536)
    except OSError as e:
        # EIO: no process has the slave open at this moment.  That is not
        # the end: a program that redirected its stdio may open /dev/tty
        # only later, so only the child's exit ends the session.
        if e.errno != errno.EIO:
            raise
        return -1
    transcript += data
    return len(data) if data else -1


def main():
    opts, cmd = parse(sys.argv[1:])
    pid, master = pty.fork()
    if pid == 0:
        child(opts, cmd)

    deadline = time.monotonic() + opts["timeout"]
    transcript = bytearray()
    seen = 0           # transcript bytes already consumed by a matched prompt
    answers = list(opts["answers"])
    matched_at = None  # when a prompt matched; we wait for echo to go off
    status = None

    while status is None:
        now = time.monotonic()
        if now >= deadline:
            break
        if answers:
            regex, text = answers[0]
            if matched_at is None:
                m = regex.search(bytes(transcript), seen)
                if m:
                    seen = m.end()
                    matched_at = now
            # Type only once echo is off (or after a grace period): a program
            # that flushes input when it switches echo off (TCSAFLUSH) would
            # otherwise discard an answer typed too early.
            if matched_at is not None and (echo_off(master) or now - matched_at > 2.0):
                os.write(master, text + b"\n")
                answers.pop(0)
                matched_at = None
                continue
        wait = 0.02 if matched_at is not None else 0.2
        if read_some(master, transcript, min(wait, deadline - now)) < 0:
            time.sleep(0.02)
        wpid, st = os.waitpid(pid, os.WNOHANG)
        if wpid == pid:
            status = st

    timed_out = status is None
    if timed_out:
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
    # Whatever the command wrote last is still buffered in the master.
    while read_some(master, transcript, 0.05) > 0:
        pass
    os.close(master)

    if opts["transcript"] is not None:
        with open(opts["transcript"], "wb") as f:
            f.write(bytes(transcript))
    if timed_out or answers:
        why = "timed out" if timed_out else "command ended"
        what = ("prompt /%s/" % answers[0][0].pattern.decode() if answers
                else "the command to exit")
        sys.stderr.write("pty_drive.py: %s waiting for %s; terminal said: %r\n"
                         % (why, what, bytes(transcript[-500:])))
        return 124 if timed_out else 125
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return os.WEXITSTATUS(status)


if __name__ == "__main__":
    sys.exit(main())
