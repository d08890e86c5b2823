"""The kubernetes pack: `pulumi preview --policy-pack policy_packs/kubernetes`, or `bp audit` offline."""

import sys
from pathlib import Path

# The engine runs this folder as the program; the library packages sit two levels up.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from policy_packs.packs import serve  # noqa: E402

serve("kubernetes")
