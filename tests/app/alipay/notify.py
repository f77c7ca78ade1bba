#!/usr/bin/python3
"""An Alipay asynchronous notification, built from Alipay's published signing rules alone
(independently of the node's C++): the parameters but sign and sign_type, those with a
non-empty value, sorted by name, joined as name=value with &, signed RSA2 (SHA256withRSA,
PKCS#1 v1.5) with the key standing in for Alipay's, base64; the form url-encoded.

Usage: notify.py KEY.pem name=value ...   (prints the form body)
"""
import base64
import sys
import urllib.parse

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding


def main():
    key_file, pairs = sys.argv[1], sys.argv[2:]
    params = dict(p.split("=", 1) for p in pairs)
    content = "&".join(f"{k}={params[k]}" for k in sorted(params) if k not in ("sign", "sign_type") and params[k])
    with open(key_file, "rb") as f:
        key = serialization.load_pem_private_key(f.read(), password=None)
    signature = key.sign(content.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    params["sign_type"] = "RSA2"
    params["sign"] = base64.b64encode(signature).decode("ascii")
    sys.stdout.write(urllib.parse.urlencode(params))


if __name__ == "__main__":
    main()
