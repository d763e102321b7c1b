#!/usr/bin/env python3
"""One prompt and seed rendered with each of pixray's picture losses on (and
once with none), side by side in a contact sheet for the README.

  picture_loss_sheet.py --vqclip build/bin/vqclip --out /tmp/picture-losses --sheet docs/images/picture-losses.png [-- --steps 300]

Options after -- go to every render; each loss's own options follow them."""
import argparse
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from eval_generation import contact_sheet, split_vqclip_options  # noqa: E402

PROMPT = "a red circle on a blue background"

# (file name, the options that turn the loss on); weights chosen so that each
# loss shows at the tiny bundle's 64x64 against the prompt's pull.
LOSSES = [
    ("none", []),
    ("smoothness", ["--smoothness", "50"]),
    ("symmetry", ["--symmetry", "5"]),
    ("saturation", ["--saturation", "3"]),
    ("colours", ["--colours", "#ffff00,#00ffff", "--colour-weight", "2"]),
    ("edge", ["--edge-colour", "#000000", "--edge-weight", "1"]),
]


def main() -> int:
    own, vqclip_options = split_vqclip_options(sys.argv[1:])
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vqclip", default="build/bin/vqclip")
    parser.add_argument("--out", required=True, help="folder for the pictures")
    parser.add_argument("--sheet", required=True, help="the contact sheet PNG to write")
    parser.add_argument("--seed", default="1")
    args = parser.parse_args(own)
    os.makedirs(args.out, exist_ok=True)
    paths = []
    for name, options in LOSSES:
        path = os.path.join(args.out, name + ".png")
        command = [args.vqclip, "-p", PROMPT, "--seed", args.seed, "-o", path,
                   *vqclip_options, *options]
        print(" ".join(command), flush=True)
        subprocess.run(command, check=True, stderr=subprocess.DEVNULL)
        paths.append(path)
    contact_sheet(paths, args.sheet, columns=len(paths))
    print("sheet:", args.sheet, "(left to right: " + ", ".join(name for name, _ in LOSSES) + ")")
    return 0


if __name__ == "__main__":
    sys.exit(main())
