"""What the kernel generators in eng/ share: write the generated file, or with --check only say whether it is current."""
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
