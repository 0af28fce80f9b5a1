"""What the kernel generators in eng/ share: a kernel's summary comment, and writing the generated file (or with --check
only saying whether it is current)."""
import sys
from pathlib import Path


def write_or_check(out: Path, text: str, script: str) -> int:
    """Writes text to out; with --check on the command line compares instead (exit code 1 when the file is stale)."""
    if "--check" in sys.argv[1:]:
        if not out.exists() or out.read_text() != text:
            print(f"{out} is stale: run python3 eng/{script}")
            return 1
        print(f"{out} is up to date")
        return 0
    out.write_text(text)
    print(f"wrote {out} ({text.count(chr(10))} lines)")
    return 0


def summary(doc: str, indent: int) -> list[str]:
    """A C# <summary> comment of doc (its leading and trailing newlines dropped): on one line when doc is one line."""
    lines = doc.strip("\n").split("\n")
    pad = " " * indent
    if len(lines) == 1:
        return [f"{pad}/// <summary>{lines[0]}</summary>"]
    return [f"{pad}/// <summary>"] + [f"{pad}/// {line}" for line in lines] + [f"{pad}/// </summary>"]
