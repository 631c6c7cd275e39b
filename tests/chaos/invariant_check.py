#!/usr/bin/env python3
"""What tools/chaos checks after a fault, the janitor and the read-back of every acknowledged
upload: the rows, the accounts, the store, Redis and the server process agree that nothing
leaked. Prints one JSON object of counts (all must be 0 except the process figures); exit 1
when one of them is not.

Reads PostgreSQL with psql, Redis with redis-cli, the local store's directory directly (keys
decoded as storage/store/local/key_path.h encodes them) and S3 with boto3.
"""
import argparse
import json
import os
import subprocess
import sys
import urllib.parse

OBJECT_SUFFIX = "~obj"  # storage/store/local/key_path.h kObjectSuffix
OWNER_LOCK_SUFFIX = ".owner"  # storage/store/local/temp_ownership.h
LEASE_PATTERN = "sluice:leases:*"  # storage/service/admission/lease_key.h


def psql(args, sql):
    out = subprocess.run([args.psql, args.pg_url, "-XAtq", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-c", sql],
                         check=True, capture_output=True, text=True).stdout
    return [line.split("\t") for line in out.splitlines() if line]


def scalar(args, sql):
    rows = psql(args, sql)
    return int(rows[0][0]) if rows and rows[0][0] != "" else 0


def local_objects(root):
    keys = set()
    base = os.path.join(root, "objects")
    for dirpath, _, files in os.walk(base):
        rel = os.path.relpath(dirpath, base)
        segs = [] if rel == "." else rel.split(os.sep)
        for f in files:
            if f.endswith(OBJECT_SUFFIX):
                parts = segs + [f[: -len(OBJECT_SUFFIX)]]
                keys.add("/".join(urllib.parse.unquote(p) for p in parts))
    return keys


def local_temp_files(root, live_owners_only=True):
    """Files in tmp/ other than live owners' (empty) lock files: every one is a leftover."""
    n = 0
    for dirpath, _, files in os.walk(os.path.join(root, "tmp")):
        for f in files:
            if dirpath == os.path.join(root, "tmp") and f.endswith(OWNER_LOCK_SUFFIX):
                continue
            n += 1
    return n


def local_stale_parts(root):
    d = os.path.join(root, "uploads")
    return len(os.listdir(d)) if os.path.isdir(d) else 0


def s3_client(args):
    import boto3  # only the S3 runs need it

    return boto3.client("s3", endpoint_url=args.s3_endpoint, region_name="us-east-1",
                        aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "testing"),
                        aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "testing"))


def s3_objects(args):
    s3, keys, token = s3_client(args), set(), None
    while True:
        kw = {"Bucket": args.bucket, "Prefix": "u/"}
        if token:
            kw["ContinuationToken"] = token
        page = s3.list_objects_v2(**kw)
        keys.update(o["Key"] for o in page.get("Contents", []))
        if not page.get("IsTruncated"):
            return keys
        token = page["NextContinuationToken"]


def s3_stale_parts(args):
    return len(s3_client(args).list_multipart_uploads(Bucket=args.bucket).get("Uploads", []))


def redis_leases(args):
    """Lease members left, and ("key member", seconds to expiry) of each for the report."""
    host, port = args.redis.split(":")
    cli = ["redis-cli", "-h", host, "-p", port]
    keys = subprocess.run(cli + ["--scan", "--pattern", LEASE_PATTERN], check=True, capture_output=True,
                          text=True).stdout.split()
    now_ms = int(subprocess.run(cli + ["time"], check=True, capture_output=True, text=True).stdout.split()[0]) * 1000
    left = []
    for k in keys:
        out = subprocess.run(cli + ["zrange", k, "0", "-1", "withscores"], check=True, capture_output=True,
                             text=True).stdout.split()
        for member, score in zip(out[::2], out[1::2]):
            row = ""
            base = member.split("#")[0]
            if len(base) == 36:
                rows = psql(args, f"SELECT 'file ' || status || ' ' || updated_at FROM sluice.files WHERE id = '{base}'"
                                  f" UNION ALL SELECT 'session ' || state FROM sluice.uploads WHERE id = '{base}'")
                row = "; ".join(r[0] for r in rows) or "no row"
            left.append(f"{k} {member} expires in {(float(score) - now_ms) / 1000:.0f}s ({row})")
    return left


def process_figures(pid):
    rss = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
    return rss, len(os.listdir(f"/proc/{pid}/fd"))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--pg-url", required=True)
    p.add_argument("--psql", default="psql")
    p.add_argument("--redis", help="host:port (omit when the run has no Redis)")
    p.add_argument("--store", choices=["local", "s3"], required=True)
    p.add_argument("--local-dir")
    p.add_argument("--s3-endpoint")
    p.add_argument("--bucket")
    p.add_argument("--pid", type=int, help="the server, for RSS and open descriptors")
    args = p.parse_args()

    r = {}
    # Usage equals what the live rows hold; nothing reserved once nothing is in flight.
    r["leaked_quota_bytes"] = scalar(args, """
        SELECT coalesce(sum(abs(a.used_bytes - coalesce(f.bytes, 0)) + a.reserved_bytes), 0)
        FROM sluice.accounts a LEFT JOIN (
          SELECT owner, sum(size) AS bytes FROM sluice.files
          WHERE status IN ('available', 'trashed') GROUP BY owner) f ON f.owner = a.user_id""")
    r["leaked_file_slots"] = scalar(args, """
        SELECT coalesce(sum(abs(a.file_count - coalesce(f.n, 0)) + a.reserved_files), 0)
        FROM sluice.accounts a LEFT JOIN (
          SELECT owner, count(*) AS n FROM sluice.files
          WHERE status IN ('available', 'trashed') GROUP BY owner) f ON f.owner = a.user_id""")
    r["rows_uploading"] = scalar(args, "SELECT count(*) FROM sluice.files WHERE status = 'uploading'")
    r["rows_purge_queued"] = scalar(args, "SELECT count(*) FROM sluice.files WHERE status = 'deleted'")
    r["sessions_open"] = scalar(args, "SELECT count(*) FROM sluice.uploads WHERE state IN ('active', 'completing')")
    wanted = {row[0] for row in psql(args, "SELECT object_key FROM sluice.files WHERE status IN ('available', 'trashed')")}
    if args.store == "local":
        stored = local_objects(args.local_dir)
        r["temp_files"] = local_temp_files(args.local_dir)
        r["stale_parts"] = local_stale_parts(args.local_dir)
    else:
        stored = s3_objects(args)
        r["temp_files"] = 0  # S3 has none; unfinished multipart uploads are stale_parts
        r["stale_parts"] = s3_stale_parts(args)
    orphans, missing = sorted(stored - wanted), sorted(wanted - stored)
    r["orphan_objects"] = len(orphans)
    r["missing_objects"] = len(missing)
    lease_list = redis_leases(args) if args.redis else []
    r["leases"] = len(lease_list)
    failed = sorted(k for k, v in r.items() if v != 0)
    r["available_files"] = len(wanted)
    if args.pid:
        r["rss_kb"], r["fds"] = process_figures(args.pid)
    r["violations"] = failed
    if lease_list:
        r["lease_members"] = lease_list[:20]
    # Which keys, and what the rows say of them, so that a failed run can be explained.
    for name, keys in (("orphan_keys", orphans), ("missing_keys", missing)):
        if keys:
            r[name] = [k + " (" + ("; ".join(row[0] for row in psql(args, "SELECT status || ' ' || created_at || ' ' ||"
                       " updated_at FROM sluice.files WHERE object_key = '" + k.replace("'", "''") + "'")) or "no row")
                       + ")" for k in keys[:10]]
    print(json.dumps(r))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
