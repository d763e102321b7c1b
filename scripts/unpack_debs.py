#!/usr/bin/env python3
"""Unpacks Debian packages (.deb) into a folder without dpkg: what a machine
without Debian's tools needs to build vqclip against carried dependencies
(scripts/device-check.sh). Takes each package's data archive, keeps what is
under usr/ and lib/ except documentation, manual pages and static libraries, and
refuses members that would land outside the folder.

  unpack_debs.py DEBS_DIR ROOT      (ROOT/usr/include, ROOT/usr/lib/x86_64-linux-gnu, ...)"""
import io
import os
import sys
import tarfile

# Python 3.12 warns when extraction has no filter; 'tar' keeps the symbolic links (checked above).
EXTRACT_FILTER = {"filter": "tar"} if hasattr(tarfile, "tar_filter") else {}
SKIPPED_PREFIXES = ("usr/share/doc/", "usr/share/man/", "usr/share/lintian/", "usr/bin/")


def ar_members(data: bytes):
    """(name, bytes) of each member of a Unix ar archive, the container of a .deb."""
    if not data.startswith(b"!<arch>\n"):
        raise ValueError("not an ar archive")
    at = 8
    while at + 60 <= len(data):
        header = data[at:at + 60]
        name = header[:16].decode().strip().rstrip("/")
        size = int(header[48:58].decode().strip())
        yield name, data[at + 60:at + 60 + size]
        at += 60 + size + (size & 1)  # members are padded to an even length


def wanted(member: tarfile.TarInfo) -> bool:
    name = member.name.lstrip("./")
    if not name.startswith(("usr/", "lib/")) or name.startswith(SKIPPED_PREFIXES):
        return False
    return not (member.isfile() and name.endswith(".a"))


def unpack(deb: str, root: str) -> int:
    with open(deb, "rb") as f:
        members = dict(ar_members(f.read()))
    data_name = next((n for n in members if n.startswith("data.tar")), None)
    if data_name is None:
        raise ValueError(f"{deb}: no data archive")
    count = 0
    real_root = os.path.realpath(root)
    with tarfile.open(fileobj=io.BytesIO(members[data_name])) as archive:
        for member in archive.getmembers():
            if not wanted(member):
                continue
            target = os.path.realpath(os.path.join(root, member.name))
            if not target.startswith(real_root + os.sep):
                raise ValueError(f"{deb}: {member.name} would leave {root}")
            if member.issym() and os.path.isabs(member.linkname):
                member.linkname = os.path.relpath(os.path.join(root, member.linkname.lstrip("/")),
                                                  os.path.dirname(target))
            if os.path.lexists(target) and not member.isdir():
                os.remove(target)
            archive.extract(member, root, set_attrs=False, **EXTRACT_FILTER)
            count += 1
    return count


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    debs_dir, root = sys.argv[1:]
    os.makedirs(root, exist_ok=True)
    debs = sorted(n for n in os.listdir(debs_dir) if n.endswith(".deb"))
    if not debs:
        print(f"unpack_debs.py: error: no .deb files in {debs_dir}", file=sys.stderr)
        return 1
    for name in debs:
        print(f"{name}: {unpack(os.path.join(debs_dir, name), root)} entries")
    return 0


if __name__ == "__main__":
    sys.exit(main())
