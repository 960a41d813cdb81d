"""Child process for the SIGKILL test: install one bundle file, saying when it starts."""

from __future__ import annotations

import sys
from pathlib import Path

from content.service import ContentService


def main() -> int:
    content_dir, root, bundle = (Path(a) for a in sys.argv[1:4])
    svc = ContentService(content_dir, root, "0.1.0", builtin_exercises={"squat"})
    print("start", flush=True)
    result = svc.install_path(bundle)
    print("done" if result.ok else "failed: " + "; ".join(result.errors), flush=True)
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
