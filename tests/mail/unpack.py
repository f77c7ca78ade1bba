#!/usr/bin/python3
"""Unpacks the messages relay.py wrote: unpack.py DIR prints a JSON array, one object per
message (file, to, subject, message_id, text, attachments, and the paths of its PDF and XML
written to DIR/unpacked/), read with Python's own e-mail parser, not ours."""
import email
import email.policy
import json
import os
import sys


def main():
    folder = sys.argv[1]
    out_dir = os.path.join(folder, "unpacked")
    os.makedirs(out_dir, exist_ok=True)
    result = []
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".eml"):
            continue
        with open(os.path.join(folder, name), "rb") as f:
            msg = email.message_from_binary_file(f, policy=email.policy.default)
        item = {"file": name, "to": str(msg["To"] or ""), "subject": str(msg["Subject"] or ""),
                "message_id": str(msg["Message-ID"] or ""), "text": "", "attachments": []}
        for part in msg.walk():
            if part.is_multipart():
                continue
            filename = part.get_filename()
            if filename:
                item["attachments"].append(filename)
                path = os.path.join(out_dir, name[:-4] + "-" + os.path.basename(filename))
                with open(path, "wb") as a:
                    a.write(part.get_payload(decode=True))
                if filename.endswith(".pdf"):
                    item["pdf"] = path
                elif filename.endswith(".xml"):
                    item["xml"] = path
            elif part.get_content_type() == "text/plain":
                item["text"] += part.get_content()
        result.append(item)
    json.dump(result, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
