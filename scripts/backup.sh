#!/usr/bin/env bash
# Copies a Parley server's data folder while the server runs (docs/self-hosting.md, "Backups"):
#   scripts/backup.sh DATA_DIR DEST_DIR
# The database goes through sqlite3's online backup (a consistent snapshot beside the server's writer) and is checked,
# then the attachment files are copied. DEST_DIR must be new or empty; it is made readable by its owner only.
# The secrets folder (the franking key, DATA_DIR-secrets by default) is not copied: back it up once, apart.
set -euo pipefail

if [ $# -ne 2 ]; then
    echo "usage: scripts/backup.sh DATA_DIR DEST_DIR" >&2
    exit 2
fi
data="${1%/}" dest="${2%/}"
fail() { echo "backup.sh: $*" >&2; exit 1; }

command -v sqlite3 >/dev/null 2>&1 || fail "sqlite3 is needed for the online backup; install it (apt-get install sqlite3)."
[ -f "$data/parley.db" ] || fail "$data has no parley.db; give the server's data folder (its --data)."
case "$dest" in *"'"*) fail "the destination's path may not contain a single quote." ;; esac
if [ -e "$dest" ] && [ -n "$(ls -A "$dest" 2>/dev/null)" ]; then
    fail "$dest is not empty; give a new or empty folder."
fi

umask 077
mkdir -p "$dest"
chmod 700 "$dest"
# Waits up to 30 s for the server's writer between the pages it copies; a write during the copy restarts it.
sqlite3 "$data/parley.db" ".timeout 30000" ".backup '$dest/parley.db'"
check="$(sqlite3 "$dest/parley.db" "PRAGMA integrity_check;")"
[ "$check" = "ok" ] || fail "the copy of the database failed its integrity check: $check"

# After the database, so every attachment the copy names is here (the server only appends to a blob file before it
# records the new length, and deletes a file only after its row).
files=0
if [ -d "$data/blobs" ]; then
    cp -a "$data/blobs" "$dest/blobs"
    files=$(find "$dest/blobs" -type f | wc -l)
fi

echo "Backed up $data to $dest: the database ($(du -h "$dest/parley.db" | cut -f1)) and $files attachment file(s)."
echo "Not in it: the secrets folder (default $data-secrets); keep one copy of it, apart from these backups."
