"""`netboot leases list` reads the lease database the DHCP service writes (docs/dhcp.md).

The database is written here with Python's own sqlite3 module, an independent SQLite client,
in the schema of Sources/NetbootStore/SQLiteStore.swift."""
import json
import sqlite3
import subprocess
import time

from conftest import netboot_bin

SCHEMA = """
CREATE TABLE dhcp_lease (
    address INTEGER PRIMARY KEY NOT NULL, client_id BLOB NOT NULL, mac INTEGER NOT NULL,
    hostname TEXT, state TEXT NOT NULL, expires REAL NOT NULL, updated REAL NOT NULL);
"""


def ip(text):
    a, b, c, d = (int(x) for x in text.split("."))
    return a << 24 | b << 16 | c << 8 | d


def write_leases(directory, rows):
    db = sqlite3.connect(directory / "netboot.sqlite")
    db.executescript(SCHEMA)
    db.executemany("INSERT INTO dhcp_lease VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    db.commit()
    db.close()


def test_leases_list_json_and_table(tmp_path):
    now = time.time()
    write_leases(tmp_path, [
        (ip("10.0.0.101"), bytes([1, 0x52, 0x54, 0, 0x12, 0x34, 0x57]), 0x525400123457, None, "bound", now - 10, now),
        (ip("10.0.0.100"), bytes([1, 0x52, 0x54, 0, 0x12, 0x34, 0x56]), 0x525400123456, "mac-01", "bound", now + 3600, now),
        (ip("10.0.0.102"), bytes([0, 0xAB]), 0x525400123458, "pc", "declined", now + 600, now),
    ])
    out = subprocess.run([netboot_bin(), "leases", "list", "--json", "--state-dir", str(tmp_path)],
                         capture_output=True, text=True, check=True)
    leases = json.loads(out.stdout)
    assert [l["address"] for l in leases] == ["10.0.0.100", "10.0.0.101", "10.0.0.102"]
    assert leases[0]["mac"] == "52:54:00:12:34:56"
    assert leases[0]["clientID"] == "01:52:54:00:12:34:56"
    assert leases[0]["hostname"] == "mac-01"
    assert leases[0]["state"] == "bound"
    assert leases[1]["state"] == "expired"
    assert "hostname" not in leases[1] or leases[1]["hostname"] is None
    assert leases[2]["state"] == "declined" and leases[2]["clientID"] == "00:ab"
    assert leases[0]["expires"].endswith("Z")

    table = subprocess.run([netboot_bin(), "leases", "list", "--state-dir", str(tmp_path)],
                           capture_output=True, text=True, check=True).stdout.splitlines()
    assert table[0].split() == ["ADDRESS", "MAC", "CLIENT-ID", "HOSTNAME", "STATE", "EXPIRES"]
    assert table[1].split()[:5] == ["10.0.0.100", "52:54:00:12:34:56", "01:52:54:00:12:34:56", "mac-01", "bound"]
    assert table[2].split()[3:5] == ["-", "expired"]


def test_hostile_hostnames_are_escaped_in_the_table(tmp_path):
    now = time.time()
    write_leases(tmp_path, [(ip("10.0.0.100"), bytes([1, 2]), 2, "a\x1b[2Jb c\u202e", "bound", now + 60, now)])
    out = subprocess.run([netboot_bin(), "leases", "list", "--state-dir", str(tmp_path)],
                         capture_output=True, text=True, check=True).stdout
    assert "\x1b" not in out and "\u202e" not in out
    assert "a\\u{1b}[2Jb\\u{20}c\\u{202e}" in out
    assert json.loads(subprocess.run([netboot_bin(), "leases", "list", "--json", "--state-dir", str(tmp_path)],
                                     capture_output=True, text=True, check=True).stdout)[0]["hostname"] == "a\x1b[2Jb c\u202e"


def test_leases_list_without_a_database_is_empty_and_says_so(tmp_path):
    out = subprocess.run([netboot_bin(), "leases", "list", "--json", "--state-dir", str(tmp_path / "none")],
                         capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []
    assert "no lease database" in out.stderr
