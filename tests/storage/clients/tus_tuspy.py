#!/usr/bin/python3
"""Uploads files with tuspy (Debian python3-tuspy) to a tus endpoint, as tus_clients_test asks.

argv: endpoint token cases.json. Each case: {"name", "path", "chunk" (0: tuspy's default, one PATCH),
"interrupt" (bytes after which the first uploader stops; a second uploader resumes by URL)}.
Prints one JSON line per case: {"name", "fileId" (from the last PATCH), "headFileId", "offset" (HEAD's
at the end), "resumedFrom" (the offset the second uploader found)}.
"""
import json
import sys
import time

import requests
from tusclient import client
from tusclient.uploader import Uploader


def main():
    endpoint, token, cases_path = sys.argv[1:4]
    headers = {"Authorization": "Bearer " + token}
    tus = client.TusClient(endpoint, headers=headers)
    for case in json.load(open(cases_path)):
        kwargs = {"file_path": case["path"], "metadata": {"filename": case["name"]}, "client": tus}
        if case.get("chunk"):
            kwargs["chunk_size"] = case["chunk"]
        started = time.monotonic()
        up = Uploader(**kwargs)
        last_headers = {}
        resumed_from = 0
        if case.get("interrupt"):
            up.upload(stop_at=case["interrupt"])  # the first uploader stops here...
            up = Uploader(url=up.url, **kwargs)   # ...a new one resumes from HEAD's offset
            resumed_from = up.offset
        if up.get_file_size() == 0:
            up.set_url(up.create_url())  # tuspy sends no PATCH for an empty file
        up.upload()
        if getattr(up, "request", None) is not None:
            last_headers = {k.lower(): v for k, v in up.request.response_headers.items()}
        head = requests.head(up.url, headers=dict(headers, **{"Tus-Resumable": "1.0.0"}))
        print(json.dumps({"name": case["name"], "fileId": last_headers.get("sluice-file-id", ""),
                          "headFileId": head.headers.get("Sluice-File-Id", ""),
                          "offset": head.headers.get("Upload-Offset", ""),
                          "resumedFrom": resumed_from, "seconds": round(time.monotonic() - started, 3)}),
              flush=True)


if __name__ == "__main__":
    main()
